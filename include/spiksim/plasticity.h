/* The association STDP rule: pair-based STDP with event-driven traces.
 *
 * For a synapse j -> i with weight w in [w_min, w_max], pre trace x_j
 * (time constant tau_plus_ms) and post trace y_i (tau_minus_ms), each jumping
 * by 1 at a spike (all-to-all pairing) or set to 1 (nearest pairing):
 *   post spike of i:       w += eta * A+ * x_j * (w_max - w)^mu   (pre before post: LTP)
 *   pre spike arrives at i: w -= eta * A- * y_i * (w - w_min)^mu  (post before pre: LTD)
 * then w is clipped to [w_min, w_max].  mu = 0 is additive, mu = 1
 * multiplicative.  docs/learning-rule.md has the whole rule as implemented.
 *
 * Traces are stored scaled to a time origin: a trace bank keeps
 * X_k = x_k(t) * exp((t - origin)/tau), so reading every trace of a layer at
 * time t costs one exp() for the layer plus a multiply per neuron, and a
 * spike updates one X_k.  The origin moves forward (rebase) before the scale
 * factor could overflow, on a fixed grid after the last reset, so a bank's
 * values are a function of its spikes and the time alone (reading at t may
 * move the origin; every partition of a run then computes the same traces).
 */
#ifndef SPIKSIM_PLASTICITY_H
#define SPIKSIM_PLASTICITY_H

#include <stddef.h>
#include <spiksim/config.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_stdp_params {
    double eta;
    double a_plus, a_minus;
    double tau_plus_ms, tau_minus_ms;
    double mu; /* 0 additive, 1 multiplicative */
    double w_min, w_max;
    int nearest; /* nearest-neighbour pairing: a spike sets the trace to 1 */
} ss_stdp_params;

/* Reads [plasticity]; checks w_min < w_max (error at the w_max line). */
int ss_stdp_params_from_config(ss_stdp_params *p, const ss_config *cfg, ss_error *err);

/* Weight after a post spike seeing pre trace x (LTP), and after a pre spike
 * seeing post trace y (LTD), with the learning rate scaled by eta_scale
 * (schedules); both clip to [w_min, w_max]. */
float ss_stdp_on_post(const ss_stdp_params *p, float w, double x_pre, double eta_scale);
float ss_stdp_on_pre(const ss_stdp_params *p, float w, double y_post, double eta_scale);
/* w clipped to [w_min, w_max] (the teacher term's bound too). */
float ss_stdp_clip(const ss_stdp_params *p, double w);

/* Traces of one population. */
typedef struct ss_trace_bank {
    size_t n;
    double tau_ms;
    int nearest;
    double origin_ms; /* time the stored values are scaled to */
    double *scaled;   /* X_k */
} ss_trace_bank;

ss_trace_bank *ss_trace_bank_alloc(size_t n, double tau_ms, int nearest);
void ss_trace_bank_free(ss_trace_bank *b);
/* All traces to 0, origin to t_ms (between samples). */
void ss_trace_bank_reset(ss_trace_bank *b, double t_ms);
/* Spike of neuron k at t_ms (t_ms never decreases between resets). */
void ss_trace_bank_spike(ss_trace_bank *b, size_t k, double t_ms);
/* Factor that turns stored values into traces at t_ms: x_k(t) = X_k * f
 * (t_ms never decreases between resets). */
double ss_trace_bank_factor(ss_trace_bank *b, double t_ms);
/* One trace at t_ms. */
double ss_trace_bank_value(ss_trace_bank *b, size_t k, double t_ms);

#ifdef __cplusplus
}
#endif
#endif
