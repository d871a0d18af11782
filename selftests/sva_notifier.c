// SPDX-License-Identifier: GPL-2.0
/*
 * An SVA domain mirrors its mm: the driver's mmu notifier must see every
 * change to the mm's page tables (munmap, mprotect, MADV_DONTNEED) over
 * the range that changed, and nothing of other mms.
 */
#include "mock_iommu_utils.h"

#define BUF_PAGES 64

FIXTURE(notifier) {
	int fd;
	__u32 dev;
	struct mock_iommu_sva_info bond;
	char *buf;
	size_t page;
};

FIXTURE_SETUP(notifier)
{
	const char *skip;
	__u32 instance;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &instance);
	test_cmd_device_create(self->fd, instance, MOCK_PASID_BITS, 0, &self->dev);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	self->page = sysconf(_SC_PAGESIZE);
	self->buf = mmap(NULL, BUF_PAGES * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	/* Populate the page tables: only present entries need invalidating */
	memset(self->buf, 0x5a, BUF_PAGES * self->page);
	test_cmd_bind(self->fd, self->dev, &self->bond);
}

FIXTURE_TEARDOWN(notifier)
{
	test_close_leaves_nothing(self->fd);
}

/*
 * Whether, since @before invalidations, the domain saw one covering
 * [start, end) and none reaching outside the buffer. The core may widen a
 * flush to whole page-table pages, never shrink it.
 */
static bool saw_invalidation(const struct mock_iommu_invalidations *inv, __u32 before,
			     unsigned long start, unsigned long end)
{
	__u32 fresh = inv->out_count - before;
	__u32 i;

	if (fresh > inv->out_nr_records)
		fresh = inv->out_nr_records;
	for (i = inv->out_nr_records - fresh; i < inv->out_nr_records; i++) {
		const struct mock_iommu_inval_range *r = &inv->out_records[i];

		if (r->start <= start && r->end >= end)
			return true;
	}
	return false;
}

static void log_records(struct __test_metadata *_metadata,
			const struct mock_iommu_invalidations *inv)
{
	__u32 i;

	for (i = 0; i < inv->out_nr_records; i++)
		TH_LOG("record %u: [%#llx, %#llx)", i,
		       (unsigned long long)inv->out_records[i].start,
		       (unsigned long long)inv->out_records[i].end);
}

/* Change pages [first, first + n) with @change and check the notifier saw it */
#define test_invalidates(first, n, change)				\
	({								\
		struct mock_iommu_invalidations __inv;			\
		unsigned long __s = (unsigned long)self->buf + (first) * self->page; \
		unsigned long __e = __s + (n) * self->page;		\
		__u32 __before;						\
		test_cmd_invalidations(self->fd, self->bond.domain_id, &__inv); \
		__before = __inv.out_count;				\
		ASSERT_EQ(0, change);					\
		test_cmd_invalidations(self->fd, self->bond.domain_id, &__inv); \
		ASSERT_LT(__before, __inv.out_count);			\
		if (!saw_invalidation(&__inv, __before, __s, __e))	\
			log_records(_metadata, &__inv);			\
		ASSERT_TRUE(saw_invalidation(&__inv, __before, __s, __e)) \
			TH_LOG("no record covers [%#lx, %#lx)", __s, __e); \
	})

TEST_F(notifier, munmap)
{
	test_invalidates(8, 4, munmap(self->buf + 8 * self->page, 4 * self->page));
	test_cmd_destroy(self->fd, self->bond.bond_id);
}

TEST_F(notifier, mprotect)
{
	test_invalidates(16, 4, mprotect(self->buf + 16 * self->page, 4 * self->page,
					 PROT_READ));
	test_cmd_destroy(self->fd, self->bond.bond_id);
}

TEST_F(notifier, madvise_dontneed)
{
	test_invalidates(32, 8, madvise(self->buf + 32 * self->page, 8 * self->page,
					MADV_DONTNEED));
	test_cmd_destroy(self->fd, self->bond.bond_id);
}

/* Another mm's domain hears nothing of this mm's changes */
TEST_F(notifier, other_mm_untouched)
{
	struct mock_iommu_invalidations before, after;
	struct mock_iommu_sva_info theirs;
	struct mock_binder b = {};

	ASSERT_EQ(0, mock_binder_start(self->fd, self->dev, &b));
	ASSERT_EQ(0, b.err);
	test_cmd_bond_info(self->fd, b.bond_id, &theirs);
	ASSERT_NE(self->bond.domain_id, theirs.domain_id);

	test_cmd_invalidations(self->fd, theirs.domain_id, &before);
	test_invalidates(0, BUF_PAGES, munmap(self->buf, BUF_PAGES * self->page));
	test_cmd_invalidations(self->fd, theirs.domain_id, &after);
	ASSERT_EQ(before.out_count, after.out_count);
	ASSERT_EQ(0, after.out_releases);

	ASSERT_EQ(0, mock_binder_stop(&b, 0));
	test_cmd_invalidations(self->fd, theirs.domain_id, &after);
	ASSERT_EQ(1, after.out_releases);
	test_cmd_destroy(self->fd, b.bond_id);
	test_cmd_destroy(self->fd, self->bond.bond_id);
}

/* Records live with the domain: a new domain starts from zero */
TEST_F(notifier, records_belong_to_domain)
{
	struct mock_iommu_invalidations inv;
	struct mock_iommu_sva_info again;

	ASSERT_EQ(0, munmap(self->buf, self->page));
	test_cmd_destroy(self->fd, self->bond.bond_id);
	ASSERT_EQ(-ENOENT, _test_cmd_invalidations(self->fd, self->bond.domain_id, &inv));
	test_cmd_bind(self->fd, self->dev, &again);
	test_cmd_invalidations(self->fd, again.domain_id, &inv);
	ASSERT_EQ(0, inv.out_count);
	ASSERT_EQ(0, inv.out_nr_records);
	ASSERT_EQ(0, inv.out_releases);
	test_cmd_destroy(self->fd, again.bond_id);
}

/*
 * A flush of the kernel's own range (iommu_sva_invalidate_kva_range() on
 * 7.x, through every SVA mm's notifier) is counted apart and never
 * recorded: the range starts at PAGE_OFFSET, which KASLR keeps secret.
 */
TEST_F(notifier, kernel_range_not_recorded)
{
	const unsigned long user_end = 1UL << 47;	/* x86-64, 4-level */
	struct mock_iommu_invalidations before, after;
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_cmd cmd = {};
	__u32 i;

	/* At least one user range on record, to see that it stays */
	ASSERT_EQ(0, munmap(self->buf + self->page, self->page));
	test_cmd_invalidations(self->fd, self->bond.domain_id, &before);
	ASSERT_LT(0, before.out_count);
	test_cmd_counters(self->fd, 0, &c0);

	ASSERT_EQ(0, mock_ioctl(self->fd, MOCK_IOMMU_OP_KVA_FLUSH, 0, &cmd));
	ASSERT_EQ(1, cmd.kva_flush.out_domains);

	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.kva_invalidations + 1, c1.kva_invalidations);
	test_cmd_invalidations(self->fd, self->bond.domain_id, &after);
	ASSERT_EQ(before.out_count, after.out_count);
	ASSERT_EQ(before.out_nr_records, after.out_nr_records);
	for (i = 0; i < after.out_nr_records; i++) {
		ASSERT_GE(user_end, after.out_records[i].start)
			TH_LOG("record %u starts at %#llx", i,
			       (unsigned long long)after.out_records[i].start);
	}
	ASSERT_EQ(0, memcmp(before.out_records, after.out_records, sizeof(after.out_records)));

	/* No SVA domain serves an mm without a bind: nothing to flush */
	cmd = (struct mock_iommu_cmd){ .kva_flush.__reserved = 1 };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_KVA_FLUSH, 0, &cmd));
	test_cmd_destroy(self->fd, self->bond.bond_id);
	cmd = (struct mock_iommu_cmd){};
	ASSERT_EQ(0, mock_ioctl(self->fd, MOCK_IOMMU_OP_KVA_FLUSH, 0, &cmd));
	ASSERT_EQ(0, cmd.kva_flush.out_domains);
}

TEST_HARNESS_MAIN
