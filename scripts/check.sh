#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: build the module and the selftests, boot the test kernel,
# run scripts/guest-run.sh in it, then judge the artifacts with
# scripts/verdict.py. The last line printed is "sva: N passed, N failed,
# N skipped"; the exit status is 0 only when nothing failed.
#
# Settings come from the environment (the Makefile passes its variables):
#   KSRC KDIR KERNEL BOOT(auto|vng|initramfs) ACCEL(auto|kvm|tcg)
#   MODULE_DIR SELFTESTS_DIR PROBE (a list, see runner-tests/run.sh) TIMEOUT
#   STALL (seconds without guest progress before the host stops it)
#   PROG_LIMITS ("<prog> <seconds>", comma-separated: a per-program limit below the
#                settings file's, so that a mutant that hangs a program
#                costs a minute, not the kselftest timeout)
#   ALLOWLIST MODULE_PARAMS V
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
t_start=$SECONDS
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state=$cache/state

log() { echo "check: $*" >&2; }
die() { log "$*"; echo "sva: 0 passed, 1 failed, 0 skipped"; exit 1; }

# --- what to test -----------------------------------------------------------
state_get() { sed -n "s/^$1=//p" "$state" 2>/dev/null | tail -n 1; }
KSRC=${KSRC:-$(state_get KSRC)}
KDIR=${KDIR:-$(state_get KDIR)}
KERNEL=${KERNEL:-${KDIR:+$KDIR/arch/x86/boot/bzImage}}
BOOT=${BOOT:-auto}
ACCEL=${ACCEL:-auto}
MODULE_DIR=$(realpath -m "${MODULE_DIR:-$root/mock_iommu}")
SELFTESTS_DIR=$(realpath -m "${SELFTESTS_DIR:-$root/selftests}")
PROBE=${PROBE:-}
ALLOWLIST=${ALLOWLIST:-$root/scripts/splat-allowlist}
MODULE_PARAMS=${MODULE_PARAMS:-}
V=${V:-0}

[ -n "$KDIR" ] || die "no kernel build: run 'make setup' first, or pass KDIR=<kernel build dir>"
[ -f "$KDIR/Module.symvers" ] || [ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR is not a kernel build directory"
[ -f "$KERNEL" ] || die "no kernel image at KERNEL=$KERNEL"
KDIR=$(realpath "$KDIR")
KERNEL=$(realpath "$KERNEL")

krelease() {
	local r
	r=$(file -bL "$KERNEL" | sed -n 's/.*version \([^ ,]*\).*/\1/p')
	[ -n "$r" ] || r=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null)
	echo "${r:-unknown}"
}
release=$(krelease)

# --- accelerator and boot mode ---------------------------------------------
if [ "$ACCEL" = auto ]; then
	if "$root/scripts/kvm-usable.sh" "$KERNEL"; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case $ACCEL in kvm | tcg) ;; *) die "ACCEL must be auto, kvm or tcg" ;; esac
if [ "$BOOT" = auto ]; then
	if [ "$ACCEL" = kvm ]; then BOOT=vng; else BOOT=initramfs; fi
fi
case $BOOT in vng | initramfs) ;; *) die "BOOT must be auto, vng or initramfs" ;; esac

stamp=$(date +%Y%m%d-%H%M%S)
probes=${PROBE// /+}
run=$cache/results/$stamp-$release-$BOOT${probes:+-probe-$probes}
n=1
# mkdir is the claim: runs started in the same second (a gate's parallel
# replays) get names of their own.
mkdir -p "$cache/results"
until mkdir "$run" 2>/dev/null; do run=$cache/results/$stamp-$release-$BOOT${probes:+-probe-$probes}.$((n++)); done
payload=$run/payload
guest=$run/guest
mkdir -p "$payload/modules" "$payload/tests" "$guest"
log "kernel $KERNEL ($release), modules against $KDIR"
log "boot mode $BOOT, accelerator $ACCEL${PROBE:+, probe $PROBE}"

quiet() {
	# Run a build step; show its output only when it fails or with V=1.
	local logf=$1
	shift
	if [ "$V" = 1 ]; then
		"$@" 2>&1 | tee "$logf"
		return "${PIPESTATUS[0]}"
	fi
	if ! "$@" >"$logf" 2>&1; then
		tail -n 40 "$logf" >&2
		return 1
	fi
}

build_failed() {
	log "$1"
	{
		echo "KTAP version 1"
		echo "1..1"
		echo "not ok 1 build # $1"
	} | tee "$run/results.ktap"
	# The gate reads every run's JUnit file: a build failure is a case too.
	python3 - "$run/junit.xml" "$1" <<'EOT'
import sys
import xml.etree.ElementTree as ET
root = ET.Element("testsuites", name="sva")
suite = ET.SubElement(root, "testsuite", name="build", tests="1", failures="1", skipped="0")
tc = ET.SubElement(suite, "testcase", classname="build", name="build")
ET.SubElement(tc, "failure", message=sys.argv[2])
ET.ElementTree(root).write(sys.argv[1], encoding="utf-8", xml_declaration=True)
EOT
	log "results in $run"
	ln -sfn "$run" "$cache/results/latest"
	echo "sva: 0 passed, 1 failed, 0 skipped"
	exit 1
}

# --- build the module --------------------------------------------------------
# Runs in parallel (e.g. several probes) must not build into the same
# directories at once.
exec 9>"$cache/.build-lock"
flock 9
modules=()
if [ -f "$MODULE_DIR/Makefile" ] && grep -q 'KDIR' "$MODULE_DIR/Makefile"; then
	log "building the module: make -C $MODULE_DIR KDIR=$KDIR"
	quiet "$run/module-build.log" make -C "$MODULE_DIR" KDIR="$KDIR" ||
		build_failed "module build failed (log: $run/module-build.log)"
elif compgen -G "$MODULE_DIR/*.c" >/dev/null; then
	log "building the module: make -C $KDIR M=$MODULE_DIR modules"
	quiet "$run/module-build.log" make -C "$KDIR" M="$MODULE_DIR" modules ||
		build_failed "module build failed (log: $run/module-build.log)"
else
	build_failed "no module source in $MODULE_DIR"
fi
for ko in "$MODULE_DIR"/*.ko; do
	[ -f "$ko" ] && modules+=("$ko")
done
[ "${#modules[@]}" -gt 0 ] || build_failed "the module build produced no .ko in $MODULE_DIR"
: >"$payload/modules.list"
for ko in "${modules[@]}"; do
	cp "$ko" "$payload/modules/"
	echo "$(basename "$ko") $MODULE_PARAMS" >>"$payload/modules.list"
done

# --- build the selftests -----------------------------------------------------
# Static binaries, so that the busybox initramfs needs no C library; the
# kselftest lib.mk honours OUTPUT, and LDFLAGS from the environment is
# appended to by the Makefile rather than replaced.
# One output directory per selftests source directory: binaries built
# from another checkout must never look up to date here.
out=$cache/work/$(echo "$SELFTESTS_DIR" | sha256sum | cut -c1-12)/selftests
mkdir -p "$out"
[ -f "$SELFTESTS_DIR/Makefile" ] || build_failed "no selftests Makefile in $SELFTESTS_DIR"
log "building the selftests: make -C $SELFTESTS_DIR OUTPUT=$out (LDFLAGS=-static)"
LDFLAGS="-static ${LDFLAGS:-}" quiet "$run/selftests-build.log" \
	make -C "$SELFTESTS_DIR" OUTPUT="$out" KSRC="$KSRC" KDIR="$KDIR" ||
	build_failed "selftests build failed (log: $run/selftests-build.log)"
# The programs: the directory's `make list` if it has one, else its
# TEST_GEN_PROGS as a make that reads it after the Makefile sees them.
list_progs() {
	make -s --no-print-directory -C "$SELFTESTS_DIR" list 2>/dev/null ||
		make -s --no-print-directory -C "$SELFTESTS_DIR" -f Makefile -f "$root/scripts/print-progs.mk" \
			OUTPUT="$out" KSRC="$KSRC" KDIR="$KDIR" sva-print-progs 2>/dev/null
}
progs=()
while IFS= read -r p; do
	[ -z "$p" ] && continue
	[ -x "$out/$p" ] || build_failed "selftest program $p was not built (log: $run/selftests-build.log)"
	# TESTS="a b": these programs only (a gate's regression replay)
	if [ -n "${TESTS:-}" ] && ! grep -qw -- "$p" <<<"$TESTS"; then
		continue
	fi
	progs+=("$p")
done < <(list_progs | tr ' ' '\n' | sed 's|.*/||')
for t in ${TESTS:-}; do
	printf '%s\n' "${progs[@]}" | grep -qx -- "$t" || build_failed "TESTS names $t, which is no program of $SELFTESTS_DIR"
done
[ "${#progs[@]}" -gt 0 ] || build_failed "the selftests build produced no program in $out"
limit=45
if [ -f "$SELFTESTS_DIR/settings" ]; then
	t=$(sed -n 's/^timeout=\([0-9]*\).*/\1/p' "$SELFTESTS_DIR/settings" | tail -n 1)
	[ -n "$t" ] && limit=$t
fi
echo "$limit" >"$payload/timeout"
: >"$payload/timeouts"
if [ -n "${PROG_LIMITS:-}" ]; then
	while read -r p t; do
		[ -n "$p" ] || continue
		[[ $t =~ ^[1-9][0-9]*$ ]] || die "PROG_LIMITS: '$p $t' is no '<prog> <seconds>'"
		echo "$p $t" >>"$payload/timeouts"
	done < <(tr ',' '\n' <<<"$PROG_LIMITS")
fi
: >"$payload/tests.list"
for p in "${progs[@]}"; do
	cp "$out/$p" "$payload/tests/"
	echo "$p" >>"$payload/tests.list"
done

# --- probes that must make the gate fail ----------------------------------
# PROBE is a space-separated list; module probes share one load of
# sva_probe.ko (mode=a,b), program probes each add programs.
if [ -n "$PROBE" ]; then
	pdir=$root/runner-tests/probe
	modes=()
	progs_p=()
	for p in $PROBE; do
		case $p in
		warn | warn2 | leak | panic | stall) modes+=("$p") ;;
		lockdep-off) modes+=(lockdep_off) ;;
		kmemleak-off) APPEND="${APPEND:-} kmemleak=off" ;;
		fail | hang | orphan) progs_p+=("probe_$p") ;;
		tap) progs_p+=(probe_silent probe_empty probe_extra) ;;
		*) die "unknown probe '$p' (fail, hang, tap, orphan, warn, warn2, leak, lockdep-off, kmemleak-off, panic, stall)" ;;
		esac
	done
	if [ "${#modes[@]}" -gt 0 ]; then
		mode=$(IFS=,; echo "${modes[*]}")
		log "probe: module sva_probe mode=$mode"
		quiet "$run/probe-build.log" make -C "$KDIR" M="$pdir" modules ||
			build_failed "probe module build failed (log: $run/probe-build.log)"
		cp "$pdir/sva_probe.ko" "$payload/modules/"
		echo "sva_probe.ko mode=$mode" >>"$payload/modules.list"
	fi
	if [ "${#progs_p[@]}" -gt 0 ]; then
		log "probe: test programs ${progs_p[*]}"
		mkdir -p "$cache/work/probes"
		quiet "$run/probe-build.log" make -C "$pdir" -f progs.mk OUTPUT="$cache/work/probes" ||
			build_failed "probe program build failed (log: $run/probe-build.log)"
		for p in "${progs_p[@]}"; do
			cp "$cache/work/probes/$p" "$payload/tests/"
			echo "$p" >>"$payload/tests.list"
		done
		# A hang must trip the per-program watchdog, not the host's limit.
		echo "probe_hang 10" >>"$payload/timeouts"
	fi
fi
cp "$root/scripts/guest-run.sh" "$payload/"
# make coverage: the guest also sends back the gcov counters.
[ "${COVERAGE:-0}" = 1 ] && cp "$root/scripts/guest-coverage.sh" "$payload/coverage.sh"
flock -u 9
ntests=$(wc -l <"$payload/tests.list")
log "payload: ${#modules[@]} module(s)${PROBE:+ + probe}, $ntests program(s), ${limit}s per program"

# --- boot ------------------------------------------------------------------
if [ "$ACCEL" = kvm ]; then boot_allow=90; else boot_allow=240; fi
[ "$BOOT" = vng ] && [ "$ACCEL" = tcg ] && boot_allow=600
# Booting, every program at its limit, the kmemleak wait, and some slack.
TIMEOUT=${TIMEOUT:-$((boot_allow + ntests * (limit + 5) + 60))}
console=$run/console.log

make_initramfs() {
	local tree=$run/initramfs bb
	bb=$(command -v busybox) || die "busybox not found (make setup installs busybox-static)"
	file -bL "$bb" | grep -q 'statically linked' || die "$bb is not static: install busybox-static"
	rm -rf "$tree"
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run}
	cp "$bb" "$tree/bin/busybox"
	ln -s busybox "$tree/bin/sh"
	cp -r "$payload" "$tree/payload"
	# A test binary that is not static gets its libraries along.
	local f lib
	for f in "$tree"/payload/tests/*; do
		if readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; then
			log "note: $(basename "$f") is dynamically linked; adding its libraries"
			for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
				mkdir -p "$tree$(dirname "$lib")"
				cp -L "$lib" "$tree$lib"
			done
		fi
	done
	cat >"$tree/init" <<'EOT'
#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
sh /payload/guest-run.sh /payload /tmp/results /dev/ttyS1
echo "sva-guest: powering off"
reboot -f
EOT
	chmod +x "$tree/init"
	(cd "$tree" && find . | cpio -o -H newc --quiet) >"$run/initramfs.cpio"
	rm -rf "$tree"
}

# Run the VM under the overall limit, and also stop it when the guest makes
# no progress (no artifact written) for longer than a program may take, or
# does not start the guest script within the boot allowance: a hang then
# costs minutes, not the sum of every program's limit.
maxlimit=$limit
while read -r _ t; do
	[ "${t:-0}" -gt "$maxlimit" ] && maxlimit=$t
done <"$payload/timeouts"
stall=${STALL:-$((maxlimit + 60))}
guarded() {
	local watch=$1 pid sig old="" last=$SECONDS allow=$boot_allow
	shift
	"$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		sig=$(find "$watch" -type f -printf '%s %T@ %p\n' 2>/dev/null | md5sum)
		if [ "$sig" != "$old" ]; then
			[ -n "$old" ] && allow=$stall
			old=$sig
			last=$SECONDS
		elif [ $((SECONDS - last)) -gt "$allow" ]; then
			log "no progress from the guest for $allow s: stopping it"
			echo "no progress for $allow s" >"$run/stalled"
			kill -TERM "$pid" 2>/dev/null
			sleep 5
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	wait "$pid"
}

start=$SECONDS
case $BOOT in
initramfs)
	make_initramfs
	if [ "$ACCEL" = kvm ]; then
		accel=(-accel kvm -cpu host)
	else
		accel=(-accel "tcg,thread=single")
	fi
	stream=$run/stream.log
	: >"$stream"
	log "booting: qemu -kernel + busybox initramfs (host timeout ${TIMEOUT}s, or ${boot_allow}s to start, ${stall}s without progress)"
	guarded "$stream" timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${accel[@]}" -M pc -smp 2 -m "${MEM:-512M}" \
		-nodefaults -display none -no-reboot \
		-kernel "$KERNEL" -initrd "$run/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init ${APPEND:-}" \
		-serial "file:$console" -serial "file:$stream" </dev/null
	rc=$?
	;;
vng)
	command -v vng >/dev/null || die "vng not found (make setup installs virtme-ng)"
	vopts=(--run "$KERNEL" --memory 1G --cpus 2 --verbose --force-9p --rwdir "$guest"
		--append "panic=-1 ${APPEND:-}")
	[ "$ACCEL" = tcg ] && vopts+=(--disable-kvm --qemu-opts="-accel tcg,thread=single")
	log "booting: vng --run (host timeout ${TIMEOUT}s, or ${boot_allow}s to start, ${stall}s without progress)"
	(cd "$run" && guarded "$guest" timeout -k 10 "$TIMEOUT" vng "${vopts[@]}" \
		--exec "sh $payload/guest-run.sh $payload $guest" </dev/null >"$console" 2>&1)
	rc=$?
	stream=
	;;
esac
if [ -f "$run/stalled" ]; then
	vm_end="timeout: $(cat "$run/stalled")"
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	vm_end="timeout: over the ${TIMEOUT}s limit"
else
	vm_end="exit $rc"
fi
log "guest finished after $((SECONDS - start)) s ($vm_end)"
echo "$((SECONDS - start))" >"$run/boot-seconds"

# --- verdict -----------------------------------------------------------------
# A kernel built by this project (scripts/build-kernel.sh leaves
# .sva-fragments next to it) must honour the suite's fragment and have
# every detector; any other kernel is judged by what its config declares.
own=()
if [ "$KERNEL" = "$KDIR/arch/x86/boot/bzImage" ] && [ -f "$KDIR/.sva-fragments" ]; then
	own=(--own-build --required "$root/config")
fi
python3 "$root/scripts/verdict.py" --artifacts "$guest" ${stream:+--stream "$stream"} \
	--console "$console" --tests-list "$payload/tests.list" \
	--modules-list "$payload/modules.list" --vm-end "$vm_end" \
	--allowlist "$ALLOWLIST" --bans "$root/scripts/sva-bans" --config "$KDIR/.config" \
	"${own[@]}" --results "$run" --label sva >"$run/verdict.out"
verdict=$?
if ! tail -n 1 "$run/verdict.out" | grep -qE '^sva: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'; then
	cat "$run/verdict.out"
	die "the verdict script failed (exit $verdict); artifacts in $run"
fi
for f in dmesg kmemleak; do
	[ -f "$guest/$f" ] && cp "$guest/$f" "$run/$f"
done
rm -f "$run/initramfs.cpio"
ln -sfn "$run" "$cache/results/latest"
head -n -1 "$run/verdict.out"
log "results in $run (also $cache/results/latest); $((SECONDS - t_start)) s in all"
tail -n 1 "$run/verdict.out"
exit "$verdict"
