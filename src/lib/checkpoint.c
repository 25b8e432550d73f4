/* Checkpoint files, see checkpoint.h for the layout. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/checkpoint.h>

#include "infile.h"

#include <spiksim/atomic.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char magic[8] = {'S', 'P', 'I', 'K', 'S', 'I', 'M', 'C'};

enum { TYPE_F32 = 1, TYPE_F64 = 2 };

typedef struct array {
    char *name;
    int type;
    size_t count;
    void *values; /* float or double */
} array;

struct ss_checkpoint {
    array *arrays;
    size_t n, cap;
    char *path; /* set when read from a file, for messages */
};

ss_checkpoint *ss_checkpoint_alloc(void)
{
    return calloc(1, sizeof(ss_checkpoint));
}

void ss_checkpoint_free(ss_checkpoint *ck)
{
    if (!ck)
        return;
    for (size_t i = 0; i < ck->n; i++) {
        free(ck->arrays[i].name);
        free(ck->arrays[i].values);
    }
    free(ck->arrays);
    free(ck->path);
    free(ck);
}

static array *find(const ss_checkpoint *ck, const char *name)
{
    for (size_t i = 0; i < ck->n; i++)
        if (strcmp(ck->arrays[i].name, name) == 0)
            return &ck->arrays[i];
    return NULL;
}

static int add(ss_checkpoint *ck, const char *name, int type, const void *values, size_t n,
               ss_error *err)
{
    if (strlen(name) > 65535 || find(ck, name))
        return ss_error_set(err, SS_ERUNTIME, "checkpoint: bad or duplicate array name '%s'", name);
    if (ck->n == ck->cap) {
        size_t cap = ck->cap ? 2 * ck->cap : 8;
        array *a = realloc(ck->arrays, cap * sizeof *a);
        if (!a)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        ck->arrays = a;
        ck->cap = cap;
    }
    size_t size = type == TYPE_F32 ? sizeof(float) : sizeof(double);
    array *a = &ck->arrays[ck->n];
    a->name = strdup(name);
    a->values = malloc(n ? n * size : 1);
    if (!a->name || !a->values) {
        free(a->name);
        free(a->values);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    if (n)
        memcpy(a->values, values, n * size);
    a->type = type;
    a->count = n;
    ck->n++;
    return SS_OK;
}

int ss_checkpoint_add_f32(ss_checkpoint *ck, const char *name, const float *values, size_t n,
                          ss_error *err)
{
    return add(ck, name, TYPE_F32, values, n, err);
}

int ss_checkpoint_add_f64(ss_checkpoint *ck, const char *name, const double *values, size_t n,
                          ss_error *err)
{
    return add(ck, name, TYPE_F64, values, n, err);
}

/* ---- writing: everything goes through put(), which also feeds the CRC -- */

typedef struct writer {
    FILE *fp;
    uLong crc;
} writer;

static void put(writer *w, const void *bytes, size_t n)
{
    fwrite(bytes, 1, n, w->fp);
    w->crc = crc32(w->crc, bytes, (uInt)n);
}

static void put_le(writer *w, uint64_t v, size_t n_bytes)
{
    unsigned char b[8];
    for (size_t i = 0; i < n_bytes; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, n_bytes);
}

/* Values are written byte by byte in little-endian order, so the file is the
 * same on any host. */
static void put_values(writer *w, const array *a)
{
    for (size_t i = 0; i < a->count; i++) {
        if (a->type == TYPE_F32) {
            uint32_t bits;
            memcpy(&bits, (const float *)a->values + i, 4);
            put_le(w, bits, 4);
        } else {
            uint64_t bits;
            memcpy(&bits, (const double *)a->values + i, 8);
            put_le(w, bits, 8);
        }
    }
}

int ss_checkpoint_write(const ss_checkpoint *ck, const char *path, ss_error *err)
{
    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err ? err->code : SS_EIO;
    writer w = {ss_atomic_file_stream(af), crc32(0L, Z_NULL, 0)};
    put(&w, magic, sizeof magic);
    put_le(&w, SS_CHECKPOINT_VERSION, 4);
    put_le(&w, ck->n, 4);
    for (size_t i = 0; i < ck->n; i++) {
        const array *a = &ck->arrays[i];
        size_t len = strlen(a->name);
        put_le(&w, len, 2);
        put(&w, a->name, len);
        put_le(&w, (uint64_t)a->type, 1);
        put_le(&w, a->count, 8);
        put_values(&w, a);
    }
    uLong crc = w.crc;
    put_le(&w, crc, 4);
    return ss_atomic_file_commit(af, err);
}

/* ---- reading: a bounds-checked cursor over the whole file -------------- */

typedef struct reader {
    const unsigned char *buf;
    size_t size, pos;
    const char *path;
    ss_error *err;
} reader;

static int truncated(reader *r)
{
    return ss_error_set(r->err, SS_EDATA, "%s: checkpoint truncated at byte offset %zu", r->path,
                        r->pos);
}

static int get_le(reader *r, size_t n_bytes, uint64_t *v)
{
    if (r->size - r->pos < n_bytes)
        return truncated(r);
    *v = 0;
    for (size_t i = 0; i < n_bytes; i++)
        *v |= (uint64_t)r->buf[r->pos + i] << (8 * i);
    r->pos += n_bytes;
    return SS_OK;
}

static unsigned char *slurp(const char *path, size_t *size, ss_error *err)
{
    FILE *fp = ss__input_open(path, "checkpoint", "rb", err);
    if (!fp)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        unsigned char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(fp), saved_errno = errno;
    fclose(fp);
    if (!buf) {
        ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (failed) {
        free(buf);
        ss__input_read_error(path, "checkpoint", saved_errno, err);
        return NULL;
    }
    *size = n;
    return buf;
}

static int parse(ss_checkpoint *ck, reader *r)
{
    if (r->size < sizeof magic || memcmp(r->buf, magic, sizeof magic) != 0)
        return ss_error_set(r->err, SS_EDATA, "%s: not a spiksim checkpoint (bad magic at byte 0)",
                            r->path);
    if (r->size < sizeof magic + 12) {
        r->pos = r->size;
        return truncated(r);
    }
    uint32_t stored = 0;
    for (int i = 0; i < 4; i++)
        stored |= (uint32_t)r->buf[r->size - 4 + (size_t)i] << (8 * i);
    if (crc32(crc32(0L, Z_NULL, 0), r->buf, (uInt)(r->size - 4)) != stored)
        return ss_error_set(r->err, SS_EDATA,
                            "%s: checkpoint checksum mismatch (corrupt or truncated file)",
                            r->path);
    r->size -= 4; /* the CRC is not part of the body */
    r->pos = sizeof magic;
    uint64_t version, n_arrays;
    int rc;
    if ((rc = get_le(r, 4, &version)) || (rc = get_le(r, 4, &n_arrays)))
        return rc;
    if (version != SS_CHECKPOINT_VERSION)
        return ss_error_set(r->err, SS_EDATA,
                            "%s: checkpoint version %llu, this spiksim reads version %u", r->path,
                            (unsigned long long)version, SS_CHECKPOINT_VERSION);
    for (uint64_t i = 0; i < n_arrays; i++) {
        uint64_t len, type, count;
        if ((rc = get_le(r, 2, &len)))
            return rc;
        if (r->size - r->pos < len)
            return truncated(r);
        char name[65536];
        memcpy(name, r->buf + r->pos, len);
        name[len] = '\0';
        r->pos += len;
        size_t at = r->pos;
        if ((rc = get_le(r, 1, &type)) || (rc = get_le(r, 8, &count)))
            return rc;
        if (type != TYPE_F32 && type != TYPE_F64)
            return ss_error_set(r->err, SS_EDATA, "%s: unknown value type %llu at byte offset %zu",
                                r->path, (unsigned long long)type, at);
        size_t size = type == TYPE_F32 ? 4 : 8;
        if (count > (r->size - r->pos) / size)
            return truncated(r);
        void *values = malloc(count ? count * size : 1);
        if (!values)
            return ss_error_set(r->err, SS_ENOMEM, "out of memory");
        for (uint64_t k = 0; k < count; k++) {
            uint64_t bits;
            get_le(r, size, &bits);
            if (type == TYPE_F32) {
                uint32_t b32 = (uint32_t)bits;
                memcpy((float *)values + k, &b32, 4);
            } else {
                memcpy((double *)values + k, &bits, 8);
            }
        }
        rc = add(ck, name, (int)type, values, (size_t)count, r->err);
        free(values);
        if (rc)
            return rc == SS_ERUNTIME
                       ? ss_error_set(r->err, SS_EDATA, "%s: duplicate array '%s'", r->path, name)
                       : rc;
    }
    if (r->pos != r->size)
        return ss_error_set(r->err, SS_EDATA, "%s: unexpected data at byte offset %zu", r->path,
                            r->pos);
    return SS_OK;
}

ss_checkpoint *ss_checkpoint_read(const char *path, ss_error *err)
{
    size_t size;
    unsigned char *buf = slurp(path, &size, err);
    if (!buf)
        return NULL;
    ss_checkpoint *ck = ss_checkpoint_alloc();
    reader r = {buf, size, 0, path, err};
    int rc = ck ? parse(ck, &r) : ss_error_set(err, SS_ENOMEM, "out of memory");
    free(buf);
    if (rc) {
        ss_checkpoint_free(ck);
        return NULL;
    }
    ck->path = strdup(path);
    return ck;
}

size_t ss_checkpoint_count(const ss_checkpoint *ck)
{
    return ck->n;
}

const char *ss_checkpoint_name(const ss_checkpoint *ck, size_t i)
{
    return i < ck->n ? ck->arrays[i].name : NULL;
}

size_t ss_checkpoint_length(const ss_checkpoint *ck, size_t i)
{
    return i < ck->n ? ck->arrays[i].count : 0;
}

int ss_checkpoint_is_f32(const ss_checkpoint *ck, size_t i)
{
    return i < ck->n && ck->arrays[i].type == TYPE_F32;
}

static const array *get(const ss_checkpoint *ck, const char *name, size_t n, ss_error *err)
{
    const array *a = find(ck, name);
    const char *where = ck->path ? ck->path : "checkpoint";
    if (!a)
        ss_error_set(err, SS_EDATA, "%s: no '%s' in the checkpoint (saved from another model?)",
                     where, name);
    else if (a->count != n)
        ss_error_set(err, SS_EDATA,
                     "%s: '%s' holds %zu values, the model needs %zu (saved from a model of "
                     "another shape?)",
                     where, name, a->count, n);
    return a && a->count == n ? a : NULL;
}

int ss_checkpoint_get_f32(const ss_checkpoint *ck, const char *name, float *out, size_t n,
                          ss_error *err)
{
    const array *a = get(ck, name, n, err);
    if (!a)
        return SS_EDATA;
    for (size_t i = 0; i < n; i++)
        out[i] = a->type == TYPE_F32 ? ((const float *)a->values)[i]
                                     : (float)((const double *)a->values)[i];
    return SS_OK;
}

int ss_checkpoint_get_f64(const ss_checkpoint *ck, const char *name, double *out, size_t n,
                          ss_error *err)
{
    const array *a = get(ck, name, n, err);
    if (!a)
        return SS_EDATA;
    for (size_t i = 0; i < n; i++)
        out[i] =
            a->type == TYPE_F32 ? ((const float *)a->values)[i] : ((const double *)a->values)[i];
    return SS_OK;
}
