/*
 * llvm.c - raw profile headers and llvm-profdata discovery (include/llvm.h).
 * Debian's default llvm-profdata is LLVM 14, which cannot read rustc 1.95's
 * raw format 10: a tool is accepted only if its LLVM major reads the format.
 */
#include "llvm.h"
#include "execute.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RAW_MAGIC_64 0xff6c70726f667281ULL

int llvm_raw_version(const char *path, uint64_t *version, struct strbuf *err)
{
	unsigned char hdr[16];
	int fd = open_read(path);
	ssize_t n = -1;

	if (fd >= 0) {
		do
			n = read(fd, hdr, sizeof(hdr));
		while (n < 0 && errno == EINTR);
		close(fd);
	}
	if (n < 0) {
		sb_addf(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	uint64_t magic = 0, ver = 0;
	for (int i = 7; n == 16 && i >= 0; i--) {
		magic = magic << 8 | hdr[i];
		ver = ver << 8 | hdr[8 + i];
	}
	if (n != 16 || magic != RAW_MAGIC_64) {
		sb_addf(err, "%s is not a raw LLVM profile (bad magic)", path);
		return -1;
	}
	/* The high bits are flags (rustc writes 0x010000000000000A). */
	*version = ver & 0xffffffffULL;
	return 0;
}

int llvm_min_major_for_raw(uint64_t version)
{
	if (version >= 10)
		return 19;
	if (version == 9)
		return 17;
	if (version == 8)
		return 13;
	return 11;
}

/*
 * The LLVM major of an llvm-profdata; 0 if it does not run. LLVM 14 only
 * answers --version after a subcommand, which newer ones accept too.
 */
static int tool_major(const char *tool, struct strbuf *version_line)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[] = { (char *)tool, "merge", "--version", NULL };
	int status = run_capture(argv, &out);
	int major = 0;

	const char *p = status == 0 ? strstr(sb_str(&out), "LLVM version ") : NULL;
	if (p) {
		major = atoi(p + 13);
		/* Keep the whole line, e.g. "Debian LLVM version 22.1.8". */
		const char *start = p;
		while (start > out.buf && start[-1] != '\n')
			start--;
		start += strspn(start, " ");
		sb_reset(version_line);
		sb_add(version_line, start, strcspn(start, "\n"));
	}
	sb_release(&out);
	return major;
}

static int try_tool(const char *cand, int min_major, struct strbuf *path, struct strbuf *version,
		    struct strbuf *tried)
{
	char *found = find_in_path(cand);
	int major = found ? tool_major(found, version) : 0;

	if (found && major >= min_major) {
		sb_adds(path, found);
		free(found);
		return 0;
	}
	if (found)
		sb_addf(tried, "%s%s (LLVM %d)", tried->len ? ", " : "", found, major);
	free(found);
	return -1;
}

int llvm_find_profdata(int prefer_major, int min_major, uint64_t raw_version,
		       struct strbuf *path, struct strbuf *version, struct strbuf *err)
{
	struct strbuf tried = STRBUF_INIT, cand = STRBUF_INIT;
	const char *forced = env_get(ENV_LLVM_PROFDATA);
	int rc = -1;

	if (forced) {
		rc = try_tool(forced, min_major, path, version, &tried);
		if (rc != 0)
			sb_addf(err, "%s=%s cannot read raw profile format %ju (it needs LLVM %d or newer; "
				"found: %s); point it at llvm-profdata-%d (apt-get install llvm-%d) or unset it",
				ENV_LLVM_PROFDATA, forced, (uintmax_t)raw_version, min_major,
				tried.len ? tried.buf : "not runnable", prefer_major, prefer_major);
		goto out;
	}
	for (int major = prefer_major; major >= min_major && rc != 0; major--) {
		sb_reset(&cand);
		sb_addf(&cand, "llvm-profdata-%d", major);
		rc = try_tool(cand.buf, min_major, path, version, &tried);
		if (rc != 0) {
			sb_reset(&cand);
			sb_addf(&cand, "/usr/lib/llvm-%d/bin/llvm-profdata", major);
			rc = try_tool(cand.buf, min_major, path, version, &tried);
		}
	}
	if (rc != 0)
		rc = try_tool("llvm-profdata", min_major, path, version, &tried);
	if (rc != 0)
		sb_addf(err, "no llvm-profdata reads raw profile format %ju written by rustc's LLVM %d "
			"(it needs LLVM %d or newer; found: %s); install it: apt-get install llvm-%d",
			(uintmax_t)raw_version, prefer_major, min_major,
			tried.len ? tried.buf : "none", prefer_major);
out:
	sb_release(&tried);
	sb_release(&cand);
	return rc;
}
