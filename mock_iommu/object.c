// SPDX-License-Identifier: GPL-2.0
/*
 * The per-file object table of the mock IOMMU: every open /dev/mock_iommu
 * owns a table of objects (instances, devices, bonds, uacce devices,
 * iommufd bindings), an xarray from id to struct mock_obj. This is the
 * lowest layer of the module: it calls nothing else of it, and no other
 * file touches the xarray.
 *
 * An object is created in three steps: its id is reserved first, so that a
 * full table fails the command before it changes anything; the object is
 * then built, or the id unreserved if that fails; and once it is complete
 * it is published at the id, which cannot fail. All but mock_objs_init() and
 * mock_objs_destroy() (open and release) run under the file's lock.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/lockdep.h>
#include <linux/xarray.h>

#include "mock_iommu.h"

/* Sets up the empty table of a newly opened file. */
void mock_objs_init(struct mock_file *mf)
{
	xa_init_flags(&mf->objs, XA_FLAGS_ALLOC1);
}

/* Frees the table of a file being released, which must be empty by now. */
void mock_objs_destroy(struct mock_file *mf)
{
	WARN_ON(!xa_empty(&mf->objs));
	xa_destroy(&mf->objs);
}

/*
 * Looks @id up in the file's table. @type 0 takes any type. An id of
 * another file, a freed id and an id of the wrong type all give NULL,
 * which the commands report as -ENOENT: from the caller's point of view
 * there is no object of that kind with that id.
 */
struct mock_obj *mock_obj_get(struct mock_file *mf, u32 id,
			      enum mock_obj_type type)
{
	struct mock_obj *obj;

	lockdep_assert_held(&mf->lock);
	if (!id)
		return NULL;
	obj = xa_load(&mf->objs, id);
	if (obj && type && obj->type != type)
		return NULL;
	return obj;
}

/*
 * Reserves the lowest free id of the file's table for an object about to be
 * created. A file holds at most MOCK_IOMMU_MAX_OBJECTS objects: -ENOSPC
 * beyond, so that one file cannot pin unbounded kernel memory.
 */
int mock_obj_reserve(struct mock_file *mf, u32 *id)
{
	int rc;

	lockdep_assert_held(&mf->lock);
	rc = xa_alloc(&mf->objs, id, NULL, XA_LIMIT(1, MOCK_IOMMU_MAX_OBJECTS),
		      GFP_KERNEL);
	return rc == -EBUSY ? -ENOSPC : rc;
}

/* Gives back an id reserved for an object whose creation failed. */
void mock_obj_unreserve(struct mock_file *mf, u32 id)
{
	xa_release(&mf->objs, id);
}

/*
 * Makes a complete object visible at the id reserved for it. Storing into a
 * reserved index does not allocate: cannot fail.
 */
void mock_obj_publish(struct mock_file *mf, u32 id, struct mock_obj *obj)
{
	WARN_ON(xa_is_err(xa_store(&mf->objs, id, obj, GFP_KERNEL)));
}

/* Takes @obj out of the file's table; freeing it is the caller's. */
void mock_obj_remove(struct mock_file *mf, struct mock_obj *obj)
{
	xa_erase(&mf->objs, obj->id);
}
