/* plot_demo: every picture and raster file spiksim writes, drawn from a
 * SYNTHETIC run (Poisson spikes with hand-set rates, made-up accuracies),
 * to show the API and what the pictures look like.  No network is simulated.
 *
 *     examples/plot_demo DIR          4 presentations, ~40k spikes
 *     examples/plot_demo DIR big      100 presentations, ~1e6 spikes
 *     examples/plot_demo DIR free     a free-running network (no
 *                                     presentations), raster only
 *
 * Writes DIR/raster.{png,svg,pdf,csv,bin}, rates.png, learning.png,
 * fgsm.png and receptive.png.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <spiksim/plot.h>
#include <spiksim/raster.h>

#define IMG 28
#define PI 3.14159265358979323846

static void die(const ss_error *err)
{
    fprintf(stderr, "plot_demo: %s\n", err->msg);
    exit(1);
}

/* Poisson spikes of one neuron at rate_hz over [t0, t1). */
static void poisson(ss_raster *r, gsl_rng *rng, double rate_hz, double t0, double t1,
                    uint32_t layer, uint32_t neuron, int32_t sample)
{
    if (rate_hz <= 0)
        return;
    ss_error err;
    for (double t = t0 + gsl_ran_exponential(rng, 1000.0 / rate_hz); t < t1;
         t += gsl_ran_exponential(rng, 1000.0 / rate_hz))
        if (ss_raster_add_spike(r, t, layer, neuron, sample, &err) < 0)
            die(&err);
}

/* A made-up "digit": a random stroke of thick pixels on a 28x28 image. */
static void stroke(gsl_rng *rng, double *img)
{
    memset(img, 0, IMG * IMG * sizeof *img);
    double x = 8 + gsl_rng_uniform(rng) * 12, y = 5, dir = (PI / 2);
    for (int step = 0; step < 60; step++) {
        dir += gsl_ran_gaussian(rng, 0.35);
        x += cos(dir) * 0.6;
        y += sin(dir) * 0.6;
        if (x < 3 || x > 24)
            dir = PI - dir;
        if (y > 24)
            break;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int px = (int)x + dx, py = (int)y + dy;
                if (px >= 0 && px < IMG && py >= 0 && py < IMG)
                    img[py * IMG + px] = fmax(img[py * IMG + px], dx || dy ? 0.6 : 1.0);
            }
    }
}

/* Something shaped like Brette et al.'s benchmark 4: 3200 excitatory and
 * 800 inhibitory neurons in asynchronous irregular firing, with population
 * bursts; drawn over the window 200:700 ms. */
static void free_running(const char *dir, gsl_rng *rng)
{
    ss_error err;
    ss_raster *r = ss_raster_alloc();
    int exc = ss_raster_add_layer(r, "exc", 3200, &err);
    int inh = ss_raster_add_layer(r, "inh", 800, &err);
    if (inh < 0)
        die(&err);
    for (int layer = exc; layer <= inh; layer++)
        for (uint32_t i = 0; i < r->layers[layer].size; i++) {
            poisson(r, rng, layer == exc ? 6 : 12, 0, 1000, (uint32_t)layer, i, -1);
            for (double burst = 150; burst < 1000; burst += 230) /* population events */
                poisson(r, rng, 150, burst, burst + 12, (uint32_t)layer, i, -1);
        }
    ss_raster_window w;
    if (ss_raster_window_parse("200:700", &w, &err) < 0 ||
        ss_raster_select(r, NULL, NULL, &w, &err) < 0)
        die(&err);
    char path[4096];
    snprintf(path, sizeof path, "%s/raster-free.png", dir);
    ss_plot_raster_opts o = {0, 0, "Free-running network, window 200:700 ms (synthetic)", 0};
    if (ss_plot_raster(r, path, SS_PLOT_PNG, &o, NULL, &err) < 0)
        die(&err);
    printf("%zu spikes in %s\n", r->n_spikes, path);
    ss_raster_free(r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: plot_demo DIR [big]\n");
        return 2;
    }
    const char *dir = argv[1];
    int big = argc > 2 && strcmp(argv[2], "big") == 0;
    ss_error err;
    if (ss_plot_dir_check(dir, &err) < 0)
        die(&err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    if (argc > 2 && strcmp(argv[2], "free") == 0) {
        free_running(dir, rng);
        gsl_rng_free(rng);
        ss_plot_release_caches();
        return 0;
    }

    ss_raster *r = ss_raster_alloc();
    int in = ss_raster_add_layer(r, "input", IMG * IMG, &err);
    int h1 = ss_raster_add_layer(r, "hidden1", 200, &err);
    int h2 = ss_raster_add_layer(r, "hidden2", 100, &err);
    int out = ss_raster_add_layer(r, "output", 10, &err);
    if (out < 0)
        die(&err);
    const char *digits[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    if (ss_raster_set_neuron_names(r, (size_t)out, digits, &err) < 0)
        die(&err);

    /* Two teacher-driven training presentations, then tests, one wrong. */
    size_t n_samples = big ? 100 : 4;
    const double present_ms = 300, rest_ms = 50;
    double img[IMG * IMG];
    for (size_t k = 0; k < n_samples; k++) {
        int train = k < n_samples / 2;
        int label = (int)gsl_rng_uniform_int(rng, 10);
        int pred = label;
        if (!train && gsl_rng_uniform(rng) < 0.3)
            pred = (label + 1 + (int)gsl_rng_uniform_int(rng, 9)) % 10;
        if (!big && k >= 2) /* the small demo shows one hit and one miss */
            pred = k == 2 ? label : (label + 3) % 10;
        double t0 = (double)k * (present_ms + rest_ms), t1 = t0 + present_ms;
        int s = ss_raster_add_sample(r, train ? SS_PHASE_TRAIN : SS_PHASE_TEST,
                                     (int32_t)(train ? k : k - n_samples / 2), digits[label], t0,
                                     t1, &err);
        if (s < 0)
            die(&err);
        stroke(rng, img);
        for (uint32_t i = 0; i < IMG * IMG; i++)
            poisson(r, rng, big ? 2 + 60 * img[i] + 30 : 60 * img[i] + 0.5, t0, t1, (uint32_t)in, i,
                    s);
        for (uint32_t i = 0; i < 200; i++)
            poisson(r, rng, gsl_rng_uniform(rng) < 0.12 ? 15 + 40 * gsl_rng_uniform(rng) : 0.3, t0,
                    t1, (uint32_t)h1, i, s);
        for (uint32_t i = 0; i < 100; i++)
            poisson(r, rng, gsl_rng_uniform(rng) < 0.15 ? 10 + 30 * gsl_rng_uniform(rng) : 0.3, t0,
                    t1, (uint32_t)h2, i, s);
        for (uint32_t i = 0; i < 10; i++) {
            double hz = 3;
            if (train && (int)i == label)
                hz = 160; /* the teacher drives the label neuron */
            else if (!train && (int)i == pred)
                hz = 70;
            else if (!train && (int)i == label)
                hz = 25;
            poisson(r, rng, hz, t0, t1, (uint32_t)out, i, s);
        }
        if (!train && ss_raster_set_predicted(r, (size_t)s, digits[pred], &err) < 0)
            die(&err);
    }
    ss_raster_sort(r);
    printf("%zu spikes in %zu presentations\n", r->n_spikes, r->n_samples);

    char path[4096];
    static const char *const exts[] = {"png", "svg", "pdf", "csv", "bin"};
    for (int f = 0; f < 5; f++) {
        ss_raster_format fmt;
        snprintf(path, sizeof path, "%s/raster.%s", dir, exts[f]);
        size_t dropped;
        if (ss_raster_format_from_path(path, &fmt, &err) < 0 ||
            ss_raster_write(r, path, fmt, 0, &dropped, &err) < 0)
            die(&err);
    }
    snprintf(path, sizeof path, "%s/rates.png", dir);
    if (ss_plot_raster_rates(r, "Firing rates (synthetic demo data)", path, SS_PLOT_PNG, &err) < 0)
        die(&err);

    /* Learning curves and FGSM accuracies: invented numbers, shaped like
     * the real thing. */
    double epoch[20], train_acc[20], test_acc[20];
    for (int e = 0; e < 20; e++) {
        epoch[e] = e + 1;
        train_acc[e] = 0.97 - 0.75 * exp(-e / 3.0) + gsl_ran_gaussian(rng, 0.006);
        test_acc[e] = 0.93 - 0.72 * exp(-e / 3.2) + gsl_ran_gaussian(rng, 0.01);
    }
    ss_plot_series learn[2] = {{"train", 20, epoch, train_acc}, {"test", 20, epoch, test_acc}};
    ss_plot_chart lc = {
        "Accuracy per epoch (synthetic demo data)", "epoch", "accuracy", learn, 2, 0, 1, 1, 0, 0};
    snprintf(path, sizeof path, "%s/learning.png", dir);
    if (ss_plot_lines(&lc, path, SS_PLOT_PNG, &err) < 0)
        die(&err);

    double eps[7], bp[7], surr[7], transfer[7];
    for (int i = 0; i < 7; i++) {
        eps[i] = 0.05 * i;
        bp[i] = 0.97 * exp(-eps[i] / 0.06);
        surr[i] = 0.93 * exp(-eps[i] / 0.12);
        transfer[i] = 0.93 * exp(-eps[i] / 0.25);
    }
    ss_plot_series fg[3] = {{"BP network (white box)", 7, eps, bp},
                            {"SNN, surrogate gradient", 7, eps, surr},
                            {"SNN, transferred from BP", 7, eps, transfer}};
    ss_plot_chart fc = {"FGSM: test accuracy against epsilon (synthetic demo data)",
                        "epsilon",
                        "accuracy",
                        fg,
                        3,
                        0,
                        1,
                        0,
                        0,
                        0};
    snprintf(path, sizeof path, "%s/fgsm.png", dir);
    if (ss_plot_lines(&fc, path, SS_PLOT_PNG, &err) < 0)
        die(&err);

    /* Receptive fields: each hidden1 neuron prefers one random stroke. */
    double *w = malloc(200 * IMG * IMG * sizeof *w);
    for (int j = 0; j < 200; j++) {
        stroke(rng, img);
        for (int i = 0; i < IMG * IMG; i++)
            w[j * IMG * IMG + i] = img[i] + gsl_ran_gaussian(rng, 0.08);
    }
    snprintf(path, sizeof path, "%s/receptive.png", dir);
    if (ss_plot_receptive(w, 200, IMG * IMG, IMG, IMG, "hidden1 receptive fields (synthetic)", path,
                          SS_PLOT_PNG, &err) < 0)
        die(&err);
    free(w);
    ss_raster_free(r);
    gsl_rng_free(rng);
    ss_plot_release_caches();
    printf("pictures in %s\n", dir);
    return 0;
}
