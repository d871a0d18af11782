// SPDX-License-Identifier: GPL-2.0
/*
 * The mock devices in iommufd: a mock device is bound into a /dev/iommu
 * context the way a VFIO device cdev binds a PCI function, attached at a
 * PASID to a HWPT that user space built on the real iommufd UAPI (IOAS,
 * IOMMU_IOAS_MAP, IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID), and does
 * DMA through that PASID into the IOAS's mappings.
 *
 * Then iommufd and SVA on one device: both fill the same PASID space of
 * the group (the IOMMU core's pasid_array), but SVA takes its PASIDs from
 * the core's global allocator while iommufd's user space picks its own, so
 * each must be refused the other's PASID; iommufd's DMA ownership against
 * SVA binds; detach, unbind and closing /dev/iommu in every order.
 */
#include <linux/iommufd.h>
#include <poll.h>
#include <stddef.h>

#include "mock_iommu_utils.h"

#define IOMMU_DEV_PATH	"/dev/iommu"
/* Where the IOAS maps the fixture's buffer, and how many pages it has */
#define IOVA		0x10000000ULL
#define NPAGES		4
/* The PASIDs the tests attach through iommufd */
#define PASID_A		5
#define PASID_B		9

static int iommufd_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int ioas_alloc(int ifd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = iommufd_ioctl(ifd, IOMMU_IOAS_ALLOC, &cmd);

	*ioas_id = cmd.out_ioas_id;
	return ret;
}

/* Map @len bytes at @va to @iova of @ioas_id, with @prot (READABLE/WRITEABLE) */
static int ioas_map(int ifd, __u32 ioas_id, void *va, size_t len, __u64 iova, __u32 prot)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | prot,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return iommufd_ioctl(ifd, IOMMU_IOAS_MAP, &cmd);
}

static int ioas_unmap(int ifd, __u32 ioas_id, __u64 iova, size_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	return iommufd_ioctl(ifd, IOMMU_IOAS_UNMAP, &cmd);
}

static int hwpt_alloc(int ifd, __u32 dev_id, __u32 pt_id, __u32 flags, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int ret = iommufd_ioctl(ifd, IOMMU_HWPT_ALLOC, &cmd);

	*hwpt_id = cmd.out_hwpt_id;
	return ret;
}

static int iommufd_destroy(int ifd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommufd_ioctl(ifd, IOMMU_DESTROY, &cmd);
}

static int fault_alloc(int ifd, __u32 *fault_id, int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int ret = iommufd_ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	*fault_id = cmd.out_fault_id;
	*fault_fd = ret ? -1 : (int)cmd.out_fault_fd;
	return ret;
}

static int hwpt_alloc_fault(int ifd, __u32 dev_id, __u32 pt_id, __u32 fault_id,
			    __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.fault_id = fault_id,
	};
	int ret = iommufd_ioctl(ifd, IOMMU_HWPT_ALLOC, &cmd);

	*hwpt_id = cmd.out_hwpt_id;
	return ret;
}

/* Wait up to MOCK_POLL_MS for one fault group of one fault and read it */
static int fault_read(int fault_fd, struct iommu_hwpt_pgfault *f)
{
	struct pollfd pfd = { .fd = fault_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, MOCK_POLL_MS) != 1)
		return -ETIMEDOUT;
	n = read(fault_fd, f, sizeof(*f));
	if (n < 0)
		return -errno;
	return n == sizeof(*f) ? 0 : -EIO;
}

static int fault_respond(int fault_fd, __u32 cookie, __u32 code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };
	ssize_t n = write(fault_fd, &r, sizeof(r));

	if (n < 0)
		return -errno;
	return n == sizeof(r) ? 0 : -EIO;
}

/*
 * 7.3's iommufd copies the IOMMU driver's fault flags to user space as
 * they are, so the kernel-internal IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID
 * (bit 2, which intel, amd and the mock set) shows in
 * iommu_hwpt_pgfault.flags, beyond enum iommu_hwpt_pgfault_flags. The
 * tests tolerate that bit and no other.
 */
#define FAULT_FLAG_NEEDS_PASID	0x4U

/* A transfer in a thread of its own, which waits for a page response */
struct xfer {
	pthread_t thread;
	int fd;
	__u32 dev;
	__u32 pasid;
	__u32 op;
	__u64 iova;
	size_t len;
	void *buf;
	int ret;
	struct mock_iommu_dma out;
};

static void *xfer_run(void *arg)
{
	struct xfer *x = arg;

	x->ret = _test_cmd_dma(x->fd, x->dev, x->pasid, x->op, 0, (void *)(uintptr_t)x->iova,
			       x->len, x->buf, 0, &x->out);
	return NULL;
}

#define MOCK_NO_IOMMUFD \
	IOMMU_DEV_PATH " is missing: the kernel lacks CONFIG_IOMMUFD"
#define MOCK_NO_IOMMUFD_OPS \
	"mock_iommu cannot bind into iommufd: built without CONFIG_IOMMUFD, " \
	"or iommufd cannot attach PASIDs here"

FIXTURE(iommufd) {
	int fd;			/* /dev/mock_iommu */
	int ifd;		/* /dev/iommu */
	__u32 dev;		/* bound into iommufd */
	__u32 dev2;		/* another device of the instance, never bound */
	__u32 bind;		/* the binding's id in the mock's table */
	__u32 dev_id;		/* iommufd's id of dev */
	__u32 ioas;
	__u32 hwpt;		/* a paging HWPT with IOMMU_HWPT_ALLOC_PASID */
	size_t page;
	size_t len;		/* NPAGES pages */
	unsigned char *buf;	/* mapped at IOVA, one IOAS area per page */
	unsigned char *shadow;	/* what buf must hold */
};

FIXTURE_SETUP(iommufd)
{
	__u32 inst;
	const char *skip;
	size_t i;
	int ret;

	self->ifd = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->ifd = open(IOMMU_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (self->ifd < 0 && errno == ENOENT)
		SKIP(return, "%s", MOCK_NO_IOMMUFD);
	ASSERT_LE(0, self->ifd) TH_LOG("open %s: %s", IOMMU_DEV_PATH, strerror(errno));

	self->page = getpagesize();
	self->len = NPAGES * self->page;
	test_cmd_instance_create(self->fd, 0, 0, &inst);
	test_cmd_device_create(self->fd, inst, MOCK_PASID_BITS, 0, &self->dev);
	test_cmd_device_create(self->fd, inst, MOCK_PASID_BITS, 0, &self->dev2);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	ret = _test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &self->bind,
				     &self->dev_id);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_IOMMUFD_OPS);
	ASSERT_EQ(0, ret);
	ASSERT_NE(0, self->dev_id);

	self->buf = mock_map_pages(self->len, PROT_READ | PROT_WRITE);
	self->shadow = malloc(self->len);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->shadow);
	for (i = 0; i < self->len; i++)
		self->buf[i] = i * 13 + 7;
	memcpy(self->shadow, self->buf, self->len);
	ASSERT_EQ(0, ioas_alloc(self->ifd, &self->ioas));
	/* Page by page, so that a test can unmap one */
	for (i = 0; i < NPAGES; i++)
		ASSERT_EQ(0, ioas_map(self->ifd, self->ioas, self->buf + i * self->page,
				      self->page, IOVA + i * self->page,
				      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	/* The domain is filled from the IOAS's areas as it joins the IOAS */
	ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, self->ioas, IOMMU_HWPT_ALLOC_PASID,
				&self->hwpt));
}

FIXTURE_TEARDOWN(iommufd)
{
	if (self->ifd >= 0)
		close(self->ifd);
	/* The binding holds the iommufd context: closing the mock file frees it */
	test_close_leaves_nothing(self->fd);
}

/* Attach the fixture's binding at @pasid to @pt; the mock's domain id there */
#define attach(pasid, pt)							\
	({									\
		struct mock_iommu_iommufd __o;					\
		__u32 __pasid = (pasid), __pt = (pt), __dom;			\
		test_cmd_iommufd_attach(self->fd, self->bind, __pasid, __pt, &__o); \
		ASSERT_EQ(__pt, __o.out_pt_id);					\
		__dom = mock_pasid_domain(self->fd, self->dev, __pasid);	\
		ASSERT_NE(0, __dom);						\
		ASSERT_NE(~0U, __dom);						\
		__dom;								\
	})

/* A transfer by @dev at @pasid ends with @status after @bytes bytes */
#define dma_ends(dev, pasid, op, iova, len, ubuf, fill, status, bytes)		\
	({									\
		struct mock_iommu_dma __d;					\
		test_cmd_dma(self->fd, dev, pasid, op, 0, (void *)(uintptr_t)(iova), \
			     len, ubuf, fill, &__d);					\
		ASSERT_EQ(status, __d.out_status)					\
			TH_LOG("stopped at %#llx after %llu bytes",		\
			       (unsigned long long)__d.out_fault_addr,		\
			       (unsigned long long)__d.out_bytes);		\
		ASSERT_EQ(bytes, __d.out_bytes);				\
		__d;								\
	})

/* @dev reads the IOAS buffer at @pasid: exactly what the shadow holds */
#define reads_ioas(dev, pasid)							\
	({									\
		unsigned char *__got = calloc(1, self->len);			\
		ASSERT_NE(NULL, __got);					\
		dma_ends(dev, pasid, MOCK_IOMMU_DMA_READ, IOVA, self->len, __got, 0, \
			 MOCK_IOMMU_DMA_OK, self->len);				\
		ASSERT_EQ(0, memcmp(__got, self->shadow, self->len));		\
		free(__got);							\
	})

/* @dev at @pasid reaches nothing: no domain there */
#define reaches_nothing(dev, pasid)						\
	({									\
		char __b;							\
		struct mock_iommu_dma __r;					\
		__r = dma_ends(dev, pasid, MOCK_IOMMU_DMA_READ, IOVA, 1, &__b, 0, \
			       MOCK_IOMMU_DMA_NO_DOMAIN, 0);			\
		ASSERT_EQ(0, __r.out_domain_id);				\
	})

TEST_F(iommufd, attach_dma_detach)
{
	size_t off = self->page + 3, n = 2 * self->page - 6, i;
	unsigned char *data = malloc(n), *seen = calloc(1, self->len);
	struct mock_iommu_iommufd o;
	struct mock_iommu_dma d;
	__u32 dom;

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, seen);
	reaches_nothing(self->dev, PASID_A);
	dom = attach(PASID_A, self->hwpt);

	/* Unaligned at both ends, across every page */
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA + 1, self->len - 1, seen, 0,
		     MOCK_IOMMU_DMA_OK, self->len - 1);
	ASSERT_EQ(dom, d.out_domain_id);
	ASSERT_EQ(0, d.out_page_requests);
	ASSERT_EQ(0, memcmp(seen, self->buf + 1, self->len - 1));

	/* The device's write lands in the process's pages, nowhere else */
	for (i = 0; i < n; i++)
		data[i] = i ^ 0xa5;
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_WRITE, IOVA + off, n, data, 0,
		 MOCK_IOMMU_DMA_OK, n);
	memcpy(self->shadow + off, data, n);
	ASSERT_EQ(0, memcmp(self->buf, self->shadow, self->len));
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_FILL, IOVA + self->len - 5, 5, NULL, 0x3c,
		 MOCK_IOMMU_DMA_OK, 5);
	memset(self->shadow + self->len - 5, 0x3c, 5);
	ASSERT_EQ(0, memcmp(self->buf, self->shadow, self->len));
	reads_ioas(self->dev, PASID_A);
	/* Only at that PASID, only on that device */
	reaches_nothing(self->dev, PASID_B);
	reaches_nothing(self->dev2, PASID_A);

	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, &o);
	ASSERT_EQ(0, o.out_nr_attached);
	test_pasid_domain(self->fd, self->dev, PASID_A, 0);
	reaches_nothing(self->dev, PASID_A);
	ASSERT_EQ(0, memcmp(self->buf, self->shadow, self->len));
	free(seen);
	free(data);
}

TEST_F(iommufd, two_pasids_one_hwpt)
{
	struct mock_iommu_iommufd o;
	__u32 dom_a, dom_b;

	dom_a = attach(PASID_A, self->hwpt);
	dom_b = attach(PASID_B, self->hwpt);
	/* One HWPT is one domain, installed at both */
	ASSERT_EQ(dom_a, dom_b);
	reads_ioas(self->dev, PASID_A);
	reads_ioas(self->dev, PASID_B);
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, &o);
	ASSERT_EQ(1, o.out_nr_attached);
	reaches_nothing(self->dev, PASID_A);
	reads_ioas(self->dev, PASID_B);
}

TEST_F(iommufd, unmapped_iova_faults)
{
	unsigned char *seen = calloc(1, self->len);
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, seen);
	attach(PASID_A, self->hwpt);
	/* Past the end: the bytes before it, and a fault where the hole starts */
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA + self->len - 10, 20, seen, 0,
		     MOCK_IOMMU_DMA_PAGE_FAULT, 10);
	ASSERT_EQ(IOVA + self->len, d.out_fault_addr);
	/* No fault handler on the HWPT: no page request, no response */
	ASSERT_EQ(0, d.out_page_requests);
	ASSERT_EQ(0, d.out_response);
	ASSERT_EQ(0, memcmp(seen, self->buf + self->len - 10, 10));
	/* Before the start */
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_FILL, IOVA - self->page, self->page,
		     NULL, 0xee, MOCK_IOMMU_DMA_PAGE_FAULT, 0);
	ASSERT_EQ(IOVA - self->page, d.out_fault_addr);

	/* IOMMU_IOAS_UNMAP of page 1 takes it out of the domain */
	ASSERT_EQ(0, ioas_unmap(self->ifd, self->ioas, IOVA + self->page, self->page));
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_FILL, IOVA, 3 * self->page, NULL, 0x77,
		     MOCK_IOMMU_DMA_PAGE_FAULT, self->page);
	ASSERT_EQ(IOVA + self->page, d.out_fault_addr);
	memset(self->shadow, 0x77, self->page);
	ASSERT_EQ(0, memcmp(self->buf, self->shadow, self->len));
	/* Mapped again (the same pages), reached again */
	ASSERT_EQ(0, ioas_map(self->ifd, self->ioas, self->buf + self->page, self->page,
			      IOVA + self->page,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	reads_ioas(self->dev, PASID_A);
	free(seen);
}

/*
 * The device's TLB caches a paging domain's translations; unmapping an
 * IOVA must drop them (the driver's unmap_pages()), or the device keeps
 * reaching a page iommufd has unpinned.
 */
TEST_F(iommufd, device_tlb_unmap_invalidates)
{
	struct mock_iommu_tlb_info t0, t;
	unsigned char seen[16];
	struct mock_iommu_dma d;

	test_cmd_tlb_info(self->fd, self->dev, &t0);
	ASSERT_EQ(1, t0.out_enabled) TH_LOG("load mock_iommu with tlb=1 (the default)");
	attach(PASID_A, self->hwpt);
	/* One page read twice: one walk, then the cached translation */
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA + self->page, sizeof(seen), seen,
		 0, MOCK_IOMMU_DMA_OK, sizeof(seen));
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA + self->page, sizeof(seen), seen,
		 0, MOCK_IOMMU_DMA_OK, sizeof(seen));
	ASSERT_EQ(0, memcmp(seen, self->shadow + self->page, sizeof(seen)));
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(1, t.out_fills - t0.out_fills);
	ASSERT_EQ(1, t.out_hits - t0.out_hits);
	ASSERT_EQ(1, t.out_entries);

	/* IOMMU_IOAS_UNMAP: the entry goes with the mapping */
	ASSERT_EQ(0, ioas_unmap(self->ifd, self->ioas, IOVA + self->page, self->page));
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(1, t.out_invalidated - t0.out_invalidated);
	ASSERT_EQ(0, t.out_entries);
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA + self->page, sizeof(seen),
		     seen, 0, MOCK_IOMMU_DMA_PAGE_FAULT, 0);
	ASSERT_EQ(IOVA + self->page, d.out_fault_addr);
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(1, t.out_hits - t0.out_hits);

	/* Detach flushes what the PASID cached */
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA, sizeof(seen), seen, 0,
		 MOCK_IOMMU_DMA_OK, sizeof(seen));
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, NULL);
	test_cmd_tlb_info(self->fd, self->dev, &t);
	ASSERT_EQ(0, t.out_entries);
	ASSERT_EQ(1, t.out_flushed - t0.out_flushed);
}

TEST_F(iommufd, read_only_mapping)
{
	unsigned char *ro = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	__u64 iova = IOVA + 16 * self->page;
	unsigned char seen[64];
	struct mock_iommu_dma d;

	ASSERT_NE(NULL, ro);
	memset(ro, 0x42, self->page);
	attach(PASID_A, self->hwpt);
	/* Mapped after the HWPT joined the IOAS: map_pages() of a live domain */
	ASSERT_EQ(0, ioas_map(self->ifd, self->ioas, ro, self->page, iova,
			      IOMMU_IOAS_MAP_READABLE));
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, iova, sizeof(seen), seen, 0,
		 MOCK_IOMMU_DMA_OK, sizeof(seen));
	ASSERT_TRUE(mock_all_bytes(seen, sizeof(seen), 0x42));
	d = dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_FILL, iova + 8, 8, NULL, 0x99,
		     MOCK_IOMMU_DMA_PAGE_FAULT, 0);
	ASSERT_EQ(iova + 8, d.out_fault_addr);
	ASSERT_TRUE(mock_all_bytes(ro, self->page, 0x42));
	ASSERT_EQ(0, ioas_unmap(self->ifd, self->ioas, iova, self->page));
	munmap(ro, self->page);
}

TEST_F(iommufd, replace)
{
	unsigned char *other = mock_map_pages(self->len, PROT_READ | PROT_WRITE);
	unsigned char *seen = calloc(1, self->len);
	struct mock_iommu_iommufd o;
	__u32 ioas2, hwpt2, dom, dom2;

	ASSERT_NE(NULL, other);
	ASSERT_NE(NULL, seen);
	memset(other, 0xd7, self->len);
	ASSERT_EQ(0, ioas_alloc(self->ifd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->ifd, ioas2, other, self->len, IOVA,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, ioas2, IOMMU_HWPT_ALLOC_PASID, &hwpt2));

	/* Nothing to replace yet: iommufd refuses */
	test_err_iommufd_replace(EINVAL, self->fd, self->bind, PASID_A, hwpt2);
	test_pasid_domain(self->fd, self->dev, PASID_A, 0);

	dom = attach(PASID_A, self->hwpt);
	test_cmd_iommufd_replace(self->fd, self->bind, PASID_A, hwpt2, &o);
	ASSERT_EQ(hwpt2, o.out_pt_id);
	ASSERT_EQ(1, o.out_nr_attached);
	dom2 = mock_pasid_domain(self->fd, self->dev, PASID_A);
	ASSERT_NE(0, dom2);
	ASSERT_NE(dom, dom2);
	/* The same IOVA now leads into the other IOAS */
	dma_ends(self->dev, PASID_A, MOCK_IOMMU_DMA_READ, IOVA, self->len, seen, 0,
		 MOCK_IOMMU_DMA_OK, self->len);
	ASSERT_TRUE(mock_all_bytes(seen, self->len, 0xd7));
	/* Replacing with what is there changes nothing */
	test_cmd_iommufd_replace(self->fd, self->bind, PASID_A, hwpt2, &o);
	test_pasid_domain(self->fd, self->dev, PASID_A, dom2);
	/* And back */
	test_cmd_iommufd_replace(self->fd, self->bind, PASID_A, self->hwpt, &o);
	test_pasid_domain(self->fd, self->dev, PASID_A, dom);
	reads_ioas(self->dev, PASID_A);
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, NULL);
	free(seen);
}

/* Transfers in a loop until told to stop; what they ended with */
struct looper {
	pthread_t thread;
	int fd;
	__u32 dev;
	size_t len;
	bool stop;		/* read and written with __atomic builtins */
	unsigned int ok, aborted, other, torn;
	unsigned char a, b;	/* the bytes of the two IOASes */
};

static void *looper_run(void *arg)
{
	struct looper *l = arg;
	unsigned char *seen = malloc(l->len);
	struct mock_iommu_dma d;

	while (seen && !__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		memset(seen, 0, l->len);
		if (_test_cmd_dma(l->fd, l->dev, PASID_A, MOCK_IOMMU_DMA_READ, 0,
				  (void *)(uintptr_t)IOVA, l->len, seen, 0, &d)) {
			l->other++;
		} else if (d.out_status == MOCK_IOMMU_DMA_OK) {
			l->ok++;
			/* All of it through one domain: one IOAS's bytes */
			if (!mock_all_bytes(seen, l->len, l->a) &&
			    !mock_all_bytes(seen, l->len, l->b))
				l->torn++;
		} else if (d.out_status == MOCK_IOMMU_DMA_ABORTED) {
			l->aborted++;
		} else {
			l->other++;
		}
	}
	free(seen);
	return NULL;
}

/*
 * Replace the PASID's HWPT under running transfers and destroy the old
 * one each time: a transfer finishes in one domain or stops aborted, and
 * none walks a domain after iommufd freed it (KASAN would say).
 */
TEST_F(iommufd, replace_under_transfers)
{
	struct looper l = { .fd = self->fd, .dev = self->dev, .len = self->len };
	unsigned char *other = mock_map_pages(self->len, PROT_READ | PROT_WRITE);
	__u32 ioas2, cur, next, ioas[2];
	int i;

	ASSERT_NE(NULL, other);
	/* The fixture's buffer, one byte throughout, and another */
	memset(self->buf, 0x61, self->len);
	memset(other, 0x62, self->len);
	l.a = 0x61;
	l.b = 0x62;
	ASSERT_EQ(0, ioas_alloc(self->ifd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->ifd, ioas2, other, self->len, IOVA,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ioas[0] = self->ioas;
	ioas[1] = ioas2;
	ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, self->ioas, IOMMU_HWPT_ALLOC_PASID,
				&cur));
	attach(PASID_A, cur);
	ASSERT_EQ(0, pthread_create(&l.thread, NULL, looper_run, &l));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, ioas[(i + 1) % 2],
					IOMMU_HWPT_ALLOC_PASID, &next));
		test_cmd_iommufd_replace(self->fd, self->bind, PASID_A, next, NULL);
		/* No longer attached anywhere: iommufd frees its domain now */
		ASSERT_EQ(0, iommufd_destroy(self->ifd, cur));
		cur = next;
	}
	__atomic_store_n(&l.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(l.thread, NULL));
	TH_LOG("%u transfers complete, %u aborted", l.ok, l.aborted);
	ASSERT_EQ(0, l.other);
	ASSERT_EQ(0, l.torn);
	ASSERT_LT(0, l.ok + l.aborted);
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, NULL);
}

TEST_F(iommufd, hwpt_without_pasid_flag)
{
	__u32 hwpt0;

	ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, self->ioas, 0, &hwpt0));
	/* iommufd_hwpt_pasid_compat(): a PASID needs IOMMU_HWPT_ALLOC_PASID */
	test_err_iommufd_attach(EINVAL, self->fd, self->bind, PASID_A, hwpt0);
	/* So does the domain iommufd would make for an IOAS */
	test_err_iommufd_attach(EINVAL, self->fd, self->bind, PASID_A, self->ioas);
	test_pasid_domain(self->fd, self->dev, PASID_A, 0);
	reaches_nothing(self->dev, PASID_A);
	/* The PASID is still free */
	attach(PASID_A, self->hwpt);
	reads_ioas(self->dev, PASID_A);
}

/*
 * A HWPT with a fault queue: the device's page request for a missing IOVA
 * reaches user space through the fault fd; the answer completes the
 * transfer or fails it with that answer's code.
 */
#define fault_setup(fault_fd, hwpt_f, x)					\
	({									\
		__u32 __fault_id, *__hwpt = (hwpt_f);				\
		struct xfer *__x = (x);						\
		ASSERT_EQ(0, fault_alloc(self->ifd, &__fault_id, fault_fd));	\
		ASSERT_EQ(0, hwpt_alloc_fault(self->ifd, self->dev_id, self->ioas, \
					      __fault_id, __hwpt));		\
		attach(PASID_A, *__hwpt);					\
		/* Page 2 is not mapped: the device asks for it */		\
		ASSERT_EQ(0, ioas_unmap(self->ifd, self->ioas, IOVA + 2 * self->page, \
					self->page));				\
		__x->fd = self->fd;						\
		__x->dev = self->dev;						\
		__x->pasid = PASID_A;						\
		__x->op = MOCK_IOMMU_DMA_READ;					\
		__x->iova = IOVA;						\
		__x->len = self->len;						\
		__x->buf = calloc(1, self->len);				\
		ASSERT_NE(NULL, __x->buf);					\
		ASSERT_EQ(0, pthread_create(&__x->thread, NULL, xfer_run, __x)); \
	})

/* Read the transfer's page request: one fault, for page 2, reading */
#define fault_expect(fault_fd, f)						\
	({									\
		struct iommu_hwpt_pgfault *__f = (f);				\
		ASSERT_EQ(0, fault_read(fault_fd, __f));			\
		ASSERT_EQ(self->dev_id, __f->dev_id);				\
		ASSERT_EQ(PASID_A, __f->pasid);					\
		ASSERT_EQ(IOVA + 2 * self->page, __f->addr);			\
		ASSERT_EQ(IOMMU_PGFAULT_PERM_READ, __f->perm);			\
		ASSERT_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID |			\
			  IOMMU_PGFAULT_FLAGS_LAST_PAGE,			\
			  __f->flags & ~FAULT_FLAG_NEEDS_PASID);		\
	})

TEST_F(iommufd, fault_answered_success)
{
	struct iommu_hwpt_pgfault f;
	struct xfer x;
	__u32 hwpt_f;
	int fault_fd;

	fault_setup(&fault_fd, &hwpt_f, &x);
	fault_expect(fault_fd, &f);
	/* What a VMM does: map the page, then answer */
	ASSERT_EQ(0, ioas_map(self->ifd, self->ioas, self->buf + 2 * self->page, self->page,
			      IOVA + 2 * self->page,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, fault_respond(fault_fd, f.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	ASSERT_EQ(0, pthread_join(x.thread, NULL));
	ASSERT_EQ(0, x.ret);
	ASSERT_EQ(MOCK_IOMMU_DMA_OK, x.out.out_status);
	ASSERT_EQ(self->len, x.out.out_bytes);
	ASSERT_EQ(1, x.out.out_page_requests);
	ASSERT_EQ(IOMMUFD_PAGE_RESP_SUCCESS, x.out.out_response);
	ASSERT_EQ(0, memcmp(x.buf, self->shadow, self->len));
	/* The cookie is spent */
	ASSERT_EQ(-EINVAL, fault_respond(fault_fd, f.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	free(x.buf);
	close(fault_fd);
}

TEST_F(iommufd, fault_answered_invalid)
{
	struct iommu_hwpt_pgfault f;
	struct xfer x;
	__u32 hwpt_f;
	int fault_fd;

	fault_setup(&fault_fd, &hwpt_f, &x);
	fault_expect(fault_fd, &f);
	ASSERT_EQ(0, fault_respond(fault_fd, f.cookie, IOMMUFD_PAGE_RESP_INVALID));
	ASSERT_EQ(0, pthread_join(x.thread, NULL));
	ASSERT_EQ(0, x.ret);
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, x.out.out_status);
	ASSERT_EQ(2 * self->page, x.out.out_bytes);
	ASSERT_EQ(IOVA + 2 * self->page, x.out.out_fault_addr);
	ASSERT_EQ(1, x.out.out_page_requests);
	ASSERT_EQ(IOMMUFD_PAGE_RESP_INVALID, x.out.out_response);
	ASSERT_EQ(0, memcmp(x.buf, self->shadow, 2 * self->page));
	free(x.buf);
	close(fault_fd);
}

TEST_F(iommufd, fault_pending_at_detach)
{
	struct iommu_hwpt_pgfault f;
	struct xfer x;
	__u32 hwpt_f;
	int fault_fd;

	fault_setup(&fault_fd, &hwpt_f, &x);
	fault_expect(fault_fd, &f);
	/*
	 * Detach with the fault read and unanswered: the PASID's transfer
	 * ends aborted at once (the mock drains the PASID), and iommufd
	 * answers the group itself (INVALID), too late to matter
	 */
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, NULL);
	ASSERT_EQ(0, pthread_join(x.thread, NULL));
	ASSERT_EQ(0, x.ret);
	ASSERT_EQ(MOCK_IOMMU_DMA_ABORTED, x.out.out_status);
	ASSERT_EQ(2 * self->page, x.out.out_bytes);
	/* The group is gone with the attach */
	ASSERT_EQ(-EINVAL, fault_respond(fault_fd, f.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	free(x.buf);
	close(fault_fd);
}

TEST_F(iommufd, bad_requests)
{
	struct mock_iommu_cmd cmd = {}, *ro;
	__u32 dom;

	dom = attach(PASID_A, self->hwpt);
	/* The mock attaches no RID */
	test_err_iommufd_attach(EINVAL, self->fd, self->bind, 0, self->hwpt);
	test_err_iommufd_attach(EBUSY, self->fd, self->bind, PASID_A, self->hwpt);
	test_err_iommufd_detach(ENOENT, self->fd, self->bind, PASID_B);
	/* No such HWPT in the context */
	test_err_iommufd_attach(ENOENT, self->fd, self->bind, PASID_B, 0xdead);
	/* A device id is no binding */
	test_err_iommufd_attach(ENOENT, self->fd, self->dev, PASID_B, self->hwpt);
	/* Reserved fields */
	cmd.iommufd.pasid = PASID_B;
	cmd.iommufd.pt_id = self->hwpt;
	cmd.iommufd.iommufd = self->ifd;
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_IOMMUFD_ATTACH, self->bind, &cmd));
	cmd.iommufd.iommufd = 0;
	cmd.iommufd.__reserved = 1;
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_IOMMUFD_ATTACH, self->bind, &cmd));
	memset(&cmd, 0, sizeof(cmd));
	cmd.iommufd.iommufd = self->ifd;
	cmd.iommufd.pasid = 1;
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_IOMMUFD_BIND, self->dev2, &cmd));
	/* A caller's struct must cover the ops' part of the union */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = offsetof(struct mock_iommu_cmd, iommufd) + sizeof(cmd.iommufd) - 1;
	cmd.op = MOCK_IOMMU_OP_IOMMUFD_ATTACH;
	cmd.id = self->bind;
	cmd.iommufd.pasid = PASID_B;
	cmd.iommufd.pt_id = self->hwpt;
	ASSERT_EQ(-1, ioctl(self->fd, MOCK_IOMMU_CMD, &cmd));
	ASSERT_EQ(EINVAL, errno);
	/* A command whose results cannot be written back is not carried out */
	ro = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ro->op = MOCK_IOMMU_OP_IOMMUFD_ATTACH;
	ro->id = self->bind;
	ro->iommufd.pasid = PASID_B;
	ro->iommufd.pt_id = self->hwpt;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	ASSERT_EQ(-1, ioctl(self->fd, MOCK_IOMMU_CMD, ro));
	ASSERT_EQ(EFAULT, errno);
	munmap(ro, self->page);
	/* One binding per device; the file must be /dev/iommu */
	test_err_iommufd_bind(EBUSY, self->fd, self->dev, self->ifd);
	test_err_iommufd_bind(EBADFD, self->fd, self->dev2, self->fd);
	test_err_iommufd_bind(EBADF, self->fd, self->dev2, -1);
	/* A bound device stays */
	test_err_destroy(EBUSY, self->fd, self->dev);

	/* None of that changed anything */
	test_pasid_domain(self->fd, self->dev, PASID_A, dom);
	test_pasid_domain(self->fd, self->dev, PASID_B, 0);
	test_pasid_domain(self->fd, self->dev2, PASID_A, 0);
	reads_ioas(self->dev, PASID_A);
}

TEST_F(iommufd, unbind_detaches)
{
	__u32 bind2, dev_id2;

	attach(PASID_A, self->hwpt);
	attach(PASID_B, self->hwpt);
	/* DESTROY of the binding detaches its PASIDs, then unbinds */
	test_cmd_destroy(self->fd, self->bind);
	test_pasid_domain(self->fd, self->dev, PASID_A, 0);
	test_pasid_domain(self->fd, self->dev, PASID_B, 0);
	reaches_nothing(self->dev, PASID_A);
	/* The device is free again: to bind anew, or to destroy */
	test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &bind2, &dev_id2);
	/* iommufd hands out the lowest free id: the old device object is gone */
	ASSERT_EQ(self->dev_id, dev_id2);
	test_cmd_destroy(self->fd, bind2);
	test_cmd_destroy(self->fd, self->dev);
}

/*
 * iommufd and SVA on one device. The mm's PASID comes from the core's
 * global allocator; iommufd's user space picks PASIDs on its own.
 */
FIXTURE(mixed) {
	int fd;
	int ifd;
	__u32 inst, dev, dev2, bind, dev_id, ioas, hwpt;
	size_t page;
	unsigned char *buf;	/* IOAS memory, at IOVA */
	unsigned char *mem;	/* the process's memory, for SVA */
};

FIXTURE_SETUP(mixed)
{
	const char *skip;
	int ret;

	self->ifd = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	self->ifd = open(IOMMU_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (self->ifd < 0 && errno == ENOENT)
		SKIP(return, "%s", MOCK_NO_IOMMUFD);
	ASSERT_LE(0, self->ifd);
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &self->inst);
	test_cmd_device_create(self->fd, self->inst, MOCK_PASID_BITS, 0, &self->dev);
	test_cmd_device_create(self->fd, self->inst, MOCK_PASID_BITS, 0, &self->dev2);
	skip = mock_sva_disabled(self->fd, self->dev2);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	ret = _test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &self->bind,
				     &self->dev_id);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_IOMMUFD_OPS);
	ASSERT_EQ(0, ret);
	self->buf = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	self->mem = mock_map_pages(self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->mem);
	memset(self->buf, 0xb1, self->page);
	memset(self->mem, 0x5e, self->page);
	ASSERT_EQ(0, ioas_alloc(self->ifd, &self->ioas));
	ASSERT_EQ(0, ioas_map(self->ifd, self->ioas, self->buf, self->page, IOVA,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, hwpt_alloc(self->ifd, self->dev_id, self->ioas, IOMMU_HWPT_ALLOC_PASID,
				&self->hwpt));
}

FIXTURE_TEARDOWN(mixed)
{
	if (self->ifd >= 0)
		close(self->ifd);
	test_close_leaves_nothing(self->fd);
}

/* @dev at @pasid reads @len bytes of @byte at @addr */
#define reads_byte(dev, pasid, addr, byte)					\
	({									\
		unsigned char __got[32];					\
		struct mock_iommu_dma __d;					\
		test_cmd_dma(self->fd, dev, pasid, MOCK_IOMMU_DMA_READ, 0,	\
			     (void *)(uintptr_t)(addr), sizeof(__got), __got, 0, &__d); \
		ASSERT_EQ(MOCK_IOMMU_DMA_OK, __d.out_status);			\
		ASSERT_TRUE(mock_all_bytes(__got, sizeof(__got), byte));	\
	})
/* ... through iommufd's HWPT (the IOAS) or the SVA domain (the mm) */
#define reads_ioas_at(dev, pasid)	reads_byte(dev, pasid, IOVA, 0xb1)
#define reads_mm_at(dev, pasid)		reads_byte(dev, pasid, self->mem, 0x5e)
#define blocked_at(dev, pasid)							\
	({									\
		unsigned char __b;						\
		struct mock_iommu_dma __d;					\
		test_cmd_dma(self->fd, dev, pasid, MOCK_IOMMU_DMA_READ, 0, self->mem, 1, \
			     &__b, 0, &__d);					\
		ASSERT_EQ(MOCK_IOMMU_DMA_NO_DOMAIN, __d.out_status);		\
	})

/* Attach the binding at @pasid to the fixture's HWPT; its PASIDs after */
#define mixed_attach(pasid)							\
	({									\
		struct mock_iommu_iommufd __o;					\
		test_cmd_iommufd_attach(self->fd, self->bind, pasid, self->hwpt, &__o); \
		__o.out_nr_attached;						\
	})

TEST_F(mixed, sva_bind_refused_at_iommufd_pasid)
{
	struct mock_iommu_sva_info info, other;
	__u32 pasid, pdom;

	/* The mm gets its PASID from the global allocator, on another device */
	test_cmd_bind(self->fd, self->dev2, &other);
	pasid = other.pasid;
	/* iommufd does not ask that allocator: user space may pick that PASID */
	ASSERT_EQ(1, mixed_attach(pasid));
	pdom = mock_pasid_domain(self->fd, self->dev, pasid);
	ASSERT_NE(0, pdom);
	/*
	 * iommu_sva_bind_device() finds the group's handle at the mm's PASID
	 * and it is no SVA domain's: iommu_attach_handle_get() answers -EBUSY
	 */
	test_err_bind(EBUSY, self->fd, self->dev);
	test_pasid_domain(self->fd, self->dev, pasid, pdom);
	reads_ioas_at(self->dev, pasid);
	reads_mm_at(self->dev2, pasid);
	/* Once iommufd lets go of it, the bind succeeds, iommufd owning the DMA */
	test_cmd_iommufd_detach(self->fd, self->bind, pasid, NULL);
	test_cmd_bind(self->fd, self->dev, &info);
	ASSERT_EQ(pasid, info.pasid);
	reads_mm_at(self->dev, pasid);
	test_cmd_destroy(self->fd, info.bond_id);
	test_cmd_destroy(self->fd, other.bond_id);
}

/*
 * The core's global PASID allocator knows nothing of the PASIDs iommufd's
 * user space attaches: it hands one of them to the next mm, whose SVA
 * bind on that device then fails (-EBUSY), while the same mm binds every
 * other device. What 7.3 does, pinned down.
 */
TEST_F(mixed, allocator_hands_out_iommufd_pasid)
{
	struct mock_iommu_sva_info info;
	long long deadline;
	__u32 pasid = 0;
	int pfd[2], rc;
	pid_t pid;

	/* A child's fresh mm learns which PASID the allocator hands out */
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(!_test_cmd_bind(self->fd, self->dev2, &info), 1);
		CHILD_CHECK(write(pfd[1], &info.pasid, sizeof(info.pasid)) ==
			    sizeof(info.pasid), 2);
		CHILD_CHECK(!_test_cmd_destroy(self->fd, info.bond_id), 3);
		_exit(0);
	}
	ASSERT_EQ(sizeof(pasid), read(pfd[0], &pasid, sizeof(pasid)));
	ASSERT_EQ(0, mock_wait_exit(pid));
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_NE(0, pasid);

	/* User space attaches that PASID through iommufd: nothing stops it */
	ASSERT_EQ(1, mixed_attach(pasid));

	/* Once the child's mm is gone, the next mm gets the PASID (polled) */
	deadline = mock_now_ms() + MOCK_POLL_MS;
	do {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct mock_iommu_sva_info mine, there;

			CHILD_CHECK(!_test_cmd_bind(self->fd, self->dev2, &mine), 1);
			if (mine.pasid != pasid) {
				_test_cmd_destroy(self->fd, mine.bond_id);
				_exit(10);
			}
			/* iommu_attach_handle_get() finds iommufd's handle there */
			rc = _test_cmd_bind(self->fd, self->dev, &there);
			if (!rc)
				_test_cmd_destroy(self->fd, there.bond_id);
			CHILD_CHECK(!_test_cmd_destroy(self->fd, mine.bond_id), 3);
			_exit(rc == -EBUSY ? 0 : rc ? 4 : 5);
		}
		rc = mock_wait_exit(pid);
		if (rc == 10)
			mock_sleep_ms(10);
	} while (rc == 10 && mock_now_ms() < deadline);
	/* 10: the PASID never came back; 4, 5: the bind at it did not fail */
	ASSERT_EQ(0, rc) TH_LOG("PASID %u", pasid);
	reads_ioas_at(self->dev, pasid);
}

/*
 * The device is on its instance's fault queue while a domain with a fault
 * handler is attached at one of its PASIDs, as on intel and arm-smmu-v3:
 * an SVA domain counts, an iommufd HWPT with a fault queue counts, one
 * without does not. A replace moves the count, and the last of them to
 * go, whichever it is, takes the device off the queue.
 */
TEST_F(mixed, fault_queue_follows_fault_capable_domains)
{
	struct mock_iommu_sva_info info;
	__u32 fault_id, hwpt_f, p1, p2;
	int fault_fd;

	ASSERT_EQ(0, fault_alloc(self->ifd, &fault_id, &fault_fd));
	ASSERT_EQ(0, hwpt_alloc_fault(self->ifd, self->dev_id, self->ioas, fault_id, &hwpt_f));
	test_fault_queue(self->fd, self->dev, 0);
	test_cmd_bind(self->fd, self->dev, &info);
	test_fault_queue(self->fd, self->dev, 1);
	/* PASIDs beside the mm's, for iommufd */
	p1 = info.pasid + 1;
	p2 = info.pasid + 2;
	/* A HWPT without a fault queue sends no page request */
	ASSERT_EQ(1, mixed_attach(p1));
	test_fault_queue(self->fd, self->dev, 1);
	test_cmd_iommufd_attach(self->fd, self->bind, p2, hwpt_f, NULL);
	test_fault_queue(self->fd, self->dev, 2);
	test_cmd_iommufd_replace(self->fd, self->bind, p1, hwpt_f, NULL);
	test_fault_queue(self->fd, self->dev, 3);
	test_cmd_iommufd_replace(self->fd, self->bind, p2, self->hwpt, NULL);
	test_fault_queue(self->fd, self->dev, 2);
	test_cmd_destroy(self->fd, info.bond_id);
	test_fault_queue(self->fd, self->dev, 1);
	test_cmd_iommufd_detach(self->fd, self->bind, p1, NULL);
	test_fault_queue(self->fd, self->dev, 0);
	test_cmd_iommufd_detach(self->fd, self->bind, p2, NULL);
	test_fault_queue(self->fd, self->dev, 0);
	test_fault_queue(self->fd, self->dev2, 0);
	close(fault_fd);
}

/*
 * A group of two: iommufd owns the group through one device; a PASID it
 * attaches is installed on every member (the core's group-wide PASID
 * attach), and an SVA bond of the other member keeps the binding from
 * giving the group's ownership back.
 */
TEST_F(mixed, group_peer)
{
	struct mock_iommu_sva_info info;
	__u32 peer, dom;

	test_cmd_device_create(self->fd, self->inst, MOCK_PASID_BITS, self->dev, &peer);
	ASSERT_EQ(1, mixed_attach(PASID_A));
	dom = mock_pasid_domain(self->fd, self->dev, PASID_A);
	ASSERT_NE(0, dom);
	test_pasid_domain(self->fd, peer, PASID_A, dom);
	reads_ioas_at(peer, PASID_A);
	/* A group with a PASID attached takes no new member */
	test_err_device_create(EBUSY, self->fd, self->inst, MOCK_PASID_BITS, self->dev);
	test_cmd_iommufd_detach(self->fd, self->bind, PASID_A, NULL);
	test_pasid_domain(self->fd, peer, PASID_A, 0);
	blocked_at(peer, PASID_A);

	/* The peer's SVA bond: on the group iommufd owns, allowed */
	test_cmd_bind(self->fd, peer, &info);
	reads_mm_at(peer, info.pasid);
	test_err_destroy(EBUSY, self->fd, self->bind);
	test_cmd_destroy(self->fd, info.bond_id);
	test_cmd_destroy(self->fd, self->bind);
}

/*
 * The ownership is the group's: a member without PASIDs bound into iommufd
 * holds it while the other member's SVA bond has a PASID attached, though
 * nothing is attached on the member itself.
 */
TEST_F(mixed, group_member_without_pasids)
{
	struct mock_iommu_sva_info info;
	__u32 nopasid, bind2;

	test_cmd_device_create(self->fd, self->inst, 0, self->dev, &nopasid);
	test_cmd_destroy(self->fd, self->bind);
	test_cmd_iommufd_bind(self->fd, nopasid, self->ifd, &bind2, NULL);
	test_cmd_bind(self->fd, self->dev, &info);
	test_pasid_domain(self->fd, nopasid, info.pasid, 0);
	test_err_destroy(EBUSY, self->fd, bind2);
	test_cmd_destroy(self->fd, info.bond_id);
	test_cmd_destroy(self->fd, bind2);
	/* Given back for good: the other member binds again */
	test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &self->bind, NULL);
}

TEST_F(mixed, iommufd_attach_refused_at_sva_pasid)
{
	struct mock_iommu_sva_info info;
	__u32 sdom;

	/*
	 * 7.3's iommu_sva_bind_device() does not look at DMA ownership: the
	 * device iommufd owns is bound all the same (only claiming ownership
	 * checks the group's PASIDs, see iommufd_bind_refused_while_sva_bound)
	 */
	test_cmd_bind(self->fd, self->dev, &info);
	sdom = info.domain_id;
	/* iommu_attach_device_pasid(): the group's PASID is taken, -EBUSY */
	test_err_iommufd_attach(EBUSY, self->fd, self->bind, info.pasid, self->hwpt);
	test_pasid_domain(self->fd, self->dev, info.pasid, sdom);
	reads_mm_at(self->dev, info.pasid);
	/* Side by side at other PASIDs */
	ASSERT_EQ(1, mixed_attach(info.pasid + 1));
	reads_ioas_at(self->dev, info.pasid + 1);
	reads_mm_at(self->dev, info.pasid);
	test_cmd_destroy(self->fd, info.bond_id);
	blocked_at(self->dev, info.pasid);
	reads_ioas_at(self->dev, info.pasid + 1);
}

TEST_F(mixed, iommufd_bind_refused_while_sva_bound)
{
	struct mock_iommu_sva_info info;
	__u32 bind2;

	test_cmd_destroy(self->fd, self->bind);
	test_cmd_bind(self->fd, self->dev, &info);
	/* iommu_device_claim_dma_owner(): the group has a PASID attached */
	test_err_iommufd_bind(EBUSY, self->fd, self->dev, self->ifd);
	reads_mm_at(self->dev, info.pasid);
	test_cmd_destroy(self->fd, info.bond_id);
	test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &bind2, NULL);
}

/* One SVA bond and one iommufd attach on the device, taken down in each order */
#define setup_both(info)							\
	({									\
		struct mock_iommu_sva_info *__i = (info);			\
		test_cmd_bind(self->fd, self->dev, __i);			\
		ASSERT_EQ(1, mixed_attach(__i->pasid + 1));			\
		reads_mm_at(self->dev, __i->pasid);				\
		reads_ioas_at(self->dev, __i->pasid + 1);			\
	})

TEST_F(mixed, sva_unbind_then_detach)
{
	struct mock_iommu_sva_info info;

	setup_both(&info);
	test_cmd_destroy(self->fd, info.bond_id);
	blocked_at(self->dev, info.pasid);
	reads_ioas_at(self->dev, info.pasid + 1);
	test_cmd_iommufd_detach(self->fd, self->bind, info.pasid + 1, NULL);
	blocked_at(self->dev, info.pasid + 1);
}

TEST_F(mixed, detach_then_sva_unbind)
{
	struct mock_iommu_sva_info info;

	setup_both(&info);
	test_cmd_iommufd_detach(self->fd, self->bind, info.pasid + 1, NULL);
	blocked_at(self->dev, info.pasid + 1);
	reads_mm_at(self->dev, info.pasid);
	test_cmd_destroy(self->fd, info.bond_id);
	blocked_at(self->dev, info.pasid);
}

TEST_F(mixed, iommufd_unbind_refused_while_sva_bound)
{
	struct mock_iommu_sva_info info;

	setup_both(&info);
	/*
	 * The core would WARN in __iommu_release_dma_ownership() and keep the
	 * group owned by a freed context: the driver must unbind SVA first
	 */
	test_err_destroy(EBUSY, self->fd, self->bind);
	reads_ioas_at(self->dev, info.pasid + 1);
	reads_mm_at(self->dev, info.pasid);
	test_cmd_destroy(self->fd, info.bond_id);
	/* Unbinding with a PASID attached: the mock detaches it first */
	test_cmd_destroy(self->fd, self->bind);
	blocked_at(self->dev, info.pasid + 1);
	blocked_at(self->dev, info.pasid);
	/* Ownership given back: iommufd binds the device anew */
	test_cmd_iommufd_bind(self->fd, self->dev, self->ifd, &self->bind, NULL);
}

TEST_F(mixed, close_iommufd_with_sva_bond)
{
	struct mock_iommu_sva_info info;

	setup_both(&info);
	/* The binding holds the context, as a VFIO device file does */
	close(self->ifd);
	self->ifd = -1;
	reads_ioas_at(self->dev, info.pasid + 1);
	reads_mm_at(self->dev, info.pasid);
	test_err_destroy(EBUSY, self->fd, self->bind);
	test_cmd_destroy(self->fd, info.bond_id);
	/* Its unbind is the context's last reference: everything goes */
	test_cmd_destroy(self->fd, self->bind);
	blocked_at(self->dev, info.pasid + 1);
	test_pasid_domain(self->fd, self->dev, info.pasid + 1, 0);
	/* The mm keeps its PASID: another bind gets it back */
	test_cmd_bind(self->fd, self->dev, &info);
	reads_mm_at(self->dev, info.pasid);
}

TEST_F(mixed, close_everything_with_both_alive)
{
	struct mock_iommu_sva_info info;

	setup_both(&info);
	close(self->ifd);
	self->ifd = -1;
	/* The teardown closes the mock file: bond first, then the binding */
}

TEST_HARNESS_MAIN
