/* Output files: never half-written, never lost, never clobbering what they
 * should not.
 *
 *     ss_atomic_file *af = ss_atomic_file_open("out.csv", &err);
 *     fprintf(ss_atomic_file_stream(af), ...);
 *     rc = ss_atomic_file_commit(af, &err);   // or ss_atomic_file_abort(af)
 *
 * What a path means:
 *
 * - a regular file (or a name that does not exist yet) is written to a
 *   temporary file beside it, ".NAME.spiksim-PID.XXXXXX", fsynced and renamed
 *   over it at commit: a reader, or a run killed at any moment, never sees a
 *   half-written file.  A symlink is followed: the file it points to is
 *   replaced, in its own directory, and the link stays.  Temporary files that
 *   a killed run left (their PID no longer runs) are removed by the next
 *   commit of the same target.
 * - "-", /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are that
 *   descriptor, written directly (standard output stays what the shell made
 *   it, a terminal, a pipe or a file).
 * - an existing FIFO or device (/dev/null, /dev/full) is opened and written
 *   in place, never replaced by a regular file.
 *
 * When writing fails at the end (a full disk: ENOSPC, EDQUOT, EFBIG, EIO),
 * the result is not lost: what was written so far and the rest go to
 * "$TMPDIR/spiksim-rescued.NAME.XXXXXX" (TMPDIR unset: /tmp), and the commit
 * fails with a message that names both the target and that file.  A rename
 * that fails leaves the complete temporary file in place, named in the
 * message.
 */
#ifndef SPIKSIM_ATOMIC_H
#define SPIKSIM_ATOMIC_H

#include <stdio.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_atomic_file ss_atomic_file;

/* Opens path for writing as described above.  NULL with err set (SS_EIO)
 * when the temporary file or the device cannot be opened. */
ss_atomic_file *ss_atomic_file_open(const char *path, ss_error *err);
FILE *ss_atomic_file_stream(ss_atomic_file *af);
/* Flushes, fsyncs and renames (or finishes a direct write); frees af in
 * every case.  SS_EIO with the reason, and where the result was kept. */
int ss_atomic_file_commit(ss_atomic_file *af, ss_error *err);
/* The writer gave up because a write failed: removes the temporary file,
 * frees af and returns SS_EIO with the reason the stream saw ("PATH: cannot
 * write: No space left on device"). */
int ss_atomic_file_fail(ss_atomic_file *af, ss_error *err);
/* Removes the temporary file and frees af (NULL is fine).  Bytes already
 * written to a direct target (a pipe, a device) stay written. */
void ss_atomic_file_abort(ss_atomic_file *af);

/* Checks before any work starts that an output can be written at path, so
 * that a long run never fails at its end for a reason known at its start:
 * an empty name, a directory, a path under /proc or /sys, a directory that
 * does not exist or cannot be written, a descriptor that is not open for
 * writing.  SS_EUSAGE with "WHAT PATH: reason" (WHAT is the option, e.g.
 * "--json"; NULL leaves it out).  Creates nothing that stays. */
enum {
    SS_OUTPUT_STDOUT_OK = 1 /* "-" means standard output here */
};
int ss_output_check(const char *path, const char *what, unsigned flags, ss_error *err);

/* The same for a directory that outputs are written into (--plot-dir). */
int ss_output_dir_check(const char *dir, const char *what, ss_error *err);

/* Whether path names standard output: "-", /dev/stdout, /dev/fd/1,
 * /proc/self/fd/1. */
int ss_output_is_stdout(const char *path);

/* ss_output_check(path, NULL, 0, err). */
int ss_atomic_file_check_writable(const char *path, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
