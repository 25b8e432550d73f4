/* The FGSM surrogate of a spiking network: its input gradient is the
 * derivative of its loss (finite differences, through population coding),
 * and FGSM on it keeps inputs in [0,1] within eps. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <spiksim/attack.h>
#include <spiksim/surrogate.h>
#include <spiksim/train.h>

static ss_classifier *iris_classifier(ss_config **cfg_out)
{
    ss_error err;
    *cfg_out = NULL;
    /* Untrained, hidden2 must be driven for the gradient to be far from
     * flat (a finite difference of a 1e-7 gradient is rounding noise): the
     * shipped model starts h1_h2 near 0 in both signs, so start it as the
     * label-gated prototype scheme does: positive, sums normalised. */
    const char *sets[] = {"projection.h1_h2.weight_min=0", "projection.h1_h2.weight_max=20",
                          "projection.h1_h2.normalize=300", "projection.h1_h2.normalize_norm=l1"};
    ss_config *cfg = ss_config_load(ss_test_src("models/iris.ini"), sets, 4, &err);
    if (!cfg) {
        fprintf(stderr, "\n  %s\n", err.msg);
        return NULL;
    }
    ss_classifier *c = ss_classifier_alloc(cfg, 4, 3, 7, &err);
    if (!c)
        fprintf(stderr, "\n  %s\n", err.msg);
    *cfg_out = cfg;
    return c;
}

static void test_gradient(void)
{
    ss_config *cfg = NULL;
    ss_classifier *c = iris_classifier(&cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ss_error err;
    ss_surrogate *s = ss_surrogate_alloc(c, cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *x = gsl_matrix_alloc(5, 4), *g = gsl_matrix_alloc(5, 4);
    int y[5] = {0, 1, 2, 1, 0};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++)
            gsl_matrix_set(x, i, j, 0.1 + 0.8 * gsl_rng_uniform(rng));
    ss_attack_model m = ss_surrogate_attack_model(s);
    CU_ASSERT_EQUAL_FATAL(m.input_grad(m.self, x, y, g, &err), 0);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++) {
            /* one row at a time: the loss of row i alone */
            gsl_matrix_view row = gsl_matrix_submatrix(x, i, 0, 1, 4);
            double h = 1e-6, lp, lm, x0 = gsl_matrix_get(x, i, j);
            gsl_matrix_set(x, i, j, x0 + h);
            ss_surrogate_loss(s, &row.matrix, y + i, &lp, &err);
            gsl_matrix_set(x, i, j, x0 - h);
            ss_surrogate_loss(s, &row.matrix, y + i, &lm, &err);
            gsl_matrix_set(x, i, j, x0);
            double fd = (lp - lm) / (2 * h), an = gsl_matrix_get(g, i, j);
            double rel = fabs(fd - an) / fmax(1e-8, fmax(fabs(fd), fabs(an)));
            if (rel > worst)
                worst = rel;
            scale = fmax(scale, fabs(an));
        }
    fprintf(stderr, "(worst relative error %.2g, largest gradient %.3g) ", worst, scale);
    CU_ASSERT_TRUE(scale > 0); /* a gradient that is not flat everywhere */
    CU_ASSERT_TRUE(worst < 1e-5);

    /* FGSM on the surrogate: inside [0,1], at most eps away; eps 0 is x. */
    gsl_matrix *adv = gsl_matrix_alloc(5, 4);
    CU_ASSERT_EQUAL(ss_fgsm_craft(&m, x, y, 0.0, adv, &err), 0);
    CU_ASSERT_TRUE(gsl_matrix_equal(adv, x));
    CU_ASSERT_EQUAL(ss_fgsm_craft(&m, x, y, 0.15, adv, &err), 0);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++) {
            double a = gsl_matrix_get(adv, i, j), b = gsl_matrix_get(x, i, j);
            CU_ASSERT_TRUE(a >= 0 && a <= 1 && fabs(a - b) <= 0.15 + 1e-12);
        }
    gsl_matrix_free(adv);
    gsl_matrix_free(x);
    gsl_matrix_free(g);
    gsl_rng_free(rng);
    ss_surrogate_free(s);
    ss_classifier_free(c);
    ss_config_free(cfg);
}

static void test_needs_chain(void)
{
    ss_error err;
    const char *sets[] = {"projection.h1_h2.from=input"};
    ss_config *cfg = ss_config_load(ss_test_src("models/iris.ini"), sets, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_classifier *c = ss_classifier_alloc(cfg, 4, 3, 7, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(ss_surrogate_alloc(c, cfg, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err.msg, "no projection from layer 'hidden1' to layer 'hidden2'"));
    ss_classifier_free(c);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"input gradient equals finite differences", test_gradient},
        {"needs a feed-forward chain", test_needs_chain},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("surrogate", cases);
    return ss_test_main();
}
