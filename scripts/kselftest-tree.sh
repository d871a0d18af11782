#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the suite into a kernel tree as the kselftest target iommu/sva:
#   tools/testing/selftests/iommu/sva/            programs, sva.sh, config, settings
#   tools/testing/selftests/iommu/sva/mock_iommu/ the module (TEST_GEN_MODS_DIR)
# The module's compatibility probes (conftest.sh) are resolved for that
# tree with unifdef: in-tree code follows its own kernel's API. The probe
# needs a configured build of the tree (KDIR, default: the one make setup
# recorded when the tree is its KSRC).
#
# usage: kselftest-tree.sh <tree> [<kdir>]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sva-kselftest}
state_get() { sed -n "s/^$1=//p" "$cache/state" 2>/dev/null | tail -n 1 || true; }
die() { echo "kselftest-tree: $*" >&2; exit 1; }

tree=${1:?usage: kselftest-tree.sh <kernel tree> [<kernel build dir>]}
kdir=${2:-${KDIR:-$(state_get KDIR)}}
[ -f "$tree/tools/testing/selftests/lib.mk" ] || die "$tree is not a kernel tree (no tools/testing/selftests/lib.mk)"
[ -f "${kdir:-/nonexistent}/Makefile" ] || die "no kernel build directory for the module's probe: pass one or set KDIR"
command -v unifdef >/dev/null || die "unifdef not found (apt-get install unifdef)"
grep -q 'TEST_GEN_MODS_DIR' "$tree/tools/testing/selftests/lib.mk" ||
	die "$tree's lib.mk has no TEST_GEN_MODS_DIR (Linux 6.11 or later needed)"

dest=$tree/tools/testing/selftests/iommu/sva
if [ -e "$dest" ] && [ ! -f "$dest/sva.sh" ]; then
	die "$dest exists and is not this suite: not touching it"
fi

progs=$(make -s --no-print-directory -C "$root/selftests" list)
[ -n "$progs" ] || die "no programs from make -C selftests list"

# The module's probe results for this kernel: build it once, out of the way.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
# The module's sources: the objects Kbuild names (never what a build left
# in mock_iommu/, such as mock_iommu.mod.c), its headers, Kbuild, probes.
srcs=()
while read -ra objs; do
	for o in "${objs[@]}"; do srcs+=("$root/mock_iommu/${o%.o}.c"); done
done < <(sed -n 's/^mock_iommu-y[ +:]*=//p' "$root/mock_iommu/Kbuild")
[ "${#srcs[@]}" -gt 0 ] || die "no mock_iommu-y objects in mock_iommu/Kbuild"
mkdir -p "$probe/mock_iommu/uapi"
cp "${srcs[@]}" "$root/mock_iommu/mock_iommu.h" "$root/mock_iommu/Kbuild" \
	"$root/mock_iommu/conftest.sh" "$probe/mock_iommu/"
cp "$root/mock_iommu/uapi/mock_iommu.h" "$probe/mock_iommu/uapi/"
make -C "$kdir" M="$probe/mock_iommu" modules >"$probe/build.log" 2>&1 ||
	{ tail -n 30 "$probe/build.log" >&2; die "the module does not build against $kdir"; }
defs=()
while read -r what name _; do
	case $what in
	'#define') defs+=("-D$name=1") ;;
	'/*') defs+=("-U$name") ;;
	esac
done < <(sed -n -e 's|^#define \(HAVE_[A-Z0-9_]*\).*|#define \1|p' \
	-e 's|^/\* #undef \(HAVE_[A-Z0-9_]*\) \*/|/* \1|p' "$probe/mock_iommu/conftest.h")
grep -qE '#define kzalloc_obj\b' "$tree/include/linux/slab.h" && defs+=(-Dkzalloc_obj)

rm -rf "$dest"
mkdir -p "$dest/mock_iommu/uapi"

# The module
for f in "${srcs[@]}" "$root/mock_iommu/mock_iommu.h"; do
	out=$dest/mock_iommu/$(basename "$f")
	rc=0
	unifdef "${defs[@]}" -o "$out" "$f" || rc=$?
	[ "$rc" -le 1 ] || die "unifdef failed on $f"
	sed -i -e '/#include "conftest.h"/d' -e '/Kernels before the typed allocators/d' "$out"
	# what was between removed branches must not leave blank lines doubled
	cat -s "$out" >"$out.tmp" && mv "$out.tmp" "$out"
done
cp "$root/mock_iommu/uapi/mock_iommu.h" "$dest/mock_iommu/uapi/"
{
	echo "# SPDX-License-Identifier: GPL-2.0"
	grep -E '^(obj-m|mock_iommu-y)' "$root/mock_iommu/Kbuild"
} >"$dest/mock_iommu/Kbuild"
cp "$root/kselftest/mock_iommu.mk" "$dest/mock_iommu/Makefile"
# (the probes' HAVE_* names, not the kernel's CONFIG_HAVE_* symbols)
if grep -nE '(^|[^A-Z0-9_])HAVE_[A-Z]|conftest' "$dest"/mock_iommu/*.[ch] "$dest/mock_iommu/Kbuild"; then
	die "compatibility probes left in the in-tree module (above)"
fi

# The programs, the wrapper, config and settings
for p in $progs; do
	cp "$root/selftests/$p.c" "$dest/"
done
cp "$root"/selftests/*.h "$root/kselftest/settings" \
	"$root/kselftest/config" "$root/kselftest/config.x86_64" "$dest/"
# sva.sh's list (progs="..." over one or more lines) becomes the programs
# of selftests/Makefile, five to a line (checkpatch's line length).
progs_block() {
	# progs_block <sva.sh>: the words of its progs="..." assignment
	awk 'b { print; if (/"$/) exit; next }
	     /^progs="/ { print; b = !/^progs=".*"$/ || /^progs="$/; if (!b) exit }' "$1" |
		sed -e 's/^progs="//' -e 's/"$//' | tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'
}
# shellcheck disable=SC2086 # word splitting of the list is meant
flat=$(printf '%s\n' $progs | xargs)
wrapped=$(printf '%s\n' "$flat" | xargs -n 5 | sed '2,$s/^/\t/')
WRAPPED=$wrapped awk 'b { if (/"$/) b = 0; next }
	/^progs="/ { print "progs=\"" ENVIRON["WRAPPED"] "\""; b = !/^progs=".*"$/ || /^progs="$/; next }
	{ print }' "$root/kselftest/sva.sh" >"$dest/sva.sh"
chmod 755 "$dest/sva.sh"
[ "$(progs_block "$dest/sva.sh")" = "$flat" ] || die "could not write the program list into sva.sh"
list=$(for p in $progs; do printf 'TEST_GEN_PROGS_EXTENDED += %s\\n' "$p"; done)
sed "s/^@PROGS@\$/${list%\\n}/" "$root/kselftest/Makefile" >"$dest/Makefile"
if [ "$(progs_block "$root/kselftest/sva.sh")" != "$flat" ]; then
	echo "kselftest-tree: note: kselftest/sva.sh lists other programs than selftests/Makefile; the tree gets: $progs" >&2
fi
echo "kselftest-tree: wrote $dest ($(echo "$progs" | wc -w) programs, module, sva.sh)"
echo "kselftest-tree: run it with make -C $tree/tools/testing/selftests TARGETS=iommu/sva run_tests"
