/* queue_bench: the priority queues considered for the lif layer's predicted
 * spikes, timed on one operation sequence shaped like bench4's.
 *
 *   make queue-bench        (bench/queue_bench [SLOTS], default 3200)
 *
 * The mix is the one counted in a 10 s bench4 run (docs/engine.md): per
 * 100 operations about 80 lower a random neuron's key a little (an
 * excitatory input), 14 re-key the earliest entry a little later (a stale
 * lower bound left by inhibition reaching the top), 6 move the earliest far
 * into the future (a spike: refractory period plus the next interval).
 * Keys live in the warped time K = e^{t/tau} the lif layer uses.  Every
 * structure must return the same sequence of minima, which is checked.
 */
#define _POSIX_C_SOURCE 200809L
#include "bucketq.h"
#include "queue_impl.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { OPS = 600000 };
static uint32_t N = 3200;
#define TAU 20.0

typedef struct {
    int kind;   /* 0 lower random, 1 re-key min later, 2 move min far */
    uint32_t s; /* kind 0: the slot */
    double dt;  /* ms: how much earlier / later */
} op;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- pairing heap with decrease-key (increase: delete and reinsert) ---- */

typedef struct {
    double key;
    uint32_t child, sib, prev; /* prev: parent if first child, else left sibling */
    int in;
} pnode;

typedef struct {
    pnode *n;
    uint32_t root;
} pheap;

#define PNONE UINT32_MAX

static int pless(const pheap *h, uint32_t a, uint32_t b)
{
    return h->n[a].key < h->n[b].key || (h->n[a].key == h->n[b].key && a < b);
}

static uint32_t pmeld(pheap *h, uint32_t a, uint32_t b)
{
    if (a == PNONE)
        return b;
    if (b == PNONE)
        return a;
    if (pless(h, b, a)) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    pnode *pa = &h->n[a], *pb = &h->n[b];
    pb->sib = pa->child;
    if (pa->child != PNONE)
        h->n[pa->child].prev = b;
    pb->prev = a;
    pa->child = b;
    pa->sib = PNONE;
    pa->prev = PNONE;
    return a;
}

static uint32_t pmerge_pairs(pheap *h, uint32_t first)
{
    /* two-pass pairing, iterative */
    static uint32_t stack[1 << 20];
    uint32_t top = 0;
    while (first != PNONE) {
        uint32_t a = first, b = h->n[a].sib;
        first = b != PNONE ? h->n[b].sib : PNONE;
        h->n[a].sib = h->n[a].prev = PNONE;
        if (b != PNONE)
            h->n[b].sib = h->n[b].prev = PNONE;
        stack[top++] = pmeld(h, a, b);
    }
    uint32_t r = PNONE;
    while (top)
        r = pmeld(h, r, stack[--top]);
    return r;
}

static void pdetach(pheap *h, uint32_t s)
{
    pnode *x = &h->n[s];
    if (h->n[x->prev].child == s)
        h->n[x->prev].child = x->sib;
    else
        h->n[x->prev].sib = x->sib;
    if (x->sib != PNONE)
        h->n[x->sib].prev = x->prev;
    x->sib = x->prev = PNONE;
}

static void premove(pheap *h, uint32_t s)
{
    if (s == h->root) {
        h->root = pmerge_pairs(h, h->n[s].child);
    } else {
        pdetach(h, s);
        h->root = pmeld(h, h->root, pmerge_pairs(h, h->n[s].child));
    }
    h->n[s].child = PNONE;
    h->n[s].in = 0;
}

static void pset(pheap *h, uint32_t s, double k)
{
    pnode *x = &h->n[s];
    if (x->in && k <= x->key) { /* decrease: cut and meld */
        x->key = k;
        if (s != h->root) {
            pdetach(h, s);
            h->root = pmeld(h, h->root, s);
        }
        return;
    }
    if (x->in)
        premove(h, s);
    x->key = k;
    x->child = x->sib = x->prev = PNONE;
    x->in = 1;
    h->root = pmeld(h, h->root, s);
}

/* ---- the runs ---- */

typedef enum { Q_BINARY, Q_QUAD, Q_PAIRING, Q_BUCKET } qkind;
static const char *names[] = {"binary heap (indexed)", "4-ary heap (indexed)", "pairing heap",
                              "bucket queue (key bits)"};

/* The heaps are ss_queue with a compile-time arity: build both by including
 * the sift code twice is not possible, so the binary one is written out. */
typedef struct {
    ss_qentry *h;
    uint32_t *pos, n;
} bheap;

static void bsift_up(bheap *q, uint32_t i)
{
    ss_qentry e = q->h[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!ss_key_less(e.t, e.kid, q->h[p].t, q->h[p].kid))
            break;
        q->h[i] = q->h[p];
        q->pos[q->h[i].slot] = i;
        i = p;
    }
    q->h[i] = e;
    q->pos[e.slot] = i;
}

static void bsift_down(bheap *q, uint32_t i)
{
    ss_qentry e = q->h[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && ss_key_less(q->h[c + 1].t, q->h[c + 1].kid, q->h[c].t, q->h[c].kid))
            c++;
        if (!ss_key_less(q->h[c].t, q->h[c].kid, e.t, e.kid))
            break;
        q->h[i] = q->h[c];
        q->pos[q->h[i].slot] = i;
        i = c;
    }
    q->h[i] = e;
    q->pos[e.slot] = i;
}

static void bset(bheap *q, uint32_t s, double k)
{
    uint32_t i = q->pos[s];
    if (i == UINT32_MAX) {
        i = q->n++;
        q->h[i] = (ss_qentry){k, s, s};
        bsift_up(q, i);
        return;
    }
    int up = k < q->h[i].t;
    q->h[i].t = k;
    if (up)
        bsift_up(q, i);
    else
        bsift_down(q, i);
}

static double run(qkind kind, const op *ops, const double *k0, uint32_t *mins, double *secs)
{
    static double key[1 << 20];
    for (uint32_t i = 0; i < N; i++)
        key[i] = k0[i];
    bheap b = {malloc(N * sizeof(ss_qentry)), malloc(N * sizeof(uint32_t)), 0};
    ss_queue *q4 = ss_queue_alloc(N);
    pheap ph = {calloc(N, sizeof(pnode)), PNONE};
    unsigned m = 4; /* as layer_lif.c chooses it */
    while (m < 14 && (UINT32_C(8) << m) < N)
        m++;
    ss_bucketq *bq = ss_bucketq_alloc(N, m, NULL, 0);
    for (uint32_t i = 0; i < N; i++)
        b.pos[i] = UINT32_MAX;
    for (uint32_t s = 0; s < N; s++) {
        switch (kind) {
        case Q_BINARY:
            bset(&b, s, key[s]);
            break;
        case Q_QUAD:
            ss_queue_set_inline(q4, s, key[s], s);
            break;
        case Q_PAIRING:
            pset(&ph, s, key[s]);
            break;
        case Q_BUCKET:
            ss_bucketq_set(bq, s, key[s]);
            break;
        }
    }
    double sum = 0, t0 = now_s();
    for (size_t i = 0; i < OPS; i++) {
        uint32_t m;
        switch (kind) {
        case Q_BINARY:
            m = b.h[0].slot;
            break;
        case Q_QUAD:
            m = q4->heap[0].slot;
            break;
        case Q_PAIRING:
            m = ph.root;
            break;
        default:
            m = ss_bucketq_min(bq);
            break;
        }
        mins[i] = m;
        uint32_t s = ops[i].kind == 0 ? ops[i].s : m;
        double k =
            ops[i].kind == 0 ? key[s] * exp(-ops[i].dt / TAU) : key[m] * exp(ops[i].dt / TAU);
        if (ops[i].kind == 0 && k < key[m])
            k = key[m]; /* never before the earliest: inputs do not go back in time */
        key[s] = k;
        sum += k;
        switch (kind) {
        case Q_BINARY:
            bset(&b, s, k);
            break;
        case Q_QUAD:
            ss_queue_set_inline(q4, s, k, s);
            break;
        case Q_PAIRING:
            pset(&ph, s, k);
            break;
        case Q_BUCKET:
            if (ops[i].kind == 0)
                ss_bucketq_lower(bq, s, k);
            else
                ss_bucketq_set(bq, s, k);
            break;
        }
    }
    *secs = now_s() - t0;
    free(b.h);
    free(b.pos);
    ss_queue_free(q4);
    free(ph.n);
    ss_bucketq_free(bq);
    return sum;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        N = (uint32_t)strtoul(argv[1], NULL, 10);
    if (N < 1 || N > (1u << 20))
        return 2;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    op *ops = malloc(OPS * sizeof *ops);
    double *k0 = malloc(N * sizeof *k0);
    for (uint32_t i = 0; i < N; i++)
        k0[i] = exp(gsl_rng_uniform(rng) * 50 / TAU);
    for (size_t i = 0; i < OPS; i++) {
        double u = gsl_rng_uniform(rng);
        ops[i].kind = u < 0.80 ? 0 : (u < 0.94 ? 1 : 2);
        ops[i].s = (uint32_t)gsl_rng_uniform_int(rng, N);
        ops[i].dt = ops[i].kind == 0   ? gsl_ran_exponential(rng, 1.0)
                    : ops[i].kind == 1 ? gsl_ran_exponential(rng, 3.0)
                                       : 5 + 60 * gsl_rng_uniform(rng);
    }
    uint32_t *ref = malloc(OPS * sizeof *ref), *mins = malloc(OPS * sizeof *mins);
    printf("queue_bench: %u slots, %d operations (80%% lower, 14%% re-key min, 6%% min far)\n", N,
           OPS);
    double ref_sum = 0;
    for (int k = 0; k < 4; k++) {
        double best = INFINITY, secs, sum = 0;
        for (int rep = 0; rep < 5; rep++) {
            sum = run((qkind)k, ops, k0, k ? mins : ref, &secs);
            best = fmin(best, secs);
        }
        int same = 1;
        if (k == 0)
            ref_sum = sum;
        else
            for (size_t i = 0; i < OPS && same; i++)
                same = mins[i] == ref[i];
        printf("  %-26s %7.1f ns/op   %s\n", names[k], 1e9 * best / OPS,
               same && sum == ref_sum ? "same minima" : "DIFFERENT MINIMA");
    }
    free(ops);
    free(k0);
    free(ref);
    free(mins);
    gsl_rng_free(rng);
    return 0;
}
