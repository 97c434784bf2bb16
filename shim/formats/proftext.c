/*
 * proftext.c - a profile's text form, function by function (see
 * include/formats/proftext.h). The format: a header of '#' and ':' lines,
 * then one record per function, blank-line separated: its name, "# Func
 * Hash:" H, "# Num Counters:" N, "# Counter Values:" and N numbers, then
 * value-profile and bitmap data we do not read.
 */
#include "formats/proftext.h"
#include "base/xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void proftext_functions(char *text, struct prof_fn **out, size_t *n)
{
	enum { NAME, FIELD, HASH, NUM, VALUES, SKIP } want = NAME;
	struct prof_fn *f = NULL;
	size_t cap = 0, filled = 0;

	/* Counters are bounded by the text itself: each takes a line of two bytes or more. */
	const char *end = text + strlen(text);

	*out = NULL;
	*n = 0;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!*line) {
			want = NAME;
		} else if (want == NAME) {
			if (line[0] != '#' && line[0] != ':') {
				if (*n == cap) {
					cap = cap ? 2 * cap : 64;
					*out = xrealloc(*out, cap * sizeof(**out));
				}
				f = &(*out)[(*n)++];
				memset(f, 0, sizeof(*f));
				f->name = xstrdup(line);
				want = FIELD;
			}
		} else if (want == FIELD && strcmp(line, "# Func Hash:") == 0) {
			want = HASH;
		} else if (want == HASH) {
			f->hash = strtoull(line, NULL, 10);
			want = FIELD;
		} else if (want == FIELD && strcmp(line, "# Num Counters:") == 0) {
			want = NUM;
		} else if (want == NUM) {
			unsigned long long c = strtoull(line, NULL, 10);
			size_t room = nl ? (size_t)(end - nl) / 2 + 1 : 0;
			f->ncounters = c < room ? (size_t)c : room;
			free(f->counters);
			f->counters = f->ncounters ? xcalloc(f->ncounters, sizeof(*f->counters)) : NULL;
			filled = 0;
			want = FIELD;
		} else if (want == FIELD && strcmp(line, "# Counter Values:") == 0) {
			want = f->ncounters ? VALUES : SKIP;
		} else if (want == VALUES) {
			uint64_t v = strtoull(line, NULL, 10);
			f->counters[filled++] = v;
			f->sum += v;
			if (filled == f->ncounters)
				want = SKIP;
		}
		line = nl ? nl + 1 : NULL;
	}
}

void proftext_release(struct prof_fn *fns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(fns[i].name);
		free(fns[i].counters);
	}
	free(fns);
}
