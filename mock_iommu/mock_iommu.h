/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal definitions of the mock SVA IOMMU driver.
 *
 * Lock order, outermost first:
 *
 *   mock_file.lock (per open file, held across a whole command)
 *     -> iommu_sva_lock (core, private)   [bind/unbind]
 *       -> group->mutex (core)             [attach/detach PASID]
 *         -> mock_lock (ours)             [domain table, PASID tables]
 *       -> mmap_lock / SRCU (mmu_notifier_register/unregister)
 *     -> iommu_probe_device_lock (core)   [platform device add/remove]
 *       -> xa_lock of mock_devices, fault_lock (spinlocks)
 *
 * mock_lock is never held while calling into the IOMMU core or while
 * touching user memory, and the driver callbacks never take a file's lock,
 * so a command may hold its file's lock across iommu_sva_bind_device().
 * mmu_notifier callbacks can run in atomic context and only take the
 * per-domain spinlock.
 */
#ifndef _MOCK_IOMMU_INTERNAL_H
#define _MOCK_IOMMU_INTERNAL_H

#include <linux/atomic.h>
#include <linux/iommu.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "uapi/mock_iommu.h"

#define MOCK_PDEV_NAME	"mock_iommu_dev"

/* Indexes of the counters, in the order of struct mock_iommu_counters */
enum mock_counter {
	MOCK_CNT_DOMAINS_ALLOCATED,
	MOCK_CNT_DOMAINS_FREED,
	MOCK_CNT_DOMAINS_ALIVE,
	MOCK_CNT_ALLOC_CALLS,
	MOCK_CNT_ATTACH_CALLS,
	MOCK_CNT_ATTACH_FAILED,
	MOCK_CNT_DETACH_CALLS,
	MOCK_CNT_BONDS_ALIVE,
	MOCK_CNT_HANDLES_ALIVE,
	MOCK_CNT_DEVICES_PROBED,
	MOCK_CNT_DEVICES_RELEASED,
	MOCK_CNT_FAULTS_INJECTED,
	MOCK_CNT_MM_RELEASES,
	MOCK_CNT_NR,
};

/**
 * struct mock_counters - event counters of an instance or of the module
 * @c: one atomic per &enum mock_counter; atomics because some events come
 *	from mmu-notifier callbacks that cannot take a mutex
 */
struct mock_counters {
	atomic64_t c[MOCK_CNT_NR];
};

enum mock_obj_type {
	MOCK_OBJ_INSTANCE = 1,
	MOCK_OBJ_DEVICE,
	MOCK_OBJ_BOND,
};

struct mock_file;

/**
 * struct mock_obj - header of every object in a file's table
 * @type: what the object is
 * @id: its index in the file's xarray
 */
struct mock_obj {
	enum mock_obj_type type;
	u32 id;
};

/**
 * struct mock_instance - one mock IOMMU
 * @obj: table header
 * @iommu: the registered iommu_device
 * @owner: the file that created it
 * @serial: module-wide never reused number, names the sysfs device and
 *	identifies the instance for fault injection without a pointer
 * @flags: &enum mock_iommu_instance_flags
 * @nr_devices: devices sitting behind it (protected by the owner's lock)
 * @counters: events of this instance
 */
struct mock_instance {
	struct mock_obj obj;
	struct iommu_device iommu;
	struct mock_file *owner;
	u64 serial;
	u32 flags;
	unsigned int nr_devices;
	struct mock_counters counters;
};

/**
 * struct mock_dev - one mock device, backed by a platform device
 * @obj: table header
 * @inst: the instance it sits behind
 * @pdev: the platform device
 * @gid: module-wide index in mock_devices, also the platform device id, so
 *	that probe_device() can find us from a bare struct device
 * @serial: never reused number, for fault injection targets
 * @pasid_bits: the "pasid-num-bits" property (0: none)
 * @group_peer: device whose group to join, only used while probing
 * @probed: our probe_device() accepted it
 * @nr_refs: bonds that refer to this device, as their device or as the
 *	device of their core handle (protected by the owner's lock)
 * @pasids: PASID table, pasid -> struct mock_domain (under mock_lock)
 * @nr_attached: entries in @pasids (under mock_lock)
 */
struct mock_dev {
	struct mock_obj obj;
	struct mock_instance *inst;
	struct platform_device *pdev;
	u32 gid;
	u64 serial;
	u32 pasid_bits;
	struct mock_dev *group_peer;
	bool probed;
	unsigned int nr_refs;
	struct xarray pasids;
	unsigned int nr_attached;
};

/**
 * struct mock_domain - an SVA domain allocated by domain_alloc_sva()
 * @domain: the core's domain
 * @inst: the instance that allocated it; only it may install the domain
 * @mm: the mm it serves (the core sets domain.mm only after allocation)
 * @id: module-wide never reused id, the domain's name in the UAPI
 * @attached: (device, PASID) entries pointing at it (under mock_lock)
 * @notifier: our mmu notifier on @mm
 * @lock: protects the fields below, taken from notifier callbacks
 * @freeing: free has started; a release from now on is not an mm exit
 * @released: the notifier saw the mm exit while the domain lived
 * @nr_releases: release callbacks seen
 * @nr_inval: invalidations seen
 * @inval: ring of the last MOCK_IOMMU_INVAL_RECORDS ranges
 */
struct mock_domain {
	struct iommu_domain domain;
	struct mock_instance *inst;
	struct mm_struct *mm;
	u32 id;
	unsigned int attached;
	struct mmu_notifier notifier;
	spinlock_t lock;	/* see above */
	bool freeing;
	bool released;
	u32 nr_releases;
	u32 nr_inval;
	struct mock_iommu_inval_range inval[MOCK_IOMMU_INVAL_RECORDS];
};

/**
 * struct mock_bond - one successful iommu_sva_bind_device()
 * @obj: table header
 * @mdev: the device that was bound
 * @hdev: the device in the core's handle (another device of the group when
 *	the group was already bound at this PASID)
 * @handle: what the core returned
 * @handle_id: identity of @handle
 */
struct mock_bond {
	struct mock_obj obj;
	struct mock_dev *mdev;
	struct mock_dev *hdev;
	struct iommu_sva *handle;
	u32 handle_id;
};

/**
 * struct mock_file - state of one open /dev/mock_iommu
 * @lock: serializes the commands of this file
 * @objs: id -> struct mock_obj
 */
struct mock_file {
	struct mutex lock;	/* see above */
	struct xarray objs;
};

extern struct mutex mock_lock;
extern struct mock_counters mock_global_counters;
extern const struct iommu_ops mock_iommu_ops;
extern const struct iommu_domain_ops mock_sva_domain_ops;
extern unsigned int default_max_pasids;

static inline struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

/* Count an event on an instance (may be NULL) and module-wide. */
static inline void mock_count(struct mock_instance *inst, enum mock_counter c,
			      s64 delta)
{
	if (inst)
		atomic64_add(delta, &inst->counters.c[c]);
	atomic64_add(delta, &mock_global_counters.c[c]);
}

void mock_counters_read(struct mock_counters *src,
			struct mock_iommu_counters *dst);

/* main.c */
struct mock_obj *mock_obj_get(struct mock_file *mf, u32 id,
			      enum mock_obj_type type);

/* instance.c */
struct mock_instance *mock_instance_create(struct mock_file *owner,
					   u32 max_pasids, u32 flags);
void mock_instance_destroy(struct mock_instance *inst);
struct mock_dev *mock_dev_create(struct mock_instance *inst, u32 pasid_bits,
				 struct mock_dev *peer);
void mock_dev_destroy(struct mock_dev *mdev);
int mock_instance_init(void);
void mock_instance_exit(void);

/* domain.c */
struct iommu_domain *mock_domain_alloc_sva(struct device *dev,
					   struct mm_struct *mm);
int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
			       struct device *dev, ioasid_t pasid,
			       struct iommu_domain *old);
int mock_fault_arm(struct mock_file *mf,
		   const struct mock_iommu_fault_inject *fi);
void mock_fault_disarm_file(struct mock_file *mf);
int mock_pasid_info(struct mock_dev *mdev, struct mock_iommu_pasid_info *pi);
int mock_domain_info(struct mock_file *mf, struct mock_iommu_domain_info *di);
int mock_domain_invalidations(struct mock_iommu_invalidations *inv);
void mock_mm_info(struct mock_iommu_mm_info *mi);
void mock_domain_exit(void);

/* bond.c */
int mock_bind(struct mock_file *mf, struct mock_dev *mdev,
	      struct mock_iommu_sva_info *info);
void mock_unbind(struct mock_file *mf, struct mock_bond *bond);
void mock_bond_info(struct mock_bond *bond, struct mock_iommu_sva_info *info);

#endif /* _MOCK_IOMMU_INTERNAL_H */
