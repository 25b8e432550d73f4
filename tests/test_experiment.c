/* A whole run: folds, baseline and attacks land in the results, and FGSM with
 * eps = 0 changes nothing (the attacked inputs are the clean ones, presented
 * with the same input spikes). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/dataset.h>
#include <spiksim/experiment.h>

static void test_run_with_attacks(void)
{
    const char *sets[] = {"data.folds=one", "train.epochs=2", "evaluate.fgsm_eps=0, 0.1",
                          "evaluate.bp_epochs=50"};
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_src("models/iris-binary.ini"), sets, 4, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    ss_run_options opt;
    memset(&opt, 0, sizeof opt);
    opt.seed = 3;
    opt.quiet = 1;
    ss_results res;
    memset(&res, 0, sizeof res);
    CU_ASSERT_EQUAL_FATAL(ss_run_classifier(cfg, ds, &opt, &res, &err), 0);
    CU_ASSERT_EQUAL_FATAL(res.n_folds, 1);
    ss_fold_result *f = &res.folds[0];
    CU_ASSERT_TRUE(f->has_backprop);
    CU_ASSERT_EQUAL_FATAL(f->n_fgsm, 2);
    CU_ASSERT_EQUAL(f->fgsm_samples, f->n_test);
    /* eps = 0: every attack sees the clean test set */
    CU_ASSERT_EQUAL(f->fgsm[0].snn_transfer_from_backprop, f->test_accuracy);
    CU_ASSERT_EQUAL(f->fgsm[0].snn_surrogate_whitebox, f->test_accuracy);
    CU_ASSERT_EQUAL(f->fgsm[0].backprop_whitebox, f->bp_test_accuracy);
    /* an attack does not help */
    CU_ASSERT_TRUE(f->fgsm[1].backprop_whitebox <= f->bp_test_accuracy);
    CU_ASSERT_TRUE(f->fgsm[1].surrogate_clean_accuracy >= 0 &&
                   f->fgsm[1].surrogate_clean_accuracy <= 1);
    CU_ASSERT_STRING_EQUAL(res.class_names[0], "versicolor");
    /* the JSON file carries both models */
    const char *path = ss_test_tmp("run.json");
    CU_ASSERT_EQUAL(ss_results_write_json(&res, path, &err), 0);
    char *buf = ss_test_read(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"backprop\": {"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"snn_transfer_from_backprop\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synaptic_events_per_s\""));
    free(buf);
    ss_results_free(&res);
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"run with baseline and attacks", test_run_with_attacks},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("experiment", cases);
    return ss_test_main();
}
