/*
 * hash.h - content hashing with xxh3-128 (libxxhash). Digests are handled as
 * 32-character lowercase hex strings, which is how they appear in paths.
 */
#ifndef PGOW_HASH_H
#define PGOW_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 32

struct hasher;

struct hasher *hasher_new(void);
void hasher_add(struct hasher *h, const void *data, size_t len);
/* Adds s and a terminator, so ("ab","c") and ("a","bc") differ. */
void hasher_add_str(struct hasher *h, const char *s);
void hasher_hex(struct hasher *h, char out[HASH_HEX_LEN + 1]);
void hasher_free(struct hasher *h);

void hash_buf_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1]);
/* Hashes a file's contents; -1 with errno on failure. */
int hash_file_hex(const char *path, char out[HASH_HEX_LEN + 1]);
/* The same for an open file, read from its start (one open per input when a merge plans). */
int hash_fd_hex(int fd, char out[HASH_HEX_LEN + 1]);
/* FNV-1a of a name, for in-memory hash tables (not a content digest). */
size_t hash_name(const char *s, size_t len);
/* How many files hash_file_hex has read in this process (tests count it); atomic: readers run in threads. */
extern _Atomic unsigned long hash_files_read;

#endif
