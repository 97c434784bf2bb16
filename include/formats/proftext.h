/*
 * proftext.h - the function records of a profile's text form (`llvm-profdata
 * merge --text`): each function's name, structural hash and counters, for
 * comparing two profiles function by function.
 */
#ifndef PGOW_PROFTEXT_H
#define PGOW_PROFTEXT_H

#include <stddef.h>
#include <stdint.h>

struct prof_fn {
	char *name;
	uint64_t hash;
	size_t ncounters;
	uint64_t *counters;
	uint64_t sum;
};

/* The records of text (edited in place), in the order they come; value-profile data is skipped. */
void proftext_functions(char *text, struct prof_fn **out, size_t *n);
void proftext_release(struct prof_fn *fns, size_t n);

#endif
