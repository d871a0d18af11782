// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths of iommu_sva_bind_device(): the mock driver fails domain
 * allocation or PASID attach on demand, and the core must return the
 * driver's errno and unwind to exactly the state before the call: no
 * domain, handle or PASID-table entry left, nothing else disturbed.
 */
#include "mock_iommu_utils.h"

FIXTURE(faults) {
	int fd;
	__u32 instance[2];
	__u32 dev[2];		/* instance[0], a group each */
	__u32 other;		/* instance[1] */
	__u32 group[2];		/* instance[0], one group */
	struct mock_iommu_counters c0;
};

FIXTURE_SETUP(faults)
{
	const char *skip;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &self->instance[0]);
	test_cmd_instance_create(self->fd, 0, 0, &self->instance[1]);
	test_cmd_device_create(self->fd, self->instance[0], MOCK_PASID_BITS, 0, &self->dev[0]);
	test_cmd_device_create(self->fd, self->instance[0], MOCK_PASID_BITS, 0, &self->dev[1]);
	test_cmd_device_create(self->fd, self->instance[1], MOCK_PASID_BITS, 0, &self->other);
	test_cmd_device_create(self->fd, self->instance[0], MOCK_PASID_BITS, 0, &self->group[0]);
	test_cmd_device_create(self->fd, self->instance[0], MOCK_PASID_BITS, self->group[0],
			       &self->group[1]);
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(faults)
{
	test_close_leaves_nothing(self->fd);
}

/* Counters after the failed call, against self->c0 taken before it */
#define test_counters_delta(allocs, domains, attaches, failed, detaches, injected) \
	({								\
		struct mock_iommu_counters __c;				\
		test_cmd_counters(self->fd, 0, &__c);			\
		ASSERT_EQ(self->c0.alloc_calls + (allocs), __c.alloc_calls); \
		ASSERT_EQ(self->c0.domains_alive + (domains), __c.domains_alive); \
		ASSERT_EQ(self->c0.attach_calls + (attaches), __c.attach_calls); \
		ASSERT_EQ(self->c0.attach_failed + (failed), __c.attach_failed); \
		ASSERT_EQ(self->c0.detach_calls + (detaches), __c.detach_calls); \
		ASSERT_EQ(self->c0.faults_injected + (injected), __c.faults_injected); \
		ASSERT_EQ(self->c0.bonds_alive, __c.bonds_alive);	\
		ASSERT_EQ(self->c0.handles_alive, __c.handles_alive);	\
	})

#define snapshot() test_cmd_counters(self->fd, 0, &self->c0)

TEST_F(faults, alloc_fails_on_first_bind)
{
	struct mock_iommu_sva_info b;

	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC, 0, 1, ENOMEM);
	snapshot();
	test_err_bind(ENOMEM, self->fd, self->dev[0]);
	test_counters_delta(1, 0, 0, 0, 0, 1);
	ASSERT_EQ(0, mock_mm_domains(self->fd));

	/* The injection is spent: the same bind now works */
	test_cmd_bind(self->fd, self->dev[0], &b);
	ASSERT_EQ(1, b.handle_users);
	ASSERT_EQ(1, b.domain_users);
	test_cmd_destroy(self->fd, b.bond_id);
}

TEST_F(faults, attach_fails_on_first_bind)
{
	struct mock_iommu_sva_info b;
	__u32 pasid;

	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, 0, 1, EIO);
	snapshot();
	test_err_bind(EIO, self->fd, self->dev[0]);
	/* A domain was allocated for the attach, and freed again */
	test_counters_delta(1, 0, 1, 1, 0, 1);
	pasid = mock_mm_pasid(self->fd);
	if (pasid != NO_PASID)
		test_pasid_domain(self->fd, self->dev[0], pasid, 0);

	test_cmd_bind(self->fd, self->dev[0], &b);
	if (pasid != NO_PASID)
		ASSERT_EQ(pasid, b.pasid);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, b.domain_id);
	test_cmd_destroy(self->fd, b.bond_id);
}

/*
 * The mm already has a domain on this instance, but it cannot be attached
 * to the second device, nor can a fresh one: the bind fails and the first
 * device keeps its attachment untouched.
 */
TEST_F(faults, attach_fails_on_shared_bind)
{
	struct mock_iommu_sva_info a;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, self->dev[1], 2, EIO);
	snapshot();
	test_err_bind(EIO, self->fd, self->dev[1]);
	test_counters_delta(1, 0, 2, 2, 0, 2);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
	test_pasid_domain(self->fd, self->dev[1], a.pasid, 0);
	test_domain_users(self->fd, a.domain_id, 1);
	ASSERT_EQ(1, mock_mm_domains(self->fd));
	test_cmd_destroy(self->fd, a.bond_id);
}

/* When only the shared domain is refused, the core falls back to a new one */
TEST_F(faults, shared_bind_falls_back_to_new_domain)
{
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, self->dev[1], 1, EIO);
	snapshot();
	test_cmd_bind(self->fd, self->dev[1], &b);
	ASSERT_NE(a.domain_id, b.domain_id);
	ASSERT_EQ(a.pasid, b.pasid);
	ASSERT_EQ(1, b.domain_users);
	test_domain_users(self->fd, a.domain_id, 1);
	test_pasid_domain(self->fd, self->dev[1], a.pasid, b.domain_id);
	ASSERT_EQ(2, mock_mm_domains(self->fd));
	test_cmd_destroy(self->fd, b.bond_id);
	test_domain_freed(self->fd, b.domain_id);
	test_domain_users(self->fd, a.domain_id, 1);
	test_cmd_destroy(self->fd, a.bond_id);
}

/*
 * A group's PASID attach covers every member. When the second member
 * refuses, the first must be rolled back: no stale entry in its table.
 */
TEST_F(faults, attach_fails_on_second_group_member)
{
	struct mock_iommu_sva_info b;
	__u32 pasid;

	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, self->group[1], 1, EIO);
	snapshot();
	test_err_bind(EIO, self->fd, self->group[0]);
	/* group[0] attached, group[1] refused, group[0] rolled back */
	test_counters_delta(1, 0, 2, 1, 1, 1);
	pasid = mock_mm_pasid(self->fd);
	ASSERT_NE(NO_PASID, pasid);
	test_pasid_domain(self->fd, self->group[0], pasid, 0);
	test_pasid_domain(self->fd, self->group[1], pasid, 0);

	test_cmd_bind(self->fd, self->group[0], &b);
	test_pasid_domain(self->fd, self->group[0], b.pasid, b.domain_id);
	test_pasid_domain(self->fd, self->group[1], b.pasid, b.domain_id);
	test_cmd_destroy(self->fd, b.bond_id);
}

/* A failure on one instance leaves the mm's domain on another alone */
TEST_F(faults, alloc_fails_on_other_instance)
{
	struct mock_iommu_sva_info a;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC, self->instance[1], 1,
			      ENOMEM);
	snapshot();
	test_err_bind(ENOMEM, self->fd, self->other);
	/* The existing domain was offered first, and refused as foreign */
	test_counters_delta(1, 0, 1, 1, 0, 1);
	test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
	test_pasid_domain(self->fd, self->other, a.pasid, 0);
	test_domain_users(self->fd, a.domain_id, 1);
	ASSERT_EQ(1, mock_mm_domains(self->fd));
	test_cmd_destroy(self->fd, a.bond_id);
}

/* A bind that only takes a reference never calls the driver */
TEST_F(faults, rebind_does_not_reach_driver)
{
	struct mock_iommu_sva_info a, b;

	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC, 0, 1, ENOMEM);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, 0, 1, EIO);
	snapshot();
	test_cmd_bind(self->fd, self->dev[0], &b);
	ASSERT_EQ(a.handle_id, b.handle_id);
	ASSERT_EQ(2, b.handle_users);
	test_cmd_destroy(self->fd, b.bond_id);
	test_counters_delta(0, 0, 0, 0, 0, 0);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC, 0, 0, 0);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, 0, 0, 0);
	test_cmd_destroy(self->fd, a.bond_id);
}

/* An injection aimed at one device spares the others */
TEST_F(faults, injection_hits_only_its_target)
{
	struct mock_iommu_sva_info a;

	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, self->dev[1], 1, EIO);
	snapshot();
	test_cmd_bind(self->fd, self->dev[0], &a);
	test_cmd_destroy(self->fd, a.bond_id);
	test_counters_delta(1, 0, 1, 0, 1, 0);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_SET_DEV_PASID, 0, 0, 0);
}

/* Closing the file that armed an injection disarms it */
TEST_F(faults, close_disarms)
{
	struct mock_iommu_sva_info b;
	int fd2 = open(MOCK_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd2);
	test_cmd_fault_inject(fd2, MOCK_IOMMU_FAULT_DOMAIN_ALLOC, 0, 5, ENOMEM);
	close(fd2);
	snapshot();
	test_cmd_bind(self->fd, self->dev[0], &b);
	test_cmd_destroy(self->fd, b.bond_id);
	test_counters_delta(1, 0, 1, 0, 1, 0);
}

TEST_HARNESS_MAIN
