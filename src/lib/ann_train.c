/* Minibatch training of the backprop MLP: seeded shuffling, SGD with
 * (Nesterov) momentum or Adam.  The update rules, the L2 term and the batch
 * clipping follow scikit-learn's MLPClassifier, the peer this baseline is
 * checked against (bench/bp_sklearn.py), so that equal hyperparameters mean
 * the same thing in both. */
#include "ann_private.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ss_mlp_train_opts_default(ss_mlp_train_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->epochs = 50;
    opts->batch = 32;
    opts->optimizer = SS_OPTIMIZER_ADAM;
    opts->lr = 0.001;
    opts->momentum = 0.9;
    opts->nesterov = 1;
    opts->l2 = 0.0001;
    opts->beta1 = 0.9;
    opts->beta2 = 0.999;
    opts->adam_eps = 1e-8;
    opts->shuffle = 1;
}

static int check_opts(const ss_mlp_train_opts *o, ss_error *err)
{
    if (o->batch == 0)
        return ss_error_set(err, SS_EUSAGE, "backprop batch size must be at least 1");
    if (!(o->lr > 0) || !isfinite(o->lr))
        return ss_error_set(err, SS_EUSAGE, "backprop learning rate must be positive, not %g",
                            o->lr);
    if (!(o->l2 >= 0) || !isfinite(o->l2))
        return ss_error_set(err, SS_EUSAGE, "backprop L2 penalty must be >= 0, not %g", o->l2);
    if (o->optimizer == SS_OPTIMIZER_SGD && !(o->momentum >= 0 && o->momentum < 1))
        return ss_error_set(err, SS_EUSAGE, "sgd momentum must be in [0, 1), not %g", o->momentum);
    if (o->optimizer == SS_OPTIMIZER_ADAM &&
        !(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1 && o->adam_eps > 0))
        return ss_error_set(err, SS_EUSAGE,
                            "Adam needs beta1, beta2 in [0, 1) and eps > 0 (got %g, %g, %g)",
                            o->beta1, o->beta2, o->adam_eps);
    if (o->optimizer != SS_OPTIMIZER_SGD && o->optimizer != SS_OPTIMIZER_ADAM)
        return ss_error_set(err, SS_EUSAGE, "unknown optimizer %d", (int)o->optimizer);
    return 0;
}

/* Adam's update (see docs/robustness.md).  For MNIST-sized layers it costs
 * about a third of the training time, mostly one scalar sqrt and division
 * per parameter, which GCC vectorises only with -O3 -fno-math-errno. */
static void adam_step(size_t n, double *restrict p, double *restrict m, double *restrict v,
                      const double *restrict g, double b1, double b2, double step, double eps)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= step * m[i] / (sqrt(v[i]) + eps);
    }
}

static void sgd_step(size_t n, double *restrict p, double *restrict u, const double *restrict g,
                     double mu, double lr, int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        u[i] = mu * u[i] - lr * g[i];
        p[i] += nesterov ? mu * u[i] - lr * g[i] : u[i];
    }
}

/* Adds the L2 term of one batch (scikit-learn: alpha * W / batch) to grad
 * and returns its contribution to the loss. */
static double add_penalty(ss_mlp *m, double l2, size_t batch, double *grad)
{
    if (l2 == 0)
        return 0;
    double *p = ss_mlp_params(m)->data, sq = 0;
    for (size_t l = 0; l < ss_mlp_n_layers(m); l++) {
        size_t off = ss_mlp_weights_offset(m, l);
        int nw = (int)(ss_mlp_size(m, l) * ss_mlp_size(m, l + 1));
        sq += cblas_ddot(nw, p + off, 1, p + off, 1);
        cblas_daxpy(nw, l2 / (double)batch, p + off, 1, grad + off, 1);
    }
    return 0.5 * l2 * sq / (double)batch;
}

int ss_mlp_train(ss_mlp *m, const gsl_matrix *x, const int *y, const ss_mlp_train_opts *opts,
                 gsl_rng *rng, size_t *epochs_done, ss_error *err)
{
    if (epochs_done)
        *epochs_done = 0;
    int rc = check_opts(opts, err);
    if (rc || (rc = ss_mlp__check_data(m, x, y, err)))
        return rc;
    size_t n = x->size1, n_in = ss_mlp_n_inputs(m), n_params = ss_mlp_n_params(m);
    if (n == 0)
        return ss_error_set(err, SS_EDATA, "no samples to train the backprop baseline on");
    /* As scikit-learn: a batch larger than the data is the whole data. */
    size_t batch = opts->batch < n ? opts->batch : n;

    size_t *order = malloc(n * sizeof *order);
    double *xb = malloc(batch * n_in * sizeof *xb);
    int *yb = malloc(batch * sizeof *yb);
    double *grad = malloc(n_params * sizeof *grad);
    double *s1 = calloc(n_params, sizeof *s1); /* velocity, or Adam's first moment */
    double *s2 = opts->optimizer == SS_OPTIMIZER_ADAM ? calloc(n_params, sizeof *s2) : NULL;
    if (!order || !xb || !yb || !grad || !s1 || (opts->optimizer == SS_OPTIMIZER_ADAM && !s2)) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory for backprop training");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;

    double *p = ss_mlp_params(m)->data;
    double beta1_t = 1, beta2_t = 1; /* beta^t for Adam's bias correction */
    for (size_t epoch = 0; epoch < opts->epochs; epoch++) {
        if (opts->shuffle)
            gsl_ran_shuffle(rng, order, n, sizeof *order);
        double epoch_loss = 0;
        for (size_t b0 = 0; b0 < n; b0 += batch) {
            size_t rows = n - b0 < batch ? n - b0 : batch;
            for (size_t r = 0; r < rows; r++) {
                memcpy(xb + r * n_in, x->data + order[b0 + r] * x->tda, n_in * sizeof *xb);
                yb[r] = y[order[b0 + r]];
            }
            memset(grad, 0, n_params * sizeof *grad);
            double ce = 0;
            rc = ss_mlp__pass(m, xb, n_in, yb, rows, 1.0 / (double)rows, &ce, grad, NULL, 0, err);
            if (rc)
                goto done;
            double loss = ce / (double)rows + add_penalty(m, opts->l2, rows, grad);
            if (!isfinite(loss)) {
                rc = ss_error_set(err, SS_ERUNTIME,
                                  "backprop training diverged in epoch %zu (loss is not "
                                  "finite): lower the learning rate (bp_lr = %g)",
                                  epoch + 1, opts->lr);
                goto done;
            }
            epoch_loss += loss * (double)rows;

            if (opts->optimizer == SS_OPTIMIZER_ADAM) {
                beta1_t *= opts->beta1;
                beta2_t *= opts->beta2;
                double step = opts->lr * sqrt(1 - beta2_t) / (1 - beta1_t);
                adam_step(n_params, p, s1, s2, grad, opts->beta1, opts->beta2, step,
                          opts->adam_eps);
            } else {
                sgd_step(n_params, p, s1, grad, opts->momentum, opts->lr, opts->nesterov);
            }
        }
        if (epochs_done)
            *epochs_done = epoch + 1;
        if (opts->on_epoch && opts->on_epoch(opts->ctx, epoch + 1, epoch_loss / (double)n))
            break;
    }
done:
    free(order);
    free(xb);
    free(yb);
    free(grad);
    free(s1);
    free(s2);
    return rc;
}
