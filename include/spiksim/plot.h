/* Pictures through cairo: spike rasters, firing-rate histograms, line charts
 * (learning curves, FGSM accuracy against epsilon) and receptive fields.
 *
 * Every function takes plain data, draws it as PNG (pixels), SVG or PDF
 * (points, one point per PNG pixel) and writes the file atomically; on error
 * nothing is created.  The files --plot-dir writes are built from these:
 *
 *     raster.png     ss_plot_raster()
 *     rates.png      ss_plot_raster_rates() (or ss_plot_rates())
 *     learning.png   ss_plot_lines(): train/test accuracy per epoch
 *     fgsm.png       ss_plot_lines(): accuracy against epsilon, one series an attack
 *     receptive.png  ss_plot_receptive(): hidden1 weights as 28x28 images
 *
 * docs/plots.md shows each picture and how to read it.
 */
#ifndef SPIKSIM_PLOT_H
#define SPIKSIM_PLOT_H

#include <stddef.h>
#include <spiksim/error.h>
#include <spiksim/raster.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ss_plot_format { SS_PLOT_PNG, SS_PLOT_SVG, SS_PLOT_PDF } ss_plot_format;

/* From the extension of path (.png .svg .pdf, any case), else SS_EUSAGE. */
int ss_plot_format_from_path(const char *path, ss_plot_format *fmt, ss_error *err);

/* --plot-dir: dir exists, is a directory and is writable, else SS_EUSAGE.
 * Meant to run before any simulation starts. */
int ss_plot_dir_check(const char *dir, ss_error *err);

/* Frees the font and glyph caches cairo and fontconfig keep for the whole
 * process, so that leak checkers (LeakSanitizer, valgrind) see a clean exit.
 * Call once at exit, after the last picture; harmless when none was drawn. */
void ss_plot_release_caches(void);

/* ---- spike raster ------------------------------------------------------- */

typedef struct ss_plot_raster_opts {
    int width_px, height_px; /* 0: chosen from the content */
    const char *title;       /* NULL: none */
    size_t max_spikes;       /* draw only the first N in time; 0: all */
} ss_plot_raster_opts;

/* Layers stacked top to bottom (names and sizes on the left, neuron axis,
 * mean rate and fraction of neurons that fired on the right), one column per
 * presentation (time within it on the axis, in ms), phase, index, label and
 * prediction above each (green when right, red when wrong).  A layer with
 * neuron names (the readout) shows them on its axis and tints each
 * presentation's label row green and a wrong prediction's row red.  Without
 * presentations, one column over absolute time.  r must be sorted.
 * opts may be NULL.  *n_dropped (may be NULL): spikes not drawn. */
int ss_plot_raster(const ss_raster *r, const char *path, ss_plot_format fmt,
                   const ss_plot_raster_opts *opts, size_t *n_dropped, ss_error *err);

/* ---- firing rates ------------------------------------------------------- */

typedef struct ss_plot_rates_layer {
    const char *name;
    size_t n;               /* neurons */
    const double *rates_hz; /* n rates, finite and >= 0 */
} ss_plot_rates_layer;

/* One histogram per layer (number of neurons against rate), stacked, each
 * titled with the mean rate and the fraction of silent neurons. */
int ss_plot_rates(const ss_plot_rates_layer *layers, size_t n_layers, const char *title,
                  const char *path, ss_plot_format fmt, ss_error *err);
/* The same from a raster's spikes, over ss_raster_observed_ms(r). */
int ss_plot_raster_rates(const ss_raster *r, const char *title, const char *path,
                         ss_plot_format fmt, ss_error *err);

/* ---- line charts -------------------------------------------------------- */

typedef struct ss_plot_series {
    const char *name; /* in the legend */
    size_t n;         /* points */
    const double *x;  /* finite */
    const double *y;  /* NaN: not measured, skipped */
} ss_plot_series;

typedef struct ss_plot_chart {
    const char *title, *x_label, *y_label; /* may be NULL */
    const ss_plot_series *series;
    size_t n_series;
    double y_min, y_max;     /* fixed y range; equal values: fit the data */
    int x_whole;             /* 1: ticks only on whole numbers (epochs) */
    int width_px, height_px; /* 0: 800 x 500 */
} ss_plot_chart;

/* Lines with a marker at each point and a legend; up to 8 series. */
int ss_plot_lines(const ss_plot_chart *chart, const char *path, ss_plot_format fmt, ss_error *err);

/* ---- receptive fields --------------------------------------------------- */

/* weights[j * n_inputs + i] is the weight from input i to neuron j;
 * n_inputs == img_w * img_h (row-major image).  Each neuron's weights become
 * a grayscale tile, black at its smallest weight and white at its largest;
 * tiles in a grid, the first 1024 neurons at most. */
int ss_plot_receptive(const double *weights, size_t n_neurons, size_t n_inputs, size_t img_w,
                      size_t img_h, const char *title, const char *path, ss_plot_format fmt,
                      ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
