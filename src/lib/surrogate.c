/* The spiking classifier's rate surrogate, see surrogate.h. */
#include <spiksim/surrogate.h>

#include <spiksim/ann.h>
#include <spiksim/encode.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Smoothness of the f-I fit, in mV. */
#define SMOOTH_MV 1.0
/* The output rates (Hz) divided by this are the logits of the softmax: rates
 * of tens of Hz would otherwise saturate it and flatten every gradient. */
#define LOGIT_HZ 10.0

typedef struct rate_fn {
    double gain_hz_per_mv; /* slope of the f-I line above threshold */
    double scale;          /* 1, or 1/LOGIT_HZ for the output layer */
} rate_fn;

static void rate_apply(void *ctx, size_t n, const double *z, double *y)
{
    const rate_fn *f = ctx;
    for (size_t k = 0; k < n; k++) {
        double u = z[k] / SMOOTH_MV;
        double sp = u > 30 ? u : log1p(exp(u));
        y[k] = f->scale * f->gain_hz_per_mv * SMOOTH_MV * sp;
    }
}

static void rate_deriv(void *ctx, size_t n, const double *z, const double *y, double *dydz)
{
    const rate_fn *f = ctx;
    (void)y;
    for (size_t k = 0; k < n; k++)
        dydz[k] = f->scale * f->gain_hz_per_mv / (1 + exp(-z[k] / SMOOTH_MV));
}

struct ss_surrogate {
    ss_mlp *mlp;
    const ss_encoder *enc;
    size_t n_layers; /* dense layers */
    rate_fn *fns;
    ss_activation *acts;
    gsl_matrix *rates, *grad_rates; /* scratch, resized per call */
};

/* The projection from layer `from` to layer `to`, or NULL. */
static ss_projection *find_projection(ss_network *net, size_t from, size_t to)
{
    for (size_t k = 0; k < ss_network_n_projections(net); k++) {
        ss_projection *p = ss_network_projection(net, k);
        if (ss_projection_from(p) == from && ss_projection_to(p) == to)
            return p;
    }
    return NULL;
}

/* Copies projection p (pre layer of n_pre) into dense layer l of the MLP,
 * scaled to mV of mean potential per Hz, with the neurons' offsets. */
static int copy_layer(ss_surrogate *s, ss_classifier *c, size_t l, ss_projection *p, size_t layer,
                      ss_error *err)
{
    ss_network *net = ss_classifier_network(c);
    const ss_neuron_params *np = ss_layer_params(ss_network_layer(net, layer));
    int is_exp = ss_layer_type_of(ss_network_layer(net, layer)) == SS_LAYER_LIF_EXP;
    gsl_matrix *W = ss_mlp_weights(s->mlp, l);
    gsl_vector *b = ss_mlp_bias(s->mlp, l);
    gsl_matrix_set_zero(W);
    const uint32_t *row = ss_projection_row_ptr(p);
    const uint32_t *target = ss_projection_targets(p);
    const float *w = ss_projection_weights(p);
    for (size_t i = 0; i < W->size1; i++)
        for (uint32_t k = row[i]; k < row[i + 1]; k++) {
            double tau_ms =
                !is_exp ? np->tau_m_ms : (w[k] >= 0 ? np->tau_syn_exc_ms : np->tau_syn_inh_ms);
            /* rate in Hz times tau in ms: mV over 1000 ms */
            double add = w[k] * tau_ms / 1000.0;
            gsl_matrix_set(W, i, target[k], gsl_matrix_get(W, i, target[k]) + add);
        }
    const ss_learner *learner = ss_classifier_learner(c);
    for (size_t j = 0; j < b->size; j++)
        gsl_vector_set(b, j,
                       np->e_l_mv + np->bias_mv - ss_learner_test_theta_mv(learner, layer, j) -
                           np->v_th_mv);
    s->fns[l].gain_hz_per_mv = 1000.0 / (np->tau_m_ms * (np->v_th_mv - np->v_reset_mv));
    s->fns[l].scale = l + 1 == s->n_layers ? 1.0 / LOGIT_HZ : 1.0;
    s->acts[l] = (ss_activation){"lif-rate", rate_apply, rate_deriv, &s->fns[l]};
    return ss_mlp_set_activation(s->mlp, l, &s->acts[l], err);
}

ss_surrogate *ss_surrogate_alloc(ss_classifier *c, const ss_config *cfg, ss_error *err)
{
    ss_network *net = ss_classifier_network(c);
    size_t n_net = ss_network_n_layers(net);
    size_t *chain = malloc((n_net + 1) * sizeof *chain);
    size_t *sizes = malloc((n_net + 1) * sizeof *sizes);
    ss_surrogate *s = calloc(1, sizeof *s);
    if (!chain || !sizes || !s) {
        free(chain);
        free(sizes);
        free(s);
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    /* input, then the neuron layers in file order (as the backprop MLP) */
    size_t n = 0;
    chain[n++] = ss_classifier_input_layer(c);
    for (size_t i = 0; i < n_net; i++) {
        ss_layer_type t = ss_layer_type_of(ss_network_layer(net, i));
        if (t == SS_LAYER_LIF || t == SS_LAYER_LIF_EXP)
            chain[n++] = i;
    }
    int rc = SS_OK;
    if (chain[n - 1] != ss_classifier_output_layer(c))
        rc = ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                             "FGSM surrogate: the last lif/lif_exp layer must be the output layer");
    for (size_t k = 0; rc == SS_OK && k < n; k++)
        sizes[k] = ss_layer_size(ss_network_layer(net, chain[k]));
    s->enc = ss_classifier_encoder(c);
    s->n_layers = n - 1;
    if (rc == SS_OK) {
        s->mlp = ss_mlp_alloc(n, sizes, err);
        s->fns = calloc(n, sizeof *s->fns);
        s->acts = calloc(n, sizeof *s->acts);
        if (!s->mlp || !s->fns || !s->acts)
            rc = err && err->code ? err->code : ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    for (size_t l = 0; rc == SS_OK && l + 1 < n; l++) {
        ss_projection *p = find_projection(net, chain[l], chain[l + 1]);
        if (!p)
            rc = ss_error_set_at(
                err, SS_ECONFIG, ss_config_file(cfg), 0,
                "FGSM surrogate: no projection from layer '%s' to layer '%s' (the surrogate "
                "follows the feed-forward chain of lif/lif_exp layers in file order)",
                ss_layer_name(ss_network_layer(net, chain[l])),
                ss_layer_name(ss_network_layer(net, chain[l + 1])));
        else
            rc = copy_layer(s, c, l, p, chain[l + 1], err);
    }
    free(chain);
    free(sizes);
    if (rc != SS_OK) {
        ss_surrogate_free(s);
        return NULL;
    }
    return s;
}

void ss_surrogate_free(ss_surrogate *s)
{
    if (!s)
        return;
    ss_mlp_free(s->mlp);
    free(s->fns);
    free(s->acts);
    if (s->rates)
        gsl_matrix_free(s->rates);
    if (s->grad_rates)
        gsl_matrix_free(s->grad_rates);
    free(s);
}

/* Encoder rates of the feature rows of x into s->rates. */
static int encode_rows(ss_surrogate *s, const gsl_matrix *x, ss_error *err)
{
    size_t n_in = ss_encoder_n_inputs(s->enc);
    if (!s->rates || s->rates->size1 != x->size1) {
        if (s->rates)
            gsl_matrix_free(s->rates);
        if (s->grad_rates)
            gsl_matrix_free(s->grad_rates);
        s->rates = gsl_matrix_alloc(x->size1, n_in);
        s->grad_rates = gsl_matrix_alloc(x->size1, n_in);
        if (!s->rates || !s->grad_rates)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < x->size1; i++)
        ss_encoder_rates(s->enc, gsl_matrix_const_ptr(x, i, 0), gsl_matrix_ptr(s->rates, i, 0));
    return SS_OK;
}

/* dL/dx = sum over the inputs k fed by feature j of dL/dr_k * dr_k/dx_j. */
static int surrogate_input_grad(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g,
                                ss_error *err)
{
    ss_surrogate *s = self;
    int rc = encode_rows(s, x, err);
    if (rc == SS_OK)
        rc = ss_mlp_input_grad(s->mlp, s->rates, y, s->grad_rates, NULL, err);
    if (rc != SS_OK)
        return rc;
    gsl_matrix_set_zero(g);
    for (size_t i = 0; i < x->size1; i++)
        for (size_t k = 0; k < s->rates->size2; k++) {
            size_t j = ss_encoder_feature_of(s->enc, k);
            double xj = gsl_matrix_get(x, i, j);
            /* the encoder clips features to [0, 1]: flat outside */
            double dr = xj < 0 || xj > 1 ? 0 : ss_encoder_rate_derivative(s->enc, k, xj);
            *gsl_matrix_ptr(g, i, j) += gsl_matrix_get(s->grad_rates, i, k) * dr;
        }
    return SS_OK;
}

ss_attack_model ss_surrogate_attack_model(ss_surrogate *s)
{
    ss_attack_model m = {surrogate_input_grad, s};
    return m;
}

int ss_surrogate_loss(ss_surrogate *s, const gsl_matrix *x, const int *y, double *loss,
                      ss_error *err)
{
    int rc = encode_rows(s, x, err);
    if (rc == SS_OK)
        rc = ss_mlp_input_grad(s->mlp, s->rates, y, s->grad_rates, loss, err);
    return rc;
}

int ss_surrogate_accuracy(ss_surrogate *s, const gsl_matrix *x, const int *y, double *accuracy,
                          ss_error *err)
{
    int rc = encode_rows(s, x, err);
    if (rc == SS_OK)
        rc = ss_mlp_evaluate(s->mlp, s->rates, y, accuracy, NULL, err);
    return rc;
}
