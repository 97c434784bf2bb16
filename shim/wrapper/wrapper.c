/*
 * wrapper.c - the per-invocation PGO decision (see include/wrapper/wrapper.h).
 * Anything that must not be instrumented is exec'd untouched, so probes
 * stay byte-identical and cost nothing. Eligible units run under fork+wait
 * because their dep-info must learn about our STAMP and env vars before
 * cargo reads it; otherwise cargo would reuse them after the decision flips.
 */
#include "wrapper/wrapper.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/depinfo.h"
#include "formats/rustc_args.h"
#include "store/buildlease.h"
#include "store/cache.h"
#include "store/journal.h"
#include "store/profile.h"
#include "store/provenance.h"
#include "store/report.h"
#include "store/slot.h"
#include "store/split.h"
#include "store/toolchain.h"
#include "store/unitkey.h"
#include "store/unitnames.h"
#include "wrapper/decision.h"
#include "wrapper/incremental.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum eligibility {
	V_PROBE,
	V_NESTED,
	V_BUILD_SCRIPT,
	V_PROC_MACRO,
	V_NO_CODEGEN,
	V_OPT_LEVEL_0,
	V_NO_PROFILER,
	V_USER_PGO_FLAG,
	V_EXCLUDED,
	V_ELIGIBLE,
};

static const char *const eligibility_names[] = {
	[V_PROBE] = "probe",
	[V_NESTED] = "nested-build",
	[V_BUILD_SCRIPT] = "build-script",
	[V_PROC_MACRO] = "proc-macro",
	[V_NO_CODEGEN] = "no-codegen",
	[V_OPT_LEVEL_0] = "opt-level-0",
	[V_NO_PROFILER] = "no-profiler-runtime",
	[V_USER_PGO_FLAG] = "user-pgo-flag",
	[V_EXCLUDED] = "excluded",
	[V_ELIGIBLE] = "eligible",
};

/*
 * Targets that ship no profiler_builtins in rustup's std. Extend with
 * CARGO_PGO_WRAP_NO_PROFILER_TARGETS (comma-separated globs).
 */
static const char *const no_profiler_targets[] = {
	"wasm32*", "wasm64*", "*-none", "*-none-*", "nvptx*", "bpf*", "avr-*",
	"*-uefi", "spirv*", "*-cuda", "*-psp", "*.json", NULL,
};

/* The chain we exec: [next wrapper] program [workspace-wrapper's rustc]. */
struct chain {
	struct strvec cmd;
	int nargs;            /* argv entries after the program words */
	char **args;
};

static bool is_rustc_name(const char *p)
{
	const char *base = path_basename(p);
	return strncmp(base, "rustc", 5) == 0 || strcmp(base, "clippy-driver") == 0;
}

bool wrapper_looks_like_rustc_call(int argc, char **argv)
{
	return argc >= 2 && argv[1][0] != '-' && (strchr(argv[1], '/') || is_rustc_name(argv[1]));
}

void wrapper_install(const char *self)
{
	const char *wrapper = env_get("RUSTC_WRAPPER");

	if (wrapper && !same_file(wrapper, self) && strcmp(path_basename(wrapper), "cargo-pgo-wrap") != 0 &&
	    !setting_get(SETTING_NEXT))
		setenv(ENV_NEXT, wrapper, 1);
	setenv("RUSTC_WRAPPER", self, 1);
}

static void build_chain(struct chain *l, int argc, char **argv)
{
	const char *next = setting_get(SETTING_NEXT);
	int words = 1;

	memset(l, 0, sizeof(*l));
	/* RUSTC_WORKSPACE_WRAPPER puts its own program before rustc. */
	if (argc > 2 && argv[2][0] != '-' && is_rustc_name(argv[2]) && !strstr(argv[2], ".rs"))
		words = 2;
	if (next) {
		char *resolved = find_in_path(next);
		char *self = self_exe_path();
		if (!resolved)
			die(PGOW_EXIT_CONFIG, "CARGO_PGO_WRAP_NEXT=%s is not an executable on PATH; "
			    "install it or unset CARGO_PGO_WRAP_NEXT", next);
		if (same_file(resolved, self))
			die(PGOW_EXIT_CONFIG, "CARGO_PGO_WRAP_NEXT=%s is cargo-pgo-wrap itself, which "
			    "would loop; point it at the wrapper to run after us (e.g. sccache)", next);
		sv_push(&l->cmd, resolved);
		free(resolved);
		free(self);
	}
	sv_pushv(&l->cmd, argv + 1, (size_t)words);
	l->nargs = argc - 1 - words;
	l->args = argv + 1 + words;
}

static _Noreturn void pass_through(struct chain *l)
{
	sv_pushv(&l->cmd, l->args, (size_t)l->nargs);
	exec_or_die(l->cmd.v);
}

static bool target_matches_list(const char *target, const char *const *globs)
{
	for (; *globs; globs++)
		if (fnmatch(*globs, target, 0) == 0)
			return true;
	return false;
}

static bool target_denied_by_env(const char *target)
{
	const char *extra = setting_get(SETTING_NO_PROFILER_TARGETS);
	struct strvec globs = STRVEC_INIT;
	bool denied = false;

	if (extra) {
		sv_split(&globs, extra, ',');
		denied = target_matches_list(target, (const char *const *)globs.v);
		sv_release(&globs);
	}
	return denied;
}

static bool target_has_profiler(const struct rustc_args *a, const char *rustc)
{
	if (!a->target)
		return true; /* rustup's host toolchains all ship the profiler runtime */
	if (target_matches_list(a->target, no_profiler_targets) || target_denied_by_env(a->target))
		return false;
	struct strbuf sysroot = STRBUF_INIT;
	if (a->sysroot) {
		sb_adds(&sysroot, a->sysroot);
	} else {
		char *real = realpath(rustc, NULL);
		if (real) {
			struct strbuf bin = STRBUF_INIT;
			path_dirname(&bin, real);
			path_dirname(&sysroot, bin.buf);
			sb_release(&bin);
			free(real);
		}
	}
	int has = sysroot.len ? toolchain_has_profiler(sysroot.buf, a->target) : -1;
	sb_release(&sysroot);
	return has != 0;
}

/*
 * Cargo gives HOST, TARGET, NUM_JOBS and OPT_LEVEL to build scripts only, never
 * to rustc. Seeing them all means a cargo started by a build script (such as
 * substrate-wasm-builder's runtime build) is compiling: its output is neither
 * shipped nor profiled, so it is left alone, whatever its target.
 */
static bool inside_build_script(void)
{
	return getenv("HOST") && getenv("TARGET") && getenv("NUM_JOBS") && getenv("OPT_LEVEL");
}

static enum eligibility classify(const struct rustc_args *a, const char *rustc)
{
	if (rustc_args_is_probe(a))
		return V_PROBE;
	if (inside_build_script())
		return V_NESTED;
	if (rustc_args_is_build_script(a))
		return V_BUILD_SCRIPT;
	if (a->crate_types & CT_PROC_MACRO)
		return V_PROC_MACRO;
	if (!rustc_args_does_codegen(a))
		return V_NO_CODEGEN;
	if (!rustc_args_optimizes(a))
		return V_OPT_LEVEL_0;
	if (!target_has_profiler(a, rustc))
		return V_NO_PROFILER;
	if (a->profile_generate || a->profile_use)
		return V_USER_PGO_FLAG;
	if (decision_excludes(a->crate_name))
		return V_EXCLUDED;
	return V_ELIGIBLE;
}

static void record_skip(const struct rustc_args *a, enum eligibility v)
{
	if (v == V_USER_PGO_FLAG)
		warn_once_per_run("user-pgo-flag",
				  "this build already passes -Cprofile-%s (from RUSTFLAGS or cargo config); "
				  "cargo-pgo-wrap leaves those crates alone; remove the flag to let it manage PGO",
				  a->profile_use ? "use" : "generate");
	journal_record(a, "skip", eligibility_names[v], NULL, 0);
}

/* The profile file rustc is given: the crate's own when the profile is split. */
static const char *unit_profile(const struct decision *d)
{
	return d->unit_file ? d->unit_file : d->path;
}

/*
 * What names the bytes of the profile the unit is given: a part's recorded
 * hash, a stored profile's content key (its file name), else a digest of the
 * file (CARGO_PGO_WRAP_PROFILE, whose bytes may change under one name).
 */
static int profile_id(const struct decision *d, bool from_cache, struct strbuf *out)
{
	const char *part_hash = d->unit_detail ? strrchr(d->unit_detail, '#') : NULL;
	char digest[HASH_HEX_LEN + 1];

	if (part_hash) {
		sb_adds(out, part_hash + 1);
	} else if (from_cache) {
		profile_key_of(d->path, out);
	} else {
		if (hash_file_hex(d->path, digest) != 0)
			return -1;
		sb_adds(out, digest);
	}
	return 0;
}

/*
 * A unit cargo compiles incrementally gets a dir of its own per profile
 * (incremental.h). A profile that cannot be read is rustc's to report.
 */
static void use_incremental_dir_of_profile(struct strvec *cmd, const struct rustc_args *a,
					   const struct decision *d, bool from_cache)
{
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;

	if (incremental_wanted(a) && profile_id(d, from_cache, &id) == 0 &&
	    incremental_per_profile(cmd, a, id.buf, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s; rustc would reuse code compiled with another profile, so "
		    "the build is stopped", err.buf);
	sb_release(&id);
	sb_release(&err);
}

/* The flag to add, or NULL; *action names what was done, for the journal. */
static char *injected_flag(const struct decision *d, const char **action)
{
	*action = "plain";
	if (d->mode == PGO_GENERATE) {
		*action = "generate";
		struct strbuf f = STRBUF_INIT;
		sb_addf(&f, "-Cprofile-generate=%s", d->path);
		return sb_detach(&f);
	}
	if (d->mode == PGO_USE) {
		const char *file = unit_profile(d);
		if (!file_exists(file)) {
			warn_once_per_run("missing-profile",
					  "profile %s does not exist; building WITHOUT PGO; "
					  "merge one there (llvm-profdata merge -o %s ...) and rebuild",
					  file, file);
			return NULL;
		}
		*action = "use";
		struct strbuf f = STRBUF_INIT;
		sb_addf(&f, "-Cprofile-use=%s", file);
		return sb_detach(&f);
	}
	return NULL;
}

/*
 * A rewritten stamp is dated at cargo's start: older than every unit this
 * cargo run compiles, newer than every unit an earlier run left behind.
 */
static void cargo_start_time(struct timespec *out)
{
	if (parent_start_time(out) != 0 && clock_gettime(CLOCK_REALTIME, out) != 0)
		die(PGOW_EXIT_INTERNAL, "clock_gettime failed");
}

static int stamp_current_decision(const struct slot *slot, const struct decision *d,
				  struct strbuf *stamp, struct strbuf *err)
{
	struct strbuf id = STRBUF_INIT;

	decision_id(d, &id);
	int rc = stamp_build_sync(slot->dir.buf, slot->build_dir.buf, id.buf, cargo_start_time, stamp, err);
	sb_release(&id);
	return rc;
}

/* A profile split per crate: the stamp names the split's dir, rustc gets the crate's file. */
static void use_split_file(struct decision *d, const char *slot_dir, const char *profdata,
			   const struct rustc_args *a)
{
	struct strbuf dir = STRBUF_INIT, file = STRBUF_INIT, hash = STRBUF_INIT, key = STRBUF_INIT;

	profile_key_of(profdata, &key);
	if (split_lookup(slot_dir, key.buf, a->crate_name, a->metadata, &dir, &file, &hash) == 1) {
		/*
		 * cargo gives dependencies --cap-lints allow, which silences rustc's
		 * "invalid instrumentation profile data": the bytes are checked here.
		 */
		if (!split_file_intact(file.buf, hash.buf))
			die(PGOW_EXIT_NOT_APPLIED, "%s is damaged: its bytes are not the ones the split of profile "
			    "%.12s recorded, so %s would be built without its profile; `cargo-pgo-wrap build` splits "
			    "the profile again", file.buf, key.buf, a->crate_name ? a->crate_name : "this crate");
		struct strbuf detail = STRBUF_INIT;
		split_detail(&detail, file.buf, hash.buf);
		d->path = sb_detach(&dir);
		d->unit_file = sb_detach(&file);
		d->unit_detail = sb_detach(&detail);
	}
	sb_release(&dir);
	sb_release(&file);
	sb_release(&hash);
	sb_release(&key);
}

/*
 * Without an override, the slot's current profile decides. Its crate index
 * is kept so the crate can be checked for staleness once it is compiled.
 */
static void resolve_from_cache(struct decision *d, const struct slot *slot, const struct rustc_args *a,
			       struct strbuf *index)
{
	struct strbuf prof = STRBUF_INIT, err = STRBUF_INIT;
	int found = profile_current_index(slot->dir.buf, &prof, index, &err);

	bool instrument = setting_is(SETTING_WHEN_NO_PROFILE, "instrument");
	/* Units given parts of a profile that is gone rebuild once the parts go too. */
	if (found != 1 && !cache_is_readonly())
		profile_withdraw_orphan_split(slot->dir.buf);
	if (found == 1) {
		d->mode = PGO_USE;
		use_split_file(d, slot->dir.buf, prof.buf, a);
		if (!d->path)
			d->path = sb_detach(&prof);
	} else if (found < 0) {
		d->mode = PGO_OFF;
		d->automatic = true; /* "auto-off": a merge points it at the next profile */
		warn_once_per_run("corrupt-profile", "the cached profile is unusable (%s); "
				  "building WITHOUT PGO", err.buf);
	} else if (instrument) {
		/* Opt-in: collect into the cache, which outlives a re-extracted source tree. */
		struct strbuf raw = STRBUF_INIT;
		path_join(&raw, slot->dir.buf, "raw");
		d->mode = PGO_GENERATE;
		d->automatic = true;
		d->path = sb_detach(&raw);
		warn_once_per_run("no-profile", "no profile for this build configuration yet (slot %.12s); "
				  "building INSTRUMENTED (%s=instrument): run the binaries, then "
				  "`cargo-pgo-wrap merge %s` and build again", slot->id, ENV_WHEN_NO_PROFILE, d->path);
	} else {
		d->mode = PGO_OFF;
		d->automatic = true;
		if (!setting_get(SETTING_FRONTEND))
			warn_once_per_run("no-profile", REPORT_NONE_START "(slot %.12s)" REPORT_NONE_THEN
					  "; `cargo-pgo-wrap build` collects one",
					  slot->id);
	}
	sb_release(&prof);
	sb_release(&err);
}

/* What rustc said about the profile while compiling one crate. */
struct profile_diag {
	int invalid;             /* "invalid instrumentation profile data": not applied */
	int mismatches;          /* functions whose profile no longer matches */
	struct strbuf first_invalid;
	const char *profile;     /* the file given to rustc */
	bool vanished;           /* it was gone when rustc opened it */
};

static bool has(const char *line, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(line + i, needle, n) == 0)
			return true;
	return false;
}

static void scan_rustc_line(const char *line, size_t len, void *ctx)
{
	struct profile_diag *pd = ctx;

	/* One diagnostic is one line, in JSON (message + rendered copy) or plain form. */
	/* A profile that vanished before rustc opened it ("<file>: No such file or directory"). */
	bool vanished = pd->profile && has(line, len, pd->profile) && has(line, len, "No such file");
	if (has(line, len, "invalid instrumentation profile data") ||
	    has(line, len, "Could not read profile data") || vanished) {
		pd->vanished |= vanished;
		if (!pd->invalid++)
			sb_add(&pd->first_invalid, line, len > 300 ? 300 : len);
	} else if (has(line, len, "hash mismatch")) {
		pd->mismatches++;
	}
}

/*
 * "use" when the crate is as the profile saw it, "use-stale" when it changed
 * since or is new to it (*is_new). Without an index (an explicit
 * CARGO_PGO_WRAP_PROFILE) there is nothing to compare with. A test harness
 * the profile does not know is not called stale: most trainings run
 * programs, not `cargo test`'s harnesses, so no refresh would cover it; one
 * that does (the generic preset) has them in the index, compared as any unit.
 */
static bool links_program(const struct rustc_args *a);

static const char *use_freshness(const struct strbuf *index, const struct rustc_args *a,
				 const struct unit_key *key, bool *is_new)
{
	*is_new = false;
	if (!index->len)
		return "use";
	char *then = a->crate_name && a->metadata ? profile_index_lookup(index->buf, a->crate_name, a->metadata) : NULL;
	/* New, but no training can give it counts (freshness_of_build judges so too). */
	if (!then && (a->is_test || (a->crate_name && links_program(a) &&
				     profile_index_program_untrained(index->buf, a->crate_name, false))))
		return "use";
	*is_new = !then;
	/* Changed, but none of its code ran in the training (freshness judges so too): nothing to refresh. */
	const char *verdict = then && ((key && unitkey_matches(key, then)) || profile_index_never_ran(index->buf, a->crate_name))
				      ? "use" : "use-stale";
	free(then);
	return verdict;
}

/*
 * Keys the unit from the dep-info rustc just wrote and records it in the
 * slot; the previous record is the stat cache. A failure only costs
 * staleness detection for this crate, so it is a warning.
 */
static void record_unit_key(const struct rustc_args *a, const struct slot *slot,
			    const struct strvec *not_sources, struct unit_key *now)
{
	struct strbuf dep = STRBUF_INIT, rec = STRBUF_INIT, err = STRBUF_INIT;
	struct unit_key prev;
	int have_prev = 0;

	memset(&prev, 0, sizeof(prev));
	if (!slot->dir.len || rustc_args_dep_info_path(a, &dep) != 0 || !a->crate_name || !a->metadata)
		goto out;
	/* A read-only cache: the key is computed (the decision needs it), the record not kept. */
	bool keep = !cache_is_readonly();
	if (keep && unitkey_make_dir(slot->dir.buf, &err) != 0)
		goto out;
	unitkey_record_path(&rec, slot->dir.buf, a->crate_name, a->metadata);
	have_prev = unitkey_read(&prev, rec.buf, &err);
	if (have_prev < 0) {
		warn("%s; re-hashing", err.buf);
		sb_reset(&err);
	}
	if (unitkey_compute(now, a, dep.buf, slot->build_dir.buf, have_prev > 0 ? &prev : NULL,
			    not_sources, &err) != 0 ||
	    (keep && unitkey_write(now, rec.buf, &err) != 0))
		unitkey_release(now); /* no key: an empty one */
out:
	if (err.len)
		warn("%s: cannot record its content key (%s); staleness of this crate "
		     "will not be detected", a->crate_name, err.buf);
	unitkey_release(&prev);
	sb_release(&dep);
	sb_release(&rec);
	sb_release(&err);
}

/* 0, or -1 with err set: the dep-info could not be amended. */
static int amend_dep_info(const struct rustc_args *a, const struct strvec *files, const struct strvec *envs,
			  const struct unit_mark *mark, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	if (rustc_args_dep_info_path(a, &path) == 0 && file_exists(path.buf))
		rc = depinfo_append(path.buf, files, envs, mark, err);
	sb_release(&path);
	return rc;
}

static void annotate_dep_info(const struct rustc_args *a, const struct strvec *files,
			      const struct strvec *envs, const struct unit_mark *mark)
{
	struct strbuf err = STRBUF_INIT;

	if (amend_dep_info(a, files, envs, mark, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s; cargo would not rebuild %s when the PGO decision changes, "
		    "so the build is stopped (check the target dir's permissions)",
		    err.buf, a->crate_name ? a->crate_name : "this crate");
	sb_release(&err);
}

/* The dep-info files of the libraries a unit is built against. */
static void add_extern_deps(struct strvec *deps, const struct rustc_args *a)
{
	for (size_t i = 0; i < a->externs.n; i++) {
		struct strbuf d = STRBUF_INIT;
		if (depinfo_of_library(a->externs.v[i], &d) == 0)
			sv_push(deps, d.buf);
		sb_release(&d);
	}
}

/* Our mark for a unit: which slot and decision built it, from which code. */
static void make_mark(struct unit_mark *m, const struct rustc_args *a, const char *slot,
		      const char *action, const char *key, const char *detail)
{
	memset(m, 0, sizeof(*m));
	m->slot = xstrdup(slot && *slot ? slot : "-");
	m->crate = xstrdup(a->crate_name ? a->crate_name : "-");
	m->metadata = xstrdup(a->metadata ? a->metadata : "-");
	m->action = xstrdup(action);
	m->key = xstrdup(key && *key ? key : "-");
	m->detail = xstrdup(detail && *detail ? detail : "-");
	add_extern_deps(&m->deps, a);
}

/* The file a unit links into, when it is a program or shared library; else -1. */
static int linked_output(const struct rustc_args *a, struct strbuf *out)
{
	bool program = a->is_test || a->crate_types == 0 || (a->crate_types & CT_BIN);
	bool shared = a->crate_types & (CT_CDYLIB | CT_DYLIB);

	if (!(program || shared) || !(a->emit == 0 || (a->emit & EMIT_LINK)))
		return -1;
	if (a->output) {
		sb_adds(out, a->output);
		return 0;
	}
	if (!a->crate_name)
		return -1;
	sb_addf(out, "%s/%s%s%s%s", a->out_dir ? a->out_dir : ".", program ? "" : "lib",
		a->crate_name, a->extra_filename ? a->extra_filename : "", program ? "" : ".so");
	return 0;
}

/* The unit links a program (not a library): what a BOLT stage rewrites. */
static bool links_program(const struct rustc_args *a)
{
	struct strbuf out = STRBUF_INIT;
	bool program = !(a->crate_types & (CT_CDYLIB | CT_DYLIB)) && linked_output(a, &out) == 0;
	sb_release(&out);
	return program;
}

/*
 * An instrumented program's build-id names the code behind the raw profiles
 * it will write. Without the record a merge cannot place them, so failing
 * to write it is loud, though the build itself is fine.
 */
static void record_provenance(const struct rustc_args *a, const struct unit_mark *mark)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (linked_output(a, &out) == 0 && provenance_record(out.buf, mark, NULL, 0, &err) != 0)
		warn("%s: cannot record which code %s was built from (%s); profiles it writes "
		     "need `cargo-pgo-wrap merge --foreign --slot %s`", a->crate_name, out.buf,
		     err.buf, mark->slot);
	sb_release(&out);
	sb_release(&err);
}

/*
 * Which functions the unit instrumented, so a merge can give each crate a
 * profile file of its own. Without the list its functions go to every
 * crate's file: correct, but each refresh then recompiles every crate.
 */
static void record_instrumented_names(const struct rustc_args *a, const struct slot *slot)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	bool lib = a->crate_types & (CT_LIB | CT_RLIB);

	if (!slot->dir.len || !a->crate_name || !a->metadata || cache_is_readonly())
		goto done;
	if (lib)
		sb_addf(&out, "%s/lib%s%s.rlib", a->out_dir ? a->out_dir : ".", a->crate_name,
			a->extra_filename ? a->extra_filename : "");
	else if (linked_output(a, &out) != 0)
		goto done;
	if (unitnames_record(slot->dir.buf, a->crate_name, a->metadata, !lib, out.buf,
			      rustc_identity_llvm_major(slot->identity.buf), &err) != 0)
		warn("%s: cannot list the functions it instrumented (%s); the profile will not be split "
		     "for it, so every crate recompiles when it changes", a->crate_name, err.buf);
done:
	sb_release(&out);
	sb_release(&err);
}

/*
 * The slot is leased before it is made and while this unit uses it (stamp,
 * profile, records), so gc waits rather than removing it under us; a slot gc
 * removed while we waited is simply made again.
 */
static int open_leased_slot(struct slot *s, const struct rustc_args *a, const char *rustc,
			    int *lease, struct strbuf *err)
{
	if (slot_identify(s, a, rustc, err) != 0)
		return -1;
	build_lease_note(s->dir.buf);
	*lease = cache_lease_slot(s->dir.buf);
	return slot_open(s, a, err);
}

/*
 * The front end asks which slot this build uses before it builds anything
 * (to fetch its profile from the remote): the first eligible unit says,
 * and stops the build.
 */
_Noreturn static void identify_and_stop(const struct slot *slot)
{
	struct strbuf line = STRBUF_INIT, err = STRBUF_INIT;

	sb_addf(&line, "%s\n", slot->dir.buf);
	if (append_record(setting_get(SETTING_IDENTIFY), line.buf, line.len, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	exit(PGOW_EXIT_FAIL);
}

/* Runs an eligible unit and returns rustc's wait status. */
static int run_decided(struct chain *l, const struct rustc_args *a, enum eligibility v,
		       const struct decision *dp)
{
	struct decision d = *dp;
	struct strbuf index = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT, stamp = STRBUF_INIT;
	struct unit_key key;
	struct strvec files = STRVEC_INIT, envs = STRVEC_INIT;
	struct slot slot;
	const char *action = "plain";
	char *flag = NULL;
	int lease = -1;

	memset(&slot, 0, sizeof(slot));
	memset(&key, 0, sizeof(key)); /* no key until the unit is keyed */
	if (v == V_EXCLUDED) {
		sv_push(&envs, ENV_EXCLUDE);
	} else {
		if (open_leased_slot(&slot, a, l->cmd.v[l->cmd.n - 1], &lease, &err) != 0) {
			if (!cache_is_readonly())
				die(PGOW_EXIT_CACHE, "%s", err.buf);
			/* A read-only cache without this configuration: nothing to use, nothing to record. */
			warn_once_per_run("readonly-no-slot", "%s; building without PGO", err.buf);
			sb_reset(&err);
			if (d.mode == PGO_AUTO)
				d.mode = PGO_OFF;
		} else if (setting_get(SETTING_IDENTIFY)) {
			identify_and_stop(&slot);
		} else if (d.mode == PGO_AUTO) {
			resolve_from_cache(&d, &slot, a, &index);
		}
		if (slot.dir.len && stamp_current_decision(&slot, &d, &stamp, &err) != 0)
			die(PGOW_EXIT_CACHE, "%s", err.buf);
		/*
		 * A unit given its part of a split needs no stamp: every way its decision
		 * can change rewrites or removes the part (a profile is stored only
		 * re-split or with the split withdrawn) or changes a variable cargo
		 * tracks. Cargo reads each member's dep-info again for every member
		 * above it, so each path listed costs a workspace built whole n squared.
		 */
		if (stamp.len && !d.unit_file)
			sv_push(&files, stamp.buf);
		for (const char *const *e = decision_env_vars; *e; e++) {
			/*
			 * Unset, the profile path means nothing (MODE decides, and setting MODE
			 * is caught by its own entry); each unset entry costs cargo an error
			 * value on every later build, so it is left out.
			 */
			if (strcmp(*e, ENV_PROFILE) == 0 && !getenv(*e))
				continue;
			/*
			 * Likewise, what to do without a profile matters only to a unit built
			 * without one: a profile's arrival rebuilds it through the stamp, and
			 * its loss a unit given a part through the part going.
			 * With RUST_BACKTRACE=1 each unset entry costs cargo a backtrace.
			 */
			if (strcmp(*e, ENV_WHEN_NO_PROFILE) == 0 && !getenv(*e) && !d.automatic)
				continue;
			sv_push(&envs, *e);
		}
		flag = injected_flag(&d, &action);
		/* A missing profile is listed too: cargo retries once it appears. */
		if (d.mode == PGO_USE && !flag)
			sv_push(&files, unit_profile(&d));
	}
	sv_pushv(&l->cmd, l->args, (size_t)l->nargs);
	if (flag)
		sv_push(&l->cmd, flag);
	if (flag && strcmp(action, "use") == 0)
		use_incremental_dir_of_profile(&l->cmd, a, &d, index.len > 0);
	if (setting_get(SETTING_LINK_RELOCS) && links_program(a)) {
		/* BOLT rewrites the program from its relocations; the env-dep relinks it when BOLT goes. */
		sv_push(&l->cmd, "-Clink-arg=-Wl,-q");
		sv_push(&envs, ENV_LINK_RELOCS);
	}
	struct profile_diag pd = { 0, 0, STRBUF_INIT, unit_profile(&d), false };
	/* With a profile, rustc's stderr is the only place it says the profile was unusable. */
	bool using = strcmp(action, "use") == 0;
	int status = using ? run_or_die(l->cmd.v, scan_rustc_line, &pd) : run_or_die(l->cmd.v, NULL, NULL);
	if (pd.invalid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		error_msg("%s was built WITHOUT its profile: rustc %s %s; collect it again (cargo-pgo-wrap "
			  "build, or merge), or build with CARGO_PGO_WRAP_MODE=off",
			  a->crate_name ? a->crate_name : "this crate",
			  pd.vanished ? "found no file at" : "rejected as invalid profile data", unit_profile(&d));
		sb_release(&pd.first_invalid);
		exit(PGOW_EXIT_NOT_APPLIED);
	}
	sb_release(&pd.first_invalid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (v != V_EXCLUDED) {
			/* Our own dependencies and the profile are not sources. */
			struct strvec not_sources = STRVEC_INIT;
			sv_pushv(&not_sources, files.v, files.n);
			if (d.path)
				sv_push(&not_sources, unit_profile(&d));
			record_unit_key(a, &slot, &not_sources, &key);
			sv_release(&not_sources);
		}
		bool is_new = false;
		if (using)
			action = use_freshness(&index, a, key.key[0] ? &key : NULL, &is_new);
		/*
		 * As for "no profile": one line per build, not only the journal (the
		 * front end reports its own). A new unit (an example `cargo test`
		 * builds) is refreshed only by a build that builds it; a new library (a
		 * dev-dependency) gains counts only through a program the training runs.
		 */
		if (strcmp(action, "use-stale") == 0 && !setting_get(SETTING_FRONTEND))
			warn_once_per_run("stale-profile", REPORT_STALE_START "%.12s" REPORT_STALE_THEN "%s (%s since it "
					  "was collected); the build uses it as it is; `cargo-pgo-wrap build`%s",
					  slot.id, a->crate_name ? a->crate_name : "a crate",
					  is_new ? "it is new" : "its sources changed",
					  !is_new ? " refreshes it"
					  : links_program(a) ? " with cargo arguments that build it refreshes it"
					  : " refreshes it if a program the training runs uses it");
		if (v == V_EXCLUDED)
			action = "excluded";
		struct unit_mark mark;
		make_mark(&mark, a, v == V_EXCLUDED || !slot.dir.len ? NULL : slot.id, action, key.key,
			  v == V_EXCLUDED ? NULL : d.unit_detail && flag ? d.unit_detail : d.path);
		mark.mismatches = pd.mismatches;
		annotate_dep_info(a, &files, &envs, &mark);
		if (strcmp(action, "generate") == 0) {
			record_provenance(a, &mark);
			record_instrumented_names(a, &slot);
		}
		unit_mark_release(&mark);
		journal_record(a, v == V_EXCLUDED ? "skip" : action,
			       v == V_EXCLUDED ? eligibility_names[v] : (d.path ? unit_profile(&d) : "-"),
			       key.key[0] ? key.key : NULL, pd.mismatches);
	}
	if (lease >= 0)
		close(lease); /* gc may collect again */
	slot_release(&slot);
	sb_release(&index);
	if (d.path != dp->path)
		decision_release(&d);
	unitkey_release(&key);
	free(flag);
	sv_release(&files);
	sv_release(&envs);
	sb_release(&stamp);
	sb_release(&err);
	return status;
}

/*
 * Units of the build's own target code that we leave alone still get our
 * mark, so a unit without one can only have been built without us.
 */
static bool marks_skip(enum eligibility v)
{
	return v == V_OPT_LEVEL_0 || v == V_NO_PROFILER || v == V_USER_PGO_FLAG;
}

static int run_marked_skip(struct chain *l, const struct rustc_args *a, enum eligibility v)
{
	struct strvec none = STRVEC_INIT;
	struct strbuf action = STRBUF_INIT;
	struct unit_mark mark;

	sv_pushv(&l->cmd, l->args, (size_t)l->nargs);
	int status = run_or_die(l->cmd.v, NULL, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		sb_addf(&action, "skip:%s", eligibility_names[v]);
		make_mark(&mark, a, NULL, action.buf, NULL, a->profile_use ? a->profile_use : NULL);
		annotate_dep_info(a, &none, &none, &mark);
		unit_mark_release(&mark);
	}
	sb_release(&action);
	return status;
}

/*
 * A proc-macro is no unit of target code, but what it expands to is its users'
 * code: its dep-info lists the libraries it is built against (dep lines, no
 * mark), so that their keys follow the workspace libraries the macro calls.
 */
static int run_proc_macro(struct chain *l, const struct rustc_args *a)
{
	struct strvec none = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct unit_mark deps;

	sv_pushv(&l->cmd, l->args, (size_t)l->nargs);
	int status = run_or_die(l->cmd.v, NULL, NULL);
	memset(&deps, 0, sizeof(deps));
	add_extern_deps(&deps.deps, a);
	/* Not worth stopping the build for: only keys miss the libraries. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && deps.deps.n &&
	    amend_dep_info(a, &none, &none, &deps, &err) != 0)
		warn("%s; an edit of a library %s calls will not make the crates it expands in stale",
		     err.buf, a->crate_name ? a->crate_name : "this proc-macro");
	unit_mark_release(&deps);
	sb_release(&err);
	return status;
}

/* The build script compiles C or C++: it uses the cc or cmake crate. */
static bool compiles_c(const struct rustc_args *a)
{
	for (size_t i = 0; i < a->externs.n; i++) {
		const char *base = path_basename(a->externs.v[i]);
		if (strncmp(base, "libcc-", 6) == 0 || strncmp(base, "libcmake-", 9) == 0)
			return true;
	}
	return false;
}

/*
 * cc asks cargo to rerun a build script on no change of CC or CFLAGS, so a
 * new decision would reuse C objects compiled under the old one. Listing
 * the build dir's STAMP (which the front end points at the decision) makes
 * cargo rebuild the script, and a rebuilt script reruns.
 */
static int run_c_build_script(struct chain *l, const struct rustc_args *a, const char *stamp)
{
	struct strvec files = STRVEC_INIT, none = STRVEC_INIT;

	sv_pushv(&l->cmd, l->args, (size_t)l->nargs);
	int status = run_or_die(l->cmd.v, NULL, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		sv_push(&files, stamp);
		annotate_dep_info(a, &files, &none, NULL);
	}
	sv_release(&files);
	return status;
}

_Noreturn void wrapper_main(int argc, char **argv)
{
	struct chain l;
	struct rustc_args a;
	struct strbuf err = STRBUF_INIT;

	build_chain(&l, argc, argv);
	/* An unreadable argfile is rustc's to report; we stay out of the way. */
	if (rustc_args_parse(&a, l.nargs, l.args, &err) != 0)
		pass_through(&l);
	enum eligibility v = classify(&a, l.cmd.v[l.cmd.n - 1]);
	if (v == V_PROBE)
		pass_through(&l);
	/* A bad setting fails every real compile, so the first error names it. */
	struct decision d;
	if (decision_from_env(&d, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	int status;
	if (v == V_ELIGIBLE || v == V_EXCLUDED) {
		status = run_decided(&l, &a, v, &d);
	} else if (v == V_BUILD_SCRIPT && setting_get(SETTING_C_STAMP) && compiles_c(&a)) {
		record_skip(&a, v);
		status = run_c_build_script(&l, &a, setting_get(SETTING_C_STAMP));
	} else if (v == V_PROC_MACRO) {
		record_skip(&a, v);
		status = run_proc_macro(&l, &a);
	} else {
		record_skip(&a, v);
		if (!marks_skip(v))
			pass_through(&l);
		status = run_marked_skip(&l, &a, v);
	}
	decision_release(&d);
	rustc_args_release(&a);
	sv_release(&l.cmd);
	sb_release(&err);
	exit_like(status);
}
