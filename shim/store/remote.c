/*
 * remote.c - the remote store (see include/store/remote.h): the URL, its
 * settings and secrets, the directory transport (file://), and the choice
 * of transport for each call (HTTP and S3: store/remote_http.c). Every
 * object is fetched into a temp file renamed into place only when whole.
 */
#include "store/remote.h"
#include "store/remote_backend.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/input.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/xalloc.h"
#include "formats/listing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

const char *remote_secret_password(void)
{
	return secrets.password;
}

const char *remote_secret_token(void)
{
	return secrets.token;
}

bool remote_required(void)
{
	return setting_is(SETTING_REMOTE_REQUIRED, "1");
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
		r->base = xstrdup(r->url); /* curl takes the user and password from it */
		while (strlen(r->base) > 8 && r->base[strlen(r->base) - 1] == '/')
			r->base[strlen(r->base) - 1] = '\0';
		if (http_load(err) == 0) {
			*out = r;
			return 1;
		}
	} else if (strncmp(r->url, "s3://", 5) == 0) {
		r->kind = REMOTE_S3;
		if (s3_setup(r, err) == 0 && http_load(err) == 0) {
			*out = r;
			return 1;
		}
	} else {
		sb_addf(err, "%s=%s is not a remote cargo-pgo-wrap can use; give file:///abs/dir, "
			"http://host/path, https://host/path or s3://bucket/prefix", ENV_REMOTE, r->display);
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
	free(r->base);
	free(r->host);
	free(r->path);
	free(r->region);
	free(r->origin);
	free(r->bucket_root);
	free(r->key_prefix);
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

static int file_delete(struct remote *r, const char *name, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	path_join(&path, r->dir, name);
	/* Through no link below the remote's dir; gone already is what was asked. */
	if (safe_unlink(r->dir, path.buf, err) != 0 && errno != ENOENT)
		rc = -1;
	if (rc == 0)
		sb_reset(err);
	sb_release(&path);
	return rc;
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

bool remote_missing(const struct remote *r, struct strbuf *err)
{
	struct stat st;

	if (r->kind != REMOTE_FILE || (stat(r->dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return false;
	sb_addf(err, "the remote %s is not a directory here (%s): check %s", r->display,
		errno == ENOENT ? "no such directory" : strerror(errno), ENV_REMOTE);
	return true;
}

bool remote_writable(const struct remote *r, struct strbuf *err)
{
	if (!r->read_only)
		return true;
	if (r->kind == REMOTE_S3 && !r->key_id)
		sb_addf(err, "the remote %s is read-only: no AWS credentials (AWS_ACCESS_KEY_ID)", r->display);
	else
		sb_addf(err, "the remote %s is read-only (%s=read-only)", r->display, ENV_REMOTE_MODE);
	return false;
}

int remote_put(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	if (!remote_writable(r, err) || !name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_put(r, name, src, err) : http_put(r, name, src, err);
}

int remote_delete(struct remote *r, const char *name, struct strbuf *err)
{
	if (!remote_writable(r, err) || !name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_delete(r, name, err) : http_delete(r, name, err);
}

int remote_has(struct remote *r, const char *name, long long *size, struct strbuf *err)
{
	*size = -1;
	if (!name_ok(name, err))
		return -1;
	return r->kind == REMOTE_FILE ? file_has(r, name, size, err) : http_has(r, name, size, err);
}

static int file_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct strvec all = STRVEC_INIT;

	path_join(&path, r->dir, dir);
	/* A link where the dir should be is not followed (deletions go by these names). */
	bool exists = access(path.buf, F_OK) == 0;
	if (exists && (!is_real_dir(path.buf) || access(path.buf, R_OK | X_OK) != 0)) {
		sb_addf(err, "cannot list %s: %s", path.buf, is_real_dir(path.buf) ? strerror(errno) : "not a directory");
		sb_release(&path);
		return -1;
	}
	list_dir(path.buf, "", &all);
	for (size_t i = 0; i < all.n; i++) {
		const char *base = path_basename(all.v[i]);
		struct stat st;
		if (lstat(all.v[i], &st) == 0 && S_ISREG(st.st_mode) && listing_name_ok(base, strlen(base)))
			sv_push(names, base);
	}
	sv_release(&all);
	sb_release(&path);
	return 0;
}

int remote_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err)
{
	if (!name_ok(dir, err))
		return -1;
	int rc = r->kind == REMOTE_FILE ? file_list(r, dir, names, err) : http_list(r, dir, names, err);
	if (rc == 0)
		sv_sort_unique(names);
	return rc;
}
