/* The STDP rule against its formula for hand-built spike pairs: LTP, LTD,
 * weight dependence, bounds, all-to-all vs nearest traces, long runs. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <spiksim/plasticity.h>

static ss_stdp_params params(double mu)
{
    ss_stdp_params p = {.eta = 0.1,
                        .a_plus = 1.0,
                        .a_minus = 0.5,
                        .tau_plus_ms = 20,
                        .tau_minus_ms = 10,
                        .mu = mu,
                        .w_min = 0,
                        .w_max = 1,
                        .nearest = 0};
    return p;
}

static void test_ltp_pair(void)
{
    /* pre at 10 ms, post at 15 ms: potentiation by eta A+ e^(-5/20) f+(w). */
    ss_stdp_params p = params(0);
    ss_trace_bank *pre = ss_trace_bank_alloc(1, p.tau_plus_ms, 0);
    ss_trace_bank_reset(pre, 0);
    ss_trace_bank_spike(pre, 0, 10);
    double x = ss_trace_bank_value(pre, 0, 15);
    CU_ASSERT_DOUBLE_EQUAL(x, exp(-5.0 / 20), 1e-12);
    float w = ss_stdp_on_post(&p, 0.5f, x, 1.0);
    CU_ASSERT_DOUBLE_EQUAL(w, 0.5 + 0.1 * exp(-0.25), 1e-6);
    /* multiplicative: scaled by (w_max - w) */
    p = params(1);
    w = ss_stdp_on_post(&p, 0.5f, x, 1.0);
    CU_ASSERT_DOUBLE_EQUAL(w, 0.5 + 0.1 * exp(-0.25) * 0.5, 1e-6);
    /* mu = 0.5 */
    p = params(0.5);
    w = ss_stdp_on_post(&p, 0.75f, x, 2.0);
    CU_ASSERT_DOUBLE_EQUAL(w, 0.75 + 2 * 0.1 * exp(-0.25) * sqrt(0.25), 1e-6);
    ss_trace_bank_free(pre);
}

static void test_ltd_pair(void)
{
    /* post at 10 ms, pre arrives at 12 ms: depression by eta A- e^(-2/10) f-(w). */
    ss_stdp_params p = params(1);
    ss_trace_bank *post = ss_trace_bank_alloc(3, p.tau_minus_ms, 0);
    ss_trace_bank_reset(post, 0);
    ss_trace_bank_spike(post, 2, 10);
    double y = ss_trace_bank_value(post, 2, 12);
    CU_ASSERT_DOUBLE_EQUAL(y, exp(-0.2), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ss_trace_bank_value(post, 0, 12), 0, 0);
    float w = ss_stdp_on_pre(&p, 0.4f, y, 1.0);
    CU_ASSERT_DOUBLE_EQUAL(w, 0.4 - 0.1 * 0.5 * exp(-0.2) * 0.4, 1e-6);
    ss_trace_bank_free(post);
}

static void test_bounds(void)
{
    ss_stdp_params p = params(0);
    CU_ASSERT_EQUAL(ss_stdp_on_post(&p, 0.99f, 5.0, 1.0), 1.0f); /* clipped at w_max */
    CU_ASSERT_EQUAL(ss_stdp_on_pre(&p, 0.01f, 5.0, 1.0), 0.0f);  /* clipped at w_min */
    p = params(1);
    CU_ASSERT_EQUAL(ss_stdp_on_post(&p, 1.0f, 5.0, 1.0), 1.0f); /* no room left */
    CU_ASSERT_EQUAL(ss_stdp_on_pre(&p, 0.0f, 5.0, 1.0), 0.0f);
    CU_ASSERT_EQUAL(ss_stdp_on_post(&p, 0.3f, 0.0, 1.0), 0.3f); /* no pre trace: no change */
}

static void test_pairing(void)
{
    /* pre spikes at 0 and 5 ms, read at 10 ms */
    ss_trace_bank *all = ss_trace_bank_alloc(1, 20, 0);
    ss_trace_bank *nearest = ss_trace_bank_alloc(1, 20, 1);
    ss_trace_bank_reset(all, 0);
    ss_trace_bank_reset(nearest, 0);
    ss_trace_bank_spike(all, 0, 0);
    ss_trace_bank_spike(all, 0, 5);
    ss_trace_bank_spike(nearest, 0, 0);
    ss_trace_bank_spike(nearest, 0, 5);
    CU_ASSERT_DOUBLE_EQUAL(ss_trace_bank_value(all, 0, 10), exp(-0.5) + exp(-0.25), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ss_trace_bank_value(nearest, 0, 10), exp(-0.25), 1e-12);
    ss_trace_bank_reset(all, 100);
    CU_ASSERT_DOUBLE_EQUAL(ss_trace_bank_value(all, 0, 100), 0, 0);
    ss_trace_bank_free(all);
    ss_trace_bank_free(nearest);
}

static void test_long_run(void)
{
    /* A spike every 7 ms for 100 s with tau 20 ms: rebasing keeps the value
     * equal to the direct sum of the last few spikes' decays. */
    ss_trace_bank *b = ss_trace_bank_alloc(1, 20, 0);
    ss_trace_bank_reset(b, 0);
    double t = 0;
    for (int k = 0; k < 14286; k++, t += 7)
        ss_trace_bank_spike(b, 0, t);
    double last = t - 7, read_at = last + 3, direct = 0;
    for (int k = 0; k < 200; k++)
        direct += exp(-(read_at - (last - 7 * k)) / 20);
    double v = ss_trace_bank_value(b, 0, read_at);
    CU_ASSERT_TRUE(isfinite(v));
    CU_ASSERT_DOUBLE_EQUAL(v, direct, 1e-9 * direct);
    ss_trace_bank_free(b);
}

static void test_from_config(void)
{
    ss_error err;
    ss_config *cfg = ss_config_load(
        ss_test_write("stdp.ini", "[plasticity]\neta = 0.2\npairing = nearest\nw_min = 1\nw_max = "
                                  "0.5\n"),
        NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_stdp_params p;
    CU_ASSERT_EQUAL(ss_stdp_params_from_config(&p, cfg, &err), SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stdp.ini:5: [plasticity] w_max: must be above w_min"));
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"LTP for pre-before-post", test_ltp_pair},
        {"LTD for post-before-pre", test_ltd_pair},
        {"weight bounds", test_bounds},
        {"all-to-all and nearest traces", test_pairing},
        {"traces over a long run", test_long_run},
        {"parameters from the model file", test_from_config},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("plasticity", cases);
    return ss_test_main();
}
