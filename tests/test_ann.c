/* The backprop MLP: shapes and errors, seeded initialisation, gradients
 * against central finite differences, training on small synthetic problems,
 * determinism. */
#include "testutil.h"

#include <spiksim/ann.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static gsl_rng *rng_seeded(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static ss_mlp *mlp_new(size_t n, const size_t *sizes, unsigned long seed)
{
    ss_error err;
    ss_mlp *m = ss_mlp_alloc(n, sizes, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    gsl_rng *r = rng_seeded(seed);
    ss_mlp_init(m, r);
    gsl_rng_free(r);
    return m;
}

/* n random rows in [0,1]^d and labels in [0, classes). */
static gsl_matrix *random_data(size_t n, size_t d, size_t classes, int **y, unsigned long seed)
{
    gsl_rng *r = rng_seeded(seed);
    gsl_matrix *x = gsl_matrix_alloc(n, d);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            gsl_matrix_set(x, i, j, gsl_rng_uniform(r));
        (*y)[i] = (int)gsl_rng_uniform_int(r, classes);
    }
    gsl_rng_free(r);
    return x;
}

/* XOR of two coordinates in [0,1]^2 with a margin of 0.1 around the lines
 * x = 0.5 and y = 0.5: separable, but not by a linear classifier. */
static gsl_matrix *xor_data(size_t n, int **y, unsigned long seed)
{
    gsl_rng *r = rng_seeded(seed);
    gsl_matrix *x = gsl_matrix_alloc(n, 2);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n;) {
        double a = gsl_rng_uniform(r), b = gsl_rng_uniform(r);
        if (fabs(a - 0.5) < 0.1 || fabs(b - 0.5) < 0.1)
            continue;
        gsl_matrix_set(x, i, 0, a);
        gsl_matrix_set(x, i, 1, b);
        (*y)[i] = (a > 0.5) != (b > 0.5);
        i++;
    }
    gsl_rng_free(r);
    return x;
}

/* Worst element-wise relative error between an analytic and a numerical
 * gradient.  Entries below `floor` in magnitude are compared against floor,
 * since there the finite difference's own round-off dominates. */
static double max_rel_err(const double *a, const double *n, size_t len, double floor)
{
    double worst = 0;
    for (size_t i = 0; i < len; i++) {
        double scale = fmax(fmax(fabs(a[i]), fabs(n[i])), floor);
        double e = fabs(a[i] - n[i]) / scale;
        if (e > worst)
            worst = e;
    }
    return worst;
}

static double loss_of(ss_mlp *m, const gsl_matrix *x, const int *y, double l2)
{
    double loss = NAN;
    CU_ASSERT_EQUAL(ss_mlp_loss_grad(m, x, y, l2, &loss, NULL, NULL, NULL), 0);
    return loss;
}

/* Central differences of the objective for every parameter, compared with
 * ss_mlp_loss_grad. */
static void check_param_grad(ss_mlp *m, const gsl_matrix *x, const int *y, double l2)
{
    size_t np = ss_mlp_n_params(m);
    gsl_vector *g = gsl_vector_alloc(np);
    double *num = malloc(np * sizeof *num);
    double loss;
    CU_ASSERT_EQUAL_FATAL(ss_mlp_loss_grad(m, x, y, l2, &loss, g, NULL, NULL), 0);
    double *p = ss_mlp_params(m)->data, h = 1e-5;
    for (size_t i = 0; i < np; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double up = loss_of(m, x, y, l2);
        p[i] = keep - h;
        double down = loss_of(m, x, y, l2);
        p[i] = keep;
        num[i] = (up - down) / (2 * h);
    }
    double e = max_rel_err(g->data, num, np, 1e-4);
    CU_ASSERT(e < 1e-5);
    if (!(e < 1e-5))
        fprintf(stderr, "\n  parameter gradient: max relative error %g\n", e);
    gsl_vector_free(g);
    free(num);
}

/* Central differences of the objective for every input, compared with the
 * grad_x of ss_mlp_loss_grad and (times n) with ss_mlp_input_grad. */
static void check_input_grad(ss_mlp *m, gsl_matrix *x, const int *y, double l2)
{
    size_t n = x->size1, d = x->size2;
    gsl_matrix *gx = gsl_matrix_alloc(n, d), *gi = gsl_matrix_alloc(n, d);
    double *num = malloc(n * d * sizeof *num), *per_sample = malloc(n * d * sizeof *num);
    double loss, h = 1e-5;
    CU_ASSERT_EQUAL_FATAL(ss_mlp_loss_grad(m, x, y, l2, &loss, NULL, gx, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ss_mlp_input_grad(m, x, y, gi, NULL, NULL), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double *v = gsl_matrix_ptr(x, i, j), keep = *v;
            *v = keep + h;
            double up = loss_of(m, x, y, l2);
            *v = keep - h;
            double down = loss_of(m, x, y, l2);
            *v = keep;
            num[i * d + j] = (up - down) / (2 * h);
            per_sample[i * d + j] = gsl_matrix_get(gi, i, j) / (double)n;
        }
    double e1 = max_rel_err(gx->data, num, n * d, 1e-4);
    double e2 = max_rel_err(per_sample, num, n * d, 1e-4);
    CU_ASSERT(e1 < 1e-5);
    CU_ASSERT(e2 < 1e-5);
    if (!(e1 < 1e-5 && e2 < 1e-5))
        fprintf(stderr, "\n  input gradient: max relative error %g / %g\n", e1, e2);
    gsl_matrix_free(gx);
    gsl_matrix_free(gi);
    free(num);
    free(per_sample);
}

/* ---- shapes, parameters, errors --------------------------------------- */

static void test_alloc_errors(void)
{
    ss_error err;
    size_t one_class[] = {4, 3, 1}, empty[] = {4, 0, 2};
    CU_ASSERT_PTR_NULL(ss_mlp_alloc(1, one_class, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NULL(ss_mlp_alloc(3, one_class, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NULL(ss_mlp_alloc(3, empty, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "layer 1"));
    ss_mlp_free(NULL);
}

static void test_layout(void)
{
    size_t sizes[] = {4, 5, 3, 2};
    ss_mlp *m = ss_mlp_alloc(4, sizes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(ss_mlp_n_layers(m), 3);
    CU_ASSERT_EQUAL(ss_mlp_n_inputs(m), 4);
    CU_ASSERT_EQUAL(ss_mlp_n_classes(m), 2);
    CU_ASSERT_EQUAL(ss_mlp_size(m, 1), 5);
    CU_ASSERT_EQUAL(ss_mlp_n_params(m), 4 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2);
    CU_ASSERT_EQUAL(ss_mlp_weights_offset(m, 1), 25);
    CU_ASSERT_EQUAL(ss_mlp_bias_offset(m, 1), 40);
    /* Views write into the packed vector: W_1(2, 1) is row 2, column 1. */
    gsl_matrix_set(ss_mlp_weights(m, 1), 2, 1, 7.5);
    gsl_vector_set(ss_mlp_bias(m, 2), 1, -2.0);
    CU_ASSERT_EQUAL(gsl_vector_get(ss_mlp_params(m), 25 + 2 * 3 + 1), 7.5);
    CU_ASSERT_EQUAL(gsl_vector_get(ss_mlp_params(m), ss_mlp_bias_offset(m, 2) + 1), -2.0);
    /* Default activations: ReLU hidden, identity output. */
    CU_ASSERT_STRING_EQUAL(ss_mlp_activation(m, 0)->name, "relu");
    CU_ASSERT_STRING_EQUAL(ss_mlp_activation(m, 1)->name, "relu");
    CU_ASSERT_STRING_EQUAL(ss_mlp_activation(m, 2)->name, "identity");
    CU_ASSERT_PTR_NULL(ss_mlp_activation(m, 3));
    CU_ASSERT_PTR_NULL(ss_mlp_weights(m, 3));
    ss_mlp_free(m);
}

static void test_set_get_layer(void)
{
    size_t sizes[] = {3, 2, 2};
    ss_mlp *m = ss_mlp_alloc(3, sizes, NULL);
    ss_error err;
    gsl_matrix *w = gsl_matrix_alloc(3, 2), *bad = gsl_matrix_alloc(2, 3);
    gsl_vector *b = gsl_vector_alloc(2), *badb = gsl_vector_alloc(3);
    for (size_t i = 0; i < 6; i++)
        w->data[i] = (double)i + 0.5;
    gsl_vector_set(b, 0, -1);
    gsl_vector_set(b, 1, 1);
    CU_ASSERT_EQUAL(ss_mlp_set_layer(m, 0, w, b, &err), 0);
    CU_ASSERT_EQUAL(gsl_matrix_get(ss_mlp_weights(m, 0), 2, 1), 5.5);
    CU_ASSERT_EQUAL(ss_mlp_set_layer(m, 0, bad, NULL, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2x3, expected 3x2"));
    CU_ASSERT_EQUAL(ss_mlp_set_layer(m, 0, w, badb, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_mlp_set_layer(m, 2, w, b, &err), SS_EUSAGE);
    gsl_matrix *w2 = gsl_matrix_calloc(3, 2);
    gsl_vector *b2 = gsl_vector_calloc(2);
    CU_ASSERT_EQUAL(ss_mlp_get_layer(m, 0, w2, b2, &err), 0);
    CU_ASSERT(gsl_matrix_equal(w, w2));
    CU_ASSERT(gsl_vector_equal(b, b2));

    /* Copy into an MLP of the same shape, refuse another shape. */
    ss_mlp *c = ss_mlp_alloc(3, sizes, NULL);
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 0, &ss_act_tanh, &err), 0);
    CU_ASSERT_EQUAL(ss_mlp_copy(c, m, &err), 0);
    CU_ASSERT(gsl_vector_equal(ss_mlp_params(c), ss_mlp_params(m)));
    CU_ASSERT_STRING_EQUAL(ss_mlp_activation(c, 0)->name, "tanh");
    size_t other[] = {3, 3, 2};
    ss_mlp *o = ss_mlp_alloc(3, other, NULL);
    CU_ASSERT_EQUAL(ss_mlp_copy(o, m, &err), SS_EUSAGE);

    /* Activations: a layer that exists, with both functions. */
    ss_activation half = ss_act_relu;
    half.deriv = NULL;
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 0, &half, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 2, &ss_act_relu, &err), SS_EUSAGE);
    CU_ASSERT_PTR_EQUAL(ss_activation_by_name("softplus"), &ss_act_softplus);
    CU_ASSERT_PTR_NULL(ss_activation_by_name("sigmoidal"));

    ss_mlp_free(m);
    ss_mlp_free(c);
    ss_mlp_free(o);
    gsl_matrix_free(w);
    gsl_matrix_free(bad);
    gsl_matrix_free(w2);
    gsl_vector_free(b);
    gsl_vector_free(badb);
    gsl_vector_free(b2);
}

static void test_data_errors(void)
{
    size_t sizes[] = {3, 4, 2};
    ss_mlp *m = mlp_new(3, sizes, 1);
    int *y;
    gsl_matrix *x = random_data(5, 3, 2, &y, 2);
    gsl_matrix *wide = gsl_matrix_calloc(5, 4);
    ss_error err;
    double loss;
    y[3] = 2;
    CU_ASSERT_EQUAL(ss_mlp_loss_grad(m, x, y, 0, &loss, NULL, NULL, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "label 2 of sample 3"));
    y[3] = -1;
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, x, y, NULL, NULL, &err), SS_EDATA);
    y[3] = 1;
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, wide, y, NULL, NULL, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "4 features but the MLP takes 3"));
    gsl_vector *short_grad = gsl_vector_alloc(3);
    CU_ASSERT_EQUAL(ss_mlp_loss_grad(m, x, y, 0, &loss, short_grad, NULL, &err), SS_EUSAGE);
    gsl_matrix *bad_gx = gsl_matrix_alloc(4, 3);
    CU_ASSERT_EQUAL(ss_mlp_input_grad(m, x, y, bad_gx, NULL, &err), SS_EUSAGE);
    gsl_matrix *bad_p = gsl_matrix_alloc(5, 3);
    CU_ASSERT_EQUAL(ss_mlp_forward(m, x, bad_p, NULL, &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_mlp_forward(m, x, NULL, bad_p, &err), SS_EUSAGE);
    gsl_vector_free(short_grad);
    gsl_matrix_free(bad_gx);
    gsl_matrix_free(bad_p);
    gsl_matrix_free(x);
    gsl_matrix_free(wide);
    free(y);
    ss_mlp_free(m);
}

/* ---- initialisation ----------------------------------------------------- */

static void test_init_glorot(void)
{
    size_t sizes[] = {6, 10, 4};
    ss_mlp *a = mlp_new(3, sizes, 42), *b = mlp_new(3, sizes, 42), *c = mlp_new(3, sizes, 43);
    CU_ASSERT(gsl_vector_equal(ss_mlp_params(a), ss_mlp_params(b)));
    CU_ASSERT(!gsl_vector_equal(ss_mlp_params(a), ss_mlp_params(c)));
    for (size_t l = 0; l < 2; l++) {
        double bound = sqrt(6.0 / (double)(sizes[l] + sizes[l + 1]));
        gsl_matrix *w = ss_mlp_weights(a, l);
        CU_ASSERT(gsl_matrix_max(w) <= bound && gsl_matrix_min(w) >= -bound);
        /* Spread over the interval, not stuck near 0. */
        CU_ASSERT(gsl_matrix_max(w) > 0.5 * bound && gsl_matrix_min(w) < -0.5 * bound);
        CU_ASSERT(gsl_vector_max(ss_mlp_bias(a, l)) <= bound);
        CU_ASSERT(gsl_vector_min(ss_mlp_bias(a, l)) >= -bound);
    }
    /* Draw order: W_0 row by row, then b_0 (as documented). */
    gsl_rng *r = rng_seeded(42);
    double bound0 = sqrt(6.0 / 16.0);
    double first = bound0 * (2 * gsl_rng_uniform(r) - 1);
    CU_ASSERT_DOUBLE_EQUAL(gsl_matrix_get(ss_mlp_weights(a, 0), 0, 0), first, 1e-15);
    gsl_rng_free(r);
    ss_mlp_free(a);
    ss_mlp_free(b);
    ss_mlp_free(c);
}

/* ---- passes and gradients ---------------------------------------------- */

static void test_forward_probs(void)
{
    size_t sizes[] = {5, 8, 6, 3};
    ss_mlp *m = mlp_new(4, sizes, 3);
    int *y;
    /* More rows than one chunk, so chunk boundaries are crossed. */
    gsl_matrix *x = random_data(700, 5, 3, &y, 4);
    gsl_matrix *p = gsl_matrix_alloc(700, 3), *o = gsl_matrix_alloc(700, 3);
    int *pred = malloc(700 * sizeof *pred);
    CU_ASSERT_EQUAL_FATAL(ss_mlp_forward(m, x, p, o, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ss_mlp_predict(m, x, pred, NULL), 0);
    int sums_ok = 1, argmax_ok = 1;
    for (size_t i = 0; i < 700; i++) {
        double s = 0;
        size_t best = 0;
        for (size_t k = 0; k < 3; k++) {
            s += gsl_matrix_get(p, i, k);
            if (gsl_matrix_get(o, i, k) > gsl_matrix_get(o, i, best))
                best = k;
        }
        sums_ok &= fabs(s - 1) < 1e-12;
        argmax_ok &= pred[i] == (int)best;
    }
    CU_ASSERT(sums_ok);
    CU_ASSERT(argmax_ok);
    /* The mean loss is the mean of -log p(true class). */
    double ce = 0;
    for (size_t i = 0; i < 700; i++)
        ce -= log(gsl_matrix_get(p, i, (size_t)y[i]));
    CU_ASSERT_DOUBLE_EQUAL(loss_of(m, x, y, 0), ce / 700, 1e-12);
    free(pred);
    free(y);
    gsl_matrix_free(x);
    gsl_matrix_free(p);
    gsl_matrix_free(o);
    ss_mlp_free(m);
}

static void test_predict_ties(void)
{
    size_t sizes[] = {2, 3, 4};
    ss_mlp *m = ss_mlp_alloc(3, sizes, NULL); /* all parameters zero: equal logits */
    int *y;
    gsl_matrix *x = random_data(10, 2, 4, &y, 5);
    int pred[10];
    CU_ASSERT_EQUAL(ss_mlp_predict(m, x, pred, NULL), 0);
    int all_zero = 1;
    for (int i = 0; i < 10; i++)
        all_zero &= pred[i] == 0;
    CU_ASSERT(all_zero);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

static void test_grad_tanh(void)
{
    size_t sizes[] = {4, 6, 5, 3};
    ss_mlp *m = mlp_new(4, sizes, 11);
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 0, &ss_act_tanh, NULL), 0);
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 1, &ss_act_logistic, NULL), 0);
    int *y;
    gsl_matrix *x = random_data(7, 4, 3, &y, 12);
    check_param_grad(m, x, y, 0.3);
    check_input_grad(m, x, y, 0.3);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

static void test_grad_relu(void)
{
    /* The default network.  A kink of ReLU within h of a pre-activation would
     * spoil a finite difference; with these seeds the smallest |z| is far
     * larger than h (asserted below, so a change of data cannot hide it). */
    size_t sizes[] = {5, 8, 6, 4};
    ss_mlp *m = mlp_new(4, sizes, 21);
    int *y;
    gsl_matrix *x = random_data(9, 5, 4, &y, 22);
    gsl_matrix *logits = gsl_matrix_alloc(9, 4);
    CU_ASSERT_EQUAL(ss_mlp_forward(m, x, NULL, logits, NULL), 0);
    check_param_grad(m, x, y, 1e-4);
    check_input_grad(m, x, y, 1e-4);
    /* Hidden pre-activations, recomputed by hand, are all away from 0. */
    double min_abs = INFINITY;
    gsl_matrix *a = gsl_matrix_alloc(9, 8);
    for (size_t i = 0; i < 9; i++)
        for (size_t j = 0; j < 8; j++) {
            double z = gsl_vector_get(ss_mlp_bias(m, 0), j);
            for (size_t k = 0; k < 5; k++)
                z += gsl_matrix_get(x, i, k) * gsl_matrix_get(ss_mlp_weights(m, 0), k, j);
            min_abs = fmin(min_abs, fabs(z));
            gsl_matrix_set(a, i, j, z > 0 ? z : 0);
        }
    for (size_t i = 0; i < 9; i++)
        for (size_t j = 0; j < 6; j++) {
            double z = gsl_vector_get(ss_mlp_bias(m, 1), j);
            for (size_t k = 0; k < 8; k++)
                z += gsl_matrix_get(a, i, k) * gsl_matrix_get(ss_mlp_weights(m, 1), k, j);
            min_abs = fmin(min_abs, fabs(z));
        }
    CU_ASSERT(min_abs > 1e-3);
    gsl_matrix_free(a);
    gsl_matrix_free(logits);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

/* A custom smooth activation with a parameter, as the SNN surrogate plugs in
 * its rate transfer function: y = gain * softplus(z / width). */
typedef struct {
    double gain, width;
} rate_params;

static void rate_fn(void *ctx, size_t n, const double *z, double *y)
{
    const rate_params *p = ctx;
    for (size_t i = 0; i < n; i++) {
        double u = z[i] / p->width;
        y[i] = p->gain * ((u > 0 ? u : 0) + log1p(exp(-fabs(u))));
    }
}

static void rate_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    const rate_params *p = ctx;
    (void)y;
    for (size_t i = 0; i < n; i++)
        d[i] = p->gain / p->width / (1 + exp(-z[i] / p->width));
}

static void test_grad_custom_activation(void)
{
    rate_params params = {0.8, 0.5};
    ss_activation rate = {"rate", rate_fn, rate_deriv, &params};
    size_t sizes[] = {6, 7, 5, 2};
    ss_mlp *m = mlp_new(4, sizes, 31);
    for (size_t l = 0; l < 3; l++)
        CU_ASSERT_EQUAL(ss_mlp_set_activation(m, l, &rate, NULL), 0);
    int *y;
    gsl_matrix *x = random_data(6, 6, 2, &y, 32);
    check_param_grad(m, x, y, 0);
    check_input_grad(m, x, y, 0);
    /* The hook really is in use: a different gain changes the loss. */
    double before = loss_of(m, x, y, 0);
    params.gain = 1.6;
    CU_ASSERT(fabs(loss_of(m, x, y, 0) - before) > 1e-3);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

static void test_input_grad_per_sample(void)
{
    /* Row i of ss_mlp_input_grad depends on row i only: the gradient of 600
     * rows at once (three chunks) equals that of each row on its own. */
    size_t sizes[] = {4, 9, 7, 3};
    ss_mlp *m = mlp_new(4, sizes, 41);
    int *y;
    gsl_matrix *x = random_data(600, 4, 3, &y, 42);
    gsl_matrix *g = gsl_matrix_alloc(600, 4), *g1 = gsl_matrix_alloc(1, 4);
    double total, one, sum = 0;
    CU_ASSERT_EQUAL_FATAL(ss_mlp_input_grad(m, x, y, g, &total, NULL), 0);
    int same = 1;
    for (size_t i = 0; i < 600; i += 37) {
        gsl_matrix_const_view row = gsl_matrix_const_submatrix(x, i, 0, 1, 4);
        CU_ASSERT_EQUAL(ss_mlp_input_grad(m, &row.matrix, y + i, g1, &one, NULL), 0);
        for (size_t j = 0; j < 4; j++)
            same &= fabs(gsl_matrix_get(g, i, j) - gsl_matrix_get(g1, 0, j)) <=
                    1e-12 * fmax(1, fabs(gsl_matrix_get(g1, 0, j)));
    }
    CU_ASSERT(same);
    for (size_t i = 0; i < 600; i++) {
        gsl_matrix_const_view row = gsl_matrix_const_submatrix(x, i, 0, 1, 4);
        ss_mlp_input_grad(m, &row.matrix, y + i, g1, &one, NULL);
        sum += one;
    }
    CU_ASSERT_DOUBLE_EQUAL(total, sum, 1e-9 * sum);
    free(y);
    gsl_matrix_free(x);
    gsl_matrix_free(g);
    gsl_matrix_free(g1);
    ss_mlp_free(m);
}

/* ---- evaluation ---------------------------------------------------------- */

static void test_evaluate_confusion(void)
{
    /* One layer, W = identity, b = 0: the prediction is the largest feature. */
    size_t sizes[] = {3, 3};
    ss_mlp *m = ss_mlp_alloc(2, sizes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    gsl_matrix_set_identity(ss_mlp_weights(m, 0));
    double xs[] = {0.9,
                   0.1,
                   0.0,
                   /* -> 0 */ 0.1,
                   0.8,
                   0.3,
                   /* -> 1 */ 0.2,
                   0.7,
                   0.1,
                   /* -> 1 */ 0.0,
                   0.4,
                   0.5,
                   /* -> 2 */ 0.6,
                   0.1,
                   0.5,
                   /* -> 0 */ 0.1,
                   0.2,
                   0.9};
    gsl_matrix_view x = gsl_matrix_view_array(xs, 6, 3);
    int y[] = {0, 1, 0, 2, 2, 2};
    ss_confusion *c = ss_confusion_alloc(3), *wrong = ss_confusion_alloc(2);
    ss_confusion_add(c, 1, 1); /* stale content is cleared */
    double acc;
    ss_error err;
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, &x.matrix, y, &acc, c, &err), 0);
    CU_ASSERT_DOUBLE_EQUAL(acc, 4.0 / 6.0, 1e-15);
    long want[9] = {1, 1, 0, 0, 1, 0, 1, 0, 2};
    CU_ASSERT(memcmp(c->cells, want, sizeof want) == 0);
    CU_ASSERT_EQUAL(c->n_total, 6);
    CU_ASSERT_EQUAL(c->n_silent, 0);
    CU_ASSERT_DOUBLE_EQUAL(ss_confusion_accuracy(c), acc, 1e-15);
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, &x.matrix, y, &acc, wrong, &err), SS_EUSAGE);
    ss_confusion_free(c);
    ss_confusion_free(wrong);
    ss_mlp_free(m);
}

/* ---- training ------------------------------------------------------------ */

static double train_xor(ss_optimizer opt, double lr, unsigned long seed, ss_mlp **out)
{
    size_t sizes[] = {2, 16, 16, 2};
    ss_mlp *m = mlp_new(4, sizes, seed);
    int *y, *yt;
    gsl_matrix *x = xor_data(400, &y, seed + 100), *xt = xor_data(400, &yt, seed + 200);
    ss_mlp_train_opts o;
    ss_mlp_train_opts_default(&o);
    o.optimizer = opt;
    o.lr = lr;
    o.epochs = 150;
    gsl_rng *r = rng_seeded(seed + 300);
    size_t done;
    ss_error err;
    int rc = ss_mlp_train(m, x, y, &o, r, &done, &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n  %s\n", err.msg);
    CU_ASSERT_EQUAL(done, 150);
    double acc = 0;
    CU_ASSERT_EQUAL(ss_mlp_evaluate(m, xt, yt, &acc, NULL, NULL), 0);
    gsl_rng_free(r);
    free(y);
    free(yt);
    gsl_matrix_free(x);
    gsl_matrix_free(xt);
    if (out)
        *out = m;
    else
        ss_mlp_free(m);
    return acc;
}

static void test_train_adam_xor(void)
{
    double acc = train_xor(SS_OPTIMIZER_ADAM, 0.01, 1, NULL);
    CU_ASSERT(acc >= 0.97);
    if (acc < 0.97)
        fprintf(stderr, "\n  Adam XOR accuracy %.3f\n", acc);
}

static void test_train_sgd_xor(void)
{
    double acc = train_xor(SS_OPTIMIZER_SGD, 0.1, 2, NULL);
    CU_ASSERT(acc >= 0.97);
    if (acc < 0.97)
        fprintf(stderr, "\n  SGD XOR accuracy %.3f\n", acc);
}

static void test_train_deterministic(void)
{
    ss_mlp *a, *b, *c;
    train_xor(SS_OPTIMIZER_ADAM, 0.01, 5, &a);
    train_xor(SS_OPTIMIZER_ADAM, 0.01, 5, &b);
    train_xor(SS_OPTIMIZER_ADAM, 0.01, 6, &c);
    CU_ASSERT(memcmp(ss_mlp_params(a)->data, ss_mlp_params(b)->data,
                     ss_mlp_n_params(a) * sizeof(double)) == 0);
    CU_ASSERT(!gsl_vector_equal(ss_mlp_params(a), ss_mlp_params(c)));
    ss_mlp_free(a);
    ss_mlp_free(b);
    ss_mlp_free(c);
}

typedef struct {
    double loss[10];
    size_t calls, stop_after;
} epoch_log;

static int log_epoch(void *ctx, size_t epoch, double loss)
{
    epoch_log *lg = ctx;
    lg->loss[lg->calls++] = loss;
    CU_ASSERT_EQUAL(epoch, lg->calls);
    return lg->calls == lg->stop_after;
}

static void test_train_callback_and_loss(void)
{
    size_t sizes[] = {2, 16, 16, 2};
    ss_mlp *m = mlp_new(4, sizes, 7);
    int *y;
    gsl_matrix *x = xor_data(200, &y, 8);
    ss_mlp_train_opts o;
    ss_mlp_train_opts_default(&o);
    o.lr = 0.01;
    o.epochs = 10;
    epoch_log lg = {{0}, 0, 6};
    o.on_epoch = log_epoch;
    o.ctx = &lg;
    double before = loss_of(m, x, y, o.l2);
    gsl_rng *r = rng_seeded(9);
    size_t done = 99;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, &done, NULL), 0);
    CU_ASSERT_EQUAL(done, 6);
    CU_ASSERT_EQUAL(lg.calls, 6);
    /* Training lowers the objective it reports. */
    CU_ASSERT(lg.loss[5] < lg.loss[0]);
    CU_ASSERT(lg.loss[0] < before);
    CU_ASSERT(loss_of(m, x, y, o.l2) < before);
    gsl_rng_free(r);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

static void test_train_errors(void)
{
    size_t sizes[] = {2, 4, 2};
    ss_mlp *m = mlp_new(3, sizes, 1);
    int *y;
    gsl_matrix *x = xor_data(50, &y, 2);
    gsl_rng *r = rng_seeded(3);
    ss_error err;
    ss_mlp_train_opts o;
    ss_mlp_train_opts_default(&o);
    o.batch = 0;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, NULL, &err), SS_EUSAGE);
    ss_mlp_train_opts_default(&o);
    o.lr = 0;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, NULL, &err), SS_EUSAGE);
    ss_mlp_train_opts_default(&o);
    o.optimizer = SS_OPTIMIZER_SGD;
    o.momentum = 1;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, NULL, &err), SS_EUSAGE);
    ss_mlp_train_opts_default(&o);
    y[10] = 5;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, NULL, &err), SS_EDATA);
    y[10] = 1;

    /* A learning rate far too large for inputs this big overflows the
     * weights (linear units, so none can die and stop the growth); training
     * must stop with a clear error, not return NaNs. */
    gsl_matrix_scale(x, 1e150);
    CU_ASSERT_EQUAL(ss_mlp_set_activation(m, 0, &ss_act_identity, NULL), 0);
    ss_mlp_train_opts_default(&o);
    o.optimizer = SS_OPTIMIZER_SGD;
    o.lr = 10;
    size_t done = 99;
    CU_ASSERT_EQUAL(ss_mlp_train(m, x, y, &o, r, &done, &err), SS_ERUNTIME);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "diverged"));
    CU_ASSERT(done < o.epochs);
    gsl_rng_free(r);
    free(y);
    gsl_matrix_free(x);
    ss_mlp_free(m);
}

/* ---- model-file keys ------------------------------------------------------ */

static void test_opts_from_config(void)
{
    /* Absent keys: the key table's defaults, which must be the library's. */
    ss_error err;
    const char *path = ss_test_write("ann_defaults.ini", "[simulation]\nseed = 1\n");
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_mlp_train_opts got, want;
    ss_mlp_train_opts_default(&want);
    CU_ASSERT_EQUAL(ss_mlp_train_opts_from_config(cfg, &got, &err), 0);
    CU_ASSERT_EQUAL(got.epochs, want.epochs);
    CU_ASSERT_EQUAL(got.batch, want.batch);
    CU_ASSERT_EQUAL(got.optimizer, want.optimizer);
    CU_ASSERT_EQUAL(got.lr, want.lr);
    CU_ASSERT_EQUAL(got.momentum, want.momentum);
    CU_ASSERT_EQUAL(got.l2, want.l2);
    ss_config_free(cfg);

    path = ss_test_write("ann_keys.ini", "[evaluate]\nbp_epochs = 7\nbp_batch = 100\n"
                                         "bp_optimizer = sgd\nbp_lr = 0.05\n"
                                         "bp_momentum = 0.5\nbp_l2 = 0.01\n");
    const char *sets[] = {"evaluate.bp_batch=64"};
    cfg = ss_config_load(path, sets, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(ss_mlp_train_opts_from_config(cfg, &got, &err), 0);
    CU_ASSERT_EQUAL(got.epochs, 7);
    CU_ASSERT_EQUAL(got.batch, 64);
    CU_ASSERT_EQUAL(got.optimizer, SS_OPTIMIZER_SGD);
    CU_ASSERT_EQUAL(got.lr, 0.05);
    CU_ASSERT_EQUAL(got.momentum, 0.5);
    CU_ASSERT_EQUAL(got.l2, 0.01);
    ss_config_free(cfg);
}

static void test_alloc_from_config(void)
{
    /* Encoder neurons and sources are not part of the MLP's shape; the
     * neuron layers are, in file order, and the last one is the output. */
    ss_error err;
    const char *path = ss_test_write("ann_shape.ini", "[layer.input]\ntype = input\nsize = 32\n"
                                                      "[layer.noise]\ntype = poisson\nsize = 5\n"
                                                      "[layer.hidden1]\ntype = lif\nsize = 64\n"
                                                      "[layer.hidden2]\ntype = lif_exp\nsize = 16\n"
                                                      "[layer.output]\nsize = 3\n");
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_mlp *m = ss_mlp_alloc_from_config(cfg, 4, 3, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(ss_mlp_n_layers(m), 3);
    size_t want[] = {4, 64, 16, 3};
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(ss_mlp_size(m, i), want[i]);
    ss_mlp_free(m);
    /* An output layer that does not match the classes is the model's error. */
    CU_ASSERT_PTR_NULL(ss_mlp_alloc_from_config(cfg, 4, 2, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ann_shape.ini:14: [layer.output] size"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2 classes"));
    ss_config_free(cfg);

    path = ss_test_write("ann_noshape.ini", "[layer.input]\ntype = input\nsize = 4\n");
    cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_PTR_NULL(ss_mlp_alloc_from_config(cfg, 4, 2, &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"alloc errors", test_alloc_errors},
        {"parameter layout and views", test_layout},
        {"set/get/copy layers, activations", test_set_get_layer},
        {"data errors", test_data_errors},
        {"Glorot init, seeded", test_init_glorot},
        {"forward: probabilities, argmax, loss", test_forward_probs},
        {"predict: ties to the lowest class", test_predict_ties},
        {"gradient = finite difference (tanh/logistic, L2)", test_grad_tanh},
        {"gradient = finite difference (ReLU)", test_grad_relu},
        {"gradient = finite difference (custom activation)", test_grad_custom_activation},
        {"input gradient is per sample", test_input_grad_per_sample},
        {"accuracy and confusion matrix", test_evaluate_confusion},
        {"Adam learns XOR", test_train_adam_xor},
        {"SGD+momentum learns XOR", test_train_sgd_xor},
        {"same seed, same weights", test_train_deterministic},
        {"epoch callback, loss decreases, early stop", test_train_callback_and_loss},
        {"training errors and divergence", test_train_errors},
        {"[evaluate] bp_* keys", test_opts_from_config},
        {"shape from [layer.*] sections", test_alloc_from_config},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("ann", cases);
    return ss_test_main();
}
