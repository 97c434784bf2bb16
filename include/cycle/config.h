/*
 * config.h - pgo-wrap.yaml: where the cache and llvm-profdata are, what to
 * do with stale profiles, which crates to leave alone, and the training
 * workload. Parsed strictly: any unknown key or wrong type is an error at
 * file:line:col, and nothing runs.
 */
#ifndef PGOW_CONFIG_H
#define PGOW_CONFIG_H

#include <stdbool.h>

#include "base/strbuf.h"

enum stale_policy { STALE_REFRESH, STALE_USE, STALE_PLAIN, STALE_ERROR };

struct training_run {
	char *name;
	struct strvec argv;     /* run: [...] (placeholders expanded later) */
	char *shell;            /* shell: "..." when the user writes one */
	struct strvec env;      /* KEY=VALUE */
	long timeout;           /* seconds; 0 = none */
	bool allow_failure;
	long weight;            /* llvm-profdata --weighted-input weight, >= 1 */
	char *where;            /* file:line:col of the entry, for messages */
};

/* bolt-field: the field's perf samples with the training's BOLT profile, alone, or not at all. */
enum bolt_field { BOLT_FIELD_WITH, BOLT_FIELD_INSTEAD, BOLT_FIELD_OFF };

struct config {
	char *path;             /* the file read, or NULL for defaults */
	enum stale_policy stale_policy;
	double stale_threshold; /* share of counts in stale crates that triggers the policy */
	double drift_threshold; /* overlap with the replaced profile below which a fleet merge warns */
	bool bolt;              /* bolt: on: a BOLT stage after the optimised build */
	double bolt_min_gain;   /* bolt-min-gain: the BOLTed programs ship only if this much faster */
	long bolt_rounds;       /* bolt-rounds: timed rounds of the training per variant */
	bool bolt_perf;         /* bolt-profile: perf (sampled by perf record, read by perf2bolt) */
	bool bolt_bat;          /* bolt-bat: on: BOLT Address Translation in the BOLTed programs */
	enum bolt_field bolt_field; /* bolt-field: what BOLT does with the field's perf samples */
	struct training_run *runs;
	size_t nruns;
	struct strvec bins;     /* "NAME\tfile:line:col" of every {bin:NAME} the training uses */
};

void config_defaults(struct config *c);
/* Reads path over the defaults; -1 with "path:line:col: problem; fix" in err. */
int config_read(struct config *c, const char *path, struct strbuf *err);
/*
 * Finds and reads the config: explicit (--config) if given, else
 * <workspace>/pgo-wrap.yaml, else ${XDG_CONFIG_HOME:-~/.config}/cargo-pgo-wrap/config.yaml,
 * else defaults. Returns 0 or -1 with err.
 */
int config_load(struct config *c, const char *explicit_path, const char *workspace, struct strbuf *err);
void config_release(struct config *c);
/*
 * A hash of what the training runs (commands, environment, weights): a
 * profile collected by other training is stale. NULL when none is configured.
 */
char *config_training_id(const struct config *c);
/*
 * Whether the training runs only programs it names: every run starts a
 * {bin:NAME} itself (no shell, no cargo, no other program that could start
 * any program). The crate names of every {bin:NAME} its runs name (the
 * programs started, and those given to them), sorted, are then in names.
 */
bool config_trained_programs(const struct config *c, struct strvec *names);
const char *stale_policy_name(enum stale_policy p);
/* The man page's entries for pgo-wrap.yaml's keys (top) and a training run's (run), from the key tables. */
void config_keys_markdown(struct strbuf *top, struct strbuf *run);

#endif
