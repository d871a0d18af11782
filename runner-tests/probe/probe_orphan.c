// SPDX-License-Identifier: GPL-2.0
/*
 * A selftest that passes and exits 0 but leaves a child behind in a
 * session of its own, as a harness test child that outlives its test
 * would: the runner must kill it and fail the program.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		setsid();
		for (;;)
			pause();
	}
	printf("TAP version 13\n1..1\nok 1 probe.leaves_a_child\n");
	printf("# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	return 0;
}
