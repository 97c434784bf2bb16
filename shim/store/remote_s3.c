/*
 * remote_s3.c - s3://bucket/prefix (see include/store/remote_backend.h):
 * where the bucket is (AWS, or AWS_ENDPOINT_URL_S3 for MinIO, R2, Ceph:
 * path-style), with whose credentials, and each request's SigV4 headers.
 * Object names are [0-9a-z./-], so the path we sign is the path curl sends.
 */
#include "store/remote_backend.h"
#include "base/settings.h"
#include "base/xalloc.h"
#include "store/sigv4.h"

#include <string.h>
#include <time.h>

static bool bucket_name_ok(const char *b, size_t len)
{
	/* S3's rules, as far as a URL and a path need them: 3 to 63 of [a-z0-9.-]. */
	if (len < 3 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", b[i]))
			return false;
	return true;
}

/* scheme://[user@]host[:port][/path] -> the authority (host[:port]) and the path without a trailing '/'. */
static int split_endpoint(const char *url, struct strbuf *scheme_host, struct strbuf *host, struct strbuf *path)
{
	const char *rest = strstr(url, "://");

	if (!rest || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return -1;
	rest += 3;
	size_t auth = strcspn(rest, "/?#");
	const char *at = memchr(rest, '@', auth);
	const char *h = at ? at + 1 : rest;
	sb_add(host, h, (size_t)(rest + auth - h));
	sb_add(scheme_host, url, (size_t)(rest - url));
	sb_adds(scheme_host, host->buf);
	const char *p = rest + auth;
	sb_add(path, p, strcspn(p, "?#"));
	while (path->len && path->buf[path->len - 1] == '/')
		sb_setlen(path, path->len - 1);
	return host->len ? 0 : -1;
}

int s3_setup(struct remote *r, struct strbuf *err)
{
	const char *bucket = r->url + 5, *slash = strchr(bucket, '/');
	size_t blen = slash ? (size_t)(slash - bucket) : strlen(bucket);
	struct strbuf prefix = STRBUF_INIT, root = STRBUF_INIT, host = STRBUF_INIT, path = STRBUF_INIT;
	int rc = -1;

	if (!bucket_name_ok(bucket, blen)) {
		sb_addf(err, "%s=%s: '%.*s' is not an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')", ENV_REMOTE,
			r->display, (int)blen, bucket);
		return -1;
	}
	/* The prefix as it goes on the wire and into the signature: encoded once, its '/' kept. */
	const char *p = slash ? slash + 1 : "";
	struct strbuf raw = STRBUF_INIT;
	sb_adds(&raw, p);
	while (raw.len && raw.buf[raw.len - 1] == '/')
		sb_setlen(&raw, raw.len - 1);
	if (raw.len && (strstr(raw.buf, "..") || strstr(raw.buf, "//") || strpbrk(raw.buf, "?#"))) {
		sb_addf(err, "%s=%s: the prefix may hold no '..', '//', '?' or '#'", ENV_REMOTE, r->display);
		sb_release(&raw);
		return -1;
	}
	if (raw.len) {
		sb_addch(&prefix, '/');
		sigv4_uri_encode(&prefix, raw.buf, true);
		sb_addch(&raw, '/');
	}
	r->key_prefix = sb_detach(&raw);

	const char *region = env_get("AWS_REGION");
	region = region ? region : env_get("AWS_DEFAULT_REGION");
	r->region = xstrdup(region ? region : "us-east-1");
	const char *endpoint = env_get("AWS_ENDPOINT_URL_S3");
	endpoint = endpoint ? endpoint : env_get("AWS_ENDPOINT_URL");
	if (endpoint) {
		/* MinIO, R2, Ceph and test servers: the bucket is the path's first part. */
		if (split_endpoint(endpoint, &root, &host, &path) != 0) {
			sb_addf(err, "AWS_ENDPOINT_URL_S3=%s is not an http:// or https:// URL", endpoint);
			goto out;
		}
		sb_addf(&path, "/%.*s%s", (int)blen, bucket, sb_str(&prefix));
	} else if (memchr(bucket, '.', blen)) {
		/* A dotted bucket name breaks the certificate of bucket.s3...: path-style. */
		sb_addf(&host, "s3.%s.amazonaws.com", r->region);
		sb_addf(&root, "https://%s", host.buf);
		sb_addf(&path, "/%.*s%s", (int)blen, bucket, sb_str(&prefix));
	} else {
		sb_addf(&host, "%.*s.s3.%s.amazonaws.com", (int)blen, bucket, r->region);
		sb_addf(&root, "https://%s", host.buf);
		sb_adds(&path, sb_str(&prefix));
	}
	r->host = sb_detach(&host);
	/* The bucket's own path: what the path holds before our prefix. */
	r->bucket_root = xstrndup(path.buf, path.len - prefix.len);
	r->path = sb_detach(&path);
	r->origin = xstrdup(root.buf);
	sb_adds(&root, r->path);
	r->base = sb_detach(&root);

	/* The standard AWS variables, as the CLI and SDKs read them; none: anonymous, and so read-only. */
	r->key_id = env_get("AWS_ACCESS_KEY_ID");
	r->secret = env_get("AWS_SECRET_ACCESS_KEY");
	r->token = env_get("AWS_SESSION_TOKEN");
	if (r->key_id && !r->secret) {
		sb_adds(err, "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY; set both, or neither for "
			     "anonymous reads");
		goto out;
	}
	if (!r->key_id)
		r->read_only = true;
	rc = 0;
out:
	sb_release(&prefix);
	sb_release(&root);
	sb_release(&host);
	sb_release(&path);
	return rc;
}

void s3_sign(const struct remote *r, const char *method, const char *path, const char *query,
	     const char *payload_hash, struct strvec *headers)
{
	char date[17];
	struct strbuf auth = STRBUF_INIT;

	sv_pushf(headers, "Host: %s", r->host);
	if (!r->key_id)
		return;
	sigv4_amz_date(time(NULL), date);
	sv_pushf(headers, "x-amz-date: %s", date);
	/* curl 7.88 sends no payload hash of its own, and S3 refuses a request without one. */
	sv_pushf(headers, "x-amz-content-sha256: %s", payload_hash);
	/* Temporary credentials: the token is a signed header. */
	if (r->token)
		sv_pushf(headers, "x-amz-security-token: %s", r->token);
	struct sigv4_request q = { method, path, query, (const char *const *)headers->v, (int)headers->n,
				   payload_hash, date, r->region, "s3" };
	sigv4_authorization(&q, r->key_id, r->secret, &auth);
	sv_pushf(headers, "Authorization: %s", auth.buf);
	sb_release(&auth);
}
