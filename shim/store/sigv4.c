/*
 * sigv4.c - AWS Signature Version 4 (see include/store/sigv4.h). S3's
 * variant: the path is encoded once, not twice, and the payload hash is the
 * x-amz-content-sha256 the request carries.
 */
#include "store/sigv4.h"
#include "base/sha256.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void sigv4_uri_encode(struct strbuf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p) || (*p == '/' && keep_slash)) {
			sb_addch(out, (char)*p);
		} else {
			sb_addch(out, '%');
			sb_addch(out, hex[*p >> 4]);
			sb_addch(out, hex[*p & 15]);
		}
	}
}

void sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* A header as SigV4 signs it: the name lower-cased, the value trimmed, inner runs of spaces as one. */
static char *canonical_header(const char *h)
{
	struct strbuf out = STRBUF_INIT;
	const char *colon = strchr(h, ':');
	size_t name_len = colon ? (size_t)(colon - h) : strlen(h);

	for (size_t i = 0; i < name_len; i++)
		sb_addch(&out, (char)tolower((unsigned char)h[i]));
	sb_addch(&out, ':');
	const char *v = colon ? colon + 1 : "";
	while (*v == ' ' || *v == '\t')
		v++;
	bool space = false;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space)
			sb_addch(&out, ' ');
		space = false;
		sb_addch(&out, *v);
	}
	return sb_detach(&out);
}

static int by_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strcspn(x, ":"), ny = strcspn(y, ":");
	int c = strncmp(x, y, nx < ny ? nx : ny);
	return c ? c : (nx > ny) - (nx < ny);
}

/* The sorted canonical headers (each ending in a newline) and their names joined by ';'. */
static void canonical_headers(const struct sigv4_request *q, struct strbuf *lines, struct strbuf *names)
{
	char **h = xcalloc((size_t)q->nheaders + 1, sizeof(*h));

	for (int i = 0; i < q->nheaders; i++)
		h[i] = canonical_header(q->headers[i]);
	qsort(h, (size_t)q->nheaders, sizeof(*h), by_name);
	for (int i = 0; i < q->nheaders; i++) {
		sb_addf(lines, "%s\n", h[i]);
		sb_addf(names, "%s%.*s", i ? ";" : "", (int)strcspn(h[i], ":"), h[i]);
		free(h[i]);
	}
	free(h);
}

/* The canonical request, and the signed headers' names the Authorization header repeats. */
static void canonical_request(const struct sigv4_request *q, struct strbuf *out, struct strbuf *names)
{
	struct strbuf lines = STRBUF_INIT;

	canonical_headers(q, &lines, names);
	sb_addf(out, "%s\n%s\n%s\n%s\n%s\n%s", q->method, q->path, q->query, lines.buf ? lines.buf : "",
		sb_str(names), q->payload_hash);
	sb_release(&lines);
}

void sigv4_canonical_request(const struct sigv4_request *q, struct strbuf *out)
{
	struct strbuf names = STRBUF_INIT;

	canonical_request(q, out, &names);
	sb_release(&names);
}

void sigv4_authorization(const struct sigv4_request *q, const char *key_id, const char *secret, struct strbuf *out)
{
	struct strbuf canon = STRBUF_INIT, to_sign = STRBUF_INIT, scope = STRBUF_INIT, secret4 = STRBUF_INIT;
	struct strbuf names = STRBUF_INIT;
	char canon_hex[SHA256_HEX_LEN + 1], sig_hex[SHA256_HEX_LEN + 1];
	unsigned char key[SHA256_LEN], sig[SHA256_LEN];

	canonical_request(q, &canon, &names);
	sha256_hex(canon.buf, canon.len, canon_hex);
	sb_addf(&scope, "%.8s/%s/%s/aws4_request", q->amz_date, q->region, q->service);
	sb_addf(&to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", q->amz_date, scope.buf, canon_hex);

	/* The signing key: the secret, then the date, region, service and "aws4_request", each an HMAC step. */
	sb_addf(&secret4, "AWS4%s", secret);
	hmac_sha256(secret4.buf, secret4.len, q->amz_date, 8, key);
	hmac_sha256(key, sizeof(key), q->region, strlen(q->region), key);
	hmac_sha256(key, sizeof(key), q->service, strlen(q->service), key);
	hmac_sha256(key, sizeof(key), "aws4_request", 12, key);
	hmac_sha256(key, sizeof(key), to_sign.buf, to_sign.len, sig);
	sha256_to_hex(sig, sig_hex);

	sb_addf(out, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", key_id, scope.buf,
		sb_str(&names), sig_hex);
	/* The secret does not outlive the call in our heap. */
	memset(secret4.buf, 0, secret4.len);
	memset(key, 0, sizeof(key));
	sb_release(&canon);
	sb_release(&to_sign);
	sb_release(&scope);
	sb_release(&secret4);
	sb_release(&names);
}
