// SPDX-License-Identifier: GPL-2.0
/* Stand-in module for the runner's own tests: a misc device, nothing else. */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/fs.h>

static const struct file_operations sva_stub_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice sva_stub_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "sva_stub",
	.fops = &sva_stub_fops,
	.mode = 0600,
};

static int __init sva_stub_init(void)
{
	return misc_register(&sva_stub_dev);
}

static void __exit sva_stub_exit(void)
{
	misc_deregister(&sva_stub_dev);
}

module_init(sva_stub_init);
module_exit(sva_stub_exit);
MODULE_DESCRIPTION("Stand-in module for the SVA selftest runner's own tests");
MODULE_LICENSE("GPL");
