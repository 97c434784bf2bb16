/*
 * shim.h - the cargo shim: invoked as `cargo` (a link to this binary placed
 * first on PATH), it turns on the wrapper for build-like subcommands and
 * execs the next real cargo, so unchanged scripts (compile.py) get PGO.
 */
#ifndef PGOW_SHIM_H
#define PGOW_SHIM_H

_Noreturn void shim_main(int argc, char **argv);
/* The subcommand of a cargo command line (after +toolchain and global flags), or NULL. */
const char *shim_subcommand(int argc, char **argv);

#endif
