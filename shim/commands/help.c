/*
 * help.c - the command table (name, summary, usage) that dispatch, `help`,
 * usage errors and the man page all read, and the help and version commands.
 */
#include "base/message.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "commands/commands.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PGOW_VERSION
#define PGOW_VERSION "0.1.0"
#endif

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cargo-pgo-wrap %s\n", PGOW_VERSION);
	return 0;
}

const struct command commands[] = {
	{ "build", cmd_build, "the whole cycle: instrument, train, merge, build optimised",
	  "build [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  Builds with the cached profile. Without one (or with a stale one under stale-policy:\n"
	  "  refresh) it first instruments into <target>/pgo-wrap/instrumented, runs the training\n"
	  "  of pgo-wrap.yaml, merges, and builds optimised. Every unit of the final build is\n"
	  "  verified to carry the profile.\n"
	  "  C/C++ code that build scripts compile through cc is profiled too, with a clang of\n"
	  "  rustc's LLVM (CARGO_PGO_WRAP_C=auto|on|off); `bolt: on` in pgo-wrap.yaml adds a BOLT\n"
	  "  stage whose result ships only if the training measures it faster." },
	{ "instrument", cmd_instrument, "instrumented binaries in the normal target dir, to run elsewhere",
	  "instrument [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  The binaries write raw profiles to <target>/pgo-wrap/raw/...; the next `build` merges them." },
	{ "train", cmd_train, "run the configured training against build's instrumented binaries, then merge",
	  "train [--pgo-config FILE] [CARGO BUILD ARGS...]" },
	{ "merge", cmd_merge, "merge .profraw/.profdata files into the cache",
	  "merge [--slot ID] [--weight N] [--replace] [--foreign] [--strict] [--training TEXT] DIR|FILE...\n"
	  "       cargo-pgo-wrap merge --remote [--replace] [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  Each .profraw goes to the build that produced its binary (by build-id) and is added to\n"
	  "  that build's current profile while the code still matches; --replace starts over.\n"
	  "  --weight N applies to every input. --foreign --slot ID accepts files from binaries this\n"
	  "  cache did not build (another machine). A profile that gives no counts to any crate is refused.\n"
	  "  --remote: the raw profiles uploaded from the field for this build configuration, each with\n"
	  "  its weight, added to the current profile (or replacing it), pushed; each upload is merged once.\n"
	  "  perf samples uploaded with --perf become BOLT's profiles for the next build (bolt-field)." },
	{ "push", cmd_push, "push this build's current profile to the remote store",
	  "push [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  Stores the profile under its content key in CARGO_PGO_WRAP_REMOTE, then names it as the\n"
	  "  profile of this build configuration there (`build` pushes after each refresh on its own)." },
	{ "pull", cmd_pull, "fetch this build's profile from the remote store",
	  "pull [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  Fetches the profile the remote names for this build configuration, checks it (its content\n"
	  "  key, its manifest, llvm-profdata) and makes it current (`build` does this when it has no\n"
	  "  usable profile)." },
	{ "pin", cmd_pin, "pin this build's current profile in pgo-wrap.lock",
	  "pin [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  Pushes the profile to the remote store, then records it in pgo-wrap.lock at the workspace\n"
	  "  root. While a pin is there, builds use exactly that profile (from this cache, else fetched)\n"
	  "  and never replace it: a stale pinned profile is used as it is, or refused under\n"
	  "  stale-policy: error. `pin` again moves it." },
	{ "upload", cmd_upload, "send raw profiles from the field to the remote store",
	  "upload DIR [--weight N] [--label NAME]\n"
	  "       cargo-pgo-wrap upload --perf perf.data [--label NAME]\n"
	  "  On a machine with only the instrumented binaries and CARGO_PGO_WRAP_REMOTE: each .profraw in\n"
	  "  DIR goes to the build that made its binary (by build-id; `instrument` and `build` record\n"
	  "  their instrumented binaries on the remote), with its weight and label, and is removed once\n"
	  "  the remote has it whole. A file no recorded build made is refused and kept.\n"
	  "  `merge --remote` on the build host merges what was uploaded.\n"
	  "  --perf: a perf.data recorded on a program a build with bolt: on and bolt-bat: on shipped\n"
	  "  (BOLTed or not), routed by the build-ids perf saw; `merge --remote` turns it into BOLT's\n"
	  "  profile for the next build. The file is kept." },
	{ "diff", cmd_diff, "how far two profiles of this build are apart, and what one never ran",
	  "diff [A] [B] [--top N] [--pgo-config FILE] [CARGO BUILD ARGS...]\n"
	  "  A and B: current (A's default), previous (B's default: the profile before), 4 or more hex\n"
	  "  digits of a stored profile's key, or a .profdata file. Prints llvm-profdata's overlap, and\n"
	  "  per crate: its share of A's counts, the overlap of its counts, the functions only one side\n"
	  "  has, those whose code changed; then the functions A ran hot that B never ran (top N, 10):\n"
	  "  with A the fleet's profile and B the training's, what the training misses." },
	{ "run", cmd_run, "cargo run with the current profile", "run [--pgo-config FILE] [CARGO RUN ARGS...]" },
	{ "test", cmd_test, "cargo test with the current profile", "test [--pgo-config FILE] [CARGO TEST ARGS...]" },
	{ "bench", cmd_bench, "cargo bench with the current profile", "bench [--pgo-config FILE] [CARGO BENCH ARGS...]" },
	{ "status", cmd_status, "this workspace's profiles, and which units are stale",
	  "status [--all] [--release | --profile NAME] [--format human|yaml] [--manifest-path PATH] [--target-dir DIR] [--pgo-config FILE]" },
	{ "clean", cmd_clean, "remove <target>/pgo-wrap; --profiles also this workspace's cached profiles",
	  "clean [--profiles] [--discard-raw] [--manifest-path PATH] [--target-dir DIR]\n"
	  "  Refuses while raw profiles wait to be merged, unless --discard-raw." },
	{ "doctor", cmd_doctor, "check rustc, llvm-profdata, the cache, the config and the profiler runtime",
	  "doctor [--target TRIPLE] [--pgo-config FILE]" },
	{ "gc", cmd_gc, "bound the cache (default cap 2G, or CARGO_PGO_WRAP_CACHE_MAX)",
	  "gc [--max-size SIZE] [--dry-run]" },
	{ "help", cmd_help, "show this help, or a command's: help COMMAND", "help [COMMAND]" },
	{ "version", cmd_version, "print the version", "version" },
	{ NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int command_help(const struct command *c)
{
	printf("cargo-pgo-wrap %s: %s\n\nUsage: cargo-pgo-wrap %s\n", c->name, c->summary, c->usage);
	return 0;
}

/* cargo-pgo's commands that are not ours by name, and what does their work here. */
static const char *const cargo_pgo_counterparts[][2] = {
	{ "optimize", "`cargo-pgo-wrap build` instruments, trains, merges and optimises in one command" },
	{ "bolt", "`bolt: on` in pgo-wrap.yaml makes `cargo-pgo-wrap build` run BOLT after PGO" },
	{ "info", "`cargo-pgo-wrap doctor` checks the tools" },
	{ NULL, NULL },
};

_Noreturn void command_unknown(const char *name)
{
	for (size_t i = 0; cargo_pgo_counterparts[i][0]; i++)
		if (strcmp(name, cargo_pgo_counterparts[i][0]) == 0)
			die(PGOW_EXIT_CONFIG, "'%s' is cargo-pgo's, not a cargo-pgo-wrap command: %s", name,
			    cargo_pgo_counterparts[i][1]);
	die(PGOW_EXIT_CONFIG, "'%s' is not a cargo-pgo-wrap command; run cargo-pgo-wrap help", name);
}

int cmd_help(int argc, char **argv)
{
	const struct command *c = argc >= 2 ? command_find(argv[1]) : NULL;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		c = command_find("help");
	if (argc >= 2 && !c)
		command_unknown(argv[1]);
	if (c)
		return command_help(c);
	printf("cargo-pgo-wrap %s: automatic profile-guided optimisation for cargo builds\n\n"
	       "Usage:\n"
	       "  RUSTC_WRAPPER=cargo-pgo-wrap cargo build --release   wrapper mode\n"
	       "  cargo-pgo-wrap <command> [args]                        front end\n"
	       "  cargo pgo-wrap <command> [args]                        as a cargo subcommand\n"
	       "  a `cargo` link to cargo-pgo-wrap first on PATH          cargo shim (compile.py)\n\n"
	       "Commands (cargo-pgo-wrap help COMMAND, or COMMAND --help, for details):\n", PGOW_VERSION);
	for (const struct command *c2 = commands; c2->name; c2++)
		printf("  %-10s %s\n", c2->name, c2->summary);
	struct strbuf env = STRBUF_INIT;
	settings_help(&env);
	printf("\nEnvironment (man cargo-pgo-wrap for the defaults):\n%s"
	       "  %-48s as for cargo\n", env.buf, "CARGO, CARGO_TERM_COLOR, NO_COLOR");
	sb_release(&env);
	return 0;
}
_Noreturn void command_usage_error(const char *name, const char *fmt, ...)
{
	const struct command *c = command_find(name);
	size_t first = c ? strcspn(c->usage, "\n") : 0;
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	die(PGOW_EXIT_CONFIG, "%s: %s; usage: cargo-pgo-wrap %.*s", name, msg.buf, (int)first, c ? c->usage : "");
}
