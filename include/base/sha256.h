/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for what S3
 * requires: the payload hash every request carries and the SigV4 signature.
 * Content keys stay xxh3 (base/hash.h); this is for talking to AWS, and for
 * build-ids, which need 20 bytes (formats/buildid.h).
 */
#ifndef PGOW_SHA256_H
#define PGOW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t state[8];
	uint64_t length;        /* bytes hashed so far */
	unsigned char block[64];
	size_t used;            /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);

/* The digest of a buffer as 64 lowercase hex characters. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* The same for a file's contents; -1 with errno on failure. */
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1]);
/* The digest of what fd holds from its offset on; -1 with errno. */
int sha256_fd(int fd, unsigned char out[SHA256_LEN]);
void sha256_to_hex(const unsigned char digest[SHA256_LEN], char out[SHA256_HEX_LEN + 1]);

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char out[SHA256_LEN]);

#endif
