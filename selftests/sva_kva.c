// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own address space. An IOMMU that walks a process' page
 * tables for SVA also caches the upper levels it walked, which the kernel
 * shares between every mm; when the kernel frees one of its page tables
 * (CONFIG_ASYNC_KERNEL_PGTABLE_FREE), iommu_sva_invalidate_kva_range()
 * flushes the kernel's range through every mm the SVA core lists as bound.
 * The mock makes the kernel free a page table (a huge vmalloc() replacing
 * an empty PTE table) and counts the kernel-range invalidations each SVA
 * domain, and a plain mmu notifier on an unbound mm, sees.
 *
 * What is pinned down: every live SVA domain of every bound mm hears the
 * flush, once per flush, and never records the kernel's range among the
 * user ranges; an mm whose last bond is gone is off the core's list and
 * hears nothing.
 */
#include "mock_iommu_utils.h"

FIXTURE(kva) {
	int fd;
	__u32 dev[3];		/* dev[0], dev[1]: one IOMMU, dev[2]: another */
	struct mock_binder child;
};

FIXTURE_SETUP(kva)
{
	const char *skip;
	__u32 iommu[2];
	int i;

	self->child.pid = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &iommu[0]);
	test_cmd_instance_create(self->fd, 0, 0, &iommu[1]);
	for (i = 0; i < 3; i++)
		test_cmd_device_create(self->fd, iommu[i / 2], MOCK_PASID_BITS, 0, &self->dev[i]);
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
	if (_test_cmd_kva_free(self->fd, 1, NULL, NULL) == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_ASYNC_PGTABLE_FREE);
}

FIXTURE_TEARDOWN(kva)
{
	if (self->child.pid > 0)
		mock_binder_stop(&self->child, SIGKILL);
	test_close_leaves_nothing(self->fd);
}

/* Another process (a fresh mm) bound to @dev: its domain id */
static int start_child(int fd, __u32 dev, struct mock_binder *child, __u32 *domain_id)
{
	struct mock_iommu_sva_info info;

	if (mock_binder_start(fd, dev, child) || child->err)
		return -1;
	if (_test_cmd_bond_info(fd, child->bond_id, &info))
		return -1;
	*domain_id = info.domain_id;
	return 0;
}

/*
 * A second flush after the caller's last unbind: the other process, still
 * bound, hears it; the caller's mm, off the core's list, does not. The
 * caller bound after the other process, so the core's list walk (newest
 * first) would reach the caller's mm before the other's: once the other
 * domain counted the flush, the caller's watch would have too. First in
 * the program: under a core that leaves unbound mms on its list, the mms
 * of the tests before would be freed entries there by now.
 */
TEST_F(kva, unbound_mm_hears_nothing)
{
	struct mock_iommu_sva_info b[2];
	__u32 other, watch, o0, o1, w1, d0;

	ASSERT_EQ(0, start_child(self->fd, self->dev[0], &self->child, &other));
	test_cmd_kva_watch(self->fd, &watch);
	ASSERT_EQ(0, mock_kva_watch_count(self->fd, watch));
	test_cmd_bind(self->fd, self->dev[0], &b[0]);
	test_cmd_bind(self->fd, self->dev[2], &b[1]);

	/* Bound: the caller's mm hears it, on the watch and on its domains */
	o0 = mock_kva_domain_count(self->fd, other);
	d0 = mock_kva_domain_count(self->fd, b[0].domain_id);
	test_cmd_kva_free(self->fd);
	ASSERT_LE(o0 + 1, mock_kva_wait(self->fd, other, o0 + 1));
	ASSERT_LE(d0 + 1, mock_kva_wait(self->fd, b[0].domain_id, d0 + 1));
	w1 = mock_kva_watch_count(self->fd, watch);
	ASSERT_EQ(mock_kva_domain_count(self->fd, b[0].domain_id) - d0, w1);
	ASSERT_EQ(mock_kva_domain_count(self->fd, b[1].domain_id), w1);

	test_cmd_destroy(self->fd, b[0].bond_id);
	test_cmd_destroy(self->fd, b[1].bond_id);
	ASSERT_EQ(0, mock_mm_domains(self->fd));

	o1 = mock_kva_domain_count(self->fd, other);
	test_cmd_kva_free(self->fd);
	ASSERT_LE(o1 + 1, mock_kva_wait(self->fd, other, o1 + 1));
	ASSERT_EQ(w1, mock_kva_watch_count(self->fd, watch))
		TH_LOG("an mm without bonds still gets the kernel's flushes");

	ASSERT_EQ(0, mock_binder_stop(&self->child, 0));
	test_cmd_destroy(self->fd, self->child.bond_id);
	self->child.pid = -1;
}

/*
 * The caller's mm bound to two devices of one IOMMU (one domain) and a
 * device of another (a second domain), another process' mm to a device of
 * the first: three live domains on two mms. One freed kernel page table
 * reaches each of them exactly once, and none records the range.
 */
TEST_F(kva, every_domain_hears_the_flush)
{
	struct mock_iommu_domain_info di0, di1;
	struct mock_iommu_sva_info b[3];
	__u32 dom[3], before[3], after[3];
	int i;

	ASSERT_EQ(0, start_child(self->fd, self->dev[0], &self->child, &dom[2]));
	for (i = 0; i < 3; i++)
		test_cmd_bind(self->fd, self->dev[i], &b[i]);
	ASSERT_EQ(b[0].domain_id, b[1].domain_id);
	ASSERT_NE(b[0].domain_id, b[2].domain_id);
	dom[0] = b[0].domain_id;
	dom[1] = b[2].domain_id;
	ASSERT_NE(dom[2], dom[0]);
	for (i = 0; i < 3; i++)
		before[i] = mock_kva_domain_count(self->fd, dom[i]);
	test_cmd_domain_info(self->fd, dom[0], &di0);

	test_cmd_kva_free(self->fd);
	for (i = 0; i < 3; i++) {
		after[i] = mock_kva_wait(self->fd, dom[i], before[i] + 1);
		ASSERT_LE(before[i] + 1, after[i])
			TH_LOG("domain %u never heard the flush", dom[i]);
	}
	/* Once per flush and domain: all saw the same flushes */
	for (i = 1; i < 3; i++)
		ASSERT_EQ(after[0] - before[0], after[i] - before[i]);

	/* The kernel's range is not among the recorded user ranges */
	test_cmd_domain_info(self->fd, dom[0], &di1);
	ASSERT_EQ(di0.out_invalidations, di1.out_invalidations);

	for (i = 0; i < 3; i++)
		test_cmd_destroy(self->fd, b[i].bond_id);
	ASSERT_EQ(0, mock_binder_stop(&self->child, 0));
	test_cmd_destroy(self->fd, self->child.bond_id);
	self->child.pid = -1;
}

/* A plain notifier of an mm that never bound hears nothing, ever */
TEST_F(kva, never_bound_mm_hears_nothing)
{
	__u32 other, watch, o0;

	ASSERT_EQ(0, start_child(self->fd, self->dev[2], &self->child, &other));
	test_cmd_kva_watch(self->fd, &watch);
	o0 = mock_kva_domain_count(self->fd, other);
	test_cmd_kva_free(self->fd);
	ASSERT_LE(o0 + 1, mock_kva_wait(self->fd, other, o0 + 1));
	ASSERT_EQ(0, mock_kva_watch_count(self->fd, watch));
	ASSERT_EQ(NO_PASID, mock_mm_pasid(self->fd));

	ASSERT_EQ(0, mock_binder_stop(&self->child, 0));
	test_cmd_destroy(self->fd, self->child.bond_id);
	self->child.pid = -1;
}

/* The commands' own errors */
TEST_F(kva, bad_commands)
{
	struct mock_iommu_cmd cmd = {};

	EXPECT_EQ(-EINVAL, _test_cmd_kva_free(self->fd, MOCK_IOMMU_KVA_MAX_ATTEMPTS + 1, NULL,
					      NULL));
	cmd.kva_free.__reserved = 1;
	EXPECT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_KVA_FREE_PGTABLE, 0, &cmd));
	EXPECT_EQ(-ENOENT, _test_cmd_kva_count(self->fd, 0x7fffffff, 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_kva_count(self->fd, 0, 0x7fffffff, NULL, NULL));
	memset(&cmd, 0, sizeof(cmd));
	cmd.kva_watch.__reserved = 1;
	EXPECT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_KVA_WATCH, 0, &cmd));
}

TEST_HARNESS_MAIN
