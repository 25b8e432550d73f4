/* The recorder's CSV writer: recorded spikes as time_ms,layer,neuron rows (see record.h). */
#include <spiksim/atomic.h>
#include <spiksim/record.h>

#include <stdlib.h>

typedef struct {
    double t;
    uint32_t layer, neuron;
} row;

static int row_cmp(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->layer != b->layer)
        return a->layer < b->layer ? -1 : 1;
    return (a->neuron > b->neuron) - (a->neuron < b->neuron);
}

int ss_recorder_write_csv_stream(const ss_recorder *rec, FILE *out, ss_error *err)
{
    if (ss_recorder_status(rec))
        return ss_error_set(err, SS_ENOMEM, "spikes were lost: out of memory while recording");
    const ss_network *net = ss_recorder_network(rec);
    size_t total = ss_recorder_total(rec);
    row *rows = malloc((total ? total : 1) * sizeof *rows);
    if (!rows)
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    size_t k = 0;
    for (size_t l = 0; l < ss_network_n_layers(net); l++) {
        const double *t;
        const uint32_t *nr;
        size_t n = ss_recorder_spikes(rec, l, &t, &nr);
        for (size_t i = 0; i < n; i++, k++) {
            rows[k].t = t[i];
            rows[k].layer = (uint32_t)l;
            rows[k].neuron = nr[i];
        }
    }
    qsort(rows, total, sizeof *rows, row_cmp);
    fputs("time_ms,layer,neuron\n", out);
    for (size_t i = 0; i < total; i++)
        fprintf(out, "%.6f,%s,%u\n", rows[i].t, ss_layer_name(ss_network_layer(net, rows[i].layer)),
                rows[i].neuron);
    free(rows);
    if (ferror(out))
        return ss_error_set(err, SS_EIO, "raster: write error");
    return SS_OK;
}

int ss_recorder_write_csv(const ss_recorder *rec, const char *path, ss_error *err)
{
    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err ? err->code : SS_EIO;
    int rc = ss_recorder_write_csv_stream(rec, ss_atomic_file_stream(af), err);
    if (rc) {
        ss_atomic_file_abort(af);
        return rc;
    }
    return ss_atomic_file_commit(af, err);
}
