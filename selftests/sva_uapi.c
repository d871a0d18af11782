// SPDX-License-Identifier: GPL-2.0
/*
 * The test ioctl itself: every malformed command gets its documented errno
 * and changes nothing, ids are private to their file, and a seeded random
 * sequence of commands from several threads and processes leaves the
 * module consistent.
 */
#include <stddef.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "mock_iommu_utils.h"

FIXTURE(uapi) {
	int fd;
	__u32 instance;
	__u32 dev;
};

FIXTURE_SETUP(uapi)
{
	const char *skip;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &self->instance);
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &self->dev);
}

FIXTURE_TEARDOWN(uapi)
{
	test_close_leaves_nothing(self->fd);
}

/* A command buffer with room beyond the structure, for size tests */
struct big_cmd {
	struct mock_iommu_cmd cmd;
	__u8 tail[64];
};

static int raw_cmd(int fd, struct big_cmd *big, __u32 size, __u32 op)
{
	big->cmd.size = size;
	big->cmd.op = op;
	return ioctl(fd, MOCK_IOMMU_CMD, &big->cmd) ? -errno : 0;
}

/*
 * No injection is armed: a bind in a child reaches the driver without an
 * injected fault (or the kernel refuses SVA before the driver, and there
 * is nothing to see).
 */
#define test_nothing_armed(fd)						\
	({								\
		struct mock_iommu_counters __a, __b;			\
		int __fd = (fd);					\
		test_cmd_counters(__fd, 0, &__a);			\
		mock_probe_sva(__fd, self->dev);			\
		test_cmd_counters(__fd, 0, &__b);			\
		ASSERT_EQ(__a.faults_injected, __b.faults_injected);	\
	})

/* Nothing was created: the next free id is still free */
#define test_nothing_created(fd, next_id) \
	ASSERT_EQ(-ENOENT, _test_cmd_destroy(fd, next_id))

TEST_F(uapi, size_too_small)
{
	const __u32 need = offsetof(struct mock_iommu_cmd, instance_create) +
			   sizeof(struct mock_iommu_instance_create);
	struct big_cmd big = {};

	ASSERT_EQ(-EINVAL, raw_cmd(self->fd, &big, 0, MOCK_IOMMU_OP_INSTANCE_CREATE));
	ASSERT_EQ(-EINVAL, raw_cmd(self->fd, &big, 8, MOCK_IOMMU_OP_INSTANCE_CREATE));
	ASSERT_EQ(-EINVAL, raw_cmd(self->fd, &big, need - 1, MOCK_IOMMU_OP_INSTANCE_CREATE));
	test_nothing_created(self->fd, self->dev + 1);
	/* Exactly what the op needs is enough: old binaries keep working */
	ASSERT_EQ(0, raw_cmd(self->fd, &big, need, MOCK_IOMMU_OP_INSTANCE_CREATE));
	ASSERT_EQ(self->dev + 1, big.cmd.instance_create.out_instance_id);
	test_cmd_destroy(self->fd, big.cmd.instance_create.out_instance_id);
}

TEST_F(uapi, size_larger_than_known)
{
	struct big_cmd big = {};

	/* A zero tail is what an older kernel sees of a newer binary */
	ASSERT_EQ(0, raw_cmd(self->fd, &big, sizeof(big), MOCK_IOMMU_OP_INSTANCE_CREATE));
	test_cmd_destroy(self->fd, big.cmd.instance_create.out_instance_id);

	memset(&big, 0, sizeof(big));
	big.tail[10] = 1;
	ASSERT_EQ(-E2BIG, raw_cmd(self->fd, &big, sizeof(big), MOCK_IOMMU_OP_INSTANCE_CREATE));
	test_nothing_created(self->fd, self->dev + 1);
}

TEST_F(uapi, unknown_op)
{
	struct big_cmd big = {};

	ASSERT_EQ(-EOPNOTSUPP, raw_cmd(self->fd, &big, sizeof(big.cmd), 0));
	ASSERT_EQ(-EOPNOTSUPP, raw_cmd(self->fd, &big, sizeof(big.cmd),
				       MOCK_IOMMU_OP_UACCE_CREATE + 1));
	ASSERT_EQ(-EOPNOTSUPP, raw_cmd(self->fd, &big, sizeof(big.cmd), ~0U));
	/* Another ioctl number on the device is refused as well */
	ASSERT_EQ(-1, ioctl(self->fd, _IO(MOCK_IOMMU_TYPE, 0x41), &big.cmd));
	ASSERT_EQ(ENOTTY, errno);
}

TEST_F(uapi, reserved_fields)
{
	struct mock_iommu_cmd cmd = { .__reserved = 1 };

	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_INSTANCE_CREATE, 0, &cmd));
	cmd = (struct mock_iommu_cmd){ .instance_create.__reserved = 1 };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_INSTANCE_CREATE, 0, &cmd));
	cmd = (struct mock_iommu_cmd){ .device_create = { .instance_id = self->instance,
							  .pasid_bits = 5, .__reserved = 1 } };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_DEVICE_CREATE, 0, &cmd));
	cmd = (struct mock_iommu_cmd){ .pasid_info = { .pasid = 1, .__reserved = 1 } };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_PASID_INFO, self->dev, &cmd));
	cmd = (struct mock_iommu_cmd){ .domain_info = { .domain_id = 1, .__reserved = 1 } };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_DOMAIN_INFO, 0, &cmd));
	cmd = (struct mock_iommu_cmd){ .invalidations = { .domain_id = 1, .__reserved2 = 1 } };
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_INVALIDATIONS, 0, &cmd));
	/* Ops without an object refuse one */
	cmd = (struct mock_iommu_cmd){};
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_INSTANCE_CREATE, 7, &cmd));
	ASSERT_EQ(-EINVAL, mock_ioctl(self->fd, MOCK_IOMMU_OP_MM_INFO, 7, &cmd));
	test_nothing_created(self->fd, self->dev + 1);
}

TEST_F(uapi, bad_values)
{
	__u32 other_instance, other_dev;

	/* The first flag no kernel knows */
	test_err_instance_create(EINVAL, self->fd, 0, 1U << 5);
	/* One driver of each kind: the second iommu_ops changes one thing */
	test_err_instance_create(EINVAL, self->fd, 0,
				 MOCK_IOMMU_INSTANCE_FOREIGN | MOCK_IOMMU_INSTANCE_NO_SVA_OP);
	test_err_instance_create(EINVAL, self->fd, 0,
				 MOCK_IOMMU_INSTANCE_FOREIGN |
				 MOCK_IOMMU_INSTANCE_USER_PASID_TABLE);
	test_err_instance_create(EINVAL, self->fd, 0,
				 MOCK_IOMMU_INSTANCE_NO_SVA_OP |
				 MOCK_IOMMU_INSTANCE_USER_PASID_TABLE);
	test_err_instance_create(EINVAL, self->fd, 0, ~0U);
	test_err_device_create(EINVAL, self->fd, self->instance, 21, 0);
	test_err_device_create(ENOENT, self->fd, 0, MOCK_PASID_BITS, 0);
	test_err_device_create(ENOENT, self->fd, 999, MOCK_PASID_BITS, 0);
	test_err_device_create(ENOENT, self->fd, self->instance, MOCK_PASID_BITS, 999);
	test_nothing_created(self->fd, self->dev + 1);

	/* A group cannot span instances */
	test_cmd_instance_create(self->fd, 0, 0, &other_instance);
	test_cmd_device_create(self->fd, other_instance, MOCK_PASID_BITS, 0, &other_dev);
	test_err_device_create(EINVAL, self->fd, self->instance, MOCK_PASID_BITS, other_dev);
	test_nothing_created(self->fd, other_dev + 1);

	EXPECT_EQ(-EINVAL, _test_cmd_fault_inject(self->fd, 0, 0, 1, EIO));
	EXPECT_EQ(-EINVAL, _test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_PAGE_RESPONSE + 1,
						  0, 1, EIO));
	EXPECT_EQ(-EINVAL, _test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC,
						  0, 1, 0));
	EXPECT_EQ(-EINVAL, _test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC,
						  0, 1, 4096));
	test_nothing_armed(self->fd);
	EXPECT_EQ(-ENOENT, _test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC,
						  999, 1, EIO));
	test_cmd_destroy(self->fd, other_dev);
	test_cmd_destroy(self->fd, other_instance);
}

/*
 * Only ordinary errnos can be injected: the kernel-internal ones from
 * ERESTARTSYS (512) on would restart the ioctl or mean something else to
 * the core, and values past MAX_ERRNO are no errors at all. Each refusal
 * leaves nothing armed.
 */
TEST_F(uapi, fault_inject_ordinary_errnos_only)
{
	static const __u32 bad[] = {
		EHWPOISON + 1, 511, 512 /* ERESTARTSYS */, 513 /* ERESTARTNOINTR */,
		516 /* ERESTART_RESTARTBLOCK */, 517 /* EPROBE_DEFER */,
		524 /* ENOTSUPP */, 4095, 4096, 0x80000000U, ~0U,
	};
	__u32 site;
	unsigned int i;

	for (site = MOCK_IOMMU_FAULT_DOMAIN_ALLOC; site <= MOCK_IOMMU_FAULT_PAGE_RESPONSE;
	     site++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			EXPECT_EQ(-EINVAL, _test_cmd_fault_inject(self->fd, site, self->dev, 1,
								  bad[i]))
				TH_LOG("site %u error %u", site, bad[i]);
		test_nothing_armed(self->fd);
		/* The edges of the ordinary range are taken, and disarmed */
		EXPECT_EQ(0, _test_cmd_fault_inject(self->fd, site, self->dev, 1, EPERM));
		EXPECT_EQ(0, _test_cmd_fault_inject(self->fd, site, self->dev, 1, EHWPOISON));
		EXPECT_EQ(0, _test_cmd_fault_inject(self->fd, site, self->dev, 0, 0));
	}
}

TEST_F(uapi, missing_and_wrong_type_ids)
{
	struct mock_iommu_sva_info b;

	test_err_bind(ENOENT, self->fd, 0);
	test_err_bind(ENOENT, self->fd, 999);
	test_err_bind(ENOENT, self->fd, self->instance);
	test_err_destroy(ENOENT, self->fd, 0);
	test_err_destroy(ENOENT, self->fd, 999);
	EXPECT_EQ(-ENOENT, _test_cmd_bond_info(self->fd, self->dev, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_pasid_info(self->fd, self->instance, 1, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_counters(self->fd, 999, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_domain_info(self->fd, 0, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_invalidations(self->fd, ~0U, NULL));

	if (mock_sva_disabled(self->fd, self->dev)) {
		TH_LOG("no bond ids to try: %s", MOCK_SVA_DISABLED);
		return;
	}
	test_cmd_bind(self->fd, self->dev, &b);
	EXPECT_EQ(-ENOENT, _test_cmd_pasid_info(self->fd, b.bond_id, b.pasid, NULL));
	EXPECT_EQ(-ENOENT, _test_cmd_counters(self->fd, b.bond_id, NULL));
	test_cmd_destroy(self->fd, b.bond_id);
}

TEST_F(uapi, destroy_busy)
{
	struct mock_iommu_sva_info b;
	__u32 dev2;

	test_err_destroy(EBUSY, self->fd, self->instance);
	/* The instance is intact: it still takes devices */
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &dev2);
	test_cmd_destroy(self->fd, dev2);

	if (mock_sva_disabled(self->fd, self->dev))
		SKIP(return, "%s", MOCK_SVA_DISABLED);
	test_cmd_bind(self->fd, self->dev, &b);
	test_err_destroy(EBUSY, self->fd, self->dev);
	test_pasid_domain(self->fd, self->dev, b.pasid, b.domain_id);
	test_cmd_bond_info(self->fd, b.bond_id, &b);
	ASSERT_EQ(1, b.handle_users);
	test_cmd_destroy(self->fd, b.bond_id);
	test_err_destroy(ENOENT, self->fd, b.bond_id);
	test_cmd_destroy(self->fd, self->dev);
	test_cmd_destroy(self->fd, self->instance);
}

/* Ids are private to their file; domain ids are global */
TEST_F(uapi, ids_are_per_file)
{
	struct mock_iommu_domain_info di;
	struct mock_iommu_sva_info b;
	int fd2 = open(MOCK_DEV_PATH, O_RDWR);
	__u32 instance2;

	ASSERT_LE(0, fd2);
	test_err_bind(ENOENT, fd2, self->dev);
	test_err_destroy(ENOENT, fd2, self->instance);
	test_err_destroy(ENOENT, fd2, self->dev);
	EXPECT_EQ(-ENOENT, _test_cmd_counters(fd2, self->instance, NULL));
	/* A new file numbers its objects from 1 */
	test_cmd_instance_create(fd2, 0, 0, &instance2);
	ASSERT_EQ(1, instance2);

	if (!mock_sva_disabled(self->fd, self->dev)) {
		test_cmd_bind(self->fd, self->dev, &b);
		/* Another file's domains are not there for it to look at */
		EXPECT_EQ(-ENOENT, _test_cmd_domain_info(fd2, b.domain_id, NULL));
		EXPECT_EQ(-ENOENT, _test_cmd_invalidations(fd2, b.domain_id, NULL));
		test_cmd_domain_info(self->fd, b.domain_id, &di);
		ASSERT_EQ(self->instance, di.out_instance_id);
		test_cmd_invalidations(self->fd, b.domain_id, NULL);
		test_err_destroy(ENOENT, fd2, b.bond_id);
		test_cmd_destroy(self->fd, b.bond_id);
	}
	close(fd2);
}

/*
 * COUNTERS grew (unexpected_calls, kva_invalidations) past the 152 bytes
 * the first binaries knew: a caller of that size still gets its counters,
 * and nothing past its size is written; a shorter one is -EINVAL.
 */
#define COUNTERS_V1_END \
	(offsetof(struct mock_iommu_cmd, counters.page_responses_stale) + sizeof(__u64))

TEST_F(uapi, counters_grown_compatibly)
{
	struct mock_iommu_counters c;
	struct big_cmd big;
	__u8 tail[sizeof(big)];

	ASSERT_EQ(16 + 152, COUNTERS_V1_END);
	memset(&big, 0xa5, sizeof(big));
	memset(tail, 0xa5, sizeof(tail));
	big.cmd.id = 0;
	big.cmd.__reserved = 0;
	ASSERT_EQ(0, raw_cmd(self->fd, &big, COUNTERS_V1_END, MOCK_IOMMU_OP_COUNTERS));
	ASSERT_EQ(0, memcmp((__u8 *)&big + COUNTERS_V1_END, tail,
			    sizeof(big) - COUNTERS_V1_END));
	test_cmd_counters(self->fd, self->instance, &c);
	ASSERT_EQ(1, c.devices_probed);

	memset(&big, 0, sizeof(big));
	big.cmd.id = self->instance;
	ASSERT_EQ(0, raw_cmd(self->fd, &big, COUNTERS_V1_END, MOCK_IOMMU_OP_COUNTERS));
	ASSERT_EQ(1, big.cmd.counters.devices_probed);
	ASSERT_EQ(0, big.cmd.counters.unexpected_calls);
	ASSERT_EQ(-EINVAL, raw_cmd(self->fd, &big, COUNTERS_V1_END - 1, MOCK_IOMMU_OP_COUNTERS));
	/* The full size, and beyond it with a zero tail */
	memset(&big, 0, sizeof(big));
	big.cmd.id = self->instance;
	ASSERT_EQ(0, raw_cmd(self->fd, &big, sizeof(big.cmd), MOCK_IOMMU_OP_COUNTERS));
	ASSERT_EQ(1, big.cmd.counters.devices_probed);
	ASSERT_EQ(0, raw_cmd(self->fd, &big, sizeof(big), MOCK_IOMMU_OP_COUNTERS));
}

/*
 * A file holds at most MOCK_IOMMU_MAX_OBJECTS objects: one more is -ENOSPC
 * for every kind of object, refused before the core is called, and a freed
 * id is taken again.
 */
TEST_F_TIMEOUT(uapi, object_limit, 120)
{
	struct mock_iommu_sva_info b, first;
	struct mock_iommu_counters c0, c1;
	unsigned int i;
	int fd2;
	__u32 id;

	if (mock_sva_disabled(self->fd, self->dev))
		SKIP(return, "%s", MOCK_SVA_DISABLED);
	/* The instance and the device take ids 1 and 2; bonds the rest */
	test_cmd_bind(self->fd, self->dev, &first);
	for (i = 3; i < MOCK_IOMMU_MAX_OBJECTS; i++) {
		test_cmd_bind(self->fd, self->dev, &b);
		ASSERT_EQ(i + 1, b.bond_id);
	}
	ASSERT_EQ(MOCK_IOMMU_MAX_OBJECTS - 2, b.handle_users);

	test_cmd_counters(self->fd, 0, &c0);
	test_err_bind(ENOSPC, self->fd, self->dev);
	test_err_instance_create(ENOSPC, self->fd, 0, 0);
	test_err_device_create(ENOSPC, self->fd, self->instance, MOCK_PASID_BITS, 0);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.devices_probed, c1.devices_probed);
	test_cmd_bond_info(self->fd, first.bond_id, &b);
	ASSERT_EQ(MOCK_IOMMU_MAX_OBJECTS - 2, b.handle_users);

	/* Another file has its own table */
	fd2 = open(MOCK_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd2);
	test_cmd_instance_create(fd2, 0, 0, &id);
	ASSERT_EQ(1, id);
	close(fd2);

	/* A freed id is taken again */
	test_cmd_destroy(self->fd, first.bond_id);
	test_cmd_bind(self->fd, self->dev, &b);
	ASSERT_EQ(first.bond_id, b.bond_id);
	test_err_bind(ENOSPC, self->fd, self->dev);
	/* Closing the file unbinds them all (teardown checks) */
}

/* Root without CAP_SYS_ADMIN cannot open the device; an open file works */
TEST_F(uapi, open_needs_cap_sys_admin)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = {};
		struct mock_iommu_counters c;

		CHILD_CHECK(!syscall(SYS_capget, &hdr, data), 10);
		CHILD_CHECK(data[0].effective & (1U << CAP_SYS_ADMIN), 11);
		data[0].effective &= ~(1U << CAP_SYS_ADMIN);
		CHILD_CHECK(!syscall(SYS_capset, &hdr, data), 12);
		CHILD_CHECK(getuid() == 0, 13);
		CHILD_CHECK(open(MOCK_DEV_PATH, O_RDWR) < 0 && errno == EPERM, 14);
		/* What root opened before dropping it keeps working */
		CHILD_CHECK(!_test_cmd_counters(self->fd, self->instance, &c), 15);
		CHILD_CHECK(c.devices_probed == 1, 16);
		_exit(0);
	}
	ASSERT_EQ(0, mock_wait_exit(pid));
}

/* The device is root's only */
TEST_F(uapi, not_for_unprivileged_users)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(!setresgid(65534, 65534, 65534), 10);
		CHILD_CHECK(!setresuid(65534, 65534, 65534), 11);
		CHILD_CHECK(open(MOCK_DEV_PATH, O_RDWR) < 0 && errno == EACCES, 12);
		_exit(0);
	}
	ASSERT_EQ(0, mock_wait_exit(pid));
}

/*
 * Random commands on one file from several threads in two processes. Each
 * result must be one the command may give; at the end, closing the file
 * leaves nothing behind (teardown). Reproduce with MOCK_IOMMU_SEED=<seed>.
 */
#define RAND_THREADS	3
#define RAND_OPS	200
#define RAND_MAX_ID	24
#define RAND_SECONDS	8

struct rand_thread {
	int fd;
	__u64 seed;
	long long deadline;
	char failure[160];
};

static bool rand_step(struct rand_thread *t, __u64 *state)
{
	static const __u32 widths[] = { 0, 1, 3, MOCK_PASID_BITS };
	__u32 id = 1 + mock_rand(state) % RAND_MAX_ID;
	__u32 op = mock_rand(state) % 7;
	__u32 group_with;
	const char *name;
	int ret;

	switch (op) {
	case 0:
		name = "instance_create";
		ret = _test_cmd_instance_create(t->fd, 1U << (mock_rand(state) % 21), 0, NULL);
		if (!ret)
			return true;
		break;
	case 1:
		name = "device_create";
		group_with = mock_rand(state) % 2 ? 1 + mock_rand(state) % RAND_MAX_ID : 0;
		ret = _test_cmd_device(t->fd, id, widths[mock_rand(state) % 4], group_with, NULL);
		/* -EBUSY: joining a group that is bound */
		if (!ret || ret == -ENOENT || ret == -EINVAL || ret == -EBUSY)
			return true;
		break;
	case 2:
		name = "destroy";
		ret = _test_cmd_destroy(t->fd, id);
		if (!ret || ret == -ENOENT || ret == -EBUSY)
			return true;
		break;
	case 3:
		name = "bind";
		ret = _test_cmd_bind(t->fd, id, NULL);
		/* -EINVAL: a group member too narrow for the mm's PASID */
		if (!ret || ret == -ENOENT || ret == -EOVERFLOW || ret == -ENOSPC ||
		    ret == -EINVAL || ret == -EOPNOTSUPP)
			return true;
		break;
	case 4:
		name = "bond_info";
		ret = _test_cmd_bond_info(t->fd, id, NULL);
		if (!ret || ret == -ENOENT)
			return true;
		break;
	case 5:
		name = "pasid_info";
		ret = _test_cmd_pasid_info(t->fd, id, mock_rand(state) % 8, NULL);
		if (!ret || ret == -ENOENT)
			return true;
		break;
	default:
		name = "counters";
		ret = _test_cmd_counters(t->fd, mock_rand(state) % 2 ? id : 0, NULL);
		if (!ret || ret == -ENOENT)
			return true;
		break;
	}
	snprintf(t->failure, sizeof(t->failure), "%s(%u) gave %d (%s)", name, id, ret,
		 strerror(-ret));
	return false;
}

static void *rand_thread_fn(void *arg)
{
	struct rand_thread *t = arg;
	__u64 state = t->seed | 1;
	int i;

	for (i = 0; i < RAND_OPS && mock_now_ms() < t->deadline; i++)
		if (!rand_step(t, &state))
			break;
	return NULL;
}

/* Runs the threads; returns 0 or prints the first failure and returns 1 */
static int rand_process(int fd, __u64 seed)
{
	struct rand_thread t[RAND_THREADS];
	pthread_t tid[RAND_THREADS];
	int i, failed = 0;

	for (i = 0; i < RAND_THREADS; i++) {
		t[i] = (struct rand_thread){ .fd = fd, .seed = seed * 31 + i,
					     .deadline = mock_now_ms() + RAND_SECONDS * 1000 };
		if (pthread_create(&tid[i], NULL, rand_thread_fn, &t[i]))
			return 1;
	}
	for (i = 0; i < RAND_THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (t[i].failure[0]) {
			ksft_print_msg("thread %d: %s\n", i, t[i].failure);
			failed = 1;
		}
	}
	return failed;
}

TEST_F_TIMEOUT(uapi, random_sequence, 120)
{
	const char *env = getenv("MOCK_IOMMU_SEED");
	__u64 seed = env ? strtoull(env, NULL, 0) : (__u64)time(NULL) ^ getpid();
	pid_t pid;

	ksft_print_msg("random_sequence: MOCK_IOMMU_SEED=%llu\n", (unsigned long long)seed);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(rand_process(self->fd, seed + 1));
	ASSERT_EQ(0, rand_process(self->fd, seed));
	ASSERT_EQ(0, mock_wait_exit(pid));
}

TEST_HARNESS_MAIN
