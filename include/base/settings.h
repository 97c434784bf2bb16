/*
 * settings.h - the tool's settings: every CARGO_PGO_WRAP_* variable in one
 * table (as ccache's config table) that knows its type, default, how it is
 * checked and one line of doc. The table drives the checks (all at start,
 * one line and exit 2 for a bad value), `help` and the man page.
 * pgo-wrap.yaml's keys have their table in cycle/config.c.
 */
#ifndef PGOW_SETTINGS_H
#define PGOW_SETTINGS_H

#include <stdbool.h>

#include "base/strbuf.h"

/* The variables' names, for setenv and messages; the rows of the table below. */
#define ENV_MODE                 "CARGO_PGO_WRAP_MODE"
#define ENV_PROFILE              "CARGO_PGO_WRAP_PROFILE"
#define ENV_WHEN_NO_PROFILE      "CARGO_PGO_WRAP_WHEN_NO_PROFILE"
#define ENV_EXCLUDE              "CARGO_PGO_WRAP_EXCLUDE"
#define ENV_NEXT                 "CARGO_PGO_WRAP_NEXT"
#define ENV_CACHE                "CARGO_PGO_WRAP_CACHE"
#define ENV_CACHE_MAX            "CARGO_PGO_WRAP_CACHE_MAX"
#define ENV_GC_GRACE             "CARGO_PGO_WRAP_GC_GRACE"
#define ENV_WORKSPACE            "CARGO_PGO_WRAP_WORKSPACE"
#define ENV_JOURNAL              "CARGO_PGO_WRAP_JOURNAL"
#define ENV_LLVM_PROFDATA        "CARGO_PGO_WRAP_LLVM_PROFDATA"
#define ENV_NO_PROFILER_TARGETS  "CARGO_PGO_WRAP_NO_PROFILER_TARGETS"
#define ENV_C_PGO                "CARGO_PGO_WRAP_C"
#define ENV_SPLIT                "CARGO_PGO_WRAP_SPLIT"
#define ENV_MAX_INPUT            "CARGO_PGO_WRAP_MAX_INPUT"
#define ENV_FRONTEND             "CARGO_PGO_WRAP_FRONTEND"
#define ENV_LINK_RELOCS          "CARGO_PGO_WRAP_LINK_RELOCS"
#define ENV_CC_REAL              "CARGO_PGO_WRAP_CC"
#define ENV_CXX_REAL             "CARGO_PGO_WRAP_CXX"
#define ENV_C_DECISION           "CARGO_PGO_WRAP_C_DECISION"
#define ENV_C_STAMP              "CARGO_PGO_WRAP_C_STAMP"
#define ENV_LEASE                "CARGO_PGO_WRAP_LEASE"
#define ENV_REMOTE               "CARGO_PGO_WRAP_REMOTE"
#define ENV_REMOTE_MODE          "CARGO_PGO_WRAP_REMOTE_MODE"
#define ENV_REMOTE_REQUIRED      "CARGO_PGO_WRAP_REMOTE_REQUIRED"
#define ENV_REMOTE_TIMEOUT       "CARGO_PGO_WRAP_REMOTE_TIMEOUT"
#define ENV_REMOTE_USER          "CARGO_PGO_WRAP_REMOTE_USER"
#define ENV_REMOTE_PASSWORD      "CARGO_PGO_WRAP_REMOTE_PASSWORD"
#define ENV_REMOTE_TOKEN         "CARGO_PGO_WRAP_REMOTE_TOKEN"
#define ENV_REMOTE_KEEP          "CARGO_PGO_WRAP_REMOTE_KEEP"
#define ENV_FLEET_KEEP_DAYS      "CARGO_PGO_WRAP_FLEET_KEEP_DAYS"
#define ENV_IDENTIFY             "CARGO_PGO_WRAP_IDENTIFY"

enum setting {
	SETTING_MODE,
	SETTING_PROFILE,
	SETTING_WHEN_NO_PROFILE,
	SETTING_EXCLUDE,
	SETTING_NEXT,
	SETTING_CACHE,
	SETTING_CACHE_MAX,
	SETTING_GC_GRACE,
	SETTING_WORKSPACE,
	SETTING_JOURNAL,
	SETTING_LLVM_PROFDATA,
	SETTING_NO_PROFILER_TARGETS,
	SETTING_C,
	SETTING_SPLIT,
	SETTING_MAX_INPUT,
	SETTING_REMOTE,
	SETTING_REMOTE_MODE,
	SETTING_REMOTE_REQUIRED,
	SETTING_REMOTE_TIMEOUT,
	SETTING_REMOTE_USER,
	SETTING_REMOTE_PASSWORD,
	SETTING_REMOTE_TOKEN,
	SETTING_REMOTE_KEEP,
	SETTING_FLEET_KEEP_DAYS,
	/* Set by cargo-pgo-wrap for the processes it starts, never by users. */
	SETTING_FRONTEND,
	SETTING_LINK_RELOCS,
	SETTING_CC,
	SETTING_CXX,
	SETTING_C_DECISION,
	SETTING_C_STAMP,
	SETTING_LEASE,
	SETTING_IDENTIFY,
	SETTING_COUNT
};

enum setting_type {
	SETTING_CHOICE,     /* one of the words in values */
	SETTING_ABS_PATH,   /* an absolute path */
	SETTING_PROGRAM,    /* a program: a name looked up on PATH, or a path */
	SETTING_NAMES,      /* comma-separated crate names */
	SETTING_GLOBS,      /* comma-separated globs */
	SETTING_SIZE,       /* bytes, with K, M or G (powers of 1024) */
	SETTING_SECONDS,    /* a whole number of seconds */
	SETTING_NUMBER,     /* a whole number from 1 */
	SETTING_URL,        /* a remote's URL: file:///abs, http://, https:// (never printed: credentials) */
	SETTING_TEXT,       /* any text without control characters (never printed: secrets) */
	SETTING_INTERNAL,   /* ours: anything */
};

struct setting_info {
	const char *name;        /* CARGO_PGO_WRAP_... */
	enum setting_type type;
	const char *values;      /* CHOICE: "a|b|c"; others: what the value is, for help ("DIR") */
	const char *fallback;    /* what applies when unset, in words */
	const char *doc;         /* one line */
	const char *not_what;    /* CHOICE: "a mode" in "X=y is not a mode"; NULL: "a choice" */
	const char *fix;         /* what to do about a bad value; NULL: derived from the type */
};

/* The row of a setting. */
const struct setting_info *setting_info(enum setting s);
/* getenv() that treats an empty value as unset. */
const char *env_get(const char *name);
/*
 * The setting's value, NULL when unset (or empty). A value the table
 * refuses dies with one line and exit 2 (PGOW_EXIT_CONFIG).
 */
const char *setting_get(enum setting s);
/* Whether the setting is set to this word (a CHOICE). */
bool setting_is(enum setting s, const char *word);
/* A SIZE setting in bytes; fallback when unset. */
long long setting_size(enum setting s, long long fallback);
/* A SECONDS setting; fallback when unset. */
long setting_seconds(enum setting s, long fallback);
/* A NUMBER setting; fallback when unset. */
long setting_number(enum setting s, long fallback);
/* Checks one setting's value; -1 with "NAME=VALUE is not ...; fix" in err. */
int setting_check(enum setting s, struct strbuf *err);
/* Checks every setting in the environment, at start: the first bad one dies (exit 2). */
void settings_check_all(void);
/* Parses a size ("500M", "2G", "1.5GiB", "4096"); -1 when it is not one. */
long long parse_size(const char *s);
/* Help's environment lines: "  NAME=VALUES  doc", the settings users set. */
void settings_help(struct strbuf *out);
/* The man page's ENVIRONMENT entries, in the markdown subset doc/man renders. */
void settings_markdown(struct strbuf *out);

#endif
