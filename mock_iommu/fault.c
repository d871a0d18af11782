// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection of the mock IOMMU: MOCK_IOMMU_OP_FAULT_INJECT arms a
 * site (domain_alloc_sva(), set_dev_pasid(), page_response()) to fail its
 * next calls with an errno, for any device or for one device or instance
 * of the calling file; the callbacks ask mock_fault_check() whether to
 * fail. One injection per site is armed at a time, and closing the file
 * that armed it disarms it.
 */
#include <linux/errno.h>
#include <linux/spinlock.h>

#include "mock_iommu.h"

/*
 * Fault injection. A target is remembered by the never reused serial of a
 * device or an instance, so a destroyed target can never match a new
 * object allocated at the same address.
 */
struct mock_fault {
	struct mock_file *owner;	/* compared, never dereferenced */
	u64 dev_serial;
	u64 inst_serial;
	u32 count;
	int error;
};

static DEFINE_SPINLOCK(mock_fault_lock);
static struct mock_fault mock_faults[MOCK_IOMMU_FAULT_PAGE_RESPONSE + 1];

int mock_fault_arm(struct mock_file *mf,
		   const struct mock_iommu_fault_inject *fi)
{
	struct mock_fault f = { .owner = mf, .count = fi->count };
	struct mock_obj *obj;

	if (fi->site < MOCK_IOMMU_FAULT_DOMAIN_ALLOC ||
	    fi->site > MOCK_IOMMU_FAULT_PAGE_RESPONSE)
		return -EINVAL;
	/*
	 * Only errnos a callback may return to the core and the core to user
	 * space: none of the kernel-internal ones (ERESTARTSYS, EPROBE_DEFER,
	 * ...), which would restart the ioctl or mean something else to the
	 * core, and nothing beyond MAX_ERRNO, which is no error pointer.
	 */
	if (fi->error > EHWPOISON || (fi->count && !fi->error))
		return -EINVAL;
	f.error = fi->error;

	if (fi->target_id) {
		/* Only devices and instances are targets: nothing else is cast */
		obj = mock_obj_get(mf, fi->target_id, 0);
		if (!obj)
			return -ENOENT;
		switch (obj->type) {
		case MOCK_OBJ_DEVICE:
			f.dev_serial = container_of(obj, struct mock_dev,
						    obj)->serial;
			break;
		case MOCK_OBJ_INSTANCE:
			f.inst_serial = container_of(obj, struct mock_instance,
						     obj)->serial;
			break;
		default:
			return -ENOENT;
		}
	}
	if (!f.count)
		f = (struct mock_fault){};

	spin_lock(&mock_fault_lock);
	mock_faults[fi->site] = f;
	spin_unlock(&mock_fault_lock);
	return 0;
}

void mock_fault_disarm_file(struct mock_file *mf)
{
	int i;

	spin_lock(&mock_fault_lock);
	for (i = 0; i < ARRAY_SIZE(mock_faults); i++)
		if (mock_faults[i].owner == mf)
			mock_faults[i] = (struct mock_fault){};
	spin_unlock(&mock_fault_lock);
}

/* Returns the negative errno to fail the callback with, or 0. */
int mock_fault_check(enum mock_iommu_fault_site site, struct mock_dev *mdev)
{
	struct mock_fault *f = &mock_faults[site];
	int rc = 0;

	spin_lock(&mock_fault_lock);
	if (f->count && (!f->dev_serial || f->dev_serial == mdev->serial) &&
	    (!f->inst_serial || f->inst_serial == mdev->inst->serial)) {
		rc = -f->error;
		if (!--f->count)
			*f = (struct mock_fault){};
	}
	spin_unlock(&mock_fault_lock);
	if (rc)
		mock_dev_count(mdev, MOCK_CNT_FAULTS_INJECTED, 1);
	return rc;
}
