/* A whole classification run of a model file: for each fold, the split, the
 * spiking classifier trained with the local rule (or loaded from a
 * checkpoint) and tested, and the backprop baseline and FGSM attacks of
 * [evaluate]; everything lands in an ss_results for the report. */
#ifndef SPIKSIM_EXPERIMENT_H
#define SPIKSIM_EXPERIMENT_H

#include <signal.h>
#include <spiksim/capture.h>
#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/error.h>
#include <spiksim/report.h>
#include <spiksim/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_run_options {
    unsigned long seed;
    const char *save_path;             /* checkpoint after training, NULL: none */
    const char *load_path;             /* checkpoint to start from, NULL: none */
    int no_train;                      /* evaluate the loaded (or initial) network only */
    int quiet;                         /* no progress display */
    int verbose;                       /* per-layer activity after each fold */
    const volatile sig_atomic_t *stop; /* SIGINT flag, checked between samples */
    /* Spike raster of the first fold (--raster), NULL: none. */
    const char *raster_path;
    ss_raster_format raster_format;
    const ss_raster_request *raster; /* NULL: everything */
    /* Pictures (--plot-dir): raster, rates, learning, fgsm, receptive fields. */
    const char *plot_dir;
    /* Live views (--serve, server.h): called with begin = 1 once a fold's
     * classifier is built (and loaded), before it trains or tests, and with
     * begin = 0 once it is tested, before the baseline; c is valid in
     * between.  A nonzero return stops the run.  NULL: none. */
    int (*on_fold)(void *ctx, int begin, ss_classifier *c, const ss_split *split,
                   const ss_fold_result *res, ss_error *err);
    void *on_fold_ctx;
    /* The ranks of an MPI run (NULL: this process alone): every rank calls
     * ss_run_classifier() with the same options but for its outputs (rank 0
     * writes); the results are the same on every rank. */
    ss_comm *comm;
} ss_run_options;

/* Runs cfg on ds.  results must be freed with ss_results_free() even on
 * error.  SS_EINTR when stopped (the checkpoint, if asked for, is saved). */
int ss_run_classifier(const ss_config *cfg, const ss_dataset *ds, const ss_run_options *opt,
                      ss_results *results, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
