/*
 * hashbench.c - times the content key of one unit whose dep-info lists a
 * whole tree of sources: cold (no record: every file read) and warm (the
 * record as stat cache: no file read). Used by tests/bench/hash.sh.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/message.h"
#include "base/strbuf.h"
#include "store/unitkey.h"

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		die(PGOW_EXIT_CONFIG, "usage: hashbench DEP-INFO RECORD");
	char *rustc_argv[] = { "--crate-name", "tree", "src/lib.rs", "-C", "metadata=bench", "--edition=2021" };
	struct rustc_args a;
	struct strbuf err = STRBUF_INIT;
	struct unit_key cold, warm;

	if (rustc_args_parse(&a, 6, rustc_argv, &err) != 0)
		die(PGOW_EXIT_INTERNAL, "%s", err.buf);
	double t0 = seconds();
	if (unitkey_compute(&cold, &a, argv[1], "/nowhere", NULL, NULL, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	double t1 = seconds();
	unsigned long read_cold = hash_files_read;
	unsigned long read_warm;
	if (unitkey_write(&cold, argv[2], &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	double t2 = seconds();
	if (unitkey_compute(&warm, &a, argv[1], "/nowhere", &cold, NULL, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	double t3 = seconds();
	read_warm = hash_files_read - read_cold;
	printf("%zu files: cold %.3f s (%lu read), warm %.1f ms (%lu read), keys %s\n", cold.nfiles,
	       t1 - t0, read_cold, (t3 - t2) * 1000.0, read_warm,
	       strcmp(cold.key, warm.key) == 0 ? "equal" : "DIFFER");
	unitkey_release(&cold);
	unitkey_release(&warm);
	rustc_args_release(&a);
	sb_release(&err);
	return 0;
}
