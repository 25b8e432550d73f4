/* Pictures: each is a valid file of the expected size and format that shows
 * its data where it should; bad inputs and failed writes create nothing. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <spiksim/plot.h>
#include <spiksim/raster.h>

#define WHITE 0xffffffu
#define INPUT_COLOR 0x3a3a3au   /* first layer's dots (plot_raster.c) */
#define READOUT_COLOR 0xb31b1bu /* a layer with neuron names */

/* ---- helpers ------------------------------------------------------------ */

typedef struct image {
    cairo_surface_t *s;
    int w, h, stride;
    const unsigned char *data;
} image;

/* Loads a PNG through cairo; fails the test when it is not a valid one. */
static int load_png(const char *path, image *im)
{
    im->s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(im->s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "\n  %s: %s\n", path, cairo_status_to_string(cairo_surface_status(im->s)));
        cairo_surface_destroy(im->s);
        return 0;
    }
    im->w = cairo_image_surface_get_width(im->s);
    im->h = cairo_image_surface_get_height(im->s);
    im->stride = cairo_image_surface_get_stride(im->s);
    im->data = cairo_image_surface_get_data(im->s);
    return 1;
}

static unsigned pixel(const image *im, int x, int y)
{
    uint32_t v;
    memcpy(&v, im->data + (size_t)y * (size_t)im->stride + 4 * (size_t)x, 4);
    return v & 0xffffffu;
}

/* Pixels equal to rgb (or, with rgb == ~0u, not white) in x in [x0, x1). */
static long count_pixels(const image *im, unsigned rgb, int x0, int x1)
{
    long n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = x0; x < x1 && x < im->w; x++) {
            unsigned p = pixel(im, x, y);
            n += rgb == ~0u ? p != WHITE : p == rgb;
        }
    return n;
}

/* The same within rows [y0, y1). */
static long count_region(const image *im, unsigned rgb, int x0, int x1, int y0, int y1)
{
    long n = 0;
    for (int y = y0; y < y1 && y < im->h; y++)
        for (int x = x0; x < x1 && x < im->w; x++)
            n += pixel(im, x, y) == rgb;
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int starts_with(const char *path, const char *magic)
{
    char buf[16] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, strlen(magic), fp);
    fclose(fp);
    return n == strlen(magic) && memcmp(buf, magic, n) == 0;
}

static int file_contains(const char *path, const char *needle)
{
    char *buf = ss_test_read(path, NULL);
    if (!buf)
        return 0;
    int found = strstr(buf, needle) != NULL;
    free(buf);
    return found;
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

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

/* A small run: 100 Poisson inputs, 30 sparse hidden, 3 named readout
 * neurons, two presentations (one right, one wrong); spikes only when
 * with_spikes. */
static ss_raster *small_run(int with_spikes)
{
    ss_error err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    ss_raster *r = ss_raster_alloc();
    ss_raster_add_layer(r, "input", 100, &err);
    ss_raster_add_layer(r, "hidden1", 30, &err);
    ss_raster_add_layer(r, "output", 3, &err);
    const char *classes[] = {"setosa", "versicolor", "virginica"};
    ss_raster_set_neuron_names(r, 2, classes, &err);
    ss_raster_add_sample(r, SS_PHASE_TEST, 0, "setosa", 0, 200, &err);
    ss_raster_add_sample(r, SS_PHASE_TEST, 1, "virginica", 200, 400, &err);
    ss_raster_set_predicted(r, 0, "setosa", &err);
    ss_raster_set_predicted(r, 1, "versicolor", &err);
    for (int s = 0; with_spikes && s < 2; s++)
        for (uint32_t layer = 0; layer < 3; layer++)
            for (uint32_t n = 0; n < r->layers[layer].size; n++) {
                double hz = layer == 0 ? 40 : layer == 1 ? (n % 5 == 0 ? 30 : 0) : 5;
                if (layer == 2 && n == (s == 0 ? 0u : 1u))
                    hz = 120;
                for (double t = 200.0 * s + gsl_ran_exponential(rng, 1000 / hz);
                     hz > 0 && t < 200.0 * (s + 1); t += gsl_ran_exponential(rng, 1000 / hz))
                    ss_raster_add_spike(r, t, layer, n, s, &err);
            }
    ss_raster_sort(r);
    gsl_rng_free(rng);
    return r;
}

/* ---- raster pictures ---------------------------------------------------- */

static void test_raster_png_is_valid_and_shows_spikes(void)
{
    ss_error err;
    ss_raster *r = small_run(1), *empty = small_run(0);
    ss_plot_raster_opts o = {900, 600, "a title", 0};
    char with[4096], without[4096]; /* ss_test_tmp reuses its buffer */
    snprintf(with, sizeof with, "%s", ss_test_tmp("raster-with.png"));
    snprintf(without, sizeof without, "%s", ss_test_tmp("raster-without.png"));
    size_t dropped = 99;
    CU_ASSERT_EQUAL_FATAL(ss_plot_raster(r, with, SS_PLOT_PNG, &o, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, 0);
    CU_ASSERT_EQUAL_FATAL(ss_plot_raster(empty, without, SS_PLOT_PNG, &o, NULL, &err), 0);
    CU_ASSERT_TRUE(starts_with(with, "\x89PNG\r\n\x1a\n"));

    image a, b;
    CU_ASSERT_FATAL(load_png(with, &a));
    CU_ASSERT_FATAL(load_png(without, &b));
    CU_ASSERT_EQUAL(a.w, 900);
    CU_ASSERT_EQUAL(a.h, 600);
    /* Not blank, and the spikes are what makes the difference: dots in the
     * input colour and the readout colour appear only with spikes. */
    CU_ASSERT_TRUE(count_pixels(&a, ~0u, 0, a.w) > 1000); /* axes, bands, names */
    long in_a = count_pixels(&a, INPUT_COLOR, 0, a.w), in_b = count_pixels(&b, INPUT_COLOR, 0, b.w);
    long out_a = count_pixels(&a, READOUT_COLOR, 0, a.w);
    long out_b = count_pixels(&b, READOUT_COLOR, 0, b.w);
    CU_ASSERT_TRUE(in_a > in_b + 500);
    CU_ASSERT_TRUE(out_a > out_b + 100);
    cairo_surface_destroy(a.s);
    cairo_surface_destroy(b.s);
    ss_raster_free(r);
    ss_raster_free(empty);
}

/* Free-running (no presentations): spikes only in the first half of a
 * 0-1000 ms window leave the right part of the plot free of dots. */
static void test_raster_time_axis_places_spikes(void)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    ss_raster_add_layer(r, "exc", 50, &err);
    for (int i = 0; i < 3000; i++)
        ss_raster_add_spike(r, i * (450.0 / 3000), 0, (uint32_t)(i % 50), -1, &err);
    ss_raster_window w;
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("0:1000", &w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(ss_raster_select(r, NULL, NULL, &w, &err), 0);
    const char *path = ss_test_tmp("free.png");
    ss_plot_raster_opts o = {1000, 300, NULL, 0};
    CU_ASSERT_EQUAL_FATAL(ss_plot_raster(r, path, SS_PLOT_PNG, &o, NULL, &err), 0);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    /* The first layer's colour is only used for dots and its name (left);
     * the bottom rows, with the time axis text, stay out of the count. */
    long left = count_region(&im, INPUT_COLOR, im.w / 4, im.w / 2, 0, im.h - 80);
    long right = count_region(&im, INPUT_COLOR, im.w / 2 + 40, im.w, 0, im.h - 80);
    CU_ASSERT_TRUE(left > 1000);
    CU_ASSERT_EQUAL(right, 0);
    cairo_surface_destroy(im.s);
    ss_raster_free(r);
}

static void test_raster_cap_reports_dropped(void)
{
    ss_error err;
    ss_raster *r = small_run(1);
    size_t dropped = 0;
    ss_plot_raster_opts o = {0, 0, NULL, 100};
    const char *path = ss_test_tmp("capped.png");
    CU_ASSERT_EQUAL_FATAL(ss_plot_raster(r, path, SS_PLOT_PNG, &o, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, r->n_spikes - 100);
    /* and through the one entry point for every --raster format */
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, path, SS_RASTER_PNG, 250, &dropped, &err), 0);
    CU_ASSERT_EQUAL(dropped, r->n_spikes - 250);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    CU_ASSERT_TRUE(im.w > 600 && im.h > 300); /* sized from the content */
    cairo_surface_destroy(im.s);
    ss_raster_free(r);
}

static void test_raster_svg_and_pdf(void)
{
    ss_error err;
    ss_raster *r = small_run(1);
    const char *svg = ss_test_tmp("raster.svg");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, svg, SS_RASTER_SVG, 0, NULL, &err), 0);
    CU_ASSERT_TRUE(starts_with(svg, "<?xml"));
    CU_ASSERT_TRUE(file_contains(svg, "<svg"));
    CU_ASSERT_FALSE(file_contains(svg, "<image")); /* few spikes: vector dots */
    const char *pdf = ss_test_tmp("raster.pdf");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, pdf, SS_RASTER_PDF, 0, NULL, &err), 0);
    CU_ASSERT_TRUE(starts_with(pdf, "%PDF-"));
    CU_ASSERT_TRUE(file_size(pdf) > 1000);
    CU_ASSERT_FALSE(file_contains(pdf, "CreationDate"));
    /* the same raster, the same bytes (PNG and PDF) */
    static const char *const again[][2] = {{"again1.pdf", "again2.pdf"},
                                           {"again1.png", "again2.png"}};
    for (int f = 0; f < 2; f++) {
        char a[4096], b[4096];
        snprintf(a, sizeof a, "%s", ss_test_tmp(again[f][0]));
        snprintf(b, sizeof b, "%s", ss_test_tmp(again[f][1]));
        ss_raster_format fmt = f ? SS_RASTER_PNG : SS_RASTER_PDF;
        CU_ASSERT_EQUAL(ss_raster_write(r, a, fmt, 0, NULL, &err), 0);
        CU_ASSERT_EQUAL(ss_raster_write(r, b, fmt, 0, NULL, &err), 0);
        CU_ASSERT_TRUE(same_bytes(a, b));
    }
    ss_raster_free(r);

    /* Many spikes: an embedded image instead of one element a spike. */
    r = ss_raster_alloc();
    ss_raster_add_layer(r, "input", 500, &err);
    for (int i = 0; i < 60000; i++)
        ss_raster_add_spike(r, i * 0.01, 0, (uint32_t)(i * 7919 % 500), -1, &err);
    const char *big = ss_test_tmp("big.svg");
    CU_ASSERT_EQUAL_FATAL(ss_raster_write(r, big, SS_RASTER_SVG, 0, NULL, &err), 0);
    CU_ASSERT_TRUE(file_contains(big, "<image"));
    CU_ASSERT_TRUE(file_size(big) < 60000L * 20); /* far below one element a spike */
    ss_raster_free(r);
}

/* Nothing to show still makes a valid picture: a window past the end of
 * every presentation, or a free-running raster without spikes. */
static void test_raster_empty_pictures(void)
{
    ss_error err;
    ss_raster *r = small_run(1);
    ss_raster_window w;
    CU_ASSERT_EQUAL_FATAL(ss_raster_window_parse("400:", &w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(ss_raster_select(r, NULL, NULL, &w, &err), 0);
    CU_ASSERT_EQUAL(r->n_spikes, 0);
    const char *path = ss_test_tmp("past-end.png");
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_PNG, NULL, NULL, &err), 0);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    cairo_surface_destroy(im.s);
    ss_raster_free(r);

    r = ss_raster_alloc();
    ss_raster_add_layer(r, "exc", 10, &err);
    path = ss_test_tmp("no-spikes.svg");
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_SVG, NULL, NULL, &err), 0);
    CU_ASSERT_TRUE(file_contains(path, "<svg"));
    ss_raster_free(r);
}

static void test_raster_refusals_create_nothing(void)
{
    ss_error err;
    ss_plot_format f;
    CU_ASSERT_EQUAL(ss_plot_format_from_path("x.gif", &f, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_plot_format_from_path("x.PDF", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SS_PLOT_PDF);

    ss_raster *r = small_run(1);
    char path[4096];
    snprintf(path, sizeof path, "%s", ss_test_tmp("refused.png"));
    unlink(path);
    ss_plot_raster_opts tiny = {150, 0, NULL, 0};
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_PNG, &tiny, NULL, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "too small"));
    ss_plot_raster_opts huge = {100000, 0, NULL, 0};
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_PNG, &huge, NULL, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, (ss_plot_format)9, NULL, NULL, &err), SS_EUSAGE);
    ss_raster_add_spike(r, 0, 0, 0, 0, &err); /* now out of order */
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_PNG, NULL, NULL, &err), SS_EDATA);
    CU_ASSERT_FALSE(exists(path));
    ss_raster_free(r);

    r = ss_raster_alloc();
    CU_ASSERT_EQUAL(ss_plot_raster(r, path, SS_PLOT_PNG, NULL, NULL, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no layers"));
    ss_raster_free(r);

    r = small_run(1);
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/r.png", ss_test_tmp("no-such-dir"));
    CU_ASSERT_EQUAL(ss_plot_raster(r, missing, SS_PLOT_PNG, NULL, NULL, &err), SS_EIO);
    CU_ASSERT_FALSE(exists(missing));
    ss_raster_free(r);
    CU_ASSERT_FALSE(exists(path));
}

static void test_failed_picture_leaves_nothing(void)
{
    ss_error err;
    ss_raster *r = small_run(1);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ss_test_tmp("fsize-plot"));
    mkdir(dir, 0777);
    static const ss_plot_format fmts[] = {SS_PLOT_PNG, SS_PLOT_SVG, SS_PLOT_PDF};
    for (int f = 0; f < 3; f++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/pic.%d", dir, f);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 2048; /* every picture here is larger */
        fflush(stdout);
        fflush(stderr);
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &lim);
        int rc = ss_plot_raster(r, path, fmts[f], NULL, NULL, &err);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, prev);
        CU_ASSERT_TRUE(rc == SS_EIO || rc == SS_ERUNTIME);
        CU_ASSERT_FALSE(exists(path));
        CU_ASSERT_EQUAL(count_prefixed(dir, ".pic."), 0);
    }
    ss_raster_free(r);
}

/* ---- other pictures ----------------------------------------------------- */

static void test_plot_dir_check(void)
{
    ss_error err;
    CU_ASSERT_EQUAL(ss_plot_dir_check(ss_test_tmp(""), &err), 0);
    CU_ASSERT_EQUAL(ss_plot_dir_check(ss_test_tmp("no-such-plot-dir"), &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--plot-dir"));
    const char *file = ss_test_write("plain-file", "x");
    CU_ASSERT_EQUAL(ss_plot_dir_check(file, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a directory"));
}

static void test_lines_chart(void)
{
    ss_error err;
    double x[5] = {1, 2, 3, 4, 5}, train[5] = {0.3, 0.6, 0.8, 0.9, 0.95};
    double test[5] = {0.25, 0.55, NAN, 0.85, 0.9};
    ss_plot_series s[2] = {{"train", 5, x, train}, {"test", 5, x, test}};
    ss_plot_chart ch = {"Accuracy per epoch", "epoch", "accuracy", s, 2, 0, 1, 1, 0, 0};
    const char *path = ss_test_tmp("learning.png");
    CU_ASSERT_EQUAL_FATAL(ss_plot_lines(&ch, path, SS_PLOT_PNG, &err), 0);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    CU_ASSERT_EQUAL(im.w, 800);
    CU_ASSERT_EQUAL(im.h, 500);
    /* both series' colours (Okabe-Ito blue and vermillion) are drawn */
    CU_ASSERT_TRUE(count_pixels(&im, 0x0072b2, 0, im.w) > 200);
    CU_ASSERT_TRUE(count_pixels(&im, 0xd55e00, 0, im.w) > 200);
    cairo_surface_destroy(im.s);

    ch.width_px = 640;
    ch.height_px = 400;
    const char *svg = ss_test_tmp("fgsm.svg");
    CU_ASSERT_EQUAL(ss_plot_lines(&ch, svg, SS_PLOT_SVG, &err), 0);
    CU_ASSERT_TRUE(file_contains(svg, "width=\"640pt\""));

    const char *bad = ss_test_tmp("bad-chart.png");
    unlink(bad);
    ch.n_series = 0;
    CU_ASSERT_EQUAL(ss_plot_lines(&ch, bad, SS_PLOT_PNG, &err), SS_EUSAGE);
    double nan5[5] = {NAN, NAN, NAN, NAN, NAN}, inf5[5] = {0, 1, INFINITY, 0, 0};
    ss_plot_series none = {"none", 5, x, nan5}, inf = {"inf", 5, x, inf5};
    ch.series = &none;
    ch.n_series = 1;
    CU_ASSERT_EQUAL(ss_plot_lines(&ch, bad, SS_PLOT_PNG, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nothing to plot"));
    ch.series = &inf;
    CU_ASSERT_EQUAL(ss_plot_lines(&ch, bad, SS_PLOT_PNG, &err), SS_EDATA);
    CU_ASSERT_FALSE(exists(bad));
}

static void test_rates_histograms(void)
{
    ss_error err;
    ss_raster *r = small_run(1);
    const char *path = ss_test_tmp("rates.png");
    CU_ASSERT_EQUAL_FATAL(ss_plot_raster_rates(r, "rates", path, SS_PLOT_PNG, &err), 0);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    CU_ASSERT_TRUE(im.h > 3 * 150);                             /* a panel a layer */
    CU_ASSERT_TRUE(count_pixels(&im, 0x0a5fa8, 0, im.w) > 500); /* bars */
    cairo_surface_destroy(im.s);
    ss_raster_free(r);

    double rates[3] = {1, -2, 3};
    ss_plot_rates_layer l = {"x", 3, rates};
    const char *bad = ss_test_tmp("bad-rates.png");
    CU_ASSERT_EQUAL(ss_plot_rates(&l, 1, NULL, bad, SS_PLOT_PNG, &err), SS_EDATA);
    CU_ASSERT_EQUAL(ss_plot_rates(&l, 0, NULL, bad, SS_PLOT_PNG, &err), SS_EDATA);
    CU_ASSERT_FALSE(exists(bad));
}

/* One 28x28 neuron: left half weights 0.5, right half 0, one weight 1 at
 * the top left.  The right half is the tile's black part, the left half
 * mid-grey, in that order. */
static void test_receptive_fields(void)
{
    ss_error err;
    double *w = calloc(3 * 784, sizeof *w);
    for (int j = 0; j < 3; j++)
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 14; x++)
                w[j * 784 + y * 28 + x] = 0.5;
    w[0] = 1;
    w[784] = 1;
    w[2 * 784] = 1;
    const char *path = ss_test_tmp("receptive.png");
    CU_ASSERT_EQUAL_FATAL(ss_plot_receptive(w, 3, 784, 28, 28, NULL, path, SS_PLOT_PNG, &err), 0);
    image im;
    CU_ASSERT_FATAL(load_png(path, &im));
    /* The first black pixel in reading order is the top left of the first
     * tile's black half (the grid fills rows left to right). */
    int x0 = -1, y0 = -1;
    long black = 0;
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            if (pixel(&im, x, y) == 0) {
                if (black++ == 0) {
                    x0 = x;
                    y0 = y;
                }
            }
    CU_ASSERT_FATAL(black > 0);
    int run = 0, tall = 0;
    while (pixel(&im, x0 + run, y0) == 0)
        run++;
    while (pixel(&im, x0, y0 + tall) == 0)
        tall++;
    CU_ASSERT_EQUAL_FATAL(run % 14, 0);
    int zoom = run / 14;
    CU_ASSERT_EQUAL(tall, 28 * zoom);
    CU_ASSERT_EQUAL(black, 3L * 14 * 28 * zoom * zoom);
    int mid_y = y0 + tall / 2;
    CU_ASSERT_EQUAL(pixel(&im, x0 - 1, mid_y), 0x808080u);
    CU_ASSERT_EQUAL(pixel(&im, x0 - 14 * zoom, mid_y), 0x808080u);
    CU_ASSERT_EQUAL(pixel(&im, x0 - 14 * zoom - 1, mid_y), WHITE); /* the margin */
    cairo_surface_destroy(im.s);

    const char *bad = ss_test_tmp("bad-receptive.png");
    CU_ASSERT_EQUAL(ss_plot_receptive(w, 3, 784, 28, 27, NULL, bad, SS_PLOT_PNG, &err), SS_EUSAGE);
    w[5] = NAN;
    CU_ASSERT_EQUAL(ss_plot_receptive(w, 3, 784, 28, 28, NULL, bad, SS_PLOT_PNG, &err), SS_EDATA);
    CU_ASSERT_FALSE(exists(bad));
    free(w);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"raster PNG is valid and shows spikes", test_raster_png_is_valid_and_shows_spikes},
        {"raster time axis places spikes", test_raster_time_axis_places_spikes},
        {"raster cap reports dropped spikes", test_raster_cap_reports_dropped},
        {"raster SVG and PDF", test_raster_svg_and_pdf},
        {"raster with nothing to show", test_raster_empty_pictures},
        {"raster refusals create nothing", test_raster_refusals_create_nothing},
        {"failed picture leaves nothing", test_failed_picture_leaves_nothing},
        {"--plot-dir check", test_plot_dir_check},
        {"line chart", test_lines_chart},
        {"rate histograms", test_rates_histograms},
        {"receptive fields", test_receptive_fields},
        {NULL, NULL}};
    CU_initialize_registry();
    ss_test_add_suite("plot", cases);
    int status = ss_test_main();
    ss_plot_release_caches(); /* else LeakSanitizer reports fontconfig's caches */
    return status;
}
