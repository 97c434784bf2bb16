/*
 * settings.c - the table of every CARGO_PGO_WRAP_* variable (see
 * include/base/settings.h): each read, checked and documented from its row.
 */
#include "base/settings.h"
#include "base/message.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Ours, for the processes we start: documented, never checked. */
#define INTERNAL(name, values, doc) { name, SETTING_INTERNAL, values, "unset", doc, NULL, NULL }

static const struct setting_info table[SETTING_COUNT] = {
	[SETTING_MODE] = { ENV_MODE, SETTING_CHOICE, "generate|use|off",
		"the cached profile decides", "override the decision for every optimised crate",
		"a mode", "set it to generate, use or off" },
	[SETTING_PROFILE] = { ENV_PROFILE, SETTING_ABS_PATH, "/abs/path",
		"none; MODE=generate and MODE=use need it", "raw profile dir (generate) or .profdata file (use)",
		NULL, "cargo runs rustc from several directories, so give an absolute path" },
	[SETTING_WHEN_NO_PROFILE] = { ENV_WHEN_NO_PROFILE, SETTING_CHOICE, "instrument|plain",
		"plain", "what wrapper builds do while the cache has no profile for them",
		NULL, "set it to instrument or plain" },
	[SETTING_EXCLUDE] = { ENV_EXCLUDE, SETTING_NAMES, "crate,crate",
		"none", "crates never instrumented or optimised", NULL, NULL },
	[SETTING_NEXT] = { ENV_NEXT, SETTING_PROGRAM, "sccache",
		"none; an existing RUSTC_WRAPPER becomes it", "another wrapper (sccache) that rustc runs under, after us",
		NULL, NULL },
	[SETTING_CACHE] = { ENV_CACHE, SETTING_ABS_PATH, "/abs/dir",
		"${XDG_CACHE_HOME:-~/.cache}/cargo-pgo-wrap", "the profile cache, created 0700: yours, and not a link",
		NULL, "set it to an absolute directory" },
	[SETTING_CACHE_MAX] = { ENV_CACHE_MAX, SETTING_SIZE, "SIZE",
		"2G", "the size gc keeps the cache under when --max-size is not given", NULL, "write e.g. 500M or 2G" },
	[SETTING_GC_GRACE] = { ENV_GC_GRACE, SETTING_SECONDS, "SECONDS",
		"21600 (6 hours)", "how long gc keeps files a running build may still read", NULL,
		"write a whole number of seconds (at most 315360000, ten years)" },
	[SETTING_WORKSPACE] = { ENV_WORKSPACE, SETTING_ABS_PATH, "/abs/dir",
		"the target dir", "the workspace identity that slots are keyed by, for the wrapper, `build` "
		"and status alike; switched, `build` rebuilds the units into the slot it names (cargo alone "
		"does not)", NULL,
		"set it to an absolute directory" },
	[SETTING_JOURNAL] = { ENV_JOURNAL, SETTING_ABS_PATH, "/abs/file",
		"<cache>/journal.log", "where wrapper decisions are logged", NULL, "set it to an absolute file name" },
	[SETTING_LLVM_PROFDATA] = { ENV_LLVM_PROFDATA, SETTING_PROGRAM, "/path",
		"the one that reads the raw format rustc writes",
		"the llvm-profdata to use (still checked to read that format)", NULL, NULL },
	[SETTING_NO_PROFILER_TARGETS] = { ENV_NO_PROFILER_TARGETS, SETTING_GLOBS, "glob,glob",
		"none", "more targets to leave alone (no profiler runtime)", NULL, NULL },
	[SETTING_C] = { ENV_C_PGO, SETTING_CHOICE, "auto|on|off",
		"auto", "profile C/C++ code build scripts compile (build, instrument, train)",
		NULL, "set it to auto, on or off" },
	[SETTING_SPLIT] = { ENV_SPLIT, SETTING_CHOICE, "0|1",
		"1", "1: each unit gets its part of the profile, and units 8 or more artifacts list one part they "
		"share (a refresh rebuilds only the units whose part changed); 0: every unit gets the whole "
		"profile (a new profile rebuilds every unit). Read when a profile is stored (0: it is not split, "
		"and the slot's earlier split is removed) and by `cargo-pgo-wrap build` (0: a stored split is "
		"removed); either way every unit then rebuilds with the whole profile, as builds without the "
		"setting do until a profile is stored with it",
		"0 or 1", "unset it (or 1) to give each unit its part of the profile, 0 to give every unit "
		"the whole profile" },
	[SETTING_MAX_INPUT] = { ENV_MAX_INPUT, SETTING_SIZE, "SIZE",
		"1G", "the largest profile merge reads (polkadot's raw files are tens of MB)", NULL,
		"write e.g. 500M or 2G" },
	[SETTING_REMOTE] = { ENV_REMOTE, SETTING_URL, "URL",
		"none", "the remote store profiles travel through: file:///dir, http(s)://host/path (WebDAV), "
		"s3://bucket/prefix (AWS_* credentials, AWS_REGION, AWS_ENDPOINT_URL_S3)",
		NULL, "give file:///abs/dir, http://host/path, https://host/path or s3://bucket/prefix" },
	[SETTING_REMOTE_MODE] = { ENV_REMOTE_MODE, SETTING_CHOICE, "read-write|read-only",
		"read-write", "read-only: builds fetch profiles but never push (PR builds without secrets)",
		NULL, "set it to read-write or read-only" },
	[SETTING_REMOTE_REQUIRED] = { ENV_REMOTE_REQUIRED, SETTING_CHOICE, "0|1",
		"0", "1: a remote that fails is an error (exit 9), not a miss", "0 or 1", "set it to 0 or 1" },
	[SETTING_REMOTE_TIMEOUT] = { ENV_REMOTE_TIMEOUT, SETTING_SECONDS, "SECONDS",
		"30", "how long the remote may take to connect, or stall a transfer", NULL,
		"write a whole number of seconds" },
	[SETTING_REMOTE_USER] = { ENV_REMOTE_USER, SETTING_TEXT, "USER",
		"none", "HTTP basic auth user (with CARGO_PGO_WRAP_REMOTE_PASSWORD)", NULL, NULL },
	[SETTING_REMOTE_PASSWORD] = { ENV_REMOTE_PASSWORD, SETTING_TEXT, "PASSWORD",
		"none", "HTTP basic auth password; never printed or logged", NULL, NULL },
	[SETTING_REMOTE_TOKEN] = { ENV_REMOTE_TOKEN, SETTING_TEXT, "TOKEN",
		"none", "an HTTP bearer token; never printed or logged", NULL, NULL },
	[SETTING_REMOTE_KEEP] = { ENV_REMOTE_KEEP, SETTING_NUMBER, "N",
		"5", "profiles a push keeps per slot on the remote (and every pinned one); older ones are deleted",
		NULL, "write a whole number from 1" },
	[SETTING_FLEET_KEEP_DAYS] = { ENV_FLEET_KEEP_DAYS, SETTING_NUMBER, "DAYS",
		"30", "days a raw profile uploaded from the field stays on the remote once `merge --remote` merged it",
		NULL, "write a whole number from 1" },
	[SETTING_FRONTEND] = INTERNAL(ENV_FRONTEND, "1", "set by the front end for its cargo: wrappers leave reporting to it"),
	[SETTING_LINK_RELOCS] = INTERNAL(ENV_LINK_RELOCS, "1", "set by the BOLT stage: programs linked with relocations (-Wl,-q)"),
	[SETTING_CC] = INTERNAL(ENV_CC_REAL, "/path", "set by the front end: the C compiler behind pgo-wrap-clang"),
	[SETTING_CXX] = INTERNAL(ENV_CXX_REAL, "/path", "set by the front end: the C++ compiler behind pgo-wrap-clang++"),
	[SETTING_C_DECISION] = INTERNAL(ENV_C_DECISION, "DECISION", "set by the front end: the PGO decision for C/C++ code"),
	[SETTING_C_STAMP] = INTERNAL(ENV_C_STAMP, "/path", "set by the front end: the stamp C-compiling build scripts list"),
	[SETTING_LEASE] = INTERNAL(ENV_LEASE, "/path", "set by the front end: its lease, to which wrappers add the slots they use"),
	[SETTING_IDENTIFY] = INTERNAL(ENV_IDENTIFY, "/path", "set by the front end: wrappers record their slot there and stop"),
};

const struct setting_info *setting_info(enum setting s)
{
	return &table[s];
}

const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}

static bool is_choice(const char *values, const char *v)
{
	size_t n = strlen(v);

	for (const char *w = values; *w;) {
		size_t len = strcspn(w, "|");
		if (len == n && strncmp(w, v, n) == 0)
			return true;
		w += len + (w[len] == '|');
	}
	return false;
}

long long parse_size(const char *s)
{
	long long whole = 0, mult = 1;
	double frac = 0, scale = 0.1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (LLONG_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	switch (*p) {
	case 'k': case 'K': mult = 1024LL; p++; break;
	case 'm': case 'M': mult = 1024LL * 1024; p++; break;
	case 'g': case 'G': mult = 1024LL * 1024 * 1024; p++; break;
	default: break;
	}
	if (mult > 1 && *p == 'i')
		p++;
	if (*p == 'B')
		p++;
	if (*p || whole > LLONG_MAX / mult / 2)
		return -1;
	return whole * mult + (long long)(frac * (double)mult);
}

/* A whole number in [min, max]; -1 when it is not one. */
static long parse_whole(const char *s, long min, long max)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || *end || v < min || v > max ? -1 : v;
}

/* Seconds up to ten years: a grace past that is a typo, and time arithmetic stays in range. */
static long parse_seconds(const char *s)
{
	return parse_whole(s, 0, 315360000L);
}

/* A count from 1 up to a million. */
static long parse_number(const char *s)
{
	return parse_whole(s, 1, 1000000L);
}

int setting_check(enum setting s, struct strbuf *err)
{
	const struct setting_info *t = &table[s];
	const char *v = env_get(t->name);
	bool ok;

	if (!v || t->type == SETTING_INTERNAL)
		return 0;
	if (str_find_control(v)) {
		sb_addf(err, "%s holds a newline or another control character; set it to a value without one", t->name);
		return -1;
	}
	switch (t->type) {
	case SETTING_CHOICE:
		ok = is_choice(t->values, v);
		if (!ok)
			sb_addf(err, "%s=%s is not %s; %s", t->name, v, t->not_what ? t->not_what : "a choice", t->fix);
		break;
	case SETTING_ABS_PATH:
		ok = v[0] == '/';
		if (!ok)
			sb_addf(err, "%s=%s is a relative path; %s (e.g. $PWD/%s)", t->name, v, t->fix, v);
		break;
	case SETTING_SIZE:
		ok = parse_size(v) >= 0;
		if (!ok)
			sb_addf(err, "%s=%s is not a size; %s", t->name, v, t->fix);
		break;
	case SETTING_URL:
		ok = (strncmp(v, "file:///", 8) == 0) || strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0 ||
		     strncmp(v, "s3://", 5) == 0;
		/* The value may hold credentials: only a scheme is printed. */
		if (!ok && strstr(v, "://") && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == (size_t)(strstr(v, "://") - v))
			sb_addf(err, "%s: %.*s:// is not a scheme cargo-pgo-wrap can use; %s", t->name,
				(int)(strstr(v, "://") - v), v, t->fix);
		else if (!ok)
			sb_addf(err, "%s is not a URL cargo-pgo-wrap can use; %s", t->name, t->fix);
		break;
	case SETTING_SECONDS:
		ok = parse_seconds(v) >= 0;
		if (!ok)
			sb_addf(err, "%s=%s is not a number of seconds; %s", t->name, v, t->fix);
		break;
	case SETTING_NUMBER:
		ok = parse_number(v) >= 0;
		if (!ok)
			sb_addf(err, "%s=%s is not a whole number from 1; %s", t->name, v, t->fix);
		break;
	default:
		ok = true;
		break;
	}
	return ok ? 0 : -1;
}

const char *setting_get(enum setting s)
{
	struct strbuf err = STRBUF_INIT;

	if (setting_check(s, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	sb_release(&err);
	return env_get(table[s].name);
}

bool setting_is(enum setting s, const char *word)
{
	const char *v = setting_get(s);
	return v && strcmp(v, word) == 0;
}

long long setting_size(enum setting s, long long fallback)
{
	const char *v = setting_get(s);
	return v ? parse_size(v) : fallback;
}

long setting_seconds(enum setting s, long fallback)
{
	const char *v = setting_get(s);
	return v ? parse_seconds(v) : fallback;
}

long setting_number(enum setting s, long fallback)
{
	const char *v = setting_get(s);
	return v ? parse_number(v) : fallback;
}

void settings_check_all(void)
{
	for (int s = 0; s < SETTING_COUNT; s++)
		(void)setting_get((enum setting)s);
}

void settings_help(struct strbuf *out)
{
	struct strbuf left = STRBUF_INIT;

	for (int s = 0; s < SETTING_COUNT; s++) {
		const struct setting_info *t = &table[s];
		if (t->type == SETTING_INTERNAL)
			continue;
		sb_reset(&left);
		sb_addf(&left, "%s=%s", t->name, t->values);
		sb_addf(out, "  %-48s %s\n", left.buf, t->doc);
	}
	sb_release(&left);
}

void settings_markdown(struct strbuf *out)
{
	for (int s = 0; s < SETTING_COUNT; s++) {
		const struct setting_info *t = &table[s];
		if (t->type == SETTING_INTERNAL) {
			sb_addf(out, "`%s`=*%s*\n: Internal: %s.\n\n", t->name, t->values, t->doc);
			continue;
		}
		sb_addf(out, "`%s`=*%s* (default: %s)\n: %c%s.\n\n", t->name, t->values, t->fallback,
			toupper((unsigned char)t->doc[0]), t->doc + 1);
	}
}
