/* Recording and raster files, and free-running model runs. */
#include "testutil.h"

#include <spiksim/config.h>
#include <spiksim/engine.h>
#include <spiksim/record.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_recorder_and_raster(void)
{
    ss_error err = {0};
    ss_network *net = ss_network_alloc();
    ss_network_add_regular(net, "slow", 2, 10, 5, &err);
    ss_network_add_regular(net, "fast", 1, 2.5, 0, &err);
    ss_engine *eng = ss_engine_alloc(net, NULL, &err);
    ss_recorder *rec = ss_recorder_alloc(net);
    CU_ASSERT_EQUAL(ss_recorder_attach(rec, eng), 0);
    CU_ASSERT_EQUAL(ss_engine_run(eng, 16, &err), 0);
    const double *t;
    const uint32_t *n;
    CU_ASSERT_EQUAL(ss_recorder_spikes(rec, 0, &t, &n), 4);
    CU_ASSERT_EQUAL(t[0], 5);
    CU_ASSERT_EQUAL(n[1], 1);
    CU_ASSERT_EQUAL(ss_recorder_spikes(rec, 1, &t, &n), 7);
    CU_ASSERT_EQUAL(ss_recorder_total(rec), 11);
    const char *path = ss_test_tmp("raster.csv");
    CU_ASSERT_EQUAL(ss_recorder_write_csv(rec, path, &err), 0);
    char *text = ss_test_read(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "time_ms,layer,neuron\n"
                                 "0.000000,fast,0\n"
                                 "2.500000,fast,0\n"
                                 "5.000000,slow,0\n"
                                 "5.000000,slow,1\n"
                                 "5.000000,fast,0\n"
                                 "7.500000,fast,0\n"
                                 "10.000000,fast,0\n"
                                 "12.500000,fast,0\n"
                                 "15.000000,slow,0\n"
                                 "15.000000,slow,1\n"
                                 "15.000000,fast,0\n");
    free(text);
    /* the atomic writer leaves no temporary file behind */
    DIR *d = opendir(ss_test_tmp(""));
    struct dirent *e;
    while (d && (e = readdir(d)))
        CU_ASSERT(strncmp(e->d_name, ".raster.csv.", 12) != 0);
    if (d)
        closedir(d);
    CU_ASSERT_NOT_EQUAL(ss_recorder_write_csv(rec, "/nonexistent/dir/r.csv", &err), 0);
    /* a layer switched off, cleared, detached */
    ss_recorder_clear(rec);
    ss_recorder_enable(rec, 1, 0);
    ss_engine_run(eng, 26, &err);
    CU_ASSERT_EQUAL(ss_recorder_spikes(rec, 0, NULL, NULL), 2);
    CU_ASSERT_EQUAL(ss_recorder_spikes(rec, 1, NULL, NULL), 0);
    ss_recorder_detach(rec, eng);
    ss_engine_run(eng, 40, &err);
    CU_ASSERT_EQUAL(ss_recorder_total(rec), 2);
    CU_ASSERT_EQUAL(ss_recorder_status(rec), 0);
    CU_ASSERT_PTR_EQUAL(ss_recorder_network(rec), net);
    ss_recorder_free(rec);
    ss_engine_free(eng);
    ss_network_free(net);
}

static const char *model = "[simulation]\nseed = 3\nduration_ms = 500\n"
                           "[layer.src]\ntype = poisson\nsize = 20\nrate_hz = 50\n"
                           "[layer.out]\ntype = lif\nsize = 10\ntau_m_ms = 10\n"
                           "[projection.p]\nfrom = src\nto = out\nweight = 4\n";

/* ss_simulate_free: raster written atomically, same seed same file, stats
 * consistent with the raster. */
static void test_simulate_free(void)
{
    ss_error err = {0};
    const char *mpath = ss_test_write("free.ini", model);
    ss_config *cfg = ss_config_load(mpath, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    char a_path[4096], b_path[4096];
    snprintf(a_path, sizeof a_path, "%s", ss_test_tmp("free_a.csv"));
    snprintf(b_path, sizeof b_path, "%s", ss_test_tmp("free_b.csv"));
    ss_run_stats st;
    CU_ASSERT_EQUAL_FATAL(ss_simulate_free(cfg, 3, a_path, &st, &err), 0);
    CU_ASSERT_EQUAL(ss_simulate_free(cfg, 3, b_path, NULL, &err), 0);
    char *a = ss_test_read(a_path, NULL), *b = ss_test_read(b_path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(a, b);
    size_t rows = 0, out_rows = 0;
    for (char *c = a; *c; c++)
        if (*c == '\n')
            rows++;
    for (char *c = strstr(a, ",out,"); c; c = strstr(c + 1, ",out,"))
        out_rows++;
    CU_ASSERT_EQUAL(rows - 1, st.spikes);
    CU_ASSERT_EQUAL(st.n_layers, 2);
    CU_ASSERT_STRING_EQUAL(st.layers[1].name, "out");
    CU_ASSERT_STRING_EQUAL(st.layers[1].type, "lif");
    CU_ASSERT_EQUAL(st.layers[1].spikes, out_rows);
    CU_ASSERT_DOUBLE_EQUAL(st.layers[0].rate_hz, 50, 10);
    CU_ASSERT_DOUBLE_EQUAL(st.layers[0].cv_isi, 1, 0.2);
    CU_ASSERT_DOUBLE_EQUAL(st.layers[1].rate_hz, (double)out_rows / 10 / 0.5, 1e-9);
    /* every source spike reaches the 10 targets 1 ms later, if before the end */
    size_t delivered = 0;
    for (char *c = strchr(a, '\n'); c && c[1]; c = strchr(c + 1, '\n')) {
        double t = strtod(c + 1, NULL);
        if (strncmp(strchr(c + 1, ','), ",src,", 5) == 0 && t + 1 < 500)
            delivered++;
    }
    CU_ASSERT(delivered > 0 && delivered <= st.layers[0].spikes);
    CU_ASSERT_EQUAL(st.syn_events, delivered * 10);
    CU_ASSERT_EQUAL(st.net.n_synapses, 200);
    CU_ASSERT_DOUBLE_EQUAL(st.duration_ms, 500, 0);
    ss_run_stats_free(&st);
    free(b);
    CU_ASSERT_EQUAL(ss_simulate_free(cfg, 4, b_path, NULL, &err), 0);
    b = ss_test_read(b_path, NULL);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    free(a);
    free(b);
    CU_ASSERT_EQUAL(ss_simulate_free(cfg, 3, "/nonexistent/dir/r.csv", NULL, &err), SS_EUSAGE);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"recorder buffers and the raster CSV", test_recorder_and_raster},
        {"free-running runs: raster and statistics", test_simulate_free},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("record", cases);
    return ss_test_main();
}
