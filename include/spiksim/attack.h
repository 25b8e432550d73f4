/* Adversarial inputs: the fast gradient sign method (FGSM).
 *
 *     x' = clip(x + eps * sign(grad_x L(x, y)), 0, 1)
 *
 * with L the cross-entropy of the true label y, in the normalised input space
 * the encoder sees (Goodfellow, Shlens, Szegedy 2015).  sign(0) = 0, so an
 * input the loss does not depend on is left alone.  The clip keeps
 * perturbations inside the valid range [0, 1]; an input that is already
 * outside it (IRIS test rows can lie just outside the training part's min-max
 * range) is neither pulled in nor pushed further out, so that |x' - x| <= eps
 * always holds and eps = 0 returns x exactly.
 *
 * Attacks take their gradient from an ss_attack_model: the backprop MLP
 * (ss_attack_model_mlp), or any other differentiable model such as the SNN's
 * rate surrogate, which may chain an encoder's derivative onto an MLP's.  The
 * crafted copies can then be fed to any classifier (transfer attacks).
 */
#ifndef SPIKSIM_ATTACK_H
#define SPIKSIM_ATTACK_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <spiksim/ann.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Something with an input gradient.  input_grad writes g (same shape as x),
 * row i = dL_i/dx_i, the gradient of sample i's own loss with its label y[i]
 * (the contract of ss_mlp_input_grad).  It is called on chunks of rows. */
typedef struct ss_attack_model {
    int (*input_grad)(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g, ss_error *err);
    void *self;
} ss_attack_model;

/* The MLP as an attack model (white-box on itself).  m must outlive it. */
ss_attack_model ss_attack_model_mlp(ss_mlp *m);

/* x_adv = FGSM step of size eps from x along the gradient g (all the same
 * shape; x_adv may be x itself).  SS_EUSAGE for eps < 0 or not finite, or a
 * shape mismatch. */
int ss_fgsm_apply(const gsl_matrix *x, const gsl_matrix *g, double eps, gsl_matrix *x_adv,
                  ss_error *err);

/* Adversarial copy of every row of x (labels y) for one eps, crafted on
 * model's gradient.  x_adv has x's shape and may be x itself (in place).
 * Rows are processed a chunk at a time, so the only large buffer is x_adv. */
int ss_fgsm_craft(const ss_attack_model *model, const gsl_matrix *x, const int *y, double eps,
                  gsl_matrix *x_adv, ss_error *err);

/* The same for several eps at once, computing each gradient only once:
 * x_adv[k] receives the copy for eps[k]; none of them may be x. */
int ss_fgsm_craft_many(const ss_attack_model *model, const gsl_matrix *x, const int *y,
                       const double *eps, size_t n_eps, gsl_matrix *const *x_adv, ss_error *err);

/* White-box FGSM accuracy of an MLP: crafts on m, classifies with m.
 * confusion (as in ss_mlp_evaluate) and x_adv (receives the crafted
 * copies, x's shape) may be NULL. */
int ss_fgsm_mlp_accuracy(ss_mlp *m, const gsl_matrix *x, const int *y, double eps, double *accuracy,
                         ss_confusion *confusion, gsl_matrix *x_adv, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
