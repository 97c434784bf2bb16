/*
 * bolt.h - the BOLT stage of `build` (bolt: on in pgo-wrap.yaml): after the
 * optimised build, each shipped program is instrumented with llvm-bolt, the
 * training runs again, and the layout BOLT derives from it ships only if the
 * training measures faster by bolt-min-gain, with identical output. The
 * verdict is cached under the program's build-id, so an unchanged program
 * is not BOLTed twice.
 */
#ifndef PGOW_BOLT_H
#define PGOW_BOLT_H

#include "cycle/build.h"

/* With bolt: on, dies with the fix when llvm-bolt or merge-fdata of rustc's LLVM is missing. */
void bolt_preflight(const struct build *b);
/* For doctor: the tools found, or what is missing and the fix. */
void bolt_describe_tools(struct strbuf *out);
/* "<program>: <verdict>, <numbers>" for each verdict cached in a slot (for status). */
void bolt_verdicts(const char *slot_dir, struct strvec *out);
/* Runs the stage on the programs of a verified build whose units carry the profile. */
void bolt_stage(struct build *b, struct build_units *u, struct verified *v);

#endif
