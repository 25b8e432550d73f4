/* The engine's lif_exp layer.
 *
 * Each neuron keeps (V, I_e, I_i) as of its last update and is advanced
 * exactly (neuron_lif_exp.c) when an input arrives.  Its one heap entry is
 * either the end of its refractory period (V held at V_reset while the
 * currents go on decaying and summing input; the crossing search waits for
 * this event instead of running on every input during the period) or its
 * predicted threshold crossing.  As in the lif layer, a prediction that
 * moves later is left in the heap as a lower bound and corrected when it
 * reaches the top.
 */
#include "engine_impl.h"
#include "neuron_impl.h"

#include <math.h>
#include <stdlib.h>

typedef struct lx_n {
    double v, ie, ii; /* at t_last */
    double t_last;
    double ref_end;
    double t_pred; /* exact next crossing (INFINITY: none) */
} lx_n;

typedef struct lx_state {
    lx_n *n;
    double *v_inf;  /* per neuron after ss_engine_set_bias(), else NULL */
    ss_queue *heap; /* time keys, kid = (kind, global id) */
    ss_lif_exp_k k;
    gsl_root_fsolver *solver;
    double v_reset, t_ref, e_l;
} lx_state;

static inline const ss_lif_exp_k *kof(const lx_state *S, uint32_t j, ss_lif_exp_k *tmp)
{
    if (!S->v_inf)
        return &S->k;
    *tmp = S->k;
    tmp->v_inf = S->v_inf[j];
    return tmp;
}

/* Brings neuron state forward to t (t >= t_last). */
static void advance(const lx_state *S, const ss_lif_exp_k *k, lx_n *x, double t)
{
    if (t <= x->t_last)
        return;
    if (x->t_last < x->ref_end) {
        double until = t < x->ref_end ? t : x->ref_end;
        double dt = until - x->t_last;
        x->ie *= exp(-dt * k->ch[0].inv_tau);
        x->ii *= exp(-dt * k->ch[1].inv_tau);
        x->v = S->v_reset;
        x->t_last = until;
        if (t <= x->ref_end)
            return;
    }
    double dt = t - x->t_last, de, di;
    ss_lif_exp_state s = {x->v, x->ie, x->ii};
    x->v = ss_lif_exp_k_step(k, &s, dt, &de, &di);
    x->ie *= de;
    x->ii *= di;
    x->t_last = t;
}

static void publish(ss_engine *eng, ss_layer_rt *L, lx_state *S)
{
    if (S->heap->n == 0)
        ss__withdraw(eng, L);
    else
        ss__publish(eng, L, S->heap->heap[0].t, S->heap->heap[0].kid);
}

static inline uint64_t spike_kid(const ss_layer_rt *L, uint32_t j)
{
    return ss_event_kid(SS_EV_SPIKE, L->offset + j);
}

/* After a state change at x->t_last outside the refractory period: the exact
 * next crossing, into the heap now if it moved earlier (else lazily). */
static void predict(ss_layer_rt *L, lx_state *S, uint32_t j, int eager)
{
    lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    ss_lif_exp_state s = {x->v, x->ie, x->ii};
    x->t_pred = x->t_last + ss_lif_exp_k_crossing(kof(S, j, &tmp), &s, S->solver);
    int present = ss_queue_contains(S->heap, j);
    if (eager || !present) {
        if (isinf(x->t_pred))
            ss_queue_remove_inline(S->heap, j);
        else
            ss_queue_set_inline(S->heap, j, x->t_pred, spike_kid(L, j));
    } else if (x->t_pred < ss_queue_key(S->heap, j, NULL)) {
        ss_queue_set_inline(S->heap, j, x->t_pred, spike_kid(L, j));
    }
}

static void fire(ss_engine *eng, ss_layer_rt *L, lx_state *S, uint32_t j, double t)
{
    lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    advance(S, kof(S, j, &tmp), x, t);
    x->v = S->v_reset;
    x->ref_end = t + S->t_ref;
    x->t_pred = INFINITY;
    if (S->t_ref > 0)
        ss_queue_set_inline(S->heap, j, x->ref_end,
                            ss_event_kid(SS_EV_REFRACTORY_END, L->offset + j));
    else
        predict(L, S, j, 1);
    ss__emit(eng, L, j, t);
}

static void lx_deliver(ss_engine *eng, ss_layer_rt *L, double t, const uint32_t *tgt,
                       const float *w, size_t n)
{
    lx_state *S = L->state;
    for (size_t k = 0; k < n; k++) {
        uint32_t j = tgt[k];
        lx_n *x = &S->n[j];
        ss_lif_exp_k tmp;
        advance(S, kof(S, j, &tmp), x, t);
        if (w[k] >= 0)
            x->ie += w[k];
        else
            x->ii += w[k];
        if (t < x->ref_end)
            continue; /* the refractory-end event will predict */
        predict(L, S, j, 0);
    }
    publish(eng, L, S);
}

static void lx_due(ss_engine *eng, ss_layer_rt *L, double t)
{
    lx_state *S = L->state;
    uint32_t j = S->heap->heap[0].slot;
    ss_event_kind kind = ss_event_kind_of(S->heap->heap[0].kid);
    lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    if (kind == SS_EV_REFRACTORY_END) {
        advance(S, kof(S, j, &tmp), x, t);
        predict(L, S, j, 1);
    } else if (S->heap->heap[0].t < x->t_pred) {
        /* stale lower bound */
        if (isinf(x->t_pred))
            ss_queue_remove_inline(S->heap, j);
        else
            ss_queue_set_inline(S->heap, j, x->t_pred, spike_kid(L, j));
    } else {
        fire(eng, L, S, j, t);
    }
    publish(eng, L, S);
}

static void lx_force(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t)
{
    lx_state *S = L->state;
    fire(eng, L, S, j, t);
    publish(eng, L, S);
}

static double lx_potential(const ss_engine *eng, const ss_layer_rt *L, uint32_t j, double t)
{
    (void)eng;
    const lx_state *S = L->state;
    lx_n x = S->n[j];
    ss_lif_exp_k tmp;
    advance(S, kof(S, j, &tmp), &x, t);
    return x.v;
}

static int lx_set_bias(ss_engine *eng, ss_layer_rt *L, uint32_t j, double t, double bias_mv,
                       ss_error *err)
{
    lx_state *S = L->state;
    if (!S->v_inf) {
        S->v_inf = malloc((size_t)L->size * sizeof *S->v_inf);
        if (!S->v_inf)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < L->size; i++)
            S->v_inf[i] = S->k.v_inf;
    }
    lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    advance(S, kof(S, j, &tmp), x, t);
    S->v_inf[j] = S->e_l + bias_mv;
    if (t >= x->ref_end)
        predict(L, S, j, 1);
    publish(eng, L, S);
    return SS_OK;
}

static void lx_reset(ss_engine *eng, ss_layer_rt *L)
{
    lx_state *S = L->state;
    const ss_neuron_params *p = &L->layer->params;
    free(S->v_inf);
    S->v_inf = NULL;
    ss_queue_clear(S->heap);
    for (uint32_t j = 0; j < L->size; j++) {
        lx_n *x = &S->n[j];
        x->v = p->v_init == SS_V_INIT_REST ? p->e_l_mv
               : p->v_init == SS_V_INIT_RESET
                   ? p->v_reset_mv
                   : p->v_reset_mv + gsl_rng_uniform(eng->rng) * (p->v_th_mv - p->v_reset_mv);
        x->ie = x->ii = 0;
        x->t_last = 0;
        x->ref_end = -INFINITY;
        predict(L, S, j, 1);
    }
    publish(eng, L, S);
}

static void lx_destroy(ss_layer_rt *L)
{
    lx_state *S = L->state;
    if (!S)
        return;
    free(S->n);
    free(S->v_inf);
    ss_queue_free(S->heap);
    if (S->solver)
        gsl_root_fsolver_free(S->solver);
    free(S);
    L->state = NULL;
}

static int lx_init(ss_engine *eng, ss_layer_rt *L, ss_error *err)
{
    (void)eng;
    const ss_neuron_params *p = &L->layer->params;
    lx_state *S = calloc(1, sizeof *S);
    if (!S)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    L->state = S;
    S->n = malloc((size_t)L->size * sizeof *S->n);
    S->heap = ss_queue_alloc(L->size);
    S->solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!S->n || !S->heap || !S->solver) {
        lx_destroy(L);
        return ss_error_set(err, SS_ENOMEM, "layer '%s': out of memory", L->layer->name);
    }
    ss_lif_exp_k_init(&S->k, p);
    S->v_reset = p->v_reset_mv;
    S->t_ref = p->t_ref_ms;
    S->e_l = p->e_l_mv;
    return SS_OK;
}

const ss_layer_ops ss__lif_exp_ops = {lx_init, lx_destroy, lx_reset,     lx_deliver,
                                      lx_due,  lx_force,   lx_potential, lx_set_bias};
