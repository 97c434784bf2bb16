/*
 * upload.c - `cargo-pgo-wrap upload DIR`: raw profiles from a machine with
 * only the instrumented binaries (no workspace, no cache) to the remote
 * store, each under the build that made it (cycle/fleet.h); `upload --perf`:
 * perf samples of a BOLTed program, for BOLT (cycle/boltfield.h).
 */
#include "base/message.h"
#include "base/option.h"
#include "base/settings.h"
#include "cycle/fleet.h"
#include "store/remote.h"
#include "store/report.h"
#include "commands/commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* `upload --perf perf.data`: samples of a BOLTed program, for BOLT. */
static int upload_perf(const char *path, const char *label)
{
	struct remote *r = command_remote("upload");
	struct strbuf err = STRBUF_INIT;
	struct upload_stats s;

	if (remote_missing(r, &err))
		die(PGOW_EXIT_REMOTE, "upload: %s", err.buf);
	if (!remote_writable(r, &err))
		die(PGOW_EXIT_CONFIG, "upload: %s", err.buf);
	fleet_upload_perf(r, path, label, &s);
	if (s.uploaded)
		progress("Uploaded", "perf samples (%lld bytes) to %s%s%s; %s is kept\n", s.bytes, remote_display(r),
			 label ? ", label " : "", label ? label : "", path);
	if (s.already)
		progress("note:", "%s had been uploaded before, byte for byte: counted once\n", path);
	remote_close(r);
	sb_release(&err);
	if (s.refused)
		die(PGOW_EXIT_PROFILE, "upload: %s refused (said above)", path);
	return 0;
}

int cmd_upload(int argc, char **argv)
{
	const char *dir = NULL, *label = NULL, *perf = NULL, *v;
	long weight = 1;
	bool weighted = false;
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (option_take(argc, argv, &i, "--weight", &v)) {
			weight = command_weight("upload", v);
			weighted = true;
		} else if (option_take(argc, argv, &i, "--label", &v)) {
			label = v;
		} else if (option_take(argc, argv, &i, "--perf", &v)) {
			perf = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			command_usage_error("upload", "unknown option %s", argv[i]);
		} else if (dir) {
			command_usage_error("upload", "one directory at a time (%s, then %s)", dir, argv[i]);
		} else {
			dir = argv[i];
		}
	}
	if (perf && dir)
		command_usage_error("upload", "a directory of .profraw files or --perf perf.data, not both");
	if (perf && weighted)
		command_usage_error("upload", "--weight is for .profraw files; perf samples count as they were taken");
	if (!dir && !perf)
		command_usage_error("upload", "name the directory holding the .profraw files (or --perf perf.data)");
	if (label && !fleet_label_ok(label))
		die(PGOW_EXIT_CONFIG, "upload: --label '%s': use 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'", label);
	if (perf)
		return upload_perf(perf, label);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		die(PGOW_EXIT_CONFIG, "upload: %s %s: name the directory the binaries wrote their .profraw files to "
		    "(LLVM_PROFILE_FILE)", dir, errno == ENOENT ? "does not exist" : "is not a directory");
	struct remote *r = command_remote("upload");
	struct strbuf err = STRBUF_INIT;
	if (remote_missing(r, &err))
		die(PGOW_EXIT_REMOTE, "upload: %s", err.buf);
	if (!remote_writable(r, &err))
		die(PGOW_EXIT_CONFIG, "upload: %s", err.buf);

	struct upload_stats s;
	fleet_upload(r, dir, weight, label, &s);
	if (s.uploaded)
		progress("Uploaded", "%d raw profile(s) (%lld bytes) to %s, weight %ld%s%s\n", s.uploaded, s.bytes,
			 remote_display(r), weight, label ? ", label " : "", label ? label : "");
	if (s.already)
		progress("note:", "%d file(s) had been uploaded before, byte for byte: removed here, and counted "
			 "once, with the weight and label first sent\n", s.already);
	if (!s.uploaded && !s.already && !s.refused)
		warn("no .profraw file in %s: nothing to upload (the binaries write where LLVM_PROFILE_FILE says, "
		     "when they exit)", dir);
	remote_close(r);
	sb_release(&err);
	if (s.refused)
		die(PGOW_EXIT_PROFILE, "upload: %d file(s) refused (said above) and kept in %s", s.refused, dir);
	return 0;
}
