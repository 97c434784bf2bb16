/*
 * buildlease.h - a build's lease on every slot its units use, so that gc
 * never removes a slot between two units of a build, or between its
 * instrumented build, training, merge and optimised build (git's gc.pid).
 */
#ifndef PGOW_BUILDLEASE_H
#define PGOW_BUILDLEASE_H

#include <stdbool.h>

#include "base/strbuf.h"

/*
 * Takes this process's lease: <cache>/leases/<pid>, locked until it exits,
 * and named in CARGO_PGO_WRAP_LEASE for the wrappers of the cargo it runs.
 * A read-only cache has none (gc removes nothing there). -1 with err.
 */
int build_lease_take(struct strbuf *err);
/* Adds a slot to the lease CARGO_PGO_WRAP_LEASE names, if any, before the slot is used. */
void build_lease_note(const char *slot_dir);
/* Whether a live build's lease names the slot; leases of dead builds are removed on the way. */
bool build_lease_holds(const char *slot_dir);

#endif
