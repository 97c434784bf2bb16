/* fuzz_perfdata.c - a perf.data header handed to `upload --perf`: build-ids, their files, branch stacks. */
#include "fuzz.h"
#include "formats/perfdata.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	if (perf_data_parse(data, size, "fuzz.data", &info, &err) == 0) {
		/* What comes out is hex ids, one file per id, and printable paths. */
		if (info.ids.n != info.files.n)
			abort();
		for (size_t i = 0; i < info.ids.n; i++) {
			size_t n = strlen(info.ids.v[i]);
			if (!n || n > 40 || n % 2 || strspn(info.ids.v[i], "0123456789abcdef") != n)
				abort();
			for (const char *c = info.files.v[i]; *c; c++)
				if ((unsigned char)*c < 0x20)
					abort();
		}
	} else if (!err.len || info.ids.n) {
		abort();
	}
	perf_data_release(&info);
	sb_release(&err);
	return 0;
}
