/* Free-running models: build, run, record, summarise (ss_simulate_free(),
 * see engine.h).  This is what `spiksim MODEL --raster FILE` runs for a
 * model without [data], such as bench4. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/atomic.h>
#include <spiksim/engine.h>
#include <spiksim/record.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Interspike-interval statistics per neuron, updated online so a run needs
 * no raster to report its CV.  Plain sums (no division per spike): intervals
 * are far from overflow and their variance far above rounding. */
typedef struct isi_acc {
    double last, sum, sum2;
    uint64_t n;
} isi_acc;

typedef struct isi_stats {
    isi_acc *acc;   /* by global neuron id */
    size_t *offset; /* of each layer */
} isi_stats;

static void isi_on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    isi_stats *st = ctx;
    isi_acc *a = &st->acc[st->offset[layer] + neuron];
    double isi = t_ms - a->last; /* last = -INFINITY before the first spike */
    if (isi < INFINITY) {
        a->n++;
        a->sum += isi;
        a->sum2 += isi * isi;
    }
    a->last = t_ms;
}

void ss_run_stats_free(ss_run_stats *stats)
{
    if (!stats)
        return;
    for (size_t i = 0; i < stats->n_layers; i++)
        free(stats->layers[i].name);
    free(stats->layers);
    stats->layers = NULL;
    stats->n_layers = 0;
}

static int fill_stats(ss_run_stats *stats, const ss_network *net, const ss_engine *eng,
                      const isi_stats *isi, double duration_ms)
{
    ss_engine_counters c;
    ss_engine_get_counters(eng, &c);
    stats->spikes = c.spikes;
    stats->syn_events = c.syn_events;
    stats->syn_events_per_s = stats->run_s > 0 ? (double)c.syn_events / stats->run_s : 0;
    ss_network_summarize(net, &stats->net);
    ss_engine_get_plan(eng, &stats->plan);
    size_t nl = ss_network_n_layers(net);
    stats->layers = calloc(nl ? nl : 1, sizeof *stats->layers);
    if (!stats->layers)
        return SS_ENOMEM;
    stats->n_layers = nl;
    for (size_t i = 0; i < nl; i++) {
        const ss_layer *l = ss_network_layer(net, i);
        ss_layer_stats *ls = &stats->layers[i];
        if (!(ls->name = strdup(ss_layer_name(l))))
            return SS_ENOMEM;
        ls->type = ss_layer_type_name(ss_layer_type_of(l));
        ls->size = ss_layer_size(l);
        ls->spikes = ss_engine_layer_spikes(eng, i);
        ls->rate_hz =
            duration_ms > 0 ? (double)ls->spikes / (double)ls->size / (duration_ms / 1000.0) : 0;
        double cv_sum = 0;
        size_t cv_n = 0;
        for (size_t j = 0; j < ls->size; j++) {
            const isi_acc *a = &isi->acc[ss_layer_offset(l) + j];
            if (a->n >= 2 && a->sum > 0) {
                double mean = a->sum / (double)a->n;
                double var = fmax(a->sum2 / (double)a->n - mean * mean, 0);
                cv_sum += sqrt(var) / mean;
                cv_n++;
            }
        }
        ls->cv_isi = cv_n ? cv_sum / (double)cv_n : NAN;
    }
    return SS_OK;
}

int ss_simulate_free(const ss_config *cfg, unsigned long seed, const char *raster_csv_path,
                     ss_run_stats *stats, ss_error *err)
{
    return ss_simulate_free_with(cfg, seed, raster_csv_path, NULL, NULL, NULL, stats, err);
}

int ss_simulate_free_with(const ss_config *cfg, unsigned long seed, const char *raster_csv_path,
                          ss_simulate_start_fn on_start, void *ctx,
                          const volatile sig_atomic_t *stop, ss_run_stats *stats, ss_error *err)
{
    ss_run_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    stats->seed = seed;
    double duration = ss_config_double(cfg, "simulation", "duration_ms");
    stats->duration_ms = stats->requested_duration_ms = duration;
    if (raster_csv_path) {
        int rc = ss_atomic_file_check_writable(raster_csv_path, err);
        if (rc)
            return rc;
    }
    double t0 = wall_s();
    ss_network *net = NULL;
    ss_engine *eng = NULL;
    ss_recorder *rec = NULL;
    isi_stats isi = {0};
    int rc = SS_OK;
    net = ss_network_from_config(cfg, seed, err);
    if (!net) {
        rc = err ? err->code : SS_ECONFIG;
        goto done;
    }
    ss_engine_options eo = {.seed = seed,
                            .threads = (unsigned)ss_config_int(cfg, "simulation", "threads"),
                            .partitions = (unsigned)ss_config_int(cfg, "simulation", "partitions")};
    eng = ss_engine_alloc(net, &eo, err);
    if (!eng) {
        rc = err ? err->code : SS_ENOMEM;
        goto done;
    }
    isi.acc = malloc((ss_network_n_neurons(net) ? ss_network_n_neurons(net) : 1) * sizeof *isi.acc);
    isi.offset = malloc((ss_network_n_layers(net) + 1) * sizeof *isi.offset);
    if (!isi.acc || !isi.offset || ss_engine_add_observer(eng, isi_on_spike, &isi)) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        goto done;
    }
    if (on_start && (rc = on_start(ctx, net, eng, err)) != SS_OK)
        goto done;
    for (size_t i = 0; i < ss_network_n_neurons(net); i++)
        isi.acc[i] = (isi_acc){-INFINITY, 0, 0, 0};
    for (size_t i = 0; i < ss_network_n_layers(net); i++)
        isi.offset[i] = ss_layer_offset(ss_network_layer(net, i));
    if (raster_csv_path) {
        rec = ss_recorder_alloc(net);
        if (!rec || ss_recorder_attach(rec, eng)) {
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
            goto done;
        }
    }
    double t1 = wall_s();
    stats->build_s = t1 - t0;
    ss_engine_set_interrupt(eng, stop);
    rc = ss_engine_run(eng, duration, err);
    stats->run_s = wall_s() - t1;
    /* Interrupted: what was simulated is still a result, up to the time
     * reached. */
    if (rc == SS_EINTR) {
        stats->interrupted = 1;
        stats->duration_ms = ss_engine_time(eng);
    } else if (rc) {
        goto done;
    }
    int wrc = rec ? ss_recorder_write_csv(rec, raster_csv_path, err) : SS_OK;
    if (wrc) {
        rc = wrc;
        goto done;
    }
    stats->wall_s = wall_s() - t0;
    if (fill_stats(stats, net, eng, &isi, stats->duration_ms)) {
        ss_run_stats_free(stats);
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    }
done:
    if (stats == &local)
        ss_run_stats_free(&local);
    free(isi.acc);
    free(isi.offset);
    ss_recorder_free(rec);
    ss_engine_free(eng);
    ss_network_free(net);
    return rc;
}
