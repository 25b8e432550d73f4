/* SONATA spike files through the HDF5 C library; see sonata.h.
 *
 * Writing: HDF5 needs a file it can seek in, and spiksim's outputs go
 * through ss_atomic_file (a temporary name, rescue on a full disk, devices
 * written in place).  So the file is built in memory with HDF5's core
 * driver (no backing store) and its image written to the atomic stream. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/sonata.h>

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* HDF5 prints its error stack on stderr by default; our messages say what
 * went wrong instead. */
static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* A variable-length UTF-8 string attribute (h5py reads it as str). */
static int put_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, t, &value) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok ? 0 : -1;
}

/* The population's sorting attribute as libsonata writes and reads it: an
 * enum {none = 0, by_id = 1, by_time = 2} of uint8. */
static int put_sorting_by_time(hid_t g)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_UINT8);
    uint8_t v[3] = {0, 1, 2};
    int ok = t >= 0 && H5Tenum_insert(t, "none", &v[0]) >= 0 &&
             H5Tenum_insert(t, "by_id", &v[1]) >= 0 && H5Tenum_insert(t, "by_time", &v[2]) >= 0;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = ok ? H5Acreate2(g, "sorting", t, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = a >= 0 && H5Awrite(a, t, &v[2]) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return ok ? 0 : -1;
}

static hid_t put_dataset(hid_t g, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                         const void *data)
{
    hsize_t dims[1] = {n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(g, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0 && n && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        H5Dclose(d);
        d = -1;
    }
    H5Sclose(sp);
    return d;
}

/* One layer's spikes among the first n of r (already in time order). */
static int put_population(hid_t spikes, const ss_raster *r, size_t n, uint32_t layer)
{
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        m += r->spikes[k].layer == layer;
    double *t = malloc((m ? m : 1) * sizeof *t);
    uint64_t *id = malloc((m ? m : 1) * sizeof *id);
    int rc = t && id ? 0 : -1;
    for (size_t k = 0, j = 0; rc == 0 && k < n; k++)
        if (r->spikes[k].layer == layer) {
            t[j] = r->spikes[k].t_ms;
            id[j++] = r->spikes[k].neuron;
        }
    hid_t g = rc == 0
                  ? H5Gcreate2(spikes, r->layers[layer].name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                  : -1;
    if (g < 0 || put_sorting_by_time(g) < 0)
        rc = -1;
    hid_t dt = rc == 0 ? put_dataset(g, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m, t) : -1;
    if (dt < 0 || put_string_attr(dt, "units", "ms") < 0)
        rc = -1;
    hid_t di = rc == 0 ? put_dataset(g, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, m, id) : -1;
    if (di < 0)
        rc = -1;
    if (di >= 0)
        H5Dclose(di);
    if (dt >= 0)
        H5Dclose(dt);
    if (g >= 0)
        H5Gclose(g);
    free(t);
    free(id);
    return rc;
}

int ss_sonata_write(const ss_raster *r, size_t n, FILE *fp, const char *path, ss_error *err)
{
    quiet_hdf5();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* In memory, grown by 1 MiB at a time, never written by HDF5 itself. */
    if (fapl < 0 || H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return ss_error_set(err, SS_EIO, "%s: HDF5 cannot make a file in memory", path);
    }
    hid_t f = H5Fcreate("spiksim-sonata-image.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return ss_error_set(err, SS_EIO, "%s: HDF5 cannot create the file", path);
    int rc = 0;
    /* The SONATA root attributes: magic 0x0A7A, version 0.1. */
    uint32_t magic = 0x0A7A, version[2] = {0, 1};
    hsize_t one = 1, two = 2;
    hid_t s1 = H5Screate_simple(1, &one, NULL), s2 = H5Screate_simple(1, &two, NULL);
    hid_t am = H5Acreate2(f, "magic", H5T_STD_U32LE, s1, H5P_DEFAULT, H5P_DEFAULT);
    hid_t av = H5Acreate2(f, "version", H5T_STD_U32LE, s2, H5P_DEFAULT, H5P_DEFAULT);
    if (am < 0 || av < 0 || H5Awrite(am, H5T_NATIVE_UINT32, &magic) < 0 ||
        H5Awrite(av, H5T_NATIVE_UINT32, version) < 0)
        rc = -1;
    if (am >= 0)
        H5Aclose(am);
    if (av >= 0)
        H5Aclose(av);
    H5Sclose(s1);
    H5Sclose(s2);
    hid_t spikes = rc == 0 ? H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (spikes < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < r->n_layers; i++)
        rc = put_population(spikes, r, n, (uint32_t)i);
    if (spikes >= 0)
        H5Gclose(spikes);
    if (rc == 0 && H5Fflush(f, H5F_SCOPE_GLOBAL) < 0)
        rc = -1;
    ssize_t size = rc == 0 ? H5Fget_file_image(f, NULL, 0) : -1;
    void *image = size > 0 ? malloc((size_t)size) : NULL;
    if (!image || H5Fget_file_image(f, image, (size_t)size) != size)
        rc = -1;
    H5Fclose(f);
    if (rc != 0) {
        free(image);
        return ss_error_set(err, SS_EIO, "%s: HDF5 could not build the SONATA file", path);
    }
    size_t wrote = fwrite(image, 1, (size_t)size, fp);
    free(image);
    /* a short write is seen by the atomic stream (ss_atomic_file_fail) */
    return wrote == (size_t)size ? 0 : ss_error_set(err, SS_EIO, "%s: cannot write", path);
}

int ss_sonata_is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return got == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

/* The names of /spikes' members, for messages: "a, b, c". */
static void member_names(hid_t spikes, char *buf, size_t cap)
{
    H5G_info_t info;
    buf[0] = 0;
    if (H5Gget_info(spikes, &info) < 0)
        return;
    size_t used = 0;
    for (hsize_t i = 0; i < info.nlinks && used + 4 < cap; i++) {
        char name[256];
        if (H5Lget_name_by_idx(spikes, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                               H5P_DEFAULT) < 0)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", name);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* A 1-D dataset of a numeric class, read as mem_type into *out (n values). */
/* dset is the name in g, shown its whole path for messages. */
static int read_1d(hid_t g, const char *path, const char *dset, const char *shown, H5T_class_t want,
                   hid_t mem_type, size_t size, void **out, size_t *n, ss_error *err)
{
    *out = NULL;
    if (H5Lexists(g, dset, H5P_DEFAULT) <= 0)
        return ss_error_set(err, SS_EDATA, "%s: %s: no such dataset", path, shown);
    hid_t d = H5Dopen2(g, dset, H5P_DEFAULT);
    if (d < 0)
        return ss_error_set(err, SS_EDATA, "%s: %s: not a dataset", path, shown);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[1] = {0};
    int rc = SS_OK;
    if (H5Tget_class(t) != want)
        rc = ss_error_set(err, SS_EDATA, "%s: %s: not %s", path, shown,
                          want == H5T_FLOAT ? "floating-point" : "integers");
    else if (rank != 1)
        rc = ss_error_set(err, SS_EDATA, "%s: %s: not one-dimensional", path, shown);
    else
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (rc == SS_OK) {
        *n = (size_t)dims[0];
        *out = malloc((*n ? *n : 1) * size);
        if (!*out)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        else if (*n && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            rc = ss_error_set(err, SS_EDATA, "%s: %s: cannot be read", path, shown);
    }
    if (rc != SS_OK) {
        free(*out);
        *out = NULL;
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
    return rc;
}

/* The timestamps' unit: ms (or none given) or s. */
static int time_scale(hid_t g, const char *path, const char *dset, double *scale, ss_error *err)
{
    *scale = 1;
    hid_t d = H5Dopen2(g, "timestamps", H5P_DEFAULT);
    if (d < 0 || H5Aexists(d, "units") <= 0) {
        if (d >= 0)
            H5Dclose(d);
        return SS_OK;
    }
    hid_t a = H5Aopen(d, "units", H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    char unit[16] = "";
    int ok = H5Tget_class(t) == H5T_STRING;
    if (ok && H5Tis_variable_str(t) > 0) {
        char *s = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t)); /* no conversion between ASCII and UTF-8 */
        ok = H5Aread(a, mt, &s) >= 0 && s;
        if (ok)
            snprintf(unit, sizeof unit, "%s", s);
        if (s)
            H5free_memory(s);
        H5Tclose(mt);
    } else if (ok) {
        size_t len = H5Tget_size(t);
        char *s = calloc(len + 1, 1);
        ok = s && H5Aread(a, t, s) >= 0;
        if (ok)
            snprintf(unit, sizeof unit, "%s", s);
        free(s);
    }
    H5Tclose(t);
    H5Aclose(a);
    H5Dclose(d);
    if (ok && strcmp(unit, "ms") == 0)
        return SS_OK;
    if (ok && strcmp(unit, "s") == 0) {
        *scale = 1000;
        return SS_OK;
    }
    return ss_error_set(err, SS_EDATA, "%s: %s: units '%s' (ms or s expected)", path, dset, unit);
}

typedef struct tn {
    double t;
    uint32_t n;
} tn;

static int by_time(const void *a, const void *b)
{
    const tn *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->n > y->n) - (x->n < y->n);
}

int ss_sonata_read(const char *path, const char *population, size_t n_neurons, ss_spike_train *out,
                   ss_error *err)
{
    memset(out, 0, sizeof *out);
    quiet_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ss_error_set(err, SS_EDATA, "%s: not an HDF5 file HDF5 can open", path);
    int rc = SS_OK;
    hid_t spikes = -1, g = -1;
    char names[512];
    if (H5Lexists(f, "spikes", H5P_DEFAULT) <= 0 ||
        (spikes = H5Gopen2(f, "spikes", H5P_DEFAULT)) < 0) {
        rc = ss_error_set(err, SS_EDATA, "%s: /spikes: no such group (not a SONATA spike file)",
                          path);
        goto done;
    }
    member_names(spikes, names, sizeof names);
    char pop[256];
    if (population && *population) {
        snprintf(pop, sizeof pop, "%s", population);
    } else {
        H5G_info_t info;
        if (H5Gget_info(spikes, &info) < 0 || info.nlinks != 1) {
            rc = ss_error_set(err, SS_EDATA,
                              "%s: /spikes holds %s populations (%s): name one with "
                              "spike_population",
                              path, info.nlinks ? "several" : "no", names);
            goto done;
        }
        H5Lget_name_by_idx(spikes, ".", H5_INDEX_NAME, H5_ITER_INC, 0, pop, sizeof pop,
                           H5P_DEFAULT);
    }
    if (H5Lexists(spikes, pop, H5P_DEFAULT) <= 0 || (g = H5Gopen2(spikes, pop, H5P_DEFAULT)) < 0) {
        rc = ss_error_set(err, SS_EDATA, "%s: /spikes/%s: no such population (the file has %s)",
                          path, pop, names);
        goto done;
    }
    char dts[320], dns[320];
    snprintf(dts, sizeof dts, "/spikes/%s/timestamps", pop);
    snprintf(dns, sizeof dns, "/spikes/%s/node_ids", pop);
    double *t = NULL, scale = 1;
    uint64_t *id = NULL;
    size_t nt = 0, ni = 0;
    rc = read_1d(g, path, "timestamps", dts, H5T_FLOAT, H5T_NATIVE_DOUBLE, sizeof *t, (void **)&t,
                 &nt, err);
    if (rc == SS_OK)
        rc = read_1d(g, path, "node_ids", dns, H5T_INTEGER, H5T_NATIVE_UINT64, sizeof *id,
                     (void **)&id, &ni, err);
    if (rc == SS_OK)
        rc = time_scale(g, path, dts, &scale, err);
    if (rc == SS_OK && nt != ni)
        rc = ss_error_set(err, SS_EDATA, "%s: %s has %zu values, %s %zu", path, dts, nt, dns, ni);
    tn *sp = rc == SS_OK ? malloc((nt ? nt : 1) * sizeof *sp) : NULL;
    if (rc == SS_OK && !sp)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t k = 0; rc == SS_OK && k < nt; k++) {
        double ms = t[k] * scale;
        if (!isfinite(ms) || ms < 0)
            rc = ss_error_set(err, SS_EDATA, "%s: %s[%zu]: time %g must be finite and >= 0", path,
                              dts, k, t[k]);
        else if (id[k] >= n_neurons)
            rc = ss_error_set(err, SS_EDATA,
                              "%s: %s[%zu]: node %llu out of range (the layer has %zu neurons)",
                              path, dns, k, (unsigned long long)id[k], n_neurons);
        else
            sp[k] = (tn){ms, (uint32_t)id[k]};
    }
    if (rc == SS_OK) {
        qsort(sp, nt, sizeof *sp, by_time); /* a no-op order for sorting = by_time */
        for (size_t k = 0; k < nt; k++) {
            t[k] = sp[k].t;
            id[k] = sp[k].n;
        }
        uint32_t *neuron = malloc((nt ? nt : 1) * sizeof *neuron);
        if (!neuron)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        for (size_t k = 0; rc == SS_OK && k < nt; k++)
            neuron[k] = (uint32_t)id[k];
        if (rc == SS_OK) {
            rc = ss_spike_train_set(out, n_neurons, t, neuron, nt, err);
            if (rc != SS_OK) {
                char msg[SS_ERROR_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", err->msg);
                ss_error_set(err, rc, "%s: /spikes/%s: %s", path, pop, msg);
            }
        }
        free(neuron);
    }
    free(sp);
    free(t);
    free(id);
done:
    if (g >= 0)
        H5Gclose(g);
    if (spikes >= 0)
        H5Gclose(spikes);
    H5Fclose(f);
    return rc;
}
