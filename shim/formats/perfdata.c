/*
 * perfdata.c - the header of a perf.data file (see include/formats/perfdata.h):
 * its attrs (sample_type, for branch stacks) and its build-id table. Only
 * the header and the feature sections are read, never the samples; every
 * offset is checked against the file's size, as anyone may hand us the file.
 */
#include "formats/perfdata.h"
#include "base/bytes.h"
#include "base/fdio.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PERF_MAGIC2 0x32454c4946524550ULL        /* "PERFILE2", little-endian */
#define PERF_MAGIC2_SWAPPED 0x50455246494c4532ULL
#define HEADER_SIZE 104
#define PIPE_HEADER_SIZE 16
#define HEADER_BUILD_ID 2
#define SAMPLE_BRANCH_STACK (1ULL << 11)
#define MISC_BUILD_ID_SIZE (1U << 15)
#define BUILD_ID_RECORD_HEAD 36                  /* event header 8, pid 4, build-id 24 */
#define MAX_ATTRS 4096
#define MAX_BUILD_ID_TABLE (64LL << 20)

/* Bytes to read from: an open file, or memory. */
struct source {
	int fd;
	const unsigned char *buf;
	uint64_t size;
};

static int source_read(const struct source *s, uint64_t off, void *dst, size_t n)
{
	if (off > s->size || n > s->size - off)
		return -1;
	if (s->buf) {
		memcpy(dst, s->buf + off, n);
		return 0;
	}
	return read_at(s->fd, dst, n, (off_t)off);
}

static char *printable_path(const unsigned char *p, size_t max)
{
	size_t n = strnlen((const char *)p, max);
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
	s[n] = '\0';
	return s;
}

/* Whether any event samples branch stacks: sample_type is the attr's fourth word. */
static int read_attrs(const struct source *s, const unsigned char *h, struct perf_data_info *info)
{
	uint64_t attr_size = load_le64(h + 16), off = load_le64(h + 24), size = load_le64(h + 32);

	if (attr_size < 32 || size % attr_size != 0 || size / attr_size > MAX_ATTRS)
		return -1;
	for (uint64_t i = 0; i < size / attr_size; i++) {
		unsigned char w[8];
		if (source_read(s, off + i * attr_size + 24, w, sizeof(w)) != 0)
			return -1;
		if (load_le64(w) & SAMPLE_BRANCH_STACK)
			info->branch_stacks = true;
	}
	return 0;
}

/* Where the build-id table is: the features' sections follow the data, one per bit set, in bit order. */
static int build_id_section(const struct source *s, const unsigned char *h, uint64_t *off, uint64_t *size)
{
	uint64_t data_end = load_le64(h + 40) + load_le64(h + 48);
	unsigned index = 0;

	if (data_end < load_le64(h + 40))
		return -1;
	for (unsigned bit = 0; bit < HEADER_BUILD_ID; bit++)
		index += (unsigned)(load_le64(h + 72 + 8 * (bit / 64)) >> (bit % 64) & 1);
	if (!(load_le64(h + 72) >> HEADER_BUILD_ID & 1))
		return 0;
	unsigned char sec[16];
	if (data_end > UINT64_MAX - 16 * (uint64_t)index || source_read(s, data_end + 16 * index, sec, sizeof(sec)) != 0)
		return -1;
	*off = load_le64(sec);
	*size = load_le64(sec + 8);
	return 1;
}

static int read_build_ids(const struct source *s, uint64_t off, uint64_t size, struct perf_data_info *info)
{
	if (size > MAX_BUILD_ID_TABLE || off > s->size || size > s->size - off)
		return -1;
	unsigned char *table = xmalloc(size ? size : 1);
	int rc = source_read(s, off, table, size);
	for (uint64_t at = 0; rc == 0 && at < size;) {
		if (size - at < BUILD_ID_RECORD_HEAD) {
			rc = -1;
			break;
		}
		const unsigned char *r = table + at;
		uint16_t misc = load_le16(r + 4), len = load_le16(r + 6);
		if (len < BUILD_ID_RECORD_HEAD || len > size - at) {
			rc = -1;
			break;
		}
		size_t id_len = misc & MISC_BUILD_ID_SIZE ? r[32] : 20;
		if (id_len == 0 || id_len > 20) {
			rc = -1;
			break;
		}
		struct strbuf hex = STRBUF_INIT;
		sb_addhex(&hex, r + 12, id_len);
		sv_push(&info->ids, hex.buf);
		char *file = printable_path(r + BUILD_ID_RECORD_HEAD, len - BUILD_ID_RECORD_HEAD);
		sv_push(&info->files, file);
		free(file);
		sb_release(&hex);
		at += len;
	}
	free(table);
	return rc;
}

static int parse(const struct source *s, const char *path, struct perf_data_info *info, struct strbuf *err)
{
	unsigned char h[HEADER_SIZE];
	uint64_t off = 0, size = 0;

	memset(info, 0, sizeof(*info));
	if (source_read(s, 0, h, 16) != 0 || (load_le64(h) != PERF_MAGIC2 && load_le64(h) != PERF_MAGIC2_SWAPPED)) {
		sb_addf(err, "%s is not a perf.data file (`perf record -o FILE` writes one)", path);
		return -1;
	}
	if (load_le64(h) == PERF_MAGIC2_SWAPPED) {
		sb_addf(err, "%s was recorded on a big-endian machine; convert it there (perf2bolt cannot read it here)", path);
		return -1;
	}
	if (load_le64(h + 8) == PIPE_HEADER_SIZE) {
		sb_addf(err, "%s was written to a pipe (perf record -o -) and has no build-id table; record to a file", path);
		return -1;
	}
	int found = -1;
	const char *what = NULL;
	if (load_le64(h + 8) < HEADER_SIZE || source_read(s, 0, h, sizeof(h)) != 0)
		what = "its header is cut short";
	else if (read_attrs(s, h, info) != 0)
		what = "its event attributes do not fit the file";
	else if ((found = build_id_section(s, h, &off, &size)) < 0)
		what = "its feature sections are past its end";
	else if (found && read_build_ids(s, off, size, info) != 0)
		what = "its build-id table is malformed";
	if (what) {
		sb_addf(err, "%s is a damaged perf.data file (%s)", path, what);
		perf_data_release(info);
		return -1;
	}
	return 0;
}

int perf_data_read(int fd, const char *path, struct perf_data_info *info, struct strbuf *err)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	if (fstat(fd, &st) != 0) {
		sb_addf(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		sb_addf(err, "%s is not a regular file", path);
		return -1;
	}
	struct source s = { fd, NULL, (uint64_t)st.st_size };
	return parse(&s, path, info, err);
}

int perf_data_parse(const unsigned char *buf, size_t len, const char *path, struct perf_data_info *info,
		    struct strbuf *err)
{
	struct source s = { -1, buf, len };
	return parse(&s, path, info, err);
}

void perf_data_release(struct perf_data_info *info)
{
	sv_release(&info->ids);
	sv_release(&info->files);
	info->branch_stacks = false;
}
