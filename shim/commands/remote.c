/*
 * remote.c - `cargo-pgo-wrap push` and `pull`: the current profile of a
 * build configuration to and from the remote store (CARGO_PGO_WRAP_REMOTE),
 * by hand; `build` does both on its own.
 */
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "store/buildlease.h"
#include "store/remote.h"
#include "store/report.h"
#include "cycle/build.h"
#include "cycle/freshness.h"
#include "cycle/travel.h"
#include "commands/commands.h"

#include <string.h>

/* The remote, or exit 2 saying how to name one. */
static struct remote *remote_or_die(const char *cmd)
{
	struct remote *r = NULL;
	struct strbuf err = STRBUF_INIT;
	int rc = remote_open(&r, &err);

	if (rc < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	if (rc == 0)
		die(PGOW_EXIT_CONFIG, "%s: no remote store: set %s (file:///dir, http(s)://host/path)", cmd, ENV_REMOTE);
	sb_release(&err);
	return r;
}

/* The slot of the build these cargo arguments describe: recorded, or asked of a cargo build. */
static void slot_of(struct build *b, struct strbuf *slot)
{
	if (slot_of_build_dir(b->ws.build_dir.buf, slot) == 0 || slot_of_build_dir(b->instr_bin_dir.buf, slot) == 0)
		return;
	if (build_identify_slot(b, slot) != 0)
		die(PGOW_EXIT_FAIL, "no unit of this build can have a profile (nothing eligible): nothing to %s",
		    "push or pull");
	build_lease_note(slot->buf);
}

static void remote_failure(struct remote *r, const char *what, const struct strbuf *err)
{
	(void)r;
	die(PGOW_EXIT_REMOTE, "%s: %s", what, err->buf);
}

int cmd_push(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT;

	build_setup(&b, argc, argv, false);
	struct remote *r = remote_or_die("push");
	if (remote_read_only(r))
		die(PGOW_EXIT_CONFIG, "push: the remote %s is read-only (%s=read-only)", remote_display(r),
		    ENV_REMOTE_MODE);
	build_lock(&b);
	slot_of(&b, &slot);
	int rc = travel_push(r, slot.buf, &b.ws.members, &err);
	if (rc < 0)
		remote_failure(r, "push", &err);
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
	struct remote *r = remote_or_die("pull");
	build_lock(&b);
	slot_of(&b, &slot);
	int rc = travel_pull(r, slot.buf, &b.ws.members, &err);
	if (rc < 0)
		remote_failure(r, "pull", &err);
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
