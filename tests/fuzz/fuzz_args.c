/* fuzz_args.c - the rustc argv model: one argument per input line. */
#include "fuzz.h"
#include "formats/rustc_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char *argv[257];
	int argc = 0;
	struct rustc_args a;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	for (char *p = text; p && argc < 256;) {
		argv[argc++] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	if (rustc_args_parse(&a, argc, argv, &err) == 0) {
		(void)rustc_args_is_probe(&a);
		(void)rustc_args_is_build_script(&a);
		(void)rustc_args_does_codegen(&a);
		(void)rustc_args_optimizes(&a);
		(void)rustc_args_codegen(&a, "metadata");
		(void)rustc_args_dep_info_path(&a, &out);
		rustc_args_describe_types(&a, &out);
		rustc_args_release(&a);
	}
	sb_release(&err);
	sb_release(&out);
	free(text);
	return 0;
}
