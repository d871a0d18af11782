// SPDX-License-Identifier: GPL-2.0
/*
 * A device's place on its instance's I/O page fault queue. Real drivers
 * (intel's iopf_refcount, arm-smmu-v3's master->iopf_refcount) put a device
 * on the queue, and enable its page requests, when the first domain with a
 * fault handler is attached at one of its PASIDs, and take it off when the
 * last one goes, after the requests still queued were handled. The mock
 * does the same, so that the core's ordering of attach, detach, replace
 * and release against iopf_queue_add_device()/iopf_queue_remove_device()
 * runs as it does on hardware: a device the core reports a fault for while
 * a fault-capable domain is attached, but which is off the queue, is a
 * WARNING in iommu_report_device_fault().
 *
 * All calls for a device come under the core's group mutex (set_dev_pasid,
 * the detach, release_device); @iopf_lock only keeps the count and the
 * queue's state together for the queries.
 */
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/workqueue.h>

#include "mock_iommu.h"

/* A domain with a fault handler makes the device send page requests */
static bool mock_iopf_needed(struct mock_dev *mdev, struct iommu_domain *domain)
{
	return domain && domain->iopf_handler && mock_dev_does_pri(mdev);
}

/*
 * The first user puts @mdev on the queue: this allocates (the core's fault
 * parameter), so it may fail and the attach with it.
 */
int mock_iopf_get(struct mock_dev *mdev, struct iommu_domain *domain)
{
	int rc = 0;

	if (!mock_iopf_needed(mdev, domain))
		return 0;
	mutex_lock(&mdev->iopf_lock);
	if (!mdev->iopf_users)
		rc = iopf_queue_add_device(mdev->inst->iopf_queue,
					   &mdev->pdev->dev);
	if (!rc)
		mdev->iopf_users++;
	mutex_unlock(&mdev->iopf_lock);
	return rc;
}

/* Under iopf_lock: take @mdev off the queue */
static void mock_iopf_leave(struct mock_dev *mdev)
{
	lockdep_assert_held(&mdev->iopf_lock);
	/*
	 * Requests still in the queue's work use the device and its group;
	 * iopf_queue_remove_device() answers only the groups pending a
	 * response, and frees them, without waiting for that work.
	 */
	WARN_ON(iopf_queue_flush_dev(&mdev->pdev->dev));
	iopf_queue_remove_device(mdev->inst->iopf_queue, &mdev->pdev->dev);
}

/*
 * @domain is no longer installed at a PASID (or the RID) of @mdev, and
 * nothing there runs any more: the last user takes the device off the
 * queue.
 */
void mock_iopf_put(struct mock_dev *mdev, struct iommu_domain *domain)
{
	if (!mock_iopf_needed(mdev, domain))
		return;
	mutex_lock(&mdev->iopf_lock);
	if (!WARN_ON(!mdev->iopf_users) && !--mdev->iopf_users)
		mock_iopf_leave(mdev);
	mutex_unlock(&mdev->iopf_lock);
}

/*
 * The work of @mdev's page requests in the fault queue has run to its end,
 * as intel_drain_pasid_prq() makes sure when it detaches a PASID: through
 * the core's iopf_queue_flush_dev(), which must succeed for a device on
 * the queue. A device off the queue has no work left there (it was flushed
 * when the device left). On release (@released) every PASID goes at once,
 * on the queue or not, and the queue's workqueue itself is flushed.
 */
void mock_iopf_flush(struct mock_dev *mdev, bool released)
{
	if (!mock_dev_does_pri(mdev))
		return;
	if (released) {
		flush_workqueue(mdev->inst->iopf_queue->wq);
		return;
	}
	mutex_lock(&mdev->iopf_lock);
	if (mdev->iopf_users)
		WARN_ON(iopf_queue_flush_dev(&mdev->pdev->dev));
	mutex_unlock(&mdev->iopf_lock);
}

/* The device's PASID table is gone (release_device): so are its users */
void mock_iopf_release(struct mock_dev *mdev)
{
	mutex_lock(&mdev->iopf_lock);
	if (mdev->iopf_users) {
		mdev->iopf_users = 0;
		mock_iopf_leave(mdev);
	}
	mutex_unlock(&mdev->iopf_lock);
}

/*
 * The mock's count, and whether the core has the device on a fault queue
 * (its fault parameter): the two must agree.
 */
void mock_iopf_info(struct mock_dev *mdev, u32 *users, u32 *queued)
{
	struct dev_iommu *param = mdev->pdev->dev.iommu;

	mutex_lock(&mdev->iopf_lock);
	*users = mdev->iopf_users;
	*queued = param && rcu_access_pointer(param->fault_param) ? 1 : 0;
	mutex_unlock(&mdev->iopf_lock);
}
