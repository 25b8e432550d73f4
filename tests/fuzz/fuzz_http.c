/* The request guard in front of evhttp (src/lib/server_guard.c): finding
 * the end of a request head, fed in pieces as a socket would, and checking
 * it; a refusal's message must make a valid JSON error. */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Internal to the library (src/lib/server_internal.h). */
size_t ss_server_head_end(const char *h, size_t len, size_t from);
int ss_server_head_check(const char *h, size_t len, uint64_t *body, int *code, const char **reason,
                         char *msg, size_t msg_size);
char *ss_server_error_json(int code, const char *msg);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *h = (const char *)data;
    /* The head as it arrives: a byte, then growing pieces; the resumed
     * search must find what one search over the whole would. */
    size_t whole = ss_server_head_end(h, size, 0), found = 0, from = 0;
    for (size_t got = 1; got <= size && !found; got += got / 2 + 1) {
        found = ss_server_head_end(h, got, from);
        from = got;
    }
    if (!found && size)
        found = ss_server_head_end(h, size, from);
    if (found != whole)
        abort();
    if (!whole)
        return 0;
    uint64_t body;
    int code;
    const char *reason;
    char msg[160];
    if (ss_server_head_check(h, whole, &body, &code, &reason, msg, sizeof msg) != 0) {
        if (code < 400 || code > 599 || !reason)
            abort();
        char *text = ss_server_error_json(code, msg);
        json_error_t e;
        json_t *v = text ? json_loads(text, 0, &e) : NULL;
        if (text && !v)
            abort();
        json_decref(v);
        free(text);
    } else if (body > 1024 * 1024) {
        abort(); /* passed a body over the limit */
    }
    return 0;
}
