// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures inside the SVA core, the way iommufd_fail_nth.c
 * drives iommufd: /proc/thread-self/fail-nth makes the N-th allocation of
 * the calling task fail (failslab and fail_page_alloc, the test task only),
 * and each operation is run with N = 1, 2, ... until it completes with no
 * failure injected. Every step must end with a clean errno or succeed, and
 * leave the bond, handle and domain counts and the mm's state exactly as
 * they were; kmemleak (in the runner's verdict) finds what a failed step
 * leaked, the splat scan what it broke.
 *
 * Also uacce opens whose bind fails: the errno reaches open(), the queue
 * slot is given back.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "mock_iommu_utils.h"

/* More steps than any of the operations below has allocations */
#define NTH_MAX		300

#define MOCK_NO_FAIL_NTH							\
	"/proc/thread-self/fail-nth is missing: the kernel is built without "	\
	"CONFIG_FAULT_INJECTION"
#define MOCK_NO_UACCE								\
	"MOCK_IOMMU_OP_UACCE_CREATE is -EOPNOTSUPP: the kernel is built "	\
	"without CONFIG_UACCE"
#define MOCK_NO_FAILSLAB							\
	"/sys/kernel/debug/failslab is missing: the kernel is built without "	\
	"CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Let failslab and fail_page_alloc fail sleeping allocations too, and keep
 * them quiet: an injected failure is no splat. Returns why fail-nth cannot
 * run here, or NULL.
 */
static const char *setup_fault_injection(void)
{
	static const char * const quiet[] = { "failslab", "fail_page_alloc" };
	char path[128];
	unsigned int i;

	if (access("/proc/thread-self/fail-nth", R_OK | W_OK))
		return MOCK_NO_FAIL_NTH;
	if (access("/sys/kernel/debug/failslab", F_OK))
		return MOCK_NO_FAILSLAB;
	if (write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"))
		return MOCK_NO_FAILSLAB;
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	for (i = 0; i < ARRAY_SIZE(quiet); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/verbose", quiet[i]);
		write_file(path, "0");
	}
	return NULL;
}

/* Make the @n-th fault-injectable call of this thread fail */
static int nth_arm(int nth_fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarm; true when the failure was injected */
static bool nth_disarm(int nth_fd)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	/* Writing 0 can itself be the call that fails: retry */
	while (pwrite(nth_fd, "0", 1, 0) != 1)
		;
	return n >= 1 && buf[0] == '0';
}

/* The errnos an allocation failure may come back as */
static bool clean_errno(int err)
{
	switch (err) {
	case ENOMEM:
	case ENOSPC:	/* the PASID allocator's ida failing */
		return true;
	}
	return false;
}

FIXTURE(fail_nth) {
	int fd;
	int nth_fd;
	__u32 dev[2];		/* an IOMMU each */
	__u32 udev;		/* uacce parent, dev[0]'s IOMMU */
};

FIXTURE_SETUP(fail_nth)
{
	const char *skip;
	__u32 iommu[2];

	self->nth_fd = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &iommu[0]);
	test_cmd_instance_create(self->fd, 0, 0, &iommu[1]);
	test_cmd_device_create(self->fd, iommu[0], MOCK_PASID_BITS, 0, &self->dev[0]);
	test_cmd_device_create(self->fd, iommu[1], MOCK_PASID_BITS, 0, &self->dev[1]);
	test_cmd_device_create(self->fd, iommu[0], MOCK_PASID_BITS, 0, &self->udev);
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
	skip = setup_fault_injection();
	if (skip)
		SKIP(return, "%s", skip);
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
	test_close_leaves_nothing(self->fd);
}

/* What a step must leave as it found it */
struct sva_state {
	__u64 bonds, handles, domains;
	__u32 mm_domains, pasid;
};

static int read_state(int fd, struct sva_state *s)
{
	struct mock_iommu_counters c;
	struct mock_iommu_mm_info mi;

	if (_test_cmd_counters(fd, 0, &c) || _test_cmd_mm_info(fd, &mi))
		return -1;
	*s = (struct sva_state){ c.bonds_alive, c.handles_alive, c.domains_alive,
				 mi.out_domains, mi.out_pasid };
	return 0;
}

#define test_state_is(fd, s0, step)						\
	({									\
		struct sva_state __s, __s0 = (s0);				\
		unsigned int __step = (step);					\
		ASSERT_EQ(0, read_state(fd, &__s));				\
		ASSERT_EQ(__s0.bonds, __s.bonds) TH_LOG("step %u", __step);	\
		ASSERT_EQ(__s0.handles, __s.handles) TH_LOG("step %u", __step); \
		ASSERT_EQ(__s0.domains, __s.domains) TH_LOG("step %u", __step); \
		ASSERT_EQ(__s0.mm_domains, __s.mm_domains) TH_LOG("step %u", __step); \
		ASSERT_EQ(__s0.pasid, __s.pasid) TH_LOG("step %u", __step);	\
	})

/*
 * Bind the mm, which already has a PASID and a domain on the first IOMMU,
 * to a device of the second: a handle, a domain (its notifier) and the
 * mock's bond are allocated in there.
 */
TEST_F(fail_nth, bind)
{
	struct mock_iommu_sva_info a, b;
	struct sva_state s0;
	unsigned int n, failed = 0;
	bool injected;
	int ret;

	test_cmd_bind(self->fd, self->dev[0], &a);
	ASSERT_EQ(0, read_state(self->fd, &s0));
	for (n = 1; n < NTH_MAX; n++) {
		ASSERT_EQ(0, nth_arm(self->nth_fd, n));
		ret = _test_cmd_bind(self->fd, self->dev[1], &b);
		injected = nth_disarm(self->nth_fd);
		if (ret) {
			ASSERT_TRUE(clean_errno(-ret)) TH_LOG("step %u: %s", n, strerror(-ret));
			ASSERT_TRUE(injected);
			failed++;
		} else {
			ASSERT_EQ(a.pasid, b.pasid);
			test_pasid_domain(self->fd, self->dev[1], b.pasid, b.domain_id);
			test_cmd_destroy(self->fd, b.bond_id);
		}
		test_state_is(self->fd, s0, n);
		test_pasid_domain(self->fd, self->dev[1], a.pasid, 0);
		test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
		if (!ret && !injected)
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	ASSERT_LT(0, failed) TH_LOG("no allocation of the bind ever failed");
	TH_LOG("%u steps, %u failed binds", n, failed);
	test_cmd_destroy(self->fd, a.bond_id);
}

/*
 * The first bind of a fresh mm (PASID allocation, iommu_mm_data), in a
 * child per step: the child's mm dies with it, the bond it made lives in
 * the shared file until we unbind it.
 */
TEST_F(fail_nth, first_bind)
{
	struct mock_iommu_counters c0, c1;
	unsigned int n, failed = 0;
	int res[3], p[2];

	test_cmd_counters(self->fd, 0, &c0);
	for (n = 1; n < NTH_MAX; n++) {
		pid_t pid;

		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct mock_iommu_sva_info b = {};
			int nfd = open("/proc/thread-self/fail-nth", O_RDWR);

			CHILD_CHECK(nfd >= 0, 1);
			CHILD_CHECK(!nth_arm(nfd, n), 2);
			res[0] = _test_cmd_bind(self->fd, self->dev[0], &b);
			res[1] = nth_disarm(nfd);
			res[2] = b.bond_id;
			CHILD_CHECK(write(p[1], res, sizeof(res)) == sizeof(res), 3);
			_exit(0);
		}
		close(p[1]);
		ASSERT_EQ(sizeof(res), read(p[0], res, sizeof(res)));
		close(p[0]);
		ASSERT_EQ(0, mock_wait_exit(pid));
		if (res[0]) {
			ASSERT_TRUE(clean_errno(-res[0]))
				TH_LOG("step %u: %s", n, strerror(-res[0]));
			ASSERT_TRUE(res[1]);
			failed++;
		} else {
			test_cmd_destroy(self->fd, res[2]);
		}
		test_cmd_counters(self->fd, 0, &c1);
		ASSERT_EQ(c0.bonds_alive, c1.bonds_alive) TH_LOG("step %u", n);
		ASSERT_EQ(c0.handles_alive, c1.handles_alive) TH_LOG("step %u", n);
		ASSERT_EQ(c0.domains_alive, c1.domains_alive) TH_LOG("step %u", n);
		if (!res[0] && !res[1])
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	ASSERT_LT(0, failed);
	TH_LOG("%u steps, %u failed binds", n, failed);
}

/* Unbind cannot fail; whatever allocation fails in it, it leaves nothing */
TEST_F(fail_nth, unbind)
{
	struct mock_iommu_sva_info a, b;
	struct sva_state s0;
	unsigned int n;
	bool injected;

	test_cmd_bind(self->fd, self->dev[0], &a);
	ASSERT_EQ(0, read_state(self->fd, &s0));
	for (n = 1; n < NTH_MAX; n++) {
		test_cmd_bind(self->fd, self->dev[1], &b);
		ASSERT_EQ(0, nth_arm(self->nth_fd, n));
		ASSERT_EQ(0, _test_cmd_destroy(self->fd, b.bond_id)) TH_LOG("step %u", n);
		injected = nth_disarm(self->nth_fd);
		test_state_is(self->fd, s0, n);
		test_domain_freed(self->fd, b.domain_id);
		test_pasid_domain(self->fd, self->dev[1], a.pasid, 0);
		if (!injected)
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	TH_LOG("%u steps", n);
	test_cmd_destroy(self->fd, a.bond_id);
}

/* uacce's open(): the queue, its bind, the driver's queue */
TEST_F(fail_nth, uacce_open)
{
	struct mock_iommu_uacce_create uc;
	struct sva_state s0, s1;
	unsigned int n, failed = 0;
	char path[64], avail[128], buf[16];
	bool injected;
	int qfd, err, afd, ret;

	ret = _test_cmd_uacce_create(self->fd, self->udev, 2, 0, &uc);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_UACCE);
	ASSERT_EQ(0, ret);
	snprintf(path, sizeof(path), "/dev/%s-%u", MOCK_IOMMU_UACCE_NAME, uc.out_dev_id);
	snprintf(avail, sizeof(avail), "/sys/class/uacce/%s-%u/available_instances",
		 MOCK_IOMMU_UACCE_NAME, uc.out_dev_id);
	for (n = 1; n < NTH_MAX; n++) {
		ASSERT_EQ(0, read_state(self->fd, &s0));
		ASSERT_EQ(0, nth_arm(self->nth_fd, n));
		qfd = open(path, O_RDWR | O_CLOEXEC);
		err = errno;
		injected = nth_disarm(self->nth_fd);
		if (qfd < 0) {
			ASSERT_TRUE(clean_errno(err)) TH_LOG("step %u: %s", n, strerror(err));
			ASSERT_TRUE(injected);
			failed++;
		} else {
			ASSERT_EQ(0, read_state(self->fd, &s1));
			ASSERT_EQ(s0.handles + 1, s1.handles);
			close(qfd);
		}
		/* A failed first bind may leave the mm its PASID: nothing else */
		ASSERT_EQ(0, read_state(self->fd, &s1));
		if (s0.pasid == NO_PASID)
			s0.pasid = s1.pasid;
		test_state_is(self->fd, s0, n);
		afd = open(avail, O_RDONLY);
		ASSERT_LE(0, afd);
		memset(buf, 0, sizeof(buf));
		ASSERT_LT(0, read(afd, buf, sizeof(buf) - 1));
		close(afd);
		ASSERT_EQ(2, atoi(buf)) TH_LOG("step %u", n);
		if (qfd >= 0 && !injected)
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	ASSERT_LT(0, failed);
	TH_LOG("%u steps, %u failed opens", n, failed);
	test_cmd_destroy(self->fd, uc.out_uacce_id);
}

/*
 * A new IOMMU instance and a device behind it that can fault: the fault
 * queue (iopf_queue_alloc(): its workqueue), the IOMMU's registration and
 * probe, the device's entry on the fault queue (iopf_queue_add_device()).
 * A failed step is a clean errno with nothing left behind: no device
 * probed and not released, no state of the core.
 */
TEST_F(fail_nth, instance_and_device)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_device_create dc;
	unsigned int n, failed = 0;
	__u32 iommu = 0;
	bool injected;
	int ret;

	test_cmd_counters(self->fd, 0, &c0);
	for (n = 1; n < NTH_MAX; n++) {
		iommu = 0;
		memset(&dc, 0, sizeof(dc));
		ASSERT_EQ(0, nth_arm(self->nth_fd, n));
		ret = _test_cmd_instance_create(self->fd, 0, 0, &iommu);
		if (!ret) {
			ret = _test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &dc);
			/*
			 * Two allocation failures come back as other errnos:
			 * the IOMMU core's probe failed (the module cannot
			 * say why: -ENODEV), and device_add() could not
			 * allocate the device's name (-EINVAL).
			 */
			if (ret == -ENODEV || ret == -EINVAL)
				ret = -ENOMEM;
		}
		injected = nth_disarm(self->nth_fd);
		if (ret) {
			ASSERT_TRUE(clean_errno(-ret)) TH_LOG("step %u: %s", n, strerror(-ret));
			ASSERT_TRUE(injected);
			failed++;
		} else {
			/* Whole: the device faults through its queue */
			ASSERT_EQ(NULL, mock_dma_unsupported(self->fd, dc.out_device_id, 0));
			test_cmd_destroy(self->fd, dc.out_device_id);
		}
		if (iommu)
			test_cmd_destroy(self->fd, iommu);
		test_cmd_counters(self->fd, 0, &c1);
		ASSERT_EQ(c0.devices_probed - c0.devices_released,
			  c1.devices_probed - c1.devices_released) TH_LOG("step %u", n);
		ASSERT_EQ(c0.domains_alive, c1.domains_alive) TH_LOG("step %u", n);
		ASSERT_EQ(c0.unexpected_calls, c1.unexpected_calls) TH_LOG("step %u", n);
		if (!ret && !injected)
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	ASSERT_LT(0, failed);
	TH_LOG("%u steps, %u failed", n, failed);
}

/*
 * A transfer over fresh pages: page requests, the fault core's group
 * allocation in the reporting task. A failed step is an errno, or a page
 * request answered FAILURE; never a stale or lost response. @flags 0: one
 * request per page; MOCK_IOMMU_DMA_PRG: one page request group for all of
 * them, whose non-last requests the core records as partial faults (a
 * failed record loses the page from the group: the device asks again).
 */
static void faulting_transfer(struct __test_metadata *_metadata, int fd, __u32 dev,
			      int nth_fd, __u32 flags, size_t pages)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info a;
	struct mock_iommu_dma d;
	struct sva_state s0;
	size_t len = pages * getpagesize();
	unsigned int n, failed = 0, retried = 0;
	const char *skip;
	bool injected;
	char *mem;
	int ret;

	skip = mock_dma_unsupported(fd, dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, mem);
	test_cmd_bind(fd, dev, &a);
	ASSERT_EQ(0, read_state(fd, &s0));
	for (n = 1; n < NTH_MAX; n++) {
		ASSERT_EQ(0, madvise(mem, len, MADV_DONTNEED));
		test_cmd_counters(fd, dev, &c0);
		memset(&d, 0, sizeof(d));
		ASSERT_EQ(0, nth_arm(nth_fd, n));
		ret = _test_cmd_dma(fd, dev, a.pasid, MOCK_IOMMU_DMA_FILL, flags,
				    mem, len, NULL, 0x3c, &d);
		injected = nth_disarm(nth_fd);
		test_cmd_counters(fd, dev, &c1);
		if (ret) {
			ASSERT_TRUE(clean_errno(-ret)) TH_LOG("step %u: %s", n, strerror(-ret));
			failed++;
		} else if (d.out_status != MOCK_IOMMU_DMA_OK) {
			ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status) TH_LOG("step %u", n);
			ASSERT_EQ(2, d.out_response) TH_LOG("step %u", n);	/* FAILURE */
			/* The group was taken in, its handling failed */
			ASSERT_EQ(0, d.out_refused) TH_LOG("step %u", n);
			failed++;
		} else {
			ASSERT_TRUE(mock_all_bytes(mem, len, 0x3c));
			/*
			 * One request per page, unless a page had to be asked
			 * again: its partial fault was lost, and the core said
			 * so to the driver, with -ENOMEM.
			 */
			ASSERT_EQ(d.out_page_requests - pages, d.out_refused)
				TH_LOG("step %u: %u requests for %zu pages", n,
				       d.out_page_requests, pages);
			if (d.out_page_requests > pages) {
				ASSERT_TRUE(injected) TH_LOG("step %u", n);
				ASSERT_EQ(ENOMEM, d.out_refused_errno) TH_LOG("step %u", n);
				retried++;
			} else {
				ASSERT_EQ(pages, d.out_page_requests) TH_LOG("step %u", n);
				ASSERT_EQ(0, d.out_refused_errno) TH_LOG("step %u", n);
			}
		}
		/*
		 * A transfer that ends with an errno (an allocation of the
		 * mock's own after a page request was raised) reports no
		 * outputs: the device counted up to one request per page.
		 * Otherwise the counts agree exactly, injected or not.
		 */
		if (!ret) {
			ASSERT_EQ(c0.page_requests + d.out_page_requests, c1.page_requests)
				TH_LOG("step %u", n);
		} else {
			ASSERT_GE(pages, c1.page_requests - c0.page_requests)
				TH_LOG("step %u", n);
		}
		ASSERT_EQ(c0.page_responses_stale, c1.page_responses_stale);
		test_state_is(fd, s0, n);
		test_pasid_domain(fd, dev, a.pasid, a.domain_id);
		if (!ret && d.out_status == MOCK_IOMMU_DMA_OK && !injected)
			break;
	}
	ASSERT_GT(NTH_MAX, n);
	ASSERT_LT(0, failed);
	TH_LOG("%u steps, %u failed transfers, %u asked again", n, failed, retried);
	/* A lost partial fault makes the device ask again: seen at least once */
	if (flags & MOCK_IOMMU_DMA_PRG)
		ASSERT_LT(0, retried);
	test_cmd_destroy(fd, a.bond_id);
	munmap(mem, len);
}

TEST_F(fail_nth, faulting_transfer)
{
	faulting_transfer(_metadata, self->fd, self->dev[0], self->nth_fd, 0, 2);
}

TEST_F(fail_nth, faulting_page_request_group)
{
	faulting_transfer(_metadata, self->fd, self->dev[0], self->nth_fd, MOCK_IOMMU_DMA_PRG,
			  3);
}

/*
 * uacce opens whose bind fails in the driver: open() returns the driver's
 * errno, the queue slot is given back, nothing stays bound.
 */
FIXTURE(uacce_bind_fails) {
	int fd;
	__u32 dev;
	__u32 uacce_id;
	char path[64];
	char avail[128];
};

FIXTURE_VARIANT(uacce_bind_fails) {
	__u32 instance_flags;
	__u32 site;		/* fault injected, 0: none */
	int err;		/* what open() fails with */
};

FIXTURE_VARIANT_ADD(uacce_bind_fails, domain_alloc_fault) {
	.site = MOCK_IOMMU_FAULT_DOMAIN_ALLOC,
	.err = ENOMEM,
};

FIXTURE_VARIANT_ADD(uacce_bind_fails, attach_fault) {
	.site = MOCK_IOMMU_FAULT_SET_DEV_PASID,
	.err = EIO,
};

FIXTURE_VARIANT_ADD(uacce_bind_fails, instance_without_sva) {
	.instance_flags = MOCK_IOMMU_INSTANCE_NO_SVA,
	.err = EOPNOTSUPP,
};

FIXTURE_SETUP(uacce_bind_fails)
{
	struct mock_iommu_uacce_create uc;
	const char *skip;
	__u32 iommu, probe;
	int ret;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &iommu);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &probe);
	skip = mock_sva_disabled(self->fd, probe);
	if (skip)
		SKIP(return, "%s", skip);
	if (variant->instance_flags)
		test_cmd_instance_create(self->fd, 0, variant->instance_flags, &iommu);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->dev);
	ret = _test_cmd_uacce_create(self->fd, self->dev, 2, 0, &uc);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_UACCE);
	ASSERT_EQ(0, ret);
	self->uacce_id = uc.out_uacce_id;
	snprintf(self->path, sizeof(self->path), "/dev/%s-%u", MOCK_IOMMU_UACCE_NAME,
		 uc.out_dev_id);
	snprintf(self->avail, sizeof(self->avail), "/sys/class/uacce/%s-%u/available_instances",
		 MOCK_IOMMU_UACCE_NAME, uc.out_dev_id);
}

FIXTURE_TEARDOWN(uacce_bind_fails)
{
	test_close_leaves_nothing(self->fd);
}

static int available(const char *path)
{
	char buf[16] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

TEST_F(uacce_bind_fails, open_returns_the_errno)
{
	struct mock_iommu_counters c0, c1;
	int qfd, i;

	ASSERT_EQ(2, available(self->avail));
	test_cmd_counters(self->fd, 0, &c0);
	if (variant->site)
		test_cmd_fault_inject(self->fd, variant->site, self->dev, 2, variant->err);
	/* Twice: a failed open leaves nothing that changes the next one */
	for (i = 0; i < 2; i++) {
		qfd = open(self->path, O_RDWR | O_CLOEXEC);
		ASSERT_EQ(-1, qfd);
		ASSERT_EQ(variant->err, errno) TH_LOG("open %d: %s", i, strerror(errno));
		ASSERT_EQ(2, available(self->avail));
	}
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);
	ASSERT_EQ(c0.handles_alive, c1.handles_alive);
	ASSERT_EQ(c0.domains_alive, c1.domains_alive);
	ASSERT_EQ(c0.alloc_calls + 2, c1.alloc_calls);
	ASSERT_EQ(c0.faults_injected + (variant->site ? 2 : 0), c1.faults_injected);
	ASSERT_EQ(c0.attach_calls + (variant->site == MOCK_IOMMU_FAULT_SET_DEV_PASID ? 2 : 0),
		  c1.attach_calls);
	ASSERT_EQ(0, mock_mm_domains(self->fd));
	test_pasid_domain(self->fd, self->dev, mock_mm_pasid(self->fd), 0);

	/* The injection is spent: the next open works (not without SVA) */
	qfd = open(self->path, O_RDWR | O_CLOEXEC);
	if (variant->site) {
		ASSERT_LE(0, qfd) TH_LOG("open: %s", strerror(errno));
		ASSERT_EQ(1, available(self->avail));
		close(qfd);
	} else {
		ASSERT_EQ(-1, qfd);
		ASSERT_EQ(variant->err, errno);
	}
	ASSERT_EQ(2, available(self->avail));
}

TEST_HARNESS_MAIN
