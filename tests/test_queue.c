/* Event queues: ordering, ties, invalidation, and random operations checked
 * against a sorted reference. */
#include "testutil.h"

#include <spiksim/queue.h>

#include "bucketq.h" /* internal: the lif layer's queue */

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

static void test_ordering(void)
{
    ss_queue *q = ss_queue_alloc(100);
    CU_ASSERT_FATAL(q != NULL);
    for (size_t s = 0; s < 100; s++)
        ss_queue_set(q, s, (double)((s * 37) % 100), ss_event_kid(SS_EV_SPIKE, s));
    CU_ASSERT_EQUAL(ss_queue_size(q), 100);
    double last = -1;
    size_t slot, n = 0;
    double t;
    while (ss_queue_pop(q, &slot, &t, NULL)) {
        CU_ASSERT(t > last);
        CU_ASSERT_EQUAL((slot * 37) % 100, (size_t)t);
        last = t;
        n++;
    }
    CU_ASSERT_EQUAL(n, 100);
    ss_queue_free(q);
}

/* Equal times order by kind, then id, whatever the insertion order. */
static void test_ties(void)
{
    const uint64_t keys[6] = {
        ss_event_kid(SS_EV_REFRACTORY_END, 9), ss_event_kid(SS_EV_SPIKE, 3),
        ss_event_kid(SS_EV_SPIKE, 4),          ss_event_kid(SS_EV_SOURCE, 0),
        ss_event_kid(SS_EV_DELIVERY, 1),       ss_event_kid(SS_EV_EXTERNAL, 2)};
    const size_t orders[3][6] = {{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {3, 0, 5, 1, 4, 2}};
    for (int o = 0; o < 3; o++) {
        ss_queue *q = ss_queue_alloc(6);
        for (int i = 0; i < 6; i++) {
            size_t k = orders[o][i];
            ss_queue_set(q, k, 5.0, keys[k]);
        }
        for (size_t k = 0; k < 6; k++) {
            size_t slot;
            uint64_t kid;
            CU_ASSERT_FATAL(ss_queue_pop(q, &slot, NULL, &kid));
            CU_ASSERT_EQUAL(slot, k);
            CU_ASSERT_EQUAL(kid, keys[k]);
        }
        ss_queue_free(q);
    }
    CU_ASSERT_EQUAL(ss_event_kind_of(keys[4]), SS_EV_DELIVERY);
    CU_ASSERT_EQUAL(ss_event_id_of(keys[4]), 1);
}

/* A slot holds one key: moving it earlier or later, or removing it,
 * invalidates the old one. */
static void test_invalidation(void)
{
    ss_queue *q = ss_queue_alloc(4);
    ss_queue_set(q, 0, 10, 0);
    ss_queue_set(q, 1, 20, 1);
    ss_queue_set(q, 2, 30, 2);
    ss_queue_set(q, 2, 5, 2);  /* earlier */
    ss_queue_set(q, 0, 40, 0); /* later */
    ss_queue_remove(q, 1);
    ss_queue_remove(q, 3); /* absent: no effect */
    CU_ASSERT_FALSE(ss_queue_contains(q, 1));
    CU_ASSERT_TRUE(ss_queue_contains(q, 0));
    CU_ASSERT_EQUAL(ss_queue_size(q), 2);
    CU_ASSERT_DOUBLE_EQUAL(ss_queue_key(q, 0, NULL), 40, 0);
    size_t slot;
    double t;
    CU_ASSERT(ss_queue_pop(q, &slot, &t, NULL));
    CU_ASSERT_EQUAL(slot, 2);
    CU_ASSERT_DOUBLE_EQUAL(t, 5, 0);
    CU_ASSERT(ss_queue_pop(q, &slot, &t, NULL));
    CU_ASSERT_EQUAL(slot, 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 40, 0);
    CU_ASSERT_FALSE(ss_queue_pop(q, &slot, &t, NULL));
    ss_queue_set(q, 3, 1, 3);
    ss_queue_clear(q);
    CU_ASSERT_EQUAL(ss_queue_size(q), 0);
    CU_ASSERT_FALSE(ss_queue_contains(q, 3));
    ss_queue_free(q);
}

/* Random sets, removes and pops on 300 slots, checked after every operation
 * against a plain array searched in full. */
static void test_random_against_reference(void)
{
    enum { N = 300, OPS = 20000 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    ss_queue *q = ss_queue_alloc(N);
    double ref_t[N];
    uint64_t ref_k[N];
    int present[N] = {0};
    for (int op = 0; op < OPS; op++) {
        size_t s = gsl_rng_uniform_int(rng, N);
        double u = gsl_rng_uniform(rng);
        if (u < 0.6) {
            /* few distinct times, so ties on time are common */
            double t = (double)gsl_rng_uniform_int(rng, 50);
            uint64_t kid = ss_event_kid((ss_event_kind)gsl_rng_uniform_int(rng, 5), s);
            ss_queue_set(q, s, t, kid);
            ref_t[s] = t, ref_k[s] = kid, present[s] = 1;
        } else if (u < 0.75) {
            ss_queue_remove(q, s);
            present[s] = 0;
        } else {
            size_t best = N;
            for (size_t i = 0; i < N; i++)
                if (present[i] && (best == N || ref_t[i] < ref_t[best] ||
                                   (ref_t[i] == ref_t[best] && ref_k[i] < ref_k[best])))
                    best = i;
            size_t slot;
            double t;
            uint64_t kid;
            int got = ss_queue_pop(q, &slot, &t, &kid);
            CU_ASSERT_EQUAL(got, best != N);
            if (got && best != N) {
                CU_ASSERT_EQUAL(slot, best);
                CU_ASSERT_EQUAL(t, ref_t[best]);
                CU_ASSERT_EQUAL(kid, ref_k[best]);
                present[best] = 0;
            }
        }
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            n += (size_t)present[i];
        CU_ASSERT_EQUAL(ss_queue_size(q), n);
    }
    ss_queue_free(q);
    gsl_rng_free(rng);
}

static int ev_cmp(const void *pa, const void *pb)
{
    const ss_event *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->kid != b->kid)
        return a->kid < b->kid ? -1 : 1;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return (a->u > b->u) - (a->u < b->u);
}

/* The plain heap comes out in the total (t, kid, x, u) order: push random
 * events with many ties, interleave pops, compare with a sorted copy. */
static void test_event_heap(void)
{
    enum { N = 5000 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    ss_event_heap *h = ss_event_heap_alloc();
    ss_event *all = malloc(N * sizeof *all);
    for (int i = 0; i < N; i++) {
        all[i].t = (double)gsl_rng_uniform_int(rng, 20);
        all[i].kid = ss_event_kid(SS_EV_EXTERNAL, gsl_rng_uniform_int(rng, 3));
        all[i].x = (double)gsl_rng_uniform_int(rng, 3);
        all[i].u = gsl_rng_uniform_int(rng, 1000);
        CU_ASSERT_EQUAL(ss_event_heap_push(h, &all[i]), 0);
    }
    CU_ASSERT_EQUAL(ss_event_heap_size(h), N);
    qsort(all, N, sizeof *all, ev_cmp);
    for (int i = 0; i < N; i++) {
        ss_event e;
        CU_ASSERT_FATAL(ss_event_heap_pop(h, &e));
        CU_ASSERT_EQUAL(ev_cmp(&e, &all[i]), 0);
    }
    CU_ASSERT_PTR_NULL(ss_event_heap_top(h));
    CU_ASSERT_FALSE(ss_event_heap_pop(h, NULL));
    free(all);
    ss_event_heap_free(h);
    gsl_rng_free(rng);
}

/* The bucket queue of the lif layers: random inserts, lowers, raises,
 * removes and minimum queries over keys spanning many binades (ties
 * included, and keys below 1 and beyond the last binade), checked against a
 * full scan; records embedded in a larger struct, as the lif layer does. */
typedef struct {
    ss_bq_slot q;
    double payload[2];
} rec;

static void test_bucket_queue(void)
{
    enum { N = 500, OPS = 30000 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9);
    rec *r = calloc(N, sizeof *r);
    ss_bucketq *q = ss_bucketq_alloc(N, 5, r, sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    double key[N];
    int present[N] = {0};
    for (int op = 0; op < OPS; op++) {
        uint32_t s = (uint32_t)gsl_rng_uniform_int(rng, N);
        double u = gsl_rng_uniform(rng);
        if (u < 0.5) {
            /* keys from 0.5 to 2^60: below 1, many binades, past the last */
            double k = op % 7 == 0 ? (double)(1 + gsl_rng_uniform_int(rng, 4))
                                   : exp2(-1 + 61 * gsl_rng_uniform(rng));
            if (present[s] && k < key[s] && gsl_rng_uniform(rng) < 0.5)
                ss_bucketq_lower(q, s, k);
            else
                ss_bucketq_set(q, s, k);
            key[s] = k;
            present[s] = 1;
        } else if (u < 0.6) {
            ss_bucketq_remove(q, s);
            present[s] = 0;
        } else if (u < 0.62) {
            ss_bucketq_clear(q);
            for (int i = 0; i < N; i++)
                present[i] = 0;
        } else {
            uint32_t best = SS_BQ_NONE;
            for (uint32_t i = 0; i < N; i++)
                if (present[i] &&
                    (best == SS_BQ_NONE || key[i] < key[best] || (key[i] == key[best] && i < best)))
                    best = i;
            CU_ASSERT_EQUAL(ss_bucketq_min(q), best);
            if (best != SS_BQ_NONE && gsl_rng_uniform(rng) < 0.5) {
                ss_bucketq_remove(q, best); /* as a spike leaves the queue */
                present[best] = 0;
            }
        }
        for (uint32_t i = 0; i < N; i += 97)
            CU_ASSERT_EQUAL(ss_bucketq_contains(q, i), present[i]);
    }
    ss_bucketq_free(q);
    free(r);
    gsl_rng_free(rng);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"ordering", test_ordering},
        {"ties break on kind then id, not insertion order", test_ties},
        {"changed and removed keys are invalidated", test_invalidation},
        {"random operations match a sorted reference", test_random_against_reference},
        {"event heap: total order on random events", test_event_heap},
        {"bucket queue: random operations match a full scan", test_bucket_queue},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("queue", cases);
    return ss_test_main();
}
