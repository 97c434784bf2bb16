/*
 * incremental.c - the incremental dir of a unit compiled with a profile (see
 * include/wrapper/incremental.h).
 */
#include "wrapper/incremental.h"
#include "base/dirlist.h"
#include "base/path.h"
#include "base/safefs.h"

#include <string.h>

bool incremental_wanted(const struct rustc_args *a)
{
	const char *base = rustc_args_codegen(a, "incremental");
	return base && *base;
}

/*
 * rustc decides what to reuse from the flags, not from the bytes of the
 * -Cprofile-use file (rust-lang/rust#100397): given a new profile at the same
 * path, it would keep code optimised with the old one, and ThinLTO refuses
 * to link modules of two profiles ("linking module flags 'ProfileSummary':
 * IDs have conflicting values"). A dir per profile starts afresh when the
 * profile changes and stays incremental while it does not (an edit).
 */
int incremental_per_profile(struct strvec *cmd, const struct rustc_args *a, const char *profile_id,
			    struct strbuf *err)
{
	const char *base = rustc_args_codegen(a, "incremental");
	struct strbuf unit = STRBUF_INIT, dir = STRBUF_INIT;
	struct strvec old = STRVEC_INIT;
	int rc = 0;

	if (!incremental_wanted(a) || !a->crate_name || !a->metadata)
		return 0;
	sb_addf(&unit, "%s/pgo-wrap/%s-%s", base, a->crate_name, a->metadata);
	path_join(&dir, unit.buf, profile_id);
	/* The unit's earlier profiles' dirs: rustc never reads them again. */
	list_dir(unit.buf, "", &old);
	for (size_t i = 0; i < old.n && rc == 0; i++)
		if (strcmp(path_basename(old.v[i]), profile_id) != 0)
			rc = safe_remove_tree(base, old.v[i], err);
	if (rc == 0)
		rc = safe_mkdirs(base, dir.buf, 0755, err);
	if (rc == 0)
		sv_pushf(cmd, "-Cincremental=%s", dir.buf);
	sb_release(&unit);
	sb_release(&dir);
	sv_release(&old);
	return rc;
}
