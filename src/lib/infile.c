/* Input files as the user named them, see infile.h.
 *
 * fopen() of a directory succeeds on Linux and the first read then fails
 * with EISDIR, which used to surface as a bare "read error" (and exit
 * status 1): stat first, so the message says what the path is. */
#define _POSIX_C_SOURCE 200809L
#include "infile.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int ss__input_check(const char *path, const char *what, ss_error *err)
{
    struct stat st;
    if (path[0] == '\0')
        return ss_error_set(err, SS_EDATA, "empty file name given as %s", what);
    if (stat(path, &st) != 0)
        return ss_error_set(err, SS_EDATA, "%s: cannot open %s: %s", path, what, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ss_error_set(err, SS_EDATA, "%s: cannot open %s: it is a directory", path, what);
    return SS_OK;
}

FILE *ss__input_open(const char *path, const char *what, const char *mode, ss_error *err)
{
    if (ss__input_check(path, what, err) != SS_OK)
        return NULL;
    FILE *fp = fopen(path, mode);
    if (!fp)
        ss_error_set(err, SS_EDATA, "%s: cannot open %s: %s", path, what, strerror(errno));
    return fp;
}

int ss__input_read_error(const char *path, const char *what, int saved_errno, ss_error *err)
{
    return ss_error_set(err, SS_EDATA, "%s: cannot read %s: %s", path, what,
                        saved_errno ? strerror(saved_errno) : "read error");
}
