/* json_check: exit 0 when standard input is one valid JSON value (strict
 * RFC 8259, valid UTF-8: jansson's decoder), else print why and exit 1.
 * The server tests run every error body through it. */
#include <jansson.h>
#include <stdio.h>

int main(void)
{
    json_error_t e;
    json_t *v = json_loadf(stdin, JSON_DECODE_ANY, &e);
    if (!v) {
        fprintf(stderr, "json_check: line %d, column %d: %s\n", e.line, e.column, e.text);
        return 1;
    }
    json_decref(v);
    return 0;
}
