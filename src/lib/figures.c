/* Raster files and pictures of a run, see figures.h. */
#include <spiksim/figures.h>

#include <spiksim/plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ss_figures_raster(ss_capture *cap, const char *path, ss_raster_format fmt, size_t max_spikes,
                      FILE *warn, ss_error *err)
{
    int rc = ss_capture_status(cap, err);
    if (rc != SS_OK)
        return rc;
    ss_raster *r = ss_capture_raster(cap);
    ss_raster_sort(r);
    size_t dropped = 0;
    rc = ss_raster_write(r, path, fmt, max_spikes, &dropped, err);
    dropped += ss_capture_dropped(cap);
    if (rc == SS_OK && dropped && warn)
        fprintf(warn, "spiksim: warning: %s: %zu spikes dropped by --raster-max-spikes %zu\n", path,
                dropped, max_spikes);
    return rc;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* learning.png: accuracy per epoch (train: running, with the teacher on). */
static int plot_learning(const char *path, const ss_fold_result *f, ss_error *err)
{
    size_t n = f->n_epochs;
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t e = 0; e < n; e++)
        x[e] = (double)(e + 1);
    ss_plot_series series[2] = {
        {"train (running, teacher on)", n, x, f->epoch_train_accuracy},
        {"test", n, x, f->epoch_test_accuracy},
    };
    ss_plot_chart chart = {.title = "Spiking network: accuracy per epoch",
                           .x_label = "epoch",
                           .y_label = "accuracy",
                           .series = series,
                           .n_series = 2,
                           .y_min = 0,
                           .y_max = 1,
                           .x_whole = 1};
    int rc = ss_plot_lines(&chart, path, SS_PLOT_PNG, err);
    free(x);
    return rc;
}

/* fgsm.png: accuracy against epsilon, one line per attack. */
static int plot_fgsm(const char *path, const ss_fold_result *f, ss_error *err)
{
    size_t n = f->n_fgsm;
    double *v = malloc((n ? n : 1) * 4 * sizeof *v);
    if (!v)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    double *x = v, *bp = v + n, *sur = v + 2 * n, *tr = v + 3 * n;
    for (size_t k = 0; k < n; k++) {
        x[k] = f->fgsm[k].eps;
        bp[k] = f->fgsm[k].backprop_whitebox;
        sur[k] = f->fgsm[k].snn_surrogate_whitebox;
        tr[k] = f->fgsm[k].snn_transfer_from_backprop;
    }
    ss_plot_series series[3] = {
        {"backprop, white-box", n, x, bp},
        {"spiking, white-box via surrogate", n, x, sur},
        {"spiking, transfer from backprop", n, x, tr},
    };
    ss_plot_chart chart = {.title = "FGSM: test accuracy under attack",
                           .x_label = "epsilon",
                           .y_label = "accuracy",
                           .series = series,
                           .n_series = 3,
                           .y_min = 0,
                           .y_max = 1};
    int rc = ss_plot_lines(&chart, path, SS_PLOT_PNG, err);
    free(v);
    return rc;
}

/* receptive.png: the input weights of the first layer fed by the input. */
static int plot_receptive(const char *path, ss_classifier *c, ss_error *err)
{
    ss_network *net = ss_classifier_network(c);
    size_t in = ss_classifier_input_layer(c);
    for (size_t k = 0; k < ss_network_n_projections(net); k++) {
        ss_projection *p = ss_network_projection(net, k);
        if (ss_projection_from(p) != in)
            continue;
        size_t n_in = ss_layer_size(ss_network_layer(net, in));
        size_t n_out = ss_layer_size(ss_network_layer(net, ss_projection_to(p)));
        double *w = calloc(n_in * n_out, sizeof *w);
        if (!w)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        const uint32_t *row = ss_projection_row_ptr(p);
        const uint32_t *target = ss_projection_targets(p);
        const float *weight = ss_projection_weights(p);
        for (size_t i = 0; i < n_in; i++)
            for (uint32_t s = row[i]; s < row[i + 1]; s++)
                w[target[s] * n_in + i] += weight[s];
        char title[128];
        snprintf(title, sizeof title, "Input weights of %s",
                 ss_layer_name(ss_network_layer(net, ss_projection_to(p))));
        int rc = ss_plot_receptive(w, n_out, n_in, 28, 28, title, path, SS_PLOT_PNG, err);
        free(w);
        return rc;
    }
    return SS_OK;
}

int ss_figures_plots(const char *dir, ss_capture *cap, const ss_fold_result *fold, ss_classifier *c,
                     size_t n_features, ss_error *err)
{
    const char *names[] = {"raster.png", "rates.png", "learning.png", "fgsm.png", "receptive.png"};
    char *paths[5] = {NULL, NULL, NULL, NULL, NULL};
    int rc = SS_OK;
    for (int i = 0; i < 5; i++)
        if (!(paths[i] = join(dir, names[i])))
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    if (rc == SS_OK)
        rc = ss_capture_status(cap, err);
    ss_raster *r = ss_capture_raster(cap);
    ss_raster_sort(r);
    ss_plot_raster_opts ro = {0, 0, "Spike raster", 0};
    if (rc == SS_OK)
        rc = ss_plot_raster(r, paths[0], SS_PLOT_PNG, &ro, NULL, err);
    if (rc == SS_OK)
        rc = ss_plot_raster_rates(r, "Firing rates of the captured presentations", paths[1],
                                  SS_PLOT_PNG, err);
    if (rc == SS_OK && fold->n_epochs)
        rc = plot_learning(paths[2], fold, err);
    if (rc == SS_OK && fold->has_backprop && fold->n_fgsm)
        rc = plot_fgsm(paths[3], fold, err);
    if (rc == SS_OK && n_features == 784)
        rc = plot_receptive(paths[4], c, err);
    for (int i = 0; i < 5; i++)
        free(paths[i]);
    return rc;
}

int ss_figures_free_plots(const char *dir, ss_capture *cap, ss_error *err)
{
    char *raster = join(dir, "raster.png"), *rates = join(dir, "rates.png");
    int rc = raster && rates ? ss_capture_status(cap, err)
                             : ss_error_set(err, SS_ENOMEM, "out of memory");
    ss_raster *r = ss_capture_raster(cap);
    ss_raster_sort(r);
    ss_plot_raster_opts ro = {0, 0, "Spike raster", 0};
    if (rc == SS_OK)
        rc = ss_plot_raster(r, raster, SS_PLOT_PNG, &ro, NULL, err);
    if (rc == SS_OK)
        rc = ss_plot_raster_rates(r, "Firing rates", rates, SS_PLOT_PNG, err);
    free(raster);
    free(rates);
    return rc;
}
