/* fuzz_json.c - cargo's JSON messages: the parser and the build-unit reader. */
#include "fuzz.h"
#include "base/json.h"
#include "formats/buildunits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	struct strbuf err = STRBUF_INIT;
	struct build_units u;
	char *text = fuzz_string(data, size);

	if (json_parse(&j, (const char *)data, size, &err) == 0) {
		(void)json_get_string(&j, "reason");
		(void)json_array_has(json_get(&j, "filenames"), "x");
		json_release(&j);
	}
	sb_reset(&err);
	if (build_units_parse(text, &u, &err) == 0)
		build_units_release(&u);
	sb_release(&err);
	free(text);
	return 0;
}
