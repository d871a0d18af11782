/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test interface of the mock SVA IOMMU driver (mock_iommu.ko).
 *
 * The module registers mock IOMMU instances and devices whose iommu_ops
 * drive the kernel's real SVA core. User space creates a topology, binds
 * its own mm through the core and reads back what the core did. Everything
 * goes through one ioctl carrying a &struct mock_iommu_cmd, in the manner
 * of iommufd's IOMMU_TEST_CMD.
 *
 * Conventions:
 * - Objects (instances, devices, bonds, uacce devices) live in a table
 *   owned by the open file; their ids start at 1 and are meaningless on
 *   another file. Closing the file unbinds every bond, removes every uacce
 *   device and destroys every device and instance it created.
 * - Domain and handle ids are global, start at 1 and are never reused
 *   while the module is loaded, so equal ids mean the same kernel object.
 *   No kernel pointer is ever exposed.
 * - Reserved fields and unused flag bits must be zero (-EINVAL).
 * - An id that names no object of the calling file, or an object of another
 *   type than the op takes, is -ENOENT.
 * - A file holds at most %MOCK_IOMMU_MAX_OBJECTS objects; a command that
 *   would create one more (instance, device, bond, uacce device) fails with
 *   -ENOSPC. Ids are reused: a new object takes the lowest free id.
 * - Opening the device needs CAP_SYS_ADMIN (-EPERM), besides the file
 *   mode; an open file keeps working wherever it is passed.
 * - @size is sizeof(struct mock_iommu_cmd) as the caller knows it: smaller
 *   than what the op needs is -EINVAL, larger with a non-zero tail the
 *   kernel does not know is -E2BIG. An unknown @op is -EOPNOTSUPP.
 * - A failed command changes nothing.
 */
#ifndef _UAPI_MOCK_IOMMU_H
#define _UAPI_MOCK_IOMMU_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The misc device, mode 0600: /dev/mock_iommu */
#define MOCK_IOMMU_DEVICE_NAME	"mock_iommu"

/* Objects one open file may hold at a time */
#define MOCK_IOMMU_MAX_OBJECTS	1024

/* mm_get_enqcmd_pasid() of an mm without a PASID */
#define MOCK_IOMMU_PASID_INVALID	(~0U)

/* Number of invalidation ranges kept per domain (a ring, newest last) */
#define MOCK_IOMMU_INVAL_RECORDS	8

/**
 * enum mock_iommu_op - the operations of MOCK_IOMMU_CMD
 * @MOCK_IOMMU_OP_INSTANCE_CREATE: register a mock IOMMU instance
 * @MOCK_IOMMU_OP_DEVICE_CREATE: create a device behind an instance
 * @MOCK_IOMMU_OP_DESTROY: destroy the object @id: an instance (-EBUSY while
 *	it has devices), a device (-EBUSY while it has bonds, a uacce
 *	device or a nested attachment), a bond (unbinds it through iommu_sva_unbind_device()), a
 *	uacce device (uacce_remove(): its open queues are put and unbound and
 *	become zombies, whose fds fail every ioctl with -ENXIO until closed),
 *	an iommufd binding (see &struct mock_iommu_iommufd), or a nested
 *	attachment (see &struct mock_iommu_nested_attach)
 * @MOCK_IOMMU_OP_BIND: iommu_sva_bind_device() of device @id to the
 *	caller's mm; on success a new bond object holds the reference
 * @MOCK_IOMMU_OP_BOND_INFO: what bond @id holds now
 * @MOCK_IOMMU_OP_PASID_INFO: which domain device @id has at a PASID
 * @MOCK_IOMMU_OP_DOMAIN_INFO: state of a live SVA domain of the caller's
 *	instances
 * @MOCK_IOMMU_OP_MM_INFO: the PASID and SVA domains of the caller's mm
 * @MOCK_IOMMU_OP_COUNTERS: event counters, module-wide or of instance @id
 * @MOCK_IOMMU_OP_FAULT_INJECT: make upcoming driver callbacks fail
 * @MOCK_IOMMU_OP_INVALIDATIONS: mmu-notifier records of a live SVA domain
 *	of the caller's instances
 * @MOCK_IOMMU_OP_DMA: make device @id read or write memory at a PASID, the
 *	way hardware would, see &struct mock_iommu_dma
 * @MOCK_IOMMU_OP_UACCE_CREATE: register device @id as the parent of a uacce
 *	device (uacce_alloc() with UACCE_DEV_SVA, uacce_register()), the
 *	in-kernel client that binds on every open() of its char device
 * @MOCK_IOMMU_OP_KVA_FLUSH: flush the kernel's address range through the
 *	SVA domains of the caller's mm, as iommu_sva_invalidate_kva_range()
 *	does when the kernel frees page tables, see
 *	&struct mock_iommu_kva_flush
 * @MOCK_IOMMU_OP_KVA_FREE_PGTABLE: make the kernel free one of its own
 *	page tables, see &struct mock_iommu_kva_free
 * @MOCK_IOMMU_OP_KVA_COUNT: kernel-range invalidations a live SVA domain
 *	or a watch saw, see &struct mock_iommu_kva_count
 * @MOCK_IOMMU_OP_KVA_WATCH: hear the kernel-range invalidations of the
 *	caller's mm, bound or not, see &struct mock_iommu_kva_watch
 * @MOCK_IOMMU_OP_TLB_INFO: the translation cache of device @id, see
 *	&struct mock_iommu_tlb_info
 * @MOCK_IOMMU_OP_IOMMUFD_BIND: bind device @id into an iommufd context,
 *	as a VFIO device cdev does, see &struct mock_iommu_iommufd
 * @MOCK_IOMMU_OP_IOMMUFD_ATTACH: attach binding @id at a PASID to an
 *	iommufd HWPT (iommufd_device_attach())
 * @MOCK_IOMMU_OP_IOMMUFD_REPLACE: replace what binding @id has at a PASID
 *	(iommufd_device_replace())
 * @MOCK_IOMMU_OP_IOMMUFD_DETACH: detach binding @id at a PASID
 *	(iommufd_device_detach())
 * @MOCK_IOMMU_OP_NESTED_ATTACH: attach a nested domain with a fault
 *	handler at the RID of device @id (&struct mock_iommu_nested_attach)
 */
enum mock_iommu_op {
	MOCK_IOMMU_OP_INSTANCE_CREATE = 1,
	MOCK_IOMMU_OP_DEVICE_CREATE,
	MOCK_IOMMU_OP_DESTROY,
	MOCK_IOMMU_OP_BIND,
	MOCK_IOMMU_OP_BOND_INFO,
	MOCK_IOMMU_OP_PASID_INFO,
	MOCK_IOMMU_OP_DOMAIN_INFO,
	MOCK_IOMMU_OP_MM_INFO,
	MOCK_IOMMU_OP_COUNTERS,
	MOCK_IOMMU_OP_FAULT_INJECT,
	MOCK_IOMMU_OP_INVALIDATIONS,
	MOCK_IOMMU_OP_DMA = 12,
	MOCK_IOMMU_OP_UACCE_CREATE = 13,
	MOCK_IOMMU_OP_KVA_FLUSH = 30,
	MOCK_IOMMU_OP_KVA_FREE_PGTABLE = 40,
	MOCK_IOMMU_OP_KVA_COUNT = 41,
	MOCK_IOMMU_OP_KVA_WATCH = 42,
	MOCK_IOMMU_OP_TLB_INFO = 20,
	MOCK_IOMMU_OP_IOMMUFD_BIND = 50,
	MOCK_IOMMU_OP_IOMMUFD_ATTACH = 51,
	MOCK_IOMMU_OP_IOMMUFD_REPLACE = 52,
	MOCK_IOMMU_OP_IOMMUFD_DETACH = 53,
	MOCK_IOMMU_OP_NESTED_ATTACH = 60,
};

/**
 * enum mock_iommu_instance_flags - flags of @instance_create
 * @MOCK_IOMMU_INSTANCE_NO_SVA: the instance refuses SVA domain allocation
 *	with -EOPNOTSUPP, like an IOMMU without SVA support
 * @MOCK_IOMMU_INSTANCE_SHARED_SVA: Intel-like SVA domains: a domain one
 *	such instance allocated may be installed on devices of any other such
 *	instance, so the core reuses one domain per mm across them. Without
 *	it an instance is arm-smmu-v3-like: an SVA domain serves only devices
 *	of the instance that allocated it, set_dev_pasid() refuses it
 *	elsewhere with -EINVAL, and the core allocates one domain per
 *	instance. A domain outlives the instance that allocated it while
 *	devices of other instances use it (DOMAIN_INFO of it is then -ENOENT)
 * @MOCK_IOMMU_INSTANCE_FOREIGN: the instance belongs to another IOMMU
 *	driver: it registers with a second struct iommu_ops. The core must
 *	never offer its SVA domains to devices of the usual driver, nor theirs
 *	to its devices (such a set_dev_pasid() call counts in
 *	@unexpected_calls). Combines with the other flags; SHARED_SVA then
 *	shares among foreign instances only
 * @MOCK_IOMMU_INSTANCE_NO_SVA_OP: the instance's driver has no
 *	domain_alloc_sva op at all (a third struct iommu_ops), like an IOMMU
 *	driver with PASIDs but without SVA: the core refuses a bind itself
 *	(-EOPNOTSUPP) without asking the driver. Not with FOREIGN (-EINVAL)
 * @MOCK_IOMMU_INSTANCE_USER_PASID_TABLE: the instance's driver leaves the
 *	PASID table to user space (iommu_ops->user_pasid_table, a fourth
 *	struct iommu_ops), as arm-smmu-v3 does under a vSMMU: the core sends
 *	a page request at a PASID with nothing attached to the nested domain
 *	at the device's RID (%MOCK_IOMMU_OP_NESTED_ATTACH), if there is one.
 *	Not with FOREIGN or NO_SVA_OP (-EINVAL); -EOPNOTSUPP on a kernel
 *	without user_pasid_table
 */
enum mock_iommu_instance_flags {
	MOCK_IOMMU_INSTANCE_NO_SVA = 1 << 0,
	MOCK_IOMMU_INSTANCE_SHARED_SVA = 1 << 1,
	MOCK_IOMMU_INSTANCE_FOREIGN = 1 << 2,
	MOCK_IOMMU_INSTANCE_NO_SVA_OP = 1 << 3,
	MOCK_IOMMU_INSTANCE_USER_PASID_TABLE = 1 << 4,
};

/**
 * struct mock_iommu_instance_create - MOCK_IOMMU_OP_INSTANCE_CREATE
 * @max_pasids: iommu_device.max_pasids; 0 takes the module parameter
 *	default_max_pasids
 * @flags: &enum mock_iommu_instance_flags
 * @out_instance_id: id of the new instance
 * @__reserved: must be 0
 */
struct mock_iommu_instance_create {
	__u32 max_pasids;
	__u32 flags;
	__u32 out_instance_id;
	__u32 __reserved;
};

/**
 * struct mock_iommu_device_create - MOCK_IOMMU_OP_DEVICE_CREATE
 * @instance_id: the instance the device sits behind
 * @pasid_bits: the device's "pasid-num-bits"; 0 makes a device without
 *	PASID support. At most 20.
 * @group_with: 0 gives the device an IOMMU group of its own; a device id
 *	(of the same instance) puts it in that device's group, -EBUSY when
 *	that device is a uacce parent or its group has a domain attached at
 *	some PASID (the core attaches a group's PASIDs to the members it has
 *	at the time only, and would later detach them from the newcomer too)
 * @__reserved: must be 0
 * @out_device_id: id of the new device
 * @out_max_pasids: the core's dev->iommu->max_pasids, that is
 *	min(1 << @pasid_bits, instance max_pasids)
 * @out_group_id: iommu_group_id() of the device's group
 * @out_instance_id: echo of @instance_id
 *
 * -ENODEV when the IOMMU core did not take the new device: its probe
 * failed before or after asking the driver (an allocation of the core's
 * failing, which the module cannot tell apart), or another IOMMU driver
 * owns devices without firmware nodes. Nothing is left behind.
 */
struct mock_iommu_device_create {
	__u32 instance_id;
	__u32 pasid_bits;
	__u32 group_with;
	__u32 __reserved;
	__u32 out_device_id;
	__u32 out_max_pasids;
	__u32 out_group_id;
	__u32 out_instance_id;
};

/**
 * struct mock_iommu_sva_info - a bond, as MOCK_IOMMU_OP_BIND and
 * MOCK_IOMMU_OP_BOND_INFO report it
 * @bond_id: the bond object
 * @device_id: the device it binds
 * @pasid: iommu_sva_get_pasid() of the handle
 * @handle_id: identity of the struct iommu_sva handle
 * @handle_users: the handle's reference count (binds not yet unbound)
 * @domain_id: identity of the SVA domain behind the handle
 * @domain_users: the core's domain->users (attached (device, PASID) pairs
 *	counted by the core)
 * @__reserved: 0
 */
struct mock_iommu_sva_info {
	__u32 bond_id;
	__u32 device_id;
	__u32 pasid;
	__u32 handle_id;
	__u32 handle_users;
	__u32 domain_id;
	__u32 domain_users;
	__u32 __reserved;
};

/**
 * struct mock_iommu_pasid_info - MOCK_IOMMU_OP_PASID_INFO
 * @pasid: the PASID to look up on device @id
 * @__reserved: must be 0
 * @out_domain_id: the SVA or paging domain the driver has installed at
 *	@pasid, as seen by the mock's PASID table; 0 when none. Paging
 *	domains (what iommufd's IOMMU_HWPT_ALLOC allocates) take their ids
 *	from the same never reused space as SVA domains, but are none of
 *	the SVA queries' business (DOMAIN_INFO, INVALIDATIONS: -ENOENT)
 * @out_attached: number of PASIDs the device has a domain installed at
 * @out_fault_users: of those, the domains with an I/O page fault handler
 *	(SVA domains, and iommufd HWPTs allocated with a fault queue): the
 *	device is on its instance's fault queue, and sends page requests,
 *	only while there is one, as intel's and arm-smmu-v3's are
 * @out_fault_queue: 1 while the core has the device on a fault queue
 *	(between iopf_queue_add_device() and iopf_queue_remove_device()),
 *	0 otherwise; it is 1 exactly when @out_fault_users is not 0
 */
struct mock_iommu_pasid_info {
	__u32 pasid;
	__u32 __reserved;
	__u32 out_domain_id;
	__u32 out_attached;
	__u32 out_fault_users;
	__u32 out_fault_queue;
};

/**
 * enum mock_iommu_domain_flags - out_flags of @domain_info
 * @MOCK_IOMMU_DOMAIN_CURRENT_MM: the domain serves the caller's mm
 * @MOCK_IOMMU_DOMAIN_MM_RELEASED: the domain's mmu notifier saw the mm's
 *	release (the mm exited while the domain was alive)
 */
enum mock_iommu_domain_flags {
	MOCK_IOMMU_DOMAIN_CURRENT_MM = 1 << 0,
	MOCK_IOMMU_DOMAIN_MM_RELEASED = 1 << 1,
};

/**
 * struct mock_iommu_domain_info - MOCK_IOMMU_OP_DOMAIN_INFO
 * @domain_id: a live SVA domain allocated by an instance of the calling
 *	file; -ENOENT once freed, for a domain of another file's instance,
 *	and once its instance is destroyed
 * @__reserved: must be 0
 * @out_instance_id: the calling file's id of the instance that allocated
 *	the domain
 * @out_users: the core's domain->users
 * @out_attached: (device, PASID) pairs the driver has it installed at
 * @out_pasid: the PASID of the mm it serves
 * @out_flags: &enum mock_iommu_domain_flags
 * @out_invalidations: mmu-notifier invalidations seen so far
 */
struct mock_iommu_domain_info {
	__u32 domain_id;
	__u32 __reserved;
	__u32 out_instance_id;
	__u32 out_users;
	__u32 out_attached;
	__u32 out_pasid;
	__u32 out_flags;
	__u32 out_invalidations;
};

/**
 * struct mock_iommu_mm_info - MOCK_IOMMU_OP_MM_INFO, about the caller's mm
 * @out_pasid: mm_get_enqcmd_pasid(), %MOCK_IOMMU_PASID_INVALID if none
 * @out_domains: live mock SVA domains that serve this mm
 */
struct mock_iommu_mm_info {
	__u32 out_pasid;
	__u32 out_domains;
};

/**
 * struct mock_iommu_counters - MOCK_IOMMU_OP_COUNTERS
 *
 * With @id 0 the counters are module-wide, since load; with an instance id
 * of the calling file they count that instance's events only; with a device
 * id, that device's events: its probe and release, attach and detach calls,
 * injected faults, transfers and page requests (the domain, bond and handle
 * counters stay 0 there). Counters only grow, except the *_alive ones.
 *
 * @domains_allocated: successful SVA domain allocations
 * @domains_freed: SVA domains freed by the core
 * @domains_alive: allocated minus freed
 * @alloc_calls: domain_alloc_sva() calls, failed ones included
 * @attach_calls: set_dev_pasid() calls with an SVA or paging domain
 * @attach_failed: of those, the ones that failed
 * @detach_calls: PASIDs reset to the blocked domain
 * @bonds_alive: bonds held through this interface
 * @handles_alive: distinct iommu_sva handles those bonds hold
 * @devices_probed: probe_device() calls that accepted a mock device
 * @devices_released: release_device() calls
 * @faults_injected: callbacks failed by MOCK_IOMMU_OP_FAULT_INJECT
 * @mm_releases: mmu-notifier release callbacks of live domains
 * @dma_transfers: MOCK_IOMMU_OP_DMA transfers started
 * @dma_faults: of those, the ones that ended with a fault status (neither
 *	%MOCK_IOMMU_DMA_OK nor %MOCK_IOMMU_DMA_MISMATCH)
 * @page_requests: page requests the devices raised
 * @page_responses: responses with IOMMU_PAGE_RESP_SUCCESS
 * @page_responses_failed: responses with another code
 * @page_responses_stale: responses no request was waiting for any more
 *	(its transfer had timed out, was interrupted, or was aborted by the
 *	detach of its PASID)
 * @unexpected_calls: driver callbacks the core should never make, each
 *	refused where a driver would refuse it: set_dev_pasid() attaching
 *	over an existing entry (or with an old domain that is not the
 *	entry), detaching a PASID without an entry, any PASID call for a
 *	device without PASID support or at a PASID beyond its max_pasids,
 *	a domain of another driver offered to set_dev_pasid(), and
 *	release_device() of a device not parked on the release domain. Every
 *	test checks that this stays unchanged.
 * @kva_invalidations: invalidations of a kernel address range
 *	(iommu_sva_invalidate_kva_range() flushing the kernel's page table
 *	caches through every SVA domain); counted here, never recorded, so
 *	no kernel address reaches user space
 * @nested_faults: page request groups the core handed to the fault
 *	handler of a nested domain at a device's RID
 *	(%MOCK_IOMMU_OP_NESTED_ATTACH)
 */
struct mock_iommu_counters {
	__aligned_u64 domains_allocated;
	__aligned_u64 domains_freed;
	__aligned_u64 domains_alive;
	__aligned_u64 alloc_calls;
	__aligned_u64 attach_calls;
	__aligned_u64 attach_failed;
	__aligned_u64 detach_calls;
	__aligned_u64 bonds_alive;
	__aligned_u64 handles_alive;
	__aligned_u64 devices_probed;
	__aligned_u64 devices_released;
	__aligned_u64 faults_injected;
	__aligned_u64 mm_releases;
	__aligned_u64 dma_transfers;
	__aligned_u64 dma_faults;
	__aligned_u64 page_requests;
	__aligned_u64 page_responses;
	__aligned_u64 page_responses_failed;
	__aligned_u64 page_responses_stale;
	__aligned_u64 unexpected_calls;
	__aligned_u64 kva_invalidations;
	__aligned_u64 nested_faults;
};

/**
 * enum mock_iommu_fault_site - where MOCK_IOMMU_OP_FAULT_INJECT strikes
 * @MOCK_IOMMU_FAULT_DOMAIN_ALLOC: domain_alloc_sva()
 * @MOCK_IOMMU_FAULT_SET_DEV_PASID: set_dev_pasid() of an SVA or paging
 *	domain
 * @MOCK_IOMMU_FAULT_PAGE_RESPONSE: page_response(): the response is lost
 *	on its way to the device, whose transfer then times out (@error is
 *	not used, but must be valid). The core's handler did its work: a page
 *	it faulted in stays present.
 */
enum mock_iommu_fault_site {
	MOCK_IOMMU_FAULT_DOMAIN_ALLOC = 1,
	MOCK_IOMMU_FAULT_SET_DEV_PASID,
	MOCK_IOMMU_FAULT_PAGE_RESPONSE,
};

/**
 * struct mock_iommu_fault_inject - MOCK_IOMMU_OP_FAULT_INJECT
 * @site: &enum mock_iommu_fault_site
 * @target_id: 0 for any device, else a device or instance id of the
 *	calling file; only callbacks for it fail. Any other id, a bond's or
 *	a uacce device's included, is -ENOENT
 * @count: how many upcoming callbacks fail; 0 disarms the site
 * @error: positive errno they fail with, one of the ordinary errnos of
 *	<asm-generic/errno.h> (1..EHWPOISON); larger values, the kernel's
 *	internal ones (ERESTARTSYS, EPROBE_DEFER, ...) included, are -EINVAL.
 *	0 only with @count 0
 *
 * One injection per site is armed at a time; arming replaces the previous
 * one. Closing the file that armed it disarms it.
 */
struct mock_iommu_fault_inject {
	__u32 site;
	__u32 target_id;
	__u32 count;
	__u32 error;
};

/**
 * struct mock_iommu_inval_range - one recorded invalidation
 * @start: first byte
 * @end: one past the last byte
 */
struct mock_iommu_inval_range {
	__aligned_u64 start;
	__aligned_u64 end;
};

/**
 * struct mock_iommu_invalidations - MOCK_IOMMU_OP_INVALIDATIONS
 * @domain_id: a live SVA domain of the calling file, as for
 *	MOCK_IOMMU_OP_DOMAIN_INFO (-ENOENT otherwise)
 * @__reserved: must be 0
 * @out_count: invalidations seen since the domain was allocated
 * @out_nr_records: valid entries in @out_records (the last ones seen)
 * @out_releases: mm release callbacks seen
 * @__reserved2: must be 0
 * @out_records: the last min(@out_count, %MOCK_IOMMU_INVAL_RECORDS)
 *	ranges, oldest first
 *
 * Only user address ranges are recorded and counted in @out_count; a
 * flush of the kernel's range counts in the kva_invalidations counter.
 */
struct mock_iommu_invalidations {
	__u32 domain_id;
	__u32 __reserved;
	__u32 out_count;
	__u32 out_nr_records;
	__u32 out_releases;
	__u32 __reserved2;
	struct mock_iommu_inval_range out_records[MOCK_IOMMU_INVAL_RECORDS];
};

/* Longest transfer of MOCK_IOMMU_OP_DMA, in bytes */
#define MOCK_IOMMU_DMA_MAX_LENGTH	0x100000U	/* 1 MiB */
/* Longest a transfer may wait for page responses, in milliseconds */
#define MOCK_IOMMU_DMA_MAX_TIMEOUT_MS	60000U

/**
 * enum mock_iommu_dma_op - what a transfer does at (PASID, @iova)
 * @MOCK_IOMMU_DMA_READ: the device reads @length bytes into the caller's
 *	buffer at @uptr
 * @MOCK_IOMMU_DMA_WRITE: the device writes the caller's buffer
 * @MOCK_IOMMU_DMA_FILL: the device writes the byte @fill, @uptr is 0
 * @MOCK_IOMMU_DMA_COMPARE: the device reads and compares with the caller's
 *	buffer; a difference ends the transfer with %MOCK_IOMMU_DMA_MISMATCH
 */
enum mock_iommu_dma_op {
	MOCK_IOMMU_DMA_READ = 1,
	MOCK_IOMMU_DMA_WRITE,
	MOCK_IOMMU_DMA_FILL,
	MOCK_IOMMU_DMA_COMPARE,
};

/**
 * enum mock_iommu_dma_flags - how the device translates
 * @MOCK_IOMMU_DMA_PINNED: the device cannot fault; its driver pins the
 *	pages first, faulting them in on the CPU (get_user_pages). No page
 *	requests. The mode to use where the kernel has no IOPF support.
 * @MOCK_IOMMU_DMA_NO_PRI: the device cannot fault and nothing pins: a
 *	page that is not present with the needed permission is a fault
 * @MOCK_IOMMU_DMA_PRG: the default mode, but a missing page is requested
 *	in a page request group, as PCIe PRI sends them: with it, the other
 *	missing pages of the transfer, up to %MOCK_IOMMU_DMA_PRG_PAGES in all
 *	(present ones are skipped), one request each with one group index,
 *	the last one marked IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE. The core
 *	answers the group once; its errors are sticky, so a page that cannot
 *	be faulted in fails the whole group, and the transfer ends with
 *	%MOCK_IOMMU_DMA_PAGE_FAULT at the group's first page.
 *
 * @MOCK_IOMMU_DMA_REQ_EXEC: the device's page requests also ask for
 *	execute permission (IOMMU_FAULT_PERM_EXEC)
 * @MOCK_IOMMU_DMA_REQ_PRIV: the device's page requests are privileged
 *	(IOMMU_FAULT_PERM_PRIV): the core faults without FAULT_FLAG_USER
 * @MOCK_IOMMU_DMA_REQ_UNATTACHED: where no domain is attached at @pasid,
 *	the device raises a page request for the first page anyway (as a
 *	device whose PASID the IOMMU does not check before the request
 *	would) instead of ending at %MOCK_IOMMU_DMA_NO_DOMAIN: the core finds
 *	no handler and must answer INVALID at once
 * @MOCK_IOMMU_DMA_REQ_NO_PASID: the device raises one page request for the
 *	first page without a PASID (@pasid must be 0): it goes to the
 *	requester ID's own domain, which has no fault handler
 *
 * Without a mode flag the device walks the page tables and raises a page
 * request through the IOMMU's I/O page fault queue for every page that is
 * not present with the needed permission; the IOMMU core's SVA handler
 * resolves it against the mm and the mock's page_response() completes or
 * fails the access. Needs CONFIG_IOMMU_IOPF, else -EOPNOTSUPP. The REQ_*
 * flags shape those page requests and need that mode (-EINVAL with
 * %MOCK_IOMMU_DMA_PINNED or %MOCK_IOMMU_DMA_NO_PRI); the device checks no
 * execute or privilege bit itself: they matter for pages it must request.
 * REQ_UNATTACHED and REQ_NO_PASID exclude each other and every mode flag,
 * %MOCK_IOMMU_DMA_PRG included (-EINVAL).
 *
 * @MOCK_IOMMU_DMA_PRQ_OVERFLOW: with %MOCK_IOMMU_DMA_PRG only (else
 *	-EINVAL): the IOMMU's page request queue overflows between a group's
 *	non-last requests and its last, and the driver discards the partial
 *	faults of its fault queue (iopf_queue_discard_partial(), as intel's
 *	PRQ handler does): each group is answered for its last page only,
 *	and the device asks again for the others
 * @MOCK_IOMMU_DMA_PRG_LAST_LOST: with %MOCK_IOMMU_DMA_PRG only, not with
 *	%MOCK_IOMMU_DMA_PRQ_OVERFLOW (else -EINVAL): the IOMMU loses the
 *	first group's last request before the driver sees it. The core keeps
 *	the group's other requests as partial faults, no answer comes, and
 *	the transfer times out; the partial faults are freed when the device
 *	leaves its fault queue (iopf_queue_remove_device())
 */
enum mock_iommu_dma_flags {
	MOCK_IOMMU_DMA_PINNED = 1 << 0,
	MOCK_IOMMU_DMA_NO_PRI = 1 << 1,
	MOCK_IOMMU_DMA_REQ_EXEC = 1 << 2,
	MOCK_IOMMU_DMA_REQ_PRIV = 1 << 3,
	MOCK_IOMMU_DMA_REQ_UNATTACHED = 1 << 4,
	MOCK_IOMMU_DMA_REQ_NO_PASID = 1 << 5,
	MOCK_IOMMU_DMA_PRG = 1 << 6,
	MOCK_IOMMU_DMA_PRQ_OVERFLOW = 1 << 7,
	MOCK_IOMMU_DMA_PRG_LAST_LOST = 1 << 8,
};

/* Pages a page request group of a transfer asks for at most */
#define MOCK_IOMMU_DMA_PRG_PAGES	8

/**
 * enum mock_iommu_dma_status - how a transfer ended, as the device sees it
 * @MOCK_IOMMU_DMA_OK: every byte was transferred
 * @MOCK_IOMMU_DMA_NO_DOMAIN: no SVA or paging domain is attached at the
 *	PASID on the device: the IOMMU blocks the access
 * @MOCK_IOMMU_DMA_MM_GONE: the domain's mm has exited
 * @MOCK_IOMMU_DMA_PAGE_FAULT: a page could not be reached: the page
 *	request was answered with a failure (@out_response), or the mode
 *	could not fault it in, or a paging domain without a fault handler
 *	has no mapping for it
 * @MOCK_IOMMU_DMA_ABORTED: the PASID was detached during the transfer
 *	(also while it waited for a page response: detach completes those)
 * @MOCK_IOMMU_DMA_TIMEOUT: a page request got no response in time
 * @MOCK_IOMMU_DMA_MISMATCH: COMPARE found a difference at @out_fault_addr
 */
enum mock_iommu_dma_status {
	MOCK_IOMMU_DMA_OK,
	MOCK_IOMMU_DMA_NO_DOMAIN,
	MOCK_IOMMU_DMA_MM_GONE,
	MOCK_IOMMU_DMA_PAGE_FAULT,
	MOCK_IOMMU_DMA_ABORTED,
	MOCK_IOMMU_DMA_TIMEOUT,
	MOCK_IOMMU_DMA_MISMATCH,
};

/**
 * struct mock_iommu_dma - MOCK_IOMMU_OP_DMA, a transfer by device @id
 * @pasid: the PASID the device tags its accesses with, 1 to the device's
 *	max_pasids - 1; 0 with %MOCK_IOMMU_DMA_REQ_NO_PASID (only then)
 * @op: &enum mock_iommu_dma_op
 * @flags: &enum mock_iommu_dma_flags
 * @fill: the byte FILL writes; 0 for the other ops
 * @iova: the address the device accesses, in the address space behind
 *	@pasid: a user virtual address of the mm an SVA domain serves, or an
 *	IOVA of a paging domain's page table. A paging domain's translation
 *	is what was mapped into it (iommufd's IOMMU_IOAS_MAP) with the
 *	permission the access needs, or a fault: a page request in the
 *	default mode when the domain has a fault handler (a HWPT allocated
 *	with a fault queue, whose user space answers it), else at once and
 *	without one. The device caches a paging domain's translations as an
 *	SVA domain's (&struct mock_iommu_tlb_info), until unmap_pages()
 *	invalidates them
 * @length: bytes, 1 to %MOCK_IOMMU_DMA_MAX_LENGTH
 * @uptr: the caller's buffer of @length bytes, for READ, WRITE and COMPARE
 * @timeout_ms: how long the transfer waits for page responses in all, at
 *	most %MOCK_IOMMU_DMA_MAX_TIMEOUT_MS; 0 takes the module parameter
 *	dma_timeout_ms (10 s by default)
 * @__reserved: must be 0
 * @out_status: &enum mock_iommu_dma_status
 * @out_domain_id: the domain found at @pasid when the transfer began;
 *	0 with %MOCK_IOMMU_DMA_NO_DOMAIN
 * @out_bytes: bytes transferred (or compared equal) before the end
 * @out_fault_addr: where the transfer stopped, when it did not complete
 * @out_page_requests: page requests this transfer raised
 * @out_response: the code of the last page response it got, as
 *	IOMMU_PAGE_RESP_* (0 success, 1 invalid, 2 failure)
 * @out_refused: of the page requests, those iommu_report_device_fault()
 *	returned an error for: a request with no fault handler at its PASID
 *	(the core answers it INVALID itself, -EINVAL), or a request that is
 *	not the last of its group and that the core could not record
 *	(-ENOMEM; as hardware knows nothing of it, the device sends the rest
 *	of the group and asks for the lost page again)
 * @out_refused_errno: the errno (positive) of the last refused request,
 *	0 when none was refused
 *
 * The transfer's outcome is a status, not an errno: a device sees faults,
 * and a fault changes nothing in the driver. The ioctl fails only on bad
 * input, or with -EFAULT when @uptr cannot be read or written; then no
 * device write took place. Transfers run without the file's lock, so
 * threads sharing a file can overlap them with each other and with other
 * commands; a device is -EBUSY to destroy while one runs. Detaching a
 * PASID completes the page requests waiting at it, as hardware stopping a
 * PASID drains its page request queue, and waits for the transfers at it,
 * which then stop with %MOCK_IOMMU_DMA_ABORTED: nothing reaches an mm
 * after its unbind, and a detach never waits for a page response.
 *
 * A page request whose transfer gave up keeps its group index until its
 * response comes (or its PASID is detached), as a PCIe function may not
 * reuse an outstanding page request group index: a late response is
 * stale, and never completes a newer request.
 */
struct mock_iommu_dma {
	__u32 pasid;
	__u32 op;
	__u32 flags;
	__u32 fill;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__u32 timeout_ms;
	__u32 __reserved;
	__u32 out_status;
	__u32 out_domain_id;
	__aligned_u64 out_bytes;
	__aligned_u64 out_fault_addr;
	__u32 out_page_requests;
	__u32 out_response;
	__u32 out_refused;
	__u32 out_refused_errno;
};

/* Translations a device's TLB holds at most */
#define MOCK_IOMMU_TLB_ENTRIES		64

/**
 * struct mock_iommu_tlb_info - MOCK_IOMMU_OP_TLB_INFO
 * @out_enabled: 1 when device @id caches translations, else 0: the module
 *	parameter tlb (default 1) as it was when the device was created
 * @out_entries: translations cached now
 * @out_capacity: %MOCK_IOMMU_TLB_ENTRIES
 * @__reserved: 0
 * @out_hits: accesses that used a cached translation
 * @out_fills: translations cached after a page walk
 * @out_invalidated: entries dropped by the mmu notifier of their domain:
 *	an invalidation of a range that holds their page, a kernel range
 *	(iommu_sva_invalidate_kva_range(): every entry of the domain), or the
 *	exit of the mm; or, for a paging domain, by an unmap_pages() of their
 *	page
 * @out_flushed: entries dropped because their PASID was detached from the
 *	device, or the device released
 * @out_evicted: entries dropped to make room for another, or for a
 *	writable translation of the same page
 *
 * Like an IOTLB or a PCIe ATC, the device caches the translation of each
 * page it accessed in the faulting modes (not with %MOCK_IOMMU_DMA_PINNED,
 * whose driver pins every page for the transfer), tagged with the domain,
 * the PASID and the page, and uses it without walking the page tables
 * again until an invalidation drops it: a missing invalidation from the
 * kernel shows as a device that still reaches the old page. A write needs
 * a translation that was filled for writing. The cached page is kept
 * (referenced; pinned for a writable one of an SVA domain) until the entry
 * goes, so a stale translation reaches a page no longer mapped, never
 * freed memory. All counters count since the device was created.
 */
struct mock_iommu_tlb_info {
	__u32 out_enabled;
	__u32 out_entries;
	__u32 out_capacity;
	__u32 __reserved;
	__aligned_u64 out_hits;
	__aligned_u64 out_fills;
	__aligned_u64 out_invalidated;
	__aligned_u64 out_flushed;
	__aligned_u64 out_evicted;
};

/* uacce interface name: the char device is /dev/mock_uacce-<dev_id> */
#define MOCK_IOMMU_UACCE_NAME		"mock_uacce"
/* What the uacce device's sysfs "api" and "algorithms" files read */
#define MOCK_IOMMU_UACCE_API		"mock_uacce_v1"
#define MOCK_IOMMU_UACCE_ALGS		"mock_copy"
/* Upper bound of @uacce_create.max_queues */
#define MOCK_IOMMU_UACCE_MAX_QUEUES	64

/**
 * struct mock_iommu_uacce_create - MOCK_IOMMU_OP_UACCE_CREATE
 * @max_queues: queues the device hands out at once, 1 to
 *	%MOCK_IOMMU_UACCE_MAX_QUEUES; an open() beyond them fails with the
 *	-EBUSY of the driver's get_queue(), as hisi_qm's does
 * @flags: must be 0
 * @out_uacce_id: the uacce device's id in the file's table
 * @out_dev_id: uacce's dev_id: the char device is
 *	/dev/%MOCK_IOMMU_UACCE_NAME-<dev_id>, its sysfs directory
 *	/sys/class/uacce/%MOCK_IOMMU_UACCE_NAME-<dev_id>
 *
 * Device @id must have an IOMMU group of its own (-EBUSY otherwise, and
 * while it is a uacce parent no device may join its group), so that every
 * handle its queues hold names it. It may be the parent of one uacce
 * device at a time (-EBUSY). -EOPNOTSUPP when the kernel is built without
 * CONFIG_UACCE, or when uacce_alloc() drops UACCE_DEV_SVA (older kernels,
 * Debian's 6.12 among them, do when iommu_dev_enable_feature() fails for
 * IOPF or SVA, as it does for the mock, which has no such features).
 *
 * Each open() of the char device is one queue: uacce binds the opener's mm
 * to the device with iommu_sva_bind_device() and then asks the driver for
 * a queue. A queue takes an identity on its handle from the same table as
 * bonds, so a bond and a queue of the same (device, mm) report the same
 * handle_id, and a handle only queues hold counts in handles_alive (not in
 * bonds_alive). sysfs reads: api %MOCK_IOMMU_UACCE_API, flags 1
 * (UACCE_DEV_SVA), algorithms %MOCK_IOMMU_UACCE_ALGS, available_instances
 * @max_queues minus the queues held; the device has no mmap regions (no
 * region_*_size files, mmap() fails with -EINVAL).
 */
struct mock_iommu_uacce_create {
	__u32 max_queues;
	__u32 flags;
	__u32 out_uacce_id;
	__u32 out_dev_id;
};

/**
 * struct mock_iommu_kva_flush - MOCK_IOMMU_OP_KVA_FLUSH
 * @__reserved: must be 0
 * @out_domains: SVA domains of the caller's mm whose mmu notifier was
 *	called with the kernel's range (PAGE_OFFSET to the end)
 *
 * The core's iommu_sva_invalidate_kva_range() is not exported and runs
 * whenever the kernel happens to free page tables; this calls each domain's
 * notifier callback the same way, at a time the test chooses. The domains
 * count the flush in kva_invalidations of &struct mock_iommu_counters and
 * record nothing of it (&struct mock_iommu_invalidations).
 */
struct mock_iommu_kva_flush {
	__u32 __reserved;
	__u32 out_domains;
};

/**
 * enum mock_uacce_queue_state - @state of &struct mock_uacce_queue_info
 * @MOCK_UACCE_QUEUE_INIT: got from the driver, not started (after open(),
 *	or after UACCE_CMD_PUT_Q, which only stops the queue)
 * @MOCK_UACCE_QUEUE_STARTED: started by UACCE_CMD_START_Q
 */
enum mock_uacce_queue_state {
	MOCK_UACCE_QUEUE_INIT = 1,
	MOCK_UACCE_QUEUE_STARTED,
};

/**
 * struct mock_uacce_queue_info - MOCK_UACCE_CMD_QUEUE_INFO, on a uacce fd
 * @queue_id: the queue's slot in its device, 0 to max_queues - 1
 * @state: &enum mock_uacce_queue_state
 * @pasid: iommu_sva_get_pasid() of the queue's handle, as uacce got it
 * @handle_id: identity of the handle (the same space as bonds' handle_id)
 * @handle_users: the handle's reference count (binds of bonds and queues)
 * @domain_id: identity of the SVA domain behind the handle
 * @domain_users: the core's domain->users
 * @__reserved: 0
 *
 * A queue of a removed uacce device is a zombie: uacce fails the ioctl with
 * -ENXIO before the driver sees it. Other commands on a uacce fd are
 * -ENOTTY.
 */
struct mock_uacce_queue_info {
	__u32 queue_id;
	__u32 state;
	__u32 pasid;
	__u32 handle_id;
	__u32 handle_users;
	__u32 domain_id;
	__u32 domain_users;
	__u32 __reserved;
};

/* Most attempts MOCK_IOMMU_OP_KVA_FREE_PGTABLE makes */
#define MOCK_IOMMU_KVA_MAX_ATTEMPTS	64

/**
 * struct mock_iommu_kva_free - MOCK_IOMMU_OP_KVA_FREE_PGTABLE
 * @max_attempts: attempts to make, 1 to %MOCK_IOMMU_KVA_MAX_ATTEMPTS; 0
 *	takes 8
 * @__reserved: must be 0
 * @out_attempts: attempts made
 * @out_freed: 1 when the last attempt made the kernel free a page table,
 *	0 when every attempt failed
 *
 * One attempt maps 2 MiB of the vmalloc space with small pages at a 2 MiB
 * aligned address (which gives the PMD a PTE table), unmaps it (the PTE
 * table stays), purges the lazily freed areas and maps a huge vmalloc()
 * there: the kernel replaces the empty PTE table with a PMD mapping and
 * frees the table (pmd_free_pte_page()). With
 * CONFIG_ASYNC_KERNEL_PGTABLE_FREE the table is freed by a work item that
 * first calls iommu_sva_invalidate_kva_range(), which invalidates the
 * kernel's range through the mmu notifiers of every mm the SVA core lists:
 * an attempt fails when the huge mapping lands elsewhere or falls back to
 * small pages. The work runs after the command returns; poll
 * MOCK_IOMMU_OP_KVA_COUNT for its effect. No address is reported.
 * -EOPNOTSUPP when the kernel frees its page tables synchronously (no
 * CONFIG_ASYNC_KERNEL_PGTABLE_FREE) or cannot map huge vmalloc() areas.
 */
struct mock_iommu_kva_free {
	__u32 max_attempts;
	__u32 __reserved;
	__u32 out_attempts;
	__u32 out_freed;
};

/**
 * struct mock_iommu_kva_count - MOCK_IOMMU_OP_KVA_COUNT
 * @domain_id: a live SVA domain, or 0
 * @watch_id: a watch of the calling file, or 0
 * @out_domain_count: kernel-range invalidations the domain's mmu notifier
 *	saw since the domain was allocated (0 with @domain_id 0). They are
 *	counted apart from the user ranges of MOCK_IOMMU_OP_INVALIDATIONS
 *	and never recorded: the kernel's addresses stay secret.
 * @out_watch_count: the same for the watch (0 with @watch_id 0)
 *
 * -ENOENT when @domain_id or @watch_id names nothing.
 */
struct mock_iommu_kva_count {
	__u32 domain_id;
	__u32 watch_id;
	__u32 out_domain_count;
	__u32 out_watch_count;
};

/**
 * struct mock_iommu_kva_watch - MOCK_IOMMU_OP_KVA_WATCH
 * @__reserved: must be 0
 * @out_watch_id: the new watch, for MOCK_IOMMU_OP_KVA_COUNT
 *
 * Registers an mmu notifier on the caller's mm that is no SVA domain: it
 * counts the kernel-range invalidations the mm gets, which the SVA core
 * sends only while the mm is bound to some device. It lives until the
 * file is closed.
 */
struct mock_iommu_kva_watch {
	__u32 __reserved;
	__u32 out_watch_id;
};

/**
 * struct mock_iommu_iommufd - the MOCK_IOMMU_OP_IOMMUFD_* ops
 * @iommufd: BIND: an open /dev/iommu of the caller (-EBADF when it is no
 *	open file, -EBADFD when it is another file); else must be 0
 * @pasid: ATTACH, REPLACE, DETACH: the PASID, 1 to the device's
 *	max_pasids - 1 (the mock attaches no RID: 0 is -EINVAL); BIND: 0
 * @pt_id: ATTACH, REPLACE: an iommufd HWPT (or IOAS) id of the binding's
 *	context; else 0
 * @__reserved: must be 0
 * @out_bind_id: BIND: the binding's id in the calling file's table
 * @out_dev_id: BIND: the iommufd device id, the dev_id of IOMMU_HWPT_ALLOC
 *	and IOMMU_FAULT_QUEUE_ALLOC's faults
 * @out_pt_id: ATTACH, REPLACE: the HWPT now attached (iommufd's output
 *	pt_id: a new HWPT when @pt_id named an IOAS)
 * @out_nr_attached: ATTACH, REPLACE, DETACH: PASIDs the binding has
 *	attached after the op
 *
 * BIND calls iommufd_device_bind() on device @id with the context of
 * @iommufd, which claims the device's DMA ownership: it fails with the
 * core's -EBUSY while anything is attached at a PASID of the device's
 * group (an SVA bond, say), -EPERM when another owner holds it. The
 * binding holds the context (the iommufd file) until it is destroyed:
 * closing /dev/iommu with a binding alive tears nothing down. DESTROY of
 * the binding, or closing the file, detaches its PASIDs and unbinds; the
 * device cannot be destroyed while bound (-EBUSY). A device has one
 * binding at a time (-EBUSY). The IOMMU core lets SVA bind a device
 * iommufd owns, but must not see the ownership given back while a PASID
 * of the group is attached: DESTROY of a binding whose group has an SVA
 * bond is -EBUSY (closing the file unbinds the bonds first).
 *
 * ATTACH of a PASID the binding already has is -EBUSY, DETACH of one it
 * has not -ENOENT; REPLACE and ATTACH pass every other answer of iommufd
 * and the IOMMU core through (a PASID the core has in use for an SVA
 * bond: -EBUSY; a HWPT allocated without IOMMU_HWPT_ALLOC_PASID: -EINVAL).
 * On a kernel without CONFIG_IOMMUFD, or whose iommufd cannot attach
 * PASIDs, every op is -EOPNOTSUPP.
 */
struct mock_iommu_iommufd {
	__s32 iommufd;
	__u32 pasid;
	__u32 pt_id;
	__u32 __reserved;
	__u32 out_bind_id;
	__u32 out_dev_id;
	__u32 out_pt_id;
	__u32 out_nr_attached;
};

/**
 * struct mock_iommu_nested_attach - MOCK_IOMMU_OP_NESTED_ATTACH
 * @response: the IOMMU_PAGE_RESP_* code (0 to 2) the nested domain's fault
 *	handler answers every page request group with, at once: the answer
 *	of the guest whose stage 1 the domain stands for
 * @__reserved: must be 0
 * @out_nested_id: the attachment: DESTROY of it puts the device's RID
 *	back on its identity domain, waits for the transfers that may still
 *	be reporting to the domain, and frees it
 * @__reserved2: 0
 *
 * Attaches a nested domain with a fault handler at the RID of device @id
 * (its group must hold only that device, and its RID the identity
 * domain: -EBUSY otherwise). Page requests without a PASID go to it, and,
 * on an instance with %MOCK_IOMMU_INSTANCE_USER_PASID_TABLE, those at a
 * PASID with nothing attached; @nested_faults counts the groups it got.
 * The device is on its instance's fault queue while the domain is there.
 * -EOPNOTSUPP when the module was built without the core's private header
 * (drivers/iommu/iommu-priv.h, for iommu_attach_group_handle()).
 */
struct mock_iommu_nested_attach {
	__u32 response;
	__u32 __reserved;
	__u32 out_nested_id;
	__u32 __reserved2;
};

/**
 * struct mock_iommu_cmd - argument of MOCK_IOMMU_CMD
 * @size: sizeof(struct mock_iommu_cmd) as the caller knows it
 * @op: &enum mock_iommu_op
 * @id: the object the op acts on, where it takes one; else it must be 0
 *	(-EINVAL)
 * @__reserved: must be 0
 * @instance_create: MOCK_IOMMU_OP_INSTANCE_CREATE
 * @device_create: MOCK_IOMMU_OP_DEVICE_CREATE
 * @sva: MOCK_IOMMU_OP_BIND and MOCK_IOMMU_OP_BOND_INFO (all output)
 * @pasid_info: MOCK_IOMMU_OP_PASID_INFO
 * @domain_info: MOCK_IOMMU_OP_DOMAIN_INFO
 * @mm_info: MOCK_IOMMU_OP_MM_INFO
 * @counters: MOCK_IOMMU_OP_COUNTERS
 * @fault_inject: MOCK_IOMMU_OP_FAULT_INJECT
 * @invalidations: MOCK_IOMMU_OP_INVALIDATIONS
 * @dma: MOCK_IOMMU_OP_DMA
 * @uacce_create: MOCK_IOMMU_OP_UACCE_CREATE
 * @kva_flush: MOCK_IOMMU_OP_KVA_FLUSH
 * @kva_free: MOCK_IOMMU_OP_KVA_FREE_PGTABLE
 * @kva_count: MOCK_IOMMU_OP_KVA_COUNT
 * @kva_watch: MOCK_IOMMU_OP_KVA_WATCH
 * @tlb_info: MOCK_IOMMU_OP_TLB_INFO
 * @iommufd: the MOCK_IOMMU_OP_IOMMUFD_* ops
 * @nested_attach: MOCK_IOMMU_OP_NESTED_ATTACH
 * @last: marks the end of the structure, for size checks
 */
struct mock_iommu_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct mock_iommu_instance_create instance_create;
		struct mock_iommu_device_create device_create;
		struct mock_iommu_sva_info sva;
		struct mock_iommu_pasid_info pasid_info;
		struct mock_iommu_domain_info domain_info;
		struct mock_iommu_mm_info mm_info;
		struct mock_iommu_counters counters;
		struct mock_iommu_fault_inject fault_inject;
		struct mock_iommu_invalidations invalidations;
		struct mock_iommu_dma dma;
		struct mock_iommu_uacce_create uacce_create;
		struct mock_iommu_kva_flush kva_flush;
		struct mock_iommu_kva_free kva_free;
		struct mock_iommu_kva_count kva_count;
		struct mock_iommu_kva_watch kva_watch;
		struct mock_iommu_tlb_info tlb_info;
		struct mock_iommu_iommufd iommufd;
		struct mock_iommu_nested_attach nested_attach;
	};
	__u32 last;
};

#define MOCK_IOMMU_TYPE	'M'
#define MOCK_IOMMU_CMD	_IO(MOCK_IOMMU_TYPE, 0x40)
/* On a uacce fd of a mock device: what the queue holds */
#define MOCK_UACCE_CMD_QUEUE_INFO \
	_IOR(MOCK_IOMMU_TYPE, 0x41, struct mock_uacce_queue_info)

#endif /* _UAPI_MOCK_IOMMU_H */
