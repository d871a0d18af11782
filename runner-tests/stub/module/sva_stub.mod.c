#include <linux/module.h>
#include <linux/export-internal.h>
#include <linux/compiler.h>

MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
	.arch = MODULE_ARCH_INIT,
};



static const struct modversion_info ____versions[]
__used __section("__versions") = {
	{ 0xc145dc1e, "misc_deregister" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0xb1fc0a98, "misc_register" },
	{ 0x5002fa32, "module_layout" },
};

MODULE_INFO(depends, "");

