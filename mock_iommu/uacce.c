// SPDX-License-Identifier: GPL-2.0
/*
 * uacce devices on mock devices: the SVA core driven by a real in-kernel
 * client. uacce binds the opener's mm on every open() of its char device
 * (one queue per open, so per thread), then asks us for a queue; we hand
 * out a bounded number of queue slots, like hisi_qm, and report what each
 * queue's handle is in the identity space of bonds.
 *
 * Every uacce_ops callback runs under uacce's own mutex, from the uacce
 * fd's fops or from uacce_remove(), and never takes a mock_file lock: see
 * the lock order in mock_iommu.h. uacce_remove() puts every queue and
 * clears uacce->ops, so no callback reaches us after it returns, even
 * while queue fds stay open (they hold uacce's device, not our module).
 */
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uacce.h>

#include "mock_iommu.h"

/**
 * struct mock_uacce_queue - what we keep per uacce queue (its q->priv)
 * @mu: the device it was got from
 * @qid: its slot in @mu->used
 * @handle_id: the identity taken on q->handle
 * @started: start_queue() ran, stop_queue() has not
 */
struct mock_uacce_queue {
	struct mock_uacce *mu;
	u32 qid;
	u32 handle_id;
	bool started;
};

static int mock_uacce_available(struct uacce_device *uacce)
{
	struct mock_uacce *mu = uacce->priv;

	return mu->max_queues - READ_ONCE(mu->nr_queues);
}

/* Called by uacce_fops_open() after it bound q->handle, @arg the PASID */
static int mock_uacce_get_queue(struct uacce_device *uacce, unsigned long arg,
				struct uacce_queue *q)
{
	struct mock_uacce *mu = uacce->priv;
	struct mock_handle *mh_new;
	struct mock_uacce_queue *mq;
	u32 qid;

	/* We registered with UACCE_DEV_SVA: uacce binds before asking us */
	if (WARN_ON(!q->handle))
		return -EINVAL;
	qid = find_first_zero_bit(mu->used, mu->max_queues);
	if (qid >= mu->max_queues)
		return -EBUSY;

	mq = kzalloc_obj(*mq);
	mh_new = mock_handle_alloc();
	if (!mq || !mh_new) {
		kfree(mh_new);
		kfree(mq);
		return -ENOMEM;
	}
	mq->mu = mu;
	mq->qid = qid;
	mq->handle_id = mock_handle_get(q->handle, mu->mdev->inst, &mh_new);
	kfree(mh_new);

	__set_bit(qid, mu->used);
	WRITE_ONCE(mu->nr_queues, mu->nr_queues + 1);
	q->priv = mq;
	return 0;
}

/* uacce calls this before it unbinds q->handle, so the handle is live */
static void mock_uacce_put_queue(struct uacce_queue *q)
{
	struct mock_uacce_queue *mq = q->priv;
	struct mock_uacce *mu = mq->mu;

	mock_handle_put(q->handle, mu->mdev->inst);
	__clear_bit(mq->qid, mu->used);
	WRITE_ONCE(mu->nr_queues, mu->nr_queues - 1);
	q->priv = NULL;
	kfree(mq);
}

static int mock_uacce_start_queue(struct uacce_queue *q)
{
	struct mock_uacce_queue *mq = q->priv;

	mq->started = true;
	return 0;
}

static void mock_uacce_stop_queue(struct uacce_queue *q)
{
	struct mock_uacce_queue *mq = q->priv;

	mq->started = false;
}

static long mock_uacce_ioctl(struct uacce_queue *q, unsigned int cmd,
			     unsigned long arg)
{
	struct mock_uacce_queue *mq = q->priv;
	struct mock_uacce_queue_info info = {};

	if (cmd != MOCK_UACCE_CMD_QUEUE_INFO)
		return -ENOTTY;
	info.queue_id = mq->qid;
	info.state = mq->started ? MOCK_UACCE_QUEUE_STARTED :
				   MOCK_UACCE_QUEUE_INIT;
	info.handle_id = mq->handle_id;
	mock_handle_info(q->handle, &info.pasid, &info.handle_users,
			 &info.domain_id, &info.domain_users);
	/* uacce took its mutex, not the queue's, so faulting here is fine */
	if (copy_to_user((void __user *)arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * No mmap: the device declares no regions (qf_pg_num 0), so uacce hides
 * the region_*_size files and refuses mmap() itself.
 */
static const struct uacce_ops mock_uacce_ops = {
	.get_available_instances = mock_uacce_available,
	.get_queue = mock_uacce_get_queue,
	.put_queue = mock_uacce_put_queue,
	.start_queue = mock_uacce_start_queue,
	.stop_queue = mock_uacce_stop_queue,
	.ioctl = mock_uacce_ioctl,
};

static int mock_uacce_count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* The caller holds the file's lock and reserved the object's id. */
int mock_uacce_create(struct mock_dev *mdev,
		      struct mock_iommu_uacce_create *uc, struct mock_uacce **out)
{
	struct uacce_interface iface = {
		.name = MOCK_IOMMU_UACCE_NAME,
		.flags = UACCE_DEV_SVA,
		.ops = &mock_uacce_ops,
	};
	struct uacce_device *uacce;
	struct iommu_group *group;
	struct mock_uacce *mu;
	unsigned int nr = 0;
	int rc;

	if (!IS_ENABLED(CONFIG_UACCE))
		return -EOPNOTSUPP;

	/*
	 * A group's PASID handle names the device that bound first; alone
	 * in its group, the parent is the device of every queue's handle,
	 * and it outlives the queues.
	 */
	group = iommu_group_get(&mdev->pdev->dev);
	if (!group)
		return -ENODEV;
	iommu_group_for_each_dev(group, &nr, mock_uacce_count_dev);
	iommu_group_put(group);
	if (nr != 1)
		return -EBUSY;

	mu = kzalloc_obj(*mu);
	if (!mu)
		return -ENOMEM;
	mu->used = bitmap_zalloc(uc->max_queues, GFP_KERNEL);
	if (!mu->used) {
		rc = -ENOMEM;
		goto err_free;
	}
	mu->obj.type = MOCK_OBJ_UACCE;
	mu->mdev = mdev;
	mu->max_queues = uc->max_queues;

	uacce = uacce_alloc(&mdev->pdev->dev, &iface);
	if (IS_ERR(uacce)) {
		rc = PTR_ERR(uacce);
		goto err_free;
	}
	/*
	 * uacce_alloc() may drop UACCE_DEV_SVA (older kernels, 6.12 among
	 * them, do when iommu_dev_enable_feature() fails, as it does here),
	 * and then its open() would never bind: like hisi_qm, check what it
	 * negotiated.
	 */
	if (!(uacce->flags & UACCE_DEV_SVA)) {
		dev_info(&mdev->pdev->dev,
			 "mock_iommu: uacce_alloc() dropped UACCE_DEV_SVA\n");
		uacce_remove(uacce);
		rc = -EOPNOTSUPP;
		goto err_free;
	}
	uacce->api_ver = MOCK_IOMMU_UACCE_API;
	uacce->algs = MOCK_IOMMU_UACCE_ALGS;
	uacce->priv = mu;
	mu->uacce = uacce;

	/* From here on open() may call us: @mu must be complete */
	rc = uacce_register(uacce);
	if (rc) {
		/* Undoes uacce_alloc() too, as hisi_qm relies on */
		uacce_remove(uacce);
		goto err_free;
	}
	mdev->nr_refs++;
	uc->out_dev_id = uacce->dev_id;
	*out = mu;
	return 0;

err_free:
	bitmap_free(mu->used);
	kfree(mu);
	return rc;
}

/*
 * Puts and unbinds every open queue (they become zombies) and removes the
 * char device. The caller holds the file's lock and took @mu out of its
 * table.
 */
void mock_uacce_destroy(struct mock_uacce *mu)
{
	uacce_remove(mu->uacce);
	/* The device may live on with the open fds; it is not ours now */
	mu->uacce = NULL;
	WARN_ON(mu->nr_queues);
	mu->mdev->nr_refs--;
	bitmap_free(mu->used);
	kfree(mu);
}
