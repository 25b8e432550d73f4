/* Adversarial inputs under an L-infinity budget eps, pixels kept in [0, 1]:
 * FGSM and PGD on a model's gradient, SPSA on a model's scores alone, and
 * the bookkeeping that turns per-sample outcomes into worst cases, Wilson
 * intervals and sanity checks (docs/robustness.md).
 *
 * The fast gradient sign method (FGSM):
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
#include <stdint.h>
#include <spiksim/ann.h>
#include <spiksim/config.h>
#include <spiksim/error.h>
#include <spiksim/progress.h>

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

/* ---- PGD ----------------------------------------------------------------
 * Projected gradient descent (Madry et al. 2018): from a random start drawn
 * uniformly in the eps-ball (and clipped to [0, 1]), `steps` steps
 *     x <- P(x + alpha * sign(grad_x L(x, y))),  alpha = step_frac * eps,
 * P the projection onto the eps-ball around the clean x intersected with
 * [0, 1] (widened to include a clean value outside it, as FGSM).  The
 * random start of row i comes from the keyed stream (seed,
 * SS_STREAM_ATTACK, start_key, i): the same rows give the same result
 * however they are chunked.  x_adv must not be x.  progress (may be NULL)
 * shows phase. */
typedef struct ss_pgd_opts {
    size_t steps;     /* >= 1 */
    double step_frac; /* alpha / eps, e.g. 2.5 / steps */
    int random_start; /* start uniformly in the ball */
    uint64_t seed, start_key;
} ss_pgd_opts;

int ss_pgd_craft(const ss_attack_model *model, const gsl_matrix *x, const int *y, double eps,
                 const ss_pgd_opts *opts, gsl_matrix *x_adv, ss_progress *progress,
                 const char *phase, ss_error *err);

/* ---- SPSA ---------------------------------------------------------------
 * A model seen only through its class scores: for n feature rows, scores
 * receives n x n_classes numbers (spike counts, logits), larger = more
 * likely.  keys[i] names the noise draw of row i (a stochastic model gives
 * the same scores for the same row and key; a deterministic one ignores
 * keys). */
typedef struct ss_query_model {
    int (*scores)(void *self, const double *x, size_t n, const uint64_t *keys, double *scores,
                  ss_error *err);
    void *self;
    size_t n_features, n_classes;
} ss_query_model;

/* The MLP through its logits (for the SPSA strength check). */
ss_query_model ss_query_model_mlp(ss_mlp *m);

/* SPSA (Uesato, O'Donoghue, van den Oord, Kohli 2018): minimises the
 * margin loss l(x) = s_y(x) - max_{k != y} s_k(x) of the scores averaged
 * over `draws` noise draws (expectation over the model's noise).  Each
 * iteration estimates the gradient from `batch` Rademacher directions v as
 * mean (l(x + delta v) - l(x - delta v)) / (2 delta) v (both sides of a
 * direction share their noise draws: common random numbers), takes an
 * Adam step of size lr_frac * eps and projects as PGD does.  A row stops
 * early once l(x_adv) < 0 on fresh draws (its own query); the budget is
 * max_queries scored rows per sample, every draw counted.  The directions
 * and draws come from keyed streams (seed, SS_STREAM_ATTACK, key_base, i),
 * so the result does not depend on threads or chunking.  queries_used (may
 * be NULL) receives the total scored rows.  x_adv must not be x. */
typedef struct ss_spsa_opts {
    size_t max_queries; /* per sample, every draw counted */
    size_t batch;       /* directions per iteration (each scored twice) */
    size_t draws;       /* noise draws per point */
    double delta;       /* finite-difference step, in input units */
    double lr_frac;     /* Adam step size as a fraction of eps */
    uint64_t seed, key_base;
    size_t rows_per_call; /* samples advanced together (a query batch), >= 1 */
} ss_spsa_opts;

void ss_spsa_opts_default(ss_spsa_opts *o);
/* Iterations a sample gets within max_queries. */
size_t ss_spsa_iterations(const ss_spsa_opts *o);

int ss_spsa_craft(const ss_query_model *model, const gsl_matrix *x, const int *y, double eps,
                  const ss_spsa_opts *opts, gsl_matrix *x_adv, long long *queries_used,
                  ss_progress *progress, const char *phase, ss_error *err);

/* ---- Outcomes ------------------------------------------------------------ */

/* Wilson score interval of k successes in n at z (1.96: 95 %). */
void ss_wilson(size_t k, size_t n, double z, double *lo, double *hi);

/* worst[i] &= correct[i] for n samples: a sample is robust only while no
 * attack has broken it.  Start from the clean outcomes. */
void ss_worst_case_merge(unsigned char *worst, const unsigned char *correct, size_t n);

size_t ss_count_correct(const unsigned char *correct, size_t n);

/* Sanity check of an attack at a large eps: 0 when its accuracy (k of n)
 * is at or below chance (1 / n_classes), else 1: an attack that cannot
 * bring accuracy down to chance when nearly any input is reachable is
 * broken (masked or zero gradients, too few steps or queries). */
int ss_attack_broken(size_t k, size_t n, size_t n_classes);

/* ---- The [evaluate] keys of the attacks, parsed once ---------------------- */
typedef struct ss_attack_plan {
    int fgsm, pgd, spsa, transfer; /* which attacks run */
    size_t samples;                /* first test samples attacked (0: all) */
    size_t pgd_steps;
    ss_spsa_opts spsa_opts; /* seed and key_base are set per attack */
    double sanity_eps;      /* 0: none */
} ss_attack_plan;

/* From [evaluate] attacks, attack_samples (else fgsm_samples), pgd_steps,
 * spsa_*, sanity_eps.  SS_ECONFIG "FILE:LINE: ..." for an unknown attack
 * name. */
int ss_attack_plan_from_config(const ss_config *cfg, ss_attack_plan *plan, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
