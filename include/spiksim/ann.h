/* Multilayer perceptron trained by backpropagation: the baseline every
 * spiking network is compared with, and the differentiable model FGSM takes
 * its gradients from.
 *
 * Shape: sizes[0] inputs, then one dense layer per further entry of sizes;
 * the last layer's outputs are the logits of a softmax, and the loss is the
 * softmax cross-entropy of the true label.  Every layer (the output one too)
 * applies an activation to its pre-activation z = a_prev W + b; hidden layers
 * default to ReLU, the output layer to the identity.  A caller can plug in
 * its own smooth activation (with its derivative), which is how the SNN's
 * differentiable rate surrogate reuses this forward/backward pass with weights
 * copied in from the spiking network.
 *
 * Data are rows: a gsl_matrix X with one sample per row (n x sizes[0]) and an
 * int label per row in [0, sizes[last]).  All matrix products go through
 * GSL's CBLAS interface (cblas_dgemm), which configure links to OpenBLAS
 * when it is installed.  Everything is double precision: the sizes involved
 * are small, scikit-learn (the peer) computes in float64 too, and the
 * gradient tests compare against finite differences at 1e-5.
 *
 * An ss_mlp holds scratch buffers for its passes, so one ss_mlp must not be
 * used from two threads at once; two ss_mlp objects are independent.
 */
#ifndef SPIKSIM_ANN_H
#define SPIKSIM_ANN_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>
#include <spiksim/config.h>
#include <spiksim/error.h>
#include <spiksim/readout.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Activations ------------------------------------------------------- */

/* An elementwise activation y = f(z) and its derivative dy/dz.  deriv gets
 * both z and y = f(z) since many derivatives are cheapest from y.  ctx is
 * passed through untouched (parameters of a custom rate function). */
typedef struct ss_activation {
    const char *name;
    void (*fn)(void *ctx, size_t n, const double *z, double *y);
    void (*deriv)(void *ctx, size_t n, const double *z, const double *y, double *dydz);
    void *ctx;
} ss_activation;

/* Built-ins (read-only): relu max(0,z) (derivative 0 at z <= 0, as
 * scikit-learn), identity, logistic 1/(1+e^-z), tanh, softplus ln(1+e^z). */
extern const ss_activation ss_act_relu;
extern const ss_activation ss_act_identity;
extern const ss_activation ss_act_logistic;
extern const ss_activation ss_act_tanh;
extern const ss_activation ss_act_softplus;

/* A built-in by name ("relu", ...), or NULL. */
const ss_activation *ss_activation_by_name(const char *name);

/* ---- The network ------------------------------------------------------- */

typedef struct ss_mlp ss_mlp;

/* n_sizes >= 2 layer widths, input first, classes last (>= 2).  Parameters
 * start at zero: call ss_mlp_init() or set them.  NULL with err set (SS_ECONFIG
 * for a bad shape, SS_ENOMEM). */
ss_mlp *ss_mlp_alloc(size_t n_sizes, const size_t *sizes, ss_error *err);
void ss_mlp_free(ss_mlp *m);

/* Number of weight layers (n_sizes - 1), and width i (0 = input, n_layers =
 * classes). */
size_t ss_mlp_n_layers(const ss_mlp *m);
size_t ss_mlp_size(const ss_mlp *m, size_t i);
size_t ss_mlp_n_inputs(const ss_mlp *m);
size_t ss_mlp_n_classes(const ss_mlp *m);

/* Activation of weight layer l (0-based).  act is copied; it (and its ctx)
 * must outlive m.  SS_EUSAGE for a bad layer or an act without fn/deriv. */
int ss_mlp_set_activation(ss_mlp *m, size_t layer, const ss_activation *act, ss_error *err);
const ss_activation *ss_mlp_activation(const ss_mlp *m, size_t layer);

/* Glorot-uniform initialisation as scikit-learn's MLPClassifier does it:
 * weights and biases of layer l drawn from U(-b, b), b = sqrt(6 / (fan_in +
 * fan_out)), layers in order, each weight matrix row by row, then its bias. */
void ss_mlp_init(ss_mlp *m, gsl_rng *rng);

/* Parameters, owned by m and stored in one packed vector: W_0 (row-major,
 * sizes[0] x sizes[1]), b_0 (sizes[1]), W_1, b_1, ...  W_l maps a row of
 * activations of layer l to the pre-activations of layer l+1, z = a W_l + b_l,
 * so W_l(i, j) is the weight from unit i of layer l to unit j of layer l+1.
 * The returned pointers stay valid until ss_mlp_free and may be written. */
gsl_vector *ss_mlp_params(ss_mlp *m);
size_t ss_mlp_n_params(const ss_mlp *m);
gsl_matrix *ss_mlp_weights(ss_mlp *m, size_t layer);
gsl_vector *ss_mlp_bias(ss_mlp *m, size_t layer);
/* Offset of W_l and of b_l in the packed vector (for gradients). */
size_t ss_mlp_weights_offset(const ss_mlp *m, size_t layer);
size_t ss_mlp_bias_offset(const ss_mlp *m, size_t layer);

/* The MLP of the same shape as a model file's spiking network: n_features
 * inputs (the normalised features the encoder sees, not the encoder's
 * neurons), then one layer per [layer.NAME] of type lif or lif_exp, in file
 * order; the last of them is the output layer and must have n_classes
 * neurons (SS_ECONFIG "FILE:LINE: [layer.NAME] size: ..." otherwise).  Input
 * and source layers are skipped.  Parameters are zero: call ss_mlp_init(). */
ss_mlp *ss_mlp_alloc_from_config(const ss_config *cfg, size_t n_features, size_t n_classes,
                                 ss_error *err);

/* Copy layer l's parameters in or out; shapes must match exactly
 * (SS_EUSAGE otherwise).  bias may be NULL to leave it alone. */
int ss_mlp_set_layer(ss_mlp *m, size_t layer, const gsl_matrix *weights, const gsl_vector *bias,
                     ss_error *err);
int ss_mlp_get_layer(const ss_mlp *m, size_t layer, gsl_matrix *weights, gsl_vector *bias,
                     ss_error *err);

/* Copies every parameter and activation of src into dst (same shape). */
int ss_mlp_copy(ss_mlp *dst, const ss_mlp *src, ss_error *err);

/* ---- Passes ------------------------------------------------------------ */

/* Class probabilities (softmax of the output layer), n x classes; logits
 * instead when probs is NULL and logits is not. */
int ss_mlp_forward(ss_mlp *m, const gsl_matrix *x, gsl_matrix *probs, gsl_matrix *logits,
                   ss_error *err);

/* Predicted class of each row: argmax of the logits, ties to the lowest index. */
int ss_mlp_predict(ss_mlp *m, const gsl_matrix *x, int *pred, ss_error *err);

/* The training objective on the rows of x with labels y, as scikit-learn
 * defines it:  L = (1/n) sum_i CE_i + (l2 / (2n)) sum ||W_l||^2  (biases are
 * not penalised).  grad (n_params, packed like ss_mlp_params) and grad_x
 * (n x inputs, the gradient of L itself, so with the 1/n) may each be NULL.
 * SS_EDATA for a label out of range, SS_EUSAGE for a shape mismatch. */
int ss_mlp_loss_grad(ss_mlp *m, const gsl_matrix *x, const int *y, double l2, double *loss,
                     gsl_vector *grad, gsl_matrix *grad_x, ss_error *err);

/* Input gradient for attacks: row i of g is dCE_i/dx_i, the gradient of that
 * sample's own cross-entropy (no 1/n, no penalty), so it does not depend on
 * which other rows share the call.  loss, when not NULL, receives sum CE_i. */
int ss_mlp_input_grad(ss_mlp *m, const gsl_matrix *x, const int *y, gsl_matrix *g, double *loss,
                      ss_error *err);

/* ---- Evaluation --------------------------------------------------------- */

/* Accuracy of the predictions on (x, y) and, when confusion is not NULL, the
 * confusion matrix (readout.h; reset first, it must have the MLP's number
 * of classes).  Either output may be NULL.  SS_EDATA when x has no rows. */
int ss_mlp_evaluate(ss_mlp *m, const gsl_matrix *x, const int *y, double *accuracy,
                    ss_confusion *confusion, ss_error *err);

/* ---- Training ----------------------------------------------------------- */

typedef enum { SS_OPTIMIZER_ADAM, SS_OPTIMIZER_SGD } ss_optimizer;

typedef struct ss_mlp_train_opts {
    size_t epochs;
    size_t batch;                  /* minibatch size; the last batch of an epoch may be smaller */
    ss_optimizer optimizer;        /* adam, or sgd with momentum */
    double lr;                     /* learning rate (Adam: step size) */
    double momentum;               /* sgd: momentum in [0, 1) */
    int nesterov;                  /* sgd: Nesterov's momentum, as scikit-learn's default */
    double l2;                     /* penalty weight, scikit-learn's alpha (see ss_mlp_loss_grad) */
    double beta1, beta2, adam_eps; /* Adam's moment decay rates and epsilon */
    int shuffle;                   /* draw a new sample order from rng every epoch */
    /* Called after each epoch with its mean training loss (objective as in
     * ss_mlp_loss_grad, averaged over batches weighted by size); a nonzero
     * return stops training after that epoch (for SIGINT). May be NULL. */
    int (*on_epoch)(void *ctx, size_t epoch, double loss);
    void *ctx;
} ss_mlp_train_opts;

/* The defaults of the [evaluate] bp_* keys: 50 epochs, batch 32, Adam, lr
 * 0.001, momentum 0.9, l2 0.0001, beta1 0.9, beta2 0.999, eps 1e-8, shuffle. */
void ss_mlp_train_opts_default(ss_mlp_train_opts *opts);

/* Options from a loaded model file: defaults as above, then the [evaluate]
 * keys bp_epochs, bp_batch, bp_optimizer, bp_lr, bp_momentum, bp_l2 (the
 * loader has already checked their ranges).  Returns 0. */
int ss_mlp_train_opts_from_config(const ss_config *cfg, ss_mlp_train_opts *opts, ss_error *err);

/* Trains m (already initialised) on (x, y) by minibatch gradient descent.
 * rng only shuffles, so a seed fixes the result.  SS_ERUNTIME when the loss
 * stops being finite (a learning rate too large), SS_EDATA for a bad label,
 * SS_EUSAGE for bad options.  *epochs_done (may be NULL) counts finished
 * epochs, also when on_epoch stopped training early. */
int ss_mlp_train(ss_mlp *m, const gsl_matrix *x, const int *y, const ss_mlp_train_opts *opts,
                 gsl_rng *rng, size_t *epochs_done, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
