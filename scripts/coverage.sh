#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make coverage`: line and branch coverage of the SVA core by the suite.
#
#   1. build the coverage flavour of the test kernel: kconfig/vm.config +
#      config + kconfig/coverage.config (CONFIG_GCOV_KERNEL), with only
#      drivers/iommu/ and drivers/misc/uacce/ profiled. Their Makefiles get
#      "GCOV_PROFILE := y" in a private mount namespace where an overlay
#      covers the kernel tree at its own path (as gate.py's patched phase
#      does): the tree on disk is never written, and the overlay dies with
#      the namespace. Every build of this directory, incremental or not,
#      must go through here, or kbuild rebuilds those objects unprofiled.
#      Build directory: <cache>/build/<tree>-coverage, with ccache.
#   2. make check on it with COVERAGE=1: the guest sends the .gcda files
#      back (scripts/guest-coverage.sh).
#   3. scripts/coverage-report.py: per-file and per-function line and
#      branch coverage (lcov), the targets, an HTML report (genhtml).
#
# usage: coverage.sh [all|build|run|report [RESULTS]]   (default all)
#
# Environment: KSRC (default: the tree make setup recorded), JOBS (default
# 2), COVERAGE_KDIR (build directory), COVERAGE_SEED=0 (a first build from
# scratch, not from a copy of make setup's build), COVERAGE_STRICT=1 (exit
# 1 when a target is not met), and make check's variables (BOOT, ACCEL...).
# The tracefile of the latest report is <cache>/coverage/latest/coverage.info
# (make gate reads it).
# Exit status: make check's (the report is printed either way), 2 when
# there is no coverage data, 1 when the build fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state=$cache/state
fragments=("$root/kconfig/vm.config" "$root/config" "$root/kconfig/coverage.config")
profiled=(drivers/iommu drivers/iommu/iommufd drivers/misc/uacce)

log() { echo "coverage: $*" >&2; }
state_get() { sed -n "s/^$1=//p" "$state" 2>/dev/null | tail -n 1; }

ksrc=${KSRC:-$(state_get KSRC)}
if [ -z "$ksrc" ] || [ ! -f "$ksrc/Makefile" ]; then
	log "no kernel tree: run 'make setup' first, or pass KSRC=<kernel tree>"
	exit 1
fi
ksrc=$(realpath "$ksrc")
kdir=${COVERAGE_KDIR:-$cache/build/$(basename "$ksrc")-coverage}
mkdir -p "$kdir"
kdir=$(realpath "$kdir")

# --- inside the private mount namespace --------------------------------------
if [ "${1:-}" = --build-in-namespace ]; then
	# The overlay's directories come from the caller, which removes them
	# when the namespace (and with it the mount) is gone.
	ov=$2
	mkdir -p "$ov/upper" "$ov/work"
	mount -t overlay overlay -o "lowerdir=$ksrc,upperdir=$ov/upper,workdir=$ov/work" "$ksrc"
	for d in "${profiled[@]}"; do
		printf '\n# make coverage (private overlay, scripts/coverage.sh)\nGCOV_PROFILE := y\n' \
			>>"$ksrc/$d/Makefile"
	done
	# CONFIG_GCOV_KERNEL adds --no-unreachable to objtool's arguments
	# for every object, which changes every object's command: kbuild would
	# recompile all ~2200 of them (even as ccache hits, the preprocessor
	# runs on each: most of an hour on a busy 2-core host). Only profiled
	# objects need it; the others then keep make setup's command and are
	# taken as they are from the seed copy.
	lib=$ksrc/scripts/Makefile.lib
	# shellcheck disable=SC2016 # make's $(...), not the shell's
	from='objtool-args-$(or $(CONFIG_GCOV_KERNEL),$(CONFIG_KCOV))'
	# shellcheck disable=SC2016
	to='objtool-args-$(or $(if $(GCOV_PROFILE),$(CONFIG_GCOV_KERNEL)),$(CONFIG_KCOV))'
	if grep -qF "$from" "$lib"; then
		python3 -c 'import sys; p, a, b = sys.argv[1:]; s = open(p).read(); open(p, "w").write(s.replace(a, b, 1))' \
			"$lib" "$from" "$to"
		grep -qF "$to" "$lib" || echo "coverage: warning: scripts/Makefile.lib: objtool --no-unreachable not narrowed" >&2
	else
		echo "coverage: note: scripts/Makefile.lib has no '$from': every object rebuilds" >&2
	fi
	rc=0
	CCACHE=1 CCACHE_DIR=$cache/ccache JOBS=${JOBS:-2} \
		"$root/scripts/build-kernel.sh" "$ksrc" "$kdir" "${fragments[@]}" || rc=$?
	exit "$rc"
fi

# A first build starts from a copy of make setup's build of the same tree
# (only read): kbuild then recompiles what the coverage configuration
# (CONFIG_GCOV_KERNEL: kernel/gcov/, the linker script) and GCOV_PROFILE
# change, and relinks. From scratch, even with every object a ccache hit,
# ccache runs the preprocessor on each of ~2200 files (autoconf.h differs,
# so direct mode misses): most of an hour on a busy 2-core host.
seed() {
	local skdir ssrc
	skdir=$(state_get KDIR)
	ssrc=$(state_get KSRC)
	[ ! -f "$kdir/.config" ] && [ -n "$skdir" ] && [ -f "$skdir/vmlinux" ] &&
		[ "$(realpath "$ssrc")" = "$ksrc" ] && [ "$(realpath "$skdir")" != "$kdir" ] || return 0
	log "first build: seeding $kdir from $skdir"
	# Others may be building there meanwhile (make setup, a gate's
	# baseline, an in-tree selftest build): files that vanish are fine
	# (rsync exit 24), and whatever was written during the copy (rsync
	# keeps mtimes, so it is newer than the stamp) may be half written:
	# its objects and command files go, and kbuild makes them again.
	local stamp rc=0
	stamp=$(mktemp "$cache/work/coverage-seed.XXXXXX")
	rsync -a "$skdir/" "$kdir/" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 24 ]; then
		log "copying $skdir failed (rsync exit $rc)"
		exit 1
	fi
	find "$kdir" -newer "$stamp" -type f \( -name '*.o' -o -name '*.a' -o -name '.*.cmd' -o -name '*.ko' \) \
		-printf '%P\n' -delete | sed 's/^/coverage: written during the copy, rebuilt: /' >&2
	rm -f "$stamp"
	# The tools build (objtool) records absolute paths: pointed at the copy
	# (mtimes kept), objtool stays up to date. Relinked, it would be newer
	# than every object, and each object's command depends on it.
	local f
	grep -rlIF "$skdir" "$kdir/tools" 2>/dev/null | while IFS= read -r f; do
		sed "s|$skdir|$kdir|g" "$f" >"$f.sva-tmp" && touch -r "$f" "$f.sva-tmp" && mv "$f.sva-tmp" "$f"
	done
	rm -f "$kdir/.sva-setup" "$kdir/.sva-build-seconds" "$kdir/.sva-fragments"
	# Until the build relinks, no image here: a stopped build must not
	# leave the setup's kernel to be booted as the coverage kernel.
	rm -f "$kdir/vmlinux" "$kdir/arch/x86/boot/bzImage"
}

build() {
	mkdir -p "$cache/ccache" "$cache/work"
	local statslog=$kdir/.sva-ccache-stats.log start secs n other
	rm -f "$statslog"
	start=$SECONDS
	[ "${COVERAGE_SEED:-1}" = 0 ] || seed
	log "building the coverage kernel into $kdir (${profiled[*]} profiled, JOBS=${JOBS:-2}, ccache)"
	ov=$(mktemp -d "$cache/work/coverage-overlay.XXXXXX")
	trap 'rm -rf "$ov"' EXIT
	trap 'exit 143' TERM INT
	if ! CCACHE_STATSLOG=$statslog unshare --mount --propagation private "$0" --build-in-namespace "$ov"; then
		log "the coverage kernel does not build"
		exit 1
	fi
	rm -rf "$ov"
	secs=$((SECONDS - start))
	echo "$secs" >"$kdir/.sva-coverage-build-seconds"
	# Is what is profiled what was meant to be?
	n=$(find "$kdir/drivers/iommu" -maxdepth 1 -name '*.gcno' | wc -l)
	if [ ! -f "$kdir/drivers/iommu/iommu-sva.gcno" ] || [ ! -f "$kdir/drivers/misc/uacce/uacce.gcno" ] ||
		[ ! -f "$kdir/drivers/iommu/iommufd/device.gcno" ]; then
		log "no .gcno for iommu-sva.c or uacce.c in $kdir: the GCOV_PROFILE overlay did not take"
		exit 1
	fi
	other=$(find "$kdir" -name '*.gcno' | grep -cvE "/drivers/iommu/([^/]*|iommufd/[^/]*)\.gcno$|/drivers/misc/uacce/" || true)
	[ "$other" -eq 0 ] || log "warning: $other .gcno files outside the profiled directories"
	log "built in $secs s; $n profiled objects in drivers/iommu/"
	if [ -s "$statslog" ]; then
		CCACHE_DIR=$cache/ccache CCACHE_STATSLOG=$statslog ccache --show-log-stats |
			grep -E 'Hits|Misses|Direct|Preprocessed|Uncacheable|Cacheable' | sed 's/^/coverage: ccache /' >&2 || true
	fi
}

run_check() {
	local start out rc
	start=$SECONDS
	out=$(mktemp)
	log "make check on $kdir/arch/x86/boot/bzImage with COVERAGE=1"
	set +e
	COVERAGE=1 KSRC=$ksrc KDIR=$kdir KERNEL=$kdir/arch/x86/boot/bzImage \
		"$root/scripts/check.sh" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	results=$(sed -n 's/.*results in \([^ ]*\).*/\1/p' "$out" | tail -n 1)
	rm -f "$out"
	check_rc=$rc
	check_secs=$((SECONDS - start))
	if [ -z "$results" ] || [ ! -d "$results" ]; then
		log "make check printed no results directory"
		exit 2
	fi
	log "make check: exit $rc in $check_secs s; results in $results"
}

report() {
	local start rc=0 strict=()
	start=$SECONDS
	[ "${COVERAGE_STRICT:-0}" = 1 ] && strict=(--strict)
	python3 "$root/scripts/coverage-report.py" --build "$kdir" --ksrc "$ksrc" \
		--results "$1" --unreachable "$root/coverage/unreachable" "${strict[@]}" || rc=$?
	log "report in $((SECONDS - start)) s"
	# Where make gate looks for the latest tracefile; make mutate uses it
	# (lines never reached) only for the same suite version
	if [ -f "$1/coverage/coverage.info" ]; then
		KSRC=$ksrc python3 "$root/scripts/mutate.py" --suite-version >"$1/coverage/suite-version" ||
			rm -f "$1/coverage/suite-version"
		mkdir -p "$cache/coverage"
		ln -sfn "$1/coverage" "$cache/coverage/latest"
	fi
	return "$rc"
}

cmd=${1:-all}
case $cmd in
build) build ;;
run)
	run_check
	exit "$check_rc"
	;;
report)
	results=${2:-$(readlink -f "$cache/results/latest")}
	report "$results"
	;;
all)
	t0=$SECONDS
	build
	build_secs=$(cat "$kdir/.sva-coverage-build-seconds")
	run_check
	rrc=0
	report "$results" || rrc=$?
	{
		echo "build $build_secs"
		echo "check $check_secs"
		echo "total $((SECONDS - t0))"
	} >"$results/coverage/timings" 2>/dev/null || true
	log "times: kernel build $build_secs s, make check $check_secs s, all $((SECONDS - t0)) s"
	[ "$rrc" -eq 0 ] || exit "$rrc"
	exit "$check_rc"
	;;
*)
	echo "usage: $0 [all|build|run|report [RESULTS]]" >&2
	exit 1
	;;
esac
