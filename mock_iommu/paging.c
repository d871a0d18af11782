// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains of the mock IOMMU, the kind iommufd allocates for
 * IOMMU_HWPT_ALLOC: an I/O page table that map_pages() and unmap_pages()
 * fill and empty, installed at a PASID through the same strict PASID table
 * as SVA domains (domain.c). The devices' transfers (dma.c) translate
 * through it with mock_paging_translate().
 *
 * The page table is an xarray, IOVA page -> the physical page frame and
 * its IOMMU_READ/IOMMU_WRITE bits, at the CPU's page size only. Whoever
 * maps a page (iommufd) keeps it pinned until unmap_pages() has returned;
 * a transfer takes its own reference under the xarray's lock, so an unmap
 * racing with it never leaves it holding a freed page, and so does a
 * device TLB entry (dma.c), which unmap_pages() invalidates.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "mock_iommu.h"

#if defined(HAVE_DOMAIN_ALLOC_PAGING_FLAGS) && defined(HAVE_SET_DEV_PASID_OLD)

/* 48-bit IOVAs, like a 4-level page table */
#define MOCK_PAGING_APERTURE_END	((1ULL << 48) - 1)

/* An entry's value: the page frame, then the IOMMU_READ/IOMMU_WRITE bits */
#define MOCK_PTE_PROT_BITS	2
#define MOCK_PTE_PROT_MASK	(IOMMU_READ | IOMMU_WRITE)

static_assert(MOCK_PTE_PROT_MASK < (1 << MOCK_PTE_PROT_BITS));

static void *mock_pte(phys_addr_t paddr, int prot)
{
	return xa_mk_value((PHYS_PFN(paddr) << MOCK_PTE_PROT_BITS) |
			   (prot & MOCK_PTE_PROT_MASK));
}

static unsigned long mock_pte_pfn(void *pte)
{
	return xa_to_value(pte) >> MOCK_PTE_PROT_BITS;
}

static int mock_pte_prot(void *pte)
{
	return xa_to_value(pte) & MOCK_PTE_PROT_MASK;
}

/*
 * Something only a core or iommufd bug does: mapping over a live entry,
 * unmapping a hole. There is no device to blame, so it counts on the
 * domain's instance and module-wide.
 */
static void mock_paging_unexpected(struct mock_domain *md, const char *what,
				   unsigned long iova)
{
	mock_count(md->inst, MOCK_CNT_UNEXPECTED_CALLS, 1);
	pr_notice_ratelimited("mock_iommu: unexpected call: %s (paging domain %u, IOVA page %lu)\n",
			      what, md->id, iova >> PAGE_SHIFT);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long i;
	int rc;

	if (pgsize != PAGE_SIZE || !IS_ALIGNED(iova | paddr, PAGE_SIZE))
		return -EINVAL;
	for (i = 0; i < pgcount; i++) {
		rc = xa_insert(&md->pt, (iova >> PAGE_SHIFT) + i,
			       mock_pte(paddr + i * PAGE_SIZE, prot), gfp);
		if (rc) {
			if (rc == -EBUSY)
				mock_paging_unexpected(md, "map_pages over a mapping",
						       iova + i * PAGE_SIZE);
			break;
		}
		*mapped += PAGE_SIZE;
	}
	return i == pgcount ? 0 : rc;
}

/*
 * Like an io-pgtable, stops at the first hole and returns what it unmapped.
 * Then, as a driver flushes the IOTLB and the devices' ATCs before the
 * core's caller (iommufd) unpins the pages, the translations the devices
 * cached of the range go.
 */
static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	size_t i;

	if (pgsize != PAGE_SIZE)
		return 0;
	for (i = 0; i < pgcount; i++) {
		if (!xa_erase(&md->pt, (iova >> PAGE_SHIFT) + i)) {
			mock_paging_unexpected(md, "unmap_pages of a hole",
					       iova + i * PAGE_SIZE);
			break;
		}
	}
	if (i)
		mock_tlb_invalidate(md->id, iova, iova + i * PAGE_SIZE);
	return i * PAGE_SIZE;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct mock_domain *md = to_mock_domain(domain);
	void *pte = xa_load(&md->pt, iova >> PAGE_SHIFT);

	if (!pte)
		return 0;
	return PFN_PHYS(mock_pte_pfn(pte)) + offset_in_page(iova);
}

static int mock_paging_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	return mock_domain_attach(to_mock_domain(domain),
				  dev_iommu_priv_get(dev), pasid,
				  mock_domain_of(old));
}

static void mock_paging_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_instance *inst = md->inst;
	unsigned long index;
	void *pte;

	mutex_lock(&mock_lock);
	WARN_ON(md->attached);
	mutex_unlock(&mock_lock);
	/* iommufd unmaps everything before it frees the domain */
	xa_for_each(&md->pt, index, pte) {
		mock_paging_unexpected(md, "domain freed with mappings",
				       index << PAGE_SHIFT);
		break;
	}
	xa_destroy(&md->pt);
	kfree(md);
	mock_instance_put(inst);
}

const struct iommu_domain_ops mock_paging_domain_ops = {
	.set_dev_pasid = mock_paging_set_dev_pasid,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_paging_domain_free,
};

/*
 * iommufd's IOMMU_HWPT_ALLOC: a paging domain for @dev. The only flag the
 * mock takes is IOMMU_HWPT_ALLOC_PASID (iommufd strips the fault flag:
 * every device with PASIDs sits in its instance's IOPF queue anyway); no
 * nesting, no dirty tracking, no driver data.
 */
struct iommu_domain *mock_domain_alloc_paging_flags(struct device *dev,
						    u32 flags,
						    const struct iommu_user_data *user_data)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_domain *md;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID || user_data)
		return ERR_PTR(-EOPNOTSUPP);

	md = kzalloc_obj(*md);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->paging = true;
	md->domain.type = IOMMU_DOMAIN_UNMANAGED;
	md->domain.ops = &mock_paging_domain_ops;
	md->domain.pgsize_bitmap = PAGE_SIZE;
	md->domain.geometry.aperture_start = 0;
	md->domain.geometry.aperture_end = MOCK_PAGING_APERTURE_END;
	md->domain.geometry.force_aperture = true;
	md->inst = mdev->inst;
	refcount_inc(&md->inst->refs);
	spin_lock_init(&md->lock);
	xa_init(&md->pt);
	md->id = mock_domain_new_id();
	return &md->domain;
}

/*
 * The page at @iova of the paging domain @md, with a reference of the
 * caller's, when it is mapped with the permission the access needs; else
 * NULL: the device faults.
 */
struct page *mock_paging_translate(struct mock_domain *md, u64 iova,
				   bool write)
{
	struct page *page = NULL;
	void *pte;

	if (iova > MOCK_PAGING_APERTURE_END)
		return NULL;
	xa_lock(&md->pt);
	pte = xa_load(&md->pt, iova >> PAGE_SHIFT);
	/* Only memory the kernel has a struct page for: no MMIO */
	if (pte && mock_pte_prot(pte) & (write ? IOMMU_WRITE : IOMMU_READ) &&
	    pfn_valid(mock_pte_pfn(pte))) {
		page = pfn_to_page(mock_pte_pfn(pte));
		get_page(page);
	}
	xa_unlock(&md->pt);
	return page;
}

#else /* no paging domains */

struct page *mock_paging_translate(struct mock_domain *md, u64 iova,
				   bool write)
{
	return NULL;
}

#endif /* paging domains */
