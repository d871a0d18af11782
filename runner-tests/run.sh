#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-runner`: prove that the gate bites. Each probe is injected
# into an otherwise normal `make check` (same module, selftests, boot mode)
# which must then exit non-zero AND name the cause in its output.
#
#   fail   a selftest program with a failing case
#   warn   a module that WARN()s
#   leak   a module that leaks an allocation (kmemleak)
#   panic  a module that panics the guest
#   stall  a module whose load never returns: the host stops the guest
#          when it makes no progress (STALL=30 here)
#   hang   a selftest program that never ends (per-program timeout)
#
# PROBES="fail warn" picks some; every other variable reaches `make check`.
# Ends with "runner: N passed, N failed, N skipped".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
read -r -a probes <<<"${PROBES:-fail warn leak panic stall hang}"

# What the output of a run with the probe must show: the failing case line
# and the evidence behind it.
expect() {
	case $1 in
	fail) echo '^not ok [0-9]+ probe_fail$|probe\.deliberate_failure' ;;
	warn) echo '^not ok [0-9]+ kernel_splats$|WARNING: .*sva_probe' ;;
	leak) echo '^not ok [0-9]+ kmemleak$|unreferenced object' ;;
	panic) echo '^not ok [0-9]+ guest_complete$|Kernel panic - not syncing: sva_probe: deliberate panic' ;;
	hang) echo '^not ok [0-9]+ probe_hang$|probe_hang -- per-program timeout' ;;
	stall) echo '^not ok [0-9]+ guest_complete$|guest hung, stopped by the host .*last step: insmod sva_probe.ko mode=stall' ;;
	*) return 1 ;;
	esac
}

echo "KTAP version 1"
echo "1..${#probes[@]}"
n=0 pass=0 fail=0
for probe in "${probes[@]}"; do
	n=$((n + 1))
	pattern=$(expect "$probe") || { echo "not ok $n $probe # unknown probe"; fail=$((fail + 1)); continue; }
	logf=$(mktemp)
	echo "# probe $probe: make check PROBE=$probe" >&2
	start=$SECONDS
	stall=${STALL:-}
	[ "$probe" = stall ] && stall=${STALL:-30}
	PROBE=$probe STALL=$stall "$root/scripts/check.sh" >"$logf" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	problems=()
	[ "$rc" -ne 0 ] || problems+=("make check exited 0")
	IFS='|' read -r -a needles <<<"$pattern"
	for needle in "${needles[@]}"; do
		grep -qE -- "$needle" "$logf" || problems+=("output lacks /$needle/")
	done
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "# $probe: exit $rc in ${secs}s; cause named:"
		grep -E -- "$pattern" "$logf" | head -n 4 | sed 's/^/#   /'
		echo "ok $n $probe"
		pass=$((pass + 1))
	else
		echo "# $probe: exit $rc in ${secs}s; ${problems[*]}; output tail:"
		tail -n 30 "$logf" | sed 's/^/#   /'
		echo "not ok $n $probe"
		fail=$((fail + 1))
	fi
	rm -f "$logf"
done
echo "runner: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
