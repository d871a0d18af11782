// SPDX-License-Identifier: GPL-2.0
/*
 * The mock devices as small DMA engines. A transfer tags its accesses with
 * a PASID; the device resolves the PASID through its PASID table to the
 * SVA domain installed there and through it to the mm, and walks that mm's
 * page tables the way an IOMMU would. A page that is not present with the
 * permission the access needs becomes a page request on the instance's I/O
 * page fault queue: the IOMMU core's SVA handler resolves it against the mm
 * and answers through our page_response(), which completes or fails the
 * access. Everything the device sees is reported as a status, never as an
 * errno: a fault is the device's business, not a failed command.
 *
 * A transfer holds its device's dma_lock for reading from the PASID lookup
 * to the last byte, except while it waits for a page response. Detaching a
 * PASID clears the table entry and, as hardware stopping a PASID drains its
 * page request queue, completes the page requests waiting at that PASID:
 * their transfers end aborted at once instead of waiting for a response
 * that may be late or lost. Then it takes the lock for writing and flushes
 * the page fault queue: once detach returns, no transfer and no page
 * request can use the domain or its mm.
 *
 * A request whose transfer stopped waiting (timeout, kill, abort) keeps
 * its page request group index until its response comes, like a device
 * that may not reuse a PRG index still outstanding: a late response then
 * finds it, and never a newer request that happens to get the same index.
 * A response lost for good is forgotten when its PASID is detached.
 *
 * Like an IOTLB or a PCIe ATC, a device caches the translations it used in
 * the faulting modes, tagged (domain, PASID, page), and uses them without
 * a page walk until the domain's mmu notifier invalidates them (domain.c
 * calls mock_tlb_invalidate()), a paging domain's unmap_pages() does
 * (paging.c), or the PASID is detached. An entry keeps its
 * page referenced (pinned when it was filled for writing), so that a stale
 * one reaches a page no longer mapped rather than freed memory.
 */
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "mock_iommu.h"

/* A PCIe page request group index has 9 bits */
#define MOCK_PRG_INDEX_MASK	0x1ff

/*
 * After a successful response the page may be gone again (reclaim, a
 * racing munmap or COW) before the device retries; a device retries a few
 * times and then reports the fault, so that a transfer always ends.
 */
#define MOCK_PRQ_RETRIES	4

static unsigned int dma_timeout_ms = 10000;
module_param(dma_timeout_ms, uint, 0644);
MODULE_PARM_DESC(dma_timeout_ms,
		 "longest a transfer waits for page responses, in total");

static bool tlb = true;
module_param(tlb, bool, 0644);
MODULE_PARM_DESC(tlb,
		 "devices created from now on cache translations (IOTLB/ATC)");

/**
 * struct mock_tlb_entry - a cached translation
 * @node: in mock_tlb_entries
 * @mdev: the device whose cache holds it
 * @domain_id: the domain it was translated through
 * @pasid: the PASID of the access
 * @va: the page's address in the domain's mm
 * @page: the page, referenced (FOLL_GET) or pinned (@pinned)
 * @writable: filled for a write, and good for writes
 * @pinned: @page is pinned (FOLL_PIN): an SVA translation filled for a
 *	write; a paging domain's page is referenced only, its mapper pins it
 */
struct mock_tlb_entry {
	struct list_head node;
	struct mock_dev *mdev;
	u32 domain_id;
	u32 pasid;
	unsigned long va;
	struct page *page;
	bool writable;
	bool pinned;
};

/*
 * Every device's entries, oldest first, and the number of invalidations so
 * far, which a fill compares to not cache what an invalidation between its
 * page walk and the fill already dropped. Taken by the mmu notifier's
 * callbacks, in atomic context.
 */
static DEFINE_SPINLOCK(mock_tlb_lock);
/* Where detaches wait for the transfers whose page requests they aborted */
static DECLARE_WAIT_QUEUE_HEAD(mock_prq_waiters);
static LIST_HEAD(mock_tlb_entries);
static u64 mock_tlb_seq;

/**
 * struct mock_prq - a page request the device sent
 * @node: in the device's prq_pending until its response comes, or until
 *	its PASID is detached
 * @pasid: the PASID of the request
 * @grpid: its page request group index
 * @code: the response's code, valid once @answered
 * @answered: the response came; @node is off the list
 * @aborted: the PASID is being detached: the waiter gives up
 * @orphan: nobody waits any more; the response (or the detach) frees it
 * @done: completed by the response or the abort
 *
 * Everything but @done is under the device's prq_lock.
 */
struct mock_prq {
	struct list_head node;
	u32 pasid;
	u32 grpid;
	u32 code;
	bool answered;
	bool aborted;
	bool orphan;
	struct completion done;
};

/**
 * struct mock_xfer - one transfer in progress
 * @mdev: the device doing it
 * @md: the domain found at the PASID when it began; only dereferenced
 *	while the transfer holds the device's dma_lock
 * @domain_id: @md's id, which is never reused
 * @mm: @md's mm, with an mm_users reference
 * @dma: the request, and the outputs being filled in
 * @buf: the caller's data (WRITE, COMPARE) or what was read (READ)
 * @write: the device writes memory (WRITE, FILL)
 * @paging: @md is a paging domain: @iova is an IOVA of its page table,
 *	@mm is NULL
 * @fault: @md has a fault handler (an SVA domain, or a paging domain with
 *	iommufd's fault queue): a missing page is requested; without one a
 *	missing page is a fault at once, as hardware without PRI for it
 * @stray: its one page request goes where no domain leads (REQ_UNATTACHED,
 *	REQ_NO_PASID): sent without the attach check, answered by the core
 * @deadline: jiffies after which no page request is waited for
 */
struct mock_xfer {
	struct mock_dev *mdev;
	struct mock_domain *md;
	u32 domain_id;
	struct mm_struct *mm;
	struct mock_iommu_dma *dma;
	u8 *buf;
	bool write;
	bool paging;
	bool fault;
	bool stray;
	unsigned long deadline;
};

void mock_dma_init_dev(struct mock_dev *mdev)
{
	mdev->tlb.enabled = READ_ONCE(tlb);
	atomic_set(&mdev->nr_dma, 0);
	init_rwsem(&mdev->dma_lock);
	spin_lock_init(&mdev->prq_lock);
	INIT_LIST_HEAD(&mdev->prq_pending);
}

/* Drop the entries on @list; any context */
static void mock_tlb_free(struct list_head *list)
{
	struct mock_tlb_entry *e, *next;

	list_for_each_entry_safe(e, next, list, node) {
		if (e->pinned)
			unpin_user_page(e->page);
		else
			put_page(e->page);
		kfree(e);
	}
}

/* Move @e to @list (under mock_tlb_lock), counting it in @event */
static void mock_tlb_drop(struct mock_tlb_entry *e, struct list_head *list,
			  u64 *event)
{
	list_move_tail(&e->node, list);
	e->mdev->tlb.nr--;
	(*event)++;
}

/*
 * The domain's mmu notifier saw [@start, @end) invalidated: drop the
 * entries of the domain for pages in it. A range beyond user space is a
 * kernel range (iommu_sva_invalidate_kva_range()), or the whole address
 * space: hardware then flushes everything the domain cached, and so do
 * we. Runs in atomic context.
 */
void mock_tlb_invalidate(u32 domain_id, unsigned long start,
			 unsigned long end)
{
	bool all = end > TASK_SIZE_MAX;
	struct mock_tlb_entry *e, *next;
	unsigned long flags;
	LIST_HEAD(drop);

	spin_lock_irqsave(&mock_tlb_lock, flags);
	mock_tlb_seq++;
	list_for_each_entry_safe(e, next, &mock_tlb_entries, node)
		if (e->domain_id == domain_id &&
		    (all || (e->va < end && e->va + PAGE_SIZE > start)))
			mock_tlb_drop(e, &drop, &e->mdev->tlb.invalidated);
	spin_unlock_irqrestore(&mock_tlb_lock, flags);
	mock_tlb_free(&drop);
}

/* @pasid of @mdev (IOMMU_PASID_INVALID: all) was detached */
static void mock_tlb_flush(struct mock_dev *mdev, ioasid_t pasid)
{
	struct mock_tlb_entry *e, *next;
	LIST_HEAD(drop);

	spin_lock_irq(&mock_tlb_lock);
	list_for_each_entry_safe(e, next, &mock_tlb_entries, node)
		if (e->mdev == mdev &&
		    (pasid == IOMMU_PASID_INVALID || e->pasid == pasid))
			mock_tlb_drop(e, &drop, &mdev->tlb.flushed);
	spin_unlock_irq(&mock_tlb_lock);
	mock_tlb_free(&drop);
}

void mock_tlb_info(struct mock_dev *mdev, struct mock_iommu_tlb_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->out_enabled = mdev->tlb.enabled;
	ti->out_capacity = MOCK_IOMMU_TLB_ENTRIES;
	spin_lock_irq(&mock_tlb_lock);
	ti->out_entries = mdev->tlb.nr;
	ti->out_hits = mdev->tlb.hits;
	ti->out_fills = mdev->tlb.fills;
	ti->out_invalidated = mdev->tlb.invalidated;
	ti->out_flushed = mdev->tlb.flushed;
	ti->out_evicted = mdev->tlb.evicted;
	spin_unlock_irq(&mock_tlb_lock);
}

static bool mock_prq_match(struct mock_prq *prq, ioasid_t pasid)
{
	return pasid == IOMMU_PASID_INVALID || prq->pasid == pasid;
}

/* Transfers aborted at @pasid have not all seen it yet */
static bool mock_prq_aborting(struct mock_dev *mdev, ioasid_t pasid)
{
	struct mock_prq *prq;
	bool busy = false;

	spin_lock(&mdev->prq_lock);
	list_for_each_entry(prq, &mdev->prq_pending, node) {
		if (mock_prq_match(prq, pasid) && prq->aborted &&
		    !prq->orphan) {
			busy = true;
			break;
		}
	}
	spin_unlock(&mdev->prq_lock);
	return busy;
}

/*
 * Called when @pasid of @mdev was just cleared from its table, or every
 * PASID (IOMMU_PASID_INVALID) as the core releases the device. Like
 * hardware stopping a PASID: complete the page requests waiting at it, so
 * that their transfers end now, wait for the transfers that may still use
 * the domain, then for the work of the page requests in the fault queue,
 * which uses the domain and the device (the core's iopf_queue_flush_dev(),
 * as intel's PASID drain does: a core whose flush does not wait lets the
 * unbind free the domain under that work); what is still unanswered after
 * that was lost.
 */
void mock_dma_drain(struct mock_dev *mdev, ioasid_t pasid)
{
	struct mock_prq *prq, *next;
	LIST_HEAD(lost);

	spin_lock(&mdev->prq_lock);
	list_for_each_entry(prq, &mdev->prq_pending, node) {
		if (!mock_prq_match(prq, pasid) || prq->orphan || prq->aborted)
			continue;
		prq->aborted = true;
		complete(&prq->done);
	}
	spin_unlock(&mdev->prq_lock);
	/*
	 * They let go of dma_lock while they waited: wait until each has let
	 * go of its request, then for the rest of their transfers and the
	 * others through the lock.
	 */
	wait_event(mock_prq_waiters, !mock_prq_aborting(mdev, pasid));

	down_write(&mdev->dma_lock);
	up_write(&mdev->dma_lock);
	/* No transfer at @pasid fills the TLB any more */
	mock_tlb_flush(mdev, pasid);
	mock_iopf_flush(mdev, pasid == IOMMU_PASID_INVALID);

	/* No transfer runs at @pasid now: every request left is an orphan */
	spin_lock(&mdev->prq_lock);
	list_for_each_entry_safe(prq, next, &mdev->prq_pending, node)
		if (mock_prq_match(prq, pasid) && !WARN_ON(!prq->orphan))
			list_move(&prq->node, &lost);
	spin_unlock(&mdev->prq_lock);
	list_for_each_entry_safe(prq, next, &lost, node)
		kfree(prq);
}

/*
 * The domain at a PASID of @mdev was replaced: wait for the transfers that
 * hold the dma_lock, which may still use the old domain. Those waiting for
 * a page response hold nothing of it: they look the PASID up again first.
 */
void mock_dma_quiesce(struct mock_dev *mdev)
{
	down_write(&mdev->dma_lock);
	up_write(&mdev->dma_lock);
}

void mock_page_response(struct device *dev, struct iopf_fault *evt,
			struct iommu_page_response *msg)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_prq *prq, *orphan = NULL;
	bool found = false;

	mock_dev_count(mdev, msg->code == IOMMU_PAGE_RESP_SUCCESS ?
		       MOCK_CNT_PAGE_RESPONSES : MOCK_CNT_PAGE_RESPONSES_FAILED,
		       1);
	/* Lost on the way: the request stays pending until it times out */
	if (mock_fault_check(MOCK_IOMMU_FAULT_PAGE_RESPONSE, mdev))
		return;
	spin_lock(&mdev->prq_lock);
	list_for_each_entry(prq, &mdev->prq_pending, node) {
		if (prq->grpid != msg->grpid || prq->pasid != msg->pasid)
			continue;
		list_del_init(&prq->node);
		found = true;
		if (prq->orphan) {
			orphan = prq;
			break;
		}
		prq->code = msg->code;
		prq->answered = true;
		/* Under the lock: the waiter frees it once we drop it */
		complete(&prq->done);
		break;
	}
	spin_unlock(&mdev->prq_lock);
	kfree(orphan);
	if (!found || orphan)
		mock_dev_count(mdev, MOCK_CNT_PAGE_RESPONSES_STALE, 1);
}

static bool mock_grpid_busy(struct mock_dev *mdev, u32 grpid)
{
	struct mock_prq *prq;

	list_for_each_entry(prq, &mdev->prq_pending, node)
		if (prq->grpid == grpid)
			return true;
	return false;
}

static bool mock_xfer_attached(struct mock_xfer *x);

/*
 * Raise a page request group for the @n pages at @addrs, as PCIe PRI sends
 * one: a request per page, all with the group's index, the last one marked
 * IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE, and wait for the group's response,
 * without the dma_lock (the caller holds it for reading). Returns its
 * IOMMU_PAGE_RESP_* code, -ETIMEDOUT, -EINTR, -ECANCELED when the PASID
 * is being detached, or -ENOMEM.
 */
static int mock_page_request(struct mock_xfer *x, const unsigned long *addrs,
			     unsigned int n)
{
	bool with_pasid = !(x->dma->flags & MOCK_IOMMU_DMA_REQ_NO_PASID);
	struct mock_dev *mdev = x->mdev;
	long left = (long)(x->deadline - jiffies);
	struct mock_prq *prq;
	unsigned int page;
	bool answered, aborted;
	int rc, err;
	u32 i;

	if (left <= 0)
		return -ETIMEDOUT;
	prq = kzalloc_obj(*prq);
	if (!prq)
		return -ENOMEM;
	/* Without a PASID the core answers with @pasid 0, as it reads it */
	prq->pasid = x->dma->pasid;
	init_completion(&prq->done);

	spin_lock(&mdev->prq_lock);
	for (i = 0; i <= MOCK_PRG_INDEX_MASK; i++) {
		prq->grpid = mdev->next_grpid++ & MOCK_PRG_INDEX_MASK;
		if (!mock_grpid_busy(mdev, prq->grpid))
			break;
	}
	if (i > MOCK_PRG_INDEX_MASK) {
		/* 512 requests outstanding: the device has to wait */
		spin_unlock(&mdev->prq_lock);
		kfree(prq);
		return -ETIMEDOUT;
	}
	list_add_tail(&prq->node, &mdev->prq_pending);
	spin_unlock(&mdev->prq_lock);

	/*
	 * A detach that cleared the PASID before the request was listed did
	 * not see it: look again now that it is (the detach aborts listed
	 * requests after clearing).
	 */
	if (x->stray || mock_xfer_attached(x)) {
		for (page = 0; page < n; page++) {
			struct iopf_fault evt = {};
			struct iommu_fault_page_request *prm = &evt.fault.prm;

			evt.fault.type = IOMMU_FAULT_PAGE_REQ;
			if (with_pasid)
				prm->flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
			if (page == n - 1) {
				prm->flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
				if (with_pasid)
					prm->flags |= IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
			}
			prm->pasid = prq->pasid;
			prm->grpid = prq->grpid;
			/* A user-mode access: the core's handler checks the VMA */
			prm->perm = IOMMU_FAULT_PERM_READ;
			if (x->write)
				prm->perm |= IOMMU_FAULT_PERM_WRITE;
			if (x->dma->flags & MOCK_IOMMU_DMA_REQ_EXEC)
				prm->perm |= IOMMU_FAULT_PERM_EXEC;
			if (x->dma->flags & MOCK_IOMMU_DMA_REQ_PRIV)
				prm->perm |= IOMMU_FAULT_PERM_PRIV;
			prm->addr = addrs[page];
			/*
			 * The queue overflowed before the group's last
			 * request: the driver drops the partial faults
			 * recorded so far, as intel's PRQ handler does on
			 * overflow, and the last one arrives alone.
			 */
			if (page == n - 1 && n > 1 &&
			    x->dma->flags & MOCK_IOMMU_DMA_PRQ_OVERFLOW)
				iopf_queue_discard_partial(mdev->inst->iopf_queue);
			mock_dev_count(mdev, MOCK_CNT_PAGE_REQUESTS, 1);
			x->dma->out_page_requests++;
			/* Sent by the device, lost by the IOMMU: no answer */
			if (page == n - 1 &&
			    x->dma->flags & MOCK_IOMMU_DMA_PRG_LAST_LOST)
				break;
			/*
			 * A request the core refuses outright (no handler)
			 * is answered through page_response(), even one that
			 * is not the last: the group got its answer, send no
			 * more. A non-last one it fails to record (no memory
			 * for the partial fault) gets no answer: hardware
			 * knows nothing of it and sends the rest of the
			 * group, whose answer then covers fewer pages.
			 */
			err = iommu_report_device_fault(&mdev->pdev->dev, &evt);
			if (!err)
				continue;
			/* What a driver logs: arm-smmu-v3 dumps the event */
			x->dma->out_refused++;
			x->dma->out_refused_errno = -err;
			if (completion_done(&prq->done))
				break;
		}

	} else {
		/* Never sent: no response will come for it */
		spin_lock(&mdev->prq_lock);
		list_del(&prq->node);
		aborted = prq->aborted;
		spin_unlock(&mdev->prq_lock);
		kfree(prq);
		/* The detach may have aborted it in the meantime */
		if (aborted)
			wake_up_all(&mock_prq_waiters);
		return -ECANCELED;
	}

	/* A detach must not wait for us while we wait for the response */
	up_read(&mdev->dma_lock);
	left = wait_for_completion_killable_timeout(&prq->done, left);

	spin_lock(&mdev->prq_lock);
	answered = prq->answered;
	aborted = prq->aborted;
	if (aborted)
		rc = -ECANCELED;
	else if (answered)
		rc = prq->code;
	else
		rc = left < 0 ? -EINTR : -ETIMEDOUT;
	/* Else the request keeps its group index until its response */
	if (!answered)
		prq->orphan = true;
	spin_unlock(&mdev->prq_lock);
	if (answered)
		kfree(prq);
	/* The detach that aborted us waits for this */
	if (aborted)
		wake_up_all(&mock_prq_waiters);
	down_read(&mdev->dma_lock);
	return rc;
}

/*
 * How a transfer ends when its page request got no response code: the
 * status for a request that timed out or whose PASID is being detached,
 * else the errno (-EINTR, -ENOMEM).
 */
static int mock_prq_status(int err)
{
	if (err == -ETIMEDOUT)
		return MOCK_IOMMU_DMA_TIMEOUT;
	if (err == -ECANCELED)
		return MOCK_IOMMU_DMA_ABORTED;
	return err;
}

/* Whether the transfer's pages are pinned (FOLL_PIN) or got (FOLL_GET) */
static bool mock_xfer_pins(struct mock_xfer *x)
{
	/* A paging domain's pages are pinned by whoever mapped them */
	if (x->paging)
		return false;
	return x->write || (x->dma->flags & MOCK_IOMMU_DMA_PINNED);
}

/*
 * The PASID still leads to the domain the transfer began with. Compares
 * ids: the transfer let go of the dma_lock while it waited for a response,
 * and the domain may have been freed and another allocated in its place.
 */
static bool mock_xfer_attached(struct mock_xfer *x)
{
	struct mock_domain *md;
	bool attached;

	mutex_lock(&mock_lock);
	md = xa_load(&x->mdev->pasids, x->dma->pasid);
	attached = md && md->id == x->domain_id;
	mutex_unlock(&mock_lock);
	return attached;
}

/*
 * The device's translation of @addr: the page, with a reference, when it is
 * present with the permission the access needs, else NULL. Only the PINNED
 * mode faults pages in, on the CPU, like get_user_pages() in a driver.
 *
 * The kernel writes to a user page only through a FOLL_PIN reference
 * (Documentation/core-api/pin_user_pages.rst): a pin is what tells
 * fork, reclaim and writeback that the page is under DMA. A read in the
 * faulting modes takes a plain reference: pinning an anonymous page that
 * fork shares (COW) needs an unshare fault, which a page request for
 * reading does not cause, and the read needs nothing of the sort.
 */
static struct page *mock_translate(struct mock_xfer *x, unsigned long addr)
{
	unsigned int gup = x->write ? FOLL_WRITE : 0;
	struct page *page;
	int locked = 1;
	long n;

	/* Through the I/O page table: nothing is faulted in on the CPU */
	if (x->paging)
		return mock_paging_translate(x->md, addr, x->write);
	if (!(x->dma->flags & MOCK_IOMMU_DMA_PINNED))
		gup |= FOLL_NOFAULT;
	mmap_read_lock(x->mm);
	if (mock_xfer_pins(x))
		n = pin_user_pages_remote(x->mm, addr, 1, gup, &page, &locked);
	else
		n = get_user_pages_remote(x->mm, addr, 1, gup, &page, &locked);
	if (locked)
		mmap_read_unlock(x->mm);
	return n == 1 ? page : NULL;
}

static void mock_release_page(struct mock_xfer *x, struct page *page)
{
	if (mock_xfer_pins(x))
		unpin_user_pages_dirty_lock(&page, 1, x->write);
	else
		put_page(page);
}

/*
 * The transfer's device caches translations: of an SVA domain until its
 * mmu notifier invalidates them, of a paging domain until unmap_pages()
 * does (paging.c), as a driver flushes the IOTLB and ATC on unmap.
 */
static bool mock_xfer_cached(struct mock_xfer *x)
{
	return x->mdev->tlb.enabled &&
	       !(x->dma->flags & MOCK_IOMMU_DMA_PINNED);
}

/*
 * The cached translation of the page at @va good for the access, with a
 * reference of the caller's, or NULL.
 */
static struct page *mock_tlb_lookup(struct mock_xfer *x, unsigned long va)
{
	struct mock_dev *mdev = x->mdev;
	struct mock_tlb_entry *e;
	struct page *page = NULL;

	spin_lock_irq(&mock_tlb_lock);
	list_for_each_entry(e, &mock_tlb_entries, node) {
		if (e->mdev != mdev || e->domain_id != x->domain_id ||
		    e->pasid != x->dma->pasid || e->va != va)
			continue;
		if (x->write && !e->writable)
			break;
		page = e->page;
		get_page(page);
		mdev->tlb.hits++;
		break;
	}
	spin_unlock_irq(&mock_tlb_lock);
	return page;
}

/*
 * Cache @page, which mock_translate() returned for the page at @va after
 * invalidation number @seq: the entry takes over that reference, the caller
 * gets one of its own. Not cached (the reference is dropped after the
 * access as usual) when an invalidation came in between, or without
 * memory: returns whether it was.
 */
static bool mock_tlb_fill(struct mock_xfer *x, unsigned long va,
			  struct page *page, u64 seq)
{
	struct mock_dev *mdev = x->mdev;
	struct mock_tlb_entry *e, *old, *next;
	bool cached = false;
	LIST_HEAD(drop);

	e = kzalloc_obj(*e);
	if (!e)
		return false;
	e->mdev = mdev;
	e->domain_id = x->domain_id;
	e->pasid = x->dma->pasid;
	e->va = va;
	e->page = page;
	e->writable = x->write;
	e->pinned = mock_xfer_pins(x);

	spin_lock_irq(&mock_tlb_lock);
	if (mock_tlb_seq == seq) {
		list_for_each_entry_safe(old, next, &mock_tlb_entries, node) {
			if (old->mdev != mdev)
				continue;
			/* The oldest goes first; a read-only twin goes too */
			if (mdev->tlb.nr == MOCK_IOMMU_TLB_ENTRIES ||
			    (old->domain_id == e->domain_id &&
			     old->pasid == e->pasid && old->va == va))
				mock_tlb_drop(old, &drop, &mdev->tlb.evicted);
		}
		list_add_tail(&e->node, &mock_tlb_entries);
		mdev->tlb.nr++;
		mdev->tlb.fills++;
		get_page(page);
		cached = true;
	}
	spin_unlock_irq(&mock_tlb_lock);
	mock_tlb_free(&drop);
	if (!cached)
		kfree(e);
	return cached;
}

/*
 * Move @len bytes between @page at @off and the transfer's data at @pos.
 * Returns the number of equal bytes for COMPARE, else @len.
 */
static size_t mock_xfer_page(struct mock_xfer *x, struct page *page,
			     size_t off, size_t len, u64 pos)
{
	u8 *va = kmap_local_page(page);
	u8 *mem = va + off;
	size_t i = len;

	switch (x->dma->op) {
	case MOCK_IOMMU_DMA_READ:
		memcpy(x->buf + pos, mem, len);
		break;
	case MOCK_IOMMU_DMA_WRITE:
		memcpy(mem, x->buf + pos, len);
		break;
	case MOCK_IOMMU_DMA_FILL:
		memset(mem, x->dma->fill, len);
		break;
	case MOCK_IOMMU_DMA_COMPARE:
		for (i = 0; i < len; i++)
			if (mem[i] != x->buf[pos + i])
				break;
		break;
	}
	if (x->write)
		flush_dcache_page(page);
	kunmap_local(va);
	return i;
}

/*
 * The pages a page request group asks for: from @addrs[0], which is
 * missing, the pages of the transfer that are not there either, up to
 * MOCK_IOMMU_DMA_PRG_PAGES of them, skipping the ones that are. Returns
 * how many.
 */
static unsigned int mock_missing_pages(struct mock_xfer *x,
				       unsigned long *addrs)
{
	u64 end = x->dma->iova + x->dma->length;
	unsigned long va = addrs[0];
	struct page *page;
	unsigned int n = 1;

	while (n < MOCK_IOMMU_DMA_PRG_PAGES) {
		va += PAGE_SIZE;
		if (va >= end || !va)
			break;
		page = mock_translate(x, va);
		if (page) {
			mock_release_page(x, page);
			continue;
		}
		addrs[n++] = va;
	}
	return n;
}

/* Returns the status, or -EINTR when the caller was killed */
static int mock_xfer_run(struct mock_xfer *x)
{
	struct mock_iommu_dma *dma = x->dma;
	unsigned int retries = 0;
	struct page *page;
	size_t off, len, same;
	unsigned long addrs[MOCK_IOMMU_DMA_PRG_PAGES];
	unsigned int n;
	u64 seq = 0;
	bool own;
	unsigned long addr;
	int code;

	while (dma->out_bytes < dma->length) {
		addr = dma->iova + dma->out_bytes;
		off = offset_in_page(addr);
		len = min_t(u64, PAGE_SIZE - off,
			    dma->length - dma->out_bytes);
		dma->out_fault_addr = addr;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (!mock_xfer_attached(x))
			return MOCK_IOMMU_DMA_ABORTED;
		/* Whether @page holds a plain reference of ours */
		own = false;
		page = NULL;
		if (mock_xfer_cached(x)) {
			seq = READ_ONCE(mock_tlb_seq);
			page = mock_tlb_lookup(x, addr & PAGE_MASK);
			own = !!page;
		}
		if (!page)
			page = mock_translate(x, addr);
		if (!page) {
			if (dma->flags & (MOCK_IOMMU_DMA_PINNED |
					  MOCK_IOMMU_DMA_NO_PRI) ||
			    !x->fault ||
			    retries++ == MOCK_PRQ_RETRIES)
				return MOCK_IOMMU_DMA_PAGE_FAULT;
			addrs[0] = addr & PAGE_MASK;
			n = 1;
			if (dma->flags & MOCK_IOMMU_DMA_PRG)
				n = mock_missing_pages(x, addrs);
			code = mock_page_request(x, addrs, n);
			if (code < 0)
				return mock_prq_status(code);
			dma->out_response = code;
			if (code != IOMMU_PAGE_RESP_SUCCESS)
				return MOCK_IOMMU_DMA_PAGE_FAULT;
			continue;
		}
		retries = 0;
		if (!own && mock_xfer_cached(x))
			own = mock_tlb_fill(x, addr & PAGE_MASK, page, seq);
		same = mock_xfer_page(x, page, off, len, dma->out_bytes);
		if (own && x->write)
			set_page_dirty_lock(page);
		if (own)
			put_page(page);
		else
			mock_release_page(x, page);
		dma->out_bytes += same;
		if (same < len) {
			dma->out_fault_addr += same;
			return MOCK_IOMMU_DMA_MISMATCH;
		}
		cond_resched();
	}
	dma->out_fault_addr = 0;
	return MOCK_IOMMU_DMA_OK;
}

/*
 * A page request at the transfer's first page where no domain leads: the
 * core finds no handler and must answer it (INVALID) at once, from
 * iommu_report_device_fault(). Returns the status, or a negative errno.
 */
static int mock_xfer_stray_request(struct mock_xfer *x)
{
	struct mock_iommu_dma *dma = x->dma;
	unsigned long addr = dma->iova & PAGE_MASK;
	int code;

	x->stray = true;
	dma->out_fault_addr = dma->iova;
	code = mock_page_request(x, &addr, 1);
	if (code < 0)
		return mock_prq_status(code);
	dma->out_response = code;
	return MOCK_IOMMU_DMA_PAGE_FAULT;
}

static int mock_dma_check(struct mock_dev *mdev,
			  const struct mock_iommu_dma *dma)
{
	const u32 modes = MOCK_IOMMU_DMA_PINNED | MOCK_IOMMU_DMA_NO_PRI |
			  MOCK_IOMMU_DMA_PRG;
	/* What a page request asks for: only where requests are sent */
	const u32 reqs = MOCK_IOMMU_DMA_REQ_EXEC | MOCK_IOMMU_DMA_REQ_PRIV;
	/* Where a request goes: one request, in the default mode */
	const u32 stray = MOCK_IOMMU_DMA_REQ_UNATTACHED |
			  MOCK_IOMMU_DMA_REQ_NO_PASID;
	/* What the IOMMU's page request queue loses */
	const u32 lossy = MOCK_IOMMU_DMA_PRQ_OVERFLOW |
			  MOCK_IOMMU_DMA_PRG_LAST_LOST;
	bool no_pasid = dma->flags & MOCK_IOMMU_DMA_REQ_NO_PASID;
	bool fill = dma->op == MOCK_IOMMU_DMA_FILL;

	if (dma->op < MOCK_IOMMU_DMA_READ || dma->op > MOCK_IOMMU_DMA_COMPARE)
		return -EINVAL;
	if (dma->flags & ~(modes | reqs | stray | lossy) ||
	    hweight32(dma->flags & modes) > 1 ||
	    (dma->flags & reqs &&
	     dma->flags & (MOCK_IOMMU_DMA_PINNED | MOCK_IOMMU_DMA_NO_PRI)) ||
	    (dma->flags & stray && dma->flags & modes) ||
	    hweight32(dma->flags & stray) > 1)
		return -EINVAL;
	/* The queue's losses are those of groups, one kind at a time */
	if (dma->flags & lossy &&
	    (!(dma->flags & MOCK_IOMMU_DMA_PRG) ||
	     hweight32(dma->flags & lossy) > 1))
		return -EINVAL;
	if (fill ? dma->uptr || dma->fill > U8_MAX : !dma->uptr || dma->fill)
		return -EINVAL;
	if (!dma->length || dma->length > MOCK_IOMMU_DMA_MAX_LENGTH ||
	    dma->iova + dma->length < dma->iova)
		return -EINVAL;
	if (dma->__reserved || dma->timeout_ms > MOCK_IOMMU_DMA_MAX_TIMEOUT_MS)
		return -EINVAL;
	/* PASID 0 is the requester ID's own: no SVA there */
	if (no_pasid ? dma->pasid :
	    !dma->pasid || dma->pasid >= mdev->pdev->dev.iommu->max_pasids)
		return -EINVAL;
	if (!(dma->flags & (MOCK_IOMMU_DMA_PINNED | MOCK_IOMMU_DMA_NO_PRI)) &&
	    !mock_dev_does_pri(mdev))
		return -EOPNOTSUPP;
	return 0;
}

static void mock_dma_clear_outputs(struct mock_iommu_dma *dma)
{
	dma->out_status = 0;
	dma->out_domain_id = 0;
	dma->out_bytes = 0;
	dma->out_fault_addr = 0;
	dma->out_page_requests = 0;
	dma->out_response = 0;
	dma->out_refused = 0;
	dma->out_refused_errno = 0;
}

int mock_dma(struct mock_dev *mdev, struct mock_iommu_dma *dma)
{
	struct mock_xfer x = { .mdev = mdev, .dma = dma };
	int rc;

	rc = mock_dma_check(mdev, dma);
	if (rc)
		return rc;
	mock_dma_clear_outputs(dma);
	x.write = dma->op == MOCK_IOMMU_DMA_WRITE ||
		  dma->op == MOCK_IOMMU_DMA_FILL;
	/* All of the caller's data first: a bad buffer must write nothing */
	if (dma->op != MOCK_IOMMU_DMA_FILL) {
		x.buf = kvmalloc(dma->length, GFP_KERNEL);
		if (!x.buf)
			return -ENOMEM;
	}
	if (dma->op == MOCK_IOMMU_DMA_WRITE ||
	    dma->op == MOCK_IOMMU_DMA_COMPARE) {
		if (copy_from_user(x.buf, u64_to_user_ptr(dma->uptr),
				   dma->length)) {
			rc = -EFAULT;
			goto out_free;
		}
	}

	mock_dev_count(mdev, MOCK_CNT_DMA_TRANSFERS, 1);
	x.deadline = jiffies + msecs_to_jiffies(dma->timeout_ms ?:
						 min(dma_timeout_ms,
						     MOCK_IOMMU_DMA_MAX_TIMEOUT_MS));
	down_read(&mdev->dma_lock);
	if (!(dma->flags & MOCK_IOMMU_DMA_REQ_NO_PASID)) {
		mutex_lock(&mock_lock);
		x.md = xa_load(&mdev->pasids, dma->pasid);
		mutex_unlock(&mock_lock);
	}
	if (!x.md) {
		rc = MOCK_IOMMU_DMA_NO_DOMAIN;
		if (dma->flags & (MOCK_IOMMU_DMA_REQ_UNATTACHED |
				  MOCK_IOMMU_DMA_REQ_NO_PASID))
			rc = mock_xfer_stray_request(&x);
	} else {
		dma->out_domain_id = x.md->id;
		x.domain_id = x.md->id;
		x.paging = x.md->paging;
		/*
		 * Set before the domain was attached, never changed after:
		 * without a handler the device is off the fault queue (iopf.c)
		 * and a missing page is a translation fault, no request
		 */
		x.fault = !!x.md->domain.iopf_handler;
		/* The domain's notifier keeps the mm_struct; is it still alive? */
		if (x.paging) {
			rc = mock_xfer_run(&x);
		} else if (mmget_not_zero(x.md->mm)) {
			x.mm = x.md->mm;
			rc = mock_xfer_run(&x);
		} else {
			rc = MOCK_IOMMU_DMA_MM_GONE;
		}
	}
	up_read(&mdev->dma_lock);
	/* Outside the lock: the last reference tears the address space down */
	if (x.mm)
		mmput(x.mm);
	if (rc < 0)
		goto out_free;

	dma->out_status = rc;
	rc = 0;
	if (dma->out_status != MOCK_IOMMU_DMA_OK &&
	    dma->out_status != MOCK_IOMMU_DMA_MISMATCH)
		mock_dev_count(mdev, MOCK_CNT_DMA_FAULTS, 1);
	if (dma->op == MOCK_IOMMU_DMA_READ &&
	    copy_to_user(u64_to_user_ptr(dma->uptr), x.buf, dma->out_bytes))
		rc = -EFAULT;
out_free:
	kvfree(x.buf);
	return rc;
}
