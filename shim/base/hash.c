/*
 * hash.c - xxh3-128 streaming hasher over libxxhash (see include/base/hash.h).
 */
#include "base/hash.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <xxhash.h>

struct hasher {
	XXH3_state_t *state;
};

struct hasher *hasher_new(void)
{
	struct hasher *h = xmalloc(sizeof(*h));

	h->state = XXH3_createState();
	if (!h->state || XXH3_128bits_reset(h->state) == XXH_ERROR)
		die(PGOW_EXIT_INTERNAL, "cannot initialise the xxh3 hasher");
	return h;
}

void hasher_add(struct hasher *h, const void *data, size_t len)
{
	if (XXH3_128bits_update(h->state, data, len) == XXH_ERROR)
		die(PGOW_EXIT_INTERNAL, "xxh3 update failed");
}

void hasher_add_str(struct hasher *h, const char *s)
{
	hasher_add(h, s, strlen(s) + 1);
}

static void digest_hex(XXH128_hash_t d, char out[HASH_HEX_LEN + 1])
{
	snprintf(out, HASH_HEX_LEN + 1, "%016llx%016llx",
		 (unsigned long long)d.high64, (unsigned long long)d.low64);
}

void hasher_hex(struct hasher *h, char out[HASH_HEX_LEN + 1])
{
	digest_hex(XXH3_128bits_digest(h->state), out);
}

void hasher_free(struct hasher *h)
{
	if (!h)
		return;
	XXH3_freeState(h->state);
	free(h);
}

void hash_buf_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1])
{
	digest_hex(XXH3_128bits(data, len), out);
}

_Atomic unsigned long hash_files_read;

int hash_fd_hex(int fd, char out[HASH_HEX_LEN + 1])
{
	char buf[65536];
	off_t at = 0;
	ssize_t n;

	hash_files_read++;
	struct hasher *h = hasher_new();
	/* pread: from the start, whatever the descriptor's offset. */
	while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			hasher_free(h);
			errno = saved;
			return -1;
		}
		hasher_add(h, buf, (size_t)n);
		at += n;
	}
	hasher_hex(h, out);
	hasher_free(h);
	return 0;
}

int hash_file_hex(const char *path, char out[HASH_HEX_LEN + 1])
{
	int fd = open_read(path);

	if (fd < 0)
		return -1;
	if (hash_fd_hex(fd, out) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

size_t hash_name(const char *s, size_t len)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * (1099511628211ULL & SIZE_MAX);
	return h;
}
