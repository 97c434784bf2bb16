/*
 * tempdir.h - one scratch directory per unit-test group: created by the
 * group setup, removed with everything in it by the group teardown.
 */
#ifndef PGOW_TEST_TEMPDIR_H
#define PGOW_TEST_TEMPDIR_H

#include <stdlib.h>

#include "strbuf.h"

static inline int tempdir_create(char *template)
{
	return mkdtemp(template) ? 0 : -1;
}

static inline int tempdir_remove(const char *dir)
{
	struct strbuf cmd = STRBUF_INIT;
	sb_addf(&cmd, "rm -rf '%s'", dir);
	int rc = system(cmd.buf);
	sb_release(&cmd);
	return rc;
}

#endif
