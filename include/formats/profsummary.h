/*
 * profsummary.h - the summary an indexed profile carries after its header:
 * the counts at each cutoff that LLVM derives hot and cold thresholds from.
 */
#ifndef PGOW_PROFSUMMARY_H
#define PGOW_PROFSUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The header is 9 words in formats 12 and 13 (LLVM 19 to 22); others are kept whole. */
#define PROFSUMMARY_OFFSET 72

struct profsummary {
	uint64_t version;          /* with the variant bits */
	size_t len;                /* bytes from PROFSUMMARY_OFFSET */
	unsigned char *bytes;      /* free() */
};

/* The summary of an indexed profile image; false when its layout is not one we know. */
bool profsummary_of(const unsigned char *img, size_t len, struct profsummary *s);
bool profsummary_of_file(const char *path, struct profsummary *s);
/*
 * A summary still describes the profile when what LLVM derives from it (its
 * hot, cold and size thresholds, its working-set flags) is near the other's:
 * see profsummary.c.
 */
bool profsummary_close(const struct profsummary *a, const struct profsummary *b);

#endif
