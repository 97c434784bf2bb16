/* fuzz_config.c - pgo-wrap.yaml, placeholders and setting values included. */
#include "fuzz.h"
#include "base/settings.h"
#include "cycle/config.h"
#include "cycle/placeholders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *path = fuzz_file("pgo-wrap.yaml", data, size);

	config_defaults(&c);
	if (config_read(&c, path, &err) == 0)
		free(config_training_id(&c));
	config_release(&c);
	/* The whole input as one argument with placeholders. */
	char *arg = fuzz_string(data, size);
	struct placeholder_values p = { "/b", "/t", "/r", "/w x$(y)" };
	if (placeholder_check(arg, NULL, &err) == 0)
		(void)placeholder_expand(arg, &p, true, &out, &err);
	/* And as a setting's value: sizes are parsed by hand, with overflow checks. */
	(void)parse_size(arg);
	free(arg);
	sb_release(&err);
	sb_release(&out);
	return 0;
}
