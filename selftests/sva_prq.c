// SPDX-License-Identifier: GPL-2.0
/*
 * The life of a page request: a device's request goes through the IOMMU's
 * I/O page fault queue to the SVA core's handler, which runs in a
 * workqueue and answers through the driver's page_response(). What is
 * pinned down here is what happens around that work when it is slow: the
 * device or its PASID goes away under it, or its response comes late.
 *
 * The work is made slow on purpose: the page is in a file served by FUSE
 * from a thread of the test (mock_fuse.h), whose read of the page the test
 * holds and releases when it chooses.
 */
#include <stddef.h>
#include <sys/prctl.h>

#include "mock_iommu_utils.h"
#include "mock_fuse.h"

/* A transfer with flags and a timeout, the rest as _test_cmd_dma() */
static int dma_flags(int fd, __u32 dev, __u32 pasid, __u32 op, __u32 flags, const void *iova,
		     size_t len, __u32 fill, __u32 timeout_ms, struct mock_iommu_dma *out)
{
	struct mock_iommu_cmd cmd = {
		.dma = {
			.pasid = pasid,
			.op = op,
			.flags = flags,
			.fill = fill,
			.iova = (uintptr_t)iova,
			.length = len,
			.timeout_ms = timeout_ms,
		},
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_DMA, dev, &cmd);

	*out = cmd.dma;
	return ret;
}

#define dma_timeout(fd, dev, pasid, op, iova, len, fill, timeout_ms, out) \
	dma_flags(fd, dev, pasid, op, 0, iova, len, fill, timeout_ms, out)

/* Poll counter @off of @id until it reaches @want; false on timeout */
static bool wait_counter(int fd, __u32 id, size_t off, __u64 want)
{
	long long end = mock_now_ms() + MOCK_POLL_MS;
	struct mock_iommu_counters c;

	while (!_test_cmd_counters(fd, id, &c)) {
		if (*(__u64 *)((char *)&c + off) >= want)
			return true;
		if (mock_now_ms() >= end)
			break;
		mock_sleep_ms(1);
	}
	return false;
}

#define COUNTER(field)	offsetof(struct mock_iommu_counters, field)

/* A FILL in a thread created up front: no mmap() once the test holds a read */
struct bg_fill {
	int fd;
	__u32 dev;
	__u32 pasid;
	char *iova;
	size_t len;
	__u32 timeout_ms;
	int go;
	int ret;
	struct mock_iommu_dma d;
};

static void *bg_fill(void *arg)
{
	struct bg_fill *b = arg;

	while (!__atomic_load_n(&b->go, __ATOMIC_ACQUIRE))
		mock_sleep_ms(1);
	b->ret = dma_timeout(b->fd, b->dev, b->pasid, MOCK_IOMMU_DMA_FILL, b->iova, b->len,
			     0x77, b->timeout_ms, &b->d);
	return NULL;
}

/* Releases a held FUSE read after a delay, once told to */
struct releaser {
	struct mock_fuse *fuse;
	int page;
	int delay_ms;
	int go;
	bool released;
	long long at_ms;	/* when the release began (mock_now_ms()) */
};

static void *release_later(void *arg)
{
	struct releaser *r = arg;

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		mock_sleep_ms(1);
	mock_sleep_ms(r->delay_ms);
	__atomic_store_n(&r->at_ms, mock_now_ms(), __ATOMIC_RELEASE);
	r->released = mock_fuse_release(r->fuse, r->page, 0);
	return NULL;
}

/*
 * Devices A and B in one IOMMU group; the caller's mm is bound to A, so
 * B has the mm's PASID too, as a group peer, without a bond of its own.
 */
FIXTURE(peer_fault) {
	int fd;
	__u32 iommu;
	__u32 dev_a, dev_b;
	__u32 pasid;
	size_t page;
	struct mock_fuse fuse;
	char *mem;		/* the FUSE file, MAP_PRIVATE */
};

/* How B's transfer stops waiting for the response */
FIXTURE_VARIANT(peer_fault) {
	bool kill;
};

FIXTURE_VARIANT_ADD(peer_fault, timed_out) {
	.kill = false,
};

FIXTURE_VARIANT_ADD(peer_fault, killed) {
	.kill = true,
};

FIXTURE_SETUP(peer_fault)
{
	struct mock_iommu_sva_info info;
	const char *skip;

	self->fuse.dev_fd = -1;
	self->fuse.file_fd = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &self->iommu);
	test_cmd_device_create(self->fd, self->iommu, MOCK_PASID_BITS, 0, &self->dev_a);
	test_cmd_device_create(self->fd, self->iommu, MOCK_PASID_BITS, self->dev_a,
			       &self->dev_b);
	skip = mock_sva_disabled(self->fd, self->dev_a);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev_a, 0);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_fuse_start(&self->fuse);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fuse.file_fd) TH_LOG("FUSE server: %s", strerror(errno));
	self->mem = mock_fuse_map(&self->fuse);
	ASSERT_NE(NULL, self->mem);
	test_cmd_bind(self->fd, self->dev_a, &info);
	self->pasid = info.pasid;
	test_pasid_domain(self->fd, self->dev_b, self->pasid, info.domain_id);
	/* The group-wide attach put both on the fault queue */
	test_fault_queue(self->fd, self->dev_a, 1);
	test_fault_queue(self->fd, self->dev_b, 1);
}

FIXTURE_TEARDOWN(peer_fault)
{
	int i;

	/* Let every fault finish before munmap() wants the mmap_lock */
	for (i = 0; i < MOCK_FUSE_PAGES; i++)
		mock_fuse_release(&self->fuse, i, -EIO);
	if (self->mem)
		munmap(self->mem, MOCK_FUSE_PAGES * self->page);
	mock_fuse_stop(&self->fuse);
	test_close_leaves_nothing(self->fd);
}

/*
 * B's transfer at A's PASID faults on a page whose fault is slow, and
 * stops waiting (timeout or kill) while the core's work on its page
 * request still runs. Destroying B must let that work finish first: the
 * work uses B's fault queue entry, B and its group. The response is the
 * work's own (success, stale: nobody waits), not the INVALID with which
 * iopf_queue_remove_device() answers what it finds pending, and KASAN
 * watches the work touch nothing freed.
 */
TEST_F(peer_fault, destroying_the_peer_waits_for_its_page_request)
{
	struct releaser r = { .fuse = &self->fuse, .page = 0, .delay_ms = 300 };
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;
	long long t0, took;
	pthread_t thread;
	pid_t pid = -1;

	test_cmd_counters(self->fd, self->iommu, &c0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, release_later, &r));
	/*
	 * Hold the read before the child exists: armed after fork(), a child
	 * scheduled first had its page served and its transfer completed.
	 * From here on no mmap() in this mm until the read is released (the
	 * held fault keeps mmap_lock); fork() runs before any fault is held.
	 */
	mock_fuse_hold(&self->fuse, 0);
	if (variant->kill) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			CHILD_CHECK(!prctl(PR_SET_PDEATHSIG, SIGKILL), 2);
			dma_timeout(self->fd, self->dev_b, self->pasid, MOCK_IOMMU_DMA_FILL,
				    self->mem, self->page, 0x5a, MOCK_IOMMU_DMA_MAX_TIMEOUT_MS, &d);
			_exit(3);
		}
		ASSERT_TRUE(mock_fuse_wait_held(&self->fuse, 0, MOCK_POLL_MS));
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(128 + SIGKILL, mock_wait_exit(pid));
	} else {
		ASSERT_EQ(0, dma_timeout(self->fd, self->dev_b, self->pasid,
					 MOCK_IOMMU_DMA_FILL, self->mem, self->page, 0x5a, 100,
					 &d));
		ASSERT_EQ(MOCK_IOMMU_DMA_TIMEOUT, d.out_status);
		ASSERT_EQ(1, d.out_page_requests);
		ASSERT_EQ(0, d.out_bytes);
	}
	/* The core's work for the request is still in the FUSE read */
	ASSERT_TRUE(mock_fuse_wait_held(&self->fuse, 0, MOCK_POLL_MS));
	ASSERT_EQ(1, mock_fuse_reads(&self->fuse, 0));

	__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
	t0 = mock_now_ms();
	test_cmd_destroy(self->fd, self->dev_b);
	took = mock_now_ms() - t0;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_TRUE(r.released);
	TH_LOG("destroying B took %lld ms", took);

	test_cmd_counters(self->fd, self->iommu, &c1);
	ASSERT_EQ(1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(1, c1.page_responses - c0.page_responses);
	ASSERT_EQ(0, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(1, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_EQ(1, c1.devices_released - c0.devices_released);
	/* B left the queue with its PASID table; A stays on it */
	test_fault_queue(self->fd, self->dev_a, 1);
	/* A still reaches the mm: the fault made the page present, unfilled */
	test_dma_holds(self->fd, self->dev_a, self->pasid, 0, self->mem, self->page,
		       mock_fuse_byte(0));
}

/* One device, the caller's mm bound to it */
FIXTURE(prq) {
	int fd;
	__u32 dev;
	__u32 bond;
	__u32 pasid;
	size_t page;
	struct mock_fuse fuse;
	char *mem;		/* the FUSE file, MAP_PRIVATE */
};

FIXTURE_SETUP(prq)
{
	struct mock_iommu_sva_info info;
	const char *skip;
	__u32 iommu;

	self->fuse.dev_fd = -1;
	self->fuse.file_fd = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &iommu);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->dev);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_fuse_start(&self->fuse);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fuse.file_fd) TH_LOG("FUSE server: %s", strerror(errno));
	self->mem = mock_fuse_map(&self->fuse);
	ASSERT_NE(NULL, self->mem);
	test_cmd_bind(self->fd, self->dev, &info);
	self->pasid = info.pasid;
	self->bond = info.bond_id;
}

FIXTURE_TEARDOWN(prq)
{
	int i;

	for (i = 0; i < MOCK_FUSE_PAGES; i++)
		mock_fuse_release(&self->fuse, i, -EIO);
	if (self->mem)
		munmap(self->mem, MOCK_FUSE_PAGES * self->page);
	mock_fuse_stop(&self->fuse);
	test_close_leaves_nothing(self->fd);
}

/* How long an unbind may take while a transfer waits at its PASID */
#define UNBIND_BOUND_MS		3000

/*
 * A transfer waits for a page response that was lost on its way (fault
 * injection); its timeout is long. Unbinding the mm detaches the PASID,
 * which must not wait for that response under the core's locks: like
 * hardware stopping a PASID, the detach completes the request, and the
 * transfer ends aborted, at once, having written nothing.
 */
TEST_F(prq, unbind_aborts_a_transfer_waiting_for_a_lost_response)
{
	char *fresh = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	struct bg_fill b = {
		.fd = self->fd, .dev = self->dev, .pasid = self->pasid,
		.len = self->page, .timeout_ms = 20000, .go = 1,
	};
	struct mock_iommu_counters c0, c1;
	long long t0, took;
	pthread_t thread;

	ASSERT_NE(NULL, fresh);
	b.iova = fresh;
	test_cmd_counters(self->fd, self->dev, &c0);
	test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_PAGE_RESPONSE, self->dev, 1, EIO);
	ASSERT_EQ(0, pthread_create(&thread, NULL, bg_fill, &b));
	/* The response was lost: the transfer waits for it */
	ASSERT_TRUE(wait_counter(self->fd, self->dev, COUNTER(faults_injected),
				 c0.faults_injected + 1));

	t0 = mock_now_ms();
	test_cmd_destroy(self->fd, self->bond);
	took = mock_now_ms() - t0;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("unbind took %lld ms", took);
	ASSERT_EQ(0, b.ret);
	ASSERT_EQ(MOCK_IOMMU_DMA_ABORTED, b.d.out_status);
	ASSERT_EQ(1, b.d.out_page_requests);
	ASSERT_EQ(0, b.d.out_bytes);
	ASSERT_EQ((uintptr_t)fresh, b.d.out_fault_addr);
	ASSERT_GT(UNBIND_BOUND_MS, took);

	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(1, c1.page_responses - c0.page_responses);
	ASSERT_EQ(0, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_EQ(1, c1.dma_faults - c0.dma_faults);
	ASSERT_EQ(1, c1.detach_calls - c0.detach_calls);
	/* The core's handler faulted the page in; the device wrote nothing */
	ASSERT_TRUE(mock_all_bytes(fresh, self->page, 0));
	munmap(fresh, self->page);
}

/*
 * A transfer times out while the core's work on its page request is still
 * in a slow fault (a held FUSE read). That work reads the SVA domain's mm,
 * and the unbind frees the domain: the PASID's detach flushes the fault
 * queue (iopf_queue_flush_dev(), as intel's PASID drain does), so the
 * unbind returns only once the read was released and the work is done.
 * The work's response then finds nobody waiting: stale.
 */
TEST_F(prq, unbind_waits_for_the_fault_work)
{
	struct releaser r = { .fuse = &self->fuse, .page = 0, .delay_ms = 300 };
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;
	long long done;
	pthread_t thread;

	test_cmd_counters(self->fd, self->dev, &c0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, release_later, &r));
	mock_fuse_hold(&self->fuse, 0);
	ASSERT_EQ(0, dma_timeout(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
				 self->mem, self->page, 0x5a, 100, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_TIMEOUT, d.out_status);
	ASSERT_EQ(1, d.out_page_requests);
	/* The core's work for the request is still in the FUSE read */
	ASSERT_TRUE(mock_fuse_wait_held(&self->fuse, 0, MOCK_POLL_MS));

	__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
	test_cmd_destroy(self->fd, self->bond);
	done = mock_now_ms();
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_TRUE(r.released);
	ASSERT_LE(r.at_ms, done)
		TH_LOG("the unbind returned %lld ms before the fault work could end",
		       r.at_ms - done);

	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(1, c1.page_responses - c0.page_responses);
	ASSERT_EQ(1, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
	test_fault_queue(self->fd, self->dev, 0);
}

/* Page request group indexes: 9 bits */
#define PRG_INDEXES	512

/*
 * Request R1 (page X) times out while the core's work on it is slow; the
 * device goes on and sends 511 more requests, so that the next one, R513
 * (page Y), would get R1's group index again, at the same PASID. Then R1's
 * response comes, late, and says INVALID (the read of X fails). It is
 * R1's, stale: R513 must not take it for its own, and completes when its
 * own response comes.
 */
TEST_F(prq, late_response_does_not_complete_a_newer_request)
{
	const size_t others = PRG_INDEXES - 1;
	char *anon = mock_map_pages(others * self->page, PROT_READ | PROT_WRITE);
	char *x = self->mem, *y = self->mem + self->page;
	struct bg_fill b = {
		.fd = self->fd, .dev = self->dev, .pasid = self->pasid,
		.iova = y, .len = self->page, .timeout_ms = 20000,
	};
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;
	pthread_t thread;
	size_t done, n;

	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, pthread_create(&thread, NULL, bg_fill, &b));
	test_cmd_counters(self->fd, self->dev, &c0);

	/* From here on no mmap() in this mm until X is released */
	mock_fuse_hold(&self->fuse, 0);
	ASSERT_EQ(0, dma_timeout(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL, x,
				 self->page, 0x11, 200, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_TIMEOUT, d.out_status);
	ASSERT_EQ(1, d.out_page_requests);
	ASSERT_TRUE(mock_fuse_wait_held(&self->fuse, 0, MOCK_POLL_MS));

	/* 511 requests, one per fresh page, each answered */
	for (done = 0; done < others; done += n) {
		n = others - done;
		if (n > MOCK_IOMMU_DMA_MAX_LENGTH / self->page)
			n = MOCK_IOMMU_DMA_MAX_LENGTH / self->page;
		ASSERT_EQ(0, dma_timeout(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
					 anon + done * self->page, n * self->page, 0x22, 0, &d));
		ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
		ASSERT_EQ(n, d.out_page_requests);
	}

	/* R513 at Y, whose fault waits in the read of Y */
	mock_fuse_hold(&self->fuse, 1);
	__atomic_store_n(&b.go, 1, __ATOMIC_RELEASE);
	ASSERT_TRUE(mock_fuse_wait_held(&self->fuse, 1, MOCK_POLL_MS));
	ASSERT_TRUE(wait_counter(self->fd, self->dev, COUNTER(page_requests),
				 c0.page_requests + PRG_INDEXES + 1));

	/* R1's late response: INVALID */
	ASSERT_TRUE(mock_fuse_release(&self->fuse, 0, -EIO));
	ASSERT_TRUE(wait_counter(self->fd, self->dev, COUNTER(page_responses_failed),
				 c0.page_responses_failed + 1));
	/* R513's own: success */
	ASSERT_TRUE(mock_fuse_release(&self->fuse, 1, 0));
	ASSERT_EQ(0, pthread_join(thread, NULL));

	ASSERT_EQ(0, b.ret);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, b.d.out_status)
		TH_LOG("response %u at %#llx", b.d.out_response,
		       (unsigned long long)b.d.out_fault_addr);
	ASSERT_EQ(1, b.d.out_page_requests);
	ASSERT_EQ(0 /* IOMMU_PAGE_RESP_SUCCESS */, b.d.out_response);
	ASSERT_EQ(self->page, b.d.out_bytes);
	ASSERT_TRUE(mock_all_bytes(y, self->page, 0x77));

	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(PRG_INDEXES + 1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(PRG_INDEXES, c1.page_responses - c0.page_responses);
	ASSERT_EQ(1, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(1, c1.page_responses_stale - c0.page_responses_stale);
	munmap(anon, others * self->page);
}

/*
 * A transfer over fresh pages with MOCK_IOMMU_DMA_PRG: the device requests
 * up to 8 missing pages as one page request group (7 requests without
 * the last-page flag, then the last), the core answers once per group.
 * 12 pages, two of them present: a group of 8, then one of 2.
 */
TEST_F(prq, page_request_group_is_answered_once)
{
	const int pages = 12;
	size_t len = pages * self->page;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, mem);
	mem[3 * self->page] = 1;
	mem[5 * self->page] = 1;
	test_cmd_counters(self->fd, self->dev, &c0);
	ASSERT_EQ(0, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
			       MOCK_IOMMU_DMA_PRG, mem, len, 0x3c, 0, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(len, d.out_bytes);
	ASSERT_EQ(pages - 2, d.out_page_requests);
	ASSERT_EQ(0, d.out_response);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(pages - 2, c1.page_requests - c0.page_requests);
	ASSERT_EQ(2, c1.page_responses - c0.page_responses);
	ASSERT_EQ(0, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(0, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0x3c));
	munmap(mem, len);
}

/*
 * The page request queue overflows before each group's last request: the
 * driver discards the partial faults (iopf_queue_discard_partial()), the
 * core answers each group for its last page alone, and the device asks
 * again for the rest. 3 fresh pages: a group of 3 of which the third is
 * served, then a group of 2 of which the second is, then a group of 1.
 */
TEST_F(prq, overflow_discards_partial_faults)
{
	const int pages = 3;
	size_t len = pages * self->page;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, mem);
	test_cmd_counters(self->fd, self->dev, &c0);
	ASSERT_EQ(0, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
			       MOCK_IOMMU_DMA_PRG | MOCK_IOMMU_DMA_PRQ_OVERFLOW, mem, len, 0x3c, 0,
			       &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, d.out_status);
	ASSERT_EQ(len, d.out_bytes);
	ASSERT_EQ(3 + 2 + 1, d.out_page_requests);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(3 + 2 + 1, c1.page_requests - c0.page_requests);
	ASSERT_EQ(3, c1.page_responses - c0.page_responses);
	ASSERT_EQ(0, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(0, c1.page_responses_stale - c0.page_responses_stale);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0x3c));
	/* Without a group the flag means nothing: refused */
	ASSERT_EQ(-EINVAL, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
				     MOCK_IOMMU_DMA_PRQ_OVERFLOW, mem, len, 0x3c, 0, &d));
	munmap(mem, len);
}

/*
 * The IOMMU loses a group's last request before the driver sees it: the
 * core keeps the group's other requests as partial faults, nobody answers,
 * and the transfer times out. The partial faults are the fault queue's to
 * free when the device leaves it, at the unbind; kmemleak (in the
 * verdict) reports them otherwise.
 */
TEST_F(prq, partial_faults_of_a_lost_group_go_with_the_device)
{
	/* Groups of 8: 7 partial faults each, 28 per round for kmemleak */
	const int groups = 4, pages = MOCK_IOMMU_DMA_PRG_PAGES;
	size_t len = pages * self->page;
	const __u32 lost = MOCK_IOMMU_DMA_PRG | MOCK_IOMMU_DMA_PRG_LAST_LOST;
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info info;
	struct mock_iommu_dma d;
	char *mem[4];
	int i, round;

	for (i = 0; i < groups; i++) {
		mem[i] = mock_map_pages(len, PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, mem[i]);
	}
	/* The queue loses one kind of thing at a time, and only of groups */
	ASSERT_EQ(-EINVAL, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
				     MOCK_IOMMU_DMA_PRG_LAST_LOST, mem[0], len, 0x3c, 0, &d));
	ASSERT_EQ(-EINVAL, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
				     lost | MOCK_IOMMU_DMA_PRQ_OVERFLOW, mem[0], len, 0x3c, 0, &d));

	/*
	 * Two rounds, two fault parameters: the partial faults of one are a
	 * linked list, which a single stale pointer somewhere would hide from
	 * kmemleak whole.
	 */
	for (round = 0; round < 2; round++) {
		if (round) {
			test_cmd_bind(self->fd, self->dev, &info);
			self->bond = info.bond_id;
		}
		test_cmd_counters(self->fd, self->dev, &c0);
		for (i = 0; i < groups; i++) {
			ASSERT_EQ(0, madvise(mem[i], len, MADV_DONTNEED));
			ASSERT_EQ(0, dma_flags(self->fd, self->dev, self->pasid,
					       MOCK_IOMMU_DMA_FILL, lost, mem[i], len, 0x3c, 100,
					       &d));
			ASSERT_EQ(MOCK_IOMMU_DMA_TIMEOUT, d.out_status);
			ASSERT_EQ(0, d.out_bytes);
			ASSERT_EQ(pages, d.out_page_requests);
			ASSERT_EQ(0, d.out_refused);
		}
		test_cmd_counters(self->fd, self->dev, &c1);
		ASSERT_EQ(groups * pages, c1.page_requests - c0.page_requests);
		ASSERT_EQ(0, c1.page_responses - c0.page_responses);
		ASSERT_EQ(0, c1.page_responses_failed - c0.page_responses_failed);

		/* The last detach takes the device off the queue, partials and all */
		test_fault_queue(self->fd, self->dev, 1);
		test_cmd_destroy(self->fd, self->bond);
		test_fault_queue(self->fd, self->dev, 0);
		test_cmd_counters(self->fd, self->dev, &c0);
		ASSERT_EQ(0, c0.page_responses_stale - c1.page_responses_stale);
	}
	for (i = 0; i < groups; i++) {
		ASSERT_TRUE(mock_all_bytes(mem[i], len, 0));
		munmap(mem[i], len);
	}
}

/*
 * A group of 4 pages whose third cannot be written (read-only mapping):
 * the core stops at it (errors are sticky) and answers INVALID for the
 * whole group, once; the device reports the fault at the group's first
 * page, having written nothing.
 */
TEST_F(prq, bad_page_fails_the_whole_group)
{
	const int pages = 4;
	size_t len = pages * self->page;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, mprotect(mem + 2 * self->page, self->page, PROT_READ));
	test_cmd_counters(self->fd, self->dev, &c0);
	ASSERT_EQ(0, dma_flags(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL,
			       MOCK_IOMMU_DMA_PRG, mem, len, 0x3c, 0, &d));
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_EQ((uintptr_t)mem, d.out_fault_addr);
	ASSERT_EQ(pages, d.out_page_requests);
	ASSERT_EQ(1 /* IOMMU_PAGE_RESP_INVALID */, d.out_response);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(pages, c1.page_requests - c0.page_requests);
	ASSERT_EQ(0, c1.page_responses - c0.page_responses);
	ASSERT_EQ(1, c1.page_responses_failed - c0.page_responses_failed);
	ASSERT_EQ(1, c1.dma_faults - c0.dma_faults);
	ASSERT_TRUE(mock_all_bytes(mem, len, 0));
	munmap(mem, len);
}

TEST_HARNESS_MAIN
