/* bp_driver: the C backprop baseline of one model file on one split, as one
 * JSON object on stdout.  bench/bp_sklearn.py runs it next to
 * scikit-learn's MLPClassifier; see that script for the comparison.
 *
 *   bp_driver MODEL.ini [--set SECTION.KEY=VALUE ...] [--fold K]
 *
 * Everything comes from the model file, through the library's own loaders:
 * the dataset and its fixed split ([data], fold K, default [data] fold),
 * the shape (ss_mlp_alloc_from_config), the training options ([evaluate]
 * bp_*), the seed ([simulation] seed) and the FGSM eps list and sample cap
 * ([evaluate] fgsm_eps, fgsm_samples).  The output also holds sums of the
 * split's features and labels, so that the peer can check that it trains on
 * the very same data.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>
#include <spiksim/ann.h>
#include <spiksim/attack.h>
#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/error.h>
#include <spiksim/json.h>

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double sum_of(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

static long long label_sum(const int *y, size_t n)
{
    long long s = 0;
    for (size_t i = 0; i < n; i++)
        s += y[i];
    return s;
}

static int usage(void)
{
    fputs("usage: bp_driver MODEL.ini [--set SECTION.KEY=VALUE ...] [--fold K]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *sets[64];
    size_t n_sets = 0;
    int fold = -1;
    static const struct option longopts[] = {{"set", required_argument, NULL, 's'},
                                             {"fold", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's' && n_sets < sizeof sets / sizeof sets[0])
            sets[n_sets++] = optarg;
        else if (c == 'f')
            fold = atoi(optarg);
        else
            return usage();
    }
    if (optind != argc - 1)
        return usage();

    ss_error err = {0, ""};
    ss_config *cfg = NULL;
    ss_dataset *ds = NULL;
    ss_split *split = NULL;
    ss_mlp *m = NULL;
    gsl_rng *rng = NULL;
    ss_confusion *confusion = NULL;
    int rc = 0;
    if (!(cfg = ss_config_load(argv[optind], sets, n_sets, &err)) ||
        !(ds = ss_dataset_load(cfg, &err))) {
        rc = err.code;
        goto out;
    }
    if (fold < 0) {
        int first, count;
        ss_dataset_folds(ds, cfg, &first, &count);
        fold = first;
    }
    if ((rc = ss_dataset_split_config(ds, cfg, fold, &split, &err)))
        goto out;
    if (!(m = ss_mlp_alloc_from_config(cfg, split->n_features, split->n_classes, &err))) {
        rc = err.code;
        goto out;
    }
    ss_mlp_train_opts o;
    ss_mlp_train_opts_from_config(cfg, &o, &err);
    unsigned long seed = (unsigned long)ss_config_int(cfg, "simulation", "seed");
    const double *eps;
    size_t n_eps = ss_config_list(cfg, "evaluate", "fgsm_eps", &eps);
    size_t n_attacked = (size_t)ss_config_int(cfg, "evaluate", "fgsm_samples");
    if (n_attacked == 0 || n_attacked > split->n_test)
        n_attacked = split->n_test;

    gsl_matrix_view train_x =
        gsl_matrix_view_array(split->train_x, split->n_train, split->n_features);
    gsl_matrix_view test_x = gsl_matrix_view_array(split->test_x, split->n_test, split->n_features);
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    ss_mlp_init(m, rng);
    size_t epochs_done = 0;
    double t0 = seconds_now();
    if ((rc = ss_mlp_train(m, &train_x.matrix, split->train_y, &o, rng, &epochs_done, &err)))
        goto out;
    double train_s = seconds_now() - t0;

    double train_acc, test_acc, final_loss;
    if (!(confusion = ss_confusion_alloc(split->n_classes))) {
        rc = ss_error_set(&err, SS_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ss_mlp_evaluate(m, &train_x.matrix, split->train_y, &train_acc, NULL, &err)) ||
        (rc = ss_mlp_evaluate(m, &test_x.matrix, split->test_y, &test_acc, confusion, &err)) ||
        (rc = ss_mlp_loss_grad(m, &train_x.matrix, split->train_y, o.l2, &final_loss, NULL, NULL,
                               &err)))
        goto out;

    ss_json j;
    ss_json_init(&j, stdout, 0);
    ss_json_object_begin(&j);
    ss_json_key(&j, "blas");
    ss_json_string(&j, SS_BLAS_NAME);
    ss_json_key(&j, "fold");
    ss_json_int(&j, fold);
    ss_json_key(&j, "seed");
    ss_json_int(&j, (long long)seed);
    ss_json_key(&j, "n_train");
    ss_json_int(&j, (long long)split->n_train);
    ss_json_key(&j, "n_test");
    ss_json_int(&j, (long long)split->n_test);
    ss_json_key(&j, "train_x_sum");
    ss_json_number(&j, sum_of(split->train_x, split->n_train * split->n_features));
    ss_json_key(&j, "test_x_sum");
    ss_json_number(&j, sum_of(split->test_x, split->n_test * split->n_features));
    ss_json_key(&j, "train_label_sum");
    ss_json_int(&j, label_sum(split->train_y, split->n_train));
    ss_json_key(&j, "test_label_sum");
    ss_json_int(&j, label_sum(split->test_y, split->n_test));
    ss_json_key(&j, "sizes");
    ss_json_array_begin(&j);
    for (size_t i = 0; i <= ss_mlp_n_layers(m); i++)
        ss_json_int(&j, (long long)ss_mlp_size(m, i));
    ss_json_array_end(&j);
    ss_json_key(&j, "hyperparameters");
    ss_json_object_begin(&j);
    ss_json_key(&j, "epochs");
    ss_json_int(&j, (long long)o.epochs);
    ss_json_key(&j, "batch");
    ss_json_int(&j, (long long)o.batch);
    ss_json_key(&j, "optimizer");
    ss_json_string(&j, o.optimizer == SS_OPTIMIZER_SGD ? "sgd" : "adam");
    ss_json_key(&j, "lr");
    ss_json_number(&j, o.lr);
    ss_json_key(&j, "momentum");
    ss_json_number(&j, o.momentum);
    ss_json_key(&j, "l2");
    ss_json_number(&j, o.l2);
    ss_json_object_end(&j);
    ss_json_key(&j, "epochs_done");
    ss_json_int(&j, (long long)epochs_done);
    ss_json_key(&j, "final_train_loss");
    ss_json_number(&j, final_loss);
    ss_json_key(&j, "train_accuracy");
    ss_json_number(&j, train_acc);
    ss_json_key(&j, "test_accuracy");
    ss_json_number(&j, test_acc);
    ss_json_key(&j, "train_s");
    ss_json_number(&j, train_s);
    ss_json_key(&j, "confusion");
    ss_json_array_begin(&j);
    for (size_t t = 0; t < split->n_classes; t++)
        ss_json_int_array(&j, confusion->cells + t * split->n_classes, split->n_classes);
    ss_json_array_end(&j);
    ss_json_key(&j, "fgsm_samples");
    ss_json_int(&j, (long long)n_attacked);
    ss_json_key(&j, "fgsm");
    ss_json_array_begin(&j);
    gsl_matrix_view attacked =
        gsl_matrix_submatrix(&test_x.matrix, 0, 0, n_attacked, split->n_features);
    for (size_t k = 0; k < n_eps; k++) {
        double acc;
        if ((rc = ss_fgsm_mlp_accuracy(m, &attacked.matrix, split->test_y, eps[k], &acc, NULL, NULL,
                                       &err)))
            goto out;
        ss_json_object_begin(&j);
        ss_json_key(&j, "eps");
        ss_json_number(&j, eps[k]);
        ss_json_key(&j, "backprop_whitebox");
        ss_json_number(&j, acc);
        ss_json_object_end(&j);
    }
    ss_json_array_end(&j);
    ss_json_object_end(&j);
    fputc('\n', stdout);
out:
    if (rc)
        fprintf(stderr, "bp_driver: %s\n", err.msg);
    ss_confusion_free(confusion);
    if (rng)
        gsl_rng_free(rng);
    ss_mlp_free(m);
    ss_split_free(split);
    ss_dataset_free(ds);
    ss_config_free(cfg);
    return rc ? ss_error_exit_status(rc) : 0;
}
