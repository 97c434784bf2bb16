/*
 * sigv4.h - AWS Signature Version 4 for the S3 remote: the canonical
 * request, the string to sign, the signing key and the Authorization
 * header, as a pure function of the request and a given time, so that it is
 * checked against AWS's published examples.
 */
#ifndef PGOW_SIGV4_H
#define PGOW_SIGV4_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"

struct sigv4_request {
	const char *method;
	const char *path;          /* the canonical URI, already encoded (sigv4_uri_encode) */
	const char *query;         /* the canonical query string (sorted, encoded), or "" */
	const char *const *headers; /* "Name:value" each; every one is signed */
	int nheaders;
	const char *payload_hash;  /* hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
	const char *amz_date;      /* YYYYMMDD'T'HHMMSS'Z', as sent in X-Amz-Date */
	const char *region, *service;
};

/* The canonical request of AWS's step 1 (tests compare it with the published one). */
void sigv4_canonical_request(const struct sigv4_request *q, struct strbuf *out);
/* The value of the Authorization header. */
void sigv4_authorization(const struct sigv4_request *q, const char *key_id, const char *secret, struct strbuf *out);
/* RFC 3986 encoding as SigV4 wants it: unreserved kept, '/' kept when keep_slash, the rest %XX. */
void sigv4_uri_encode(struct strbuf *out, const char *s, bool keep_slash);
/* t as X-Amz-Date writes it. */
void sigv4_amz_date(time_t t, char out[17]);

#endif
