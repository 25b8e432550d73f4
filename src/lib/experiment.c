/* A whole classification run, fold by fold; see experiment.h. */
#include <spiksim/experiment.h>

#include "attack_run.h"
#include "pool.h"

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
                    int first, unsigned threads, const char *const *class_names,
                    ss_fold_result *res, ss_progress *progress, ss_error *err)
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
        c = ss_classifier_alloc_comm(cfg, split->n_features, split->n_classes, opt->seed, threads,
                                     opt->comm, err);
        if (!c)
            rc = err ? err->code : SS_ENOMEM;
    }
    if (rc == SS_OK) {
        ss_engine_plan plan;
        ss_classifier_get_plan(c, &plan);
        res->train_partitions = plan.partitions;
        res->train_threads = plan.threads;
        res->eval_threads = ss_classifier_threads(c);
        res->ranks = plan.ranks;
        res->window_ms = plan.window_ms;
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
        /* An interrupted run still saves what it learned; if that fails
         * it is still an interrupted run, and says so. */
        if ((rc == SS_OK || rc == SS_EINTR) && opt->save_path) {
            ss_error save_err;
            int src = ss_classifier_save(c, opt->save_path, &save_err);
            if (src != SS_OK && rc == SS_EINTR) {
                res->late = save_err;
            } else if (src != SS_OK) {
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
    /* The fold's results are in: a raster or picture that cannot be
     * written fails the run after the results are reported, not instead. */
    if (rc == SS_OK && cap && opt->raster_path)
        ss_figures_raster(cap, opt->raster_path, opt->raster_format,
                          opt->raster ? opt->raster->max_spikes : 0, stderr, &res->late);
    if (rc == SS_OK && cap && opt->plot_dir && !res->late.code)
        ss_figures_plots(opt->plot_dir, cap, res, c, split->n_features, &res->late);
    if (cap)
        ss_engine_remove_observer(ss_classifier_engine(c), ss_capture_spike, cap);
    ss_capture_free(cap);
    ss_classifier_free(c);
    ss_split_free(split);
    return rc;
}

/* Folds at once, one per thread, each fold's classifier on one thread
 * (docs/parallel.md): a fold's results do not depend on its threads, and
 * training, one presentation after another, keeps a thread busy while a
 * fold's evaluation passes alone would not.  Folds are dealt round-robin to
 * the threads; the first failure by fold order is the run's. */
typedef struct fold_team {
    const ss_config *cfg;
    const ss_dataset *ds;
    const ss_run_options *opt;
    ss_results *results;
    int first, count;
    unsigned threads;
    int *rc;
    ss_error *err;
} fold_team;

static void fold_worker(void *ctx, unsigned tid)
{
    fold_team *t = ctx;
    ss_progress quiet;
    ss_progress_init(&quiet, stderr, 1);
    for (int k = (int)tid; k < t->count; k += (int)t->threads) {
        ss_error_clear(&t->err[k]);
        t->rc[k] = run_fold(t->cfg, t->ds, t->opt, t->first + k, k == 0, 1, t->results->class_names,
                            &t->results->folds[k], &quiet, &t->err[k]);
        if (t->rc[k] != SS_OK)
            break; /* this thread's later folds: the run fails anyway */
    }
}

static int run_folds_parallel(fold_team *t, ss_error *err)
{
    ss_pool *pool = ss_pool_alloc(t->threads, err);
    t->rc = malloc((size_t)t->count * sizeof *t->rc);
    t->err = malloc((size_t)t->count * sizeof *t->err);
    if (!pool || !t->rc || !t->err) {
        ss_pool_free(pool);
        free(t->rc);
        free(t->err);
        return err && err->code ? err->code : ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    for (int k = 0; k < t->count; k++)
        t->rc[k] = SS_OK; /* a fold not run follows a failed one of its thread */
    if (!t->opt->quiet)
        fprintf(stderr, "spiksim: folds %d-%d, %u at once\n", 1, t->count, t->threads);
    ss_pool_run(pool, fold_worker, t);
    int rc = SS_OK;
    for (int k = 0; k < t->count && rc == SS_OK; k++)
        if (t->rc[k] != SS_OK) {
            rc = t->rc[k];
            if (err)
                *err = t->err[k];
        }
    ss_pool_free(pool);
    free(t->rc);
    free(t->err);
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
    long th = ss_config_int(cfg, "simulation", "threads");
    unsigned threads = th > 0 ? (unsigned)th : ss_pool_online_cpus();
    /* Several folds on several threads, unless a live view, a log or other
     * ranks follow the folds one by one. */
    if (count > 1 && threads > 1 && !opt->on_fold && !opt->verbose &&
        ss_comm_size(opt->comm) == 1) {
        fold_team t = {cfg,
                       ds,
                       opt,
                       results,
                       first,
                       count,
                       threads < (unsigned)count ? threads : (unsigned)count,
                       NULL,
                       NULL};
        results->folds_at_once = t.threads;
        return run_folds_parallel(&t, err);
    }
    results->folds_at_once = 1;
    ss_progress progress;
    ss_progress_init(&progress, stderr, opt->quiet);
    for (int k = 0; k < count && rc == SS_OK; k++) {
        if (count > 1 && !opt->quiet)
            fprintf(stderr, "spiksim: fold %d of %d\n", k + 1, count);
        rc = run_fold(cfg, ds, opt, first + k, k == 0, (unsigned)th, results->class_names,
                      &results->folds[k], &progress, err);
    }
    return rc;
}
