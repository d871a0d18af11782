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

kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ] && echo clear >"$kmemleak" 2>/dev/null; then
	put kmemleak.state "enabled"
elif [ -e "$kmemleak" ]; then
	put kmemleak.state "disabled at run time: $(head -n 3 "$kmemleak" 2>&1)"
else
	put kmemleak.state "unavailable (no CONFIG_DEBUG_KMEMLEAK or no debugfs)"
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

# The tests, each with a watchdog. Exit code and timeout are recorded per
# program: "<rc> <seconds>" in tests/<prog>.rc, "timeout" in .timeout.
limit=$(cat "$payload/timeout" 2>/dev/null || echo 45)
while read -r prog; do
	[ -n "$prog" ] || continue
	limit_p=$(sed -n "s/^$prog \([0-9][0-9]*\)$/\1/p" "$payload/timeouts" 2>/dev/null)
	limit_p=${limit_p:-$limit}
	status "running $prog (limit ${limit_p}s)"
	res=$out/tests/$prog
	start=$(date +%s)
	# One stream, as kselftest's runner does: the harness reports a failed
	# assertion on stderr right before the "not ok" line on stdout.
	: >"$res.err"
	(cd "$payload/tests" && exec "./$prog") >"$res.tap" 2>&1 </dev/null &
	pid=$!
	(
		sleep "$limit_p"
		echo "timeout after $limit_p s" >"$res.timeout"
		emit "tests/$prog.timeout"
		kill -TERM "$pid" 2>/dev/null
		sleep 2
		kill -KILL "$pid" 2>/dev/null
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
if [ "$(cat "$out/kmemleak.state")" = enabled ]; then
	status "kmemleak scan"
	t0=$(date +%s)
	echo scan >"$kmemleak"
	wait_s=$((t0 + 6 - $(date +%s)))
	[ "$wait_s" -ge 1 ] || wait_s=1
	sleep "$wait_s"
	status "kmemleak scan again"
	echo scan >"$kmemleak"
	cat "$kmemleak" >"$out/kmemleak" 2>&1
	emit kmemleak
fi

dmesg -s 4194304 >"$out/dmesg" 2>/dev/null || dmesg >"$out/dmesg"
emit dmesg
status "complete"
put complete "yes"
