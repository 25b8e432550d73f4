/* A small streaming JSON writer for the reports (--json).
 *
 * It handles commas, nesting and string escaping so callers cannot produce
 * invalid JSON by accident; strings that are not valid UTF-8 are written
 * with U+FFFD in place of the stray bytes.  (The HTTP server's JSON goes
 * through jansson; see json.c for why the report keeps this writer.)
 */
#ifndef SPIKSIM_JSON_H
#define SPIKSIM_JSON_H

#include <stdio.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SS_JSON_MAX_DEPTH 32

typedef struct ss_json {
    FILE *out;
    int depth;
    int items[SS_JSON_MAX_DEPTH]; /* values written so far at each depth */
    int after_key;                /* the next value follows its key */
    int pretty;
} ss_json;

void ss_json_init(ss_json *j, FILE *out, int pretty);
void ss_json_object_begin(ss_json *j);
void ss_json_object_end(ss_json *j);
void ss_json_array_begin(ss_json *j);
void ss_json_array_end(ss_json *j);
/* Key of the next value inside an object. */
void ss_json_key(ss_json *j, const char *key);
void ss_json_string(ss_json *j, const char *s);
/* Non-finite numbers are written as null (JSON has no NaN). */
void ss_json_number(ss_json *j, double v);
void ss_json_int(ss_json *j, long long v);
void ss_json_bool(ss_json *j, int v);
void ss_json_null(ss_json *j);
void ss_json_double_array(ss_json *j, const double *v, size_t n);
void ss_json_int_array(ss_json *j, const long *v, size_t n);

#ifdef __cplusplus
}
#endif
#endif
