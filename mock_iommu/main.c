// SPDX-License-Identifier: GPL-2.0
/*
 * Mock SVA IOMMU driver: the /dev/mock_iommu test interface.
 *
 * Every open file owns a table of objects (instances, devices, bonds, uacce
 * devices). One ioctl, MOCK_IOMMU_CMD, carries a struct mock_iommu_cmd that
 * grows the way iommufd's commands do: the caller says how big its
 * structure is, the kernel wants at least the part the op uses, and
 * zero-filled tails the kernel does not know about are accepted. Most ops
 * run under the file's lock; transfers (MOCK_IOMMU_OP_DMA) take it only to
 * find their device.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mock_iommu.h"

/*
 * Serializes registering and unregistering instances (iommu_device_register()
 * probes every platform device) with creating and destroying devices, across
 * files. Taken under a file's lock, outside every core lock.
 */
static DEFINE_MUTEX(mock_topology_lock);

unsigned int default_max_pasids = 1U << 20;
module_param(default_max_pasids, uint, 0444);
MODULE_PARM_DESC(default_max_pasids,
		 "max_pasids of instances created with max_pasids 0");

static int mock_cmd_instance_create(struct mock_file *mf,
				    struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_instance_create *ic = &cmd->instance_create;
	struct mock_instance *inst;
	u32 id;
	int rc;

	if (ic->__reserved ||
	    ic->flags & ~(MOCK_IOMMU_INSTANCE_NO_SVA |
			  MOCK_IOMMU_INSTANCE_SHARED_SVA |
			  MOCK_IOMMU_INSTANCE_FOREIGN |
			  MOCK_IOMMU_INSTANCE_NO_SVA_OP |
			  MOCK_IOMMU_INSTANCE_USER_PASID_TABLE))
		return -EINVAL;
	/* One driver of each kind: no foreign driver without SVA, ... */
	if (hweight32(ic->flags & (MOCK_IOMMU_INSTANCE_FOREIGN |
				   MOCK_IOMMU_INSTANCE_NO_SVA_OP |
				   MOCK_IOMMU_INSTANCE_USER_PASID_TABLE)) > 1)
		return -EINVAL;
#ifndef HAVE_USER_PASID_TABLE
	if (ic->flags & MOCK_IOMMU_INSTANCE_USER_PASID_TABLE)
		return -EOPNOTSUPP;
#endif

	rc = mock_obj_reserve(mf, &id);
	if (rc)
		return rc;
	mutex_lock(&mock_topology_lock);
	inst = mock_instance_create(mf, ic->max_pasids, ic->flags);
	mutex_unlock(&mock_topology_lock);
	if (IS_ERR(inst)) {
		mock_obj_unreserve(mf, id);
		return PTR_ERR(inst);
	}
	inst->obj.id = id;
	mock_obj_publish(mf, id, &inst->obj);
	ic->out_instance_id = id;
	return 0;
}

static int mock_cmd_device_create(struct mock_file *mf,
				  struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_device_create *dc = &cmd->device_create;
	struct mock_dev *mdev, *peer = NULL;
	struct mock_instance *inst;
	struct iommu_group *group;
	u32 id;
	int rc;

	if (dc->__reserved || dc->pasid_bits > 20)
		return -EINVAL;
	inst = mock_get(mf, dc->instance_id, struct mock_instance,
			MOCK_OBJ_INSTANCE);
	if (!inst)
		return -ENOENT;
	if (dc->group_with) {
		peer = mock_get(mf, dc->group_with, struct mock_dev,
				MOCK_OBJ_DEVICE);
		if (!peer)
			return -ENOENT;
		/* A group never spans IOMMUs */
		if (peer->inst != inst)
			return -EINVAL;
		/* A uacce parent's queue handles must all name it */
		if (mock_uacce_parent(mf, peer))
			return -EBUSY;
		/*
		 * The core attaches a group's PASIDs to the members it has at
		 * the time: a newcomer would have no entry at them, and their
		 * detach would reach it as an unexpected call
		 */
		if (mock_group_attached(peer))
			return -EBUSY;
	}

	rc = mock_obj_reserve(mf, &id);
	if (rc)
		return rc;
	mutex_lock(&mock_topology_lock);
	mdev = mock_dev_create(inst, dc->pasid_bits, peer);
	mutex_unlock(&mock_topology_lock);
	if (IS_ERR(mdev)) {
		mock_obj_unreserve(mf, id);
		return PTR_ERR(mdev);
	}
	inst->nr_devices++;
	mdev->obj.id = id;
	mock_obj_publish(mf, id, &mdev->obj);

	dc->out_device_id = id;
	dc->out_max_pasids = mdev->pdev->dev.iommu->max_pasids;
	group = iommu_group_get(&mdev->pdev->dev);
	dc->out_group_id = iommu_group_id(group);
	iommu_group_put(group);
	dc->out_instance_id = dc->instance_id;
	return 0;
}

/* Takes @obj out of the table and frees it, if nothing depends on it. */
static int mock_obj_destroy(struct mock_file *mf, struct mock_obj *obj)
{
	struct mock_instance *inst;
	struct mock_dev *mdev;

	switch (obj->type) {
	case MOCK_OBJ_INSTANCE:
		inst = container_of(obj, struct mock_instance, obj);
		if (inst->nr_devices)
			return -EBUSY;
		mock_obj_remove(mf, obj);
		mutex_lock(&mock_topology_lock);
		mock_instance_destroy(inst);
		mutex_unlock(&mock_topology_lock);
		return 0;
	case MOCK_OBJ_DEVICE:
		mdev = container_of(obj, struct mock_dev, obj);
		if (mdev->nr_refs || atomic_read(&mdev->nr_dma))
			return -EBUSY;
		mock_obj_remove(mf, obj);
		mutex_lock(&mock_topology_lock);
		mock_dev_destroy(mdev);
		mutex_unlock(&mock_topology_lock);
		return 0;
	case MOCK_OBJ_BOND:
		mock_unbind(mf, container_of(obj, struct mock_bond, obj));
		return 0;
	case MOCK_OBJ_UACCE:
		mock_obj_remove(mf, obj);
		mock_uacce_destroy(container_of(obj, struct mock_uacce, obj));
		return 0;
	case MOCK_OBJ_IOMMUFD:
		return mock_iommufd_unbind(mf, obj);
	case MOCK_OBJ_NESTED:
		mock_nested_destroy(mf, obj);
		return 0;
	}
	return -EINVAL;
}

static int mock_cmd_destroy(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_obj *obj = mock_obj_get(mf, cmd->id, 0);

	if (!obj)
		return -ENOENT;
	return mock_obj_destroy(mf, obj);
}

static int mock_cmd_bind(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_dev *mdev = mock_get(mf, cmd->id, struct mock_dev,
					 MOCK_OBJ_DEVICE);

	if (!mdev)
		return -ENOENT;
	return mock_bind(mf, mdev, &cmd->sva);
}

static int mock_cmd_bond_info(struct mock_file *mf,
			      struct mock_iommu_cmd *cmd)
{
	struct mock_bond *bond = mock_get(mf, cmd->id, struct mock_bond,
					  MOCK_OBJ_BOND);

	if (!bond)
		return -ENOENT;
	mock_bond_info(bond, &cmd->sva);
	return 0;
}

static int mock_cmd_pasid_info(struct mock_file *mf,
			       struct mock_iommu_cmd *cmd)
{
	struct mock_dev *mdev;

	if (cmd->pasid_info.__reserved)
		return -EINVAL;
	mdev = mock_get(mf, cmd->id, struct mock_dev, MOCK_OBJ_DEVICE);
	if (!mdev)
		return -ENOENT;
	return mock_pasid_info(mdev, &cmd->pasid_info);
}

static int mock_cmd_domain_info(struct mock_file *mf,
				struct mock_iommu_cmd *cmd)
{
	if (cmd->domain_info.__reserved)
		return -EINVAL;
	return mock_domain_info(mf, &cmd->domain_info);
}

static int mock_cmd_mm_info(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	mock_mm_info(&cmd->mm_info);
	return 0;
}

static int mock_cmd_counters(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_obj *obj;

	if (!cmd->id) {
		mock_counters_read(&mock_global_counters, &cmd->counters);
		return 0;
	}
	obj = mock_obj_get(mf, cmd->id, 0);
	if (obj && obj->type == MOCK_OBJ_INSTANCE)
		mock_counters_read(&container_of(obj, struct mock_instance,
						 obj)->counters, &cmd->counters);
	else if (obj && obj->type == MOCK_OBJ_DEVICE)
		mock_counters_read(&container_of(obj, struct mock_dev,
						 obj)->counters, &cmd->counters);
	else
		return -ENOENT;
	return 0;
}

static int mock_cmd_fault_inject(struct mock_file *mf,
				 struct mock_iommu_cmd *cmd)
{
	return mock_fault_arm(mf, &cmd->fault_inject);
}

static int mock_cmd_invalidations(struct mock_file *mf,
				  struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_invalidations *inv = &cmd->invalidations;

	if (inv->__reserved || inv->__reserved2)
		return -EINVAL;
	return mock_domain_invalidations(mf, inv);
}

/*
 * Runs without the file's lock, so that threads sharing the file can run
 * transfers side by side and unbind under them. The device stays: while a
 * transfer counts in nr_dma, destroying it is -EBUSY, and the file cannot
 * be released during an ioctl.
 */
static int mock_cmd_dma(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_dev *mdev;
	int rc;

	mutex_lock(&mf->lock);
	mdev = mock_get(mf, cmd->id, struct mock_dev, MOCK_OBJ_DEVICE);
	if (mdev)
		atomic_inc(&mdev->nr_dma);
	mutex_unlock(&mf->lock);
	if (!mdev)
		return -ENOENT;
	rc = mock_dma(mdev, &cmd->dma);
	atomic_dec(&mdev->nr_dma);
	return rc;
}

static int mock_cmd_kva_flush(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	return mock_kva_flush(&cmd->kva_flush);
}

/* Is @mdev the parent of a uacce device of @mf? */
bool mock_uacce_parent(struct mock_file *mf, struct mock_dev *mdev)
{
	struct mock_obj *obj;
	unsigned long id;

	lockdep_assert_held(&mf->lock);
	mock_for_each_obj(mf, id, obj)
		if (obj->type == MOCK_OBJ_UACCE &&
		    container_of(obj, struct mock_uacce, obj)->mdev == mdev)
			return true;
	return false;
}

static int mock_cmd_uacce_create(struct mock_file *mf,
				 struct mock_iommu_cmd *cmd)
{
	struct mock_iommu_uacce_create *uc = &cmd->uacce_create;
	struct mock_uacce *mu;
	struct mock_dev *mdev;
	u32 id;
	int rc;

	if (uc->flags || !uc->max_queues ||
	    uc->max_queues > MOCK_IOMMU_UACCE_MAX_QUEUES)
		return -EINVAL;
	mdev = mock_get(mf, cmd->id, struct mock_dev, MOCK_OBJ_DEVICE);
	if (!mdev)
		return -ENOENT;
	if (mock_uacce_parent(mf, mdev))
		return -EBUSY;

	rc = mock_obj_reserve(mf, &id);
	if (rc)
		return rc;
	rc = mock_uacce_create(mdev, uc, &mu);
	if (rc) {
		mock_obj_unreserve(mf, id);
		return rc;
	}
	mu->obj.id = id;
	mock_obj_publish(mf, id, &mu->obj);
	uc->out_uacce_id = id;
	return 0;
}

static int mock_cmd_tlb_info(struct mock_file *mf, struct mock_iommu_cmd *cmd)
{
	struct mock_dev *mdev = mock_get(mf, cmd->id, struct mock_dev,
					 MOCK_OBJ_DEVICE);

	if (!mdev)
		return -ENOENT;
	mock_tlb_info(mdev, &cmd->tlb_info);
	return 0;
}

/**
 * struct mock_op - how to run one op
 * @fn: the handler, called with the file's lock held unless @unlocked
 * @min_size: the caller's @size must cover the op's union member
 * @takes_id: @id names an object; otherwise it must be 0
 * @unlocked: @fn takes the file's lock itself, for as long as it needs
 * @new_id: where the handler puts the id of an object it created, so that
 *	a failed copy back to user space can undo the command
 * @out_first: the command cannot be undone (a PASID attached, replaced or
 *	detached through iommufd): the caller's structure is written back
 *	unchanged before it runs, so that a copy that would fail fails first
 */
struct mock_op {
	int (*fn)(struct mock_file *mf, struct mock_iommu_cmd *cmd);
	size_t min_size;
	bool takes_id;
	bool unlocked;
	size_t new_id;
	bool out_first;
};

#define MOCK_OP(_op, _fn, _last, _takes_id, _new_id)			\
	[_op] = {							\
		.fn = _fn,						\
		.min_size = offsetofend(struct mock_iommu_cmd, _last),	\
		.takes_id = _takes_id,					\
		.new_id = _new_id,					\
	}

/* The iommufd PASID ops: take a binding id, create nothing, undo nothing */
#define MOCK_OP_OUT_FIRST(_op, _fn)					\
	[_op] = {							\
		.fn = _fn,						\
		.min_size = offsetofend(struct mock_iommu_cmd, iommufd), \
		.takes_id = true,					\
		.out_first = true,					\
	}

static const struct mock_op mock_ops[] = {
	MOCK_OP(MOCK_IOMMU_OP_INSTANCE_CREATE, mock_cmd_instance_create,
		instance_create, false,
		offsetof(struct mock_iommu_cmd, instance_create.out_instance_id)),
	MOCK_OP(MOCK_IOMMU_OP_DEVICE_CREATE, mock_cmd_device_create,
		device_create, false,
		offsetof(struct mock_iommu_cmd, device_create.out_device_id)),
	/* DESTROY has no union member: the header is all it needs */
	MOCK_OP(MOCK_IOMMU_OP_DESTROY, mock_cmd_destroy, __reserved, true, 0),
	MOCK_OP(MOCK_IOMMU_OP_BIND, mock_cmd_bind, sva, true,
		offsetof(struct mock_iommu_cmd, sva.bond_id)),
	MOCK_OP(MOCK_IOMMU_OP_BOND_INFO, mock_cmd_bond_info, sva, true, 0),
	/* PASID_INFO grew: callers built before the fault queue still work */
	MOCK_OP(MOCK_IOMMU_OP_PASID_INFO, mock_cmd_pasid_info,
		pasid_info.out_attached, true, 0),
	MOCK_OP(MOCK_IOMMU_OP_DOMAIN_INFO, mock_cmd_domain_info, domain_info,
		false, 0),
	MOCK_OP(MOCK_IOMMU_OP_MM_INFO, mock_cmd_mm_info, mm_info, false, 0),
	/*
	 * COUNTERS grew: callers built before unexpected_calls still get the
	 * counters they know (copy_to_user() stops at their size)
	 */
	MOCK_OP(MOCK_IOMMU_OP_COUNTERS, mock_cmd_counters,
		counters.page_responses_stale, true, 0),
	MOCK_OP(MOCK_IOMMU_OP_FAULT_INJECT, mock_cmd_fault_inject,
		fault_inject, false, 0),
	MOCK_OP(MOCK_IOMMU_OP_INVALIDATIONS, mock_cmd_invalidations,
		invalidations, false, 0),
	[MOCK_IOMMU_OP_DMA] = {
		.fn = mock_cmd_dma,
		/* Callers from before out_refused keep working */
		.min_size = offsetofend(struct mock_iommu_cmd, dma.out_response),
		.takes_id = true,
		.unlocked = true,
	},
	MOCK_OP(MOCK_IOMMU_OP_UACCE_CREATE, mock_cmd_uacce_create,
		uacce_create, true,
		offsetof(struct mock_iommu_cmd, uacce_create.out_uacce_id)),
	MOCK_OP(MOCK_IOMMU_OP_NESTED_ATTACH, mock_nested_cmd_attach,
		nested_attach, true,
		offsetof(struct mock_iommu_cmd, nested_attach.out_nested_id)),
	MOCK_OP(MOCK_IOMMU_OP_KVA_FLUSH, mock_cmd_kva_flush, kva_flush, false,
		0),
	MOCK_OP(MOCK_IOMMU_OP_KVA_FREE_PGTABLE, mock_kva_cmd_free, kva_free,
		false, 0),
	MOCK_OP(MOCK_IOMMU_OP_KVA_COUNT, mock_kva_cmd_count, kva_count, false,
		0),
	MOCK_OP(MOCK_IOMMU_OP_KVA_WATCH, mock_kva_cmd_watch, kva_watch, false,
		0),
	MOCK_OP(MOCK_IOMMU_OP_TLB_INFO, mock_cmd_tlb_info, tlb_info, true, 0),
	MOCK_OP(MOCK_IOMMU_OP_IOMMUFD_BIND, mock_iommufd_cmd_bind, iommufd,
		true, offsetof(struct mock_iommu_cmd, iommufd.out_bind_id)),
	MOCK_OP_OUT_FIRST(MOCK_IOMMU_OP_IOMMUFD_ATTACH, mock_iommufd_cmd_attach),
	MOCK_OP_OUT_FIRST(MOCK_IOMMU_OP_IOMMUFD_REPLACE,
			  mock_iommufd_cmd_replace),
	MOCK_OP_OUT_FIRST(MOCK_IOMMU_OP_IOMMUFD_DETACH, mock_iommufd_cmd_detach),
};

static long mock_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct mock_iommu_cmd __user *ucmd = (void __user *)arg;
	struct mock_file *mf = filp->private_data;
	const struct mock_op *op;
	struct mock_iommu_cmd kcmd;
	struct mock_obj *obj;
	u32 size, opnum;
	int rc;

	if (cmd != MOCK_IOMMU_CMD)
		return -ENOTTY;
	if (get_user(size, &ucmd->size))
		return -EFAULT;
	if (size < offsetofend(struct mock_iommu_cmd, op))
		return -EINVAL;
	if (get_user(opnum, &ucmd->op))
		return -EFAULT;
	if (opnum >= ARRAY_SIZE(mock_ops) || !mock_ops[opnum].fn)
		return -EOPNOTSUPP;
	op = &mock_ops[opnum];
	if (size < op->min_size)
		return -EINVAL;
	/* Zero-fills what the caller did not send, -E2BIG on unknown data */
	rc = copy_struct_from_user(&kcmd, sizeof(kcmd), ucmd, size);
	if (rc)
		return rc;
	if (kcmd.__reserved || (!op->takes_id && kcmd.id))
		return -EINVAL;

	if (op->unlocked) {
		/* Creates nothing: there is nothing to undo */
		rc = op->fn(mf, &kcmd);
		if (!rc && copy_to_user(ucmd, &kcmd,
					min_t(size_t, size, sizeof(kcmd))))
			rc = -EFAULT;
		return rc;
	}

	if (op->out_first &&
	    copy_to_user(ucmd, &kcmd, min_t(size_t, size, sizeof(kcmd))))
		return -EFAULT;

	mutex_lock(&mf->lock);
	rc = op->fn(mf, &kcmd);
	if (!rc && copy_to_user(ucmd, &kcmd, min_t(size_t, size, sizeof(kcmd)))) {
		rc = -EFAULT;
		/* A failed command changes nothing: undo a creation */
		if (op->new_id) {
			obj = mock_obj_get(mf, *(u32 *)((u8 *)&kcmd + op->new_id),
					   0);
			if (obj)
				WARN_ON(mock_obj_destroy(mf, obj));
		}
	}
	mutex_unlock(&mf->lock);
	return rc;
}

static int mock_fops_open(struct inode *inode, struct file *filp)
{
	struct mock_file *mf;

	/*
	 * The file mode keeps other users out, but root without
	 * CAP_SYS_ADMIN (a container, a sandbox) must not register IOMMUs
	 * and bind devices either. Like iommufd's test ops, the check is at
	 * open: a file passed on keeps the rights of its opener.
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	mf = kzalloc_obj(*mf);
	if (!mf)
		return -ENOMEM;
	mutex_init(&mf->lock);
	mock_objs_init(mf);
	filp->private_data = mf;
	return 0;
}

/*
 * Tear everything down in dependency order: bonds, uacce devices and
 * iommufd bindings hold devices, devices hold instances; an iommufd binding
 * goes after every SVA bond (see mock_iommufd_unbind()). This may run after
 * the process that bound exited (even from its exit path with current->mm
 * gone): unbinding needs no mm.
 */
static int mock_fops_release(struct inode *inode, struct file *filp)
{
	static const enum mock_obj_type order[] = {
		MOCK_OBJ_BOND, MOCK_OBJ_UACCE, MOCK_OBJ_IOMMUFD,
		MOCK_OBJ_NESTED, MOCK_OBJ_DEVICE, MOCK_OBJ_INSTANCE,
	};
	struct mock_file *mf = filp->private_data;
	struct mock_obj *obj;
	unsigned long id;
	int i;

	mock_fault_disarm_file(mf);
	mock_kva_release_file(mf);
	mutex_lock(&mf->lock);
	for (i = 0; i < ARRAY_SIZE(order); i++)
		mock_for_each_obj(mf, id, obj)
			if (obj->type == order[i])
				WARN_ON(mock_obj_destroy(mf, obj));
	mutex_unlock(&mf->lock);

	mock_objs_destroy(mf);
	mutex_destroy(&mf->lock);
	kfree(mf);
	return 0;
}

static const struct file_operations mock_fops = {
	.owner = THIS_MODULE,
	.open = mock_fops_open,
	.release = mock_fops_release,
	.unlocked_ioctl = mock_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mock_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MOCK_IOMMU_DEVICE_NAME,
	.fops = &mock_fops,
	.mode = 0600,
};

static int __init mock_iommu_init(void)
{
	int rc;

	rc = mock_msi_init();
	if (rc)
		return rc;
	rc = mock_instance_init();
	if (rc)
		goto err_msi;
	rc = misc_register(&mock_miscdev);
	if (rc)
		goto err_instance;
	return 0;

err_instance:
	mock_instance_exit();
err_msi:
	mock_msi_exit();
	return rc;
}

static void __exit mock_iommu_exit(void)
{
	misc_deregister(&mock_miscdev);
	mock_kva_release_file(NULL);
	mock_domain_exit();
	mock_instance_exit();
	mock_msi_exit();
}

module_init(mock_iommu_init);
module_exit(mock_iommu_exit);

MODULE_INFO(test, "Y");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mock SVA IOMMU driver for testing the IOMMU SVA core");
