/*
 * report.h - what the user is told about PGO decisions. Notices that would
 * repeat for every crate of a build are shown once per cargo run.
 */
#ifndef PGOW_REPORT_H
#define PGOW_REPORT_H

/* Prints the warning only the first time key is seen under this cargo process. */
void warn_once_per_run(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
