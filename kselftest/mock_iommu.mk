# SPDX-License-Identifier: GPL-2.0
#
# mock_iommu.ko against the kernel tree the selftests are built in (its
# O= build directory when there is one), or against KDIR=.

MOCK_IOMMU_DIR := $(realpath $(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KDIR ?= $(if $(O),$(O),$(realpath $(MOCK_IOMMU_DIR)/../../../../../..))

all:
	+$(MAKE) -C $(KDIR) M=$(MOCK_IOMMU_DIR) modules

clean:
	+$(MAKE) -C $(KDIR) M=$(MOCK_IOMMU_DIR) clean

.PHONY: all clean
