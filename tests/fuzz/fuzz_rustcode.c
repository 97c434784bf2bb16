/* fuzz_rustcode.c - Rust source as unit keys read it: test items left out, nothing else lost. */
#include "fuzz.h"
#include "formats/rustcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out = STRBUF_INIT;
	size_t n = rust_code_without_tests((const char *)data, size, &out);

	/* Only items go, so without any the text is the same; it never grows. */
	if (out.len > size || (n == 0 && (out.len != size || memcmp(out.buf, data, size) != 0)))
		abort();
	sb_release(&out);
	return 0;
}
