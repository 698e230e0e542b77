/* SPDX-License-Identifier: MIT */
/*
 * cmd_shared - the steps `pagealloc run` and `pagealloc replay` share as
 * commands: their simulator and virtual-time options, and the internal
 * check that ends a run.  One piece of code for each, so the two commands
 * cannot drift apart in what they accept or how they fail.
 */
#ifndef PA_LAB_CMD_SHARED_H
#define PA_LAB_CMD_SHARED_H

#include <stddef.h>

#include "sim.h"
#include "vtime_cmd.h"

/*
 * The option getopt_long() returned as c, when it is one both commands
 * take: sim_parse_option()'s --policy, --mem, --compact, --report-free,
 * and --cpus with the VTIME_OPTIONS (vtime_parse_option()).  Returns 0
 * when it was taken, 2 (the exit status) after "pagealloc CMD: REASON" on
 * stderr when its value is bad, -1 when c is none of them.  err/len is
 * the caller's buffer for the reason.
 */
int cmd_shared_option(const char *cmd, int c, const char *arg,
		      struct sim_config *cfg, struct vtime_opts *vo,
		      const char **policies, char *err, size_t len);

/*
 * The end of a run: when rc is still 0, sim_check() (exit status 1 and
 * "pagealloc CMD: internal check failed: ..." when it fails); then s is
 * destroyed and freed.  Returns the exit status.
 */
int cmd_shared_finish(const char *cmd, struct sim *s, int rc);

#endif
