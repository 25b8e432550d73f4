/* ss_raster_write(): one entry point for every --raster format, with the
 * checks done before a file is created. */
#include <string.h>

#include <spiksim/atomic.h>
#include <spiksim/plot.h>
#include <spiksim/sonata.h>

#include "raster_internal.h"

/* The binary format stores names with a 16-bit length. */
static int names_fit(const ss_raster *r, const char *path, ss_error *err)
{
    const size_t max = 65535;
    for (size_t i = 0; i < r->n_layers; i++) {
        const ss_raster_layer *l = &r->layers[i];
        if (strlen(l->name) > max)
            return ss_error_set(err, SS_EDATA, "%s: layer name longer than %zu bytes", path, max);
        for (uint32_t k = 0; l->neuron_names && k < l->size; k++)
            if (strlen(l->neuron_names[k]) > max)
                return ss_error_set(err, SS_EDATA, "%s: neuron name longer than %zu bytes", path,
                                    max);
    }
    for (size_t i = 0; i < r->n_samples; i++) {
        const ss_raster_sample *s = &r->samples[i];
        if ((s->label && strlen(s->label) > max) || (s->predicted && strlen(s->predicted) > max))
            return ss_error_set(err, SS_EDATA, "%s: class name longer than %zu bytes", path, max);
    }
    return 0;
}

int ss_raster_write(const ss_raster *r, const char *path, ss_raster_format fmt, size_t max_spikes,
                    size_t *n_dropped, ss_error *err)
{
    if (n_dropped)
        *n_dropped = 0;
    if (ss_raster_format_is_picture(fmt)) {
        ss_plot_raster_opts o = {0};
        o.max_spikes = max_spikes;
        ss_plot_format pf = fmt == SS_RASTER_PNG   ? SS_PLOT_PNG
                            : fmt == SS_RASTER_SVG ? SS_PLOT_SVG
                                                   : SS_PLOT_PDF;
        return ss_plot_raster(r, path, pf, &o, n_dropped, err);
    }
    if (fmt != SS_RASTER_CSV && fmt != SS_RASTER_BIN && fmt != SS_RASTER_H5)
        return ss_error_set(err, SS_EUSAGE, "%s: unknown raster format %d", path, (int)fmt);
    if (!ss_raster_is_sorted(r))
        return ss_error_set(err, SS_EDATA, "%s: raster spikes are not sorted by time", path);
    int rc;
    if (fmt == SS_RASTER_BIN && (rc = names_fit(r, path, err)) < 0)
        return rc;
    size_t n = r->n_spikes;
    if (max_spikes > 0 && n > max_spikes)
        n = max_spikes;

    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err ? err->code : SS_EIO;
    FILE *fp = ss_atomic_file_stream(af);
    if (fmt == SS_RASTER_H5) {
        ss_error h5err;
        if (ss_sonata_write(r, n, fp, path, &h5err) < 0) {
            if (ferror(fp))
                return ss_atomic_file_fail(af, err); /* a full disk: the file's own reason */
            ss_atomic_file_abort(af);
            if (err)
                *err = h5err;
            return h5err.code;
        }
        rc = 0;
    } else {
        rc = fmt == SS_RASTER_CSV ? ss_raster_write_csv(r, n, fp) : ss_raster_write_bin(r, n, fp);
    }
    if (rc < 0)
        return ss_atomic_file_fail(af, err); /* with the reason: a full disk, a closed pipe */
    if ((rc = ss_atomic_file_commit(af, err)) < 0)
        return rc;
    if (n_dropped)
        *n_dropped = r->n_spikes - n;
    return 0;
}
