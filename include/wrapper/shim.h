/*
 * shim.h - the cargo shim: invoked as `cargo` (a link to this binary placed
 * first on PATH), it turns on the wrapper for build-like subcommands and
 * execs the next real cargo, so unchanged scripts (compile.py) get PGO.
 */
#ifndef PGOW_SHIM_H
#define PGOW_SHIM_H

_Noreturn void shim_main(int argc, char **argv);
/*
 * "RUST_LIB_BACKTRACE=0" for a cargo that builds (build, not run or test: it
 * runs only build scripts and proc-macros of the user's), when RUST_BACKTRACE
 * asks for backtraces and RUST_LIB_BACKTRACE is unset; else NULL. Cargo reads
 * each variable a unit's fingerprint names, and each unset one is an error
 * value that then carries a backtrace: our two per unit took 2.1x cargo's
 * instructions on a no-op build. Panics keep their backtraces (RUST_BACKTRACE);
 * only errors' are left out, build scripts' included.
 */
const char *shim_cargo_backtrace_env(void);
/* The subcommand of a cargo command line (after +toolchain and global flags), or NULL. */
const char *shim_subcommand(int argc, char **argv);

#endif
