/*
 * shim.c - `cargo` as a link to cargo-pgo-wrap (see include/wrapper/shim.h). The
 * next cargo on PATH is usually rustup's proxy, so `cargo +nightly` and
 * `rustup override` keep choosing the toolchain. Every argument passes
 * through untouched; only the environment changes.
 */
#include "wrapper/shim.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "wrapper/wrapper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Global cargo options that take a value before the subcommand. */
static const char *const global_with_value[] = {
	"--color", "--config", "-Z", "-C", "--explain", NULL,
};

/* Subcommands that compile, and so get a PGO decision. */
static const char *const build_like[] = {
	"build", "b", "run", "r", "test", "t", "bench", "install", "rustc", NULL,
};

/* Build-like, and run nothing they build: the user's programs keep their environment. */
static const char *const build_only[] = {
	"build", "b", "install", "rustc", NULL,
};

/* As Rust's std reads them: set and not "0" is on (empty too); RUST_LIB_BACKTRACE, set at all, decides. */
const char *shim_cargo_backtrace_env(void)
{
	const char *bt = getenv("RUST_BACKTRACE");

	if (getenv("RUST_LIB_BACKTRACE") || !bt || strcmp(bt, "0") == 0)
		return NULL;
	return "RUST_LIB_BACKTRACE=0";
}

const char *shim_subcommand(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '+')
			continue; /* +toolchain */
		if (str_in_list(global_with_value, a)) {
			i++;
			continue;
		}
		if (a[0] == '-')
			continue;
		return a;
	}
	return NULL;
}

_Noreturn void shim_main(int argc, char **argv)
{
	char *self = self_exe_path();

	if (!self || !file_exists(self))
		die(PGOW_EXIT_INTERNAL, "cannot find our own executable");
	/* The first `cargo` on PATH that is not this binary. */
	char *cargo = find_in_path_except("cargo", self);
	if (!cargo)
		die(PGOW_EXIT_EXEC, "no real cargo after the cargo-pgo-wrap shim on PATH; install Rust with "
		    "rustup, and keep ~/.cargo/bin on PATH after the shim dir");
	const char *sub = shim_subcommand(argc, argv);
	if (sub && str_in_list(build_like, sub)) {
		settings_check_all();
		wrapper_install(self);
	}
	if (sub && str_in_list(build_only, sub) && shim_cargo_backtrace_env() &&
	    setenv("RUST_LIB_BACKTRACE", "0", 1) != 0)
		die(PGOW_EXIT_INTERNAL, "setenv: %s", strerror(errno));
	argv[0] = cargo;
	exec_or_die(argv);
}
