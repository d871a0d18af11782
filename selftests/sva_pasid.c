// SPDX-License-Identifier: GPL-2.0
/*
 * The PASID side of binding: an mm's PASID against a device's max_pasids
 * (-EOVERFLOW), the global PASID space running out (-ENOSPC), its reuse
 * once an mm is really gone, and devices without PASID support.
 *
 * PASIDs come from one global allocator. Other processes' mms are made
 * with mock_binder children; a PASID is freed only at the mm's last
 * mmdrop, which the SVA domain delays until unbind, so the tests poll
 * (with a bound) where the kernel frees things late.
 */
#include "mock_iommu_utils.h"

#define MAX_BINDERS 8

/* Processes holding PASIDs, with the file their bonds live in */
struct binders {
	int fd;
	unsigned int n;
	struct mock_binder b[MAX_BINDERS];
};

FIXTURE(pasid) {
	int fd;
	__u32 wide;		/* a device with the full PASID width */
	__u32 narrow;		/* a device limited to variant->max_pasids */
	struct binders pool;
};

FIXTURE_VARIANT(pasid) {
	__u32 max_pasids;	/* of the narrow device, PASIDs 1..max-1 */
	bool by_instance;	/* limited by its instance, else by its width */
};

FIXTURE_VARIANT_ADD(pasid, device_limit_4) {
	.max_pasids = 4,
};

FIXTURE_VARIANT_ADD(pasid, instance_limit_4) {
	.max_pasids = 4,
	.by_instance = true,
};

FIXTURE_VARIANT_ADD(pasid, single_pasid) {
	.max_pasids = 2,
};

FIXTURE_SETUP(pasid)
{
	const char *skip;
	struct mock_iommu_device_create out;
	__u32 wide_instance, narrow_instance;
	__u32 bits = variant->by_instance ? MOCK_PASID_BITS : __builtin_ctz(variant->max_pasids);

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &wide_instance);
	test_cmd_device_create(self->fd, wide_instance, MOCK_PASID_BITS, 0, &self->wide);
	narrow_instance = wide_instance;
	if (variant->by_instance)
		test_cmd_instance_create(self->fd, variant->max_pasids, 0, &narrow_instance);
	ASSERT_EQ(0, _test_cmd_device_create(self->fd, narrow_instance, bits, 0, &out));
	ASSERT_EQ(variant->max_pasids, out.out_max_pasids);
	self->narrow = out.out_device_id;
	self->pool.fd = self->fd;
	skip = mock_sva_disabled(self->fd, self->wide);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(pasid)
{
	while (self->pool.n)
		mock_binder_stop(&self->pool.b[--self->pool.n], SIGKILL);
	test_close_leaves_nothing(self->fd);
}

/* Start a binder process on @dev; returns its errno (0: bound) */
static int add_binder(struct binders *pool, __u32 dev, __u32 *pasid)
{
	struct mock_binder *b = &pool->b[pool->n];

	if (pool->n == MAX_BINDERS || mock_binder_start(pool->fd, dev, b))
		return -1;
	pool->n++;
	if (pasid)
		*pasid = b->pasid;
	return b->err;
}

/* Stop the newest binder and unbind what it bound: its mm can go */
static int drop_binder(struct binders *pool)
{
	struct mock_binder *b = &pool->b[--pool->n];

	if (mock_binder_stop(b, 0))
		return -1;
	return b->bond_id ? _test_cmd_destroy(pool->fd, b->bond_id) : 0;
}

/*
 * Bind fresh mms to @dev until one fails, retrying from scratch while
 * PASIDs of dead mms (earlier tests, earlier rounds) are still on their
 * way back. Returns the errno of the bind that failed; *bound binders hold
 * PASIDs.
 */
static int fill_pasid_space(struct binders *pool, __u32 dev, unsigned int want,
			    unsigned int *bound)
{
	long long deadline = mock_now_ms() + MOCK_POLL_MS;
	int err;

	for (;;) {
		*bound = 0;
		while ((err = add_binder(pool, dev, NULL)) == 0)
			(*bound)++;
		if (*bound >= want || mock_now_ms() > deadline)
			return err;
		while (pool->n)
			if (drop_binder(pool))
				return -1;
		mock_sleep_ms(20);
	}
}

/* Wait until a fresh mm binds @dev; returns its PASID or NO_PASID */
static __u32 poll_bind_fresh_mm(struct binders *pool, __u32 dev)
{
	long long deadline = mock_now_ms() + MOCK_POLL_MS;
	__u32 pasid;

	while (mock_now_ms() < deadline) {
		int err = add_binder(pool, dev, &pasid);

		if (!err)
			return pasid;
		if (err != ENOSPC || drop_binder(pool))
			return NO_PASID;
		mock_sleep_ms(20);
	}
	return NO_PASID;
}

/* An mm whose PASID is beyond a device's reach cannot bind it */
TEST_F(pasid, overflow)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info wide;
	unsigned int bound;

	/*
	 * Live mms take every PASID the narrow device could use: only then is
	 * this mm's PASID sure to be beyond it, whatever dying mms of earlier
	 * tests still hold or give back meanwhile.
	 */
	ASSERT_EQ(ENOSPC, fill_pasid_space(&self->pool, self->narrow, variant->max_pasids - 1,
					   &bound));
	ASSERT_EQ(variant->max_pasids - 1, bound);
	ASSERT_EQ(0, drop_binder(&self->pool));
	test_cmd_bind(self->fd, self->wide, &wide);
	ASSERT_LE(variant->max_pasids, wide.pasid);

	test_cmd_counters(self->fd, 0, &c0);
	test_err_bind(EOVERFLOW, self->fd, self->narrow);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.alloc_calls, c1.alloc_calls);
	ASSERT_EQ(c0.attach_calls, c1.attach_calls);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);
	test_pasid_domain(self->fd, self->narrow, wide.pasid, 0);

	/* Nothing else moved: the wide bond is intact, the PASID the same */
	ASSERT_EQ(wide.pasid, mock_mm_pasid(self->fd));
	test_pasid_domain(self->fd, self->wide, wide.pasid, wide.domain_id);
	test_domain_users(self->fd, wide.domain_id, 1);
	test_cmd_destroy(self->fd, wide.bond_id);
	while (self->pool.n)
		ASSERT_EQ(0, drop_binder(&self->pool));
}

/*
 * The narrow device can use PASIDs 1..max-1. When live mms hold them all,
 * a fresh mm gets -ENOSPC and nothing is allocated for it. A PASID comes
 * back only when its mm is gone: the binder exiting is not enough while
 * its bond (and so its domain's mm reference) lives.
 */
TEST_F_TIMEOUT(pasid, exhaustion, 120)
{
	struct mock_iommu_counters c0, c1;
	unsigned int bound, i;
	__u32 seen = 0, victim;

	ASSERT_EQ(ENOSPC, fill_pasid_space(&self->pool, self->narrow, variant->max_pasids - 1,
					   &bound));
	ASSERT_EQ(variant->max_pasids - 1, bound);
	for (i = 0; i < bound; i++) {
		ASSERT_LT(0, self->pool.b[i].pasid);
		ASSERT_GT(variant->max_pasids, self->pool.b[i].pasid);
		seen |= 1U << self->pool.b[i].pasid;
	}
	/* Distinct PASIDs, all of 1..max-1 */
	ASSERT_EQ(((1U << variant->max_pasids) - 1) & ~1U, seen);
	/* The failed binder of fill_pasid_space() holds nothing */
	ASSERT_EQ(0, drop_binder(&self->pool));

	test_cmd_counters(self->fd, 0, &c0);
	ASSERT_EQ(ENOSPC, add_binder(&self->pool, self->narrow, NULL));
	ASSERT_EQ(0, drop_binder(&self->pool));
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.alloc_calls, c1.alloc_calls);
	ASSERT_EQ(c0.domains_alive, c1.domains_alive);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);

	/* The first binder exits; its bond keeps the mm, and the PASID, alive */
	victim = self->pool.b[0].pasid;
	ASSERT_EQ(0, mock_binder_stop(&self->pool.b[0], 0));
	ASSERT_EQ(ENOSPC, add_binder(&self->pool, self->narrow, NULL));
	ASSERT_EQ(0, drop_binder(&self->pool));

	/* Unbinding drops the last reference: the PASID is free again */
	test_cmd_destroy(self->fd, self->pool.b[0].bond_id);
	self->pool.b[0] = self->pool.b[--self->pool.n];
	ASSERT_EQ(victim, poll_bind_fresh_mm(&self->pool, self->narrow));
	while (self->pool.n)
		ASSERT_EQ(0, drop_binder(&self->pool));
}

/* A device without PASID support never binds, whatever the mm's state */
TEST_F(pasid, no_pasid_device)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info b;
	__u32 instance, nopasid;

	test_cmd_instance_create(self->fd, 0, 0, &instance);
	test_cmd_device_create(self->fd, instance, 0, 0, &nopasid);

	test_cmd_counters(self->fd, 0, &c0);
	/* A fresh mm: no PASID can be allocated for this device */
	ASSERT_EQ(ENOSPC, add_binder(&self->pool, nopasid, NULL));
	ASSERT_EQ(0, drop_binder(&self->pool));
	/* An mm that has a PASID: it is out of the device's range */
	test_cmd_bind(self->fd, self->wide, &b);
	test_err_bind(EOVERFLOW, self->fd, nopasid);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.alloc_calls + 1, c1.alloc_calls);
	ASSERT_EQ(c0.attach_calls + 1, c1.attach_calls);
	ASSERT_EQ(0, mock_pasid_domain(self->fd, nopasid, b.pasid));
	test_cmd_destroy(self->fd, b.bond_id);
}

/* A PASID-less device sharing a group is left out of the group's attach */
TEST_F(pasid, no_pasid_device_in_group)
{
	struct mock_iommu_counters c;
	struct mock_iommu_domain_info di;
	struct mock_iommu_sva_info b;
	__u32 instance, with, without;

	test_cmd_instance_create(self->fd, 0, 0, &instance);
	test_cmd_device_create(self->fd, instance, MOCK_PASID_BITS, 0, &with);
	test_cmd_device_create(self->fd, instance, 0, with, &without);

	test_cmd_bind(self->fd, with, &b);
	test_pasid_domain(self->fd, with, b.pasid, b.domain_id);
	test_pasid_domain(self->fd, without, b.pasid, 0);
	test_cmd_domain_info(self->fd, b.domain_id, &di);
	ASSERT_EQ(1, di.out_attached);
	test_err_bind(EOVERFLOW, self->fd, without);
	test_cmd_destroy(self->fd, b.bond_id);
	test_pasid_domain(self->fd, with, b.pasid, 0);

	/* The driver was never asked about the PASID-less member */
	test_cmd_counters(self->fd, without, &c);
	ASSERT_EQ(0, c.attach_calls);
	ASSERT_EQ(0, c.detach_calls);
	ASSERT_EQ(0, c.unexpected_calls);
	test_cmd_counters(self->fd, with, &c);
	ASSERT_EQ(1, c.attach_calls);
	ASSERT_EQ(1, c.detach_calls);
	ASSERT_EQ(0, c.unexpected_calls);
}

/*
 * A bind to a device of an instance created with @flags is refused with
 * -EOPNOTSUPP, the driver's domain_alloc_sva() called @asked times (0 or 1),
 * and nothing allocated, attached or held
 */
#define test_bind_refused_by_instance(flags, asked)				\
	({									\
		struct mock_iommu_counters __c0, __c1;				\
		__u32 __inst, __dev;						\
		test_cmd_instance_create(self->fd, 0, flags, &__inst);		\
		test_cmd_device_create(self->fd, __inst, MOCK_PASID_BITS, 0, &__dev); \
		test_cmd_counters(self->fd, 0, &__c0);				\
		test_err_bind(EOPNOTSUPP, self->fd, __dev);			\
		test_cmd_counters(self->fd, 0, &__c1);				\
		ASSERT_EQ(__c0.alloc_calls + (asked), __c1.alloc_calls);	\
		ASSERT_EQ(__c0.domains_allocated, __c1.domains_allocated);	\
		ASSERT_EQ(__c0.attach_calls, __c1.attach_calls);		\
		ASSERT_EQ(__c0.bonds_alive, __c1.bonds_alive);			\
		ASSERT_EQ(0, mock_mm_domains(self->fd));			\
		test_pasid_domain(self->fd, __dev, 1, 0);			\
		test_cmd_destroy(self->fd, __dev);				\
		test_cmd_destroy(self->fd, __inst);				\
	})

/*
 * A driver without SVA at all (no domain_alloc_sva op): the core refuses
 * the bind itself, with -EOPNOTSUPP, and asks the driver nothing
 */
TEST_F(pasid, driver_without_sva_op)
{
	test_bind_refused_by_instance(MOCK_IOMMU_INSTANCE_NO_SVA_OP, 0);
}

/* An IOMMU without SVA support: the driver is asked and says no */
TEST_F(pasid, instance_without_sva)
{
	test_bind_refused_by_instance(MOCK_IOMMU_INSTANCE_NO_SVA, 1);
}

TEST_HARNESS_MAIN
