/*
 * test_sigv4.c - unit tests for SHA-256 and HMAC-SHA256 (shim/base/sha256.c)
 * against FIPS 180-4's and RFC 4231's vectors, and for Signature V4
 * (shim/store/sigv4.c) against AWS's published examples: the Signature V4
 * test suite (get-vanilla and its kin) and the S3 API reference's
 * header-based examples (GET and PUT object, list objects).
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/sha256.h"
#include "base/strbuf.h"
#include "store/sigv4.h"
#include "tempdir.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void expect_sha256(const char *msg, size_t len, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(msg, len, hex);
	assert_string_equal(hex, want);
}

static void test_sha256_fips_vectors(void **state)
{
	(void)state;
	expect_sha256("", 0, EMPTY_SHA256);
	expect_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	expect_sha256(two_blocks, strlen(two_blocks),
		      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* A million 'a', fed in uneven pieces: the block boundary is crossed every way. */
	struct sha256 s;
	unsigned char d[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1], a[997];
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (size_t left = 1000000; left;) {
		size_t n = left < sizeof(a) ? left : sizeof(a);
		sha256_update(&s, a, n);
		left -= n;
	}
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* Every length around the padding boundary agrees with itself fed byte by byte. */
	for (size_t len = 50; len < 70; len++) {
		char one[SHA256_HEX_LEN + 1];
		sha256_hex(a, len, hex);
		sha256_init(&s);
		for (size_t i = 0; i < len; i++)
			sha256_update(&s, a, 1);
		sha256_final(&s, d);
		sha256_to_hex(d, one);
		assert_string_equal(hex, one);
	}
}

static void test_sha256_of_a_file(void **state)
{
	char hex[SHA256_HEX_LEN + 1];
	struct strbuf path = STRBUF_INIT;
	FILE *f;

	(void)state;
	sb_addf(&path, "%s/welcome", dir);
	f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs("Welcome to Amazon S3.", f);
	fclose(f);
	assert_int_equal(sha256_file_hex(path.buf, hex), 0);
	assert_string_equal(hex, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	assert_int_equal(sha256_file_hex("/nonexistent/file", hex), -1);
	sb_release(&path);
}

static void test_hmac_rfc4231(void **state)
{
	unsigned char out[SHA256_LEN], key[131];
	char hex[SHA256_HEX_LEN + 1];

	(void)state;
	/* Test case 2: a short key. */
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
	sha256_to_hex(out, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than a block is hashed first. */
	memset(key, 0xaa, sizeof(key));
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha256(key, sizeof(key), msg, strlen(msg), out);
	sha256_to_hex(out, hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* The test suite's request: example.amazonaws.com, 2015-08-30 12:36:00, service "service". */
static void sign_suite(const char *method, const char *path, const char *query, const char *payload_hash,
		       const char *want_signature)
{
	const char *headers[] = { "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z" };
	struct sigv4_request q = { method, path, query, headers, 2, payload_hash, "20150830T123600Z",
				   "us-east-1", "service" };
	struct strbuf auth = STRBUF_INIT, want = STRBUF_INIT;

	sigv4_authorization(&q, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &auth);
	sb_addf(&want, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		       "SignedHeaders=host;x-amz-date, Signature=%s", want_signature);
	assert_string_equal(auth.buf, want.buf);
	sb_release(&auth);
	sb_release(&want);
}

static void test_sigv4_test_suite(void **state)
{
	struct strbuf canon = STRBUF_INIT, path = STRBUF_INIT;
	(void)state;

	/* get-vanilla: the canonical request, then the signature. */
	const char *headers[] = { "X-Amz-Date:20150830T123600Z", "Host:example.amazonaws.com" };
	struct sigv4_request q = { "GET", "/", "", headers, 2, EMPTY_SHA256, "20150830T123600Z", "us-east-1", "service" };
	sigv4_canonical_request(&q, &canon);
	assert_string_equal(canon.buf, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
				       "host;x-amz-date\n" EMPTY_SHA256);
	sign_suite("GET", "/", "", EMPTY_SHA256, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	/* get-vanilla-query-order-key-case: the query as the caller sorted it. */
	sign_suite("GET", "/", "Param1=value1&Param2=value2", EMPTY_SHA256,
		   "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
	/* get-utf8: the path /ሴ, encoded. */
	sigv4_uri_encode(&path, "/\xe1\x88\xb4", true);
	assert_string_equal(path.buf, "/%E1%88%B4");
	sign_suite("GET", path.buf, "", EMPTY_SHA256, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
	/* post-vanilla. */
	sign_suite("POST", "/", "", EMPTY_SHA256, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
	sb_release(&canon);
	sb_release(&path);
}

/* The S3 reference's examples: examplebucket, 2013-05-24, the documented example key. */
static void sign_s3(const char *method, const char *path, const char *query, const char *const *headers,
		    int nheaders, const char *payload_hash, const char *want_headers, const char *want_signature)
{
	struct sigv4_request q = { method, path, query, headers, nheaders, payload_hash, "20130524T000000Z",
				   "us-east-1", "s3" };
	struct strbuf auth = STRBUF_INIT, want = STRBUF_INIT;

	sigv4_authorization(&q, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &auth);
	sb_addf(&want, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
		       "SignedHeaders=%s, Signature=%s", want_headers, want_signature);
	assert_string_equal(auth.buf, want.buf);
	sb_release(&auth);
	sb_release(&want);
}

static void test_sigv4_s3_examples(void **state)
{
	struct strbuf path = STRBUF_INIT;
	(void)state;

	/* GET Object, the first 10 bytes. */
	const char *get[] = { "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
			      "x-amz-content-sha256:" EMPTY_SHA256, "x-amz-date: 20130524T000000Z" };
	sign_s3("GET", "/test.txt", "", get, 4, EMPTY_SHA256, "host;range;x-amz-content-sha256;x-amz-date",
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	/* PUT Object: the key's '$' is encoded, the body's hash signed. */
	const char *body = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
	const char *put[] = { "Host:examplebucket.s3.amazonaws.com", "Date:Fri, 24 May 2013 00:00:00 GMT",
			      "x-amz-date:20130524T000000Z", "x-amz-storage-class:REDUCED_REDUNDANCY",
			      "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" };
	sigv4_uri_encode(&path, "/test$file.text", true);
	assert_string_equal(path.buf, "/test%24file.text");
	sign_s3("PUT", path.buf, "", put, 5, body, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
		"98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	/* GET Bucket (list objects): a query. */
	const char *list[] = { "Host:examplebucket.s3.amazonaws.com", "x-amz-content-sha256:" EMPTY_SHA256,
			       "x-amz-date:20130524T000000Z" };
	sign_s3("GET", "/", "max-keys=2&prefix=J", list, 3, EMPTY_SHA256, "host;x-amz-content-sha256;x-amz-date",
		"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	sb_release(&path);
}

static void test_sigv4_encoding_and_date(void **state)
{
	struct strbuf out = STRBUF_INIT;
	char date[17];
	(void)state;

	sigv4_uri_encode(&out, "a b+c/d~e_f.g-h%", false);
	assert_string_equal(out.buf, "a%20b%2Bc%2Fd~e_f.g-h%25");
	sigv4_amz_date(1440938160, date);
	assert_string_equal(date, "20150830T123600Z");
	sb_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_fips_vectors),
		cmocka_unit_test(test_sha256_of_a_file),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_sigv4_test_suite),
		cmocka_unit_test(test_sigv4_s3_examples),
		cmocka_unit_test(test_sigv4_encoding_and_date),
	};
	return cmocka_run_group_tests(tests, tempdir_setup, tempdir_teardown);
}
