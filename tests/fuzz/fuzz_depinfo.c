/* fuzz_depinfo.c - rustc's dep-info: its sources, our marks, and rewriting it. */
#include "fuzz.h"
#include "formats/depinfo.h"
#include "store/unitkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct strvec sources = STRVEC_INIT, files = STRVEC_INIT, envs = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct unit_mark m, back;
	const char *path = fuzz_file("x.d", data, size);

	unitkey_dep_info_sources(text, &sources);
	if (depinfo_read_mark(path, &m, &err) == 1)
		unit_mark_release(&m);
	memset(&m, 0, sizeof(m));
	m.slot = "s";
	m.crate = "c";
	m.metadata = "m";
	m.action = "use";
	m.key = "k";
	m.detail = "/p rofile";
	sv_push(&files, "/cache/STAMP with space");
	sv_push(&envs, "CARGO_PGO_WRAP_MODE");
	if (depinfo_append(path, &files, &envs, &m, &err) == 0 && depinfo_read_mark(path, &back, &err) == 1)
		unit_mark_release(&back);
	sv_release(&sources);
	sv_release(&files);
	sv_release(&envs);
	sb_release(&err);
	free(text);
	return 0;
}
