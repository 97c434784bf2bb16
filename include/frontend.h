/*
 * frontend.h - the commands a user types: `cargo-pgo-wrap CMD ...` and
 * `cargo pgo-wrap CMD ...`.
 */
#ifndef PGOW_FRONTEND_H
#define PGOW_FRONTEND_H

/* merge [--slot ID] [--training TEXT] [--strict] PATH...: raw/indexed profiles into the cache. */
int cmd_merge(int argc, char **argv);

/* status [--all] [--format=yaml]: slots of this workspace, their profile and staleness. */
int cmd_status(int argc, char **argv);

/* gc [--max-size SIZE] [--dry-run]: drop superseded profiles, then LRU slots over the cap. */
int cmd_gc(int argc, char **argv);

/* build [--pgo-config FILE] [cargo build args]: the whole PGO cycle. */
int cmd_build(int argc, char **argv);

int cmd_instrument(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
