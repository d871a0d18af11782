// SPDX-License-Identifier: GPL-2.0
/*
 * Bonds: iommu_sva_bind_device() and iommu_sva_unbind_device() on behalf
 * of user space, and never reused identities of the core's struct
 * iommu_sva handles, shared by bonds and uacce queues so that both name
 * the same handle alike.
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mock_iommu.h"

/**
 * struct mock_handle - identity of a struct iommu_sva held by bonds and
 * uacce queues
 * @node: in mock_handles
 * @handle: the core's handle
 * @id: never reused while the module is loaded
 * @nr_holders: bonds and queues holding @handle; the entry goes with the
 *	last one, so a handle the core later allocates at the same address
 *	gets a new id
 */
struct mock_handle {
	struct list_head node;
	struct iommu_sva *handle;
	u32 id;
	unsigned int nr_holders;
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

/**
 * mock_handle_get() - take an identity on a handle the caller holds
 * @handle: a handle from iommu_sva_bind_device(), not yet unbound
 * @inst: the instance to count a new identity on
 * @mh_new: a preallocated entry; consumed (set to NULL) when used, so
 *	that nothing can fail once the core has bound
 *
 * Return: the handle's id, the same for every holder of @handle.
 */
u32 mock_handle_get(struct iommu_sva *handle, struct mock_instance *inst,
		    struct mock_handle **mh_new)
{
	struct mock_handle *mh;
	u32 id;

	mutex_lock(&mock_lock);
	mh = mock_handle_find(handle);
	if (!mh) {
		mh = *mh_new;
		*mh_new = NULL;
		mh->handle = handle;
		mh->id = ++mock_last_handle_id;
		list_add_tail(&mh->node, &mock_handles);
		mock_count(inst, MOCK_CNT_HANDLES_ALIVE, 1);
	}
	mh->nr_holders++;
	id = mh->id;
	mutex_unlock(&mock_lock);
	return id;
}

/* Allocates the entry mock_handle_get() may need; NULL if out of memory */
struct mock_handle *mock_handle_alloc(void)
{
	return kzalloc_obj(struct mock_handle);
}

/* Drops the identity mock_handle_get() took; before unbinding @handle */
void mock_handle_put(struct iommu_sva *handle, struct mock_instance *inst)
{
	struct mock_handle *mh;

	mutex_lock(&mock_lock);
	mh = mock_handle_find(handle);
	if (!WARN_ON(!mh) && !--mh->nr_holders) {
		list_del(&mh->node);
		kfree(mh);
		mock_count(inst, MOCK_CNT_HANDLES_ALIVE, -1);
	}
	mutex_unlock(&mock_lock);
}

/*
 * What a holder of @handle reports about it. Both counts change under the
 * core's private iommu_sva_lock; the tests read them while no bind or
 * unbind runs.
 */
void mock_handle_info(struct iommu_sva *handle, u32 *pasid, u32 *handle_users,
		      u32 *domain_id, u32 *domain_users)
{
	struct iommu_domain *domain = handle->handle.domain;

	*pasid = iommu_sva_get_pasid(handle);
	*handle_users = refcount_read(&handle->users);
	*domain_id = to_mock_domain(domain)->id;
	*domain_users = READ_ONCE(domain->users);
}

void mock_bond_info(struct mock_bond *bond, struct mock_iommu_sva_info *info)
{
	memset(info, 0, sizeof(*info));
	info->bond_id = bond->obj.id;
	info->device_id = bond->mdev->obj.id;
	info->handle_id = bond->handle_id;
	mock_handle_info(bond->handle, &info->pasid, &info->handle_users,
			 &info->domain_id, &info->domain_users);
}

int mock_bind(struct mock_file *mf, struct mock_dev *mdev,
	      struct mock_iommu_sva_info *info)
{
	struct mm_struct *mm = current->mm;
	struct mock_handle *mh_new;
	struct iommu_sva *handle;
	struct mock_bond *bond;
	u32 id;
	int rc;

	if (!mm)
		return -EINVAL;

	/* Allocate everything first: after the bind nothing may fail */
	bond = kzalloc_obj(*bond);
	mh_new = mock_handle_alloc();
	if (!bond || !mh_new) {
		rc = -ENOMEM;
		goto err_free;
	}
	/* Reserve the id; the object becomes visible once it is complete */
	rc = mock_obj_reserve(mf, &id);
	if (rc)
		goto err_free;

	/* The core wants a reference on mm_users from its caller */
	mmget(mm);
	handle = iommu_sva_bind_device(&mdev->pdev->dev, mm);
	mmput(mm);
	if (IS_ERR(handle)) {
		rc = PTR_ERR(handle);
		mock_obj_unreserve(mf, id);
		goto err_free;
	}

	bond->obj.type = MOCK_OBJ_BOND;
	bond->obj.id = id;
	bond->mdev = mdev;
	bond->handle = handle;
	/* When the group is bound already the handle names a peer device */
	bond->hdev = dev_iommu_priv_get(handle->dev);

	bond->handle_id = mock_handle_get(handle, mdev->inst, &mh_new);
	kfree(mh_new);

	/* Devices cannot be destroyed while a bond or its handle uses them */
	mdev->nr_refs++;
	if (bond->hdev != mdev)
		bond->hdev->nr_refs++;
	mock_count(mdev->inst, MOCK_CNT_BONDS_ALIVE, 1);

	mock_obj_publish(mf, id, &bond->obj);
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

	mock_handle_put(bond->handle, mdev->inst);

	/* Not under mock_lock: the core calls back into us */
	iommu_sva_unbind_device(bond->handle);

	mock_obj_remove(mf, &bond->obj);
	mdev->nr_refs--;
	if (bond->hdev != mdev)
		bond->hdev->nr_refs--;
	mock_count(mdev->inst, MOCK_CNT_BONDS_ALIVE, -1);
	kfree(bond);
}
