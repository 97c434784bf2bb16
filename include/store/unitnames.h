/*
 * unitnames.h - which functions each instrumented unit compiled, by the
 * names its profile records carry: recorded by the wrapper after the
 * compile, beside the unit's record, and read by the splitter.
 */
#ifndef PGOW_UNITNAMES_H
#define PGOW_UNITNAMES_H

#include <stdbool.h>

#include "base/strbuf.h"

/*
 * Records which functions an instrumented unit compiled: the names in its
 * output's profile name sections (an rlib, or a linked program, whose list
 * also holds its libraries' names). An LTO rlib holds bitcode: its modules
 * are recorded, and its global functions by llvm-nm of llvm_major. -1
 * with err (and no list).
 */
int unitnames_record(const char *slot_dir, const char *crate, const char *metadata, bool program,
		     const char *output, int llvm_major, struct strbuf *err);

/* <slot>/units/<crate>-<metadata>.unit.names: the list unitnames_record writes. */
void unitnames_path(struct strbuf *out, const char *slot_dir, const char *crate, const char *metadata);

struct manifest;

/*
 * The lists of m's units as one bundle, for the remote (doc/formats.md):
 * true when at least one unit has a list here.
 */
bool unitnames_bundle(const char *slot_dir, const struct manifest *m, struct strbuf *out);
/*
 * Writes the lists a bundle holds for m's units into the slot, under the
 * names m gives them (a unit m does not name is skipped). The number of
 * lists written, or -1 (err) for a bundle that is not one.
 */
int unitnames_unbundle(const char *slot_dir, const struct manifest *m, const char *data, size_t len,
		       struct strbuf *err);

#endif
