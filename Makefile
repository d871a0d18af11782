# SPDX-License-Identifier: GPL-2.0
#
# SVA kselftests: a mock IOMMU driver plus kselftest programs that test the
# kernel's SVA core, booted in a VM. `make help` lists what is here.

SHELL := /bin/bash
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sva-kselftest

# Passed to the scripts through the environment; unset means "the default".
export SVA_CACHE := $(CACHE)
export OUT WORK SERIES KBUILD GUEST_ONLY GUEST_MAKE KSRC KDIR KERNEL BOOT ACCEL PROBE MODULE_DIR \
	SELFTESTS_DIR MODULE_PARAMS TIMEOUT STALL MEM ALLOWLIST APPEND FLAVOUR JOBS V PROBES DISTRO_VERSION \
	TESTS FILE FUNC ONLY LIMIT SAMPLE BUDGET RERUNS REGRESSION_JOBS MUTATE_JOBS MUTATE_FULL_LIMITS BASELINE PROG_LIMITS

.PHONY: help setup check check-runner bench-runner bench distro-kernel lint sparse results gate regressions \
	mutate coverage series kselftest-accept

help:
	@echo 'SVA kselftests: a mock IOMMU driver + selftests of the SVA core, run in a VM'
	@echo
	@echo 'Targets:'
	@echo '  setup          install Debian packages, fetch a kernel tree, build the test kernel (once)'
	@echo '  check          build module + selftests, boot, run, judge; ends "sva: N passed, N failed, N skipped"'
	@echo '  check-runner   prove the gate bites: probes that fail, WARN, leak, panic, stall, hang (PROBES=...)'
	@echo '  bench-runner   print build, boot and check timings per boot mode and accelerator'
	@echo '  coverage       gcov kernel (drivers/iommu, uacce profiled) + check: line/branch table, targets, HTML'
	@echo '  bench          SVA bind/unbind latency and throughput in the guest: table, CSV, PNG'
	@echo '  distro-kernel  fetch a Debian distro kernel + headers into the cache (no dpkg install)'
	@echo '  gate           PATCHES=series: baseline vs patched kernel, report new failures, splats, leaks'
	@echo '  regressions    replay regressions/*.patch through the gate; each must be caught (ONLY="0001 0005")'
	@echo '  mutate         mutation score of the SVA core (FILE= FUNC= ONLY= LIMIT= SAMPLE= BUDGET= MUTATE_JOBS= LIST=1)'
	@echo '  series         the suite as a git format-patch series adding kselftest target iommu/sva to KSRC (OUT=dir)'
	@echo '  kselftest-accept  series applied in an overlay copy of the setup tree: kselftest-merge, build, make kselftest + run_kselftest.sh in vng'
	@echo '  sparse         build the module with sparse (C=1) against Debian 6.12 headers; fail on any report'
	@echo '  lint           shellcheck the scripts, byte-compile the verdict'
	@echo '  results        print the path of the latest results directory'
	@echo
	@echo 'Variables:'
	@echo '  KSRC=dir       kernel tree (setup: instead of Debian linux-source-7.*)'
	@echo '  KDIR=dir       kernel build dir the module is built against (default: from make setup)'
	@echo '  KERNEL=file    image to boot (default: $$(KDIR)/arch/x86/boot/bzImage)'
	@echo '  BOOT=mode      auto (vng with KVM, initramfs without), vng or initramfs'
	@echo '  ACCEL=accel    auto, kvm or tcg'
	@echo '  PROBE="a b"    inject probes into check: fail hang tap orphan warn warn2 leak lockdep-off kmemleak-off panic stall'
	@echo '  TIMEOUT=s      host-side limit for the whole guest run (default: derived)'
	@echo '  STALL=s        stop the guest after s seconds without progress (default: program timeout + 60)'
	@echo '  ALLOWLIST=file kernel splats to tolerate (default: scripts/splat-allowlist)'
	@echo '  MODULE_DIR=dir SELFTESTS_DIR=dir  what to build and run (default: mock_iommu, selftests)'
	@echo '  MODULE_PARAMS="a=b" parameters for insmod of the module'
	@echo '  APPEND="..."   extra kernel command line'
	@echo '  MEM=size       guest memory, initramfs mode (default: 512M)'
	@echo '  FLAVOUR=name   build dir suffix for setup (default: debug)'
	@echo '  DISTRO_VERSION=ver  distro-kernel: a linux-image version (default: newest 6.12 in bookworm-backports)'
	@echo '  CACHE=dir      cache (default: $${XDG_CACHE_HOME:-$$HOME/.cache}/sva-kselftest)'
	@echo '  PATCHES=x      gate: an mbox/patch file, a directory of *.patch, or a git range of KSRC'
	@echo '  BENCH=0        gate: skip the side-by-side benchmark (BENCH_THRESHOLD=1.5: flag on minima)'
	@echo '  V=1            show build output'

setup:
	@scripts/setup.sh

check:
	@scripts/check.sh

check-runner:
	@runner-tests/run.sh

bench-runner:
	@scripts/bench.sh

bench:
	@bench/run.sh

coverage:
	@scripts/coverage.sh

distro-kernel:
	@scripts/distro-kernel.sh

gate:
	@scripts/gate.py $(if $(KSRC),--ksrc "$(KSRC)") --patches "$(PATCHES)" $(if $(filter 0,$(BENCH)),,--bench)

mutate:
	@scripts/mutate.py $(if $(KSRC),--ksrc "$(KSRC)") $(if $(LIST),--list)

regressions:
	@scripts/gate.py $(if $(KSRC),--ksrc "$(KSRC)") --regressions regressions $(if $(ONLY),--only $(ONLY))

sparse:
	@scripts/sparse.sh

series:
	@scripts/series.sh

kselftest-accept:
	@scripts/kselftest-accept.sh

lint:
	shellcheck scripts/*.sh runner-tests/*.sh bench/*.sh kselftest/*.sh .ci/run
	for f in scripts/*.py bench/*.py; do python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" $$f || exit 1; done
	python3 runner-tests/unit/test_verdict.py
	python3 runner-tests/unit/test_mutate.py
	scripts/checkpatch.sh

results:
	@readlink -f $(CACHE)/results/latest
