/* Internal: strings built to the length they need (no fixed-size buffer
 * that would cut a long name from a model file).  Not installed. */
#ifndef SS_STRUTIL_H
#define SS_STRUTIL_H

/* printf into a new string (free() it); NULL when out of memory. */
char *ss_strprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
