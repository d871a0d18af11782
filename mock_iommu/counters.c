// SPDX-License-Identifier: GPL-2.0
/*
 * Event counters of the mock IOMMU: the module-wide set, which
 * mock_count() and mock_dev_count() add to along with those of an instance
 * and of a device, and the read-out of a set into the UAPI's struct
 * mock_iommu_counters (MOCK_IOMMU_OP_COUNTERS).
 */
#include <linux/atomic.h>

#include "mock_iommu.h"

struct mock_counters mock_global_counters;

void mock_counters_read(struct mock_counters *src,
			struct mock_iommu_counters *dst)
{
	dst->domains_allocated = atomic64_read(&src->c[MOCK_CNT_DOMAINS_ALLOCATED]);
	dst->domains_freed = atomic64_read(&src->c[MOCK_CNT_DOMAINS_FREED]);
	dst->domains_alive = atomic64_read(&src->c[MOCK_CNT_DOMAINS_ALIVE]);
	dst->alloc_calls = atomic64_read(&src->c[MOCK_CNT_ALLOC_CALLS]);
	dst->attach_calls = atomic64_read(&src->c[MOCK_CNT_ATTACH_CALLS]);
	dst->attach_failed = atomic64_read(&src->c[MOCK_CNT_ATTACH_FAILED]);
	dst->detach_calls = atomic64_read(&src->c[MOCK_CNT_DETACH_CALLS]);
	dst->bonds_alive = atomic64_read(&src->c[MOCK_CNT_BONDS_ALIVE]);
	dst->handles_alive = atomic64_read(&src->c[MOCK_CNT_HANDLES_ALIVE]);
	dst->devices_probed = atomic64_read(&src->c[MOCK_CNT_DEVICES_PROBED]);
	dst->devices_released = atomic64_read(&src->c[MOCK_CNT_DEVICES_RELEASED]);
	dst->faults_injected = atomic64_read(&src->c[MOCK_CNT_FAULTS_INJECTED]);
	dst->mm_releases = atomic64_read(&src->c[MOCK_CNT_MM_RELEASES]);
	dst->dma_transfers = atomic64_read(&src->c[MOCK_CNT_DMA_TRANSFERS]);
	dst->dma_faults = atomic64_read(&src->c[MOCK_CNT_DMA_FAULTS]);
	dst->page_requests = atomic64_read(&src->c[MOCK_CNT_PAGE_REQUESTS]);
	dst->page_responses = atomic64_read(&src->c[MOCK_CNT_PAGE_RESPONSES]);
	dst->page_responses_failed =
		atomic64_read(&src->c[MOCK_CNT_PAGE_RESPONSES_FAILED]);
	dst->page_responses_stale =
		atomic64_read(&src->c[MOCK_CNT_PAGE_RESPONSES_STALE]);
	dst->unexpected_calls =
		atomic64_read(&src->c[MOCK_CNT_UNEXPECTED_CALLS]);
	dst->kva_invalidations =
		atomic64_read(&src->c[MOCK_CNT_KVA_INVALIDATIONS]);
	dst->nested_faults = atomic64_read(&src->c[MOCK_CNT_NESTED_FAULTS]);
}
