/*
 * remote.c - the remote store (see include/store/remote.h): the URL and its
 * settings, and the two transports, a directory (file://) and HTTP through
 * libcurl. Every object is fetched into a temp file and renamed into place,
 * so a failed or refused fetch leaves nothing half-written.
 */
#include "store/remote.h"
#include "base/atomic.h"
#include "base/fdio.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/tempfile.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum transport { REMOTE_FILE, REMOTE_HTTP };

struct remote {
	enum transport kind;
	char *url;          /* as given, credentials and all: never printed */
	char *display;      /* without them */
	char *dir;          /* file://: the directory */
	bool read_only;
	long timeout;       /* seconds: connecting, and a transfer stalled that long */
};

/* scheme://user:password@host/...: the user and password go, the rest stays. */
static char *without_credentials(const char *url)
{
	const char *host = strstr(url, "://");
	struct strbuf out = STRBUF_INIT;

	host = host ? host + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	if (at && (!slash || at < slash)) {
		sb_add(&out, url, (size_t)(host - url));
		sb_adds(&out, at + 1);
	} else {
		sb_adds(&out, url);
	}
	return sb_detach(&out);
}

bool remote_required(void)
{
	return setting_is(SETTING_REMOTE_REQUIRED, "1");
}

int remote_open(struct remote **out, struct strbuf *err)
{
	const char *url = setting_get(SETTING_REMOTE);

	*out = NULL;
	if (!url || !*url)
		return 0;
	struct remote *r = xcalloc(1, sizeof(*r));
	r->url = xstrdup(url);
	while (strlen(r->url) > 1 && r->url[strlen(r->url) - 1] == '/')
		r->url[strlen(r->url) - 1] = '\0';
	r->display = without_credentials(r->url);
	r->read_only = setting_is(SETTING_REMOTE_MODE, "read-only");
	r->timeout = setting_seconds(SETTING_REMOTE_TIMEOUT, 30);
	if (strncmp(r->url, "file://", 7) == 0 && path_is_absolute(r->url + 7)) {
		r->kind = REMOTE_FILE;
		r->dir = xstrdup(r->url + 7);
	} else if (strncmp(r->url, "http://", 7) == 0 || strncmp(r->url, "https://", 8) == 0) {
		r->kind = REMOTE_HTTP;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			sb_addf(err, "%s=%s: libcurl cannot start", ENV_REMOTE, r->display);
			remote_close(r);
			return -1;
		}
	} else {
		sb_addf(err, "%s=%s is not a remote cargo-pgo-wrap can use; give file:///abs/dir, "
			"http://host/path or https://host/path", ENV_REMOTE, r->display);
		remote_close(r);
		return -1;
	}
	*out = r;
	return 1;
}

void remote_close(struct remote *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->display);
	free(r->dir);
	free(r);
}

const char *remote_display(const struct remote *r)
{
	return r->display;
}

bool remote_read_only(const struct remote *r)
{
	return r->read_only;
}

/* A temp file beside dst, for a fetch that is renamed into place only when whole. */
static int open_temp_beside(const char *dst, struct strbuf *tmp, struct strbuf *err)
{
	static unsigned counter;
	sb_reset(tmp);
	sb_addf(tmp, "%s.tmp.%s.%ld.%u", dst, temp_owner_tag(), (long)getpid(), counter++);
	int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		sb_addf(err, "cannot create %s: %s", tmp->buf, strerror(errno));
	return fd;
}

static int finish_temp(int fd, const char *tmp, const char *dst, int rc, struct strbuf *err)
{
	if (close(fd) != 0 && rc == 0) {
		sb_addf(err, "cannot write %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 1 && rename(tmp, dst) != 0) {
		sb_addf(err, "cannot rename %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc != 1)
		(void)unlink(tmp);
	return rc;
}

/* --- file:// ----------------------------------------------------------- */

static int file_get(struct remote *r, const char *name, const char *dst, long long max, struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT, tmp = STRBUF_INIT;
	struct stat st;
	int rc = -1, out = -1;

	path_join(&src, r->dir, name);
	int in = open(src.buf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			sb_addf(err, "cannot read %s: %s", src.buf, strerror(errno));
		goto out;
	}
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		sb_addf(err, "%s is not a regular file", src.buf);
		goto out;
	}
	if (st.st_size > max) {
		sb_addf(err, "%s is %lld bytes, over the %lld a profile may have (%s)", src.buf,
			(long long)st.st_size, max, ENV_MAX_INPUT);
		goto out;
	}
	if ((out = open_temp_beside(dst, &tmp, err)) < 0)
		goto out;
	char buf[65536];
	ssize_t n;
	long long total = 0;
	rc = 1;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (total += n) > max || write_all(out, buf, (size_t)n) != 0) {
			sb_addf(err, "cannot copy %s: %s", src.buf, n < 0 ? strerror(errno) : "it grew past its size");
			rc = -1;
			break;
		}
	}
	rc = finish_temp(out, tmp.buf, dst, rc, err);
out:
	if (in >= 0)
		close(in);
	sb_release(&src);
	sb_release(&tmp);
	return rc;
}

/* The object's directories, made group-readable: a shared dir is read by other users. */
static int file_mkdirs(const char *path, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT;
	int rc = 0;

	path_dirname(&dir, path);
	for (char *p = dir.buf + 1; rc == 0 && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir.buf, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(dir.buf, 0755) != 0 && errno != EEXIST)
		rc = -1;
	if (rc != 0)
		sb_addf(err, "cannot create %s: %s", dir.buf, strerror(errno));
	sb_release(&dir);
	return rc;
}

static int file_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct strbuf dst = STRBUF_INIT;
	int rc = -1;

	path_join(&dst, r->dir, name);
	/* A temp file and a rename in the object's dir: readers see it whole or not at all. */
	if (file_mkdirs(dst.buf, err) == 0)
		rc = copy_file_atomic(src, dst.buf, 0644, err);
	sb_release(&dst);
	return rc;
}

static int file_has(struct remote *r, const char *name, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int rc = 1;

	path_join(&path, r->dir, name);
	if (lstat(path.buf, &st) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			sb_addf(err, "cannot stat %s: %s", path.buf, strerror(errno));
	}
	sb_release(&path);
	return rc;
}

/* --- http:// and https:// ------------------------------------------------ */

struct sink {
	int fd;
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
	if (write_all(s->fd, data, len) != 0) {
		s->failed = true;
		return 0;
	}
	s->written += (long long)len;
	return len;
}

/* A handle for one request on name, with the remote's auth and bounded time. */
static CURL *http_handle(struct remote *r, const char *name, struct curl_slist **headers, struct strbuf *url)
{
	CURL *c = curl_easy_init();
	const char *token = setting_get(SETTING_REMOTE_TOKEN), *user = setting_get(SETTING_REMOTE_USER);

	if (!c)
		return NULL;
	sb_addf(url, "%s/%s", r->url, name);
	curl_easy_setopt(c, CURLOPT_URL, url->buf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->timeout);
	/* A server that stalls (under 1 byte/s for the timeout) is a failure, however big the object. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->timeout);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, setting_get(SETTING_REMOTE_PASSWORD) ?
							   setting_get(SETTING_REMOTE_PASSWORD) : "");
	}
	if (token) {
		struct strbuf h = STRBUF_INIT;
		sb_addf(&h, "Authorization: Bearer %s", token);
		*headers = curl_slist_append(*headers, h.buf);
		sb_release(&h);
	}
	if (*headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	return c;
}

/* What went wrong with a request, in one line without credentials. */
static void http_error(struct remote *r, const char *what, const char *name, CURLcode cc, long status,
		       struct strbuf *err)
{
	sb_addf(err, "%s %s/%s: ", what, r->display, name);
	if (cc != CURLE_OK)
		sb_adds(err, curl_easy_strerror(cc));
	else
		sb_addf(err, "the server answered HTTP %ld%s", status,
			status == 401 || status == 403 ? " (check the remote's user, password or token)" : "");
}

static int http_get(struct remote *r, const char *name, const char *dst, long long max, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT, tmp = STRBUF_INIT;
	struct curl_slist *headers = NULL;
	struct sink s = { -1, max, 0, false, false };
	long status = 0;
	int rc = -1;

	CURL *c = http_handle(r, name, &headers, &url);
	if (!c) {
		sb_adds(err, "libcurl cannot make a request");
		goto out;
	}
	if ((s.fd = open_temp_beside(dst, &tmp, err)) < 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status == 200) {
		rc = 1;
	} else if (cc == CURLE_OK && status == 404) {
		rc = 0;
	} else if (s.too_big) {
		sb_addf(err, "GET %s/%s: over the %lld bytes a profile may have (%s)", r->display, name, max,
			ENV_MAX_INPUT);
	} else {
		http_error(r, "GET", name, cc, status, err);
	}
	rc = finish_temp(s.fd, tmp.buf, dst, rc, err);
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	sb_release(&url);
	sb_release(&tmp);
	return rc;
}

static int http_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct curl_slist *headers = NULL;
	struct stat st;
	long status = 0;
	int rc = -1;
	FILE *in = fopen(src, "rb");

	CURL *c = in ? http_handle(r, name, &headers, &url) : NULL;
	if (!in || fstat(fileno(in), &st) != 0) {
		sb_addf(err, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	if (!c) {
		sb_adds(err, "libcurl cannot make a request");
		goto out;
	}
	/* One PUT of a known size: the server stores it whole or not at all. */
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, in);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 200 && status < 300)
		rc = 0;
	else
		http_error(r, "PUT", name, cc, status, err);
out:
	if (in)
		fclose(in);
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	sb_release(&url);
	return rc;
}

static int http_has(struct remote *r, const char *name, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct curl_slist *headers = NULL;
	long status = 0;
	int rc = -1;

	CURL *c = http_handle(r, name, &headers, &url);
	if (!c) {
		sb_adds(err, "libcurl cannot make a request");
	} else {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		CURLcode cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status == 200)
			rc = 1;
		else if (cc == CURLE_OK && status == 404)
			rc = 0;
		else
			http_error(r, "HEAD", name, cc, status, err);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(headers);
	sb_release(&url);
	return rc;
}

/* --- the interface ------------------------------------------------------- */

/* Names are ours: [0-9a-z./-], no "..", never absolute. */
static bool name_ok(const char *name, struct strbuf *err)
{
	if (name[0] == '/' || strstr(name, "..") || strspn(name, "0123456789abcdefghijklmnopqrstuvwxyz./-") != strlen(name)) {
		sb_addf(err, "not a remote object name: %s", name);
		return false;
	}
	return true;
}

int remote_get(struct remote *r, const char *name, const char *dst, long long max, struct strbuf *err)
{
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_get(r, name, dst, max, err) : http_get(r, name, dst, max, err);
}

int remote_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	if (r->read_only) {
		sb_addf(err, "the remote %s is read-only (%s=read-only)", r->display, ENV_REMOTE_MODE);
		return -1;
	}
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_put(r, name, src, err) : http_put(r, name, src, err);
}

int remote_has(struct remote *r, const char *name, struct strbuf *err)
{
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_has(r, name, err) : http_has(r, name, err);
}
