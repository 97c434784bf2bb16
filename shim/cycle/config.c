/*
 * config.c - pgo-wrap.yaml (see include/cycle/config.h). Training runs are argv
 * arrays; a shell is used only for an explicit `shell:` string.
 */
#include "cycle/config.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/yamldoc.h"
#include "cycle/placeholders.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const policy_names[] = {
	[STALE_REFRESH] = "refresh", [STALE_USE] = "use-stale",
	[STALE_PLAIN] = "plain", [STALE_ERROR] = "error",
};

const char *stale_policy_name(enum stale_policy p)
{
	return policy_names[p];
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->stale_policy = STALE_USE;
	c->stale_threshold = 0.0;
	c->drift_threshold = 0.0;
	c->bolt_min_gain = 0.01;
	c->bolt_rounds = 5;
}

static int read_string(struct ydoc *d, yaml_node_t *v, const char *key, char **out, struct strbuf *err)
{
	const char *s;
	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int read_string_list(struct ydoc *d, yaml_node_t *v, const char *key, struct strvec *out,
			    struct strbuf *err)
{
	if (ydoc_expect_seq(d, v, key, err) != 0)
		return -1;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		const char *s;
		if (ydoc_string(d, ydoc_node(d, *i), "each entry", &s, err) != 0)
			return -1;
		sv_push(out, s);
	}
	return 0;
}

static int unknown_key(struct ydoc *d, yaml_node_pair_t *p, const char *key, const char *where,
		       const char *known, struct strbuf *err)
{
	ydoc_where(d, ydoc_node(d, p->key), err);
	sb_addf(err, "unknown key '%s' in %s; expected one of: %s", key, where, known);
	return -1;
}

/* A key given twice: YAML keeps the last silently, which hides the first. */
static bool given_before(struct ydoc *d, yaml_node_t *map, yaml_node_pair_t *at, const char *key, struct strbuf *err)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < at; p++) {
		const char *k;
		struct strbuf ignored = STRBUF_INIT;
		bool same = ydoc_key(d, p, &k, &ignored) == 0 && strcmp(k, key) == 0;
		sb_release(&ignored);
		if (same) {
			ydoc_where(d, ydoc_node(d, at->key), err);
			sb_addf(err, "'%s' is given twice (also above); keep one", key);
			return true;
		}
	}
	return false;
}

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))
static void key_names(struct strbuf *out, const char *const *first, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++)
		sb_addf(out, "%s%s", i ? ", " : "", *(const char *const *)((const char *)first + i * stride));
}

static const struct run_key {
	const char *key;
	const char *values;
	const char *fallback;
	const char *doc;
} run_keys[] = {
	{ "name", "TEXT", "`shell:` and the command, or `run N:` and the first argument",
	  "shown in progress lines and errors" },
	{ "run", "[ARGV...]", "none", "the command as a list of arguments: no shell is involved (a string is an "
	  "error that suggests `shell`); exactly one of `run` and `shell` is given" },
	{ "shell", "TEXT", "none", "the command as one string for `/bin/sh -c`, the only way a shell runs; "
	  "placeholders in it are single-quoted" },
	{ "env", "map", "none", "variables added to the run's environment (names of letters, digits and _); "
	  "values may hold placeholders" },
	{ "timeout", "SECONDS", "0, none", "past it the run's whole process group is killed" },
	{ "allow-failure", "true|false", "false: the run fails `build`, exit 6",
	  "true: a non-zero exit status still keeps the profiles the run wrote" },
	{ "weight", "N", "1", "the run's profiles count that many times in the merge "
	  "(`llvm-profdata --weighted-input`), 1 or more" },
};

static bool is_variable_name(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

static int read_env(struct ydoc *d, yaml_node_t *v, struct strvec *env, struct strbuf *err)
{
	if (ydoc_expect_map(d, v, "env", err) != 0)
		return -1;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *k, *val;
		if (ydoc_key(d, p, &k, err) != 0 || ydoc_string(d, ydoc_node(d, p->value), k, &val, err) != 0)
			return -1;
		if (!is_variable_name(k)) {
			ydoc_where(d, ydoc_node(d, p->key), err);
			sb_addf(err, "env key '%s' is not a variable name; use letters, digits and _ (not starting "
				"with a digit)", k);
			return -1;
		}
		sv_pushf(env, "%s=%s", k, val);
	}
	return 0;
}

/* Placeholders are checked where they are written, before anything is built. */
static int check_placeholders(struct config *c, struct ydoc *d, yaml_node_t *v, const char *s,
			      struct strbuf *err)
{
	struct strvec bins = STRVEC_INIT;
	struct strbuf why = STRBUF_INIT, where = STRBUF_INIT;
	int rc = placeholder_check(s, &bins, &why);

	ydoc_where(d, v, &where);
	if (rc != 0)
		sb_addf(err, "%s%s", where.buf, why.buf);
	sb_setlen(&where, where.len >= 2 ? where.len - 2 : 0); /* drop ": " */
	for (size_t i = 0; rc == 0 && i < bins.n; i++)
		sv_pushf(&c->bins, "%s\t%s", bins.v[i], where.buf);
	sv_release(&bins);
	sb_release(&why);
	sb_release(&where);
	return rc;
}

static int check_list(struct config *c, struct ydoc *d, yaml_node_t *v, struct strbuf *err)
{
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = ydoc_node(d, *i);
		if (n->type == YAML_SCALAR_NODE &&
		    check_placeholders(c, d, n, (const char *)n->data.scalar.value, err) != 0)
			return -1;
	}
	return 0;
}

static int read_run_field(struct config *c, struct training_run *r, struct ydoc *d, yaml_node_pair_t *p,
			  const char *key, struct strbuf *err)
{
	yaml_node_t *v = ydoc_node(d, p->value);

	if (strcmp(key, "name") == 0)
		return read_string(d, v, key, &r->name, err);
	if (strcmp(key, "run") == 0) {
		if (v->type == YAML_SCALAR_NODE) {
			ydoc_where(d, v, err);
			sb_adds(err, "run must be a list of arguments, e.g. run: [\"{bin:app}\", \"--bench\"]; "
				"to use a shell, write shell: \"...\" instead");
			return -1;
		}
		if (read_string_list(d, v, key, &r->argv, err) != 0)
			return -1;
		return check_list(c, d, v, err);
	}
	if (strcmp(key, "shell") == 0)
		return read_string(d, v, key, &r->shell, err) != 0 ? -1
			: check_placeholders(c, d, v, r->shell, err);
	if (strcmp(key, "env") == 0) {
		if (read_env(d, v, &r->env, err) != 0)
			return -1;
		for (yaml_node_pair_t *e = v->data.mapping.pairs.start; e < v->data.mapping.pairs.top; e++) {
			yaml_node_t *val = ydoc_node(d, e->value);
			if (check_placeholders(c, d, val, (const char *)val->data.scalar.value, err) != 0)
				return -1;
		}
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		if (ydoc_long(d, v, key, &r->timeout, err) != 0)
			return -1;
		if (r->timeout < 0) {
			ydoc_where(d, v, err);
			sb_adds(err, "timeout must be 0 (none) or a number of seconds");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "allow-failure") == 0)
		return ydoc_bool(d, v, key, &r->allow_failure, err);
	if (strcmp(key, "weight") == 0) {
		if (ydoc_long(d, v, key, &r->weight, err) != 0)
			return -1;
		if (r->weight < 1) {
			ydoc_where(d, v, err);
			sb_adds(err, "weight must be 1 or more");
			return -1;
		}
		return 0;
	}
	struct strbuf known = STRBUF_INIT;
	key_names(&known, &run_keys[0].key, NKEYS(run_keys), sizeof(run_keys[0]));
	int rc = unknown_key(d, p, key, "a training run", known.buf, err);
	sb_release(&known);
	return rc;
}

static int read_run(struct config *c, struct ydoc *d, yaml_node_t *n, struct strbuf *err)
{
	if (ydoc_expect_map(d, n, "a training run", err) != 0)
		return -1;
	c->runs = xrealloc(c->runs, (c->nruns + 1) * sizeof(*c->runs));
	struct training_run *r = &c->runs[c->nruns++];
	memset(r, 0, sizeof(*r));
	r->weight = 1;
	struct strbuf where = STRBUF_INIT;
	ydoc_where(d, n, &where);
	sb_setlen(&where, where.len - 2); /* drop ": " */
	r->where = sb_detach(&where);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key;
		if (ydoc_key(d, p, &key, err) != 0 || given_before(d, n, p, key, err) ||
		    read_run_field(c, r, d, p, key, err) != 0)
			return -1;
	}
	if (!r->argv.n == !r->shell) {
		ydoc_where(d, n, err);
		sb_adds(err, r->shell ? "a training run has both run: and shell:; keep one"
				      : "a training run needs run: [argv...] (or shell: \"...\")");
		return -1;
	}
	if (r->timeout < 0) {
		ydoc_where(d, n, err);
		sb_adds(err, "timeout must be 0 (none) or a number of seconds");
		return -1;
	}
	return 0;
}

static int read_policy(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	const char *s;

	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (strcmp(s, policy_names[i]) == 0) {
			c->stale_policy = (enum stale_policy)i;
			return 0;
		}
	}
	ydoc_where(d, v, err);
	sb_addf(err, "stale-policy '%s' is not one of refresh, use-stale, plain, error", s);
	return -1;
}

/*
 * The number under key within lo..hi (the ends excluded when open; whole
 * numbers only when whole), written so that NaN is never within. -1 with
 * "file:line:col: key must be what, not 'x'".
 */
static int read_number(struct ydoc *d, yaml_node_t *v, const char *key, double lo, double hi, bool open,
		       bool whole, const char *what, double *out, struct strbuf *err)
{
	const char *s;
	char *end;

	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	errno = 0;
	double x = strtod(s, &end);
	bool within = open ? x > lo && x < hi : x >= lo && x <= hi;
	if (!*s || *end || errno || !within || (whole && x != (double)(long)x)) {
		ydoc_where(d, v, err);
		sb_addf(err, "%s must be %s, not '%s'", key, what, s);
		return -1;
	}
	*out = x;
	return 0;
}

static int read_threshold(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	return read_number(d, v, key, 0, 1, false, false, "a fraction from 0 to 1 (e.g. 0.2)",
			   &c->stale_threshold, err);
}

static int read_drift_threshold(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	return read_number(d, v, key, 0, 1, false, false, "a fraction from 0 to 1 (e.g. 0.8)", &c->drift_threshold,
			   err);
}

/* bolt and bolt-bat: on or off, in YAML's own booleans, in any case. */
static int read_bolt(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	static const char *const yes[] = { "on", "true", "yes" }, *const no[] = { "off", "false", "no" };
	bool *out = strcmp(key, "bolt-bat") == 0 ? &c->bolt_bat : &c->bolt;
	const char *s;

	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	ydoc_where(d, v, err);
	sb_addf(err, "%s must be on or off (or true/false, yes/no), not '%s'", key, s);
	return -1;
}

static int read_bolt_field(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	static const char *const names[] = { [BOLT_FIELD_WITH] = "with", [BOLT_FIELD_INSTEAD] = "instead",
					     [BOLT_FIELD_OFF] = "off" };
	const char *s;

	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			c->bolt_field = (enum bolt_field)i;
			return 0;
		}
	ydoc_where(d, v, err);
	sb_addf(err, "bolt-field must be with, instead or off, not '%s'", s);
	return -1;
}

static int read_bolt_profile(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	const char *s;

	if (ydoc_string(d, v, key, &s, err) != 0)
		return -1;
	if (strcmp(s, "instrument") != 0 && strcmp(s, "perf") != 0) {
		ydoc_where(d, v, err);
		sb_addf(err, "bolt-profile must be instrument or perf, not '%s'", s);
		return -1;
	}
	c->bolt_perf = strcmp(s, "perf") == 0;
	return 0;
}

static int read_bolt_number(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	double rounds;

	if (strcmp(key, "bolt-min-gain") == 0)
		return read_number(d, v, key, -1, 1, true, false,
				   "a fraction above -1 and below 1 (0.01: 1 % faster)", &c->bolt_min_gain, err);
	if (read_number(d, v, key, 1, 1000, false, true, "a whole number from 1 to 1000", &rounds, err) != 0)
		return -1;
	c->bolt_rounds = (long)rounds;
	return 0;
}

/*
 * Settings the wrapper needs in every rustc it wraps are environment
 * variables only: a RUSTC_WRAPPER build or the cargo shim never reads
 * pgo-wrap.yaml, so a key here would mean one thing for `build` and
 * another for them.
 */
static bool env_only_key(struct ydoc *d, yaml_node_pair_t *p, const char *key, struct strbuf *err)
{
	static const char *const keys[][2] = {
		{ "cache", ENV_CACHE }, { "exclude", ENV_EXCLUDE },
		{ "next-wrapper", ENV_NEXT }, { "llvm-profdata", ENV_LLVM_PROFDATA },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i][0]) == 0 || strcmp(key, keys[i][1]) == 0) {
			ydoc_where(d, ydoc_node(d, p->key), err);
			sb_addf(err, "'%s' is not a pgo-wrap.yaml key: every way of building (build, "
				"RUSTC_WRAPPER, the cargo shim, merge) must agree on it, so set %s in the "
				"environment instead", key, keys[i][1]);
			return true;
		}
	}
	return false;
}

static int read_training(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err)
{
	if (ydoc_expect_seq(d, v, key, err) != 0)
		return -1;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
		if (read_run(c, d, ydoc_node(d, *i), err) != 0)
			return -1;
	return 0;
}

/*
 * pgo-wrap.yaml's keys: each with what it takes, what applies without it,
 * one line of doc and its reader. Parsing, the unknown-key message and the
 * man page pgo-wrap.yaml(5) all read this table.
 */
static const struct config_key {
	const char *key;
	const char *values;
	const char *fallback;
	const char *doc;
	int (*read)(struct config *c, struct ydoc *d, yaml_node_t *v, const char *key, struct strbuf *err);
} top_keys[] = {
	{ "stale-policy", "refresh|use-stale|plain|error", "use-stale",
	  "what `build` does when sources changed since the profile was collected", read_policy },
	{ "stale-threshold", "FRACTION", "0",
	  "the share of the profile's counts in changed crates above which the policy applies (a changed "
	  "library's share includes its generics compiled into unchanged units)", read_threshold },
	{ "drift-threshold", "FRACTION", "0",
	  "the overlap (llvm-profdata's) below which `merge --remote` warns that the fleet's profile drifted "
	  "from the one it replaces (an error, exit 7, under stale-policy: error)", read_drift_threshold },
	{ "training", "list of runs", "none: `build` says what to run by hand",
	  "the workload that exercises the instrumented binaries (see TRAINING RUNS)", read_training },
	{ "bolt", "on|off", "off", "a BOLT stage after the optimised build, kept only if it measures faster",
	  read_bolt },
	{ "bolt-profile", "instrument|perf", "instrument",
	  "how BOLT's profile is collected: llvm-bolt's instrumentation, or perf samples", read_bolt_profile },
	{ "bolt-min-gain", "FRACTION", "0.01",
	  "how much faster the BOLTed programs must measure to ship (0.01: 1 %)", read_bolt_number },
	{ "bolt-rounds", "N", "5", "timed rounds of the training per variant when BOLT's result is measured",
	  read_bolt_number },
	{ "bolt-bat", "on|off", "off",
	  "BOLT Address Translation in the BOLTed programs (llvm-bolt --enable-bat), so that `perf record` of a "
	  "deployed one, sent with `upload --perf`, becomes BOLT's profile of the program it was made from",
	  read_bolt },
	{ "bolt-field", "with|instead|off", "with",
	  "what the BOLT stage does with the field's perf samples that `merge --remote` converted: adds them to "
	  "the training's profile, uses them alone (no BOLT training run), or ignores them", read_bolt_field },
};


static int read_top(struct config *c, struct ydoc *d, yaml_node_pair_t *p, const char *key,
		    struct strbuf *err)
{
	struct strbuf known = STRBUF_INIT;

	if (env_only_key(d, p, key, err))
		return -1;
	for (size_t i = 0; i < NKEYS(top_keys); i++)
		if (strcmp(key, top_keys[i].key) == 0)
			return top_keys[i].read(c, d, ydoc_node(d, p->value), key, err);
	key_names(&known, &top_keys[0].key, NKEYS(top_keys), sizeof(top_keys[0]));
	int rc = unknown_key(d, p, key, "pgo-wrap.yaml", known.buf, err);
	sb_release(&known);
	return rc;
}

static void markdown_rows(struct strbuf *out, const char *const *first, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *row = (const char *const *)((const char *)first + i * stride);
		sb_addf(out, "`%s`: *%s* (default: %s)\n: %c%s.\n\n", row[0], row[1], row[2],
			toupper((unsigned char)row[3][0]), row[3] + 1);
	}
}

void config_keys_markdown(struct strbuf *top, struct strbuf *run)
{
	markdown_rows(top, &top_keys[0].key, NKEYS(top_keys), sizeof(top_keys[0]));
	markdown_rows(run, &run_keys[0].key, NKEYS(run_keys), sizeof(run_keys[0]));
}

int config_read(struct config *c, const char *path, struct strbuf *err)
{
	struct ydoc d;
	int rc = -1;
	size_t err_len = err->len;

	int loaded = ydoc_load(&d, path, err);
	if (loaded != 0 && d.empty) {
		/* An empty pgo-wrap.yaml (or one with only comments) means: all defaults. */
		sb_setlen(err, err_len);
		rc = 0;
	} else if (loaded == 0 && ydoc_expect_map(&d, ydoc_root(&d), "the top level", err) == 0) {
		yaml_node_t *root = ydoc_root(&d);
		rc = 0;
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; rc == 0 && p < root->data.mapping.pairs.top; p++) {
			const char *key;
			rc = ydoc_key(&d, p, &key, err) == 0 && !given_before(&d, root, p, key, err) &&
					     read_top(c, &d, p, key, err) == 0 ? 0 : -1;
		}
	}
	if (rc == 0) {
		free(c->path);
		c->path = xstrdup(path);
	}
	ydoc_release(&d);
	return rc;
}

int config_load(struct config *c, const char *explicit_path, const char *workspace, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	config_defaults(c);
	if (explicit_path) {
		rc = config_read(c, explicit_path, err);
		goto out;
	}
	if (workspace) {
		path_join(&path, workspace, "pgo-wrap.yaml");
		if (file_exists(path.buf)) {
			rc = config_read(c, path.buf, err);
			goto out;
		}
	}
	sb_reset(&path);
	const char *xdg = env_get("XDG_CONFIG_HOME"), *home = env_get("HOME");
	if (xdg)
		path_join(&path, xdg, "cargo-pgo-wrap/config.yaml");
	else if (home)
		path_join(&path, home, ".config/cargo-pgo-wrap/config.yaml");
	if (path.len && file_exists(path.buf))
		rc = config_read(c, path.buf, err);
out:
	sb_release(&path);
	return rc;
}

void config_release(struct config *c)
{
	for (size_t i = 0; i < c->nruns; i++) {
		struct training_run *r = &c->runs[i];
		free(r->name);
		sv_release(&r->argv);
		free(r->shell);
		sv_release(&r->env);
		free(r->where);
	}
	free(c->runs);
	sv_release(&c->bins);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/* Whether arg is "{bin:NAME}" and nothing else. */
static bool is_bin_placeholder(const char *arg)
{
	struct strvec bins = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t len = strlen(arg);
	bool whole = strncmp(arg, "{bin:", 5) == 0 && len > 6 && arg[len - 1] == '}' &&
		     placeholder_check(arg, &bins, &err) == 0 && bins.n == 1 && strlen(bins.v[0]) == len - 6;
	sv_release(&bins);
	sb_release(&err);
	return whole;
}

bool config_trained_programs(const struct config *c, struct strvec *names)
{
	for (size_t i = 0; i < c->nruns; i++)
		if (c->runs[i].shell || !c->runs[i].argv.n || !is_bin_placeholder(c->runs[i].argv.v[0]))
			return false;
	/* Every {bin:NAME} the runs name, as a unit's crate name: cargo turns a target's '-' into '_'. */
	for (size_t i = 0; i < c->bins.n; i++) {
		struct strbuf crate = STRBUF_INIT;
		for (const char *p = c->bins.v[i]; *p && *p != '\t'; p++)
			sb_addch(&crate, *p == '-' ? '_' : *p);
		sv_push(names, crate.buf);
		sb_release(&crate);
	}
	sv_sort_unique(names);
	return c->nruns > 0;
}

char *config_training_id(const struct config *c)
{
	char hex[HASH_HEX_LEN + 1];

	if (!c->nruns)
		return NULL;
	struct hasher *h = hasher_new();
	hasher_add_str(h, "training-v1");
	for (size_t i = 0; i < c->nruns; i++) {
		const struct training_run *r = &c->runs[i];
		hasher_add_str(h, r->shell ? r->shell : "");
		for (size_t a = 0; a < r->argv.n; a++)
			hasher_add_str(h, r->argv.v[a]);
		hasher_add_str(h, "\x01env");
		for (size_t e = 0; e < r->env.n; e++)
			hasher_add_str(h, r->env.v[e]);
		struct strbuf w = STRBUF_INIT;
		sb_addf(&w, "%ld", r->weight);
		hasher_add_str(h, w.buf);
		sb_release(&w);
	}
	hasher_hex(h, hex);
	hasher_free(h);
	return xstrdup(hex);
}
