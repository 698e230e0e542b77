/* SPDX-License-Identifier: MIT */
/*
 * Subcommands of the `pagealloc` command.  Each takes the arguments after
 * its own name (argv[0] is the subcommand name) and returns the process exit
 * status: 0 success, 1 the work failed (e.g. a verification mismatch),
 * 2 usage error or unreadable input.
 */
#ifndef PA_LAB_COMMANDS_H
#define PA_LAB_COMMANDS_H

int cmd_capture(int argc, char **argv); /* lab/capture.c */
int cmd_replay(int argc, char **argv);  /* lab/replay.c */
int cmd_run(int argc, char **argv);     /* lab/scenario.c */
int cmd_zram(int argc, char **argv);    /* lab/cmd_zram.c */
int cmd_calibrate(int argc, char **argv); /* lab/cmd_calibrate.c */
int cmd_compare(int argc, char **argv); /* lab/compare.c */
int cmd_mix(int argc, char **argv);     /* lab/cmd_mix.c */
int cmd_convert(int argc, char **argv); /* lab/cmd_convert.c */

#endif
