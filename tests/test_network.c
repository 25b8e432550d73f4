/* Networks: connectivity rules, compressed rows, summaries, and building
 * from model files, including the errors a model file can contain. */
#include "testutil.h"

#include <spiksim/config.h>
#include <spiksim/network.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static ss_network *two_layers(size_t n_pre, size_t n_post, int same)
{
    ss_network *net = ss_network_alloc();
    ss_neuron_params p;
    ss_neuron_params_default(&p);
    ss_network_add_neurons(net, "a", SS_LAYER_LIF, n_pre, &p, NULL);
    if (!same)
        ss_network_add_neurons(net, "b", SS_LAYER_LIF, n_post, &p, NULL);
    return net;
}

/* Rows are sorted by target, hold no duplicates, and match the counts. */
static void check_rows(const ss_projection *p, size_t n_pre, size_t n_post)
{
    const uint32_t *row = ss_projection_row_ptr(p), *tg = ss_projection_targets(p);
    CU_ASSERT_EQUAL(row[0], 0);
    CU_ASSERT_EQUAL(row[n_pre], ss_projection_n_synapses(p));
    for (size_t i = 0; i < n_pre; i++)
        for (uint32_t s = row[i]; s < row[i + 1]; s++) {
            CU_ASSERT(tg[s] < n_post);
            if (s > row[i])
                CU_ASSERT(tg[s] > tg[s - 1]);
        }
}

static void test_all_and_one_to_one(void)
{
    ss_error err = {0};
    ss_network *net = two_layers(7, 5, 0);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    CU_ASSERT_EQUAL(ss_network_connect(net, "all", 0, 1, &s, 1, &err), 0);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 0)), 35);
    check_rows(ss_network_projection(net, 0), 7, 5);
    /* all onto itself without autapses: n(n-1) */
    CU_ASSERT_EQUAL(ss_network_connect(net, "self", 0, 0, &s, 1, &err), 1);
    ss_projection *p = ss_network_projection(net, 1);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(p), 42);
    for (size_t i = 0; i < 7; i++)
        for (uint32_t k = ss_projection_row_ptr(p)[i]; k < ss_projection_row_ptr(p)[i + 1]; k++)
            CU_ASSERT_NOT_EQUAL(ss_projection_targets(p)[k], i);
    s.autapses = 1;
    CU_ASSERT_EQUAL(ss_network_connect(net, "self2", 0, 0, &s, 1, &err), 2);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 2)), 49);
    s.connect = SS_CONNECT_ONE_TO_ONE;
    CU_ASSERT_EQUAL(ss_network_connect(net, "diag", 0, 0, &s, 1, &err), 3);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 3)), 7);
    CU_ASSERT_EQUAL(ss_network_connect(net, "bad", 0, 1, &s, 1, &err), SS_ECONFIG);
    CU_ASSERT(strstr(err.msg, "one size") != NULL);
    CU_ASSERT_EQUAL(ss_network_connect(net, "all", 0, 1, &s, 1, &err), SS_ECONFIG); /* name */
    CU_ASSERT_EQUAL(ss_network_find_projection(net, "diag"), 3);
    CU_ASSERT_EQUAL(ss_network_find_layer(net, "b"), 1);
    CU_ASSERT_EQUAL(ss_network_find_layer(net, "zz"), -1);
    ss_network_free(net);
}

static void test_fixed_prob(void)
{
    ss_error err = {0};
    ss_network *net = two_layers(400, 300, 0);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.connect = SS_CONNECT_FIXED_PROB;
    s.p = 0.1;
    CU_ASSERT_EQUAL(ss_network_connect(net, "p", 0, 1, &s, 1, &err), 0);
    size_t n = ss_projection_n_synapses(ss_network_projection(net, 0));
    /* 12000 expected, sd ~104: 5 sd */
    CU_ASSERT(n > 11480 && n < 12520);
    check_rows(ss_network_projection(net, 0), 400, 300);
    s.p = 0;
    CU_ASSERT_EQUAL(ss_network_connect(net, "none", 0, 1, &s, 1, &err), 1);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 1)), 0);
    s.p = 1;
    CU_ASSERT_EQUAL(ss_network_connect(net, "full", 0, 0, &s, 1, &err), 2);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 2)), 400 * 399);
    s.p = 1.5;
    const char *bad = NULL;
    CU_ASSERT_EQUAL(ss_projection_spec_check(&s, &bad, &err), SS_ECONFIG);
    CU_ASSERT_STRING_EQUAL(bad, "p");
    ss_network_free(net);
}

static void test_fixed_indegree(void)
{
    ss_error err = {0};
    ss_network *net = two_layers(50, 50, 1);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.connect = SS_CONNECT_FIXED_INDEGREE;
    s.indegree = 49;
    CU_ASSERT_EQUAL(ss_network_connect(net, "k", 0, 0, &s, 1, &err), 0);
    ss_projection *p = ss_network_projection(net, 0);
    CU_ASSERT_EQUAL(ss_projection_build_incoming(p, &err), 0);
    const uint32_t *in = ss_projection_in_ptr(p), *pre = ss_projection_in_pre(p),
                   *syn = ss_projection_in_syn(p);
    for (uint32_t j = 0; j < 50; j++) {
        CU_ASSERT_EQUAL(in[j + 1] - in[j], 49);
        for (uint32_t k = in[j]; k < in[j + 1]; k++) {
            CU_ASSERT_NOT_EQUAL(pre[k], j);
            CU_ASSERT_EQUAL(ss_projection_targets(p)[syn[k]], j);
            CU_ASSERT(syn[k] >= ss_projection_row_ptr(p)[pre[k]] &&
                      syn[k] < ss_projection_row_ptr(p)[pre[k] + 1]);
            if (k > in[j])
                CU_ASSERT(pre[k] > pre[k - 1]);
        }
    }
    s.indegree = 50; /* without autapses only 49 candidates */
    CU_ASSERT_EQUAL(ss_network_connect(net, "k2", 0, 0, &s, 1, &err), SS_ECONFIG);
    s.indegree = 10;
    CU_ASSERT_EQUAL(ss_network_connect(net, "k3", 0, 0, &s, 1, &err), 1);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 1)), 500);
    ss_network_free(net);
}

static void test_weights_and_delays(void)
{
    ss_error err = {0};
    ss_network *net = two_layers(100, 100, 0);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    s.weight_dist = SS_WEIGHT_UNIFORM;
    s.weight_min = -1;
    s.weight_max = 3;
    ss_network_connect(net, "u", 0, 1, &s, 1, &err);
    s.weight_dist = SS_WEIGHT_NORMAL;
    s.weight = 0.5;
    s.weight_sd = 1;
    s.weight_min = 0;
    s.weight_max = 1;
    s.delay_ms = 1;
    s.delay_max_ms = 3;
    ss_network_connect(net, "n", 0, 1, &s, 1, &err);
    ss_projection *pu = ss_network_projection(net, 0), *pn = ss_network_projection(net, 1);
    double mean = 0;
    for (size_t k = 0; k < 10000; k++) {
        float w = ss_projection_weights(pu)[k];
        CU_ASSERT(w >= -1 && w <= 3);
        mean += w / 10000.0;
    }
    CU_ASSERT_DOUBLE_EQUAL(mean, 1, 0.05); /* sd of the mean ~0.012 */
    CU_ASSERT_PTR_NULL(ss_projection_delays(pu));
    const float *d = ss_projection_delays(pn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    const uint32_t *row = ss_projection_row_ptr(pn);
    for (size_t i = 0; i < 100; i++)
        for (uint32_t k = row[i]; k < row[i + 1]; k++) {
            float w = ss_projection_weights(pn)[k];
            CU_ASSERT(w >= 0 && w <= 1);
            CU_ASSERT(d[k] >= 1 && d[k] <= 3);
            if (k > row[i]) /* sorted by delay within the row */
                CU_ASSERT(d[k] >= d[k - 1]);
        }
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_bytes_per_synapse(pu), 8, 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_bytes_per_synapse(pn), 12, 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_bytes_per_synapse_total(pu), 8 + 101.0 * 4 / 10000, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_bytes_per_synapse_total(pn), 12 + 101.0 * 4 / 10000,
                           1e-12);
    ss_network_summary sum;
    ss_network_summarize(net, &sum);
    CU_ASSERT_EQUAL(sum.n_layers, 2);
    CU_ASSERT_EQUAL(sum.n_projections, 2);
    CU_ASSERT_EQUAL(sum.n_neurons, 200);
    CU_ASSERT_EQUAL(sum.n_synapses, 20000);
    CU_ASSERT_EQUAL(sum.synapse_bytes, 20000 * 8 + 10000 * 4 + 2 * 101 * 4);
    CU_ASSERT_DOUBLE_EQUAL(sum.bytes_per_synapse, 10, 0);
    CU_ASSERT_DOUBLE_EQUAL(sum.bytes_per_synapse_total, (20000.0 * 8 + 40000 + 808) / 20000, 1e-12);
    CU_ASSERT(sum.estimated_bytes > sum.synapse_bytes);
    /* bounds that hold almost none of the normal: refused, not looped on */
    s.weight = 10;
    s.weight_sd = 0.1;
    CU_ASSERT_EQUAL(ss_network_connect(net, "far", 0, 1, &s, 1, &err), SS_ECONFIG);
    ss_network_free(net);
}

static void test_explicit_synapses(void)
{
    ss_error err = {0};
    ss_network *net = two_layers(3, 2, 0);
    ss_network_add_poisson(net, "src", 2, 5, 0, &err);
    const uint32_t pre[3] = {2, 0, 2}, post[3] = {1, 1, 0};
    const float w[3] = {0.5f, 0.25f, 0.75f};
    CU_ASSERT_EQUAL(ss_network_add_synapses(net, "x", 0, 1, 3, pre, post, w, NULL, 2, 1, &err), 0);
    ss_projection *p = ss_network_projection(net, 0);
    const uint32_t *row = ss_projection_row_ptr(p);
    CU_ASSERT_EQUAL(row[1], 1);
    CU_ASSERT_EQUAL(row[2], 1);
    CU_ASSERT_EQUAL(row[3], 3);
    CU_ASSERT_EQUAL(ss_projection_targets(p)[1], 0); /* row 2 sorted: 0 then 1 */
    CU_ASSERT_EQUAL(ss_projection_weights(p)[1], 0.75f);
    CU_ASSERT(ss_projection_plastic(p));
    CU_ASSERT_EQUAL(ss_projection_from(p), 0);
    CU_ASSERT_EQUAL(ss_projection_to(p), 1);
    const uint32_t bad_post = 5;
    CU_ASSERT_EQUAL(ss_network_add_synapses(net, "y", 0, 1, 1, pre, &bad_post, w, NULL, 2, 0, &err),
                    SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_network_add_synapses(net, "z", 0, 2, 1, pre, post, w, NULL, 2, 0, &err),
                    SS_ECONFIG); /* onto a source */
    CU_ASSERT_EQUAL(ss_network_add_synapses(net, "d", 0, 1, 1, pre, post, w, NULL, -1, 0, &err),
                    SS_ECONFIG); /* negative delay */
    CU_ASSERT_EQUAL(ss_layer_offset(ss_network_layer(net, 2)), 5);
    CU_ASSERT_STRING_EQUAL(ss_layer_type_name(ss_layer_type_of(ss_network_layer(net, 2))),
                           "poisson");
    CU_ASSERT_PTR_NULL(ss_layer_params(ss_network_layer(net, 2)));
    CU_ASSERT_EQUAL(ss_network_add_poisson(net, "src", 1, 5, 0, &err), SS_ECONFIG); /* twice */
    ss_network_free(net);
}

/* ---- model files ---- */

static ss_network *build(const char *text, ss_error *err)
{
    const char *path = ss_test_write("net.ini", text);
    ss_config *cfg = ss_config_load(path, NULL, 0, err);
    if (!cfg)
        return NULL;
    ss_network *net = ss_network_from_config(cfg, 1, err);
    ss_config_free(cfg);
    return net;
}

static void test_bench4_model(void)
{
    ss_error err = {0};
    ss_config *cfg = ss_config_load(ss_test_src("models/bench4.ini"), NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_network *net = ss_network_from_config(cfg, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    CU_ASSERT_EQUAL(ss_network_n_layers(net), 2);
    CU_ASSERT_EQUAL(ss_network_n_neurons(net), 4000);
    CU_ASSERT_EQUAL(ss_network_n_projections(net), 4);
    ss_network_summary s;
    ss_network_summarize(net, &s);
    /* 0.02 * (4000^2 - 4000) = 319920 expected, sd ~560 */
    CU_ASSERT(s.n_synapses > 317000 && s.n_synapses < 322800);
    CU_ASSERT_DOUBLE_EQUAL(s.bytes_per_synapse, 8, 0); /* the goal: <= 8 B static synapses */
    CU_ASSERT(s.bytes_per_synapse_total < 8.2);
    const ss_neuron_params *p = ss_layer_params(ss_network_layer(net, 0));
    CU_ASSERT_DOUBLE_EQUAL(p->e_l_mv, -49, 0);
    CU_ASSERT_EQUAL(p->v_init, SS_V_INIT_UNIFORM);
    ss_projection *ie = ss_network_projection(net, 2);
    CU_ASSERT_STRING_EQUAL(ss_projection_name(ie), "ie");
    CU_ASSERT_EQUAL(ss_projection_weights(ie)[0], -2.25f);
    CU_ASSERT_DOUBLE_EQUAL(ss_projection_delay_ms(ie), 0.1, 0);
    ss_network_free(net);
    /* same seed, same network; another seed, another */
    ss_network *a = ss_network_from_config(cfg, 1, &err);
    ss_network *b = ss_network_from_config(cfg, 2, &err);
    ss_network_summary sa, sb;
    ss_network_summarize(a, &sa);
    ss_network_summarize(b, &sb);
    CU_ASSERT_EQUAL(sa.n_synapses, s.n_synapses);
    CU_ASSERT_NOT_EQUAL(sa.n_synapses, sb.n_synapses);
    ss_network_free(a);
    ss_network_free(b);
    ss_config_free(cfg);
}

static void expect_error(const char *text, int code, const char *needle)
{
    ss_error err = {0};
    ss_network *net = build(text, &err);
    CU_ASSERT_PTR_NULL(net);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT_EQUAL(ss_error_exit_status(err.code), 2);
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "\n  expected '%s' in: %s\n", needle, err.msg);
        CU_FAIL("message");
    }
    ss_network_free(net);
}

static void test_model_errors(void)
{
    /* V_th <= V_reset, at the line that set it */
    expect_error("[layer.a]\nsize = 3\nv_th_mv = -70\nv_reset_mv = -65\n", SS_ECONFIG,
                 "net.ini:3: [layer.a] v_th_mv:");
    expect_error("[layer.a]\nsize = 3\n\nv_reset_mv = -40\n", SS_ECONFIG,
                 "net.ini:4: [layer.a] v_reset_mv:");
    /* a projection naming an unknown layer */
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = b\n", SS_ECONFIG,
                 "net.ini:5: [projection.p] to: no layer named 'b'");
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = x\nto = a\n", SS_ECONFIG,
                 "net.ini:4: [projection.p] from: no layer named 'x'");
    /* onto a source */
    expect_error("[layer.a]\nsize = 3\n[layer.s]\ntype = poisson\nsize = 2\n"
                 "[projection.p]\nfrom = a\nto = s\n",
                 SS_ECONFIG, "net.ini:8: [projection.p] to:");
    /* one_to_one between sizes that differ */
    expect_error("[layer.a]\nsize = 3\n[layer.b]\nsize = 2\n"
                 "[projection.p]\nfrom = a\nto = b\nconnect = one_to_one\n",
                 SS_ECONFIG, "net.ini:8: [projection.p] connect:");
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\n"
                 "connect = fixed_indegree\nindegree = 3\n",
                 SS_ECONFIG, "net.ini:7: [projection.p] indegree:");
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\n"
                 "weight_dist = uniform\nweight_min = 2\nweight_max = 1\n",
                 SS_ECONFIG, "net.ini:8: [projection.p] weight_max:");
    /* the table catches these at load time, with the line */
    expect_error("[layer.a]\nsize = 3\ntau_m_ms = 0\n", SS_ECONFIG, "net.ini:3");
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\ndelay_ms = -1\n",
                 SS_ECONFIG, "net.ini:6");
    expect_error("[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\np = 1.5\n", SS_ECONFIG,
                 "net.ini:6");
    /* spike files: errors name the spike file and its line */
    ss_test_write("bad_spikes.csv", "time_ms,neuron\n1.0,0\n0.5,1\n");
    /* (relative paths resolve against the model file's directory) */
    expect_error("[layer.s]\ntype = spike_file\nsize = 2\nspike_file = bad_spikes.csv\n", SS_EDATA,
                 "bad_spikes.csv:3: times are not sorted");
    expect_error("[layer.s]\ntype = spike_file\nsize = 2\nspike_file = missing.csv\n", SS_ECONFIG,
                 "net.ini:4: [layer.s] spike_file:");
    expect_error("[layer.s]\ntype = spike_file\nsize = 2\n", SS_ECONFIG,
                 "[layer.s] type: a spike_file layer needs");
}

static void test_model_sources(void)
{
    ss_test_write("good_spikes.csv", "time_ms,neuron\n# a comment\n1.5,1\n\n2,0\n2,1\n");
    const char *text = "[layer.s]\ntype = spike_file\nsize = 2\nspike_file = good_spikes.csv\n"
                       "[layer.p]\ntype = poisson\nsize = 4\nrate_hz = 12\n"
                       "[layer.r]\ntype = regular\nsize = 1\nisi_ms = 4\n"
                       "[layer.in]\ntype = input\nsize = 5\n"
                       "[layer.x]\ntype = lif_exp\nsize = 2\ntau_syn_exc_ms = 3\n"
                       "[projection.q]\nfrom = p\nto = x\nconnect = all\nweight = 0.5\n";
    ss_error err = {0};
    ss_network *net = build(text, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    CU_ASSERT_EQUAL(ss_network_n_layers(net), 5);
    CU_ASSERT_EQUAL(ss_layer_type_of(ss_network_layer(net, 0)), SS_LAYER_SPIKE_FILE);
    CU_ASSERT_DOUBLE_EQUAL(ss_layer_rate_hz(ss_network_layer(net, 1)), 12, 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_layer_rate_hz(ss_network_layer(net, 2)), 250, 1e-12);
    CU_ASSERT_EQUAL(ss_layer_type_of(ss_network_layer(net, 3)), SS_LAYER_INPUT);
    CU_ASSERT_DOUBLE_EQUAL(ss_layer_params(ss_network_layer(net, 4))->tau_syn_exc_ms, 3, 0);
    CU_ASSERT_EQUAL(ss_projection_n_synapses(ss_network_projection(net, 0)), 8);
    ss_network_free(net);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"all and one_to_one, autapses", test_all_and_one_to_one},
        {"fixed_prob counts within bounds", test_fixed_prob},
        {"fixed_indegree and the incoming index", test_fixed_indegree},
        {"weight distributions, individual delays, bytes", test_weights_and_delays},
        {"explicit synapse lists", test_explicit_synapses},
        {"models/bench4.ini builds, reproducibly", test_bench4_model},
        {"model-file errors name FILE:LINE", test_model_errors},
        {"model files with every source type", test_model_sources},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("network", cases);
    return ss_test_main();
}
