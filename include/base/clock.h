/*
 * clock.h - time: now, as a timespec and in seconds, and when our parent
 * process (cargo, when we run as its wrapper) started.
 */
#ifndef PGOW_CLOCK_H
#define PGOW_CLOCK_H

#include <time.h>

/* CLOCK_REALTIME now (time(NULL) should the clock fail). */
void now_timespec(struct timespec *out);
double now_seconds(void);
/* Start time of the parent process (cargo, when we run as its wrapper). */
int parent_start_time(struct timespec *out);

#endif
