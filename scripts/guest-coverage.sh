# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2154 # out, emit, put, status: guest-run.sh
#
# Sourced by guest-run.sh (as $payload/coverage.sh, which check.sh stages
# only with COVERAGE=1) after the module is unloaded: bring the gcov
# counters of the coverage kernel back to the host. POSIX sh (busybox ash).
#
# Artifacts: gcov.tgz.b64, a base64 gzipped tar of every .gcda under
# /sys/kernel/debug/gcov (base64: the stream is a tty and the host reads it
# as text), and coverage.state ("ok <n> files" or why there is nothing).

gcov_dir=/sys/kernel/debug/gcov
status "coverage: copying the gcov counters"
if [ ! -d "$gcov_dir" ]; then
	put coverage.state "no $gcov_dir (a kernel without CONFIG_GCOV_KERNEL, or no debugfs)"
else
	gcov_tmp=/tmp/sva-gcov
	rm -rf "$gcov_tmp"
	mkdir -p "$gcov_tmp"
	# debugfs reports a size of 0 for .gcda files: tar would store them
	# empty, so each one is read with cat (as Documentation/dev-tools/gcov.rst
	# does). The .gcno entries are symlinks into the build: not needed.
	(cd "$gcov_dir" && find . -name '*.gcda') | while IFS= read -r gcov_f; do
		mkdir -p "$gcov_tmp/${gcov_f%/*}"
		cat "$gcov_dir/$gcov_f" >"$gcov_tmp/$gcov_f"
	done
	gcov_n=$(find "$gcov_tmp" -name '*.gcda' | wc -l)
	if (cd "$gcov_tmp" && tar -cf - .) | gzip -c | base64 >"$out/gcov.tgz.b64"; then
		emit gcov.tgz.b64
		put coverage.state "ok $gcov_n files"
	else
		put coverage.state "failed to archive $gcov_n .gcda files"
	fi
	rm -rf "$gcov_tmp"
fi
