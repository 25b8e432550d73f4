/* The engine: exact spike times and potentials against closed forms and an
 * independent reference simulation, event order, determinism, hooks,
 * injected input, reset. */
#include "testutil.h"

#include <spiksim/engine.h>
#include <spiksim/network.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
    size_t n, cap;
    size_t *layer, *neuron;
    double *t;
} spikes;

static void on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    spikes *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->layer = realloc(s->layer, s->cap * sizeof *s->layer);
        s->neuron = realloc(s->neuron, s->cap * sizeof *s->neuron);
        s->t = realloc(s->t, s->cap * sizeof *s->t);
    }
    s->layer[s->n] = layer;
    s->neuron[s->n] = neuron;
    s->t[s->n] = t_ms;
    s->n++;
}

static void spikes_free(spikes *s)
{
    free(s->layer);
    free(s->neuron);
    free(s->t);
    memset(s, 0, sizeof *s);
}

/* Spike sequences a and b agree: the same spikes at the same times (within
 * tol_ms), in the same order except among spikes that fall within tol_ms of
 * each other (an exact engine and a reference loop compute the same instant
 * in different ways, so two spikes a few ulps apart may come out swapped).
 * Returns the number of spikes of a that find no partner in b. */
static size_t spikes_mismatch(const spikes *a, const spikes *b, double tol_ms)
{
    size_t bad = a->n > b->n ? a->n - b->n : b->n - a->n;
    size_t n = a->n < b->n ? a->n : b->n;
    unsigned char *used = calloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t k = i; k > 0 && b->t[k - 1] >= a->t[i] - tol_ms; k--)
            if (!used[k - 1] && b->layer[k - 1] == a->layer[i] && b->neuron[k - 1] == a->neuron[i])
                found = 1, used[k - 1] = 1;
        for (size_t k = i; !found && k < n && b->t[k] <= a->t[i] + tol_ms; k++)
            if (!used[k] && b->layer[k] == a->layer[i] && b->neuron[k] == a->neuron[i])
                found = 1, used[k] = 1;
        bad += !found;
    }
    free(used);
    return bad;
}

static ss_neuron_params lif(double e_l, double v_th, double v_reset, double tau, double t_ref)
{
    ss_neuron_params p;
    ss_neuron_params_default(&p);
    p.e_l_mv = e_l;
    p.v_th_mv = v_th;
    p.v_reset_mv = v_reset;
    p.tau_m_ms = tau;
    p.t_ref_ms = t_ref;
    p.v_init = SS_V_INIT_REST;
    return p;
}

typedef struct {
    unsigned long seed;
    unsigned threads, partitions; /* of the engine (0: one thread, one per thread) */
    ss_network *net;
    ss_engine *eng;
    spikes sp;
    ss_error err;
} world;

static void world_init(world *w, unsigned long seed)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->threads = 1;
    w->net = ss_network_alloc();
}

static void world_start(world *w)
{
    ss_engine_options opt = {.seed = w->seed, .threads = w->threads, .partitions = w->partitions};
    w->eng = ss_engine_alloc(w->net, &opt, &w->err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w->eng);
    CU_ASSERT_EQUAL(ss_engine_add_observer(w->eng, on_spike, &w->sp), 0);
}

static void world_free(world *w)
{
    ss_engine_free(w->eng);
    ss_network_free(w->net);
    spikes_free(&w->sp);
}

/* ---- exact timing ---- */

/* A tonic lif neuron (V_inf above threshold, by E_L or by bias) fires with
 * ISI t_ref + tau ln((V_reset - V_inf)/(V_th - V_inf)), to 1e-9 ms, over 20 s
 * (many rebases of the layer's time base). */
static void test_lif_tonic_isi(void)
{
    world w;
    world_init(&w, 1);
    ss_neuron_params a = lif(-49, -50, -60, 20, 5);
    a.v_init = SS_V_INIT_RESET;
    ss_neuron_params b = lif(-65, -50, -60, 7, 1.5);
    b.bias_mv = 18; /* V_inf = -47 */
    b.v_init = SS_V_INIT_RESET;
    CU_ASSERT_EQUAL(ss_network_add_neurons(w.net, "a", SS_LAYER_LIF, 1, &a, &w.err), 0);
    CU_ASSERT_EQUAL(ss_network_add_neurons(w.net, "b", SS_LAYER_LIF, 1, &b, &w.err), 1);
    world_start(&w);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 20000, &w.err), 0);
    const ss_neuron_params *ps[2] = {&a, &b};
    for (size_t l = 0; l < 2; l++) {
        double isi = ss_lif_isi_ms(ps[l]);
        double first = isi - ps[l]->t_ref_ms; /* from V_reset, not refractory */
        double last = -1;
        size_t k = 0;
        for (size_t i = 0; i < w.sp.n; i++) {
            if (w.sp.layer[i] != l)
                continue;
            if (k == 0) {
                CU_ASSERT_DOUBLE_EQUAL(w.sp.t[i], first, 1e-9);
            } else {
                CU_ASSERT_DOUBLE_EQUAL(w.sp.t[i] - last, isi, 1e-9);
            }
            last = w.sp.t[i];
            k++;
        }
        CU_ASSERT_EQUAL(k, (size_t)floor((20000 - first) / isi) + 1);
    }
    world_free(&w);
}

/* Potentials of lif and lif_exp neurons driven by a fixed spike train equal
 * the closed-form superposition at probe times. */
static void test_probe_potentials(void)
{
    world w;
    world_init(&w, 1);
    const double times[] = {2, 5.5, 6, 6, 20, 31.25};
    const uint32_t who[] = {0, 1, 0, 1, 0, 1};
    ss_network_add_spike_train(w.net, "in", 2, times, who, 6, &w.err);
    ss_neuron_params p = lif(-65, -40, -70, 12, 2);
    ss_network_add_neurons(w.net, "lif", SS_LAYER_LIF, 1, &p, &w.err);
    p.tau_syn_exc_ms = 4;
    p.tau_syn_inh_ms = 9;
    ss_network_add_neurons(w.net, "lif_exp", SS_LAYER_LIF_EXP, 1, &p, &w.err);
    const uint32_t pre[2] = {0, 1}, post[2] = {0, 0};
    const float wt[2] = {3.5f, -2.0f};
    const double delay = 1.25;
    CU_ASSERT(ss_network_add_synapses(w.net, "a", 0, 1, 2, pre, post, wt, NULL, delay, 0, &w.err) >=
              0);
    CU_ASSERT(ss_network_add_synapses(w.net, "b", 0, 2, 2, pre, post, wt, NULL, delay, 0, &w.err) >=
              0);
    world_start(&w);
    const double probes[] = {1, 3.1, 6.9, 7.3, 7.26, 21.3, 25, 32.4, 40, 80};
    double last = 0;
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        double t = probes[k];
        if (t < last)
            continue;
        CU_ASSERT_EQUAL(ss_engine_run(w.eng, t, &w.err), 0);
        last = t;
        double v_lif = -65 + 0 * exp(-t / 12), v_exp = -65;
        for (int s = 0; s < 6; s++) {
            double arr = times[s] + delay;
            if (arr >= t)
                continue;
            double wk = wt[who[s]], dt = t - arr;
            v_lif += wk * exp(-dt / 12);
            double ts = wk >= 0 ? 4 : 9;
            v_exp += wk * ts / (ts - 12) * (exp(-dt / ts) - exp(-dt / 12));
        }
        CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), v_lif, 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 2, 0), v_exp, 1e-9);
    }
    CU_ASSERT_EQUAL(w.sp.n, 6); /* only the inputs: both stay subthreshold */
    world_free(&w);
}

/* RK4 over the lif_exp ODE with input jumps, first crossing interpolated. */
static double brute_lif_exp(const ss_neuron_params *p, const double *arr, const double *wk, int n,
                            double h, double horizon)
{
    double y[3] = {p->e_l_mv, 0, 0};
    int next = 0;
    for (double t = 0; t < horizon; t += h) {
        while (next < n && arr[next] <= t + 1e-12) {
            y[wk[next] >= 0 ? 1 : 2] += wk[next];
            next++;
        }
        double k[4][3], tmp[3];
        for (int st = 0; st < 4; st++) {
            double c = st == 0 ? 0 : (st == 3 ? 1 : 0.5);
            for (int i = 0; i < 3; i++)
                tmp[i] = y[i] + (st ? c * h * k[st - 1][i] : 0);
            k[st][0] = (-(tmp[0] - p->e_l_mv - p->bias_mv) + tmp[1] + tmp[2]) / p->tau_m_ms;
            k[st][1] = -tmp[1] / p->tau_syn_exc_ms;
            k[st][2] = -tmp[2] / p->tau_syn_inh_ms;
        }
        double v0 = y[0];
        for (int i = 0; i < 3; i++)
            y[i] += h / 6 * (k[0][i] + 2 * k[1][i] + 2 * k[2][i] + k[3][i]);
        if (y[0] >= p->v_th_mv)
            return t + h * (p->v_th_mv - v0) / (y[0] - v0);
    }
    return INFINITY;
}

/* The engine's lif_exp spike time equals brute-force integration (inputs
 * on a 1/1024 ms grid so that the fine step lands on them exactly). */
static void test_lif_exp_spike_vs_brute_force(void)
{
    world w;
    world_init(&w, 1);
    const double times[] = {1, 3, 3.5, 9, 9.25};
    const uint32_t who[] = {0, 0, 1, 0, 0};
    ss_network_add_spike_train(w.net, "in", 2, times, who, 5, &w.err);
    ss_neuron_params p = lif(-65, -50, -70, 20, 2);
    p.tau_syn_exc_ms = 6;
    p.tau_syn_inh_ms = 3;
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF_EXP, 1, &p, &w.err);
    const uint32_t pre[2] = {0, 1}, post[2] = {0, 0};
    const float wt[2] = {30, -10};
    ss_network_add_synapses(w.net, "s", 0, 1, 2, pre, post, wt, NULL, 0.5, 0, &w.err);
    world_start(&w);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 60, &w.err), 0);
    double arr[5], wk[5];
    for (int i = 0; i < 5; i++) {
        arr[i] = times[i] + 0.5;
        wk[i] = wt[who[i]];
    }
    double b = brute_lif_exp(&p, arr, wk, 5, 1.0 / 1024, 60);
    CU_ASSERT(isfinite(b));
    double first = INFINITY;
    for (size_t i = 0; i < w.sp.n; i++)
        if (w.sp.layer[i] == 1) {
            first = w.sp.t[i];
            break;
        }
    CU_ASSERT_DOUBLE_EQUAL(first, b, 1e-6);
    world_free(&w);
}

/* A tonic lif_exp neuron without input behaves as lif: its ISI includes the
 * refractory period, handled by a refractory-end event. */
static void test_lif_exp_tonic_isi(void)
{
    world w;
    world_init(&w, 1);
    ss_neuron_params p = lif(-49, -50, -60, 20, 5);
    p.v_init = SS_V_INIT_RESET;
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF_EXP, 1, &p, &w.err);
    world_start(&w);
    ss_engine_run(w.eng, 1000, &w.err);
    CU_ASSERT(w.sp.n > 10);
    for (size_t i = 1; i < w.sp.n; i++)
        CU_ASSERT_DOUBLE_EQUAL(w.sp.t[i] - w.sp.t[i - 1], ss_lif_isi_ms(&p), 1e-9);
    world_free(&w);
}

/* ---- an independent reference: every neuron scanned at every event ---- */

typedef struct {
    double t;
    int proj;
    uint32_t pre;
} pending;

/* A recurrent network of tonic lif neurons with excitation, inhibition,
 * refractoriness and delays, simulated by the engine and by a plain O(N)
 * per-event loop written from the closed forms; the spike sequences agree. */
typedef struct {
    unsigned long seed;
    double e_l, tau, t_ref, w_exc, w_inh, t_end;
    size_t min_spikes;
} ref_case;

static void run_reference(const ref_case *rc)
{
    enum { NE = 30, NI = 10 };
    world w;
    world_init(&w, rc->seed);
    ss_neuron_params p = lif(rc->e_l, -50, -60, rc->tau, rc->t_ref);
    p.v_init = SS_V_INIT_UNIFORM;
    ss_network_add_neurons(w.net, "e", SS_LAYER_LIF, NE, &p, &w.err);
    ss_network_add_neurons(w.net, "i", SS_LAYER_LIF, NI, &p, &w.err);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.connect = SS_CONNECT_FIXED_PROB;
    s.p = 0.3;
    const int from[4] = {0, 0, 1, 1}, to[4] = {0, 1, 0, 1};
    const double wgt[4] = {rc->w_exc, rc->w_exc, rc->w_inh, rc->w_inh},
                 dly[4] = {0.7, 0.9, 0.4, 1.1};
    const char *names[4] = {"ee", "ei", "ie", "ii"};
    for (int k = 0; k < 4; k++) {
        s.weight = wgt[k];
        s.delay_ms = dly[k];
        CU_ASSERT_EQUAL(
            ss_network_connect(w.net, names[k], (size_t)from[k], (size_t)to[k], &s, w.seed, &w.err),
            k);
    }
    world_start(&w);
    /* initial potentials: re-draw them exactly as the engine did */
    double v[NE + NI], t_last[NE + NI], ref_end[NE + NI];
    for (int j = 0; j < NE + NI; j++) {
        ss_layer *l = ss_network_layer(w.net, j < NE ? 0 : 1);
        v[j] = ss_engine_potential(w.eng, ss_layer_index(l), (size_t)(j < NE ? j : j - NE));
        t_last[j] = 0;
        ref_end[j] = -INFINITY;
    }
    const double t_end = rc->t_end;
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, t_end, &w.err), 0);

    pending *q = malloc(100000 * sizeof *q);
    size_t nq = 0, nref = 0;
    spikes ref = {0};
    double now = 0;
    for (;;) {
        /* next threshold crossing: scan all neurons */
        double tf = INFINITY;
        int jf = -1;
        for (int j = 0; j < NE + NI; j++) {
            double start = fmax(t_last[j], ref_end[j]);
            double v0 = ref_end[j] > t_last[j] ? p.v_reset_mv : v[j];
            double tt = start + ss_lif_time_to_threshold(&p, v0);
            if (tt < tf) {
                tf = tt;
                jf = j;
            }
        }
        size_t qi = nq;
        for (size_t k = 0; k < nq; k++)
            if (qi == nq || q[k].t < q[qi].t ||
                (q[k].t == q[qi].t &&
                 (q[k].proj < q[qi].proj || (q[k].proj == q[qi].proj && q[k].pre < q[qi].pre))))
                qi = k;
        double td = qi < nq ? q[qi].t : INFINITY;
        if (fmin(tf, td) >= t_end)
            break;
        int fire_list[NE + NI], nf = 0;
        if (tf <= td) {
            now = tf;
            fire_list[nf++] = jf;
        } else {
            now = td;
            pending d = q[qi];
            q[qi] = q[--nq];
            ss_projection *pr = ss_network_projection(w.net, (size_t)d.proj);
            const uint32_t *row = ss_projection_row_ptr(pr), *tg = ss_projection_targets(pr);
            const float *ww = ss_projection_weights(pr);
            for (uint32_t k = row[d.pre]; k < row[d.pre + 1]; k++) {
                int j = (int)tg[k] + (to[d.proj] ? NE : 0);
                if (now < ref_end[j])
                    continue;
                double v0 = ref_end[j] > t_last[j] ? p.v_reset_mv : v[j];
                double start = fmax(t_last[j], ref_end[j]);
                v[j] = ss_lif_potential(&p, v0, now - start) + ww[k];
                t_last[j] = now;
                if (v[j] >= p.v_th_mv)
                    fire_list[nf++] = j;
            }
        }
        for (int f = 0; f < nf; f++) {
            int j = fire_list[f];
            size_t layer = j < NE ? 0 : 1, idx = (size_t)(j < NE ? j : j - NE);
            on_spike(&ref, layer, idx, now);
            nref++;
            v[j] = p.v_reset_mv;
            t_last[j] = now;
            ref_end[j] = now + p.t_ref_ms;
            for (int k = 0; k < 4; k++)
                if ((size_t)from[k] == layer && nq < 100000)
                    q[nq++] = (pending){now + dly[k], k, (uint32_t)idx};
        }
    }
    CU_ASSERT(nref >= rc->min_spikes);
    CU_ASSERT_EQUAL(nref, w.sp.n);
    CU_ASSERT_EQUAL(spikes_mismatch(&w.sp, &ref, 1e-9), 0);
    spikes_free(&ref);
    free(q);
    world_free(&w);
}

/* Tonic neurons with inhibition (predictions go stale, and far ones are
 * stored early), strong excitation with no refractory period (most spikes
 * triggered inline), and a mostly excitatory network firing fast. */
static void test_against_reference(void)
{
    static const ref_case cases[] = {{11, -49, 20, 3, 1.2, -3, 400, 300},
                                     {12, -45, 8, 0, 2.5, -4, 150, 300},
                                     {13, -49.5, 10, 1, 3.0, -1, 200, 300}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_reference(&cases[i]);
}

/* The same for lif_exp: the engine (time-invariant state, lower-bound keys,
 * refractory-end events) against a plain loop over every neuron that
 * advances (V, I_e, I_i) with the public closed forms.  Once with synaptic
 * time constants apart from tau_m, once with tau_e = tau_m (the other
 * representation). */
typedef struct {
    ss_lif_exp_state x;
    double t_last, ref_end;
} ref_exp_n;

/* Neuron state at t (t >= t_last), V held at V_reset while refractory. */
static ss_lif_exp_state ref_exp_at(const ss_neuron_params *p, const ref_exp_n *n, double t)
{
    ss_lif_exp_state x = n->x;
    double t0 = n->t_last;
    if (t0 < n->ref_end) {
        double until = fmin(t, n->ref_end);
        ss_lif_exp_state c = {0, x.i_exc_mv, x.i_inh_mv};
        ss_lif_exp_advance(p, &c, until - t0); /* the currents decay */
        x = (ss_lif_exp_state){p->v_reset_mv, c.i_exc_mv, c.i_inh_mv};
        t0 = until;
    }
    ss_lif_exp_advance(p, &x, t - t0);
    return x;
}

static void run_reference_exp(unsigned long seed, double tau_e, double t_end, size_t min_spikes)
{
    enum { NE = 20, NI = 6, N = NE + NI };
    world w;
    world_init(&w, seed);
    ss_neuron_params p = lif(-65, -50, -60, 20, 2);
    p.bias_mv = 17; /* tonic: V_inf = -48 */
    p.tau_syn_exc_ms = tau_e;
    p.tau_syn_inh_ms = 10;
    p.v_init = SS_V_INIT_UNIFORM;
    ss_network_add_neurons(w.net, "e", SS_LAYER_LIF_EXP, NE, &p, &w.err);
    ss_network_add_neurons(w.net, "i", SS_LAYER_LIF_EXP, NI, &p, &w.err);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.connect = SS_CONNECT_FIXED_PROB;
    s.p = 0.3;
    const int from[4] = {0, 0, 1, 1}, to[4] = {0, 1, 0, 1};
    const double wgt[4] = {4, 4, -9, -9}, dly[4] = {0.6, 0.8, 0.5, 1.0};
    const char *names[4] = {"ee", "ei", "ie", "ii"};
    for (int k = 0; k < 4; k++) {
        s.weight = wgt[k];
        s.delay_ms = dly[k];
        ss_network_connect(w.net, names[k], (size_t)from[k], (size_t)to[k], &s, w.seed, &w.err);
    }
    world_start(&w);
    ref_exp_n nr[N];
    for (int j = 0; j < N; j++) {
        double v0 = ss_engine_potential(w.eng, j < NE ? 0 : 1, (size_t)(j < NE ? j : j - NE));
        nr[j] = (ref_exp_n){{v0, 0, 0}, 0, -INFINITY};
    }
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, t_end, &w.err), 0);

    pending *q = malloc(100000 * sizeof *q);
    size_t nq = 0, nref = 0, mismatch = 0;
    for (;;) {
        double tf = INFINITY;
        int jf = -1;
        for (int j = 0; j < N; j++) {
            double from_t = fmax(nr[j].t_last, nr[j].ref_end);
            ss_lif_exp_state x = ref_exp_at(&p, &nr[j], from_t);
            double tt = from_t + ss_lif_exp_time_to_threshold(&p, &x, NULL);
            if (tt < tf) {
                tf = tt;
                jf = j;
            }
        }
        size_t qi = nq;
        for (size_t k = 0; k < nq; k++)
            if (qi == nq || q[k].t < q[qi].t ||
                (q[k].t == q[qi].t &&
                 (q[k].proj < q[qi].proj || (q[k].proj == q[qi].proj && q[k].pre < q[qi].pre))))
                qi = k;
        double td = qi < nq ? q[qi].t : INFINITY;
        if (fmin(tf, td) >= t_end)
            break;
        if (tf <= td) {
            double now = tf;
            int j = jf;
            size_t layer = j < NE ? 0 : 1, idx = (size_t)(j < NE ? j : j - NE);
            if (nref < w.sp.n && (w.sp.layer[nref] != layer || w.sp.neuron[nref] != idx ||
                                  fabs(w.sp.t[nref] - now) > 1e-8))
                mismatch++;
            nref++;
            ss_lif_exp_state x = ref_exp_at(&p, &nr[j], now);
            nr[j] = (ref_exp_n){{p.v_reset_mv, x.i_exc_mv, x.i_inh_mv}, now, now + p.t_ref_ms};
            for (int k = 0; k < 4; k++)
                if ((size_t)from[k] == layer && nq < 100000)
                    q[nq++] = (pending){now + dly[k], k, (uint32_t)idx};
        } else {
            double now = td;
            pending d = q[qi];
            q[qi] = q[--nq];
            ss_projection *pr = ss_network_projection(w.net, (size_t)d.proj);
            const uint32_t *row = ss_projection_row_ptr(pr), *tg = ss_projection_targets(pr);
            const float *ww = ss_projection_weights(pr);
            for (uint32_t k = row[d.pre]; k < row[d.pre + 1]; k++) {
                int j = (int)tg[k] + (to[d.proj] ? NE : 0);
                ss_lif_exp_state x = ref_exp_at(&p, &nr[j], now);
                if (ww[k] >= 0)
                    x.i_exc_mv += ww[k];
                else
                    x.i_inh_mv += ww[k];
                if (now < nr[j].ref_end) {
                    /* keep the period: currents as of now, V held */
                    nr[j].x = (ss_lif_exp_state){p.v_reset_mv, x.i_exc_mv, x.i_inh_mv};
                    nr[j].t_last = now;
                } else {
                    nr[j] = (ref_exp_n){x, now, nr[j].ref_end};
                }
            }
        }
    }
    CU_ASSERT(nref >= min_spikes);
    CU_ASSERT_EQUAL(nref, w.sp.n);
    CU_ASSERT_EQUAL(mismatch, 0);
    free(q);
    world_free(&w);
}

static void test_against_reference_exp(void)
{
    run_reference_exp(21, 5, 600, 150);
    run_reference_exp(22, 20, 300, 500);
}

/* ---- order, determinism ---- */

/* Simultaneous events: sources by id, and a source spike before injected
 * input at the same time, whatever the order they were scheduled in. */
static void test_tie_order(void)
{
    world w;
    world_init(&w, 1);
    ss_network_add_regular(w.net, "src", 3, 10, 0, &w.err);
    ss_neuron_params p = lif(-65, -50, -70, 10, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 1, &p, &w.err);
    world_start(&w);
    CU_ASSERT_EQUAL(ss_engine_force_spike(w.eng, 1, 0, 10, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 15, &w.err), 0);
    /* t = 0: src 0, 1, 2; t = 10: src 0, 1, 2, then the forced spike */
    CU_ASSERT_EQUAL_FATAL(w.sp.n, 7);
    for (size_t i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(w.sp.layer[i], 0);
        CU_ASSERT_EQUAL(w.sp.neuron[i], i % 3);
        CU_ASSERT_EQUAL(w.sp.t[i], i < 3 ? 0 : 10);
    }
    CU_ASSERT_EQUAL(w.sp.layer[6], 1);
    CU_ASSERT_EQUAL(w.sp.t[6], 10);
    world_free(&w);
}

static unsigned long long hash_run(unsigned long seed)
{
    world w;
    world_init(&w, seed);
    ss_network_add_poisson(w.net, "in", 50, 30, 0, &w.err);
    ss_neuron_params p = lif(-60, -50, -65, 15, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 200, &p, &w.err);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.connect = SS_CONNECT_FIXED_PROB;
    s.p = 0.2;
    s.weight_dist = SS_WEIGHT_NORMAL;
    s.weight = 2;
    s.weight_sd = 1;
    s.weight_min = -1;
    s.weight_max = 5;
    ss_network_connect(w.net, "in_n", 0, 1, &s, w.seed, &w.err);
    s.weight = -0.5;
    s.weight_min = -3;
    ss_network_connect(w.net, "n_n", 1, 1, &s, w.seed, &w.err);
    world_start(&w);
    ss_engine_run(w.eng, 500, &w.err);
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < w.sp.n; i++) {
        unsigned long long bits;
        memcpy(&bits, &w.sp.t[i], sizeof bits);
        unsigned long long x[3] = {w.sp.layer[i], w.sp.neuron[i], bits};
        for (int k = 0; k < 3; k++) {
            h ^= x[k];
            h *= 1099511628211ULL;
        }
    }
    CU_ASSERT(w.sp.n > 1000);
    world_free(&w);
    return h;
}

static void test_same_seed_same_raster(void)
{
    unsigned long long a = hash_run(5), b = hash_run(5), c = hash_run(6);
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(a, c);
}

/* ---- life cycle, hooks, input ---- */

static void test_reset(void)
{
    world w;
    world_init(&w, 1);
    ss_network_add_regular(w.net, "src", 1, 10, 9.5, &w.err);
    ss_neuron_params p = lif(-65, -50, -70, 10, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 1, &p, &w.err);
    const uint32_t pre = 0, post = 0;
    const float wt = 5;
    ss_network_add_synapses(w.net, "s", 0, 1, 1, &pre, &post, &wt, NULL, 1, 0, &w.err);
    world_start(&w);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 10, &w.err), 0); /* spike at 9.5, arrives 10.5 */
    CU_ASSERT_EQUAL(w.sp.n, 1);
    ss_engine_inject(w.eng, 1, 0, 12, 3, &w.err);
    ss_engine_reset(w.eng);
    CU_ASSERT_EQUAL(ss_engine_time(w.eng), 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), -65, 1e-12);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 9, &w.err), 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), -65, 1e-12); /* nothing arrived */
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 13, &w.err), 0);
    /* the source restarted (spike at 9.5 again); the dropped injection at 12
     * never came */
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), -65 + 5 * exp(-2.5 / 10), 1e-9);
    CU_ASSERT_EQUAL(ss_engine_layer_spikes(w.eng, 0), 2);         /* counters survive reset */
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 12, &w.err), SS_EUSAGE); /* no going back */
    world_free(&w);
}

typedef struct {
    int pre_calls, post_calls;
    size_t last_first, last_n;
    ss_network *net;
} hook_log;

static void pre_hook(void *ctx, unsigned part, size_t projection, uint32_t pre, double t_ms,
                     size_t first_syn, size_t n)
{
    hook_log *h = ctx;
    (void)part, (void)pre, (void)t_ms;
    float *w = ss_projection_weights(ss_network_projection(h->net, projection));
    for (size_t k = first_syn; k < first_syn + n; k++)
        w[k] *= 2; /* potentiate before delivery */
    h->pre_calls++;
    h->last_first = first_syn;
    h->last_n = n;
}

static void post_hook(void *ctx, unsigned part, size_t layer, size_t neuron, double t_ms)
{
    hook_log *h = ctx;
    (void)part, (void)t_ms;
    CU_ASSERT_EQUAL(layer, 1);
    CU_ASSERT(neuron < 3);
    h->post_calls++;
}

static void test_hooks(void)
{
    world w;
    world_init(&w, 1);
    ss_network_add_regular(w.net, "src", 2, 10, 1, &w.err);
    ss_neuron_params p = lif(-65, -50, -70, 10, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 3, &p, &w.err);
    const uint32_t pre[4] = {0, 0, 1, 1}, post[4] = {0, 1, 1, 2};
    const float wt[4] = {1, 2, 3, 4};
    ss_network_add_synapses(w.net, "s", 0, 1, 4, pre, post, wt, NULL, 1, 1, &w.err);
    world_start(&w);
    hook_log h = {0, 0, 0, 0, w.net};
    ss_engine_set_pre_hook(w.eng, 0, pre_hook, &h);
    ss_engine_set_post_hook(w.eng, 1, post_hook, &h);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 2.5, &w.err), 0);
    CU_ASSERT_EQUAL(h.pre_calls, 2);
    CU_ASSERT_EQUAL(h.last_first, 2);
    CU_ASSERT_EQUAL(h.last_n, 2);
    /* the doubled weights are the ones delivered, at t = 2 */
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), -65 + 2 * exp(-0.05), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 1), -65 + 10 * exp(-0.05), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 2), -65 + 8 * exp(-0.05), 1e-9);
    /* weights keep doubling: neuron 2 gets 16 mV at t = 12 and fires */
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 12.5, &w.err), 0);
    CU_ASSERT(h.post_calls >= 1);
    ss_engine_counters c;
    ss_engine_get_counters(w.eng, &c);
    CU_ASSERT_EQUAL(c.spikes, w.sp.n);
    CU_ASSERT_EQUAL((int)ss_engine_layer_spikes(w.eng, 1), h.post_calls);
    CU_ASSERT_EQUAL(c.deliveries, 4);
    CU_ASSERT_EQUAL(c.syn_events, 8);
    ss_engine_reset_counters(w.eng);
    ss_engine_get_counters(w.eng, &c);
    CU_ASSERT_EQUAL(c.spikes, 0);
    world_free(&w);
}

static void test_inject_force_bias(void)
{
    world w;
    world_init(&w, 1);
    ss_neuron_params p = lif(-65, -50, -70, 10, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 2, &p, &w.err);
    p.tau_syn_exc_ms = 3;
    ss_network_add_neurons(w.net, "x", SS_LAYER_LIF_EXP, 1, &p, &w.err);
    ss_network_add_regular(w.net, "src", 1, 100, 50, &w.err);
    world_start(&w);
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 0, 0, 5, 4, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 1, 0, 5, 4, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_force_spike(w.eng, 0, 1, 10, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_force_spike(w.eng, 1, 0, 10, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 2, 0, 5, 4, &w.err), SS_EUSAGE); /* a source */
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 0, 7, 5, 4, &w.err), SS_EUSAGE); /* no such neuron */
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 9, 0, 5, 4, &w.err), SS_EUSAGE); /* no such layer */
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 6, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_inject(w.eng, 0, 0, 5, 4, &w.err), SS_EUSAGE); /* the past */
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 0, 0), -65 + 4 * exp(-0.1), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0),
                           -65 + 4 * 3.0 / (3 - 10) * (exp(-1.0 / 3) - exp(-0.1)), 1e-9);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 11, &w.err), 0);
    CU_ASSERT_EQUAL(w.sp.n, 2);
    CU_ASSERT_EQUAL(w.sp.t[0], 10);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 0, 1), -70, 0); /* refractory */
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), -70, 0);
    /* A bias that lifts V_inf to -45 mV: from V at t = 20 the neuron fires at
     * 20 + tau ln((V - V_inf)/(V_th - V_inf)). */
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 20, &w.err), 0);
    double v20 = ss_engine_potential(w.eng, 0, 0);
    CU_ASSERT_EQUAL(ss_engine_set_bias(w.eng, 0, 0, 20, &w.err), 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 0, 0), v20, 1e-12);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 49, &w.err), 0);
    CU_ASSERT_EQUAL_FATAL(w.sp.n, 3);
    CU_ASSERT_DOUBLE_EQUAL(w.sp.t[2], 20 + 10 * log((v20 + 45) / (-50 + 45)), 1e-9);
    /* ... and reset restores the layer's bias */
    ss_engine_reset(w.eng);
    size_t before = w.sp.n;
    ss_engine_run(w.eng, 49, &w.err);
    CU_ASSERT_EQUAL(w.sp.n, before);
    world_free(&w);
}

static void test_input_layer(void)
{
    world w;
    world_init(&w, 1);
    ss_network_add_input(w.net, "in", 3, &w.err);
    ss_network_add_input(w.net, "fast", 1, &w.err);
    world_start(&w);
    const double rates[3] = {0, 100, 250};
    CU_ASSERT_EQUAL(ss_engine_set_input(w.eng, 0, rates, SS_INPUT_REGULAR, 0, 100, &w.err), 0);
    const double fast = 1000;
    CU_ASSERT_EQUAL(ss_engine_set_input(w.eng, 1, &fast, SS_INPUT_POISSON, 0, 1000, &w.err), 0);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 1000, &w.err), 0);
    size_t n1 = 0, n2 = 0, nf = 0;
    for (size_t i = 0; i < w.sp.n; i++) {
        if (w.sp.layer[i] == 1) {
            nf++;
            continue;
        }
        CU_ASSERT_NOT_EQUAL(w.sp.neuron[i], 0);
        if (w.sp.neuron[i] == 1) {
            CU_ASSERT_DOUBLE_EQUAL(w.sp.t[i], 5 + 10.0 * (double)n1, 1e-12);
            n1++;
        }
        if (w.sp.neuron[i] == 2) {
            CU_ASSERT_DOUBLE_EQUAL(w.sp.t[i], 2 + 4.0 * (double)n2, 1e-12);
            n2++;
        }
        CU_ASSERT(w.sp.t[i] < 100);
    }
    CU_ASSERT_EQUAL(n1, 10);
    CU_ASSERT_EQUAL(n2, 25);
    /* Poisson: 1000 expected, sd ~32; 5 sd either way */
    CU_ASSERT(nf > 840 && nf < 1160);
    CU_ASSERT_EQUAL(ss_engine_set_input(w.eng, 0, rates, SS_INPUT_REGULAR, 500, 600, &w.err),
                    SS_EUSAGE); /* in the past */
    world_free(&w);
}

/* Individual delays: a row's synapses arrive at spike + their own delay. */
static void test_individual_delays(void)
{
    world w;
    world_init(&w, 1);
    const double t0 = 3;
    const uint32_t who = 0;
    ss_network_add_spike_train(w.net, "in", 1, &t0, &who, 1, &w.err);
    ss_neuron_params p = lif(-65, -40, -70, 10, 2);
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 2, &p, &w.err);
    const uint32_t pre[4] = {0, 0, 0, 0}, post[4] = {0, 1, 0, 1};
    const float wt[4] = {1, 2, 3, 4}, d[4] = {2.5f, 1.0f, 1.0f, 4.0f};
    CU_ASSERT_EQUAL(ss_network_add_synapses(w.net, "s", 0, 1, 4, pre, post, wt, d, 0, 0, &w.err),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_delay_ms(ss_network_projection(w.net, 0)), 1.0, 0);
    world_start(&w);
    const double probes[] = {3.9, 4.5, 5.6, 6.9, 7.5};
    for (int k = 0; k < 5; k++) {
        double t = probes[k];
        ss_engine_run(w.eng, t, &w.err);
        double v0 = -65, v1 = -65;
        for (int s = 0; s < 4; s++) {
            double arr = t0 + d[s];
            if (arr < t)
                *(post[s] ? &v1 : &v0) += wt[s] * exp(-(t - arr) / 10);
        }
        CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 0), v0, 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(w.eng, 1, 1), v1, 1e-9);
    }
    ss_engine_counters c;
    ss_engine_get_counters(w.eng, &c);
    CU_ASSERT_EQUAL(c.syn_events, 4);
    CU_ASSERT_EQUAL(c.deliveries, 3); /* one per distinct delay */
    world_free(&w);
}

static void test_interrupt(void)
{
    world w;
    world_init(&w, 1);
    ss_neuron_params p = lif(-40, -50, -60, 10, 1);
    p.v_init = SS_V_INIT_UNIFORM;
    ss_network_add_neurons(w.net, "n", SS_LAYER_LIF, 100, &p, &w.err);
    world_start(&w);
    volatile sig_atomic_t flag = 1;
    ss_engine_set_interrupt(w.eng, &flag);
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 10000, &w.err), SS_EINTR);
    CU_ASSERT(ss_engine_time(w.eng) < 10000);
    flag = 0;
    CU_ASSERT_EQUAL(ss_engine_run(w.eng, 10000, &w.err), 0);
    world_free(&w);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"lif tonic ISI equals the closed form to 1e-9", test_lif_tonic_isi},
        {"lif and lif_exp potentials equal the closed form", test_probe_potentials},
        {"lif_exp spike time equals brute-force integration", test_lif_exp_spike_vs_brute_force},
        {"lif_exp tonic ISI with refractory-end events", test_lif_exp_tonic_isi},
        {"recurrent lif network equals a reference simulation", test_against_reference},
        {"recurrent lif_exp network equals a reference simulation", test_against_reference_exp},
        {"simultaneous events order by kind and id", test_tie_order},
        {"same seed, same raster; another seed, another", test_same_seed_same_raster},
        {"reset drops pending events and restarts sources", test_reset},
        {"plasticity hooks and counters", test_hooks},
        {"injected input, forced spikes, bias changes", test_inject_force_bias},
        {"input layers: regular and Poisson windows", test_input_layer},
        {"individual delays", test_individual_delays},
        {"interrupt flag", test_interrupt},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("engine", cases);
    return ss_test_main();
}
