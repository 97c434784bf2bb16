/*
 * cargo.c - the run, test and bench commands: cargo itself, with our
 * wrapper and the cached profile.
 */
#include "base/spawn.h"
#include "base/strbuf.h"
#include "cycle/build.h"
#include "commands/commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cargo SUB with the wrapper set: the cached profile decides, nothing is cleaned. */
static int passthrough(const char *sub, int argc, char **argv)
{
	struct build b;
	struct strvec cmd = STRVEC_INIT;

	build_setup(&b, argc, argv, false);
	build_preflight(&b, false);
	sv_push(&cmd, b.cargo);
	sv_push(&cmd, sub);
	sv_pushv(&cmd, b.cargo_args.v, b.cargo_args.n);
	exec_or_die(cmd.v);
}

int cmd_run(int argc, char **argv)
{
	return passthrough("run", argc, argv);
}

int cmd_test(int argc, char **argv)
{
	return passthrough("test", argc, argv);
}

int cmd_bench(int argc, char **argv)
{
	return passthrough("bench", argc, argv);
}
