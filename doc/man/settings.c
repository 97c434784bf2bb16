/*
 * settings.c - prints the man pages' generated sections from the tool's own
 * tables, so the pages cannot drift from the code: `env` (every
 * CARGO_PGO_WRAP_* variable), `yaml` (pgo-wrap.yaml's keys) and `run` (a
 * training run's keys), in the markdown subset md2roff.awk renders.
 */
#include "base/settings.h"
#include "base/strbuf.h"
#include "cycle/config.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct strbuf out = STRBUF_INIT, top = STRBUF_INIT, run = STRBUF_INIT;

	if (argc != 2) {
		fprintf(stderr, "usage: %s env|yaml|run\n", argv[0]);
		return 2;
	}
	config_keys_markdown(&top, &run);
	if (strcmp(argv[1], "env") == 0)
		settings_markdown(&out);
	else if (strcmp(argv[1], "yaml") == 0)
		sb_adds(&out, top.buf);
	else if (strcmp(argv[1], "run") == 0)
		sb_adds(&out, run.buf);
	else
		return 2;
	fputs(out.buf, stdout);
	sb_release(&out);
	sb_release(&top);
	sb_release(&run);
	return ferror(stdout) ? 1 : 0;
}
