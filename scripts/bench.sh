#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench-runner`: timings of the runner on this machine.
#   - kernel build: cold (as recorded by the last `make setup` that built),
#     warm (an incremental build with nothing to do)
#   - boot to init: bare qemu + a busybox initramfs whose init powers off
#     at once, and `vng --run --exec true`
#   - `make check` wall time per boot mode
# for KVM (when usable) and TCG. BENCH_MODES / BENCH_ACCELS narrow it down
# (e.g. BENCH_ACCELS=kvm: vng under TCG alone takes minutes).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state_get() { sed -n "s/^$1=//p" "$cache/state" 2>/dev/null | tail -n 1; }
KSRC=${KSRC:-$(state_get KSRC)}
KDIR=${KDIR:-$(state_get KDIR)}
KERNEL=${KERNEL:-${KDIR:+$KDIR/arch/x86/boot/bzImage}}
[ -f "$KERNEL" ] || { echo "bench: no kernel; run make setup" >&2; exit 1; }

accels=()
if "$root/scripts/kvm-usable.sh" "$KERNEL"; then
	accels+=(kvm)
fi
accels+=(tcg)
read -r -a accels <<<"${BENCH_ACCELS:-${accels[*]}}"
read -r -a modes <<<"${BENCH_MODES:-initramfs vng}"

row() { printf '%-44s %s\n' "$1" "$2"; }
echo "bench: kernel $KERNEL"
echo "bench: host $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo)"

# --- build ---------------------------------------------------------------
if [ -f "$KDIR/.sva-build-seconds" ]; then
	row "kernel build, last make setup (s)" "$(cat "$KDIR/.sva-build-seconds")"
fi
if [ -n "$KSRC" ] && [ -d "$KSRC" ]; then
	start=$SECONDS
	CCACHE_DIR=$cache/ccache CCACHE=1 "$root/scripts/build-kernel.sh" "$KSRC" "$KDIR" \
		"$root/kconfig/vm.config" "$root/config" >/dev/null 2>&1
	row "kernel build, warm, nothing to do (s)" "$((SECONDS - start))"
fi

# --- boot to init ----------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/bin"
cp "$(command -v busybox)" "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
printf '#!/bin/sh\n/bin/busybox echo SVA-INIT-REACHED\n/bin/busybox reboot -f\n' >"$tmp/root/init"
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/init.cpio"
for accel in "${accels[@]}"; do
	if [ "$accel" = kvm ]; then a=(-accel kvm -cpu host); else a=(-accel "tcg,thread=single"); fi
	start=$(date +%s.%N)
	timeout 300 qemu-system-x86_64 "${a[@]}" -M pc -smp 2 -m 1G -nodefaults -display none \
		-no-reboot -kernel "$KERNEL" -initrd "$tmp/init.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init" -serial "file:$tmp/console" </dev/null
	end=$(date +%s.%N)
	if grep -q SVA-INIT-REACHED "$tmp/console"; then
		row "boot to init, qemu -kernel + initramfs, $accel (s)" "$(echo "$end - $start" | bc | xargs printf '%.1f')"
	else
		row "boot to init, qemu -kernel + initramfs, $accel" "did not reach init"
	fi
	if command -v vng >/dev/null && [[ " ${modes[*]} " == *" vng "* ]]; then
		v=()
		[ "$accel" = tcg ] && v=(--disable-kvm --qemu-opts="-accel tcg,thread=single")
		start=$(date +%s.%N)
		# Without udev in the root vng's exit code is 255 even when the
		# command ran (virtme-init falls back to the console): look at what
		# virtme-init says instead.
		(cd "$tmp" && timeout 900 vng --run "$KERNEL" --memory 1G --cpus 2 --force-9p --verbose \
			"${v[@]}" --exec true </dev/null >"$tmp/vng.log" 2>&1)
		if grep -q 'script returned {0}' "$tmp/vng.log"; then
			end=$(date +%s.%N)
			row "boot to command and back, vng --exec true, $accel (s)" "$(echo "$end - $start" | bc | xargs printf '%.1f')"
		else
			row "boot to command and back, vng --exec true, $accel" "failed"
		fi
	fi
done

# --- make check ---------------------------------------------------------------
for accel in "${accels[@]}"; do
	for mode in "${modes[@]}"; do
		start=$(date +%s.%N)
		last=$(BOOT=$mode ACCEL=$accel "$root/scripts/check.sh" 2>/dev/null | tail -n 1)
		end=$(date +%s.%N)
		row "make check BOOT=$mode ACCEL=$accel (s)" "$(echo "$end - $start" | bc | xargs printf '%.1f')  [$last]"
	done
done
