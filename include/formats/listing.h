/*
 * listing.h - the names in one directory of the remote store, read from
 * what a server answers when asked to list it: a WebDAV PROPFIND (Depth 1)
 * multistatus, or an S3 ListObjectsV2 page. Only names of ours are kept
 * ([0-9a-z.-], directly in the directory); anything else is left out.
 */
#ifndef PGOW_LISTING_H
#define PGOW_LISTING_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/* Whether a name could be one of our objects' last parts. */
bool listing_name_ok(const char *name, size_t len);

/*
 * The members of the collection a PROPFIND answer describes, whatever the
 * servers' XML namespace prefixes: each <href>'s last part (the collection
 * itself, sub-collections and foreign names left out), into names.
 */
void listing_parse_propfind(const char *body, size_t len, struct strvec *names);

/*
 * One ListObjectsV2 page for keys under prefix (ending in '/'): the keys
 * directly under it, into names; *truncated and the token of the next page.
 */
void listing_parse_s3(const char *body, size_t len, const char *prefix, struct strvec *names, bool *truncated,
		      struct strbuf *next_token);

#endif
