#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Exit 0 when KVM can really run <kernel> here: /dev/kvm existing is not
# enough (nested virtualisation may refuse CPU models or MSRs, or fail on
# the first instructions). Boots the kernel with an init that powers off at
# once. The answer is cached per host boot in <cache>/kvm-usable.
#
# usage: kvm-usable.sh <kernel>
set -uo pipefail

kernel=$1
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
mkdir -p "$cache"
key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(qemu-system-x86_64 --version | head -n 1)"
if [ -f "$cache/kvm-usable" ] && [ "$(head -n 1 "$cache/kvm-usable")" = "$key" ]; then
	exit "$(sed -n 2p "$cache/kvm-usable")"
fi

answer() {
	printf '%s\n%s\n' "$key" "$1" >"$cache/kvm-usable"
	exit "$1"
}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	answer 1
fi
bb=$(command -v busybox) || answer 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/bin"
cp "$bb" "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
printf '#!/bin/sh\n/bin/busybox echo SVA-KVM-OK\n/bin/busybox reboot -f\n' >"$tmp/root/init"
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/init.cpio"
(timeout -k 5 30 qemu-system-x86_64 -accel kvm -cpu host -M pc -smp 1 -m 512 \
	-nodefaults -display none -no-reboot -kernel "$kernel" -initrd "$tmp/init.cpio" \
	-append "console=ttyS0 panic=-1 rdinit=/init" -serial "file:$tmp/console" \
	</dev/null >"$tmp/qemu.log" 2>&1 || true) 2>/dev/null
if grep -q SVA-KVM-OK "$tmp/console"; then
	answer 0
fi
echo "kvm-usable: /dev/kvm is there but cannot boot the kernel: $(head -n 1 "$tmp/qemu.log")" >&2
answer 1
