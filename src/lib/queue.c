/* Event queues: an indexed d-ary heap over slots and a plain d-ary heap of
 * events, both ordered by (t, kind, id), see queue.h.  GSL has no priority
 * queue with decrease-key, hence our own. */
#include "queue_impl.h"

#include <spiksim/error.h>

#include <stdlib.h>

ss_queue *ss_queue_alloc(size_t n_slots)
{
    if (n_slots >= SS_QUEUE_ABSENT)
        return NULL;
    ss_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    size_t n = n_slots ? n_slots : 1;
    q->heap = malloc(n * sizeof *q->heap);
    q->pos = malloc(n * sizeof *q->pos);
    if (!q->heap || !q->pos) {
        ss_queue_free(q);
        return NULL;
    }
    q->n_slots = (uint32_t)n_slots;
    for (size_t i = 0; i < n; i++)
        q->pos[i] = SS_QUEUE_ABSENT;
    return q;
}

void ss_queue_free(ss_queue *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->pos);
    free(q);
}

void ss_queue_clear(ss_queue *q)
{
    for (uint32_t i = 0; i < q->n; i++)
        q->pos[q->heap[i].slot] = SS_QUEUE_ABSENT;
    q->n = 0;
}

size_t ss_queue_size(const ss_queue *q)
{
    return q->n;
}

size_t ss_queue_slots(const ss_queue *q)
{
    return q->n_slots;
}

int ss_queue_contains(const ss_queue *q, size_t slot)
{
    return slot < q->n_slots && q->pos[slot] != SS_QUEUE_ABSENT;
}

void ss_queue_set(ss_queue *q, size_t slot, double t, uint64_t kid)
{
    ss_queue_set_inline(q, (uint32_t)slot, t, kid);
}

void ss_queue_remove(ss_queue *q, size_t slot)
{
    if (slot < q->n_slots)
        ss_queue_remove_inline(q, (uint32_t)slot);
}

int ss_queue_top(const ss_queue *q, size_t *slot, double *t, uint64_t *kid)
{
    if (q->n == 0)
        return 0;
    if (slot)
        *slot = q->heap[0].slot;
    if (t)
        *t = q->heap[0].t;
    if (kid)
        *kid = q->heap[0].kid;
    return 1;
}

int ss_queue_pop(ss_queue *q, size_t *slot, double *t, uint64_t *kid)
{
    if (!ss_queue_top(q, slot, t, kid))
        return 0;
    ss_queue_remove_inline(q, q->heap[0].slot);
    return 1;
}

double ss_queue_key(const ss_queue *q, size_t slot, uint64_t *kid)
{
    const ss_qentry *e = &q->heap[q->pos[slot]];
    if (kid)
        *kid = e->kid;
    return e->t;
}

/* ---- plain heap of events ---- */

struct ss_event_heap {
    ss_event *ev;
    size_t n, cap;
};

static int ev_less(const ss_event *a, const ss_event *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->kid != b->kid)
        return a->kid < b->kid;
    if (a->x != b->x)
        return a->x < b->x;
    return a->u < b->u;
}

ss_event_heap *ss_event_heap_alloc(void)
{
    return calloc(1, sizeof(ss_event_heap));
}

void ss_event_heap_free(ss_event_heap *h)
{
    if (!h)
        return;
    free(h->ev);
    free(h);
}

void ss_event_heap_clear(ss_event_heap *h)
{
    h->n = 0;
}

size_t ss_event_heap_size(const ss_event_heap *h)
{
    return h->n;
}

int ss_event_heap_push(ss_event_heap *h, const ss_event *e)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        ss_event *ev = realloc(h->ev, cap * sizeof *ev);
        if (!ev)
            return SS_ENOMEM;
        h->ev = ev;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / SS_QUEUE_ARITY;
        if (!ev_less(e, &h->ev[p]))
            break;
        h->ev[i] = h->ev[p];
        i = p;
    }
    h->ev[i] = *e;
    return SS_OK;
}

const ss_event *ss_event_heap_top(const ss_event_heap *h)
{
    return h->n ? &h->ev[0] : NULL;
}

int ss_event_heap_pop(ss_event_heap *h, ss_event *out)
{
    if (h->n == 0)
        return 0;
    if (out)
        *out = h->ev[0];
    ss_event e = h->ev[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = SS_QUEUE_ARITY * i + 1;
        if (c >= h->n)
            break;
        size_t end = c + SS_QUEUE_ARITY < h->n ? c + SS_QUEUE_ARITY : h->n;
        size_t m = c;
        for (size_t k = c + 1; k < end; k++)
            if (ev_less(&h->ev[k], &h->ev[m]))
                m = k;
        if (!ev_less(&h->ev[m], &e))
            break;
        h->ev[i] = h->ev[m];
        i = m;
    }
    if (h->n)
        h->ev[i] = e;
    return 1;
}
