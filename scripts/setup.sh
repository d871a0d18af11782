#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make setup`: once per machine. Installs the Debian packages the suite
# needs, obtains a kernel tree (Debian's newest linux-source-7.*, or KSRC=)
# and builds the test kernel into the cache with ccache. Records where the
# kernel is in <cache>/state for `make check`. Run again, it only checks.
#
# Environment: KSRC (a kernel tree to use instead of Debian's), FLAVOUR
# (name of the build, default debug), SKIP_PACKAGES=1, JOBS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
flavour=${FLAVOUR:-debug}
fragments=("$root/kconfig/vm.config" "$root/config")

log() { echo "setup: $*" >&2; }
mkdir -p "$cache"

# --- packages ----------------------------------------------------------------
packages=(
	# booting and the guest
	qemu-system-x86 busybox-static cpio kmod file
	# virtme-ng's dependencies (virtme-ng itself comes from a newer suite)
	python3 python3-requests python3-argcomplete
	# building the kernel, the module and static test binaries
	build-essential gcc make libc6-dev flex bison bc libelf-dev libssl-dev
	dwarves xz-utils zstd rsync ccache
	# static checking
	sparse shellcheck
	# make coverage: lcov and genhtml (gcov comes with gcc)
	lcov
	# make series and make kselftest-accept: the module's compatibility
	# probes resolved for the target tree
	unifdef
)

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

if [ "${SKIP_PACKAGES:-0}" != 1 ]; then
	missing=()
	for p in "${packages[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		"${sudo[@]}" apt-get update -qq
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	else
		log "Debian packages: all present"
	fi
	if ! command -v vng >/dev/null; then
		log "fetching virtme-ng (not in bookworm) through the private apt config"
		deb=$("$root/scripts/fetch-source.sh" "$cache" deb virtme-ng)
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
			--no-install-recommends "$deb" >/dev/null
	fi
	log "virtme-ng: $(vng --version 2>&1 | head -n 1)"
fi

# --- kernel tree -------------------------------------------------------------
if [ -n "${KSRC:-}" ]; then
	ksrc=$(realpath "$KSRC")
	[ -f "$ksrc/Makefile" ] || { log "KSRC=$KSRC is not a kernel tree"; exit 1; }
	log "kernel tree: $ksrc (KSRC)"
	user_tree=1
else
	ksrc=$("$root/scripts/fetch-source.sh" "$cache" kernel)
	log "kernel tree: $ksrc (Debian's newest linux-source-7.*)"
	user_tree=0
fi
kdir=$cache/build/$(basename "$ksrc")-$flavour
kernel=$kdir/arch/x86/boot/bzImage

# --- kernel build ------------------------------------------------------------
# Debian's tree never changes once unpacked: when the fragments and the
# build scripts are what built the image, there is nothing to do. A user's
# tree may have been edited, so make always looks at it (incrementally).
want=$(cat "${fragments[@]}" "$root/scripts/build-kernel.sh" | sha256sum | cut -d' ' -f1)
have=$(cat "$kdir/.sva-setup" 2>/dev/null || true)
if [ "$user_tree" = 0 ] && [ "$want" = "$have" ] && [ -f "$kernel" ] && [ -f "$kdir/Module.symvers" ]; then
	log "test kernel: up to date"
else
	log "building the test kernel into $kdir (log lines every 250 objects)"
	start=$SECONDS
	cold=0
	[ -f "$kernel" ] || cold=1
	mkdir -p "$cache/ccache"
	CCACHE_DIR=$cache/ccache CCACHE=1 "$root/scripts/build-kernel.sh" "$ksrc" "$kdir" "${fragments[@]}"
	echo "$want" >"$kdir/.sva-setup"
	# The cold figure for make bench-runner.
	[ "$cold" = 0 ] || echo "$((SECONDS - start))" >"$kdir/.sva-build-seconds"
	log "kernel built in $((SECONDS - start)) s"
fi

{
	echo "KSRC=$ksrc"
	echo "KDIR=$kdir"
	echo "KERNEL=$kernel"
	echo "FLAVOUR=$flavour"
} >"$cache/state.tmp"
mv "$cache/state.tmp" "$cache/state"
log "kernel $(cat "$kdir/include/config/kernel.release"): $kernel"
log "recorded in $cache/state; next: make check"
