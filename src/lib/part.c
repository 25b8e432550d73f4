/* One partition of an engine: its event loop, spike fan-out through its part
 * of each projection, its pending deliveries and injected input (layout in
 * engine_impl.h).  With one partition this is the whole engine. */
#include "engine_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- this partition's part of a row ---- */

/* Storage range [*first, *end) of pre's row here (one delay, or one
 * partition), or the range of positions into pos (individual delays). */
static inline void row_range(const ss_proj_rt *R, uint32_t pre, uint32_t *first, uint32_t *end)
{
    if (R->lo) {
        *first = R->lo[pre];
        *end = R->hi[pre];
    } else if (R->pos) {
        *first = R->pos_ptr[pre];
        *end = R->pos_ptr[pre + 1];
    } else {
        *first = R->proj->row_ptr[pre];
        *end = R->proj->row_ptr[pre + 1];
    }
}

/* Storage index of the k-th synapse of a cursor walk. */
static inline uint32_t cursor_syn(const ss_proj_rt *R, uint32_t k)
{
    return R->pos ? R->pos[k] : k;
}

/* ---- projections: pending deliveries ---- */

static void proj_publish(ss_part *P, ss_proj_rt *R)
{
    uint32_t slot = ss__slot_proj(P, R->index);
    if (R->cursors) {
        const ss_event *e = ss_event_heap_top(R->cursors);
        if (e)
            ss_queue_set_inline(P->top, slot, e->t, e->kid);
        else
            ss_queue_remove_inline(P->top, slot);
    } else if (R->count) {
        uint64_t id = ((uint64_t)R->index << 32) | R->fifo_pre[R->head];
        ss_queue_set_inline(P->top, slot, R->fifo_t[R->head], ss_event_kid(SS_EV_DELIVERY, id));
    } else {
        ss_queue_remove_inline(P->top, slot);
    }
}

static int fifo_grow(ss_proj_rt *R)
{
    size_t cap = R->cap ? 2 * R->cap : 64;
    double *t = malloc(cap * sizeof *t);
    uint32_t *pre = malloc(cap * sizeof *pre);
    if (!t || !pre) {
        free(t);
        free(pre);
        return SS_ENOMEM;
    }
    for (size_t k = 0; k < R->count; k++) {
        t[k] = R->fifo_t[(R->head + k) % R->cap];
        pre[k] = R->fifo_pre[(R->head + k) % R->cap];
    }
    free(R->fifo_t);
    free(R->fifo_pre);
    R->fifo_t = t;
    R->fifo_pre = pre;
    R->head = 0;
    R->cap = cap;
    return SS_OK;
}

/* Queues the arrival of pre's spike.  Spikes leave in time order, so with
 * one delay their arrivals come in time order too and a FIFO is a priority
 * queue; only spikes at the same instant need placing by id (and, at a
 * window's end, spikes of several partitions by time). */
static void fifo_push(ss_part *P, ss_proj_rt *R, double t, uint32_t pre)
{
    if (R->count == R->cap && fifo_grow(R)) {
        P->failed = SS_ENOMEM;
        return;
    }
    size_t k = R->count++;
    while (k > 0) {
        size_t prev = (R->head + k - 1) % R->cap;
        double tp = R->fifo_t[prev];
        if (tp < t || (tp == t && R->fifo_pre[prev] < pre))
            break;
        size_t cur = (R->head + k) % R->cap;
        R->fifo_t[cur] = tp;
        R->fifo_pre[cur] = R->fifo_pre[prev];
        k--;
    }
    size_t at = (R->head + k) % R->cap;
    R->fifo_t[at] = t;
    R->fifo_pre[at] = pre;
    if (k == 0)
        proj_publish(P, R);
}

/* Sends pre's spike at t down projection R here, if it has synapses here. */
static void send(ss_part *P, ss_proj_rt *R, uint32_t pre, double t)
{
    uint32_t first, end;
    row_range(R, pre, &first, &end);
    if (first == end)
        return;
    if (R->cursors) {
        uint64_t id = ((uint64_t)R->index << 32) | pre;
        ss_event e = {t + (double)R->proj->delay[cursor_syn(R, first)],
                      ss_event_kid(SS_EV_DELIVERY, id), t, first};
        if (ss_event_heap_push(R->cursors, &e))
            P->failed = SS_ENOMEM;
        proj_publish(P, R);
    } else {
        fifo_push(P, R, t + R->delay_ms, pre);
    }
}

static void deliver_row(ss_part *P, ss_proj_rt *R, uint32_t pre, double t, size_t first, size_t n)
{
    if (R->pre_fn)
        R->pre_fn(R->pre_ctx, P->index, R->index, pre, t, first, n);
    ss__count(&P->counters.deliveries, 1);
    ss__count(&P->counters.syn_events, n);
    ss_layer_rt *L = &P->layers[R->proj->to];
    L->ops->deliver(P, L, t, R->proj->target + first, R->proj->weight + first, n);
}

/* Notes the key of the event about to be handled (windowed runs): spikes
 * emitted during it carry it, and occ counts the events before it with the
 * very same key (two arrivals of one neuron's spikes at one instant). */
static inline void note_event(ss_part *P, double t, uint64_t kid, double x)
{
    if (!P->windowed)
        return;
    if (t == P->ev_t && kid == P->ev_kid && x == P->ev_x) {
        P->ev_occ++;
    } else {
        P->ev_t = t;
        P->ev_kid = kid;
        P->ev_x = x;
        P->ev_occ = 0;
    }
}

static void due_fifo(ss_part *P, ss_proj_rt *R)
{
    double t = R->fifo_t[R->head];
    uint32_t pre = R->fifo_pre[R->head];
    note_event(P, t, ss_event_kid(SS_EV_DELIVERY, ((uint64_t)R->index << 32) | pre), 0);
    R->head = (R->head + 1) % R->cap;
    R->count--;
    proj_publish(P, R);
    uint32_t first, end;
    row_range(R, pre, &first, &end);
    deliver_row(P, R, pre, t, first, end - first);
}

/* Individual delays: a row is sorted by delay, and a cursor walks this
 * partition's part of it, one event per distinct delay. */
static void due_cursor(ss_part *P, ss_proj_rt *R)
{
    ss_event e;
    ss_event_heap_pop(R->cursors, &e);
    note_event(P, e.t, e.kid, e.x);
    uint32_t pre = (uint32_t)(ss_event_id_of(e.kid) & 0xffffffffu);
    uint32_t first, end;
    row_range(R, pre, &first, &end);
    first = (uint32_t)e.u;
    const float *delay = R->proj->delay;
    float d0 = delay[cursor_syn(R, first)];
    uint32_t k = first + 1;
    while (k < end && delay[cursor_syn(R, k)] == d0)
        k++;
    if (k < end) {
        ss_event next = {e.x + (double)delay[cursor_syn(R, k)], e.kid, e.x, k};
        if (ss_event_heap_push(R->cursors, &next))
            P->failed = SS_ENOMEM;
    }
    proj_publish(P, R);
    /* One delay's targets here are one storage range: the row is sorted by
     * (delay, target) and the partition owns a range of targets. */
    deliver_row(P, R, pre, e.t, cursor_syn(R, first), k - first);
}

/* ---- spikes ---- */

static int outbox_push(ss_part *P, const ss_layer_rt *L, uint32_t neuron, double t)
{
    ss_outbox *b = &P->box[P->cur_box];
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        ss_spike_rec *r = realloc(b->rec, cap * sizeof *r);
        if (!r)
            return SS_ENOMEM;
        b->rec = r;
        b->cap = cap;
    }
    b->rec[b->n++] = (ss_spike_rec){t, P->ev_kid, P->ev_x, P->ev_occ, L->index, neuron};
    return SS_OK;
}

void ss__emit(ss_part *P, ss_layer_rt *L, uint32_t j, double t)
{
    uint32_t n = L->first + j; /* index in the layer */
    int owned = n >= L->own_first && n < L->own_end;
    if (owned) {
        ss__count(&P->counters.spikes, 1);
        ss__count(&L->spikes, 1);
    }
    if (L->post_fn)
        L->post_fn(L->post_ctx, P->index, L->index, n, t);
    if (!P->windowed) {
        for (size_t k = 0; k < P->eng->n_obs; k++)
            P->eng->obs[k].fn(P->eng->obs[k].ctx, L->index, n, t);
    } else if (owned && outbox_push(P, L, n, t)) {
        P->failed = SS_ENOMEM;
    }
    /* A neuron's spike reaches other partitions no sooner than the window:
     * with several partitions it is sent on at the window's end, in every
     * partition alike (ss__part_absorb).  A source is simulated in every
     * partition, so each sends its own spikes now. */
    if (P->windowed && !L->source)
        return;
    for (size_t k = 0; k < L->n_out; k++)
        send(P, &P->projs[L->out[k]], n, t);
}

void ss__part_absorb(ss_part *P, const ss_outbox *box)
{
    for (size_t s = 0; s < box->n; s++) {
        const ss_spike_rec *r = &box->rec[s];
        const ss_layer_rt *L = &P->layers[r->layer];
        if (L->source)
            continue;
        for (size_t k = 0; k < L->n_out; k++)
            send(P, &P->projs[L->out[k]], r->neuron, r->t);
    }
}

double ss__v_init_uniform(const ss_part *P, const ss_layer_rt *L, uint32_t j)
{
    const ss_neuron_params *p = &L->layer->params;
    double u =
        ss_stream_uniform_pos_at(P->seed, SS_STREAM_V_INIT, P->stream, L->offset + j, P->resets);
    return p->v_reset_mv + u * (p->v_th_mv - p->v_reset_mv);
}

/* ---- injected input ---- */

static void external_publish(ss_part *P)
{
    const ss_event *e = ss_event_heap_top(P->external);
    if (e)
        ss_queue_set_inline(P->top, ss__slot_external(P), e->t, e->kid);
    else
        ss_queue_remove_inline(P->top, ss__slot_external(P));
}

static void due_external(ss_part *P)
{
    ss_event e;
    ss_event_heap_pop(P->external, &e);
    note_event(P, e.t, e.kid, e.x);
    external_publish(P);
    ss_layer_rt *L = &P->layers[e.u >> 1];
    uint32_t j = (uint32_t)(ss_event_id_of(e.kid) - L->offset);
    if (e.u & 1) {
        L->ops->force(P, L, j, e.t);
    } else {
        float w = (float)e.x;
        uint32_t n = L->first + j;
        L->ops->deliver(P, L, e.t, &n, &w, 1);
    }
}

/* ---- life cycle ---- */

void ss__part_free(ss_part *P)
{
    if (!P)
        return;
    for (size_t i = 0; i < P->n_layers && P->layers; i++) {
        ss_layer_rt *L = &P->layers[i];
        if (L->ops)
            L->ops->destroy(L);
        free(L->out);
    }
    for (size_t i = 0; i < P->n_projs && P->projs; i++) {
        ss_proj_rt *R = &P->projs[i];
        free(R->fifo_t);
        free(R->fifo_pre);
        free(R->lo);
        free(R->hi);
        free(R->pos_ptr);
        free(R->pos);
        ss_event_heap_free(R->cursors);
    }
    free(P->layers);
    free(P->projs);
    ss_queue_free(P->top);
    ss_event_heap_free(P->external);
    free(P->box[0].rec);
    free(P->box[1].rec);
    free(P);
}

/* This partition's part of each row of R: a storage range per row with one
 * delay, the positions with individual delays (rows sorted by delay). */
static int build_rows(ss_proj_rt *R, uint32_t tfirst, uint32_t tend)
{
    const ss_projection *p = R->proj;
    if (!p->delay) {
        R->lo = malloc(((size_t)p->n_pre + 1) * sizeof *R->lo);
        R->hi = malloc(((size_t)p->n_pre + 1) * sizeof *R->hi);
        if (!R->lo || !R->hi)
            return SS_ENOMEM;
        for (uint32_t i = 0; i < p->n_pre; i++) {
            uint32_t a = p->row_ptr[i], b = p->row_ptr[i + 1];
            /* rows are sorted by target: two binary searches */
            uint32_t lo = a, hi = b;
            while (lo < hi) {
                uint32_t m = lo + (hi - lo) / 2;
                if (p->target[m] < tfirst)
                    lo = m + 1;
                else
                    hi = m;
            }
            R->lo[i] = lo;
            hi = b;
            while (lo < hi) {
                uint32_t m = lo + (hi - lo) / 2;
                if (p->target[m] < tend)
                    lo = m + 1;
                else
                    hi = m;
            }
            R->hi[i] = lo;
        }
        return SS_OK;
    }
    size_t n = 0;
    for (size_t s = 0; s < p->n_syn; s++)
        n += p->target[s] >= tfirst && p->target[s] < tend;
    R->pos_ptr = malloc(((size_t)p->n_pre + 1) * sizeof *R->pos_ptr);
    R->pos = malloc((n ? n : 1) * sizeof *R->pos);
    if (!R->pos_ptr || !R->pos)
        return SS_ENOMEM;
    size_t k = 0;
    for (uint32_t i = 0; i < p->n_pre; i++) {
        R->pos_ptr[i] = (uint32_t)k;
        for (uint32_t s = p->row_ptr[i]; s < p->row_ptr[i + 1]; s++)
            if (p->target[s] >= tfirst && p->target[s] < tend)
                R->pos[k++] = s;
    }
    R->pos_ptr[p->n_pre] = (uint32_t)k;
    return SS_OK;
}

ss_part *ss__part_alloc(ss_engine *eng, unsigned index, ss_error *err)
{
    ss_network *net = eng->net;
    unsigned nt = eng->n_total;
    ss_part *P = calloc(1, sizeof *P);
    if (!P)
        goto nomem;
    P->eng = eng;
    P->index = index;
    P->gindex = eng->part_base + index;
    P->windowed = eng->n_total > 1;
    P->n_layers = net->n_layers;
    P->n_projs = net->n_projs;
    P->layers = calloc(P->n_layers ? P->n_layers : 1, sizeof *P->layers);
    P->projs = calloc(P->n_projs ? P->n_projs : 1, sizeof *P->projs);
    P->top = ss_queue_alloc(P->n_layers + P->n_projs + 1);
    P->external = ss_event_heap_alloc();
    if (!P->layers || !P->projs || !P->top || !P->external)
        goto nomem;
    for (size_t i = 0; i < P->n_projs; i++) {
        ss_proj_rt *R = &P->projs[i];
        R->proj = net->projs[i];
        R->index = (uint32_t)i;
        R->delay_ms = R->proj->delay_ms;
        if (R->proj->delay && !(R->cursors = ss_event_heap_alloc()))
            goto nomem;
        const uint32_t *blk = eng->block + (size_t)R->proj->to * (nt + 1);
        if (nt > 1 && build_rows(R, blk[P->gindex], blk[P->gindex + 1]))
            goto nomem;
    }
    for (size_t i = 0; i < P->n_layers; i++) {
        ss_layer_rt *L = &P->layers[i];
        L->layer = net->layers[i];
        L->index = (uint32_t)i;
        L->source = ss_layer_type_is_source(L->layer->type);
        const uint32_t *blk = eng->block + i * (nt + 1);
        L->own_first = blk[P->gindex];
        L->own_end = blk[P->gindex + 1];
        /* A source is simulated whole in every partition. */
        L->first = L->source ? 0 : L->own_first;
        L->size = L->source ? L->layer->size : L->own_end - L->own_first;
        L->layer_offset = L->layer->offset;
        L->offset = L->layer->offset + L->first;
        size_t n_out = 0;
        for (size_t p = 0; p < P->n_projs; p++)
            n_out += net->projs[p]->from == i;
        L->out = malloc((n_out ? n_out : 1) * sizeof *L->out);
        if (!L->out)
            goto nomem;
        for (size_t p = 0; p < P->n_projs; p++)
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
        if (L->ops->init(P, L, err)) {
            L->ops = NULL;
            ss__part_free(P);
            return NULL;
        }
    }
    return P;
nomem:
    ss__part_free(P);
    ss_error_set(err, SS_ENOMEM, "engine: out of memory");
    return NULL;
}

void ss__part_reset(ss_part *P)
{
    const ss_engine *eng = P->eng;
    P->now = 0;
    P->failed = 0;
    P->seed = eng->seed;
    P->stream = eng->stream;
    P->resets = eng->resets;
    P->box[0].n = P->box[1].n = 0;
    P->ev_t = NAN;
    ss_queue_clear(P->top);
    ss_event_heap_clear(P->external);
    for (size_t i = 0; i < P->n_projs; i++) {
        P->projs[i].head = P->projs[i].count = 0;
        if (P->projs[i].cursors)
            ss_event_heap_clear(P->projs[i].cursors);
    }
    for (size_t i = 0; i < P->n_layers; i++)
        P->layers[i].ops->reset(P, &P->layers[i]);
}

int ss__part_run(ss_part *P, double t_end, const volatile sig_atomic_t *interrupt)
{
    const uint32_t n_layers = (uint32_t)P->n_layers;
    const uint32_t n_streams = (uint32_t)(P->n_layers + P->n_projs);
    ss_queue *top = P->top;
    unsigned tick = 0;
    while (top->n) {
        double t = top->heap[0].t;
        if (!(t < t_end))
            break;
        uint32_t slot = top->heap[0].slot;
        P->now = t;
        ss__count(&P->counters.events, 1);
        if (slot < n_layers) {
            note_event(P, t, top->heap[0].kid, 0);
            ss_layer_rt *L = &P->layers[slot];
            L->ops->due(P, L, t);
        } else if (slot < n_streams) {
            ss_proj_rt *R = &P->projs[slot - n_layers];
            if (R->cursors)
                due_cursor(P, R);
            else
                due_fifo(P, R);
        } else {
            due_external(P);
        }
        if (P->failed)
            return P->failed;
        if (interrupt && (++tick & 1023) == 0 && *interrupt)
            return SS_EINTR;
    }
    return SS_OK;
}

/* ---- routed from the engine's public API ---- */

int ss__part_queue_external(ss_part *P, size_t layer, uint32_t j, double t_ms, double x, int force,
                            ss_error *err)
{
    const ss_layer_rt *L = &P->layers[layer];
    ss_event e = {t_ms, ss_event_kid(SS_EV_EXTERNAL, L->offset + j), x,
                  ((uint64_t)layer << 1) | (force ? 1u : 0u)};
    if (ss_event_heap_push(P->external, &e))
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    external_publish(P);
    return SS_OK;
}
