#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make kselftest-accept`: the kernel's own kselftest path, end to end, on
# a copy of the setup tree with `make series` applied. The tree and its
# build directory are never written: a private mount namespace puts an
# overlayfs over each (same paths, so the kernel build is incremental),
# and everything written lands in <work>/upper-*.
#
#   1. make series; the patches applied with git apply
#   2. the config fragment: merged onto the setup kernel's .config it must
#      change nothing, and make kselftest-merge (every fragment of the
#      tree, in a scratch build directory) must keep each of its symbols
#   3. the kernel build (incremental), kselftest-all and kselftest-gen_tar
#      for TARGETS=iommu/sva, on the host
#   4. one vng boot of that kernel (TCG unless ACCEL=kvm) running
#      a. make kselftest TARGETS=iommu/sva from the top of the tree
#      b. the gen_tar tarball unpacked in the guest: run_kselftest.sh -c iommu/sva
#      c. the same with mock_iommu.ko removed, and with a corrupt .ko:
#         both must fail (module_load), not skip
#
# Environment: KSRC KDIR (default: make setup's), WORK (default
# <cache>/kselftest-accept/<time>), ACCEL (tcg|kvm, default tcg), SERIES
# (a directory of patches to use instead of running make series), KBUILD=0
# (skip the kernel build: the series only adds files under tools/ and
# MAINTAINERS) and KERNEL (the image to boot, default the build's).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state_get() { sed -n "s/^$1=//p" "$cache/state" 2>/dev/null | tail -n 1; }
log() { echo "accept: [$(date +%T)] $*" >&2; }
die() { log "$*"; exit 1; }

if [ "${1:-}" != --inner ]; then
	KSRC=$(realpath "${KSRC:-$(state_get KSRC)}")
	KDIR=$(realpath "${KDIR:-$(state_get KDIR)}")
	if [ ! -f "$KSRC/Makefile" ] || [ ! -f "$KDIR/.config" ]; then
		die "no setup tree: run make setup or pass KSRC= and KDIR="
	fi
	WORK=${WORK:-$cache/kselftest-accept/$(date +%Y%m%d-%H%M%S)}
	mkdir -p "$WORK"/{upper-src,work-src,upper-build,work-build,logs}
	export KSRC KDIR WORK
	if [ "${GUEST_ONLY:-0}" = 1 ]; then
		[ -d "$WORK/upper-src" ] || die "GUEST_ONLY=1 needs the WORK of an earlier run"
	elif [ -n "${SERIES:-}" ]; then
		log "series from $SERIES"
		mkdir -p "$WORK/series"
		cp "$SERIES"/*.patch "$WORK/series/" || die "no patches in $SERIES"
	else
		log "series into $WORK/series"
		OUT=$WORK/series "$root/scripts/series.sh" >"$WORK/logs/series.log" 2>&1 ||
			{ cat "$WORK/logs/series.log"; die "make series failed"; }
		grep '^series:' "$WORK/logs/series.log" >&2
	fi
	exec unshare -m "$0" --inner
fi

# --- inside the private mount namespace ----------------------------------
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$KSRC,upperdir=$WORK/upper-src,workdir=$WORK/work-src" "$KSRC" ||
	die "overlay over $KSRC failed"
mount -t overlay overlay -o "lowerdir=$KDIR,upperdir=$WORK/upper-build,workdir=$WORK/work-build" "$KDIR" ||
	die "overlay over $KDIR failed"
L=$WORK/logs
fail=0
step() {
	# step <name> <command...>: run, log, time
	local name=$1 t=$SECONDS rc
	shift
	"$@" >"$L/$name.log" 2>&1
	rc=$?
	log "$name: exit $rc, $((SECONDS - t)) s (log: $L/$name.log)"
	[ "$rc" -eq 0 ] || { tail -n 20 "$L/$name.log" >&2; fail=1; }
	return "$rc"
}

cd "$KSRC" || exit 1
if [ "${GUEST_ONLY:-0}" != 1 ]; then
step apply git apply --verbose "$WORK"/series/00[0-9][1-9]-*.patch || die "the series does not apply"

# The fragment against the setup kernel: nothing to change.
fragments=(tools/testing/selftests/iommu/sva/config tools/testing/selftests/iommu/sva/config.x86_64)
cp "$KDIR/.config" "$WORK/config.before"
step merge-fragment sh -c "scripts/kconfig/merge_config.sh -m -O '$KDIR' '$KDIR/.config' ${fragments[*]} &&
	make O='$KDIR' olddefconfig"
if diff -u "$WORK/config.before" "$KDIR/.config" >"$L/merge-fragment.diff"; then
	log "merge-fragment: the setup kernel's .config already has the fragment (no change)"
else
	log "merge-fragment: the fragment changes the setup .config: $L/merge-fragment.diff"
	fail=1
fi
# make kselftest-merge: every fragment of the tree, in a scratch directory.
mo=$WORK/merge-o
mkdir -p "$mo"
cp "$WORK/config.before" "$mo/.config"
step kselftest-merge make O="$mo" kselftest-merge
missing=$(cat "${fragments[@]}" | sed -n -e 's/^\(CONFIG_[A-Z0-9_]*=.*\)$/\1/p' \
	-e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' | while read -r l; do
	case $l in
	*=*) grep -qx "$l" "$mo/.config" || echo "$l" ;;
	*) grep -q "^$l=[ym]" "$mo/.config" && echo "$l (set)" ;;
	esac
done)
if [ -n "$missing" ]; then
	log "kselftest-merge: not kept: $(echo "$missing" | tr '\n' ' ')"
	grep -E "$(echo "$missing" | sed 's/[= ].*//' | paste -sd'|')" "$L/kselftest-merge.log" | head -n 20 >&2
	fail=1
else
	log "kselftest-merge: every symbol of the fragment kept"
fi

jobs=$(nproc)
# As make setup builds it (scripts/build-kernel.sh): with another CC on the
# command line kbuild would rebuild every object.
kcc=()
[ -d "$cache/ccache" ] && command -v ccache >/dev/null && kcc=(CC="ccache gcc")
if [ "${KBUILD:-1}" = 0 ]; then
	log "kernel-build: skipped (KBUILD=0); booting ${KERNEL:-$KDIR/arch/x86/boot/bzImage}"
else
	CCACHE_DIR=$cache/ccache step kernel-build make O="$KDIR" -j"$jobs" "${kcc[@]}" bzImage modules ||
		die "kernel build failed"
fi
step kselftest-all make O="$KDIR" -j"$jobs" kselftest-all TARGETS=iommu/sva || die "kselftest-all failed"
step kselftest-gen_tar make O="$KDIR" kselftest-gen_tar TARGETS=iommu/sva || die "kselftest-gen_tar failed"
tarball=$KDIR/kselftest/kselftest_install/kselftest-packages/kselftest.tar.gz
tar tzf "$tarball" >"$L/tarball.list"
log "tarball: $(grep -c . "$L/tarball.list") entries, module: $(grep 'iommu/sva/mock_iommu/.*\.ko$' "$L/tarball.list" || echo MISSING)"
cp "$tarball" "$WORK/kselftest.tar.gz"
fi

# --- the guest ---------------------------------------------------------------
res=$WORK/guest
rm -rf "$res"
mkdir -p "$res"
cat >"$WORK/guest.sh" <<G
#!/bin/sh
# a. the tree's own make kselftest (GUEST_MAKE=0: skipped)
if [ "${GUEST_MAKE:-1}" = 1 ]; then
	cd "$KSRC" || exit 1
	make O="$KDIR" kselftest TARGETS=iommu/sva >"$res/make-kselftest.log" 2>&1
	echo \$? >"$res/make-kselftest.rc"
fi
# b. the tarball, unpacked in the guest. Logs are written in the guest
# and copied: over 9p the runner's writers (same file, shared offset)
# overwrote each other's lines.
k=\$(mktemp -d 2>/dev/null) || { k="$res/unpacked"; mkdir -p "\$k"; }
tar xzf "$WORK/kselftest.tar.gz" -C "\$k"
(cd "\$k" && ./run_kselftest.sh -c iommu/sva) >"\$k/run_kselftest.log" 2>&1
cp "\$k/run_kselftest.log" "$res/"
echo \$? >"$res/run_kselftest.rc"
# c. without the module, and with a module that does not load
mv "\$k/iommu/sva/mock_iommu/mock_iommu.ko" "\$k/mock_iommu.ko.saved"
(cd "\$k" && ./run_kselftest.sh -c iommu/sva) >"\$k/no-module.log" 2>&1
cp "\$k/no-module.log" "$res/"
echo \$? >"$res/no-module.rc"
head -c 4096 "\$k/mock_iommu.ko.saved" >"\$k/iommu/sva/mock_iommu/mock_iommu.ko"
(cd "\$k" && ./run_kselftest.sh -c iommu/sva) >"\$k/bad-module.log" 2>&1
cp "\$k/bad-module.log" "$res/"
echo \$? >"$res/bad-module.rc"
dmesg >"$res/dmesg"
G
opts=(--run "${KERNEL:-$KDIR/arch/x86/boot/bzImage}" --memory 1G --cpus 2 --force-9p
	--overlay-rwdir "$KSRC" --overlay-rwdir "$KDIR" --rwdir "$res" --append "panic=-1")
[ "${ACCEL:-tcg}" = kvm ] || opts+=(--disable-kvm --qemu-opts="-accel tcg,thread=single")
# Without udev in the root, virtme-init finds no virtio-serial script
# ports and falls back to the console: vng then exits 255 even when the
# command ran. What virtme-init prints is the command's status.
# shellcheck disable=SC2317 # called through step
vng_run() {
	timeout 3600 vng "${opts[@]}" --verbose --exec "sh $WORK/guest.sh" </dev/null
	grep -q 'virtme-init: script returned {0}' "$L/vng.log"
}
step vng vng_run

count() {
	# harness cases (two levels down), the target's own cases, the result
	local f=$1
	echo "harness cases: $(grep -cE '^# # (not )?ok [0-9]+ ' "$f"), failed: $(grep -cE '^# # not ok [0-9]+ ' "$f"), skipped: $(grep -cE '^# # ok [0-9]+ .*# SKIP' "$f");" \
		"sva.sh cases: $(grep -E '^# (not )?ok [0-9]+ ' "$f" | tr '\n' ';' | sed 's/# //g')" \
		"result: $(grep -E '^(not )?ok [0-9]+ selftests: iommu/sva' "$f")"
}
for r in make-kselftest run_kselftest no-module bad-module; do
	log "$r: exit $(cat "$res/$r.rc" 2>/dev/null || echo none); $(count "$res/$r.log" 2>/dev/null)"
done
if [ "${GUEST_MAKE:-1}" = 1 ]; then
	[ "$(cat "$res/make-kselftest.rc" 2>/dev/null)" = 0 ] || fail=1
	grep -q '^ok 1 selftests: iommu/sva: sva.sh$' "$res/make-kselftest.log" || fail=1
fi
grep -q '^ok 1 selftests: iommu/sva: sva.sh$' "$res/run_kselftest.log" || fail=1
grep -q '^not ok 1 selftests: iommu/sva: sva.sh # exit=1$' "$res/no-module.log" || fail=1
grep -q '^not ok 1 selftests: iommu/sva: sva.sh # exit=1$' "$res/bad-module.log" || fail=1
log "done: $([ "$fail" = 0 ] && echo PASS || echo FAIL); logs in $L and $res"
exit "$fail"
