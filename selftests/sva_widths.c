// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU groups whose members have different PASID widths. Attaching a
 * PASID attaches it to every member of the group that has PASIDs, so a
 * PASID beyond any member's reach must fail the whole attach with -EINVAL
 * before any member is touched; members without PASID support take no
 * part, neither in the attach nor in the detach. Every claim is read back
 * from the mock's PASID tables and per-device counters.
 */
#include "mock_iommu_utils.h"

#define MAX_BINDERS 8

/* Processes holding PASIDs, with the file their bonds live in */
struct binders {
	int fd;
	unsigned int n;
	struct mock_binder b[MAX_BINDERS];
};

FIXTURE(widths) {
	int fd;
	__u32 iommu;
	__u32 single;		/* alone, max_pasids 2: PASID 1 only */
	__u32 solo;		/* alone, full width */
	__u32 wide;		/* full width, leads the group below */
	__u32 narrow;		/* in wide's group, max_pasids 2 */
	__u32 none;		/* in wide's group, no PASIDs */
	struct binders pool;
};

FIXTURE_VARIANT(widths) {
	bool with_narrow;	/* the group has the narrow member */
};

FIXTURE_VARIANT_ADD(widths, wide_narrow_none) {
	.with_narrow = true,
};

FIXTURE_VARIANT_ADD(widths, wide_none) {
	.with_narrow = false,
};

FIXTURE_SETUP(widths)
{
	struct mock_iommu_device_create out;
	const char *skip;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &self->iommu);
	ASSERT_EQ(0, _test_cmd_device_create(self->fd, self->iommu, 1, 0, &out));
	ASSERT_EQ(2, out.out_max_pasids);
	self->single = out.out_device_id;
	test_cmd_device_create(self->fd, self->iommu, MOCK_PASID_BITS, 0, &self->solo);
	test_cmd_device_create(self->fd, self->iommu, MOCK_PASID_BITS, 0, &self->wide);
	if (variant->with_narrow) {
		ASSERT_EQ(0, _test_cmd_device_create(self->fd, self->iommu, 1, self->wide, &out));
		ASSERT_EQ(2, out.out_max_pasids);
		self->narrow = out.out_device_id;
	}
	ASSERT_EQ(0, _test_cmd_device_create(self->fd, self->iommu, 0, self->wide, &out));
	ASSERT_EQ(0, out.out_max_pasids);
	self->none = out.out_device_id;
	self->pool.fd = self->fd;
	skip = mock_sva_disabled(self->fd, self->solo);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(widths)
{
	while (self->pool.n)
		mock_binder_stop(&self->pool.b[--self->pool.n], SIGKILL);
	test_close_leaves_nothing(self->fd);
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
 * Have a live process hold PASID 1, the only one @single can use, so that
 * every fresh mm gets a PASID of 2 or more. A dying mm of an earlier test
 * may still hold it: retry until it is back (bounded).
 */
static int hold_pasid_1(struct binders *pool, __u32 single)
{
	long long deadline = mock_now_ms() + MOCK_POLL_MS;

	while (mock_now_ms() < deadline && pool->n < MAX_BINDERS) {
		struct mock_binder *b = &pool->b[pool->n];

		if (mock_binder_start(pool->fd, single, b))
			return -1;
		pool->n++;
		if (!b->err)
			return b->pasid == 1 ? 0 : -1;
		if (b->err != ENOSPC || drop_binder(pool))
			return -1;
		mock_sleep_ms(20);
	}
	return -1;
}

/* The device's view of @pasid: its domain there, and its PASIDs in use */
#define test_pasid_state(dev, pasid, domain_id, attached)			\
	({									\
		struct mock_iommu_pasid_info __pi;				\
		ASSERT_EQ(0, _test_cmd_pasid_info(self->fd, dev, pasid, &__pi)); \
		ASSERT_EQ(domain_id, __pi.out_domain_id);			\
		ASSERT_EQ(attached, __pi.out_attached);				\
	})

/*
 * With the narrow member: the mm's PASID (2 or more) is beyond it, so the
 * group cannot take it: -EINVAL, and no member has anything attached; the
 * domain the core allocated for the attempt is freed, the mm's other bond
 * untouched. Without it the same bind works.
 */
TEST_F(widths, pasid_beyond_a_member)
{
	struct mock_iommu_counters c0, c1, d0, d1;
	struct mock_iommu_sva_info s, w = {};
	int err;

	ASSERT_EQ(0, hold_pasid_1(&self->pool, self->single));
	test_cmd_bind(self->fd, self->solo, &s);
	ASSERT_LE(2, s.pasid);

	test_cmd_counters(self->fd, 0, &c0);
	test_cmd_counters(self->fd, self->none, &d0);
	err = _test_cmd_bind(self->fd, self->wide, &w);
	test_cmd_counters(self->fd, 0, &c1);
	test_cmd_counters(self->fd, self->none, &d1);
	if (variant->with_narrow) {
		ASSERT_EQ(-EINVAL, err);
		/* Refused before the driver saw an attach; one domain tried */
		ASSERT_EQ(c0.attach_calls, c1.attach_calls);
		ASSERT_EQ(c0.alloc_calls + 1, c1.alloc_calls);
		ASSERT_EQ(c0.domains_allocated + 1, c1.domains_allocated);
		ASSERT_EQ(c0.domains_freed + 1, c1.domains_freed);
		ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);
		ASSERT_EQ(c0.handles_alive, c1.handles_alive);
		test_pasid_state(self->wide, s.pasid, 0, 0);
		test_pasid_state(self->narrow, s.pasid, 0, 0);
		test_pasid_state(self->none, s.pasid, 0, 0);
		ASSERT_EQ(1, mock_mm_domains(self->fd));
	} else {
		ASSERT_EQ(0, err);
		/* The shared domain, on wide only */
		ASSERT_EQ(s.domain_id, w.domain_id);
		ASSERT_EQ(c0.attach_calls + 1, c1.attach_calls);
		test_pasid_state(self->wide, s.pasid, s.domain_id, 1);
		test_pasid_state(self->none, s.pasid, 0, 0);
		test_cmd_destroy(self->fd, w.bond_id);
		test_pasid_state(self->wide, s.pasid, 0, 0);
	}
	/* The member without PASIDs was never called */
	ASSERT_EQ(d0.attach_calls, d1.attach_calls);
	ASSERT_EQ(d0.detach_calls, d1.detach_calls);
	test_pasid_state(self->solo, s.pasid, s.domain_id, 1);
	test_domain_users(self->fd, s.domain_id, 1);
	test_cmd_destroy(self->fd, s.bond_id);
	while (self->pool.n)
		ASSERT_EQ(0, drop_binder(&self->pool));
}

/*
 * A PASID every member with PASIDs can use: the group's attach covers
 * them all and skips the member without PASIDs, and so does the detach:
 * its PASID table stays empty and its driver callbacks are never called.
 */
TEST_F(widths, member_without_pasids_is_left_alone)
{
	struct mock_iommu_counters c0, c1, n0, n1;
	struct mock_iommu_sva_info w;
	int members = variant->with_narrow ? 2 : 1;

	/*
	 * narrow can only use PASID 1: the test runs in a child whose fresh mm
	 * takes it, once no dying mm of an earlier test holds it any more.
	 */
	if (variant->with_narrow) {
		long long deadline = mock_now_ms() + MOCK_POLL_MS;
		int st, fd = self->fd;
		pid_t pid;

		do {
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0) {
				CHILD_CHECK(!_test_cmd_bind(self->fd, self->single, &w), 2);
				CHILD_CHECK(w.pasid == 1, 3);
				CHILD_CHECK(!_test_cmd_destroy(self->fd, w.bond_id), 4);
				CHILD_CHECK(!_test_cmd_counters(self->fd, self->none, &n0), 5);
				CHILD_CHECK(!_test_cmd_counters(self->fd, 0, &c0), 5);
				CHILD_CHECK(!_test_cmd_bind(self->fd, self->wide, &w), 6);
				CHILD_CHECK(mock_pasid_domain(fd, self->wide, 1) == w.domain_id, 7);
				CHILD_CHECK(mock_pasid_domain(fd, self->narrow, 1) == w.domain_id,
					    8);
				CHILD_CHECK(mock_pasid_domain(self->fd, self->none, 1) == 0, 9);
				CHILD_CHECK(!_test_cmd_destroy(self->fd, w.bond_id), 10);
				CHILD_CHECK(mock_pasid_domain(self->fd, self->wide, 1) == 0, 11);
				CHILD_CHECK(mock_pasid_domain(self->fd, self->narrow, 1) == 0, 12);
				CHILD_CHECK(!_test_cmd_counters(self->fd, 0, &c1), 13);
				CHILD_CHECK(!_test_cmd_counters(self->fd, self->none, &n1), 13);
				/* Attached to and detached from both, never "none" */
				CHILD_CHECK(c1.attach_calls - c0.attach_calls == 2, 14);
				CHILD_CHECK(c1.detach_calls - c0.detach_calls == 2, 15);
				CHILD_CHECK(n1.attach_calls == n0.attach_calls, 16);
				CHILD_CHECK(n1.detach_calls == n0.detach_calls, 17);
				_exit(0);
			}
			st = mock_wait_exit(pid);
			if (st != 2)
				break;
			/* PASID 1 still held by a dying mm: try again */
			mock_sleep_ms(20);
		} while (mock_now_ms() < deadline);
		ASSERT_EQ(0, st) TH_LOG("child step %d failed", st);
		return;
	}

	test_cmd_counters(self->fd, 0, &c0);
	test_cmd_counters(self->fd, self->none, &n0);
	test_cmd_bind(self->fd, self->wide, &w);
	test_pasid_state(self->wide, w.pasid, w.domain_id, 1);
	test_pasid_state(self->none, w.pasid, 0, 0);
	test_cmd_destroy(self->fd, w.bond_id);
	test_pasid_state(self->wide, w.pasid, 0, 0);
	test_pasid_state(self->none, w.pasid, 0, 0);
	test_cmd_counters(self->fd, 0, &c1);
	test_cmd_counters(self->fd, self->none, &n1);
	ASSERT_EQ(c0.attach_calls + members, c1.attach_calls);
	ASSERT_EQ(c0.detach_calls + members, c1.detach_calls);
	ASSERT_EQ(n0.attach_calls, n1.attach_calls);
	ASSERT_EQ(n0.detach_calls, n1.detach_calls);
}

TEST_HARNESS_MAIN
