/*
 * main.c - dispatch. One binary, reached as cargo's RUSTC_WRAPPER
 * (argv[1] is rustc), as `cargo-pgo-wrap CMD`, and as the cargo external
 * subcommand `cargo pgo-wrap CMD` (argv[1] is "pgo-wrap").
 */
#include "frontend.h"
#include "shim.h"
#include "util.h"
#include "wrapper.h"

#include <stdio.h>
#include <string.h>

#ifndef PGOW_VERSION
#define PGOW_VERSION "0.1.0"
#endif

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cargo-pgo-wrap %s\n", PGOW_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "build", cmd_build, "the whole cycle: build [--pgo-config FILE] [cargo build args...]" },
	{ "instrument", cmd_instrument, "instrumented binaries in the normal target dir, to deploy elsewhere" },
	{ "train", cmd_train, "run the configured training against build's instrumented binaries, then merge" },
	{ "run", cmd_run, "cargo run with the current profile" },
	{ "test", cmd_test, "cargo test with the current profile" },
	{ "bench", cmd_bench, "cargo bench with the current profile" },
	{ "clean", cmd_clean, "remove <target>/pgo-wrap; --profiles also drops this workspace's cached profiles" },
	{ "doctor", cmd_doctor, "check rustc, llvm-profdata, the cache, the config and the profiler runtime" },
	{ "gc", cmd_gc, "bound the cache: gc [--max-size SIZE] [--dry-run] (default cap 2G, or CARGO_PGO_WRAP_CACHE_MAX)" },
	{ "help", cmd_help, "show this help" },
	{ "merge", cmd_merge, "merge .profraw/.profdata files into the cache: merge [--slot ID] DIR|FILE..." },
	{ "status", cmd_status, "show this workspace's slots, profiles and stale crates: status [--all] [--format=yaml]" },
	{ "version", cmd_version, "print the version" },
	{ NULL, NULL, NULL },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cargo-pgo-wrap %s: automatic profile-guided optimisation for cargo builds\n\n"
	       "Usage:\n"
	       "  RUSTC_WRAPPER=cargo-pgo-wrap cargo build --release   wrapper mode\n"
	       "  cargo-pgo-wrap <command> [args]                        front end\n"
	       "  cargo pgo-wrap <command> [args]                        as a cargo subcommand\n\n"
	       "Commands:\n", PGOW_VERSION);
	for (const struct command *c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->help);
	printf("\nWrapper settings (environment):\n"
	       "  CARGO_PGO_WRAP_MODE=generate|use|off   what to inject into optimised crates\n"
	       "  CARGO_PGO_WRAP_PROFILE=/abs/path       raw profile dir (generate) or .profdata (use)\n"
	       "  CARGO_PGO_WRAP_EXCLUDE=crate,crate     crates never instrumented or optimised\n"
	       "  CARGO_PGO_WRAP_NEXT=sccache            wrapper to run after us\n"
	       "  CARGO_PGO_WRAP_CACHE=/abs/dir          cache (default ~/.cache/cargo-pgo-wrap)\n"
	       "  CARGO_PGO_WRAP_NO_PROFILER_TARGETS=glob,glob  more targets to leave alone\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (strcmp(path_basename(argv[0]), "cargo") == 0)
		shim_main(argc, argv);
	if (wrapper_looks_like_rustc_call(argc, argv))
		wrapper_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "pgo-wrap") == 0) {
		argc--;
		argv++;
	}
	const char *name = argc >= 2 ? argv[1] : "help";
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c->fn(argc - 1, argv + 1);
	die(PGOW_EXIT_CONFIG, "'%s' is not a cargo-pgo-wrap command; run cargo-pgo-wrap help", name);
}
