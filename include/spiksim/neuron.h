/* Neuron models: parameters and their exact closed forms.
 *
 * Two models, both with an absolute refractory period during which V is held
 * at v_reset_mv:
 *
 *   lif      tau_m dV/dt = -(V - E_L) + bias; an input of weight w makes V jump
 *            by w mV.  V_inf = E_L + bias may lie above V_th (tonic firing).
 *   lif_exp  tau_m dV/dt = -(V - E_L) + bias + I_e + I_i, with
 *            tau_e dI_e/dt = -I_e and tau_i dI_i/dt = -I_i (currents as R*I, in
 *            mV).  An input of weight w >= 0 adds w to I_e, w < 0 adds w to I_i;
 *            the currents keep integrating input during refractoriness.
 *
 * The engine advances every neuron analytically from one event to the next
 * with these formulas; they are public so tests and later modules (a rate
 * surrogate for gradients, say) use the same mathematics.
 */
#ifndef SPIKSIM_NEURON_H
#define SPIKSIM_NEURON_H

#include <gsl/gsl_roots.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SS_V_INIT_REST, SS_V_INIT_RESET, SS_V_INIT_UNIFORM } ss_v_init;

typedef struct ss_neuron_params {
    double tau_m_ms;   /* > 0 */
    double e_l_mv;     /* leak reversal */
    double bias_mv;    /* constant drive: V settles at e_l_mv + bias_mv */
    double v_th_mv;    /* > v_reset_mv */
    double v_reset_mv; /* V after a spike, held for t_ref_ms */
    double t_ref_ms;   /* >= 0 */
    ss_v_init v_init;  /* e_l_mv, v_reset_mv, or uniform in [v_reset_mv, v_th_mv) */
    double tau_syn_exc_ms, tau_syn_inh_ms; /* lif_exp, > 0 */
} ss_neuron_params;

/* The model-file defaults (src/lib/config_keys.c). */
void ss_neuron_params_default(ss_neuron_params *p);
/* 0, or SS_ECONFIG with a message; *bad_key (when not NULL) names the
 * model-file key at fault, e.g. "v_th_mv". */
int ss_neuron_params_check(const ss_neuron_params *p, const char **bad_key, ss_error *err);

/* ---- lif ---- */

/* V after dt_ms without input, from v0_mv (not refractory). */
double ss_lif_potential(const ss_neuron_params *p, double v0_mv, double dt_ms);
/* Time from v0_mv until V reaches v_th_mv without input: 0 when v0 is at or
 * above threshold, INFINITY when V_inf <= v_th_mv. */
double ss_lif_time_to_threshold(const ss_neuron_params *p, double v0_mv);
/* Interspike interval of an undisturbed tonic neuron:
 * t_ref + tau_m ln((V_reset - V_inf)/(V_th - V_inf)); INFINITY if not tonic. */
double ss_lif_isi_ms(const ss_neuron_params *p);
/* Firing rate in Hz with V_inf held at mu_mv (the noiseless f-I curve). */
double ss_lif_rate_hz(const ss_neuron_params *p, double mu_mv);

/* ---- lif_exp ---- */

typedef struct ss_lif_exp_state {
    double v_mv;     /* membrane potential */
    double i_exc_mv; /* R*I_e */
    double i_inh_mv; /* R*I_i */
} ss_lif_exp_state;

/* Threshold-crossing times are found to within this (ms). */
#define SS_LIF_EXP_TOL_MS 1e-10

/* Propagates s by dt_ms without input, threshold or refractoriness (exact,
 * including tau_syn == tau_m). */
void ss_lif_exp_advance(const ss_neuron_params *p, ss_lif_exp_state *s, double dt_ms);
/* V after dt_ms from s, without input. */
double ss_lif_exp_potential(const ss_neuron_params *p, const ss_lif_exp_state *s, double dt_ms);
/* Time from s until V first reaches v_th_mv without input (0 when already
 * there, INFINITY when never), to SS_LIF_EXP_TOL_MS.  solver may be NULL (one
 * is then allocated for the call); pass a Brent solver to reuse it. */
double ss_lif_exp_time_to_threshold(const ss_neuron_params *p, const ss_lif_exp_state *s,
                                    gsl_root_fsolver *solver);

#ifdef __cplusplus
}
#endif
#endif
