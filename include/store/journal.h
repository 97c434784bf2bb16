/*
 * journal.h - one line per wrapper decision, appended to a journal file so
 * reports can say which crates were instrumented, optimised or skipped,
 * including dependencies whose output cargo hides.
 */
#ifndef PGOW_JOURNAL_H
#define PGOW_JOURNAL_H

#include "formats/rustc_args.h"

/*
 * Line format (tab separated): unix-time, crate, crate types, target
 * ("host" when none), action, detail, out-dir, unit content key ("-"),
 * and how many functions rustc found whose profile no longer matched. Actions: generate, use,
 * plain (eligible, no profile flag), skip (never eligible; detail says why).
 * The journal is $CARGO_PGO_WRAP_JOURNAL, else <cache>/journal.log.
 */
void journal_record(const struct rustc_args *a, const char *action, const char *detail,
		    const char *unit_key, int mismatches);

#endif
