/*
 * tempdir.h - one scratch directory per unit-test group: tempdir_setup and
 * tempdir_teardown are the cmocka group fixtures that create it and remove
 * it with everything in it. Tests find it in `dir`.
 */
#ifndef PGOW_TEST_TEMPDIR_H
#define PGOW_TEST_TEMPDIR_H

#include <stdlib.h>

#include "base/strbuf.h"

static char dir[] = "/tmp/pgow-unit-XXXXXX";

static inline int tempdir_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tempdir_teardown(void **state)
{
	(void)state;
	struct strbuf cmd = STRBUF_INIT;
	sb_addf(&cmd, "rm -rf '%s'", dir);
	int rc = system(cmd.buf);
	sb_release(&cmd);
	return rc;
}

#endif
