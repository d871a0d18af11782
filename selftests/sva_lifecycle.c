// SPDX-License-Identifier: GPL-2.0
/*
 * Bonds across the life of processes: fork, exec, exit and kill -9 while
 * bound, file descriptors inherited by children, unbinding after the mm
 * is gone. A bond must keep working on a dead mm's domain, and nothing may
 * stay behind once the last reference goes.
 */
#include "mock_iommu_utils.h"

#define EXEC_PROBE_ENV "MOCK_IOMMU_EXEC_PROBE_FD"

/*
 * After exec the process has a new mm, which must start without a PASID
 * and without SVA domains, whatever the old one had. The test re-executes
 * this binary with the environment variable set; this runs before the
 * harness and answers through the exit status.
 */
__attribute__((constructor)) static void exec_probe(void)
{
	const char *env = getenv(EXEC_PROBE_ENV);
	struct mock_iommu_mm_info mm;

	if (!env)
		return;
	if (_test_cmd_mm_info(atoi(env), &mm))
		_exit(2);
	_exit(mm.out_pasid == NO_PASID && mm.out_domains == 0 ? 0 : 3);
}

FIXTURE(life) {
	int fd;
	__u32 dev[2];
};

FIXTURE_SETUP(life)
{
	const char *skip;
	__u32 instance;

	skip = mock_open(&self->fd);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MOCK_DEV_PATH, strerror(errno));
	test_cmd_instance_create(self->fd, 0, 0, &instance);
	test_cmd_device_create(self->fd, instance, MOCK_PASID_BITS, 0, &self->dev[0]);
	test_cmd_device_create(self->fd, instance, MOCK_PASID_BITS, 0, &self->dev[1]);
	skip = mock_sva_disabled(self->fd, self->dev[0]);
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(life)
{
	test_close_leaves_nothing(self->fd);
}

static bool domain_mm_released(int fd, __u32 domain_id)
{
	struct mock_iommu_domain_info di;

	return !_test_cmd_domain_info(fd, domain_id, &di) &&
	       (di.out_flags & MOCK_IOMMU_DOMAIN_MM_RELEASED);
}

/* The child of a bound process starts with a clean mm and binds its own */
TEST_F(life, fork_child_has_own_pasid)
{
	struct mock_iommu_sva_info parent, child, now;
	int pipefd[2];
	pid_t pid;

	test_cmd_bind(self->fd, self->dev[0], &parent);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(mock_mm_pasid(self->fd) == NO_PASID, 10);
		CHILD_CHECK(mock_mm_domains(self->fd) == 0, 11);
		CHILD_CHECK(!_test_cmd_bind(self->fd, self->dev[0], &child), 12);
		CHILD_CHECK(write(pipefd[1], &child, sizeof(child)) == sizeof(child), 13);
		_exit(0);
	}
	ASSERT_EQ(0, mock_wait_exit(pid));
	ASSERT_EQ(sizeof(child), read(pipefd[0], &child, sizeof(child)));
	close(pipefd[0]);
	close(pipefd[1]);

	ASSERT_NE(parent.pasid, child.pasid);
	ASSERT_NE(parent.domain_id, child.domain_id);
	ASSERT_NE(parent.handle_id, child.handle_id);
	ASSERT_EQ(1, child.handle_users);
	ASSERT_EQ(1, child.domain_users);

	/* The parent's bond did not move */
	test_cmd_bond_info(self->fd, parent.bond_id, &now);
	ASSERT_EQ(0, memcmp(&parent, &now, sizeof(now)));
	ASSERT_EQ(parent.pasid, mock_mm_pasid(self->fd));
	ASSERT_FALSE(domain_mm_released(self->fd, parent.domain_id));

	/* The child's mm went away under its bond; unbind still works */
	ASSERT_TRUE(domain_mm_released(self->fd, child.domain_id));
	test_pasid_domain(self->fd, self->dev[0], child.pasid, child.domain_id);
	test_cmd_destroy(self->fd, child.bond_id);
	test_domain_freed(self->fd, child.domain_id);
	test_pasid_domain(self->fd, self->dev[0], child.pasid, 0);
	test_pasid_domain(self->fd, self->dev[0], parent.pasid, parent.domain_id);
	test_cmd_destroy(self->fd, parent.bond_id);
}

/*
 * A process with its own file binds twice and dies with the file open:
 * closing it on exit unbinds after the mm is gone and removes everything.
 */
static int die_while_bound(int fd, int sig, struct mock_iommu_counters *after)
{
	struct mock_iommu_counters before;
	int ready[2], status;
	char byte;
	pid_t pid;

	if (_test_cmd_counters(fd, 0, &before) || pipe(ready))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct mock_iommu_sva_info a, b;
		int own = open(MOCK_DEV_PATH, O_RDWR);
		__u32 instance, dev;

		CHILD_CHECK(own >= 0, 10);
		CHILD_CHECK(!_test_cmd_instance_create(own, 0, 0, &instance), 11);
		CHILD_CHECK(!_test_cmd_device(own, instance, MOCK_PASID_BITS, 0, &dev), 12);
		CHILD_CHECK(!_test_cmd_bind(own, dev, &a), 13);
		CHILD_CHECK(!_test_cmd_bind(own, dev, &b), 14);
		CHILD_CHECK(write(ready[1], "r", 1) == 1, 15);
		if (sig)
			pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)
		return -1;
	close(ready[0]);
	if (sig)
		kill(pid, sig);
	status = mock_wait_exit(pid);
	if (status != (sig ? 128 + sig : 0))
		return -1;
	if (_test_cmd_counters(fd, 0, after))
		return -1;
	/* Everything the child made is gone again */
	return after->bonds_alive == before.bonds_alive &&
	       after->handles_alive == before.handles_alive &&
	       after->domains_alive == before.domains_alive &&
	       after->devices_released - before.devices_released ==
	       after->devices_probed - before.devices_probed &&
	       after->mm_releases == before.mm_releases + 1 ? 0 : -1;
}

TEST_F(life, exit_while_bound)
{
	struct mock_iommu_counters after;

	ASSERT_EQ(0, die_while_bound(self->fd, 0, &after));
}

TEST_F(life, kill_while_bound)
{
	struct mock_iommu_counters after;

	ASSERT_EQ(0, die_while_bound(self->fd, SIGKILL, &after));
}

/*
 * A bond made through an inherited file outlives its process; the domain
 * sees the mm's release, stays installed, and goes at unbind.
 */
TEST_F(life, kill_with_bond_in_parent_file)
{
	struct mock_iommu_invalidations inv;
	struct mock_iommu_sva_info info;
	struct mock_binder b = {};

	ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[0], &b));
	ASSERT_EQ(0, b.err);
	test_cmd_bond_info(self->fd, b.bond_id, &info);
	ASSERT_FALSE(domain_mm_released(self->fd, info.domain_id));

	ASSERT_EQ(128 + SIGKILL, mock_binder_stop(&b, SIGKILL));
	ASSERT_TRUE(domain_mm_released(self->fd, info.domain_id));
	test_cmd_invalidations(self->fd, info.domain_id, &inv);
	ASSERT_EQ(1, inv.out_releases);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, info.domain_id);
	test_cmd_bond_info(self->fd, b.bond_id, &info);
	ASSERT_EQ(1, info.handle_users);

	test_cmd_destroy(self->fd, b.bond_id);
	test_domain_freed(self->fd, info.domain_id);
	test_pasid_domain(self->fd, self->dev[0], b.pasid, 0);
}

/* Closing the file cleans up bonds whose mms are long gone */
TEST_F(life, close_with_dead_bonds)
{
	struct mock_binder b[3] = {};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[i % 2], &b[i]));
		ASSERT_EQ(0, b[i].err);
		ASSERT_EQ(0, mock_binder_stop(&b[i], 0));
	}
	/* The teardown closes the file and checks nothing is left */
}

/* A child closing its copy of the file leaves the parent's bonds alone */
TEST_F(life, child_closes_inherited_file)
{
	struct mock_iommu_sva_info a, now;
	pid_t pid;

	test_cmd_bind(self->fd, self->dev[0], &a);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(0, mock_wait_exit(pid));
	test_cmd_bond_info(self->fd, a.bond_id, &now);
	ASSERT_EQ(0, memcmp(&a, &now, sizeof(now)));
	test_pasid_domain(self->fd, self->dev[0], a.pasid, a.domain_id);
	test_cmd_destroy(self->fd, a.bond_id);
}

/* exec replaces the mm: the new one has no PASID, the old one is released */
TEST_F(life, exec_while_bound)
{
	struct mock_iommu_sva_info info;
	int pipefd[2], keep;
	__u32 bond_id = 0;
	pid_t pid;

	keep = dup(self->fd);	/* without O_CLOEXEC: survives the exec */
	ASSERT_LE(0, keep);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char fdstr[16];

		CHILD_CHECK(!_test_cmd_bind(keep, self->dev[0], &info), 10);
		CHILD_CHECK(write(pipefd[1], &info.bond_id, sizeof(info.bond_id)) == 4, 11);
		snprintf(fdstr, sizeof(fdstr), "%d", keep);
		setenv(EXEC_PROBE_ENV, fdstr, 1);
		execl("/proc/self/exe", "exec_probe", (char *)NULL);
		_exit(12);
	}
	ASSERT_EQ(0, mock_wait_exit(pid));
	ASSERT_EQ(sizeof(bond_id), read(pipefd[0], &bond_id, sizeof(bond_id)));
	close(pipefd[0]);
	close(pipefd[1]);
	close(keep);

	test_cmd_bond_info(self->fd, bond_id, &info);
	ASSERT_TRUE(domain_mm_released(self->fd, info.domain_id));
	test_cmd_destroy(self->fd, bond_id);
	test_domain_freed(self->fd, info.domain_id);
}

/* Many mms on one device: a PASID, a domain and a handle each */
TEST_F(life, many_processes_one_device)
{
	struct mock_iommu_sva_info info[4];
	struct mock_binder b[4] = {};
	unsigned int i, j;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mock_binder_start(self->fd, self->dev[0], &b[i]));
		ASSERT_EQ(0, b[i].err);
		test_cmd_bond_info(self->fd, b[i].bond_id, &info[i]);
		test_pasid_domain(self->fd, self->dev[0], info[i].pasid, info[i].domain_id);
		for (j = 0; j < i; j++) {
			ASSERT_NE(info[j].pasid, info[i].pasid);
			ASSERT_NE(info[j].domain_id, info[i].domain_id);
			ASSERT_NE(info[j].handle_id, info[i].handle_id);
		}
	}
	for (i = 0; i < 4; i++) {
		int sig = i % 2 ? SIGKILL : 0;

		ASSERT_EQ(sig ? 128 + sig : 0, mock_binder_stop(&b[i], sig));
		test_cmd_destroy(self->fd, b[i].bond_id);
		test_pasid_domain(self->fd, self->dev[0], info[i].pasid, 0);
		for (j = i + 1; j < 4; j++)
			test_pasid_domain(self->fd, self->dev[0], info[j].pasid, info[j].domain_id);
	}
}

TEST_HARNESS_MAIN
