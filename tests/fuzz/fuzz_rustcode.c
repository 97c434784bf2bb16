/*
 * fuzz_rustcode.c - Rust source as unit keys read it: test items left out,
 * nothing else lost; its code without comments or layout, the same when read
 * again.
 */
#include "fuzz.h"
#include "formats/rustcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out = STRBUF_INIT, code = STRBUF_INIT, again = STRBUF_INIT;
	size_t n = rust_code_without_tests((const char *)data, size, &out);

	/* Only items go, so without any the text is the same; it never grows. */
	if (out.len > size || (n == 0 && (out.len != size || memcmp(out.buf, data, size) != 0)))
		abort();
	/* Code: never longer than the text (a line doc comment may gain its newline), and a fixed point. */
	rust_code_tokens((const char *)data, size, &code);
	rust_code_tokens(sb_str(&code), code.len, &again);
	if (code.len > size + 1 || again.len != code.len || memcmp(sb_str(&again), sb_str(&code), code.len) != 0)
		abort();
	sb_release(&out);
	sb_release(&code);
	sb_release(&again);
	return 0;
}
