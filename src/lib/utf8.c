/* UTF-8 validation and repair, see utf8.h.
 *
 * Written here because jansson, which writes the server's JSON, refuses an
 * invalid string outright (json_string() returns NULL) rather than repair
 * it, and an error reply must be able to echo what a client sent. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t ss__utf8_seq(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *ss__utf8_clean(const char *s, size_t len, size_t max_bytes)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    /* Each input byte becomes at most 3 output bytes. */
    size_t take = len < max_bytes ? len : max_bytes;
    char *out = malloc(3 * take + 4);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < take) {
        size_t n = ss__utf8_seq(p + i, len - i);
        if (n && i + n > take)
            break; /* the cut falls inside this character: stop before it */
        if (n == 0 || p[i] == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        }
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}
