/* FGSM: the step itself, its bounds, eps = 0, and attacks on a trained MLP
 * and through a caller's own gradient model. */
#include "testutil.h"

#include <spiksim/ann.h>
#include <spiksim/attack.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static gsl_rng *rng_seeded(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* Two Gaussian-ish blobs per class in [0,1]^d, classes apart along every
 * feature: easy to learn, so attacks have accuracy to take away. */
static gsl_matrix *blob_data(size_t n, size_t d, int **y, unsigned long seed)
{
    gsl_rng *r = rng_seeded(seed);
    gsl_matrix *x = gsl_matrix_alloc(n, d);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 3);
        (*y)[i] = c;
        for (size_t j = 0; j < d; j++) {
            double centre = 0.2 + 0.3 * ((c + (int)j) % 3);
            double v = centre + 0.08 * (gsl_rng_uniform(r) + gsl_rng_uniform(r) - 1);
            gsl_matrix_set(x, i, j, v < 0 ? 0 : v > 1 ? 1 : v);
        }
    }
    gsl_rng_free(r);
    return x;
}

/* A 6-feature, 3-class MLP trained on blob_data; *x_test, *y_test get 600
 * held-out rows (more than one chunk). */
static ss_mlp *trained_model(gsl_matrix **x_test, int **y_test)
{
    size_t sizes[] = {6, 12, 8, 3};
    ss_mlp *m = ss_mlp_alloc(4, sizes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    gsl_rng *r = rng_seeded(1);
    ss_mlp_init(m, r);
    int *y;
    gsl_matrix *x = blob_data(300, 6, &y, 2);
    ss_mlp_train_opts o;
    ss_mlp_train_opts_default(&o);
    o.epochs = 30;
    o.lr = 0.01;
    CU_ASSERT_EQUAL_FATAL(ss_mlp_train(m, x, y, &o, r, NULL, NULL), 0);
    *x_test = blob_data(600, 6, y_test, 3);
    gsl_rng_free(r);
    gsl_matrix_free(x);
    free(y);
    return m;
}

static void test_apply_formula(void)
{
    /* Up, down and flat gradients; clipping at both ends; inputs already
     * outside [0, 1] stay put rather than jump by more than eps. */
    double xs[] = {0.5, 0.5, 0.5, 0.95, 0.02, 1.3, -0.2, 1.3};
    double gs[] = {2.0, -1e-9, 0.0, 5.0, -3.0, 1.0, -1.0, -1.0};
    double want[] = {0.6, 0.4, 0.5, 1.0, 0.0, 1.3, -0.2, 1.2};
    gsl_matrix_view x = gsl_matrix_view_array(xs, 2, 4), g = gsl_matrix_view_array(gs, 2, 4);
    gsl_matrix *out = gsl_matrix_alloc(2, 4);
    CU_ASSERT_EQUAL(ss_fgsm_apply(&x.matrix, &g.matrix, 0.1, out, NULL), 0);
    for (size_t i = 0; i < 8; i++)
        CU_ASSERT_DOUBLE_EQUAL(out->data[i], want[i], 1e-15);
    /* In place gives the same. */
    CU_ASSERT_EQUAL(ss_fgsm_apply(&x.matrix, &g.matrix, 0.1, &x.matrix, NULL), 0);
    for (size_t i = 0; i < 8; i++)
        CU_ASSERT_DOUBLE_EQUAL(xs[i], want[i], 1e-15);

    ss_error err;
    CU_ASSERT_EQUAL(ss_fgsm_apply(&x.matrix, &g.matrix, -0.1, out, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "eps"));
    CU_ASSERT_EQUAL(ss_fgsm_apply(&x.matrix, &g.matrix, NAN, out, &err), SS_EUSAGE);
    gsl_matrix *wrong = gsl_matrix_alloc(4, 2);
    CU_ASSERT_EQUAL(ss_fgsm_apply(&x.matrix, &g.matrix, 0.1, wrong, &err), SS_EUSAGE);
    gsl_matrix_free(wrong);
    gsl_matrix_free(out);
}

static void test_eps_zero(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    double clean, attacked;
    ss_confusion *conf_clean = ss_confusion_alloc(3), *conf_attacked = ss_confusion_alloc(3);
    gsl_matrix *adv = gsl_matrix_alloc(x->size1, x->size2);
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, x, y, &clean, conf_clean, NULL), 0);
    CU_ASSERT_EQUAL(ss_fgsm_mlp_accuracy(m, x, y, 0.0, &attacked, conf_attacked, adv, NULL), 0);
    CU_ASSERT(gsl_matrix_equal(adv, x));
    CU_ASSERT_EQUAL(attacked, clean);
    CU_ASSERT(memcmp(conf_clean->cells, conf_attacked->cells, 9 * sizeof(long)) == 0);
    ss_confusion_free(conf_clean);
    ss_confusion_free(conf_attacked);
    CU_ASSERT(clean > 0.95);
    gsl_matrix_free(adv);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

static void test_bounds_and_effect(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    size_t n = x->size1, d = x->size2;
    gsl_matrix *g = gsl_matrix_alloc(n, d), *adv = gsl_matrix_alloc(n, d);
    CU_ASSERT_EQUAL_FATAL(ss_mlp_input_grad(m, x, y, g, NULL, NULL), 0);
    ss_attack_model model = ss_attack_model_mlp(m);
    double clean;
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, x, y, &clean, NULL, NULL), 0);
    const double eps[] = {0.01, 0.05, 0.1, 0.3};
    double prev_acc = clean;
    for (size_t k = 0; k < 4; k++) {
        CU_ASSERT_EQUAL_FATAL(ss_fgsm_craft(&model, x, y, eps[k], adv, NULL), 0);
        int in_box = 1, within_eps = 1, full_step = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                double v = gsl_matrix_get(x, i, j), a = gsl_matrix_get(adv, i, j);
                double gij = gsl_matrix_get(g, i, j);
                in_box &= a >= 0 && a <= 1;
                within_eps &= fabs(a - v) <= eps[k] * (1 + 1e-12);
                /* Where no clip applies the step is exactly eps along the sign. */
                double want = v + (gij > 0 ? eps[k] : gij < 0 ? -eps[k] : 0);
                if (want >= 0 && want <= 1)
                    full_step &= a == want;
            }
        CU_ASSERT(in_box);
        CU_ASSERT(within_eps);
        CU_ASSERT(full_step);
        double acc;
        CU_ASSERT_EQUAL(ss_mlp_evaluate(m, adv, y, &acc, NULL, NULL), 0);
        CU_ASSERT(acc <= prev_acc);
        prev_acc = acc;
    }
    /* A white-box step of 0.3 across features spaced 0.3 apart breaks the
     * classifier. */
    CU_ASSERT(prev_acc < 0.5 * clean);

    /* To first order FGSM raises every sample's loss: check the total for a
     * small step. */
    double before, after;
    CU_ASSERT_EQUAL(ss_mlp_input_grad(m, x, y, g, &before, NULL), 0);
    CU_ASSERT_EQUAL(ss_fgsm_craft(&model, x, y, 1e-3, adv, NULL), 0);
    CU_ASSERT_EQUAL(ss_mlp_input_grad(m, adv, y, g, &after, NULL), 0);
    CU_ASSERT(after > before);
    gsl_matrix_free(g);
    gsl_matrix_free(adv);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

static void test_craft_many_and_in_place(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    size_t n = x->size1, d = x->size2;
    const double eps[] = {0.0, 0.05, 0.2};
    gsl_matrix *many[3], *one = gsl_matrix_alloc(n, d), *copy = gsl_matrix_alloc(n, d);
    for (size_t k = 0; k < 3; k++)
        many[k] = gsl_matrix_alloc(n, d);
    ss_attack_model model = ss_attack_model_mlp(m);
    CU_ASSERT_EQUAL_FATAL(ss_fgsm_craft_many(&model, x, y, eps, 3, many, NULL), 0);
    for (size_t k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(ss_fgsm_craft(&model, x, y, eps[k], one, NULL), 0);
        CU_ASSERT(gsl_matrix_equal(one, many[k]));
        gsl_matrix_memcpy(copy, x);
        CU_ASSERT_EQUAL(ss_fgsm_craft(&model, copy, y, eps[k], copy, NULL), 0);
        CU_ASSERT(gsl_matrix_equal(copy, many[k]));
    }
    /* The white-box helper hands back the same copies. */
    double acc;
    CU_ASSERT_EQUAL(ss_fgsm_mlp_accuracy(m, x, y, 0.2, &acc, NULL, one, NULL), 0);
    CU_ASSERT(gsl_matrix_equal(one, many[2]));
    ss_error err;
    double bad[] = {0.1, -1};
    CU_ASSERT_EQUAL(ss_fgsm_craft_many(&model, x, y, bad, 2, many, &err), SS_EUSAGE);
    ss_attack_model none = {NULL, NULL};
    CU_ASSERT_EQUAL(ss_fgsm_craft(&none, x, y, 0.1, one, &err), SS_EUSAGE);
    for (size_t k = 0; k < 3; k++)
        gsl_matrix_free(many[k]);
    gsl_matrix_free(one);
    gsl_matrix_free(copy);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

/* A caller's own differentiable model, as the SNN surrogate will be: an
 * encoder u = 1 - x (each feature mirrored) in front of an MLP.  Its input
 * gradient is the MLP's, chained through du/dx = -1. */
typedef struct {
    ss_mlp *mlp;
} mirrored;

static int mirrored_grad(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g,
                         ss_error *err)
{
    mirrored *mm = self;
    gsl_matrix *u = gsl_matrix_alloc(x->size1, x->size2);
    for (size_t i = 0; i < x->size1; i++)
        for (size_t j = 0; j < x->size2; j++)
            gsl_matrix_set(u, i, j, 1 - gsl_matrix_get(x, i, j));
    int rc = ss_mlp_input_grad(mm->mlp, u, y, g, NULL, err);
    gsl_matrix_scale(g, -1);
    gsl_matrix_free(u);
    return rc;
}

static void test_custom_model(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    size_t n = x->size1, d = x->size2;
    /* Attack the MLP on mirrored inputs directly ... */
    gsl_matrix *u = gsl_matrix_alloc(n, d), *adv_u = gsl_matrix_alloc(n, d);
    for (size_t i = 0; i < n * d; i++)
        u->data[i] = 1 - x->data[i];
    ss_attack_model direct = ss_attack_model_mlp(m);
    CU_ASSERT_EQUAL_FATAL(ss_fgsm_craft(&direct, u, y, 0.1, adv_u, NULL), 0);
    /* ... and through the composed model in x space: the same attack, mirrored. */
    mirrored mm = {m};
    ss_attack_model composed = {mirrored_grad, &mm};
    gsl_matrix *adv_x = gsl_matrix_alloc(n, d);
    CU_ASSERT_EQUAL_FATAL(ss_fgsm_craft(&composed, x, y, 0.1, adv_x, NULL), 0);
    int mirrored_ok = 1;
    for (size_t i = 0; i < n * d; i++)
        mirrored_ok &= fabs(adv_x->data[i] - (1 - adv_u->data[i])) < 1e-12;
    CU_ASSERT(mirrored_ok);
    gsl_matrix_free(u);
    gsl_matrix_free(adv_u);
    gsl_matrix_free(adv_x);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

/* PGD never leaves the eps-ball nor [0, 1]. */
static void test_pgd_bounds(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    gsl_matrix *adv = gsl_matrix_alloc(x->size1, x->size2);
    ss_attack_model am = ss_attack_model_mlp(m);
    double eps[] = {0, 0.05, 0.2, 0.5};
    for (size_t k = 0; k < 4; k++) {
        ss_pgd_opts o = {10, 0.25, 1, 5, 9};
        CU_ASSERT_EQUAL_FATAL(ss_pgd_craft(&am, x, y, eps[k], &o, adv, NULL, "", NULL), 0);
        double worst = 0;
        for (size_t i = 0; i < x->size1; i++)
            for (size_t j = 0; j < x->size2; j++) {
                double v = gsl_matrix_get(adv, i, j), x0 = gsl_matrix_get(x, i, j);
                double lo = x0 < 0 ? x0 : 0, hi = x0 > 1 ? x0 : 1;
                CU_ASSERT_TRUE(v >= lo && v <= hi);
                if (fabs(v - x0) > worst)
                    worst = fabs(v - x0);
            }
        CU_ASSERT_TRUE(worst <= eps[k] + 1e-12);
    }
    gsl_matrix_free(adv);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

/* A linear two-class scorer s = (w.x - c, 0): the L-inf distance of x to
 * the boundary is (w.x - c) / |w|_1, known exactly. */
typedef struct lin {
    double w[2], c;
    int noisy; /* adds key-driven noise to the scores */
} lin;

static int lin_scores(void *self, const double *x, size_t n, const uint64_t *keys, double *s,
                      ss_error *err)
{
    lin *l = self;
    (void)err;
    for (size_t i = 0; i < n; i++) {
        double noise = l->noisy ? ((double)(keys[i] % 1000) / 1000.0 - 0.5) * 0.02 : 0;
        s[2 * i] = l->w[0] * x[2 * i] + l->w[1] * x[2 * i + 1] - l->c + noise;
        s[2 * i + 1] = 0;
    }
    return 0;
}

static void test_spsa_boundary(void)
{
    lin l = {{1, 0.5}, 0.6, 1};
    ss_query_model q = {lin_scores, &l, 2, 2};
    gsl_matrix *x = gsl_matrix_alloc(1, 2), *adv = gsl_matrix_alloc(1, 2);
    gsl_matrix_set(x, 0, 0, 0.7);
    gsl_matrix_set(x, 0, 1, 0.6); /* w.x - c = 0.4, distance 0.4 / 1.5 */
    int y = 0;
    double d = 0.4 / 1.5;
    ss_spsa_opts o;
    ss_spsa_opts_default(&o);
    o.max_queries = 4000;
    o.seed = 3;
    long long used = 0;
    CU_ASSERT_EQUAL_FATAL(ss_spsa_craft(&q, x, &y, 1.15 * d, &o, adv, &used, NULL, "", NULL), 0);
    double s[2];
    uint64_t key = 0;
    l.noisy = 0;
    lin_scores(&l, adv->data, 1, &key, s, NULL);
    CU_ASSERT_TRUE(s[0] < 0); /* crossed the boundary */
    CU_ASSERT_TRUE(used > 0 && used <= (long long)o.max_queries);
    l.noisy = 1;
    CU_ASSERT_EQUAL_FATAL(ss_spsa_craft(&q, x, &y, 0.9 * d, &o, adv, &used, NULL, "", NULL), 0);
    l.noisy = 0;
    lin_scores(&l, adv->data, 1, &key, s, NULL);
    CU_ASSERT_TRUE(s[0] > 0);              /* cannot cross within the ball */
    CU_ASSERT_TRUE(s[0] < 0.15 * 1.5 * d); /* but gets to its edge */
    gsl_matrix_free(x);
    gsl_matrix_free(adv);
}

static void test_worst_case_and_wilson(void)
{
    unsigned char worst[5] = {1, 1, 1, 0, 1};
    unsigned char a[5] = {1, 0, 1, 1, 1}, b[5] = {1, 1, 0, 1, 1};
    ss_worst_case_merge(worst, a, 5);
    ss_worst_case_merge(worst, b, 5);
    CU_ASSERT_EQUAL(worst[0], 1);
    CU_ASSERT_EQUAL(worst[1], 0);
    CU_ASSERT_EQUAL(worst[2], 0);
    CU_ASSERT_EQUAL(worst[3], 0);
    CU_ASSERT_EQUAL(ss_count_correct(worst, 5), 2);
    double lo, hi;
    ss_wilson(50, 100, 1.96, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(lo, 0.4038, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.5962, 1e-3);
    ss_wilson(0, 10, 1.96, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(lo, 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.2775, 1e-3);
    CU_ASSERT_FALSE(ss_attack_broken(5, 10, 2));
    CU_ASSERT_TRUE(ss_attack_broken(6, 10, 2));
}

static int zero_grad(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g, ss_error *err)
{
    (void)self, (void)x, (void)y, (void)err;
    gsl_matrix_set_zero(g);
    return 0;
}

/* A PGD whose gradient is zeroed only takes its random start: at eps 0.5
 * it leaves accuracy far above chance and the sanity check calls it broken;
 * the real gradient passes. */
static void test_sanity_catches_zero_gradient(void)
{
    gsl_matrix *x;
    int *y;
    ss_mlp *m = trained_model(&x, &y);
    gsl_matrix *adv = gsl_matrix_alloc(x->size1, x->size2);
    ss_attack_model real = ss_attack_model_mlp(m), zero = {zero_grad, NULL};
    ss_pgd_opts o = {20, 0.125, 1, 5, 9};
    int *pred = malloc(x->size1 * sizeof *pred);
    CU_ASSERT_EQUAL_FATAL(ss_pgd_craft(&zero, x, y, 0.5, &o, adv, NULL, "", NULL), 0);
    ss_mlp_predict(m, adv, pred, NULL);
    size_t k = 0;
    for (size_t i = 0; i < x->size1; i++)
        k += pred[i] == y[i];
    CU_ASSERT_TRUE(ss_attack_broken(k, x->size1, 3));
    CU_ASSERT_EQUAL_FATAL(ss_pgd_craft(&real, x, y, 0.5, &o, adv, NULL, "", NULL), 0);
    ss_mlp_predict(m, adv, pred, NULL);
    k = 0;
    for (size_t i = 0; i < x->size1; i++)
        k += pred[i] == y[i];
    CU_ASSERT_FALSE(ss_attack_broken(k, x->size1, 3));
    free(pred);
    gsl_matrix_free(adv);
    gsl_matrix_free(x);
    free(y);
    ss_mlp_free(m);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"FGSM step: sign, clip, out-of-range inputs, errors", test_apply_formula},
        {"eps = 0 leaves inputs and accuracy unchanged", test_eps_zero},
        {"perturbations stay in [0,1] and within eps; accuracy falls", test_bounds_and_effect},
        {"craft_many = craft per eps = in place", test_craft_many_and_in_place},
        {"attack through a caller's gradient model", test_custom_model},
        {"PGD stays in the eps-ball and [0,1]", test_pgd_bounds},
        {"SPSA finds a known linear boundary, and not beyond eps", test_spsa_boundary},
        {"worst case per sample, Wilson intervals, chance", test_worst_case_and_wilson},
        {"sanity check catches a zeroed gradient", test_sanity_catches_zero_gradient},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("attack", cases);
    return ss_test_main();
}
