// SPDX-License-Identifier: GPL-2.0
/*
 * The answer to every kind of page request. A mock device raises page
 * requests through the IOMMU's fault queue for pages it cannot reach; the
 * SVA core's handler (iommu_sva_handle_mm()) or, for a request no domain
 * handles, the fault core itself answers each one. Every outcome is pinned
 * down exactly: the transfer's status, the response code, how many page
 * requests were raised and how far the transfer got, and the device's
 * counters agree. A request nobody handles is answered INVALID at once: a
 * dropped request would leave the device waiting for its whole timeout.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "mock_iommu_utils.h"

/* Long enough that a dropped request shows as a timeout, not a fault */
#define ANSWER_TIMEOUT_MS	20000
/* A request that is answered at all is answered well within this */
#define ANSWER_PROMPT_MS	5000

#define RESP_SUCCESS	0	/* IOMMU_PAGE_RESP_SUCCESS */
#define RESP_INVALID	1	/* IOMMU_PAGE_RESP_INVALID */
#define RESP_FAILURE	2	/* IOMMU_PAGE_RESP_FAILURE */

FIXTURE(answers) {
	int fd;
	__u32 dev;		/* bound */
	__u32 idle;		/* same IOMMU, not bound */
	__u32 pasid;
	__u32 bond;
	size_t page;
	struct mock_iommu_counters c0;
};

FIXTURE_SETUP(answers)
{
	struct mock_iommu_sva_info info;
	const char *skip;
	__u32 iommu;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	test_cmd_instance_create(self->fd, 0, 0, &iommu);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->dev);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->idle);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	test_cmd_bind(self->fd, self->dev, &info);
	self->pasid = info.pasid;
	self->bond = info.bond_id;
}

FIXTURE_TEARDOWN(answers)
{
	test_close_leaves_nothing(self->fd);
}

/* A transfer with a long timeout; *ms is how long it took */
static int run_dma(int fd, __u32 dev, __u32 pasid, __u32 op, __u32 flags, const void *iova,
		   size_t len, void *buf, struct mock_iommu_dma *out, long long *ms)
{
	struct mock_iommu_cmd cmd = {
		.dma = {
			.pasid = pasid,
			.op = op,
			.flags = flags,
			.iova = (uintptr_t)iova,
			.length = len,
			.uptr = (uintptr_t)buf,
			.timeout_ms = ANSWER_TIMEOUT_MS,
		},
	};
	long long t0 = mock_now_ms();
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_DMA, dev, &cmd);

	*ms = mock_now_ms() - t0;
	*out = cmd.dma;
	return ret;
}

/*
 * Device @dev reads @len bytes at @iova with request flags @flags: the
 * transfer ends with @status after @bytes bytes, having raised @requests
 * page requests, the last answered @response, promptly; the device's
 * counters say the same.
 */
#define test_answer_core(dev, pasid, flags, iova, len, status, bytes, requests,	\
			 response, failed, core_errno)					\
	({										\
		struct mock_iommu_counters __c0, __c1;					\
		struct mock_iommu_dma __d;						\
		__u32 __dev = (dev), __status = (status);				\
		__u64 __bytes = (bytes), __requests = (requests), __failed = (failed);	\
		__u32 __core_errno = (core_errno);					\
		const char *__iova = (const char *)(iova);				\
		size_t __len = (len);							\
		char *__buf = malloc(__len);						\
		long long __ms;								\
											\
		ASSERT_NE(NULL, __buf);							\
		test_cmd_counters(self->fd, __dev, &__c0);				\
		ASSERT_EQ(0, run_dma(self->fd, __dev, pasid, MOCK_IOMMU_DMA_READ, flags,	\
				     __iova, __len, __buf, &__d, &__ms));		\
		test_cmd_counters(self->fd, __dev, &__c1);				\
		free(__buf);								\
		ASSERT_EQ(__status, __d.out_status);					\
		ASSERT_EQ(__bytes, __d.out_bytes);					\
		ASSERT_EQ(__requests, __d.out_page_requests);				\
		ASSERT_EQ(response, __d.out_response);					\
		ASSERT_EQ(!!__core_errno, __d.out_refused);				\
		ASSERT_EQ(__core_errno, __d.out_refused_errno);				\
		if (__status == MOCK_IOMMU_DMA_PAGE_FAULT)				\
			ASSERT_EQ((uintptr_t)__iova + __bytes, __d.out_fault_addr);	\
		ASSERT_GT(ANSWER_PROMPT_MS, __ms)					\
			TH_LOG("the answer took %lld ms", __ms);			\
		ASSERT_EQ(1, __c1.dma_transfers - __c0.dma_transfers);			\
		ASSERT_EQ(__status != MOCK_IOMMU_DMA_OK, __c1.dma_faults - __c0.dma_faults); \
		ASSERT_EQ(__requests, __c1.page_requests - __c0.page_requests);	\
		ASSERT_EQ(__requests - __failed, __c1.page_responses - __c0.page_responses); \
		ASSERT_EQ(__failed, __c1.page_responses_failed - __c0.page_responses_failed); \
		ASSERT_EQ(0, __c1.page_responses_stale - __c0.page_responses_stale);	\
	})

/* The core took every request in (iommu_report_device_fault() returned 0) */
#define test_answer(dev, pasid, flags, iova, len, status, bytes, requests, response, failed) \
	test_answer_core(dev, pasid, flags, iova, len, status, bytes, requests, response, \
			 failed, 0)

/* One request, answered INVALID by the handler: the device faults where it started */
#define test_refused(dev, pasid, flags, iova, len) \
	test_answer(dev, pasid, flags, iova, len, MOCK_IOMMU_DMA_PAGE_FAULT, 0, 1, RESP_INVALID, 1)

/*
 * One request the core refuses outright, with no handler to take it:
 * iommu_report_device_fault() answers INVALID itself and tells the driver
 * -EINVAL (a driver logs the event, as arm-smmu-v3's event queue does).
 */
#define test_refused_by_core(dev, pasid, flags, iova, len) \
	test_answer_core(dev, pasid, flags, iova, len, MOCK_IOMMU_DMA_PAGE_FAULT, 0, 1, \
			 RESP_INVALID, 1, EINVAL)

static void *map_fresh(size_t len, int prot)
{
	return mock_map_pages(len, prot);
}

TEST_F(answers, unmapped_address)
{
	char *mem = map_fresh(2 * self->page, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, munmap(mem, 2 * self->page));
	test_refused(self->dev, self->pasid, 0, mem, self->page);
}

TEST_F(answers, prot_none_read)
{
	char *mem = map_fresh(self->page, PROT_NONE);

	ASSERT_NE(NULL, mem);
	test_refused(self->dev, self->pasid, 0, mem, self->page);
	munmap(mem, self->page);
}

TEST_F(answers, write_to_read_only)
{
	char *mem = map_fresh(self->page, PROT_READ);
	struct mock_iommu_dma d;
	long long ms;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, run_dma(self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_FILL, 0, mem,
			     self->page, NULL, &d, &ms));
	ASSERT_EQ(MOCK_IOMMU_DMA_PAGE_FAULT, d.out_status);
	ASSERT_EQ(0, d.out_bytes);
	ASSERT_EQ(1, d.out_page_requests);
	ASSERT_EQ(RESP_INVALID, d.out_response);
	ASSERT_GT(ANSWER_PROMPT_MS, ms);
	/* Reading it is fine: one request, answered with success */
	test_answer(self->dev, self->pasid, 0, mem, self->page, MOCK_IOMMU_DMA_OK, self->page, 1,
		    RESP_SUCCESS, 0);
	munmap(mem, self->page);
}

/* An execute request needs VM_EXEC; with it the page is faulted in */
TEST_F(answers, exec_request)
{
	char *data = map_fresh(self->page, PROT_READ | PROT_WRITE);
	char *text = map_fresh(self->page, PROT_READ | PROT_EXEC);

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, text);
	test_refused(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_EXEC, data, self->page);
	test_answer(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_EXEC, text, self->page,
		    MOCK_IOMMU_DMA_OK, self->page, 1, RESP_SUCCESS, 0);
	/* The refused page was not faulted in: a plain read requests it again */
	test_answer(self->dev, self->pasid, 0, data, self->page, MOCK_IOMMU_DMA_OK, self->page, 1,
		    RESP_SUCCESS, 0);
	munmap(data, self->page);
	munmap(text, self->page);
}

/*
 * A privileged request is handled like the user's own access minus
 * FAULT_FLAG_USER: the VMA's permissions still decide.
 */
TEST_F(answers, privileged_request)
{
	char *data = map_fresh(self->page, PROT_READ | PROT_WRITE);
	char *none = map_fresh(self->page, PROT_NONE);

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, none);
	test_answer(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_PRIV, data, self->page,
		    MOCK_IOMMU_DMA_OK, self->page, 1, RESP_SUCCESS, 0);
	test_refused(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_PRIV, none, self->page);
	test_refused(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_PRIV | MOCK_IOMMU_DMA_REQ_EXEC,
		     none, self->page);
	munmap(data, self->page);
	munmap(none, self->page);
}

/*
 * handle_mm_fault() fails with VM_FAULT_SIGBUS for a page of a shared file
 * mapping past the file's end: the first page is faulted in, the second is
 * refused.
 */
TEST_F(answers, page_past_end_of_file)
{
	int mfd = memfd_create("sva_answers", MFD_CLOEXEC);
	char *mem;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * self->page));
	mem = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, ftruncate(mfd, self->page));
	test_answer(self->dev, self->pasid, 0, mem, 2 * self->page, MOCK_IOMMU_DMA_PAGE_FAULT,
		    self->page, 2, RESP_INVALID, 1);
	munmap(mem, 2 * self->page);
	close(mfd);
}

/*
 * A PASID with no domain on the device: find_fault_handler() finds no
 * attach handle, and iommu_report_device_fault() answers INVALID itself,
 * at once (iopf_error_response()): a dropped request would leave the
 * device waiting for its whole timeout.
 */
TEST_F(answers, pasid_with_nothing_attached)
{
	char *mem = map_fresh(self->page, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, mem);
	/* The mm's PASID on a device it is not bound to */
	test_pasid_domain(self->fd, self->idle, self->pasid, 0);
	test_refused_by_core(self->idle, self->pasid, MOCK_IOMMU_DMA_REQ_UNATTACHED, mem,
			     self->page);
	/* A PASID nobody holds, on the bound device */
	test_pasid_domain(self->fd, self->dev, self->pasid + 1, 0);
	test_refused_by_core(self->dev, self->pasid + 1, MOCK_IOMMU_DMA_REQ_UNATTACHED, mem,
			     self->page);
	/* Without the flag the IOMMU blocks it before any request */
	test_answer(self->idle, self->pasid, 0, mem, self->page, MOCK_IOMMU_DMA_NO_DOMAIN, 0, 0,
		    RESP_SUCCESS, 0);
	/* The flag changes nothing where a domain is attached */
	test_answer(self->dev, self->pasid, MOCK_IOMMU_DMA_REQ_UNATTACHED, mem, self->page,
		    MOCK_IOMMU_DMA_OK, self->page, 1, RESP_SUCCESS, 0);
	munmap(mem, self->page);
}

/*
 * A request without a PASID goes to the requester ID's domain: the
 * identity default domain, which has no attach handle and no fault
 * handler. INVALID at once, whether or not the device has SVA bonds.
 */
TEST_F(answers, request_without_pasid)
{
	char *mem = map_fresh(self->page, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, mem);
	test_refused_by_core(self->dev, 0, MOCK_IOMMU_DMA_REQ_NO_PASID, mem, self->page);
	test_refused_by_core(self->idle, 0, MOCK_IOMMU_DMA_REQ_NO_PASID, mem, self->page);
	munmap(mem, self->page);
}

/* The request flags only go with page requests, and with the right PASID */
TEST_F(answers, bad_request_flags)
{
	char buf[64];
	char *mem = map_fresh(self->page, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, mem);
	test_err_dma(EINVAL, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_EXEC | MOCK_IOMMU_DMA_PINNED, mem, 64, buf, 0);
	test_err_dma(EINVAL, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_PRIV | MOCK_IOMMU_DMA_NO_PRI, mem, 64, buf, 0);
	test_err_dma(EINVAL, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_NO_PASID, mem, 64, buf, 0);
	test_err_dma(EINVAL, self->fd, self->dev, 0, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_UNATTACHED, mem, 64, buf, 0);
	test_err_dma(EINVAL, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_UNATTACHED | MOCK_IOMMU_DMA_PRG, mem, 64, buf, 0);
	test_err_dma(EINVAL, self->fd, self->dev, 0, MOCK_IOMMU_DMA_READ,
		     MOCK_IOMMU_DMA_REQ_NO_PASID | MOCK_IOMMU_DMA_REQ_UNATTACHED, mem, 64, buf,
		     0);
	test_err_dma(EINVAL, self->fd, self->dev, self->pasid, MOCK_IOMMU_DMA_READ, 1U << 29, mem,
		     64, buf, 0);
	munmap(mem, self->page);
}

/*
 * A nested domain at the device's RID: the stage 1 a guest owns under a
 * vIOMMU, whose fault handler is the guest's (here it answers FAILURE at
 * once). Page requests without a PASID go to the RID's domain, so to it.
 * Those at a PASID the host attached nothing to go to it only when the
 * driver leaves PASID tables to user space (user_pasid_table): the guest's
 * PASID table hangs off the RID's domain. Otherwise the core refuses them.
 * A PASID the host did attach (an SVA bond) keeps its own handler.
 */
#define MOCK_NO_NESTED \
	"mock_iommu was built without the core's private header (iommu-priv.h): no nested domains"

FIXTURE(nested) {
	int fd;
	__u32 dev;
	__u32 pasid;		/* the caller's mm's, bound to dev */
	size_t page;
	char *mem;
};

FIXTURE_VARIANT(nested) {
	bool user_pasid_table;
};

FIXTURE_VARIANT_ADD(nested, host_pasid_table) {
	.user_pasid_table = false,
};

FIXTURE_VARIANT_ADD(nested, user_pasid_table) {
	.user_pasid_table = true,
};

FIXTURE_SETUP(nested)
{
	struct mock_iommu_sva_info info;
	const char *skip;
	__u32 iommu;
	int ret;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	self->page = getpagesize();
	ret = _test_cmd_instance_create(self->fd, 0, variant->user_pasid_table ?
					MOCK_IOMMU_INSTANCE_USER_PASID_TABLE : 0, &iommu);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the kernel's iommu_ops have no user_pasid_table (before 6.12)");
	ASSERT_EQ(0, ret);
	test_cmd_device_create(self->fd, iommu, MOCK_PASID_BITS, 0, &self->dev);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	skip = mock_dma_unsupported(self->fd, self->dev, 0);
	if (skip)
		SKIP(return, "%s", skip);
	if (_test_cmd_nested_attach(self->fd, self->dev, 9, NULL) == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_NESTED);
	test_cmd_bind(self->fd, self->dev, &info);
	self->pasid = info.pasid;
	self->mem = map_fresh(self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(nested)
{
	test_close_leaves_nothing(self->fd);
}

/* A request at an unattached PASID: to the nested domain, or refused */
#define test_unattached_request(expect_nested)					\
	({									\
		if (expect_nested)						\
			test_answer(self->dev, self->pasid + 1,			\
				    MOCK_IOMMU_DMA_REQ_UNATTACHED, self->mem,	\
				    self->page, MOCK_IOMMU_DMA_PAGE_FAULT, 0, 1,	\
				    RESP_FAILURE, 1);				\
		else								\
			test_refused_by_core(self->dev, self->pasid + 1,	\
					     MOCK_IOMMU_DMA_REQ_UNATTACHED,	\
					     self->mem, self->page);		\
	})

TEST_F(nested, requests_reach_the_rid_domain)
{
	struct mock_iommu_counters c0, c1;
	__u32 nested;

	/* Nothing at the RID but the identity domain: the core refuses */
	test_refused_by_core(self->dev, 0, MOCK_IOMMU_DMA_REQ_NO_PASID, self->mem, self->page);
	test_unattached_request(false);
	test_fault_queue(self->fd, self->dev, 1);	/* the SVA domain */

	test_cmd_nested_attach(self->fd, self->dev, RESP_FAILURE, &nested);
	test_fault_queue(self->fd, self->dev, 2);
	test_cmd_counters(self->fd, self->dev, &c0);
	/* Without a PASID: the RID's domain, whatever the PASID table */
	test_answer(self->dev, 0, MOCK_IOMMU_DMA_REQ_NO_PASID, self->mem, self->page,
		    MOCK_IOMMU_DMA_PAGE_FAULT, 0, 1, RESP_FAILURE, 1);
	/* At a PASID nothing is attached to: only a user PASID table's */
	test_unattached_request(variant->user_pasid_table);
	/* The bound PASID keeps the SVA handler, which faults the page in */
	test_answer(self->dev, self->pasid, 0, self->mem, self->page, MOCK_IOMMU_DMA_OK,
		    self->page, 1, RESP_SUCCESS, 0);
	test_cmd_counters(self->fd, self->dev, &c1);
	ASSERT_EQ(1 + variant->user_pasid_table, c1.nested_faults - c0.nested_faults);

	/* Detached: the RID is the identity domain's again */
	test_cmd_destroy(self->fd, nested);
	test_fault_queue(self->fd, self->dev, 1);
	test_refused_by_core(self->dev, 0, MOCK_IOMMU_DMA_REQ_NO_PASID, self->mem, self->page);
	test_unattached_request(false);
	test_cmd_counters(self->fd, self->dev, &c0);
	ASSERT_EQ(c1.nested_faults, c0.nested_faults);
}

/* Bad input changes nothing; an attached domain holds its device */
TEST_F(nested, attach_errors)
{
	struct mock_iommu_cmd cmd = {};
	__u32 nested;

	EXPECT_EQ(-EINVAL, _test_cmd_nested_attach(self->fd, self->dev, RESP_FAILURE + 1, NULL));
	cmd.nested_attach.__reserved = 1;
	EXPECT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_NESTED_ATTACH, self->dev, &cmd));
	memset(&cmd, 0, sizeof(cmd));
	cmd.nested_attach.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_NESTED_ATTACH, self->dev, &cmd));
	EXPECT_EQ(-ENOENT, _test_cmd_nested_attach(self->fd, 0x7fffffff, RESP_FAILURE, NULL));
	test_fault_queue(self->fd, self->dev, 1);

	test_cmd_nested_attach(self->fd, self->dev, RESP_SUCCESS, &nested);
	EXPECT_EQ(-EBUSY, _test_cmd_nested_attach(self->fd, self->dev, RESP_FAILURE, NULL));
	EXPECT_EQ(-EBUSY, _test_cmd_destroy(self->fd, self->dev));
	test_fault_queue(self->fd, self->dev, 2);
	/* Closing the file with it attached is the teardown's check */
}

TEST_HARNESS_MAIN
