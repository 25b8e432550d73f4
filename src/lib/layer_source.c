/* The engine's source layers: poisson, regular, spike_file and input.
 *
 * poisson, regular and input keep each neuron's next spike in a time heap;
 * spike_file walks its sorted train with a cursor.  The k-th Poisson
 * interval of a neuron is draw k of the stream (seed, POISSON, run stream,
 * neuron): a function of what it is, not of when it is drawn, so every
 * partition simulates every source and gets the same spikes
 * (docs/parallel.md).
 */
#include "engine_impl.h"

#include <math.h>
#include <stdlib.h>

typedef struct src_state {
    ss_queue *heap;  /* time keys, kid = (SOURCE, global id) */
    uint64_t *count; /* spikes emitted so far (poisson, regular, input) */
    double *rate_hz; /* input: per neuron */
    ss_input_mode mode;
    double t0, t1; /* input: the window being driven */
    size_t cursor; /* spike_file */
} src_state;

static void publish(ss_part *eng, ss_layer_rt *L, src_state *S)
{
    if (L->layer->type == SS_LAYER_SPIKE_FILE) {
        const ss_spike_train *tr = &L->layer->train;
        if (S->cursor < tr->n)
            ss__publish(eng, L, tr->t_ms[S->cursor],
                        ss_event_kid(SS_EV_SOURCE, L->offset + tr->neuron[S->cursor]));
        else
            ss__withdraw(eng, L);
    } else if (S->heap->n) {
        ss__publish(eng, L, S->heap->heap[0].t, S->heap->heap[0].kid);
    } else {
        ss__withdraw(eng, L);
    }
}

static void schedule(ss_layer_rt *L, src_state *S, uint32_t j, double t)
{
    if (isfinite(t))
        ss_queue_set_inline(S->heap, j, t, ss_event_kid(SS_EV_SOURCE, L->offset + j));
    else
        ss_queue_remove_inline(S->heap, j);
}

/* Interval number count[j] of Poisson neuron j, mean mean_ms. */
static double poisson_interval(const ss_part *eng, const ss_layer_rt *L, const src_state *S,
                               uint32_t j, double mean_ms)
{
    return -mean_ms * log(ss_stream_uniform_pos_at(eng->seed, SS_STREAM_POISSON, eng->stream,
                                                   L->offset + j, S->count[j]));
}

/* The spike of j after one at t (or the first, when count is 0). */
static double next_time(ss_part *eng, ss_layer_rt *L, src_state *S, uint32_t j, double t)
{
    const ss_layer *l = L->layer;
    switch (l->type) {
    case SS_LAYER_POISSON: {
        double r = l->rates_hz ? l->rates_hz[j] : l->rate_hz;
        return r > 0 ? t + poisson_interval(eng, L, S, j, 1000.0 / r) : INFINITY;
    }
    case SS_LAYER_REGULAR:
        /* Multiples of the interval, not sums of it: no drift over long runs. */
        return l->start_ms + (double)S->count[j] * l->isi_ms;
    case SS_LAYER_INPUT: {
        double r = S->rate_hz[j], next;
        if (!(r > 0))
            return INFINITY;
        if (S->mode == SS_INPUT_POISSON)
            next = t + poisson_interval(eng, L, S, j, 1000.0 / r);
        else
            next = S->t0 + ((double)S->count[j] + 0.5) * (1000.0 / r);
        return next < S->t1 ? next : INFINITY;
    }
    default:
        return INFINITY;
    }
}

static void src_due(ss_part *eng, ss_layer_rt *L, double t)
{
    src_state *S = L->state;
    if (L->layer->type == SS_LAYER_SPIKE_FILE) {
        uint32_t j = L->layer->train.neuron[S->cursor++];
        publish(eng, L, S);
        ss__emit(eng, L, j, t);
        return;
    }
    uint32_t j = S->heap->heap[0].slot;
    if (S->count)
        S->count[j]++;
    schedule(L, S, j, next_time(eng, L, S, j, t));
    publish(eng, L, S);
    ss__emit(eng, L, j, t);
}

static void src_reset(ss_part *eng, ss_layer_rt *L)
{
    src_state *S = L->state;
    ss_queue_clear(S->heap);
    S->cursor = 0;
    if (S->count)
        for (uint32_t j = 0; j < L->size; j++)
            S->count[j] = 0;
    if (L->layer->type == SS_LAYER_POISSON || L->layer->type == SS_LAYER_REGULAR)
        for (uint32_t j = 0; j < L->size; j++)
            schedule(L, S, j, next_time(eng, L, S, j, L->layer->start_ms));
    if (S->rate_hz) /* input layers are silent until driven */
        for (uint32_t j = 0; j < L->size; j++)
            S->rate_hz[j] = 0;
    publish(eng, L, S);
}

/* Drives input layer L of one partition (a source: every partition holds
 * all of it); ss_engine_set_input() checks the arguments and calls this in
 * each partition. */
static void drive_input(ss_part *eng, ss_layer_rt *L, const double *rates_hz, ss_input_mode mode,
                        double t0_ms, double t1_ms)
{
    src_state *S = L->state;
    ss_queue_clear(S->heap);
    S->mode = mode;
    S->t0 = t0_ms;
    S->t1 = t1_ms;
    for (uint32_t j = 0; j < L->size; j++) {
        S->rate_hz[j] = rates_hz[j];
        S->count[j] = 0;
        schedule(L, S, j, next_time(eng, L, S, j, t0_ms));
    }
    publish(eng, L, S);
}

int ss_engine_set_input(ss_engine *eng, size_t layer, const double *rates_hz, ss_input_mode mode,
                        double t0_ms, double t1_ms, ss_error *err)
{
    if (layer >= eng->net->n_layers || eng->net->layers[layer]->type != SS_LAYER_INPUT)
        return ss_error_set(err, SS_EUSAGE, "set input: layer %zu is not an input layer", layer);
    if (!(t0_ms >= eng->now) || !(t1_ms >= t0_ms) || !isfinite(t1_ms))
        return ss_error_set(err, SS_EUSAGE,
                            "set input: window [%g, %g) ms must not start before now (%g ms)",
                            t0_ms, t1_ms, eng->now);
    if (mode != SS_INPUT_POISSON && mode != SS_INPUT_REGULAR)
        return ss_error_set(err, SS_EUSAGE, "set input: unknown mode");
    if (!rates_hz)
        return ss_error_set(err, SS_EUSAGE, "set input: no rates");
    for (uint32_t j = 0; j < eng->net->layers[layer]->size; j++)
        if (!(rates_hz[j] >= 0) || !isfinite(rates_hz[j]))
            return ss_error_set(err, SS_EUSAGE, "set input: rate of neuron %u is %g Hz", j,
                                rates_hz[j]);
    for (unsigned q = 0; q < eng->n_parts; q++) {
        ss_part *P = eng->parts[q];
        drive_input(P, &P->layers[layer], rates_hz, mode, t0_ms, t1_ms);
    }
    return SS_OK;
}

static void src_destroy(ss_layer_rt *L)
{
    src_state *S = L->state;
    if (!S)
        return;
    ss_queue_free(S->heap);
    free(S->count);
    free(S->rate_hz);
    free(S);
    L->state = NULL;
}

static int src_init(ss_part *eng, ss_layer_rt *L, ss_error *err)
{
    (void)eng;
    src_state *S = calloc(1, sizeof *S);
    if (!S)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    L->state = S;
    ss_layer_type type = L->layer->type;
    S->heap = ss_queue_alloc(type == SS_LAYER_SPIKE_FILE ? 1 : L->size);
    int ok = S->heap != NULL;
    if (type == SS_LAYER_POISSON || type == SS_LAYER_REGULAR || type == SS_LAYER_INPUT)
        ok = ok && (S->count = calloc(L->size, sizeof *S->count));
    if (type == SS_LAYER_INPUT)
        ok = ok && (S->rate_hz = calloc(L->size, sizeof *S->rate_hz));
    if (!ok) {
        src_destroy(L);
        return ss_error_set(err, SS_ENOMEM, "layer '%s': out of memory", L->layer->name);
    }
    return SS_OK;
}

static void src_deliver(ss_part *eng, ss_layer_rt *L, double t, const uint32_t *tgt, const float *w,
                        size_t n)
{
    /* Projections onto sources are refused when the network is built. */
    (void)eng, (void)L, (void)t, (void)tgt, (void)w, (void)n;
}

const ss_layer_ops ss__source_ops = {src_init, src_destroy, src_reset, src_deliver,
                                     src_due,  NULL,        NULL,      NULL};
