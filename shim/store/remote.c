/*
 * remote.c - the remote store (see include/store/remote.h): the URL, its
 * settings and secrets, and the two transports, a directory (file://) and
 * HTTP through libcurl, loaded only when a remote is used (the wrapper runs
 * once per rustc and must not pay for libcurl's libraries). Every object is
 * fetched into a temp file renamed into place only when whole.
 */
#include "store/remote.h"
#include "base/atomic.h"
#include "base/fdio.h"
#include "base/input.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <dlfcn.h>
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
	const char *url;    /* as given, credentials and all: never printed */
	char *display;      /* without them */
	char *dir;          /* file://: the directory */
	bool read_only;
	long timeout;       /* seconds: connecting; small objects whole; a stalled transfer */
};

/* --- secrets ----------------------------------------------------------- */

static struct { bool taken; char *url, *password, *token; } secrets;

/* scheme://user:password@host/path?query -> scheme://host/path: the userinfo ends at the last '@' before the path. */
static char *without_credentials(const char *url)
{
	const char *host = strstr(url, "://");
	struct strbuf out = STRBUF_INIT;

	host = host ? host + 3 : url;
	size_t auth_end = strcspn(host, "/?#");
	const char *at = NULL;
	for (const char *p = host; p < host + auth_end; p++)
		if (*p == '@')
			at = p;
	sb_add(&out, url, (size_t)(host - url));
	const char *rest = at ? at + 1 : host;
	sb_add(&out, rest, strcspn(rest, "?#"));
	return sb_detach(&out);
}

static char *take_env(const char *name)
{
	const char *v = env_get(name);
	char *kept = v ? xstrdup(v) : NULL;
	unsetenv(name);
	return kept;
}

void remote_hide_secrets(void)
{
	if (secrets.taken)
		return;
	secrets.taken = true;
	const char *url = setting_get(SETTING_REMOTE); /* checked here, before it is hidden */
	(void)setting_get(SETTING_REMOTE_PASSWORD);
	(void)setting_get(SETTING_REMOTE_TOKEN);
	if (url) {
		secrets.url = xstrdup(url);
		char *shown = without_credentials(url);
		setenv(ENV_REMOTE, shown, 1); /* what children may see: no user or password */
		free(shown);
	}
	secrets.password = take_env(ENV_REMOTE_PASSWORD);
	secrets.token = take_env(ENV_REMOTE_TOKEN);
}

bool remote_required(void)
{
	return setting_is(SETTING_REMOTE_REQUIRED, "1");
}

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

static int load_curl(struct strbuf *err)
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

/* --- opening ------------------------------------------------------------- */

int remote_open(struct remote **out, struct strbuf *err)
{
	remote_hide_secrets();
	*out = NULL;
	if (!secrets.url)
		return 0;
	struct remote *r = xcalloc(1, sizeof(*r));
	r->url = secrets.url;
	r->display = without_credentials(r->url);
	r->read_only = setting_is(SETTING_REMOTE_MODE, "read-only");
	r->timeout = setting_seconds(SETTING_REMOTE_TIMEOUT, 30);
	if (r->timeout < 1) {
		sb_addf(err, "%s=0: give the remote at least a second", ENV_REMOTE_TIMEOUT);
	} else if (strncmp(r->url, "file://", 7) == 0 && path_is_absolute(r->url + 7)) {
		r->kind = REMOTE_FILE;
		r->dir = xstrdup(r->url + 7);
		while (strlen(r->dir) > 1 && r->dir[strlen(r->dir) - 1] == '/')
			r->dir[strlen(r->dir) - 1] = '\0';
		*out = r;
		return 1;
	} else if (strncmp(r->url, "http://", 7) == 0 || strncmp(r->url, "https://", 8) == 0) {
		r->kind = REMOTE_HTTP;
		if (load_curl(err) == 0) {
			*out = r;
			return 1;
		}
	} else {
		sb_addf(err, "%s=%s is not a remote cargo-pgo-wrap can use; give file:///abs/dir, "
			"http://host/path or https://host/path", ENV_REMOTE, r->display);
	}
	remote_close(r);
	return -1;
}

void remote_close(struct remote *r)
{
	if (!r)
		return;
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

/* Renames a whole temp file into place, else removes it. rc: 1 whole, else not. */
static int finish_temp(int fd, const char *tmp, const char *dst, int rc, struct strbuf *err)
{
	if (close(fd) != 0 && rc == 1) {
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

/* --- file:// ------------------------------------------------------------- */

/* Reads an object's bytes into fd (or out, when fd < 0): 1, 0 missing, -1 (err). */
static int file_read(struct remote *r, const char *name, int fd, struct strbuf *out, long long max,
		     struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT, e = STRBUF_INIT;
	long long size;
	int rc = -1;

	path_join(&src, r->dir, name);
	/* A regular file, not a link, not a FIFO, within its limit. */
	int in = input_open(src.buf, true, &size, &e);
	if (in < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			sb_addf(err, "%s", e.buf);
	} else if (size > max) {
		sb_addf(err, "%s is %lld bytes, over the %lld it may have (%s)", src.buf, size, max, ENV_MAX_INPUT);
	} else {
		rc = (fd >= 0 ? copy_fd(in, fd) : sb_read_fd(out, in)) == 0 ? 1 : -1;
		if (rc < 0)
			sb_addf(err, "cannot read %s: %s", src.buf, strerror(errno));
	}
	if (in >= 0)
		close(in);
	sb_release(&src);
	sb_release(&e);
	return rc;
}

static int file_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct strbuf dst = STRBUF_INIT, dir = STRBUF_INIT;
	int rc = -1;

	path_join(&dst, r->dir, name);
	path_dirname(&dir, dst.buf);
	/*
	 * Dirs and files as the umask allows (a shared dir is written by several
	 * users); no link is followed below the remote's dir; a temp file and a
	 * rename: readers see an object whole or not at all.
	 */
	if (safe_mkdirs(r->dir, dir.buf, 0777, err) == 0)
		rc = copy_file_atomic(src, dst.buf, 0666, err);
	sb_release(&dst);
	sb_release(&dir);
	return rc;
}

static int file_has(struct remote *r, const char *name, long long *size, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int rc = 1;

	path_join(&path, r->dir, name);
	if (lstat(path.buf, &st) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			sb_addf(err, "cannot stat %s: %s", path.buf, strerror(errno));
	} else {
		/* A link or anything but a file is not an object: it is written over. */
		*size = S_ISREG(st.st_mode) ? (long long)st.st_size : -2;
	}
	sb_release(&path);
	return rc;
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

/* A handle for one request on url, with the remote's auth, bounded time, and its body into s. */
static CURL *http_handle(struct remote *r, const char *url, bool small, struct sink *s, struct curl_slist **headers)
{
	CURL *c = cu.easy_init();
	const char *user = setting_get(SETTING_REMOTE_USER);

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
	if (user) {
		cu.easy_setopt(c, CURLOPT_USERNAME, user);
		cu.easy_setopt(c, CURLOPT_PASSWORD, secrets.password ? secrets.password : "");
	}
	if (secrets.token) {
		struct strbuf h = STRBUF_INIT;
		sb_addf(&h, "Authorization: Bearer %s", secrets.token);
		*headers = cu.slist_append(*headers, h.buf);
		sb_release(&h);
	}
	if (*headers)
		cu.easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	return c;
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
	else
		sb_addf(err, "the server answered HTTP %ld%s", status,
			status == 401 || status == 403 ? " (check the remote's user, password or token)" : "");
}

/*
 * One request: method (GET, HEAD, PUT of in, MKCOL) on name. The wait
 * status is HTTP's (0 when none came), cc curl's.
 */
static CURLcode http_request(struct remote *r, const char *method, const char *name, FILE *in, long long in_size,
			     struct sink *s, long *status)
{
	struct strbuf url = STRBUF_INIT;
	struct curl_slist *headers = NULL;
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	sb_addf(&url, "%s/%s", r->url, name);
	*status = 0;
	CURL *c = http_handle(r, url.buf, !in && s->max <= 65536, s, &headers);
	if (c) {
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
	sb_release(&url);
	return cc;
}

static int http_get(struct remote *r, const char *name, int fd, struct strbuf *out, long long max,
		    struct strbuf *err)
{
	struct sink s = { fd, out, max, 0, false, false };
	long status;
	CURLcode cc = http_request(r, "GET", name, NULL, 0, &s, &status);

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
		(void)http_request(r, "MKCOL", dir.buf, NULL, 0, &s, &status); /* 405: it exists */
	}
	sb_release(&dir);
}

static int http_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct sink s = { -1, NULL, 1 << 20, 0, false, false };
	struct stat st;
	long status = 0;
	CURLcode cc = CURLE_OK;
	FILE *in = fopen(src, "rb");

	if (!in || fstat(fileno(in), &st) != 0) {
		sb_addf(err, "cannot read %s: %s", src, strerror(errno));
		if (in)
			fclose(in);
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		rewind(in);
		cc = http_request(r, "PUT", name, in, (long long)st.st_size, &s, &status);
		if (cc != CURLE_OK || (status != 409 && status != 404) || attempt)
			break;
		http_make_parents(r, name);
	}
	fclose(in);
	if (cc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	http_error(r, "PUT", name, cc, status, &s, err);
	return -1;
}

static int http_has(struct remote *r, const char *name, long long *size, struct strbuf *err)
{
	struct sink s = { -1, NULL, 65536, -1, false, false };
	long status;
	CURLcode cc = http_request(r, "HEAD", name, NULL, 0, &s, &status);

	if (cc == CURLE_OK && status == 200) {
		*size = s.written;
		return 1;
	}
	if (cc == CURLE_OK && status == 404)
		return 0;
	http_error(r, "HEAD", name, cc, status, &s, err);
	return -1;
}

/* --- the interface ------------------------------------------------------- */

/* Names are ours: [0-9a-z./-], no "..", never absolute. */
static bool name_ok(const char *name, struct strbuf *err)
{
	if (name[0] == '/' || strstr(name, "..") ||
	    strspn(name, "0123456789abcdefghijklmnopqrstuvwxyz./-") != strlen(name)) {
		sb_addf(err, "not a remote object name: %s", name);
		return false;
	}
	return true;
}

int remote_get(struct remote *r, const char *name, const char *dst, long long max, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;

	if (!name_ok(name, err))
		return -1;
	int fd = atomic_temp_beside(dst, 0600, &tmp);
	if (fd < 0) {
		sb_addf(err, "cannot create a temporary file beside %s: %s", dst, strerror(errno));
		sb_release(&tmp);
		return -1;
	}
	int rc = r->kind == REMOTE_FILE ? file_read(r, name, fd, NULL, max, err) : http_get(r, name, fd, NULL, max, err);
	rc = finish_temp(fd, tmp.buf, dst, rc, err);
	sb_release(&tmp);
	return rc;
}

int remote_get_small(struct remote *r, const char *name, struct strbuf *out, long long max, struct strbuf *err)
{
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_read(r, name, -1, out, max, err) : http_get(r, name, -1, out, max, err);
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

int remote_has(struct remote *r, const char *name, long long *size, struct strbuf *err)
{
	*size = -1;
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_has(r, name, size, err) : http_has(r, name, size, err);
}
