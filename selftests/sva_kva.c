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
 * hears nothing; an unbind never takes an mm off the list mid-walk.
 */
#include "mock_iommu_utils.h"

FIXTURE(kva) {
	int fd;
	__u32 dev[3];		/* dev[0], dev[1]: one IOMMU, dev[2]: another */
	struct mock_binder child;
	bool stalled;		/* kva_stall_us was set: reset it */
	pid_t flusher;		/* a child freeing kernel page tables, or -1 */
};

#define KVA_STALL_PARAM	"/sys/module/mock_iommu/parameters/kva_stall_us"

/* Set the module parameter kva_stall_us; 0 or -errno */
static int set_kva_stall(unsigned int us)
{
	char buf[16];
	int fd = open(KVA_STALL_PARAM, O_WRONLY), len, ret = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u", us);
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE_SETUP(kva)
{
	const char *skip;
	__u32 iommu[2];
	int i;

	self->child.pid = -1;
	self->flusher = -1;
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
	if (self->flusher > 0) {
		kill(self->flusher, SIGKILL);
		mock_wait_exit(self->flusher);
	}
	if (self->stalled)
		set_kva_stall(0);
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
	struct mock_iommu_invalidations inv0, inv1;
	__u32 n, k;
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
	test_cmd_invalidations(self->fd, dom[0], &inv0);

	test_cmd_kva_free(self->fd);
	for (i = 0; i < 3; i++) {
		after[i] = mock_kva_wait(self->fd, dom[i], before[i] + 1);
		ASSERT_LE(before[i] + 1, after[i])
			TH_LOG("domain %u never heard the flush", dom[i]);
	}
	/* Once per flush and domain: all saw the same flushes */
	for (i = 1; i < 3; i++)
		ASSERT_EQ(after[0] - before[0], after[i] - before[i]);

	/*
	 * The kernel's range is not among the recorded user ranges. Others
	 * may come meanwhile: the huge vmalloc() can compact memory, which
	 * migrates this process' pages and invalidates their user ranges.
	 */
	test_cmd_invalidations(self->fd, dom[0], &inv1);
	n = inv1.out_count - inv0.out_count;
	ASSERT_GE(MOCK_IOMMU_INVAL_RECORDS, n) TH_LOG("%u user-range invalidations meanwhile", n);
	for (k = inv1.out_nr_records - n; k < inv1.out_nr_records; k++)
		ASSERT_GT(1ULL << 63, inv1.out_records[k].start)
			TH_LOG("a kernel address among the user ranges");

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

/*
 * An mm's last unbind takes it off the core's list of bound mms while the
 * kernel's flush walks that list: iommu_sva_lock keeps the two apart, so
 * the walk never steps on an entry list_del() just poisoned. The mock
 * stretches each domain's kernel-range invalidation to 2 ms (kva_stall_us)
 * while a forked child keeps freeing kernel page tables and this process
 * binds and unbinds its mm over and over beside a steadily bound one:
 * without the lock the walker sits in this mm's notifier when the unbind
 * poisons the entry and oopses on LIST_POISON1 when it moves on.
 */
TEST_F(kva, last_unbind_waits_for_the_flush_walk)
{
	struct mock_iommu_sva_info b;
	__u32 other, o0, heard, cycles = 0;
	long long deadline;
	int status = 0;
	pid_t done;

	ASSERT_EQ(0, start_child(self->fd, self->dev[0], &self->child, &other));
	ASSERT_EQ(0, set_kva_stall(2000))
		TH_LOG("%s: %s (a mock_iommu without the stall knob)", KVA_STALL_PARAM,
		       strerror(errno));
	self->stalled = true;
	o0 = mock_kva_domain_count(self->fd, other);

	self->flusher = fork();
	ASSERT_LE(0, self->flusher);
	if (self->flusher == 0) {
		__u32 attempts, freed, nr_freed = 0;

		deadline = mock_now_ms() + 2000;
		while (mock_now_ms() < deadline) {
			CHILD_CHECK(!_test_cmd_kva_free(self->fd, MOCK_IOMMU_KVA_MAX_ATTEMPTS,
							&attempts, &freed), 1);
			nr_freed += freed;
		}
		_exit(nr_freed ? 0 : 2);
	}

	/* Bound for 0-2 ms, then unbound for 2 ms: unbinds land mid-walk */
	while ((done = waitpid(self->flusher, &status, WNOHANG)) == 0) {
		test_cmd_bind(self->fd, self->dev[0], &b);
		mock_sleep_ms(cycles % 3);
		test_cmd_destroy(self->fd, b.bond_id);
		mock_sleep_ms(2);
		cycles++;
	}
	ASSERT_EQ(self->flusher, done);
	self->flusher = -1;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the flusher %s", WEXITSTATUS(status) == 2 ?
		       "freed no kernel page table" : "failed a command");
	ASSERT_LE(10, cycles);
	ASSERT_EQ(0, mock_mm_domains(self->fd));

	/* The flushes went on all along: the other mm heard them */
	heard = mock_kva_wait(self->fd, other, o0 + 1) - o0;
	ASSERT_LE(1, heard);
	TH_LOG("%u bind/unbind cycles, %u flushes heard by the steady mm", cycles, heard);

	ASSERT_EQ(0, set_kva_stall(0));
	self->stalled = false;
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
