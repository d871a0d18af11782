// SPDX-License-Identifier: GPL-2.0
/* A selftest that never finishes: the per-program timeout must catch it. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("TAP version 13\n1..1\n#  RUN           probe.hangs ...\n");
	fflush(stdout);
	for (;;)
		pause();
}
