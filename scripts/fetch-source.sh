#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a single package (default: the newest linux-source-7.*) from Debian's
# newer suites through a private apt configuration, so that the system's own
# sources.list never gains trixie or sid.
#
# usage: fetch-source.sh <cache-dir> kernel            -> prints the unpacked tree
#        fetch-source.sh <cache-dir> deb <package>     -> prints the .deb path
#        fetch-source.sh <cache-dir> names <prefix>    -> package names
#        fetch-source.sh <cache-dir> depends <package> -> its Depends field
# SUITES="bookworm-backports" picks other suites (default: trixie,
# trixie-backports, sid); each set of suites has its own apt state.
set -euo pipefail

cache=$1
what=$2
suites=${SUITES:-trixie trixie-backports sid}
if [ -n "${SUITES:-}" ]; then
	apt_dir=$cache/apt-${suites// /+}
else
	apt_dir=$cache/apt
fi
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc"

for suite in $suites; do
	echo "deb http://deb.debian.org/debian $suite main"
done >"$apt_dir/etc/sources.list.new"
if ! cmp -s "$apt_dir/etc/sources.list.new" "$apt_dir/etc/sources.list"; then
	mv "$apt_dir/etc/sources.list.new" "$apt_dir/etc/sources.list"
	rm -f "$apt_dir"/lists/*Packages*
else
	rm -f "$apt_dir/etc/sources.list.new"
fi

apt_opts=(
	-o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache::archives=$apt_dir/archives"
	-o "Dir::Cache::pkgcache=$apt_dir/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=$apt_dir/srcpkgcache.bin"
	-o "APT::Get::List-Cleanup=0"
	-o "APT::Sandbox::User=root"
)

log() { echo "fetch-source: $*" >&2; }

refresh_lists() {
	# One refresh per day is plenty; the archive moves slowly.
	if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 -print -quit)" ]; then
		log "updating private package lists ($suites)"
		apt-get "${apt_opts[@]}" -qq update >&2
	fi
}

# Newest version of <pkg> across the private suites.
newest_version() {
	apt-cache "${apt_opts[@]}" madison "$1" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
		sort -V | tail -n 1
}

download() {
	local pkg=$1 ver=$2
	(cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" -qq download "$pkg=$ver" >&2)
	find "$apt_dir/archives" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1
}

refresh_lists

case $what in
kernel)
	pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-source-7. | sort -V | tail -n 1)
	[ -n "$pkg" ] || { log "no linux-source-7.* package offered"; exit 1; }
	ver=$(newest_version "$pkg")
	log "using $pkg $ver"
	tree=$cache/src/$pkg-$ver
	if [ ! -f "$tree/Makefile" ]; then
		deb=$(download "$pkg" "$ver")
		tmp=$cache/src/.unpack
		rm -rf "$tmp" && mkdir -p "$tmp"
		dpkg-deb -x "$deb" "$tmp"
		tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.*)
		log "unpacking $(basename "$tarball")"
		mkdir -p "$tree.part"
		tar -xf "$tarball" -C "$tree.part" --strip-components=1
		rm -rf "$tmp" "$tree"
		mv "$tree.part" "$tree"
	fi
	echo "$tree"
	;;
deb)
	pkg=$3
	ver=$(newest_version "$pkg")
	[ -n "$ver" ] || { log "$pkg is not offered"; exit 1; }
	log "using $pkg $ver"
	download "$pkg" "$ver"
	;;
names)
	apt-cache "${apt_opts[@]}" pkgnames "$3" | sort -V
	;;
depends)
	ver=$(newest_version "$3")
	apt-cache "${apt_opts[@]}" show "$3=$ver" | sed -n 's/^Depends: //p' | head -n 1
	;;
*)
	log "unknown request '$what'"
	exit 2
	;;
esac
