/* fuzz_profiles.c - raw profile headers, ELF build-ids, symbols and profile names (objects, archives), text profiles (per crate and per function), split indexes. */
#include "fuzz.h"
#include "formats/buildid.h"
#include "formats/elfsyms.h"
#include "formats/prfnames.h"
#include "formats/proftext.h"
#include "store/split.h"
#include "cycle/llvm.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_header h;
	struct strbuf err = STRBUF_INIT, hex = STRBUF_INIT;
	const char *path = fuzz_file("p.profraw", data, size);
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		/* Read from the file, and parsed from the whole of it at once (as a merge routes small files): alike. */
		struct raw_header whole;
		struct strbuf err2 = STRBUF_INIT;
		int a = raw_header_read(fd, path, &h, &err);
		int b = raw_header_parse(data, size, size, -1, path, &whole, &err2);
		if (a != b || strcmp(sb_str(&err), sb_str(&err2)) != 0)
			abort();
		if (a == 0 && (h.version != whole.version || h.ids.n != whole.ids.n))
			abort();
		for (size_t i = 0; a == 0 && i < h.ids.n; i++)
			if (strcmp(h.ids.v[i], whole.ids.v[i]) != 0)
				abort();
		if (a == 0) {
			raw_header_release(&h);
			raw_header_release(&whole);
		}
		sb_release(&err2);
		sb_reset(&err);
		close(fd);
	}
	(void)buildid_of_elf(path, &hex, &err);
	struct strvec names = STRVEC_INIT;
	(void)elf_function_names(data, size, &names);
	(void)elf_has_section(data, size, ".rela.text");
	(void)elf_static_relocations(data, size, &names);
	(void)prf_names_of_image(data, size, &names, &names);
	sv_release(&names);
	/* A split index as the wrapper and status read it: <scratch>/split/INDEX (for the profile "k"). */
	char split_dir[96];
	snprintf(split_dir, sizeof(split_dir), "%s/split", fuzz_dir);
	(void)mkdir(split_dir, 0700);
	if (fuzz_file("split/INDEX", data, size)) {
		struct strbuf d = STRBUF_INIT, f = STRBUF_INIT, h = STRBUF_INIT;
		const char *key = "k";
		(void)split_lookup(fuzz_dir, key, "app", "0123", &d, &f, &h);
		(void)split_count(fuzz_dir, key);
		sb_reset(&f);
		(void)split_damaged(fuzz_dir, key, &f);
		(void)split_c_file(fuzz_dir, key, &f, &h);
		sb_release(&d);
		sb_release(&f);
		sb_release(&h);
	}
	char *text = fuzz_string(data, size);
	struct crate_counts *counts;
	size_t n;
	unsigned long long total;
	llvm_counts_parse(text, &counts, &n, &total);
	for (size_t i = 0; i < n; i++)
		free(counts[i].crate);
	free(counts);
	free(text);
	/* Function by function, as diff reads it: every counter it claims is there. */
	text = fuzz_string(data, size);
	struct prof_fn *fns;
	proftext_functions(text, &fns, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t sum = 0;
		for (size_t c = 0; c < fns[i].ncounters; c++)
			sum += fns[i].counters[c];
		if (sum != fns[i].sum)
			abort();
		struct strbuf readable = STRBUF_INIT;
		llvm_symbol_readable(fns[i].name, &readable);
		sb_release(&readable);
	}
	proftext_release(fns, n);
	free(text);
	sb_release(&err);
	sb_release(&hex);
	return 0;
}
