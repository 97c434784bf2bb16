/*
 * wrapper.h - RUSTC_WRAPPER mode: cargo runs `cargo-pgo-wrap RUSTC ARGS...`
 * and we decide, per rustc invocation, whether to add a PGO flag.
 */
#ifndef PGOW_WRAPPER_H
#define PGOW_WRAPPER_H

#include <stdbool.h>

/* argv[1] is the next program (rustc or a workspace wrapper); never returns. */
_Noreturn void wrapper_main(int argc, char **argv);
/* Whether argv[1] names a program we should wrap rather than a command. */
bool wrapper_looks_like_rustc_call(int argc, char **argv);
/*
 * Makes the cargo about to run use us (self) as RUSTC_WRAPPER; a wrapper
 * already set there (sccache) becomes the next link of the chain, once.
 */
void wrapper_install(const char *self);

#endif
