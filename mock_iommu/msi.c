// SPDX-License-Identifier: GPL-2.0
/*
 * MSI isolation of the mock devices, which iommufd demands.
 *
 * iommufd_device_bind() refuses a device whose IOMMU group lacks isolated
 * MSI (-EPERM), unless iommufd.allow_unsafe_interrupts is set: a device
 * under user control must not be able to raise another device's interrupt
 * by a DMA write to the MSI doorbell. The kernel asks the device's MSI
 * irq_domain (and its parents) for IRQ_DOMAIN_FLAG_ISOLATED_MSI, which
 * interrupt remapping or an ITS sets; the test machine has neither.
 *
 * The mock devices send no MSI at all: their transfers reach memory only
 * through their PASID tables, never an interrupt controller. So each gets,
 * as its MSI domain, one empty irq_domain flagged ISOLATED_MSI: it
 * allocates no interrupt and can deliver none, which is isolated in the
 * strictest sense. That states a property the devices really have, where
 * the module parameter would switch the check off for every device of the
 * machine.
 */
#include <linux/irqdomain.h>
#include <linux/platform_device.h>

#include "mock_iommu.h"

#ifdef CONFIG_GENERIC_MSI_IRQ

static struct fwnode_handle *mock_msi_fwnode;
static struct irq_domain *mock_msi_domain;

/* No alloc, no map: nothing can be allocated from it */
static const struct irq_domain_ops mock_msi_ops = {};

int mock_msi_init(void)
{
	struct irq_domain_info info = {
		.domain_flags = IRQ_DOMAIN_FLAG_ISOLATED_MSI,
		.ops = &mock_msi_ops,
	};

	mock_msi_fwnode = irq_domain_alloc_named_fwnode("mock_iommu-msi");
	if (!mock_msi_fwnode)
		return -ENOMEM;
	info.fwnode = mock_msi_fwnode;
	mock_msi_domain = irq_domain_instantiate(&info);
	if (IS_ERR(mock_msi_domain)) {
		irq_domain_free_fwnode(mock_msi_fwnode);
		return PTR_ERR(mock_msi_domain);
	}
	return 0;
}

void mock_msi_exit(void)
{
	irq_domain_remove(mock_msi_domain);
	irq_domain_free_fwnode(mock_msi_fwnode);
}

void mock_msi_set(struct mock_dev *mdev)
{
	dev_set_msi_domain(&mdev->pdev->dev, mock_msi_domain);
}

#else /* !CONFIG_GENERIC_MSI_IRQ */

/* Without MSI support there is no MSI domain to flag, nor one to isolate */
int mock_msi_init(void)
{
	return 0;
}

void mock_msi_exit(void)
{
}

void mock_msi_set(struct mock_dev *mdev)
{
}

#endif /* CONFIG_GENERIC_MSI_IRQ */
