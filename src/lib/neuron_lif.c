/* The lif model's closed forms (see neuron.h); the engine's lif layer lives
 * in layer_lif.c. */
#include "neuron_impl.h"

#include <math.h>

void ss_neuron_params_default(ss_neuron_params *p)
{
    /* Keep in step with the [layer] rows of src/lib/config_keys.c. */
    p->tau_m_ms = 20;
    p->e_l_mv = -65;
    p->bias_mv = 0;
    p->v_th_mv = -50;
    p->v_reset_mv = -65;
    p->t_ref_ms = 2;
    p->v_init = SS_V_INIT_REST;
    p->tau_syn_exc_ms = 5;
    p->tau_syn_inh_ms = 10;
}

int ss_neuron_params_check(const ss_neuron_params *p, const char **bad_key, ss_error *err)
{
    const char *key = NULL;
    const char *why = "";
    if (!(p->tau_m_ms > 0) || !isfinite(p->tau_m_ms))
        key = "tau_m_ms", why = "must be a positive time";
    else if (!(p->tau_syn_exc_ms > 0) || !isfinite(p->tau_syn_exc_ms))
        key = "tau_syn_exc_ms", why = "must be a positive time";
    else if (!(p->tau_syn_inh_ms > 0) || !isfinite(p->tau_syn_inh_ms))
        key = "tau_syn_inh_ms", why = "must be a positive time";
    else if (!(p->t_ref_ms >= 0) || !isfinite(p->t_ref_ms))
        key = "t_ref_ms", why = "must be zero or positive";
    else if (!isfinite(p->e_l_mv) || !isfinite(p->bias_mv))
        key = "e_l_mv", why = "must be finite";
    else if (!isfinite(p->v_th_mv) || !isfinite(p->v_reset_mv))
        key = "v_th_mv", why = "must be finite";
    else if (!(p->v_th_mv > p->v_reset_mv))
        key = "v_th_mv", why = NULL;
    if (bad_key)
        *bad_key = key;
    if (!key)
        return SS_OK;
    if (!why)
        return ss_error_set(err, SS_ECONFIG, "v_th_mv (%g) must be above v_reset_mv (%g)",
                            p->v_th_mv, p->v_reset_mv);
    return ss_error_set(err, SS_ECONFIG, "%s %s", key, why);
}

double ss_lif_potential(const ss_neuron_params *p, double v0_mv, double dt_ms)
{
    double v_inf = p->e_l_mv + p->bias_mv;
    return v_inf + (v0_mv - v_inf) * exp(-dt_ms / p->tau_m_ms);
}

double ss_lif_time_to_threshold(const ss_neuron_params *p, double v0_mv)
{
    double v_inf = p->e_l_mv + p->bias_mv;
    if (v0_mv >= p->v_th_mv)
        return 0;
    if (v_inf <= p->v_th_mv)
        return INFINITY;
    return p->tau_m_ms * log((v0_mv - v_inf) / (p->v_th_mv - v_inf));
}

double ss_lif_isi_ms(const ss_neuron_params *p)
{
    return p->t_ref_ms + ss_lif_time_to_threshold(p, p->v_reset_mv);
}

double ss_lif_rate_hz(const ss_neuron_params *p, double mu_mv)
{
    if (mu_mv <= p->v_th_mv)
        return 0;
    return 1000.0 /
           (p->t_ref_ms + p->tau_m_ms * log((mu_mv - p->v_reset_mv) / (mu_mv - p->v_th_mv)));
}
