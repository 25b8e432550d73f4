/* Connectivity rules and the compressed-row builder (see network.h).
 *
 * Every random choice is drawn target by target from streams keyed by the
 * seed, the projection's name and the target neuron (stream.h): partners
 * from (CONNECT, name, target), then the weights and delays of the synapses
 * onto the target, in the order of their presynaptic neurons, from (WEIGHT,
 * name, target) and (DELAY, name, target).  So a seed fixes the network, and
 * the synapses onto a neuron are the same whoever draws them.
 */
#define _POSIX_C_SOURCE 200809L
#include "network_impl.h"

#include <spiksim/stream.h>

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

/* indegree distinct presynaptic neurons of n_pre, never skip (SIZE_MAX: no
 * exclusion), ascending, into dst: Floyd's algorithm (Bentley & Floyd 1987,
 * "A sample of brilliance"), O(indegree) draws with a bitmap of the chosen
 * (mark, n_pre bits, all clear on entry and on return).  gsl_ran_choose()
 * walks all n_pre candidates per target, which for bench4x10 (40 000
 * targets of 32 000 candidates) is 1.3e9 steps. */
static void choose_distinct(ss_stream *s, size_t n_pre, size_t skip, size_t indegree,
                            uint64_t *mark, uint32_t *dst)
{
    size_t m = skip < n_pre ? n_pre - 1 : n_pre; /* candidates, skip removed */
    size_t k = 0;
    for (size_t r = m - indegree; r < m; r++) {
        size_t c = (size_t)ss_stream_below(s, r + 1);
        if (mark[c >> 6] & (UINT64_C(1) << (c & 63)))
            c = r;
        mark[c >> 6] |= UINT64_C(1) << (c & 63);
        dst[k++] = (uint32_t)c;
    }
    /* candidate c is neuron c, or c + 1 from skip on */
    for (size_t i = 0; i < k; i++)
        mark[dst[i] >> 6] &= ~(UINT64_C(1) << (dst[i] & 63));
    for (size_t i = 1; i < k; i++) { /* insertion sort: indegrees are small */
        uint32_t v = dst[i];
        size_t j = i;
        while (j > 0 && dst[j - 1] > v) {
            dst[j] = dst[j - 1];
            j--;
        }
        dst[j] = v;
    }
    if (skip < n_pre)
        for (size_t i = 0; i < k; i++)
            if (dst[i] >= skip)
                dst[i]++;
}

/* The presynaptic partners of every target j in [t_first, t_end), target by
 * target, each from its own stream (seed, CONNECT, projection, j): the
 * synapses onto a neuron do not depend on which other targets are drawn, so
 * a partition (or an MPI rank) can draw just its own. */
static int draw_pairs(const ss_projection_spec *s, uint32_t n_pre, uint32_t n_post, int same,
                      uint64_t seed, uint64_t proj_key, uint32_t t_first, uint32_t t_end, pairs *ps,
                      const char **bad_key, ss_error *err)
{
    int self_ok = !same || s->autapses;
    switch (s->connect) {
    case SS_CONNECT_ONE_TO_ONE:
        if (n_pre != n_post)
            BAD("connect", "one_to_one needs layers of one size (%u and %u)", n_pre, n_post);
        break;
    case SS_CONNECT_FIXED_INDEGREE: {
        size_t cand = same && !s->autapses ? (size_t)n_pre - 1 : n_pre;
        if ((size_t)s->indegree > cand)
            BAD("indegree", "indegree %ld exceeds the %zu possible presynaptic neurons",
                s->indegree, cand);
        break;
    }
    default:
        break;
    }
    uint64_t *mark = NULL;
    uint32_t *dst = NULL;
    if (s->connect == SS_CONNECT_FIXED_INDEGREE && s->indegree > 0) {
        mark = calloc(((size_t)n_pre + 63) / 64, sizeof *mark);
        dst = malloc((size_t)s->indegree * sizeof *dst);
        if (!mark || !dst) {
            free(mark);
            free(dst);
            return SS_ENOMEM;
        }
    }
    /* fixed_prob: skip to the next success with geometric gaps, O(synapses),
     * not O(n_pre * n_post).  The gap is 1 + floor(ln U / ln(1 - p)) (what
     * gsl_ran_geometric() computes), with ln(1 - p) taken once. */
    double log_q = s->p < 1 ? log1p(-s->p) : -INFINITY;
    int rc = SS_OK;
    for (uint32_t j = t_first; j < t_end && rc == SS_OK; j++) {
        ss_stream st;
        ss_stream_init(&st, seed, SS_STREAM_CONNECT, proj_key, j);
        switch (s->connect) {
        case SS_CONNECT_ALL:
            for (uint32_t i = 0; i < n_pre && rc == SS_OK; i++)
                if (self_ok || i != j)
                    rc = pairs_add(ps, i, j);
            break;
        case SS_CONNECT_ONE_TO_ONE:
            if (self_ok || !same)
                rc = pairs_add(ps, j, j);
            break;
        case SS_CONNECT_FIXED_PROB:
            if (s->p <= 0)
                break;
            for (double i = -1;;) {
                i += s->p >= 1 ? 1 : 1 + floor(log(ss_stream_uniform_pos(&st)) / log_q);
                if (i >= n_pre)
                    break;
                if ((self_ok || (uint32_t)i != j) && (rc = pairs_add(ps, (uint32_t)i, j)))
                    break;
            }
            break;
        case SS_CONNECT_LABEL_MATCH:
        case SS_CONNECT_LABEL_MISMATCH:
            /* Post neuron j belongs to class j % n_pre: a broadcast label
             * line reaches its own class (match) or every other (mismatch). */
            for (uint32_t i = 0; i < n_pre && rc == SS_OK; i++)
                if (((j % n_pre == i) == (s->connect == SS_CONNECT_LABEL_MATCH)) &&
                    (self_ok || i != j))
                    rc = pairs_add(ps, i, j);
            break;
        case SS_CONNECT_FIXED_INDEGREE:
            if (s->indegree == 0)
                break;
            choose_distinct(&st, n_pre, self_ok ? SIZE_MAX : j, (size_t)s->indegree, mark, dst);
            for (long k = 0; k < s->indegree && rc == SS_OK; k++)
                rc = pairs_add(ps, dst[k], j);
            break;
        }
    }
    free(mark);
    free(dst);
    return rc;
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

/* Weights (and individual delays) of the synapses onto each target, in the
 * order of their presynaptic neurons, from the target's own streams. */
static void draw_values(const ss_projection_spec *spec, uint64_t seed, uint64_t proj_key,
                        const pairs *ps, float *w, float *d)
{
    uint32_t cur = UINT32_MAX;
    ss_stream ws, ds;
    gsl_rng wr, dr;
    for (size_t k = 0; k < ps->n; k++) {
        if (ps->post[k] != cur) {
            cur = ps->post[k];
            ss_stream_init(&ws, seed, SS_STREAM_WEIGHT, proj_key, cur);
            ss_stream_init(&ds, seed, SS_STREAM_DELAY, proj_key, cur);
            ss_stream_gsl(&ws, &wr);
            ss_stream_gsl(&ds, &dr);
        }
        w[k] = (float)draw_weight(spec, &wr);
        if (d)
            d[k] = (float)gsl_ran_flat(&dr, spec->delay_ms, spec->delay_max_ms);
    }
}

int ss__network_connect_k(ss_network *net, const char *name, size_t from, size_t to,
                          const ss_projection_spec *spec, unsigned long seed, const char **bad_key,
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
    uint64_t key = ss_stream_key_of(name);
    pairs ps = {0};
    /* Only the targets of this process's share of the network. */
    uint32_t t_first = (uint32_t)ss_block_first(lt->size, net->share.first, net->share.n);
    uint32_t t_end = (uint32_t)ss_block_first(lt->size, net->share.end, net->share.n);
    rc = draw_pairs(spec, lf->size, lt->size, from == to, seed, key, t_first, t_end, &ps, bad_key,
                    err);
    float *w = NULL, *d = NULL;
    int delays = spec->delay_max_ms > spec->delay_ms;
    if (rc == SS_OK) {
        w = malloc((ps.n ? ps.n : 1) * sizeof *w);
        d = delays ? malloc((ps.n ? ps.n : 1) * sizeof *d) : NULL;
        if (!w || (delays && !d))
            rc = SS_ENOMEM;
        else
            draw_values(spec, seed, key, &ps, w, d);
    }
    if (rc == SS_ENOMEM)
        rc = ss_error_set(err, SS_ENOMEM, "projection '%s': out of memory", name);
    if (rc == SS_OK)
        rc = ss_network_add_synapses(net, name, from, to, ps.n, ps.pre, ps.post, w, d,
                                     spec->delay_ms, spec->plastic, err);
    free(ps.pre);
    free(ps.post);
    free(w);
    free(d);
    return rc;
}

int ss_network_connect(ss_network *net, const char *name, size_t from, size_t to,
                       const ss_projection_spec *spec, unsigned long seed, ss_error *err)
{
    return ss__network_connect_k(net, name, from, to, spec, seed, NULL, err);
}
