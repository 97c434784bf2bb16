/*
 * rustcode.h - Rust source as far as a unit's content key needs it: the
 * test-only items (#[cfg(test)], #[test]) that a build without --test never
 * compiles, and the comments and layout no build compiles, so that editing
 * them leaves the key unchanged.
 */
#ifndef PGOW_RUSTCODE_H
#define PGOW_RUSTCODE_H

#include <stddef.h>

#include "base/strbuf.h"

/*
 * Appends text to out without its test-only items: an item (or statement,
 * field, variant, match arm) under an outer #[cfg(test)] or #[test], with
 * the whitespace before it, so that adding a test module to a file leaves
 * the rest as it was. Anything else, comments included, is copied as it is.
 * Returns how many items were left out.
 */
size_t rust_code_without_tests(const char *text, size_t len, struct strbuf *out);

/*
 * Appends the code of text to out: its tokens as they are, without comments
 * (doc comments stay: they are attributes macros read) and without the space
 * between two tokens unless, taken away, the two would read as one (two
 * words, `& &`, `r #x`, `1 .5`): then one space; and without the ',' before
 * a closing bracket that rustfmt adds when it breaks a list (kept in `(a,)`,
 * a tuple). Comment edits and most reformatting leave the result as it was;
 * so does reading the result again.
 */
void rust_code_tokens(const char *text, size_t len, struct strbuf *out);

#endif
