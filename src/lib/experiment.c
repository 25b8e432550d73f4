/* A whole classification run, fold by fold; see experiment.h. */
#include <spiksim/experiment.h>

#include <spiksim/progress.h>
#include <spiksim/train.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One fold: split, spiking classifier, result. */
static int run_fold(const ss_config *cfg, const ss_dataset *ds, const ss_run_options *opt, int fold,
                    ss_fold_result *res, ss_progress *progress, ss_error *err)
{
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
        c = ss_classifier_alloc(cfg, split->n_features, split->n_classes, opt->seed, err);
        if (!c)
            rc = err ? err->code : SS_ENOMEM;
    }
    if (rc == SS_OK && opt->verbose)
        ss_classifier_set_log(c, stderr);
    if (rc == SS_OK && opt->load_path)
        rc = ss_classifier_load(c, opt->load_path, err);
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
        rc = ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, res->confusion,
                                    progress, "test", &res->test_accuracy, err);
        res->train_accuracy = NAN;
        res->test_s = ss_now_s() - t0;
        res->samples_presented += (long long)split->n_test;
    }
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
        rc = run_fold(cfg, ds, opt, first + k, &results->folds[k], &progress, err);
    }
    return rc;
}
