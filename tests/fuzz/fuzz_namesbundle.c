/* fuzz_namesbundle.c - a names bundle fetched from the remote, unpacked for a manifest's units, bundled again. */
#include "fuzz.h"
#include "base/path.h"
#include "store/manifest.h"
#include "store/unitnames.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct strbuf err = STRBUF_INIT, again = STRBUF_INIT, units = STRBUF_INIT;

	(void)fuzz_file("unused", data, 0);
	path_join(&units, fuzz_dir, "units");
	mkdir(units.buf, 0700);
	memset(&m, 0, sizeof(m));
	manifest_add_crate(&m, "fixlib", "1e50df5e61447451", "k");
	manifest_add_crate(&m, "fix", "lib-1e50df5e61447451", "k");
	int n = unitnames_unbundle(fuzz_dir, &m, (const char *)data, size, &err);
	/* What was written bundles again, and reads back (a unit given twice is one list). */
	if (n > 0) {
		sb_reset(&err);
		if (!unitnames_bundle(fuzz_dir, &m, &again) || unitnames_unbundle(fuzz_dir, &m, again.buf, again.len, &err) < 1)
			abort();
	}
	manifest_release(&m);
	sb_release(&err);
	sb_release(&again);
	sb_release(&units);
	return 0;
}
