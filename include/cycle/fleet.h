/*
 * fleet.h - raw profiles from the field. Instrumented binaries run on
 * machines with no workspace and no cache; their .profraw files are
 * uploaded to the remote under the slot whose build made them (found by
 * build-id), and a build host merges them with their weights:
 *
 *   pgow-v1/builds/<build-id>              what built that binary: slot key, units
 *                                          (or, for a BOLTed program, what it was BOLTed from)
 *   pgow-v1/fleet/<slot key>/<hash>.profraw  an upload, named by its bytes
 *   pgow-v1/fleet/<slot key>/<hash>.perf     or a perf.data of a BOLTed program (cycle/boltfield.h)
 *   pgow-v1/fleet/<slot key>/<hash>.meta     its weight and label, written last
 *   pgow-v1/slots/<slot key>/consumed        uploads merged already, and when
 *
 * An upload without its .meta is not one yet: a killed upload leaves
 * nothing a merge takes.
 */
#ifndef PGOW_FLEET_H
#define PGOW_FLEET_H

#include "base/strbuf.h"
#include "cycle/mergerequest.h"

struct remote;

/*
 * Puts the build-id records of the slot's instrumented binaries on the
 * remote (those not there yet). The number put (*already: those there), or -1 (err).
 */
int fleet_push_builds(struct remote *r, const char *slot_dir, const char *slot_key, int *already, struct strbuf *err);
/* The same for the slot's BOLTed programs that carry BAT (cycle/boltfield.h). */
int fleet_push_bolted(struct remote *r, const char *slot_dir, const char *slot_key, int *already, struct strbuf *err);
/*
 * One of the two after a build that made such binaries, when a remote is
 * set: says what it did; a failure is a warning.
 */
void fleet_push_builds_or_warn(const char *slot_dir, const struct strvec *members, bool bolted);

struct upload_stats {
	int uploaded, already, refused;
	long long bytes;
};
/*
 * Uploads every .profraw in dir (not below it) with weight and label, each
 * to its slot; removes a file once the remote has it whole. Files no build
 * of the store made are refused, one line each, and kept.
 */
void fleet_upload(struct remote *r, const char *dir, long weight, const char *label, struct upload_stats *st);
/*
 * Uploads a perf.data taken on a BOLTed program (bolt-bat: on) to its
 * slot, found by the build-ids perf recorded; the file is kept.
 */
void fleet_upload_perf(struct remote *r, const char *path, const char *label, struct upload_stats *st);
/* A label may hold [A-Za-z0-9._-], 1 to 64 of them. */
bool fleet_label_ok(const char *label);

struct fleet_batch {
	struct strvec hashes;   /* the uploads fetched, to mark consumed once merged */
	struct strvec perf_paths, perf_ids; /* the perf.data among them, and their BOLTed programs' build-ids */
	struct strvec labels;   /* their labels, each once */
	int skipped;            /* uploads that could not be taken (said why) */
	int elsewhere;          /* perf uploads of programs another host shipped: left to it */
};
/*
 * Fetches the slot's uploads not merged yet into tmpdir and adds them to
 * rq with their weights; installs the build-id records they need. 0 (the
 * batch may be empty), or -1 (err) when the remote cannot be listed.
 */
int fleet_fetch(struct remote *r, const char *slot_dir, const char *slot_key, const char *tmpdir,
		struct merge_request *rq, struct fleet_batch *b, struct strbuf *err);
/*
 * Records the batch as merged, and deletes uploads merged more than
 * CARGO_PGO_WRAP_FLEET_KEEP_DAYS ago. 0, or -1 (err).
 */
int fleet_consume(struct remote *r, const char *slot_key, const struct fleet_batch *b, struct strbuf *err);
void fleet_batch_release(struct fleet_batch *b);

#endif
