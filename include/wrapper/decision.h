/*
 * decision.h - what PGO flag a build should get: instrument, use a profile,
 * or nothing. For now the decision comes from the environment
 * (CARGO_PGO_WRAP_MODE + CARGO_PGO_WRAP_PROFILE); the cache replaces that.
 */
#ifndef PGOW_DECISION_H
#define PGOW_DECISION_H

#include <stdbool.h>

#include "base/strbuf.h"

/* PGO_AUTO: no override in the environment; the slot's cached profile decides. */
enum pgo_mode { PGO_OFF, PGO_GENERATE, PGO_USE, PGO_AUTO };

struct decision {
	enum pgo_mode mode;
	char *path;         /* generate: dir for .profraw; use: .profdata file */
	bool automatic;     /* generating only because no profile exists yet (opt-in) */
	/* use, split per crate: path is the split's dir; the unit is given its crate's file. */
	char *unit_file;
	char *unit_detail;  /* "<file>#<hash>", what the unit's mark records */
};

/* -1 with a one-line explanation and fix in err when the environment is bad. */
int decision_from_env(struct decision *d, struct strbuf *err);
void decision_release(struct decision *d);
const char *pgo_mode_name(enum pgo_mode m);
/* A stable text naming the decision; the slot STAMP records it. */
void decision_id(const struct decision *d, struct strbuf *out);
/* The environment variables the decision reads, for cargo's env-dep tracking. */
extern const char *const decision_env_vars[];
/* CARGO_PGO_WRAP_EXCLUDE names this crate or package (foo-bar and foo_bar are one). */
bool decision_excludes(const char *name);

#endif
