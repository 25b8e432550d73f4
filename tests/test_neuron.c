/* Neuron models: the closed forms against independent computations. */
#include "testutil.h"

#include <spiksim/neuron.h>

#include <gsl/gsl_rng.h>
#include <math.h>

static ss_neuron_params lif_exp_params(double tau_e, double tau_i)
{
    ss_neuron_params p;
    ss_neuron_params_default(&p);
    p.tau_m_ms = 20;
    p.e_l_mv = -65;
    p.v_th_mv = -50;
    p.v_reset_mv = -70;
    p.tau_syn_exc_ms = tau_e;
    p.tau_syn_inh_ms = tau_i;
    return p;
}

static void test_lif_closed_forms(void)
{
    ss_neuron_params p;
    ss_neuron_params_default(&p);
    p.tau_m_ms = 10;
    p.e_l_mv = -60;
    p.bias_mv = 15; /* V_inf = -45 */
    p.v_th_mv = -50;
    p.v_reset_mv = -70;
    p.t_ref_ms = 3;
    /* V(t) solves tau dV/dt = -(V - V_inf): check by a central difference. */
    double h = 1e-5, v0 = -68;
    for (double t = 0.5; t < 30; t += 2.5) {
        double v = ss_lif_potential(&p, v0, t);
        double dv = (ss_lif_potential(&p, v0, t + h) - ss_lif_potential(&p, v0, t - h)) / (2 * h);
        CU_ASSERT_DOUBLE_EQUAL(p.tau_m_ms * dv, -(v - (-45)), 1e-6);
    }
    CU_ASSERT_DOUBLE_EQUAL(ss_lif_potential(&p, v0, 0), v0, 1e-12);
    double tt = ss_lif_time_to_threshold(&p, -70);
    CU_ASSERT_DOUBLE_EQUAL(ss_lif_potential(&p, -70, tt), -50, 1e-10);
    CU_ASSERT_DOUBLE_EQUAL(ss_lif_isi_ms(&p), 3 + 10 * log(25.0 / 5.0), 1e-12);
    CU_ASSERT_EQUAL(ss_lif_time_to_threshold(&p, -49), 0);
    p.bias_mv = 10; /* V_inf = -50 = V_th: never reached */
    CU_ASSERT(isinf(ss_lif_time_to_threshold(&p, -70)));
    CU_ASSERT(isinf(ss_lif_isi_ms(&p)));
    CU_ASSERT_EQUAL(ss_lif_rate_hz(&p, -55), 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_lif_rate_hz(&p, -45), 1000.0 / (3 + 10 * log(25.0 / 5.0)), 1e-9);
}

/* V(t) of lif_exp from (V0, I_e, I_i) by the textbook formula (MATH.md),
 * valid for tau_s != tau_m. */
static double textbook_v(const ss_neuron_params *p, const ss_lif_exp_state *s, double t)
{
    double vinf = p->e_l_mv + p->bias_mv, tm = p->tau_m_ms;
    double v = vinf + (s->v_mv - vinf) * exp(-t / tm);
    double te = p->tau_syn_exc_ms, ti = p->tau_syn_inh_ms;
    v += s->i_exc_mv * te / (te - tm) * (exp(-t / te) - exp(-t / tm));
    v += s->i_inh_mv * ti / (ti - tm) * (exp(-t / ti) - exp(-t / tm));
    return v;
}

static void test_lif_exp_closed_form(void)
{
    ss_neuron_params p = lif_exp_params(5, 10);
    ss_lif_exp_state s = {-62, 7, -3};
    for (double t = 0; t < 100; t += 3.7)
        CU_ASSERT_DOUBLE_EQUAL(ss_lif_exp_potential(&p, &s, t), textbook_v(&p, &s, t), 1e-10);
    /* Advancing in two steps equals advancing in one. */
    ss_lif_exp_state a = s, b = s;
    ss_lif_exp_advance(&p, &a, 4.25);
    ss_lif_exp_advance(&p, &a, 7.5);
    ss_lif_exp_advance(&p, &b, 11.75);
    CU_ASSERT_DOUBLE_EQUAL(a.v_mv, b.v_mv, 1e-11);
    CU_ASSERT_DOUBLE_EQUAL(a.i_exc_mv, b.i_exc_mv, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(a.i_inh_mv, b.i_inh_mv, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(b.i_exc_mv, 7 * exp(-11.75 / 5), 1e-12);
}

/* tau_syn == tau_m uses the limit (t/tau) e^{-t/tau}: continuous in tau_syn. */
static void test_lif_exp_equal_time_constants(void)
{
    ss_neuron_params eq = lif_exp_params(20, 20);
    ss_neuron_params near = lif_exp_params(20 * (1 + 1e-7), 20 * (1 - 1e-7));
    ss_lif_exp_state s = {-60, 4, -2};
    for (double t = 0.5; t < 80; t += 5) {
        double v = ss_lif_exp_potential(&eq, &s, t);
        CU_ASSERT_DOUBLE_EQUAL(v, ss_lif_exp_potential(&near, &s, t), 1e-6);
        double vinf = -65;
        double expect = vinf + (-60 - vinf) * exp(-t / 20) + (4 - 2) * (t / 20) * exp(-t / 20);
        CU_ASSERT_DOUBLE_EQUAL(v, expect, 1e-10);
    }
}

/* Brute force: RK4 on the ODE with a fine step, first crossing located by
 * linear interpolation; INFINITY if none before horizon. */
static double brute_crossing(const ss_neuron_params *p, ss_lif_exp_state s, double h,
                             double horizon)
{
    double vinf = p->e_l_mv + p->bias_mv;
    double y[3] = {s.v_mv, s.i_exc_mv, s.i_inh_mv};
    if (y[0] >= p->v_th_mv)
        return 0;
    for (double t = 0; t < horizon; t += h) {
        double k[4][3], tmp[3];
        for (int st = 0; st < 4; st++) {
            const double c = st == 0 ? 0 : (st == 3 ? 1 : 0.5);
            for (int i = 0; i < 3; i++)
                tmp[i] = y[i] + (st ? c * h * k[st - 1][i] : 0);
            k[st][0] = (-(tmp[0] - vinf) + tmp[1] + tmp[2]) / p->tau_m_ms;
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

/* Crossing times against brute force over random states; with step h the
 * interpolated brute-force crossing is good to well under h^2 * |V''|/|V'|,
 * so 1e-6 ms at h = 1e-3 ms is a bound that any real error would exceed. */
static void test_lif_exp_crossing_vs_brute_force(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    int crossings = 0, none = 0;
    for (int trial = 0; trial < 60; trial++) {
        double te = trial % 3 == 0 ? 20 : 2 + 8 * gsl_rng_uniform(rng);
        ss_neuron_params p = lif_exp_params(te, 5 + 10 * gsl_rng_uniform(rng));
        p.bias_mv = trial % 4 == 0 ? 16 : 0; /* some tonic */
        ss_lif_exp_state s = {-70 + 19 * gsl_rng_uniform(rng), 40 * gsl_rng_uniform(rng),
                              -30 * gsl_rng_uniform(rng)};
        double t = ss_lif_exp_time_to_threshold(&p, &s, trial % 2 ? solver : NULL);
        double b = brute_crossing(&p, s, 1e-3, 300);
        if (isinf(b)) {
            CU_ASSERT(isinf(t) || t > 299);
            none++;
        } else {
            CU_ASSERT_DOUBLE_EQUAL(t, b, 1e-6);
            /* and V really is at threshold there */
            CU_ASSERT_DOUBLE_EQUAL(ss_lif_exp_potential(&p, &s, t), p.v_th_mv, 1e-8);
            crossings++;
        }
    }
    CU_ASSERT(crossings >= 10);
    CU_ASSERT(none >= 5);
    gsl_root_fsolver_free(solver);
    gsl_rng_free(rng);
}

/* A crossing after a dip: fast inhibition first pulls V down, the slower
 * excitation then lifts it over threshold.  The search must find it, and V
 * must stay below threshold everywhere before it. */
static void test_lif_exp_first_crossing(void)
{
    ss_neuron_params p = lif_exp_params(15, 2);
    ss_lif_exp_state s = {-55, 45, -60};
    double t = ss_lif_exp_time_to_threshold(&p, &s, NULL);
    double b = brute_crossing(&p, s, 1e-3, 200);
    CU_ASSERT(isfinite(b));
    CU_ASSERT_DOUBLE_EQUAL(t, b, 1e-6);
    for (double u = 0; u < t - 1e-6; u += t / 1000)
        CU_ASSERT(ss_lif_exp_potential(&p, &s, u) < p.v_th_mv);
}

static void test_params_check(void)
{
    ss_neuron_params p;
    ss_neuron_params_default(&p);
    ss_error err = {0};
    const char *bad = NULL;
    CU_ASSERT_EQUAL(ss_neuron_params_check(&p, &bad, &err), 0);
    CU_ASSERT_PTR_NULL(bad);
    p.v_th_mv = p.v_reset_mv;
    CU_ASSERT_EQUAL(ss_neuron_params_check(&p, &bad, &err), SS_ECONFIG);
    CU_ASSERT_STRING_EQUAL(bad, "v_th_mv");
    ss_neuron_params_default(&p);
    p.tau_m_ms = 0;
    CU_ASSERT_EQUAL(ss_neuron_params_check(&p, &bad, &err), SS_ECONFIG);
    CU_ASSERT_STRING_EQUAL(bad, "tau_m_ms");
    ss_neuron_params_default(&p);
    p.tau_syn_inh_ms = -1;
    CU_ASSERT_EQUAL(ss_neuron_params_check(&p, &bad, &err), SS_ECONFIG);
    CU_ASSERT_STRING_EQUAL(bad, "tau_syn_inh_ms");
    ss_neuron_params_default(&p);
    p.t_ref_ms = -0.5;
    CU_ASSERT_EQUAL(ss_neuron_params_check(&p, &bad, &err), SS_ECONFIG);
    CU_ASSERT_STRING_EQUAL(bad, "t_ref_ms");
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"lif closed forms", test_lif_closed_forms},
        {"lif_exp potential equals the textbook formula", test_lif_exp_closed_form},
        {"lif_exp with tau_syn == tau_m", test_lif_exp_equal_time_constants},
        {"lif_exp crossings equal brute-force integration", test_lif_exp_crossing_vs_brute_force},
        {"lif_exp finds the first crossing after a dip", test_lif_exp_first_crossing},
        {"parameter checks name the key", test_params_check},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("neuron", cases);
    return ss_test_main();
}
