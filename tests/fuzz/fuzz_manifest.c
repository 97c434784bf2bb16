/* fuzz_manifest.c - profile manifests, the SLOT file and unit records. */
#include "fuzz.h"
#include "store/manifest.h"
#include "store/slot.h"
#include "store/unitkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct slot_info info;
	struct unit_key k;
	struct strbuf err = STRBUF_INIT;

	if (manifest_read(&m, fuzz_file("m.yaml", data, size), &err) == 0)
		(void)manifest_find(&m, "a", "b");
	manifest_release(&m);
	(void)fuzz_file("SLOT", data, size);
	if (slot_read_info(fuzz_dir, &info, &err) == 0)
		slot_info_release(&info);
	else
		slot_info_release(&info);
	if (unitkey_read(&k, fuzz_file("u.unit", data, size), &err) >= 0)
		unitkey_release(&k);
	sb_release(&err);
	return 0;
}
