/* Error codes and messages.
 *
 * Library functions return 0 or a negative SS_E* code and fill an ss_error the
 * caller passes in (which may be NULL when the caller only wants the code).
 * The message is one line, already prefixed with "FILE:LINE: " when the error
 * points into an input file, so the CLI can print it as it is.
 */
#ifndef SPIKSIM_ERROR_H
#define SPIKSIM_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SS_OK = 0,
    SS_EUSAGE = -1,   /* bad command line */
    SS_ECONFIG = -2,  /* model file or --set value rejected */
    SS_EDATA = -3,    /* dataset, spike file or checkpoint malformed */
    SS_EIO = -4,      /* a file could not be read or written */
    SS_ENOMEM = -5,   /* allocation failed */
    SS_ERUNTIME = -6, /* the simulation itself failed */
    SS_EINTR = -7     /* interrupted by a signal */
};

/* The message buffer.  A longer message is formatted in full and stored
 * with its middle cut out ("[... N bytes cut ...]"): its start (FILE:LINE)
 * and its end (usually the reason) are always kept. */
#define SS_ERROR_MSG_MAX 1024

typedef struct ss_error {
    int code;
    char msg[SS_ERROR_MSG_MAX];
} ss_error;

/* Record an error; returns code so callers can `return ss_error_set(...)`. */
int ss_error_set(ss_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, prefixed with "file:line: " (line <= 0 leaves the line out). */
int ss_error_set_at(ss_error *err, int code, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The va_list form, with an optional prefix (NULL: none) put in front. */
int ss_error_vset(ss_error *err, int code, const char *prefix, const char *fmt, va_list ap);

void ss_error_clear(ss_error *err);

/* Short name of a code, e.g. "config error". */
const char *ss_error_name(int code);

/* Process exit status for a code: 2 for usage, config and data errors,
 * 130 for an interrupt, 1 for everything else, 0 for SS_OK. */
int ss_error_exit_status(int code);

#ifdef __cplusplus
}
#endif
#endif
