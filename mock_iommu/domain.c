// SPDX-License-Identifier: GPL-2.0
/*
 * SVA domains of the mock IOMMU: allocation, the per-device PASID tables
 * that set_dev_pasid() fills, the mmu notifier that records what the core
 * and the mm tell a domain, and the read-only queries about them.
 *
 * The core calls domain_alloc_sva(), set_dev_pasid() and free under its
 * iommu_sva_lock, set_dev_pasid() also under group->mutex.
 */
#include <linux/err.h>
#include <linux/mmu_context.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mock_iommu.h"

/*
 * Protects mock_domains, every device's PASID table and the attached
 * counts. Taken inside group->mutex and iommu_sva_lock; never held across
 * a call into the core, mmu_notifier_(un)register or user memory access.
 */
DEFINE_MUTEX(mock_lock);

/* domain id -> struct mock_domain of every live SVA domain */
static DEFINE_XARRAY(mock_domains);
/* Last domain id handed out; ids are never reused while loaded */
static u32 mock_last_domain_id;

static void mock_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mock_domain *md = container_of(mn, struct mock_domain, notifier);
	bool exited;
	unsigned long flags;

	spin_lock_irqsave(&md->lock, flags);
	md->nr_releases++;
	/* mmu_notifier_unregister() from our free also calls release */
	exited = !md->freeing;
	if (exited)
		md->released = true;
	spin_unlock_irqrestore(&md->lock, flags);
	if (exited)
		mock_count(md->inst, MOCK_CNT_MM_RELEASES, 1);
	/* No invalidation comes after this: the mm's pages go unseen */
	mock_tlb_invalidate(md->id, 0, ULONG_MAX);
}

static void mock_mn_invalidate(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long start, unsigned long end)
{
	struct mock_domain *md = container_of(mn, struct mock_domain, notifier);
	unsigned long flags;

	/*
	 * iommu_sva_invalidate_kva_range() flushes the kernel's page table
	 * caches through every SVA mm's notifier, with the kernel's own range
	 * (PAGE_OFFSET up): where the kernel sits is a KASLR secret, so such
	 * a range is counted (per instance, and per domain by kva.c), never
	 * recorded.
	 */
	if (mock_kva_invalidate(md, mm, start, end)) {
		mock_count(md->inst, MOCK_CNT_KVA_INVALIDATIONS, 1);
		return;
	}
	/* May run in atomic context, under the page table lock */
	spin_lock_irqsave(&md->lock, flags);
	md->inval[md->nr_inval % MOCK_IOMMU_INVAL_RECORDS] =
		(struct mock_iommu_inval_range){ .start = start, .end = end };
	md->nr_inval++;
	spin_unlock_irqrestore(&md->lock, flags);
	mock_tlb_invalidate(md->id, start, end);
}

static const struct mmu_notifier_ops mock_mn_ops = {
	.release = mock_mn_release,
	.arch_invalidate_secondary_tlbs = mock_mn_invalidate,
};

struct iommu_domain *mock_domain_alloc_sva(struct device *dev,
					   struct mm_struct *mm)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_instance *inst = mdev->inst;
	struct mock_domain *md;
	int rc;

	mock_count(inst, MOCK_CNT_ALLOC_CALLS, 1);
	rc = mock_fault_check(MOCK_IOMMU_FAULT_DOMAIN_ALLOC, mdev);
	if (rc)
		return ERR_PTR(rc);
	if (inst->flags & MOCK_IOMMU_INSTANCE_NO_SVA)
		return ERR_PTR(-EOPNOTSUPP);

	md = kzalloc_obj(*md);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->domain.ops = &mock_sva_domain_ops;
	md->inst = inst;
	refcount_inc(&inst->refs);
	md->mm = mm;
	spin_lock_init(&md->lock);

	/* Like a real SVA driver: hear about the mm's TLB flushes and exit */
	md->notifier.ops = &mock_mn_ops;
	rc = mmu_notifier_register(&md->notifier, mm);
	if (rc)
		goto err_free;

	mutex_lock(&mock_lock);
	md->id = ++mock_last_domain_id;
	rc = xa_insert(&mock_domains, md->id, md, GFP_KERNEL);
	mutex_unlock(&mock_lock);
	if (rc)
		goto err_unregister;

	mock_count(inst, MOCK_CNT_DOMAINS_ALLOCATED, 1);
	mock_count(inst, MOCK_CNT_DOMAINS_ALIVE, 1);
	return &md->domain;

err_unregister:
	md->freeing = true;
	mmu_notifier_unregister(&md->notifier, mm);
err_free:
	mock_instance_put(inst);
	kfree(md);
	return ERR_PTR(rc);
}

static void mock_sva_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_instance *inst = md->inst;

	mutex_lock(&mock_lock);
	WARN_ON(md->attached);
	xa_erase(&mock_domains, md->id);
	mutex_unlock(&mock_lock);

	spin_lock_irq(&md->lock);
	md->freeing = true;
	spin_unlock_irq(&md->lock);
	/*
	 * The core already dropped its mmgrab, but the notifier holds its own
	 * until this returns, and no callback runs after it.
	 */
	mmu_notifier_unregister(&md->notifier, md->mm);

	kfree(md);
	mock_count(inst, MOCK_CNT_DOMAINS_FREED, 1);
	mock_count(inst, MOCK_CNT_DOMAINS_ALIVE, -1);
	mock_instance_put(inst);
}

/* Point @pasid of @mdev at @md (NULL: clear it). Under mock_lock. */
static int mock_pasid_set(struct mock_dev *mdev, ioasid_t pasid,
			  struct mock_domain *md)
{
	struct mock_domain *prev;

	lockdep_assert_held(&mock_lock);
	if (md)
		prev = xa_store(&mdev->pasids, pasid, md, GFP_KERNEL);
	else
		prev = xa_erase(&mdev->pasids, pasid);
	if (xa_is_err(prev))
		return xa_err(prev);
	if (prev) {
		prev->attached--;
		mdev->nr_attached--;
	}
	if (md) {
		md->attached++;
		mdev->nr_attached++;
	}
	return 0;
}

/*
 * The core promised a driver never to make certain calls. Hardware would
 * misbehave or refuse; we count each such call, so that every test can
 * check that none happened, and refuse it where a driver would.
 */
void mock_unexpected(struct mock_dev *mdev, const char *what, ioasid_t pasid)
{
	mock_dev_count(mdev, MOCK_CNT_UNEXPECTED_CALLS, 1);
	dev_notice_ratelimited(&mdev->pdev->dev,
			       "mock_iommu: unexpected call: %s (PASID %u)\n",
			       what, pasid);
}

/* The PASIDs @mdev has table entries for: 0 when it has no PASID support */
static u32 mock_dev_max_pasids(struct mock_dev *mdev)
{
	if (!mdev->pasid_bits)
		return 0;
	return min_t(u64, 1ULL << mdev->pasid_bits, mdev->inst->iommu.max_pasids);
}

/*
 * Whether the core may call set_dev_pasid() for @pasid of @mdev at all:
 * it skips devices without PASIDs and checks the PASID against max_pasids.
 */
static bool mock_pasid_callable(struct mock_dev *mdev, ioasid_t pasid,
				const char *what)
{
	if (pasid == IOMMU_NO_PASID || pasid >= mock_dev_max_pasids(mdev)) {
		mock_unexpected(mdev, what, pasid);
		return false;
	}
	return true;
}

/*
 * The SVA or paging domain @domain names, NULL when it is none of ours (or
 * none: the static identity and blocked domains have no PASID entry)
 */
struct mock_domain *mock_domain_of(struct iommu_domain *domain)
{
	if (!domain)
		return NULL;
	if (domain->ops == &mock_sva_domain_ops)
		return to_mock_domain(domain);
#if defined(HAVE_DOMAIN_ALLOC_PAGING_FLAGS) && defined(HAVE_SET_DEV_PASID_OLD)
	if (domain->ops == &mock_paging_domain_ops)
		return to_mock_domain(domain);
#endif
	return NULL;
}

/* A never reused domain id, for a paging domain (SVA ones take theirs below) */
u32 mock_domain_new_id(void)
{
	u32 id;

	mutex_lock(&mock_lock);
	id = ++mock_last_domain_id;
	mutex_unlock(&mock_lock);
	return id;
}

/*
 * arm-smmu-v3 builds an SVA domain for the SMMU of the device it is
 * allocated for, and refuses it on a master of another SMMU (-EINVAL); the
 * Intel driver's SVA domain has no per-IOMMU state and serves any of its
 * IOMMUs. The mock does the former unless both instances were created with
 * MOCK_IOMMU_INSTANCE_SHARED_SVA.
 */
static bool mock_domain_serves(struct mock_domain *md, struct mock_dev *mdev)
{
	return md->inst == mdev->inst ||
	       (md->inst->flags & mdev->inst->flags &
		MOCK_IOMMU_INSTANCE_SHARED_SVA);
}

/*
 * Install the SVA or paging domain @md at @pasid of @mdev. @old is the
 * domain the core believes is installed there (NULL for none): a new
 * attach has none, a replace or a rollback names the domain it replaces.
 */
int mock_domain_attach(struct mock_domain *md, struct mock_dev *mdev,
		       ioasid_t pasid, struct mock_domain *old)
{
	struct mock_domain *cur;
	int rc;

	mock_dev_count(mdev, MOCK_CNT_ATTACH_CALLS, 1);
	if (!mock_pasid_callable(mdev, pasid, "set_dev_pasid")) {
		rc = -EINVAL;
		goto out;
	}
	/*
	 * The core checks that a domain comes from the device's driver
	 * (domain->owner) before it offers it: another driver's page tables
	 * are nothing this one could walk.
	 */
	if (md->inst->iommu.ops != mdev->inst->iommu.ops) {
		mock_unexpected(mdev, "set_dev_pasid with another driver's domain",
				pasid);
		rc = -EINVAL;
		goto out;
	}
	/*
	 * Whether a domain serves other instances of the driver is the
	 * driver's choice: -EINVAL tells the core to try another domain or
	 * allocate one. This check comes before fault injection, so that an
	 * injected fault hits the attach that would have succeeded, not the
	 * core's probing of other instances' domains.
	 */
	rc = !mock_domain_serves(md, mdev) ? -EINVAL :
	     mock_fault_check(MOCK_IOMMU_FAULT_SET_DEV_PASID, mdev);
	if (rc)
		goto out;
	/* A domain with a fault handler needs the device on the fault queue */
	rc = mock_iopf_get(mdev, &md->domain);
	if (rc)
		goto out;

	mutex_lock(&mock_lock);
	cur = xa_load(&mdev->pasids, pasid);
	if (cur != old) {
		/* Hardware finds the entry in use: refuse, as intel does */
		mock_unexpected(mdev, cur ? "set_dev_pasid over an existing entry" :
				"set_dev_pasid replacing an empty entry", pasid);
		rc = -EBUSY;
	} else {
		rc = mock_pasid_set(mdev, pasid, md);
	}
	mutex_unlock(&mock_lock);
	/*
	 * A replace (iommufd's, or the core's rollback) swaps the domain
	 * under running transfers: once it returns the old domain may be
	 * freed, so wait for the transfers that may still walk it. They see
	 * the new domain at their next page and stop (aborted).
	 */
	if (!rc && old && old != md)
		mock_dma_quiesce(mdev);
	/* The replaced domain's place on the queue, or the refused one's */
	if (rc)
		mock_iopf_put(mdev, &md->domain);
	else if (old)
		mock_iopf_put(mdev, &old->domain);
out:
	if (rc)
		mock_dev_count(mdev, MOCK_CNT_ATTACH_FAILED, 1);
	return rc;
}

#ifdef HAVE_SET_DEV_PASID_OLD
static int mock_sva_set_dev_pasid(struct iommu_domain *domain,
				  struct device *dev, ioasid_t pasid,
				  struct iommu_domain *old)
{
	return mock_domain_attach(to_mock_domain(domain),
				  dev_iommu_priv_get(dev), pasid,
				  mock_domain_of(old));
}
#else
static int mock_sva_set_dev_pasid(struct iommu_domain *domain,
				  struct device *dev, ioasid_t pasid)
{
	return mock_domain_attach(to_mock_domain(domain),
				  dev_iommu_priv_get(dev), pasid, NULL);
}
#endif

/* Empties the PASID table of a device the core releases. */
void mock_pasid_release(struct mock_dev *mdev)
{
	struct mock_domain *md;
	unsigned long pasid;

	mutex_lock(&mock_lock);
	xa_for_each(&mdev->pasids, pasid, md)
		WARN_ON(mock_pasid_set(mdev, pasid, NULL));
	mutex_unlock(&mock_lock);
}

/*
 * Clearing an entry frees nothing and allocates nothing: cannot fail. Like
 * hardware that stops a PASID, finish the device's transfers and page
 * requests before returning: the core frees the domain after this, and a
 * transfer or a queued page request must not use it (or its mm) then.
 * @old is the domain the core detaches, which must be the entry.
 */
static void mock_pasid_detach(struct device *dev, ioasid_t pasid,
			      struct iommu_domain *old)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_domain *cur;

	mock_dev_count(mdev, MOCK_CNT_DETACH_CALLS, 1);
	if (!mock_pasid_callable(mdev, pasid, "PASID detach"))
		return;
	mutex_lock(&mock_lock);
	cur = xa_load(&mdev->pasids, pasid);
	if (!cur)
		mock_unexpected(mdev, "PASID detach without an entry", pasid);
	else if (old && cur != mock_domain_of(old))
		mock_unexpected(mdev, "PASID detach of another domain", pasid);
	WARN_ON(mock_pasid_set(mdev, pasid, NULL));
	mutex_unlock(&mock_lock);
	mock_dma_drain(mdev, pasid);
	/* Only now may the device leave the fault queue */
	if (cur)
		mock_iopf_put(mdev, &cur->domain);
}

#ifdef HAVE_SET_DEV_PASID_OLD
/*
 * The core detaches a PASID by setting the blocked domain on it with @old
 * the domain that was there.
 */
int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
			       struct device *dev, ioasid_t pasid,
			       struct iommu_domain *old)
{
	mock_pasid_detach(dev, pasid, old);
	return 0;
}
#endif

#ifdef HAVE_REMOVE_DEV_PASID
/* Before 6.13 the core detached a PASID through this op */
void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
			   struct iommu_domain *domain)
{
	mock_pasid_detach(dev, pasid, domain);
}
#endif

const struct iommu_domain_ops mock_sva_domain_ops = {
	.set_dev_pasid = mock_sva_set_dev_pasid,
	.free = mock_sva_domain_free,
};

static int mock_count_attached(struct device *dev, void *data)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	/* Under group->mutex, then mock_lock: the order of set_dev_pasid() */
	mutex_lock(&mock_lock);
	*(unsigned int *)data += mdev->nr_attached;
	mutex_unlock(&mock_lock);
	return 0;
}

/* Has any device of @mdev's IOMMU group a domain at some PASID? */
bool mock_group_attached(struct mock_dev *mdev)
{
	struct iommu_group *group = iommu_group_get(&mdev->pdev->dev);
	unsigned int n = 0;

	if (!group)
		return false;
	iommu_group_for_each_dev(group, &n, mock_count_attached);
	iommu_group_put(group);
	return n;
}

static int mock_count_sva(struct device *dev, void *data)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_domain *md;
	unsigned long pasid;

	mutex_lock(&mock_lock);
	xa_for_each(&mdev->pasids, pasid, md)
		if (!md->paging)
			(*(unsigned int *)data)++;
	mutex_unlock(&mock_lock);
	return 0;
}

/* Has any device of @mdev's IOMMU group an SVA domain at some PASID? */
bool mock_group_has_sva(struct mock_dev *mdev)
{
	struct iommu_group *group = iommu_group_get(&mdev->pdev->dev);
	unsigned int n = 0;

	if (!group)
		return false;
	iommu_group_for_each_dev(group, &n, mock_count_sva);
	iommu_group_put(group);
	return n;
}

int mock_pasid_info(struct mock_dev *mdev, struct mock_iommu_pasid_info *pi)
{
	struct mock_domain *md;

	mutex_lock(&mock_lock);
	md = xa_load(&mdev->pasids, pi->pasid);
	pi->out_domain_id = md ? md->id : 0;
	pi->out_attached = mdev->nr_attached;
	mutex_unlock(&mock_lock);
	mock_iopf_info(mdev, &pi->out_fault_users, &pi->out_fault_queue);
	return 0;
}

/*
 * A live domain allocated by an instance of @mf, NULL for any other: what
 * another file's domains see of their mms is none of its business. Under
 * mock_lock, which also keeps inst->owner stable.
 */
static struct mock_domain *mock_domain_find(struct mock_file *mf, u32 id)
{
	struct mock_domain *md;

	lockdep_assert_held(&mock_lock);
	md = xa_load(&mock_domains, id);
	return md && md->inst->owner == mf ? md : NULL;
}

int mock_domain_info(struct mock_file *mf, struct mock_iommu_domain_info *di)
{
	struct mock_domain *md;

	mutex_lock(&mock_lock);
	md = mock_domain_find(mf, di->domain_id);
	if (!md) {
		mutex_unlock(&mock_lock);
		return -ENOENT;
	}
	di->out_instance_id = md->inst->obj.id;
	/*
	 * domain->users changes under the core's private iommu_sva_lock,
	 * which we cannot take. The tests read it only when no bind or unbind
	 * runs, so READ_ONCE() gives the settled value.
	 */
	di->out_users = READ_ONCE(md->domain.users);
	di->out_attached = md->attached;
	/* The notifier's mmgrab keeps the mm and its iommu_mm alive */
	di->out_pasid = mm_get_enqcmd_pasid(md->mm);
	di->out_flags = 0;
	if (md->mm == current->mm)
		di->out_flags |= MOCK_IOMMU_DOMAIN_CURRENT_MM;
	spin_lock_irq(&md->lock);
	if (md->released)
		di->out_flags |= MOCK_IOMMU_DOMAIN_MM_RELEASED;
	di->out_invalidations = md->nr_inval;
	spin_unlock_irq(&md->lock);
	mutex_unlock(&mock_lock);
	return 0;
}

int mock_domain_invalidations(struct mock_file *mf,
			      struct mock_iommu_invalidations *inv)
{
	struct mock_domain *md;
	u32 i, n, first;

	mutex_lock(&mock_lock);
	md = mock_domain_find(mf, inv->domain_id);
	if (!md) {
		mutex_unlock(&mock_lock);
		return -ENOENT;
	}
	spin_lock_irq(&md->lock);
	inv->out_count = md->nr_inval;
	inv->out_releases = md->nr_releases;
	n = min_t(u32, md->nr_inval, MOCK_IOMMU_INVAL_RECORDS);
	first = md->nr_inval - n;
	inv->out_nr_records = n;
	memset(inv->out_records, 0, sizeof(inv->out_records));
	for (i = 0; i < n; i++)
		inv->out_records[i] =
			md->inval[(first + i) % MOCK_IOMMU_INVAL_RECORDS];
	spin_unlock_irq(&md->lock);
	mutex_unlock(&mock_lock);
	return 0;
}

int mock_kva_flush(struct mock_iommu_kva_flush *kf)
{
	struct mm_struct *mm = current->mm;
	struct mock_domain *md;
	unsigned long index;
	u32 n = 0;

	if (kf->__reserved || !mm)
		return -EINVAL;
	mutex_lock(&mock_lock);
	xa_for_each(&mock_domains, index, md)
		if (md->mm == mm) {
			/* What mmu_notifier_arch_invalidate_secondary_tlbs() calls */
			mock_mn_invalidate(&md->notifier, mm, PAGE_OFFSET, ~0UL);
			n++;
		}
	mutex_unlock(&mock_lock);
	kf->out_domains = n;
	return 0;
}

void mock_mm_info(struct mock_iommu_mm_info *mi)
{
	struct mm_struct *mm = current->mm;
	struct mock_domain *md;
	unsigned long index;
	u32 n = 0;

	mi->out_pasid = mm ? mm_get_enqcmd_pasid(mm) : MOCK_IOMMU_PASID_INVALID;
	mutex_lock(&mock_lock);
	xa_for_each(&mock_domains, index, md)
		if (md->mm == mm)
			n++;
	mutex_unlock(&mock_lock);
	mi->out_domains = n;
}

/* Kernel-range invalidations of a live SVA domain, see kva.c */
int mock_domain_kva_count(u32 domain_id, u32 *count)
{
	struct mock_domain *md;
	int rc = -ENOENT;

	mutex_lock(&mock_lock);
	md = xa_load(&mock_domains, domain_id);
	if (md) {
		*count = atomic_read(&md->nr_kva_inval);
		rc = 0;
	}
	mutex_unlock(&mock_lock);
	return rc;
}

void mock_domain_exit(void)
{
	WARN_ON(!xa_empty(&mock_domains));
	xa_destroy(&mock_domains);
}
