/* The event loop, spike fan-out through projections, injected input and the
 * engine's public API (see engine.h; layout in engine_impl.h). */
#include "engine_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- projections: pending deliveries ---- */

static void proj_publish(ss_engine *eng, ss_proj_rt *P)
{
    uint32_t slot = ss__slot_proj(eng, P->index);
    if (P->cursors) {
        const ss_event *e = ss_event_heap_top(P->cursors);
        if (e)
            ss_queue_set_inline(eng->top, slot, e->t, e->kid);
        else
            ss_queue_remove_inline(eng->top, slot);
    } else if (P->count) {
        uint64_t id = ((uint64_t)P->index << 32) | P->fifo_pre[P->head];
        ss_queue_set_inline(eng->top, slot, P->fifo_t[P->head], ss_event_kid(SS_EV_DELIVERY, id));
    } else {
        ss_queue_remove_inline(eng->top, slot);
    }
}

static int fifo_grow(ss_proj_rt *P)
{
    size_t cap = P->cap ? 2 * P->cap : 64;
    double *t = malloc(cap * sizeof *t);
    uint32_t *pre = malloc(cap * sizeof *pre);
    if (!t || !pre) {
        free(t);
        free(pre);
        return SS_ENOMEM;
    }
    for (size_t k = 0; k < P->count; k++) {
        t[k] = P->fifo_t[(P->head + k) % P->cap];
        pre[k] = P->fifo_pre[(P->head + k) % P->cap];
    }
    free(P->fifo_t);
    free(P->fifo_pre);
    P->fifo_t = t;
    P->fifo_pre = pre;
    P->head = 0;
    P->cap = cap;
    return SS_OK;
}

/* Queues the arrival of pre's spike.  Spikes leave in time order, so with
 * one delay their arrivals come in time order too and a FIFO is a priority
 * queue; only spikes at the same instant need placing by id. */
static void fifo_push(ss_engine *eng, ss_proj_rt *P, double t, uint32_t pre)
{
    if (P->count == P->cap && fifo_grow(P)) {
        eng->failed = SS_ENOMEM;
        return;
    }
    size_t k = P->count++;
    while (k > 0) {
        size_t prev = (P->head + k - 1) % P->cap;
        double tp = P->fifo_t[prev];
        if (tp < t || (tp == t && P->fifo_pre[prev] < pre))
            break;
        size_t cur = (P->head + k) % P->cap;
        P->fifo_t[cur] = tp;
        P->fifo_pre[cur] = P->fifo_pre[prev];
        k--;
    }
    size_t at = (P->head + k) % P->cap;
    P->fifo_t[at] = t;
    P->fifo_pre[at] = pre;
    if (k == 0)
        proj_publish(eng, P);
}

static void deliver_row(ss_engine *eng, ss_proj_rt *P, uint32_t pre, double t, size_t first,
                        size_t n)
{
    if (P->pre_fn)
        P->pre_fn(P->pre_ctx, P->index, pre, t, first, n);
    eng->counters.deliveries++;
    eng->counters.syn_events += n;
    ss_layer_rt *L = &eng->layers[P->proj->to];
    L->ops->deliver(eng, L, t, P->proj->target + first, P->proj->weight + first, n);
}

static void due_fifo(ss_engine *eng, ss_proj_rt *P)
{
    double t = P->fifo_t[P->head];
    uint32_t pre = P->fifo_pre[P->head];
    P->head = (P->head + 1) % P->cap;
    P->count--;
    proj_publish(eng, P);
    uint32_t first = P->proj->row_ptr[pre];
    deliver_row(eng, P, pre, t, first, P->proj->row_ptr[pre + 1] - first);
}

/* Individual delays: a row is sorted by delay, and a cursor walks it, one
 * event per distinct delay. */
static void due_cursor(ss_engine *eng, ss_proj_rt *P)
{
    ss_event e;
    ss_event_heap_pop(P->cursors, &e);
    uint32_t pre = (uint32_t)(ss_event_id_of(e.kid) & 0xffffffffu);
    uint32_t first = (uint32_t)e.u, end = P->proj->row_ptr[pre + 1];
    const float *delay = P->proj->delay;
    uint32_t k = first + 1;
    while (k < end && delay[k] == delay[first])
        k++;
    if (k < end) {
        ss_event next = {e.x + (double)delay[k], e.kid, e.x, k};
        if (ss_event_heap_push(P->cursors, &next))
            eng->failed = SS_ENOMEM;
    }
    proj_publish(eng, P);
    deliver_row(eng, P, pre, e.t, first, k - first);
}

void ss__emit(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t)
{
    eng->counters.spikes++;
    L->spikes++;
    if (L->post_fn)
        L->post_fn(L->post_ctx, L->index, j, t);
    for (size_t k = 0; k < eng->n_obs; k++)
        eng->obs[k].fn(eng->obs[k].ctx, L->index, j, t);
    for (size_t k = 0; k < L->n_out; k++) {
        ss_proj_rt *P = &eng->projs[L->out[k]];
        const uint32_t *row = P->proj->row_ptr;
        if (row[j] == row[j + 1])
            continue;
        if (P->cursors) {
            uint64_t id = ((uint64_t)P->index << 32) | j;
            ss_event e = {t + (double)P->proj->delay[row[j]], ss_event_kid(SS_EV_DELIVERY, id), t,
                          row[j]};
            if (ss_event_heap_push(P->cursors, &e))
                eng->failed = SS_ENOMEM;
            proj_publish(eng, P);
        } else {
            fifo_push(eng, P, t + P->delay_ms, j);
        }
    }
}

/* ---- injected input ---- */

static void external_publish(ss_engine *eng)
{
    const ss_event *e = ss_event_heap_top(eng->external);
    if (e)
        ss_queue_set_inline(eng->top, ss__slot_external(eng), e->t, e->kid);
    else
        ss_queue_remove_inline(eng->top, ss__slot_external(eng));
}

static void due_external(ss_engine *eng)
{
    ss_event e;
    ss_event_heap_pop(eng->external, &e);
    external_publish(eng);
    ss_layer_rt *L = &eng->layers[e.u >> 1];
    uint32_t j = (uint32_t)(ss_event_id_of(e.kid) - L->offset);
    if (e.u & 1) {
        L->ops->force(eng, L, j, e.t);
    } else {
        float w = (float)e.x;
        L->ops->deliver(eng, L, e.t, &j, &w, 1);
    }
}

static int check_neuron(const ss_engine *eng, size_t layer, size_t neuron, const char *what,
                        ss_error *err)
{
    if (layer >= eng->n_layers)
        return ss_error_set(err, SS_EUSAGE, "%s: no layer %zu", what, layer);
    const ss_layer_rt *L = &eng->layers[layer];
    if (neuron >= L->size)
        return ss_error_set(err, SS_EUSAGE, "%s: layer '%s' has no neuron %zu", what,
                            L->layer->name, neuron);
    if (ss_layer_type_is_source(L->layer->type))
        return ss_error_set(err, SS_EUSAGE, "%s: layer '%s' is a source", what, L->layer->name);
    return SS_OK;
}

static int queue_external(ss_engine *eng, size_t layer, size_t neuron, double t_ms, double x,
                          int force, const char *what, ss_error *err)
{
    int rc = check_neuron(eng, layer, neuron, what, err);
    if (rc)
        return rc;
    if (!(t_ms >= eng->now) || !isfinite(t_ms))
        return ss_error_set(err, SS_EUSAGE, "%s at %g ms: the engine is at %g ms", what, t_ms,
                            eng->now);
    if (!isfinite(x))
        return ss_error_set(err, SS_EUSAGE, "%s: weight must be finite", what);
    const ss_layer_rt *L = &eng->layers[layer];
    ss_event e = {t_ms, ss_event_kid(SS_EV_EXTERNAL, L->offset + neuron), x,
                  ((uint64_t)layer << 1) | (force ? 1u : 0u)};
    if (ss_event_heap_push(eng->external, &e))
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    external_publish(eng);
    return SS_OK;
}

int ss_engine_inject(ss_engine *eng, size_t layer, size_t neuron, double t_ms, double weight,
                     ss_error *err)
{
    return queue_external(eng, layer, neuron, t_ms, weight, 0, "inject", err);
}

int ss_engine_force_spike(ss_engine *eng, size_t layer, size_t neuron, double t_ms, ss_error *err)
{
    return queue_external(eng, layer, neuron, t_ms, 0, 1, "force spike", err);
}

int ss_engine_set_bias(ss_engine *eng, size_t layer, size_t neuron, double bias_mv, ss_error *err)
{
    int rc = check_neuron(eng, layer, neuron, "set bias", err);
    if (rc)
        return rc;
    if (!isfinite(bias_mv))
        return ss_error_set(err, SS_EUSAGE, "set bias: bias must be finite");
    ss_layer_rt *L = &eng->layers[layer];
    return L->ops->set_bias(eng, L, (uint32_t)neuron, eng->now, bias_mv, err);
}

double ss_engine_potential(const ss_engine *eng, size_t layer, size_t neuron)
{
    if (layer >= eng->n_layers || neuron >= eng->layers[layer].size)
        return NAN;
    const ss_layer_rt *L = &eng->layers[layer];
    if (!L->ops->potential)
        return NAN;
    return L->ops->potential(eng, L, (uint32_t)neuron, eng->now);
}

/* ---- life cycle ---- */

void ss_engine_free(ss_engine *eng)
{
    if (!eng)
        return;
    for (size_t i = 0; i < eng->n_layers && eng->layers; i++) {
        ss_layer_rt *L = &eng->layers[i];
        if (L->ops)
            L->ops->destroy(L);
        free(L->out);
    }
    for (size_t i = 0; i < eng->n_projs && eng->projs; i++) {
        free(eng->projs[i].fifo_t);
        free(eng->projs[i].fifo_pre);
        ss_event_heap_free(eng->projs[i].cursors);
    }
    free(eng->layers);
    free(eng->projs);
    ss_queue_free(eng->top);
    ss_event_heap_free(eng->external);
    free(eng->obs);
    free(eng);
}

ss_engine *ss_engine_alloc(ss_network *net, gsl_rng *rng, ss_error *err)
{
    ss_engine *eng = calloc(1, sizeof *eng);
    if (!eng)
        goto nomem;
    eng->net = net;
    eng->rng = rng;
    eng->n_layers = net->n_layers;
    eng->n_projs = net->n_projs;
    eng->layers = calloc(eng->n_layers ? eng->n_layers : 1, sizeof *eng->layers);
    eng->projs = calloc(eng->n_projs ? eng->n_projs : 1, sizeof *eng->projs);
    eng->top = ss_queue_alloc(eng->n_layers + eng->n_projs + 1);
    eng->external = ss_event_heap_alloc();
    if (!eng->layers || !eng->projs || !eng->top || !eng->external)
        goto nomem;
    for (size_t i = 0; i < eng->n_projs; i++) {
        ss_proj_rt *P = &eng->projs[i];
        P->proj = net->projs[i];
        P->index = (uint32_t)i;
        P->delay_ms = P->proj->delay_ms;
        if (P->proj->delay && !(P->cursors = ss_event_heap_alloc()))
            goto nomem;
    }
    for (size_t i = 0; i < eng->n_layers; i++) {
        ss_layer_rt *L = &eng->layers[i];
        L->layer = net->layers[i];
        L->index = (uint32_t)i;
        L->size = L->layer->size;
        L->offset = L->layer->offset;
        size_t n_out = 0;
        for (size_t p = 0; p < eng->n_projs; p++)
            n_out += net->projs[p]->from == i;
        L->out = malloc((n_out ? n_out : 1) * sizeof *L->out);
        if (!L->out)
            goto nomem;
        for (size_t p = 0; p < eng->n_projs; p++)
            if (net->projs[p]->from == i)
                L->out[L->n_out++] = (uint32_t)p;
        switch (L->layer->type) {
        case SS_LAYER_LIF:
            L->ops = &ss__lif_ops;
            break;
        case SS_LAYER_LIF_EXP:
            L->ops = &ss__lif_exp_ops;
            break;
        default:
            L->ops = &ss__source_ops;
            break;
        }
        if (L->ops->init(eng, L, err)) {
            L->ops = NULL;
            ss_engine_free(eng);
            return NULL;
        }
    }
    ss_engine_reset(eng);
    return eng;
nomem:
    ss_engine_free(eng);
    ss_error_set(err, SS_ENOMEM, "engine: out of memory");
    return NULL;
}

void ss_engine_reset(ss_engine *eng)
{
    eng->now = 0;
    eng->failed = 0;
    ss_queue_clear(eng->top);
    ss_event_heap_clear(eng->external);
    for (size_t i = 0; i < eng->n_projs; i++) {
        eng->projs[i].head = eng->projs[i].count = 0;
        if (eng->projs[i].cursors)
            ss_event_heap_clear(eng->projs[i].cursors);
    }
    for (size_t i = 0; i < eng->n_layers; i++)
        eng->layers[i].ops->reset(eng, &eng->layers[i]);
}

int ss_engine_run(ss_engine *eng, double t_end_ms, ss_error *err)
{
    if (!isfinite(t_end_ms) || t_end_ms < eng->now)
        return ss_error_set(err, SS_EUSAGE, "run until %g ms: the engine is at %g ms", t_end_ms,
                            eng->now);
    const uint32_t n_layers = (uint32_t)eng->n_layers;
    const uint32_t n_streams = (uint32_t)(eng->n_layers + eng->n_projs);
    ss_queue *top = eng->top;
    unsigned tick = 0;
    while (top->n) {
        double t = top->heap[0].t;
        if (!(t < t_end_ms))
            break;
        uint32_t slot = top->heap[0].slot;
        eng->now = t;
        eng->counters.events++;
        if (slot < n_layers) {
            ss_layer_rt *L = &eng->layers[slot];
            L->ops->due(eng, L, t);
        } else if (slot < n_streams) {
            ss_proj_rt *P = &eng->projs[slot - n_layers];
            if (P->cursors)
                due_cursor(eng, P);
            else
                due_fifo(eng, P);
        } else {
            due_external(eng);
        }
        if (eng->failed)
            return ss_error_set(err, eng->failed, "engine: out of memory at %g ms", t);
        if (eng->interrupt && (++tick & 1023) == 0 && *eng->interrupt)
            return ss_error_set(err, SS_EINTR, "interrupted at %g ms", t);
    }
    eng->now = t_end_ms;
    return SS_OK;
}

double ss_engine_time(const ss_engine *eng)
{
    return eng->now;
}

int ss_engine_add_observer(ss_engine *eng, ss_spike_fn fn, void *ctx)
{
    if (eng->n_obs == eng->cap_obs) {
        size_t cap = eng->cap_obs ? 2 * eng->cap_obs : 4;
        observer *o = realloc(eng->obs, cap * sizeof *o);
        if (!o)
            return SS_ENOMEM;
        eng->obs = o;
        eng->cap_obs = cap;
    }
    eng->obs[eng->n_obs].fn = fn;
    eng->obs[eng->n_obs].ctx = ctx;
    eng->n_obs++;
    return SS_OK;
}

void ss_engine_remove_observer(ss_engine *eng, ss_spike_fn fn, void *ctx)
{
    for (size_t k = 0; k < eng->n_obs; k++)
        if (eng->obs[k].fn == fn && eng->obs[k].ctx == ctx) {
            memmove(&eng->obs[k], &eng->obs[k + 1], (eng->n_obs - k - 1) * sizeof *eng->obs);
            eng->n_obs--;
            return;
        }
}

void ss_engine_set_pre_hook(ss_engine *eng, size_t projection, ss_pre_fn fn, void *ctx)
{
    if (projection < eng->n_projs) {
        eng->projs[projection].pre_fn = fn;
        eng->projs[projection].pre_ctx = ctx;
    }
}

void ss_engine_set_post_hook(ss_engine *eng, size_t layer, ss_spike_fn fn, void *ctx)
{
    if (layer < eng->n_layers) {
        eng->layers[layer].post_fn = fn;
        eng->layers[layer].post_ctx = ctx;
    }
}

void ss_engine_get_counters(const ss_engine *eng, ss_engine_counters *c)
{
    *c = eng->counters;
}

uint64_t ss_engine_layer_spikes(const ss_engine *eng, size_t layer)
{
    return layer < eng->n_layers ? eng->layers[layer].spikes : 0;
}

void ss_engine_reset_counters(ss_engine *eng)
{
    memset(&eng->counters, 0, sizeof eng->counters);
    for (size_t i = 0; i < eng->n_layers; i++)
        eng->layers[i].spikes = 0;
}

void ss_engine_set_interrupt(ss_engine *eng, const volatile sig_atomic_t *flag)
{
    eng->interrupt = flag;
}
