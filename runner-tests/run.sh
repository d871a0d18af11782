#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-runner`: prove that the gate bites. Each hole is a way a
# broken kernel could pass; its probe is injected into an otherwise normal
# `make check` (same module, selftests, boot mode), which must then exit
# non-zero AND name the cause in its output. Probes that cannot hide one
# another share a boot (each still has to name its own cause):
#
#   boot programs:  fail (a failing case), hang (a program that never
#                   ends), tap (exit 0 with no TAP, "1..0", more cases than
#                   planned), orphan (a passing program that leaves a child)
#   boot modules:   warn (a WARN)
#   boot leak:      leak (a kmemleak report; alone: a WARN's register dump
#                   can keep a copy of the leaked pointer alive)
#   boot detectors: warn2 (another WARN), lockdep-off (debug_locks_off()
#                   without a report), kmemleak-off (kmemleak=off)
#   boot panic, boot stall (a module load that never returns; STALL=30)
#
# and, on what those boots left behind:
#   splat-beside-splat  gate.py --compare: baseline "modules" (WARN A),
#                       patched "detectors" (WARN B): B is a regression
#   gate-killed         a gate SIGKILLed while it builds a patched kernel
#                       leaves the tree, the setup build and the mounts
#                       untouched, and make setup finds the kernel up to date
#
# The unit tests of the verdict and of the gate's flake policy (a failure
# that shows once in three runs) run first. Skips, configuration loss and
# a kernel that refuses SVA are kernel changes: regressions/0011 and 0012.
#
# The probe boots run the real module with the stand-in selftests of
# runner-tests/stub (PROBE_SELFTESTS_DIR= to change): they prove the runner
# and the verdict bite, which the suite's own cases cannot add to, and a
# boot costs seconds instead of the suite's minutes.
#
# PROBES="programs modules" picks boots; every other variable reaches
# `make check`. Ends with "runner: N passed, N failed, N skipped".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
read -r -a boots <<<"${PROBES:-programs modules leak detectors panic stall}"

# boot -> PROBE value
probe_of() {
	case $1 in
	programs) echo "fail hang tap orphan" ;;
	modules) echo "warn" ;;
	leak) echo "leak" ;;
	detectors) echo "warn2 lockdep-off kmemleak-off" ;;
	panic | stall) echo "$1" ;;
	*) return 1 ;;
	esac
}

# boot -> "hole|pattern|pattern..." lines: what its output must show.
holes_of() {
	case $1 in
	programs)
		echo 'fail|^not ok [0-9]+ probe_fail$|probe\.deliberate_failure'
		echo 'hang|^not ok [0-9]+ probe_hang$|probe_hang -- per-program timeout'
		echo 'tap-silent|^not ok [0-9]+ probe_silent$|probe_silent -- exit code 0 but no TAP output'
		echo 'tap-empty-plan|^not ok [0-9]+ probe_empty$|probe_empty -- planned no cases'
		echo 'tap-more-than-planned|probe_extra -- unsound TAP: 2 cases reported, 1 planned'
		echo 'orphan|^not ok [0-9]+ probe_orphan$|probe_orphan -- left 1 process\(es\) running'
		;;
	modules)
		echo 'warn|^not ok [0-9]+ kernel_splats$|WARNING: .*sva_probe'
		;;
	leak)
		echo 'leak|^not ok [0-9]+ kmemleak$|unreferenced object'
		;;
	detectors)
		echo 'warn2|^not ok [0-9]+ kernel_splats$|sva_probe_other_warning'
		echo 'lockdep-off|lockdep turned itself off during the run'
		echo 'kmemleak-off|^not ok [0-9]+ kmemleak$|kmemleak disabled at run time'
		;;
	panic) echo 'panic|^not ok [0-9]+ guest_complete$|Kernel panic - not syncing: sva_probe: deliberate panic' ;;
	stall) echo 'stall|^not ok [0-9]+ guest_complete$|guest hung, stopped by the host .*last step: insmod sva_probe.ko mode=stall' ;;
	esac
}

n=0 pass=0 fail=0
lines=()
ok() { n=$((n + 1)); pass=$((pass + 1)); lines+=("ok $n $1"); echo "ok $n $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); lines+=("not ok $n $1"); echo "not ok $n $1"; }

echo "KTAP version 1"
echo "# unit tests of the verdict, the gate's policies and the mutation operators"
if { python3 "$root/runner-tests/unit/test_verdict.py" &&
	python3 "$root/runner-tests/unit/test_mutate.py"; } 2>&1 | sed 's/^/#   /'; then
	ok unit-tests
else
	notok unit-tests
fi

declare -A results
for boot in "${boots[@]}"; do
	probe=$(probe_of "$boot") || { notok "$boot # unknown boot"; continue; }
	logf=$(mktemp)
	echo "# boot $boot: make check PROBE=\"$probe\"" >&2
	start=$SECONDS
	stall=${STALL:-}
	[ "$boot" = stall ] && stall=${STALL:-30}
	sel=${PROBE_SELFTESTS_DIR:-$root/runner-tests/stub/selftests}
	tests=
	# kmemleak missed the probe's leak on the stand-ins' few-second run
	# (seen twice) and reported it with one real program (sva_uapi)
	if [ "$boot" = leak ]; then
		sel=$root/selftests
		tests=sva_uapi
	fi
	PROBE=$probe STALL=$stall SELFTESTS_DIR=$sel TESTS=$tests \
		"$root/scripts/check.sh" >"$logf" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	results[$boot]=$(sed -n 's/.*results in \([^ ]*\).*/\1/p' "$logf" | head -n 1)
	while IFS= read -r hole; do
		name=${hole%%|*}
		problems=()
		[ "$rc" -ne 0 ] || problems+=("make check exited 0")
		IFS='|' read -r -a needles <<<"${hole#*|}"
		for needle in "${needles[@]}"; do
			grep -qE -- "$needle" "$logf" || problems+=("output lacks /$needle/")
		done
		if [ "${#problems[@]}" -eq 0 ]; then
			echo "# $name (boot $boot): exit $rc in ${secs}s; cause named:"
			grep -E -- "${hole#*|}" "$logf" | head -n 4 | sed 's/^/#   /'
			ok "$name"
		else
			echo "# $name (boot $boot): exit $rc in ${secs}s; ${problems[*]}; output tail:"
			tail -n 30 "$logf" | sed 's/^/#   /'
			notok "$name"
		fi
	done < <(holes_of "$boot")
	rm -f "$logf"
done

# A splat on the baseline must not hide another on the patched kernel.
if [ -n "${results[modules]:-}" ] && [ -n "${results[detectors]:-}" ]; then
	logf=$(mktemp)
	python3 "$root/scripts/gate.py" --compare "${results[modules]}" "${results[detectors]}" \
		--report "$(mktemp -d)" >"$logf" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'Verdict: regression (baseline broken' "$logf" &&
		grep -A3 '^### newly failing' "$logf" | grep -q 'sva_probe_other_warning'; then
		echo "# splat-beside-splat: the baseline's WARN is still failing, the new one is a regression"
		grep -A3 '^### newly failing' "$logf" | sed 's/^/#   /'
		ok splat-beside-splat
	else
		echo "# splat-beside-splat: exit $rc; report:"
		sed 's/^/#   /' "$logf" | head -n 40
		notok splat-beside-splat
	fi
	rm -f "$logf"
fi

# A gate killed half-way leaves nothing patched.
if [ -n "${results[modules]:-}" ]; then
	ksrc=$(sed -n 's/^KSRC=//p' "$cache/state" | tail -n 1)
	kdir=$(sed -n 's/^KDIR=//p' "$cache/state" | tail -n 1)
	watched=("$ksrc/drivers/iommu/iommu-sva.c" "$kdir/arch/x86/boot/bzImage" "$kdir/.config")
	before=$(sha256sum "${watched[@]}")
	report=$(mktemp -d)
	python3 "$root/scripts/gate.py" --patches "$root/runner-tests/gate/comment.patch" \
		--baseline "${results[modules]}" --report "$report" >"$report/out" 2>&1 &
	gpid=$!
	for _ in $(seq 300); do
		grep -q 'building the patched kernel' "$report/out" && break
		sleep 1
	done
	sleep 5
	problems=()
	grep -q 'building the patched kernel' "$report/out" || problems+=("the patched build never started")
	kill -KILL "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	for _ in $(seq 30); do
		pgrep -f -- "--patched-phase $report" >/dev/null || break
		sleep 1
	done
	pgrep -f -- "--patched-phase $report" >/dev/null && problems+=("the patched phase outlived the gate")
	[ "$(sha256sum "${watched[@]}")" = "$before" ] || problems+=("the tree or the setup build changed")
	findmnt -rn -t overlay | grep -qF "$ksrc" && problems+=("an overlay is still mounted on $ksrc")
	SKIP_PACKAGES=1 "$root/scripts/setup.sh" >"$report/setup" 2>&1
	grep -q 'test kernel: up to date' "$report/setup" || problems+=("make setup did not find the kernel up to date")
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "# gate-killed: SIGKILL during the patched build; tree, build and mounts untouched"
		ok gate-killed
	else
		echo "# gate-killed: ${problems[*]}"
		sed 's/^/#   /' "$report/out" | tail -n 20
		notok gate-killed
	fi
	pkill -KILL -f -- "--patched-phase $report" 2>/dev/null
	rm -rf "$report"
fi

echo "1..$n"
echo "runner: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
