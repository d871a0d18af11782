// SPDX-License-Identifier: GPL-2.0
/*
 * Bonds: iommu_sva_bind_device() and iommu_sva_unbind_device() on behalf
 * of user space, and never reused identities of the core's struct
 * iommu_sva handles.
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mock_iommu.h"

/**
 * struct mock_handle - identity of a struct iommu_sva held by bonds
 * @node: in mock_handles
 * @handle: the core's handle
 * @id: never reused while the module is loaded
 * @nr_bonds: bonds holding @handle; the entry goes with the last one, so a
 *	handle the core later allocates at the same address gets a new id
 */
struct mock_handle {
	struct list_head node;
	struct iommu_sva *handle;
	u32 id;
	unsigned int nr_bonds;
};

/* Under mock_lock. Few entries live at a time: a list is enough. */
static LIST_HEAD(mock_handles);
static u32 mock_last_handle_id;

static struct mock_handle *mock_handle_find(struct iommu_sva *handle)
{
	struct mock_handle *mh;

	lockdep_assert_held(&mock_lock);
	list_for_each_entry(mh, &mock_handles, node)
		if (mh->handle == handle)
			return mh;
	return NULL;
}

void mock_bond_info(struct mock_bond *bond, struct mock_iommu_sva_info *info)
{
	struct iommu_sva *handle = bond->handle;
	struct iommu_domain *domain = handle->handle.domain;

	memset(info, 0, sizeof(*info));
	info->bond_id = bond->obj.id;
	info->device_id = bond->mdev->obj.id;
	info->pasid = iommu_sva_get_pasid(handle);
	info->handle_id = bond->handle_id;
	/*
	 * Both counts change under the core's private iommu_sva_lock; the
	 * tests read them while no bind or unbind runs.
	 */
	info->handle_users = refcount_read(&handle->users);
	info->domain_id = to_mock_domain(domain)->id;
	info->domain_users = READ_ONCE(domain->users);
}

int mock_bind(struct mock_file *mf, struct mock_dev *mdev,
	      struct mock_iommu_sva_info *info)
{
	struct mm_struct *mm = current->mm;
	struct mock_handle *mh, *mh_new;
	struct iommu_sva *handle;
	struct mock_bond *bond;
	u32 id;
	int rc;

	if (!mm)
		return -EINVAL;

	/* Allocate everything first: after the bind nothing may fail */
	bond = kzalloc_obj(*bond);
	mh_new = kzalloc_obj(*mh_new);
	if (!bond || !mh_new) {
		rc = -ENOMEM;
		goto err_free;
	}
	/* Reserve the id; the object becomes visible once it is complete */
	rc = xa_alloc(&mf->objs, &id, NULL, xa_limit_31b, GFP_KERNEL);
	if (rc)
		goto err_free;

	/* The core wants a reference on mm_users from its caller */
	mmget(mm);
	handle = iommu_sva_bind_device(&mdev->pdev->dev, mm);
	mmput(mm);
	if (IS_ERR(handle)) {
		rc = PTR_ERR(handle);
		xa_release(&mf->objs, id);
		goto err_free;
	}

	bond->obj.type = MOCK_OBJ_BOND;
	bond->obj.id = id;
	bond->mdev = mdev;
	bond->handle = handle;
	/* When the group is bound already the handle names a peer device */
	bond->hdev = dev_iommu_priv_get(handle->dev);

	mutex_lock(&mock_lock);
	mh = mock_handle_find(handle);
	if (!mh) {
		mh = mh_new;
		mh_new = NULL;
		mh->handle = handle;
		mh->id = ++mock_last_handle_id;
		list_add_tail(&mh->node, &mock_handles);
		mock_count(mdev->inst, MOCK_CNT_HANDLES_ALIVE, 1);
	}
	mh->nr_bonds++;
	bond->handle_id = mh->id;
	mutex_unlock(&mock_lock);
	kfree(mh_new);

	/* Devices cannot be destroyed while a bond or its handle uses them */
	mdev->nr_refs++;
	if (bond->hdev != mdev)
		bond->hdev->nr_refs++;
	mock_count(mdev->inst, MOCK_CNT_BONDS_ALIVE, 1);

	/* Storing into a reserved index does not allocate: cannot fail */
	WARN_ON(xa_is_err(xa_store(&mf->objs, id, &bond->obj, GFP_KERNEL)));
	mock_bond_info(bond, info);
	return 0;

err_free:
	kfree(mh_new);
	kfree(bond);
	return rc;
}

/*
 * Works whatever became of the mm that was bound: the SVA domain behind the
 * handle holds an mmgrab on it, and we hold the devices.
 */
void mock_unbind(struct mock_file *mf, struct mock_bond *bond)
{
	struct mock_dev *mdev = bond->mdev;
	struct mock_handle *mh;

	mutex_lock(&mock_lock);
	mh = mock_handle_find(bond->handle);
	if (!WARN_ON(!mh) && !--mh->nr_bonds) {
		list_del(&mh->node);
		kfree(mh);
		mock_count(mdev->inst, MOCK_CNT_HANDLES_ALIVE, -1);
	}
	mutex_unlock(&mock_lock);

	/* Not under mock_lock: the core calls back into us */
	iommu_sva_unbind_device(bond->handle);

	xa_erase(&mf->objs, bond->obj.id);
	mdev->nr_refs--;
	if (bond->hdev != mdev)
		bond->hdev->nr_refs--;
	mock_count(mdev->inst, MOCK_CNT_BONDS_ALIVE, -1);
	kfree(bond);
}
