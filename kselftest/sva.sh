#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the SVA selftests: load mock_iommu.ko from the mock_iommu/ directory
# next to this script, run every test program against /dev/mock_iommu,
# unload the module. The output is KTAP: one case for the module load, one
# per program (its own KTAP output follows, prefixed with "# "), one for
# the unload.
#
# Exit status, as kselftest expects: 0 when nothing failed, 1 (KSFT_FAIL)
# when a case failed, 4 (KSFT_SKIP) when the kernel cannot run the tests
# (no CONFIG_MODULES, no SVA core, not root). A module that is missing or
# does not load on a kernel that has what it needs is a failure.
#
# SVA_PROG_TIMEOUT (seconds, default 300) limits each program.

dir=$(cd "$(dirname "$0")" && pwd)
progs="sva_bind sva_pasid sva_faults sva_lifecycle sva_notifier
	sva_uapi sva_dma sva_uacce sva_prq sva_kva
	sva_answers sva_widths sva_fail_nth sva_iommufd"
module=mock_iommu
ko=$dir/$module/$module.ko
prog_timeout=${SVA_PROG_TIMEOUT:-300}

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

n=0
npass=0
nfail=0
nskip=0

result() {
	# result ok|fail|skip <name> [reason]
	n=$((n + 1))
	case $1 in
	ok)
		npass=$((npass + 1))
		echo "ok $n $2"
		;;
	skip)
		nskip=$((nskip + 1))
		echo "ok $n $2 # SKIP $3"
		;;
	*)
		nfail=$((nfail + 1))
		echo "not ok $n $2${3:+ # $3}"
		;;
	esac
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit "$KSFT_SKIP"
}

# The kernel's configuration, when it can be read: /proc/config.gz, or the
# file distributions install next to the image.
kconfig() {
	if [ -r /proc/config.gz ]; then
		gzip -dc /proc/config.gz 2>/dev/null
	elif [ -r "/boot/config-$(uname -r)" ]; then
		cat "/boot/config-$(uname -r)"
	fi
}

# Print the first symbol of "$@" that the kernel lacks; false when it has
# them all (or its configuration cannot be read).
missing_config() {
	cfg=$(kconfig)
	[ -n "$cfg" ] || return 1
	for sym in "$@"; do
		if ! printf '%s\n' "$cfg" | grep -qE "^$sym=(y|m)$"; then
			echo "$sym"
			return 0
		fi
	done
	return 1
}

echo "TAP version 13"

[ "$(id -u)" -eq 0 ] || skip_all "must be run as root"
[ -e /proc/modules ] || skip_all "kernel lacks CONFIG_MODULES"
sym=$(missing_config CONFIG_MODULES CONFIG_MODULE_UNLOAD CONFIG_IOMMU_API CONFIG_IOMMU_SVA) &&
	skip_all "kernel lacks $sym"
# Without a readable configuration: the SVA core exports this when built.
if [ -s /proc/kallsyms ] && ! grep -q ' iommu_sva_bind_device$' /proc/kallsyms; then
	skip_all "kernel lacks CONFIG_IOMMU_SVA (no iommu_sva_bind_device in /proc/kallsyms)"
fi

echo "1..$(($(echo "$progs" | wc -w) + 2))"

loaded=0
if [ ! -f "$ko" ]; then
	echo "# $ko not found: it is built and installed with the programs"
	result fail module_load "$module.ko missing"
elif [ -d "/sys/module/$module" ]; then
	echo "# $module is already loaded; unload it first"
	result fail module_load "$module already loaded"
elif msg=$(insmod "$ko" 2>&1) && [ -d "/sys/module/$module" ]; then
	loaded=1
	result ok module_load
else
	printf '%s\n' "$msg" | sed 's/^/# insmod: /'
	dmesg 2>/dev/null | tail -n 5 | sed 's/^/# dmesg: /'
	result fail module_load "insmod $module.ko failed"
fi

for prog in $progs; do
	if [ "$loaded" -ne 1 ]; then
		result skip "$prog" "$module not loaded"
		continue
	fi
	if [ ! -x "$dir/$prog" ]; then
		result fail "$prog" "$dir/$prog missing"
		continue
	fi
	echo "# $prog (limit ${prog_timeout}s)"
	rcfile=$(mktemp)
	{
		if command -v timeout >/dev/null; then
			(cd "$dir" && timeout -k 10 "$prog_timeout" "./$prog" 2>&1 </dev/null)
		else
			(cd "$dir" && "./$prog" 2>&1 </dev/null)
		fi
		echo $? >"$rcfile"
	} | while IFS= read -r line || [ -n "$line" ]; do
		printf '# %s\n' "$line"
	done
	rc=$(cat "$rcfile")
	rm -f "$rcfile"
	case $rc in
	"$KSFT_PASS") result ok "$prog" ;;
	"$KSFT_SKIP") result skip "$prog" "no case could run" ;;
	124 | 137) result fail "$prog" "TIMEOUT $prog_timeout seconds" ;;
	*) result fail "$prog" "exit=$rc" ;;
	esac
done

if [ "$loaded" -ne 1 ]; then
	result skip module_unload "$module not loaded"
elif msg=$(rmmod "$module" 2>&1) && [ ! -d "/sys/module/$module" ]; then
	result ok module_unload
else
	printf '%s\n' "$msg" | sed 's/^/# rmmod: /'
	result fail module_unload "rmmod $module failed"
fi

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ] || exit "$KSFT_FAIL"
[ "$npass" -gt 0 ] || exit "$KSFT_SKIP"
exit "$KSFT_PASS"
