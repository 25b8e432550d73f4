/* A differentiable rate model of a trained spiking classifier, so FGSM can
 * attack the spiking network white-box (docs/robustness.md).
 *
 * The spiking network's feed-forward chain input -> hidden... -> output
 * becomes an MLP over the encoder's rates: layer j's mean potential is
 *     mu_j = E_L + bias - theta_j + c * sum_i w_ij r_i,
 * with c = tau_m (lif: each spike jumps V by w) or tau_syn (lif_exp: each
 * spike adds w to R*I, which decays with tau_syn), and its rate is a smooth
 * fit of the LIF f-I curve,
 *     r_j = g * s * softplus((mu_j - V_th) / s),   g = 1 / (tau_m (V_th - V_reset)),
 * the straight line the noiseless LIF rate approaches above threshold,
 * rounded off over s = 1 mV.  Lateral inhibition, refractoriness and spike
 * noise are left out, which is why the surrogate's own clean accuracy is
 * reported next to every attack: a poor surrogate makes weak attacks.
 * Gradients with respect to the features chain the encoder's derivative.
 */
#ifndef SPIKSIM_SURROGATE_H
#define SPIKSIM_SURROGATE_H

#include <gsl/gsl_matrix.h>
#include <spiksim/attack.h>
#include <spiksim/config.h>
#include <spiksim/error.h>
#include <spiksim/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_surrogate ss_surrogate;

/* Built from c's current weights and thresholds.  SS_ECONFIG when the
 * network has no feed-forward chain from its input layer to its output
 * through its lif/lif_exp layers in file order. */
ss_surrogate *ss_surrogate_alloc(ss_classifier *c, const ss_config *cfg, ss_error *err);
void ss_surrogate_free(ss_surrogate *s);

/* FGSM's view: gradient of the cross-entropy with respect to the features. */
ss_attack_model ss_surrogate_attack_model(ss_surrogate *s);

/* Sum over rows of the cross-entropy of the true label (what FGSM climbs). */
int ss_surrogate_loss(ss_surrogate *s, const gsl_matrix *x, const int *y, double *loss,
                      ss_error *err);

/* Accuracy of the surrogate itself on feature rows x. */
int ss_surrogate_accuracy(ss_surrogate *s, const gsl_matrix *x, const int *y, double *accuracy,
                          ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
