// SPDX-License-Identifier: GPL-2.0
/*
 * Latency and throughput of the kernel's SVA core, driven through the mock
 * IOMMU driver (/dev/mock_iommu).
 *
 * Prints TAP (one case per scenario, so that `make check` judges the run)
 * and one machine-readable line per measurement:
 *
 *   # BENCH <name>,<param>,<reps>,<median_ns>,<p99_ns>,<min_ns>,<max_ns>,<ops_per_s>
 *
 * (<name>, <param>) is a stable key: two runs (a baseline and a patched
 * kernel) compare row by row. For a latency row ops_per_s is reps divided
 * by the summed latencies; for a throughput row (thr_cycle) it is the
 * bind/unbind cycles all threads completed per second of wall time; for a
 * transfer row (dma_*, param = pages) it is transfers per second of the
 * summed latencies.
 *
 * Every scenario warms up before it measures, stops early when its time
 * budget is spent (reps then says how many samples were taken), and leaves
 * nothing bound: the module-wide counters are checked after each one.
 */
#include "mock_iommu_utils.h"

#include <limits.h>
#include <sys/utsname.h>

#define NSEC_PER_SEC		1000000000ULL

/* Scenario sizes and per-scenario time budgets (seconds of guest time) */
#define CYCLE_WARMUP		20
#define CYCLE_REPS		1000
#define CYCLE_BUDGET		10

#define REF_DEPTH		16	/* binds held at the peak, the first included */
#define REF_WARMUP		2	/* rounds */
#define REF_ROUNDS		100
#define REF_BUDGET		10

#define INST_MAX		64
#define INST_WARMUP		5
#define INST_REPS		150
#define INST_BUDGET		4	/* per instance count */

#define MM_BINDS		128	/* binds per child count */
#define MM_BUDGET		8	/* per child count */

#define THR_MAX			8
#define THR_WARMUP		5
#define THR_ITERS		250	/* cycles per thread */
#define THR_BUDGET		5	/* per thread count */

#define DMA_WARMUP		5
#define DMA_REPS		200
#define DMA_BUDGET		4	/* per mode and size */

static const unsigned int inst_counts[] = { 1, 2, 4, 8, 16, 32, 64 };
static const unsigned int mm_counts[] = { 1, 4, 16, 64 };
static const unsigned int thr_counts[] = { 1, 2, 4, 8 };
static const unsigned int dma_pages[] = { 1, 16, 256 };

static int test_num;
static int failures;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static __u64 deadline_in(unsigned int seconds)
{
	return now_ns() + seconds * NSEC_PER_SEC;
}

/* Samples of one measurement */
struct samples {
	__u64 *v;
	unsigned int n, cap;
};

static int samples_init(struct samples *s, unsigned int cap)
{
	s->n = 0;
	s->cap = cap;
	s->v = calloc(cap, sizeof(*s->v));
	return s->v ? 0 : -ENOMEM;
}

static void samples_add(struct samples *s, __u64 ns)
{
	if (s->n < s->cap)
		s->v[s->n++] = ns;
}

static void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples */
static __u64 percentile(const struct samples *s, unsigned int pct)
{
	unsigned long rank = ((unsigned long)s->n * pct + 99) / 100;

	return s->v[rank ? rank - 1 : 0];
}

/*
 * Print one BENCH line. @ops_per_s 0 means "from the samples": reps over
 * the summed latencies.
 */
static void report(const char *name, unsigned int param, struct samples *s,
		   double ops_per_s)
{
	__u64 sum = 0, median;
	unsigned int i;

	if (!s->n) {
		printf("# %s,%u: no samples\n", name, param);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	median = s->n % 2 ? s->v[s->n / 2] :
		 (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
	if (!ops_per_s)
		ops_per_s = sum ? (double)s->n * NSEC_PER_SEC / sum : 0;
	printf("# BENCH %s,%u,%u,%llu,%llu,%llu,%llu,%.1f\n", name, param, s->n,
	       (unsigned long long)median,
	       (unsigned long long)percentile(s, 99),
	       (unsigned long long)s->v[0],
	       (unsigned long long)s->v[s->n - 1], ops_per_s);
	fflush(stdout);
}

static void result(const char *name, const char *err)
{
	test_num++;
	if (err) {
		failures++;
		printf("# %s: %s\n", name, err);
		printf("not ok %d %s\n", test_num, name);
	} else {
		printf("ok %d %s\n", test_num, name);
	}
	fflush(stdout);
}

static void skip(const char *name, const char *why)
{
	printf("ok %d %s # SKIP %s\n", ++test_num, name, why);
	fflush(stdout);
}

/* Nothing bound and no SVA domain alive, module-wide */
static const char *check_clean(int fd)
{
	struct mock_iommu_counters c;

	if (_test_cmd_counters(fd, 0, &c))
		return "MOCK_IOMMU_OP_COUNTERS failed";
	if (c.bonds_alive || c.handles_alive || c.domains_alive)
		return "bonds, handles or domains left behind";
	return NULL;
}

/* Bind and return the bond id, or 0 */
static __u32 bind(int fd, __u32 dev, struct mock_iommu_sva_info *info)
{
	struct mock_iommu_sva_info tmp;

	if (!info)
		info = &tmp;
	return _test_cmd_bind(fd, dev, info) ? 0 : info->bond_id;
}

/*
 * Timed bind and unbind: the latency of the ioctl, which includes the
 * mock's own bookkeeping (small next to the core's work).
 */
static int timed_bind(int fd, __u32 dev, struct samples *s, __u32 *bond)
{
	__u64 t0 = now_ns();

	*bond = bind(fd, dev, NULL);
	if (s)
		samples_add(s, now_ns() - t0);
	return *bond ? 0 : -1;
}

static int timed_unbind(int fd, __u32 bond, struct samples *s)
{
	__u64 t0 = now_ns();
	int ret = _test_cmd_destroy(fd, bond);

	if (s)
		samples_add(s, now_ns() - t0);
	return ret;
}

/* An instance with one device; returns the device id or 0 */
static __u32 make_device(int fd, __u32 *inst)
{
	__u32 dev;

	if (_test_cmd_instance_create(fd, 0, 0, inst))
		return 0;
	if (_test_cmd_device(fd, *inst, MOCK_PASID_BITS, 0, &dev)) {
		_test_cmd_destroy(fd, *inst);
		return 0;
	}
	return dev;
}

/*
 * 1. One (device, mm) pair, bound and unbound: the bind allocates an SVA
 * domain and attaches it at the mm's PASID, the unbind detaches and frees
 * it. The mm's PASID, allocated on its first bind, stays until it exits.
 */
static void bench_cycle(int fd, __u32 dev)
{
	struct samples b, u;
	const char *err = NULL;
	struct mock_iommu_sva_info info;
	__u64 end;
	__u32 bond;
	int i;

	if (samples_init(&b, CYCLE_REPS) || samples_init(&u, CYCLE_REPS)) {
		err = "out of memory";
		goto out;
	}
	for (i = 0; i < CYCLE_WARMUP; i++) {
		if (timed_bind(fd, dev, NULL, &bond) || timed_unbind(fd, bond, NULL)) {
			err = "warm-up bind/unbind failed";
			goto out;
		}
	}
	/* Check once that it is what we mean to measure */
	bond = bind(fd, dev, &info);
	if (!bond || info.handle_users != 1 || info.domain_users != 1) {
		err = bond ? "first bind did not make a fresh handle and domain" : "bind failed";
		if (bond)
			_test_cmd_destroy(fd, bond);
		goto out;
	}
	_test_cmd_destroy(fd, bond);

	end = deadline_in(CYCLE_BUDGET);
	for (i = 0; i < CYCLE_REPS && now_ns() < end; i++) {
		if (timed_bind(fd, dev, &b, &bond)) {
			err = "bind failed";
			goto out;
		}
		if (timed_unbind(fd, bond, &u)) {
			err = "unbind failed";
			goto out;
		}
	}
	report("cycle_bind", 1, &b, 0);
	report("cycle_unbind", 1, &u, 0);
	err = err ?: check_clean(fd);
out:
	samples_free(&b);
	samples_free(&u);
	result("bind_unbind_cycle", err);
}

/*
 * 2. Multi-bind of one pair: with the pair bound once, the second..Nth
 * binds only take a reference on the handle, and all unbinds but the last
 * only drop one.
 */
static void bench_ref(int fd, __u32 dev)
{
	struct samples b, u;
	const char *err = NULL;
	struct mock_iommu_sva_info info;
	__u32 bonds[REF_DEPTH] = {};
	unsigned int cap = REF_ROUNDS * (REF_DEPTH - 1);
	__u64 end = 0;
	int r, i, total = REF_WARMUP + REF_ROUNDS;

	if (samples_init(&b, cap) || samples_init(&u, cap)) {
		err = "out of memory";
		goto out;
	}
	bonds[0] = bind(fd, dev, NULL);
	if (!bonds[0]) {
		err = "first bind failed";
		goto out;
	}
	for (r = 0; r < total; r++) {
		bool warm = r < REF_WARMUP;

		if (r == REF_WARMUP)
			end = deadline_in(REF_BUDGET);
		if (!warm && now_ns() >= end)
			break;
		for (i = 1; i < REF_DEPTH; i++) {
			if (timed_bind(fd, dev, warm ? NULL : &b, &bonds[i])) {
				err = "bind failed";
				goto unwind;
			}
		}
		if (r == 0 && (_test_cmd_bond_info(fd, bonds[REF_DEPTH - 1], &info) ||
			       info.handle_users != REF_DEPTH || info.domain_users != 1)) {
			err = "repeated binds did not share one handle and domain";
			goto unwind;
		}
		for (i = REF_DEPTH - 1; i > 0; i--) {
			if (timed_unbind(fd, bonds[i], warm ? NULL : &u)) {
				err = "unbind failed";
				goto unwind;
			}
			bonds[i] = 0;
		}
	}
	report("ref_bind", REF_DEPTH, &b, 0);
	report("ref_unbind", REF_DEPTH, &u, 0);
unwind:
	for (i = REF_DEPTH - 1; i >= 0; i--)
		if (bonds[i])
			_test_cmd_destroy(fd, bonds[i]);
	err = err ?: check_clean(fd);
out:
	samples_free(&b);
	samples_free(&u);
	result("multi_bind", err);
}

/*
 * 3. One mm across K IOMMU instances, one device each. With the mm bound
 * to K - 1 devices already, bind it to the Kth: the core walks the mm's K
 * - 1 domains, each attach fails (another instance's domain), and it
 * allocates and attaches a new one. Unbinding the Kth frees that domain.
 */
static void bench_instances(int fd)
{
	__u32 inst[INST_MAX] = {}, dev[INST_MAX] = {}, held[INST_MAX] = {};
	struct samples b = {}, u = {};
	const char *err = NULL;
	unsigned int k, nheld = 0, ndev = 0, i;
	__u64 end;
	__u32 bond;

	for (ndev = 0; ndev < INST_MAX; ndev++) {
		dev[ndev] = make_device(fd, &inst[ndev]);
		if (!dev[ndev]) {
			err = "cannot create instances and devices";
			goto out;
		}
	}
	for (k = 0; k < ARRAY_SIZE(inst_counts); k++) {
		unsigned int n = inst_counts[k];

		if (samples_init(&b, INST_REPS) || samples_init(&u, INST_REPS)) {
			err = "out of memory";
			goto out;
		}
		while (nheld < n - 1) {
			held[nheld] = bind(fd, dev[nheld], NULL);
			if (!held[nheld]) {
				err = "bind of a held device failed";
				goto out;
			}
			nheld++;
		}
		for (i = 0; i < INST_WARMUP; i++) {
			if (timed_bind(fd, dev[n - 1], NULL, &bond) ||
			    timed_unbind(fd, bond, NULL)) {
				err = "warm-up bind/unbind failed";
				goto out;
			}
		}
		/* The mm must have one domain per bound instance */
		bond = bind(fd, dev[n - 1], NULL);
		if (!bond || mock_mm_domains(fd) != n) {
			err = bond ? "the mm does not have one domain per instance" : "bind failed";
			if (bond)
				_test_cmd_destroy(fd, bond);
			goto out;
		}
		_test_cmd_destroy(fd, bond);

		end = deadline_in(INST_BUDGET);
		for (i = 0; i < INST_REPS && now_ns() < end; i++) {
			if (timed_bind(fd, dev[n - 1], &b, &bond)) {
				err = "bind failed";
				goto out;
			}
			if (timed_unbind(fd, bond, &u)) {
				err = "unbind failed";
				goto out;
			}
		}
		report("inst_bind", n, &b, 0);
		report("inst_unbind", n, &u, 0);
		samples_free(&b);
		samples_free(&u);
	}
out:
	samples_free(&b);
	samples_free(&u);
	while (nheld)
		_test_cmd_destroy(fd, held[--nheld]);
	for (i = 0; i < ndev; i++) {
		_test_cmd_destroy(fd, dev[i]);
		_test_cmd_destroy(fd, inst[i]);
	}
	err = err ?: check_clean(fd);
	result("instances", err);
}

/*
 * 4. Many mms on one device: N child processes, each with a fresh mm,
 * bind once (PASID allocation, domain allocation and attach) and hold the
 * bond until all N are bound; then each unbinds in turn. The children are
 * started one at a time, so the binds do not overlap.
 */
struct mm_child {
	pid_t pid;
	int go;			/* write end: a byte (or EOF) lets it unbind */
	int res;		/* read end of its replies */
};

struct mm_reply {
	int err;		/* errno of the operation, 0 on success */
	__u32 bond;
	__u64 ns;
};

static void mm_child_run(int fd, __u32 dev, int go, int res)
{
	struct mock_iommu_sva_info info;
	struct mm_reply r = {};
	__u64 t0;
	char byte;

	t0 = now_ns();
	r.err = -_test_cmd_bind(fd, dev, &info);
	r.ns = now_ns() - t0;
	r.bond = r.err ? 0 : info.bond_id;
	if (write(res, &r, sizeof(r)) != sizeof(r) || r.err)
		_exit(1);
	/* The parent went away: unbind all the same */
	if (read(go, &byte, 1) < 0)
		byte = 0;
	t0 = now_ns();
	r.err = -_test_cmd_destroy(fd, r.bond);
	r.ns = now_ns() - t0;
	if (write(res, &r, sizeof(r)) != sizeof(r) || r.err)
		_exit(1);
	_exit(0);
}

/* Start a child and wait for its bind; 0 when it bound */
static int mm_child_start(int fd, __u32 dev, struct mm_child *c, struct mm_reply *r)
{
	int go[2], rp[2];

	c->pid = -1;
	c->go = -1;
	c->res = -1;
	if (pipe(go))
		return -1;
	if (pipe(rp)) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		close(go[1]);
		close(rp[0]);
		mm_child_run(fd, dev, go[0], rp[1]);
		_exit(1);	/* not reached */
	}
	close(go[0]);
	close(rp[1]);
	c->go = go[1];
	c->res = rp[0];
	if (c->pid < 0)
		return -1;
	if (read(c->res, r, sizeof(*r)) != sizeof(*r) || r->err)
		return -1;
	return 0;
}

/*
 * Let a started child unbind and exit: @r gets the unbind, when @r is not
 * NULL. Returns 0 when the child unbound and exited cleanly.
 */
static int mm_child_stop(struct mm_child *c, struct mm_reply *r)
{
	struct mm_reply tmp;
	int ret = 0;

	if (c->pid < 0)
		goto out;
	if (!r)
		r = &tmp;
	if (write(c->go, "x", 1) != 1 ||
	    read(c->res, r, sizeof(*r)) != sizeof(*r) || r->err)
		ret = -1;
	if (mock_wait_exit(c->pid))
		ret = -1;
out:
	if (c->go >= 0)
		close(c->go);
	if (c->res >= 0)
		close(c->res);
	c->pid = -1;
	c->go = -1;
	c->res = -1;
	return ret;
}

static void bench_mms(int fd, __u32 dev)
{
	struct mm_child kids[64];
	struct samples b = {}, u = {};
	const char *err = NULL;
	struct mm_reply r;
	unsigned int k, i, n, started = 0;
	__u64 end;

	/* Warm up: a few children that bind and go */
	for (i = 0; i < 4; i++) {
		if (mm_child_start(fd, dev, &kids[0], &r)) {
			err = "a child failed to bind";
			mm_child_stop(&kids[0], NULL);
			goto out;
		}
		if (mm_child_stop(&kids[0], NULL)) {
			err = "a child failed to unbind";
			goto out;
		}
	}
	for (k = 0; k < ARRAY_SIZE(mm_counts); k++) {
		n = mm_counts[k];
		if (samples_init(&b, MM_BINDS) || samples_init(&u, MM_BINDS)) {
			err = "out of memory";
			goto out;
		}
		end = deadline_in(MM_BUDGET);
		/* Rounds of n children, until MM_BINDS binds or the budget */
		while (b.n + n <= MM_BINDS && now_ns() < end) {
			for (started = 0; started < n; started++) {
				if (mm_child_start(fd, dev, &kids[started], &r)) {
					err = "a child failed to bind";
					started++;
					goto out;
				}
				samples_add(&b, r.ns);
			}
			while (started) {
				if (mm_child_stop(&kids[--started], &r)) {
					err = "a child failed to unbind";
					goto out;
				}
				samples_add(&u, r.ns);
			}
		}
		report("mm_bind", n, &b, 0);
		report("mm_unbind", n, &u, 0);
		samples_free(&b);
		samples_free(&u);
	}
out:
	while (started)
		mm_child_stop(&kids[--started], NULL);
	samples_free(&b);
	samples_free(&u);
	err = err ?: check_clean(fd);
	result("many_mms", err);
}

/*
 * 5. T threads of one process bind and unbind the same pair concurrently,
 * while the main thread holds one bind: every bind takes a reference and
 * every unbind drops one, under the core's lock. The latency row is one
 * bind + unbind cycle; ops_per_s is the cycles of all threads per second.
 */
struct thr_ctx {
	pthread_t tid;
	int fd;
	__u32 dev;
	struct samples s;
	int failed;
};

static pthread_barrier_t thr_barrier;
static __u64 thr_end;

static void *thr_run(void *arg)
{
	struct thr_ctx *t = arg;
	__u64 t0;
	__u32 bond;
	int i;

	for (i = 0; i < THR_WARMUP && !t->failed; i++)
		t->failed = timed_bind(t->fd, t->dev, NULL, &bond) ||
			    timed_unbind(t->fd, bond, NULL);
	pthread_barrier_wait(&thr_barrier);
	for (i = 0; i < THR_ITERS && !t->failed; i++) {
		t0 = now_ns();
		if (t0 >= thr_end)
			break;
		if (timed_bind(t->fd, t->dev, NULL, &bond) ||
		    timed_unbind(t->fd, bond, NULL)) {
			t->failed = 1;
			break;
		}
		samples_add(&t->s, now_ns() - t0);
	}
	return NULL;
}

static void bench_threads(int fd, __u32 dev)
{
	struct thr_ctx t[THR_MAX] = {};
	struct samples all = {};
	const char *err = NULL;
	unsigned int k, i, n, j;
	__u64 t0, wall;
	__u32 base;

	base = bind(fd, dev, NULL);
	if (!base) {
		result("threads", "base bind failed");
		return;
	}
	for (k = 0; k < ARRAY_SIZE(thr_counts) && !err; k++) {
		n = thr_counts[k];
		if (samples_init(&all, n * THR_ITERS)) {
			err = "out of memory";
			break;
		}
		pthread_barrier_init(&thr_barrier, NULL, n + 1);
		for (i = 0; i < n; i++) {
			t[i] = (struct thr_ctx){ .fd = fd, .dev = dev };
			if (samples_init(&t[i].s, THR_ITERS) ||
			    pthread_create(&t[i].tid, NULL, thr_run, &t[i])) {
				/* Cannot recover the barrier: give up here */
				printf("# cannot start thread %u\n", i);
				exit(1);
			}
		}
		thr_end = deadline_in(THR_BUDGET + 1);
		pthread_barrier_wait(&thr_barrier);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			pthread_join(t[i].tid, NULL);
		wall = now_ns() - t0;
		pthread_barrier_destroy(&thr_barrier);
		for (i = 0; i < n; i++) {
			if (t[i].failed)
				err = "bind/unbind failed in a thread";
			for (j = 0; j < t[i].s.n; j++)
				samples_add(&all, t[i].s.v[j]);
			samples_free(&t[i].s);
		}
		if (!err)
			report("thr_cycle", n, &all,
			       wall ? (double)all.n * NSEC_PER_SEC / wall : 0);
		samples_free(&all);
	}
	if (_test_cmd_destroy(fd, base))
		err = err ?: "unbind of the base bind failed";
	err = err ?: check_clean(fd);
	result("threads", err);
}

/* One mode of the transfer scenario */
struct dma_mode {
	const char *name;
	__u32 flags;
	bool fresh;	/* the memory is zapped before every transfer */
};

/*
 * One row: FILL transfers of @pages pages at the mm's PASID. Returns an
 * error, or NULL; *unsupported when the kernel cannot run the mode.
 */
static const char *dma_row(int fd, __u32 dev, __u32 pasid, const struct dma_mode *m,
			   unsigned int pages, bool *unsupported)
{
	size_t len = (size_t)pages * getpagesize();
	const char *err = NULL;
	struct mock_iommu_dma d;
	struct samples s;
	unsigned int r;
	__u64 end, t0, dt;
	char *mem;
	int ret;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || samples_init(&s, DMA_REPS))
		return "out of memory";
	madvise(mem, len, MADV_NOHUGEPAGE);
	memset(mem, 1, len);
	end = deadline_in(DMA_BUDGET);
	for (r = 0; r < DMA_WARMUP + DMA_REPS && now_ns() < end; r++) {
		/* Untimed: the next transfer finds no page present */
		if (m->fresh && madvise(mem, len, MADV_DONTNEED)) {
			err = "madvise(MADV_DONTNEED) failed";
			break;
		}
		t0 = now_ns();
		ret = _test_cmd_dma(fd, dev, pasid, MOCK_IOMMU_DMA_FILL, m->flags, mem, len,
				    NULL, r & 0xff, &d);
		dt = now_ns() - t0;
		if (ret == -EOPNOTSUPP) {
			*unsupported = true;
			break;
		}
		if (ret || d.out_status != MOCK_IOMMU_DMA_OK) {
			err = "a transfer failed";
			break;
		}
		if (!m->flags && m->fresh && d.out_page_requests != pages) {
			err = "not one page request per fresh page";
			break;
		}
		if (r >= DMA_WARMUP)
			samples_add(&s, dt);
	}
	if (!err && !*unsupported)
		report(m->name, pages, &s, 0);
	samples_free(&s);
	munmap(mem, len);
	return err;
}

/*
 * 6. Transfers by a device at the mm's PASID: the device's page walk over
 * present pages, fresh pages faulted in by page requests through the
 * core's SVA I/O page fault handler (one per page), and fresh pages that
 * the pinned mode faults in on the CPU.
 */
static void bench_dma(int fd, __u32 dev)
{
	static const struct dma_mode modes[] = {
		{ "dma_present", MOCK_IOMMU_DMA_NO_PRI, false },
		{ "dma_iopf", 0, true },
		{ "dma_pinned", MOCK_IOMMU_DMA_PINNED, true },
	};
	struct mock_iommu_sva_info info;
	const char *err = NULL;
	bool unsupported;
	unsigned int m, k;
	__u32 bond;

	bond = bind(fd, dev, &info);
	if (!bond) {
		result("dma", "bind failed");
		return;
	}
	for (m = 0; m < ARRAY_SIZE(modes) && !err; m++) {
		unsupported = false;
		for (k = 0; k < ARRAY_SIZE(dma_pages) && !err && !unsupported; k++)
			err = dma_row(fd, dev, info.pasid, &modes[m], dma_pages[k], &unsupported);
		if (unsupported)
			printf("# %s: no I/O page fault support in this kernel\n", modes[m].name);
	}
	if (_test_cmd_destroy(fd, bond))
		err = err ?: "unbind failed";
	err = err ?: check_clean(fd);
	result("dma", err);
}

int main(void)
{
	static const char *const names[] = {
		"bind_unbind_cycle", "multi_bind", "instances", "many_mms", "threads", "dma",
	};
	struct utsname u;
	__u64 t0 = now_ns();
	__u32 inst, dev;
	unsigned int i;
	const char *why = NULL;
	int fd, ret;

	printf("TAP version 13\n1..%zu\n", ARRAY_SIZE(names));
	uname(&u);
	printf("# sva_bench: kernel %s, %ld CPUs online, CLOCK_MONOTONIC\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN));
	printf("# BENCH-COLUMNS name,param,reps,median_ns,p99_ns,min_ns,max_ns,ops_per_s\n");
	fflush(stdout);

	dev = 0;
	fd = open(MOCK_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		dev = make_device(fd, &inst);
	if (fd < 0)
		why = MOCK_DEV_PATH " cannot be opened: load mock_iommu.ko (as root)";
	else if (!dev)
		why = "cannot create a mock instance and device";
	else if (mock_probe_sva(fd, dev) == -EOPNOTSUPP)
		why = "this kernel refuses SVA before the IOMMU driver is asked";
	if (why) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			skip(names[i], why);
		return 0;
	}
	ret = 0;

	bench_cycle(fd, dev);
	bench_ref(fd, dev);
	bench_instances(fd);
	bench_mms(fd, dev);
	bench_threads(fd, dev);
	bench_dma(fd, dev);

	_test_cmd_destroy(fd, dev);
	_test_cmd_destroy(fd, inst);
	close(fd);
	printf("# sva_bench: %.1f s\n", (now_ns() - t0) / 1e9);
	if (failures)
		ret = 1;
	return ret;
}
