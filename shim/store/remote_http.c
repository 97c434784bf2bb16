/*
 * remote_http.c - the remote over HTTP (see include/store/remote_backend.h):
 * GET, HEAD, PUT, DELETE and MKCOL through libcurl, loaded only when a
 * remote is used (the wrapper runs once per rustc and must not pay for
 * libcurl's libraries); for WebDAV servers with basic or bearer auth, and
 * for S3 with each request signed (store/remote_s3.c).
 */
#include "store/remote_backend.h"
#include "formats/listing.h"
#include "store/sigv4.h"
#include "base/fdio.h"
#include "base/settings.h"
#include "base/sha256.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* --- libcurl, loaded on first use ---------------------------------------- */

static struct {
	void *lib;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

int http_load(struct strbuf *err)
{
	if (cu.lib)
		return 0;
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		sb_addf(err, "cannot load libcurl (%s): apt-get install libcurl4", dlerror());
		return -1;
	}
	/* POSIX: a data pointer converts to a function pointer through dlsym's documented idiom. */
#define SYM(field, name) *(void **)(&cu.field) = dlsym(lib, name)
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (!cu.global_init || !cu.easy_init || !cu.easy_setopt || !cu.easy_perform || !cu.easy_getinfo ||
	    !cu.easy_cleanup || !cu.easy_strerror || !cu.slist_append || !cu.slist_free_all ||
	    cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sb_adds(err, "the libcurl found cannot be used");
		dlclose(lib);
		return -1;
	}
	cu.lib = lib;
	return 0;
}

/* --- http:// and https:// ------------------------------------------------ */

struct sink {
	int fd;                 /* into a file, or */
	struct strbuf *out;     /* into memory (fd < 0), or neither: discarded */
	long long max, written;
	bool too_big, failed;
};

static size_t sink_write(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;

	if (s->written + (long long)len > s->max) {
		s->too_big = true;
		return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	if (s->fd >= 0 && write_all(s->fd, data, len) != 0) {
		s->failed = true;
		return 0;
	}
	if (s->fd < 0 && s->out)
		sb_add(s->out, data, len);
	s->written += (long long)len;
	return len;
}

/* A handle for one request on url, with bounded time and its body into s; no auth yet. */
static CURL *http_handle(struct remote *r, const char *url, bool small, struct sink *s)
{
	CURL *c = cu.easy_init();

	if (!c)
		return NULL;
	cu.easy_setopt(c, CURLOPT_URL, url);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->timeout);
	/* A ref or a HEAD whole within the timeout; a profile as long as it moves at 1 KiB/s or more. */
	if (small)
		cu.easy_setopt(c, CURLOPT_TIMEOUT, r->timeout);
	cu.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	cu.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->timeout);
	cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Every answer's body goes where we say: an error page never reaches our stdout. */
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, s);
	return c;
}

/* The request's credentials: basic auth or a bearer token for WebDAV, a signature for S3. */
static struct curl_slist *http_auth(struct remote *r, CURL *c, const char *method, const char *sign_path,
				    const char *query, const char *payload_hash)
{
	struct curl_slist *headers = NULL;
	struct strvec h = STRVEC_INIT;

	if (strcmp(method, "PROPFIND") == 0)
		sv_push(&h, "Depth: 1"); /* the collection and its members, not the whole tree */
	if (r->kind == REMOTE_S3) {
		s3_sign(r, method, sign_path, query, payload_hash, &h);
		/* No "Expect: 100-continue" round trip before a PUT's body. */
		sv_push(&h, "Expect:");
	} else {
		const char *user = setting_get(SETTING_REMOTE_USER);
		if (user) {
			cu.easy_setopt(c, CURLOPT_USERNAME, user);
			cu.easy_setopt(c, CURLOPT_PASSWORD, remote_secret_password() ? remote_secret_password() : "");
		}
		if (remote_secret_token())
			sv_pushf(&h, "Authorization: Bearer %s", remote_secret_token());
	}
	for (size_t i = 0; i < h.n; i++)
		headers = cu.slist_append(headers, h.v[i]);
	/* The copies hold secrets: cleared before they are freed. */
	for (size_t i = 0; i < h.n; i++)
		memset(h.v[i], 0, strlen(h.v[i]));
	sv_release(&h);
	if (headers)
		cu.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	return headers;
}

/* What went wrong with a request, in one line without credentials. */
static void http_error(struct remote *r, const char *what, const char *name, CURLcode cc, long status,
		       const struct sink *s, struct strbuf *err)
{
	sb_addf(err, "%s %s/%s: ", what, r->display, name);
	if (s->too_big)
		sb_addf(err, "over the %lld bytes it may have (%s)", s->max, ENV_MAX_INPUT);
	else if (cc != CURLE_OK)
		sb_adds(err, cu.easy_strerror(cc));
	else if (r->kind == REMOTE_S3 && status == 403)
		sb_addf(err, "the server answered HTTP 403 (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
			"AWS_REGION and the clock; S3 also answers 403 for a missing object to whoever may not list "
			"the bucket)");
	else
		sb_addf(err, "the server answered HTTP %ld%s", status,
			status == 401 || status == 403 ? " (check the remote's user, password or token)" : "");
}

/*
 * One request: method (GET, HEAD, PUT of in, DELETE, MKCOL) on name, the
 * body hashing to payload_hash (S3 signs it; NULL: none). The status is
 * HTTP's (0 when none came), cc curl's.
 */
struct target {
	const char *url;
	const char *sign_path; /* S3: the path signed, as sent */
	const char *query;     /* S3: the canonical query string, "" for none */
};

static CURLcode http_request_to(struct remote *r, const char *method, const struct target *t, FILE *in,
				long long in_size, const char *payload_hash, struct sink *s, long *status)
{
	struct curl_slist *headers = NULL;
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	*status = 0;
	CURL *c = http_handle(r, t->url, !in && s->max <= 65536, s);
	if (c) {
		headers = http_auth(r, c, method, t->sign_path, t->query, payload_hash ? payload_hash : EMPTY_SHA256);
		if (strcmp(method, "HEAD") == 0) {
			cu.easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(method, "PUT") == 0) {
			/* One PUT of a known size: the server stores it whole or not at all. */
			cu.easy_setopt(c, CURLOPT_UPLOAD, 1L);
			cu.easy_setopt(c, CURLOPT_READDATA, in);
			cu.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)in_size);
		} else if (strcmp(method, "GET") != 0) {
			cu.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		}
		cc = cu.easy_perform(c);
		cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		if (strcmp(method, "HEAD") == 0 && cc == CURLE_OK && *status == 200) {
			curl_off_t length = -1;
			cu.easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
			s->written = (long long)length;
		}
		cu.easy_cleanup(c);
	}
	cu.slist_free_all(headers);
	return cc;
}

/* One request on object name (a dir when it ends in '/'), below the remote's URL. */
static CURLcode http_request(struct remote *r, const char *method, const char *name, FILE *in, long long in_size,
			     const char *payload_hash, struct sink *s, long *status)
{
	struct strbuf url = STRBUF_INIT, path = STRBUF_INIT;

	sb_addf(&url, "%s/%s", r->base, name);
	if (r->kind == REMOTE_S3)
		sb_addf(&path, "%s/%s", r->path, name);
	struct target t = { url.buf, path.buf, "" };
	CURLcode cc = http_request_to(r, method, &t, in, in_size, payload_hash, s, status);
	sb_release(&url);
	sb_release(&path);
	return cc;
}

int http_get(struct remote *r, const char *name, int fd, struct strbuf *out, long long max, struct strbuf *err)
{
	struct sink s = { fd, out, max, 0, false, false };
	long status;
	CURLcode cc = http_request(r, "GET", name, NULL, 0, NULL, &s, &status);

	if (cc == CURLE_OK && status == 200)
		return 1;
	if (cc == CURLE_OK && status == 404)
		return 0;
	http_error(r, "GET", name, cc, status, &s, err);
	return -1;
}

/* Standard WebDAV servers (Apache mod_dav) make no missing parent on PUT: each is made by MKCOL. */
static void http_make_parents(struct remote *r, const char *name)
{
	struct strbuf dir = STRBUF_INIT;
	struct sink s = { -1, NULL, 65536, 0, false, false };
	long status;

	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		sb_reset(&dir);
		sb_addf(&dir, "%.*s/", (int)(p - name), name);
		(void)http_request(r, "MKCOL", dir.buf, NULL, 0, NULL, &s, &status); /* 405: it exists */
	}
	sb_release(&dir);
}

int http_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct sink s = { -1, NULL, 1 << 20, 0, false, false };
	struct stat st;
	long status = 0;
	CURLcode cc = CURLE_OK;
	char hash[SHA256_HEX_LEN + 1];
	FILE *in = fopen(src, "rb");

	/* S3 checks the body against the hash we sign: a PUT torn on the way is refused, not stored. */
	if (!in || fstat(fileno(in), &st) != 0 || (r->kind == REMOTE_S3 && sha256_file_hex(src, hash) != 0)) {
		sb_addf(err, "cannot read %s: %s", src, strerror(errno));
		if (in)
			fclose(in);
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		rewind(in);
		cc = http_request(r, "PUT", name, in, (long long)st.st_size, r->kind == REMOTE_S3 ? hash : NULL, &s,
				  &status);
		/* S3 has no directories: a 404 there is a missing bucket. */
		if (cc != CURLE_OK || (status != 409 && status != 404) || attempt || r->kind == REMOTE_S3)
			break;
		http_make_parents(r, name);
	}
	fclose(in);
	if (cc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	http_error(r, "PUT", name, cc, status, &s, err);
	return -1;
}

int http_has(struct remote *r, const char *name, long long *size, struct strbuf *err)
{
	struct sink s = { -1, NULL, 65536, -1, false, false };
	long status;
	CURLcode cc = http_request(r, "HEAD", name, NULL, 0, NULL, &s, &status);

	if (cc == CURLE_OK && status == 200) {
		*size = s.written;
		return 1;
	}
	if (cc == CURLE_OK && status == 404)
		return 0;
	http_error(r, "HEAD", name, cc, status, &s, err);
	return -1;
}


int http_delete(struct remote *r, const char *name, struct strbuf *err)
{
	struct sink s = { -1, NULL, 65536, 0, false, false };
	long status;
	CURLcode cc = http_request(r, "DELETE", name, NULL, 0, NULL, &s, &status);

	/* Gone already is what was asked. */
	if (cc == CURLE_OK && ((status >= 200 && status < 300) || status == 404))
		return 0;
	http_error(r, "DELETE", name, cc, status, &s, err);
	return -1;
}

/* Listings can be long: a thousand uploads answer in some 300 KiB. */
#define LISTING_MAX (64LL << 20)

static int webdav_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT, name = STRBUF_INIT;
	struct sink s = { -1, &body, LISTING_MAX, 0, false, false };
	long status;

	sb_addf(&name, "%s/", dir);
	CURLcode cc = http_request(r, "PROPFIND", name.buf, NULL, 0, NULL, &s, &status);
	int rc = 0;
	if (cc == CURLE_OK && status == 207) {
		listing_parse_propfind(body.buf, body.len, names);
	} else if (!(cc == CURLE_OK && status == 404)) {
		http_error(r, "PROPFIND", name.buf, cc, status, &s, err);
		if (cc == CURLE_OK && (status == 405 || status == 501))
			sb_adds(err, "; listing needs WebDAV's PROPFIND (nginx: the dav_ext module)");
		rc = -1;
	}
	sb_release(&body);
	sb_release(&name);
	return rc;
}

/* ListObjectsV2, a page at a time, of the keys below our prefix's dir. */
static int s3_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err)
{
	struct strbuf prefix = STRBUF_INIT, token = STRBUF_INIT, query = STRBUF_INIT, url = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	const char *path = *r->bucket_root ? r->bucket_root : "/";
	bool more = true;
	int rc = 0;

	sb_addf(&prefix, "%s%s/", r->key_prefix, dir);
	for (int page = 0; more && rc == 0; page++) {
		struct sink s = { -1, &body, LISTING_MAX, 0, false, false };
		long status;
		/* The canonical query: its parameters sorted, each encoded as SigV4 says. */
		sb_reset(&query);
		if (token.len) {
			sb_adds(&query, "continuation-token=");
			sigv4_uri_encode(&query, token.buf, false);
			sb_addch(&query, '&');
		}
		sb_adds(&query, "list-type=2&prefix=");
		sigv4_uri_encode(&query, prefix.buf, false);
		sb_reset(&url);
		sb_addf(&url, "%s%s?%s", r->origin, path, query.buf);
		sb_reset(&body);
		struct target t = { url.buf, path, query.buf };
		CURLcode cc = http_request_to(r, "GET", &t, NULL, 0, NULL, &s, &status);
		if (cc == CURLE_OK && status == 200) {
			listing_parse_s3(body.buf, body.len, prefix.buf, names, &more, &token);
		} else {
			http_error(r, "GET (list)", dir, cc, status, &s, err);
			rc = -1;
		}
	}
	sb_release(&prefix);
	sb_release(&token);
	sb_release(&query);
	sb_release(&url);
	sb_release(&body);
	return rc;
}

int http_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err)
{
	return r->kind == REMOTE_S3 ? s3_list(r, dir, names, err) : webdav_list(r, dir, names, err);
}
