// SPDX-License-Identifier: GPL-2.0
/*
 * Binding one mm to devices: multi-bind of one (device, mm) pair, and the
 * "mm PASID 1:n" sharing of SVA domains across devices and IOMMU instances.
 *
 * The 6.8-rc1 rework broke a second bind of the same pair (-EBUSY), and its
 * first fix detached the PASID with a WARNING: every test here pins the
 * exact handle, domain, user counts and PASID tables after each step.
 */
#include "mock_iommu_utils.h"

FIXTURE(sva) {
	int fd;
	__u32 instance[2];
	__u32 dev[2];
	__u32 max_pasids[2];
};

/*
 * Two devices, in the topology of the variant. What binding the same mm to
 * both must produce follows from the topology: the core shares a handle
 * per group, and a domain per IOMMU instance.
 */
FIXTURE_VARIANT(sva) {
	unsigned int instances;	/* dev[i] sits on instance[i % instances] */
	bool shared_group;	/* dev[1] joins dev[0]'s group */
	__u32 max_pasids;	/* of each instance, 0 for the module default */
	bool same_domain;
	bool same_handle;
};

FIXTURE_VARIANT_ADD(sva, one_instance) {
	.instances = 1,
	.same_domain = true,
};

FIXTURE_VARIANT_ADD(sva, two_instances) {
	.instances = 2,
};

FIXTURE_VARIANT_ADD(sva, shared_group) {
	.instances = 1,
	.shared_group = true,
	.same_domain = true,
	.same_handle = true,
};

FIXTURE_VARIANT_ADD(sva, small_max_pasids) {
	.instances = 1,
	.max_pasids = 16,
	.same_domain = true,
};

FIXTURE_SETUP(sva)
{
	const char *skip;
	struct mock_iommu_device_create out;
	unsigned int i;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	for (i = 0; i < variant->instances; i++)
		test_cmd_instance_create(self->fd, variant->max_pasids, 0, &self->instance[i]);
	for (i = 0; i < 2; i++) {
		__u32 group_with = variant->shared_group && i ? self->dev[0] : 0;

		ASSERT_EQ(0, _test_cmd_device_create(self->fd,
						     self->instance[i % variant->instances],
						     MOCK_PASID_BITS, group_with, &out));
		self->dev[i] = out.out_device_id;
		self->max_pasids[i] = out.out_max_pasids;
		if (variant->max_pasids)
			ASSERT_EQ(variant->max_pasids, out.out_max_pasids);
	}
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(sva)
{
	test_close_leaves_nothing(self->fd);
}

/* The devices that share dev[0]'s group see every PASID attach of it */
#define group_size(variant) ((variant)->shared_group ? 2 : 1)

TEST_F(sva, bind_unbind)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_domain_info di;
	struct mock_iommu_sva_info b;

	ASSERT_EQ(NO_PASID, mock_mm_pasid(self->fd));
	test_cmd_counters(self->fd, 0, &c0);

	test_cmd_bind(self->fd, self->dev[0], &b);
	ASSERT_LT(0, b.pasid);
	ASSERT_GT(self->max_pasids[0], b.pasid);
	ASSERT_EQ(b.pasid, mock_mm_pasid(self->fd));
	ASSERT_EQ(self->dev[0], b.device_id);
	ASSERT_EQ(1, b.handle_users);
	ASSERT_EQ(1, b.domain_users);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, b.domain_id);

	test_cmd_domain_info(self->fd, b.domain_id, &di);
	ASSERT_EQ(self->instance[0], di.out_instance_id);
	ASSERT_EQ(1, di.out_users);
	ASSERT_EQ(group_size(variant), di.out_attached);
	ASSERT_EQ(b.pasid, di.out_pasid);
	ASSERT_EQ(MOCK_IOMMU_DOMAIN_CURRENT_MM, di.out_flags);
	ASSERT_EQ(1, mock_mm_domains(self->fd));

	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.domains_allocated + 1, c1.domains_allocated);
	ASSERT_EQ(c0.attach_calls + group_size(variant), c1.attach_calls);
	ASSERT_EQ(c0.bonds_alive + 1, c1.bonds_alive);
	ASSERT_EQ(c0.handles_alive + 1, c1.handles_alive);

	test_cmd_destroy(self->fd, b.bond_id);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, 0);
	test_domain_freed(self->fd, b.domain_id);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.domains_freed + 1, c1.domains_freed);
	ASSERT_EQ(c0.detach_calls + group_size(variant), c1.detach_calls);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
	/* The PASID belongs to the mm until the mm is gone */
	ASSERT_EQ(b.pasid, mock_mm_pasid(self->fd));
}

/* The seed regression: the second bind of the same pair got -EBUSY */
TEST_F(sva, bind_same_pair_twice)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_counters(self->fd, 0, &c0);
	test_cmd_bind(self->fd, self->dev[0], &b);
	ASSERT_NE(a.bond_id, b.bond_id);
	ASSERT_EQ(a.handle_id, b.handle_id);
	ASSERT_EQ(a.domain_id, b.domain_id);
	ASSERT_EQ(a.pasid, b.pasid);
	ASSERT_EQ(2, b.handle_users);
	ASSERT_EQ(1, b.domain_users);

	/* A second reference, not a second attach or domain */
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.attach_calls, c1.attach_calls);
	ASSERT_EQ(c0.domains_allocated, c1.domains_allocated);
	ASSERT_EQ(c0.handles_alive, c1.handles_alive);

	test_cmd_bond_info(self->fd, a.bond_id, &a);
	ASSERT_EQ(2, a.handle_users);

	/* The first unbind drops a reference and leaves the PASID attached */
	test_cmd_destroy(self->fd, a.bond_id);
	test_cmd_bond_info(self->fd, b.bond_id, &b);
	ASSERT_EQ(1, b.handle_users);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, b.domain_id);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.detach_calls, c1.detach_calls);

	test_cmd_destroy(self->fd, b.bond_id);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, 0);
	test_domain_freed(self->fd, b.domain_id);
}

/* Three binds of one pair, unbound in every order: detach only at the last */
TEST_F(sva, multi_bind_unbind_orders)
{
	static const int orders[][3] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 1, 0, 2 },
	};
	struct mock_iommu_sva_info b[3], info;
	unsigned int o, i;

	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		for (i = 0; i < 3; i++) {
			test_cmd_bind(self->fd, self->dev[0], &b[i]);
			ASSERT_EQ(b[0].handle_id, b[i].handle_id);
			ASSERT_EQ(i + 1, b[i].handle_users);
		}
		for (i = 0; i < 3; i++) {
			const struct mock_iommu_sva_info *gone = &b[orders[o][i]];

			test_cmd_destroy(self->fd, gone->bond_id);
			ASSERT_EQ(-ENOENT, _test_cmd_bond_info(self->fd, gone->bond_id, NULL));
			if (i == 2)
				break;
			test_cmd_bond_info(self->fd, b[orders[o][2]].bond_id, &info);
			ASSERT_EQ(2 - i, info.handle_users);
			test_pasid_domain(self->fd, self->dev[0], b[0].pasid, b[0].domain_id);
			test_domain_users(self->fd, b[0].domain_id, 1);
		}
		test_pasid_domain(self->fd, self->dev[0], b[0].pasid, 0);
		test_domain_freed(self->fd, b[0].domain_id);
	}
}

/* Threads of one process bind the same pair at once, as uacce queues do */
#define BIND_THREADS 8

struct bind_thread {
	pthread_barrier_t *barrier;
	int fd;
	__u32 dev;
	int ret;
	struct mock_iommu_sva_info info;
};

static void *bind_thread_fn(void *arg)
{
	struct bind_thread *t = arg;

	pthread_barrier_wait(t->barrier);
	t->ret = _test_cmd_bind(t->fd, t->dev, &t->info);
	/* All bound; then wait until the test thread has looked */
	pthread_barrier_wait(t->barrier);
	pthread_barrier_wait(t->barrier);
	if (!t->ret)
		t->ret = _test_cmd_destroy(t->fd, t->info.bond_id);
	return NULL;
}

TEST_F(sva, bind_from_threads)
{
	struct bind_thread t[BIND_THREADS];
	pthread_t tid[BIND_THREADS];
	struct mock_iommu_counters c0, c1;
	pthread_barrier_t barrier;
	unsigned int i;

	test_cmd_counters(self->fd, 0, &c0);
	/* The test thread joins every rendezvous, so it can look in between */
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, BIND_THREADS + 1));
	for (i = 0; i < BIND_THREADS; i++) {
		t[i] = (struct bind_thread){ &barrier, self->fd, self->dev[0] };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, bind_thread_fn, &t[i]));
	}
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	/* Every bind has returned; none has been unbound yet */
	for (i = 0; i < BIND_THREADS; i++) {
		ASSERT_EQ(0, t[i].ret);
		ASSERT_EQ(t[0].info.handle_id, t[i].info.handle_id);
		ASSERT_EQ(t[0].info.domain_id, t[i].info.domain_id);
		ASSERT_EQ(t[0].info.pasid, t[i].info.pasid);
	}
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.domains_allocated + 1, c1.domains_allocated);
	ASSERT_EQ(c0.attach_calls + group_size(variant), c1.attach_calls);
	ASSERT_EQ(c0.handles_alive + 1, c1.handles_alive);
	ASSERT_EQ(c0.bonds_alive + BIND_THREADS, c1.bonds_alive);
	test_cmd_bond_info(self->fd, t[0].info.bond_id, &t[0].info);
	ASSERT_EQ(BIND_THREADS, t[0].info.handle_users);

	/* Now they all unbind at once */
	pthread_barrier_wait(&barrier);
	for (i = 0; i < BIND_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		ASSERT_EQ(0, t[i].ret);
	}
	pthread_barrier_destroy(&barrier);
	test_pasid_domain(self->fd, self->dev[0], t[0].info.pasid, 0);
	test_domain_freed(self->fd, t[0].info.domain_id);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.detach_calls + group_size(variant), c1.detach_calls);
}

/* One mm, two devices: what is shared follows the topology */
TEST_F(sva, bind_two_devices)
{
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_bind(self->fd, self->dev[1], &b);
	ASSERT_EQ(a.pasid, b.pasid);
	ASSERT_EQ(variant->same_handle, a.handle_id == b.handle_id);
	ASSERT_EQ(variant->same_domain, a.domain_id == b.domain_id);
	ASSERT_EQ(variant->same_handle ? 2 : 1, b.handle_users);
	/* domain->users counts attachments the core made, not binds */
	ASSERT_EQ(variant->same_domain && !variant->same_handle ? 2 : 1, b.domain_users);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
	test_pasid_domain(self->fd, self->dev[1], a.pasid, b.domain_id);
	ASSERT_EQ(variant->same_domain ? 1 : 2, mock_mm_domains(self->fd));

	/* Unbinding dev[0] frees exactly what dev[1] does not use */
	test_cmd_destroy(self->fd, a.bond_id);
	if (variant->same_handle) {
		/* The group's handle is still referenced: nothing detaches */
		test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
		test_domain_users(self->fd, b.domain_id, 1);
	} else if (variant->same_domain) {
		test_pasid_domain(self->fd, self->dev[0], a.pasid, 0);
		test_domain_users(self->fd, b.domain_id, 1);
	} else {
		test_pasid_domain(self->fd, self->dev[0], a.pasid, 0);
		test_domain_freed(self->fd, a.domain_id);
		test_domain_users(self->fd, b.domain_id, 1);
	}
	test_pasid_domain(self->fd, self->dev[1], b.pasid, b.domain_id);
	ASSERT_EQ(1, mock_mm_domains(self->fd));

	test_cmd_destroy(self->fd, b.bond_id);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, 0);
	test_pasid_domain(self->fd, self->dev[1], b.pasid, 0);
	test_domain_freed(self->fd, b.domain_id);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
	ASSERT_EQ(a.pasid, mock_mm_pasid(self->fd));
}

/* After the last unbind the mm keeps its PASID; a rebind gets a new domain */
TEST_F(sva, rebind_keeps_pasid)
{
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_destroy(self->fd, a.bond_id);
	test_cmd_bind(self->fd, self->dev[1], &b);
	ASSERT_EQ(a.pasid, b.pasid);
	ASSERT_NE(a.domain_id, b.domain_id);
	ASSERT_EQ(1, b.handle_users);
	ASSERT_EQ(1, b.domain_users);
	test_pasid_domain(self->fd, self->dev[1], b.pasid, b.domain_id);
	test_cmd_destroy(self->fd, b.bond_id);
}

/* Unbinding one device never disturbs another device's PASID state */
TEST_F(sva, unbind_leaves_other_pairs)
{
	struct mock_iommu_sva_info a1, a2, b;

	test_cmd_bind(self->fd, self->dev[0], &a1);
	test_cmd_bind(self->fd, self->dev[1], &b);
	test_cmd_bind(self->fd, self->dev[0], &a2);
	ASSERT_EQ(a1.handle_id, a2.handle_id);

	test_cmd_destroy(self->fd, b.bond_id);
	test_pasid_domain(self->fd, self->dev[0], a1.pasid, a1.domain_id);
	test_cmd_bond_info(self->fd, a2.bond_id, &a2);
	ASSERT_EQ(2, a2.handle_users);
	test_domain_users(self->fd, a1.domain_id, 1);

	test_cmd_destroy(self->fd, a1.bond_id);
	test_cmd_destroy(self->fd, a2.bond_id);
	test_domain_freed(self->fd, a1.domain_id);
}

/*
 * One mm bound to devices of two instances, by the kind of the instances.
 * arm-smmu-v3 builds an SVA domain for one SMMU and refuses it on a master
 * of another (-EINVAL), so the core allocates a domain per instance; the
 * Intel driver's SVA domain serves all its IOMMUs, so the core reuses the
 * mm's domain. A domain of another driver must never even be offered: the
 * core checks domain->owner before calling set_dev_pasid().
 */
FIXTURE(sva_kind) {
	int fd;
	__u32 instance[2];
	__u32 dev[2];		/* dev[i] on instance[i] */
};

FIXTURE_VARIANT(sva_kind) {
	__u32 flags[2];		/* of instance[0] and instance[1] */
	bool shared;		/* one domain serves both devices */
	/* set_dev_pasid() calls instance[1] gets for the second bind */
	unsigned int attach_calls;
};

FIXTURE_VARIANT_ADD(sva_kind, arm_like) {
	.attach_calls = 2,	/* instance[0]'s domain, refused; its own */
};

FIXTURE_VARIANT_ADD(sva_kind, intel_like) {
	.flags = { MOCK_IOMMU_INSTANCE_SHARED_SVA, MOCK_IOMMU_INSTANCE_SHARED_SVA },
	.shared = true,
	.attach_calls = 1,
};

/* Only one of the two is Intel-like: the arm-like one decides */
FIXTURE_VARIANT_ADD(sva_kind, intel_like_and_arm_like) {
	.flags = { MOCK_IOMMU_INSTANCE_SHARED_SVA, 0 },
	.attach_calls = 2,
};

/* instance[1] is another driver: the core never offers it the domain */
FIXTURE_VARIANT_ADD(sva_kind, foreign_driver) {
	.flags = { 0, MOCK_IOMMU_INSTANCE_FOREIGN },
	.attach_calls = 1,
};

/* Sharing stops at the driver: Intel-like instances of two drivers */
FIXTURE_VARIANT_ADD(sva_kind, foreign_intel_like) {
	.flags = { MOCK_IOMMU_INSTANCE_SHARED_SVA,
		   MOCK_IOMMU_INSTANCE_SHARED_SVA | MOCK_IOMMU_INSTANCE_FOREIGN },
	.attach_calls = 1,
};

FIXTURE_SETUP(sva_kind)
{
	const char *skip;
	unsigned int i;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	for (i = 0; i < 2; i++) {
		test_cmd_instance_create(self->fd, 0, variant->flags[i], &self->instance[i]);
		test_cmd_device_create(self->fd, self->instance[i], MOCK_PASID_BITS, 0,
				       &self->dev[i]);
	}
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(sva_kind)
{
	test_close_leaves_nothing(self->fd);
}

/* The counters of instance @inst moved by exactly these since @c0 */
#define test_instance_delta(inst, c0, allocs, attaches, failed, detaches)	\
	({									\
		struct mock_iommu_counters __c, __c0 = (c0);			\
		test_cmd_counters(self->fd, inst, &__c);			\
		ASSERT_EQ(__c0.alloc_calls + (allocs), __c.alloc_calls);	\
		ASSERT_EQ(__c0.attach_calls + (attaches), __c.attach_calls);	\
		ASSERT_EQ(__c0.attach_failed + (failed), __c.attach_failed);	\
		ASSERT_EQ(__c0.detach_calls + (detaches), __c.detach_calls);	\
		ASSERT_EQ(__c0.unexpected_calls, __c.unexpected_calls);		\
	})

TEST_F(sva_kind, one_mm_two_instances)
{
	struct mock_iommu_counters i0, i1;
	struct mock_iommu_domain_info di;
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_counters(self->fd, self->instance[0], &i0);
	test_cmd_counters(self->fd, self->instance[1], &i1);
	test_cmd_bind(self->fd, self->dev[1], &b);
	ASSERT_EQ(a.pasid, b.pasid);
	ASSERT_NE(a.handle_id, b.handle_id);
	if (variant->shared) {
		ASSERT_EQ(a.domain_id, b.domain_id);
		ASSERT_EQ(2, b.domain_users);
		ASSERT_EQ(1, mock_mm_domains(self->fd));
		test_instance_delta(self->instance[1], i1, 0, 1, 0, 0);
	} else {
		/* Domain ids are handed out in order: the next one is b's */
		ASSERT_EQ(a.domain_id + 1, b.domain_id);
		ASSERT_EQ(1, b.domain_users);
		ASSERT_EQ(2, mock_mm_domains(self->fd));
		test_instance_delta(self->instance[1], i1, 1, variant->attach_calls,
				    variant->attach_calls - 1, 0);
		test_domain_users(self->fd, b.domain_id, 1);
	}
	test_instance_delta(self->instance[0], i0, 0, 0, 0, 0);
	test_domain_users(self->fd, a.domain_id, variant->shared ? 2 : 1);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
	test_pasid_domain(self->fd, self->dev[1], a.pasid, b.domain_id);
	test_cmd_domain_info(self->fd, b.domain_id, &di);
	ASSERT_EQ(variant->shared ? self->instance[0] : self->instance[1], di.out_instance_id);
	ASSERT_EQ(variant->shared ? 2 : 1, di.out_attached);

	/* The first unbind leaves the other device's attachment alone */
	test_cmd_destroy(self->fd, a.bond_id);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, 0);
	test_pasid_domain(self->fd, self->dev[1], a.pasid, b.domain_id);
	ASSERT_EQ(variant->shared ? 0 : -ENOENT,
		  _test_cmd_domain_info(self->fd, a.domain_id, &di));
	if (variant->shared)
		ASSERT_EQ(1, di.out_users);
	test_cmd_bond_info(self->fd, b.bond_id, &b);
	ASSERT_EQ(1, b.domain_users);
	test_cmd_destroy(self->fd, b.bond_id);
	test_domain_freed(self->fd, b.domain_id);
	test_instance_delta(self->instance[0], i0, 0, 0, 0, 1);
	test_instance_delta(self->instance[1], i1, variant->shared ? 0 : 1,
			    variant->attach_calls, variant->attach_calls - 1, 1);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
}

/*
 * A shared domain outlives the instance that allocated it while a device
 * of another instance uses it; it is then no file's to query, but its
 * bond still reports it, and it is freed at the last unbind.
 */
TEST_F(sva_kind, domain_outlives_its_instance)
{
	struct mock_iommu_sva_info a, b;
	struct mock_iommu_counters c;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_bind(self->fd, self->dev[1], &b);
	test_cmd_destroy(self->fd, a.bond_id);
	test_cmd_destroy(self->fd, self->dev[0]);
	test_cmd_destroy(self->fd, self->instance[0]);
	test_cmd_bond_info(self->fd, b.bond_id, &b);
	ASSERT_EQ(variant->shared ? a.domain_id : a.domain_id + 1, b.domain_id);
	ASSERT_EQ(1, b.domain_users);
	/* A shared domain is instance[0]'s, which is gone */
	ASSERT_EQ(variant->shared ? -ENOENT : 0,
		  _test_cmd_domain_info(self->fd, b.domain_id, NULL));
	ASSERT_EQ(1, mock_mm_domains(self->fd));
	test_cmd_destroy(self->fd, b.bond_id);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
	test_cmd_counters(self->fd, 0, &c);
	ASSERT_EQ(0, c.domains_alive);
}

/*
 * The core attaches a group's PASIDs only to the members it has at the
 * time, and detaches them from every member: a device may not join a
 * group while a PASID of it is attached (the driver would see a detach of
 * an entry it never had), and may again once it is not.
 */
TEST_F(sva_kind, no_joining_a_bound_group)
{
	struct mock_iommu_sva_info a;
	__u32 peer, nopasid;

	test_cmd_device_create(self->fd, self->instance[0], 0, self->dev[0], &nopasid);
	test_cmd_bind(self->fd, self->dev[0], &a);
	test_err_device_create(EBUSY, self->fd, self->instance[0], MOCK_PASID_BITS,
			       self->dev[0]);
	/* Through a PASID-less member of the group just as well */
	test_err_device_create(EBUSY, self->fd, self->instance[0], MOCK_PASID_BITS, nopasid);
	test_cmd_destroy(self->fd, a.bond_id);
	test_cmd_device_create(self->fd, self->instance[0], MOCK_PASID_BITS, nopasid, &peer);
	test_cmd_bind(self->fd, self->dev[0], &a);
	test_pasid_domain(self->fd, peer, a.pasid, a.domain_id);
	test_cmd_destroy(self->fd, a.bond_id);
	test_pasid_domain(self->fd, peer, a.pasid, 0);
	test_cmd_destroy(self->fd, peer);
	test_cmd_destroy(self->fd, nopasid);
}

/*
 * Destroying a device parks it on the release domain (the blocked domain)
 * before release_device(): the mock counts a release of a device still on
 * its identity domain as an unexpected call.
 */
TEST_F(sva_kind, release_parks_device_blocked)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info a;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_destroy(self->fd, a.bond_id);
	test_cmd_counters(self->fd, self->instance[0], &c0);
	test_cmd_destroy(self->fd, self->dev[0]);
	test_cmd_counters(self->fd, self->instance[0], &c1);
	ASSERT_EQ(c0.devices_released + 1, c1.devices_released);
	ASSERT_EQ(c0.unexpected_calls, c1.unexpected_calls);
	ASSERT_EQ(0, c1.unexpected_calls);
}

/*
 * One mm across many instances: one domain per instance, one PASID, and
 * each unbind frees exactly its own domain. The core walks the mm's domain
 * list on every bind, trying each domain on the device.
 */
#define MANY_INSTANCES 6

FIXTURE(sva_many) {
	int fd;
	__u32 dev[MANY_INSTANCES];
};

FIXTURE_SETUP(sva_many)
{
	const char *skip;
	unsigned int i;
	__u32 instance;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	for (i = 0; i < MANY_INSTANCES; i++) {
		test_cmd_instance_create(self->fd, 0, 0, &instance);
		test_cmd_device_create(self->fd, instance, MOCK_PASID_BITS, 0, &self->dev[i]);
	}
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(sva_many)
{
	test_close_leaves_nothing(self->fd);
}

TEST_F(sva_many, one_domain_per_instance)
{
	struct mock_iommu_sva_info b[MANY_INSTANCES];
	struct mock_iommu_counters c0, c1;
	unsigned int i, j;

	test_cmd_counters(self->fd, 0, &c0);
	for (i = 0; i < MANY_INSTANCES; i++) {
		test_cmd_bind(self->fd, self->dev[i], &b[i]);
		ASSERT_EQ(b[0].pasid, b[i].pasid);
		ASSERT_EQ(1, b[i].domain_users);
		for (j = 0; j < i; j++)
			ASSERT_NE(b[j].domain_id, b[i].domain_id);
	}
	ASSERT_EQ(MANY_INSTANCES, mock_mm_domains(self->fd));
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.domains_allocated + MANY_INSTANCES, c1.domains_allocated);
	/* Every foreign domain was offered to the device first, and refused */
	ASSERT_EQ(c0.attach_failed + MANY_INSTANCES * (MANY_INSTANCES - 1) / 2,
		  c1.attach_failed);

	/* Unbind from the middle out: only the unbound instance's domain goes */
	for (i = 0; i < MANY_INSTANCES; i++) {
		unsigned int k = (i * 5 + 3) % MANY_INSTANCES;

		test_cmd_destroy(self->fd, b[k].bond_id);
		test_domain_freed(self->fd, b[k].domain_id);
		test_pasid_domain(self->fd, self->dev[k], b[k].pasid, 0);
		ASSERT_EQ(MANY_INSTANCES - i - 1, mock_mm_domains(self->fd));
	}
	ASSERT_EQ(b[0].pasid, mock_mm_pasid(self->fd));
}

/* A rebind after partial unbinds reuses the live domain of its instance */
TEST_F(sva_many, rebind_reuses_live_domain)
{
	struct mock_iommu_sva_info a, b, again;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_bind(self->fd, self->dev[1], &b);
	test_cmd_destroy(self->fd, b.bond_id);
	test_domain_freed(self->fd, b.domain_id);
	test_cmd_bind(self->fd, self->dev[0], &again);
	ASSERT_EQ(a.handle_id, again.handle_id);
	ASSERT_EQ(a.domain_id, again.domain_id);
	test_cmd_destroy(self->fd, again.bond_id);
	test_cmd_destroy(self->fd, a.bond_id);
}

TEST_HARNESS_MAIN
