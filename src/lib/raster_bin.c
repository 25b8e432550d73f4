/* The binary raster, for large runs: a little-endian header, the layer and
 * sample tables, then fixed-size spike records that numpy.fromfile or a C
 * struct array can read directly.  spiksim-raster(5) documents the layout;
 * keep it and this file in step (the version field guards changes).
 *
 * Bytes are assembled one by one rather than fwrite()ing structs, so the
 * file is the same on every host whatever its byte order and padding.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "raster_internal.h"

#define MAGIC "SSRASTER"
#define VERSION 1u
#define HEADER_SIZE 56u
#define RECORD_SIZE 20u

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f64(unsigned char *p, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v); /* IEEE 754 binary64 on every host we build on */
    put_u64(p, v);
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static double get_f64(const unsigned char *p)
{
    uint64_t v = get_u64(p);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

static size_t str_size(const char *s)
{
    return 2 + (s ? strlen(s) : 0);
}

static void write_str(const char *s, FILE *fp)
{
    unsigned char len[2];
    size_t n = s ? strlen(s) : 0;
    put_u16(len, (uint16_t)n);
    fwrite(len, 1, 2, fp);
    if (n)
        fwrite(s, 1, n, fp);
}

/* Bytes of the layer and sample tables. */
static size_t tables_size(const ss_raster *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_layers; i++) {
        const ss_raster_layer *l = &r->layers[i];
        n += 8 + str_size(l->name);
        if (l->neuron_names)
            for (uint32_t k = 0; k < l->size; k++)
                n += str_size(l->neuron_names[k]);
    }
    for (size_t i = 0; i < r->n_samples; i++)
        n += 24 + str_size(r->samples[i].label) + str_size(r->samples[i].predicted);
    return n;
}

int ss_raster_write_bin(const ss_raster *r, size_t n, FILE *fp)
{
    uint64_t offset = HEADER_SIZE + tables_size(r);
    uint64_t pad = (8 - offset % 8) % 8; /* records start 8-aligned, for mmap */
    offset += pad;

    unsigned char h[HEADER_SIZE];
    memcpy(h, MAGIC, 8);
    put_u32(h + 8, VERSION);
    put_u32(h + 12, RECORD_SIZE);
    put_u32(h + 16, (uint32_t)r->n_layers);
    put_u32(h + 20, (uint32_t)r->n_samples);
    put_u64(h + 24, n);
    put_u64(h + 32, offset);
    put_f64(h + 40, r->window.t0_ms);
    put_f64(h + 48, r->window.t1_ms);
    fwrite(h, 1, sizeof h, fp);

    for (size_t i = 0; i < r->n_layers; i++) {
        const ss_raster_layer *l = &r->layers[i];
        unsigned char b[8];
        put_u32(b, l->size);
        put_u32(b + 4, l->neuron_names ? 1 : 0);
        fwrite(b, 1, sizeof b, fp);
        write_str(l->name, fp);
        if (l->neuron_names)
            for (uint32_t k = 0; k < l->size; k++)
                write_str(l->neuron_names[k], fp);
    }
    for (size_t i = 0; i < r->n_samples; i++) {
        const ss_raster_sample *s = &r->samples[i];
        unsigned char b[24];
        put_u32(b, (uint32_t)s->index);
        put_u32(b + 4, (uint32_t)s->phase);
        put_f64(b + 8, s->t0_ms);
        put_f64(b + 16, s->t1_ms);
        fwrite(b, 1, sizeof b, fp);
        write_str(s->label, fp);
        write_str(s->predicted, fp);
    }
    static const unsigned char zeros[8];
    fwrite(zeros, 1, (size_t)pad, fp);

    unsigned char buf[RECORD_SIZE * 512];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const ss_raster_spike *sp = &r->spikes[i];
        unsigned char *p = buf + used;
        put_f64(p, sp->t_ms);
        put_u32(p + 8, sp->layer);
        put_u32(p + 12, sp->neuron);
        put_u32(p + 16, (uint32_t)sp->sample);
        used += RECORD_SIZE;
        if (used == sizeof buf || i + 1 == n) {
            fwrite(buf, 1, used, fp);
            used = 0;
        }
    }
    return ferror(fp) ? -1 : 0;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct reader {
    FILE *fp;
    const char *path;
    ss_error *err;
    uint64_t tables_end; /* where the spike records start */
} reader;

static int truncated(reader *rd, const char *where)
{
    return ss_error_set_at(rd->err, SS_EDATA, rd->path, 0, "truncated raster file (in the %s)",
                           where);
}

static int read_bytes(reader *rd, void *buf, size_t n, const char *where)
{
    if (n && fread(buf, 1, n, rd->fp) != n)
        return truncated(rd, where);
    return 0;
}

/* A length-prefixed string; an empty one reads as NULL when empty_null. */
static int read_str(reader *rd, char **out, int empty_null, const char *where)
{
    unsigned char len[2];
    *out = NULL;
    if (read_bytes(rd, len, 2, where))
        return SS_EDATA;
    size_t n = get_u16(len);
    if (n == 0 && empty_null)
        return 0;
    char *s = malloc(n + 1);
    if (!s)
        return ss_error_set(rd->err, SS_ENOMEM, "%s: out of memory", rd->path);
    if (read_bytes(rd, s, n, where)) {
        free(s);
        return SS_EDATA;
    }
    s[n] = '\0';
    if (memchr(s, '\0', n)) {
        free(s);
        return ss_error_set_at(rd->err, SS_EDATA, rd->path, 0, "NUL byte in a name (in the %s)",
                               where);
    }
    *out = s;
    return 0;
}

static int read_tables(reader *rd, ss_raster *r, uint32_t n_layers, uint32_t n_samples)
{
    int rc;
    for (uint32_t i = 0; i < n_layers; i++) {
        unsigned char b[8];
        if ((rc = read_bytes(rd, b, sizeof b, "layer table")))
            return rc;
        uint32_t size = get_u32(b), has_names = get_u32(b + 4);
        char *name;
        if ((rc = read_str(rd, &name, 0, "layer table")))
            return rc;
        if (size == 0 || has_names > 1 || !*name) {
            free(name);
            return ss_error_set_at(rd->err, SS_EDATA, rd->path, 0, "layer %u is malformed",
                                   (unsigned)i);
        }
        rc = ss_raster_add_layer(r, name, size, rd->err);
        free(name);
        if (rc < 0)
            return rc;
        if (has_names) {
            /* Each name takes at least 2 bytes: refuse a count the tables cannot hold
             * before allocating for it. */
            long pos = ftell(rd->fp);
            if (pos < 0 || (uint64_t)size * 2 > rd->tables_end - (uint64_t)pos)
                return truncated(rd, "layer table");
            ss_raster_layer *l = &r->layers[i];
            l->neuron_names = calloc(size, sizeof *l->neuron_names);
            if (!l->neuron_names)
                return ss_error_set(rd->err, SS_ENOMEM, "%s: out of memory", rd->path);
            for (uint32_t k = 0; k < size; k++)
                if ((rc = read_str(rd, &l->neuron_names[k], 0, "layer table")))
                    return rc;
        }
    }
    for (uint32_t i = 0; i < n_samples; i++) {
        unsigned char b[24];
        if ((rc = read_bytes(rd, b, sizeof b, "sample table")))
            return rc;
        int32_t index = (int32_t)get_u32(b);
        uint32_t phase = get_u32(b + 4);
        double t0 = get_f64(b + 8), t1 = get_f64(b + 16);
        char *label, *predicted;
        if ((rc = read_str(rd, &label, 1, "sample table")))
            return rc;
        if ((rc = read_str(rd, &predicted, 1, "sample table"))) {
            free(label);
            return rc;
        }
        if (phase > SS_PHASE_TEST || index < 0 || !isfinite(t0) || !isfinite(t1) || !(t0 < t1))
            rc = ss_error_set_at(rd->err, SS_EDATA, rd->path, 0, "sample %u is malformed",
                                 (unsigned)i);
        else
            rc = ss_raster_add_sample(r, (ss_phase)phase, index, label, t0, t1, rd->err);
        if (rc >= 0)
            r->samples[i].predicted = predicted;
        else
            free(predicted);
        free(label);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_records(reader *rd, ss_raster *r, uint64_t n, uint32_t record_size)
{
    if (n > SIZE_MAX / sizeof *r->spikes)
        return ss_error_set(rd->err, SS_ENOMEM, "%s: too many spikes", rd->path);
    r->spikes = malloc((size_t)(n ? n : 1) * sizeof *r->spikes);
    if (!r->spikes)
        return ss_error_set(rd->err, SS_ENOMEM, "%s: out of memory", rd->path);
    r->cap_spikes = (size_t)(n ? n : 1);
    unsigned char *buf = malloc((size_t)record_size * 512);
    if (!buf)
        return ss_error_set(rd->err, SS_ENOMEM, "%s: out of memory", rd->path);
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0;) {
        size_t chunk = n - i < 512 ? (size_t)(n - i) : 512;
        if ((rc = read_bytes(rd, buf, chunk * record_size, "spike records")))
            break;
        for (size_t k = 0; k < chunk; k++, i++) {
            const unsigned char *p = buf + k * record_size;
            ss_raster_spike sp = {get_f64(p), get_u32(p + 8), get_u32(p + 12),
                                  (int32_t)get_u32(p + 16)};
            if (!isfinite(sp.t_ms) || sp.layer >= r->n_layers ||
                sp.neuron >= r->layers[sp.layer].size || sp.sample < -1 ||
                (sp.sample >= 0 && (size_t)sp.sample >= r->n_samples)) {
                rc = ss_error_set_at(rd->err, SS_EDATA, rd->path, 0,
                                     "spike record %llu is malformed", (unsigned long long)i);
                break;
            }
            if (i > 0 && ss_raster_spike_cmp(&r->spikes[i - 1], &sp) > 0) {
                rc = ss_error_set_at(rd->err, SS_EDATA, rd->path, 0,
                                     "spike record %llu is out of time order",
                                     (unsigned long long)i);
                break;
            }
            r->spikes[i] = sp;
            r->n_spikes = (size_t)i + 1;
        }
    }
    free(buf);
    return rc;
}

ss_raster *ss_raster_read(const char *path, ss_error *err)
{
    reader rd = {fopen(path, "rb"), path, err, 0};
    if (!rd.fp) {
        ss_error_set(err, SS_EIO, "%s: cannot open raster file: %s", path, strerror(errno));
        return NULL;
    }
    ss_raster *r = ss_raster_alloc();
    struct stat st;
    unsigned char h[HEADER_SIZE];
    int rc = 0;
    if (!r) {
        rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fstat(fileno(rd.fp), &st) != 0) {
        rc = ss_error_set(err, SS_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fread(h, 1, sizeof h, rd.fp) != sizeof h || memcmp(h, MAGIC, 8) != 0) {
        rc = ss_error_set_at(err, SS_EDATA, path, 0, "not a spiksim binary raster");
        goto out;
    }
    uint32_t version = get_u32(h + 8), record_size = get_u32(h + 12);
    uint32_t n_layers = get_u32(h + 16), n_samples = get_u32(h + 20);
    uint64_t n_spikes = get_u64(h + 24), offset = get_u64(h + 32);
    r->window.t0_ms = get_f64(h + 40);
    r->window.t1_ms = get_f64(h + 48);
    uint64_t file_size = (uint64_t)st.st_size;
    if (version != VERSION) {
        rc = ss_error_set_at(err, SS_EDATA, path, 0,
                             "raster format version %u; this spiksim reads version %u",
                             (unsigned)version, VERSION);
        goto out;
    }
    /* The counts must fit the file (each layer entry takes >= 10 bytes, each
     * sample >= 28) before anything is allocated for them. */
    if (record_size < RECORD_SIZE || offset < HEADER_SIZE || offset > file_size ||
        (file_size - offset) / record_size != n_spikes || (file_size - offset) % record_size ||
        (uint64_t)n_layers * 10 + (uint64_t)n_samples * 28 > offset - HEADER_SIZE ||
        isnan(r->window.t0_ms) || isnan(r->window.t1_ms) || !(r->window.t0_ms < r->window.t1_ms)) {
        rc = ss_error_set_at(err, SS_EDATA, path, 0,
                             "raster header does not match the file (truncated or corrupt)");
        goto out;
    }
    rd.tables_end = offset;
    if ((rc = read_tables(&rd, r, n_layers, n_samples)))
        goto out;
    if ((uint64_t)ftell(rd.fp) > offset) {
        rc = ss_error_set_at(err, SS_EDATA, path, 0, "raster tables overrun the spike records");
        goto out;
    }
    if (fseek(rd.fp, (long)offset, SEEK_SET) != 0) {
        rc = ss_error_set(err, SS_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    rc = read_records(&rd, r, n_spikes, record_size);
out:
    fclose(rd.fp);
    if (rc < 0) {
        ss_raster_free(r);
        return NULL;
    }
    return r;
}
