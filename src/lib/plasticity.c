/* Association STDP: weight updates and event-driven traces, see plasticity.h. */
#include <spiksim/plasticity.h>

#include <math.h>
#include <stdlib.h>

/* The origin moves by REBASE_EXPONENT time constants at a time (stored
 * values then shrink by e^-40 ~ 4e-18, far from double underflow for
 * anything still worth reading). */
#define REBASE_EXPONENT 40.0

int ss_stdp_params_from_config(ss_stdp_params *p, const ss_config *cfg, ss_error *err)
{
    p->eta = ss_config_double(cfg, "plasticity", "eta");
    p->a_plus = ss_config_double(cfg, "plasticity", "a_plus");
    p->a_minus = ss_config_double(cfg, "plasticity", "a_minus");
    p->tau_plus_ms = ss_config_double(cfg, "plasticity", "tau_plus_ms");
    p->tau_minus_ms = ss_config_double(cfg, "plasticity", "tau_minus_ms");
    p->mu = ss_config_double(cfg, "plasticity", "mu");
    p->w_min = ss_config_double(cfg, "plasticity", "w_min");
    p->w_max = ss_config_double(cfg, "plasticity", "w_max");
    p->nearest = ss_config_string(cfg, "plasticity", "pairing")[0] == 'n';
    if (p->w_max <= p->w_min)
        return ss_config_error(cfg, err, "plasticity", "w_max", "must be above w_min (%g)",
                               p->w_min);
    return SS_OK;
}

float ss_stdp_clip(const ss_stdp_params *p, double w)
{
    return (float)(w < p->w_min ? p->w_min : (w > p->w_max ? p->w_max : w));
}

/* (distance to the bound)^mu, with the common cases spared a pow(). */
static double soft_bound(double distance, double mu)
{
    if (distance <= 0)
        return 0;
    if (mu == 0)
        return 1;
    if (mu == 1)
        return distance;
    return pow(distance, mu);
}

float ss_stdp_on_post(const ss_stdp_params *p, float w, double x_pre, double eta_scale)
{
    double dw = p->eta * eta_scale * p->a_plus * x_pre * soft_bound(p->w_max - w, p->mu);
    return ss_stdp_clip(p, w + dw);
}

float ss_stdp_on_pre(const ss_stdp_params *p, float w, double y_post, double eta_scale)
{
    double dw = p->eta * eta_scale * p->a_minus * y_post * soft_bound(w - p->w_min, p->mu);
    return ss_stdp_clip(p, w - dw);
}

ss_trace_bank *ss_trace_bank_alloc(size_t n, double tau_ms, int nearest)
{
    ss_trace_bank *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->scaled = calloc(n ? n : 1, sizeof *b->scaled);
    if (!b->scaled) {
        free(b);
        return NULL;
    }
    b->n = n;
    b->tau_ms = tau_ms;
    b->nearest = nearest;
    return b;
}

void ss_trace_bank_free(ss_trace_bank *b)
{
    if (b) {
        free(b->scaled);
        free(b);
    }
}

void ss_trace_bank_reset(ss_trace_bank *b, double t_ms)
{
    for (size_t k = 0; k < b->n; k++)
        b->scaled[k] = 0;
    b->origin_ms = t_ms;
}

/* Brings the origin forward on its grid (spans of REBASE_EXPONENT tau after
 * the last reset), one span at a time: whoever reads or writes the bank at
 * t, and whenever it last did, the stored values then went through the same
 * multiplications (docs/parallel.md). */
static void sync(ss_trace_bank *b, double t_ms)
{
    double span = REBASE_EXPONENT * b->tau_ms;
    if (!(t_ms - b->origin_ms > span))
        return;
    double shrink = exp(-REBASE_EXPONENT);
    while (t_ms - b->origin_ms > span) {
        for (size_t k = 0; k < b->n; k++)
            b->scaled[k] *= shrink;
        b->origin_ms += span;
    }
}

void ss_trace_bank_spike(ss_trace_bank *b, size_t k, double t_ms)
{
    sync(b, t_ms);
    double grow = exp((t_ms - b->origin_ms) / b->tau_ms);
    if (b->nearest)
        b->scaled[k] = grow; /* trace = 1 now */
    else
        b->scaled[k] += grow; /* trace += 1 now */
}

double ss_trace_bank_factor(ss_trace_bank *b, double t_ms)
{
    sync(b, t_ms);
    return exp(-(t_ms - b->origin_ms) / b->tau_ms);
}

double ss_trace_bank_value(ss_trace_bank *b, size_t k, double t_ms)
{
    return b->scaled[k] * ss_trace_bank_factor(b, t_ms);
}
