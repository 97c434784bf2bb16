/*
 * clock.c - time: now, as a timespec and in seconds, and when our parent process (cargo) started,
 * from /proc and the boot time.
 */
#include "base/clock.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void now_timespec(struct timespec *out)
{
	if (clock_gettime(CLOCK_REALTIME, out) != 0) {
		out->tv_sec = time(NULL);
		out->tv_nsec = 0;
	}
}

static int read_boot_time(time_t *btime)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	if (sb_read_file(&sb, "/proc/stat") == 0) {
		const char *p = strstr(sb.buf, "\nbtime ");
		if (p) {
			*btime = (time_t)strtoll(p + 7, NULL, 10);
			rc = 0;
		}
	}
	sb_release(&sb);
	return rc;
}

int parent_start_time(struct timespec *out)
{
	struct strbuf path = STRBUF_INIT, stat = STRBUF_INIT;
	time_t btime;
	int rc = -1;

	sb_addf(&path, "/proc/%ld/stat", (long)getppid());
	if (sb_read_file(&stat, path.buf) == 0 && read_boot_time(&btime) == 0) {
		/* Field 22 (starttime) follows the ')' that ends the command name. */
		const char *p = strrchr(stat.buf, ')');
		int field = 2;
		while (p && *p && field < 22) {
			p = strchr(p + 1, ' ');
			field++;
		}
		long hz = sysconf(_SC_CLK_TCK);
		if (p && hz > 0) {
			unsigned long long ticks = strtoull(p + 1, NULL, 10);
			out->tv_sec = btime + (time_t)(ticks / (unsigned long long)hz);
			out->tv_nsec = (long)((ticks % (unsigned long long)hz) * (1000000000ULL / (unsigned long long)hz));
			rc = 0;
		}
	}
	sb_release(&path);
	sb_release(&stat);
	return rc;
}

double now_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
