/* The engine's lif layer: exact, and cheap per synaptic event.
 *
 * Between inputs V(t) = V_inf + (V0 - V_inf) e^{-(t - t0)/tau}.  Instead of
 * (V0, t0) each neuron stores a = (V - V_inf) e^{(t - tb)/tau}, which does not
 * change between inputs; tb is a base time shared by the layer.  Then, with
 * E(t) = e^{(t - tb)/tau}, computed once per arriving spike for all its
 * targets:
 *   - an input w at t is  a += w E(t)                 (no exp per synapse)
 *   - V(t) >= V_th  is    a >= (V_th - V_inf) E(t)    (no division)
 *   - a tonic neuron (V_inf > V_th) fires undisturbed when E(t) reaches
 *     K = a / (V_th - V_inf), so K orders the layer's predicted spikes exactly
 *     as their times do, and the layer's queue is keyed by K (no log per
 *     synapse).  Only the earliest one's time, tb + tau ln K, is computed.
 * tb moves forward (rescaling every a and K) before E grows large: on a
 * fixed grid, tb = k * REBASE_SPAN tau after each reset, by an event of the
 * layer at each grid point.  Spike times are computed from K and tb, so tb
 * must be the same function of time in every partition (docs/parallel.md):
 * a rebase at whatever event came first would round some spike times
 * differently depending on which neurons share the layer's queue.
 *
 * The queue is a bucket queue on the bits of K (bucketq.h).  Stale
 * predictions: an excitatory input moves K down and is applied at once (the
 * neuron moves to an earlier bucket, or stays).  An inhibitory one moves K up
 * and is not: the queue keeps the old K as a lower bound, and when that entry
 * is the earliest it is checked against the exact K and re-keyed if stale.
 * Inhibition thus costs no queue work.  Predictions far ahead are even
 * stored a little early on purpose (bound_key), so that excitatory inputs
 * that move them by less than that need no queue work either.
 * docs/engine.md has the measurements (eager updates, binary, 4-ary and
 * pairing heaps, the slack).
 *
 * The refractory period is folded into a: at a spike, a is set to the value
 * that gives V = V_reset at t + t_ref, and inputs before then are ignored (V is
 * clamped), so no event is needed at the end of the period.
 */
#include "bucketq.h"
#include "engine_impl.h"
#include "neuron_impl.h"

#include <math.h>
#include <stdlib.h>

typedef struct lif_n {
    ss_bq_slot q;   /* q.key: this neuron's key in the queue, INFINITY when absent */
    double a;       /* (V - V_inf) E(t), see above */
    double ref_end; /* inputs before this time are ignored */
} lif_n;

/* Per-neuron constants once ss_engine_set_bias() has been used. */
typedef struct lif_pn {
    double v_inf, d, c; /* d = V_th - V_inf, c = 1/d */
} lif_pn;

typedef struct lif_state {
    lif_n *n;
    lif_pn *pn;
    ss_bucketq *bq; /* keys K by neuron */
    double tb, tau, inv_tau, t_ref, v_reset, v_th, e_l;
    double slack, slack2, e_tref; /* e^{-SLACK_TAU}, e^{2 SLACK_TAU}, e^{-t_ref/tau} */
    double v_inf, d, c;
    int tonic;
    double pub_k;   /* the head last published to the top queue */
    double pub_t;   /* its time, tb + tau ln pub_k exactly (NAN when clamped to now) */
    uint32_t pub_j; /* SS_BQ_NONE: no neuron published (the rebase may be) */
    double span_ms, next_rebase_ms, e_span; /* the rebase grid; e^{-span/tau} */
    int pub_rebase;                         /* the head published is the next rebase */
} lif_state;

/* E(t) stays below e^REBASE_SPAN (+ t_ref/tau) between rebases: well inside
 * double range, and inside the bucket queue's 2^48 (e^33) for keys of spikes
 * due within a few tau. */
#define REBASE_SPAN 24.0
#ifndef SLACK_TAU
#define SLACK_TAU 0.3
#endif

static inline double lif_E(const lif_state *S, double t)
{
    return exp((t - S->tb) * S->inv_tau);
}

static inline double nv_inf(const lif_state *S, uint32_t j)
{
    return S->pn ? S->pn[j].v_inf : S->v_inf;
}
static inline double nd(const lif_state *S, uint32_t j)
{
    return S->pn ? S->pn[j].d : S->d;
}
static inline double nc(const lif_state *S, uint32_t j)
{
    return S->pn ? S->pn[j].c : S->c;
}

/* The layer's next event: its earliest neuron, or the next rebase when
 * that comes first (a rebase sorts before everything else at its time). */
static void publish(ss_part *P, ss_layer_rt *L, lif_state *S)
{
    uint32_t j = ss_bucketq_min(S->bq);
    double t = INFINITY, k = 0;
    if (j != SS_BQ_NONE) {
        k = S->n[j].q.key;
        t = S->tb + S->tau * log(k);
        S->pub_t = t;
        /* Rounding may put a crossing due now a hair in the past. */
        if (t < P->now) {
            t = P->now;
            S->pub_t = NAN;
        }
    }
    S->pub_k = k;
    S->pub_j = j;
    S->pub_rebase = !(t < S->next_rebase_ms);
    if (S->pub_rebase)
        ss__publish(P, L, S->next_rebase_ms, ss__rebase_kid(L));
    else
        ss__publish(P, L, t, ss_event_kid(SS_EV_SPIKE, L->offset + j));
}

static inline void republish(ss_part *P, ss_layer_rt *L, lif_state *S)
{
    uint32_t j = ss_bucketq_min(S->bq);
    if (j == SS_BQ_NONE ? S->pub_j != SS_BQ_NONE : (j != S->pub_j || S->n[j].q.key != S->pub_k))
        publish(P, L, S);
}

static void set_key(lif_state *S, uint32_t j, double k)
{
    if (isinf(k)) {
        ss_bucketq_remove(S->bq, j);
        S->n[j].q.key = INFINITY;
    } else {
        ss_bucketq_set(S->bq, j, k); /* it compares with the old key: not before */
    }
}

/* The exact key of neuron j from its a: finite only for a tonic neuron. */
static inline double exact_key(const lif_state *S, uint32_t j)
{
    return nd(S, j) < 0 ? S->n[j].a * nc(S, j) : INFINITY;
}

/* The key to store for neuron j at a time where E = e_now: a prediction more
 * than 2 SLACK_TAU tau ahead is stored SLACK_TAU tau early.  Still a lower
 * bound (the entry surfaces early and is re-keyed, now exactly), but the
 * excitatory inputs that move the spike earlier by less than the slack need
 * no queue work at all. */
static inline double bound_key(const lif_state *S, uint32_t j, double e_now)
{
    double k = exact_key(S, j);
    return k > e_now * S->slack2 ? k * S->slack : k;
}

/* The rebase event: tb moves one span forward, every a and K shrink by the
 * same factor (the same operations in every partition). */
static void rebase(ss_part *P, ss_layer_rt *L, lif_state *S)
{
    double s = S->e_span;
    S->tb = S->next_rebase_ms;
    S->next_rebase_ms = S->tb + S->span_ms;
    ss_bucketq_clear(S->bq);
    for (uint32_t j = 0; j < L->size; j++) {
        lif_n *nj = &S->n[j];
        nj->a *= s;
        if (isinf(nj->q.key))
            continue;
        /* Scaling a and K separately may round them apart: keep K a lower
         * bound of the exact key, which is all the queue relies on. */
        ss_bucketq_set(S->bq, j, fmin(nj->q.key * s, exact_key(S, j)));
    }
    publish(P, L, S);
}

static void fire(ss_part *P, ss_layer_rt *L, lif_state *S, uint32_t j, double t)
{
    lif_n *nj = &S->n[j];
    nj->ref_end = t + S->t_ref;
    double e_ref = lif_E(S, nj->ref_end);
    nj->a = (S->v_reset - nv_inf(S, j)) * e_ref;
    set_key(S, j, bound_key(S, j, e_ref * S->e_tref));
    ss__emit(P, L, j, t);
}

static void lif_deliver(ss_part *P, ss_layer_rt *L, double t, const uint32_t *tgt, const float *w,
                        size_t n)
{
    lif_state *S = L->state;
    const double e = lif_E(S, t);
    /* Targets are layer indices; this partition holds [first, first + size). */
    lif_n *const neu = S->n;
    const uint32_t first = L->first;
    if (!S->pn) {
        /* The hot loop of a benchmark network: one multiply-add and two
         * compares per synapse, and a bucket move for some. */
        const double de = S->d * e, c = S->c;
        if (S->tonic) {
            for (size_t k = 0; k < n; k++) {
                uint32_t j = tgt[k] - first;
                lif_n *nj = &neu[j];
                if (t < nj->ref_end)
                    continue;
                double a = nj->a + (double)w[k] * e;
                nj->a = a;
                if (a >= de) {
                    fire(P, L, S, j, t);
                    continue;
                }
                double key = a * c;
                if (key < nj->q.key)
                    ss_bucketq_lower(S->bq, j, key);
            }
        } else {
            for (size_t k = 0; k < n; k++) {
                uint32_t j = tgt[k] - first;
                lif_n *nj = &neu[j];
                if (t < nj->ref_end)
                    continue;
                double a = nj->a + (double)w[k] * e;
                nj->a = a;
                if (a >= de)
                    fire(P, L, S, j, t);
            }
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            uint32_t j = tgt[k] - first;
            lif_n *nj = &neu[j];
            if (t < nj->ref_end)
                continue;
            const lif_pn *p = &S->pn[j];
            double a = nj->a + (double)w[k] * e;
            nj->a = a;
            if (a >= p->d * e) {
                fire(P, L, S, j, t);
                continue;
            }
            if (p->d < 0) {
                double key = a * p->c;
                if (key < nj->q.key)
                    ss_bucketq_lower(S->bq, j, key);
            }
        }
    }
    republish(P, L, S);
}

static void lif_due(ss_part *P, ss_layer_rt *L, double t)
{
    lif_state *S = L->state;
    if (S->pub_rebase) {
        rebase(P, L, S);
        return;
    }
    /* E(t) is the key just published, unless t was clamped: no exp. */
    const double e_now = t == S->pub_t ? S->pub_k : lif_E(S, t);
    /* The earliest entry is due.  It is a spike when the neuron is at
     * threshold or its key is exact.  Otherwise it is a lower bound (left by
     * inhibition, or stored early on purpose, see bound_key): re-key it, and
     * go on with every entry that is due too before publishing the layer's
     * next event once; re-keying changes no state anyone can see. */
    uint32_t j = ss_bucketq_min(S->bq);
    for (int first = 1;; first = 0) {
        lif_n *nj = &S->n[j];
        if (!first && nj->q.key > e_now)
            break; /* not due yet */
        if (t >= nj->ref_end && nj->a >= nd(S, j) * e_now) {
            fire(P, L, S, j, t); /* at or above threshold */
            break;
        }
        double exact = exact_key(S, j);
        if (!(nj->q.key < exact)) {
            fire(P, L, S, j, t); /* the predicted crossing */
            break;
        }
        set_key(S, j, bound_key(S, j, e_now));
        j = ss_bucketq_min(S->bq);
        if (j == SS_BQ_NONE)
            break;
    }
    publish(P, L, S);
}

static void lif_force(ss_part *P, ss_layer_rt *L, uint32_t j, double t)
{
    lif_state *S = L->state;
    fire(P, L, S, j, t);
    republish(P, L, S);
}

static double lif_potential(ss_part *P, ss_layer_rt *L, uint32_t j, double t)
{
    (void)P;
    const lif_state *S = L->state;
    const lif_n *nj = &S->n[j];
    if (t < nj->ref_end)
        return S->v_reset;
    return nv_inf(S, j) + nj->a * exp(-(t - S->tb) * S->inv_tau);
}

static void pn_fill(lif_state *S, uint32_t j, double v_inf)
{
    S->pn[j].v_inf = v_inf;
    S->pn[j].d = S->v_th - v_inf;
    S->pn[j].c = 1.0 / S->pn[j].d;
}

static int lif_set_bias(ss_part *P, ss_layer_rt *L, uint32_t j, double t, double bias_mv,
                        ss_error *err)
{
    lif_state *S = L->state;
    if (!S->pn) {
        S->pn = malloc((size_t)L->size * sizeof *S->pn);
        if (!S->pn)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < L->size; i++)
            pn_fill(S, i, S->v_inf);
    }
    lif_n *nj = &S->n[j];
    double v_inf = S->e_l + bias_mv;
    if (t < nj->ref_end) {
        pn_fill(S, j, v_inf);
        nj->a = (S->v_reset - v_inf) * lif_E(S, nj->ref_end);
    } else {
        double e = lif_E(S, t);
        double v = nv_inf(S, j) + nj->a / e; /* V is continuous across the change */
        pn_fill(S, j, v_inf);
        nj->a = (v - v_inf) * e;
    }
    set_key(S, j, exact_key(S, j));
    republish(P, L, S);
    return SS_OK;
}

static void lif_reset(ss_part *P, ss_layer_rt *L)
{
    lif_state *S = L->state;
    const ss_neuron_params *p = &L->layer->params;
    free(S->pn);
    S->pn = NULL;
    S->tb = 0;
    S->next_rebase_ms = S->span_ms;
    ss_bucketq_clear(S->bq);
    S->pub_j = SS_BQ_NONE;
    for (uint32_t j = 0; j < L->size; j++) {
        double v0 = p->v_init == SS_V_INIT_REST    ? p->e_l_mv
                    : p->v_init == SS_V_INIT_RESET ? p->v_reset_mv
                                                   : ss__v_init_uniform(P, L, j);
        lif_n *nj = &S->n[j];
        nj->a = v0 - S->v_inf; /* E(0) = 1 */
        nj->ref_end = -INFINITY;
        /* A neuron starting at or above threshold fires at once: K = E(0). */
        set_key(S, j, v0 >= S->v_th ? 1.0 : exact_key(S, j));
    }
    publish(P, L, S);
}

static void lif_destroy(ss_layer_rt *L)
{
    lif_state *S = L->state;
    if (!S)
        return;
    free(S->n);
    free(S->pn);
    ss_bucketq_free(S->bq);
    free(S);
    L->state = NULL;
}

static int lif_init(ss_part *P, ss_layer_rt *L, ss_error *err)
{
    (void)P;
    const ss_neuron_params *p = &L->layer->params;
    lif_state *S = calloc(1, sizeof *S);
    if (!S)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    L->state = S;
    /* 32-byte records on 64-byte lines: one line per neuron touched. */
    size_t bytes = ((size_t)L->size * sizeof *S->n + 63) / 64 * 64;
    S->n = aligned_alloc(64, bytes);
    /* 2^m buckets per factor 2 of K (tau ln 2 of time): about 2 keys in
     * each of the earliest buckets when predictions spread over a few tau. */
    unsigned m = 4;
    while (m < 14 && (UINT32_C(8) << m) < L->size)
        m++;
    S->bq = ss_bucketq_alloc(L->size, m, S->n, sizeof *S->n);
    if (!S->n || !S->bq) {
        lif_destroy(L);
        return ss_error_set(err, SS_ENOMEM, "layer '%s': out of memory", L->layer->name);
    }
    S->tau = p->tau_m_ms;
    S->inv_tau = 1.0 / p->tau_m_ms;
    S->t_ref = p->t_ref_ms;
    S->v_reset = p->v_reset_mv;
    S->v_th = p->v_th_mv;
    S->e_l = p->e_l_mv;
    S->v_inf = p->e_l_mv + p->bias_mv;
    S->d = S->v_th - S->v_inf;
    S->c = 1.0 / S->d;
    S->tonic = S->d < 0;
    S->pub_j = SS_BQ_NONE;
    S->slack = exp(-SLACK_TAU);
    S->slack2 = exp(2 * SLACK_TAU);
    S->e_tref = exp(-S->t_ref * S->inv_tau);
    S->span_ms = REBASE_SPAN * S->tau;
    S->e_span = exp(-REBASE_SPAN);
    return SS_OK;
}

const ss_layer_ops ss__lif_ops = {lif_init, lif_destroy, lif_reset,     lif_deliver,
                                  lif_due,  lif_force,   lif_potential, lif_set_bias};
