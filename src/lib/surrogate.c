/* The spiking classifier's mean-field rate surrogate, see surrogate.h.
 *
 * Each layer of the chain is a dense map a = b + W^T r_prev followed, when
 * the layer inhibits itself, by the fixed point r = f(a + M r), solved by
 * damped Newton and differentiated implicitly.  Uniform all-to-all
 * inhibition (every shipped model) makes the Jacobian I - D M a diagonal
 * plus a rank-one matrix, so each solve is O(n) by Sherman-Morrison; any
 * other recurrent pattern falls back to a dense LU (O(n^3), small layers). */
#include <spiksim/surrogate.h>

#include <spiksim/encode.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_permutation.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Smoothness of the f-I fit, in mV. */
#define SMOOTH_MV 1.0
/* The output rates (Hz) divided by this are the logits of the softmax: rates
 * of tens of Hz would otherwise saturate it and flatten every gradient. */
#define LOGIT_HZ 10.0
#define NEWTON_MAX 200

typedef enum { REC_NONE, REC_UNIFORM, REC_DENSE } rec_kind;

typedef struct sur_layer {
    size_t n_in, n;
    double *W;             /* n_in x n, row-major: mV of mean potential per Hz */
    double *b;             /* n: E_L + bias - theta - V_th */
    double gain_hz_per_mv; /* slope of the f-I line above threshold */
    rec_kind rec;
    double rec_c;                   /* REC_UNIFORM: M = rec_c (1 1^T - I) */
    double *M;                      /* REC_DENSE: n x n, M[j n + k] = effect of k's rate on j */
    double *a, *z, *r, *d;          /* this row's drive, potential, rate, f'(z) */
    double *tmp, *tmp2, *u, *v, *J; /* scratch */
    gsl_permutation *perm;
} sur_layer;

struct ss_surrogate {
    const ss_encoder *enc;
    size_t n_layers;
    sur_layer *L;
    double *r_in, *g_in, *g_a, *g_b; /* one row: encoder rates, gradients */
    size_t n_in, max_n;
    size_t newton_failures;
};

static double rate_of(double gain, double z)
{
    double u = z / SMOOTH_MV;
    return gain * SMOOTH_MV * (u > 30 ? u : log1p(exp(u)));
}

static double slope_of(double gain, double z)
{
    return gain / (1 + exp(-z / SMOOTH_MV));
}

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

/* What one spike per second of weight w does to the mean potential, in mV:
 * tau_m for lif (a spike jumps V by w), tau_syn by sign for lif_exp (a spike
 * adds w to R I, which decays with tau_syn). */
static double mv_per_hz(const ss_neuron_params *np, int is_exp, double w)
{
    double tau_ms = !is_exp ? np->tau_m_ms : (w >= 0 ? np->tau_syn_exc_ms : np->tau_syn_inh_ms);
    return w * tau_ms / 1000.0;
}

static int layer_alloc(sur_layer *l, size_t n_in, size_t n)
{
    l->n_in = n_in;
    l->n = n;
    l->W = calloc(n_in * n, sizeof *l->W);
    l->b = calloc(n, sizeof *l->b);
    double *v = calloc(8 * n, sizeof *v);
    l->a = v;
    if (!l->W || !l->b || !v)
        return SS_ENOMEM;
    l->z = v + n;
    l->r = v + 2 * n;
    l->d = v + 3 * n;
    l->tmp = v + 4 * n;
    l->tmp2 = v + 5 * n;
    l->u = v + 6 * n;
    l->v = v + 7 * n;
    return SS_OK;
}

/* The recurrent projection p of a layer of n neurons: uniform when every
 * ordered pair j != k has exactly one synapse and they all have the same
 * weight, dense otherwise. */
static int copy_recurrent(sur_layer *l, ss_projection *p, const ss_neuron_params *np, int is_exp)
{
    size_t n = l->n;
    const uint32_t *row = ss_projection_row_ptr(p);
    const uint32_t *target = ss_projection_targets(p);
    const float *w = ss_projection_weights(p);
    int uniform = ss_projection_n_synapses(p) == n * (n - 1);
    for (size_t k = 0; uniform && k < n; k++)
        for (uint32_t s = row[k]; uniform && s < row[k + 1]; s++)
            uniform = target[s] != k && w[s] == w[0];
    if (uniform && n > 1) {
        /* n (n - 1) synapses, none onto itself: each pair once. */
        l->rec = REC_UNIFORM;
        l->rec_c = mv_per_hz(np, is_exp, w[0]);
        return SS_OK;
    }
    l->rec = REC_DENSE;
    l->M = calloc(n * n, sizeof *l->M);
    l->J = calloc(n * n, sizeof *l->J);
    l->perm = gsl_permutation_alloc(n);
    if (!l->M || !l->J || !l->perm)
        return SS_ENOMEM;
    for (size_t k = 0; k < n; k++)
        for (uint32_t s = row[k]; s < row[k + 1]; s++)
            l->M[target[s] * n + k] += mv_per_hz(np, is_exp, w[s]);
    return SS_OK;
}

/* Dense layer from projection p (pre of n_in neurons) onto network layer
 * `layer`, with its offsets and its recurrent projection, if any. */
static int copy_layer(ss_surrogate *s, ss_classifier *c, size_t l, ss_projection *p, size_t layer,
                      ss_error *err)
{
    ss_network *net = ss_classifier_network(c);
    const ss_layer *ly = ss_network_layer(net, layer);
    const ss_neuron_params *np = ss_layer_params(ly);
    int is_exp = ss_layer_type_of(ly) == SS_LAYER_LIF_EXP;
    sur_layer *L = &s->L[l];
    size_t n = L->n;
    const uint32_t *row = ss_projection_row_ptr(p);
    const uint32_t *target = ss_projection_targets(p);
    const float *w = ss_projection_weights(p);
    for (size_t i = 0; i < L->n_in; i++)
        for (uint32_t k = row[i]; k < row[i + 1]; k++)
            L->W[i * n + target[k]] += mv_per_hz(np, is_exp, w[k]);
    const ss_learner *learner = ss_classifier_learner(c);
    for (size_t j = 0; j < n; j++)
        L->b[j] =
            np->e_l_mv + np->bias_mv - ss_learner_test_theta_mv(learner, layer, j) - np->v_th_mv;
    L->gain_hz_per_mv = 1000.0 / (np->tau_m_ms * (np->v_th_mv - np->v_reset_mv));
    ss_projection *rec = find_projection(net, layer, layer);
    if (rec && ss_projection_n_synapses(rec) && copy_recurrent(L, rec, np, is_exp) != SS_OK)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    return SS_OK;
}

ss_surrogate *ss_surrogate_alloc(ss_classifier *c, const ss_config *cfg, ss_error *err)
{
    ss_network *net = ss_classifier_network(c);
    size_t n_net = ss_network_n_layers(net);
    size_t *chain = malloc((n_net + 1) * sizeof *chain);
    ss_surrogate *s = calloc(1, sizeof *s);
    if (!chain || !s) {
        free(chain);
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
    if (n < 2 || chain[n - 1] != ss_classifier_output_layer(c))
        rc = ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                             "surrogate: the last lif/lif_exp layer must be the output layer");
    s->enc = ss_classifier_encoder(c);
    s->n_layers = n - 1;
    s->n_in = ss_encoder_n_inputs(s->enc);
    if (rc == SS_OK && !(s->L = calloc(n, sizeof *s->L)))
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    s->max_n = s->n_in;
    for (size_t l = 0; rc == SS_OK && l + 1 < n; l++) {
        size_t n_pre = ss_layer_size(ss_network_layer(net, chain[l]));
        size_t n_post = ss_layer_size(ss_network_layer(net, chain[l + 1]));
        if (n_post > s->max_n)
            s->max_n = n_post;
        ss_projection *p = find_projection(net, chain[l], chain[l + 1]);
        if (!p)
            rc = ss_error_set_at(
                err, SS_ECONFIG, ss_config_file(cfg), 0,
                "surrogate: no projection from layer '%s' to layer '%s' (the surrogate "
                "follows the feed-forward chain of lif/lif_exp layers in file order)",
                ss_layer_name(ss_network_layer(net, chain[l])),
                ss_layer_name(ss_network_layer(net, chain[l + 1])));
        else if (layer_alloc(&s->L[l], n_pre, n_post) != SS_OK)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        else
            rc = copy_layer(s, c, l, p, chain[l + 1], err);
    }
    if (rc == SS_OK) {
        double *v = calloc(s->n_in + 3 * s->max_n, sizeof *v);
        if (!v)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        s->r_in = v;
        if (v) {
            s->g_in = v + s->n_in;
            s->g_a = s->g_in + s->max_n;
            s->g_b = s->g_a + s->max_n;
        }
    }
    free(chain);
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
    for (size_t l = 0; s->L && l < s->n_layers; l++) {
        free(s->L[l].W);
        free(s->L[l].b);
        free(s->L[l].a);
        free(s->L[l].M);
        free(s->L[l].J);
        if (s->L[l].perm)
            gsl_permutation_free(s->L[l].perm);
    }
    free(s->L);
    free(s->r_in);
    free(s);
}

/* (A + u v^T) x = y with A = diag(a): Sherman-Morrison.  x may be y.
 * Nonzero when A or the update is (nearly) singular. */
static int sherman_morrison(size_t n, const double *a, const double *u, const double *v,
                            const double *y, double *x)
{
    double vAy = 0, vAu = 0;
    for (size_t j = 0; j < n; j++) {
        if (fabs(a[j]) < 1e-12)
            return -1;
        vAy += v[j] * y[j] / a[j];
        vAu += v[j] * u[j] / a[j];
    }
    if (fabs(1 + vAu) < 1e-12)
        return -1;
    double f = vAy / (1 + vAu);
    for (size_t j = 0; j < n; j++)
        x[j] = (y[j] - u[j] * f) / a[j];
    return 0;
}

/* Solves J x = y (transpose = 0) or J^T x = y with J = I - D M at the
 * layer's current d.  x may be y. */
static int solve_jacobian(sur_layer *l, int transpose, const double *y, double *x)
{
    size_t n = l->n;
    if (l->rec == REC_UNIFORM) {
        /* J = I - D c (1 1^T - I) = diag(1 + c d) - c d 1^T */
        double *a = l->tmp2;
        for (size_t j = 0; j < n; j++) {
            a[j] = 1 + l->rec_c * l->d[j];
            l->u[j] = transpose ? -l->rec_c : -l->rec_c * l->d[j];
            l->v[j] = transpose ? l->d[j] : 1;
        }
        if (sherman_morrison(n, a, l->u, l->v, y, x) == 0)
            return 0;
        /* a singular diagonal: build the dense matrix */
        if (!l->J) {
            l->J = calloc(n * n, sizeof *l->J);
            l->perm = gsl_permutation_alloc(n);
            if (!l->J || !l->perm)
                return -1;
        }
    }
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++) {
            double m = l->rec == REC_UNIFORM ? (j == k ? 0 : l->rec_c) : l->M[j * n + k];
            double v = (j == k) - l->d[j] * m;
            l->J[transpose ? k * n + j : j * n + k] = v;
        }
    gsl_matrix_view Jv = gsl_matrix_view_array(l->J, n, n);
    int sign;
    gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
    gsl_vector_view xv = gsl_vector_view_array(x, n);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_LU_decomp(&Jv.matrix, l->perm, &sign);
    if (!rc) {
        if (x != y)
            gsl_vector_memcpy(&xv.vector, &yv.vector);
        rc = gsl_linalg_LU_svx(&Jv.matrix, l->perm, &xv.vector);
    }
    gsl_set_error_handler(old);
    return rc ? -1 : 0;
}

/* z = a + M r, r_new = f(z), d = f'(z); returns max |r - f(z)|. */
static double residual(sur_layer *l, const double *r, double *F)
{
    size_t n = l->n;
    double sum = 0, worst = 0;
    if (l->rec == REC_UNIFORM)
        for (size_t k = 0; k < n; k++)
            sum += r[k];
    for (size_t j = 0; j < n; j++) {
        double inh = 0;
        if (l->rec == REC_UNIFORM)
            inh = l->rec_c * (sum - r[j]);
        else
            for (size_t k = 0; k < n; k++)
                inh += l->M[j * n + k] * r[k];
        l->z[j] = l->a[j] + inh;
        l->d[j] = slope_of(l->gain_hz_per_mv, l->z[j]);
        F[j] = r[j] - rate_of(l->gain_hz_per_mv, l->z[j]);
        if (fabs(F[j]) > worst)
            worst = fabs(F[j]);
    }
    return worst;
}

/* The rates of a layer with lateral inhibition: r = f(a + M r).  The map
 * r -> f(a + M r) is decreasing (inhibition), so the fixed point is found
 * by Newton's method with a backtracking line search from r = f(a). */
static int fixed_point(ss_surrogate *s, sur_layer *l)
{
    size_t n = l->n;
    double *r = l->r, *F = s->g_a, *dr = s->g_b, *trial = l->tmp;
    for (size_t j = 0; j < n; j++)
        r[j] = 0;
    double res = residual(l, r, F);
    for (int it = 0; it < NEWTON_MAX; it++) {
        double scale = 1;
        for (size_t j = 0; j < n; j++)
            if (fabs(r[j]) > scale)
                scale = fabs(r[j]);
        if (res <= 1e-10 * scale)
            break;
        for (size_t j = 0; j < n; j++)
            dr[j] = -F[j];
        if (solve_jacobian(l, 0, dr, dr) != 0)
            return -1;
        double t = 1, res_new = res;
        for (int h = 0; h < 40; h++, t *= 0.5) {
            for (size_t j = 0; j < n; j++)
                trial[j] = r[j] + t * dr[j];
            res_new = residual(l, trial, F);
            if (res_new < (1 - 1e-4 * t) * res)
                break;
        }
        memcpy(r, trial, n * sizeof *r);
        if (!(res_new < res)) { /* no progress: as good as it gets */
            res = residual(l, r, F);
            break;
        }
        res = res_new;
    }
    /* z, d at the final r (residual() left them there); the rates
     * themselves are f(z), consistent with d. */
    res = residual(l, r, F);
    double scale = 1;
    for (size_t j = 0; j < n; j++) {
        r[j] = rate_of(l->gain_hz_per_mv, l->z[j]);
        if (fabs(r[j]) > scale)
            scale = fabs(r[j]);
    }
    if (res > 1e-6 * scale)
        s->newton_failures++;
    return 0;
}

/* Forward pass of one feature row: every layer's a, z, r, d. */
static int forward_row(ss_surrogate *s, const double *x, ss_error *err)
{
    ss_encoder_rates(s->enc, x, s->r_in);
    const double *prev = s->r_in;
    for (size_t k = 0; k < s->n_layers; k++) {
        sur_layer *l = &s->L[k];
        memcpy(l->a, l->b, l->n * sizeof *l->a);
        gsl_matrix_const_view W = gsl_matrix_const_view_array(l->W, l->n_in, l->n);
        gsl_vector_const_view pv = gsl_vector_const_view_array(prev, l->n_in);
        gsl_vector_view av = gsl_vector_view_array(l->a, l->n);
        gsl_blas_dgemv(CblasTrans, 1.0, &W.matrix, &pv.vector, 1.0, &av.vector);
        if (l->rec == REC_NONE) {
            for (size_t j = 0; j < l->n; j++) {
                l->z[j] = l->a[j];
                l->r[j] = rate_of(l->gain_hz_per_mv, l->z[j]);
                l->d[j] = slope_of(l->gain_hz_per_mv, l->z[j]);
            }
        } else if (fixed_point(s, l) != 0) {
            return ss_error_set(err, SS_ERUNTIME, "surrogate: singular inhibition fixed point");
        }
        prev = l->r;
    }
    return SS_OK;
}

/* Cross-entropy of label y on the logits r_out / LOGIT_HZ of the last
 * forward pass; with g not NULL, dCE/dr_out into g. */
static double row_loss(const ss_surrogate *s, int y, double *g)
{
    const sur_layer *o = &s->L[s->n_layers - 1];
    double mx = -INFINITY, sum = 0;
    for (size_t k = 0; k < o->n; k++)
        if (o->r[k] / LOGIT_HZ > mx)
            mx = o->r[k] / LOGIT_HZ;
    for (size_t k = 0; k < o->n; k++)
        sum += exp(o->r[k] / LOGIT_HZ - mx);
    for (size_t k = 0; g && k < o->n; k++)
        g[k] = (exp(o->r[k] / LOGIT_HZ - mx) / sum - (k == (size_t)y)) / LOGIT_HZ;
    return log(sum) + mx - o->r[y] / LOGIT_HZ;
}

static int row_predict(const ss_surrogate *s)
{
    const sur_layer *o = &s->L[s->n_layers - 1];
    int best = 0;
    for (size_t k = 1; k < o->n; k++)
        if (o->r[k] > o->r[best])
            best = (int)k;
    return best;
}

/* Backward pass of the last forward row: dL/dr_in into s->g_in. */
static int backward_row(ss_surrogate *s, double *g_out, ss_error *err)
{
    double *gr = g_out; /* dL/dr of layer k, in s->g_b or g_out */
    for (size_t k = s->n_layers; k-- > 0;) {
        sur_layer *l = &s->L[k];
        double *ga = s->g_a;
        if (l->rec != REC_NONE) {
            /* dr = J^-1 D da  =>  dL/da = D J^-T dL/dr */
            if (solve_jacobian(l, 1, gr, ga) != 0)
                return ss_error_set(err, SS_ERUNTIME, "surrogate: singular inhibition fixed point");
            for (size_t j = 0; j < l->n; j++)
                ga[j] *= l->d[j];
        } else {
            for (size_t j = 0; j < l->n; j++)
                ga[j] = gr[j] * l->d[j];
        }
        double *gp = k ? s->g_b : s->g_in;
        gsl_matrix_const_view W = gsl_matrix_const_view_array(l->W, l->n_in, l->n);
        gsl_vector_const_view gav = gsl_vector_const_view_array(ga, l->n);
        gsl_vector_view gpv = gsl_vector_view_array(gp, l->n_in);
        gsl_blas_dgemv(CblasNoTrans, 1.0, &W.matrix, &gav.vector, 0.0, &gpv.vector);
        gr = gp;
    }
    return SS_OK;
}

/* dL/dx = sum over the inputs k fed by feature j of dL/dr_k * dr_k/dx_j. */
static int surrogate_input_grad(void *self, const gsl_matrix *x, const int *y, gsl_matrix *g,
                                ss_error *err)
{
    ss_surrogate *s = self;
    double *g_out = malloc(s->max_n * sizeof *g_out);
    if (!g_out)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    gsl_matrix_set_zero(g);
    int rc = SS_OK;
    for (size_t i = 0; i < x->size1 && rc == SS_OK; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0);
        rc = forward_row(s, xr, err);
        if (rc == SS_OK) {
            row_loss(s, y[i], g_out);
            rc = backward_row(s, g_out, err);
        }
        for (size_t k = 0; rc == SS_OK && k < s->n_in; k++) {
            size_t j = ss_encoder_feature_of(s->enc, k);
            double xj = xr[j];
            /* the encoder clips features to [0, 1]: flat outside */
            double dr = xj < 0 || xj > 1 ? 0 : ss_encoder_rate_derivative(s->enc, k, xj);
            *gsl_matrix_ptr(g, i, j) += s->g_in[k] * dr;
        }
    }
    free(g_out);
    return rc;
}

ss_attack_model ss_surrogate_attack_model(ss_surrogate *s)
{
    ss_attack_model m = {surrogate_input_grad, s};
    return m;
}

int ss_surrogate_loss(ss_surrogate *s, const gsl_matrix *x, const int *y, double *loss,
                      ss_error *err)
{
    double total = 0;
    for (size_t i = 0; i < x->size1; i++) {
        int rc = forward_row(s, gsl_matrix_const_ptr(x, i, 0), err);
        if (rc != SS_OK)
            return rc;
        total += row_loss(s, y[i], NULL);
    }
    *loss = total;
    return SS_OK;
}

int ss_surrogate_predict(ss_surrogate *s, const gsl_matrix *x, int *pred, ss_error *err)
{
    for (size_t i = 0; i < x->size1; i++) {
        int rc = forward_row(s, gsl_matrix_const_ptr(x, i, 0), err);
        if (rc != SS_OK)
            return rc;
        pred[i] = row_predict(s);
    }
    return SS_OK;
}

int ss_surrogate_accuracy(ss_surrogate *s, const gsl_matrix *x, const int *y, double *accuracy,
                          ss_error *err)
{
    if (x->size1 == 0)
        return ss_error_set(err, SS_EDATA, "no samples");
    size_t right = 0;
    for (size_t i = 0; i < x->size1; i++) {
        int rc = forward_row(s, gsl_matrix_const_ptr(x, i, 0), err);
        if (rc != SS_OK)
            return rc;
        right += row_predict(s) == y[i];
    }
    *accuracy = (double)right / (double)x->size1;
    return SS_OK;
}

int ss_surrogate_layer_rates(ss_surrogate *s, const double *x, size_t layer, double *rates,
                             ss_error *err)
{
    if (layer >= s->n_layers)
        return ss_error_set(err, SS_EUSAGE, "surrogate has %zu layers", s->n_layers);
    int rc = forward_row(s, x, err);
    if (rc == SS_OK)
        memcpy(rates, s->L[layer].r, s->L[layer].n * sizeof *rates);
    return rc;
}

size_t ss_surrogate_newton_failures(const ss_surrogate *s)
{
    return s->newton_failures;
}
