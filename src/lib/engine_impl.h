/* Internal: the engine's layout, and the interface between a partition and
 * the layer kinds (layer_lif.c, layer_lif_exp.c, layer_source.c).  Not
 * installed.  docs/engine.md (one partition) and docs/parallel.md (several).
 *
 * An engine (struct ss_engine, engine.c) holds P partitions (struct ss_part,
 * part.c).  A partition is what a whole engine was before there were several:
 * a block of every neuron layer, a full copy of every source layer, its part
 * of every projection's rows, and its own two-level queue.  With P = 1 it is
 * the whole network and runs on the caller's thread exactly as before; with
 * P > 1 the partitions run on a pool of threads in windows of d_min
 * (window.c), exchanging neuron spikes at each window's end.
 *
 * A partition's queue is two-level.  The top queue holds one slot per event
 * stream: one per layer (its earliest neuron or source event), one per
 * projection (its earliest pending delivery) and one for injected input.
 * Each stream orders its own events and publishes its head; the top queue
 * merges heads by the same (time, kind, id) key, so the order is exactly
 * that of one big queue.  This lets each stream use the structure that suits
 * it: a FIFO for a projection with one delay (spikes are emitted in time
 * order, so their arrivals are too), a bucket queue keyed in a warped time
 * for lif neurons (layer_lif.c), binary heaps elsewhere.
 */
#ifndef SS_ENGINE_IMPL_H
#define SS_ENGINE_IMPL_H

#include <spiksim/engine.h>
#include <spiksim/stream.h>

#include <stdatomic.h>

#include "network_impl.h"
#include "pool.h"
#include "queue_impl.h"

typedef struct ss_layer_rt ss_layer_rt;
typedef struct ss_part ss_part;

/* A counter one thread adds to while another may read it (a server's
 * observer, at a window's end): relaxed atomics, which on the machines we
 * run on are plain loads and stores, since only the owner writes. */
typedef _Atomic uint64_t ss_counter;

static inline void ss__count(ss_counter *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline uint64_t ss__counted(const ss_counter *c)
{
    return atomic_load_explicit((ss_counter *)c, memory_order_relaxed);
}

typedef struct ss_part_counters {
    ss_counter spikes, syn_events, deliveries, events;
} ss_part_counters;

/* Layer ops take indices j local to the partition (0 .. L->size - 1), except
 * deliver, whose targets are indices in the whole layer (rows store those):
 * it subtracts L->first. */
typedef struct ss_layer_ops {
    /* Allocates L->state; 0 or a code. */
    int (*init)(ss_part *P, ss_layer_rt *L, ss_error *err);
    void (*destroy)(ss_layer_rt *L);
    /* State at time 0 (v_init, sources rewound) and the layer's stream
     * published. */
    void (*reset)(ss_part *P, ss_layer_rt *L);
    /* n inputs at time t to layer neurons tgt[k] with weights w[k] (neurons
     * only); every target is in the partition's block. */
    void (*deliver)(ss_part *P, ss_layer_rt *L, double t, const uint32_t *tgt, const float *w,
                    size_t n);
    /* The head the layer published is due at t: handle it, publish the next. */
    void (*due)(ss_part *P, ss_layer_rt *L, double t);
    /* Fire neuron j at t whatever its state (neurons only). */
    void (*force)(ss_part *P, ss_layer_rt *L, uint32_t j, double t);
    /* Potential of neuron j at t; may bring the layer's base time forward
     * (never changes what the neuron will do). */
    double (*potential)(ss_part *P, ss_layer_rt *L, uint32_t j, double t);
    int (*set_bias)(ss_part *P, ss_layer_rt *L, uint32_t j, double t, double bias_mv,
                    ss_error *err);
} ss_layer_ops;

extern const ss_layer_ops ss__lif_ops, ss__lif_exp_ops, ss__source_ops;

struct ss_layer_rt {
    const ss_layer_ops *ops;
    ss_layer *layer;
    uint32_t index;
    uint32_t size;       /* neurons simulated here: the block, or the whole layer for a source */
    uint32_t first;      /* layer index of local neuron 0 */
    size_t offset;       /* global id of local neuron 0 (event ids) */
    size_t layer_offset; /* global id of the layer's neuron 0 (the same in every partition) */
    int source;
    uint32_t own_first, own_end; /* layer indices whose spikes this partition counts and reports */
    uint32_t *out;               /* outgoing projections */
    size_t n_out;
    ss_post_fn post_fn;
    void *post_ctx;
    ss_counter spikes;
    void *state;
};

typedef struct ss_proj_rt {
    ss_projection *proj;
    uint32_t index;
    double delay_ms;
    /* This partition's part of row pre.  One partition: the whole row
     * (lo == NULL).  One delay: storage range [lo[pre], hi[pre]).  Individual
     * delays: the positions pos[pos_ptr[pre] .. pos_ptr[pre + 1]) of the
     * storage, ascending (lo == NULL, pos != NULL). */
    uint32_t *lo, *hi;
    uint32_t *pos_ptr, *pos;
    /* one delay: ring buffer of pending (arrival time, pre), in key order */
    double *fifo_t;
    uint32_t *fifo_pre;
    size_t head, count, cap;
    /* individual delays: cursors (t = arrival, x = spike time, u = index of
     * the next synapse in the row, or in pos) */
    ss_event_heap *cursors;
    ss_pre_fn pre_fn;
    void *pre_ctx;
} ss_proj_rt;

/* A spike as a partition reports it at the end of a window: enough to fan it
 * out (layer, neuron, t) and to put it in the order one engine would have
 * emitted it: by the key of the event during which it was emitted (t, kid,
 * x), the number of earlier events with that same key (occ), then the neuron
 * (spikes inside one delivery come in target order). */
typedef struct ss_spike_rec {
    double t;
    uint64_t kid;
    double x;
    uint32_t occ;
    uint32_t layer;
    uint32_t neuron; /* index in the layer */
} ss_spike_rec;

typedef struct ss_outbox {
    ss_spike_rec *rec;
    size_t n, cap;
} ss_outbox;

struct ss_part {
    ss_engine *eng;
    unsigned index;  /* in this rank: hooks are told it */
    unsigned gindex; /* in the run: which block of every layer */
    double now;
    ss_queue *top; /* slots: layers, then projections, then injected input */
    size_t n_layers, n_projs;
    ss_layer_rt *layers;
    ss_proj_rt *projs;
    ss_event_heap *external;
    ss_part_counters counters;
    int failed; /* sticky SS_ENOMEM from inside an event */
    /* random streams: copied from the engine at reset */
    uint64_t seed, stream, resets;
    /* windowed runs (P > 1): spikes of this window, double-buffered */
    int windowed;
    ss_outbox box[2];
    int cur_box;
    /* key of the event being processed, and how many before it had it */
    double ev_t, ev_x;
    uint64_t ev_kid;
    uint32_t ev_occ;
};

typedef struct observer {
    ss_spike_fn fn;
    void *ctx;
} observer;

/* How windowed runs went (window.c): seconds per window when the epochs ran
 * on every thread (0) or on the calling thread alone (1), and windows run
 * each way. */
typedef struct ss_window_stats {
    double s_per_window[2];
    uint64_t windows[2];
    int best;                           /* the faster way so far */
    unsigned since_probe, probe_gap;    /* epochs since the other was tried, and the gap */
    uint64_t exchanges, exchange_bytes; /* several ranks: windows exchanged, bytes received */
    double exchange_s;                  /* and the time thread 0 spent on them */
} ss_window_stats;

struct ss_engine {
    ss_network *net;
    uint64_t seed, stream, resets;
    double now;
    ss_engine_plan plan;
    ss_comm *comm;      /* the ranks, NULL: this process alone */
    unsigned n_total;   /* partitions of the whole run */
    unsigned part_base; /* global index of this rank's first partition */
    unsigned n_parts;   /* this rank's */
    ss_part **parts;
    uint32_t *block; /* layer i, global partition q: first neuron block[i * (n_total + 1) + q] */
    /* A window's outboxes, every partition of the run: boxes[b * n_total +
     * q] is partition q's buffer b, this rank's own or one received into
     * remote (pointing into xrecv) at the exchange. */
    ss_outbox **boxes;
    ss_outbox *remote;
    void *xbuf, *xrecv; /* exchange buffers: this rank's records, everyone's */
    size_t xbuf_cap, xrecv_cap;
    ss_pool *pool;
    ss_window_stats wstats;
    observer *obs;
    size_t n_obs, cap_obs;
    const volatile sig_atomic_t *interrupt;
};

/* Slot of each stream in a partition's top queue. */
static inline uint32_t ss__slot_layer(const ss_part *P, size_t layer)
{
    (void)P;
    return (uint32_t)layer;
}
static inline uint32_t ss__slot_proj(const ss_part *P, size_t proj)
{
    return (uint32_t)(P->n_layers + proj);
}
static inline uint32_t ss__slot_external(const ss_part *P)
{
    return (uint32_t)(P->n_layers + P->n_projs);
}

/* A layer publishes its earliest event (or withdraws it). */
static inline void ss__publish(ss_part *P, const ss_layer_rt *L, double t, uint64_t kid)
{
    ss_queue_set_inline(P->top, ss__slot_layer(P, L->index), t, kid);
}
static inline void ss__withdraw(ss_part *P, const ss_layer_rt *L)
{
    ss_queue_remove_inline(P->top, ss__slot_layer(P, L->index));
}

/* Local neuron j of L spikes at t: counters, hooks, observers, and the spike
 * sent down every outgoing projection (now, or at the window's end). */
void ss__emit(ss_part *P, ss_layer_rt *L, uint32_t j, double t);

/* The initial potential of local neuron j of L for v_init = uniform: a draw
 * from the partition's V_INIT stream, in [v_reset, v_th). */
double ss__v_init_uniform(const ss_part *P, const ss_layer_rt *L, uint32_t j);

/* Rebases move a layer's base time on a fixed grid of span_ms after each
 * reset (docs/parallel.md); a rebase is an event of the layer with this key,
 * before anything else at that instant, and the same in every partition. */
static inline uint64_t ss__rebase_kid(const ss_layer_rt *L)
{
    return ss_event_kid(SS_EV_REFRACTORY_END, L->layer_offset);
}

/* ---- part.c: one partition ---- */

ss_part *ss__part_alloc(ss_engine *eng, unsigned index, ss_error *err);
void ss__part_free(ss_part *P);
void ss__part_reset(ss_part *P);
/* Processes every event with time < t_end; 0 or SS_ENOMEM (P->failed). */
int ss__part_run(ss_part *P, double t_end, const volatile sig_atomic_t *interrupt);
/* Queues the arrivals of the spikes in box (window exchange): for each
 * neuron spike, every outgoing projection with synapses here. */
void ss__part_absorb(ss_part *P, const ss_outbox *box);
/* Injected input (force: a forced spike, else an input of weight x) for
 * local neuron j, queued at t_ms (checked by the caller). */
int ss__part_queue_external(ss_part *P, size_t layer, uint32_t j, double t_ms, double x, int force,
                            ss_error *err);

/* ---- window.c: several partitions on threads ---- */

/* ss_engine_run() with P > 1. */
int ss__engine_run_windows(ss_engine *eng, double t_end_ms, ss_error *err);

/* ---- engine.c ---- */

/* Calls every observer, in order, with a spike (window ends). */
void ss__engine_observe(ss_engine *eng, size_t layer, size_t neuron, double t_ms);
/* The partition that owns neuron (layer index) of a neuron layer. */
unsigned ss__engine_owner(const ss_engine *eng, size_t layer, uint32_t neuron);

#endif
