# SPDX-License-Identifier: GPL-2.0
# The probe test programs (make check PROBE=fail|hang|tap|orphan), static.
OUTPUT ?= $(CURDIR)
CFLAGS ?= -O2 -Wall
PROGS := probe_fail probe_hang probe_orphan
TAP_PROGS := probe_silent probe_empty probe_extra

all: $(addprefix $(OUTPUT)/,$(PROGS) $(TAP_PROGS))

$(OUTPUT)/%: %.c
	$(CC) $(CFLAGS) -static -o $@ $<

$(addprefix $(OUTPUT)/,$(TAP_PROGS)): probe_tap.c
	$(CC) $(CFLAGS) -static -o $@ $<

.PHONY: all
