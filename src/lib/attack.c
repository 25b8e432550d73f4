/* FGSM (see attack.h).  The gradient comes from an ss_attack_model, chunk by
 * chunk of rows, so any differentiable model can be attacked and crafted
 * copies can be handed to another classifier (transfer). */
#include <spiksim/attack.h>

#include "ann_private.h"

#include <math.h>
#include <stdlib.h>

static int mlp_input_grad(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g,
                          ss_error *err)
{
    return ss_mlp_input_grad(self, x, y, g, NULL, err);
}

ss_attack_model ss_attack_model_mlp(ss_mlp *m)
{
    ss_attack_model model = {mlp_input_grad, m};
    return model;
}

static int check_eps(double eps, ss_error *err)
{
    if (!(eps >= 0) || !isfinite(eps))
        return ss_error_set(err, SS_EUSAGE, "FGSM eps must be finite and >= 0, not %g", eps);
    return 0;
}

int ss_fgsm_apply(const gsl_matrix *x, const gsl_matrix *g, double eps, gsl_matrix *x_adv,
                  ss_error *err)
{
    int rc = check_eps(eps, err);
    if (rc)
        return rc;
    if (g->size1 != x->size1 || g->size2 != x->size2 || x_adv->size1 != x->size1 ||
        x_adv->size2 != x->size2)
        return ss_error_set(err, SS_EUSAGE, "FGSM: input, gradient and output shapes differ");
    for (size_t i = 0; i < x->size1; i++) {
        const double *xr = x->data + i * x->tda, *gr = g->data + i * g->tda;
        double *out = x_adv->data + i * x_adv->tda;
        for (size_t j = 0; j < x->size2; j++) {
            double v = xr[j], step = gr[j] > 0 ? eps : gr[j] < 0 ? -eps : 0;
            /* The valid box is [0, 1], widened to include v itself so that a
             * clean value outside it stays where it is (see attack.h). */
            double lo = v < 0 ? v : 0, hi = v > 1 ? v : 1, p = v + step;
            out[j] = p < lo ? lo : p > hi ? hi : p;
        }
    }
    return 0;
}

static int check_craft(const ss_attack_model *model, const gsl_matrix *x, const gsl_matrix *x_adv,
                       ss_error *err)
{
    if (!model || !model->input_grad)
        return ss_error_set(err, SS_EUSAGE, "FGSM: no model to take gradients from");
    if (x_adv->size1 != x->size1 || x_adv->size2 != x->size2)
        return ss_error_set(err, SS_EUSAGE, "FGSM output is %zux%zu, input %zux%zu", x_adv->size1,
                            x_adv->size2, x->size1, x->size2);
    return 0;
}

int ss_fgsm_craft_many(const ss_attack_model *model, const gsl_matrix *x, const int *y,
                       const double *eps, size_t n_eps, gsl_matrix *const *x_adv, ss_error *err)
{
    int rc = 0;
    for (size_t k = 0; k < n_eps && !rc; k++) {
        rc = check_eps(eps[k], err);
        if (!rc)
            rc = check_craft(model, x, x_adv[k], err);
    }
    if (rc || x->size1 == 0)
        return rc;
    size_t chunk = x->size1 < SS_MLP_CHUNK_ROWS ? x->size1 : SS_MLP_CHUNK_ROWS;
    gsl_matrix *g = gsl_matrix_alloc(chunk, x->size2);
    if (!g)
        return ss_error_set(err, SS_ENOMEM, "out of memory for FGSM gradients");
    for (size_t r0 = 0; r0 < x->size1 && !rc; r0 += chunk) {
        size_t rows = x->size1 - r0 < chunk ? x->size1 - r0 : chunk;
        gsl_matrix_const_view xv = gsl_matrix_const_submatrix(x, r0, 0, rows, x->size2);
        gsl_matrix_view gv = gsl_matrix_submatrix(g, 0, 0, rows, x->size2);
        rc = model->input_grad(model->self, &xv.matrix, y + r0, &gv.matrix, err);
        for (size_t k = 0; k < n_eps && !rc; k++) {
            gsl_matrix_view av = gsl_matrix_submatrix(x_adv[k], r0, 0, rows, x->size2);
            rc = ss_fgsm_apply(&xv.matrix, &gv.matrix, eps[k], &av.matrix, err);
        }
    }
    gsl_matrix_free(g);
    return rc;
}

int ss_fgsm_craft(const ss_attack_model *model, const gsl_matrix *x, const int *y, double eps,
                  gsl_matrix *x_adv, ss_error *err)
{
    /* Chunk by chunk, each chunk's gradient is taken before its rows of x_adv
     * are written, which is what makes crafting in place (x_adv == x) safe. */
    return ss_fgsm_craft_many(model, x, y, &eps, 1, &x_adv, err);
}

int ss_fgsm_mlp_accuracy(ss_mlp *m, const gsl_matrix *x, const int *y, double eps, double *accuracy,
                         ss_confusion *confusion, gsl_matrix *x_adv, ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, y, err);
    if (rc)
        return rc;
    if (x->size1 == 0)
        return ss_error_set(err, SS_EDATA, "no samples to attack");
    gsl_matrix *adv = x_adv;
    if (!adv && !(adv = gsl_matrix_alloc(x->size1, x->size2)))
        return ss_error_set(err, SS_ENOMEM, "out of memory for %zu adversarial inputs", x->size1);
    ss_attack_model model = ss_attack_model_mlp(m);
    rc = ss_fgsm_craft(&model, x, y, eps, adv, err);
    if (!rc)
        rc = ss_mlp_evaluate(m, adv, y, accuracy, confusion, err);
    if (adv != x_adv)
        gsl_matrix_free(adv);
    return rc;
}

static int mlp_scores(void *self, const double *x, size_t n, const uint64_t *keys, double *scores,
                      ss_error *err)
{
    ss_mlp *m = self;
    (void)keys; /* deterministic */
    if (n == 0)
        return 0;
    gsl_matrix_const_view xv = gsl_matrix_const_view_array(x, n, ss_mlp_n_inputs(m));
    gsl_matrix_view sv = gsl_matrix_view_array(scores, n, ss_mlp_n_classes(m));
    return ss_mlp_forward(m, &xv.matrix, NULL, &sv.matrix, err);
}

ss_query_model ss_query_model_mlp(ss_mlp *m)
{
    ss_query_model q = {mlp_scores, m, ss_mlp_n_inputs(m), ss_mlp_n_classes(m)};
    return q;
}
