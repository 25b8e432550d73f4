/* PGD: projected gradient sign steps from a random start (see attack.h). */
#include <spiksim/attack.h>
#include <spiksim/stream.h>

#include "ann_private.h"

#include <math.h>
#include <stdlib.h>

/* The box a perturbed value v of clean value x0 must stay in: the eps-ball
 * around x0 within [0, 1], widened to include x0 itself. */
static double project(double v, double x0, double eps)
{
    double lo = x0 - eps, hi = x0 + eps;
    double box_lo = x0 < 0 ? x0 : 0, box_hi = x0 > 1 ? x0 : 1;
    if (lo < box_lo)
        lo = box_lo;
    if (hi > box_hi)
        hi = box_hi;
    return v < lo ? lo : v > hi ? hi : v;
}

int ss_pgd_craft(const ss_attack_model *model, const gsl_matrix *x, const int *y, double eps,
                 const ss_pgd_opts *opts, gsl_matrix *x_adv, ss_progress *progress,
                 const char *phase, ss_error *err)
{
    if (!model || !model->input_grad)
        return ss_error_set(err, SS_EUSAGE, "PGD: no model to take gradients from");
    if (!(eps >= 0) || !isfinite(eps))
        return ss_error_set(err, SS_EUSAGE, "PGD eps must be finite and >= 0, not %g", eps);
    if (!opts || opts->steps < 1 || !(opts->step_frac > 0))
        return ss_error_set(err, SS_EUSAGE, "PGD needs steps >= 1 and a positive step size");
    if (x_adv == x || x_adv->size1 != x->size1 || x_adv->size2 != x->size2)
        return ss_error_set(err, SS_EUSAGE, "PGD output must be a separate matrix of x's shape");
    size_t n = x->size1, d = x->size2;
    if (n == 0)
        return SS_OK;
    size_t chunk = n < SS_MLP_CHUNK_ROWS ? n : SS_MLP_CHUNK_ROWS;
    gsl_matrix *g = gsl_matrix_alloc(chunk, d);
    if (!g)
        return ss_error_set(err, SS_ENOMEM, "out of memory for PGD gradients");
    double alpha = opts->step_frac * eps;
    int rc = SS_OK;
    if (progress)
        ss_progress_begin(progress, phase, (long)(n * opts->steps));
    for (size_t i = 0; i < n; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0);
        double *ar = gsl_matrix_ptr(x_adv, i, 0);
        ss_stream st;
        ss_stream_init(&st, opts->seed, SS_STREAM_ATTACK, opts->start_key, i);
        for (size_t j = 0; j < d; j++) {
            double v = xr[j];
            if (opts->random_start && eps > 0)
                v += eps * (2 * ss_stream_uniform(&st) - 1);
            ar[j] = project(v, xr[j], eps);
        }
    }
    for (size_t r0 = 0; r0 < n && rc == SS_OK; r0 += chunk) {
        size_t rows = n - r0 < chunk ? n - r0 : chunk;
        gsl_matrix_view av = gsl_matrix_submatrix(x_adv, r0, 0, rows, d);
        gsl_matrix_view gv = gsl_matrix_submatrix(g, 0, 0, rows, d);
        for (size_t t = 0; t < opts->steps && rc == SS_OK && eps > 0; t++) {
            rc = model->input_grad(model->self, &av.matrix, y + r0, &gv.matrix, err);
            for (size_t i = 0; i < rows && rc == SS_OK; i++) {
                const double *xr = gsl_matrix_const_ptr(x, r0 + i, 0);
                const double *gr = gsl_matrix_const_ptr(&gv.matrix, i, 0);
                double *ar = gsl_matrix_ptr(&av.matrix, i, 0);
                for (size_t j = 0; j < d; j++) {
                    double step = gr[j] > 0 ? alpha : gr[j] < 0 ? -alpha : 0;
                    ar[j] = project(ar[j] + step, xr[j], eps);
                }
            }
            if (progress)
                ss_progress_update(progress, (long)(r0 * opts->steps + (t + 1) * rows), -1);
        }
    }
    if (progress && rc == SS_OK)
        ss_progress_end(progress);
    gsl_matrix_free(g);
    return rc;
}
