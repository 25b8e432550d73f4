/* Error recording: one formatted line per error, see error.h. */
#include <spiksim/error.h>

#include <stdio.h>
#include <string.h>

static int set_v(ss_error *err, int code, const char *prefix, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    int n = snprintf(err->msg, sizeof err->msg, "%s", prefix ? prefix : "");
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return code;
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    return code;
}

int ss_error_set(ss_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_v(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int ss_error_set_at(ss_error *err, int code, const char *file, long line, const char *fmt, ...)
{
    char prefix[512];
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%ld: ", file, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", file);
    va_list ap;
    va_start(ap, fmt);
    set_v(err, code, prefix, fmt, ap);
    va_end(ap);
    return code;
}

void ss_error_clear(ss_error *err)
{
    if (err) {
        err->code = SS_OK;
        err->msg[0] = '\0';
    }
}

const char *ss_error_name(int code)
{
    switch (code) {
    case SS_OK:
        return "success";
    case SS_EUSAGE:
        return "usage error";
    case SS_ECONFIG:
        return "config error";
    case SS_EDATA:
        return "data error";
    case SS_EIO:
        return "I/O error";
    case SS_ENOMEM:
        return "out of memory";
    case SS_ERUNTIME:
        return "runtime error";
    case SS_EINTR:
        return "interrupted";
    default:
        return "unknown error";
    }
}

int ss_error_exit_status(int code)
{
    switch (code) {
    case SS_OK:
        return 0;
    case SS_EUSAGE:
    case SS_ECONFIG:
    case SS_EDATA:
        return 2;
    case SS_EINTR:
        return 130;
    default:
        return 1;
    }
}
