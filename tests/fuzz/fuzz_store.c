/*
 * fuzz_store.c - the store's refs and indexes as readers find them: CURRENT,
 * a profile's crate index, the split link and a generation's INDEX and
 * DEFINED, and the stamps. The input's first byte picks the file it becomes; the others hold
 * valid content, so the reader gets past them to the fuzzed one.
 */
#include "fuzz.h"
#include "base/hash.h"
#include "store/profile.h"
#include "store/split.h"
#include "store/stamp.h"

#include <sys/stat.h>

#define KEY "0123456789abcdef0123456789abcdef"

static void put(const char *name, const uint8_t *data, size_t size)
{
	(void)fuzz_file(name, data, size);
}

static void put_text(const char *name, const char *text)
{
	put(name, (const uint8_t *)text, strlen(text));
}

/* The slot: CURRENT, profiles/KEY.crates, split -> splits/1 with its INDEX, stamps/s. */
static void make_slot(unsigned which, const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "profiles", "splits", "splits/1", "stamps" };
	char path[256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, dirs[i]);
		(void)mkdir(path, 0700);
	}
	put_text("CURRENT", KEY);
	put_text("profiles/" KEY ".crates", "crates-v1\t" KEY "\na\tb\t" KEY "\n");
	put_text("splits/1/INDEX", "pgow-split-v2\t" KEY "\t00ff\na-b\t" KEY "\t" KEY "\n-none\t" KEY "\t" KEY "\n");
	put_text("stamps/s", "use /x\n/b\n");
	put_text("splits/1/DEFINED", "pgow-defined-v1\t" KEY "\na-b\tc-d\t12\n");
	snprintf(path, sizeof(path), "%s/split", fuzz_dir);
	(void)unlink(path);
	if (symlink("splits/1", path) != 0)
		abort();
	switch (which) {
	case 0: put("CURRENT", data, size); break;
	case 1: put("profiles/" KEY ".crates", data, size); break;
	case 2: put("splits/1/INDEX", data, size); break;
	case 3: put("stamps/s", data, size); break;
	case 5: put("splits/1/DEFINED", data, size); break;
	default: {
		/* The link's target: whatever bytes it names, never followed out of splits/. */
		char *target = fuzz_string(data, size);
		(void)unlink(path);
		if (target[0] && strlen(target) < 200 && symlink(target, path) != 0)
			abort();
		free(target);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf prof = STRBUF_INIT, index = STRBUF_INIT, err = STRBUF_INIT, dir = STRBUF_INIT;
	struct strbuf file = STRBUF_INIT, hash = STRBUF_INIT, first = STRBUF_INIT;
	struct strvec unused = STRVEC_INIT;
	struct stamp *stamps;
	size_t n;
	unsigned char summary[2];

	if (!size)
		return 0;
	(void)fuzz_file("x", data, 0); /* makes fuzz_dir */
	make_slot(data[0] % 6, data + 1, size - 1);
	if (profile_current_index(fuzz_dir, &prof, &index, &err) == 1) {
		char *key = profile_index_lookup(index.buf, "a", "b");
		free(key);
	}
	(void)split_lookup(fuzz_dir, KEY, "a", "b", &dir, &file, &hash);
	(void)split_count(fuzz_dir, KEY);
	(void)split_shared_count(fuzz_dir, KEY, &unused);
	(void)split_damaged(fuzz_dir, KEY, &first);
	split_unused(fuzz_dir, &unused);
	sb_reset(&dir);
	(void)split_current_dir(fuzz_dir, &dir);
	struct strbuf ix = STRBUF_INIT, part = STRBUF_INIT;
	sb_add(&ix, (const char *)data + 1, size - 1);
	char t[HASH_HEX_LEN + 1], f[HASH_HEX_LEN + 1];
	(void)split_index_entry(&ix, "a-b", t, f, &part);
	(void)split_index_summary(&ix, summary, sizeof(summary));
	struct strbuf defined = STRBUF_INIT, lib = STRBUF_INIT, unit = STRBUF_INIT;
	unsigned long long counts;
	(void)split_defined_read(fuzz_dir, KEY, &defined);
	for (const char *p = sb_str(&defined); split_defined_next(&p, &lib, &unit, &counts);)
		;
	for (const char *p = sb_str(&ix); split_defined_next(&p, &lib, &unit, &counts);)
		;
	sb_release(&part);
	sb_release(&defined);
	sb_release(&lib);
	sb_release(&unit);
	stamp_list(fuzz_dir, &stamps, &n);
	stamp_list_release(stamps, n);
	sb_release(&ix);
	sv_release(&unused);
	sb_release(&prof);
	sb_release(&index);
	sb_release(&err);
	sb_release(&dir);
	sb_release(&file);
	sb_release(&hash);
	sb_release(&first);
	return 0;
}
