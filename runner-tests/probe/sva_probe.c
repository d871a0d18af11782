// SPDX-License-Identifier: GPL-2.0
/*
 * A module that misbehaves on purpose, to prove that `make check` fails
 * when the kernel warns, leaks or panics, or when a detector is dead
 * (make check-runner). @mode is a comma-separated list of:
 *   warn         WARN() at load
 *   warn2        WARN() at load from another function: another fingerprint
 *   leak         allocate at load and drop the only pointers
 *   lockdep_off  turn lockdep off without a report (debug_locks_off())
 *   panic        panic() at load
 *   stall        never return from load (the host must stop the guest)
 *   none         nothing
 */
#include <linux/compiler.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "comma-separated: none, warn, warn2, leak, lockdep_off, panic, stall");

static void *sva_probe_ptr;

/*
 * Overwrite the stack below the caller: a copy of the leaked pointer left
 * there would keep kmemleak from reporting it while insmod's stack lives.
 */
static noinline void sva_probe_scrub_stack(void)
{
	char area[2048];

	memset(area, 0, sizeof(area));
	/* Keep the compiler from dropping the stores */
	barrier_data(area);
}

/* Its own function, so that its report has frames of its own. */
static noinline void sva_probe_other_warning(void)
{
	WARN(1, "sva_probe: another deliberate warning (runner self-test)\n");
}

static int sva_probe_one(const char *what)
{
	if (!strcmp(what, "warn")) {
		WARN(1, "sva_probe: deliberate warning (runner self-test)\n");
	} else if (!strcmp(what, "warn2")) {
		sva_probe_other_warning();
	} else if (!strcmp(what, "leak")) {
		unsigned int i;

		/*
		 * Eight of them: the last pointer may linger in a register or
		 * on a stack that kmemleak scans, the others cannot.
		 */
		for (i = 0; i < 8; i++)
			WRITE_ONCE(sva_probe_ptr, kmalloc(192, GFP_KERNEL));
		pr_info("sva_probe: leaking eight 192-byte allocations (runner self-test)\n");
		WRITE_ONCE(sva_probe_ptr, NULL);
		sva_probe_scrub_stack();
	} else if (!strcmp(what, "lockdep_off")) {
		/* What lockdep does after its first report, minus the report */
		debug_locks_off();
	} else if (!strcmp(what, "panic")) {
		panic("sva_probe: deliberate panic (runner self-test)\n");
	} else if (!strcmp(what, "stall")) {
		pr_info("sva_probe: never returning from init (runner self-test)\n");
		for (;;)
			msleep_interruptible(1000);
	} else if (strcmp(what, "none")) {
		return -EINVAL;
	}
	return 0;
}

static int __init sva_probe_init(void)
{
	char *modes, *cur, *what;
	int ret = 0;

	modes = kstrdup(mode, GFP_KERNEL);
	if (!modes)
		return -ENOMEM;
	cur = modes;
	while (!ret && (what = strsep(&cur, ",")))
		ret = sva_probe_one(what);
	kfree(modes);
	return ret;
}

static void __exit sva_probe_exit(void)
{
}

module_init(sva_probe_init);
module_exit(sva_probe_exit);
MODULE_DESCRIPTION("Misbehaves on purpose to test the SVA selftest gate");
MODULE_LICENSE("GPL");
