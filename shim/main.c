/*
 * main.c - dispatch. One binary, reached as cargo's RUSTC_WRAPPER
 * (argv[1] is rustc), as `cargo-pgo-wrap CMD`, and as the cargo external
 * subcommand `cargo pgo-wrap CMD` (argv[1] is "pgo-wrap").
 */
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "wrapper/ccwrap.h"
#include "wrapper/shim.h"
#include "wrapper/wrapper.h"
#include "commands/commands.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* `--help` or `-h` before a `--`: the command's help, and nothing else is done. */
static bool asks_for_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (strcmp(path_basename(argv[0]), "cargo") == 0)
		shim_main(argc, argv);
	/* Every setting is checked once, at start: a bad one is one line and exit 2, before anything runs. */
	if (ccwrap_is_our_name(argv[0])) {
		settings_check_all();
		ccwrap_main(argc, argv);
	}
	if (wrapper_looks_like_rustc_call(argc, argv)) {
		settings_check_all();
		wrapper_main(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "pgo-wrap") == 0) {
		argc--;
		argv++;
	}
	const char *name = argc >= 2 ? argv[1] : "help";
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	const struct command *c = command_find(name);
	if (c && c->fn != cmd_help && asks_for_help(argc - 1, argv + 1))
		return command_help(c);
	if (c && c->fn != cmd_help && c->fn != cmd_version)
		settings_check_all();
	if (c)
		return c->fn(argc - 1, argv + 1);
	command_unknown(name);
}
