#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series`: the suite as a patch series that adds the kselftest target
# iommu/sva to a kernel tree (KSRC, default: the tree make setup recorded).
# The series is made in a throwaway git repository holding the tree's
# files it touches (the tree itself is only read), written with git
# format-patch, and every patch is checked with the tree's
# scripts/checkpatch.pl --strict.
#
# Environment: KSRC KDIR (the module's API probe, see kselftest-tree.sh),
# OUT (default <cache>/series/<time>), SIGNOFF ("Name <mail>", default
# git's user.name and user.email).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state_get() { sed -n "s/^$1=//p" "$cache/state" 2>/dev/null | tail -n 1 || true; }
die() { echo "series: $*" >&2; exit 1; }

ksrc=${KSRC:-$(state_get KSRC)}
kdir=${KDIR:-$(state_get KDIR)}
[ -f "${ksrc:-/nonexistent}/MAINTAINERS" ] || die "no kernel tree: run make setup or pass KSRC="
ksrc=$(realpath "$ksrc")
out=${OUT:-$cache/series/$(date +%Y%m%d-%H%M%S)}
name=$(git -C "$root" config user.name || true)
mail=$(git -C "$root" config user.email || true)
signoff=${SIGNOFF:-$name <$mail>}
[[ $signoff =~ ^(.+)\ \<(.+)\>$ ]] || die "SIGNOFF must be 'Name <mail>' (or set git's user.name and user.email)"
export GIT_AUTHOR_NAME=${BASH_REMATCH[1]} GIT_AUTHOR_EMAIL=${BASH_REMATCH[2]}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
release=$(make -s --no-print-directory -C "$ksrc" kernelversion 2>/dev/null || echo unknown)

repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
git() { command git -C "$repo" -c core.autocrlf=false -c user.useConfigOnly=false "$@"; }
sel=tools/testing/selftests
t=$sel/iommu/sva

# The base: the tree's files the series changes.
mkdir -p "$repo/$sel"
cp "$ksrc/MAINTAINERS" "$repo/"
cp "$ksrc/$sel/Makefile" "$repo/$sel/"
git init -q
git add -A
git commit -q -m "Linux $release (the files the series changes)"
base=$(git rev-parse HEAD)

# The suite as it would be in the tree.
stage=$(mktemp -d)
trap 'rm -rf "$repo" "$stage"' EXIT
mkdir -p "$stage/$sel"
cp "$ksrc/$sel/lib.mk" "$stage/$sel/"
mkdir -p "$stage/include/linux"
cp "$ksrc/include/linux/slab.h" "$stage/include/linux/"
"$root/scripts/kselftest-tree.sh" "$stage" "$kdir" >&2
# The programs kselftest-tree.sh wrote (and checked it wrote into sva.sh)
progs=$(make -s --no-print-directory -C "$root/selftests" list | xargs)
[ -n "$progs" ] || { echo "series: no programs from make -C selftests list" >&2; exit 1; }
nprogs=$(echo "$progs" | wc -w)
mkdir -p "$repo/$t"

# maint <pattern...>: the IOMMU SUBSYSTEM entry lists exactly these of the
# suite's files (F: lines in order); each patch that adds files says who
# looks after them.
maint() {
	python3 - "$repo/MAINTAINERS" "$@" <<'P'
import sys
path, pats = sys.argv[1], sys.argv[2:]
lines = open(path).read().split("\n")
start = lines.index("IOMMU SUBSYSTEM")
end = lines.index("", start)
entry = [l for l in lines[start:end] if not l.startswith("F:\ttools/testing/selftests/iommu/sva/")]
files = sorted([l for l in entry if l.startswith("F:\t")] + ["F:\t" + p for p in pats], key=lambda l: l[3:])
first = next(i for i, l in enumerate(entry) if l.startswith("F:\t"))
entry = entry[:first] + files + [l for l in entry[first:] if not l.startswith("F:\t")]
lines[start:end] = entry
open(path, "w").write("\n".join(lines))
P
	git add MAINTAINERS
}

commit() {
	# commit <message file>: everything staged so far, signed off
	git commit -q -s -F "$1"
}
msg=$(mktemp)
trap 'rm -rf "$repo" "$stage" "$msg"' EXIT

# 1: the module
cp -r "$stage/$t/mock_iommu" "$repo/$t/"
git add "$t/mock_iommu"
maint "$t/mock_iommu/"
cat >"$msg" <<'M'
selftests/iommu: add a mock IOMMU driver for the SVA core

The SVA core (iommu_sva_bind_device() and friends, the SVA domains, the
PASID allocation and the I/O page fault path) has no test that runs
without hardware: it is exercised by the Intel, AMD and SMMUv3 drivers
on machines that have PASID- and PRI-capable devices, which CI systems
rarely do.

mock_iommu.ko is a test module that registers IOMMU instances with the
core and probes platform devices on them, so that the real SVA core runs
against a driver that only keeps tables:

 - instances, devices, groups and their PASID widths are created through
   /dev/mock_iommu (one ioctl, described in uapi/mock_iommu.h), so a test
   sets up the topology it needs;
 - bind and unbind go through iommu_sva_bind_device() and
   iommu_sva_unbind_device(); set_dev_pasid() records the PASID tables,
   the mmu notifier of each SVA domain is tracked, and counters and fault
   injection points let a test check what the core did;
 - each device can act as a DMA engine: it walks the mm of a PASID's
   domain and raises page requests on the instance's IOPF queue, so the
   core's iommu_sva_iopf_handler() and the page responses are exercised;
 - uacce devices can be created on mock devices.

The module is built by kbuild against the tree the selftests are built
in, as the kselftest target's TEST_GEN_MODS_DIR (added with the programs
in the next patch); it is loaded by the target's run script. It tests
the IOMMU core's code, so it is listed in the IOMMU SUBSYSTEM entry.
M
commit "$msg"

# 2: the programs
for p in $progs; do cp "$stage/$t/$p.c" "$repo/$t/"; done
# the programs' headers: every one the target's LOCAL_HDRS names must be here
cp "$stage/$t/"*.h "$repo/$t/"
read -ra hdrs <<<"$(sed -n 's/^LOCAL_HDRS += //p' "$stage/$t/Makefile" | xargs)"
for h in "${hdrs[@]}"; do
	[ -f "$repo/$t/$h" ] || { echo "series: $t/$h, in LOCAL_HDRS, is in no patch" >&2; exit 1; }
done
grep -v '^TEST_PROGS := ' "$stage/$t/Makefile" >"$repo/$t/Makefile"
git add "$t"
maint "$t/Makefile" "$t/mock_iommu/" "$t/*.h" "$t/sva_*.c"
{
	cat <<'M'
selftests/iommu: add SVA tests on the mock IOMMU driver

Add kselftest_harness programs that drive the SVA core through
/dev/mock_iommu:

M
	# each program's first sentence
	for p in $progs; do
		awk 'NR > 2 && /^ \*\/?$/ { exit } NR > 2 { sub(/^ \* /, ""); printf "%s ", $0 } END { print "" }' "$stage/$t/$p.c" |
			sed -e 's/\([.]\) .*/\1/' -e "s/^/$p: /" | fold -s -w 68 | sed -e '1s/^/ - /' -e '2,$s/^/   /' -e 's/ *$//'
	done
	cat <<'M'

The programs need mock_iommu.ko loaded, so they are
TEST_GEN_PROGS_EXTENDED: the run script added next loads the module and
runs them. The module directory is the target's TEST_GEN_MODS_DIR, so
building the target builds the module against the same kernel tree and
installing it installs the module with the programs. The programs are
listed in the IOMMU SUBSYSTEM entry with the module.
M
} >"$msg"
commit "$msg"

# 3: the run script, config and settings
cp "$stage/$t/Makefile" "$stage/$t/sva.sh" "$stage/$t/settings" "$stage/$t/config" \
	"$stage/$t/config.x86_64" "$repo/$t/"
git add "$t"
maint "$t/"
cat >"$msg" <<M
selftests/iommu: run the SVA tests with mock_iommu.ko loaded

sva.sh loads mock_iommu.ko from the mock_iommu/ directory next to it,
runs the $nprogs programs, unloads the module and prints KTAP: one case for
the load, one per program (its own KTAP output follows as "# " lines) and
one for the unload. It exits 0 when nothing failed, 1 when a case failed,
and 4 (skip) only when the kernel cannot run the tests: not root, no
CONFIG_MODULES, or no SVA core (CONFIG_IOMMU_SVA, read from the kernel's
configuration or, without one, from /proc/kallsyms); the skip names the
missing symbol. A module that is missing or does not load on a kernel
that has what it needs is a failure, not a skip. Each program is limited
to SVA_PROG_TIMEOUT seconds (default 300).

The config fragment asks for the SVA core, the IOPF queue and uacce;
IOMMU_SVA has no prompt, so config.x86_64 enables the Intel driver's SVA
support to select it (without a DMAR table the Intel driver stays out of
the way, and it must not be on by default). settings gives the whole run
1800 seconds: about 150 seconds are needed under QEMU TCG with KASAN.

With these the directory is the whole target: MAINTAINERS lists it
instead of its files.
M
commit "$msg"

# 4: hookup
sed -i 's|^TARGETS += iommu$|&\nTARGETS += iommu/sva|' "$repo/$sel/Makefile"
grep -q '^TARGETS += iommu/sva$' "$repo/$sel/Makefile" || die "no 'TARGETS += iommu' line in $sel/Makefile"
git add -A
cat >"$msg" <<'M'
selftests: build and run the iommu/sva target

Add iommu/sva to the default TARGETS, so that kselftest-all,
kselftest-install and kselftest-gen_tar build and package it (the
module included) and run_kselftest.sh runs it as the collection
iommu/sva.
M
commit "$msg"

mkdir -p "$out"
rm -f "$out"/*.patch
git format-patch -q --cover-letter -o "$out" "$base..HEAD"
cover=$(echo "$out"/0000-*.patch)
sed -i -e 's/\*\*\* SUBJECT HERE \*\*\*/selftests\/iommu: SVA core tests on a mock IOMMU driver/' "$cover"
blurb=$(mktemp)
cat >"$blurb" <<M
This series adds the kselftest target iommu/sva: tests of the IOMMU SVA
core that need no PASID-capable hardware. A test module, mock_iommu.ko,
registers IOMMU instances and devices with the core; $nprogs
kselftest_harness programs bind, unbind, fault and transfer through it.

The module is built with the target through lib.mk's TEST_GEN_MODS_DIR,
so kselftest-install and kselftest-gen_tar ship it next to the programs,
and the target's sva.sh loads it, runs the programs and unloads it:

  make kselftest-merge                      # config + config.x86_64
  make kselftest TARGETS=iommu/sva
  make kselftest-gen_tar TARGETS=iommu/sva  # then, on the test machine:
  ./run_kselftest.sh -c iommu/sva

Generated against Linux $release.
M
sed -i -e "/\*\*\* BLURB HERE \*\*\*/{r $blurb" -e 'd}' "$cover"
rm -f "$blurb"

# checkpatch, from the tree (which it only reads)
bad=0
for p in "$out"/00[0-9][1-9]-*.patch; do
	res=$(cd "$ksrc" || exit 1; scripts/checkpatch.pl --strict --show-types "$p" 2>&1) || true
	if ! echo "$res" | grep -q '^total: 0 errors, 0 warnings, 0 checks'; then
		echo "$res"
		bad=1
	fi
	echo "series: $(basename "$p"): checkpatch --strict: $(echo "$res" | grep '^total:')"
done
echo "series: $(find "$out" -name '*.patch' | wc -l) files (cover letter included) in $out"
exit "$bad"
