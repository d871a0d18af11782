#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the module with sparse (C=1) and fail on any sparse report.
#
# Debian's sparse (0.6.4) cannot parse 7.x headers (__typeof_unqual__), and
# kbuild then quietly turns C=1 off; so the check builds against Debian's
# 6.12 headers, which it can parse, unless KDIR names other headers.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SPARSE_KDIR:-}" ]; then
	line=$("$root/scripts/distro-kernel.sh")
	SPARSE_KDIR=$(sed -n 's/.*KDIR=\([^ ]*\).*/\1/p' <<<"$line")
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp -r "$root/mock_iommu/." "$out/"
make -s -C "$out" clean >/dev/null 2>&1 || true
log=$out/sparse.log
make -C "$SPARSE_KDIR" M="$out" C=1 modules >"$log" 2>&1 || { cat "$log"; exit 1; }
checked=$(grep -c '^  CHECK' "$log" || true)
reports=$(grep -E '^[^ ].*\.[ch]:[0-9]+:[0-9]+: (warning|error):' "$log" || true)
if [ "$checked" -eq 0 ]; then
	echo "sparse: kbuild ran no CHECK step against $SPARSE_KDIR"
	exit 1
fi
if [ -n "$reports" ]; then
	echo "$reports"
	echo "sparse: $(wc -l <<<"$reports") reports in mock_iommu/"
	exit 1
fi
echo "sparse: $checked files of mock_iommu/ checked against $(basename "$SPARSE_KDIR"), no report"
