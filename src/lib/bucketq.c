/* Bucket queue allocation (see bucketq.h). */
#include "bucketq.h"

#include <stdlib.h>

ss_bucketq *ss_bucketq_alloc(uint32_t n_slots, unsigned m, void *records, size_t stride)
{
    ss_bucketq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    size_t n = n_slots ? n_slots : 1;
    q->n_slots = n_slots;
    q->shift = 52 - m;
    q->n_buckets = (SS_BQ_BINADES << m) + 1;
    q->head = malloc(q->n_buckets * sizeof *q->head);
    if (records) {
        q->base = records;
        q->stride = stride;
    } else {
        q->base = q->own = malloc(n * sizeof(ss_bq_slot));
        q->stride = sizeof(ss_bq_slot);
    }
    if (!q->head || !q->base) {
        ss_bucketq_free(q);
        return NULL;
    }
    for (uint32_t s = 0; s < n_slots; s++)
        ss_bq_sl(q, s)->prev = SS_BQ_GONE;
    for (uint32_t b = 0; b < q->n_buckets; b++)
        q->head[b] = SS_BQ_NONE;
    q->cur = q->n_buckets;
    q->hi = SS_BQ_NONE;
    q->min = SS_BQ_NONE;
    return q;
}

void ss_bucketq_free(ss_bucketq *q)
{
    if (!q)
        return;
    free(q->head);
    free(q->own);
    free(q);
}

void ss_bucketq_clear(ss_bucketq *q)
{
    for (uint32_t s = 0; s < q->n_slots; s++)
        ss_bq_sl(q, s)->prev = SS_BQ_GONE;
    /* Only [cur, hi] can hold entries: a reset between samples of a large
     * layer does not sweep every bucket. */
    if (q->hi != SS_BQ_NONE)
        for (uint32_t b = q->cur; b <= q->hi && b < q->n_buckets; b++)
            q->head[b] = SS_BQ_NONE;
    q->n = 0;
    q->cur = q->n_buckets;
    q->hi = SS_BQ_NONE;
    q->min = SS_BQ_NONE;
}
