/*
 * test_perfdata.c - what a perf.data header says: the build-id table (both
 * record shapes perf writes), branch stacks in the attrs, and every way a
 * file can fail to be one, built byte by byte after perf's header layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "formats/perfdata.h"

#define HEADER 104
#define ATTR_SIZE 136                 /* perf_event_attr (120) + ids section (16) */

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* One build-id record: 20 bytes of id (first byte b), or n bytes with the size flag. */
static size_t put_build_id(unsigned char *p, unsigned char b, size_t n, bool sized, const char *file)
{
	size_t len = 36 + ((strlen(file) + 1 + 7) & ~(size_t)7);
	memset(p, 0, len);
	put16(p + 4, sized ? 1u << 15 : 0);
	put16(p + 6, (uint16_t)len);
	for (size_t i = 0; i < n; i++)
		p[12 + i] = (unsigned char)(b + i);
	if (sized)
		p[32] = (unsigned char)n;
	memcpy(p + 36, file, strlen(file));
	return len;
}

/*
 * A file: header, two attrs (the second with branch stacks if lbr), 64
 * bytes of "data", then the feature sections' table (tracing data, then
 * build-ids) and the build-id records.
 */
static size_t make_file(unsigned char *buf, bool lbr)
{
	memset(buf, 0, 4096);
	memcpy(buf, "PERFILE2", 8);
	put64(buf + 8, HEADER);
	put64(buf + 16, ATTR_SIZE);
	put64(buf + 24, HEADER);                        /* attrs */
	put64(buf + 32, 2 * ATTR_SIZE);
	size_t data = HEADER + 2 * ATTR_SIZE;
	put64(buf + 40, data);                          /* data */
	put64(buf + 48, 64);
	put64(buf + 72, 1u << 1 | 1u << 2);             /* features: tracing data, build-ids */
	put64(buf + HEADER + 24, 0x7);                  /* IP|TID|TIME */
	put64(buf + HEADER + ATTR_SIZE + 24, lbr ? 0x7 | 1u << 11 : 0x7);
	size_t sections = data + 64, table = sections + 2 * 16;
	size_t at = table;
	at += put_build_id(buf + at, 0xa0, 20, false, "/opt/app/node");
	at += put_build_id(buf + at, 0x10, 16, true, "[vdso]");
	put64(buf + sections, 0);                       /* tracing data: empty */
	put64(buf + sections + 8, 0);
	put64(buf + sections + 16, table);
	put64(buf + sections + 24, at - table);
	return at;
}

static void test_build_ids_and_files(void **state)
{
	unsigned char buf[4096];
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	size_t n = make_file(buf, false);
	assert_int_equal(0, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_int_equal(2, info.ids.n);
	assert_string_equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3", info.ids.v[0]);
	assert_string_equal("/opt/app/node", info.files.v[0]);
	/* The size flag: 16 bytes, not 20. */
	assert_string_equal("101112131415161718191a1b1c1d1e1f", info.ids.v[1]);
	assert_string_equal("[vdso]", info.files.v[1]);
	assert_false(info.branch_stacks);
	perf_data_release(&info);
	sb_release(&err);
}

static void test_branch_stacks_in_any_attr(void **state)
{
	unsigned char buf[4096];
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	size_t n = make_file(buf, true);
	assert_int_equal(0, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_true(info.branch_stacks);
	perf_data_release(&info);
	sb_release(&err);
}

/* Without the tracing-data bit, the build-id table is the first section. */
static void test_section_index_follows_the_bits(void **state)
{
	unsigned char buf[4096];
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	size_t n = make_file(buf, false);
	size_t sections = HEADER + 2 * ATTR_SIZE + 64;
	put64(buf + 72, 1u << 2);
	memmove(buf + sections, buf + sections + 16, 16);
	assert_int_equal(0, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_int_equal(2, info.ids.n);
	perf_data_release(&info);
	/* No build-id bit: no ids, and no error. */
	put64(buf + 72, 0);
	assert_int_equal(0, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_int_equal(0, info.ids.n);
	perf_data_release(&info);
	sb_release(&err);
}

static void expect_refused(const unsigned char *buf, size_t n, const char *says)
{
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(-1, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_non_null(strstr(err.buf, says));
	assert_int_equal(0, info.ids.n);
	sb_release(&err);
}

static void test_not_one_or_damaged(void **state)
{
	unsigned char buf[4096];

	(void)state;
	expect_refused((const unsigned char *)"hello", 5, "is not a perf.data file");
	size_t n = make_file(buf, false);
	memcpy(buf, "2ELIFREP", 8);
	expect_refused(buf, n, "big-endian");
	n = make_file(buf, false);
	put64(buf + 8, 16);
	expect_refused(buf, n, "written to a pipe");
	n = make_file(buf, false);
	expect_refused(buf, n - 1, "damaged");                  /* the table cut short */
	n = make_file(buf, false);
	put64(buf + 32, 3 * ATTR_SIZE + 5);
	expect_refused(buf, n, "damaged");                      /* attrs not a whole number */
	n = make_file(buf, false);
	put64(buf + 48, UINT64_MAX);
	expect_refused(buf, n, "damaged");                      /* data's end wraps */
	n = make_file(buf, false);
	size_t table = HEADER + 2 * ATTR_SIZE + 64 + 32;
	put16(buf + table + 6, 20);
	expect_refused(buf, n, "damaged");                      /* a record shorter than its head */
	n = make_file(buf, false);
	put16(buf + table + 4, 1u << 15);
	buf[table + 32] = 21;
	expect_refused(buf, n, "damaged");                      /* an id longer than 20 bytes */
}

/* A path with control characters reaches messages made printable. */
static void test_paths_are_printable(void **state)
{
	unsigned char buf[4096];
	struct perf_data_info info;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	size_t n = make_file(buf, false);
	buf[HEADER + 2 * ATTR_SIZE + 64 + 32 + 36 + 4] = '\n';
	assert_int_equal(0, perf_data_parse(buf, n, "p.data", &info, &err));
	assert_string_equal("/opt?app/node", info.files.v[0]);
	perf_data_release(&info);
	sb_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_ids_and_files),
		cmocka_unit_test(test_branch_stacks_in_any_attr),
		cmocka_unit_test(test_section_index_follows_the_bits),
		cmocka_unit_test(test_not_one_or_damaged),
		cmocka_unit_test(test_paths_are_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
