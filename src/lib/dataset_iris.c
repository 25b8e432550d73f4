/* IRIS: Fisher's 150 flowers as CSV (data/iris.csv, or UCI's iris.data).
 *
 * Each data line holds the four measurements (sepal length, sepal width,
 * petal length, petal width, in cm) and the species.  The first non-blank
 * line is taken as a header when none of its fields is a number; blank lines
 * (UCI's file ends with some) are skipped; CRLF line ends are accepted; so is
 * gzip compression.  Anything else is an SS_EDATA error naming the file, the
 * line and the field.  The parser is hand-written because a CSV library would
 * buy nothing for five unquoted fields and would hide the line numbers.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataset_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { IRIS_FEATURES = 4, IRIS_FIELDS = IRIS_FEATURES + 1, IRIS_CLASSES = 3 };

static const char *const species[IRIS_CLASSES] = {"setosa", "versicolor", "virginica"};

/* Splits line (modified in place) at commas into at most max fields, each
 * trimmed of blanks and of one pair of surrounding double quotes.  Returns
 * the number of fields found, which may exceed max (the rest are dropped). */
static size_t split_fields(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        p += strspn(p, " \t");
        size_t len = strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            p[--len] = '\0';
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p[len - 1] = '\0';
            p++;
        }
        if (n < max)
            field[n] = p;
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

/* Parses a whole field as a finite number. */
static int parse_number(const char *text, double *out)
{
    if (*text == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Species name, with or without UCI's "Iris-" prefix, in any case. */
static int parse_species(const char *text)
{
    if (strncasecmp(text, "Iris-", 5) == 0)
        text += 5;
    for (int c = 0; c < IRIS_CLASSES; c++)
        if (strcasecmp(text, species[c]) == 0)
            return c;
    return -1;
}

static int is_header(char **field, size_t n)
{
    double ignored;
    for (size_t i = 0; i < n && i < IRIS_FIELDS; i++)
        if (parse_number(field[i], &ignored) == 0)
            return 0;
    return 1;
}

/* Counts the lines of text, an upper bound on the rows. */
static size_t count_lines(const char *text)
{
    size_t n = 1;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    return n;
}

ss_dataset *ss_dataset_load_iris(const char *path, ss_error *err)
{
    unsigned char *raw;
    size_t len;
    if (ss__read_file(path, &raw, &len, err) != SS_OK)
        return NULL;
    char *text = (char *)raw;
    if (strlen(text) != len) {
        size_t at = strlen(text);
        long line = 1;
        for (size_t i = 0; i < at; i++)
            line += text[i] == '\n';
        ss_error_set_at(err, SS_EDATA, path, line, "NUL byte (at byte %zu): not a text file", at);
        free(raw);
        return NULL;
    }
    size_t max_rows = count_lines(text);
    ss_dataset *ds =
        ss__dataset_alloc(SS_DATASET_IRIS, path, max_rows, IRIS_FEATURES, IRIS_CLASSES, species);
    if (!ds) {
        ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        free(raw);
        return NULL;
    }
    size_t rows = 0;
    long line_no = 0;
    int seen_content = 0;
    char *line = text;
    while (line) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        size_t len_line = strlen(line);
        if (len_line && line[len_line - 1] == '\r')
            line[--len_line] = '\0';
        if (line[strspn(line, " \t")] == '\0') {
            line = next;
            continue;
        }
        char *field[IRIS_FIELDS];
        size_t n = split_fields(line, field, IRIS_FIELDS);
        if (!seen_content) {
            seen_content = 1;
            if (is_header(field, n)) {
                line = next;
                continue;
            }
        }
        if (n != IRIS_FIELDS) {
            ss_error_set_at(err, SS_EDATA, path, line_no,
                            "%zu fields, expected %d (4 measurements and the species)", n,
                            IRIS_FIELDS);
            goto fail;
        }
        for (int f = 0; f < IRIS_FEATURES; f++)
            if (parse_number(field[f], &ds->values[rows * IRIS_FEATURES + (size_t)f]) != 0) {
                ss_error_set_at(err, SS_EDATA, path, line_no, "field %d '%s' is not a number",
                                f + 1, field[f]);
                goto fail;
            }
        int c = parse_species(field[IRIS_FEATURES]);
        if (c < 0) {
            ss_error_set_at(err, SS_EDATA, path, line_no,
                            "field 5: unknown species '%s' (expected setosa, versicolor or "
                            "virginica)",
                            field[IRIS_FEATURES]);
            goto fail;
        }
        ds->label[rows] = c;
        ds->position[rows] = rows;
        /* The fixed 5-fold split: row i is tested in fold i % 5. */
        ds->test_fold[rows] = (signed char)(rows % 5);
        rows++;
        line = next;
    }
    if (rows == 0) {
        ss_error_set_at(err, SS_EDATA, path, 0, "no data rows");
        goto fail;
    }
    ds->n = rows;
    ds->n_folds = 5;
    free(raw);
    return ds;
fail:
    free(raw);
    ss_dataset_free(ds);
    return NULL;
}
