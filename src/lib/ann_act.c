/* Built-in activations of the backprop MLP (see ann.h).  Each works on a whole
 * array so that a layer's activation is one call, not one per unit. */
#include <spiksim/ann.h>

#include <math.h>
#include <string.h>

static void relu_fn(void *ctx, size_t n, const double *z, double *y)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        y[i] = z[i] > 0 ? z[i] : 0;
}

/* 0 at z = 0, as scikit-learn (its delta is zeroed wherever the output is 0). */
static void relu_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    (void)ctx;
    (void)y;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > 0 ? 1 : 0;
}

static void identity_fn(void *ctx, size_t n, const double *z, double *y)
{
    (void)ctx;
    if (y != z)
        memcpy(y, z, n * sizeof *y);
}

static void identity_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    (void)ctx;
    (void)z;
    (void)y;
    for (size_t i = 0; i < n; i++)
        d[i] = 1;
}

/* Written so that exp never overflows, whatever the sign of z. */
static double logistic(double z)
{
    if (z >= 0)
        return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

static void logistic_fn(void *ctx, size_t n, const double *z, double *y)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        y[i] = logistic(z[i]);
}

static void logistic_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    (void)ctx;
    (void)z;
    for (size_t i = 0; i < n; i++)
        d[i] = y[i] * (1 - y[i]);
}

static void tanh_fn(void *ctx, size_t n, const double *z, double *y)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        y[i] = tanh(z[i]);
}

static void tanh_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    (void)ctx;
    (void)z;
    for (size_t i = 0; i < n; i++)
        d[i] = 1 - y[i] * y[i];
}

/* ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|): exact for large |z| too. */
static void softplus_fn(void *ctx, size_t n, const double *z, double *y)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        y[i] = (z[i] > 0 ? z[i] : 0) + log1p(exp(-fabs(z[i])));
}

static void softplus_deriv(void *ctx, size_t n, const double *z, const double *y, double *d)
{
    (void)ctx;
    (void)y;
    for (size_t i = 0; i < n; i++)
        d[i] = logistic(z[i]);
}

const ss_activation ss_act_relu = {"relu", relu_fn, relu_deriv, NULL};
const ss_activation ss_act_identity = {"identity", identity_fn, identity_deriv, NULL};
const ss_activation ss_act_logistic = {"logistic", logistic_fn, logistic_deriv, NULL};
const ss_activation ss_act_tanh = {"tanh", tanh_fn, tanh_deriv, NULL};
const ss_activation ss_act_softplus = {"softplus", softplus_fn, softplus_deriv, NULL};

const ss_activation *ss_activation_by_name(const char *name)
{
    static const ss_activation *const all[] = {&ss_act_relu, &ss_act_identity, &ss_act_logistic,
                                               &ss_act_tanh, &ss_act_softplus};
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
