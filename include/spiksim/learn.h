/* Local learning on a running engine: the association STDP rule on every
 * plastic projection, plus the local mechanisms that make hidden layers
 * useful without any error signal.  docs/learning-rule.md states the rule.
 *
 * Every mechanism uses only what a synapse or neuron can see:
 *  - STDP (plasticity.h) on each pre/post event pair of a plastic synapse;
 *  - a teacher term (ReSuMe-like) for synapses onto neurons that receive a
 *    teacher projection (teacher = true, from a label layer): a teacher spike
 *    arriving at neuron i potentiates
 *    i's plastic inputs by resume_eta * x_j, a spike of i itself depresses them
 *    by the same amount (the teacher's share scaled by resume_ratio), so i
 *    learns to fire when, and only when, taught; with resume_timing =
 *    presentation the same comparison is made once per presentation with
 *    spike counts (a delta rule);
 *  - synaptic normalisation: after each training sample a neuron that
 *    spiked scales its plastic inputs to the projection's `normalize` sum;
 *  - homeostatic thresholds: after each training sample a neuron's threshold
 *    moves by theta_eta_mv per spike it fired above (or below) target_spikes,
 *    so silent neurons become excitable and no neuron wins every competition;
 *    the offsets act in training, and at test only where the layer says
 *    theta_at_test = true (their spread can outweigh the match margins);
 * Broadcast label gating and lateral inhibition are ordinary projections in
 * the model file (label_match / label_mismatch connectivity, negative
 * weights).  What the learner adds to them: a projection from a label layer
 * acts only on a layer that is learning, and a fixed projection's weights
 * are multiplied by its learning_gain while its target layer learns.
 *
 * Layers may learn in turn ([layer] learn_epochs): a layer that is not
 * learning in an epoch behaves as at test, so the layers after it learn
 * from the code it will give at test.
 */
#ifndef SPIKSIM_LEARN_H
#define SPIKSIM_LEARN_H

#include <spiksim/checkpoint.h>
#include <spiksim/config.h>
#include <spiksim/engine.h>
#include <spiksim/error.h>
#include <spiksim/network.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_learner ss_learner;

/* Reads [plasticity] and the per-layer/projection learning keys of cfg for
 * net, which eng simulates.  Plasticity starts disabled. */
ss_learner *ss_learner_alloc(ss_network *net, ss_engine *eng, const ss_config *cfg, ss_error *err);
void ss_learner_free(ss_learner *l);
/* The projections that learn with the rule: how many, and the k-th one's
 * index in the network with its weight bounds. */
size_t ss_learner_n_plastic(const ss_learner *l);
void ss_learner_plastic(const ss_learner *l, size_t k, size_t *projection, double *w_min,
                        double *w_max);

/* Plasticity (STDP, teacher term, threshold growth, normalisation) on or off;
 * thresholds keep acting either way. */
void ss_learner_set_enabled(ss_learner *l, int enabled);
/* The training epoch (1-based) the coming presentations belong to: a layer
 * learns only in the epochs of its [layer] learn_epochs (all by default);
 * outside them it behaves as at test while the others learn. */
void ss_learner_set_epoch(ss_learner *l, long epoch);
/* Whether the layer learns now (plasticity on, epoch in its learn_epochs). */
int ss_learner_layer_learning(const ss_learner *l, size_t layer);
/* The first epoch in which the layer learns something (plastic inputs or
 * adaptive thresholds), or 0 when it has nothing to learn. */
long ss_learner_first_epoch(const ss_learner *l, size_t layer);

/* Multiplies every learning rate (the per-epoch schedule). */
void ss_learner_set_eta_scale(ss_learner *l, double scale);

/* Before a sample presented from t0_ms: traces cleared (when plasticity is
 * on), thresholds applied. */
void ss_learner_begin_sample(ss_learner *l, double t0_ms, double presented_ms);
/* After it: the teacher term per presentation, normalisation of the neurons
 * that spiked, threshold adaptation; nothing when plasticity is off. */
void ss_learner_end_sample(ss_learner *l);
/* The thresholds a neuron has now (its training offsets while its layer
 * learns, at test only with theta_at_test) applied as biases in eng: the
 * learner's own engine, or another engine running the same network with
 * plasticity off (a thread's copy for evaluation).  Reads the learner only,
 * so several threads may call it at once on their own engines. */
void ss_learner_apply_thresholds(const ss_learner *l, ss_engine *eng);

/* With an engine whose partitions span MPI ranks, each rank learns the
 * synapses onto its own neurons and their thresholds: this gives every
 * rank every rank's (a collective: every rank calls it at the same point).
 * Nothing to do otherwise. */
int ss_learner_sync(ss_learner *l, ss_comm *comm, ss_error *err);

/* Weights of plastic projections and thresholds, as checkpoint arrays named
 * "projection.NAME.weights" and "layer.NAME.theta_mv". */
int ss_learner_save(const ss_learner *l, ss_checkpoint *ck, ss_error *err);
int ss_learner_load(ss_learner *l, const ss_checkpoint *ck, ss_error *err);

/* Adaptive threshold offset of a neuron (0 when the layer has none). */
double ss_learner_theta_mv(const ss_learner *l, size_t layer, size_t neuron);
/* The offset the neuron tests with, plasticity off: its theta_mv when the
 * layer has theta_at_test = true, else 0 (thresholds act in training only). */
double ss_learner_test_theta_mv(const ss_learner *l, size_t layer, size_t neuron);

#ifdef __cplusplus
}
#endif
#endif
