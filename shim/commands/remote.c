/*
 * remote.c - `cargo-pgo-wrap push`, `pull` and `pin`: the current profile
 * of a build configuration to and from the remote store
 * (CARGO_PGO_WRAP_REMOTE), by hand (`build` does both on its own), and
 * pinned in pgo-wrap.lock.
 */
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "store/buildlease.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "store/remote.h"
#include "store/report.h"
#include "store/slot.h"
#include "cycle/build.h"
#include "cycle/freshness.h"
#include "cycle/pinlock.h"
#include "cycle/travel.h"
#include "cycle/fleet.h"
#include "commands/commands.h"

#include <string.h>

struct remote *command_remote(const char *cmd)
{
	struct remote *r = NULL;
	struct strbuf err = STRBUF_INIT;
	int rc = remote_open(&r, &err);

	if (rc < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	if (rc == 0)
		die(PGOW_EXIT_CONFIG, "%s: no remote store: set %s (file:///dir, http(s)://host/path, s3://bucket/prefix)", cmd, ENV_REMOTE);
	sb_release(&err);
	return r;
}

void command_slot_of(struct build *b, struct strbuf *slot)
{
	if (slot_of_build_dir(b->ws.build_dir.buf, slot) == 0 || slot_of_build_dir(b->instr_bin_dir.buf, slot) == 0)
		return;
	if (build_identify_slot(b, slot) != 0)
		die(PGOW_EXIT_CONFIG, "no unit of this build can have a profile (nothing eligible); profiles are for "
		    "optimised builds: give the cargo arguments you build with (--release, or --profile NAME)");
	build_lease_note(slot->buf);
}

static void remote_failure(const char *what, const struct strbuf *err)
{
	die(PGOW_EXIT_REMOTE, "%s: %s", what, err->buf);
}

int cmd_push(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT;

	build_setup(&b, argc, argv, false);
	struct remote *r = command_remote("push");
	if (!remote_writable(r, &err))
		die(PGOW_EXIT_CONFIG, "push: %s", err.buf);
	build_lock(&b);
	command_slot_of(&b, &slot);
	int rc = travel_push(r, slot.buf, &b.ws.members, &err);
	if (rc < 0)
		remote_failure("push", &err);
	if (rc > 0)
		command_release_held(slot.buf);
	/* The instrumented binaries too: what they write in the field can then be uploaded. */
	struct strbuf key = STRBUF_INIT;
	int already = 0;
	int builds = travel_slot_key(slot.buf, &b.ws.members, &key, &err) == 0 ?
			     fleet_push_builds(r, slot.buf, key.buf, &already, &err) : -1;
	if (builds < 0)
		remote_failure("push", &err);
	if (builds > 0)
		progress("Recorded", "%d instrumented binar%s on %s\n", builds, builds == 1 ? "y" : "ies",
			 remote_display(r));
	/* And the BOLTed programs with BAT: their perf samples can then be uploaded. */
	int bolted = key.len ? fleet_push_bolted(r, slot.buf, key.buf, &already, &err) : 0;
	if (bolted < 0)
		remote_failure("push", &err);
	if (bolted > 0)
		progress("Recorded", "%d shipped program%s on %s, for their perf samples (bolt-bat)\n", bolted,
			 bolted == 1 ? "" : "s", remote_display(r));
	sb_release(&key);
	if (rc == 0)
		die(PGOW_EXIT_FAIL, "push: slot %.12s has no profile yet; `cargo-pgo-wrap build` collects one",
		    path_basename(slot.buf));
	remote_close(r);
	build_teardown(&b);
	sb_release(&slot);
	sb_release(&err);
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT;

	build_setup(&b, argc, argv, false);
	struct remote *r = command_remote("pull");
	build_lock(&b);
	command_slot_of(&b, &slot);
	int rc = travel_pull(r, slot.buf, &b.ws.members, &err);
	if (rc < 0)
		remote_failure("pull", &err);
	if (rc == 0)
		die(PGOW_EXIT_FAIL, "pull: %s has no profile for this build configuration (slot %.12s)",
		    remote_display(r), path_basename(slot.buf));
	if (rc == 2)
		progress("Fresh", "slot %.12s already has the remote's profile\n", path_basename(slot.buf));
	remote_close(r);
	build_teardown(&b);
	sb_release(&slot);
	sb_release(&err);
	return 0;
}

int cmd_pin(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT, prof = STRBUF_INIT, key = STRBUF_INIT;
	struct manifest m;
	struct remote *r = NULL;
	struct slot_info info;
	struct pinlock lock;

	build_setup(&b, argc, argv, false);
	if (pinlock_read(&lock, b.ws.root.buf, &err) < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	build_lock(&b);
	command_slot_of(&b, &slot);
	if (profile_current(slot.buf, &m, &prof, &err) != 1)
		die(PGOW_EXIT_FAIL, "pin: slot %.12s has no profile%s%s; `cargo-pgo-wrap build` collects one",
		    path_basename(slot.buf), err.len ? ": " : "", sb_str(&err));
	if (remote_open(&r, &err) < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	/* Others fetch what is pinned: it goes to the remote first. */
	if (r && !remote_read_only(r) &&
	    (travel_push(r, slot.buf, &b.ws.members, &err) < 0 || travel_protect(r, slot.buf, m.content_key, &err) < 0))
		remote_failure("pin", &err);
	if (!r || remote_read_only(r))
		warn("profile %.12s is pinned but %s: other machines can use the pin only once it is there",
		     m.content_key, r ? "the remote is read-only" : "no remote is set (CARGO_PGO_WRAP_REMOTE)");
	if (travel_slot_key(slot.buf, &b.ws.members, &key, &err) != 0 || slot_read_info(slot.buf, &info, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	struct strbuf flags = STRBUF_INIT, rustc = STRBUF_INIT;
	for (const char *p = sb_str(&info.signature); *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		sb_addf(&flags, "%s%.*s", flags.len ? " " : "", (int)strcspn(p, "\n"), p);
	sb_add(&rustc, sb_str(&info.rustc), strcspn(sb_str(&info.rustc), "\n"));
	struct pin pin = { key.buf, m.content_key, info.target.buf, flags.buf ? flags.buf : (char *)"", rustc.buf };
	const struct pin *was = pinlock_find(&lock, key.buf);
	bool moved = was && strcmp(was->profile, m.content_key) != 0;
	pinlock_set(&lock, &pin);
	if (pinlock_write(&lock, &err) != 0)
		die(PGOW_EXIT_FAIL, "pin: %s", err.buf);
	progress("Pinned", "profile %.12s for slot key %.12s (slot %.12s here) in %s%s\n", m.content_key, key.buf,
		 path_basename(slot.buf),
		 lock.path, moved ? " (moved)" : "");
	slot_info_release(&info);
	sb_release(&flags);
	sb_release(&rustc);
	pinlock_release(&lock);
	manifest_release(&m);
	remote_close(r);
	build_teardown(&b);
	sb_release(&slot);
	sb_release(&err);
	sb_release(&prof);
	sb_release(&key);
	return 0;
}
