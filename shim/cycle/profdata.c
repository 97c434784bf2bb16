/*
 * profdata.c - running llvm-profdata for a merge (see include/cycle/profdata.h):
 * the merge's two processes, started early and fed through their stdin;
 * single runs with their stderr in a log; what of it reaches the user.
 */
#include "cycle/profdata.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/path.h"
#include "base/spawn.h"
#include "base/tempfile.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct merge_procs {
	char *tool;
	struct strbuf dir, profdata, text, log;
	struct strvec cmd[2];
	struct child merging, texting;
	int log_fd;
};

/*
 * The merge's processes while they live: stopped at exit, so that a merge
 * that dies (an input --strict refuses, a full disk) leaves none running.
 * One at a time: groups are merged one after another.
 */
static struct merge_procs *live;

static void stop_live(void)
{
	merge_procs_end(live);
}

const char *profdata_first_error(struct strbuf *said)
{
	char *line = strstr(sb_str(said), "error: ");
	if (!line)
		return NULL;
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Its warnings reach the user; its notes and stack dumps do not. */
static void pass_warnings(const struct strbuf *said)
{
	for (const char *line = sb_str(said); *line;) {
		size_t len = strcspn(line, "\n");
		if (strstr(line, "warning: ") && (size_t)(strstr(line, "warning: ") - line) < len)
			warn("llvm-profdata: %.*s", (int)len, line);
		line += len + (line[len] == '\n');
	}
}

/* A log for llvm-profdata's stderr: on a corrupt input it prints a stack dump of 59 lines. */
static int open_log(const char *path, struct strbuf *err)
{
	(void)unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		sb_addf(err, "cannot create %s: %s", path, strerror(errno));
	return fd;
}

int profdata_run_logged(char *const *argv, const char *tmpdir, struct strbuf *said, struct strbuf *err)
{
	struct strbuf log = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);
	int rc = -1;

	sb_addf(&log, "%s/tool.%ld.log", tmpdir, (long)time(NULL));
	int fd = open_log(log.buf, err);
	if (fd >= 0) {
		c.in = CHILD_NULL;
		c.out = CHILD_FD;
		c.out_fd = fd;
		rc = child_run(&c, err) == 0 ? c.status : -1;
		close(fd);
		sb_reset(said);
		(void)sb_read_file(said, log.buf);
	}
	sb_release(&log);
	return rc;
}

/* llvm-profdata merge, with what both of ours pass: inputs from stdin ("weight,path" per line). */
static void merge_command(struct strvec *cmd, const char *tool, const char *output)
{
	sv_push(cmd, tool);
	sv_push(cmd, "merge");
	/*
	 * Every input passed our header check; one llvm-profdata still cannot read
	 * fails the merge, rather than being dropped while we record it as merged.
	 */
	sv_push(cmd, "--failure-mode=any");
	sv_push(cmd, "--input-files=-");
	sv_pushf(cmd, "--output=%s", output);
}

/*
 * The inputs are merged once, on every core, into the indexed profile; the
 * second process writes its text form. Merging them twice, once per form,
 * took two processes on half the cores each: 1.4x as long for 1,000 files.
 */
/* 0, or the exit code for what failed (err): the dir or its log, or starting a process. */
static int start_both(struct merge_procs *mp, const char *slot_dir, struct strbuf *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (tempdir_create(slot_dir, "merge.", &mp->dir, err) != 0)
		return PGOW_EXIT_CACHE;
	path_join(&mp->profdata, mp->dir.buf, "merged.profdata");
	path_join(&mp->text, mp->dir.buf, "merged.proftext");
	path_join(&mp->log, mp->dir.buf, "llvm-profdata.log");
	merge_command(&mp->cmd[0], mp->tool, mp->profdata.buf);
	sv_pushf(&mp->cmd[0], "--num-threads=%ld", cpus > 1 ? cpus : 1);
	merge_command(&mp->cmd[1], mp->tool, mp->text.buf);
	sv_push(&mp->cmd[1], "--text");
	mp->log_fd = open_log(mp->log.buf, err);
	if (mp->log_fd < 0)
		return PGOW_EXIT_CACHE;
	struct child *both[2] = { &mp->merging, &mp->texting };
	for (int i = 0; i < 2; i++) {
		struct child c = CHILD_INIT(mp->cmd[i].v);
		c.in = CHILD_PIPE;
		c.err = CHILD_FD;
		c.err_fd = mp->log_fd;
		*both[i] = c;
		if (child_start(both[i], err) != 0)
			return PGOW_EXIT_EXEC;
	}
	return 0;
}

/* Both started, or NULL with *code and err saying why. */
static struct merge_procs *start_procs(const char *slot_dir, const char *tool, int *code, struct strbuf *err)
{
	struct merge_procs *mp = xcalloc(1, sizeof(*mp));
	static bool hooked;

	if (live)
		die(PGOW_EXIT_INTERNAL, "merge: a second merge started while one runs");
	/* Registered after the temp dirs' own hook, so run before it (atexit runs the last first). */
	if (!hooked && atexit(stop_live) != 0)
		die(PGOW_EXIT_INTERNAL, "atexit failed");
	hooked = true;
	mp->tool = xstrdup(tool);
	mp->log_fd = -1;
	live = mp;
	*code = start_both(mp, slot_dir, err);
	if (*code == 0)
		return mp;
	merge_procs_end(mp);
	return NULL;
}

struct merge_procs *merge_procs_start(const char *slot_dir, const char *tool)
{
	struct strbuf err = STRBUF_INIT;
	int code;
	struct merge_procs *mp = start_procs(slot_dir, tool, &code, &err);

	if (!mp)
		die(code, "merge: %s", err.buf);
	sb_release(&err);
	return mp;
}

struct merge_procs *merge_procs_try(const char *slot_dir, const char *tool)
{
	struct strbuf err = STRBUF_INIT;
	int code;
	struct merge_procs *mp = start_procs(slot_dir, tool, &code, &err);

	sb_release(&err);
	return mp;
}

const char *merge_procs_tool(const struct merge_procs *mp)
{
	return mp->tool;
}

const char *merge_procs_profdata(const struct merge_procs *mp)
{
	return mp->profdata.buf;
}

const char *merge_procs_text(const struct merge_procs *mp)
{
	return mp->text.buf;
}

/*
 * Writes a child's whole input list and closes its stdin: 0, or the errno.
 * SIGPIPE is ignored for the write: a child that died early is reported by
 * its exit status, not by our death.
 */
static int feed(struct child *c, const struct strbuf *list)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	sigemptyset(&ign.sa_mask);
	bool set = sigaction(SIGPIPE, &ign, &old) == 0;
	int e = write_all(c->in_fd, list->buf, list->len) == 0 ? 0 : errno;
	if (set)
		sigaction(SIGPIPE, &old, NULL);
	close(c->in_fd);
	c->in_fd = -1;
	return e;
}

static _Noreturn void merge_failed(const struct merge_procs *mp, const char *what, const struct child *c,
				   struct strbuf *said)
{
	const char *first = profdata_first_error(said);
	die(PGOW_EXIT_PROFILE, "merge: %s merge%s failed (exit %d)%s%s; the cache is unchanged", mp->tool, what,
	    WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1, first ? ": " : "", first ? first : "");
}

/*
 * The inputs llvm-profdata said it could not read ("warning: PATH: why"),
 * as "PATH<TAB>why". Matched against our own paths: a path may hold ": ".
 */
static void unreadable_inputs(const struct strbuf *said, const struct strvec *inputs, struct strvec *out)
{
	for (size_t i = 0; i < inputs->n; i++) {
		const char *path = strchr(inputs->v[i], ',') + 1;
		struct strbuf line = STRBUF_INIT;
		sb_addf(&line, "warning: %s: ", path);
		const char *at = strstr(sb_str(said), line.buf);
		if (at) {
			const char *why = at + line.len;
			sv_pushf(out, "%s\t%.*s", path, (int)strcspn(why, "\n"), why);
		}
		sb_release(&line);
	}
}

int merge_procs_finish(struct merge_procs *mp, const struct strvec *inputs, struct strvec *unreadable)
{
	struct strbuf list = STRBUF_INIT, err = STRBUF_INIT, said = STRBUF_INIT;

	for (size_t i = 0; i < inputs->n; i++)
		sb_addf(&list, "%s\n", inputs->v[i]);
	/*
	 * A list cut short must not be merged while every input is recorded as
	 * merged: the child is stopped. Unless the pipe broke (EPIPE): then it
	 * is gone already, and its own exit status says why.
	 */
	int not_fed = feed(&mp->merging, &list);
	int rc = child_wait(&mp->merging, not_fed && not_fed != EPIPE, &err);
	bool merged = !not_fed && rc == 0 && child_succeeded(&mp->merging);
	sb_reset(&list);
	sb_addf(&list, "1,%s\n", mp->profdata.buf); /* weight first: a comma in the path is then not one */
	bool given = merged && feed(&mp->texting, &list) == 0;
	if (child_wait(&mp->texting, !given, &err) != 0)
		rc = -1;
	close(mp->log_fd);
	mp->log_fd = -1;
	(void)sb_read_file(&said, mp->log.buf);
	if (rc != 0)
		die(PGOW_EXIT_EXEC, "merge: %s", err.buf);
	/* A broken pipe is a child gone already: its exit status, below, says why. */
	if (not_fed && (not_fed != EPIPE || child_succeeded(&mp->merging))) {
		const char *first = profdata_first_error(&said);
		die(PGOW_EXIT_EXEC, "merge: cannot give %s its list of inputs: %s%s%s", mp->tool, strerror(not_fed),
		    first ? "; it said " : "", first ? first : "");
	}
	/* A child that did not read its whole list cannot have named what it could not read. */
	if (!merged && !not_fed && WIFEXITED(mp->merging.status))
		unreadable_inputs(&said, inputs, unreadable);
	if (!merged && !unreadable->n)
		merge_failed(mp, "", &mp->merging, &said);
	if (merged && !child_succeeded(&mp->texting))
		merge_failed(mp, " --text", &mp->texting, &said);
	if (merged)
		pass_warnings(&said);
	sb_release(&list);
	sb_release(&err);
	sb_release(&said);
	return merged ? 0 : 1;
}

/*
 * SIGKILL reaches the child, not what it started: llvm-profdata starts
 * nothing, and a wrapper script's children end with their input.
 */
void merge_procs_end(struct merge_procs *mp)
{
	struct strbuf err = STRBUF_INIT;

	if (!mp)
		return;
	if (live == mp)
		live = NULL;
	if (mp->merging.running)
		(void)child_wait(&mp->merging, true, &err);
	if (mp->texting.running)
		(void)child_wait(&mp->texting, true, &err);
	if (mp->log_fd >= 0)
		close(mp->log_fd);
	tempdir_remove(mp->dir.buf);
	free(mp->tool);
	sb_release(&mp->dir);
	sb_release(&mp->profdata);
	sb_release(&mp->text);
	sb_release(&mp->log);
	sv_release(&mp->cmd[0]);
	sv_release(&mp->cmd[1]);
	free(mp);
	sb_release(&err);
}
