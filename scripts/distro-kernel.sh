#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make distro-kernel`: fetch a Debian distro kernel and its headers (by
# default the newest 6.12 in bookworm-backports) through the private apt
# configuration and unpack them into the cache, without installing them.
# Prints the `make check` line that tests the module against it.
#
# DISTRO_VERSION=6.12.95+deb12 picks a version (the ABI name without -amd64).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
export SUITES=${DISTRO_SUITES:-bookworm-backports}
fetch() { "$root/scripts/fetch-source.sh" "$cache" "$@"; }
log() { echo "distro-kernel: $*" >&2; }

abi=${DISTRO_VERSION:-}
if [ -z "$abi" ]; then
	name=$(fetch names linux-image-6.12 | grep -E '^linux-image-6\.12\.[^-]*-amd64$' | sort -V | tail -n 1)
	[ -n "$name" ] || { log "no linux-image-6.12.*-amd64 in $SUITES"; exit 1; }
	abi=${name#linux-image-}
	abi=${abi%-amd64}
fi
dest=$cache/distro/$abi-amd64
# make sparse and make distro-kernel may run at once: one unpacks, the
# other waits for it.
mkdir -p "$cache/distro"
exec 8>"$cache/distro/.lock"
flock 8
if [ ! -f "$dest/.complete" ]; then
	rm -rf "$dest"
	mkdir -p "$dest/root"
	for pkg in "linux-image-$abi-amd64" "linux-headers-$abi-amd64" \
		"linux-headers-$abi-common" "linux-kbuild-$abi"; do
		deb=$(fetch deb "$pkg")
		log "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$dest/root"
	done
	# The packages point at /usr/src and /usr/lib with absolute paths.
	while IFS= read -r link; do
		target=$(readlink "$link")
		ln -sfn "$dest/root$target" "$link"
	done < <(find "$dest/root" -type l -lname '/*')
	grep -rlE '^include /usr/src/' "$dest/root/usr/src" --include=Makefile |
		xargs -r sed -i "s|^include /usr/src/|include $dest/root/usr/src/|"
	touch "$dest/.complete"
fi
kdir=$dest/root/usr/src/linux-headers-$abi-amd64
kernel=$dest/root/boot/vmlinuz-$abi-amd64
if [ ! -f "$kernel" ] || [ ! -f "$kdir/Makefile" ]; then
	log "unexpected package layout in $dest"
	exit 1
fi
log "kernel $kernel"
log "headers $kdir"
echo "make check KDIR=$kdir KERNEL=$kernel BOOT=initramfs"
