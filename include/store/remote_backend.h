/*
 * remote_backend.h - what the remote's transports share (store/remote.c
 * opens the remote and serves file://; store/remote_http.c speaks HTTP
 * through libcurl, to WebDAV servers and to S3; store/remote_s3.c turns an
 * s3:// URL into an endpoint and signs each request). Only they include it.
 */
#ifndef PGOW_REMOTE_BACKEND_H
#define PGOW_REMOTE_BACKEND_H

#include <stdbool.h>

#include "base/strbuf.h"

enum transport { REMOTE_FILE, REMOTE_HTTP, REMOTE_S3 };

struct remote {
	enum transport kind;
	const char *url;    /* as given, credentials and all: never printed */
	char *display;      /* without them */
	char *dir;          /* file://: the directory */
	char *base;         /* http, s3: the URL object names are appended to (after a '/') */
	bool read_only;
	long timeout;       /* seconds: connecting; small objects whole; a stalled transfer */
	/* s3:// only */
	char *host;         /* the Host header, as signed */
	char *path;         /* the canonical path of base, encoded as sent */
	char *region;
	char *origin;       /* scheme://host[:port] */
	char *bucket_root;  /* the bucket's path as sent ("/bucket" path-style, "" virtual-hosted) */
	char *key_prefix;   /* the prefix of our keys in the bucket, "" or ending in '/' */
	const char *key_id, *secret, *token; /* from AWS_*: NULL key_id is anonymous (read-only) */
};

/* libcurl, loaded on first use: 0, or -1 (err) when it cannot be. */
int http_load(struct strbuf *err);
int http_get(struct remote *r, const char *name, int fd, struct strbuf *out, long long max, struct strbuf *err);
int http_put(struct remote *r, const char *name, const char *src, struct strbuf *err);
int http_has(struct remote *r, const char *name, long long *size, struct strbuf *err);
int http_delete(struct remote *r, const char *name, struct strbuf *err);
/* The names below dir: PROPFIND for WebDAV, ListObjectsV2 (page by page) for S3. */
int http_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err);
/* The basic-auth password and the bearer token remote_hide_secrets kept. */
const char *remote_secret_password(void);
const char *remote_secret_token(void);

/* s3://bucket/prefix: the endpoint, region and credentials. 0, or -1 (err). */
int s3_setup(struct remote *r, struct strbuf *err);
/*
 * The headers that sign a request of method on path (encoded, as sent) with
 * the canonical query string query ("" for none), whose body hashes to
 * payload_hash ("Name: value" each).
 */
void s3_sign(const struct remote *r, const char *method, const char *path, const char *query,
	     const char *payload_hash, struct strvec *headers);

#endif
