/* Internal: precomputed constants of the neuron models, shared by their
 * closed forms (neuron_lif.c, neuron_lif_exp.c) and the engine's layers. */
#ifndef SS_NEURON_IMPL_H
#define SS_NEURON_IMPL_H

#include <spiksim/neuron.h>

/* One synaptic channel of lif_exp: the response of V to a unit current,
 * r(s) = e^{-s/tau_m} (e^{s kappa} - 1) / (kappa tau_m), kappa = 1/tau_m - 1/tau_s,
 * which is tau_s/(tau_s - tau_m) (e^{-s/tau_s} - e^{-s/tau_m}), written so that
 * it stays exact as tau_s approaches tau_m (limit (s/tau_m) e^{-s/tau_m}). */
typedef struct ss_syn_channel {
    double tau_ms, inv_tau, kappa;
    double peak_s; /* where r peaks */
    double peak_r; /* r(peak_s) */
} ss_syn_channel;

typedef struct ss_lif_exp_k {
    double tau_m, inv_tau_m, v_inf, v_th;
    ss_syn_channel ch[2]; /* 0: excitatory, 1: inhibitory */
} ss_lif_exp_k;

void ss_lif_exp_k_init(ss_lif_exp_k *k, const ss_neuron_params *p);
double ss_syn_response(const ss_lif_exp_k *k, const ss_syn_channel *c, double s);
/* V(s) from (V0, I_e, I_i) at s = 0. */
double ss_lif_exp_k_potential(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double s);
/* The same, also giving the currents' decay factors over s (one exponential
 * per time constant in all). */
double ss_lif_exp_k_step(const ss_lif_exp_k *k, const ss_lif_exp_state *x, double s,
                         double *decay_e, double *decay_i);
/* An upper bound of V over all s >= 0 (each positive term at its maximum):
 * below v_th it proves no spike, with no search. */
double ss_lif_exp_k_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x);
/* An upper bound of V'(s) over all s >= 0: V cannot reach v_th before
 * (v_th - V0) / bound, a lower bound of the crossing time without a search. */
double ss_lif_exp_k_rise_bound(const ss_lif_exp_k *k, const ss_lif_exp_state *x);
/* First s >= 0 with V(s) >= v_th, INFINITY if none (see neuron_lif_exp.c). */
double ss_lif_exp_k_crossing(const ss_lif_exp_k *k, const ss_lif_exp_state *x,
                             gsl_root_fsolver *solver);

#endif
