/* The spiking classifier: presentation, training epochs, evaluation (spread
 * over threads by sample), checkpoints.  See train.h and docs/parallel.md. */
#include <spiksim/train.h>

#include <spiksim/stream.h>

#include "pool.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An engine with what one presentation needs around it: input buffers and
 * the output layer's spike counts.  The classifier has one for training
 * (all partitions, on every thread) and, with several threads, one per
 * thread for the passes with plasticity off (one partition each), which run
 * samples in parallel on the shared weights. */
typedef struct runner {
    struct ss_classifier *c;
    ss_engine *eng;
    double *rates;       /* input rates of one sample */
    double *label_rates; /* label layer rates */
    unsigned *counts;    /* output spikes in the current presentation */
    double *first_ms;
    double t0_ms;
    /* A parallel pass records the spikes of a presentation here when the
     * main engine's observers (rasters, the server) must see them. */
    struct spike_buf *rec;
    /* its presentation's outcome and error */
    int rc;
    ss_error err;
} runner;

typedef struct spike_buf {
    uint32_t *layer, *neuron;
    double *t;
    size_t n, cap;
} spike_buf;

struct ss_classifier {
    ss_network *net;
    ss_learner *learner;
    ss_encoder enc;
    unsigned long seed;
    uint64_t adhoc; /* presentations made through ss_classifier_present */
    size_t input, output;
    int label; /* label layer index, -1 when none */
    size_t n_classes;
    double teacher_rate_hz;
    runner main;     /* training, and every pass with one thread */
    runner *work;    /* with several threads: one per thread, else NULL */
    unsigned n_work; /* threads */
    ss_pool *pool;   /* the threads of the parallel passes */
    /* MPI: the ranks; the passes with plasticity off are split by sample
     * across them, and training runs across them when distributed. */
    ss_comm *comm;
    int rank, ranks;
    int distributed;           /* training partitions span the ranks */
    FILE *log;                 /* -v: per-layer activity of each phase */
    int logging;               /* set_log was called (on every rank alike) */
    uint64_t *layer_mark;      /* layer spike counts at the start of a phase */
    ss_presentation_fn listen; /* rasters, live views */
    void *listen_ctx;
};

/* Streams of the presentations (ss_engine_set_stream): training sample k of
 * epoch e, evaluation sample s, a query's key, an ad-hoc presentation.
 * Every evaluation of sample s draws the same input spikes, so a network
 * restored from a checkpoint tests exactly as it did when saved, and a pass
 * gives the same result however its samples are spread over threads. */
enum { STREAM_TRAIN = 1, STREAM_EVAL = 2, STREAM_QUERY = 3, STREAM_ADHOC = 4 };

static uint64_t stream_of(uint64_t what, uint64_t a, uint64_t b)
{
    return ss_stream_mix(ss_stream_mix(what, a), b);
}

void ss_classifier_set_log(ss_classifier *c, FILE *log)
{
    c->log = log;
    c->logging = 1; /* NULL on ranks other than 0: they count, rank 0 prints */
}

void ss_classifier_set_listener(ss_classifier *c, ss_presentation_fn fn, void *ctx)
{
    c->listen = fn;
    c->listen_ctx = ctx;
}

void ss_classifier_get_listener(const ss_classifier *c, ss_presentation_fn *fn, void **ctx)
{
    *fn = c->listen;
    *ctx = c->listen_ctx;
}

/* Every engine's counters together: the passes with plasticity off may
 * have run on the threads' engines, and on other ranks.  With several
 * ranks, a collective (every rank calls it at the same points). */
static void all_counters(const ss_classifier *c, ss_engine_counters *out)
{
    ss_engine_get_counters(c->main.eng, out);
    /* A training engine that every rank runs whole counts once, on rank 0. */
    if (c->ranks > 1 && !c->distributed && c->rank != 0)
        memset(out, 0, sizeof *out);
    for (unsigned w = 0; c->work && w < c->n_work; w++) {
        ss_engine_counters k;
        ss_engine_get_counters(c->work[w].eng, &k);
        out->spikes += k.spikes;
        out->syn_events += k.syn_events;
        out->deliveries += k.deliveries;
        out->events += k.events;
    }
    if (c->ranks > 1) {
        uint64_t v[4] = {out->spikes, out->syn_events, out->deliveries, out->events};
        if (ss_comm_sum_u64(c->comm, v, 4, NULL) == SS_OK)
            *out = (ss_engine_counters){v[0], v[1], v[2], v[3]};
    }
}

static uint64_t all_layer_spikes(const ss_classifier *c, size_t layer)
{
    uint64_t n = ss_engine_layer_spikes(c->main.eng, layer);
    if (c->ranks > 1 && !c->distributed && c->rank != 0)
        n = 0;
    for (unsigned w = 0; c->work && w < c->n_work; w++)
        n += ss_engine_layer_spikes(c->work[w].eng, layer);
    if (c->ranks > 1)
        ss_comm_sum_u64(c->comm, &n, 1, NULL);
    return n;
}

/* Starts (n_samples = 0) or ends a logged phase. */
static void log_phase(ss_classifier *c, const char *phase, size_t n_samples)
{
    /* With several ranks every rank counts (a collective), rank 0 prints:
     * -v is given to every rank alike. */
    if (!c->logging || !c->layer_mark)
        return;
    size_t n_layers = ss_network_n_layers(c->net);
    if (n_samples == 0) {
        for (size_t i = 0; i < n_layers; i++)
            c->layer_mark[i] = all_layer_spikes(c, i);
        return;
    }
    if (c->log)
        fprintf(c->log, "spiksim: %s: spikes per neuron and presentation:", phase);
    for (size_t i = 0; i < n_layers; i++) {
        ss_layer *l = ss_network_layer(c->net, i);
        double d = (double)(all_layer_spikes(c, i) - c->layer_mark[i]);
        if (c->log)
            fprintf(c->log, " %s %.2f", ss_layer_name(l),
                    d / (double)n_samples / (double)ss_layer_size(l));
    }
    if (c->log)
        fprintf(c->log, "\n");
}

static int spike_buf_add(spike_buf *b, size_t layer, size_t neuron, double t)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        uint32_t *l = realloc(b->layer, cap * sizeof *l);
        if (l)
            b->layer = l;
        uint32_t *n = realloc(b->neuron, cap * sizeof *n);
        if (n)
            b->neuron = n;
        double *tt = realloc(b->t, cap * sizeof *tt);
        if (tt)
            b->t = tt;
        if (!l || !n || !tt)
            return SS_ENOMEM;
        b->cap = cap;
    }
    b->layer[b->n] = (uint32_t)layer;
    b->neuron[b->n] = (uint32_t)neuron;
    b->t[b->n] = t;
    b->n++;
    return SS_OK;
}

static void spike_buf_clear(spike_buf *b)
{
    free(b->layer);
    free(b->neuron);
    free(b->t);
    memset(b, 0, sizeof *b);
}

/* A runner's observer: the output layer's spike counts (the readout), and
 * the presentation's spikes when a parallel pass records them. */
static void count_output(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    runner *r = ctx;
    if (r->rec && r->rc == SS_OK && spike_buf_add(r->rec, layer, neuron, t_ms) != SS_OK)
        r->rc = ss_error_set(&r->err, SS_ENOMEM, "out of memory recording spikes");
    if (layer != r->c->output)
        return;
    if (r->counts[neuron]++ == 0)
        r->first_ms[neuron] = t_ms - r->t0_ms;
}

/* The single layer whose model-file type is type, -1 when there is none,
 * -2 when several.  (Label layers are input layers to the engine.) */
static int layer_of_type(const ss_network *net, const ss_config *cfg, const char *type)
{
    int found = -1;
    for (size_t i = 0; i < ss_network_n_layers(net); i++) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(ss_network_layer(net, i)));
        if (strcmp(ss_config_string(cfg, sec, "type"), type) == 0)
            found = found == -1 ? (int)i : -2;
    }
    return found;
}

static int find_layers(ss_classifier *c, const ss_config *cfg, size_t n_inputs, ss_error *err)
{
    int input = layer_of_type(c->net, cfg, "input");
    if (input < 0)
        return ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                               "a classifier needs exactly one layer of type = input (found %s)",
                               input == -1 ? "none" : "several");
    c->input = (size_t)input;
    if (ss_layer_size(ss_network_layer(c->net, c->input)) != n_inputs) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(ss_network_layer(c->net, c->input)));
        return ss_config_error(cfg, err, sec, "size",
                               "the encoder drives %zu input neurons (features x population)",
                               n_inputs);
    }
    const char *out_name = ss_config_string(cfg, "train", "output_layer");
    int output = ss_network_find_layer(c->net, out_name);
    if (output < 0)
        return ss_config_error(cfg, err, "train", "output_layer", "no layer named '%s'", out_name);
    c->output = (size_t)output;
    if (ss_layer_size(ss_network_layer(c->net, c->output)) != c->n_classes) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", out_name);
        return ss_config_error(cfg, err, sec, "size",
                               "the output layer needs one neuron per class (%zu)", c->n_classes);
    }
    c->label = layer_of_type(c->net, cfg, "label");
    if (c->label == -2)
        return ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                               "a classifier takes at most one layer of type = label");
    if (c->label >= 0 &&
        ss_layer_size(ss_network_layer(c->net, (size_t)c->label)) != c->n_classes) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s",
                 ss_layer_name(ss_network_layer(c->net, (size_t)c->label)));
        return ss_config_error(cfg, err, sec, "size",
                               "the label layer needs one neuron per class (%zu)", c->n_classes);
    }
    return SS_OK;
}

static void runner_free(runner *r)
{
    ss_engine_free(r->eng);
    free(r->rates);
    free(r->label_rates);
    free(r->counts);
    free(r->first_ms);
}

static int runner_init(ss_classifier *c, runner *r, const ss_engine_options *opt, ss_error *err)
{
    r->c = c;
    r->eng = ss_engine_alloc(c->net, opt, err);
    if (!r->eng)
        return err ? err->code : SS_ENOMEM;
    r->rates = calloc(ss_encoder_n_inputs(&c->enc), sizeof *r->rates);
    r->label_rates = calloc(c->n_classes, sizeof *r->label_rates);
    r->counts = calloc(c->n_classes, sizeof *r->counts);
    r->first_ms = calloc(c->n_classes, sizeof *r->first_ms);
    if (!r->rates || !r->label_rates || !r->counts || !r->first_ms ||
        ss_engine_add_observer(r->eng, count_output, r) != SS_OK)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    return SS_OK;
}

/* Threads for training.  A training window (the smallest delay between
 * neuron layers, 0.1 ms in the shipped models) must hold enough work to pay
 * for a barrier, about a microsecond: below TRAIN_EVENTS_PER_WINDOW
 * synaptic events per window (estimated from the synapse count at 20 Hz per
 * presynaptic neuron) one partition trains faster than several.  Results are
 * the same either way; the passes with plasticity off use every thread
 * regardless.  docs/parallel.md has the measurements. */
#define TRAIN_EVENTS_PER_WINDOW 256.0

static unsigned train_threads(const ss_network *net, unsigned threads)
{
    ss_engine_options opt = {.threads = threads};
    ss_engine_plan plan;
    ss_engine_plan_for(net, &opt, &plan);
    ss_network_summary sum;
    ss_network_summarize(net, &sum);
    double window_ms = isinf(plan.window_ms) ? 100 : plan.window_ms;
    double events = (double)sum.n_synapses * 20.0 * window_ms / 1000.0;
    return events >= TRAIN_EVENTS_PER_WINDOW ? threads : 1;
}

ss_classifier *ss_classifier_alloc(const ss_config *cfg, size_t n_features, size_t n_classes,
                                   unsigned long seed, ss_error *err)
{
    return ss_classifier_alloc_threads(cfg, n_features, n_classes, seed,
                                       (unsigned)ss_config_int(cfg, "simulation", "threads"), err);
}

/* The training engine's options: [simulation] partitions when set, else
 * train_threads()'s choice.  With several ranks, training is split across
 * them only when it is split at all (partitions set, or windows big
 * enough); otherwise every rank trains the whole network alike, which
 * gives the same weights with no exchange. */
static ss_engine_options train_options(const ss_network *net, const ss_config *cfg,
                                       unsigned long seed, unsigned n_threads, ss_comm *comm)
{
    ss_engine_options o = {.seed = seed, .threads = n_threads};
    long parts = ss_config_int(cfg, "simulation", "partitions");
    if (parts > 0)
        o.partitions = (unsigned)parts;
    else
        o.threads = train_threads(net, n_threads);
    if (ss_comm_size(comm) > 1 && (parts > 0 || train_threads(net, 2) > 1))
        o.comm = comm;
    return o;
}

void ss_classifier_plan(const ss_network *net, const ss_config *cfg, ss_engine_plan *plan)
{
    long threads = ss_config_int(cfg, "simulation", "threads");
    ss_engine_options o =
        train_options(net, cfg, 0, threads > 0 ? (unsigned)threads : ss_pool_online_cpus(), NULL);
    ss_engine_plan_for(net, &o, plan);
}

ss_classifier *ss_classifier_alloc_threads(const ss_config *cfg, size_t n_features,
                                           size_t n_classes, unsigned long seed, unsigned threads,
                                           ss_error *err)
{
    return ss_classifier_alloc_comm(cfg, n_features, n_classes, seed, threads, NULL, err);
}

ss_classifier *ss_classifier_alloc_comm(const ss_config *cfg, size_t n_features, size_t n_classes,
                                        unsigned long seed, unsigned threads, ss_comm *comm,
                                        ss_error *err)
{
    ss_classifier *c = calloc(1, sizeof *c);
    if (!c) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    c->n_classes = n_classes;
    c->label = -1;
    c->seed = seed;
    c->comm = comm;
    c->rank = ss_comm_rank(comm);
    c->ranks = ss_comm_size(comm);
    c->teacher_rate_hz = ss_config_double(cfg, "plasticity", "teacher_rate_hz");
    int rc = ss_encoder_init(&c->enc, cfg, n_features, err);
    if (rc != SS_OK)
        goto fail;
    c->net = ss_network_from_config(cfg, seed, err);
    if (!c->net) {
        rc = err ? err->code : SS_ECONFIG;
        goto fail;
    }
    rc = find_layers(c, cfg, ss_encoder_n_inputs(&c->enc), err);
    if (rc != SS_OK)
        goto fail;
    unsigned n_threads = threads ? threads : ss_pool_online_cpus();
    ss_engine_options opt = train_options(c->net, cfg, seed, n_threads, comm);
    c->distributed = opt.comm != NULL;
    rc = runner_init(c, &c->main, &opt, err);
    if (rc != SS_OK)
        goto fail;
    /* Passes with plasticity off go sample by sample over the threads, each
     * with its own single-partition engine on the shared weights. */
    if (n_threads > 1 || c->ranks > 1) {
        c->work = calloc(n_threads, sizeof *c->work);
        c->pool = c->work ? ss_pool_alloc(n_threads, err) : NULL;
        if (!c->work || !c->pool) {
            rc = err && err->code ? err->code : ss_error_set(err, SS_ENOMEM, "out of memory");
            goto fail;
        }
        c->n_work = n_threads;
        ss_engine_options one = {.seed = seed, .threads = 1};
        for (unsigned w = 0; w < n_threads; w++)
            if ((rc = runner_init(c, &c->work[w], &one, err)) != SS_OK)
                goto fail;
    }
    c->learner = ss_learner_alloc(c->net, c->main.eng, cfg, err);
    if (!c->learner) {
        rc = err ? err->code : SS_ENOMEM;
        goto fail;
    }
    c->layer_mark = calloc(ss_network_n_layers(c->net), sizeof *c->layer_mark);
    if (!c->layer_mark) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        goto fail;
    }
    return c;
fail:
    ss_classifier_free(c);
    return NULL;
}

void ss_classifier_free(ss_classifier *c)
{
    if (!c)
        return;
    ss_learner_free(c->learner);
    ss_pool_free(c->pool);
    for (unsigned w = 0; c->work && w < c->n_work; w++)
        runner_free(&c->work[w]);
    free(c->work);
    runner_free(&c->main);
    ss_network_free(c->net);
    free(c->layer_mark);
    free(c);
}

ss_network *ss_classifier_network(ss_classifier *c)
{
    return c->net;
}

ss_engine *ss_classifier_engine(ss_classifier *c)
{
    return c->main.eng;
}

void ss_classifier_get_plan(const ss_classifier *c, ss_engine_plan *plan)
{
    ss_engine_get_plan(c->main.eng, plan);
}

unsigned ss_classifier_threads(const ss_classifier *c)
{
    return c->work ? c->n_work : 1;
}

void ss_classifier_get_counters(const ss_classifier *c, ss_engine_counters *counters)
{
    all_counters(c, counters);
}

const ss_encoder *ss_classifier_encoder(const ss_classifier *c)
{
    return &c->enc;
}

const ss_learner *ss_classifier_learner(const ss_classifier *c)
{
    return c->learner;
}

size_t ss_classifier_input_layer(const ss_classifier *c)
{
    return c->input;
}

size_t ss_classifier_output_layer(const ss_classifier *c)
{
    return c->output;
}

/* One presentation on runner r, its input spikes from stream.  Only the
 * main runner learns (train = 1); the others run with plasticity off and
 * only read the learner. */
static int present_on(ss_classifier *c, runner *r, const double *features, int label, int train,
                      uint64_t stream, ss_presentation *out, ss_error *err)
{
    const ss_encoder *enc = &c->enc;
    ss_engine_set_stream(r->eng, stream);
    if (enc->reset)
        ss_engine_reset(r->eng);
    r->t0_ms = ss_engine_time(r->eng);
    double window_ms = ss_encoder_window_ms(enc, train);
    double t1_ms = r->t0_ms + window_ms;
    for (size_t k = 0; k < c->n_classes; k++) {
        r->counts[k] = 0;
        r->first_ms[k] = INFINITY;
    }
    if (r == &c->main)
        ss_learner_begin_sample(c->learner, r->t0_ms, window_ms);
    else
        ss_learner_apply_thresholds(c->learner, r->eng);
    ss_encoder_rates(enc, features, r->rates);
    ss_input_mode mode = enc->scheme == SS_ENCODE_REGULAR ? SS_INPUT_REGULAR : SS_INPUT_POISSON;
    int rc = ss_engine_set_input(r->eng, c->input, r->rates, mode, r->t0_ms, t1_ms, err);
    if (rc == SS_OK && c->label >= 0) {
        for (size_t k = 0; k < c->n_classes; k++)
            r->label_rates[k] = train && (int)k == label ? c->teacher_rate_hz : 0;
        rc = ss_engine_set_input(r->eng, (size_t)c->label, r->label_rates, mode, r->t0_ms, t1_ms,
                                 err);
    }
    if (rc == SS_OK)
        rc = ss_engine_run(r->eng, t1_ms, err);
    /* The readout window is the presentation; rest_ms lets activity die
     * out before the next sample when state is not reset. */
    int predicted = ss_readout_predict(r->counts, r->first_ms, c->n_classes);
    if (rc == SS_OK && !enc->reset && enc->rest_ms > 0)
        rc = ss_engine_run(r->eng, t1_ms + enc->rest_ms, err);
    if (r == &c->main)
        ss_learner_end_sample(c->learner);
    if (out) {
        out->predicted = predicted;
        out->counts = r->counts;
        out->first_spike_ms = r->first_ms;
        out->t0_ms = r->t0_ms;
    }
    return rc;
}

int ss_classifier_present(ss_classifier *c, const double *features, int label, int train,
                          ss_presentation *out, ss_error *err)
{
    return present_on(c, &c->main, features, label, train, stream_of(STREAM_ADHOC, c->adhoc++, 0),
                      out, err);
}

/* present_on() on the main runner with the listener told before and after. */
static int present_heard(ss_classifier *c, const double *x, int label, int train, ss_pass kind,
                         long epoch, size_t index, uint64_t stream, ss_presentation *p,
                         ss_error *err)
{
    if (c->listen)
        c->listen(c->listen_ctx, 1, kind, epoch, index, label, -1,
                  c->enc.reset ? 0 : ss_engine_time(c->main.eng));
    int rc = present_on(c, &c->main, x, train ? label : -1, train, stream, p, err);
    if (c->listen && rc == SS_OK)
        c->listen(c->listen_ctx, 0, kind, epoch, index, label, p->predicted, p->t0_ms);
    return rc;
}

/* ---- passes with plasticity off, spread over threads and ranks by sample ---- */

/* Before a pass: with training split across ranks, every rank takes the
 * weights and thresholds the others learned (a collective). */
static int sync_learned(ss_classifier *c, ss_error *err)
{
    return c->distributed ? ss_learner_sync(c->learner, c->comm, err) : SS_OK;
}

/* A batch of presentations with plasticity off: rows [first, first + n) of
 * x, row i under stream batch_stream(i).  Of those, this rank takes the
 * rows k with k % ranks == rank, its threads taking them in turn.  Each
 * row's prediction, output counts and (when recorded) spikes land in its
 * slot. */
typedef struct batch {
    ss_classifier *c;
    const double *x;
    size_t first, n;
    uint64_t what;        /* STREAM_EVAL or STREAM_QUERY */
    const uint64_t *keys; /* queries: the key of each row */
    int *predicted;       /* n */
    unsigned *counts;     /* n x n_classes, or NULL */
    spike_buf *rec;       /* n, or NULL */
    atomic_size_t next;
} batch;

static uint64_t batch_stream(const batch *b, size_t i)
{
    return b->keys ? stream_of(b->what, b->keys[i], 0) : stream_of(b->what, i, 0);
}

static void batch_thread(void *ctx, unsigned thread)
{
    batch *b = ctx;
    ss_classifier *c = b->c;
    runner *r = &c->work[thread];
    size_t nf = c->enc.n_features, nc = c->n_classes;
    for (;;) {
        size_t k = atomic_fetch_add(&b->next, 1) * (size_t)c->ranks + (size_t)c->rank;
        if (k >= b->n || r->rc != SS_OK)
            return;
        size_t i = b->first + k;
        if (b->rec) {
            b->rec[k].n = 0;
            r->rec = &b->rec[k];
        }
        ss_presentation p;
        int rc = present_on(c, r, b->x + i * nf, -1, 0, batch_stream(b, i), &p, &r->err);
        r->rec = NULL;
        if (rc != SS_OK && r->rc == SS_OK)
            r->rc = rc;
        b->predicted[k] = p.predicted;
        if (b->counts)
            memcpy(b->counts + k * nc, p.counts, nc * sizeof *b->counts);
    }
}

/* The rows other ranks ran, onto this one: predictions and counts by a sum
 * (each row is non-zero on its rank only), recorded spikes gathered on
 * rank 0, the one whose observers replay them. */
static int share_batch(ss_classifier *c, batch *b, ss_error *err)
{
    size_t nc = b->counts ? c->n_classes : 0, per = 1 + nc;
    uint64_t *v = calloc(b->n > 0 ? b->n * per : 1, sizeof *v);
    if (!v)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t k = (size_t)c->rank; k < b->n; k += (size_t)c->ranks) {
        v[k * per] = (uint64_t)(b->predicted[k] + 1);
        for (size_t j = 0; j < nc; j++)
            v[k * per + 1 + j] = b->counts[k * nc + j];
    }
    int rc = ss_comm_sum_u64(c->comm, v, b->n * per, err);
    for (size_t k = 0; rc == SS_OK && k < b->n; k++) {
        b->predicted[k] = (int)v[k * per] - 1;
        for (size_t j = 0; j < nc; j++)
            b->counts[k * nc + j] = (unsigned)v[k * per + 1 + j];
    }
    free(v);
    if (rc != SS_OK || !b->rec)
        return rc;
    /* this rank's rows' spikes: k, n, then n (layer, neuron, t) */
    size_t bytes = 0;
    for (size_t k = (size_t)c->rank; k < b->n; k += (size_t)c->ranks)
        bytes += 2 * sizeof(uint64_t) + b->rec[k].n * (2 * sizeof(uint32_t) + sizeof(double));
    char *out = malloc(bytes ? bytes : 1), *p = out;
    if (!out)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t k = (size_t)c->rank; k < b->n; k += (size_t)c->ranks) {
        uint64_t h[2] = {k, b->rec[k].n};
        memcpy(p, h, sizeof h);
        p += sizeof h;
        memcpy(p, b->rec[k].layer, b->rec[k].n * sizeof(uint32_t));
        p += b->rec[k].n * sizeof(uint32_t);
        memcpy(p, b->rec[k].neuron, b->rec[k].n * sizeof(uint32_t));
        p += b->rec[k].n * sizeof(uint32_t);
        memcpy(p, b->rec[k].t, b->rec[k].n * sizeof(double));
        p += b->rec[k].n * sizeof(double);
    }
    void *in = NULL;
    size_t cap = 0;
    size_t *sizes = malloc(2 * (size_t)c->ranks * sizeof *sizes);
    rc = sizes ? ss_comm_gatherv(c->comm, out, bytes, 0, &in, &cap, sizes, sizes + c->ranks, err)
               : ss_error_set(err, SS_ENOMEM, "out of memory");
    free(out);
    if (rc == SS_OK && c->rank == 0) {
        size_t total = sizes[c->ranks - 1] + sizes[2 * c->ranks - 1];
        for (const char *q = in; rc == SS_OK && q < (const char *)in + total;) {
            uint64_t h[2];
            memcpy(h, q, sizeof h);
            q += sizeof h;
            spike_buf *sb = &b->rec[h[0]];
            sb->n = 0;
            const char *lay = q, *neu = q + h[1] * sizeof(uint32_t),
                       *tt = q + 2 * h[1] * sizeof(uint32_t);
            for (uint64_t m = 0; m < h[1] && rc == SS_OK; m++) {
                uint32_t l, nn;
                double t;
                memcpy(&l, lay + m * sizeof l, sizeof l);
                memcpy(&nn, neu + m * sizeof nn, sizeof nn);
                memcpy(&t, tt + m * sizeof t, sizeof t);
                rc = spike_buf_add(sb, l, nn, t);
            }
            q = tt + h[1] * sizeof(double);
        }
    }
    free(in);
    free(sizes);
    return rc;
}

/* Runs the batch on the threads (and ranks); the first error (by thread,
 * then agreed by rank) into err. */
static int run_batch(ss_classifier *c, batch *b, ss_error *err)
{
    atomic_init(&b->next, 0);
    for (unsigned w = 0; w < c->n_work; w++)
        c->work[w].rc = SS_OK;
    ss_pool_run(c->pool, batch_thread, b);
    int rc = SS_OK;
    for (unsigned w = 0; w < c->n_work && rc == SS_OK; w++)
        if (c->work[w].rc != SS_OK) {
            if (err)
                *err = c->work[w].err;
            rc = c->work[w].rc;
        }
    if (c->ranks > 1) {
        rc = ss_comm_agree(c->comm, rc, err);
        if (rc == SS_OK)
            rc = share_batch(c, b, err);
    }
    return rc;
}

/* With several ranks, rank 0's rows (inputs computed elsewhere, such as an
 * attack's, are then the same on every rank). */
static int rows_of_rank0(ss_classifier *c, const double *x, size_t n, double **copy, ss_error *err)
{
    *copy = NULL;
    if (c->ranks <= 1)
        return SS_OK;
    size_t bytes = n * c->enc.n_features * sizeof **copy;
    *copy = malloc(bytes ? bytes : 1);
    if (!*copy)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    memcpy(*copy, x, bytes);
    return ss_comm_bcast(c->comm, *copy, bytes, 0, err);
}

/* Rows at a time in a parallel pass: enough to keep every thread busy, few
 * enough that the recorded spikes of a chunk stay small. */
#define CHUNK_PER_THREAD 16

static int evaluate_pass(ss_classifier *c, const double *x, const int *y, size_t n,
                         ss_confusion *confusion, ss_progress *progress, const char *phase,
                         ss_pass kind, double *accuracy, ss_error *err)
{
    size_t n_features = c->enc.n_features;
    long right = 0;
    ss_learner_set_enabled(c->learner, 0);
    double *x0 = NULL;
    int rc = sync_learned(c, err);
    if (rc == SS_OK)
        rc = rows_of_rank0(c, x, n, &x0, err);
    if (rc != SS_OK) {
        free(x0);
        return rc;
    }
    if (x0)
        x = x0;
    log_phase(c, phase, 0);
    if (progress)
        ss_progress_begin(progress, phase, (long)n);
    /* Without a reset between samples, each starts where the last ended:
     * one after another on the main engine. */
    if (!c->work || !c->enc.reset) {
        for (size_t s = 0; s < n && rc == SS_OK; s++) {
            ss_presentation p;
            rc = present_heard(c, x + s * n_features, y[s], 0, kind, -1, s,
                               stream_of(STREAM_EVAL, s, 0), &p, err);
            if (rc != SS_OK)
                break;
            right += p.predicted == y[s];
            if (confusion)
                ss_confusion_add(confusion, y[s], p.predicted);
            if (progress)
                ss_progress_update(progress, (long)s + 1, (double)right / (double)(s + 1));
        }
    } else {
        /* The main engine's observers beyond its readout (a raster, the
         * server) and the listener see every presentation as if it had run
         * there, in sample order: its spikes are recorded and replayed (on
         * rank 0: the others have no such observers). */
        int record = c->listen || ss_engine_n_observers(c->main.eng) > 1;
        if (c->ranks > 1 && ss_comm_bcast(c->comm, &record, sizeof record, 0, err) != SS_OK)
            rc = err->code;
        size_t chunk = (size_t)c->n_work * (size_t)c->ranks * CHUNK_PER_THREAD;
        int *pred = malloc(chunk * sizeof *pred);
        spike_buf *rec = record ? calloc(chunk, sizeof *rec) : NULL;
        if (rc == SS_OK && (!pred || (record && !rec)))
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        for (size_t s0 = 0; s0 < n && rc == SS_OK; s0 += chunk) {
            batch b = {.c = c,
                       .x = x,
                       .first = s0,
                       .n = n - s0 < chunk ? n - s0 : chunk,
                       .what = STREAM_EVAL,
                       .predicted = pred,
                       .rec = rec};
            rc = run_batch(c, &b, err);
            for (size_t k = 0; k < b.n && rc == SS_OK; k++) {
                size_t s = s0 + k;
                if (c->listen)
                    c->listen(c->listen_ctx, 1, kind, -1, s, y[s], -1, 0);
                for (size_t q = 0; rec && c->rank == 0 && q < rec[k].n; q++)
                    ss_engine_replay_spike(c->main.eng, rec[k].layer[q], rec[k].neuron[q],
                                           rec[k].t[q]);
                if (c->listen)
                    c->listen(c->listen_ctx, 0, kind, -1, s, y[s], pred[k], 0);
                right += pred[k] == y[s];
                if (confusion)
                    ss_confusion_add(confusion, y[s], pred[k]);
                if (progress)
                    ss_progress_update(progress, (long)s + 1, (double)right / (double)(s + 1));
            }
        }
        for (size_t k = 0; rec && k < chunk; k++)
            spike_buf_clear(&rec[k]);
        free(rec);
        free(pred);
    }
    free(x0);
    if (rc != SS_OK)
        return rc;
    if (progress)
        ss_progress_end(progress);
    log_phase(c, phase, n);
    *accuracy = n ? (double)right / (double)n : 0;
    return SS_OK;
}

int ss_classifier_query(ss_classifier *c, const double *x, size_t n, const uint64_t *noise_keys,
                        unsigned *counts, int *predicted, ss_error *err)
{
    ss_learner_set_enabled(c->learner, 0);
    size_t nf = c->enc.n_features, nc = c->n_classes;
    double *x0 = NULL;
    int rc = sync_learned(c, err);
    if (rc == SS_OK)
        rc = rows_of_rank0(c, x, n, &x0, err);
    if (rc != SS_OK) {
        free(x0);
        return rc;
    }
    if (x0)
        x = x0;
    if (!c->work) {
        /* Queries are not passes of the run: the listener is not told. */
        for (size_t i = 0; i < n && rc == SS_OK; i++) {
            ss_presentation p;
            rc = present_on(c, &c->main, x + i * nf, -1, 0,
                            stream_of(STREAM_QUERY, noise_keys[i], 0), &p, err);
            if (rc != SS_OK)
                break;
            memcpy(counts + i * nc, p.counts, nc * sizeof *counts);
            if (predicted)
                predicted[i] = p.predicted;
        }
        free(x0);
        return rc;
    }
    int *pred = predicted ? predicted : malloc((n ? n : 1) * sizeof *pred);
    if (!pred) {
        free(x0);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    batch b = {.c = c,
               .x = x,
               .first = 0,
               .n = n,
               .what = STREAM_QUERY,
               .keys = noise_keys,
               .predicted = pred,
               .counts = counts};
    rc = run_batch(c, &b, err);
    if (pred != predicted)
        free(pred);
    free(x0);
    return rc;
}

int ss_classifier_evaluate(ss_classifier *c, const double *x, const int *y, size_t n,
                           ss_confusion *confusion, ss_progress *progress, const char *phase,
                           double *accuracy, ss_error *err)
{
    return evaluate_pass(c, x, y, n, confusion, progress, phase, SS_PASS_OTHER, accuracy, err);
}

int ss_classifier_test(ss_classifier *c, const double *x, const int *y, size_t n,
                       ss_confusion *confusion, ss_progress *progress, double *accuracy,
                       ss_error *err)
{
    return evaluate_pass(c, x, y, n, confusion, progress, "test", SS_PASS_TEST, accuracy, err);
}

int ss_classifier_train(ss_classifier *c, const ss_config *cfg, const ss_split *split,
                        ss_fold_result *fold, ss_progress *progress,
                        const volatile sig_atomic_t *stop, ss_error *err)
{
    long epochs = ss_config_int(cfg, "train", "epochs");
    int shuffle = ss_config_bool(cfg, "train", "shuffle");
    double eta_decay = ss_config_double(cfg, "train", "eta_decay");
    int test_each_epoch = ss_config_bool(cfg, "train", "test_each_epoch");
    size_t nf = split->n_features;
    size_t *order = malloc((split->n_train ? split->n_train : 1) * sizeof *order);
    if (!order)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t s = 0; s < split->n_train; s++)
        order[s] = s;
    ss_engine_counters before;
    all_counters(c, &before);
    double t_start = ss_now_s();
    int rc = SS_OK;
    for (long e = 0; e < epochs && rc == SS_OK; e++) {
        if (shuffle) {
            /* Each epoch's order from its own stream: the order of epoch e
             * does not depend on how many samples earlier epochs had. */
            ss_stream os;
            gsl_rng r;
            ss_stream_init(&os, c->seed, SS_STREAM_ORDER, (uint64_t)e, 0);
            ss_stream_gsl(&os, &r);
            gsl_ran_shuffle(&r, order, split->n_train, sizeof *order);
        }
        ss_learner_set_eta_scale(c->learner, pow(eta_decay, (double)e));
        ss_learner_set_epoch(c->learner, e + 1);
        char phase[64];
        snprintf(phase, sizeof phase, "epoch %ld/%ld train", e + 1, epochs);
        if (progress)
            ss_progress_begin(progress, phase, (long)split->n_train);
        log_phase(c, phase, 0);
        ss_engine_counters epoch_before;
        all_counters(c, &epoch_before);
        double t_epoch = ss_now_s();
        long right = 0;
        for (size_t s = 0; s < split->n_train && rc == SS_OK; s++) {
            ss_learner_set_enabled(c->learner, 1);
            ss_presentation p;
            size_t k = order[s];
            rc = present_heard(c, split->train_x + k * nf, split->train_y[k], 1, SS_PASS_TRAIN, e,
                               k, stream_of(STREAM_TRAIN, (uint64_t)e, k), &p, err);
            if (rc != SS_OK)
                break;
            right += p.predicted == split->train_y[k];
            fold->samples_presented++;
            if (progress)
                ss_progress_update(progress, (long)s + 1, (double)right / (double)(s + 1));
            int stopping = stop && *stop;
            if (c->ranks > 1) /* one rank's signal stops all after the same sample */
                stopping = ss_comm_agree(c->comm, stopping ? SS_EINTR : SS_OK, NULL) != SS_OK;
            if (rc == SS_OK && stopping)
                rc = ss_error_set(err, SS_EINTR, "interrupted");
        }
        if (progress)
            ss_progress_end(progress);
        if (rc != SS_OK)
            break;
        ss_engine_counters epoch_after;
        all_counters(c, &epoch_after);
        fold->epoch_train_s[e] = ss_now_s() - t_epoch;
        fold->epoch_synaptic_events[e] = (double)(epoch_after.syn_events - epoch_before.syn_events);
        log_phase(c, phase, split->n_train);
        /* Running accuracy while learning, teacher on: cheap, optimistic. */
        fold->epoch_train_accuracy[e] =
            split->n_train ? (double)right / (double)split->n_train : NAN;
        if (test_each_epoch && e + 1 < epochs) {
            rc = ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, NULL,
                                        progress, "test", &fold->epoch_test_accuracy[e], err);
            fold->samples_presented += (long long)split->n_test;
        }
    }
    ss_learner_set_enabled(c->learner, 0);
    fold->train_s = ss_now_s() - t_start;
    free(order);
    /* What every rank learned, on every rank (an interrupted run saves it). */
    int src = sync_learned(c, rc == SS_OK ? err : NULL);
    if (rc == SS_OK)
        rc = src;
    if (rc != SS_OK)
        return rc;
    double t_test = ss_now_s();
    rc = evaluate_pass(c, split->train_x, split->train_y, split->n_train, NULL, progress,
                       "train accuracy", SS_PASS_TRAIN_EVAL, &fold->train_accuracy, err);
    if (rc == SS_OK)
        rc = evaluate_pass(c, split->test_x, split->test_y, split->n_test, fold->confusion,
                           progress, "test", SS_PASS_TEST, &fold->test_accuracy, err);
    fold->samples_presented += (long long)(split->n_train + split->n_test);
    fold->test_s = ss_now_s() - t_test;
    if (epochs > 0)
        fold->epoch_test_accuracy[epochs - 1] = fold->test_accuracy;
    ss_engine_counters after;
    all_counters(c, &after);
    fold->spikes += (long long)(after.spikes - before.spikes);
    fold->synaptic_events += (long long)(after.syn_events - before.syn_events);
    return rc;
}

int ss_classifier_save(const ss_classifier *c, const char *path, ss_error *err)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    if (!ck)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    int rc = ss_learner_save(c->learner, ck, err);
    if (rc == SS_OK)
        rc = ss_checkpoint_write(ck, path, err);
    ss_checkpoint_free(ck);
    return rc;
}

int ss_classifier_snapshot(const ss_classifier *c, ss_checkpoint *ck, ss_error *err)
{
    return ss_learner_save(c->learner, ck, err);
}

int ss_classifier_restore(ss_classifier *c, const ss_checkpoint *ck, ss_error *err)
{
    return ss_learner_load(c->learner, ck, err);
}

int ss_classifier_load(ss_classifier *c, const char *path, ss_error *err)
{
    ss_checkpoint *ck = ss_checkpoint_read(path, err);
    if (!ck)
        return err ? err->code : SS_EDATA;
    int rc = ss_learner_load(c->learner, ck, err);
    ss_checkpoint_free(ck);
    if (rc != SS_OK && err && strncmp(err->msg, path, strlen(path)) != 0) {
        char msg[SS_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        ss_error_set(err, rc, "%s: %s", path, msg);
    }
    return rc;
}
