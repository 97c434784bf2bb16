/*
 * merge.h - merging profiles into the cache (the `merge` command, and the
 * steps of `build` that ingest training output and pending raw files).
 * Each .profraw is routed to the slot whose instrumented build linked the
 * binary that wrote it (by build-id); the manifest lists the code that
 * build was compiled from, so a profile is never labelled fresher than it is.
 */
#ifndef PGOW_MERGE_H
#define PGOW_MERGE_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "cycle/mergerequest.h"

struct manifest;

/*
 * Merges and stores; returns the number of slots that got a new profile.
 * Exits with a distinct code and a one-line error on failure.
 */
int merge_run(const struct merge_request *rq);
/*
 * Stores a profile merged elsewhere (fetched from the remote, or kept in
 * this cache) as the slot's current one, split per unit as far as the
 * names of its units' functions are known; says how. 0, or -1 (err).
 */
int merge_store_made_elsewhere(const char *slot_dir, const char *profdata, struct manifest *m,
			       struct strbuf *err);
/* The llvm-profdata of the slot's rustc, or exit 4 (PGOW_EXIT_LLVM). */
void merge_profdata_tool(const char *slot_dir, struct strbuf *tool);
/* Writes the text form of profdata into text (the splitter reads it). Whether it could. */
bool merge_text_form(const char *tool, const char *profdata, const char *text);
/* Splits the slot's current profile again when a part of its split was damaged; says so. */
void merge_repair_split(const char *slot_dir);

#endif
