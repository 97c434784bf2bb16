/*
 * remote.h - the remote store CARGO_PGO_WRAP_REMOTE names: a shared
 * directory (file://), a WebDAV-style HTTP server (http://, https://: GET,
 * HEAD, PUT, DELETE, MKCOL) or an S3 bucket (s3://bucket/prefix, requests
 * signed with AWS Signature V4). Objects are whole files under fixed names below
 * the URL; a read that fails for any reason is a miss the caller reports in
 * one line, with the URL shown without credentials.
 */
#ifndef PGOW_REMOTE_H
#define PGOW_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

struct remote;

/*
 * Takes the remote's secrets out of the environment (the password, the
 * token, and the URL's user and password), kept for this process only:
 * cargo, build scripts, proc-macros and trainings never see them. Every
 * command that runs cargo calls it before it does; idempotent.
 */
void remote_hide_secrets(void);

/*
 * The remote of CARGO_PGO_WRAP_REMOTE: 1 and *out, 0 when none is set, -1
 * (err) when the URL cannot be used (a scheme we do not speak).
 */
int remote_open(struct remote **out, struct strbuf *err);
void remote_close(struct remote *r);

/* The URL as it may be printed: no user, password or query. */
const char *remote_display(const struct remote *r);
/* CARGO_PGO_WRAP_REMOTE_MODE=read-only: nothing is ever written. */
bool remote_read_only(const struct remote *r);
/* A file:// remote whose directory does not exist (a typo): true, with err. Others: false. */
bool remote_missing(const struct remote *r, struct strbuf *err);
/* Whether it may be written; if not, err says why (the mode, or S3 without credentials). */
bool remote_writable(const struct remote *r, struct strbuf *err);
/* CARGO_PGO_WRAP_REMOTE_REQUIRED=1: a failure is an error, not a miss. */
bool remote_required(void);

/*
 * Fetches object name (a relative path of [0-9a-z./-]) into the file dst
 * (replaced atomically), refusing more than max bytes. 1: fetched; 0: the
 * remote has no such object; -1: failure (err: one line, credentials
 * never in it).
 */
int remote_get(struct remote *r, const char *name, const char *dst, long long max, struct strbuf *err);
/* The same into memory, for small objects (refs): nothing is written anywhere. */
int remote_get_small(struct remote *r, const char *name, struct strbuf *out, long long max, struct strbuf *err);
/* Stores the file src as object name, whole or not at all. 0, or -1 (err). */
int remote_put(struct remote *r, const char *name, const char *src, struct strbuf *err);
/* Removes object name; one that is not there is no failure. 0, or -1 (err). */
int remote_delete(struct remote *r, const char *name, struct strbuf *err);
/* 1 and its size (-1 unknown): the object exists; 0: it does not; -1: failure (err). */
int remote_has(struct remote *r, const char *name, long long *size, struct strbuf *err);
/*
 * The names of the objects directly below dir (a name of ours, no trailing
 * '/'), sorted, into names: a directory listing, a WebDAV PROPFIND (Depth 1)
 * or S3's ListObjectsV2. A dir that is not there lists nothing. 0, or -1 (err).
 */
int remote_list(struct remote *r, const char *dir, struct strvec *names, struct strbuf *err);

#endif
