// SPDX-License-Identifier: GPL-2.0
/*
 * The mock devices in iommufd: a binding does for a mock device what a VFIO
 * device cdev does for a PCI function. The caller hands over its open
 * /dev/iommu; iommufd_device_bind() claims the device's DMA ownership for
 * that context and names the device with a dev_id, which user space then
 * uses with the iommufd UAPI (IOMMU_HWPT_ALLOC, faults). Attach, replace
 * and detach at a PASID go through iommufd_device_attach() and friends,
 * which reach the driver's paging domains (paging.c) through the IOMMU
 * core's PASID attach, the same path and the same strict PASID table as
 * SVA binds.
 *
 * Lock order: mock_file.lock -> iommufd's locks -> group->mutex ->
 * mock_lock. The binding holds the iommufd context (its file) from bind to
 * unbind, as a VFIO device file does.
 */
#include <linux/err.h>
#include <linux/iommufd.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "mock_iommu.h"

/*
 * Paging domains, an iommufd that attaches at a PASID, and CONFIG_IOMMUFD.
 * One condition per line: the in-tree copy resolves the probes with
 * unifdef, which keeps what it cannot evaluate only where it stands alone.
 */
#if defined(HAVE_DOMAIN_ALLOC_PAGING_FLAGS) && defined(HAVE_SET_DEV_PASID_OLD)
#ifdef HAVE_IOMMUFD_DEVICE_PASID
#if IS_ENABLED(CONFIG_IOMMUFD)
#define MOCK_IOMMUFD	1
#endif
#endif
#endif

#ifdef MOCK_IOMMUFD

MODULE_IMPORT_NS("IOMMUFD");

/**
 * struct mock_idev - a mock device bound into an iommufd context
 * @obj: table header
 * @mdev: the device; counted in its nr_refs while bound
 * @idev: iommufd's device, from iommufd_device_bind()
 * @dev_id: its iommufd object id
 * @pasids: the PASIDs attached through this binding (value: xa_mk_value(1))
 * @nr_attached: entries in @pasids
 */
struct mock_idev {
	struct mock_obj obj;
	struct mock_dev *mdev;
	struct iommufd_device *idev;
	u32 dev_id;
	struct xarray pasids;
	u32 nr_attached;
};

/* Has @mdev a binding in @mf's table? */
static bool mock_iommufd_bound(struct mock_file *mf, struct mock_dev *mdev)
{
	struct mock_obj *obj;
	unsigned long id;

	mock_for_each_obj(mf, id, obj)
		if (obj->type == MOCK_OBJ_IOMMUFD &&
		    container_of(obj, struct mock_idev, obj)->mdev == mdev)
			return true;
	return false;
}

int mock_iommufd_cmd_bind(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_iommufd *fd = &cmd->iommufd;
	struct iommufd_ctx *ictx;
	struct mock_idev *mi;
	struct mock_dev *mdev;
	u32 id;
	int rc;

	if (fd->pasid || fd->pt_id || fd->__reserved)
		return -EINVAL;
	mdev = mock_get(mf, cmd->id, struct mock_dev, MOCK_OBJ_DEVICE);
	if (!mdev)
		return -ENOENT;
	if (mock_iommufd_bound(mf, mdev))
		return -EBUSY;

	mi = kzalloc_obj(*mi);
	if (!mi)
		return -ENOMEM;
	mi->obj.type = MOCK_OBJ_IOMMUFD;
	mi->mdev = mdev;
	xa_init(&mi->pasids);
	rc = mock_obj_reserve(mf, &id);
	if (rc)
		goto err_free;

	ictx = iommufd_ctx_from_fd(fd->iommufd);
	if (IS_ERR(ictx)) {
		rc = PTR_ERR(ictx);
		goto err_release;
	}
	/* The binding takes a context reference of its own */
	mi->idev = iommufd_device_bind(ictx, &mdev->pdev->dev, &mi->dev_id);
	iommufd_ctx_put(ictx);
	if (IS_ERR(mi->idev)) {
		rc = PTR_ERR(mi->idev);
		goto err_release;
	}

	mdev->nr_refs++;
	mi->obj.id = id;
	mock_obj_publish(mf, id, &mi->obj);
	memset(fd, 0, sizeof(*fd));
	fd->out_bind_id = id;
	fd->out_dev_id = mi->dev_id;
	return 0;

err_release:
	mock_obj_unreserve(mf, id);
err_free:
	kfree(mi);
	return rc;
}

/* Looks the binding up and checks the input every PASID op shares */
static struct mock_idev *mock_iommufd_get(struct mock_file *mf,
					  struct mock_iommu_cmd *cmd,
					  bool takes_pt, int *rc)
{
	struct mock_iommu_iommufd *fd = &cmd->iommufd;
	struct mock_idev *mi;

	*rc = -EINVAL;
	if (fd->iommufd || fd->__reserved || (!takes_pt && fd->pt_id) ||
	    fd->pasid == IOMMU_NO_PASID || fd->pasid == IOMMU_PASID_INVALID)
		return NULL;
	*rc = -ENOENT;
	mi = mock_get(mf, cmd->id, struct mock_idev, MOCK_OBJ_IOMMUFD);
	if (mi)
		*rc = 0;
	return mi;
}

int mock_iommufd_cmd_attach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_iommufd *fd = &cmd->iommufd;
	struct mock_idev *mi;
	u32 pt_id;
	int rc;

	mi = mock_iommufd_get(mf, cmd, true, &rc);
	if (!mi)
		return rc;
	/* Our record first (-EBUSY when present): nothing fails after the attach */
	rc = xa_insert(&mi->pasids, fd->pasid, xa_mk_value(1), GFP_KERNEL);
	if (rc)
		return rc;
	pt_id = fd->pt_id;
	rc = iommufd_device_attach(mi->idev, fd->pasid, &pt_id);
	if (rc) {
		xa_erase(&mi->pasids, fd->pasid);
		return rc;
	}
	mi->nr_attached++;
	fd->out_pt_id = pt_id;
	fd->out_nr_attached = mi->nr_attached;
	return 0;
}

int mock_iommufd_cmd_replace(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_iommufd *fd = &cmd->iommufd;
	struct mock_idev *mi;
	u32 pt_id;
	int rc;

	mi = mock_iommufd_get(mf, cmd, true, &rc);
	if (!mi)
		return rc;
	/* iommufd itself refuses (-EINVAL) a PASID the device has not attached */
	pt_id = fd->pt_id;
	rc = iommufd_device_replace(mi->idev, fd->pasid, &pt_id);
	if (rc)
		return rc;
	fd->out_pt_id = pt_id;
	fd->out_nr_attached = mi->nr_attached;
	return 0;
}

int mock_iommufd_cmd_detach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_iommufd *fd = &cmd->iommufd;
	struct mock_idev *mi;
	int rc;

	mi = mock_iommufd_get(mf, cmd, false, &rc);
	if (!mi)
		return rc;
	/* iommufd_device_detach() of a PASID never attached is silently nothing */
	if (!xa_erase(&mi->pasids, fd->pasid))
		return -ENOENT;
	iommufd_device_detach(mi->idev, fd->pasid);
	mi->nr_attached--;
	fd->out_nr_attached = mi->nr_attached;
	return 0;
}

/*
 * DESTROY of the binding, or the file's release: detach every PASID (an
 * iommufd device with attachments cannot be unbound), then unbind, which
 * gives the DMA ownership back and drops the context reference.
 *
 * Not while the group has an SVA domain at some PASID: 7.3's
 * iommu_sva_bind_device() does not look at DMA ownership, so a device
 * iommufd owns can be bound, but giving the ownership back with a PASID
 * attached is a driver bug to the core (__iommu_release_dma_ownership()
 * WARNs, and keeps the group owned by the freed context for good). A
 * driver must unbind its SVA bonds first: -EBUSY.
 */
int mock_iommufd_unbind(struct mock_file *mf, struct mock_obj *obj)
{
	struct mock_idev *mi = container_of(obj, struct mock_idev, obj);
	unsigned long pasid;
	void *entry;

	if (mock_group_has_sva(mi->mdev))
		return -EBUSY;
	mock_obj_remove(mf, obj);
	xa_for_each(&mi->pasids, pasid, entry) {
		iommufd_device_detach(mi->idev, pasid);
		xa_erase(&mi->pasids, pasid);
	}
	xa_destroy(&mi->pasids);
	iommufd_device_unbind(mi->idev);
	mi->mdev->nr_refs--;
	kfree(mi);
	return 0;
}

#else /* no iommufd, or it cannot attach PASIDs */

int mock_iommufd_cmd_bind(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int mock_iommufd_cmd_attach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int mock_iommufd_cmd_replace(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int mock_iommufd_cmd_detach(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return -EOPNOTSUPP;
}

/* No binding can exist */
int mock_iommufd_unbind(struct mock_file *mf, struct mock_obj *obj)
{
	return -EINVAL;
}

#endif /* iommufd */
