/* The engine's lif_exp layer.
 *
 * Each neuron's state is exact at all times.  When both synaptic time
 * constants are well apart from tau_m (|kappa| tau_m >= 0.1, the usual case)
 * it is stored time-invariantly, as in the lif layer: with base time tb and
 * E_x(t) = e^{(t - tb)/tau_x},
 *     I_e(t) = C_e / E_e(t),  I_i(t) = C_i / E_i(t),
 *     V(t) = V_inf + A / E_m(t) + I_e(t) g_e + I_i(t) g_i,  g = 1/(kappa tau_m),
 * so an input costs two multiply-adds (C += w E_s, A -= w g E_m) with the
 * three factors computed once per arriving spike, not three exponentials per
 * synapse.  Otherwise each neuron keeps (V, I_e, I_i) as of its last update
 * and is advanced exactly (neuron_lif_exp.c).
 *
 * Its one heap entry is either the end of its refractory period (V held at
 * V_reset while the currents go on decaying and summing input) or a time
 * its next crossing cannot come before: a cheap lower bound after an input
 * (see predict), the exact crossing, searched for (bracketing plus Brent)
 * only when that bound comes up.  Most inputs thus cost no search at all.
 *
 * When tau_m / tau_s are integers (CUBA: 4 and 2) the scaled layer takes the
 * polynomial fast path below (poly_*): V is a polynomial in e^{-(t-tb)/tau_m},
 * the bound after an input is a linear majorant's root (a few flops) and the
 * crossing search needs no exponential (docs/engine.md has the figures).
 */
#include "engine_impl.h"
#include "neuron_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

typedef struct lx_n {
    double v, ie, ii; /* at t_last; scaled: A (NAN while refractory), C_e, C_i */
    double t_last;    /* unused when scaled */
    double ref_end;
    double t_pred; /* exact next crossing (INFINITY: none) */
    double ku;     /* poly: u = 1/E_m at the queued key (0: none), see poly_predict */
} lx_n;

typedef struct lx_state {
    lx_n *n;
    double *v_inf;  /* per neuron after ss_engine_set_bias(), else NULL */
    ss_queue *heap; /* time keys, kid = (kind, global id) */
    ss_lif_exp_k k;
    gsl_root_fsolver *solver;
    double v_reset, t_ref, e_l;
    int scaled;
    double tb, g_e, g_i, inv_tau_min;
    double span_ms, span_m, span_e, span_i; /* rebase grid and its factors */
    double fac_t;                           /* time of the cached factors (NAN: none) */
    double em, ee, ei;                      /* E_m, E_e, E_i at fac_t */
    double inv_em, inv_ee, inv_ei;
    int poly;          /* tau_m / tau_s integers: V is a polynomial in u = 1/E_m */
    int n_e, n_i;      /* those ratios */
    double inv_span_m; /* 1 / span_m */
} lx_state;

/* E(t) = e^{(t - tb)/tau} stays below e^SCALED_SPAN (in the shortest tau). */
#define SCALED_SPAN 24.0

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

/* ---- the time-invariant (scaled) representation ---- */

/* u^n for a small n >= 0 */
static inline double ipow(double u, int n)
{
    switch (n) { /* the usual ratios, without the loop's branches */
    case 0:
        return 1;
    case 1:
        return u;
    case 2:
        return u * u;
    case 3:
        return u * u * u;
    case 4: {
        double q = u * u;
        return q * q;
    }
    }
    double r = 1;
    for (; n; n >>= 1, u *= u)
        if (n & 1)
            r *= u;
    return r;
}

static void factors(lx_state *S, double t)
{
    if (t == S->fac_t)
        return;
    S->fac_t = t;
    double d = t - S->tb;
    S->em = exp(d * S->k.inv_tau_m);
    /* poly: E_s = E_m^n exactly as the polynomial has it, and two exp fewer */
    S->ee = S->poly ? ipow(S->em, S->n_e) : exp(d * S->k.ch[0].inv_tau);
    S->ei = S->poly ? ipow(S->em, S->n_i) : exp(d * S->k.ch[1].inv_tau);
    S->inv_em = 1 / S->em;
    S->inv_ee = 1 / S->ee;
    S->inv_ei = 1 / S->ei;
}

/* Moves tb forward (rescaling every neuron) before the factors grow large:
 * on a fixed grid of span_ms after each reset, one span at a time, before
 * anything at or past a grid point uses the state.  Every partition then
 * applies the same operations to each neuron (docs/parallel.md); crossing
 * times are absolute, so it does not matter when a partition catches up. */
static void maybe_rebase(const ss_layer_rt *L, lx_state *S, double t)
{
    if (!S->scaled)
        return;
    while (t - S->tb > S->span_ms) {
        for (uint32_t j = 0; j < L->size; j++) {
            S->n[j].v *= S->span_m; /* NAN stays NAN */
            S->n[j].ie *= S->span_e;
            S->n[j].ii *= S->span_i;
            S->n[j].ku *= S->inv_span_m; /* u of the same absolute time */
        }
        S->tb += S->span_ms;
        S->fac_t = NAN;
    }
}

/* The state of neuron j at t (t not before its last change). */
static ss_lif_exp_state state_at(lx_state *S, uint32_t j, double t)
{
    const lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    const ss_lif_exp_k *k = kof(S, j, &tmp);
    if (!S->scaled) {
        lx_n y = *x;
        advance(S, k, &y, t);
        return (ss_lif_exp_state){y.v, y.ie, y.ii};
    }
    factors(S, t);
    ss_lif_exp_state st = {S->v_reset, x->ie * S->inv_ee, x->ii * S->inv_ei};
    if (t < x->ref_end)
        return st;
    if (isnan(x->v)) {
        /* The refractory period has ended but its event has not been
         * handled yet (a potential read at that instant): from V_reset. */
        double back = t - x->ref_end;
        ss_lif_exp_state at_end = {S->v_reset, st.i_exc_mv * exp(back * k->ch[0].inv_tau),
                                   st.i_inh_mv * exp(back * k->ch[1].inv_tau)};
        st.v_mv = ss_lif_exp_k_potential(k, &at_end, back);
        return st;
    }
    st.v_mv = k->v_inf + x->v * S->inv_em + st.i_exc_mv * S->g_e + st.i_inh_mv * S->g_i;
    return st;
}

/* Stores st as neuron j's state at t (outside the refractory period, or
 * with V = V_reset during it). */
static void state_put(lx_state *S, uint32_t j, double t, const ss_lif_exp_state *st)
{
    lx_n *x = &S->n[j];
    if (!S->scaled) {
        x->v = st->v_mv;
        x->ie = st->i_exc_mv;
        x->ii = st->i_inh_mv;
        x->t_last = t;
        return;
    }
    ss_lif_exp_k tmp;
    const ss_lif_exp_k *k = kof(S, j, &tmp);
    factors(S, t);
    x->ie = st->i_exc_mv * S->ee;
    x->ii = st->i_inh_mv * S->ei;
    x->v = t < x->ref_end
               ? NAN
               : (st->v_mv - k->v_inf - st->i_exc_mv * S->g_e - st->i_inh_mv * S->g_i) * S->em;
}

static void publish(ss_part *eng, ss_layer_rt *L, lx_state *S)
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

/* ---- the polynomial fast path (poly) ----
 *
 * When tau_m / tau_e = n_e and tau_m / tau_i = n_i are integers (CUBA: 4
 * and 2), 1/E_e = u^n_e and 1/E_i = u^n_i with u = 1/E_m = e^{-(t - tb)/tau_m},
 * so between inputs the distance to threshold is a polynomial in u,
 *     f(u) = V - V_th = d + A u + c_e u^n_e + c_i u^n_i,
 *     d = V_inf - V_th,  c_e = C_e g_e,  c_i = C_i g_i,
 * with coefficients that do not change between inputs (Brette 2007).  Time
 * runs as u falls from u0 (now) towards 0, and the next spike is the largest
 * root below u0.  Each monomial is convex or concave on [0, u0], so f has a
 * linear majorant through (u0, f(u0)): the chord from 0 for the terms with a
 * positive coefficient, the tangent at u0 for the others (Krishnan et al.
 * 2018 use a bound of this kind).  Its slope L' gives, with a handful of
 * flops and no exponential,
 *     f(u) <= f(u0) + L' (u - u0) < 0   for u in (u0 - f(u0)/L', u0],
 * i.e. no crossing before the time of u_b = u0 - f(u0)/L' (none at all when
 * L' >= 0 or u_b <= 0).  That is the queue key after an input.  When it
 * comes up, the step is repeated from there (each step is safe: it never
 * passes the root); once a true Newton step from the same point lands past
 * the root, that bracket holds the root, unique when an interval bound of
 * f' shows f monotone on it, and safeguarded Newton finds it to rounding. */

typedef struct poly_f {
    double d, a, ce, ci;
    int ne, ni;
} poly_f;

static inline poly_f poly_of(const lx_state *S, uint32_t j)
{
    const lx_n *x = &S->n[j];
    double v_inf = S->v_inf ? S->v_inf[j] : S->k.v_inf;
    return (poly_f){v_inf - S->k.v_th, x->v, x->ie * S->g_e, x->ii * S->g_i, S->n_e, S->n_i};
}

static inline double poly_eval(const poly_f *p, double u, double *fp)
{
    double pe = ipow(u, p->ne - 1), pi = ipow(u, p->ni - 1);
    if (fp)
        *fp = p->a + p->ne * p->ce * pe + p->ni * p->ci * pi;
    return p->d + u * (p->a + p->ce * pe + p->ci * pi);
}

/* The majorant's slope at u (see above). */
static inline double poly_major_slope(const poly_f *p, double u)
{
    double pe = ipow(u, p->ne - 1), pi = ipow(u, p->ni - 1);
    return p->a + (p->ce >= 0 ? 1 : p->ne) * p->ce * pe + (p->ci >= 0 ? 1 : p->ni) * p->ci * pi;
}

/* The majorant step from u (f(u) = fu < 0): a u below which the root lies,
 * 0 when there is none. */
static inline double poly_step(const poly_f *p, double u, double fu)
{
    double l = poly_major_slope(p, u);
    if (!(l < 0))
        return 0;
    double ub = u - fu / l;
    return ub > 0 ? ub : 0;
}

/* An upper bound of f' over [ua, ub] (0 <= ua < ub): each monomial of f'
 * is monotone. */
static inline double poly_slope_max(const poly_f *p, double ua, double ub)
{
    double r = p->a;
    if (p->ce != 0)
        r += p->ne * p->ce * (p->ce > 0 ? ipow(ub, p->ne - 1) : ipow(ua, p->ne - 1));
    if (p->ci != 0)
        r += p->ni * p->ci * (p->ci > 0 ? ipow(ub, p->ni - 1) : ipow(ua, p->ni - 1));
    return r;
}

/* An upper bound of f over [ua, ub] (0 <= ua < ub), term by term. */
static inline double poly_max(const poly_f *p, double ua, double ub)
{
    double ea = ipow(ua, p->ne), eb = ipow(ub, p->ne), ia = ipow(ua, p->ni), ib = ipow(ub, p->ni);
    return p->d + fmax(p->a * ua, p->a * ub) + fmax(p->ce * ea, p->ce * eb) +
           fmax(p->ci * ia, p->ci * ib);
}

static inline double time_of_u(const lx_state *S, double u)
{
    return S->tb - S->k.tau_m * log(u);
}

/* Queues neuron j under u (its key's time), or removes it (u = 0). */
static void poly_key(ss_layer_rt *L, lx_state *S, uint32_t j, double u, double t_now)
{
    lx_n *x = &S->n[j];
    x->ku = u;
    if (u <= 0) {
        ss_queue_remove_inline(S->heap, j);
        return;
    }
    double t = time_of_u(S, u);
    if (t < t_now)
        t = t_now;
    ss_queue_set_inline(S->heap, j, t, spike_kid(L, j));
}

/* After a state change of neuron j at t (outside the refractory period, the
 * factors of t cached): a key no later than its next crossing. */
static void poly_predict(ss_layer_rt *L, lx_state *S, uint32_t j, double t, int eager)
{
    lx_n *x = &S->n[j];
    poly_f p = poly_of(S, j);
    double u0 = S->inv_em, f0 = poly_eval(&p, u0, NULL);
    double ub = f0 >= 0 ? u0 : poly_step(&p, u0, f0);
    x->t_pred = f0 >= 0 ? t : ub > 0 ? NAN : INFINITY;
    if (f0 >= 0) {
        x->ku = u0;
        ss_queue_set_inline(S->heap, j, t, spike_kid(L, j));
        return;
    }
    /* Keep an earlier key (a lower bound still): no queue work. */
    /* ku is 0 while j is not queued (poly_key), so no lookup is needed */
    if (eager || ub > x->ku)
        poly_key(L, S, j, ub, t);
}

/* The key of neuron j came up at t (u0 = 1/E_m(t) cached): fires it, or
 * queues its exact crossing, or a later bound.  Returns 1 when it fired. */
static int poly_due(ss_part *eng, ss_layer_rt *L, lx_state *S, uint32_t j, double t);

/* Safeguarded Newton on a bracket f(ua) >= 0 > f(ub) with f' < 0 on it:
 * the root, as the u at or just past it (f >= 0). */
static double poly_newton(const poly_f *p, double ua, double ub, double u)
{
    for (int it = 0; it < 100; it++) {
        double fp, fu = poly_eval(p, u, &fp);
        if (fu >= 0)
            ua = u;
        else
            ub = u;
        if (ub - ua <= 4 * DBL_EPSILON * ub)
            break;
        double nu = fp < 0 ? u - fu / fp : NAN;
        if (!(nu > ua && nu < ub))
            nu = 0.5 * (ua + ub);
        /* Newton converges from one side: stop on its step, not the bracket */
        if (fabs(nu - u) <= 2 * DBL_EPSILON * u)
            return fu >= 0 ? u : nu;
        u = nu;
    }
    return ua;
}

/* After a state change at t outside the refractory period.  The heap key
 * only has to be a lower bound of the next crossing: instead of searching
 * for the crossing at every input, the key is (V_th - V) / (a bound of V'),
 * or infinity when the cheap bound shows V never gets there, and the exact
 * crossing is searched for only when the key comes up (lx_due).  t_pred is
 * the exact crossing when known (the key equals it), NAN when the key is
 * only a bound. */
static void predict(ss_layer_rt *L, lx_state *S, uint32_t j, double t, int eager)
{
    if (S->poly) {
        factors(S, t);
        poly_predict(L, S, j, t, eager);
        return;
    }
    lx_n *x = &S->n[j];
    ss_lif_exp_k tmp;
    const ss_lif_exp_k *k = kof(S, j, &tmp);
    ss_lif_exp_state s = state_at(S, j, t);
    double lb;
    if (s.v_mv >= k->v_th) {
        lb = t;
    } else if (ss_lif_exp_k_bound(k, &s) < k->v_th) {
        lb = INFINITY;
    } else {
        double r = ss_lif_exp_k_rise_bound(k, &s);
        lb = r > 0 ? t + (k->v_th - s.v_mv) / r : INFINITY;
    }
    x->t_pred = isinf(lb) ? INFINITY : NAN;
    int present = ss_queue_contains(S->heap, j);
    if (eager || !present) {
        if (isinf(lb))
            ss_queue_remove_inline(S->heap, j);
        else
            ss_queue_set_inline(S->heap, j, lb, spike_kid(L, j));
    } else if (lb < ss_queue_key(S->heap, j, NULL)) {
        ss_queue_set_inline(S->heap, j, lb, spike_kid(L, j));
    }
}

/* An inhibitory input only delays a crossing (it lowers V at every later
 * time): the key stays a lower bound, and an exact prediction becomes one. */
static inline void inhibited(lx_n *x)
{
    if (!isinf(x->t_pred))
        x->t_pred = NAN;
}

static void fire(ss_part *eng, ss_layer_rt *L, lx_state *S, uint32_t j, double t)
{
    lx_n *x = &S->n[j];
    ss_lif_exp_state st = state_at(S, j, t);
    st.v_mv = S->v_reset;
    x->ref_end = t + S->t_ref;
    state_put(S, j, t, &st);
    x->t_pred = INFINITY;
    if (S->t_ref > 0)
        ss_queue_set_inline(S->heap, j, x->ref_end,
                            ss_event_kid(SS_EV_REFRACTORY_END, L->offset + j));
    else
        predict(L, S, j, t, 1);
    ss__emit(eng, L, j, t);
}

static int poly_due(ss_part *eng, ss_layer_rt *L, lx_state *S, uint32_t j, double t)
{
    lx_n *x = &S->n[j];
    factors(S, t);
    poly_f p = poly_of(S, j);
    double u = S->inv_em, fp, fu = poly_eval(&p, u, &fp);
    if (fu >= 0) {
        fire(eng, L, S, j, t);
        return 1;
    }
    /* Steps until the bound reached is later than t in time, then a key
     * there: late in a run one ulp of t spans many of u,
     * and a key at t would come back to the same u forever. */
    double root = NAN, tk = NAN;
    for (int it = 0; it < 200 && isnan(root); it++) {
        double um = poly_step(&p, u, fu);
        if (um <= 0) { /* no crossing */
            x->t_pred = INFINITY;
            poly_key(L, S, j, 0, t);
            return 0;
        }
        if (u - um <= 4 * DBL_EPSILON * u) {
            root = um; /* the bound has met the root, to rounding */
            break;
        }
        /* The Newton step from u goes at least as far (|f'| <= |L'|). */
        double un = fp < 0 ? u - fu / fp : 0;
        if (un > 0 && un < um) {
            double fn = poly_eval(&p, un, NULL);
            if (fn >= 0 && poly_slope_max(&p, un, um) < 0) {
                root = poly_newton(&p, un, um, un);
                break;
            }
            /* Not past the root, and nothing crosses in between: go on
             * from there (Newton's pace instead of the majorant's). */
            if (fn < 0 && poly_max(&p, un, um) < 0)
                um = un;
        }
        u = um;
        fu = poly_eval(&p, u, &fp);
        if (fu >= 0)
            root = u;
        else if ((tk = time_of_u(S, u)) > t)
            break;
    }
    if (isnan(root) && tk > t) { /* still a bound: come back then */
        x->t_pred = NAN;
        x->ku = u;
        ss_queue_set_inline(S->heap, j, tk, spike_kid(L, j));
        return 0;
    }
    if (isnan(root)) /* 200 steps within one ulp of t: the crossing is now */
        root = u;
    double tc = time_of_u(S, root);
    if (!(tc > t)) {
        fire(eng, L, S, j, t);
        return 1;
    }
    x->t_pred = tc;
    x->ku = root;
    ss_queue_set_inline(S->heap, j, tc, spike_kid(L, j));
    return 0;
}

static void lx_deliver(ss_part *eng, ss_layer_rt *L, double t, const uint32_t *tgt, const float *w,
                       size_t n)
{
    lx_state *S = L->state;
    if (S->scaled) {
        maybe_rebase(L, S, t);
        factors(S, t);
        const double we = S->ee, wi = S->ei, ae = S->g_e * S->em, ai = S->g_i * S->em;
        for (size_t k = 0; k < n; k++) {
            uint32_t j = tgt[k] - L->first; /* a layer index: this partition's neuron */
            lx_n *x = &S->n[j];
            double wk = w[k];
            /* V stays continuous: what the current adds, A gives back */
            if (wk >= 0) {
                x->ie += wk * we;
                x->v -= wk * ae;
            } else {
                x->ii += wk * wi;
                x->v -= wk * ai;
            }
            if (t < x->ref_end)
                continue; /* the refractory-end event will predict */
            if (wk < 0 && ss_queue_contains(S->heap, j))
                inhibited(x);
            else
                predict(L, S, j, t, 0);
        }
        publish(eng, L, S);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        uint32_t j = tgt[k] - L->first;
        lx_n *x = &S->n[j];
        ss_lif_exp_k tmp;
        advance(S, kof(S, j, &tmp), x, t);
        if (w[k] >= 0)
            x->ie += w[k];
        else
            x->ii += w[k];
        if (t < x->ref_end)
            continue; /* the refractory-end event will predict */
        if (w[k] < 0 && ss_queue_contains(S->heap, j))
            inhibited(x);
        else
            predict(L, S, j, t, 0);
    }
    publish(eng, L, S);
}

static void lx_due(ss_part *eng, ss_layer_rt *L, double t)
{
    lx_state *S = L->state;
    maybe_rebase(L, S, t);
    uint32_t j = S->heap->heap[0].slot;
    ss_event_kind kind = ss_event_kind_of(S->heap->heap[0].kid);
    lx_n *x = &S->n[j];
    if (kind == SS_EV_REFRACTORY_END) {
        ss_lif_exp_state st = state_at(S, j, t); /* V = V_reset, the currents */
        st.v_mv = S->v_reset;
        state_put(S, j, t, &st);
        predict(L, S, j, t, 1);
    } else if (S->heap->heap[0].t == x->t_pred) {
        fire(eng, L, S, j, t); /* the exact crossing */
    } else if (S->poly) {
        poly_due(eng, L, S, j, t);
    } else {
        /* A lower bound came up: search for the exact crossing now. */
        ss_lif_exp_k tmp;
        ss_lif_exp_state st = state_at(S, j, t);
        double dt = ss_lif_exp_k_crossing(kof(S, j, &tmp), &st, S->solver);
        x->t_pred = t + dt;
        if (dt == 0)
            fire(eng, L, S, j, t);
        else if (isinf(dt))
            ss_queue_remove_inline(S->heap, j);
        else
            ss_queue_set_inline(S->heap, j, x->t_pred, spike_kid(L, j));
    }
    publish(eng, L, S);
}

static void lx_force(ss_part *eng, ss_layer_rt *L, uint32_t j, double t)
{
    lx_state *S = L->state;
    maybe_rebase(L, S, t);
    fire(eng, L, S, j, t);
    publish(eng, L, S);
}

static double lx_potential(ss_part *eng, ss_layer_rt *L, uint32_t j, double t)
{
    (void)eng;
    /* state_at only caches factors; the rebase first, so that the value read
     * is the same in every partition */
    maybe_rebase(L, L->state, t);
    return state_at(L->state, j, t).v_mv;
}

static int lx_set_bias(ss_part *eng, ss_layer_rt *L, uint32_t j, double t, double bias_mv,
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
    maybe_rebase(L, S, t);
    lx_n *x = &S->n[j];
    ss_lif_exp_state st = state_at(S, j, t);
    S->v_inf[j] = S->e_l + bias_mv;
    if (t >= x->ref_end || !S->scaled)
        state_put(S, j, t, &st); /* V is continuous across the change */
    if (t >= x->ref_end)
        predict(L, S, j, t, 1);
    publish(eng, L, S);
    return SS_OK;
}

static void lx_reset(ss_part *eng, ss_layer_rt *L)
{
    lx_state *S = L->state;
    const ss_neuron_params *p = &L->layer->params;
    free(S->v_inf);
    S->v_inf = NULL;
    ss_queue_clear(S->heap);
    S->tb = 0;
    S->fac_t = NAN;
    for (uint32_t j = 0; j < L->size; j++) {
        lx_n *x = &S->n[j];
        ss_lif_exp_state st = {p->v_init == SS_V_INIT_REST    ? p->e_l_mv
                               : p->v_init == SS_V_INIT_RESET ? p->v_reset_mv
                                                              : ss__v_init_uniform(eng, L, j),
                               0, 0};
        x->ref_end = -INFINITY;
        x->ku = 0;
        state_put(S, j, 0, &st);
        predict(L, S, j, 0, 1);
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

static int lx_init(ss_part *eng, ss_layer_rt *L, ss_error *err)
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
    /* Near tau_m the two exponentials of a response cancel: keep those
     * layers in the advancing representation. */
    S->scaled =
        fabs(S->k.ch[0].kappa) * S->k.tau_m >= 0.1 && fabs(S->k.ch[1].kappa) * S->k.tau_m >= 0.1;
    /* Integer ratios tau_m / tau_s (exactly, in doubles): the polynomial
     * fast path. */
    if (S->scaled) {
        double re = p->tau_m_ms / p->tau_syn_exc_ms, ri = p->tau_m_ms / p->tau_syn_inh_ms;
        S->n_e = (int)lround(re);
        S->n_i = (int)lround(ri);
        S->poly = S->n_e == re && S->n_i == ri && S->n_e >= 2 && S->n_i >= 2 && S->n_e <= 16 &&
                  S->n_i <= 16;
    }
    S->g_e = S->scaled ? 1 / (S->k.ch[0].kappa * S->k.tau_m) : 0;
    S->g_i = S->scaled ? 1 / (S->k.ch[1].kappa * S->k.tau_m) : 0;
    S->inv_tau_min = fmax(S->k.inv_tau_m, fmax(S->k.ch[0].inv_tau, S->k.ch[1].inv_tau));
    S->span_ms = SCALED_SPAN / S->inv_tau_min;
    S->span_m = exp(-S->span_ms * S->k.inv_tau_m);
    S->span_e = exp(-S->span_ms * S->k.ch[0].inv_tau);
    S->span_i = exp(-S->span_ms * S->k.ch[1].inv_tau);
    if (S->poly) { /* as factors() has them */
        S->span_e = ipow(S->span_m, S->n_e);
        S->span_i = ipow(S->span_m, S->n_i);
    }
    S->inv_span_m = 1 / S->span_m;
    S->fac_t = NAN;
    return SS_OK;
}

const ss_layer_ops ss__lif_exp_ops = {lx_init, lx_destroy, lx_reset,     lx_deliver,
                                      lx_due,  lx_force,   lx_potential, lx_set_bias};
