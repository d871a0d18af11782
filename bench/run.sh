#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: run sva_bench in the guest through `make check`'s runner
# (SELFTESTS_DIR=bench, so the run is judged like any other: splats and
# kmemleak fail it), then turn what it printed into bench.csv, a table and
# bench.png in the results directory. The check's KTAP is kept in
# <results>/results.ktap; here only its progress lines are shown.
#
# Environment: whatever scripts/check.sh takes (KDIR, KERNEL, BOOT, ACCEL,
# MEM, APPEND, ...), except SELFTESTS_DIR.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

export SELFTESTS_DIR=$root/bench
"$root/scripts/check.sh" 2>&1 | tee "$log" | grep --line-buffered -E '^(check:|sva:)'
rc=${PIPESTATUS[0]}

run=$(sed -n 's/^check: results in \([^ ]*\).*/\1/p' "$log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
	# What went wrong, as the verdict put it.
	sed -n '/^# FAILED:/,$p' "$log"
fi
if [ -z "$run" ] || [ ! -d "$run" ]; then
	echo "bench: the check left no results directory" >&2
	exit 1
fi
python3 "$root/bench/report.py" "$run" || rc=1
[ "$rc" -eq 0 ] || echo "bench: the run failed (exit $rc); figures above are from a failed run" >&2
exit "$rc"
