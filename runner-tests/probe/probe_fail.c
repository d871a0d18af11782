// SPDX-License-Identifier: GPL-2.0
/* A selftest with one failing case, as kselftest_harness reports it. */
#include <stdio.h>

int main(void)
{
	printf("TAP version 13\n1..2\n");
	printf("# Starting 2 tests from 1 test cases.\n");
	printf("#  RUN           probe.passes ...\n");
	printf("#            OK  probe.passes\nok 1 probe.passes\n");
	printf("#  RUN           probe.deliberate_failure ...\n");
	printf("# probe_fail.c:12:deliberate_failure:Expected 0 (0) == 1 (1)\n");
	printf("# deliberate_failure: Test failed\n");
	printf("#          FAIL  probe.deliberate_failure\nnot ok 2 probe.deliberate_failure\n");
	printf("# FAILED: 1 / 2 tests passed.\n");
	printf("# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
	return 1;
}
