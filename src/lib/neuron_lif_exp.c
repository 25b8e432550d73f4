/* The lif_exp model's closed forms and its threshold-crossing search (see
 * neuron.h); the engine's lif_exp layer lives in layer_lif_exp.c.
 *
 * From (V0, I_e, I_i) at s = 0 and without input,
 *   V(s) = V_inf + (V0 - V_inf) e^{-s/tau_m} + I_e r_e(s) + I_i r_i(s)
 * with the channel responses r of neuron_impl.h.  The next spike is the first
 * root of V(s) - V_th.  V is a constant plus three exponentials, so V' has at
 * most two zeros; but rather than locating them, the search below proves
 * things about whole intervals:
 *   1. a cheap global bound (each positive term at its own maximum) shows
 *      that most states never reach threshold, with no search at all;
 *   2. otherwise [0, H] is scanned left to right by bisection, skipping an
 *      interval whose upper bound of V is below threshold, until one has
 *      V(a) < V_th <= V(b) and a lower bound of V' that is positive (so it
 *      holds exactly one root, the first);
 *   3. gsl_root_fsolver_brent refines that bracket to SS_LIF_EXP_TOL_MS.
 * Interval bounds come from each term separately: e^{-s/tau_m} is monotone
 * and each r is unimodal (rising to peak_s, then decaying).
 */
#include "neuron_impl.h"

#include <gsl/gsl_errno.h>
#include <math.h>

static void channel_init(ss_syn_channel *c, double tau_m, double tau_s)
{
    c->tau_ms = tau_s;
    c->inv_tau = 1.0 / tau_s;
    c->kappa = 1.0 / tau_m - 1.0 / tau_s;
    /* r' = 0 where e^{s kappa} = tau_s / tau_m. */
    if (fabs(c->kappa) * tau_m < 1e-12)
        c->peak_s = tau_m;
    else
        c->peak_s = log(tau_s / tau_m) / c->kappa;
}

void ss_lif_exp_k_init(ss_lif_exp_k *k, const ss_neuron_params *p)
{
    k->tau_m = p->tau_m_ms;
    k->inv_tau_m = 1.0 / p->tau_m_ms;
    k->v_inf = p->e_l_mv + p->bias_mv;
    k->v_th = p->v_th_mv;
    channel_init(&k->ch[0], p->tau_m_ms, p->tau_syn_exc_ms);
    channel_init(&k->ch[1], p->tau_m_ms, p->tau_syn_inh_ms);
    for (int i = 0; i < 2; i++)
        k->ch[i].peak_r = ss_syn_response(k, &k->ch[i], k->ch[i].peak_s);
}

double ss_syn_response(const ss_lif_exp_k *k, const ss_syn_channel *c, double s)
{
    if (isinf(s))
        return 0;
    double x = s * c->kappa;
    if (fabs(c->kappa) * k->tau_m < 1e-12)
        return s * k->inv_tau_m * exp(-s * k->inv_tau_m);
    /* expm1 keeps the near-equal time constants exact; far from them the
     * difference of exponentials has no cancellation and cannot overflow. */
    if (fabs(x) <= 1.0)
        return exp(-s * k->inv_tau_m) * expm1(x) / (c->kappa * k->tau_m);
    return (exp(-s * c->inv_tau) - exp(-s * k->inv_tau_m)) / (c->kappa * k->tau_m);
}

/* I r(s) given em = e^{-s/tau_m} and es = e^{-s/tau_s}, which the caller has
 * anyway: the difference of exponentials is exact enough unless tau_s is
 * close to tau_m (|kappa| tau_m < 0.1: absolute rounding 2 eps / |kappa tau_m|),
 * where the expm1 form takes over. */
static inline double syn_term(const ss_lif_exp_k *k, const ss_syn_channel *c, double current,
                              double s, double em, double es)
{
    if (current == 0)
        return 0;
    if (fabs(c->kappa) * k->tau_m >= 0.1)
        return current * (es - em) / (c->kappa * k->tau_m);
    return current * ss_syn_response(k, c, s);
}

double ss_lif_exp_k_step(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double s,
                         double *decay_e, double *decay_i)
{
    double em = exp(-s * k->inv_tau_m);
    double ee = exp(-s * k->ch[0].inv_tau), ei = exp(-s * k->ch[1].inv_tau);
    if (decay_e)
        *decay_e = ee;
    if (decay_i)
        *decay_i = ei;
    return k->v_inf + (x->v_mv - k->v_inf) * em + syn_term(k, &k->ch[0], x->i_exc_mv, s, em, ee) +
           syn_term(k, &k->ch[1], x->i_inh_mv, s, em, ei);
}

double ss_lif_exp_k_potential(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double s)
{
    return ss_lif_exp_k_step(k, x, s, NULL, NULL);
}

double ss_lif_exp_k_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x)
{
    double b = k->v_inf + fmax(x->v_mv - k->v_inf, 0);
    if (x->i_exc_mv > 0)
        b += x->i_exc_mv * k->ch[0].peak_r;
    if (x->i_inh_mv > 0)
        b += x->i_inh_mv * k->ch[1].peak_r;
    return b;
}

double ss_lif_exp_k_rise_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x)
{
    /* V' = -(c0/tau_m) e^{-s/tau_m} + sum I r'(s).  r' is at most r'(0) = 1/tau_m,
     * and |r'| at most (1/tau_s + 1/tau_m)/|kappa tau_m| (each exponential's own
     * slope), or 1/tau_m in the limit kappa = 0 (2/tau_m taken, for a margin). */
    double r = fmax(k->v_inf - x->v_mv, 0) * k->inv_tau_m;
    const double cur[2] = {x->i_exc_mv, x->i_inh_mv};
    for (int i = 0; i < 2; i++) {
        const ss_syn_channel *c = &k->ch[i];
        if (cur[i] > 0) {
            r += cur[i] * k->inv_tau_m;
        } else if (cur[i] < 0) {
            double kt = fabs(c->kappa) * k->tau_m;
            r += -cur[i] *
                 (kt < 1e-12 ? 2 * k->inv_tau_m : (c->inv_tau + k->inv_tau_m) / fmin(kt, 1.0));
        }
    }
    return r;
}

/* Bounds of I r(s) over [a, b] given r(a), r(b). */
static void term_bounds(const ss_lif_exp_k *k, const ss_syn_channel *c, double current, double a,
                        double b, double ra, double rb, double *lo, double *hi)
{
    double rmax = (c->peak_s > a && c->peak_s < b) ? c->peak_r : fmax(ra, rb);
    double rmin = fmin(ra, rb);
    (void)k;
    if (current >= 0) {
        *lo = current * rmin;
        *hi = current * rmax;
    } else {
        *lo = current * rmax;
        *hi = current * rmin;
    }
}

/* r(s) of a channel given em = e^{-s/tau_m}; see syn_term. */
static inline double syn_r(const ss_lif_exp_k *k, const ss_syn_channel *c, double s, double em)
{
    if (fabs(c->kappa) * k->tau_m >= 0.1)
        return (exp(-s * c->inv_tau) - em) / (c->kappa * k->tau_m);
    return ss_syn_response(k, c, s);
}

static double upper_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double a, double b)
{
    double c0 = x->v_mv - k->v_inf;
    /* b may be INFINITY (the tail beyond the horizon), where e^{-b/tau} = 0. */
    double ema = exp(-a * k->inv_tau_m), emb = exp(-b * k->inv_tau_m);
    double u = k->v_inf + fmax(c0 * ema, c0 * emb);
    const double cur[2] = {x->i_exc_mv, x->i_inh_mv};
    for (int i = 0; i < 2; i++) {
        if (cur[i] == 0)
            continue;
        double lo, hi;
        term_bounds(k, &k->ch[i], cur[i], a, b, syn_r(k, &k->ch[i], a, ema),
                    syn_r(k, &k->ch[i], b, emb), &lo, &hi);
        u += hi;
    }
    return u;
}

/* A lower bound of V' over [a, b], by interval arithmetic on
 * V' = -(c0/tau_m) e^{-s/tau_m} + sum_i I_i r_i'(s). */
static double slope_lower_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double a,
                                double b)
{
    double ea = exp(-a * k->inv_tau_m), eb = exp(-b * k->inv_tau_m);
    double c0 = x->v_mv - k->v_inf;
    double lo = fmin(-c0 * k->inv_tau_m * ea, -c0 * k->inv_tau_m * eb);
    const double cur[2] = {x->i_exc_mv, x->i_inh_mv};
    for (int i = 0; i < 2; i++) {
        const ss_syn_channel *c = &k->ch[i];
        if (cur[i] == 0)
            continue;
        /* r' = E(s) * (G(s) - psi(s)/tau_m)/tau_m with E = e^{-s/tau_m} in
         * [eb, ea], G = e^{s kappa} monotone, psi increasing. */
        int limit = fabs(c->kappa) * k->tau_m < 1e-12;
        double ga = limit ? 1 : exp(a * c->kappa), gb = limit ? 1 : exp(b * c->kappa);
        double pa = limit ? a : expm1(a * c->kappa) / c->kappa;
        double pb = limit ? b : expm1(b * c->kappa) / c->kappa;
        double in_lo = fmin(ga, gb) - pb * k->inv_tau_m;
        double in_hi = fmax(ga, gb) - pa * k->inv_tau_m;
        /* product of [eb, ea] and [in_lo, in_hi], then times the current */
        double p1 = eb * in_lo, p2 = eb * in_hi, p3 = ea * in_lo, p4 = ea * in_hi;
        double r_lo = fmin(fmin(p1, p2), fmin(p3, p4)) * k->inv_tau_m;
        double r_hi = fmax(fmax(p1, p2), fmax(p3, p4)) * k->inv_tau_m;
        lo += cur[i] >= 0 ? cur[i] * r_lo : cur[i] * r_hi;
    }
    return lo;
}

typedef struct {
    const ss_lif_exp_k *k;
    const ss_lif_exp_state *x;
} crossing_ctx;

static double f_gsl(double s, void *params)
{
    const crossing_ctx *c = params;
    return ss_lif_exp_k_potential(c->k, c->x, s) - c->k->v_th;
}

static double brent(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double a, double b,
                    gsl_root_fsolver *solver)
{
    crossing_ctx ctx = {k, x};
    gsl_function fn = {f_gsl, &ctx};
    gsl_root_fsolver *own = NULL;
    if (!solver)
        solver = own = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver) /* out of memory: bisection alone still meets the tolerance */
        goto bisect;
    /* The bracket is valid (f(a) < 0 <= f(b)), so GSL's error handler is
     * never reached from here. */
    gsl_root_fsolver_set(solver, &fn, a, b);
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
            break;
        a = gsl_root_fsolver_x_lower(solver);
        b = gsl_root_fsolver_x_upper(solver);
        if (b - a <= SS_LIF_EXP_TOL_MS)
            break;
    }
    gsl_root_fsolver_free(own);
bisect:
    while (b - a > SS_LIF_EXP_TOL_MS) {
        double m = 0.5 * (a + b);
        if (m <= a || m >= b)
            break;
        if (f_gsl(m, &ctx) >= 0)
            b = m;
        else
            a = m;
    }
    return b;
}

double ss_lif_exp_k_crossing(const ss_lif_exp_k *k, const ss_lif_exp_state *x,
                             gsl_root_fsolver *solver)
{
    if (x->v_mv >= k->v_th)
        return 0;
    if (ss_lif_exp_k_bound(k, x) < k->v_th)
        return INFINITY;

    /* Horizon: past every channel's peak and long enough that whatever is
     * left beyond it can be bounded; extended while it cannot.  V_inf above
     * threshold makes a crossing certain, and V(H) >= V_th then ends it. */
    double tmax = k->tau_m;
    for (int i = 0; i < 2; i++)
        tmax = fmax(tmax, fmax(k->ch[i].tau_ms, k->ch[i].peak_s));
    double h = 8 * tmax;
    const double h_max = 600 * k->tau_m;
    for (;;) {
        if (ss_lif_exp_k_potential(k, x, h) >= k->v_th)
            break;
        if (upper_bound(k, x, h, INFINITY) < k->v_th)
            break;
        if (h >= h_max)
            return INFINITY; /* only a crossing at e^{-600} of the scale: none */
        h = fmin(2 * h, h_max);
    }

    /* Left-to-right bisection over [0, h] with an explicit stack. */
    double stack_a[128], stack_b[128];
    int top = 0;
    stack_a[top] = 0;
    stack_b[top] = h;
    top++;
    while (top > 0) {
        top--;
        double a = stack_a[top], b = stack_b[top];
        if (upper_bound(k, x, a, b) < k->v_th)
            continue;
        double fb = ss_lif_exp_k_potential(k, x, b) - k->v_th;
        if (fb >= 0 && slope_lower_bound(k, x, a, b) > 0)
            return brent(k, x, a, b, solver);
        double m = 0.5 * (a + b);
        if (b - a < 1e-12 || m <= a || m >= b || top + 2 > 128) {
            if (fb >= 0) /* a touching crossing, or a bracket this narrow */
                return b;
            continue;
        }
        stack_a[top] = m, stack_b[top] = b, top++; /* right half after the left */
        stack_a[top] = a, stack_b[top] = m, top++;
    }
    return INFINITY;
}

void ss_lif_exp_advance(const ss_neuron_params *p, ss_lif_exp_state *s, double dt_ms)
{
    ss_lif_exp_k k;
    ss_lif_exp_k_init(&k, p);
    double de, di;
    s->v_mv = ss_lif_exp_k_step(&k, s, dt_ms, &de, &di);
    s->i_exc_mv *= de;
    s->i_inh_mv *= di;
}

double ss_lif_exp_potential(const ss_neuron_params *p, const ss_lif_exp_state *s, double dt_ms)
{
    ss_lif_exp_k k;
    ss_lif_exp_k_init(&k, p);
    return ss_lif_exp_k_potential(&k, s, dt_ms);
}

double ss_lif_exp_time_to_threshold(const ss_neuron_params *p, const ss_lif_exp_state *s,
                                    gsl_root_fsolver *solver)
{
    ss_lif_exp_k k;
    ss_lif_exp_k_init(&k, p);
    return ss_lif_exp_k_crossing(&k, s, solver);
}
