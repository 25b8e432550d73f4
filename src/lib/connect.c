/* Connectivity rules and the compressed-row builder (see network.h).
 *
 * Every random choice is drawn from the caller's GSL RNG in a fixed order
 * (rows by presynaptic neuron, targets ascending; fixed_indegree by target),
 * then weights and delays in storage order, so a seed fixes the network.
 */
#define _POSIX_C_SOURCE 200809L
#include "network_impl.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ss_projection_spec_default(ss_projection_spec *s)
{
    /* Keep in step with the [projection] rows of src/lib/config_keys.c. */
    memset(s, 0, sizeof *s);
    s->connect = SS_CONNECT_ALL;
    s->p = 0.1;
    s->indegree = 10;
    s->autapses = 0;
    s->weight_dist = SS_WEIGHT_CONSTANT;
    s->weight = 1;
    s->weight_sd = 0.1;
    s->weight_min = 0;
    s->weight_max = 1;
    s->delay_ms = 1;
    s->delay_max_ms = 0;
    s->plastic = 0;
}

#define BAD(k, ...)                                                                                \
    do {                                                                                           \
        if (bad_key)                                                                               \
            *bad_key = k;                                                                          \
        return ss_error_set(err, SS_ECONFIG, __VA_ARGS__);                                         \
    } while (0)

int ss_projection_spec_check(const ss_projection_spec *s, const char **bad_key, ss_error *err)
{
    if (bad_key)
        *bad_key = NULL;
    if (!(s->p >= 0 && s->p <= 1))
        BAD("p", "p = %g is not a probability in [0, 1]", s->p);
    if (s->indegree < 0)
        BAD("indegree", "indegree must be >= 0");
    if (!(s->delay_ms >= 0) || !isfinite(s->delay_ms))
        BAD("delay_ms", "delay_ms = %g must be >= 0", s->delay_ms);
    if (!(s->delay_max_ms >= 0) || !isfinite(s->delay_max_ms))
        BAD("delay_max_ms", "delay_max_ms = %g must be >= 0", s->delay_max_ms);
    if (!isfinite(s->weight))
        BAD("weight", "weight must be finite");
    if (s->weight_dist != SS_WEIGHT_CONSTANT) {
        if (!isfinite(s->weight_min) || !isfinite(s->weight_max) || s->weight_min > s->weight_max)
            BAD("weight_max", "weight_max (%g) must not be below weight_min (%g)", s->weight_max,
                s->weight_min);
    }
    if (s->weight_dist == SS_WEIGHT_NORMAL) {
        if (!(s->weight_sd >= 0) || !isfinite(s->weight_sd))
            BAD("weight_sd", "weight_sd must be >= 0");
        /* Normal weights are redrawn outside [min, max]: refuse bounds that
         * would almost never be met rather than loop for ever. */
        double mass;
        if (s->weight_sd == 0)
            mass = (s->weight >= s->weight_min && s->weight <= s->weight_max) ? 1 : 0;
        else
            mass = gsl_cdf_gaussian_P(s->weight_max - s->weight, s->weight_sd) -
                   gsl_cdf_gaussian_P(s->weight_min - s->weight, s->weight_sd);
        if (!(mass >= 1e-3))
            BAD("weight_min",
                "[weight_min, weight_max] = [%g, %g] holds %.2g of the normal(%g, %g) weights; "
                "widen it",
                s->weight_min, s->weight_max, mass, s->weight, s->weight_sd);
    }
    return SS_OK;
}

typedef struct {
    uint32_t target;
    float weight;
    float delay;
} syn_rec;

static int syn_cmp(const void *pa, const void *pb)
{
    const syn_rec *a = pa, *b = pb;
    if (a->delay != b->delay)
        return a->delay < b->delay ? -1 : 1;
    if (a->target != b->target)
        return a->target < b->target ? -1 : 1;
    if (a->weight != b->weight)
        return a->weight < b->weight ? -1 : 1;
    return 0;
}

/* Sorts every row by (delay, target, weight), in place. */
static int sort_rows(ss_projection *p, ss_error *err)
{
    size_t max_row = 0;
    for (uint32_t i = 0; i < p->n_pre; i++)
        if (p->row_ptr[i + 1] - p->row_ptr[i] > max_row)
            max_row = p->row_ptr[i + 1] - p->row_ptr[i];
    syn_rec *buf = malloc((max_row ? max_row : 1) * sizeof *buf);
    if (!buf)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < p->n_pre; i++) {
        uint32_t b = p->row_ptr[i], n = p->row_ptr[i + 1] - b;
        int sorted = 1;
        for (uint32_t k = 0; k < n; k++) {
            buf[k].target = p->target[b + k];
            buf[k].weight = p->weight[b + k];
            buf[k].delay = p->delay ? p->delay[b + k] : 0;
            if (k && syn_cmp(&buf[k - 1], &buf[k]) > 0)
                sorted = 0;
        }
        if (sorted)
            continue;
        qsort(buf, n, sizeof *buf, syn_cmp);
        for (uint32_t k = 0; k < n; k++) {
            p->target[b + k] = buf[k].target;
            p->weight[b + k] = buf[k].weight;
            if (p->delay)
                p->delay[b + k] = buf[k].delay;
        }
    }
    free(buf);
    return SS_OK;
}

int ss__projection_from_pairs(ss_projection *p, size_t n, const uint32_t *pre, const uint32_t *post,
                              const float *weight, const float *delay, ss_error *err)
{
    if (n > UINT32_MAX - 1)
        return ss_error_set(err, SS_ECONFIG, "projection '%s': %zu synapses, at most %u", p->name,
                            n, UINT32_MAX - 1);
    for (size_t s = 0; s < n; s++) {
        if (pre[s] >= p->n_pre || post[s] >= p->n_post)
            return ss_error_set(err, SS_EUSAGE,
                                "projection '%s': synapse %zu (%u -> %u) outside the layers",
                                p->name, s, pre[s], post[s]);
        if (weight && !isfinite(weight[s]))
            return ss_error_set(err, SS_EUSAGE, "projection '%s': synapse %zu has weight %g",
                                p->name, s, (double)weight[s]);
        if (delay && !(delay[s] >= 0 && isfinite(delay[s])))
            return ss_error_set(err, SS_EUSAGE, "projection '%s': synapse %zu has delay %g",
                                p->name, s, (double)delay[s]);
    }
    size_t cap = n ? n : 1;
    p->row_ptr = calloc((size_t)p->n_pre + 1, sizeof *p->row_ptr);
    p->target = malloc(cap * sizeof *p->target);
    p->weight = calloc(cap, sizeof *p->weight);
    if (delay)
        p->delay = malloc(cap * sizeof *p->delay);
    if (!p->row_ptr || !p->target || !p->weight || (delay && !p->delay))
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    p->n_syn = n;
    for (size_t s = 0; s < n; s++)
        p->row_ptr[pre[s] + 1]++;
    for (uint32_t i = 0; i < p->n_pre; i++)
        p->row_ptr[i + 1] += p->row_ptr[i];
    uint32_t *fill = malloc(((size_t)p->n_pre + 1) * sizeof *fill);
    if (!fill)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    memcpy(fill, p->row_ptr, ((size_t)p->n_pre + 1) * sizeof *fill);
    for (size_t s = 0; s < n; s++) {
        uint32_t k = fill[pre[s]]++;
        p->target[k] = post[s];
        p->weight[k] = weight ? weight[s] : 0;
        if (delay)
            p->delay[k] = delay[s];
    }
    free(fill);
    if (p->delay) {
        /* The common delay is the smallest: no spike arrives earlier. */
        double dmin = INFINITY;
        for (size_t s = 0; s < n; s++)
            dmin = fmin(dmin, p->delay[s]);
        p->delay_ms = n ? dmin : p->delay_ms;
    }
    return sort_rows(p, err);
}

/* Grows a pair list. */
typedef struct {
    uint32_t *pre, *post;
    size_t n, cap;
} pairs;

static int pairs_add(pairs *ps, uint32_t i, uint32_t j)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 1024;
        uint32_t *a = realloc(ps->pre, cap * sizeof *a);
        if (!a)
            return SS_ENOMEM;
        ps->pre = a;
        uint32_t *b = realloc(ps->post, cap * sizeof *b);
        if (!b)
            return SS_ENOMEM;
        ps->post = b;
        ps->cap = cap;
    }
    ps->pre[ps->n] = i;
    ps->post[ps->n] = j;
    ps->n++;
    return SS_OK;
}

static int draw_pairs(const ss_projection_spec *s, uint32_t n_pre, uint32_t n_post, int same,
                      gsl_rng *rng, pairs *ps, const char **bad_key, ss_error *err)
{
    int self_ok = !same || s->autapses;
    switch (s->connect) {
    case SS_CONNECT_ALL:
        for (uint32_t i = 0; i < n_pre; i++)
            for (uint32_t j = 0; j < n_post; j++)
                if ((self_ok || i != j) && pairs_add(ps, i, j))
                    return SS_ENOMEM;
        break;
    case SS_CONNECT_ONE_TO_ONE:
        if (n_pre != n_post)
            BAD("connect", "one_to_one needs layers of one size (%u and %u)", n_pre, n_post);
        for (uint32_t i = 0; i < n_pre; i++)
            if ((self_ok || !same) && pairs_add(ps, i, i))
                return SS_ENOMEM;
        break;
    case SS_CONNECT_FIXED_PROB:
        if (s->p <= 0)
            break;
        /* Skip to the next success with geometric gaps: O(synapses), not
         * O(n_pre * n_post).  The gap is 1 + floor(ln U / ln(1 - p)), which is
         * what gsl_ran_geometric() computes, with ln(1 - p) taken once here
         * instead of at every draw (half the logarithms of building bench4). */
        double log_q = s->p < 1 ? log1p(-s->p) : -INFINITY;
        for (uint32_t i = 0; i < n_pre; i++) {
            double j = -1;
            for (;;) {
                j += s->p >= 1 ? 1 : 1 + floor(log(gsl_rng_uniform_pos(rng)) / log_q);
                if (j >= n_post)
                    break;
                if ((self_ok || (uint32_t)j != i) && pairs_add(ps, i, (uint32_t)j))
                    return SS_ENOMEM;
            }
        }
        break;
    case SS_CONNECT_LABEL_MATCH:
    case SS_CONNECT_LABEL_MISMATCH:
        /* Post neuron j belongs to class j % n_pre: a broadcast label line
         * reaches its own class (match) or every other class (mismatch). */
        for (uint32_t i = 0; i < n_pre; i++)
            for (uint32_t j = 0; j < n_post; j++)
                if (((j % n_pre == i) == (s->connect == SS_CONNECT_LABEL_MATCH)) &&
                    (self_ok || i != j) && pairs_add(ps, i, j))
                    return SS_ENOMEM;
        break;
    case SS_CONNECT_FIXED_INDEGREE: {
        size_t cand = same && !s->autapses ? (size_t)n_pre - 1 : n_pre;
        if ((size_t)s->indegree > cand)
            BAD("indegree", "indegree %ld exceeds the %zu possible presynaptic neurons",
                s->indegree, cand);
        if (s->indegree == 0)
            break;
        uint32_t *src = malloc((size_t)n_pre * sizeof *src);
        uint32_t *dst = malloc((size_t)s->indegree * sizeof *dst);
        if (!src || !dst) {
            free(src);
            free(dst);
            return SS_ENOMEM;
        }
        for (uint32_t j = 0; j < n_post; j++) {
            size_t m = 0;
            for (uint32_t i = 0; i < n_pre; i++)
                if (self_ok || i != j)
                    src[m++] = i;
            /* gsl_ran_choose keeps the input order: partners come out
             * ascending. */
            gsl_ran_choose(rng, dst, (size_t)s->indegree, src, m, sizeof *src);
            for (long k = 0; k < s->indegree; k++)
                if (pairs_add(ps, dst[k], j)) {
                    free(src);
                    free(dst);
                    return SS_ENOMEM;
                }
        }
        free(src);
        free(dst);
        break;
    }
    }
    return SS_OK;
}

static double draw_weight(const ss_projection_spec *s, gsl_rng *rng)
{
    switch (s->weight_dist) {
    case SS_WEIGHT_UNIFORM:
        return gsl_ran_flat(rng, s->weight_min, s->weight_max);
    case SS_WEIGHT_NORMAL:
        for (;;) {
            double w = s->weight + gsl_ran_gaussian(rng, s->weight_sd);
            if (w >= s->weight_min && w <= s->weight_max)
                return w;
        }
    default:
        return s->weight;
    }
}

int ss__network_connect_k(ss_network *net, const char *name, size_t from, size_t to,
                          const ss_projection_spec *spec, gsl_rng *rng, const char **bad_key,
                          ss_error *err)
{
    if (bad_key)
        *bad_key = NULL;
    int rc = ss_projection_spec_check(spec, bad_key, err);
    if (rc)
        return rc;
    if (from >= net->n_layers || to >= net->n_layers)
        return ss_error_set(err, SS_EUSAGE, "projection '%s': no such layer", name);
    const ss_layer *lf = net->layers[from], *lt = net->layers[to];
    if (ss_layer_type_is_source(lt->type))
        BAD("to", "layer '%s' is a %s source and takes no input", lt->name,
            ss_layer_type_name(lt->type));
    pairs ps = {0};
    rc = draw_pairs(spec, lf->size, lt->size, from == to, rng, &ps, bad_key, err);
    if (rc == SS_ENOMEM)
        rc = ss_error_set(err, SS_ENOMEM, "projection '%s': out of memory", name);
    if (rc) {
        free(ps.pre);
        free(ps.post);
        return rc;
    }
    rc = ss_network_add_synapses(net, name, from, to, ps.n, ps.pre, ps.post, NULL, NULL,
                                 spec->delay_ms, spec->plastic, err);
    free(ps.pre);
    free(ps.post);
    if (rc < 0)
        return rc;
    ss_projection *p = net->projs[rc];
    for (size_t s = 0; s < p->n_syn; s++)
        p->weight[s] = (float)draw_weight(spec, rng);
    if (spec->delay_max_ms > spec->delay_ms) {
        p->delay = malloc((p->n_syn ? p->n_syn : 1) * sizeof *p->delay);
        if (!p->delay)
            return ss_error_set(err, SS_ENOMEM, "projection '%s': out of memory", name);
        for (size_t s = 0; s < p->n_syn; s++)
            p->delay[s] = (float)gsl_ran_flat(rng, spec->delay_ms, spec->delay_max_ms);
        int rs = sort_rows(p, err);
        if (rs)
            return rs;
    }
    return rc;
}

int ss_network_connect(ss_network *net, const char *name, size_t from, size_t to,
                       const ss_projection_spec *spec, gsl_rng *rng, ss_error *err)
{
    return ss__network_connect_k(net, name, from, to, spec, rng, NULL, err);
}
