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

#endif
