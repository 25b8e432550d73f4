/* Spike sources: spike files, and the statistics and timing of Poisson,
 * regular and spike-file layers. */
#include "testutil.h"

#include <spiksim/engine.h>
#include <spiksim/network.h>
#include <spiksim/source.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_file_error(const char *text, int code, const char *needle)
{
    const char *path = ss_test_write("spikes.csv", text);
    ss_spike_train st;
    ss_error err = {0};
    CU_ASSERT_EQUAL(ss_spike_file_read(path, 3, &st, &err), code);
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "\n  expected '%s' in: %s\n", needle, err.msg);
        CU_FAIL("message");
    }
}

static void test_spike_file(void)
{
    const char *path =
        ss_test_write("spikes.csv", "time_ms,neuron\n# comment\n0,2\n\n1.5,1\n1.5,0\n7.25, 2\n");
    ss_spike_train st;
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_spike_file_read(path, 3, &st, &err), 0);
    CU_ASSERT_EQUAL(st.n, 4);
    /* equal times come out by neuron */
    const double t[4] = {0, 1.5, 1.5, 7.25};
    const uint32_t n[4] = {2, 0, 1, 2};
    for (size_t k = 0; k < 4; k++) {
        CU_ASSERT_EQUAL(st.t_ms[k], t[k]);
        CU_ASSERT_EQUAL(st.neuron[k], n[k]);
    }
    ss_spike_train_clear(&st);
    CU_ASSERT_EQUAL(ss_spike_file_read(ss_test_write("nohdr.csv", "3,1\n"), 3, &st, &err), 0);
    CU_ASSERT_EQUAL(st.n, 1);
    ss_spike_train_clear(&st);

    expect_file_error("time_ms,neuron\n1,0\n0.5,1\n", SS_EDATA,
                      "spikes.csv:3: times are not sorted");
    expect_file_error("time_ms,neuron\n-1,0\n", SS_EDATA, "spikes.csv:2: time -1 ms must be");
    expect_file_error("time_ms,neuron\n1,0\n2,3\n", SS_EDATA,
                      "spikes.csv:3: neuron 3 out of range");
    expect_file_error("time_ms,neuron\n1,-1\n", SS_EDATA, "spikes.csv:2: neuron -1 out of range");
    expect_file_error("time_ms,neuron\n1;0\n", SS_EDATA, "spikes.csv:2: expected 'time_ms,neuron'");
    expect_file_error("1,0\n1,x\n", SS_EDATA, "spikes.csv:2: expected");
    expect_file_error("1,0\n1,0\n", SS_EDATA, "spikes.csv:2: neuron 0 spikes twice");
    expect_file_error("nan,0\n", SS_EDATA, "spikes.csv:1:");
    /* A spike file the model names but that cannot be read is bad input
     * (exit status 2), and the message says why. */
    CU_ASSERT_EQUAL(ss_spike_file_read("/nonexistent/x.csv", 3, &st, &err), SS_EDATA);
    CU_ASSERT(strstr(err.msg, "/nonexistent/x.csv: cannot open spike file: No such file") != NULL);
    CU_ASSERT_EQUAL(ss_spike_file_read(ss_test_tmp(""), 3, &st, &err), SS_EDATA);
    CU_ASSERT(strstr(err.msg, "cannot open spike file: it is a directory") != NULL);

    const double at[2] = {1, 0.5};
    const uint32_t an[2] = {0, 0};
    CU_ASSERT_EQUAL(ss_spike_train_set(&st, 1, at, an, 2, &err), SS_EDATA);
    CU_ASSERT(strstr(err.msg, "spike 1") != NULL);
}

typedef struct {
    double *last;
    double sum, sum2;
    size_t n, count;
    double *times;
    uint32_t *who;
} isi_log;

static void on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    isi_log *l = ctx;
    (void)layer;
    if (l->times) {
        l->times[l->count] = t_ms;
        l->who[l->count] = (uint32_t)neuron;
    }
    l->count++;
    if (l->last) {
        if (l->last[neuron] >= 0) {
            double isi = t_ms - l->last[neuron];
            l->sum += isi;
            l->sum2 += isi * isi;
            l->n++;
        }
        l->last[neuron] = t_ms;
    }
}

/* Poisson: exponential ISIs of mean 1/rate, so CV 1.  With n ISIs the mean
 * has relative sd 1/sqrt(n) and the CV about 1/sqrt(n) too: 5 sd bounds. */
static void test_poisson_statistics(void)
{
    ss_error err = {0};
    ss_network *net = ss_network_alloc();
    ss_network_add_poisson(net, "p", 20, 40, 100, &err);
    ss_engine_options opt = {.seed = 2024, .threads = 1};
    ss_engine *eng = ss_engine_alloc(net, &opt, &err);
    double last[20];
    for (int i = 0; i < 20; i++)
        last[i] = -1;
    isi_log l = {last, 0, 0, 0, 0, NULL, NULL};
    ss_engine_add_observer(eng, on_spike, &l);
    CU_ASSERT_EQUAL(ss_engine_run(eng, 100, &err), 0);
    CU_ASSERT_EQUAL(l.count, 0); /* nothing before start_ms */
    CU_ASSERT_EQUAL(ss_engine_run(eng, 50100, &err), 0);
    double mean = l.sum / (double)l.n;
    double sd = sqrt(l.sum2 / (double)l.n - mean * mean);
    double rel = 5 / sqrt((double)l.n);
    CU_ASSERT(l.n > 35000);
    CU_ASSERT_DOUBLE_EQUAL(mean, 25.0, 25.0 * rel);
    CU_ASSERT_DOUBLE_EQUAL(sd / mean, 1.0, rel);
    ss_engine_free(eng);
    ss_network_free(net);
}

static void test_regular_and_file_layers(void)
{
    ss_error err = {0};
    ss_network *net = ss_network_alloc();
    ss_network_add_regular(net, "r", 1, 0.1, 3, &err);
    const double t[3] = {0.5, 0.5, 2};
    const uint32_t n[3] = {1, 0, 1};
    CU_ASSERT_EQUAL(ss_network_add_spike_train(net, "f", 2, t, n, 3, &err), 1);
    ss_engine *eng = ss_engine_alloc(net, NULL, &err);
    double times[20000];
    uint32_t who[20000];
    isi_log l = {NULL, 0, 0, 0, 0, times, who};
    ss_engine_add_observer(eng, on_spike, &l);
    CU_ASSERT_EQUAL(ss_engine_run(eng, 2.5, &err), 0);
    CU_ASSERT_EQUAL_FATAL(l.count, 3);
    CU_ASSERT_EQUAL(times[0], 0.5);
    CU_ASSERT_EQUAL(who[0], 0);
    CU_ASSERT_EQUAL(who[1], 1);
    CU_ASSERT_EQUAL(times[2], 2);
    /* regular: start + k isi exactly, no drift after 10000 spikes */
    l.count = 0;
    CU_ASSERT_EQUAL(ss_engine_run(eng, 1003, &err), 0);
    CU_ASSERT_EQUAL(l.count, 10000);
    for (size_t k = 0; k < l.count; k += 999)
        CU_ASSERT_EQUAL(times[k], 3 + (double)k * 0.1);
    ss_engine_free(eng);
    ss_network_free(net);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"spike files and their errors", test_spike_file},
        {"Poisson mean ISI and CV", test_poisson_statistics},
        {"regular and spike-file layers", test_regular_and_file_layers},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("source", cases);
    return ss_test_main();
}
