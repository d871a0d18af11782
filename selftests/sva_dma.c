// SPDX-License-Identifier: GPL-2.0
/*
 * DMA through the PASID: mock devices read and write the memory of the mm
 * bound to them, tagging their accesses with the mm's PASID the way SVA
 * hardware does. In the default mode a page that is not there becomes a
 * page request that the SVA core's I/O page fault handler resolves; in the
 * pinned mode the driver faults pages in on the CPU instead.
 *
 * What is pinned down: the device reaches exactly the memory of the mm
 * behind the PASID on that device, on every device the mm is bound to, and
 * nothing after the last unbind, after the mm exited, at another mm's
 * PASID, or in a forked child; faults are counted and fail cleanly.
 */
#include <stddef.h>
#include <sys/prctl.h>

#include "mock_iommu_utils.h"

FIXTURE(dma) {
	int fd;
	__u32 dev[2];
	__u32 bond[2];
	__u32 pasid;
	size_t page;
};

/*
 * The caller's mm is bound to two devices, behind one IOMMU (one shared
 * SVA domain) or two (a domain each), and the devices translate in one of
 * the two modes.
 */
FIXTURE_VARIANT(dma) {
	bool two_iommus;
	__u32 flags;	/* of every transfer */
};

FIXTURE_VARIANT_ADD(dma, iopf_one_iommu) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(dma, iopf_two_iommus) {
	.two_iommus = true,
	.flags = 0,
};

FIXTURE_VARIANT_ADD(dma, pinned_one_iommu) {
	.flags = MOCK_IOMMU_DMA_PINNED,
};

FIXTURE_VARIANT_ADD(dma, pinned_two_iommus) {
	.two_iommus = true,
	.flags = MOCK_IOMMU_DMA_PINNED,
};

FIXTURE_SETUP(dma)
{
	struct mock_iommu_sva_info info;
	const char *skip;
	__u32 iommu[2];
	int i;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &iommu[0]);
	iommu[1] = iommu[0];
	if (variant->two_iommus)
		test_cmd_instance_create(self->fd, 0, 0, &iommu[1]);
	for (i = 0; i < 2; i++)
		test_cmd_device_create(self->fd, iommu[i], MOCK_PASID_BITS, 0, &self->dev[i]);
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev[0], variant->flags);
	if (skip)
		SKIP(return, "%s", skip);
	for (i = 0; i < 2; i++) {
		test_cmd_bind(self->fd, self->dev[i], &info);
		self->bond[i] = info.bond_id;
		self->pasid = info.pasid;
	}
}

FIXTURE_TEARDOWN(dma)
{
	test_close_leaves_nothing(self->fd);
}

/* Shorthands for transfers of the variant's mode at the mm's PASID */
#define dma_status(status, dev, op, iova, len, buf, fill)			\
	test_dma_status(status, self->fd, dev, self->pasid, op, variant->flags, \
			iova, len, buf, fill)
#define dma_holds(dev, iova, len, byte) \
	test_dma_holds(self->fd, dev, self->pasid, variant->flags, iova, len, byte)

TEST_F(dma, device_reads_what_the_process_wrote)
{
	size_t len = 3 * self->page + 100;
	char *mem = malloc(len), *seen = malloc(len);
	int i;

	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < len; i++)
		mem[i] = i * 7 + 1;
	/* Unaligned at both ends, across page boundaries */
	for (i = 0; i < 2; i++) {
		memset(seen, 0, len);
		dma_status(MOCK_IOMMU_DMA_OK, self->dev[i], MOCK_IOMMU_DMA_READ,
			   mem + 1, len - 1, seen, 0);
		ASSERT_EQ(0, memcmp(mem + 1, seen, len - 1)) TH_LOG("device %d", i);
	}
	free(seen);
	free(mem);
}

TEST_F(dma, process_reads_what_the_device_wrote)
{
	size_t len = 2 * self->page;
	char *mem = mock_map_pages(2 * len, PROT_READ | PROT_WRITE);
	char *data = malloc(len);
	struct mock_iommu_dma d;
	int i;

	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, data);
	memset(mem, 0x11, 2 * len);
	for (i = 0; i < len; i++)
		data[i] = i ^ 0x5a;
	/* Each device writes its half; the process and the devices agree */
	test_cmd_dma(self->fd, self->dev[0], self->pasid, MOCK_IOMMU_DMA_WRITE, variant->flags,
		     mem, len, data, 0, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(len, d.out_bytes);
	ASSERT_EQ(0, d.out_fault_addr);
	dma_status(MOCK_IOMMU_DMA_OK, self->dev[1], MOCK_IOMMU_DMA_FILL, mem + len, len, NULL,
		   0xc3);
	ASSERT_EQ(0, memcmp(mem, data, len));
	ASSERT_TRUE(mock_all_bytes(mem + len, len, 0xc3));
	dma_holds(self->dev[0], mem + len, len, 0xc3);
	dma_status(MOCK_IOMMU_DMA_OK, self->dev[1], MOCK_IOMMU_DMA_COMPARE, mem, len, data, 0);

	/* COMPARE stops at the first difference and says where */
	mem[len / 2] ^= 1;
	test_cmd_dma(self->fd, self->dev[1], self->pasid, MOCK_IOMMU_DMA_COMPARE, variant->flags,
		     mem, len, data, 0, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_MISMATCH, d.out_status);
	ASSERT_EQ(len / 2, d.out_bytes);
	ASSERT_EQ((uintptr_t)mem + len / 2, d.out_fault_addr);
	free(data);
	munmap(mem, 2 * len);
}

/* Memory the process never touched: the device faults every page in */
TEST_F(dma, fresh_mapping_is_filled_through_page_faults)
{
	const int pages = 16;
	size_t len = pages * self->page;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;
	int expect = variant->flags & MOCK_IOMMU_DMA_PINNED ? 0 : pages;

	ASSERT_NE(NULL, mem);
	test_cmd_counters(self->fd, self->dev[0], &c0);
	test_cmd_dma(self->fd, self->dev[0], self->pasid, MOCK_IOMMU_DMA_FILL, variant->flags,
		     mem, len, NULL, 0x7e, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(len, d.out_bytes);
	ASSERT_EQ(expect, d.out_page_requests);
	ASSERT_EQ(0, d.out_response);
	test_cmd_counters(self->fd, self->dev[0], &c1);
	ASSERT_EQ(1, c1.dma_transfers - c0.dma_transfers);
	ASSERT_EQ(0, c1.dma_faults - c0.dma_faults);
	ASSERT_EQ(expect, c1.page_requests - c0.page_requests);
	ASSERT_EQ(expect, c1.page_responses - c0.page_responses);
	ASSERT_EQ(0, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(0, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0x7e));

	/* Present and writable now: no more requests, on either device */
	test_cmd_dma(self->fd, self->dev[1], self->pasid, MOCK_IOMMU_DMA_FILL, variant->flags,
		     mem, len, NULL, 0x7f, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(0, d.out_page_requests);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0x7f));
	munmap(mem, len);
}

/*
 * A counter of /proc/vmstat, or -1. Node counters are kept per CPU and
 * folded now and then: stat_refresh folds them first, so the value is
 * exact.
 */
static long long vmstat_read(const char *name)
{
	char key[64];
	long long val, found = -1;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	FILE *f;

	if (fd < 0 || write(fd, "1", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2)
		if (!strcmp(key, name))
			found = val;
	fclose(f);
	return found;
}

/*
 * A device write goes through a FOLL_PIN reference to the page, as every
 * kernel write to user memory must (pin_user_pages.rst), in every mode,
 * and every pin is dropped again, at the latest when the mapping goes (the
 * device's TLB keeps the pins of the translations it caches); reads pin
 * only in the pinned mode. /proc/vmstat counts the system's pins, and
 * others may pin meanwhile (9p's zero-copy I/O does, on every write of
 * the test's output to a 9p file under virtme-ng): they only add. So a
 * count below the expected one fails at once. Above it, a second pin per
 * page adds at least two counts per page (its acquire and its release),
 * while others' pins in the quietest of a few rounds stay far below one per
 * page (up to 23 over 64 pages were seen under `make kselftest` in
 * virtme-ng, where the runner writes every line to 9p): PIN_NOISE is one
 * less than a count per page, so a missing pin (FOLL_GET) and a second pin
 * both show, whatever the system does beside.
 */
#define PIN_PAGES	128
#define PIN_ROUNDS	5
#define PIN_NOISE	(PIN_PAGES - 1)

TEST_F(dma, device_writes_pin_the_pages)
{
	const int pages = PIN_PAGES;
	size_t len = pages * self->page;
	char *buf = malloc(len);
	long long acq0, rel0, acq1, acq2, rel3, extra, quietest = -1;
	int read_pins = variant->flags & MOCK_IOMMU_DMA_PINNED ? pages : 0;
	int round;

	ASSERT_NE(NULL, buf);
	for (round = 0; round < PIN_ROUNDS; round++) {
		char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);

		ASSERT_NE(NULL, mem);
		/* Present and writable: no page request, one access per page */
		memset(mem, 1, len);
		acq0 = vmstat_read("nr_foll_pin_acquired");
		rel0 = vmstat_read("nr_foll_pin_released");
		ASSERT_LE(0, acq0);
		ASSERT_LE(0, rel0);
		dma_status(MOCK_IOMMU_DMA_OK, self->dev[0], MOCK_IOMMU_DMA_FILL, mem, len, NULL,
			   2);
		acq1 = vmstat_read("nr_foll_pin_acquired");
		ASSERT_LE(pages, acq1 - acq0);
		dma_status(MOCK_IOMMU_DMA_OK, self->dev[0], MOCK_IOMMU_DMA_READ, mem, len, buf, 0);
		acq2 = vmstat_read("nr_foll_pin_acquired");
		ASSERT_LE(read_pins, acq2 - acq1);
		ASSERT_TRUE(mock_all_bytes(buf, len, 2));
		ASSERT_EQ(0, munmap(mem, len));
		rel3 = vmstat_read("nr_foll_pin_released");
		ASSERT_LE(pages + read_pins, rel3 - rel0);
		extra = (acq1 - acq0 - pages) + (acq2 - acq1 - read_pins) +
			(rel3 - rel0 - pages - read_pins);
		if (quietest < 0 || extra < quietest)
			quietest = extra;
		if (!extra)
			break;
	}
	ASSERT_GE(PIN_NOISE, quietest) TH_LOG("%lld pins beyond %d pages in the quietest round",
					      quietest, pages);
	if (quietest)
		TH_LOG("others pinned meanwhile: %lld in the quietest of %d rounds", quietest,
		       PIN_ROUNDS);
	free(buf);
}

TEST_F(dma, read_only_mapping_refuses_device_writes)
{
	size_t len = 2 * self->page;
	char *mem = mock_map_pages(len, PROT_READ);
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;
	bool iopf = !(variant->flags & MOCK_IOMMU_DMA_PINNED);

	ASSERT_NE(NULL, mem);
	/* Reading is allowed: the zero page */
	dma_holds(self->dev[0], mem, len, 0);
	test_cmd_counters(self->fd, self->dev[0], &c0);
	test_cmd_dma(self->fd, self->dev[0], self->pasid, MOCK_IOMMU_DMA_FILL, variant->flags,
		     mem, len, NULL, 0xee, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_EQ((uintptr_t)mem, d.out_fault_addr);
	/* The core's handler refuses a write to a VMA without VM_WRITE */
	ASSERT_EQ(iopf ? 1 : 0, d.out_page_requests);
	ASSERT_EQ(iopf ? 1 /* IOMMU_PAGE_RESP_INVALID */ : 0, d.out_response);
	test_cmd_counters(self->fd, self->dev[0], &c1);
	ASSERT_EQ(1, c1.dma_faults - c0.dma_faults);
	ASSERT_EQ(iopf ? 1 : 0, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(0, c1.page_responses - c0.page_responses);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0));
	munmap(mem, len);
}

TEST_F(dma, unmapped_address_faults)
{
	size_t len = 2 * self->page;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE), *data;
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, munmap(mem + self->page, self->page));
	/* The first page is written, the transfer stops at the hole */
	test_cmd_dma(self->fd, self->dev[1], self->pasid, MOCK_IOMMU_DMA_FILL, variant->flags,
		     mem, len, NULL, 0x42, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status);
	ASSERT_EQ(self->page, d.out_bytes);
	ASSERT_EQ((uintptr_t)mem + self->page, d.out_fault_addr);
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 0x42));
	munmap(mem, self->page);
	data = malloc(self->page);
	ASSERT_NE(NULL, data);
	dma_status(MOCK_IOMMU_DMA_PAGE_FAULT, self->dev[0], MOCK_IOMMU_DMA_READ, mem,
		   self->page, data, 0);
	free(data);
}

/* Access ends with the last unbind of each device, not before */
TEST_F(dma, last_unbind_ends_access)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_sva_info again;

	ASSERT_NE(NULL, mem);
	test_cmd_bind(self->fd, self->dev[0], &again);
	ASSERT_EQ(self->pasid, again.pasid);
	test_cmd_destroy(self->fd, self->bond[0]);
	dma_status(MOCK_IOMMU_DMA_OK, self->dev[0], MOCK_IOMMU_DMA_FILL, mem, 64, NULL, 1);
	test_cmd_destroy(self->fd, again.bond_id);
	dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->dev[0], MOCK_IOMMU_DMA_FILL, mem, 64, NULL, 2);
	/* The other device still reaches the mm, and saw no write of 2 */
	dma_holds(self->dev[1], mem, 64, 1);
	test_cmd_destroy(self->fd, self->bond[1]);
	dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->dev[1], MOCK_IOMMU_DMA_FILL, mem, 64, NULL, 3);
	ASSERT_TRUE(mock_all_bytes(mem, 64, 1));
	munmap(mem, self->page);
}

/* A bond that outlives its mm: the domain is there, the memory is not */
TEST_F(dma, exited_mm_is_unreachable)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_sva_info child;
	struct mock_iommu_dma d;
	struct mock_binder b;

	ASSERT_NE(NULL, mem);
	memset(mem, 0x33, self->page);
	ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[0], &b));
	ASSERT_EQ(0, b.err);
	ASSERT_NE(self->pasid, b.pasid);
	test_cmd_bond_info(self->fd, b.bond_id, &child);
	/* While the child lives, its PASID reaches its copy of the page */
	test_dma_holds(self->fd, self->dev[0], b.pasid, variant->flags, mem, self->page, 0x33);
	ASSERT_EQ(0, mock_binder_stop(&b, 0));

	test_cmd_dma(self->fd, self->dev[0], b.pasid, MOCK_IOMMU_DMA_READ, variant->flags,
		     mem, self->page, mem, 0, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_MM_GONE, d.out_status);
	ASSERT_EQ(child.domain_id, d.out_domain_id);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 0x33));
	test_cmd_destroy(self->fd, b.bond_id);
	test_dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->fd, self->dev[0], b.pasid,
			MOCK_IOMMU_DMA_READ, variant->flags, mem, self->page, mem, 0);
}

/* Where a thread's FILL transfers go: a device, a PASID, a range */
struct fill_target {
	int fd;
	__u32 dev;
	__u32 pasid;
	__u32 flags;
	char *mem;
	size_t len;
};

static int fill(const struct fill_target *t, __u32 byte, struct mock_iommu_dma *d)
{
	return _test_cmd_dma(t->fd, t->dev, t->pasid, MOCK_IOMMU_DMA_FILL, t->flags, t->mem,
			     t->len, NULL, byte, d);
}

struct exit_race {
	struct fill_target t;
	unsigned long ok, gone, other;
};

static void *transfers_until_gone(void *arg)
{
	struct exit_race *r = arg;
	long long end = mock_now_ms() + MOCK_POLL_MS;
	struct mock_iommu_dma d = { .out_status = ~0U };

	while (mock_now_ms() < end) {
		if (fill(&r->t, 0x44, &d)) {
			r->other++;
			continue;
		}
		if (d.out_status == MOCK_IOMMU_DMA_MM_GONE)
			break;
		if (d.out_status == MOCK_IOMMU_DMA_OK)
			r->ok++;
		else
			r->other++;
	}
	r->gone = d.out_status == MOCK_IOMMU_DMA_MM_GONE;
	return NULL;
}

/*
 * The mm behind a PASID dies while a device writes into it: transfers
 * complete or find the mm gone, never anything else, and KASAN watches
 * the teardown of the address space under them.
 */
TEST_F(dma, target_mm_exits_during_transfers)
{
	struct exit_race r = {
		.t = { .fd = self->fd, .dev = self->dev[0], .flags = variant->flags,
		       .len = 16 * self->page },
	};
	struct mock_binder b;
	pthread_t thread;

	r.t.mem = mock_map_pages(r.t.len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r.t.mem);
	ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[0], &b));
	ASSERT_EQ(0, b.err);
	r.t.pasid = b.pasid;
	ASSERT_EQ(0, pthread_create(&thread, NULL, transfers_until_gone, &r));
	mock_sleep_ms(50);
	ASSERT_EQ(128 + SIGKILL, mock_binder_stop(&b, SIGKILL));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%lu transfers completed before the mm was gone", r.ok);
	ASSERT_EQ(0, r.other);
	ASSERT_TRUE(r.gone);
	/* The parent's own memory at the same address was never the target */
	ASSERT_TRUE(mock_all_bytes(r.t.mem, r.t.len, 0));
	test_cmd_destroy(self->fd, b.bond_id);
}

/* A PASID reaches its own mm on the devices it is bound to, and no more */
TEST_F(dma, another_mms_pasid)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_binder b;

	ASSERT_NE(NULL, mem);
	memset(mem, 'P', self->page);
	test_cmd_destroy(self->fd, self->bond[1]);
	ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[1], &b));
	ASSERT_EQ(0, b.err);
	memset(mem, 'Q', self->page);	/* the child keeps its 'P' */

	test_dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->fd, self->dev[0], b.pasid,
			MOCK_IOMMU_DMA_FILL, variant->flags, mem, self->page, NULL, 'X');
	dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->dev[1], MOCK_IOMMU_DMA_FILL, mem,
		   self->page, NULL, 'X');
	test_dma_holds(self->fd, self->dev[1], b.pasid, variant->flags, mem, self->page, 'P');
	dma_holds(self->dev[0], mem, self->page, 'Q');
	test_dma_status(MOCK_IOMMU_DMA_OK, self->fd, self->dev[1], b.pasid,
			MOCK_IOMMU_DMA_FILL, variant->flags, mem, self->page, NULL, 'Z');
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 'Q'));
	test_dma_holds(self->fd, self->dev[1], b.pasid, variant->flags, mem, self->page, 'Z');
	ASSERT_EQ(0, mock_binder_stop(&b, 0));
}

/* After fork the parent's PASID still means the parent's memory only */
TEST_F(dma, forked_child_is_not_reached)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	int go[2], ready[2];
	char byte;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	memset(mem, 'P', self->page);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A parent that dies on an assertion must not leave us waiting */
		close(go[1]);
		/* No PASID of its own: fork does not inherit it */
		CHILD_CHECK(mock_mm_pasid(self->fd) == NO_PASID, 2);
		memset(mem, 'C', self->page);
		CHILD_CHECK(write(ready[1], "r", 1) == 1, 3);
		CHILD_CHECK(read(go[0], &byte, 1) == 1, 4);
		CHILD_CHECK(mock_all_bytes(mem, self->page, 'C'), 5);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &byte, 1));
	dma_holds(self->dev[0], mem, self->page, 'P');
	/* Writing breaks COW on the parent's side only */
	dma_status(MOCK_IOMMU_DMA_OK, self->dev[1], MOCK_IOMMU_DMA_FILL, mem, self->page,
		   NULL, 'D');
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 'D'));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, mock_wait_exit(pid));
}

struct unbind_race {
	struct fill_target t;
	int started;
	struct mock_iommu_dma d;
	int ret;
};

static void *fill_in_thread(void *arg)
{
	struct unbind_race *r = arg;

	__atomic_store_n(&r->started, 1, __ATOMIC_SEQ_CST);
	r->ret = fill(&r->t, 0xa5, &r->d);
	return NULL;
}

/*
 * Unbind while a device fills fresh memory page by page: the transfer ends
 * complete, aborted or refused, and once the unbind returned the device
 * does not change a single byte any more.
 */
TEST_F(dma, unbind_stops_a_running_transfer)
{
	struct unbind_race r = {
		.t = { .fd = self->fd, .dev = self->dev[0], .pasid = self->pasid,
		       .flags = variant->flags, .len = MOCK_IOMMU_DMA_MAX_LENGTH },
	};
	struct mock_iommu_sva_info info;
	char *snapshot = malloc(r.t.len);
	static const char * const seen[] = {
		"ok", "no domain", "mm gone", "page fault", "aborted",
	};
	pthread_t thread;
	int round;

	ASSERT_NE(NULL, snapshot);
	for (round = 0; round < 4; round++) {
		r.t.mem = mock_map_pages(r.t.len, PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, r.t.mem);
		r.started = 0;
		ASSERT_EQ(0, pthread_create(&thread, NULL, fill_in_thread, &r));
		while (!__atomic_load_n(&r.started, __ATOMIC_SEQ_CST))
			;
		mock_sleep_ms(round * 3);
		test_cmd_destroy(self->fd, self->bond[0]);
		memcpy(snapshot, r.t.mem, r.t.len);
		ASSERT_EQ(0, pthread_join(thread, NULL));

		ASSERT_EQ(0, r.ret);
		ASSERT_TRUE(r.d.out_status == MOCK_IOMMU_DMA_OK ||
			    r.d.out_status == MOCK_IOMMU_DMA_ABORTED ||
			    r.d.out_status == MOCK_IOMMU_DMA_NO_DOMAIN)
			TH_LOG("status %u", r.d.out_status);
		TH_LOG("round %d: %s after %llu bytes", round,
		       r.d.out_status < 5 ? seen[r.d.out_status] : "?",
		       (unsigned long long)r.d.out_bytes);
		ASSERT_EQ(0, memcmp(snapshot, r.t.mem, r.t.len));
		ASSERT_TRUE(mock_all_bytes(r.t.mem, r.d.out_bytes, 0xa5));
		ASSERT_TRUE(mock_all_bytes(r.t.mem + r.d.out_bytes, r.t.len - r.d.out_bytes, 0));
		dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->dev[0], MOCK_IOMMU_DMA_FILL, r.t.mem,
			   r.t.len, NULL, 1);
		ASSERT_EQ(0, munmap(r.t.mem, r.t.len));
		test_cmd_bind(self->fd, self->dev[0], &info);
		self->bond[0] = info.bond_id;
	}
	free(snapshot);
}

struct storm {
	int fd;
	__u32 dev[2];
	__u32 pasid;
	__u32 flags;
	char *mem;
	size_t page;
	int pages;
	long long until_ms;
	/* Outcomes, indexed by status; errors counts failed ioctls */
	unsigned long status[MOCK_IOMMU_DMA_MISMATCH + 1];
	unsigned long errors;
	pthread_mutex_t lock;
};

static void *storm_transfers(void *arg)
{
	struct storm *s = arg;
	__u64 seed = (uintptr_t)&seed ^ mock_now_ms();
	struct mock_iommu_dma d;
	unsigned char *buf = malloc(2 * s->page);

	while (buf && mock_now_ms() < s->until_ms) {
		__u32 r = mock_rand(&seed);
		int first = r % s->pages, n = 1 + (r >> 8) % 2;
		bool read = r & (1 << 16);
		int ret;

		if (first + n > s->pages)
			n = s->pages - first;
		ret = _test_cmd_dma(s->fd, s->dev[(r >> 17) & 1], s->pasid,
				    read ? MOCK_IOMMU_DMA_READ : MOCK_IOMMU_DMA_FILL, s->flags,
				    s->mem + first * s->page, n * s->page,
				    read ? buf : NULL, read ? 0 : r >> 24, &d);
		pthread_mutex_lock(&s->lock);
		if (ret || d.out_status > MOCK_IOMMU_DMA_MISMATCH)
			s->errors++;
		else
			s->status[d.out_status]++;
		pthread_mutex_unlock(&s->lock);
	}
	if (!buf) {
		pthread_mutex_lock(&s->lock);
		s->errors++;
		pthread_mutex_unlock(&s->lock);
	}
	free(buf);
	return NULL;
}

/* munmap and map again the middle of the region, over and over */
static void *storm_remap(void *arg)
{
	struct storm *s = arg;
	char *mid = s->mem + 2 * s->page;
	size_t len = (s->pages - 4) * s->page;

	while (mock_now_ms() < s->until_ms) {
		if (munmap(mid, len) ||
		    mmap(mid, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != mid) {
			pthread_mutex_lock(&s->lock);
			s->errors++;
			pthread_mutex_unlock(&s->lock);
			break;
		}
		sched_yield();
	}
	return NULL;
}

/*
 * Transfers from four threads on both devices while another thread
 * munmaps and remaps the memory under them and the test unbinds and binds
 * one device again. Every transfer ends with a status a device can see;
 * KASAN, lockdep and kmemleak in the test kernel catch the rest.
 */
TEST_F(dma, transfers_race_with_munmap_and_unbind)
{
	struct storm s = {
		.fd = self->fd, .dev = { self->dev[0], self->dev[1] }, .pasid = self->pasid,
		.flags = variant->flags, .page = self->page, .pages = 8,
		.until_ms = mock_now_ms() + 1500,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct mock_iommu_sva_info info;
	pthread_t threads[5];
	int i;

	s.mem = mock_map_pages(s.pages * s.page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, s.mem);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, storm_transfers, &s));
	ASSERT_EQ(0, pthread_create(&threads[4], NULL, storm_remap, &s));
	while (mock_now_ms() < s.until_ms) {
		test_cmd_destroy(self->fd, self->bond[1]);
		mock_sleep_ms(5);
		test_cmd_bind(self->fd, self->dev[1], &info);
		ASSERT_EQ(self->pasid, info.pasid);
		self->bond[1] = info.bond_id;
		mock_sleep_ms(5);
	}
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	TH_LOG("ok %lu, no domain %lu, page fault %lu, aborted %lu",
	       s.status[MOCK_IOMMU_DMA_OK], s.status[MOCK_IOMMU_DMA_NO_DOMAIN],
	       s.status[MOCK_IOMMU_DMA_PAGE_FAULT], s.status[MOCK_IOMMU_DMA_ABORTED]);
	ASSERT_EQ(0, s.errors);
	ASSERT_EQ(0, s.status[MOCK_IOMMU_DMA_MM_GONE]);
	ASSERT_EQ(0, s.status[MOCK_IOMMU_DMA_TIMEOUT]);
	ASSERT_EQ(0, s.status[MOCK_IOMMU_DMA_MISMATCH]);
	ASSERT_LT(0, s.status[MOCK_IOMMU_DMA_OK]);
	munmap(s.mem, s.pages * s.page);
}

/*
 * A process killed in the middle of transfers, with its own file, devices
 * and bond: its transfers end, its file is released, nothing is left.
 */
TEST_F(dma, killed_during_transfers_leaves_nothing)
{
	struct mock_iommu_counters before, after;
	int ready[2];
	char byte;
	pid_t pid;

	test_cmd_counters(self->fd, 0, &before);
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct storm s = {
			.page = self->page, .pages = 8, .until_ms = mock_now_ms() + 60000,
			.flags = variant->flags, .lock = PTHREAD_MUTEX_INITIALIZER,
		};
		struct mock_iommu_sva_info info;
		pthread_t threads[2];
		__u32 iommu;

		/* Dies with the test, should it fail before the kill */
		CHILD_CHECK(!prctl(PR_SET_PDEATHSIG, SIGKILL), 11);
		s.fd = open(MOCK_DEV_PATH, O_RDWR);
		CHILD_CHECK(s.fd >= 0, 2);
		CHILD_CHECK(!_test_cmd_instance_create(s.fd, 0, 0, &iommu), 3);
		CHILD_CHECK(!_test_cmd_device(s.fd, iommu, MOCK_PASID_BITS, 0, &s.dev[0]), 4);
		CHILD_CHECK(!_test_cmd_bind(s.fd, s.dev[0], &info), 5);
		s.dev[1] = s.dev[0];
		s.pasid = info.pasid;
		s.mem = mock_map_pages(s.pages * s.page, PROT_READ | PROT_WRITE);
		CHILD_CHECK(s.mem, 6);
		CHILD_CHECK(!pthread_create(&threads[0], NULL, storm_transfers, &s), 7);
		CHILD_CHECK(!pthread_create(&threads[1], NULL, storm_remap, &s), 8);
		CHILD_CHECK(write(ready[1], "r", 1) == 1, 9);
		pthread_join(threads[0], NULL);
		_exit(10);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &byte, 1));
	mock_sleep_ms(200);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, mock_wait_exit(pid));

	test_cmd_counters(self->fd, 0, &after);
	ASSERT_EQ(before.bonds_alive, after.bonds_alive);
	ASSERT_EQ(before.handles_alive, after.handles_alive);
	ASSERT_EQ(before.domains_alive, after.domains_alive);
	ASSERT_LT(before.dma_transfers, after.dma_transfers);
}

#define TLB_PARAM	"/sys/module/mock_iommu/parameters/tlb"

/* Set the module parameter tlb to @on; returns the old value, or -errno */
static int set_tlb_param(bool on)
{
	char old = 0;
	int fd = open(TLB_PARAM, O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = read(fd, &old, 1) == 1 && pwrite(fd, on ? "1" : "0", 1, 0) == 1 ?
	      old == 'Y' || old == '1' : -EIO;
	close(fd);
	return ret;
}

/*
 * The device's TLB: translations it caches until the kernel invalidates
 * them. One device, the caller's mm bound to it, created with the TLB on
 * or off (the module parameter tlb at creation).
 */
FIXTURE(tlb) {
	int fd;
	__u32 dev;
	__u32 bond;
	__u32 pasid;
	__u32 domain;
	size_t page;
};

FIXTURE_VARIANT(tlb) {
	bool cached;
};

FIXTURE_VARIANT_ADD(tlb, cached) {
	.cached = true,
};

FIXTURE_VARIANT_ADD(tlb, uncached) {
	.cached = false,
};

FIXTURE_SETUP(tlb)
{
	struct mock_iommu_tlb_info t;
	struct mock_iommu_sva_info info;
	const char *skip;
	__u32 iommu;
	int old;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &iommu);
	old = set_tlb_param(variant->cached);
	ASSERT_LE(0, old) TH_LOG("%s: %s", TLB_PARAM, strerror(-old));
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->dev);
	ASSERT_EQ(variant->cached, set_tlb_param(old));
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(variant->cached, t.out_enabled);
	ASSERT_EQ(MOCK_IOMMU_TLB_ENTRIES, t.out_capacity);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	test_cmd_bind(self->fd, self->dev, &info);
	self->pasid = info.pasid;
	self->domain = info.domain_id;
	self->bond = info.bond_id;
}

FIXTURE_TEARDOWN(tlb)
{
	test_close_leaves_nothing(self->fd);
}

/* Assert the TLB's counters since the fixture's setup */
#define tlb_is(entries, hits, fills, invalidated)				\
	({									\
		struct mock_iommu_tlb_info __t;					\
		int __on = variant->cached;					\
										\
		test_cmd_tlb_info(self->fd, self->dev, &__t);			\
		ASSERT_EQ(__on * (entries), __t.out_entries);			\
		ASSERT_EQ(__on * (hits), __t.out_hits);				\
		ASSERT_EQ(__on * (fills), __t.out_fills);			\
		ASSERT_EQ(__on * (invalidated), __t.out_invalidated);		\
		ASSERT_EQ(0, __t.out_evicted);					\
	})

/*
 * The device read a page and cached its translation; the process unmaps
 * it and maps a new page at the same address. The device reads the new
 * page, and only because the core's mmu notifier invalidated the old
 * translation: the second read hit the TLB, the third did not.
 */
TEST_F(tlb, munmap_and_mmap_again_reach_the_new_page)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE), *again;
	struct mock_iommu_domain_info d0, d1;

	ASSERT_NE(NULL, mem);
	memset(mem, 'A', self->page);
	test_dma_holds(self->fd, self->dev, self->pasid, 0, mem, self->page, 'A');
	tlb_is(1, 0, 1, 0);
	test_dma_holds(self->fd, self->dev, self->pasid, 0, mem, self->page, 'A');
	tlb_is(1, 1, 1, 0);

	test_cmd_domain_info(self->fd, self->domain, &d0);
	ASSERT_EQ(0, munmap(mem, self->page));
	again = mmap(mem, self->page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(mem, again);
	memset(mem, 'B', self->page);
	/* A stale translation would still read 'A' */
	test_dma_holds(self->fd, self->dev, self->pasid, 0, mem, self->page, 'B');
	test_cmd_domain_info(self->fd, self->domain, &d1);
	ASSERT_LT(d0.out_invalidations, d1.out_invalidations);
	tlb_is(1, 1, 2, 1);
	munmap(mem, self->page);
}

/*
 * The device wrote a page and cached a writable translation; the process
 * drops the page (MADV_DONTNEED) and reads zeroes. The device's next write
 * must land in the page the process sees now, through a page request and
 * a new translation, not in the dropped page through the old one.
 */
TEST_F(tlb, dropped_page_is_not_written_through_the_old_translation)
{
	char *mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_tlb_info t;
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, mem);
	memset(mem, 0, self->page);
	test_dma_status(MOCK_IOMMU_DMA_OK, self->fd, self->dev, self->pasid,
			MOCK_IOMMU_DMA_FILL, 0, mem, self->page, NULL, 'X');
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 'X'));
	tlb_is(1, 0, 1, 0);

	ASSERT_EQ(0, madvise(mem, self->page, MADV_DONTNEED));
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 0));
	test_cmd_dma(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL, 0, mem,
		     self->page, NULL, 'Y', &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	/* A stale translation would have written the dropped page */
	ASSERT_TRUE(mock_all_bytes(mem, self->page, 'Y'));
	/* The zero page the CPU read is not writable: one page request */
	ASSERT_EQ(1, d.out_page_requests);
	tlb_is(1, 0, 2, 1);

	/* Detaching the PASID flushes what the device cached at it */
	test_cmd_destroy(self->fd, self->bond);
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(0, t.out_entries);
	ASSERT_EQ(variant->cached ? 1 : 0, t.out_flushed);
	ASSERT_EQ(0, t.out_evicted);
	munmap(mem, self->page);
}

/* Only a device of the calling file has a TLB */
TEST_F(tlb, only_devices_have_one)
{
	test_err_tlb_info(ENOENT, self->fd, 0);
	test_err_tlb_info(ENOENT, self->fd, self->bond);
	test_err_tlb_info(ENOENT, self->fd, self->dev + 100);
}

/* Bad requests: an errno, and no device access */
FIXTURE(dma_args) {
	int fd;
	__u32 iommu;
	__u32 dev;
	__u32 pasid;
	__u32 max_pasids;
	char *mem;
	size_t page;
};

FIXTURE_SETUP(dma_args)
{
	struct mock_iommu_device_create out;
	struct mock_iommu_sva_info info;
	const char *skip;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	self->mem = mock_map_pages(2 * self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->mem);
	test_cmd_instance_create(self->fd, 0, 0, &self->iommu);
	ASSERT_EQ(0, _test_cmd_device_create(self->fd, self->iommu, 8, 0, &out));
	self->dev = out.out_device_id;
	self->max_pasids = out.out_max_pasids;
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	test_cmd_bind(self->fd, self->dev, &info);
	self->pasid = info.pasid;
	memset(self->mem, 0x5c, 2 * self->page);
}

FIXTURE_TEARDOWN(dma_args)
{
	test_close_leaves_nothing(self->fd);
}

#define READ_OP		MOCK_IOMMU_DMA_READ
#define FILL_OP		MOCK_IOMMU_DMA_FILL
#define PINNED		MOCK_IOMMU_DMA_PINNED

TEST_F(dma_args, bad_requests_are_refused)
{
	char *m = self->mem, buf[64];
	__u32 p = self->pasid;
	int fd = self->fd;

	test_err_dma(EINVAL, fd, self->dev, p, 0, PINNED, m, 64, buf, 0);
	test_err_dma(EINVAL, fd, self->dev, p, MOCK_IOMMU_DMA_COMPARE + 1, PINNED, m, 64, buf, 0);
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, 1U << 30, m, 64, buf, 0);
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, 1U << 29, m, 64, buf, 0);
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, PINNED | MOCK_IOMMU_DMA_PRG, m, 64,
		     buf, 0);
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, PINNED | MOCK_IOMMU_DMA_NO_PRI, m, 64,
		     buf, 0);
	/* Only FILL takes a byte, and only FILL goes without a buffer */
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, PINNED, m, 64, buf, 1);
	test_err_dma(EINVAL, fd, self->dev, p, READ_OP, PINNED, m, 64, NULL, 0);
	test_err_dma(EINVAL, fd, self->dev, p, FILL_OP, PINNED, m, 64, buf, 1);
	test_err_dma(EINVAL, fd, self->dev, p, FILL_OP, PINNED, m, 64, NULL, 256);
	/* Lengths and address ranges */
	test_err_dma(EINVAL, fd, self->dev, p, FILL_OP, PINNED, m, 0, NULL, 1);
	test_err_dma(EINVAL, fd, self->dev, p, FILL_OP, PINNED, m,
		     MOCK_IOMMU_DMA_MAX_LENGTH + 1, NULL, 1);
	test_err_dma(EINVAL, fd, self->dev, p, FILL_OP, PINNED, (void *)-64UL, 128, NULL, 1);
	/* PASID 0 is the requester ID's, max_pasids is one too many */
	test_err_dma(EINVAL, fd, self->dev, 0, FILL_OP, PINNED, m, 64, NULL, 1);
	test_err_dma(EINVAL, fd, self->dev, self->max_pasids, FILL_OP, PINNED, m, 64, NULL, 1);
	/* Not a device of this file */
	test_err_dma(ENOENT, fd, 0, p, FILL_OP, PINNED, m, 64, NULL, 1);
	test_err_dma(ENOENT, fd, self->iommu, p, FILL_OP, PINNED, m, 64, NULL, 1);
	test_err_dma(ENOENT, fd, self->dev + 100, p, FILL_OP, PINNED, m, 64, NULL, 1);
	ASSERT_TRUE(mock_all_bytes(m, 2 * self->page, 0x5c));
}

/* The caller's buffer is read whole before the device writes anything */
TEST_F(dma_args, unreadable_buffer_writes_nothing)
{
	char *src = mock_map_pages(2 * self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_counters c0, c1;

	ASSERT_NE(NULL, src);
	memset(src, 0x99, self->page);
	ASSERT_EQ(0, munmap(src + self->page, self->page));
	test_cmd_counters(self->fd, self->dev, &c0);
	test_err_dma(EFAULT, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_WRITE, PINNED,
		     self->mem, 2 * self->page, src, 0);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(c0.dma_transfers, c1.dma_transfers);
	ASSERT_TRUE(mock_all_bytes(self->mem, 2 * self->page, 0x5c));
	/* A READ into a bad buffer fails after the device read: no harm */
	test_err_dma(EFAULT, self->fd, self->dev, self->pasid, READ_OP, PINNED, self->mem,
		     2 * self->page, src, 0);
	munmap(src, self->page);
}

/* A device without PASID support takes no PASID at all */
TEST_F(dma_args, device_without_pasids)
{
	__u32 plain;

	test_cmd_device_create(self->fd, self->iommu, 0, 0, &plain);
	test_err_dma(EINVAL, self->fd, plain, self->pasid, FILL_OP, PINNED, self->mem, 64,
		     NULL, 1);
	test_err_dma(EINVAL, self->fd, plain, 1, FILL_OP, MOCK_IOMMU_DMA_NO_PRI, self->mem, 64,
		     NULL, 1);
	ASSERT_TRUE(mock_all_bytes(self->mem, 2 * self->page, 0x5c));
}

/* Without PRI and without pinning, a page the CPU never touched faults */
TEST_F(dma_args, no_pri_device_faults_on_fresh_memory)
{
	char *fresh = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, fresh);
	test_cmd_dma(self->fd, self->dev, self->pasid, FILL_OP, MOCK_IOMMU_DMA_NO_PRI, fresh,
		     self->page, NULL, 1, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status);
	ASSERT_EQ(0, d.out_page_requests);
	ASSERT_EQ(0, d.out_bytes);
	/* Once the CPU made it present and writable, the same transfer works */
	fresh[0] = 0;
	test_dma_status(MOCK_IOMMU_DMA_OK, self->fd, self->dev, self->pasid, FILL_OP,
			MOCK_IOMMU_DMA_NO_PRI, fresh, self->page, NULL, 1);
	ASSERT_TRUE(mock_all_bytes(fresh, self->page, 1));
	munmap(fresh, self->page);
}

/* A transfer with the fields the tests set by hand */
static int dma_cmd(int fd, __u32 dev, __u32 size, struct mock_iommu_dma *dma)
{
	struct mock_iommu_cmd cmd = { .dma = *dma };
	int ret;

	cmd.size = size;
	cmd.op = MOCK_IOMMU_OP_DMA;
	cmd.id = dev;
	ret = ioctl(fd, MOCK_IOMMU_CMD, &cmd) ? -errno : 0;
	*dma = cmd.dma;
	return ret;
}

TEST_F(dma_args, reserved_and_timeout_checked)
{
	struct mock_iommu_dma d = {
		.pasid = self->pasid, .op = FILL_OP, .flags = PINNED, .fill = 1,
		.iova = (uintptr_t)self->mem, .length = 64, .__reserved = 1,
	};

	ASSERT_EQ(-EINVAL, dma_cmd(self->fd, self->dev, sizeof(struct mock_iommu_cmd), &d));
	d.__reserved = 0;
	d.timeout_ms = MOCK_IOMMU_DMA_MAX_TIMEOUT_MS + 1;
	ASSERT_EQ(-EINVAL, dma_cmd(self->fd, self->dev, sizeof(struct mock_iommu_cmd), &d));
	ASSERT_TRUE(mock_all_bytes(self->mem, 2 * self->page, 0x5c));
	d.timeout_ms = MOCK_IOMMU_DMA_MAX_TIMEOUT_MS;
	ASSERT_EQ(0, dma_cmd(self->fd, self->dev, sizeof(struct mock_iommu_cmd), &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_TRUE(mock_all_bytes(self->mem, 64, 1));
}

/* A caller that knows the op's structure exactly is served; shorter is not */
/*
 * The least size is that of the first callers, up to out_response: they
 * get their outputs and nothing past their size is written; the full size
 * gets out_refused and out_refused_errno as well.
 */
TEST_F(dma_args, command_size)
{
	const __u32 need = offsetof(struct mock_iommu_cmd, dma.out_response) + sizeof(__u32);
	const __u32 full = offsetof(struct mock_iommu_cmd, dma) + sizeof(struct mock_iommu_dma);
	struct mock_iommu_dma d = {
		.pasid = self->pasid, .op = FILL_OP, .flags = PINNED, .fill = 2,
		.iova = (uintptr_t)self->mem, .length = 64,
		.out_refused = 0xa5a5a5a5, .out_refused_errno = 0xa5a5a5a5,
	};

	ASSERT_EQ(-EINVAL, dma_cmd(self->fd, self->dev, need - 1, &d));
	ASSERT_TRUE(mock_all_bytes(self->mem, 2 * self->page, 0x5c));
	ASSERT_EQ(0, dma_cmd(self->fd, self->dev, need, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(64, d.out_bytes);
	ASSERT_TRUE(mock_all_bytes(self->mem, 64, 2));
	ASSERT_EQ(0xa5a5a5a5, d.out_refused);
	ASSERT_EQ(0xa5a5a5a5, d.out_refused_errno);

	d.fill = 3;
	ASSERT_EQ(0, dma_cmd(self->fd, self->dev, full, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_TRUE(mock_all_bytes(self->mem, 64, 3));
	ASSERT_EQ(0, d.out_refused);
	ASSERT_EQ(0, d.out_refused_errno);
}

/*
 * A page response lost on its way to the device: the transfer ends with a
 * timeout instead of waiting forever. The core's handler did fault the
 * page in, so the device finds it present on the next try.
 */
TEST_F(dma_args, lost_page_response_times_out)
{
	char *fresh = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct mock_iommu_dma d = {
		.pasid = self->pasid, .op = FILL_OP, .fill = 3,
		.iova = (uintptr_t)fresh, .length = self->page, .timeout_ms = 300,
	};
	struct mock_iommu_counters c0, c1;
	const char *skip = mock_dma_unsupported(self->fd, self->dev, 0);

	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_NE(NULL, fresh);
	test_cmd_counters(self->fd, self->dev, &c0);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_PAGE_RESPONSE, self->dev, 1, EIO);
	ASSERT_EQ(0, dma_cmd(self->fd, self->dev, sizeof(struct mock_iommu_cmd), &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_TIMEOUT, d.out_status);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_EQ(1, d.out_page_requests);
	ASSERT_EQ((uintptr_t)fresh, d.out_fault_addr);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(1, c1.faults_injected - c0.faults_injected);
	ASSERT_EQ(1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(1, c1.page_responses - c0.page_responses);
	ASSERT_EQ(1, c1.dma_faults - c0.dma_faults);

	ASSERT_EQ(0, dma_cmd(self->fd, self->dev, sizeof(struct mock_iommu_cmd), &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(0, d.out_page_requests);
	ASSERT_TRUE(mock_all_bytes(fresh, self->page, 3));
	munmap(fresh, self->page);
}

/* A PASID with nothing attached on the device is blocked */
TEST_F(dma_args, unbound_pasid_is_blocked)
{
	struct mock_iommu_dma d;

	test_cmd_dma(self->fd, self->dev, self->pasid + 1, FILL_OP, PINNED, self->mem, 64,
		     NULL, 1, &d);
	ASSERT_EQ(MOCK_IOMMU_DMA_NO_DOMAIN, d.out_status);
	ASSERT_EQ(0, d.out_domain_id);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_TRUE(mock_all_bytes(self->mem, 2 * self->page, 0x5c));
}

TEST_HARNESS_MAIN
