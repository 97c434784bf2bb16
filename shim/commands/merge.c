/*
 * merge.c - the merge command: options, then cycle/merge.h does the work.
 */
#include "base/message.h"
#include "base/option.h"
#include "base/settings.h"
#include "store/cache.h"
#include "base/atomic.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "store/remote.h"
#include "store/report.h"
#include "cycle/boltfield.h"
#include "cycle/build.h"
#include "cycle/config.h"
#include "cycle/drift.h"
#include "cycle/fleet.h"
#include "cycle/merge.h"
#include "cycle/travel.h"
#include "commands/commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

long command_weight(const char *cmd, const char *s)
{
	char *end;
	errno = 0;
	long w = strtol(s, &end, 10);
	if (errno || end == s || *end || w < 1 || w > 1000000)
		die(PGOW_EXIT_CONFIG, "%s: --weight takes a whole number from 1 to 1000000, not '%s'", cmd, s);
	return w;
}

/* What the training text says of a fleet merge: how many uploads, with which labels. */
static void fleet_training(struct strbuf *out, const struct fleet_batch *fb)
{
	sb_addf(out, "%zu upload(s) from the field", fb->hashes.n - fb->perf_paths.n);
	for (size_t i = 0; i < fb->labels.n; i++)
		if (strcmp(fb->labels.v[i], "-") != 0)
			sb_addf(out, "%s%s", i ? ", " : " (", fb->labels.v[i]);
	if (fb->labels.n && (fb->labels.n > 1 || strcmp(fb->labels.v[0], "-") != 0))
		sb_addch(out, ')');
}

/* The slot's current profile file, or nothing. */
static void current_profile(const char *slot_dir, struct strbuf *path)
{
	struct manifest m;
	struct strbuf err = STRBUF_INIT;

	if (profile_current(slot_dir, &m, path, &err) == 1)
		manifest_release(&m);
	else
		sb_reset(path);
	sb_release(&err);
}

/* The marks a fleet merge leaves in the slot: <slot>/<name>, written whole, removed through no link. */
static int mark_write(const char *slot_dir, const char *name, const struct strbuf *text, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };

	path_join(&path, slot_dir, name);
	int rc = write_file_atomic(path.buf, sb_str(text), text->len, &opts, err);
	sb_release(&path);
	return rc;
}

static int mark_read(const char *slot_dir, const char *name, struct strbuf *text)
{
	struct strbuf path = STRBUF_INIT;

	path_join(&path, slot_dir, name);
	int rc = sb_read_file(text, path.buf);
	sb_release(&path);
	return rc;
}

static void mark_remove(const char *slot_dir, const char *name)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&path, slot_dir, name);
	if (safe_unlink(slot_dir, path.buf, &err) != 0 && errno != ENOENT)
		warn("%s", err.buf);
	sb_release(&path);
	sb_release(&err);
}

/*
 * <slot>/FLEET-HELD: the profile a drift kept from the remote (its file,
 * then the overlap). Every later `merge --remote` says so and exits 7 again
 * while it is current; `push` publishes it and removes the mark.
 */
#define HELD_MARK "FLEET-HELD"

static void held_write(const char *slot_dir, const char *profile, double overlap)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;

	sb_addf(&text, "%s\n%.4f\n", path_basename(profile), overlap);
	if (mark_write(slot_dir, HELD_MARK, &text, &err) != 0)
		warn("%s", err.buf);
	sb_release(&text);
	sb_release(&err);
}

void command_release_held(const char *slot_dir)
{
	mark_remove(slot_dir, HELD_MARK);
}

double command_held_overlap(const char *slot_dir)
{
	struct strbuf text = STRBUF_INIT, now = STRBUF_INIT;
	double overlap = -1;

	if (mark_read(slot_dir, HELD_MARK, &text) == 0) {
		current_profile(slot_dir, &now);
		size_t len = strcspn(text.buf, "\n");
		if (now.len && strlen(path_basename(now.buf)) == len && strncmp(path_basename(now.buf), text.buf, len) == 0)
			overlap = strtod(text.buf + len, NULL);
	}
	sb_release(&text);
	sb_release(&now);
	return overlap;
}

/* A profile held back that is still current: exit 7 again, so that a retry does not pass the gate. */
static void held_still(const char *slot_dir)
{
	double overlap = command_held_overlap(slot_dir);

	if (overlap >= 0)
		die(PGOW_EXIT_STALE, "the current profile is held back: its overlap with the one it replaced was %.2f%%, "
		    "below drift-threshold (stale-policy: error); `cargo-pgo-wrap diff` shows what moved, "
		    "`cargo-pgo-wrap push` publishes it", 100 * overlap);
}

/*
 * One line: how far the merged profile is from the one it replaces. Under
 * drift-threshold, a warning; under stale-policy: error, exit 7 before the
 * push (the uploads are merged here already, and recorded so).
 */
static void say_drift(struct build *b, const char *slot_dir, const struct strbuf *before)
{
	struct strbuf now = STRBUF_INIT, tool = STRBUF_INIT, err = STRBUF_INIT;

	current_profile(slot_dir, &now);
	if (!before->len || !now.len || strcmp(before->buf, now.buf) == 0)
		goto out;
	merge_profdata_tool(slot_dir, &tool);
	double overlap = drift_overlap(tool.buf, now.buf, before->buf, &err);
	if (overlap < 0) {
		warn("cannot measure the drift: %s", err.buf);
		goto out;
	}
	const char *was = path_basename(before->buf);
	progress("Overlap", "%.2f%% with the profile it replaces (%.12s); `cargo-pgo-wrap diff` says what moved\n",
		 100 * overlap, was);
	if (overlap >= b->cfg.drift_threshold)
		goto out;
	if (b->cfg.stale_policy == STALE_ERROR) {
		held_write(slot_dir, now.buf, overlap);
		die(PGOW_EXIT_STALE, "the fleet's profile overlaps the one it replaces by %.2f%%, below drift-threshold "
		    "%.2f%%: it is kept here and not pushed (stale-policy: error); `cargo-pgo-wrap diff` shows what "
		    "moved, `cargo-pgo-wrap push` publishes it anyway", 100 * overlap, 100 * b->cfg.drift_threshold);
	}
	warn("the fleet's profile overlaps the one it replaces by %.2f%%, below drift-threshold %.2f%%: what the "
	     "programs run has moved; `cargo-pgo-wrap diff` shows where", 100 * overlap, 100 * b->cfg.drift_threshold);
out:
	sb_release(&now);
	sb_release(&tool);
	sb_release(&err);
}

/*
 * <slot>/FLEET-PENDING: the profile current before a fleet merge, then the
 * uploads it takes. Written before the merge and removed once the remote
 * records them, so that a kill in between is finished, not repeated.
 */
#define PENDING_MARK "FLEET-PENDING"

static void pending_write(const char *slot_dir, const char *before, const struct fleet_batch *fb)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;

	sb_addf(&text, "%s\n", before);
	for (size_t i = 0; i < fb->hashes.n; i++)
		sb_addf(&text, "%s\n", fb->hashes.v[i]);
	if (mark_write(slot_dir, PENDING_MARK, &text, &err) != 0)
		die(PGOW_EXIT_CACHE, "merge --remote: %s", err.buf);
	sb_release(&text);
	sb_release(&err);
}

/* A fleet merge a kill stopped: recorded now if its profile was stored, forgotten if not. */
static void pending_finish(struct remote *r, const char *slot_dir, const char *slot_key)
{
	struct strbuf text = STRBUF_INIT, now = STRBUF_INIT, err = STRBUF_INIT;
	struct fleet_batch fb;

	memset(&fb, 0, sizeof(fb));
	if (mark_read(slot_dir, PENDING_MARK, &text) != 0)
		goto out;
	struct strvec lines = STRVEC_INIT;
	sv_split(&lines, text.buf, '\n');
	for (size_t i = 1; i < lines.n; i++)
		if (*lines.v[i])
			sv_push(&fb.hashes, lines.v[i]);
	current_profile(slot_dir, &now);
	/* The current profile moved since: the merge stored its profile, and only the record is missing. */
	bool stored = lines.n && strcmp(lines.v[0], now.len ? path_basename(now.buf) : "-") != 0;
	sv_release(&lines);
	if (stored && fb.hashes.n) {
		if (fleet_consume(r, slot_key, &fb, &err) != 0)
			die(PGOW_EXIT_REMOTE, "merge --remote: a merge stopped before it recorded %zu upload(s) as merged, "
			    "and they cannot be recorded now: %s", fb.hashes.n, err.buf);
		progress("note:", "%zu upload(s) merged by a run that was stopped are recorded as merged now\n",
			 fb.hashes.n);
	}
	mark_remove(slot_dir, PENDING_MARK);
out:
	fleet_batch_release(&fb);
	sb_release(&text);
	sb_release(&now);
	sb_release(&err);
}

/*
 * perf samples of what shipped become BOLT's profiles of the programs BOLT
 * was given. Each is stored under its upload's hash, so converting one
 * again replaces it, never counts it twice. Samples perf2bolt cannot use
 * are set aside, said once and recorded as merged: converting them again
 * would fail again, and hold every later merge. --replace keeps only this
 * batch's profiles, once they are stored.
 */
static void convert_perf_uploads(const struct build *b, const char *slot_dir, const struct fleet_batch *fb,
				 bool replace)
{
	struct strbuf err = STRBUF_INIT, perf = STRBUF_INIT, tool = STRBUF_INIT;
	struct strvec hashes = STRVEC_INIT;
	size_t done = 0;

	if (!fb->perf_paths.n)
		return;
	if (bolt_perf_tools(&perf, &tool, &err) != 0)
		die(PGOW_EXIT_CONFIG, "merge --remote: %zu upload(s) are perf samples for BOLT: %s", fb->perf_paths.n,
		    err.buf);
	for (size_t i = 0; i < fb->perf_paths.n; i++) {
		const char *base = path_basename(fb->perf_paths.v[i]);
		char *hash = xstrndup(base, strcspn(base, "."));
		sb_reset(&err);
		if (boltfield_convert(slot_dir, tool.buf, fb->perf_ids.v[i], fb->perf_paths.v[i], hash, &err) == 0)
			done++;
		else
			warn("upload %.12s is set aside (recorded as merged, not used): %s", hash, err.buf);
		sv_push(&hashes, hash);
		free(hash);
	}
	if (replace)
		boltfield_keep_only(slot_dir, &hashes);
	if (done && (!b->cfg.bolt || b->cfg.bolt_field == BOLT_FIELD_OFF))
		progress("note:", "%s in pgo-wrap.yaml: no build uses the field's samples until it is changed\n",
			 b->cfg.bolt ? "bolt-field: off" : "bolt is off");
	else if (done)
		progress("note:", "the next `cargo-pgo-wrap build` BOLTs with them (bolt-field: %s)\n",
			 b->cfg.bolt_field == BOLT_FIELD_WITH ? "with" : "instead");
	sv_release(&hashes);
	sb_release(&err);
	sb_release(&perf);
	sb_release(&tool);
}

/* `merge --remote`: the uploads of this build configuration, merged once each, then pushed. */
static int merge_remote(int argc, char **argv)
{
	struct merge_request o;
	struct strvec cargo = STRVEC_INIT;
	struct strbuf slot = STRBUF_INIT, key = STRBUF_INIT, tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf training = STRBUF_INIT;
	struct fleet_batch fb;
	struct build b;

	memset(&o, 0, sizeof(o));
	memset(&fb, 0, sizeof(fb));
	/* Every upload fetched is merged or none is: what is recorded as merged must be. */
	o.strict = true;
	sv_push(&cargo, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--remote") == 0)
			continue;
		else if (strcmp(argv[i], "--replace") == 0)
			o.replace = true;
		else if (strcmp(argv[i], "--strict") == 0)
			o.strict = true;
		else if (strcmp(argv[i], "--slot") == 0 || strcmp(argv[i], "--weight") == 0 ||
			 strcmp(argv[i], "--foreign") == 0 || strcmp(argv[i], "--training") == 0)
			command_usage_error("merge", "%s is not for --remote: each upload carries its weight, and the "
					    "cargo arguments name the build", argv[i]);
		else
			sv_push(&cargo, argv[i]);
	}
	build_setup(&b, (int)cargo.n, cargo.v, false);
	/* Its drift-threshold and stale-policy; no training is needed. */
	if (config_load(&b.cfg, b.pgo_config, b.ws.root.buf, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	struct remote *r = command_remote("merge --remote");
	if (remote_missing(r, &err))
		die(PGOW_EXIT_REMOTE, "merge --remote: %s", err.buf);
	if (!remote_writable(r, &err))
		die(PGOW_EXIT_CONFIG, "merge --remote: %s (it records what it merged there)", err.buf);
	build_lock(&b);
	command_slot_of(&b, &slot);
	if (travel_slot_key(slot.buf, &b.ws.members, &key, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	pending_finish(r, slot.buf, key.buf);
	/* Uploads add to the configuration's profile: the remote's, when this cache has none yet. */
	struct strbuf have = STRBUF_INIT;
	current_profile(slot.buf, &have);
	if (!have.len && !o.replace && travel_pull(r, slot.buf, &b.ws.members, &err) < 0)
		die(PGOW_EXIT_REMOTE, "merge --remote: cannot fetch the profile the uploads add to: %s", err.buf);
	sb_release(&have);
	if (tempdir_create(slot.buf, "merge.", &tmp, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	if (fleet_fetch(r, slot.buf, key.buf, tmp.buf, &o, &fb, &err) != 0)
		die(PGOW_EXIT_REMOTE, "merge --remote: %s", err.buf);
	convert_perf_uploads(&b, slot.buf, &fb, o.replace);
	if (!fb.hashes.n) {
		held_still(slot.buf);
		if (!fb.skipped && !fb.elsewhere)
			progress("note:", "no upload from the field waits to be merged for slot %.12s on %s\n",
				 path_basename(slot.buf), remote_display(r));
	} else if (!o.paths.n) {
		/* Only perf samples: BOLT's profiles changed, not the PGO profile; nothing to push. */
		if (fleet_consume(r, key.buf, &fb, &err) != 0)
			die(PGOW_EXIT_REMOTE, "merge --remote: converted, but cannot record it on the remote (%s); the "
			    "next `merge --remote` converts the same uploads again, replacing these", err.buf);
	} else {
		fleet_training(&training, &fb);
		o.slot = path_basename(slot.buf);
		o.training = training.buf;
		struct strbuf before = STRBUF_INIT;
		current_profile(slot.buf, &before);
		pending_write(slot.buf, before.len ? path_basename(before.buf) : "-", &fb);
		merge_run(&o);
		/* Marked merged before the push: a push that fails leaves a profile to push, never one to merge twice. */
		if (fleet_consume(r, key.buf, &fb, &err) != 0)
			die(PGOW_EXIT_REMOTE, "merge --remote: merged, but cannot record it on the remote (%s); the next "
			    "`merge --remote` records it", err.buf);
		mark_remove(slot.buf, PENDING_MARK);
		say_drift(&b, slot.buf, &before);
		sb_release(&before);
		if (travel_push(r, slot.buf, &b.ws.members, &err) < 0)
			die(PGOW_EXIT_REMOTE, "merge --remote: merged, but cannot push the profile: %s; "
			    "`cargo-pgo-wrap push` sends it", err.buf);
	}
	tempdir_remove(tmp.buf);
	if (fb.elsewhere)
		progress("note:", "%d upload(s) of perf samples are of programs this host did not ship (this cache "
			 "does not have them): they stay on %s for the host that did\n", fb.elsewhere, remote_display(r));
	/* What was merged is merged; a job that runs this must still see that some uploads were not. */
	if (fb.skipped)
		die(PGOW_EXIT_PROFILE, "merge --remote: %d upload(s) skipped (said above); they stay on %s, not merged",
		    fb.skipped, remote_display(r));
	remote_close(r);
	build_teardown(&b);
	fleet_batch_release(&fb);
	merge_request_release(&o);
	sv_release(&cargo);
	sb_release(&slot);
	sb_release(&key);
	sb_release(&tmp);
	sb_release(&err);
	sb_release(&training);
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--remote") == 0)
			return merge_remote(argc, argv);

	struct merge_request o;

	memset(&o, 0, sizeof(o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (option_take(argc, argv, &i, "--slot", &v))
			o.slot = v;
		else if (option_take(argc, argv, &i, "--training", &v))
			o.training = v;
		else if (option_take(argc, argv, &i, "--weight", &v))
			o.weight = command_weight("merge", v);
		else if (strcmp(a, "--strict") == 0)
			o.strict = true;
		else if (strcmp(a, "--replace") == 0)
			o.replace = true;
		else if (strcmp(a, "--foreign") == 0)
			o.foreign = true;
		else if (a[0] == '-' && a[1])
			command_usage_error("merge", "unknown option %s", a);
		else
			merge_request_add_input(&o, a, 0);
	}
	if (!o.paths.n)
		command_usage_error("merge", "name the directory (or files) holding .profraw/.profdata files");
	/* Checked once: an unusable cache warned for every file, then failed as a profile error. */
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT;
	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sb_release(&root);
	sb_release(&err);
	merge_run(&o);
	merge_request_release(&o);
	return 0;
}
