// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own address space, as SVA sees it. When the kernel frees one
 * of its page tables (CONFIG_ASYNC_KERNEL_PGTABLE_FREE), a work item calls
 * iommu_sva_invalidate_kva_range(), which sends the kernel's range through
 * the mmu notifiers of every mm the SVA core lists as bound, so that IOMMUs
 * walking those page tables drop what they cached. This file makes the
 * kernel free a page table on demand, counts those invalidations per SVA
 * domain, and watches mms that are not (or no longer) bound.
 *
 * No kernel address reaches user space: the ranges are counted, the page
 * table is found and checked in here.
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mock_iommu.h"

#define MOCK_KVA_DEFAULT_ATTEMPTS	8
#define MOCK_KVA_MAX_STALL_US		20000

/*
 * How long an SVA domain's notifier keeps the core's walk of its bound mms
 * busy on each kernel-range invalidation. The core holds iommu_sva_lock
 * over the walk so that an mm's last unbind cannot take it off the list
 * under the walker's feet; the stall turns that microsecond window into
 * milliseconds, so that a core without the lock crashes on the list
 * poison in a test, not once a year in the field. A busy wait: the
 * callback may not sleep.
 */
static unsigned int kva_stall_us;
module_param(kva_stall_us, uint, 0644);
MODULE_PARM_DESC(kva_stall_us,
		 "busy-wait this long (at most 20000) in each SVA domain's kernel-range invalidation");

/**
 * struct mock_kva_watch - an mmu notifier on an mm, not an SVA domain
 * @mn: the notifier
 * @mm: its mm (the notifier holds an mmgrab)
 * @owner: the file that made it; compared, never dereferenced
 * @id: its id, module-wide, never reused
 * @count: kernel-range invalidations seen
 * @node: in mock_kva_watches
 */
struct mock_kva_watch {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	struct mock_file *owner;
	u32 id;
	atomic_t count;
	struct list_head node;
};

static DEFINE_MUTEX(mock_kva_lock);	/* protects the two below */
static LIST_HEAD(mock_kva_watches);
static u32 mock_kva_last_id;

/* Does [@start, @end) lie in the kernel's half of @mm's address space? */
static bool mock_kva_range(struct mm_struct *mm, unsigned long start)
{
	return start >= mm->task_size;
}

/*
 * Called from an SVA domain's notifier: counts and swallows a kernel-range
 * invalidation, which is never recorded with the user ranges.
 */
bool mock_kva_invalidate(struct mock_domain *md, struct mm_struct *mm,
			 unsigned long start, unsigned long end)
{
	unsigned int us;

	if (!mock_kva_range(mm, start))
		return false;
	atomic_inc(&md->nr_kva_inval);
	/* Only here: every user-range invalidation passes through too */
	us = min_t(unsigned int, READ_ONCE(kva_stall_us), MOCK_KVA_MAX_STALL_US);
	for (; us >= 1000; us -= 1000)
		mdelay(1);
	udelay(us);
	return true;
}

static void mock_kva_watch_invalidate(struct mmu_notifier *mn,
				      struct mm_struct *mm,
				      unsigned long start, unsigned long end)
{
	struct mock_kva_watch *w = container_of(mn, struct mock_kva_watch, mn);

	if (mock_kva_range(mm, start))
		atomic_inc(&w->count);
}

static const struct mmu_notifier_ops mock_kva_watch_ops = {
	.arch_invalidate_secondary_tlbs = mock_kva_watch_invalidate,
};

#if defined(CONFIG_ASYNC_KERNEL_PGTABLE_FREE) && \
	defined(CONFIG_HAVE_ARCH_HUGE_VMALLOC) && defined(CONFIG_X86_64)
/*
 * One attempt: give the 2 MiB block at @addr a PTE table, empty it, and let
 * a huge vmalloc() at the same address replace it with a PMD mapping. True
 * when the kernel freed the PTE table.
 */
static int mock_kva_attempt(struct page **pages, bool *freed)
{
	unsigned int nr = PMD_SIZE >> PAGE_SHIFT;
	unsigned int level;
	void *small, *huge;

	/* Purge first: what was lazily freed below must not open up later */
	vm_unmap_aliases();
	/* VM_IOREMAP aligns the area to its size: one whole PMD */
	small = vmap(pages, nr, VM_MAP | VM_IOREMAP, PAGE_KERNEL);
	if (!small)
		return -ENOMEM;
	/* Clears the PTEs; the PTE table stays in the PMD */
	vunmap(small);
	vm_unmap_aliases();

	huge = vmalloc_huge(PMD_SIZE, GFP_KERNEL);
	if (!huge)
		return -ENOMEM;
	/*
	 * Mapped at the same PMD with a huge page: vmap_try_huge_pmd() found
	 * the empty PTE table there and freed it through pmd_free_pte_page().
	 * It falls back to small pages when it cannot (ptdump holds the lock,
	 * no 2 MiB page), and the area may land at a lower block that opened.
	 */
	*freed = huge == small && lookup_address((unsigned long)huge, &level) &&
		 level == PG_LEVEL_2M;
	vfree(huge);
	return 0;
}

static int mock_kva_free_pgtable(u32 max_attempts, u32 *attempts, u32 *freed)
{
	unsigned int i, nr = PMD_SIZE >> PAGE_SHIFT;
	struct page **pages, *page;
	bool done = false;
	int rc = 0;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!page || !pages) {
		rc = -ENOMEM;
		goto out;
	}
	/* Any page does: nothing is ever accessed through the mapping */
	for (i = 0; i < nr; i++)
		pages[i] = page;

	for (*attempts = 0; *attempts < max_attempts && !done;) {
		++*attempts;
		rc = mock_kva_attempt(pages, &done);
		if (rc)
			break;
		cond_resched();
	}
	*freed = done;
out:
	kvfree(pages);
	if (page)
		__free_page(page);
	return rc;
}
#else
static int mock_kva_free_pgtable(u32 max_attempts, u32 *attempts, u32 *freed)
{
	return -EOPNOTSUPP;
}
#endif

int mock_kva_cmd_free(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_kva_free *kf = &cmd->kva_free;

	if (kf->__reserved || kf->max_attempts > MOCK_IOMMU_KVA_MAX_ATTEMPTS)
		return -EINVAL;
	return mock_kva_free_pgtable(kf->max_attempts ?: MOCK_KVA_DEFAULT_ATTEMPTS,
				     &kf->out_attempts, &kf->out_freed);
}

int mock_kva_cmd_count(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_kva_count *kc = &cmd->kva_count;
	struct mock_kva_watch *w;
	int rc;

	kc->out_domain_count = 0;
	kc->out_watch_count = 0;
	if (kc->domain_id) {
		rc = mock_domain_kva_count(kc->domain_id, &kc->out_domain_count);
		if (rc)
			return rc;
	}
	if (!kc->watch_id)
		return 0;
	rc = -ENOENT;
	mutex_lock(&mock_kva_lock);
	list_for_each_entry(w, &mock_kva_watches, node) {
		if (w->id == kc->watch_id && w->owner == mf) {
			kc->out_watch_count = atomic_read(&w->count);
			rc = 0;
			break;
		}
	}
	mutex_unlock(&mock_kva_lock);
	return rc;
}

int mock_kva_cmd_watch(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_kva_watch *kw = &cmd->kva_watch;
	struct mock_kva_watch *w;
	int rc;

	if (kw->__reserved)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;
	w = kzalloc_obj(*w);
	if (!w)
		return -ENOMEM;
	w->mn.ops = &mock_kva_watch_ops;
	w->mm = current->mm;
	w->owner = mf;
	rc = mmu_notifier_register(&w->mn, w->mm);
	if (rc) {
		kfree(w);
		return rc;
	}
	mutex_lock(&mock_kva_lock);
	w->id = ++mock_kva_last_id;
	list_add_tail(&w->node, &mock_kva_watches);
	mutex_unlock(&mock_kva_lock);
	kw->out_watch_id = w->id;
	return 0;
}

/* Drops the watches of @mf, or every one when @mf is NULL. */
void mock_kva_release_file(struct mock_file *mf)
{
	struct mock_kva_watch *w, *next;
	LIST_HEAD(gone);

	mutex_lock(&mock_kva_lock);
	list_for_each_entry_safe(w, next, &mock_kva_watches, node)
		if (!mf || w->owner == mf)
			list_move(&w->node, &gone);
	mutex_unlock(&mock_kva_lock);

	list_for_each_entry_safe(w, next, &gone, node) {
		/* Also fine when the mm already exited: the notifier grabbed it */
		mmu_notifier_unregister(&w->mn, w->mm);
		kfree(w);
	}
}
