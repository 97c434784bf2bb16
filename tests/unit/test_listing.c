/* test_listing.c - the names read from a WebDAV PROPFIND answer and an S3 ListObjectsV2 page. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "formats/listing.h"

/* As nginx's dav_ext module answers (its namespace prefix "D:"). */
static const char nginx_propfind[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
	"<D:multistatus xmlns:D=\"DAV:\">\n"
	"<D:response>\n<D:href>/pgo/pgow-v1/fleet/abc/</D:href>\n"
	"<D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>\n"
	"<D:response>\n<D:href>/pgo/pgow-v1/fleet/abc/0123.meta</D:href>\n"
	"<D:propstat><D:prop><D:getcontentlength>54</D:getcontentlength></D:prop></D:propstat></D:response>\n"
	"<D:response>\n<D:href>/pgo/pgow-v1/fleet/abc/0123.profraw</D:href>\n</D:response>\n"
	"<D:response>\n<D:href>/pgo/pgow-v1/fleet/abc/sub/</D:href>\n</D:response>\n"
	"</D:multistatus>\n";

/* As Apache's mod_dav answers: another prefix, absolute URLs, foreign names. */
static const char apache_propfind[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<multistatus xmlns=\"DAV:\" xmlns:lp1=\"DAV:\">"
	"<response><href>http://h:8080/dav/x/</href></response>"
	"<response><href> http://h:8080/dav/x/ab.meta </href></response>"
	"<response><href>/dav/x/Upper.meta</href></response>"
	"<response><href>/dav/x/with%20space</href></response>"
	"<response><lp1:href>/dav/x/cd.profraw</lp1:href></response>"
	"<response><href/></response>"
	"</multistatus>";

static void test_propfind_members(void **state)
{
	struct strvec names = STRVEC_INIT;

	(void)state;
	listing_parse_propfind(nginx_propfind, strlen(nginx_propfind), &names);
	assert_int_equal(2, names.n);
	assert_string_equal("0123.meta", names.v[0]);
	assert_string_equal("0123.profraw", names.v[1]);
	sv_release(&names);

	listing_parse_propfind(apache_propfind, strlen(apache_propfind), &names);
	assert_int_equal(2, names.n);
	assert_string_equal("ab.meta", names.v[0]);
	assert_string_equal("cd.profraw", names.v[1]);
	sv_release(&names);
}

/* After the S3 API reference's ListObjectsV2 example. */
static const char s3_page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
	"<Name>bucket</Name><Prefix>ci/pgow-v1/fleet/abc/</Prefix><KeyCount>4</KeyCount>\n"
	"<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>\n"
	"<Contents><Key>ci/pgow-v1/fleet/abc/0123.meta</Key><Size>54</Size></Contents>\n"
	"<Contents><Key>ci/pgow-v1/fleet/abc/0123.profraw</Key></Contents>\n"
	"<Contents><Key>ci/pgow-v1/fleet/abc/deeper/x.meta</Key></Contents>\n"
	"<Contents><Key>ci/pgow-v1/fleet/abcd/y.meta</Key></Contents>\n"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x</NextContinuationToken>\n"
	"</ListBucketResult>\n";

static void test_s3_page(void **state)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf token = STRBUF_INIT;
	bool truncated = false;

	(void)state;
	listing_parse_s3(s3_page, strlen(s3_page), "ci/pgow-v1/fleet/abc/", &names, &truncated, &token);
	assert_int_equal(2, names.n);
	assert_string_equal("0123.meta", names.v[0]);
	assert_string_equal("0123.profraw", names.v[1]);
	assert_true(truncated);
	assert_string_equal("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x", token.buf);
	sv_release(&names);

	/* The last page: not truncated, whatever token it carries. */
	static const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				   "<NextContinuationToken>t</NextContinuationToken></ListBucketResult>";
	listing_parse_s3(last, strlen(last), "p/", &names, &truncated, &token);
	assert_false(truncated);
	assert_int_equal(0, names.n);
	/* Truncated without a token cannot be followed. */
	static const char stuck[] = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
	listing_parse_s3(stuck, strlen(stuck), "p/", &names, &truncated, &token);
	assert_false(truncated);
	sv_release(&names);
	sb_release(&token);
}

static void test_names_of_ours(void **state)
{
	(void)state;
	assert_true(listing_name_ok("0123abcdef.profraw", 18));
	assert_false(listing_name_ok("..", 2));
	assert_false(listing_name_ok(".", 1));
	assert_false(listing_name_ok("a/b", 3));
	assert_false(listing_name_ok("A", 1));
	assert_false(listing_name_ok("a\0b", 3));
	assert_false(listing_name_ok("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_propfind_members),
		cmocka_unit_test(test_s3_page),
		cmocka_unit_test(test_names_of_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
