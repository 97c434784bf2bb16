/*
 * decision.c - the PGO decision from the environment (see include/wrapper/decision.h).
 * Bad values are errors, not guesses: a silently ignored typo would ship an
 * unoptimised or instrumented binary.
 */
#include "wrapper/decision.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <string.h>
#include <stdlib.h>

const char *const decision_env_vars[] = { ENV_MODE, ENV_PROFILE, ENV_EXCLUDE, ENV_WHEN_NO_PROFILE, NULL };

const char *pgo_mode_name(enum pgo_mode m)
{
	switch (m) {
	case PGO_GENERATE:
		return "generate";
	case PGO_USE:
		return "use";
	case PGO_AUTO:
		return "auto";
	case PGO_OFF:
		break;
	}
	return "off";
}

static int parse_mode(const char *s, enum pgo_mode *m)
{
	static const enum pgo_mode modes[] = { PGO_OFF, PGO_GENERATE, PGO_USE };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, pgo_mode_name(modes[i])) == 0) {
			*m = modes[i];
			return 0;
		}
	}
	return -1;
}

int decision_from_env(struct decision *d, struct strbuf *err)
{
	const char *mode = env_get(ENV_MODE);
	const char *path = env_get(ENV_PROFILE);

	memset(d, 0, sizeof(*d));
	d->mode = PGO_AUTO;
	if (!mode)
		return 0;
	if (setting_check(SETTING_MODE, err) != 0 || parse_mode(mode, &d->mode) != 0)
		return -1;
	if (d->mode == PGO_OFF)
		return 0;
	const char *what = d->mode == PGO_GENERATE ? "a directory for .profraw files"
						   : "a merged .profdata file";
	if (!path) {
		sb_addf(err, "%s=%s needs %s=<absolute path of %s>", ENV_MODE, mode, ENV_PROFILE, what);
		return -1;
	}
	if (setting_check(SETTING_PROFILE, err) != 0)
		return -1;
	d->path = xstrdup(path);
	return 0;
}

void decision_release(struct decision *d)
{
	free(d->path);
	free(d->unit_file);
	free(d->unit_detail);
	d->path = d->unit_file = d->unit_detail = NULL;
}

void decision_id(const struct decision *d, struct strbuf *out)
{
	/* "auto-generate" is not "generate": a merge must retarget it, so the profile gets used. */
	if (d->automatic)
		sb_adds(out, "auto-");
	sb_adds(out, pgo_mode_name(d->mode));
	if (d->path) {
		sb_addch(out, ' ');
		sb_adds(out, d->path);
	}
}

bool decision_excludes(const char *name)
{
	const char *list = setting_get(SETTING_EXCLUDE);
	struct strvec names = STRVEC_INIT;
	bool excluded = false;

	if (!list || !name)
		return false;
	sv_split(&names, list, ',');
	for (size_t i = 0; i < names.n && !excluded; i++) {
		/* Users write package names (foo-bar); rustc sees crate names (foo_bar): one name. */
		const char *a = names.v[i], *b = name;
		for (; *a && *b; a++, b++)
			if (*a != *b && !(strchr("-_", *a) && strchr("-_", *b)))
				break;
		excluded = !*a && !*b;
	}
	sv_release(&names);
	return excluded;
}
