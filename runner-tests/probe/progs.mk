# SPDX-License-Identifier: GPL-2.0
# The probe test programs (make check PROBE=fail|hang), static.
OUTPUT ?= $(CURDIR)
CFLAGS ?= -O2 -Wall
PROGS := probe_fail probe_hang

all: $(addprefix $(OUTPUT)/,$(PROGS))

$(OUTPUT)/%: %.c
	$(CC) $(CFLAGS) -static -o $@ $<

.PHONY: all
