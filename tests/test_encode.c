/* Rate coding and readout: rates from features, receptive fields, the
 * derivative the surrogate uses, argmax with its tie rules, confusion. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>

#include <spiksim/config.h>
#include <spiksim/encode.h>
#include <spiksim/readout.h>

static ss_config *load(const char *text)
{
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_write("enc.ini", text), NULL, 0, &err);
    if (!cfg)
        fprintf(stderr, "%s\n", err.msg);
    return cfg;
}

static void test_direct(void)
{
    ss_config *cfg = load("[encoding]\nmax_rate_hz = 80\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_encoder enc;
    CU_ASSERT_EQUAL(ss_encoder_init(&enc, cfg, 3, NULL), 0);
    CU_ASSERT_EQUAL(ss_encoder_n_inputs(&enc), 3);
    double x[3] = {0, 0.25, 1.5}, r[3];
    ss_encoder_rates(&enc, x, r);
    CU_ASSERT_DOUBLE_EQUAL(r[0], 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(r[1], 20, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r[2], 80, 1e-12); /* clipped */
    CU_ASSERT_DOUBLE_EQUAL(ss_encoder_rate_derivative(&enc, 1, 0.3), 80, 0);
    CU_ASSERT_EQUAL(ss_encoder_feature_of(&enc, 2), 2);
    ss_config_free(cfg);
}

static void test_population(void)
{
    ss_config *cfg =
        load("[encoding]\nmax_rate_hz = 100\npopulation = 5\npopulation_sigma = 0.2\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_encoder enc;
    ss_encoder_init(&enc, cfg, 2, NULL);
    CU_ASSERT_EQUAL(ss_encoder_n_inputs(&enc), 10);
    double x[2] = {0.5, 0.0}, r[10];
    ss_encoder_rates(&enc, x, r);
    /* Feature 0 = 0.5 sits on the centre of field 2 (0, .25, .5, .75, 1). */
    CU_ASSERT_DOUBLE_EQUAL(r[2], 100, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r[1], 100 * exp(-0.0625 / 0.08), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r[1], r[3], 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r[5], 100, 1e-12);
    CU_ASSERT_TRUE(r[9] < 1e-3);
    CU_ASSERT_EQUAL(ss_encoder_feature_of(&enc, 7), 1);
    /* The analytic derivative matches a central difference. */
    for (size_t k = 0; k < 5; k++) {
        double h = 1e-6, xs[2] = {0.4 + h, 0}, xm[2] = {0.4 - h, 0}, rp[10], rm[10];
        ss_encoder_rates(&enc, xs, rp);
        ss_encoder_rates(&enc, xm, rm);
        double fd = (rp[k] - rm[k]) / (2 * h);
        CU_ASSERT_DOUBLE_EQUAL(ss_encoder_rate_derivative(&enc, k, 0.4), fd, 1e-4 * (1 + fabs(fd)));
    }
    ss_config_free(cfg);
}

static void test_readout(void)
{
    unsigned counts[4] = {3, 5, 5, 0};
    double first[4] = {1.0, 7.0, 2.0, INFINITY};
    CU_ASSERT_EQUAL(ss_readout_predict(counts, first, 4), 2); /* tie: earlier first spike */
    first[2] = 7.0;
    CU_ASSERT_EQUAL(ss_readout_predict(counts, first, 4), 1); /* full tie: lower index */
    unsigned silent[3] = {0, 0, 0};
    double none[3] = {INFINITY, INFINITY, INFINITY};
    CU_ASSERT_EQUAL(ss_readout_predict(silent, none, 3), -1);
}

static void test_confusion(void)
{
    ss_confusion *c = ss_confusion_alloc(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ss_confusion_add(c, 0, 0);
    ss_confusion_add(c, 1, 1);
    ss_confusion_add(c, 1, 0);
    ss_confusion_add(c, 0, -1); /* silent counts as wrong */
    CU_ASSERT_EQUAL(c->cells[2], 1);
    CU_ASSERT_EQUAL(c->n_silent, 1);
    CU_ASSERT_DOUBLE_EQUAL(ss_confusion_accuracy(c), 0.5, 1e-12);
    ss_confusion_reset(c);
    CU_ASSERT_EQUAL(c->n_total, 0);
    ss_confusion_free(c);
    ss_confusion_free(NULL);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"direct rate coding", test_direct},
        {"population coding", test_population},
        {"readout ties", test_readout},
        {"confusion matrix", test_confusion},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("encode", cases);
    return ss_test_main();
}
