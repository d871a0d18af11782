// SPDX-License-Identifier: GPL-2.0
/*
 * A module that misbehaves on purpose, to prove that `make check` fails
 * when the kernel warns, leaks or panics (make check-runner).
 *   mode=warn   WARN() at load
 *   mode=leak   allocate at load and drop the only pointer
 *   mode=panic  panic() at load
 *   mode=stall  never return from load (the host must stop the guest)
 *   mode=none   nothing
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none, warn, leak, panic or stall");

static void *sva_probe_ptr;

static int __init sva_probe_init(void)
{
	if (!strcmp(mode, "warn")) {
		WARN(1, "sva_probe: deliberate warning (runner self-test)\n");
	} else if (!strcmp(mode, "leak")) {
		WRITE_ONCE(sva_probe_ptr, kmalloc(192, GFP_KERNEL));
		pr_info("sva_probe: leaking one 192-byte allocation (runner self-test)\n");
		WRITE_ONCE(sva_probe_ptr, NULL);
	} else if (!strcmp(mode, "panic")) {
		panic("sva_probe: deliberate panic (runner self-test)\n");
	} else if (!strcmp(mode, "stall")) {
		pr_info("sva_probe: never returning from init (runner self-test)\n");
		for (;;)
			msleep_interruptible(1000);
	} else if (strcmp(mode, "none")) {
		return -EINVAL;
	}
	return 0;
}

static void __exit sva_probe_exit(void)
{
}

module_init(sva_probe_init);
module_exit(sva_probe_exit);
MODULE_DESCRIPTION("Misbehaves on purpose to test the SVA selftest gate");
MODULE_LICENSE("GPL");
