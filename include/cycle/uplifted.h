/*
 * uplifted.h - how many of cargo's uplifted dep-info files (the <artifact>.d
 * it writes beside each artifact it copies out of deps/) list each unit: cargo
 * reads a local unit's dep-info again for every one of them, on every build.
 */
#ifndef PGOW_UPLIFTED_H
#define PGOW_UPLIFTED_H

#include <stddef.h>

/*
 * For each unit ("<crate>-<metadata>"), the number of uplifted dep-info files
 * listing its crate root in the slot's build dirs: the most of any one dir
 * (each dir's builds are apart). 0 for a unit the slot has no record of, and
 * for a registry unit, which cargo does not list.
 */
void uplifted_listings(const char *slot_dir, char *const *units, size_t n, unsigned *counts);

#endif
