/* Spike rasters: tables, order, selection, the --raster-* flag values, and
 * the CSV and binary files (round trips, spike cap, refusals, atomicity). */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spiksim/raster.h>

/* ---- helpers ------------------------------------------------------------ */

/* Three layers (the last a named readout), four presentations, spikes at
 * awkward times, one outside any presentation; added out of order. */
static ss_raster *sample_raster(void)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "input", 20, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "hidden1", 8, &err), 1);
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "out,put", 3, &err), 2);
    const char *classes[] = {"setosa", "versi\"color", "virginica"};
    CU_ASSERT_EQUAL(ss_raster_set_neuron_names(r, 2, classes, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TRAIN, 5, "setosa", 0, 100, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TRAIN, 9, "virginica", 100, 200, &err), 1);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, 0, "versi\"color", 250, 350, &err), 2);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, 1, "a,b", 350, 450, &err), 3);
    CU_ASSERT_EQUAL(ss_raster_set_predicted(r, 2, "versi\"color", &err), 0);
    CU_ASSERT_EQUAL(ss_raster_set_predicted(r, 3, "setosa", &err), 0);
    /* 1/3 and 0.1 have no short exact decimal: the CSV must still round-trip */
    static const struct {
        double t;
        uint32_t layer, neuron;
        int32_t sample;
    } sp[] = {{260.1, 2, 1, 2},  {0.1, 0, 3, 0},          {1.0 / 3, 0, 19, 0}, {1.0 / 3, 0, 2, 0},
              {12.5, 1, 7, 0},   {99.999999999, 2, 0, 0}, {150, 0, 0, 1},      {225.5, 1, 1, -1},
              {400.25, 2, 2, 3}, {349.75, 1, 4, 2},       {1e-300, 0, 0, 0},   {150, 0, 0, 1}};
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
        CU_ASSERT_EQUAL(
            ss_raster_add_spike(r, sp[i].t, sp[i].layer, sp[i].neuron, sp[i].sample, &err), 0);
    return r;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Files in dir whose names start with prefix (atomic temporaries are
 * ".NAME.XXXXXX"). */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Splits one CSV record (RFC 4180 quoting) at *p into fields; returns how
 * many, advancing *p past the line end. */
static int csv_record(char **p, char fields[][64], int max)
{
    int n = 0;
    char *s = *p;
    for (;;) {
        char *out = fields[n];
        size_t k = 0;
        if (*s == '"') {
            for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
                if (*s == '"')
                    s++;
                if (k < 63)
                    out[k++] = *s;
            }
            if (*s == '"')
                s++;
        } else {
            for (; *s && *s != ',' && *s != '\n'; s++)
                if (k < 63)
                    out[k++] = *s;
        }
        out[k] = '\0';
        n++;
        if (*s == ',' && n < max) {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        *p = s;
        return n;
    }
}

/* ---- tables and order --------------------------------------------------- */

static void test_tables_refuse_bad_entries(void)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "", 3, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "empty", 0, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_layer(r, "a", 3, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, 0, "x", 10, 10, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, 0, "x", 0, NAN, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, -1, "x", 0, 5, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, (ss_phase)7, 0, "x", 0, 5, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_add_sample(r, SS_PHASE_TEST, 0, NULL, 0, 5, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, 1, 1, 0, -1, &err), SS_EDATA);
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, 1, 0, 3, -1, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "layer 'a' has 3"));
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, 1, 0, 0, 1, &err), SS_EDATA);
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, 1, 0, 0, -2, &err), SS_EDATA);
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, INFINITY, 0, 0, 0, &err), SS_EDATA);
    CU_ASSERT_EQUAL(ss_raster_add_spike(r, 1, 0, 2, 0, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_set_predicted(r, 1, "x", &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(r->n_spikes, 1);
    ss_raster_free(r);
    ss_raster_free(NULL);
}

static void test_sort_orders_by_time_layer_neuron(void)
{
    ss_raster *r = sample_raster();
    CU_ASSERT_FALSE(ss_raster_is_sorted(r));
    ss_raster_sort(r);
    CU_ASSERT_TRUE(ss_raster_is_sorted(r));
    CU_ASSERT_EQUAL(r->n_spikes, 12);
    CU_ASSERT_DOUBLE_EQUAL(r->spikes[0].t_ms, 1e-300, 0);
    CU_ASSERT_DOUBLE_EQUAL(r->spikes[1].t_ms, 0.1, 0);
    /* equal times: by layer, then neuron */
    CU_ASSERT_EQUAL(r->spikes[2].neuron, 2);
    CU_ASSERT_EQUAL(r->spikes[3].neuron, 19);
    for (size_t i = 1; i < r->n_spikes; i++)
        CU_ASSERT_TRUE(r->spikes[i - 1].t_ms <= r->spikes[i].t_ms);
    ss_raster_free(r);
}

/* ---- flag values -------------------------------------------------------- */

static void expect_samples_error(const char *spec, const char *frag)
{
    ss_raster_samples s;
    ss_error err;
    ss_error_clear(&err);
    CU_ASSERT_EQUAL(ss_raster_samples_parse(spec, &s, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag));
    if (!strstr(err.msg, frag))
        fprintf(stderr, "\n  '%s' gave: %s\n", spec, err.msg);
}

static void test_samples_spec(void)
{
    ss_raster_samples s;
    ss_error err;
    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("test:0-9", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TEST, 0, 100));
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TEST, 9, 100));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TEST, 10, 100));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 3, 100));

    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("train:0", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 0, 7));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 1, 7));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TEST, 0, 7));

    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("all", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 12345, 99999));

    /* a count: the first N presentations of the run, whatever their phase */
    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("3", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 50, 2));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TEST, 0, 3));

    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("train:0, test:2-3,test:7", &s, &err), 0);
    CU_ASSERT_EQUAL(s.n_ranges, 3);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 0, 9));
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TEST, 3, 9));
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TEST, 7, 9));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TEST, 4, 9));

    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("test", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TEST, 2000000000, 0));
    CU_ASSERT_FALSE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 0, 0));
    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("train:all", &s, &err), 0);
    CU_ASSERT_TRUE(ss_raster_samples_match(&s, SS_PHASE_TRAIN, 77, 0));

    expect_samples_error("test:5-2", "range 5-2 runs backwards");
    expect_samples_error("", "empty item");
    expect_samples_error("test:0,,test:1", "empty item");
    expect_samples_error("test:", "test: is not all, a count");
    expect_samples_error("tests:1", "tests:1 is not");
    expect_samples_error("foo:1", "foo:1 is not");
    expect_samples_error("test:-1", "is not");
    expect_samples_error("test:1-", "is not");
    expect_samples_error("test:1x", "is not");
    expect_samples_error("test:99999999999", "is not");
    expect_samples_error("0", "a count must be at least 1");
    expect_samples_error("-3", "is not");
    expect_samples_error("test:0,test:1,test:2,test:3,test:4,test:5,test:6,test:7,test:8,"
                         "test:9,test:10,test:11,test:12,test:13,test:14,test:15,test:16",
                         "more than 16 items");
}

static void expect_window_error(const char *spec, const char *frag)
{
    ss_raster_window w;
    ss_error err;
    ss_error_clear(&err);
    CU_ASSERT_EQUAL(ss_raster_window_parse(spec, &w, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag));
    if (!strstr(err.msg, frag))
        fprintf(stderr, "\n  '%s' gave: %s\n", spec, err.msg);
}

static void test_window_spec(void)
{
    ss_raster_window w;
    ss_error err;
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("0:200", &w, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t0_ms, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t1_ms, 200, 0);
    CU_ASSERT_TRUE(ss_raster_window_contains(&w, 0));
    CU_ASSERT_TRUE(ss_raster_window_contains(&w, 199.999));
    CU_ASSERT_FALSE(ss_raster_window_contains(&w, 200)); /* half-open */
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse(":50", &w, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t0_ms, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t1_ms, 50, 0);
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("100.5:", &w, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t0_ms, 100.5, 0);
    CU_ASSERT_TRUE(isinf(w.t1_ms));
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("1e3:2.5e3", &w, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(w.t1_ms, 2500, 0);

    expect_window_error("50:10", "T0 (50 ms) is after T1 (10 ms)");
    expect_window_error("5:5", "empty");
    expect_window_error("-5:10", "must not be negative");
    expect_window_error("abc", "expected T0:T1");
    expect_window_error("5", "expected T0:T1");
    expect_window_error(":", "expected T0:T1");
    expect_window_error("1:2:3", "expected T0:T1");
    expect_window_error("nan:5", "must be numbers");
    expect_window_error("1:inf", "must be numbers");
    expect_window_error("1ms:5", "must be numbers");
    expect_window_error(" 1:5", "must be numbers");
}

static void test_layers_spec(void)
{
    const char *names[] = {"input", "hidden1", "hidden2", "output"};
    unsigned char keep[4];
    ss_error err;
    CU_ASSERT_EQUAL_FATAL(ss_raster_layers_parse("hidden1,output", names, 4, keep, &err), 0);
    CU_ASSERT_EQUAL(keep[0], 0);
    CU_ASSERT_EQUAL(keep[1], 1);
    CU_ASSERT_EQUAL(keep[2], 0);
    CU_ASSERT_EQUAL(keep[3], 1);
    CU_ASSERT_EQUAL_FATAL(ss_raster_layers_parse(" input , input", names, 4, keep, &err), 0);
    CU_ASSERT_EQUAL(keep[0] + keep[1] + keep[2] + keep[3], 1);

    ss_error_clear(&err);
    CU_ASSERT_EQUAL(ss_raster_layers_parse("hidden1,hiden2", names, 4, keep, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown layer 'hiden2'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(layers: input, hidden1, hidden2, output)"));
    CU_ASSERT_EQUAL(ss_raster_layers_parse("", names, 4, keep, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_layers_parse("input,", names, 4, keep, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty layer name"));
}

static void test_format_and_cap_spec(void)
{
    ss_raster_format f;
    ss_error err;
    CU_ASSERT_EQUAL(ss_raster_format_parse("bin", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_RASTER_BIN);
    CU_ASSERT_EQUAL(ss_raster_format_parse("PDF", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_RASTER_PDF);
    CU_ASSERT_EQUAL(ss_raster_format_parse("gif", &f, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown format 'gif'"));
    CU_ASSERT_EQUAL(ss_raster_format_from_path("out/r.png", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_RASTER_PNG);
    CU_ASSERT_EQUAL(ss_raster_format_from_path("R.CSV", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_RASTER_CSV);
    CU_ASSERT_EQUAL(ss_raster_format_from_path("a.svg", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_RASTER_SVG);
    CU_ASSERT_EQUAL(ss_raster_format_from_path("spikes", &f, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_format_from_path("dir.png/spikes", &f, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_format_from_path(".png", &f, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_format_from_path("r.dat", &f, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--raster-format"));
    CU_ASSERT_TRUE(ss_raster_format_is_picture(SS_RASTER_SVG));
    CU_ASSERT_FALSE(ss_raster_format_is_picture(SS_RASTER_BIN));
    CU_ASSERT_STRING_EQUAL(ss_raster_format_name(SS_RASTER_CSV), "csv");

    size_t n;
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("1000000", &n, &err), 0);
    CU_ASSERT_EQUAL(n, 1000000);
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("0", &n, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("-1", &n, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("1e6", &n, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("", &n, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_raster_max_spikes_parse("99999999999999999999999", &n, &err), SS_EUSAGE);
}

/* ---- selection and rates ------------------------------------------------ */

static void test_select_keeps_what_flags_ask(void)
{
    ss_raster *r = sample_raster();
    ss_error err;
    const unsigned char keep[] = {1, 0, 1};
    ss_raster_samples s;
    ss_raster_window w;
    CU_ASSERT_EQUAL_FATAL(ss_raster_samples_parse("test", &s, &err), 0);
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("5:100", &w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(ss_raster_select(r, keep, &s, &w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(r->n_layers, 2);
    CU_ASSERT_STRING_EQUAL(r->layers[0].name, "input");
    CU_ASSERT_STRING_EQUAL(r->layers[1].name, "out,put");
    CU_ASSERT_PTR_NOT_NULL(r->layers[1].neuron_names);
    CU_ASSERT_EQUAL_FATAL(r->n_samples, 2);
    CU_ASSERT_EQUAL(r->samples[0].index, 0);
    CU_ASSERT_EQUAL(r->samples[0].phase, SS_PHASE_TEST);
    CU_ASSERT_EQUAL(r->samples[1].index, 1);
    /* test samples start at 250 and 350: window 5..100 keeps 260.1 (out,put
     * neuron 1) and 400.25 (out,put neuron 2); 349.75 was hidden1 */
    CU_ASSERT_EQUAL_FATAL(r->n_spikes, 2);
    CU_ASSERT_DOUBLE_EQUAL(r->spikes[0].t_ms, 260.1, 0);
    CU_ASSERT_EQUAL(r->spikes[0].layer, 1);
    CU_ASSERT_EQUAL(r->spikes[0].sample, 0);
    CU_ASSERT_DOUBLE_EQUAL(r->spikes[1].t_ms, 400.25, 0);
    CU_ASSERT_EQUAL(r->spikes[1].sample, 1);
    CU_ASSERT_DOUBLE_EQUAL(r->window.t0_ms, 5, 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_raster_observed_ms(r), 2 * 95, 1e-12);
    ss_raster_free(r);

    /* Nothing asked: everything stays (spikes outside presentations too). */
    r = sample_raster();
    CU_ASSERT_EQUAL(ss_raster_select(r, NULL, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL(r->n_spikes, 12);
    CU_ASSERT_EQUAL(r->n_samples, 4);
    CU_ASSERT_TRUE(ss_raster_is_sorted(r));
    CU_ASSERT_EQUAL(ss_raster_samples_parse("2", &s, &err), 0);
    CU_ASSERT_EQUAL(ss_raster_select(r, NULL, &s, NULL, &err), 0);
    CU_ASSERT_EQUAL(r->n_samples, 2);
    CU_ASSERT_EQUAL(r->samples[1].index, 9);
    for (size_t i = 0; i < r->n_spikes; i++)
        CU_ASSERT_TRUE(r->spikes[i].sample == 0 || r->spikes[i].sample == 1);
    ss_raster_free(r);
}

static void test_rates_over_observed_time(void)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    ss_raster_add_layer(r, "a", 2, &err);
    ss_raster_add_sample(r, SS_PHASE_TEST, 0, "x", 0, 100, &err);
    ss_raster_add_sample(r, SS_PHASE_TEST, 1, "y", 150, 250, &err);
    for (int k = 0; k < 5; k++)
        ss_raster_add_spike(r, 10.0 * k, 0, 0, 0, &err);
    ss_raster_add_spike(r, 120, 0, 1, -1, &err); /* between presentations: not observed */
    double hz[2];
    CU_ASSERT_DOUBLE_EQUAL(ss_raster_observed_ms(r), 200, 0);
    CU_ASSERT_EQUAL(ss_raster_layer_rates(r, 0, hz, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(hz[0], 25, 1e-12); /* 5 spikes in 0.2 s */
    CU_ASSERT_DOUBLE_EQUAL(hz[1], 0, 0);
    CU_ASSERT_EQUAL(ss_raster_layer_rates(r, 1, hz, &err), SS_EUSAGE);
    ss_raster_free(r);

    /* Free-running: an open window closes at the last spike. */
    r = ss_raster_alloc();
    ss_raster_add_layer(r, "exc", 1, &err);
    for (int k = 1; k <= 4; k++)
        ss_raster_add_spike(r, 50.0 * k, 0, 0, -1, &err);
    CU_ASSERT_DOUBLE_EQUAL(ss_raster_observed_ms(r), 200, 0);
    CU_ASSERT_EQUAL(ss_raster_layer_rates(r, 0, hz, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(hz[0], 20, 1e-12);
    ss_raster_free(r);
}

/* ---- files -------------------------------------------------------------- */

static void test_csv_round_trip(void)
{
    ss_raster *r = sample_raster();
    ss_raster_sort(r);
    ss_error err;
    const char *path = ss_test_tmp("round.csv");
    size_t dropped = 99;
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, path, SS_RASTER_CSV, 0, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, 0);
    size_t len;
    char *text = ss_test_read(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char *p = text;
    char f[8][64];
    CU_ASSERT_EQUAL(csv_record(&p, f, 8), 6);
    CU_ASSERT_STRING_EQUAL(f[0], "time_ms");
    CU_ASSERT_STRING_EQUAL(f[1], "layer");
    CU_ASSERT_STRING_EQUAL(f[2], "neuron");
    CU_ASSERT_STRING_EQUAL(f[3], "sample");
    CU_ASSERT_STRING_EQUAL(f[4], "phase");
    CU_ASSERT_STRING_EQUAL(f[5], "label");
    size_t rows = 0;
    double last = -INFINITY;
    while (*p) {
        CU_ASSERT_EQUAL_FATAL(csv_record(&p, f, 8), 6);
        CU_ASSERT_FATAL(rows < r->n_spikes);
        const ss_raster_spike *sp = &r->spikes[rows];
        double t = strtod(f[0], NULL);
        CU_ASSERT_EQUAL(t, sp->t_ms); /* exact: shortest round-trip digits */
        CU_ASSERT_TRUE(t >= last);
        last = t;
        CU_ASSERT_STRING_EQUAL(f[1], r->layers[sp->layer].name);
        CU_ASSERT_EQUAL(strtoul(f[2], NULL, 10), sp->neuron);
        if (sp->sample < 0) {
            CU_ASSERT_STRING_EQUAL(f[3], "-1");
            CU_ASSERT_STRING_EQUAL(f[4], "");
            CU_ASSERT_STRING_EQUAL(f[5], "");
        } else {
            const ss_raster_sample *s = &r->samples[sp->sample];
            CU_ASSERT_EQUAL(atoi(f[3]), s->index);
            CU_ASSERT_STRING_EQUAL(f[4], ss_phase_name(s->phase));
            CU_ASSERT_STRING_EQUAL(f[5], s->label);
        }
        rows++;
    }
    CU_ASSERT_EQUAL(rows, r->n_spikes);
    /* the short forms, not %.17g noise */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n0.1,input,3,5,train,setosa\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"out,put\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"versi\"\"color\""));
    free(text);
    ss_raster_free(r);
}

static void test_bin_round_trip(void)
{
    ss_raster *r = sample_raster();
    ss_raster_sort(r);
    ss_error err;
    const char *path = ss_test_tmp("round.bin");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, path, SS_RASTER_BIN, 0, NULL, &err), 0);

    /* The documented header, byte for byte. */
    size_t len;
    unsigned char *raw = (unsigned char *)ss_test_read(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    CU_ASSERT_EQUAL(memcmp(raw, "SSRASTER", 8), 0);
    CU_ASSERT_EQUAL(raw[8], 1); /* version, little-endian */
    CU_ASSERT_EQUAL(raw[9] | raw[10] | raw[11], 0);
    CU_ASSERT_EQUAL(raw[12], 20); /* record size */
    CU_ASSERT_EQUAL(raw[16], 3);  /* layers */
    CU_ASSERT_EQUAL(raw[20], 4);  /* samples */
    CU_ASSERT_EQUAL(raw[24], 12); /* spikes */
    uint64_t offset = 0;
    for (int i = 7; i >= 0; i--)
        offset = offset << 8 | raw[32 + i];
    CU_ASSERT_EQUAL(offset % 8, 0);
    CU_ASSERT_EQUAL(len, offset + 12 * 20);
    free(raw);

    ss_raster *b = ss_raster_read(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL_FATAL(b->n_layers, r->n_layers);
    for (size_t i = 0; i < r->n_layers; i++) {
        CU_ASSERT_STRING_EQUAL(b->layers[i].name, r->layers[i].name);
        CU_ASSERT_EQUAL(b->layers[i].size, r->layers[i].size);
        CU_ASSERT_EQUAL(!b->layers[i].neuron_names, !r->layers[i].neuron_names);
    }
    CU_ASSERT_STRING_EQUAL(b->layers[2].neuron_names[1], "versi\"color");
    CU_ASSERT_EQUAL_FATAL(b->n_samples, r->n_samples);
    for (size_t i = 0; i < r->n_samples; i++) {
        CU_ASSERT_EQUAL(b->samples[i].index, r->samples[i].index);
        CU_ASSERT_EQUAL(b->samples[i].phase, r->samples[i].phase);
        CU_ASSERT_STRING_EQUAL(b->samples[i].label, r->samples[i].label);
        CU_ASSERT_EQUAL(b->samples[i].t0_ms, r->samples[i].t0_ms);
        CU_ASSERT_EQUAL(b->samples[i].t1_ms, r->samples[i].t1_ms);
    }
    CU_ASSERT_PTR_NULL(b->samples[0].predicted);
    CU_ASSERT_STRING_EQUAL(b->samples[3].predicted, "setosa");
    CU_ASSERT_EQUAL(b->window.t0_ms, 0);
    CU_ASSERT_TRUE(isinf(b->window.t1_ms));
    CU_ASSERT_EQUAL_FATAL(b->n_spikes, r->n_spikes);
    for (size_t i = 0; i < r->n_spikes; i++) {
        CU_ASSERT_EQUAL(b->spikes[i].t_ms, r->spikes[i].t_ms);
        CU_ASSERT_EQUAL(b->spikes[i].layer, r->spikes[i].layer);
        CU_ASSERT_EQUAL(b->spikes[i].neuron, r->spikes[i].neuron);
        CU_ASSERT_EQUAL(b->spikes[i].sample, r->spikes[i].sample);
    }
    ss_raster_free(b);
    ss_raster_free(r);
}

static void test_same_raster_same_bytes(void)
{
    ss_raster *r = sample_raster();
    ss_raster_sort(r);
    ss_error err;
    const char *names[][2] = {{"same1.csv", "same2.csv"}, {"same1.bin", "same2.bin"}};
    for (int f = 0; f < 2; f++) {
        char a[4096];
        snprintf(a, sizeof a, "%s", ss_test_tmp(names[f][0]));
        const char *b = ss_test_tmp(names[f][1]);
        ss_raster_format fmt = f ? SS_RASTER_BIN : SS_RASTER_CSV;
        CU_ASSERT_EQUAL(ss_raster_write(r, a, fmt, 0, NULL, &err), 0);
        CU_ASSERT_EQUAL(ss_raster_write(r, b, fmt, 0, NULL, &err), 0);
        size_t la, lb;
        char *x = ss_test_read(a, &la), *y = ss_test_read(b, &lb);
        CU_ASSERT_FATAL(x && y);
        CU_ASSERT_TRUE(la == lb && memcmp(x, y, la) == 0);
        free(x);
        free(y);
    }
    ss_raster_free(r);
}

static void test_cap_keeps_first_spikes(void)
{
    ss_raster *r = sample_raster();
    ss_raster_sort(r);
    ss_error err;
    size_t dropped = 0;
    const char *csv = ss_test_tmp("cap.csv");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, csv, SS_RASTER_CSV, 5, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, 7);
    size_t len;
    char *text = ss_test_read(csv, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char *p = text;
    char f[8][64];
    csv_record(&p, f, 8);
    size_t rows = 0;
    while (*p) {
        csv_record(&p, f, 8);
        CU_ASSERT_EQUAL(strtod(f[0], NULL), r->spikes[rows].t_ms);
        rows++;
    }
    CU_ASSERT_EQUAL(rows, 5);
    free(text);

    const char *bin = ss_test_tmp("cap.bin");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, bin, SS_RASTER_BIN, 5, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, 7);
    ss_raster *b = ss_raster_read(bin, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b->n_spikes, 5);
    CU_ASSERT_DOUBLE_EQUAL(b->spikes[4].t_ms, r->spikes[4].t_ms, 0);
    ss_raster_free(b);

    CU_ASSERT_EQUAL(ss_raster_write(r, bin, SS_RASTER_BIN, 12, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, 0);
    ss_raster_free(r);
}

static void test_refusals_create_nothing(void)
{
    ss_error err;
    ss_raster *r = sample_raster(); /* not sorted */
    char path[4096];
    snprintf(path, sizeof path, "%s", ss_test_tmp("unsorted.csv"));
    unlink(path);
    CU_ASSERT_EQUAL(ss_raster_write(r, path, SS_RASTER_CSV, 0, NULL, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not sorted"));
    CU_ASSERT_FALSE(exists(path));
    ss_raster_sort(r);
    CU_ASSERT_EQUAL(ss_raster_write(r, path, (ss_raster_format)42, 0, NULL, &err), SS_EUSAGE);
    CU_ASSERT_FALSE(exists(path));

    char missing[4096];
    snprintf(missing, sizeof missing, "%s/r.bin", ss_test_tmp("no-such-dir"));
    CU_ASSERT_EQUAL(ss_raster_write(r, missing, SS_RASTER_BIN, 0, NULL, &err), SS_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no-such-dir/r.bin"));
    CU_ASSERT_FALSE(exists(missing));
    ss_raster_free(r);
}

/* A write that fails half-way (the file-size limit stands in for a full
 * disk) leaves neither the file nor a temporary behind. */
static void test_failed_write_leaves_nothing(void)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    ss_raster_add_layer(r, "input", 100, &err);
    for (int i = 0; i < 20000; i++)
        ss_raster_add_spike(r, i * 0.1, 0, (uint32_t)(i % 100), -1, &err);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ss_test_tmp("fsize"));
    mkdir(dir, 0777);
    for (int f = 0; f < 2; f++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/big.%s", dir, f ? "bin" : "csv");
        unlink(path);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 4096;
        fflush(stdout);
        fflush(stderr);
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &lim);
        int rc = ss_raster_write(r, path, f ? SS_RASTER_BIN : SS_RASTER_CSV, 0, NULL, &err);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, prev);
        CU_ASSERT_EQUAL(rc, SS_EIO);
        CU_ASSERT_FALSE(exists(path));
        CU_ASSERT_EQUAL(count_prefixed(dir, ".big."), 0);
    }
    ss_raster_free(r);
}

/* Writes r's file, applies edit to its bytes, and expects the reader to
 * refuse the result with a message containing frag. */
static void expect_read_error(const char *name, void (*edit)(unsigned char *, size_t *),
                              const char *frag)
{
    ss_raster *r = sample_raster();
    ss_raster_sort(r);
    ss_error err;
    const char *path = ss_test_tmp(name);
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, path, SS_RASTER_BIN, 0, NULL, &err), 0);
    size_t len;
    unsigned char *raw = (unsigned char *)ss_test_read(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    edit(raw, &len);
    FILE *fp = fopen(path, "wb");
    fwrite(raw, 1, len, fp);
    fclose(fp);
    free(raw);
    ss_error_clear(&err);
    ss_raster *b = ss_raster_read(path, &err);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_EQUAL(err.code, SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag));
    if (!strstr(err.msg, frag))
        fprintf(stderr, "\n  %s gave: %s\n", name, err.msg);
    ss_raster_free(b);
    ss_raster_free(r);
}

static void bad_magic(unsigned char *b, size_t *n)
{
    (void)n;
    b[0] = 'X';
}
static void bad_version(unsigned char *b, size_t *n)
{
    (void)n;
    b[8] = 2;
}
static void cut_short(unsigned char *b, size_t *n)
{
    (void)b;
    *n -= 7;
}
static void more_spikes(unsigned char *b, size_t *n)
{
    (void)n;
    b[24] = 200;
}
static void huge_layers(unsigned char *b, size_t *n)
{
    (void)n;
    b[19] = 0x7f; /* two billion layers in a file of a few hundred bytes */
}
static void bad_neuron(unsigned char *b, size_t *n)
{
    /* the last record's neuron field: far beyond any layer */
    b[*n - 20 + 12 + 3] = 0x7f;
}
static void out_of_order(unsigned char *b, size_t *n)
{
    /* the first record's time becomes a huge value (exponent bits) */
    size_t first = *n - 12 * 20;
    b[first + 7] = 0x7f;
    b[first + 6] = 0xe0;
}

static void test_reader_refuses_bad_files(void)
{
    expect_read_error("magic.bin", bad_magic, "not a spiksim binary raster");
    expect_read_error("version.bin", bad_version, "version 2");
    expect_read_error("short.bin", cut_short, "does not match the file");
    expect_read_error("more.bin", more_spikes, "does not match the file");
    expect_read_error("layers.bin", huge_layers, "does not match the file");
    expect_read_error("neuron.bin", bad_neuron, "spike record 11 is malformed");
    expect_read_error("order.bin", out_of_order, "spike record 1 is out of time order");
    ss_error err;
    CU_ASSERT_PTR_NULL(ss_raster_read(ss_test_tmp("nowhere.bin"), &err));
    CU_ASSERT_EQUAL(err.code, SS_EIO);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"tables refuse bad entries", test_tables_refuse_bad_entries},
        {"sort orders by time, layer, neuron", test_sort_orders_by_time_layer_neuron},
        {"--raster-samples values", test_samples_spec},
        {"--raster-window values", test_window_spec},
        {"--raster-layers values", test_layers_spec},
        {"--raster-format and --raster-max-spikes values", test_format_and_cap_spec},
        {"select keeps what the flags ask", test_select_keeps_what_flags_ask},
        {"rates over the observed time", test_rates_over_observed_time},
        {"CSV round trip", test_csv_round_trip},
        {"binary round trip", test_bin_round_trip},
        {"same raster, same bytes", test_same_raster_same_bytes},
        {"cap keeps the first spikes", test_cap_keeps_first_spikes},
        {"refusals create nothing", test_refusals_create_nothing},
        {"failed write leaves nothing", test_failed_write_leaves_nothing},
        {"reader refuses bad files", test_reader_refuses_bad_files},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("raster", cases);
    return ss_test_main();
}
