// SPDX-License-Identifier: GPL-2.0
/*
 * Programs whose TAP is not sound although they exit 0, one per name:
 *   probe_silent  prints nothing
 *   probe_empty   plans no cases ("1..0") and does not skip
 *   probe_extra   reports more cases than it planned
 * The verdict must fail each of them.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *me = basename(argv[0]);

	if (!strcmp(me, "probe_empty")) {
		printf("TAP version 13\n1..0\n");
	} else if (!strcmp(me, "probe_extra")) {
		printf("TAP version 13\n1..1\nok 1 probe.first\nok 2 probe.unplanned\n");
		printf("# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	}
	return 0;
}
