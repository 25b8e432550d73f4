/* Internal interface between the MLP's passes (ann.c), its training loop
 * (ann_train.c) and the attacks (attack.c).  Not installed. */
#ifndef SPIKSIM_ANN_PRIVATE_H
#define SPIKSIM_ANN_PRIVATE_H

#include <spiksim/ann.h>

/* Rows handled per pass when a call covers a whole data matrix: bounds the
 * scratch memory (a few widths x this many doubles) independently of n. */
#define SS_MLP_CHUNK_ROWS 256

/* One forward and backward pass over rows x[0..rows) (row stride ldx) with
 * labels y.  The output-layer error is scaled by `scale` (1/batch for the
 * mean loss, 1 for per-sample gradients).  Adds sum CE_i to *ce_sum, and
 * when grad is not NULL adds scale * dCE/dparams to it (packed); when grad_x
 * is not NULL overwrites it (row stride ldg) with the input gradient.  Labels
 * must already be checked.  rows <= SS_MLP_CHUNK_ROWS or a value the
 * workspace was grown to; returns 0 or SS_ENOMEM. */
int ss_mlp__pass(ss_mlp *m, const double *x, size_t ldx, const int *y, size_t rows, double scale,
                 double *ce_sum, double *grad, double *grad_x, size_t ldg, ss_error *err);

/* Labels in [0, classes) and x's width, as every entry point checks them. */
int ss_mlp__check_data(const ss_mlp *m, const gsl_matrix *x, const int *y, ss_error *err);

#endif
