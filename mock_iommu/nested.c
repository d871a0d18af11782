// SPDX-License-Identifier: GPL-2.0
/*
 * A nested domain at a device's RID, standing in for the stage 1 a guest
 * owns under a vIOMMU (iommufd's nested HWPTs on arm-smmu-v3 and intel).
 * Such a domain has a fault handler: the core sends it the page requests
 * that arrive without a PASID, and, when the driver leaves the PASID table
 * to user space (iommu_ops->user_pasid_table, MOCK_IOMMU_INSTANCE_
 * USER_PASID_TABLE), also those at a PASID the host attached nothing to:
 * the guest's PASID table is behind the RID's domain, not in the host's
 * pasid_array. The handler answers each group at once with the code the
 * test chose, as the guest would after its own fault handling.
 *
 * The domain is the module's own (the core's iommu_attach_group_handle(),
 * as iommufd attaches its HWPTs); it has no page table: the mock's devices
 * never translate through the RID.
 */
#include <linux/iommu.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "mock_iommu.h"

#ifdef HAVE_IOMMU_PRIV_H
/* iommu_attach_group_handle() and iommu_detach_group_handle() */
#include <../drivers/iommu/iommu-priv.h>
MODULE_IMPORT_NS("IOMMUFD_INTERNAL");
#endif

/* The ops of a driver with user-managed PASID tables */
struct iommu_ops mock_upt_ops;

/**
 * struct mock_nested - a nested domain attached at a device's RID
 * @obj: in the file's table
 * @domain: the domain: type NESTED, with a fault handler
 * @handle: its attach handle in the group's pasid_array
 * @mdev: the device (held: -EBUSY to destroy while attached)
 * @response: the IOMMU_PAGE_RESP_* code of every answer
 */
struct mock_nested {
	struct mock_obj obj;
	struct iommu_domain domain;
	struct iommu_attach_handle handle;
	struct mock_dev *mdev;
	u32 response;
};

#ifdef HAVE_IOMMU_PRIV_H
/* Runs in iommu_report_device_fault(), in the reporting transfer */
static int mock_nested_iopf_handler(struct iopf_group *group)
{
	struct mock_nested *mn = container_of(group->attach_handle->domain,
					      struct mock_nested, domain);

	mock_dev_count(mn->mdev, MOCK_CNT_NESTED_FAULTS, 1);
	iopf_group_response(group, mn->response);
	iopf_free_group(group);
	return 0;
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_attach_dev,
};

int mock_nested_cmd_attach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_nested_attach *na = &cmd->nested_attach;
	struct iommu_group *group;
	struct mock_nested *mn;
	struct mock_dev *mdev;
	u32 id;
	int rc;

	if (na->__reserved || na->__reserved2 ||
	    na->response > IOMMU_PAGE_RESP_FAILURE)
		return -EINVAL;
	mdev = mock_get(mf, cmd->id, struct mock_dev, MOCK_OBJ_DEVICE);
	if (!mdev)
		return -ENOENT;
	/* The guest's RID is this device's alone; only page requests fault */
	if (mdev->group_peer || !mock_dev_does_pri(mdev))
		return -EINVAL;
	if (READ_ONCE(mdev->rid_type) != IOMMU_DOMAIN_IDENTITY)
		return -EBUSY;

	mn = kzalloc_obj(*mn);
	if (!mn)
		return -ENOMEM;
	mn->obj.type = MOCK_OBJ_NESTED;
	mn->mdev = mdev;
	mn->response = na->response;
	mn->domain.type = IOMMU_DOMAIN_NESTED;
	mn->domain.ops = &mock_nested_ops;
	mn->domain.owner = mdev->inst->iommu.ops;
	mn->domain.iopf_handler = mock_nested_iopf_handler;
	rc = mock_obj_reserve(mf, &id);
	if (rc)
		goto err_free;
	/* On the fault queue before the first request can find the handler */
	rc = mock_iopf_get(mdev, &mn->domain);
	if (rc)
		goto err_unreserve;
	group = iommu_group_get(&mdev->pdev->dev);
	rc = iommu_attach_group_handle(&mn->domain, group, &mn->handle);
	iommu_group_put(group);
	if (rc)
		goto err_iopf;

	mdev->nr_refs++;
	mn->obj.id = id;
	mock_obj_publish(mf, id, &mn->obj);
	memset(na, 0, sizeof(*na));
	na->out_nested_id = id;
	return 0;

err_iopf:
	mock_iopf_put(mdev, &mn->domain);
err_unreserve:
	mock_obj_unreserve(mf, id);
err_free:
	kfree(mn);
	return rc;
}

void mock_nested_destroy(struct mock_file *mf, struct mock_obj *obj)
{
	struct mock_nested *mn = container_of(obj, struct mock_nested, obj);
	struct mock_dev *mdev = mn->mdev;
	struct iommu_group *group;

	mock_obj_remove(mf, obj);
	group = iommu_group_get(&mdev->pdev->dev);
	iommu_detach_group_handle(&mn->domain, group);
	iommu_group_put(group);
	/*
	 * A transfer that found the handle before the detach may still be
	 * in the handler: it holds the dma_lock until it returns. Then the
	 * queue's work, and the device leaves the queue if it was the last.
	 */
	mock_dma_quiesce(mdev);
	mock_iopf_put(mdev, &mn->domain);
	mdev->nr_refs--;
	kfree(mn);
}
#else
int mock_nested_cmd_attach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return -EOPNOTSUPP;
}

void mock_nested_destroy(struct mock_file *mf, struct mock_obj *obj)
{
}
#endif
