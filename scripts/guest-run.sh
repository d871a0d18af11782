#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make check`, shared by every boot mode. POSIX sh, so
# that busybox ash (initramfs mode) and the host's dash/bash (virtme-ng
# mode) run the same code.
#
# usage: guest-run.sh <payload-dir> <out-dir> [<stream-device>]
#
# <payload-dir> holds what the host staged:
#   modules/<name>.ko   modules.list  ("<name>.ko [param=value...]" per line,
#                                      load order; unloaded in reverse)
#   tests/<prog>        tests.list    (one program per line, run order)
#   timeout                           (per-program limit in seconds)
#   timeouts                          ("<prog> <seconds>" overrides, optional)
# Raw artifacts go to <out-dir>; with <stream-device> (a spare serial port)
# each one is also sent to the host as soon as it is complete, framed by
# "@@sva-begin <name>" / "@@sva-end <name>" lines, so that whatever the
# guest finished before a panic or hang reaches the host.
#
# This script judges nothing: the host applies one verdict to the artifacts.

payload=$1
out=$2
stream=${3:-}

mkdir -p "$out/tests"

# Send artifact $1 (a path relative to $out) to the host.
emit() {
	[ -n "$stream" ] || return 0
	{
		echo "@@sva-begin $1"
		cat "$out/$1"
		# A last line without newline still ends before the marker.
		echo "@@sva-end $1"
	} >"$stream"
}

# put <artifact> <text>: write a one-line artifact and send it.
put() {
	printf '%s\n' "$2" >"$out/$1"
	emit "$1"
}

status() {
	put status "$1"
	echo "sva-guest: [$(cut -d' ' -f1 /proc/uptime 2>/dev/null)] $1"
}

status "started $(uname -r)"
put uname "$(uname -a)"

# /proc and /sys are there already in both modes; debugfs may not be.
[ -d /proc/self ] || mount -t proc proc /proc
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys
if [ ! -e /sys/kernel/debug/kmemleak ] && [ -d /sys/kernel/debug ]; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
# The host's modprobe is of no use here and the tests must see all the
# kernel has to say.
echo 8 >/proc/sys/kernel/printk 2>/dev/null

# What the booted kernel is: its configuration (CONFIG_IKCONFIG_PROC), so
# the host can tell a kernel that cannot run a case from one that should.
if [ -r /proc/config.gz ]; then
	zcat /proc/config.gz >"$out/config" 2>/dev/null && emit config
fi

# The detectors must be alive for a clean report to mean anything: record
# lockdep's debug_locks now and at the end, and whether KASAN came up.
detectors() {
	{
		dl=$(sed -n 's/^ *debug_locks: *\([0-9]*\)$/\1/p' /proc/lockdep_stats 2>/dev/null)
		echo "debug_locks ${dl:-absent}"
		if dmesg 2>/dev/null | grep -q 'KernelAddressSanitizer initialized'; then
			echo "kasan initialized"
		else
			echo "kasan absent"
		fi
	} >"$out/$1"
	emit "$1"
}
detectors detectors.start

# kmemleak: "clear" succeeds even when kmemleak is off (it frees its data
# then), so ask it something only a live kmemleak accepts: "scan=off"
# (automatic scanning is off in the test kernel anyway) fails with EPERM
# once kmemleak has disabled itself.
kmemleak=/sys/kernel/debug/kmemleak
if [ ! -e "$kmemleak" ]; then
	put kmemleak.state "unavailable (no CONFIG_DEBUG_KMEMLEAK or no debugfs)"
elif echo scan=off >"$kmemleak" 2>/dev/null && echo clear >"$kmemleak" 2>/dev/null; then
	put kmemleak.state "enabled"
else
	put kmemleak.state "disabled at run time: the kernel refuses 'scan=off' (kmemleak=off on the command line, or it turned itself off)"
fi

# Module load: "<name> <rc> <what insmod said>" per module.
: >"$out/module_load"
loaded=
while read -r ko params; do
	[ -n "$ko" ] || continue
	name=${ko%.ko}
	status "insmod $ko $params"
	# shellcheck disable=SC2086 # params are separate words on purpose
	msg=$(insmod "$payload/modules/$ko" $params 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -d "/sys/module/$name" ]; then
		msg="insmod returned 0 but /sys/module/$name is missing"
		rc=1
	fi
	echo "$name $rc $msg" | tr '\n' ' ' >>"$out/module_load"
	echo >>"$out/module_load"
	[ "$rc" -eq 0 ] && loaded="$name $loaded"
done <"$payload/modules.list"
emit module_load

# The processes of one program: everything it started carries SVA_RUN in
# its environment, whatever process group or session it moved to (the
# harness puts each test in a process group of its own).
run_pids() {
	grep -lszxF "SVA_RUN=$1" /proc/[0-9]*/environ | sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# kill_run <token> <signal>: signal every process of a program.
kill_run() {
	for p in $(run_pids "$1"); do
		kill "-$2" "$p" 2>/dev/null
	done
}

# The tests, each with a watchdog. Exit code and timeout are recorded per
# program: "<rc> <seconds>" in tests/<prog>.rc, "timeout" in .timeout.
limit=$(cat "$payload/timeout" 2>/dev/null || echo 45)
nrun=0
while read -r prog; do
	[ -n "$prog" ] || continue
	limit_p=$(sed -n "s/^$prog \([0-9][0-9]*\)$/\1/p" "$payload/timeouts" 2>/dev/null)
	limit_p=${limit_p:-$limit}
	status "running $prog (limit ${limit_p}s)"
	res=$out/tests/$prog
	nrun=$((nrun + 1))
	token="$nrun.$prog"
	start=$(date +%s)
	# One stream, as kselftest's runner does: the harness reports a failed
	# assertion on stderr right before the "not ok" line on stdout.
	: >"$res.err"
	(cd "$payload/tests" && export SVA_RUN="$token" && exec "./$prog") >"$res.tap" 2>&1 </dev/null &
	pid=$!
	(
		sleep "$limit_p"
		echo "timeout after $limit_p s" >"$res.timeout"
		emit "tests/$prog.timeout"
		kill -TERM "$pid" 2>/dev/null
		kill_run "$token" TERM
		sleep 2
		kill -KILL "$pid" 2>/dev/null
		kill_run "$token" KILL
		# A task stuck in the kernel ignores SIGKILL and the wait below
		# would never return: give the host what there is and stop.
		sleep 10
		if kill -0 "$pid" 2>/dev/null; then
			echo "$prog is stuck in the kernel: SIGKILL did not end it" >"$res.stuck"
			emit "tests/$prog.stuck"
			grep -E '^(State|Name)' "/proc/$pid/status" >>"$res.stuck" 2>/dev/null
			cat "/proc/$pid/stack" >>"$res.stuck" 2>/dev/null
			dmesg -s 4194304 >"$out/dmesg" 2>/dev/null || dmesg >"$out/dmesg"
			cp "$res.stuck" "$out/stuck"
			emit stuck
			emit dmesg
			echo "sva-guest: $prog stuck in the kernel, powering off"
			busybox reboot -f 2>/dev/null || reboot -f
		fi
	) &
	watchdog=$!
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	echo "$rc $(($(date +%s) - start))" >"$res.rc"
	# Whatever the program left running would hold the device and fail the
	# programs after it: name it, kill it, and wait (bounded) until it is
	# gone. The verdict fails the program for it.
	left=$(run_pids "$token")
	if [ -n "$left" ]; then
		for p in $left; do
			echo "$p $(cat "/proc/$p/comm" 2>/dev/null) $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)"
		done >"$res.leftover"
		emit "tests/$prog.leftover"
		kill_run "$token" KILL
		n=0
		while [ -n "$(run_pids "$token")" ] && [ "$n" -lt 20 ]; do
			sleep 1
			n=$((n + 1))
		done
		if [ -n "$(run_pids "$token")" ]; then
			echo "$prog left processes that SIGKILL did not end" >"$out/stuck"
			for p in $(run_pids "$token"); do
				cat "/proc/$p/stack" 2>/dev/null
			done >>"$out/stuck"
			dmesg -s 4194304 >"$out/dmesg" 2>/dev/null || dmesg >"$out/dmesg"
			emit stuck
			emit dmesg
			busybox reboot -f 2>/dev/null || reboot -f
		fi
	fi
	emit "tests/$prog.tap"
	emit "tests/$prog.err"
	emit "tests/$prog.rc"
	[ -e "$res.timeout" ] && emit "tests/$prog.timeout"
done <"$payload/tests.list"

# Module unload, in reverse load order.
: >"$out/module_unload"
for name in $loaded; do
	status "rmmod $name"
	msg=$(rmmod "$name" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -d "/sys/module/$name" ]; then
		msg="rmmod returned 0 but /sys/module/$name is still there"
		rc=1
	fi
	echo "$name $rc $msg" | tr '\n' ' ' >>"$out/module_unload"
	echo >>"$out/module_unload"
done
emit module_unload

# kmemleak reports only objects older than 5 s, and a pointer left in a
# register or on a stack can hide a leak for one scan: scan, wait, scan.
# Everything allocated before the first scan started must be over 5 s old
# when the second starts; a slow first scan (TCG) already covers most of it.
# Each scan's outcome is recorded: a scan that fails (kmemleak disabled
# itself meanwhile) makes an empty report worthless.
if [ "$(cat "$out/kmemleak.state")" = enabled ]; then
	status "kmemleak scan"
	t0=$(date +%s)
	: >"$out/kmemleak.scans"
	if echo scan >"$kmemleak" 2>/dev/null; then r=0; else r=1; fi
	echo "scan1 $r" >>"$out/kmemleak.scans"
	wait_s=$((t0 + 6 - $(date +%s)))
	[ "$wait_s" -ge 1 ] || wait_s=1
	sleep "$wait_s"
	status "kmemleak scan again"
	if echo scan >"$kmemleak" 2>/dev/null; then r=0; else r=1; fi
	echo "scan2 $r" >>"$out/kmemleak.scans"
	cat "$kmemleak" >"$out/kmemleak" 2>&1
	echo "report $?" >>"$out/kmemleak.scans"
	emit kmemleak.scans
	emit kmemleak
fi

# make coverage: the gcov counters, now that the module is gone.
# shellcheck disable=SC1091 # staged by check.sh with COVERAGE=1
[ -f "$payload/coverage.sh" ] && . "$payload/coverage.sh"

detectors detectors.end
dmesg -s 4194304 >"$out/dmesg" 2>/dev/null || dmesg >"$out/dmesg"
emit dmesg
status "complete"
put complete "yes"
