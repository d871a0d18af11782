#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the test kernel out of tree.
#
# usage: build-kernel.sh <kernel-source> <build-dir> <fragment>...
#
# The configuration is allnoconfig plus the fragments, and every symbol the
# fragments ask for is checked afterwards: a tree that silently drops one
# (a renamed or unmet dependency) would make the suite test the wrong thing.
set -euo pipefail

src=$(realpath "$1")
out=$2
shift 2
fragments=("$@")
jobs=${JOBS:-$(nproc)}

log() { echo "build-kernel: $*" >&2; }

mkdir -p "$out"
out=$(realpath "$out")
# One build of a build directory at a time: a gate's baseline, make setup
# and make coverage may all reach for the same one. Opened for writing, so
# that inside a gate's overlay the lock is the overlay's own copy.
exec 7>>"$out/.sva-build-lock"
if ! flock -n 7; then
	log "waiting for another build of $out to finish"
	flock 7
fi

kmake() {
	make -C "$src" O="$out" -j"$jobs" ${CCACHE:+CC="ccache gcc"} "$@"
}

# Every symbol the fragments ask for, checked against .config: after
# configuring, and again after every build, because kbuild silently
# reconfigures a tree whose Kconfig files changed (a patch series can drop
# KASAN or IOMMU_IOPF that way). With ALLOW_CONFIG_LOSS=1 (the gate) a loss
# is only reported, in .sva-config-lost: the verdict of the booted kernel
# then fails its kernel_config case with the symbol's name.
check_config() {
	local line sym got lost=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n)
			sym=${line%=n}
			got=$(grep -E "^($sym=|# $sym is not set)" "$out/.config" || true)
			[ -z "$got" ] || [ "$got" = "# $sym is not set" ] || lost+=("wanted $line, got: $got")
			;;
		CONFIG_*)
			grep -qxF "$line" "$out/.config" ||
				lost+=("wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo unset)")
			;;
		esac
	done < <(cat "${fragments[@]}" | grep -E '^CONFIG_')
	rm -f "$out/.sva-config-lost"
	[ "${#lost[@]}" -eq 0 ] && return 0
	printf '%s\n' "${lost[@]}" >"$out/.sva-config-lost"
	for line in "${lost[@]}"; do log "$line"; done
	if [ "${ALLOW_CONFIG_LOSS:-0}" = 1 ]; then
		log "the configuration lost ${#lost[@]} symbol(s) the suite needs (reported, not fatal)"
		return 0
	fi
	log "the kernel tree cannot provide the configuration the suite needs"
	return 1
}

# The configuration is regenerated only when the fragments change, so that
# a rebuild after editing the source is incremental.
want=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
have=$(cat "$out/.sva-fragments" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -f "$out/.config" ]; then
	log "configuring $src in $out (allnoconfig + ${fragments[*]})"
	rm -f "$out/.sva-fragments"
	kmake -s allnoconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >"$out/merge_config.log"
	kmake -s olddefconfig
	check_config || exit 1
	echo "$want" >"$out/.sva-fragments"
fi

# Show progress instead of thousands of "CC" lines or minutes of silence;
# warnings and errors still pass through.
progress() {
	awk -v t0="$(date +%s)" '
	/^  [A-Z0-9.]+ +[^ ]/ {
		if (++n % 250 == 0) {
			printf "build-kernel: %d objects, %d s\n", n, systime() - t0
			fflush()
		}
		next
	}
	{ print; fflush() }'
}

log "building bzImage and modules with $jobs jobs${CCACHE:+ (ccache)}"
start=$SECONDS
if ! kmake bzImage modules 2>&1 | progress; then
	log "build failed"
	exit 1
fi
kmake -s modules_prepare
# What the build itself may have reconfigured
check_config || exit 1
log "built $out/arch/x86/boot/bzImage in $((SECONDS - start)) s"
