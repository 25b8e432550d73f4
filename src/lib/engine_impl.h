/* Internal: the engine's layout and the interface between the engine and
 * the layer kinds (layer_lif.c, layer_lif_exp.c, layer_source.c).  Not
 * installed.
 *
 * The queue is two-level.  The engine's top queue holds one slot per event
 * stream: one per layer (its earliest neuron or source event), one per
 * projection (its earliest pending delivery) and one for injected input.
 * Each stream orders its own events and publishes its head; the top queue
 * merges heads by the same (time, kind, id) key, so the global order is
 * exactly that of one big queue.  This lets each stream use the structure
 * that suits it: a FIFO for a projection with one delay (spikes are emitted
 * in time order, so their arrivals are too), a bucket queue keyed in a
 * warped time for lif neurons (layer_lif.c), binary heaps elsewhere.
 */
#ifndef SS_ENGINE_IMPL_H
#define SS_ENGINE_IMPL_H

#include <spiksim/engine.h>

#include "network_impl.h"
#include "queue_impl.h"

typedef struct ss_layer_rt ss_layer_rt;

typedef struct ss_layer_ops {
    /* Allocates L->state; 0 or a code. */
    int (*init)(ss_engine *eng, ss_layer_rt *L, ss_error *err);
    void (*destroy)(ss_layer_rt *L);
    /* State at time 0 (v_init, sources rewound) and the layer's stream
     * published. */
    void (*reset)(ss_engine *eng, ss_layer_rt *L);
    /* n inputs at time t to targets tgt[k] with weights w[k] (neurons only). */
    void (*deliver)(ss_engine *eng, ss_layer_rt *L, double t, const uint32_t *tgt, const float *w,
                    size_t n);
    /* The head the layer published is due at t: handle it, publish the next. */
    void (*due)(ss_engine *eng, ss_layer_rt *L, double t);
    /* Fire neuron j at t whatever its state (neurons only). */
    void (*force)(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t);
    double (*potential)(const ss_engine *eng, const ss_layer_rt *L, uint32_t j, double t);
    int (*set_bias)(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t, double bias_mv,
                    ss_error *err);
} ss_layer_ops;

extern const ss_layer_ops ss__lif_ops, ss__lif_exp_ops, ss__source_ops;

struct ss_layer_rt {
    const ss_layer_ops *ops;
    ss_layer *layer;
    uint32_t index, size;
    size_t offset;
    uint32_t *out; /* outgoing projections */
    size_t n_out;
    ss_spike_fn post_fn;
    void *post_ctx;
    uint64_t spikes;
    void *state;
};

typedef struct ss_proj_rt {
    ss_projection *proj;
    uint32_t index;
    double delay_ms;
    /* one delay: ring buffer of pending (arrival time, pre), in key order */
    double *fifo_t;
    uint32_t *fifo_pre;
    size_t head, count, cap;
    /* individual delays: cursors (t = arrival, x = spike time, u = synapse) */
    ss_event_heap *cursors;
    ss_pre_fn pre_fn;
    void *pre_ctx;
} ss_proj_rt;

typedef struct observer {
    ss_spike_fn fn;
    void *ctx;
} observer;

struct ss_engine {
    ss_network *net;
    gsl_rng *rng;
    double now;
    ss_queue *top; /* slots: layers, then projections, then injected input */
    size_t n_layers, n_projs;
    ss_layer_rt *layers;
    ss_proj_rt *projs;
    ss_event_heap *external;
    observer *obs;
    size_t n_obs, cap_obs;
    ss_engine_counters counters;
    const volatile sig_atomic_t *interrupt;
    int failed; /* sticky SS_ENOMEM from inside an event */
};

/* Slot of each stream in the top queue. */
static inline uint32_t ss__slot_layer(const ss_engine *eng, size_t layer)
{
    (void)eng;
    return (uint32_t)layer;
}
static inline uint32_t ss__slot_proj(const ss_engine *eng, size_t proj)
{
    return (uint32_t)(eng->n_layers + proj);
}
static inline uint32_t ss__slot_external(const ss_engine *eng)
{
    return (uint32_t)(eng->n_layers + eng->n_projs);
}

/* A layer publishes its earliest event (or withdraws it). */
static inline void ss__publish(ss_engine *eng, const ss_layer_rt *L, double t, uint64_t kid)
{
    ss_queue_set_inline(eng->top, ss__slot_layer(eng, L->index), t, kid);
}
static inline void ss__withdraw(ss_engine *eng, const ss_layer_rt *L)
{
    ss_queue_remove_inline(eng->top, ss__slot_layer(eng, L->index));
}

/* Neuron j of L spikes at t: counters, hooks, observers, and the spike sent
 * down every outgoing projection. */
void ss__emit(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t);

#endif
