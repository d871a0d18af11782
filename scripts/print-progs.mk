# SPDX-License-Identifier: GPL-2.0
# Read after a selftests Makefile (make -f Makefile -f print-progs.mk) to
# list the programs it builds, whether lib.mk prefixed them with $(OUTPUT).
.PHONY: sva-print-progs
sva-print-progs:
	@echo $(TEST_GEN_PROGS)
