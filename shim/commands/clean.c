/*
 * clean.c - the clean command: <target>/pgo-wrap goes, and with --profiles
 * this workspace's slots in the cache; refused while raw profiles wait to be
 * merged, unless --discard-raw.
 */
#include "base/dirlist.h"
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "store/cache.h"
#include "store/slot.h"
#include "cycle/build.h"
#include "commands/commands.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The cache's slot dirs whose workspace is target_dir. */
static void workspace_slots(const char *root, const char *target_dir, struct strvec *out)
{
	struct strbuf slots = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;

	path_join(&slots, root, "slots");
	list_dir(slots.buf, "", &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		struct slot_info info;
		if (slot_read_info(dirs.v[i], &info, &err) == 0 && strcmp(sb_str(&info.workspace), target_dir) == 0)
			sv_push(out, dirs.v[i]);
		slot_info_release(&info);
		sb_reset(&err);
	}
	sv_release(&dirs);
	sb_release(&slots);
	sb_release(&err);
}

/* Removes the slots whose workspace is target_dir; how many. One it cannot remove is exit 3. */
static int remove_workspace_slots(const char *target_dir)
{
	int removed = 0, failed = 0;
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;

	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	workspace_slots(root.buf, target_dir, &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		int lock = cache_lock_slot(dirs.v[i], &err);
		sb_reset(&err);
		if (safe_remove_tree(root.buf, dirs.v[i], &err) == 0 && ++removed)
			printf("removed profiles of slot %.12s\n", path_basename(dirs.v[i]));
		else if (++failed)
			error_msg("%s", err.buf);
		if (lock >= 0)
			close(lock);
		sb_reset(&err);
	}
	if (failed)
		die(PGOW_EXIT_CACHE, "clean: %d slot(s) of %s could not be removed (see above); fix the cache's "
		    "permissions", failed, target_dir);
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&err);
	return removed;
}

/* The slots' stamps of build dirs that no longer exist, so status stops listing them. */
static void forget_build_dirs(const char *target_dir, const char *removed)
{
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;
	size_t n = strlen(removed);

	if (cache_root(&root, &err) != 0)
		goto out;
	workspace_slots(root.buf, target_dir, &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		struct stamp *st;
		size_t ns;
		stamp_list(dirs.v[i], &st, &ns);
		for (size_t j = 0; j < ns; j++)
			if (strncmp(st[j].build_dir, removed, n) == 0 && st[j].build_dir[n] == '/' &&
			    safe_unlink(root.buf, st[j].path, &err) != 0)
				warn("%s", err.buf);
		stamp_list_release(st, ns);
		sb_reset(&err);
	}
out:
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&err);
}

int cmd_clean(int argc, char **argv)
{
	struct strvec args = STRVEC_INIT;
	struct workspace w;
	struct strbuf state = STRBUF_INIT;
	bool profiles = false, discard = false;
	const char *v;
	const char *cargo = env_get("CARGO") ? env_get("CARGO") : "cargo";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--profiles") == 0) {
			profiles = true;
		} else if (strcmp(argv[i], "--discard-raw") == 0) {
			discard = true;
		} else if (option_take(argc, argv, &i, "--manifest-path", &v)) {
			sv_pushf(&args, "--manifest-path=%s", v);
		} else if (option_take(argc, argv, &i, "--target-dir", &v)) {
			sv_pushf(&args, "--target-dir=%s", v);
		} else {
			command_usage_error("clean", "unknown argument %s", argv[i]);
		}
	}
	workspace_locate(&w, cargo, &args);
	path_join(&state, w.target_dir.buf, "pgo-wrap");
	size_t pending = count_pending_raw(state.buf);
	if (pending && !discard)
		die(PGOW_EXIT_CONFIG, "clean: %zu raw profile(s) under %s/raw are not merged yet; merge them "
		    "first (`cargo-pgo-wrap build` does), or pass --discard-raw to delete them", pending, state.buf);
	struct strbuf err = STRBUF_INIT;
	bool existed = file_exists(state.buf);
	if (safe_remove_tree(w.target_dir.buf, state.buf, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_release(&err);
	printf(existed ? "removed %s\n" : "nothing to remove: %s does not exist\n", state.buf);
	forget_build_dirs(w.target_dir.buf, state.buf);
	if (profiles && !remove_workspace_slots(w.target_dir.buf))
		printf("no cached profiles for %s\n", w.target_dir.buf);
	workspace_release(&w);
	sv_release(&args);
	sb_release(&state);
	return 0;
}
