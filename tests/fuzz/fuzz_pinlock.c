/* fuzz_pinlock.c - pgo-wrap.lock, read, changed and written back; and settings a remote reads. */
#include "fuzz.h"
#include "base/settings.h"
#include "cycle/pinlock.h"

#define KEY "0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pinlock l;
	struct strbuf err = STRBUF_INIT;

	(void)fuzz_file(PINLOCK_NAME, data, size);
	if (pinlock_read(&l, fuzz_dir, &err) == 1) {
		struct pin p = { KEY, KEY, "host", "opt-level=3", "rustc 1.95.0" };
		(void)pinlock_find(&l, KEY);
		pinlock_set(&l, &p);
		/* What was read must write back and read again. */
		sb_reset(&err);
		if (pinlock_write(&l, &err) != 0)
			abort();
		struct pinlock again;
		if (pinlock_read(&again, fuzz_dir, &err) != 1 || again.n != l.n)
			abort();
		pinlock_release(&again);
	}
	pinlock_release(&l);
	sb_release(&err);
	return 0;
}
