/* Internal: a bucket (calendar) queue of keys >= 1 over a fixed set of
 * slots, ordered by (key, slot), for the lif layer's warped-time keys
 * K = e^{(t - tb)/tau} (layer_lif.c).
 *
 * A key's bucket is read off its IEEE-754 bits: for positive doubles the bit
 * pattern is monotone in the value, so (bits(K) - bits(1)) >> (52 - m) is a
 * monotone bucket index with 2^m buckets per binade, i.e. buckets a fixed
 * fraction of tau wide in time (tau ln 2 / 2^m to twice that): no log, no
 * division.  Moving a key is an unlink and a link; the minimum is found by
 * scanning forward from a cursor below which every bucket is empty, then
 * along that bucket's short list, and cached until it moves up or leaves.
 * A heap instead pays a sift from the root whenever the earliest prediction
 * turns out stale or fires (docs/engine.md has the measurements).
 */
#ifndef SS_BUCKETQ_H
#define SS_BUCKETQ_H

#include <stdint.h>
#include <string.h>

#define SS_BQ_NONE UINT32_MAX
#define SS_BQ_GONE (UINT32_MAX - 1) /* prev of a slot not in the queue */
#define SS_BQ_BINADES 48            /* keys up to 2^48; larger ones share the last bucket */

/* A slot's fields.  They may sit at the start of a larger per-slot record
 * (the lif layer's 32-byte neuron), so that moving a neuron's key touches the
 * cache line its state is already in: the queue then walks the records with a
 * stride.  A slot's bucket is not stored: it is a function of its key. */
typedef struct ss_bq_slot {
    double key;
    uint32_t next, prev; /* prev SS_BQ_GONE: absent */
} ss_bq_slot;

typedef struct ss_bucketq {
    uint32_t n_slots, n_buckets;
    unsigned shift; /* 52 - m for 2^m buckets per binade */
    uint32_t *head; /* per bucket: first slot, or SS_BQ_NONE */
    char *base;     /* slot s at base + s * stride */
    size_t stride;
    void *own;    /* the slot records when the queue allocated them */
    uint32_t cur; /* every bucket below cur is empty */
    uint32_t hi;  /* every bucket above hi is empty (or hi < cur) */
    uint32_t min; /* cached minimum, SS_BQ_NONE: unknown or empty */
    uint32_t n;
} ss_bucketq;

/* 2^m buckets per binade: the lif layer picks m from its size so that the
 * earliest buckets hold a couple of keys each.  records: n_slots records of
 * stride bytes, each starting with an ss_bq_slot, owned by the caller; NULL
 * to have the queue allocate bare slots. */
ss_bucketq *ss_bucketq_alloc(uint32_t n_slots, unsigned m, void *records, size_t stride);
void ss_bucketq_free(ss_bucketq *q);
void ss_bucketq_clear(ss_bucketq *q);

static inline ss_bq_slot *ss_bq_sl(const ss_bucketq *q, uint32_t s)
{
    return (ss_bq_slot *)(void *)(q->base + (size_t)s * q->stride);
}

static inline uint32_t ss_bq_bucket(const ss_bucketq *q, double k)
{
    if (!(k > 1.0))
        return 0;
    uint64_t bits;
    memcpy(&bits, &k, sizeof bits);
    uint64_t b = (bits - UINT64_C(0x3FF0000000000000)) >> q->shift;
    return b < q->n_buckets - 1 ? (uint32_t)b : q->n_buckets - 1;
}

static inline int ss_bq_less(const ss_bucketq *q, uint32_t a, uint32_t b)
{
    double ka = ss_bq_sl(q, a)->key, kb = ss_bq_sl(q, b)->key;
    return ka < kb || (ka == kb && a < b);
}

/* Unlinks s from the bucket of its current key. */
static inline void ss_bq_unlink(ss_bucketq *q, uint32_t s)
{
    ss_bq_slot *x = ss_bq_sl(q, s);
    if (x->prev != SS_BQ_NONE)
        ss_bq_sl(q, x->prev)->next = x->next;
    else
        q->head[ss_bq_bucket(q, x->key)] = x->next;
    if (x->next != SS_BQ_NONE)
        ss_bq_sl(q, x->next)->prev = x->prev;
}

static inline void ss_bq_link(ss_bucketq *q, uint32_t s, uint32_t b)
{
    ss_bq_slot *x = ss_bq_sl(q, s);
    uint32_t h = q->head[b];
    x->next = h;
    x->prev = SS_BQ_NONE;
    if (h != SS_BQ_NONE)
        ss_bq_sl(q, h)->prev = s;
    q->head[b] = s;
    if (b < q->cur)
        q->cur = b;
    if (b > q->hi || q->hi == SS_BQ_NONE)
        q->hi = b;
}

static inline int ss_bucketq_contains(const ss_bucketq *q, uint32_t s)
{
    return ss_bq_sl(q, s)->prev != SS_BQ_GONE;
}

/* Inserts slot s with key k, or moves it there. */
static inline void ss_bucketq_set(ss_bucketq *q, uint32_t s, double k)
{
    ss_bq_slot *x = ss_bq_sl(q, s);
    uint32_t b = ss_bq_bucket(q, k);
    int present = x->prev != SS_BQ_GONE;
    int up = present && k > x->key;
    if (!present) {
        q->n++;
        x->key = k;
        ss_bq_link(q, s, b);
    } else if (ss_bq_bucket(q, x->key) != b) {
        ss_bq_unlink(q, s);
        x->key = k;
        ss_bq_link(q, s, b);
    } else {
        x->key = k;
    }
    if (q->min == s) {
        if (up)
            q->min = SS_BQ_NONE; /* it may no longer be the minimum */
    } else if (q->min != SS_BQ_NONE && ss_bq_less(q, s, q->min)) {
        q->min = s;
    } else if (q->n == 1) {
        q->min = s;
    }
}

/* Lowers the key of a present slot (the hot path: an excitatory input). */
static inline void ss_bucketq_lower(ss_bucketq *q, uint32_t s, double k)
{
    ss_bq_slot *x = ss_bq_sl(q, s);
    uint32_t b = ss_bq_bucket(q, k);
    if (ss_bq_bucket(q, x->key) != b) {
        ss_bq_unlink(q, s);
        x->key = k;
        ss_bq_link(q, s, b);
    } else {
        x->key = k;
    }
    if (q->min != SS_BQ_NONE && q->min != s && ss_bq_less(q, s, q->min))
        q->min = s;
}

static inline void ss_bucketq_remove(ss_bucketq *q, uint32_t s)
{
    ss_bq_slot *x = ss_bq_sl(q, s);
    if (x->prev == SS_BQ_GONE)
        return;
    ss_bq_unlink(q, s);
    x->prev = SS_BQ_GONE;
    q->n--;
    if (q->min == s)
        q->min = SS_BQ_NONE;
}

/* The slot with the smallest (key, slot), SS_BQ_NONE when empty. */
static inline uint32_t ss_bucketq_min(ss_bucketq *q)
{
    if (q->min != SS_BQ_NONE || q->n == 0)
        return q->min;
    while (q->head[q->cur] == SS_BQ_NONE)
        q->cur++;
    uint32_t best = q->head[q->cur];
    for (uint32_t s = ss_bq_sl(q, best)->next; s != SS_BQ_NONE; s = ss_bq_sl(q, s)->next)
        if (ss_bq_less(q, s, best))
            best = s;
    q->min = best;
    return best;
}

#endif
