/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-file FUSE server in a thread of the test, to decide when the
 * kernel's I/O page fault work finishes.
 *
 * The SVA core handles a page request in a workqueue: handle_mm_fault() on
 * the mm behind the PASID. On a page of a file mapping that is not cached
 * yet, that fault reads the file, which here means a FUSE_READ request to
 * this server. A page put on hold keeps its FUSE_READ unanswered until the
 * test releases it, with data or an error, so the test knows that the page
 * request's work is still running and chooses when it ends.
 *
 * The file ("f" at the root of the mount) has MOCK_FUSE_PAGES pages of
 * getpagesize() bytes; page i reads as bytes mock_fuse_byte(i). No
 * readahead (max_readahead 0): a fault reads exactly one page.
 *
 * While a read is held the fault work holds the mmap_lock of the mm for
 * reading: the test must not mmap(), munmap() or bind in that mm then (a
 * writer would queue behind it and stall every other fault), so everything
 * is mapped and every thread is created before a hold.
 */
#ifndef __MOCK_FUSE_H
#define __MOCK_FUSE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MOCK_FUSE_PAGES		8
#define MOCK_FUSE_FILE		"f"
#define MOCK_FUSE_INO		2

static inline unsigned char mock_fuse_byte(int page)
{
	return 0xf0 + page;
}

struct mock_fuse {
	int dev_fd;		/* /dev/fuse */
	int file_fd;		/* the file, open for reading */
	char dir[32];
	size_t page;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock: per page */
	bool hold[MOCK_FUSE_PAGES];
	__u64 held[MOCK_FUSE_PAGES];	/* unique of the held FUSE_READ, or 0 */
	int reads[MOCK_FUSE_PAGES];	/* FUSE_READs seen */
	char *buf;			/* request buffer, touched before use */
	size_t buf_len;
};

static inline int mock_fuse_reply(struct mock_fuse *f, __u64 unique, int error,
				  const void *data, size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) },
		{ (void *)data, error ? 0 : len },
	};

	return writev(f->dev_fd, iov, 2) == out.len ? 0 : -errno;
}

static inline void mock_fuse_attr(struct mock_fuse *f, __u64 nodeid, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = 1;
	a->blksize = f->page;
	if (nodeid == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = MOCK_FUSE_PAGES * f->page;
		a->blocks = a->size / 512;
	}
}

/* Answer a read of page @page at @off, @size bytes (with lock held) */
static inline void mock_fuse_read_reply(struct mock_fuse *f, __u64 unique, int page, int error)
{
	char data[f->page];

	memset(data, mock_fuse_byte(page), f->page);
	mock_fuse_reply(f, unique, error, data, f->page);
}

static void *mock_fuse_serve(void *arg)
{
	struct mock_fuse *f = arg;

	for (;;) {
		struct fuse_in_header *in = (void *)f->buf;
		void *body = f->buf + sizeof(*in);
		ssize_t n = read(f->dev_fd, f->buf, f->buf_len);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			break;	/* unmounted or aborted */

		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = 0,
				.max_write = f->page,
				.max_background = 16,
				.congestion_threshold = 12,
			};

			mock_fuse_reply(f, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = {
				.nodeid = MOCK_FUSE_INO,
				.entry_valid = 3600,
				.attr_valid = 3600,
			};

			if (in->nodeid != FUSE_ROOT_ID || strcmp(body, MOCK_FUSE_FILE)) {
				mock_fuse_reply(f, in->unique, -ENOENT, NULL, 0);
				break;
			}
			mock_fuse_attr(f, MOCK_FUSE_INO, &o.attr);
			mock_fuse_reply(f, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { .attr_valid = 3600 };

			mock_fuse_attr(f, in->nodeid, &o.attr);
			mock_fuse_reply(f, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1, .open_flags = FOPEN_KEEP_CACHE };

			mock_fuse_reply(f, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			struct fuse_read_in *r = body;
			int page = r->offset / f->page;

			if (in->nodeid != MOCK_FUSE_INO || page >= MOCK_FUSE_PAGES ||
			    r->size < f->page || r->offset % f->page) {
				mock_fuse_reply(f, in->unique, -EIO, NULL, 0);
				break;
			}
			pthread_mutex_lock(&f->lock);
			f->reads[page]++;
			if (f->hold[page] && !f->held[page]) {
				f->held[page] = in->unique;
				pthread_cond_broadcast(&f->cond);
			} else {
				mock_fuse_read_reply(f, in->unique, page, 0);
			}
			pthread_mutex_unlock(&f->lock);
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;	/* no reply */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			mock_fuse_reply(f, in->unique, 0, NULL, 0);
			break;
		default:
			/* Nothing else is needed: fail it */
			mock_fuse_reply(f, in->unique, -EOPNOTSUPP, NULL, 0);
			break;
		}
	}
	return NULL;
}

/*
 * Mount the server and open its file. Returns NULL, or why FUSE cannot run
 * here (the caller skips) with errno set; any other failure is -1 in
 * file_fd with errno set, for the caller's assertion.
 */
static inline const char *mock_fuse_start(struct mock_fuse *f)
{
	char opts[128];

	memset(f, 0, sizeof(*f));
	f->dev_fd = -1;
	f->file_fd = -1;
	f->page = getpagesize();
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->dev_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (f->dev_fd < 0)
		return errno == ENOENT || errno == ENODEV ?
		       "/dev/fuse is missing: the kernel needs CONFIG_FUSE_FS" : NULL;
	/* The largest request: a write of max_write bytes, and then some */
	f->buf_len = f->page + 4096 + sizeof(struct fuse_in_header) + 256;
	f->buf = malloc(f->buf_len);
	if (!f->buf)
		return NULL;
	memset(f->buf, 0, f->buf_len);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mock_fuse.XXXXXX");
	if (!mkdtemp(f->dir))
		return NULL;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other",
		 f->dev_fd);
	if (mount("mock_fuse", f->dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		return NULL;
	if (pthread_create(&f->thread, NULL, mock_fuse_serve, f))
		return NULL;
	f->thread_started = true;
	{
		char path[64];

		snprintf(path, sizeof(path), "%s/%s", f->dir, MOCK_FUSE_FILE);
		f->file_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return NULL;
}

/* MAP_PRIVATE mapping of the whole file, readable and writable (COW) */
static inline char *mock_fuse_map(struct mock_fuse *f)
{
	void *p = mmap(NULL, MOCK_FUSE_PAGES * f->page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       f->file_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* From now on the next read of @page waits for mock_fuse_release() */
static inline void mock_fuse_hold(struct mock_fuse *f, int page)
{
	pthread_mutex_lock(&f->lock);
	f->hold[page] = true;
	pthread_mutex_unlock(&f->lock);
}

/* Wait up to @ms for a read of @page to be held; true when it is */
static inline bool mock_fuse_wait_held(struct mock_fuse *f, int page, int ms)
{
	struct timespec until;
	bool held;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->held[page])
		if (pthread_cond_timedwait(&f->cond, &f->lock, &until))
			break;
	held = f->held[page];
	pthread_mutex_unlock(&f->lock);
	return held;
}

/*
 * Answer the held read of @page: its data, or @error (a negative errno: the
 * fault fails with SIGBUS, the page request is answered INVALID). Later
 * reads of the page are served at once. False when no read was held.
 */
static inline bool mock_fuse_release(struct mock_fuse *f, int page, int error)
{
	__u64 unique;

	pthread_mutex_lock(&f->lock);
	f->hold[page] = false;
	unique = f->held[page];
	f->held[page] = 0;
	if (unique)
		mock_fuse_read_reply(f, unique, page, error);
	pthread_mutex_unlock(&f->lock);
	return unique;
}

static inline int mock_fuse_reads(struct mock_fuse *f, int page)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->reads[page];
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Release every held read with an error, unmount, stop the server */
static inline void mock_fuse_stop(struct mock_fuse *f)
{
	int i;

	for (i = 0; i < MOCK_FUSE_PAGES; i++)
		mock_fuse_release(f, i, -EIO);
	if (f->file_fd >= 0)
		close(f->file_fd);
	if (f->dir[0]) {
		umount2(f->dir, MNT_DETACH);
		rmdir(f->dir);
	}
	/*
	 * The last reference to the mount aborts the connection, and the
	 * thread's read() fails; should a mapping still hold it, cancel.
	 */
	if (f->thread_started) {
		pthread_cancel(f->thread);
		pthread_join(f->thread, NULL);
	}
	if (f->dev_fd >= 0)
		close(f->dev_fd);
	free(f->buf);
}

#endif /* __MOCK_FUSE_H */
