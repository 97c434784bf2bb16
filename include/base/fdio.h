/*
 * fdio.h - file descriptors: opening for reading, and whole writes and
 * copies that retry on EINTR and short counts.
 */
#ifndef PGOW_FDIO_H
#define PGOW_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes a whole buffer to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* len bytes at off, retrying short reads; -1 at end of file or on error. */
int read_at(int fd, void *buf, size_t len, off_t off);
/* open(2) for reading with O_CLOEXEC; -1 with errno. */
int open_read(const char *path);
/* Copies what is left of in to out; -1 with errno. */
int copy_fd(int in, int out);

#endif
