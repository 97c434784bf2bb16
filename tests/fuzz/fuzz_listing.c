/* fuzz_listing.c - a server's answer to a listing, as WebDAV PROPFIND and as an S3 page. */
#include "fuzz.h"
#include "formats/listing.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf token = STRBUF_INIT;
	bool truncated;

	listing_parse_propfind((const char *)data, size, &names);
	listing_parse_s3((const char *)data, size, "p/", &names, &truncated, &token);
	/* Whatever came in, only names of ours go out. */
	for (size_t i = 0; i < names.n; i++)
		if (!listing_name_ok(names.v[i], strlen(names.v[i])))
			abort();
	if (truncated && !token.len)
		abort();
	sv_release(&names);
	sb_release(&token);
	return 0;
}
