/* Internal: the layout of ss_queue and its inline operations, shared by
 * queue.c and the engine's hot paths (a neuron's predicted spike moving
 * earlier is one sift-up per synaptic event, too frequent for a call through
 * the public API).  Not installed. */
#ifndef SS_QUEUE_IMPL_H
#define SS_QUEUE_IMPL_H

#include <spiksim/queue.h>

#ifndef SS_QUEUE_ARITY
#define SS_QUEUE_ARITY 2
#endif

#define SS_QUEUE_ABSENT UINT32_MAX

typedef struct ss_qentry {
    double t;
    uint64_t kid;
    uint32_t slot;
} ss_qentry;

struct ss_queue {
    ss_qentry *heap; /* heap[0] is the smallest key */
    uint32_t *pos;   /* pos[slot]: index in heap, or SS_QUEUE_ABSENT */
    uint32_t n;      /* keys present */
    uint32_t n_slots;
};

static inline int ss_key_less(double ta, uint64_t ka, double tb, uint64_t kb)
{
    return ta < tb || (ta == tb && ka < kb);
}

static inline uint32_t ss_queue_sift_up(ss_queue *q, uint32_t i)
{
    ss_qentry e = q->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / SS_QUEUE_ARITY;
        if (!ss_key_less(e.t, e.kid, q->heap[p].t, q->heap[p].kid))
            break;
        q->heap[i] = q->heap[p];
        q->pos[q->heap[i].slot] = i;
        i = p;
    }
    q->heap[i] = e;
    q->pos[e.slot] = i;
    return i;
}

static inline uint32_t ss_queue_sift_down(ss_queue *q, uint32_t i)
{
    ss_qentry e = q->heap[i];
    for (;;) {
        uint32_t c = SS_QUEUE_ARITY * i + 1;
        if (c >= q->n)
            break;
        uint32_t end = c + SS_QUEUE_ARITY < q->n ? c + SS_QUEUE_ARITY : q->n;
        uint32_t m = c;
        for (uint32_t k = c + 1; k < end; k++)
            if (ss_key_less(q->heap[k].t, q->heap[k].kid, q->heap[m].t, q->heap[m].kid))
                m = k;
        if (!ss_key_less(q->heap[m].t, q->heap[m].kid, e.t, e.kid))
            break;
        q->heap[i] = q->heap[m];
        q->pos[q->heap[i].slot] = i;
        i = m;
    }
    q->heap[i] = e;
    q->pos[e.slot] = i;
    return i;
}

/* Inserts or moves slot; returns its new index in the heap (0: it is the
 * new minimum). */
static inline uint32_t ss_queue_set_inline(ss_queue *q, uint32_t slot, double t, uint64_t kid)
{
    uint32_t i = q->pos[slot];
    if (i == SS_QUEUE_ABSENT) {
        i = q->n++;
        q->heap[i].t = t;
        q->heap[i].kid = kid;
        q->heap[i].slot = slot;
        return ss_queue_sift_up(q, i);
    }
    int up = ss_key_less(t, kid, q->heap[i].t, q->heap[i].kid);
    q->heap[i].t = t;
    q->heap[i].kid = kid;
    return up ? ss_queue_sift_up(q, i) : ss_queue_sift_down(q, i);
}

/* Lowers the key of a present slot; returns its new index. */
static inline uint32_t ss_queue_lower_inline(ss_queue *q, uint32_t slot, double t)
{
    uint32_t i = q->pos[slot];
    q->heap[i].t = t;
    return ss_queue_sift_up(q, i);
}

static inline void ss_queue_remove_inline(ss_queue *q, uint32_t slot)
{
    uint32_t i = q->pos[slot];
    if (i == SS_QUEUE_ABSENT)
        return;
    q->pos[slot] = SS_QUEUE_ABSENT;
    uint32_t last = --q->n;
    if (i == last)
        return;
    ss_qentry moved = q->heap[last];
    int up = ss_key_less(moved.t, moved.kid, q->heap[i].t, q->heap[i].kid);
    q->heap[i] = moved;
    q->pos[moved.slot] = i;
    if (up)
        ss_queue_sift_up(q, i);
    else
        ss_queue_sift_down(q, i);
}

#endif
