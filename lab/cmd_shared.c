/* SPDX-License-Identifier: MIT */
/* The steps `run` and `replay` share as commands (cmd_shared.h). */
#include "cmd_shared.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_shared_option(const char *cmd, int c, const char *arg,
		      struct sim_config *cfg, struct vtime_opts *vo,
		      const char **policies, char *err, size_t len)
{
	int rc;

	if (c == 'p' || c == 'm' || c == 'C' || c == 'R')
		rc = sim_parse_option(c, arg, cfg, policies, err, len) < 0;
	else if (c == 'c' || vtime_is_option(c))
		/* --cpus takes a list with --virtual-time: vtime's to parse */
		rc = vtime_parse_option(c, arg, vo, cfg, err, len) != 0;
	else
		return -1;
	if (rc) {
		fprintf(stderr, "pagealloc %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int cmd_shared_finish(const char *cmd, struct sim *s, int rc)
{
	char msg[300];

	if (!rc && sim_check(s, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "pagealloc %s: internal check failed: %s\n",
			cmd, msg);
		rc = 1;
	}
	sim_destroy(s);
	free(s);
	return rc;
}
