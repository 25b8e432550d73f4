/* The exact event-driven engine.
 *
 * Simulation time is a double in ms, with no time step anywhere.  Every
 * neuron is a timed spike emitter: it holds its predicted next spike (or
 * none) in a priority queue ordered by (time, kind, id), and an input
 * advances its state analytically from its last update to now, applies the
 * input and re-predicts.  A spike is delivered through each outgoing
 * projection after that projection's delay.  See docs/engine.md for how the
 * queue is organised and why.
 *
 *     ss_engine_options opt = {.seed = 1, .threads = 2};
 *     ss_engine *eng = ss_engine_alloc(net, &opt, &err);
 *     ss_engine_add_observer(eng, on_spike, ctx);   // recorders, servers
 *     ss_engine_run(eng, 1000.0, &err);              // events before t = 1000 ms
 *     ss_engine_reset(eng);                          // next sample from t = 0
 *
 * With several threads the network is split into partitions that run in
 * parallel, in windows of the smallest delay between neuron layers
 * (docs/parallel.md); every result is the same as with one thread, bit for
 * bit.  Random draws (Poisson sources, initial potentials) come from streams
 * keyed by the seed, the run stream (ss_engine_set_stream) and the neuron.
 *
 * The engine keeps a pointer to net, which must outlive it; it writes
 * nothing in net except synaptic weights, and only through plasticity hooks.
 */
#ifndef SPIKSIM_ENGINE_H
#define SPIKSIM_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <spiksim/comm.h>
#include <spiksim/config.h>
#include <spiksim/error.h>
#include <spiksim/network.h>
#include <spiksim/source.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_engine ss_engine;

typedef struct ss_engine_options {
    unsigned long seed;  /* keys every random draw of the engine */
    unsigned threads;    /* 0: every online core; 1: the caller's thread only */
    unsigned partitions; /* per process; 0: one per thread (tests use more) */
    ss_comm *comm;       /* the processes of the run (MPI ranks); NULL: this one alone */
} ss_engine_options;

/* How a network will be run: partitions, threads, and the window d_min
 * (the smallest delay of a projection between neuron layers; INFINITY when
 * there is none).  A zero-delay projection between neuron layers cannot be
 * windowed: such a network runs on one partition, and zero_delay names the
 * first such projection (-1 when there is none). */
typedef struct ss_engine_plan {
    unsigned partitions; /* in the whole run: ranks x partitions per rank */
    unsigned threads;    /* of this process */
    unsigned ranks, rank;
    unsigned first_partition, local_partitions; /* this rank's */
    int distributed; /* the partitions span the ranks (else each rank runs them all) */
    double window_ms;
    long zero_delay;
} ss_engine_plan;

void ss_engine_plan_for(const ss_network *net, const ss_engine_options *opt, ss_engine_plan *plan);

/* An engine for net at time 0, neurons initialised by their v_init rule;
 * opt NULL: seed 0, one thread.  With several ranks, net must hold at
 * least the synapses onto this rank's neurons (ss_network_share_of()).
 * NULL with err set on failure. */
ss_engine *ss_engine_alloc(ss_network *net, const ss_engine_options *opt, ss_error *err);
void ss_engine_free(ss_engine *eng);
void ss_engine_get_plan(const ss_engine *eng, ss_engine_plan *plan);
/* Windows run so far on every thread, and on the calling thread alone: the
 * engine times both and keeps the faster (results do not depend on it). */
void ss_engine_window_counts(const ss_engine *eng, uint64_t *parallel, uint64_t *serial);
/* Several ranks: the exchanges of windows so far, the bytes this rank
 * received in them (headers and spikes of every rank, its own included) and
 * the wall time thread 0 spent in them (waiting for the others included). */
void ss_engine_exchange_stats(const ss_engine *eng, uint64_t *exchanges, uint64_t *bytes,
                              double *seconds);
/* This process's partition q's block of a layer (q < local_partitions):
 * neurons [*first, *end) of it. */
void ss_engine_partition_block(const ss_engine *eng, unsigned q, size_t layer, size_t *first,
                               size_t *end);

/* Names the run stream of the draws to come (default 0): Poisson spikes and
 * the initial potentials of the next resets are drawn from streams keyed by
 * (seed, stream, neuron), so the same stream gives the same input spikes
 * however the run is split.  A classifier gives each presentation its own
 * stream.  Resets count from 0 again. */
void ss_engine_set_stream(ss_engine *eng, uint64_t stream);

/* Processes every event with time < t_end_ms in (time, kind, id) order, then
 * sets the clock to t_end_ms.  0, SS_EINTR (see ss_engine_set_interrupt:
 * the clock is then the time reached, every spike before it observed),
 * SS_ENOMEM, or SS_EUSAGE when t_end_ms lies before the current time. */
int ss_engine_run(ss_engine *eng, double t_end_ms, ss_error *err);
double ss_engine_time(const ss_engine *eng);

/* Back to time 0: pending events and injected input dropped, neurons
 * re-initialised (v_init), biases back to their layer's, sources rewound,
 * input layers silent.  Counters and synaptic weights are kept. */
void ss_engine_reset(ss_engine *eng);

/* ---- observing spikes ---- */

typedef void (*ss_spike_fn)(void *ctx, size_t layer, size_t neuron, double t_ms);

/* fn(ctx, ...) is called on every spike emitted, by neurons and sources, in
 * processing order (with several partitions: the same order, at the end of
 * each window, on the thread that called ss_engine_run).  Observers must not
 * change the engine, nor read its state other than through
 * ss_engine_get_counters().  0 or SS_ENOMEM. */
int ss_engine_add_observer(ss_engine *eng, ss_spike_fn fn, void *ctx);
void ss_engine_remove_observer(ss_engine *eng, ss_spike_fn fn, void *ctx);
size_t ss_engine_n_observers(const ss_engine *eng);
/* Calls every observer with a spike that another engine running the same
 * network emitted (a classifier's evaluation threads), as if this one had. */
void ss_engine_replay_spike(ss_engine *eng, size_t layer, size_t neuron, double t_ms);

/* ---- plasticity hooks ---- */

/* Called when a presynaptic spike arrives at the synapses [first_syn,
 * first_syn + n) of a projection (one row, or the part of it sharing one
 * individual delay), before they act: a hook may rewrite their weights in
 * ss_projection_weights() and the new values are the ones delivered. */
typedef void (*ss_pre_fn)(void *ctx, unsigned part, size_t projection, uint32_t pre, double t_ms,
                          size_t first_syn, size_t n);
/* One hook per projection; fn NULL removes it.  Hooks run in the thread of
 * the partition of the postsynaptic neurons (part), and the synapses they
 * are given all have their target in that partition. */
void ss_engine_set_pre_hook(ss_engine *eng, size_t projection, ss_pre_fn fn, void *ctx);
/* Called on every spike of the layer's neurons, in the neuron's partition,
 * before the spike is sent on; neuron is its index in the layer; one hook
 * per layer, fn NULL removes it. */
typedef void (*ss_post_fn)(void *ctx, unsigned part, size_t layer, size_t neuron, double t_ms);
void ss_engine_set_post_hook(ss_engine *eng, size_t layer, ss_post_fn fn, void *ctx);

/* ---- input from outside ---- */

/* An input of weight w (as a synapse's) into a lif or lif_exp neuron at
 * t_ms >= now: the way to inject a teacher's spikes. */
int ss_engine_inject(ss_engine *eng, size_t layer, size_t neuron, double t_ms, double weight,
                     ss_error *err);
/* Makes a neuron fire at t_ms >= now whatever its potential (reset and
 * refractory period follow as for any spike). */
int ss_engine_force_spike(ss_engine *eng, size_t layer, size_t neuron, double t_ms, ss_error *err);
/* Changes one neuron's bias from now on (V is continuous; its predicted
 * spike moves); ss_engine_reset() restores the layer's. */
int ss_engine_set_bias(ss_engine *eng, size_t layer, size_t neuron, double bias_mv, ss_error *err);
/* Drives an input layer during [t0_ms, t1_ms) with per-neuron rates (Hz,
 * size of the layer), Poisson or regular; replaces any earlier drive.  Needs
 * now <= t0_ms <= t1_ms. */
int ss_engine_set_input(ss_engine *eng, size_t layer, const double *rates_hz, ss_input_mode mode,
                        double t0_ms, double t1_ms, ss_error *err);

/* ---- state and counters ---- */

/* Membrane potential of a neuron at the current time (v_reset_mv while
 * refractory); NAN for sources. */
double ss_engine_potential(const ss_engine *eng, size_t layer, size_t neuron);

typedef struct ss_engine_counters {
    uint64_t spikes;     /* emitted by neurons and sources */
    uint64_t syn_events; /* synapses activated by arriving spikes */
    /* Work done, which depends on the partitioning (a row split over two
     * partitions is two deliveries, a source simulated in each partition
     * makes events in each): */
    uint64_t deliveries; /* arriving (spike, projection part) pairs */
    uint64_t events;     /* events taken from the queues */
} ss_engine_counters;

void ss_engine_get_counters(const ss_engine *eng, ss_engine_counters *c);
uint64_t ss_engine_layer_spikes(const ss_engine *eng, size_t layer);
void ss_engine_reset_counters(ss_engine *eng);

/* ss_engine_run() returns SS_EINTR soon after *flag becomes nonzero (a
 * signal handler's flag); NULL disables. */
void ss_engine_set_interrupt(ss_engine *eng, const volatile sig_atomic_t *flag);

/* ---- free-running models ---- */

typedef struct ss_layer_stats {
    char *name;
    const char *type;
    size_t size;
    uint64_t spikes;
    double rate_hz; /* spikes / size / duration */
    double cv_isi;  /* mean over neurons with >= 2 intervals of sd/mean; NAN if none */
} ss_layer_stats;

/* A plastic projection's weights at the end of a free run.  The sum is
 * taken in integers (weights in units of 2^-24) so that it is the same
 * however the synapses are split between ranks. */
#define SS_WEIGHT_BINS 20
typedef struct ss_plastic_stats {
    char *name;
    uint64_t synapses;
    double w_min, w_max;             /* the rule's bounds */
    double mean_weight;              /* over its synapses */
    uint64_t above_half;             /* synapses with w > (w_min + w_max) / 2 */
    uint64_t counts[SS_WEIGHT_BINS]; /* histogram over [w_min, w_max] */
    int64_t sum_q;                   /* the sum behind mean_weight */
} ss_plastic_stats;

typedef struct ss_run_stats {
    unsigned long seed;
    double duration_ms;           /* simulated: [simulation] duration_ms, or less if interrupted */
    double requested_duration_ms; /* [simulation] duration_ms */
    int interrupted;              /* stopped by the stop flag before the end */
    uint64_t spikes, syn_events;
    double build_s;          /* network construction, wall clock */
    double run_s;            /* the simulation alone */
    double wall_s;           /* everything, raster file included */
    double syn_events_per_s; /* syn_events / run_s */
    ss_network_summary net;  /* synapses: the whole run's; bytes: this rank's */
    ss_engine_plan plan;     /* partitions, threads, window, ranks */
    size_t rank_bytes_max;   /* the largest rank's estimated memory */
    double rss_mib;          /* this process's peak resident memory */
    double rss_mib_max;      /* the largest of every rank's */
    /* several ranks (rank 0's figures): windows exchanged, bytes received,
     * seconds spent exchanging */
    uint64_t exchanges, exchange_bytes;
    double exchange_s;
    size_t n_layers;
    ss_layer_stats *layers;
    size_t n_plastic; /* plastic projections that learned during the run */
    ss_plastic_stats *plastic;
} ss_run_stats;

/* Runs a model without [data] (bench4, say): builds its network from seed,
 * simulates [simulation] duration_ms on [simulation] threads and, when
 * raster_csv_path is not NULL, writes every spike there atomically as
 * "time_ms,layer,neuron" rows (layer by name).  Fills stats (may be NULL;
 * free with ss_run_stats_free()).  0 or a negative code with err set. */
int ss_simulate_free(const ss_config *cfg, unsigned long seed, const char *raster_csv_path,
                     ss_run_stats *stats, ss_error *err);
void ss_run_stats_free(ss_run_stats *stats);

/* Called once the network and engine exist, before the run: the place to
 * attach observers (a raster capture, say).  A nonzero return stops. */
typedef int (*ss_simulate_start_fn)(void *ctx, ss_network *net, ss_engine *eng, ss_error *err);
/* ss_simulate_free() with more: */
typedef struct ss_simulate_options {
    unsigned long seed;
    const char *raster_csv_path; /* NULL: none; with several ranks, rank 0's */
    /* on_start (may be NULL), with ctx */
    ss_simulate_start_fn on_start;
    void *ctx;
    /* A signal handler's flag (may be NULL): when *stop becomes nonzero the
     * run stops at the simulated time reached, the raster and stats cover
     * [0, that time), stats->interrupted is set and SS_EINTR returned. */
    const volatile sig_atomic_t *stop;
    /* The ranks of the run (NULL: this process alone): each builds and runs
     * its share of the network; the stats are the whole run's on every
     * rank, and every error is agreed on by all of them. */
    ss_comm *comm;
    /* Plastic projections learn during the run ([plasticity]); their final
     * weights go to this checkpoint (NULL: none; one process, or ranks that
     * each hold the whole network). */
    const char *save_path;
} ss_simulate_options;

int ss_simulate_run(const ss_config *cfg, const ss_simulate_options *opt, ss_run_stats *stats,
                    ss_error *err);

/* The share of a free-running model's network that rank rank of ranks
 * builds, with local partitions per rank: its block of every layer, or the
 * whole network when a zero-delay projection between neuron layers keeps
 * the network on one partition (every rank then runs all of it). */
void ss_simulate_share(const ss_config *cfg, unsigned ranks, unsigned rank, unsigned local,
                       ss_share *share);
/* A free run's partitions per rank: [simulation] partitions, else its
 * threads, else the online cores. */
unsigned ss_simulate_local_partitions(const ss_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
