/* UTF-8 for text that came from outside (request bodies, paths, class
 * names) and goes into JSON, which must be valid UTF-8.  Internal. */
#ifndef SPIKSIM_UTF8_H
#define SPIKSIM_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0 when
 * the bytes there are not one (overlong forms, surrogates and code points
 * beyond U+10FFFF are not). */
size_t ss__utf8_seq(const unsigned char *s, size_t len);

/* A new NUL-terminated copy of s[0..len) in which every byte that does not
 * start a valid sequence is replaced by U+FFFD and NUL bytes by U+FFFD too;
 * at most max_bytes of the input are taken, cut between characters, with
 * "..." appended when something was left out.  NULL when out of memory. */
char *ss__utf8_clean(const char *s, size_t len, size_t max_bytes);

#endif
