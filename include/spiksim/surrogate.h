/* A differentiable mean-field rate model of a trained spiking classifier,
 * so that white-box attacks (FGSM, PGD) can aim at the spiking network
 * (docs/robustness.md).
 *
 * The spiking network's feed-forward chain input -> hidden... -> output
 * becomes a chain of rate layers over the encoder's rates.  Neuron j of a
 * layer has the mean potential (relative to threshold)
 *     z_j = E_L + bias - theta_j - V_th + sum_i W_ij r_i + sum_k M_jk r_k,
 * with W = c w the feed-forward weights (signed: hidden2's negative weights
 * pull the potential down) and M = c w the layer's own recurrent
 * projection (lateral inhibition), c = tau_m (lif: each spike jumps V by w)
 * or tau_syn by sign (lif_exp: each spike adds w to R*I, which decays with
 * tau_syn), theta_j the threshold offset the network tests with.  Its rate
 * is a smooth fit of the LIF f-I curve,
 *     r_j = f(z_j) = g * s * softplus(z_j / s),  g = 1 / (tau_m (V_th - V_reset)),
 * the straight line the noiseless LIF rate approaches above threshold,
 * rounded off over s = 1 mV.  With inhibition, the rates are the fixed point
 * r = f(a + M r) (Newton), and the gradient differentiates it implicitly:
 * dr = (I - D M)^-1 D da, D = diag(f'(z)).  Uniform all-to-all inhibition
 * makes I - D M diagonal plus rank one, solved by Sherman-Morrison in O(n).
 * The logits are the output rates / 10 Hz.  Refractoriness and spike noise
 * are left out; the report prints the surrogate's clean accuracy and how
 * often it predicts what the network does, so a poor fit shows.
 * Gradients with respect to the features chain the encoder's derivative.
 * A surrogate holds per-row scratch: one thread at a time.
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

/* The attacks' view: gradient of the cross-entropy with respect to the features. */
ss_attack_model ss_surrogate_attack_model(ss_surrogate *s);

/* Sum over rows of the cross-entropy of the true label (what FGSM climbs). */
int ss_surrogate_loss(ss_surrogate *s, const gsl_matrix *x, const int *y, double *loss,
                      ss_error *err);

/* The surrogate's predicted class of every feature row of x. */
int ss_surrogate_predict(ss_surrogate *s, const gsl_matrix *x, int *pred, ss_error *err);

/* Rates (Hz) of dense layer `layer` (0: the first lif/lif_exp layer) for
 * one feature row x. */
int ss_surrogate_layer_rates(ss_surrogate *s, const double *x, size_t layer, double *rates,
                             ss_error *err);

/* Rows whose inhibition fixed point did not converge to 1e-6 (relative):
 * they use the best iterate found. */
size_t ss_surrogate_newton_failures(const ss_surrogate *s);

/* Accuracy of the surrogate itself on feature rows x. */
int ss_surrogate_accuracy(ss_surrogate *s, const gsl_matrix *x, const int *y, double *accuracy,
                          ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
