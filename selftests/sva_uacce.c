// SPDX-License-Identifier: GPL-2.0
/*
 * The SVA core driven by a real in-kernel client: uacce queues on mock
 * devices. uacce binds the opener's mm on every open() of its char device,
 * so two opens in one process are two binds of the same (device, mm): the
 * 6.8-rc1 regression that made the second one -EBUSY breaks the second
 * open here. Each queue fd answers MOCK_UACCE_CMD_QUEUE_INFO with what its
 * handle is, in the identity space of the test ioctl's bonds, and the
 * PASID, domain and counter queries of /dev/mock_iommu check the rest.
 */
#include <dirent.h>
#include <stddef.h>
#include <misc/uacce/uacce.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "mock_iommu_utils.h"

/* Queue slots of the fixture's uacce device */
#define UQ	8

#define MOCK_NO_UACCE								\
	"MOCK_IOMMU_OP_UACCE_CREATE is -EOPNOTSUPP: the kernel is built "	\
	"without CONFIG_UACCE"

FIXTURE(uacce) {
	int fd;
	__u32 instance;
	__u32 dev;
	__u32 uacce_id;
	__u32 dev_id;
	char path[64];
	char sysfs[96];
	int qfd[UQ + 1];
};

FIXTURE_SETUP(uacce)
{
	struct mock_iommu_uacce_create uc;
	const char *skip;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(self->qfd); i++)
		self->qfd[i] = -1;
	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &self->instance);
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &self->dev);
	skip = mock_sva_disabled(self->fd, self->dev);
	if (skip)
		SKIP(return, "%s", skip);
	ret = _test_cmd_uacce_create(self->fd, self->dev, UQ, 0, &uc);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s", MOCK_NO_UACCE);
	ASSERT_EQ(0, ret);
	self->uacce_id = uc.out_uacce_id;
	self->dev_id = uc.out_dev_id;
	snprintf(self->path, sizeof(self->path), "/dev/%s-%u", MOCK_IOMMU_UACCE_NAME,
		 self->dev_id);
	snprintf(self->sysfs, sizeof(self->sysfs), "/sys/class/uacce/%s-%u",
		 MOCK_IOMMU_UACCE_NAME, self->dev_id);
}

FIXTURE_TEARDOWN(uacce)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->qfd); i++)
		if (self->qfd[i] >= 0)
			close(self->qfd[i]);
	test_close_leaves_nothing(self->fd);
}

/* One open() of the uacce device: one queue, one bind. -errno on failure */
static int queue_open(const char *path)
{
	int qfd = open(path, O_RDWR | O_CLOEXEC);

	return qfd < 0 ? -errno : qfd;
}

/* Reads a sysfs attribute of the uacce device into @buf, without the \n */
static int uacce_attr(const char *sysfs, const char *name, char *buf, size_t len)
{
	char path[160];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysfs, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static int uacce_available(const char *sysfs)
{
	char buf[32];

	if (uacce_attr(sysfs, "available_instances", buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

/* Whether a freed domain, a detached PASID and zero handles come about */
static bool poll_nothing_bound(int fd, __u32 dev, __u32 pasid, __u32 domain_id,
			       __u64 handles)
{
	long long deadline = mock_now_ms() + MOCK_POLL_MS;
	struct mock_iommu_counters c;

	do {
		if (!_test_cmd_counters(fd, 0, &c) && c.handles_alive == handles &&
		    _test_cmd_domain_info(fd, domain_id, NULL) == -ENOENT &&
		    mock_pasid_domain(fd, dev, pasid) == 0)
			return true;
		mock_sleep_ms(20);
	} while (mock_now_ms() < deadline);
	return false;
}

TEST_F(uacce, sysfs_attributes)
{
	struct stat st;
	char buf[64];
	void *p;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0, uacce_attr(self->sysfs, "api", buf, sizeof(buf)));
	ASSERT_STREQ(MOCK_IOMMU_UACCE_API, buf);
	ASSERT_EQ(0, uacce_attr(self->sysfs, "flags", buf, sizeof(buf)));
	/* UACCE_DEV_SVA, which the UAPI header spells BIT(0), unusable here */
	ASSERT_EQ(1, atoi(buf));
	ASSERT_EQ(0, uacce_attr(self->sysfs, "algorithms", buf, sizeof(buf)));
	ASSERT_STREQ(MOCK_IOMMU_UACCE_ALGS, buf);
	ASSERT_EQ(UQ, uacce_available(self->sysfs));
	/* No regions: uacce hides their sizes and refuses to map them */
	ASSERT_EQ(-ENOENT, uacce_attr(self->sysfs, "region_mmio_size", buf, sizeof(buf)));
	ASSERT_EQ(-ENOENT, uacce_attr(self->sysfs, "region_dus_size", buf, sizeof(buf)));

	self->qfd[0] = queue_open(self->path);
	ASSERT_LE(0, self->qfd[0]);
	ASSERT_EQ(UQ - 1, uacce_available(self->sysfs));
	p = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->qfd[0],
		 UACCE_QFRT_DUS * getpagesize());
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	close(self->qfd[0]);
	self->qfd[0] = -1;
	ASSERT_EQ(UQ, uacce_available(self->sysfs));
}

/* The queue state machine as uacce drives it, and unknown commands */
TEST_F(uacce, queue_states)
{
	struct mock_uacce_queue_info qi;

	self->qfd[0] = queue_open(self->path);
	ASSERT_LE(0, self->qfd[0]);
	test_cmd_queue_info(self->qfd[0], &qi);
	ASSERT_EQ(MOCK_UACCE_QUEUE_INIT, qi.state);
	ASSERT_EQ(0, qi.queue_id);
	ASSERT_EQ(0, qi.__reserved);

	ASSERT_EQ(0, ioctl(self->qfd[0], UACCE_CMD_START_Q));
	test_cmd_queue_info(self->qfd[0], &qi);
	ASSERT_EQ(MOCK_UACCE_QUEUE_STARTED, qi.state);
	/* uacce refuses to start a started queue before asking the driver */
	ASSERT_EQ(-1, ioctl(self->qfd[0], UACCE_CMD_START_Q));
	ASSERT_EQ(EINVAL, errno);

	/* PUT_Q only stops: the queue and its bind stay */
	ASSERT_EQ(0, ioctl(self->qfd[0], UACCE_CMD_PUT_Q));
	test_cmd_queue_info(self->qfd[0], &qi);
	ASSERT_EQ(MOCK_UACCE_QUEUE_INIT, qi.state);
	ASSERT_EQ(1, qi.handle_users);
	test_pasid_domain(self->fd, self->dev, qi.pasid, qi.domain_id);
	ASSERT_EQ(UQ - 1, uacce_available(self->sysfs));

	ASSERT_EQ(-1, ioctl(self->qfd[0], _IO(MOCK_IOMMU_TYPE, 0x7f)));
	ASSERT_EQ(ENOTTY, errno);
}

/*
 * The seed regression through uacce: one process opens the device UQ
 * times. Every open binds the same (device, mm), so all queues share one
 * handle and PASID, and only the last close detaches it.
 */
TEST_F(uacce, open_many_close_orders)
{
	static const int orders[][4] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 1, 3, 0, 2 }, { 2, 0, 3, 1 },
	};
	struct mock_uacce_queue_info qi[UQ], now;
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_domain_info di;
	unsigned int o, i, j, slots;

	test_cmd_counters(self->fd, 0, &c0);
	for (i = 0; i < UQ; i++) {
		self->qfd[i] = queue_open(self->path);
		ASSERT_LE(0, self->qfd[i]) TH_LOG("open #%u of %s: %s", i + 1, self->path,
						  strerror(-self->qfd[i]));
		test_cmd_queue_info(self->qfd[i], &qi[i]);
		ASSERT_EQ(i + 1, qi[i].handle_users);
	}
	/* Every queue sees the same handle, PASID and domain, in its own slot */
	slots = 0;
	for (i = 0; i < UQ; i++) {
		test_cmd_queue_info(self->qfd[i], &now);
		ASSERT_EQ(qi[0].handle_id, now.handle_id);
		ASSERT_EQ(qi[0].pasid, now.pasid);
		ASSERT_EQ(qi[0].domain_id, now.domain_id);
		ASSERT_EQ(UQ, now.handle_users);
		ASSERT_EQ(1, now.domain_users);
		ASSERT_EQ(MOCK_UACCE_QUEUE_INIT, now.state);
		ASSERT_GT(UQ, now.queue_id);
		slots |= 1U << now.queue_id;
	}
	ASSERT_EQ((1U << UQ) - 1, slots);
	ASSERT_EQ(qi[0].pasid, mock_mm_pasid(self->fd));
	ASSERT_EQ(1, mock_mm_domains(self->fd));
	test_pasid_domain(self->fd, self->dev, qi[0].pasid, qi[0].domain_id);
	test_cmd_domain_info(self->fd, qi[0].domain_id, &di);
	ASSERT_EQ(self->instance, di.out_instance_id);
	ASSERT_EQ(qi[0].pasid, di.out_pasid);
	ASSERT_EQ(1, di.out_attached);
	ASSERT_EQ(0, uacce_available(self->sysfs));

	/* One handle identity, one attach, one domain; queues are not bonds */
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.handles_alive + 1, c1.handles_alive);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);
	ASSERT_EQ(c0.domains_allocated + 1, c1.domains_allocated);
	ASSERT_EQ(c0.attach_calls + 1, c1.attach_calls);

	/* Close all but four, then the four in every order of the table */
	for (i = 4; i < UQ; i++) {
		close(self->qfd[i]);
		self->qfd[i] = -1;
	}
	test_cmd_queue_info(self->qfd[0], &now);
	ASSERT_EQ(4, now.handle_users);
	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		struct mock_uacce_queue_info first;

		for (i = 0; i < 4; i++) {
			if (self->qfd[i] < 0)
				self->qfd[i] = queue_open(self->path);
			ASSERT_LE(0, self->qfd[i]);
		}
		test_cmd_queue_info(self->qfd[0], &first);
		ASSERT_EQ(4, first.handle_users);
		for (i = 0; i < 4; i++) {
			int gone = orders[o][i];

			close(self->qfd[gone]);
			self->qfd[gone] = -1;
			ASSERT_EQ(UQ - 3 + i, uacce_available(self->sysfs));
			if (i == 3)
				break;
			for (j = i + 1; j < 4; j++) {
				test_cmd_queue_info(self->qfd[orders[o][j]], &now);
				ASSERT_EQ(first.handle_id, now.handle_id);
				ASSERT_EQ(3 - i, now.handle_users);
			}
			test_pasid_domain(self->fd, self->dev, first.pasid, first.domain_id);
			test_domain_users(self->fd, first.domain_id, 1);
		}
		test_pasid_domain(self->fd, self->dev, first.pasid, 0);
		test_domain_freed(self->fd, first.domain_id);
		/* The PASID belongs to the mm until the mm is gone */
		ASSERT_EQ(qi[0].pasid, mock_mm_pasid(self->fd));
	}
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.handles_alive, c1.handles_alive);
	ASSERT_EQ(c0.detach_calls + ARRAY_SIZE(orders), c1.detach_calls);
}

/* Threads of one process open queues at once: one queue per thread */
struct open_thread {
	pthread_barrier_t *barrier;
	const char *path;
	int qfd;
	int close_ret;
	struct mock_uacce_queue_info qi;
};

static void *open_thread_fn(void *arg)
{
	struct open_thread *t = arg;

	pthread_barrier_wait(t->barrier);
	t->qfd = queue_open(t->path);
	if (t->qfd >= 0 && _test_cmd_queue_info(t->qfd, &t->qi))
		t->qi.handle_id = 0;
	/* All opened; then wait until the test thread has looked */
	pthread_barrier_wait(t->barrier);
	pthread_barrier_wait(t->barrier);
	t->close_ret = t->qfd >= 0 ? close(t->qfd) : 0;
	return NULL;
}

TEST_F(uacce, open_from_threads)
{
	struct open_thread t[UQ];
	pthread_t tid[UQ];
	struct mock_iommu_counters c0, c1;
	struct mock_uacce_queue_info now;
	pthread_barrier_t barrier;
	unsigned int i;

	test_cmd_counters(self->fd, 0, &c0);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, UQ + 1));
	for (i = 0; i < UQ; i++) {
		t[i] = (struct open_thread){ .barrier = &barrier, .path = self->path, .qfd = -1 };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, open_thread_fn, &t[i]));
	}
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	/* Every open has returned; none has been closed yet */
	for (i = 0; i < UQ; i++) {
		ASSERT_LE(0, t[i].qfd) TH_LOG("thread %u: open: %s", i, strerror(-t[i].qfd));
		ASSERT_NE(0, t[i].qi.handle_id);
		ASSERT_EQ(t[0].qi.handle_id, t[i].qi.handle_id);
		ASSERT_EQ(t[0].qi.domain_id, t[i].qi.domain_id);
		ASSERT_EQ(t[0].qi.pasid, t[i].qi.pasid);
	}
	test_cmd_queue_info(t[0].qfd, &now);
	ASSERT_EQ(UQ, now.handle_users);
	ASSERT_EQ(0, uacce_available(self->sysfs));
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.domains_allocated + 1, c1.domains_allocated);
	ASSERT_EQ(c0.attach_calls + 1, c1.attach_calls);
	ASSERT_EQ(c0.handles_alive + 1, c1.handles_alive);
	ASSERT_EQ(c0.bonds_alive, c1.bonds_alive);

	/* Now they all close at once */
	pthread_barrier_wait(&barrier);
	for (i = 0; i < UQ; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		ASSERT_EQ(0, t[i].close_ret);
	}
	pthread_barrier_destroy(&barrier);
	test_pasid_domain(self->fd, self->dev, t[0].qi.pasid, 0);
	test_domain_freed(self->fd, t[0].qi.domain_id);
	ASSERT_EQ(UQ, uacce_available(self->sysfs));
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.detach_calls + 1, c1.detach_calls);
	ASSERT_EQ(c0.handles_alive, c1.handles_alive);
}

/*
 * Two processes: two PASIDs, two handles, two domains. A child that
 * inherits the parent's queue fd holds the parent's queue, not a bind of
 * its own, and closing its copy changes nothing.
 */
TEST_F(uacce, two_processes)
{
	struct mock_uacce_queue_info parent, child[2], now;
	struct mock_iommu_counters c0;
	int pipefd[2];
	pid_t pid;

	test_cmd_counters(self->fd, 0, &c0);
	self->qfd[0] = queue_open(self->path);
	ASSERT_LE(0, self->qfd[0]);
	test_cmd_queue_info(self->qfd[0], &parent);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int qfd;

		CHILD_CHECK(mock_mm_pasid(self->fd) == NO_PASID, 10);
		/* The inherited fd is the parent's queue */
		CHILD_CHECK(!_test_cmd_queue_info(self->qfd[0], &child[0]), 11);
		qfd = queue_open(self->path);
		CHILD_CHECK(qfd >= 0, 12);
		CHILD_CHECK(!_test_cmd_queue_info(qfd, &child[1]), 13);
		CHILD_CHECK(mock_mm_pasid(self->fd) == child[1].pasid, 14);
		/* Dropping the inherited copy leaves the parent's queue alone */
		CHILD_CHECK(!close(self->qfd[0]), 15);
		CHILD_CHECK(write(pipefd[1], child, sizeof(child)) == sizeof(child), 16);
		/* Exit with the own queue open: exit closes it */
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(child), read(pipefd[0], child, sizeof(child)));
	close(pipefd[0]);
	ASSERT_EQ(0, mock_wait_exit(pid));

	ASSERT_EQ(parent.pasid, child[0].pasid);
	ASSERT_EQ(parent.handle_id, child[0].handle_id);
	ASSERT_EQ(parent.queue_id, child[0].queue_id);
	ASSERT_EQ(1, child[0].handle_users);
	ASSERT_NE(parent.pasid, child[1].pasid);
	ASSERT_NE(parent.handle_id, child[1].handle_id);
	ASSERT_NE(parent.domain_id, child[1].domain_id);
	ASSERT_NE(parent.queue_id, child[1].queue_id);
	ASSERT_EQ(1, child[1].handle_users);

	/* The child's exit took its queue with it; the parent's is intact */
	ASSERT_TRUE(poll_nothing_bound(self->fd, self->dev, child[1].pasid,
				       child[1].domain_id, c0.handles_alive + 1));
	test_cmd_queue_info(self->qfd[0], &now);
	ASSERT_EQ(parent.handle_id, now.handle_id);
	ASSERT_EQ(parent.pasid, now.pasid);
	ASSERT_EQ(1, now.handle_users);
	test_pasid_domain(self->fd, self->dev, parent.pasid, parent.domain_id);
	ASSERT_EQ(UQ - 1, uacce_available(self->sysfs));
}

/* Beyond its slots the device refuses a queue with get_queue()'s -EBUSY */
TEST_F(uacce, queue_limit)
{
	struct mock_uacce_queue_info qi, now;
	struct mock_iommu_counters c0, c1;
	unsigned int i;

	for (i = 0; i < UQ; i++) {
		self->qfd[i] = queue_open(self->path);
		ASSERT_LE(0, self->qfd[i]);
		ASSERT_EQ(UQ - 1 - i, uacce_available(self->sysfs));
	}
	test_cmd_counters(self->fd, 0, &c0);
	ASSERT_EQ(-EBUSY, queue_open(self->path));
	ASSERT_EQ(-EBUSY, queue_open(self->path));
	/* uacce undid the refused opens' binds */
	test_cmd_queue_info(self->qfd[0], &now);
	ASSERT_EQ(UQ, now.handle_users);
	ASSERT_EQ(0, uacce_available(self->sysfs));
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.handles_alive, c1.handles_alive);
	ASSERT_EQ(c0.attach_calls, c1.attach_calls);
	ASSERT_EQ(c0.detach_calls, c1.detach_calls);

	/* A freed slot is handed out again */
	test_cmd_queue_info(self->qfd[3], &qi);
	close(self->qfd[3]);
	ASSERT_EQ(1, uacce_available(self->sysfs));
	self->qfd[3] = queue_open(self->path);
	ASSERT_LE(0, self->qfd[3]);
	test_cmd_queue_info(self->qfd[3], &now);
	ASSERT_EQ(qi.queue_id, now.queue_id);
	ASSERT_EQ(qi.handle_id, now.handle_id);
	ASSERT_EQ(0, uacce_available(self->sysfs));
}

/* A process killed with queues open leaves no handle, domain or PASID */
TEST_F(uacce, killed_with_queues_open)
{
	struct mock_uacce_queue_info qi;
	struct mock_iommu_counters c0;
	int pipefd[2];
	pid_t pid;

	test_cmd_counters(self->fd, 0, &c0);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int qfd[3], i;

		/* Dies with the test, should it fail before its kill */
		CHILD_CHECK(!prctl(PR_SET_PDEATHSIG, SIGKILL), 16);
		for (i = 0; i < 3; i++) {
			qfd[i] = queue_open(self->path);
			CHILD_CHECK(qfd[i] >= 0, 10 + i);
		}
		CHILD_CHECK(!ioctl(qfd[1], UACCE_CMD_START_Q), 13);
		CHILD_CHECK(!_test_cmd_queue_info(qfd[2], &qi), 14);
		CHILD_CHECK(write(pipefd[1], &qi, sizeof(qi)) == sizeof(qi), 15);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (read(pipefd[0], &qi, sizeof(qi)) != sizeof(qi)) {
		kill(pid, SIGKILL);
		/* The child's exit code names the step that failed */
		ASSERT_EQ(128 + SIGKILL, mock_wait_exit(pid));
	}
	close(pipefd[0]);
	ASSERT_EQ(3, qi.handle_users);
	test_pasid_domain(self->fd, self->dev, qi.pasid, qi.domain_id);
	ASSERT_EQ(UQ - 3, uacce_available(self->sysfs));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, mock_wait_exit(pid));
	ASSERT_TRUE(poll_nothing_bound(self->fd, self->dev, qi.pasid, qi.domain_id,
				       c0.handles_alive));
	ASSERT_EQ(UQ, uacce_available(self->sysfs));
	test_no_sva_state_left(self->fd);
}

/*
 * DESTROY of the uacce device with queues open is uacce_remove(): every
 * queue is put and unbound at once and becomes a zombie, whose fd fails
 * ioctls with -ENXIO and can still be closed.
 */
TEST_F(uacce, remove_with_queues_open)
{
	struct mock_uacce_queue_info qi;
	struct mock_iommu_counters c0;
	unsigned int i;
	struct stat st;

	test_cmd_counters(self->fd, 0, &c0);
	for (i = 0; i < 3; i++) {
		self->qfd[i] = queue_open(self->path);
		ASSERT_LE(0, self->qfd[i]);
	}
	ASSERT_EQ(0, ioctl(self->qfd[0], UACCE_CMD_START_Q));
	test_cmd_queue_info(self->qfd[2], &qi);
	ASSERT_EQ(3, qi.handle_users);

	/* The device is held by its uacce device */
	test_err_destroy(EBUSY, self->fd, self->dev);
	test_cmd_queue_info(self->qfd[2], &qi);
	ASSERT_EQ(3, qi.handle_users);

	test_cmd_destroy(self->fd, self->uacce_id);
	test_pasid_domain(self->fd, self->dev, qi.pasid, 0);
	test_domain_freed(self->fd, qi.domain_id);
	test_no_sva_state_left(self->fd);
	ASSERT_EQ(-ENOENT, _test_cmd_destroy(self->fd, self->uacce_id));
	ASSERT_EQ(-1, stat(self->path, &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, stat(self->sysfs, &st));
	ASSERT_EQ(ENOENT, errno);

	for (i = 0; i < 3; i++) {
		test_err_queue_info(ENXIO, self->qfd[i]);
		ASSERT_EQ(-1, ioctl(self->qfd[i], UACCE_CMD_START_Q));
		ASSERT_EQ(ENXIO, errno);
	}
	/* The device is free again; zombies do not hold it */
	test_cmd_destroy(self->fd, self->dev);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, close(self->qfd[i]));
		self->qfd[i] = -1;
	}
	test_no_sva_state_left(self->fd);
}

/*
 * What a queue's PASID reaches: the device, transferring at each queue's
 * PASID, sees the memory of the process that opened the queue and nothing
 * of the other. Pinned transfers, so that no I/O page fault support is
 * needed.
 */
TEST_F(uacce, queue_pasid_reaches_its_own_process)
{
	const __u32 pinned = MOCK_IOMMU_DMA_PINNED;
	size_t len = getpagesize();
	struct mock_uacce_queue_info mine, theirs;
	char *mem = mock_map_pages(len, PROT_READ | PROT_WRITE);
	int ready[2], go[2];
	char byte;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	memset(mem, 'P', len);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int qfd;

		/* A parent that dies on an assertion must not leave us waiting */
		close(go[1]);
		qfd = queue_open(self->path);
		CHILD_CHECK(qfd >= 0, 10);
		CHILD_CHECK(!_test_cmd_queue_info(qfd, &theirs), 11);
		memset(mem, 'C', len);
		CHILD_CHECK(write(ready[1], &theirs, sizeof(theirs)) == sizeof(theirs), 12);
		CHILD_CHECK(read(go[0], &byte, 1) == 1, 13);
		/* The parent's device write at this queue's PASID landed here */
		CHILD_CHECK(mock_all_bytes(mem, len, 'X'), 14);
		_exit(0);
	}
	self->qfd[0] = queue_open(self->path);
	ASSERT_LE(0, self->qfd[0]);
	test_cmd_queue_info(self->qfd[0], &mine);
	ASSERT_EQ(sizeof(theirs), read(ready[0], &theirs, sizeof(theirs)));
	ASSERT_NE(mine.pasid, theirs.pasid);

	test_dma_holds(self->fd, self->dev, mine.pasid, pinned, mem, len, 'P');
	test_dma_holds(self->fd, self->dev, theirs.pasid, pinned, mem, len, 'C');
	test_dma_status(MOCK_IOMMU_DMA_OK, self->fd, self->dev, theirs.pasid,
			MOCK_IOMMU_DMA_FILL, pinned, mem, len, NULL, 'X');
	ASSERT_TRUE(mock_all_bytes(mem, len, 'P'));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, mock_wait_exit(pid));
	/* The child's exit closed its queue: its PASID leads nowhere now */
	test_dma_status(MOCK_IOMMU_DMA_NO_DOMAIN, self->fd, self->dev, theirs.pasid,
			MOCK_IOMMU_DMA_FILL, pinned, mem, len, NULL, 'Y');
	munmap(mem, len);
}

/*
 * A bond of the test ioctl and a queue of the same (device, mm) are two
 * binds of one handle, in either order.
 */
TEST_F(uacce, bond_and_queue_share_handle)
{
	struct mock_iommu_sva_info b;
	struct mock_uacce_queue_info qi;
	int order;

	for (order = 0; order < 2; order++) {
		if (order == 0) {
			test_cmd_bind(self->fd, self->dev, &b);
			self->qfd[0] = queue_open(self->path);
			ASSERT_LE(0, self->qfd[0]);
		} else {
			self->qfd[0] = queue_open(self->path);
			ASSERT_LE(0, self->qfd[0]);
			test_cmd_bind(self->fd, self->dev, &b);
		}
		test_cmd_queue_info(self->qfd[0], &qi);
		test_cmd_bond_info(self->fd, b.bond_id, &b);
		ASSERT_EQ(b.handle_id, qi.handle_id);
		ASSERT_EQ(b.pasid, qi.pasid);
		ASSERT_EQ(b.domain_id, qi.domain_id);
		ASSERT_EQ(2, b.handle_users);
		ASSERT_EQ(2, qi.handle_users);
		ASSERT_EQ(1, qi.domain_users);
		/* One handle, one attach: one user of the fault queue */
		test_fault_queue(self->fd, self->dev, 1);

		/* Either one going leaves the other's bind attached */
		if (order == 0) {
			test_cmd_destroy(self->fd, b.bond_id);
			test_cmd_queue_info(self->qfd[0], &qi);
			ASSERT_EQ(1, qi.handle_users);
			ASSERT_EQ(b.handle_id, qi.handle_id);
			test_pasid_domain(self->fd, self->dev, b.pasid, b.domain_id);
			test_fault_queue(self->fd, self->dev, 1);
			close(self->qfd[0]);
		} else {
			close(self->qfd[0]);
			test_cmd_bond_info(self->fd, b.bond_id, &b);
			ASSERT_EQ(1, b.handle_users);
			ASSERT_EQ(qi.handle_id, b.handle_id);
			test_pasid_domain(self->fd, self->dev, b.pasid, b.domain_id);
			test_fault_queue(self->fd, self->dev, 1);
			test_cmd_destroy(self->fd, b.bond_id);
		}
		self->qfd[0] = -1;
		test_pasid_domain(self->fd, self->dev, b.pasid, 0);
		test_domain_freed(self->fd, b.domain_id);
		test_fault_queue(self->fd, self->dev, 0);
	}
}

/* What UACCE_CREATE refuses, each without changing anything */
TEST_F(uacce, create_errors)
{
	struct mock_iommu_uacce_create uc;
	__u32 dev2, dev3, dev4;
	struct stat st;
	char path[64];

	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &dev2);
	test_err_uacce_create(EINVAL, self->fd, dev2, 0, 0);
	test_err_uacce_create(EINVAL, self->fd, dev2, MOCK_IOMMU_UACCE_MAX_QUEUES + 1, 0);
	test_err_uacce_create(EINVAL, self->fd, dev2, 1, 1);
	test_err_uacce_create(ENOENT, self->fd, 0, 1, 0);
	test_err_uacce_create(ENOENT, self->fd, 9999, 1, 0);
	test_err_uacce_create(ENOENT, self->fd, self->instance, 1, 0);
	test_err_uacce_create(ENOENT, self->fd, self->uacce_id, 1, 0);
	/* One uacce device per parent */
	test_err_uacce_create(EBUSY, self->fd, self->dev, 1, 0);
	/* No device joins a uacce parent's group */
	test_err_device_create(EBUSY, self->fd, self->instance, MOCK_PASID_BITS, self->dev);
	/* A parent must be alone in its group */
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, dev2, &dev3);
	test_err_uacce_create(EBUSY, self->fd, dev2, 1, 0);
	test_err_uacce_create(EBUSY, self->fd, dev3, 1, 0);
	/* Nothing of the failed commands is left: dev2 is destroyable */
	test_cmd_destroy(self->fd, dev3);
	test_cmd_destroy(self->fd, dev2);

	/* The limits themselves are accepted; dev_ids are uacce's, unique */
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &dev4);
	ASSERT_EQ(0, _test_cmd_uacce_create(self->fd, dev4, MOCK_IOMMU_UACCE_MAX_QUEUES, 0,
					    &uc));
	ASSERT_NE(self->dev_id, uc.out_dev_id);
	ASSERT_NE(self->uacce_id, uc.out_uacce_id);
	snprintf(path, sizeof(path), "/dev/%s-%u", MOCK_IOMMU_UACCE_NAME, uc.out_dev_id);
	ASSERT_EQ(0, stat(path, &st));
	test_cmd_destroy(self->fd, uc.out_uacce_id);
	ASSERT_EQ(-1, stat(path, &st));
	test_cmd_destroy(self->fd, dev4);
}

/*
 * A uacce device is no fault injection target: its id is -ENOENT, like a
 * bond's, and nothing is armed. A module that took every object that is
 * neither a bond nor a device for an instance read past the uacce object
 * here (KASAN: slab-out-of-bounds in mock_fault_arm).
 */
TEST_F(uacce, fault_inject_refuses_uacce_id)
{
	struct mock_iommu_counters c0, c1;
	struct mock_iommu_sva_info b;
	__u32 site;

	for (site = MOCK_IOMMU_FAULT_DOMAIN_ALLOC; site <= MOCK_IOMMU_FAULT_PAGE_RESPONSE;
	     site++)
		EXPECT_EQ(-ENOENT, _test_cmd_fault_inject(self->fd, site, self->uacce_id, 1, EIO));
	/* Disarming names a target too, and is refused alike */
	EXPECT_EQ(-ENOENT, _test_cmd_fault_inject(self->fd, MOCK_IOMMU_FAULT_DOMAIN_ALLOC,
						  self->uacce_id, 0, 0));

	/* Nothing armed: a bind reaches the driver and succeeds */
	test_cmd_counters(self->fd, 0, &c0);
	test_cmd_bind(self->fd, self->dev, &b);
	test_cmd_destroy(self->fd, b.bond_id);
	test_cmd_counters(self->fd, 0, &c1);
	ASSERT_EQ(c0.faults_injected, c1.faults_injected);
	ASSERT_EQ(c0.alloc_calls + 1, c1.alloc_calls);
	ASSERT_EQ(c0.attach_failed, c1.attach_failed);
}

/* Number of uacce devices the kernel has */
static int uacce_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/sys/class/uacce");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A command too short for the op, and one whose result cannot be copied
 * back (the uacce device is removed again), change nothing.
 */
TEST_F(uacce, create_short_or_faulting)
{
	const __u32 need = offsetof(struct mock_iommu_cmd, uacce_create) +
			   sizeof(struct mock_iommu_uacce_create);
	struct mock_iommu_uacce_create uc;
	struct mock_iommu_cmd *cmd;
	int before = uacce_count();
	__u32 dev2;

	ASSERT_LE(1, before);
	test_cmd_device_create(self->fd, self->instance, MOCK_PASID_BITS, 0, &dev2);
	cmd = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	cmd->size = need - 1;
	cmd->op = MOCK_IOMMU_OP_UACCE_CREATE;
	cmd->id = dev2;
	cmd->uacce_create.max_queues = 1;
	ASSERT_EQ(-1, ioctl(self->fd, MOCK_IOMMU_CMD, cmd));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(before, uacce_count());

	/* Readable but not writable: created, then undone on the copy back */
	cmd->size = need;
	ASSERT_EQ(0, mprotect(cmd, getpagesize(), PROT_READ));
	ASSERT_EQ(-1, ioctl(self->fd, MOCK_IOMMU_CMD, cmd));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, munmap(cmd, getpagesize()));
	ASSERT_EQ(before, uacce_count());
	ASSERT_EQ(-ENOENT, _test_cmd_destroy(self->fd, dev2 + 1));

	/* dev2 is not a uacce parent: it takes one, and can be destroyed */
	ASSERT_EQ(0, _test_cmd_uacce_create(self->fd, dev2, 1, 0, &uc));
	ASSERT_EQ(dev2 + 1, uc.out_uacce_id);
	ASSERT_EQ(before + 1, uacce_count());
	test_err_destroy(EBUSY, self->fd, dev2);
	test_cmd_destroy(self->fd, uc.out_uacce_id);
	test_cmd_destroy(self->fd, dev2);
	ASSERT_EQ(before, uacce_count());
}

TEST_HARNESS_MAIN
