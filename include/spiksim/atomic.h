/* Atomic output files: write to a temporary name beside the target, fsync,
 * then rename over the target.  A reader (or an interrupted run) never sees a
 * half-written file.
 *
 *     ss_atomic_file *af = ss_atomic_file_open("out.csv", &err);
 *     fprintf(ss_atomic_file_stream(af), ...);
 *     rc = ss_atomic_file_commit(af, &err);   // or ss_atomic_file_abort(af)
 */
#ifndef SPIKSIM_ATOMIC_H
#define SPIKSIM_ATOMIC_H

#include <stdio.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_atomic_file ss_atomic_file;

/* Opens "<dir>/.<name>.XXXXXX" for writing.  NULL with err set on failure. */
ss_atomic_file *ss_atomic_file_open(const char *path, ss_error *err);
FILE *ss_atomic_file_stream(ss_atomic_file *af);
/* Flushes, fsyncs and renames; frees af in every case. */
int ss_atomic_file_commit(ss_atomic_file *af, ss_error *err);
/* Removes the temporary file and frees af (NULL is fine). */
void ss_atomic_file_abort(ss_atomic_file *af);

/* Checks, before any work starts, that a file can be created at path (the
 * directory exists and is writable).  Creates nothing. */
int ss_atomic_file_check_writable(const char *path, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
