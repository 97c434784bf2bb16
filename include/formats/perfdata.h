/*
 * perfdata.h - what a perf.data file's header says: the build-ids of the
 * files perf sampled in (its build-id table) and whether the samples carry
 * branch stacks. `upload --perf` routes a perf.data by those build-ids, and
 * perf2bolt is told so (--ba) when there are none.
 */
#ifndef PGOW_PERFDATA_H
#define PGOW_PERFDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

struct perf_data_info {
	struct strvec ids;      /* build-ids, lowercase hex */
	struct strvec files;    /* the path perf recorded for each, same order */
	bool branch_stacks;     /* some event samples branch stacks (LBR) */
};

/* Reads an open perf.data (regular file); -1 with "path: ..." in err when it is not one we can read. */
int perf_data_read(int fd, const char *path, struct perf_data_info *info, struct strbuf *err);
/* The same from bytes in memory (tests, fuzzing). */
int perf_data_parse(const unsigned char *buf, size_t len, const char *path, struct perf_data_info *info,
		    struct strbuf *err);
void perf_data_release(struct perf_data_info *info);

#endif
