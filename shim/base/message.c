/*
 * message.c - messages and exit codes: what the user is told when something goes wrong, in one
 * line, on stderr, with colour only where cargo would use it.
 */
#include "base/message.h"
#include "base/fdio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pgow_progname = "cargo-pgo-wrap";

/* The environment here is cargo's own (CARGO_TERM_COLOR, NO_COLOR), not our settings. */
static const char *env_set(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}

bool stderr_colour(void)
{
	const char *mode = env_set("CARGO_TERM_COLOR");

	if (mode && strcmp(mode, "always") == 0)
		return true;
	if ((mode && strcmp(mode, "never") == 0) || env_set("NO_COLOR"))
		return false;
	return isatty(STDERR_FILENO);
}

/*
 * Formats without strbuf (which reports its own failures through us): the
 * length first, then one buffer of that size.
 */
__attribute__((format(printf, 2, 0)))
static void vmessage(const char *kind, const char *fmt, va_list ap)
{
	char prefix[64];
	va_list again;

	/* cargo's colours: bold red for errors, bold yellow for warnings */
	if (stderr_colour())
		snprintf(prefix, sizeof(prefix), "\033[1;%dm%s\033[0m", kind[0] == 'e' ? 31 : 33, kind);
	else
		snprintf(prefix, sizeof(prefix), "%s", kind);
	va_copy(again, ap);
	int body = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	size_t head = strlen(pgow_progname) + strlen(prefix) + 4;
	char *line = body < 0 ? NULL : malloc(head + (size_t)body + 2);
	if (!line) {
		(void)write_all(STDERR_FILENO, fmt, strlen(fmt));
		(void)write_all(STDERR_FILENO, "\n", 1);
		return;
	}
	int n = snprintf(line, head + 1, "%s: %s: ", pgow_progname, prefix);
	vsnprintf(line + n, (size_t)body + 1, fmt, ap);
	line[n + body] = '\n';
	/* One write so concurrent wrappers never interleave halves of lines. */
	(void)write_all(STDERR_FILENO, line, (size_t)n + (size_t)body + 1);
	free(line);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
	exit(code);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", fmt, ap);
	va_end(ap);
}
