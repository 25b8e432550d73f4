/* The dataset object: storage, class subsets, summary accessors, and the
 * whole-file reader the parsers share.  Parsing lives in dataset_iris.c and
 * dataset_idx.c, splitting in dataset_split.c, [data] handling in
 * dataset_config.c. */
#define _POSIX_C_SOURCE 200809L
#include "dataset_internal.h"
#include "infile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static char *dup_str(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

ss_dataset *ss__dataset_alloc(ss_dataset_kind kind, const char *source, size_t n, size_t n_features,
                              size_t n_classes, const char *const *names)
{
    ss_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->kind = kind;
    ds->n = n;
    ds->n_features = n_features;
    ds->n_folds = 1;
    ds->n_all_classes = n_classes;
    ds->source = dup_str(source);
    if (kind == SS_DATASET_IRIS)
        ds->values = malloc(n * n_features * sizeof *ds->values);
    else
        ds->pixels = malloc(n * n_features);
    ds->label = malloc(n * sizeof *ds->label);
    ds->position = malloc(n * sizeof *ds->position);
    ds->test_fold = malloc(n);
    ds->all_class_names = calloc(n_classes, sizeof *ds->all_class_names);
    ds->selected = malloc(n_classes * sizeof *ds->selected);
    ds->class_map = malloc(n_classes * sizeof *ds->class_map);
    if (!ds->source || !(ds->values || ds->pixels) || !ds->label || !ds->position ||
        !ds->test_fold || !ds->all_class_names || !ds->selected || !ds->class_map) {
        ss_dataset_free(ds);
        return NULL;
    }
    for (size_t c = 0; c < n_classes; c++) {
        ds->all_class_names[c] = dup_str(names[c]);
        if (!ds->all_class_names[c]) {
            ss_dataset_free(ds);
            return NULL;
        }
        ds->selected[c] = c;
        ds->class_map[c] = (int)c;
    }
    ds->n_classes = n_classes;
    return ds;
}

void ss_dataset_free(ss_dataset *ds)
{
    if (!ds)
        return;
    if (ds->all_class_names)
        for (size_t c = 0; c < ds->n_all_classes; c++)
            free(ds->all_class_names[c]);
    free(ds->all_class_names);
    free(ds->selected);
    free(ds->class_map);
    free(ds->source);
    free(ds->values);
    free(ds->pixels);
    free(ds->label);
    free(ds->position);
    free(ds->test_fold);
    free(ds);
}

int ss__read_file(const char *path, unsigned char **data, size_t *len, ss_error *err)
{
    *data = NULL;
    *len = 0;
    if (ss__input_check(path, "data file", err) != SS_OK)
        return SS_EDATA;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        /* An input the user named that cannot be read is bad input (exit
         * status 2), like an unreadable model file, not a runtime failure. */
        return ss_error_set(err, errno ? SS_EDATA : SS_ENOMEM, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 1 << 17);
    size_t cap = 1 << 16, used = 0;
    unsigned char *buf = malloc(cap + 1);
    int rc = SS_OK;
    if (!buf) {
        rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (;;) {
        if (used == cap) {
            /* Grow geometrically; memory follows the data actually present,
             * never a size claimed by a (possibly corrupt) header. */
            unsigned char *bigger = cap < ((size_t)-1) / 4 ? realloc(buf, 2 * cap + 1) : NULL;
            if (!bigger) {
                rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory after %zu bytes", path, used);
                goto done;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t want = cap - used;
        if (want > (1u << 30))
            want = 1u << 30; /* gzread takes an unsigned count */
        int got = gzread(gz, buf + used, (unsigned)want);
        if (got < 0)
            break; /* reported below from gzerror */
        if (got == 0)
            break;
        used += (size_t)got;
    }
    int zerr;
    const char *zmsg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO) {
        rc = ss_error_set(err, SS_EDATA, "%s: cannot read: %s", path, strerror(errno));
    } else if (zerr == Z_BUF_ERROR) {
        /* zlib's name for a gzip stream that stops before its end. */
        rc = ss_error_set(err, SS_EDATA,
                          "%s: truncated gzip file (%zu bytes decompressed before it ends)", path,
                          used);
    } else if (zerr != Z_OK) {
        /* gzerror() prefixes the path itself; keep only zlib's reason. */
        size_t n = strlen(path);
        if (strncmp(zmsg, path, n) == 0 && strncmp(zmsg + n, ": ", 2) == 0)
            zmsg += n + 2;
        rc = ss_error_set(err, SS_EDATA, "%s: corrupt gzip data: %s", path, zmsg);
    }
done:
    gzclose_r(gz);
    if (rc != SS_OK) {
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return SS_OK;
}

/* An SS_ECONFIG error about the class list that names the valid classes. */
static int fail_classes(const ss_dataset *ds, ss_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_classes(const ss_dataset *ds, ss_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char valid[512];
    size_t n = 0;
    valid[0] = '\0';
    for (size_t c = 0; c < ds->n_all_classes && n < sizeof valid; c++)
        n += (size_t)snprintf(valid + n, sizeof valid - n, "%s%s", c ? ", " : "",
                              ds->all_class_names[c]);
    return ss_error_set(err, SS_ECONFIG, "%s (%s classes: %s)", what, ss_dataset_name(ds), valid);
}

int ss_dataset_select_classes(ss_dataset *ds, const char *list, ss_error *err)
{
    size_t n_all = ds->n_all_classes;
    size_t *selected = malloc(n_all * sizeof *selected);
    int *class_map = malloc(n_all * sizeof *class_map);
    char *copy = dup_str(list);
    int rc = SS_OK;
    if (!selected || !class_map || !copy) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < n_all; c++)
        class_map[c] = -1;
    size_t n_sel = 0;
    const char *blank = " \t";
    if (copy[strspn(copy, blank)] == '\0') {
        for (size_t c = 0; c < n_all; c++) {
            selected[c] = c;
            class_map[c] = (int)c;
        }
        n_sel = n_all;
    } else {
        char *item = copy;
        for (;;) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            item += strspn(item, blank);
            size_t len = strlen(item);
            while (len && strchr(blank, item[len - 1]))
                item[--len] = '\0';
            if (len == 0) {
                rc = fail_classes(ds, err, "empty class name in '%s'", list);
                goto done;
            }
            size_t c = 0;
            while (c < n_all && strcmp(ds->all_class_names[c], item) != 0)
                c++;
            if (c == n_all) {
                rc = fail_classes(ds, err, "unknown class '%s'", item);
                goto done;
            }
            if (class_map[c] >= 0) {
                rc = fail_classes(ds, err, "class '%s' listed twice", item);
                goto done;
            }
            class_map[c] = (int)n_sel;
            selected[n_sel++] = c;
            if (!comma)
                break;
            item = comma + 1;
        }
        if (n_sel < 2) {
            rc = fail_classes(ds, err, "a class subset needs at least two classes, not '%s'", list);
            goto done;
        }
    }
    free(ds->selected);
    free(ds->class_map);
    ds->selected = selected;
    ds->class_map = class_map;
    ds->n_classes = n_sel;
    selected = NULL;
    class_map = NULL;
done:
    free(selected);
    free(class_map);
    free(copy);
    return rc;
}

ss_dataset_kind ss_dataset_kind_of(const ss_dataset *ds)
{
    return ds->kind;
}

const char *ss_dataset_name(const ss_dataset *ds)
{
    return ds->kind == SS_DATASET_IRIS ? "iris" : "mnist";
}

const char *ss_dataset_source(const ss_dataset *ds)
{
    return ds->source;
}

size_t ss_dataset_size(const ss_dataset *ds)
{
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++)
        n += ds->class_map[ds->label[i]] >= 0;
    return n;
}

size_t ss_dataset_n_features(const ss_dataset *ds)
{
    return ds->n_features;
}

size_t ss_dataset_n_classes(const ss_dataset *ds)
{
    return ds->n_classes;
}

const char *ss_dataset_class_name(const ss_dataset *ds, size_t label)
{
    return label < ds->n_classes ? ds->all_class_names[ds->selected[label]] : NULL;
}

int ss_dataset_n_folds(const ss_dataset *ds)
{
    return ds->n_folds;
}

int ss_dataset_is_official(const ss_dataset *ds)
{
    return ds->official;
}
