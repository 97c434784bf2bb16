/*
 * llvm.h - LLVM's profile tools: reading raw profile headers, and finding
 * an llvm-profdata that can read the raw format this rustc writes, chosen
 * by format rather than by name.
 */
#ifndef PGOW_LLVM_H
#define PGOW_LLVM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"

/* Raw (.profraw) format version from the header; -1 (err says why) if not a raw profile. */
int llvm_raw_version(const char *path, uint64_t *version, struct strbuf *err);
/* The oldest LLVM major whose llvm-profdata reads a raw format version. */
int llvm_min_major_for_raw(uint64_t version);
/* The newest that still does (each reads only its own raw format); 0: no newer one exists yet. */
int llvm_max_major_for_raw(uint64_t version);
/* Whether the llvm-profdata of an LLVM major reads a raw format version. */
bool llvm_reads_raw(int major, uint64_t version);
/*
 * Finds an llvm-profdata of LLVM major >= min_major that reads raw_version
 * (0: any), preferring prefer_major (rustc's). Fills path and its version
 * line; -1 with the fix in err.
 */
int llvm_find_profdata(int prefer_major, int min_major, uint64_t raw_version,
		       struct strbuf *path, struct strbuf *version, struct strbuf *err);

struct crate_counts {
	char *crate;
	unsigned long long counts;
	long functions;        /* its functions in the profile */
	long covered;          /* of those, functions with a non-zero count */
};

/*
 * Sums each function's counters, from the text form of a profile (`merge
 * --text`), by the crate that compiled it: the "<crate>.<hash>-cgu.N;"
 * prefix of local symbols, else the crate in the mangled path (legacy _ZN
 * or v0 _R); a function of no crate also goes to "fn:<name>". Fills a list
 * sorted by name; -1 with err when the file cannot be read.
 */
int llvm_counts_of_text(const char *path, struct crate_counts **out, size_t *n, unsigned long long *total,
			struct strbuf *err);
/* The entry of a crate ("fn:<name>" for a function of no crate) in a list sorted by name, or NULL. */
const struct crate_counts *llvm_counts_find(const struct crate_counts *v, size_t n, const char *crate);
/* The parsing half of llvm_counts_of_text (text edited in place). */
void llvm_counts_parse(char *text, struct crate_counts **out, size_t *n, unsigned long long *total);
/* A profile function name as a person reads it (Rust's legacy mangling undone, the hash dropped). */
void llvm_symbol_readable(const char *name, struct strbuf *out);
/* The crate of one profile function name, appended to out. */
void llvm_symbol_crate(const char *name, struct strbuf *out);

#endif
