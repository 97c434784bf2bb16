/*
 * commands.h - the commands a user types (`cargo-pgo-wrap CMD ...` and
 * `cargo pgo-wrap CMD ...`), one file each in commands/, as git's builtin/,
 * and the one table (commands/help.c) that names them, their summaries and
 * their usage, for dispatch, `help` and the man page alike.
 */
#ifndef PGOW_COMMANDS_H
#define PGOW_COMMANDS_H

int cmd_merge(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_instrument(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_diff(int argc, char **argv);

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;      /* the line after "Usage: cargo-pgo-wrap ", then indented detail lines */
};

/* The command called name, or NULL. */
const struct command *command_find(const char *name);
/* All commands, ending with a NULL name. */
extern const struct command commands[];
/* Prints a command's help on stdout; returns 0. */
int command_help(const struct command *c);
/* The error for a name that is no command (exit 2), with ours for cargo-pgo's where it has one. */
_Noreturn void command_unknown(const char *name);
/* The usage error: the command's usage line on stderr, then exit 2. */
struct build;
struct remote;
/* The remote store, or exit 2 saying how to name one. */
struct remote *command_remote(const char *cmd);
/* The overlap for which merge --remote held the slot's current profile back, or -1 when it did not. */
double command_held_overlap(const char *slot_dir);
/* Forgets that merge --remote held the slot's profile back (it was pushed). */
void command_release_held(const char *slot_dir);
/* A --weight value (1 to 1000000), or exit 2 naming the command. */
long command_weight(const char *cmd, const char *value);
/* The slot of the build these cargo arguments describe: recorded, or asked of a cargo build; dies if none. */
void command_slot_of(struct build *b, struct strbuf *slot);
_Noreturn void command_usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
