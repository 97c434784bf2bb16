/*
 * attribution.h - which crate (and which C unit) a merged profile's counts
 * belong to, read from its text form.
 */
#ifndef PGOW_ATTRIBUTION_H
#define PGOW_ATTRIBUTION_H

#include <stdbool.h>

struct manifest;

/* Each crate's counts and coverage from the merged profile's text; false (with a warning) when unknown. */
bool attribution_counts(struct manifest *m, const char *slot_dir, const char *text);
/*
 * Whether a unit compiled a function that has counts though its symbol names
 * no crate (#[no_mangle] extern "C", as a cdylib exports): such a profile
 * is this program's even when no crate has counts by symbol.
 */
bool attribution_units_claim_counts(const struct manifest *m, const char *slot_dir, const char *text);
/* How many crates have counts, and their sum. */
long attribution_crates_with_counts(const struct manifest *m, unsigned long long *sum);

#endif
