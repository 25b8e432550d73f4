/* The body of POST /api/classify, {"input": [x1, ..., x4]}, and the JSON
 * error that the server makes of what it refuses (which must be valid
 * UTF-8 JSON whatever the body held). */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Internal to the library (src/lib/server_internal.h). */
int ss_server_parse_input(const char *body, size_t len, double *x, size_t n, char *msg,
                          size_t msg_size);
char *ss_server_error_json(int code, const char *msg);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double x[4];
    char msg[256];
    if (ss_server_parse_input((const char *)data, size, x, 4, msg, sizeof msg) != 0) {
        char *body = ss_server_error_json(400, msg);
        json_error_t e;
        json_t *v = body ? json_loads(body, 0, &e) : NULL;
        if (body && !v)
            abort(); /* an error reply that is not valid JSON */
        json_decref(v);
        free(body);
    } else {
        for (int i = 0; i < 4; i++)
            if (!(x[i] >= 0 && x[i] <= 1))
                abort(); /* accepted a value outside [0, 1] */
    }
    return 0;
}
