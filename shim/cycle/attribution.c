/*
 * attribution.c - which crate (and which C unit) a merged profile's counts
 * belong to, from its text form: what the manifest records, what staleness
 * is weighed by, and how a profile of another program is recognised.
 */
#include "cycle/attribution.h"
#include "base/message.h"
#include "store/manifest.h"
#include "store/unitnames.h"
#include "cycle/cobjects.h"
#include "cycle/llvm.h"

#include <stdlib.h>
#include <string.h>

/* A C unit's share: the functions its objects define (ccode.c lists them beside its record). */
static void c_unit_counts(struct manifest_crate *c, const char *slot_dir, const struct crate_counts *counts,
			  size_t n)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf want = STRBUF_INIT;

	cobjects_unit_functions(slot_dir, c->name, c->metadata, &names);
	for (size_t i = 0; i < names.n; i++) {
		sb_reset(&want);
		sb_addf(&want, "fn:%s", names.v[i]);
		const struct crate_counts *f = llvm_counts_find(counts, n, want.buf);
		if (f) {
			c->counts += (long)f->counts;
			c->functions += f->functions;
			c->covered += f->covered;
		}
	}
	sv_release(&names);
	sb_release(&want);
}

/* Each crate's counts and coverage from the merged profile; false when they are unknown. */
bool attribution_counts(struct manifest *m, const char *slot_dir, const char *text)
{
	struct crate_counts *counts;
	size_t n;
	unsigned long long total;
	struct strbuf err = STRBUF_INIT;

	if (llvm_counts_of_text(text, &counts, &n, &total, &err) != 0) {
		warn("%s; stale crates will be reported without their share of counts, and whether "
		     "the profile fits this program is not checked", err.buf);
		sb_release(&err);
		return false;
	}
	m->total_counts = (long)total;
	for (size_t i = 0; i < m->ncrates; i++) {
		m->crates[i].counts = 0;
		m->crates[i].functions = 0;
		m->crates[i].covered = 0;
		if (strncmp(m->crates[i].name, "c:", 2) == 0) {
			c_unit_counts(&m->crates[i], slot_dir, counts, n);
			continue;
		}
		const struct crate_counts *c = llvm_counts_find(counts, n, m->crates[i].name);
		if (c) {
			m->crates[i].counts = (long)c->counts;
			m->crates[i].functions = c->functions;
			m->crates[i].covered = c->covered;
		}
	}
	for (size_t j = 0; j < n; j++)
		free(counts[j].crate);
	free(counts);
	sb_release(&err);
	return true;
}

/* Unmangled functions every Rust program has (main, the allocator and panic shims): another program's too. */
static bool every_program_has(const char *name, size_t len)
{
	static const char *const prefixes[] = { "__rust", "__rg_", "rust_", NULL };

	if (len == 4 && memcmp(name, "main", 4) == 0)
		return true;
	for (const char *const *p = prefixes; *p; p++)
		if (len >= strlen(*p) && memcmp(name, *p, strlen(*p)) == 0)
			return true;
	return false;
}

/* Whether a unit's list names a function that has counts but no crate in its symbol (#[no_mangle]). */
static bool list_claims_counts(const char *list, const struct crate_counts *counts, size_t n)
{
	struct strbuf want = STRBUF_INIT;
	bool claims = false;

	for (const char *p = list; *p && !claims; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		size_t len = strcspn(p, "\n");
		if (!len || *p == '@' || memchr(p, ';', len) || every_program_has(p, len))
			continue;
		sb_reset(&want);
		sb_addf(&want, "fn:%.*s", (int)len, p);
		const struct crate_counts *f = llvm_counts_find(counts, n, want.buf);
		claims = f && f->counts > 0;
	}
	sb_release(&want);
	return claims;
}

bool attribution_units_claim_counts(const struct manifest *m, const char *slot_dir, const char *text)
{
	struct crate_counts *counts;
	size_t n;
	unsigned long long total;
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT, list = STRBUF_INIT;
	bool claims = false;

	if (llvm_counts_of_text(text, &counts, &n, &total, &err) != 0) {
		sb_release(&err);
		return false;
	}
	for (size_t i = 0; i < m->ncrates && !claims; i++) {
		if (strncmp(m->crates[i].name, "c:", 2) == 0)
			continue;
		sb_reset(&path);
		sb_reset(&list);
		unitnames_path(&path, slot_dir, m->crates[i].name, m->crates[i].metadata);
		if (sb_read_file(&list, path.buf) == 0)
			claims = list_claims_counts(list.buf, counts, n);
	}
	for (size_t j = 0; j < n; j++)
		free(counts[j].crate);
	free(counts);
	sb_release(&err);
	sb_release(&path);
	sb_release(&list);
	return claims;
}

long attribution_crates_with_counts(const struct manifest *m, unsigned long long *sum)
{
	long n = 0;
	*sum = 0;
	for (size_t i = 0; i < m->ncrates; i++) {
		if (m->crates[i].counts > 0) {
			n++;
			*sum += (unsigned long long)m->crates[i].counts;
		}
	}
	return n;
}
