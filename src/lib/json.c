/* Streaming JSON writer, see json.h.
 *
 * Kept by hand rather than built on jansson (which carries the server's
 * JSON): the report's layout (two-space indent, short numeric arrays on one
 * line, numbers as %.10g) is what its readers and tests know, and jansson's
 * dumper can print neither such arrays nor integral reals without ".0".
 * Strings are made valid UTF-8 on the way out, as jansson would insist. */
#include <spiksim/json.h>

#include <math.h>
#include <string.h>

#include "utf8.h"

void ss_json_init(ss_json *j, FILE *out, int pretty)
{
    j->out = out;
    j->depth = 0;
    j->items[0] = 0;
    j->after_key = 0;
    j->pretty = pretty;
}

static void newline(ss_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

/* Separator before a new item (a key, or a value that has no key). */
static void separate(ss_json *j)
{
    if (j->items[j->depth]++ > 0)
        fputc(',', j->out);
    if (j->depth > 0)
        newline(j);
}

static void before_value(ss_json *j)
{
    if (j->after_key)
        j->after_key = 0;
    else
        separate(j);
}

static void begin(ss_json *j, char c)
{
    before_value(j);
    fputc(c, j->out);
    if (j->depth + 1 < SS_JSON_MAX_DEPTH)
        j->depth++;
    j->items[j->depth] = 0;
}

static void end(ss_json *j, char c)
{
    int had_items = j->items[j->depth] > 0;
    if (j->depth > 0)
        j->depth--;
    if (had_items)
        newline(j);
    fputc(c, j->out);
    if (j->depth == 0 && j->pretty)
        fputc('\n', j->out);
}

void ss_json_object_begin(ss_json *j)
{
    begin(j, '{');
}

void ss_json_object_end(ss_json *j)
{
    end(j, '}');
}

void ss_json_array_begin(ss_json *j)
{
    begin(j, '[');
}

void ss_json_array_end(ss_json *j)
{
    end(j, ']');
}

static void write_string(FILE *out, const char *s)
{
    fputc('"', out);
    const unsigned char *end = (const unsigned char *)s + strlen(s);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            /* A valid character as it is; a stray byte as U+FFFD. */
            size_t n = ss__utf8_seq(p, (size_t)(end - p));
            if (n == 0) {
                fputs("\xEF\xBF\xBD", out);
            } else {
                fwrite(p, 1, n, out);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void ss_json_key(ss_json *j, const char *key)
{
    separate(j);
    write_string(j->out, key);
    fputs(j->pretty ? ": " : ":", j->out);
    j->after_key = 1;
}

void ss_json_string(ss_json *j, const char *s)
{
    before_value(j);
    write_string(j->out, s ? s : "");
}

void ss_json_number(ss_json *j, double v)
{
    before_value(j);
    if (isfinite(v))
        fprintf(j->out, "%.10g", v);
    else
        fputs("null", j->out);
}

void ss_json_int(ss_json *j, long long v)
{
    before_value(j);
    fprintf(j->out, "%lld", v);
}

void ss_json_bool(ss_json *j, int v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->out);
}

void ss_json_null(ss_json *j)
{
    before_value(j);
    fputs("null", j->out);
}

/* Short numeric arrays stay on one line even when pretty. */
void ss_json_double_array(ss_json *j, const double *v, size_t n)
{
    before_value(j);
    fputc('[', j->out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(j->pretty ? ", " : ",", j->out);
        if (isfinite(v[i]))
            fprintf(j->out, "%.10g", v[i]);
        else
            fputs("null", j->out);
    }
    fputc(']', j->out);
}

void ss_json_int_array(ss_json *j, const long *v, size_t n)
{
    before_value(j);
    fputc('[', j->out);
    for (size_t i = 0; i < n; i++)
        fprintf(j->out, i ? (j->pretty ? ", %ld" : ",%ld") : "%ld", v[i]);
    fputc(']', j->out);
}
