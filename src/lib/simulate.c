/* Free-running models: build, run, record, summarise (ss_simulate_free(),
 * see engine.h).  This is what `spiksim MODEL --raster FILE` runs for a
 * model without [data], such as bench4. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/atomic.h>
#include <spiksim/checkpoint.h>
#include <spiksim/engine.h>
#include <spiksim/learn.h>
#include <spiksim/record.h>

#include "pool.h"
#include "strutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
    for (size_t i = 0; i < stats->n_plastic; i++)
        free(stats->plastic[i].name);
    free(stats->plastic);
    stats->plastic = NULL;
    stats->n_plastic = 0;
}

/* Weights in integer units of 2^-24 for sums that do not depend on the
 * order they are taken in (ranks hold different synapses). */
#define WEIGHT_UNIT 16777216.0

/* The final weights of every projection that learned (this rank's
 * synapses; combine_ranks() adds the other ranks'). */
static int plastic_stats(ss_run_stats *st, ss_network *net, const ss_learner *l)
{
    size_t n = l ? ss_learner_n_plastic(l) : 0;
    if (!n)
        return SS_OK;
    if (!(st->plastic = calloc(n, sizeof *st->plastic)))
        return SS_ENOMEM;
    st->n_plastic = n;
    for (size_t k = 0; k < n; k++) {
        ss_plastic_stats *ps = &st->plastic[k];
        size_t pi;
        ss_learner_plastic(l, k, &pi, &ps->w_min, &ps->w_max);
        ss_projection *p = ss_network_projection(net, pi);
        if (!(ps->name = strdup(ss_projection_name(p))))
            return SS_ENOMEM;
        const float *w = ss_projection_weights(p);
        ps->synapses = ss_projection_n_synapses(p);
        double half = 0.5 * (ps->w_min + ps->w_max), span = ps->w_max - ps->w_min;
        for (size_t s = 0; s < ps->synapses; s++) {
            ps->sum_q += (int64_t)llround((double)w[s] * WEIGHT_UNIT);
            ps->above_half += w[s] > half;
            long b = span > 0 ? (long)floor(((double)w[s] - ps->w_min) / span * SS_WEIGHT_BINS) : 0;
            ps->counts[b < 0 ? 0 : b >= SS_WEIGHT_BINS ? SS_WEIGHT_BINS - 1 : b]++;
        }
    }
    return SS_OK;
}

static void plastic_means(ss_run_stats *st)
{
    for (size_t k = 0; k < st->n_plastic; k++) {
        ss_plastic_stats *ps = &st->plastic[k];
        ps->mean_weight = ps->synapses ? (double)ps->sum_q / WEIGHT_UNIT / (double)ps->synapses : 0;
    }
}

/* The checkpoint of a free run's learned weights (ss_learner_save()). */
static int save_weights(const ss_learner *l, const char *path, ss_error *err)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    if (!ck)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    int rc = ss_learner_save(l, ck, err);
    if (rc == SS_OK)
        rc = ss_checkpoint_write(ck, path, err);
    ss_checkpoint_free(ck);
    return rc;
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
    ss_simulate_options opt = {.seed = seed, .raster_csv_path = raster_csv_path};
    return ss_simulate_run(cfg, &opt, stats, err);
}

/* Whether a layer of the model file is a neuron layer. */
static int neuron_layer(const ss_config *cfg, const char *name)
{
    char *sec = ss_strprintf("layer.%s", name);
    if (!sec)
        return 0;
    const char *type = ss_config_has_section(cfg, sec) ? ss_config_string(cfg, sec, "type") : "";
    free(sec);
    return strcmp(type, "lif") == 0 || strcmp(type, "lif_exp") == 0;
}

unsigned ss_simulate_local_partitions(const ss_config *cfg)
{
    unsigned threads = (unsigned)ss_config_int(cfg, "simulation", "threads");
    unsigned parts = (unsigned)ss_config_int(cfg, "simulation", "partitions");
    return parts ? parts : threads ? threads : ss_pool_online_cpus();
}

void ss_simulate_share(const ss_config *cfg, unsigned ranks, unsigned rank, unsigned local,
                       ss_share *share)
{
    *share = (ss_share){0, 1, 1};
    if (ranks <= 1)
        return;
    /* The engine's plan, read off the model file before the network exists:
     * a zero-delay projection between neuron layers keeps it whole. */
    for (size_t k = 0; k < ss_config_count(cfg, "projection"); k++) {
        char *sec = ss_strprintf("projection.%s", ss_config_name(cfg, "projection", k));
        int zero = sec && neuron_layer(cfg, ss_config_string(cfg, sec, "from")) &&
                   ss_config_double(cfg, sec, "delay_ms") == 0;
        free(sec);
        if (zero)
            return;
    }
    *share = (ss_share){rank * local, (rank + 1) * local, ranks * local};
}

/* Peak resident memory of this process, MiB. */
static double rss_mib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0;
}

/* The whole run's figures from every rank's (each counted its own
 * neurons' spikes and its own synapses). */
static int combine_ranks(ss_comm *comm, ss_run_stats *st, ss_error *err)
{
    size_t nl = st->n_layers;
    size_t np = st->n_plastic, per = 3 + SS_WEIGHT_BINS;
    uint64_t *v = malloc((5 + nl + np * per) * sizeof *v);
    if (!v)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    v[0] = st->spikes;
    v[1] = st->syn_events;
    v[2] = st->net.n_synapses;
    v[3] = st->net.synapse_bytes;
    /* record bytes: bytes_per_synapse is their mean over this rank's synapses */
    v[4] = (uint64_t)(st->net.bytes_per_synapse * (double)st->net.n_synapses + 0.5);
    for (size_t i = 0; i < nl; i++)
        v[5 + i] = st->layers[i].spikes;
    /* two's complement: the sum of the u64 images is the image of the sum */
    for (size_t k = 0; k < np; k++) {
        uint64_t *q = v + 5 + nl + k * per;
        q[0] = st->plastic[k].synapses;
        q[1] = (uint64_t)st->plastic[k].sum_q;
        q[2] = st->plastic[k].above_half;
        memcpy(q + 3, st->plastic[k].counts, sizeof st->plastic[k].counts);
    }
    int rc = ss_comm_sum_u64(comm, v, 5 + nl + np * per, err);
    double mx[2] = {(double)st->net.estimated_bytes, st->rss_mib};
    if (rc == SS_OK)
        rc = ss_comm_max_f64(comm, mx, 2, err);
    if (rc == SS_OK) {
        st->spikes = v[0];
        st->syn_events = v[1];
        st->net.n_synapses = (size_t)v[2];
        st->net.synapse_bytes = (size_t)v[3];
        st->net.bytes_per_synapse = v[2] ? (double)v[4] / (double)v[2] : 0;
        st->net.bytes_per_synapse_total = v[2] ? (double)v[3] / (double)v[2] : 0;
        for (size_t i = 0; i < nl; i++) {
            ss_layer_stats *ls = &st->layers[i];
            ls->spikes = v[5 + i];
            ls->rate_hz = st->duration_ms > 0
                              ? (double)ls->spikes / (double)ls->size / (st->duration_ms / 1000.0)
                              : 0;
        }
        st->syn_events_per_s = st->run_s > 0 ? (double)st->syn_events / st->run_s : 0;
        for (size_t k = 0; k < np; k++) {
            const uint64_t *q = v + 5 + nl + k * per;
            st->plastic[k].synapses = q[0];
            st->plastic[k].sum_q = (int64_t)q[1];
            st->plastic[k].above_half = q[2];
            memcpy(st->plastic[k].counts, q + 3, sizeof st->plastic[k].counts);
        }
        plastic_means(st);
        st->rank_bytes_max = (size_t)mx[0];
        st->rss_mib_max = mx[1];
    }
    free(v);
    return rc;
}

int ss_simulate_run(const ss_config *cfg, const ss_simulate_options *opt, ss_run_stats *stats,
                    ss_error *err)
{
    ss_run_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    ss_comm *comm = opt->comm;
    int rank = ss_comm_rank(comm);
    unsigned long seed = opt->seed;
    const char *raster_csv_path = rank == 0 ? opt->raster_csv_path : NULL;
    stats->seed = seed;
    double duration = ss_config_double(cfg, "simulation", "duration_ms");
    stats->duration_ms = stats->requested_duration_ms = duration;
    int rc = raster_csv_path ? ss_atomic_file_check_writable(raster_csv_path, err) : SS_OK;
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        return rc;
    double t0 = wall_s();
    ss_network *net = NULL;
    ss_engine *eng = NULL;
    ss_recorder *rec = NULL;
    ss_learner *learner = NULL;
    isi_stats isi = {0};
    unsigned threads = (unsigned)ss_config_int(cfg, "simulation", "threads");
    unsigned parts = (unsigned)ss_config_int(cfg, "simulation", "partitions");
    ss_share share;
    ss_simulate_share(cfg, (unsigned)ss_comm_size(comm), (unsigned)rank,
                      ss_simulate_local_partitions(cfg), &share);
    net = ss_network_from_config_share(cfg, seed, &share, err);
    rc = net ? SS_OK : (err ? err->code : SS_ECONFIG);
    /* Agreed before the engine, whose set-up is itself collective. */
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        goto done;
    ss_engine_options eo = {.seed = seed, .threads = threads, .partitions = parts, .comm = comm};
    if (!(eng = ss_engine_alloc(net, &eo, err)))
        rc = err ? err->code : SS_ENOMEM;
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        goto done;
    isi.acc = malloc((ss_network_n_neurons(net) ? ss_network_n_neurons(net) : 1) * sizeof *isi.acc);
    isi.offset = malloc((ss_network_n_layers(net) + 1) * sizeof *isi.offset);
    if (!isi.acc || !isi.offset || ss_engine_add_observer(eng, isi_on_spike, &isi))
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    if (rc == SS_OK && opt->on_start)
        rc = opt->on_start(opt->ctx, net, eng, err);
    if (rc == SS_OK) {
        for (size_t i = 0; i < ss_network_n_neurons(net); i++)
            isi.acc[i] = (isi_acc){-INFINITY, 0, 0, 0};
        for (size_t i = 0; i < ss_network_n_layers(net); i++)
            isi.offset[i] = ss_layer_offset(ss_network_layer(net, i));
    }
    if (rc == SS_OK && raster_csv_path) {
        rec = ss_recorder_alloc(net);
        if (!rec || ss_recorder_attach(rec, eng))
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    /* Plastic projections learn for the whole run, every pre/post pair, as
     * in training (one "presentation" spanning the run: the per-sample
     * steps, normalisation and homeostasis, never come). */
    int plastic = 0;
    for (size_t k = 0; k < ss_network_n_projections(net); k++)
        plastic |= ss_projection_plastic(ss_network_projection(net, k));
    if (rc == SS_OK && plastic) {
        learner = ss_learner_alloc(net, eng, cfg, err);
        if (!learner)
            rc = err ? err->code : SS_ENOMEM;
    }
    if (rc == SS_OK && opt->save_path && (!learner || !ss_learner_n_plastic(learner)))
        rc = ss_error_set(err, SS_EUSAGE,
                          "--save: this model has no plastic projection, nothing is learned");
    if (rc == SS_OK && opt->save_path && share.n > 1)
        rc = ss_error_set(err, SS_EUSAGE,
                          "--save: a free run's weights are split across %d ranks; run it on "
                          "one process to save them",
                          ss_comm_size(comm));
    if (rc == SS_OK && learner) {
        ss_learner_set_enabled(learner, 1);
        ss_learner_begin_sample(learner, 0, duration);
    }
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        goto done;
    double t1 = wall_s();
    stats->build_s = t1 - t0;
    ss_engine_set_interrupt(eng, opt->stop);
    rc = ss_engine_run(eng, duration, err);
    stats->run_s = wall_s() - t1;
    /* Interrupted: what was simulated is still a result, up to the time
     * reached (the same on every rank: they agreed on the window). */
    if (rc == SS_EINTR) {
        stats->interrupted = 1;
        stats->duration_ms = ss_engine_time(eng);
        rc = SS_OK;
    }
    if (rc == SS_OK && rec)
        rc = ss_recorder_write_csv(rec, raster_csv_path, err);
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        goto done;
    stats->wall_s = wall_s() - t0;
    stats->rss_mib = stats->rss_mib_max = rss_mib();
    if (fill_stats(stats, net, eng, &isi, stats->duration_ms)) {
        ss_run_stats_free(stats);
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    if (rc == SS_OK && plastic_stats(stats, net, learner) != SS_OK)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    plastic_means(stats);
    if (rc == SS_OK && learner && opt->save_path && rank == 0)
        rc = save_weights(learner, opt->save_path, err);
    if ((rc = ss_comm_agree(comm, rc, err)) != SS_OK)
        goto done;
    stats->rank_bytes_max = stats->net.estimated_bytes;
    ss_engine_exchange_stats(eng, &stats->exchanges, &stats->exchange_bytes, &stats->exchange_s);
    if (rc == SS_OK && stats->plan.distributed)
        rc = combine_ranks(comm, stats, err);
    if (rc == SS_OK && stats->interrupted)
        rc = ss_error_set(err, SS_EINTR, "interrupted at %g ms", stats->duration_ms);
done:
    if (stats == &local)
        ss_run_stats_free(&local);
    free(isi.acc);
    free(isi.offset);
    ss_recorder_free(rec);
    ss_learner_free(learner);
    ss_engine_free(eng);
    ss_network_free(net);
    return rc;
}
