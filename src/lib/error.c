/* Error recording: one formatted line per error, see error.h.
 *
 * The message lives in a fixed buffer (ss_error is a plain struct the
 * caller puts on its stack), but what goes in is formatted in full first:
 * a message longer than the buffer loses its middle, never its end, so
 * that a long path or an echoed value cannot push the reason out of it. */
#include <spiksim/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes kept from the start of an over-long message; the rest of the
 * buffer goes to its end, which usually holds the reason. */
#define HEAD_BYTES 384

/* Largest n <= len such that s[n] starts a UTF-8 character (a cut there
 * splits no character). */
static size_t char_start(const char *s, size_t len, size_t n)
{
    while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Copies full (len bytes) into msg, eliding its middle when it is too long. */
static void store(char *msg, size_t size, const char *full, size_t len)
{
    if (len < size) {
        memcpy(msg, full, len + 1);
        return;
    }
    char mark[64];
    size_t head = char_start(full, len, HEAD_BYTES);
    /* The tail's length depends on the mark's, which names the bytes cut:
     * one pass with a generous estimate, then the exact figure. */
    size_t tail = size - 1 - head - 40;
    size_t tail_at = len - tail;
    while (tail_at < len && ((unsigned char)full[tail_at] & 0xC0) == 0x80)
        tail_at++;
    snprintf(mark, sizeof mark, " [... %zu bytes cut ...] ", tail_at - head);
    size_t m = strlen(mark);
    memcpy(msg, full, head);
    memcpy(msg + head, mark, m);
    memcpy(msg + head + m, full + tail_at, len - tail_at);
    msg[head + m + (len - tail_at)] = '\0';
}

int ss_error_vset(ss_error *err, int code, const char *prefix, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    size_t plen = prefix ? strlen(prefix) : 0;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        snprintf(err->msg, sizeof err->msg, "%s(unprintable message)", prefix ? prefix : "");
        return code;
    }
    char *full = malloc(plen + (size_t)n + 1);
    if (!full) {
        /* Out of memory while reporting: the reason is the format's. */
        snprintf(err->msg, sizeof err->msg, "%s", fmt);
        return code;
    }
    if (plen)
        memcpy(full, prefix, plen);
    vsnprintf(full + plen, (size_t)n + 1, fmt, ap);
    store(err->msg, sizeof err->msg, full, plen + (size_t)n);
    free(full);
    return code;
}

int ss_error_set(ss_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int ss_error_set_at(ss_error *err, int code, const char *file, long line, const char *fmt, ...)
{
    if (!err)
        return code;
    size_t n = strlen(file) + 32;
    char *prefix = malloc(n);
    if (prefix) {
        if (line > 0)
            snprintf(prefix, n, "%s:%ld: ", file, line);
        else
            snprintf(prefix, n, "%s: ", file);
    }
    va_list ap;
    va_start(ap, fmt);
    ss_error_vset(err, code, prefix ? prefix : "", fmt, ap);
    va_end(ap);
    free(prefix);
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
