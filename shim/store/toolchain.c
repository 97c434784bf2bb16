/*
 * toolchain.c - rustc identity (see include/store/toolchain.h).
 * The cache entry is keyed by the binary's path and stat (dev, inode, size,
 * mtime): rustup replaces the file on update, which changes the key. The
 * rustup proxy itself picks a toolchain per directory, so it is never cached.
 */
#include "store/toolchain.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "store/cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static bool is_rustup_proxy(const char *path)
{
	char *real = realpath(path, NULL);
	bool proxy = real && strcmp(path_basename(real), "rustup") == 0;

	free(real);
	return proxy;
}

static int run_rustc_vv(const char *rustc, struct strbuf *out, struct strbuf *err)
{
	char *argv[] = { (char *)rustc, "-vV", NULL };
	size_t start = out->len;
	int status = run_capture(argv, out, err);

	if (status == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !strstr(out->buf + start, "release:")) {
		sb_addf(err, "%s -vV failed; is it a rustc?", rustc);
		return -1;
	}
	return 0;
}

int rustc_identity(const char *rustc, struct strbuf *out, struct strbuf *err)
{
	struct stat st;
	struct strbuf key = STRBUF_INIT, dir = STRBUF_INIT, entry = STRBUF_INIT, ignored = STRBUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	int rc = -1;

	char *resolved = find_in_path(rustc);
	if (!resolved || stat(resolved, &st) != 0) {
		sb_addf(err, "cannot find rustc at %s", rustc);
		goto out;
	}
	if (is_rustup_proxy(resolved)) {
		rc = run_rustc_vv(resolved, out, err);
		goto out;
	}
	sb_addf(&key, "%s\n%ju %ju %jd %jd.%09ld", resolved, (uintmax_t)st.st_dev,
		(uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec);
	hash_buf_hex(key.buf, key.len, hex);
	/*
	 * The cache only saves the next run of rustc -vV: a cache that is unusable
	 * (whoever needs it says so) or read-only costs that run, and nothing else.
	 */
	bool cached = cache_subdir(&dir, "rustc", &ignored) == 0;
	size_t start = out->len;
	if (cached) {
		path_join(&entry, dir.buf, hex);
		if (sb_read_file(out, entry.buf) == 0 && strstr(out->buf + start, "release:")) {
			rc = 0;
			goto out;
		}
		sb_setlen(out, start);
	}
	if (run_rustc_vv(resolved, out, err) != 0)
		goto out;
	rc = 0;
	struct atomic_opts opts = { .mode = 0600 };
	if (cached && !cache_is_readonly())
		(void)write_file_atomic(entry.buf, out->buf + start, out->len - start, &opts, &ignored);
out:
	sb_release(&ignored);
	free(resolved);
	sb_release(&key);
	sb_release(&dir);
	sb_release(&entry);
	return rc;
}

int rustc_identity_llvm_major(const char *identity)
{
	const char *p = strstr(identity, "LLVM version: ");
	return p ? atoi(p + 14) : 0;
}

int rustc_llvm_major(void)
{
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;
	int major = rustc_identity("rustc", &id, &err) == 0 ? rustc_identity_llvm_major(id.buf) : -1;

	sb_release(&id);
	sb_release(&err);
	return major;
}

void rustc_host(struct strbuf *out)
{
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;

	if (rustc_identity("rustc", &id, &err) == 0) {
		const char *h = strstr(id.buf, "host: ");
		if (h)
			sb_add(out, h + 6, strcspn(h + 6, "\n"));
	}
	sb_release(&id);
	sb_release(&err);
}

int toolchain_has_profiler(const char *sysroot, const char *target)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec libs = STRVEC_INIT;
	int found = -1;

	sb_addf(&dir, "%s/lib/rustlib/%s/lib", sysroot, target);
	if (file_exists(dir.buf)) {
		list_dir(dir.buf, ".rlib", &libs);
		found = 0;
		for (size_t i = 0; i < libs.n && !found; i++)
			found = strncmp(path_basename(libs.v[i]), "libprofiler_builtins-", 21) == 0;
	}
	sv_release(&libs);
	sb_release(&dir);
	return found;
}

bool llvm_tool_path(const char *name, int major, struct strbuf *out)
{
	struct strbuf versioned = STRBUF_INIT, in_llvm = STRBUF_INIT;
	sb_addf(&versioned, "%s-%d", name, major);
	sb_addf(&in_llvm, "/usr/lib/llvm-%d/bin/%s", major, name);
	char *path = find_in_path(versioned.buf);
	if (path)
		sb_adds(out, path);
	else if (is_executable_file(in_llvm.buf))
		sb_adds(out, in_llvm.buf);
	free(path);
	sb_release(&versioned);
	sb_release(&in_llvm);
	return out->len > 0;
}
