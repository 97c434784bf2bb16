/*
 * uplifted.c - how many of cargo's uplifted dep-info files list each unit's
 * crate root (see include/cycle/uplifted.h): the unit records give the root,
 * the slot's stamps the build dirs.
 */
#include "cycle/uplifted.h"
#include "base/dirlist.h"
#include "base/namemap.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/depinfo.h"
#include "store/split.h"
#include "store/stamp.h"
#include "store/unitkey.h"

#include <stdlib.h>
#include <string.h>

/* The unit's crate root as cargo writes it (absolute), from its record; false when it has none. */
static bool crate_root(const char *slot_dir, const char *unit, struct strbuf *out)
{
	struct strbuf rec = STRBUF_INIT, err = STRBUF_INIT, crate = STRBUF_INIT;
	struct unit_key k;
	size_t len = split_unit_crate_len(unit);
	bool found = false;

	memset(&k, 0, sizeof(k));
	if (len) {
		sb_add(&crate, unit, len);
		unitkey_record_path(&rec, slot_dir, crate.buf, unit + len + 1);
		/* rustc lists the crate root first. */
		if (unitkey_read(&k, rec.buf, &err) == 1 && k.nfiles && k.files[0].real_path[0] == '/') {
			sb_adds(out, k.files[0].real_path);
			found = true;
		}
	}
	unitkey_release(&k);
	sb_release(&rec);
	sb_release(&err);
	sb_release(&crate);
	return found;
}

struct tally {
	const struct namemap *roots;
	unsigned *listed;
};

static void tally_word(const char *word, size_t len, void *ctx)
{
	struct tally *t = ctx;
	int at = namemap_get(t->roots, word, len);
	if (at >= 0)
		t->listed[at]++;
}

/* Adds one to each root (index in roots) that the dep-info files in dir list. */
static void count_dir(const char *dir, const struct namemap *roots, unsigned *listed)
{
	struct strvec files = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT;
	struct tally t = { roots, listed };

	/* A link planted for the dir is not followed: its counts would be another dir's. */
	if (is_real_dir(dir))
		list_dir(dir, ".d", &files);
	for (size_t i = 0; i < files.n; i++) {
		sb_reset(&text);
		/* Read as files, never through a link or from a FIFO planted in the target dir. */
		if (sb_read_regular_file(&text, files.v[i], NULL) == 0)
			depinfo_each_prerequisite(text.buf, tally_word, &t);
	}
	sb_release(&text);
	sv_release(&files);
}

void uplifted_listings(const char *slot_dir, char *const *units, size_t n, unsigned *counts)
{
	struct namemap roots = { NULL, NULL, 0, 0 };
	int *root_of = xcalloc(n ? n : 1, sizeof(*root_of));
	unsigned *listed = xcalloc(n ? n : 1, sizeof(*listed));
	struct stamp *stamps = NULL;
	size_t nstamps = 0, nroots = 0;

	for (size_t i = 0; i < n; i++) {
		struct strbuf root = STRBUF_INIT;
		counts[i] = 0;
		root_of[i] = -1;
		if (crate_root(slot_dir, units[i], &root)) {
			/* Two units of one root (other features) count alike: one entry. */
			root_of[i] = namemap_get(&roots, root.buf, root.len);
			if (root_of[i] < 0) {
				root_of[i] = (int)nroots++;
				namemap_claim(&roots, root.buf, root.len, root_of[i]);
			}
		}
		sb_release(&root);
	}
	stamp_list(slot_dir, &stamps, &nstamps);
	for (size_t s = 0; nroots && s < nstamps; s++) {
		struct strbuf examples = STRBUF_INIT;
		if (stamps[s].build_dir[0] != '/')
			continue; /* a stamp from before stamps named their dir */
		memset(listed, 0, nroots * sizeof(*listed));
		count_dir(stamps[s].build_dir, &roots, listed);
		path_join(&examples, stamps[s].build_dir, "examples");
		count_dir(examples.buf, &roots, listed);
		for (size_t i = 0; i < n; i++)
			if (root_of[i] >= 0 && listed[root_of[i]] > counts[i])
				counts[i] = listed[root_of[i]];
		sb_release(&examples);
	}
	stamp_list_release(stamps, nstamps);
	namemap_release(&roots);
	free(root_of);
	free(listed);
}
