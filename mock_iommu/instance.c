// SPDX-License-Identifier: GPL-2.0
/*
 * Mock IOMMU instances and devices: iommu_device registration, the
 * iommu_ops the core probes devices with, groups, and the static identity
 * and blocked domains.
 *
 * Devices are platform devices named MOCK_PDEV_NAME.<gid>. They have no
 * firmware node and no fwspec, so the core looks their ops up with
 * iommu_ops_from_fwnode(NULL), which answers the first registered
 * iommu_device with a NULL fwnode. We never call iommu_fwspec_init(): it
 * asserts the core's private iommu_probe_device_lock.
 */
#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "mock_iommu.h"

/* Never reused numbers of instances and devices */
static atomic64_t mock_serial = ATOMIC64_INIT(0);

/*
 * gid -> struct mock_dev of every device being created or alive. Looked up
 * by probe_device(), which runs under iommu_probe_device_lock from the
 * platform bus notifier while the creating command holds its file's lock,
 * so the xarray's own spinlock is all that guards it.
 */
static DEFINE_XARRAY_ALLOC(mock_devices);

/* Marked under the xa_lock: probe_device() must not accept it any more */
static bool mock_dev_dying(struct mock_dev *mdev)
{
	return !mdev->inst;
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct platform_device *pdev;
	struct mock_dev *mdev;
	struct iommu_device *iommu;

	/* Everything else (virtio, PCI, ...) is not ours */
	if (!dev_is_platform(dev))
		return ERR_PTR(-ENODEV);
	pdev = to_platform_device(dev);
	if (strcmp(pdev->name, MOCK_PDEV_NAME) || pdev->id < 0)
		return ERR_PTR(-ENODEV);

	xa_lock(&mock_devices);
	mdev = xa_load(&mock_devices, pdev->id);
	if (!mdev || mock_dev_dying(mdev) || mdev->probed) {
		xa_unlock(&mock_devices);
		return ERR_PTR(-ENODEV);
	}
	mdev->probed = true;
	iommu = &mdev->inst->iommu;
	mock_dev_count(mdev, MOCK_CNT_DEVICES_PROBED, 1);
	xa_unlock(&mock_devices);

	dev_iommu_priv_set(dev, mdev);
	return iommu;
}

static void mock_release_device(struct device *dev)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	/*
	 * The core does not detach the PASIDs of a device that leaves a
	 * group: a peer's bond may still hold the group's PASID. Like real
	 * hardware, the departing device's PASID table goes with it.
	 */
	mock_pasid_release(mdev);
	/* ... and, as on detach, nothing may use those domains afterwards */
	mock_dma_drain(mdev, IOMMU_PASID_INVALID);
	mock_iopf_release(mdev);
	mock_dev_count(mdev, MOCK_CNT_DEVICES_RELEASED, 1);
#ifdef HAVE_RELEASE_DOMAIN
	/*
	 * With a release_domain the core parks the device on it first; one
	 * that never attached (a failed probe) has nothing to park.
	 */
	if (mdev->rid_type && mdev->rid_type != IOMMU_DOMAIN_BLOCKED)
		mock_unexpected(mdev, "release_device while not blocked",
				IOMMU_NO_PASID);
#endif
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct iommu_group *group;

	if (!mdev->group_peer)
		return generic_device_group(dev);

	/* The peer is fully created and cannot go away: we hold its file */
	group = iommu_group_get(&mdev->group_peer->pdev->dev);
	return group ?: ERR_PTR(-ENODEV);
}

/*
 * iommufd binds only devices whose IOMMU keeps their DMA cache coherent
 * (it maps everything IOMMU_CACHE). The mock's devices access memory
 * through the CPU's own mappings: always coherent.
 */
static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static int mock_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

/*
 * A domain at the RID: identity, blocked, or a nested one (nested.c). The
 * mock's devices never translate through the RID, so only its type counts.
 */
#ifdef HAVE_ATTACH_DEV_OLD
int mock_attach_dev(struct iommu_domain *domain, struct device *dev,
		    struct iommu_domain *old)
#else
int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
#endif
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	/* No hardware: switching between RID domains is free */
	WRITE_ONCE(mdev->rid_type, domain->type);
	return 0;
}

static const struct iommu_domain_ops mock_identity_ops = {
	.attach_dev = mock_attach_dev,
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &mock_identity_ops,
};

/*
 * Since 6.13 the core detaches a PASID by installing the blocked domain on
 * it, so the blocked domain needs set_dev_pasid, and
 * iommu_attach_device_pasid() refuses to work without it. Older cores call
 * iommu_ops->remove_dev_pasid() instead.
 */
static const struct iommu_domain_ops mock_blocked_ops = {
	.attach_dev = mock_attach_dev,
#ifdef HAVE_SET_DEV_PASID_OLD
	.set_dev_pasid = mock_blocked_set_dev_pasid,
#endif
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocked_ops,
};

const struct iommu_ops mock_iommu_ops = {
	.domain_alloc_sva = mock_domain_alloc_sva,
#if defined(HAVE_DOMAIN_ALLOC_PAGING_FLAGS) && defined(HAVE_SET_DEV_PASID_OLD)
	.domain_alloc_paging_flags = mock_domain_alloc_paging_flags,
#endif
	.capable = mock_capable,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
	.def_domain_type = mock_def_domain_type,
	.page_response = mock_page_response,
#ifdef HAVE_REMOVE_DEV_PASID
	.remove_dev_pasid = mock_remove_dev_pasid,
#endif
	.owner = THIS_MODULE,
	.identity_domain = &mock_identity_domain,
	.blocked_domain = &mock_blocked_domain,
#ifdef HAVE_RELEASE_DOMAIN
	/*
	 * Like real drivers: the core blocks a device's DMA before releasing
	 * it, so nothing it still does reaches memory through a domain about
	 * to be freed.
	 */
	.release_domain = &mock_blocked_domain,
#endif
};

/*
 * The ops of another driver (MOCK_IOMMU_INSTANCE_FOREIGN), a copy of ours
 * made at load: the same callbacks, but the core tells drivers apart by
 * their ops and must never offer a domain of one to a device of the other
 * (domain->owner).
 */
struct iommu_ops mock_foreign_ops;

/* The ops of a driver without SVA (MOCK_IOMMU_INSTANCE_NO_SVA_OP) */
static struct iommu_ops mock_nosva_ops;

struct mock_instance *mock_instance_create(struct mock_file *owner,
					   u32 max_pasids, u32 flags)
{
	struct mock_instance *inst;
	char name[32];
	int rc;

	inst = kzalloc_obj(*inst);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	inst->obj.type = MOCK_OBJ_INSTANCE;
	inst->owner = owner;
	inst->flags = flags;
	inst->serial = atomic64_inc_return(&mock_serial);
	refcount_set(&inst->refs, 1);
	inst->iommu.max_pasids = max_pasids ?: default_max_pasids;
	snprintf(name, sizeof(name), "mock_iommu.%llu", inst->serial);

	/*
	 * Like a PRI-capable IOMMU: one page request queue per instance.
	 * Without CONFIG_IOMMU_IOPF this is NULL and only the transfer modes
	 * that cannot fault work.
	 */
	if (IS_ENABLED(CONFIG_IOMMU_IOPF)) {
		inst->iopf_queue = iopf_queue_alloc(name);
		if (!inst->iopf_queue) {
			rc = -ENOMEM;
			goto err_free;
		}
	}

	/* The core links probed devices to iommu->dev in sysfs */
	rc = iommu_device_sysfs_add(&inst->iommu, NULL, NULL, "%s", name);
	if (rc)
		goto err_queue;
	rc = iommu_device_register(&inst->iommu,
				   flags & MOCK_IOMMU_INSTANCE_FOREIGN ?
				   &mock_foreign_ops :
				   flags & MOCK_IOMMU_INSTANCE_NO_SVA_OP ?
				   &mock_nosva_ops :
				   flags & MOCK_IOMMU_INSTANCE_USER_PASID_TABLE ?
				   &mock_upt_ops : &mock_iommu_ops, NULL);
	if (rc)
		goto err_sysfs;
	return inst;

err_sysfs:
	iommu_device_sysfs_remove(&inst->iommu);
err_queue:
	iopf_queue_free(inst->iopf_queue);
err_free:
	kfree(inst);
	return ERR_PTR(rc);
}

void mock_instance_put(struct mock_instance *inst)
{
	if (refcount_dec_and_test(&inst->refs))
		kfree(inst);
}

/*
 * The caller made sure no device sits behind @inst any more. SVA domains it
 * allocated may live on, attached to devices of other instances: they keep
 * the structure (not the IOMMU) until they are freed.
 */
void mock_instance_destroy(struct mock_instance *inst)
{
	WARN_ON(inst->nr_devices);
	iommu_device_unregister(&inst->iommu);
	iommu_device_sysfs_remove(&inst->iommu);
	iopf_queue_free(inst->iopf_queue);
	inst->iopf_queue = NULL;
	/* Its table id means nothing any more: no file owns it */
	mutex_lock(&mock_lock);
	inst->owner = NULL;
	mutex_unlock(&mock_lock);
	mock_instance_put(inst);
}

struct mock_dev *mock_dev_create(struct mock_instance *inst, u32 pasid_bits,
				 struct mock_dev *peer)
{
	const struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", pasid_bits),
		{ }
	};
	struct platform_device_info info = {
		.name = MOCK_PDEV_NAME,
		/* Without the property the core sees no PASID support */
		.properties = pasid_bits ? props : NULL,
	};
	struct platform_device *pdev;
	struct mock_dev *mdev;
	int rc;

	mdev = kzalloc_obj(*mdev);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->obj.type = MOCK_OBJ_DEVICE;
	mdev->inst = inst;
	mdev->serial = atomic64_inc_return(&mock_serial);
	mdev->pasid_bits = pasid_bits;
	mdev->group_peer = peer;
	xa_init(&mdev->pasids);
	mutex_init(&mdev->iopf_lock);
	mock_dma_init_dev(mdev);

	rc = xa_alloc(&mock_devices, &mdev->gid, mdev, xa_limit_31b,
		      GFP_KERNEL);
	if (rc)
		goto err_free;

	/* Adding it runs the core's bus notifier, which probes it */
	info.id = mdev->gid;
	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev)) {
		rc = PTR_ERR(pdev);
		goto err_erase;
	}
	mdev->pdev = pdev;
	mdev->group_peer = NULL;
	mock_msi_set(mdev);

	if (!READ_ONCE(mdev->probed) || !pdev->dev.iommu_group) {
		pr_err("mock_iommu: the IOMMU core did not take %s (%s): %s\n",
		       dev_name(&pdev->dev),
		       READ_ONCE(mdev->probed) ? "after the driver's probe" :
		       "the driver was not asked",
		       "an allocation failed in the core, or another IOMMU driver registered with a NULL fwnode first (e.g. intel-iommu with a DMAR table) and owns fwspec-less devices");
		rc = -ENODEV;
		goto err_unregister;
	}

	return mdev;

err_unregister:
	platform_device_unregister(pdev);
err_erase:
	xa_erase(&mock_devices, mdev->gid);
err_free:
	xa_destroy(&mdev->pasids);
	mutex_destroy(&mdev->iopf_lock);
	kfree(mdev);
	return ERR_PTR(rc);
}

/* The caller made sure no bond refers to @mdev any more. */
void mock_dev_destroy(struct mock_dev *mdev)
{
	struct mock_instance *inst = mdev->inst;

	WARN_ON(mdev->nr_refs || atomic_read(&mdev->nr_dma));
	/*
	 * Removing the device releases it from the core (release_device),
	 * which takes it off the fault queue with its PASID table (iopf.c)
	 */
	platform_device_unregister(mdev->pdev);

	/* Keep the gid taken until the platform device name is free */
	xa_lock(&mock_devices);
	mdev->inst = NULL;
	__xa_erase(&mock_devices, mdev->gid);
	xa_unlock(&mock_devices);

	WARN_ON(!xa_empty(&mdev->pasids));
	WARN_ON(!list_empty(&mdev->prq_pending));
	WARN_ON(mdev->tlb.nr);
	WARN_ON(mdev->iopf_users);
	xa_destroy(&mdev->pasids);
	mutex_destroy(&mdev->iopf_lock);
	inst->nr_devices--;
	kfree(mdev);
}

/*
 * Probe a canary device at load, so that a system where another IOMMU
 * driver owns fwspec-less devices fails loudly at insmod rather than at the
 * first test.
 */
int mock_instance_init(void)
{
	struct mock_instance *inst;
	struct mock_dev *mdev;
	int i;

	mock_foreign_ops = mock_iommu_ops;
	mock_nosva_ops = mock_iommu_ops;
	mock_nosva_ops.domain_alloc_sva = NULL;
#ifdef HAVE_USER_PASID_TABLE
	mock_upt_ops = mock_iommu_ops;
	mock_upt_ops.user_pasid_table = 1;
#endif
	inst = mock_instance_create(NULL, 0, 0);
	if (IS_ERR(inst))
		return PTR_ERR(inst);
	inst->nr_devices++;
	mdev = mock_dev_create(inst, 0, NULL);
	if (IS_ERR(mdev)) {
		inst->nr_devices--;
		mock_instance_destroy(inst);
		return PTR_ERR(mdev);
	}
	mock_dev_destroy(mdev);
	mock_instance_destroy(inst);

	/* "Since load" means since the tests could see the module */
	for (i = 0; i < MOCK_CNT_NR; i++)
		atomic64_set(&mock_global_counters.c[i], 0);
	return 0;
}

void mock_instance_exit(void)
{
	WARN_ON(!xa_empty(&mock_devices));
	xa_destroy(&mock_devices);
}
