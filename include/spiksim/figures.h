/* The files a classification run leaves for people to look at: the --raster
 * file and the --plot-dir pictures (raster.png, rates.png, learning.png,
 * fgsm.png, receptive.png), from a capture (capture.h), a fold's results and
 * the trained classifier. */
#ifndef SPIKSIM_FIGURES_H
#define SPIKSIM_FIGURES_H

#include <stdio.h>
#include <spiksim/capture.h>
#include <spiksim/report.h>
#include <spiksim/train.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the captured raster to path (atomically); warns on `warn` (may be
 * NULL) how many spikes --raster-max-spikes dropped. */
int ss_figures_raster(ss_capture *cap, const char *path, ss_raster_format fmt, size_t max_spikes,
                      FILE *warn, ss_error *err);

/* Writes the pictures of one fold into the existing directory dir.
 * receptive.png only for 28x28 images (784 features). */
int ss_figures_plots(const char *dir, ss_capture *cap, const ss_fold_result *fold, ss_classifier *c,
                     size_t n_features, ss_error *err);

/* Free-running models: raster.png and rates.png into dir. */
int ss_figures_free_plots(const char *dir, ss_capture *cap, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
