/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the SVA selftests.
 *
 * Each command comes as a triad, in the manner of iommufd_utils.h:
 *   _test_cmd_x(fd, ...)  issues the command and returns 0 or -errno;
 *   test_cmd_x(fd, ...)   asserts that it succeeded;
 *   test_err_x(err, ...)  asserts that it failed with errno @err.
 * The assert forms need the harness' _metadata in scope.
 */
#ifndef __MOCK_IOMMU_UTILS_H
#define __MOCK_IOMMU_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_iommu.h"
#include "kselftest_harness.h"

#define MOCK_DEV_PATH		"/dev/" MOCK_IOMMU_DEVICE_NAME
#define MOCK_PASID_BITS		20
#define NO_PASID		MOCK_IOMMU_PASID_INVALID

/* How long to wait for something the kernel does asynchronously */
#define MOCK_POLL_MS		10000

static inline int mock_ioctl(int fd, __u32 op, __u32 id, struct mock_iommu_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	cmd->op = op;
	cmd->id = id;
	return ioctl(fd, MOCK_IOMMU_CMD, cmd) ? -errno : 0;
}

static inline long long mock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void mock_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The module-wide count of driver callbacks the core should never have made
 * (see &struct mock_iommu_counters), when the test opened its file: the
 * test must leave it unchanged.
 */
static __u64 mock_unexpected_at_open;

static inline int mock_unexpected_calls(int fd, __u64 *count)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_COUNTERS, 0, &cmd);

	if (!ret)
		*count = cmd.counters.unexpected_calls;
	return ret;
}

/*
 * Open the test device into *fd. Returns why the tests cannot run here (the
 * caller SKIP()s with it), or NULL: then *fd is the file, or -1 with errno
 * set for any other failure, which the caller's assertion reports.
 */
static inline const char *mock_open(int *fd)
{
	*fd = open(MOCK_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (*fd < 0 && errno == ENOENT)
		return MOCK_DEV_PATH " is missing: load mock_iommu.ko";
	if (*fd < 0 && (errno == EACCES || errno == EPERM))
		return MOCK_DEV_PATH " needs root";
	if (*fd >= 0)
		mock_unexpected_calls(*fd, &mock_unexpected_at_open);
	return NULL;
}

/* Instances */

static inline int _test_cmd_instance_create(int fd, __u32 max_pasids, __u32 flags,
					    __u32 *instance_id)
{
	struct mock_iommu_cmd cmd = {
		.instance_create = { .max_pasids = max_pasids, .flags = flags },
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_INSTANCE_CREATE, 0, &cmd);

	if (!ret && instance_id)
		*instance_id = cmd.instance_create.out_instance_id;
	return ret;
}

#define test_cmd_instance_create(fd, max_pasids, flags, instance_id) \
	ASSERT_EQ(0, _test_cmd_instance_create(fd, max_pasids, flags, instance_id))
#define test_err_instance_create(err, fd, max_pasids, flags) \
	EXPECT_EQ(-(err), _test_cmd_instance_create(fd, max_pasids, flags, NULL))

/* Devices */

static inline int _test_cmd_device_create(int fd, __u32 instance_id, __u32 pasid_bits,
					  __u32 group_with, struct mock_iommu_device_create *out)
{
	struct mock_iommu_cmd cmd = {
		.device_create = {
			.instance_id = instance_id,
			.pasid_bits = pasid_bits,
			.group_with = group_with,
		},
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_DEVICE_CREATE, 0, &cmd);

	if (!ret && out)
		*out = cmd.device_create;
	return ret;
}

static inline int _test_cmd_device(int fd, __u32 instance_id, __u32 pasid_bits,
				   __u32 group_with, __u32 *device_id)
{
	struct mock_iommu_device_create out;
	int ret = _test_cmd_device_create(fd, instance_id, pasid_bits, group_with, &out);

	if (!ret && device_id)
		*device_id = out.out_device_id;
	return ret;
}

#define test_cmd_device_create(fd, instance_id, pasid_bits, group_with, device_id) \
	ASSERT_EQ(0, _test_cmd_device(fd, instance_id, pasid_bits, group_with, device_id))
#define test_err_device_create(err, fd, instance_id, pasid_bits, group_with) \
	EXPECT_EQ(-(err), _test_cmd_device(fd, instance_id, pasid_bits, group_with, NULL))

/* Destroy any object: instance, device or bond (unbind) */

static inline int _test_cmd_destroy(int fd, __u32 id)
{
	struct mock_iommu_cmd cmd = {};

	return mock_ioctl(fd, MOCK_IOMMU_OP_DESTROY, id, &cmd);
}

#define test_cmd_destroy(fd, id)	ASSERT_EQ(0, _test_cmd_destroy(fd, id))
#define test_err_destroy(err, fd, id)	EXPECT_EQ(-(err), _test_cmd_destroy(fd, id))

/* Bind the caller's mm to a device, unbind, look at a bond */

static inline int _test_cmd_bind(int fd, __u32 device_id, struct mock_iommu_sva_info *info)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_BIND, device_id, &cmd);

	if (!ret && info)
		*info = cmd.sva;
	return ret;
}

#define test_cmd_bind(fd, device_id, info) \
	ASSERT_EQ(0, _test_cmd_bind(fd, device_id, info))
#define test_err_bind(err, fd, device_id) \
	ASSERT_EQ(-(err), _test_cmd_bind(fd, device_id, NULL))

static inline int _test_cmd_bond_info(int fd, __u32 bond_id, struct mock_iommu_sva_info *info)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_BOND_INFO, bond_id, &cmd);

	if (!ret && info)
		*info = cmd.sva;
	return ret;
}

#define test_cmd_bond_info(fd, bond_id, info) \
	ASSERT_EQ(0, _test_cmd_bond_info(fd, bond_id, info))

/* The domain a device has at a PASID (0: none) */

static inline int _test_cmd_pasid_info(int fd, __u32 device_id, __u32 pasid,
				       struct mock_iommu_pasid_info *out)
{
	struct mock_iommu_cmd cmd = { .pasid_info = { .pasid = pasid } };
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_PASID_INFO, device_id, &cmd);

	if (!ret && out)
		*out = cmd.pasid_info;
	return ret;
}

static inline __u32 mock_pasid_domain(int fd, __u32 device_id, __u32 pasid)
{
	struct mock_iommu_pasid_info out;

	if (_test_cmd_pasid_info(fd, device_id, pasid, &out))
		return ~0U;
	return out.out_domain_id;
}

/* Assert which domain (0: none) device @dev has installed at @pasid */
#define test_pasid_domain(fd, dev, pasid, domain_id) \
	ASSERT_EQ(domain_id, mock_pasid_domain(fd, dev, pasid))

/*
 * Assert that device @dev has @users domains with a fault handler at its
 * PASIDs, and that the core has it on a fault queue exactly when it has one
 */
#define test_fault_queue(fd, dev, users)					\
	({									\
		struct mock_iommu_pasid_info __pi;				\
		__u32 __users = (users);					\
		ASSERT_EQ(0, _test_cmd_pasid_info(fd, dev, 1, &__pi));		\
		ASSERT_EQ(__users, __pi.out_fault_users);			\
		ASSERT_EQ(!!__users, __pi.out_fault_queue);			\
	})

/* A nested domain at device @dev's RID answering every group with @response */
static inline int _test_cmd_nested_attach(int fd, __u32 dev, __u32 response, __u32 *nested_id)
{
	struct mock_iommu_cmd cmd = { .nested_attach = { .response = response } };
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_NESTED_ATTACH, dev, &cmd);

	if (!ret && nested_id)
		*nested_id = cmd.nested_attach.out_nested_id;
	return ret;
}

#define test_cmd_nested_attach(fd, dev, response, nested_id) \
	ASSERT_EQ(0, _test_cmd_nested_attach(fd, dev, response, nested_id))

/* Domains */

static inline int _test_cmd_domain_info(int fd, __u32 domain_id,
					struct mock_iommu_domain_info *out)
{
	struct mock_iommu_cmd cmd = { .domain_info = { .domain_id = domain_id } };
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_DOMAIN_INFO, 0, &cmd);

	if (!ret && out)
		*out = cmd.domain_info;
	return ret;
}

#define test_cmd_domain_info(fd, domain_id, out) \
	ASSERT_EQ(0, _test_cmd_domain_info(fd, domain_id, out))
/* A freed domain is gone from the module's view */
#define test_domain_freed(fd, domain_id) \
	ASSERT_EQ(-ENOENT, _test_cmd_domain_info(fd, domain_id, NULL))

/* Assert the core's domain->users of a live domain */
#define test_domain_users(fd, domain_id, users)				\
	({								\
		struct mock_iommu_domain_info __di;			\
		test_cmd_domain_info(fd, domain_id, &__di);		\
		ASSERT_EQ(users, __di.out_users);			\
	})

/* The caller's mm */

static inline int _test_cmd_mm_info(int fd, struct mock_iommu_mm_info *out)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_MM_INFO, 0, &cmd);

	if (!ret && out)
		*out = cmd.mm_info;
	return ret;
}

static inline __u32 mock_mm_pasid(int fd)
{
	struct mock_iommu_mm_info out;

	if (_test_cmd_mm_info(fd, &out))
		return 0;
	return out.out_pasid;
}

static inline __u32 mock_mm_domains(int fd)
{
	struct mock_iommu_mm_info out;

	if (_test_cmd_mm_info(fd, &out))
		return ~0U;
	return out.out_domains;
}

/* Counters: module-wide with id 0, else of one instance or device */

static inline int _test_cmd_counters(int fd, __u32 instance_id, struct mock_iommu_counters *out)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_COUNTERS, instance_id, &cmd);

	if (!ret && out)
		*out = cmd.counters;
	return ret;
}

#define test_cmd_counters(fd, instance_id, out) \
	ASSERT_EQ(0, _test_cmd_counters(fd, instance_id, out))

/* Fault injection */

static inline int _test_cmd_fault_inject(int fd, __u32 site, __u32 target_id, __u32 count,
					 __u32 error)
{
	struct mock_iommu_cmd cmd = {
		.fault_inject = {
			.site = site,
			.target_id = target_id,
			.count = count,
			.error = error,
		},
	};

	return mock_ioctl(fd, MOCK_IOMMU_OP_FAULT_INJECT, 0, &cmd);
}

#define test_cmd_fault_inject(fd, site, target_id, count, error) \
	ASSERT_EQ(0, _test_cmd_fault_inject(fd, site, target_id, count, error))

/* mmu-notifier records */

static inline int _test_cmd_invalidations(int fd, __u32 domain_id,
					  struct mock_iommu_invalidations *out)
{
	struct mock_iommu_cmd cmd = { .invalidations = { .domain_id = domain_id } };
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_INVALIDATIONS, 0, &cmd);

	if (!ret && out)
		*out = cmd.invalidations;
	return ret;
}

#define test_cmd_invalidations(fd, domain_id, out) \
	ASSERT_EQ(0, _test_cmd_invalidations(fd, domain_id, out))

/* mmap() anonymous memory that THP cannot turn into one big page */
static inline void *mock_map_pages(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Fails with EINVAL without THP, which is just as good */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Every one of @len bytes at @p is @byte */
static inline bool mock_all_bytes(const void *p, size_t len, unsigned char byte)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != byte)
			return false;
	return true;
}

/* Transfers: a device reads or writes memory at a PASID */

static inline int _test_cmd_dma(int fd, __u32 device_id, __u32 pasid, __u32 op, __u32 flags,
				const void *iova, size_t length, void *buf, __u32 fill,
				struct mock_iommu_dma *out)
{
	struct mock_iommu_cmd cmd = {
		.dma = {
			.pasid = pasid,
			.op = op,
			.flags = flags,
			.fill = fill,
			.iova = (uintptr_t)iova,
			.length = length,
			.uptr = (uintptr_t)buf,
		},
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_DMA, device_id, &cmd);

	if (!ret && out)
		*out = cmd.dma;
	return ret;
}

/* The transfer ran; its outcome is in *out */
#define test_cmd_dma(fd, dev, pasid, op, flags, iova, len, buf, fill, out) \
	ASSERT_EQ(0, _test_cmd_dma(fd, dev, pasid, op, flags, iova, len, buf, fill, out))
/* The command was refused with errno @err */
#define test_err_dma(err, fd, dev, pasid, op, flags, iova, len, buf, fill) \
	EXPECT_EQ(-(err), _test_cmd_dma(fd, dev, pasid, op, flags, iova, len, buf, fill, NULL))

/* The transfer ran and ended with @status */
#define test_dma_status(status, fd, dev, pasid, op, flags, iova, len, buf, fill) \
	({								\
		struct mock_iommu_dma __d;				\
		test_cmd_dma(fd, dev, pasid, op, flags, iova, len, buf, fill, &__d); \
		ASSERT_EQ(status, __d.out_status)			\
			TH_LOG("transfer stopped at %#llx after %llu bytes", \
			       (unsigned long long)__d.out_fault_addr,	\
			       (unsigned long long)__d.out_bytes);	\
	})

/* Device @dev holds @len bytes of @byte at @iova of the PASID's mm */
#define test_dma_holds(fd, dev, pasid, flags, iova, len, byte)		\
	({								\
		size_t __len = (len);					\
		void *__want = malloc(__len);				\
		ASSERT_NE(NULL, __want);				\
		memset(__want, byte, __len);				\
		test_dma_status(MOCK_IOMMU_DMA_OK, fd, dev, pasid,	\
				MOCK_IOMMU_DMA_COMPARE, flags, iova, __len, __want, 0); \
		free(__want);						\
	})

#define MOCK_NO_IOPF							\
	"the kernel has no I/O page fault support (CONFIG_IOMMU_IOPF): "	\
	"devices cannot raise page requests"

/*
 * Why transfers in mode @flags cannot run on device @dev, or NULL. A
 * transfer at an unbound PASID only checks its arguments and the mode.
 */
static inline const char *mock_dma_unsupported(int fd, __u32 dev, __u32 flags)
{
	static char byte;

	if (_test_cmd_dma(fd, dev, 1, MOCK_IOMMU_DMA_READ, flags, &byte, 1, &byte, 0,
			  NULL) == -EOPNOTSUPP)
		return MOCK_NO_IOPF;
	return NULL;
}

/* The translation cache of a device */

static inline int _test_cmd_tlb_info(int fd, __u32 device_id, struct mock_iommu_tlb_info *out)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_TLB_INFO, device_id, &cmd);

	if (!ret && out)
		*out = cmd.tlb_info;
	return ret;
}

#define test_cmd_tlb_info(fd, device_id, out) \
	ASSERT_EQ(0, _test_cmd_tlb_info(fd, device_id, out))
#define test_err_tlb_info(err, fd, device_id) \
	EXPECT_EQ(-(err), _test_cmd_tlb_info(fd, device_id, NULL))

/* uacce devices on mock devices */

static inline int _test_cmd_uacce_create(int fd, __u32 device_id, __u32 max_queues,
					 __u32 flags, struct mock_iommu_uacce_create *out)
{
	struct mock_iommu_cmd cmd = {
		.uacce_create = { .max_queues = max_queues, .flags = flags },
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_UACCE_CREATE, device_id, &cmd);

	if (!ret && out)
		*out = cmd.uacce_create;
	return ret;
}

#define test_cmd_uacce_create(fd, device_id, max_queues, out) \
	ASSERT_EQ(0, _test_cmd_uacce_create(fd, device_id, max_queues, 0, out))
#define test_err_uacce_create(err, fd, device_id, max_queues, flags) \
	EXPECT_EQ(-(err), _test_cmd_uacce_create(fd, device_id, max_queues, flags, NULL))

/* What a uacce queue fd holds; all ones in *out when it fails */
static inline int _test_cmd_queue_info(int qfd, struct mock_uacce_queue_info *out)
{
	struct mock_uacce_queue_info info;
	int ret;

	memset(&info, 0xff, sizeof(info));
	ret = ioctl(qfd, MOCK_UACCE_CMD_QUEUE_INFO, &info) ? -errno : 0;
	if (out)
		*out = info;
	return ret;
}

#define test_cmd_queue_info(qfd, out)	ASSERT_EQ(0, _test_cmd_queue_info(qfd, out))
#define test_err_queue_info(err, qfd)	EXPECT_EQ(-(err), _test_cmd_queue_info(qfd, NULL))

/*
 * The module-wide state that every test must leave as it found it: nothing
 * bound, no SVA domain alive, and no driver callback the core must not make
 * since the test opened its file. Other files may hold devices, so those
 * are not part of it.
 */
#define test_no_sva_state_left(fd)					\
	({								\
		struct mock_iommu_counters __c;				\
		test_cmd_counters(fd, 0, &__c);				\
		EXPECT_EQ(0, __c.bonds_alive);				\
		EXPECT_EQ(0, __c.handles_alive);			\
		EXPECT_EQ(0, __c.domains_alive);			\
		EXPECT_EQ(__c.domains_allocated, __c.domains_freed);	\
		EXPECT_EQ(mock_unexpected_at_open, __c.unexpected_calls) \
			TH_LOG("the core made driver calls it must not "	\
			       "make: see dmesg for \"unexpected call\""); \
	})

/* Close the test's file; then nothing it made may be left bound */
#define test_close_leaves_nothing(fd)					\
	({								\
		int __check_fd;						\
									\
		close(fd);						\
		__check_fd = open(MOCK_DEV_PATH, O_RDWR);		\
		ASSERT_LE(0, __check_fd);				\
		test_no_sva_state_left(__check_fd);			\
		close(__check_fd);					\
	})

/*
 * Skip when the kernel refuses SVA before its driver is even asked: Debian's
 * 6.12 kernels from 6.12.64 on return -EOPNOTSUPP from every
 * iommu_sva_bind_device() on x86. The probe binds in a child, so the
 * caller's mm stays without a PASID. Any other failure is the test's to
 * report.
 */
static inline int mock_probe_sva(int fd, __u32 device_id)
{
	struct mock_iommu_counters before, after;
	pid_t pid;
	int status;

	if (_test_cmd_counters(fd, 0, &before))
		return -EIO;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct mock_iommu_sva_info info;
		int ret = _test_cmd_bind(fd, device_id, &info);

		if (!ret)
			ret = _test_cmd_destroy(fd, info.bond_id);
		_exit(ret == -EOPNOTSUPP ? 2 : ret ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -EIO;
	if (_test_cmd_counters(fd, 0, &after))
		return -EIO;
	if (WEXITSTATUS(status) == 2 && after.alloc_calls == before.alloc_calls &&
	    after.attach_calls == before.attach_calls)
		return -EOPNOTSUPP;
	return 0;
}

#define MOCK_SVA_DISABLED							\
	"iommu_sva_bind_device() fails with -EOPNOTSUPP before reaching the "	\
	"IOMMU driver: this kernel disables SVA (e.g. Debian's x86 SVA ban "	\
	"from 6.12.64)"

/* Why SVA tests cannot run on this kernel, or NULL */
static inline const char *mock_sva_disabled(int fd, __u32 device_id)
{
	return mock_probe_sva(fd, device_id) == -EOPNOTSUPP ? MOCK_SVA_DISABLED : NULL;
}

/*
 * Children. A child reports through its exit status only (0 = all good,
 * else a small code naming the failed step), so the harness' assertions stay
 * in the test process.
 */
#define CHILD_CHECK(cond, code)						\
	do {								\
		if (!(cond))						\
			_exit(code);					\
	} while (0)

static inline int mock_wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * A child process that binds its own, fresh mm to a device through the
 * inherited fd, reports the result, then stays alive until told to exit (or
 * killed). Its bond lives in the fd's table and outlives it, as the bond of
 * a process that exits with the device still open would.
 */
struct mock_binder {
	pid_t pid;
	int cmd_fd;		/* write end: any byte lets the child exit */
	int err;		/* the bind's errno, 0 on success */
	__u32 pasid;		/* the child's PASID, NO_PASID on failure */
	__u32 bond_id;		/* the child's bond in the shared fd, or 0 */
};

static inline int mock_binder_start(int fd, __u32 device_id, struct mock_binder *b)
{
	struct mock_iommu_sva_info info = {};
	int cmd[2], res[2];
	__u32 reply[3];

	*b = (struct mock_binder){ .pid = -1, .cmd_fd = -1, .err = EPIPE, .pasid = NO_PASID };
	if (pipe(cmd) || pipe(res))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		char byte;
		int ret;

		/*
		 * Only the parent may hold the write end: when it dies on a
		 * failed assertion, the read below sees EOF and the child
		 * exits, closing the shared file instead of holding it open.
		 */
		close(cmd[1]);
		close(res[0]);
		ret = _test_cmd_bind(fd, device_id, &info);

		reply[0] = -ret;
		reply[1] = ret ? NO_PASID : info.pasid;
		reply[2] = ret ? 0 : info.bond_id;
		if (write(res[1], reply, sizeof(reply)) != sizeof(reply))
			_exit(1);
		_exit(read(cmd[0], &byte, 1) < 0);
	}
	close(cmd[0]);
	close(res[1]);
	b->cmd_fd = cmd[1];
	if (read(res[0], reply, sizeof(reply)) != sizeof(reply))
		reply[0] = EPIPE;
	close(res[0]);
	b->err = reply[0];
	b->pasid = reply[1];
	b->bond_id = reply[2];
	return 0;
}

/* Let the child exit (@sig 0) or kill it; returns its exit code */
static inline int mock_binder_stop(struct mock_binder *b, int sig)
{
	if (sig)
		kill(b->pid, sig);
	else if (write(b->cmd_fd, "x", 1) != 1)
		kill(b->pid, SIGKILL);
	close(b->cmd_fd);
	return mock_wait_exit(b->pid);
}

/* The kernel's own range: page tables it frees, invalidations it sends */

static inline int _test_cmd_kva_free(int fd, __u32 max_attempts, __u32 *attempts, __u32 *freed)
{
	struct mock_iommu_cmd cmd = { .kva_free = { .max_attempts = max_attempts } };
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_KVA_FREE_PGTABLE, 0, &cmd);

	if (!ret && attempts)
		*attempts = cmd.kva_free.out_attempts;
	if (!ret && freed)
		*freed = cmd.kva_free.out_freed;
	return ret;
}

/* The kernel freed one of its page tables (its flush runs later) */
#define test_cmd_kva_free(fd)							\
	({									\
		__u32 __attempts = 0, __freed = 0;				\
		ASSERT_EQ(0, _test_cmd_kva_free(fd, MOCK_IOMMU_KVA_MAX_ATTEMPTS, \
						&__attempts, &__freed));	\
		ASSERT_EQ(1, __freed)						\
			TH_LOG("no kernel page table freed in %u attempts", __attempts); \
	})

static inline int _test_cmd_kva_count(int fd, __u32 domain_id, __u32 watch_id,
				      __u32 *domain_count, __u32 *watch_count)
{
	struct mock_iommu_cmd cmd = {
		.kva_count = { .domain_id = domain_id, .watch_id = watch_id },
	};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_KVA_COUNT, 0, &cmd);

	if (!ret && domain_count)
		*domain_count = cmd.kva_count.out_domain_count;
	if (!ret && watch_count)
		*watch_count = cmd.kva_count.out_watch_count;
	return ret;
}

/* Kernel-range invalidations of a live domain, or ~0U */
static inline __u32 mock_kva_domain_count(int fd, __u32 domain_id)
{
	__u32 n;

	return _test_cmd_kva_count(fd, domain_id, 0, &n, NULL) ? ~0U : n;
}

/* Kernel-range invalidations of a watch, or ~0U */
static inline __u32 mock_kva_watch_count(int fd, __u32 watch_id)
{
	__u32 n;

	return _test_cmd_kva_count(fd, 0, watch_id, NULL, &n) ? ~0U : n;
}

static inline int _test_cmd_kva_watch(int fd, __u32 *watch_id)
{
	struct mock_iommu_cmd cmd = {};
	int ret = mock_ioctl(fd, MOCK_IOMMU_OP_KVA_WATCH, 0, &cmd);

	if (!ret && watch_id)
		*watch_id = cmd.kva_watch.out_watch_id;
	return ret;
}

#define test_cmd_kva_watch(fd, watch_id) ASSERT_EQ(0, _test_cmd_kva_watch(fd, watch_id))

/*
 * Wait (bounded) until domain @domain_id has seen at least @want
 * kernel-range invalidations: the kernel sends them from a work item.
 * Returns the count it saw last, ~0U if the domain is gone.
 */
static inline __u32 mock_kva_wait(int fd, __u32 domain_id, __u32 want)
{
	long long deadline = mock_now_ms() + MOCK_POLL_MS;
	__u32 n;

	for (;;) {
		n = mock_kva_domain_count(fd, domain_id);
		if (n == ~0U || n >= want || mock_now_ms() > deadline)
			return n;
		mock_sleep_ms(5);
	}
}

#define MOCK_NO_ASYNC_PGTABLE_FREE						\
	"the kernel frees its page tables at once, without flushing SVA mms "	\
	"(no CONFIG_ASYNC_KERNEL_PGTABLE_FREE), or cannot map huge vmalloc areas"

/* Seeded, reproducible randomness for the sequence tests */
static inline __u32 mock_rand(__u64 *state)
{
	/* xorshift64*: small, fast and good enough to pick operations */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (__u32)((*state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* iommufd bindings of mock devices (the /dev/iommu side is the caller's) */

static inline int _test_cmd_iommufd(int fd, __u32 op, __u32 id, int iommufd, __u32 pasid,
				    __u32 pt_id, struct mock_iommu_iommufd *out)
{
	struct mock_iommu_cmd cmd = {
		.iommufd = { .iommufd = iommufd, .pasid = pasid, .pt_id = pt_id },
	};
	int ret = mock_ioctl(fd, op, id, &cmd);

	if (!ret && out)
		*out = cmd.iommufd;
	return ret;
}

/* Bind device @dev into the context of /dev/iommu file @ifd */
static inline int _test_cmd_iommufd_bind(int fd, __u32 dev, int ifd, __u32 *bind_id,
					 __u32 *dev_id)
{
	struct mock_iommu_iommufd out;
	int ret = _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_BIND, dev, ifd, 0, 0, &out);

	if (!ret && bind_id)
		*bind_id = out.out_bind_id;
	if (!ret && dev_id)
		*dev_id = out.out_dev_id;
	return ret;
}

#define test_cmd_iommufd_bind(fd, dev, ifd, bind_id, dev_id) \
	ASSERT_EQ(0, _test_cmd_iommufd_bind(fd, dev, ifd, bind_id, dev_id))
#define test_err_iommufd_bind(err, fd, dev, ifd) \
	ASSERT_EQ(-(err), _test_cmd_iommufd_bind(fd, dev, ifd, NULL, NULL))

/* Attach (or replace) binding @bind at @pasid to @pt_id: *out_pt gets the HWPT */
#define test_cmd_iommufd_attach(fd, bind, pasid, pt_id, out)			\
	ASSERT_EQ(0, _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_ATTACH, bind, 0, pasid, \
				       pt_id, out))
#define test_err_iommufd_attach(err, fd, bind, pasid, pt_id)			\
	ASSERT_EQ(-(err), _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_ATTACH, bind, 0, \
					    pasid, pt_id, NULL))
#define test_cmd_iommufd_replace(fd, bind, pasid, pt_id, out)			\
	ASSERT_EQ(0, _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_REPLACE, bind, 0, pasid, \
				       pt_id, out))
#define test_err_iommufd_replace(err, fd, bind, pasid, pt_id)			\
	ASSERT_EQ(-(err), _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_REPLACE, bind, 0, \
					    pasid, pt_id, NULL))
#define test_cmd_iommufd_detach(fd, bind, pasid, out)				\
	ASSERT_EQ(0, _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_DETACH, bind, 0, pasid, \
				       0, out))
#define test_err_iommufd_detach(err, fd, bind, pasid)				\
	ASSERT_EQ(-(err), _test_cmd_iommufd(fd, MOCK_IOMMU_OP_IOMMUFD_DETACH, bind, 0, \
					    pasid, 0, NULL))

#endif /* __MOCK_IOMMU_UTILS_H */
