/*
 * merge.c - the merge command: options, then cycle/merge.h does the work.
 */
#include "base/message.h"
#include "base/option.h"
#include "store/cache.h"
#include "cycle/merge.h"
#include "commands/commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static long parse_weight(const char *s)
{
	char *end;
	errno = 0;
	long w = strtol(s, &end, 10);
	if (errno || end == s || *end || w < 1 || w > 1000000)
		die(PGOW_EXIT_CONFIG, "merge: --weight takes a whole number from 1 to 1000000, not '%s'", s);
	return w;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_request o;

	memset(&o, 0, sizeof(o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (option_take(argc, argv, &i, "--slot", &v))
			o.slot = v;
		else if (option_take(argc, argv, &i, "--training", &v))
			o.training = v;
		else if (option_take(argc, argv, &i, "--weight", &v))
			o.weight = parse_weight(v);
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
