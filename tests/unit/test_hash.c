/*
 * test_hash.c - unit tests for content hashing (shim/base/hash.c): one digest
 * for the same bytes whether they are hashed from memory or read from a file
 * in blocks (a merge hashes small inputs whole, big ones streaming, and the
 * manifest compares both kinds).
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fdio.h"
#include "base/hash.h"
#include "tempdir.h"

static void test_whole_and_streaming_digests_agree(void **state)
{
	(void)state;
	/* Around the 64 KiB block the file is read in, and far past it. */
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131072, 1048579 };
	unsigned char *bytes = malloc(sizes[6]);
	uint32_t x = 2463534242u;

	assert_non_null(bytes);
	for (size_t i = 0; i < sizes[6]; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		bytes[i] = (unsigned char)x;
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		char path[64], whole[HASH_HEX_LEN + 1], streamed[HASH_HEX_LEN + 1], named[HASH_HEX_LEN + 1];
		snprintf(path, sizeof(path), "%s/f%zu", dir, s);
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write_all(fd, bytes, sizes[s]), 0);
		hash_buf_hex(bytes, sizes[s], whole);
		assert_int_equal(hash_fd_hex(fd, streamed), 0); /* from the start, wherever the offset is */
		assert_int_equal(hash_file_hex(path, named), 0);
		assert_string_equal(whole, streamed);
		assert_string_equal(whole, named);
		assert_int_equal(strlen(whole), HASH_HEX_LEN);
		close(fd);
	}
	char other[HASH_HEX_LEN + 1], first[HASH_HEX_LEN + 1];
	hash_buf_hex(bytes, 65536, first);
	bytes[65535] ^= 1; /* the last byte of a block counts */
	hash_buf_hex(bytes, 65536, other);
	assert_string_not_equal(first, other);
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_streaming_digests_agree),
	};
	return cmocka_run_group_tests(tests, tempdir_setup, tempdir_teardown);
}
