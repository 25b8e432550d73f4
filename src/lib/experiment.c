/* A whole classification run, fold by fold; see experiment.h. */
#include <spiksim/experiment.h>

#include "attack_run.h"

#include <spiksim/ann.h>
#include <spiksim/attack.h>
#include <spiksim/figures.h>
#include <spiksim/progress.h>
#include <spiksim/surrogate.h>
#include <spiksim/train.h>

#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops the backprop baseline's training after an epoch on SIGINT. */
static int stop_after_epoch(void *ctx, size_t epoch, double loss)
{
    const volatile sig_atomic_t *stop = ctx;
    (void)epoch;
    (void)loss;
    return stop && *stop;
}

/* The backprop MLP of the same shape, its clean accuracies, and the attacks
 * on both networks (attack_run.h). */
static int run_baseline(const ss_config *cfg, const ss_run_options *opt, const ss_split *split,
                        ss_classifier *snn, ss_fold_result *res, ss_progress *progress,
                        ss_error *err)
{
    size_t nf = split->n_features;
    gsl_matrix_const_view train = gsl_matrix_const_view_array(split->train_x, split->n_train, nf);
    gsl_matrix_const_view test = gsl_matrix_const_view_array(split->test_x, split->n_test, nf);
    ss_mlp *mlp = ss_mlp_alloc_from_config(cfg, nf, split->n_classes, err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!mlp || !rng) {
        ss_mlp_free(mlp);
        if (rng)
            gsl_rng_free(rng);
        return err && err->code ? err->code : ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    /* Its own stream: the spiking network's results do not depend on
     * whether the baseline runs. */
    gsl_rng_set(rng, opt->seed ^ 0x27d4eb2fUL);
    ss_mlp_init(mlp, rng);
    ss_mlp_train_opts bp;
    int rc = ss_mlp_train_opts_from_config(cfg, &bp, err);
    bp.on_epoch = stop_after_epoch;
    bp.ctx = (void *)opt->stop;
    double t0 = ss_now_s();
    if (rc == SS_OK)
        rc = ss_mlp_train(mlp, &train.matrix, split->train_y, &bp, rng, NULL, err);
    res->bp_train_s = ss_now_s() - t0;
    if (rc == SS_OK && opt->stop && *opt->stop)
        rc = ss_error_set(err, SS_EINTR, "interrupted");
    if (rc == SS_OK)
        rc =
            ss_mlp_evaluate(mlp, &train.matrix, split->train_y, &res->bp_train_accuracy, NULL, err);
    if (rc == SS_OK)
        rc = ss_mlp_evaluate(mlp, &test.matrix, split->test_y, &res->bp_test_accuracy,
                             res->bp_confusion, err);
    res->has_backprop = rc == SS_OK;

    /* Every attack of [evaluate] on both networks (attack_run.c). */
    if (rc == SS_OK)
        rc = ss_run_attacks(cfg, opt->seed, split, snn, mlp, res, progress, opt->stop, err);
    ss_mlp_free(mlp);
    gsl_rng_free(rng);
    return rc;
}

/* One fold: split, spiking classifier, baseline and attacks, result. */
static int run_fold(const ss_config *cfg, const ss_dataset *ds, const ss_run_options *opt, int fold,
                    int first, const char *const *class_names, ss_fold_result *res,
                    ss_progress *progress, ss_error *err)
{
    ss_capture *cap = NULL;
    ss_split *split = NULL;
    int rc = ss_dataset_split_config(ds, cfg, fold, &split, err);
    if (rc != SS_OK)
        return rc;
    res->fold = ss_dataset_n_folds(ds) > 1 ? fold : -1;
    res->n_train = split->n_train;
    res->n_test = split->n_test;
    long epochs = opt->no_train ? 0 : ss_config_int(cfg, "train", "epochs");
    const double *eps;
    size_t n_eps = ss_config_list(cfg, "evaluate", "fgsm_eps", &eps);
    rc = ss_fold_result_reserve(res, (size_t)epochs, n_eps, err);
    ss_classifier *c = NULL;
    if (rc == SS_OK) {
        c = ss_classifier_alloc_comm(cfg, split->n_features, split->n_classes, opt->seed,
                                     (unsigned)ss_config_int(cfg, "simulation", "threads"),
                                     opt->comm, err);
        if (!c)
            rc = err ? err->code : SS_ENOMEM;
    }
    if (rc == SS_OK && opt->verbose)
        ss_classifier_set_log(c, ss_comm_rank(opt->comm) == 0 ? stderr : NULL);
    /* learn_epochs beyond the run (a shortened --set train.epochs, say)
     * leaves a layer as it was drawn: say so once. */
    if (rc == SS_OK && first && !opt->quiet && epochs > 0) {
        ss_network *net = ss_classifier_network(c);
        for (size_t i = 0; i < ss_network_n_layers(net); i++) {
            long from = ss_learner_first_epoch(ss_classifier_learner(c), i);
            if (from > epochs)
                fprintf(stderr,
                        "spiksim: warning: layer '%s' learns from epoch %ld but [train] epochs = "
                        "%ld: it will not learn\n",
                        ss_layer_name(ss_network_layer(net, i)), from, epochs);
        }
    }
    /* Rasters and pictures come from the first fold. */
    if (rc == SS_OK && first && (opt->raster_path || opt->plot_dir)) {
        ss_raster_request req;
        if (opt->raster)
            req = *opt->raster;
        else {
            ss_raster_request_default(&req);
            if (!opt->raster_path) /* pictures alone: the first ten test samples */
                rc = ss_raster_samples_parse("test:0-9", &req.samples, err);
        }
        if (rc == SS_OK)
            cap = ss_capture_alloc(&req, ss_classifier_network(c), ss_classifier_output_layer(c),
                                   class_names, split->n_classes,
                                   ss_encoder_window_ms(ss_classifier_encoder(c), 1),
                                   ss_encoder_window_ms(ss_classifier_encoder(c), 0), err);
        if (!cap && rc == SS_OK)
            rc = err && err->code ? err->code : SS_ENOMEM;
        if (cap) {
            rc = ss_engine_add_observer(ss_classifier_engine(c), ss_capture_spike, cap);
            ss_classifier_set_listener(c, ss_capture_presentation, cap);
        }
    }
    if (rc == SS_OK && opt->load_path)
        rc = ss_classifier_load(c, opt->load_path, err);
    int watched = rc == SS_OK && opt->on_fold;
    if (watched)
        rc = opt->on_fold(opt->on_fold_ctx, 1, c, split, res, err);
    if (rc == SS_OK && !opt->no_train) {
        rc = ss_classifier_train(c, cfg, split, res, progress, opt->stop, err);
        /* An interrupted run still saves what it learned. */
        if ((rc == SS_OK || rc == SS_EINTR) && opt->save_path) {
            ss_error save_err;
            int src = ss_classifier_save(c, opt->save_path, &save_err);
            if (src != SS_OK) {
                if (err)
                    *err = save_err;
                rc = src;
            }
        }
    } else if (rc == SS_OK) {
        double t0 = ss_now_s();
        rc = ss_classifier_test(c, split->test_x, split->test_y, split->n_test, res->confusion,
                                progress, &res->test_accuracy, err);
        res->train_accuracy = NAN;
        res->test_s = ss_now_s() - t0;
        res->samples_presented += (long long)split->n_test;
    }
    if (watched)
        opt->on_fold(opt->on_fold_ctx, 0, c, split, res, NULL);
    /* The attacks present samples too: they make no raster columns. */
    if (c)
        ss_classifier_set_listener(c, NULL, NULL);
    if (rc == SS_OK && strcmp(ss_config_string(cfg, "evaluate", "baseline"), "backprop") == 0)
        rc = run_baseline(cfg, opt, split, c, res, progress, err);
    if (rc == SS_OK && cap && opt->raster_path)
        rc = ss_figures_raster(cap, opt->raster_path, opt->raster_format,
                               opt->raster ? opt->raster->max_spikes : 0, stderr, err);
    if (rc == SS_OK && cap && opt->plot_dir)
        rc = ss_figures_plots(opt->plot_dir, cap, res, c, split->n_features, err);
    if (cap)
        ss_engine_remove_observer(ss_classifier_engine(c), ss_capture_spike, cap);
    ss_capture_free(cap);
    ss_classifier_free(c);
    ss_split_free(split);
    return rc;
}

int ss_run_classifier(const ss_config *cfg, const ss_dataset *ds, const ss_run_options *opt,
                      ss_results *results, ss_error *err)
{
    int first, count;
    ss_dataset_folds(ds, cfg, &first, &count);
    if (count > 1 && (opt->save_path || opt->load_path))
        return ss_config_error(cfg, err, "data", "folds",
                               "--save and --load take one fold: add --set data.folds=one");
    int rc = ss_results_init(results, (size_t)count, ss_dataset_n_classes(ds), err);
    if (rc != SS_OK)
        return rc;
    results->model = ss_config_file(cfg);
    results->dataset = ss_dataset_name(ds);
    results->seed = opt->seed;
    results->split = ss_dataset_n_folds(ds) > 1
                         ? (count > 1 ? "5-fold cross-validation (fold = row % 5)"
                                      : "one fold of 5 (fold = row % 5)")
                     : ss_dataset_is_official(ds)
                         ? "official train/test files"
                         : "fixed split (k-th sample of a class is test iff k % 5 == 4)";
    results->class_names = malloc(ss_dataset_n_classes(ds) * sizeof *results->class_names);
    if (!results->class_names)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t i = 0; i < ss_dataset_n_classes(ds); i++)
        results->class_names[i] = ss_dataset_class_name(ds, i);
    ss_progress progress;
    ss_progress_init(&progress, stderr, opt->quiet);
    for (int k = 0; k < count && rc == SS_OK; k++) {
        if (count > 1 && !opt->quiet)
            fprintf(stderr, "spiksim: fold %d of %d\n", k + 1, count);
        rc = run_fold(cfg, ds, opt, first + k, k == 0, results->class_names, &results->folds[k],
                      &progress, err);
    }
    return rc;
}
