#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch --strict and kernel-doc -Wall over the project's C sources,
# with the kernel tree's scripts (KSRC, or the tree make setup recorded).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
ksrc=${KSRC:-$(sed -n 's/^KSRC=//p' "$cache/state" 2>/dev/null | tail -n 1)}
checkpatch=$ksrc/scripts/checkpatch.pl
if [ ! -x "$checkpatch" ]; then
	echo "checkpatch: no kernel tree with scripts/checkpatch.pl: run make setup or pass KSRC="
	exit 1
fi
cd "$root"
mapfile -t files < <(git ls-files -- '*.c' '*.h')
out=$("$checkpatch" --strict --no-tree --terse --show-types -f "${files[@]}" 2>&1 |
	grep -E ': (ERROR|WARNING|CHECK):' || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "checkpatch: $(wc -l <<<"$out") findings in ${#files[@]} files"
	exit 1
fi
echo "checkpatch --strict: ${#files[@]} files, no finding"

# kernel-doc: every documented structure, enum and function complete, the
# UAPI header above all
mapfile -t docs < <(git ls-files -- 'mock_iommu/*.c' 'mock_iommu/*.h')
out=$("$ksrc/scripts/kernel-doc" -none -Wall "${docs[@]}" 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "kernel-doc: findings in ${#docs[@]} files"
	exit 1
fi
echo "kernel-doc -Wall: ${#docs[@]} files, no finding"
