/* The backprop MLP: shape, parameters, forward and backward passes,
 * evaluation.  Training is in ann_train.c, attacks in attack.c.
 *
 * Rows are samples (row-major, like the data matrices), so a layer is one
 * product Z = A W + 1 b^T with A (rows x fan_in) and W (fan_in x fan_out),
 * done by cblas_dgemm; its backward pass is dW = A^T dZ, db = dZ^T 1 (dgemv),
 * dA = dZ W^T.  Whole data matrices are processed SS_MLP_CHUNK_ROWS rows at a
 * time, so scratch memory does not grow with the dataset.
 */
#include "ann_private.h"

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ss_mlp {
    size_t n_layers;  /* weight layers */
    size_t *sizes;    /* n_layers + 1 widths */
    size_t max_width; /* over layers 1..n_layers (not the input) */
    ss_activation *act;
    gsl_vector *params;    /* packed W_0, b_0, W_1, b_1, ... */
    gsl_matrix *w;         /* views into params, one per layer */
    gsl_vector *b;         /* views into params */
    size_t *w_off, *b_off; /* offsets into params */
    size_t *unit_off;      /* offset of layer l's units in one row of z/a */
    size_t units;          /* sum of sizes[1..n_layers] */

    /* Scratch, grown on demand to ws_rows rows. */
    size_t ws_rows;
    double *z, *a; /* pre-activations and activations, layer l at ws_rows*unit_off[l] */
    double *d_a;   /* dL/da of the layer being back-propagated (ws_rows x max_width) */
    double *d_z;   /* dL/dz likewise */
    double *ones;  /* ws_rows ones, for the bias gradient as a dgemv */
};

ss_mlp *ss_mlp_alloc(size_t n_sizes, const size_t *sizes, ss_error *err)
{
    if (n_sizes < 2 || !sizes) {
        ss_error_set(err, SS_ECONFIG, "an MLP needs at least an input and an output layer");
        return NULL;
    }
    for (size_t i = 0; i < n_sizes; i++)
        if (sizes[i] == 0) {
            ss_error_set(err, SS_ECONFIG, "MLP layer %zu has no units", i);
            return NULL;
        }
    if (sizes[n_sizes - 1] < 2) {
        ss_error_set(err, SS_ECONFIG, "a classifier needs at least 2 classes, not %zu",
                     sizes[n_sizes - 1]);
        return NULL;
    }
    ss_mlp *m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->n_layers = n_sizes - 1;
    size_t L = m->n_layers;
    m->sizes = malloc(n_sizes * sizeof *m->sizes);
    m->act = malloc(L * sizeof *m->act);
    m->w = malloc(L * sizeof *m->w);
    m->b = malloc(L * sizeof *m->b);
    m->w_off = malloc(L * sizeof *m->w_off);
    m->b_off = malloc(L * sizeof *m->b_off);
    m->unit_off = malloc(L * sizeof *m->unit_off);
    if (!m->sizes || !m->act || !m->w || !m->b || !m->w_off || !m->b_off || !m->unit_off)
        goto nomem;
    memcpy(m->sizes, sizes, n_sizes * sizeof *sizes);

    size_t n_params = 0;
    for (size_t l = 0; l < L; l++) {
        m->w_off[l] = n_params;
        n_params += sizes[l] * sizes[l + 1];
        m->b_off[l] = n_params;
        n_params += sizes[l + 1];
        m->unit_off[l] = m->units;
        m->units += sizes[l + 1];
        if (sizes[l + 1] > m->max_width)
            m->max_width = sizes[l + 1];
        m->act[l] = l + 1 < L ? ss_act_relu : ss_act_identity;
    }
    m->params = gsl_vector_calloc(n_params);
    if (!m->params)
        goto nomem;
    for (size_t l = 0; l < L; l++) {
        m->w[l] =
            gsl_matrix_view_array(m->params->data + m->w_off[l], sizes[l], sizes[l + 1]).matrix;
        m->b[l] = gsl_vector_view_array(m->params->data + m->b_off[l], sizes[l + 1]).vector;
    }
    return m;
nomem:
    ss_mlp_free(m);
    ss_error_set(err, SS_ENOMEM, "out of memory allocating an MLP");
    return NULL;
}

void ss_mlp_free(ss_mlp *m)
{
    if (!m)
        return;
    free(m->sizes);
    free(m->act);
    free(m->w);
    free(m->b);
    free(m->w_off);
    free(m->b_off);
    free(m->unit_off);
    if (m->params)
        gsl_vector_free(m->params);
    free(m->z);
    free(m->a);
    free(m->d_a);
    free(m->d_z);
    free(m->ones);
    free(m);
}

size_t ss_mlp_n_layers(const ss_mlp *m)
{
    return m->n_layers;
}

size_t ss_mlp_size(const ss_mlp *m, size_t i)
{
    return i <= m->n_layers ? m->sizes[i] : 0;
}

size_t ss_mlp_n_inputs(const ss_mlp *m)
{
    return m->sizes[0];
}

size_t ss_mlp_n_classes(const ss_mlp *m)
{
    return m->sizes[m->n_layers];
}

int ss_mlp_set_activation(ss_mlp *m, size_t layer, const ss_activation *act, ss_error *err)
{
    if (layer >= m->n_layers)
        return ss_error_set(err, SS_EUSAGE, "MLP has %zu weight layers, no layer %zu", m->n_layers,
                            layer);
    if (!act || !act->fn || !act->deriv)
        return ss_error_set(err, SS_EUSAGE,
                            "activation of layer %zu lacks a function or "
                            "its derivative",
                            layer);
    m->act[layer] = *act;
    return 0;
}

const ss_activation *ss_mlp_activation(const ss_mlp *m, size_t layer)
{
    return layer < m->n_layers ? &m->act[layer] : NULL;
}

void ss_mlp_init(ss_mlp *m, gsl_rng *rng)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        double bound = sqrt(6.0 / (double)(m->sizes[l] + m->sizes[l + 1]));
        gsl_matrix *w = &m->w[l];
        for (size_t i = 0; i < w->size1; i++)
            for (size_t j = 0; j < w->size2; j++)
                gsl_matrix_set(w, i, j, bound * (2 * gsl_rng_uniform(rng) - 1));
        for (size_t j = 0; j < m->b[l].size; j++)
            gsl_vector_set(&m->b[l], j, bound * (2 * gsl_rng_uniform(rng) - 1));
    }
}

gsl_vector *ss_mlp_params(ss_mlp *m)
{
    return m->params;
}

size_t ss_mlp_n_params(const ss_mlp *m)
{
    return m->params->size;
}

gsl_matrix *ss_mlp_weights(ss_mlp *m, size_t layer)
{
    return layer < m->n_layers ? &m->w[layer] : NULL;
}

gsl_vector *ss_mlp_bias(ss_mlp *m, size_t layer)
{
    return layer < m->n_layers ? &m->b[layer] : NULL;
}

size_t ss_mlp_weights_offset(const ss_mlp *m, size_t layer)
{
    return layer < m->n_layers ? m->w_off[layer] : m->params->size;
}

size_t ss_mlp_bias_offset(const ss_mlp *m, size_t layer)
{
    return layer < m->n_layers ? m->b_off[layer] : m->params->size;
}

static int check_layer_shapes(const ss_mlp *m, size_t layer, const gsl_matrix *weights,
                              const gsl_vector *bias, ss_error *err)
{
    if (layer >= m->n_layers)
        return ss_error_set(err, SS_EUSAGE, "MLP has %zu weight layers, no layer %zu", m->n_layers,
                            layer);
    if (weights && (weights->size1 != m->sizes[layer] || weights->size2 != m->sizes[layer + 1]))
        return ss_error_set(err, SS_EUSAGE,
                            "weights for MLP layer %zu are %zux%zu, expected %zux%zu", layer,
                            weights->size1, weights->size2, m->sizes[layer], m->sizes[layer + 1]);
    if (bias && bias->size != m->sizes[layer + 1])
        return ss_error_set(err, SS_EUSAGE, "bias for MLP layer %zu has %zu entries, expected %zu",
                            layer, bias->size, m->sizes[layer + 1]);
    return 0;
}

int ss_mlp_set_layer(ss_mlp *m, size_t layer, const gsl_matrix *weights, const gsl_vector *bias,
                     ss_error *err)
{
    int rc = check_layer_shapes(m, layer, weights, bias, err);
    if (rc)
        return rc;
    if (weights)
        gsl_matrix_memcpy(&m->w[layer], weights);
    if (bias)
        gsl_vector_memcpy(&m->b[layer], bias);
    return 0;
}

int ss_mlp_get_layer(const ss_mlp *m, size_t layer, gsl_matrix *weights, gsl_vector *bias,
                     ss_error *err)
{
    int rc = check_layer_shapes(m, layer, weights, bias, err);
    if (rc)
        return rc;
    if (weights)
        gsl_matrix_memcpy(weights, &m->w[layer]);
    if (bias)
        gsl_vector_memcpy(bias, &m->b[layer]);
    return 0;
}

int ss_mlp_copy(ss_mlp *dst, const ss_mlp *src, ss_error *err)
{
    if (dst->n_layers != src->n_layers ||
        memcmp(dst->sizes, src->sizes, (src->n_layers + 1) * sizeof *src->sizes) != 0)
        return ss_error_set(err, SS_EUSAGE, "cannot copy an MLP into one of another shape");
    gsl_vector_memcpy(dst->params, src->params);
    memcpy(dst->act, src->act, src->n_layers * sizeof *src->act);
    return 0;
}

/* Grows the scratch buffers to hold `rows` rows. */
static int reserve(ss_mlp *m, size_t rows, ss_error *err)
{
    if (rows <= m->ws_rows)
        return 0;
    double *z = realloc(m->z, rows * m->units * sizeof *z);
    if (z)
        m->z = z;
    double *a = realloc(m->a, rows * m->units * sizeof *a);
    if (a)
        m->a = a;
    double *d_a = realloc(m->d_a, rows * m->max_width * sizeof *d_a);
    if (d_a)
        m->d_a = d_a;
    double *d_z = realloc(m->d_z, rows * m->max_width * sizeof *d_z);
    if (d_z)
        m->d_z = d_z;
    double *ones = realloc(m->ones, rows * sizeof *ones);
    if (ones)
        m->ones = ones;
    if (!z || !a || !d_a || !d_z || !ones)
        return ss_error_set(err, SS_ENOMEM, "out of memory for MLP scratch (%zu rows)", rows);
    for (size_t i = 0; i < rows; i++)
        m->ones[i] = 1;
    m->ws_rows = rows;
    return 0;
}

/* Pre-activations and activations of layer l for the current pass. */
static double *layer_z(const ss_mlp *m, size_t l)
{
    return m->z + m->ws_rows * m->unit_off[l];
}

static double *layer_a(const ss_mlp *m, size_t l)
{
    return m->a + m->ws_rows * m->unit_off[l];
}

/* Forward pass over `rows` rows; the output layer's activations (the
 * logits) end up in layer_a(m, n_layers - 1), rows x classes. */
static void forward(ss_mlp *m, const double *x, size_t ldx, size_t rows)
{
    const double *in = x;
    size_t ld_in = ldx;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t fan_in = m->sizes[l], fan_out = m->sizes[l + 1];
        double *z = layer_z(m, l), *a = layer_a(m, l);
        /* z starts as the bias in every row; dgemm then adds in W. */
        for (size_t r = 0; r < rows; r++)
            memcpy(z + r * fan_out, m->b[l].data, fan_out * sizeof *z);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)fan_out, (int)fan_in,
                    1.0, in, (int)ld_in, m->w[l].data, (int)fan_out, 1.0, z, (int)fan_out);
        m->act[l].fn(m->act[l].ctx, rows * fan_out, z, a);
        in = a;
        ld_in = fan_out;
    }
}

/* log-sum-exp of one row, computed around its maximum so exp cannot overflow. */
static double log_sum_exp(const double *v, size_t n)
{
    double mx = v[0];
    for (size_t k = 1; k < n; k++)
        if (v[k] > mx)
            mx = v[k];
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += exp(v[k] - mx);
    return mx + log(s);
}

int ss_mlp__pass(ss_mlp *m, const double *x, size_t ldx, const int *y, size_t rows, double scale,
                 double *ce_sum, double *grad, double *grad_x, size_t ldg, ss_error *err)
{
    int rc = reserve(m, rows, err);
    if (rc)
        return rc;
    forward(m, x, ldx, rows);

    /* Output error: dCE_i/dlogits = softmax - onehot(y_i), times scale. */
    size_t L = m->n_layers, classes = m->sizes[L];
    const double *logits = layer_a(m, L - 1);
    double ce = 0;
    for (size_t r = 0; r < rows; r++) {
        const double *o = logits + r * classes;
        double *d = m->d_a + r * classes;
        double lse = log_sum_exp(o, classes);
        ce += lse - o[y[r]];
        for (size_t k = 0; k < classes; k++)
            d[k] = scale * exp(o[k] - lse);
        d[y[r]] -= scale;
    }
    *ce_sum += ce;
    if (!grad && !grad_x)
        return 0;

    for (size_t l = L; l-- > 0;) {
        size_t fan_in = m->sizes[l], fan_out = m->sizes[l + 1];
        size_t n = rows * fan_out;
        m->act[l].deriv(m->act[l].ctx, n, layer_z(m, l), layer_a(m, l), m->d_z);
        for (size_t i = 0; i < n; i++)
            m->d_z[i] *= m->d_a[i];
        const double *in = l > 0 ? layer_a(m, l - 1) : x;
        size_t ld_in = l > 0 ? fan_in : ldx;
        if (grad) {
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fan_in, (int)fan_out,
                        (int)rows, 1.0, in, (int)ld_in, m->d_z, (int)fan_out, 1.0,
                        grad + m->w_off[l], (int)fan_out);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)rows, (int)fan_out, 1.0, m->d_z,
                        (int)fan_out, m->ones, 1, 1.0, grad + m->b_off[l], 1);
        }
        double *d_in = l > 0 ? m->d_a : grad_x;
        size_t ld_d_in = l > 0 ? fan_in : ldg;
        if (l == 0 && !grad_x)
            break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)fan_in, (int)fan_out,
                    1.0, m->d_z, (int)fan_out, m->w[l].data, (int)fan_out, 0.0, d_in, (int)ld_d_in);
    }
    return 0;
}

int ss_mlp__check_data(const ss_mlp *m, const gsl_matrix *x, const int *y, ss_error *err)
{
    if (x->size2 != m->sizes[0])
        return ss_error_set(err, SS_EUSAGE, "data have %zu features but the MLP takes %zu",
                            x->size2, m->sizes[0]);
    if (!y)
        return 0;
    size_t classes = m->sizes[m->n_layers];
    for (size_t i = 0; i < x->size1; i++)
        if (y[i] < 0 || (size_t)y[i] >= classes)
            return ss_error_set(err, SS_EDATA, "label %d of sample %zu is outside 0..%zu", y[i], i,
                                classes - 1);
    return 0;
}

int ss_mlp_forward(ss_mlp *m, const gsl_matrix *x, gsl_matrix *probs, gsl_matrix *logits,
                   ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, NULL, err);
    if (rc)
        return rc;
    size_t classes = ss_mlp_n_classes(m);
    if (probs && (probs->size1 != x->size1 || probs->size2 != classes))
        return ss_error_set(err, SS_EUSAGE, "MLP probability matrix is %zux%zu, not %zux%zu",
                            probs->size1, probs->size2, x->size1, classes);
    if (logits && (logits->size1 != x->size1 || logits->size2 != classes))
        return ss_error_set(err, SS_EUSAGE, "MLP logits matrix is %zux%zu, not %zux%zu",
                            logits->size1, logits->size2, x->size1, classes);
    if ((rc = reserve(m, SS_MLP_CHUNK_ROWS, err)))
        return rc;
    for (size_t r0 = 0; r0 < x->size1; r0 += SS_MLP_CHUNK_ROWS) {
        size_t rows = x->size1 - r0 < SS_MLP_CHUNK_ROWS ? x->size1 - r0 : SS_MLP_CHUNK_ROWS;
        forward(m, x->data + r0 * x->tda, x->tda, rows);
        const double *o = layer_a(m, m->n_layers - 1);
        for (size_t r = 0; r < rows; r++) {
            const double *row = o + r * classes;
            if (logits)
                for (size_t k = 0; k < classes; k++)
                    gsl_matrix_set(logits, r0 + r, k, row[k]);
            if (probs) {
                double lse = log_sum_exp(row, classes);
                for (size_t k = 0; k < classes; k++)
                    gsl_matrix_set(probs, r0 + r, k, exp(row[k] - lse));
            }
        }
    }
    return 0;
}

int ss_mlp_predict(ss_mlp *m, const gsl_matrix *x, int *pred, ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, NULL, err);
    if (rc || (rc = reserve(m, SS_MLP_CHUNK_ROWS, err)))
        return rc;
    size_t classes = ss_mlp_n_classes(m);
    for (size_t r0 = 0; r0 < x->size1; r0 += SS_MLP_CHUNK_ROWS) {
        size_t rows = x->size1 - r0 < SS_MLP_CHUNK_ROWS ? x->size1 - r0 : SS_MLP_CHUNK_ROWS;
        forward(m, x->data + r0 * x->tda, x->tda, rows);
        const double *o = layer_a(m, m->n_layers - 1);
        for (size_t r = 0; r < rows; r++) {
            const double *row = o + r * classes;
            size_t best = 0;
            for (size_t k = 1; k < classes; k++)
                if (row[k] > row[best])
                    best = k;
            pred[r0 + r] = (int)best;
        }
    }
    return 0;
}

int ss_mlp_loss_grad(ss_mlp *m, const gsl_matrix *x, const int *y, double l2, double *loss,
                     gsl_vector *grad, gsl_matrix *grad_x, ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, y, err);
    if (rc)
        return rc;
    size_t n = x->size1;
    if (n == 0)
        return ss_error_set(err, SS_EDATA, "no samples to compute a loss on");
    if (grad && (grad->size != m->params->size || grad->stride != 1))
        return ss_error_set(err, SS_EUSAGE, "gradient vector has %zu entries, not %zu", grad->size,
                            m->params->size);
    if (grad_x && (grad_x->size1 != n || grad_x->size2 != m->sizes[0]))
        return ss_error_set(err, SS_EUSAGE, "input gradient matrix is %zux%zu, not %zux%zu",
                            grad_x->size1, grad_x->size2, n, m->sizes[0]);
    if (grad)
        gsl_vector_set_zero(grad);
    double ce = 0;
    for (size_t r0 = 0; r0 < n; r0 += SS_MLP_CHUNK_ROWS) {
        size_t rows = n - r0 < SS_MLP_CHUNK_ROWS ? n - r0 : SS_MLP_CHUNK_ROWS;
        rc = ss_mlp__pass(m, x->data + r0 * x->tda, x->tda, y + r0, rows, 1.0 / (double)n, &ce,
                          grad ? grad->data : NULL, grad_x ? grad_x->data + r0 * grad_x->tda : NULL,
                          grad_x ? grad_x->tda : 0, err);
        if (rc)
            return rc;
    }
    double penalty = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        const double *w = m->params->data + m->w_off[l];
        size_t nw = m->sizes[l] * m->sizes[l + 1];
        penalty += cblas_ddot((int)nw, w, 1, w, 1);
        if (grad && l2 != 0)
            cblas_daxpy((int)nw, l2 / (double)n, w, 1, grad->data + m->w_off[l], 1);
    }
    if (loss)
        *loss = ce / (double)n + 0.5 * l2 * penalty / (double)n;
    return 0;
}

int ss_mlp_input_grad(ss_mlp *m, const gsl_matrix *x, const int *y, gsl_matrix *g, double *loss,
                      ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, y, err);
    if (rc)
        return rc;
    if (g->size1 != x->size1 || g->size2 != x->size2)
        return ss_error_set(err, SS_EUSAGE, "input gradient matrix is %zux%zu, not %zux%zu",
                            g->size1, g->size2, x->size1, x->size2);
    double ce = 0;
    for (size_t r0 = 0; r0 < x->size1; r0 += SS_MLP_CHUNK_ROWS) {
        size_t rows = x->size1 - r0 < SS_MLP_CHUNK_ROWS ? x->size1 - r0 : SS_MLP_CHUNK_ROWS;
        rc = ss_mlp__pass(m, x->data + r0 * x->tda, x->tda, y + r0, rows, 1.0, &ce, NULL,
                          g->data + r0 * g->tda, g->tda, err);
        if (rc)
            return rc;
    }
    if (loss)
        *loss = ce;
    return 0;
}

int ss_mlp_evaluate(ss_mlp *m, const gsl_matrix *x, const int *y, double *accuracy,
                    ss_confusion *confusion, ss_error *err)
{
    int rc = ss_mlp__check_data(m, x, y, err);
    if (rc)
        return rc;
    if (x->size1 == 0)
        return ss_error_set(err, SS_EDATA, "no samples to evaluate");
    if (confusion && confusion->n_classes != ss_mlp_n_classes(m))
        return ss_error_set(err, SS_EUSAGE, "confusion matrix has %zu classes, the MLP %zu",
                            confusion->n_classes, ss_mlp_n_classes(m));
    int *pred = malloc(x->size1 * sizeof *pred);
    if (!pred)
        return ss_error_set(err, SS_ENOMEM, "out of memory for %zu predictions", x->size1);
    rc = ss_mlp_predict(m, x, pred, err);
    if (!rc) {
        size_t correct = 0;
        if (confusion)
            ss_confusion_reset(confusion);
        for (size_t i = 0; i < x->size1; i++) {
            correct += pred[i] == y[i];
            if (confusion)
                ss_confusion_add(confusion, y[i], pred[i]);
        }
        if (accuracy)
            *accuracy = (double)correct / (double)x->size1;
    }
    free(pred);
    return rc;
}
