/* Local learning on a running engine, see learn.h and docs/learning-rule.md.
 *
 * Everything happens in engine hooks, at the moment of the event, with the
 * state of the synapse and its two neurons only:
 *   pre hook of a plastic projection   LTD of the arriving spike's synapses,
 *                                      then the synapse-side pre trace jumps;
 *   post hook of a layer               LTP (and the teacher term's depression)
 *                                      of the neuron's plastic inputs, then its
 *                                      post trace jumps and its threshold grows;
 *   pre hook of a teacher projection   the teacher term's potentiation.
 * Pre traces live per projection because they belong to the synapse and are
 * bumped on arrival (after the delay); post traces live per layer.  With
 * several partitions (docs/parallel.md) each partition keeps its own banks:
 * the pre traces of the synapses onto its neurons and the post traces of its
 * neurons, so a hook touches only its own partition's state.
 *
 * With resume_timing = presentation the hooks only count (arrivals per
 * synapse, teacher and own spikes per neuron) and the teacher term is
 * applied from those counts at the end of the sample, as are normalisation
 * and threshold adaptation.  apply_modes() decides which layers learn in the
 * current epoch and rewrites the weights of fixed projections whose value
 * depends on it (label lines, learning_gain).
 */
#include <spiksim/learn.h>

#include <spiksim/plasticity.h>

#include "strutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Bound of the homeostatic threshold offset. */
#define THETA_LIMIT_MV 20.0

typedef struct plastic_proj {
    struct ss_learner *owner;
    ss_projection *proj;
    size_t index, from, to;
    ss_trace_bank **pre; /* x_j at the synapse, per partition (every j in each) */
    /* Individual delays: the spikes of one neuron reach its synapses at
     * different times, so each synapse has its own pre trace (indexed by
     * synapse, not by presynaptic neuron), as a clock-driven simulator keeps
     * one per synapse. */
    int per_synapse;
    ss_stdp_params stdp; /* [plasticity], with this projection's bounds (w_abs_max) */
    unsigned *arrivals;  /* per synapse, spikes arrived this presentation (resume_timing =
                            presentation, onto a taught layer), else NULL */
    double eta_scale;    /* [projection] eta_scale */
    double normalize;    /* target input norm per neuron, 0: off */
    int l2;              /* Euclidean norm (else the sum) */
} plastic_proj;

typedef struct layer_state {
    struct ss_learner *owner;
    size_t index;
    ss_trace_bank **post; /* y_i, per partition (its block), when the layer has plastic input */
    size_t *first;        /* per partition: the first neuron of its block */
    size_t *plastic_in;   /* indices into owner->projs */
    size_t n_plastic_in;
    int taught;         /* receives a teacher (label layer) projection */
    unsigned *n_taught; /* resume_timing = presentation: teacher spikes per neuron */
    unsigned *n_own;    /* and own spikes, this presentation */
    double *theta_mv;   /* adaptive threshold offsets, NULL when off */
    unsigned *n_spikes; /* spikes of each neuron in the current sample */
    double target_spikes, theta_eta_mv, base_bias_mv;
    int theta_at_test;            /* thresholds stay adapted with plasticity off */
    long first_epoch, last_epoch; /* learns in these epochs (1-based, inclusive) */
    int learning;                 /* plasticity on and the epoch is one of them */
    unsigned char *is_spiked;     /* neurons that spiked this sample (normalisation) */
} layer_state;

/* A fixed projection whose weights depend on whether its target layer is
 * learning: one from a label layer acts only on a learning layer (the
 * label's broadcast is a learning signal), and learning_gain scales a
 * projection while its target learns (sharper competition while learning,
 * a graded code otherwise).  Weights are rewritten only when the mode
 * changes. */
typedef struct moded_proj {
    ss_projection *proj;
    size_t to;
    float *base;          /* the configured weights */
    double gain_learning; /* factor while the target learns */
    double gain_resting;  /* factor otherwise: 0 from a label layer, else 1 */
    int mode;             /* 1 learning, 0 resting, -1 not applied yet */
} moded_proj;

typedef struct teacher_proj {
    struct ss_learner *owner;
    size_t index, to;
} teacher_proj;

struct ss_learner {
    ss_network *net;
    ss_engine *eng;
    unsigned n_parts;
    ss_stdp_params stdp;
    double resume_eta;
    double resume_ratio;         /* teacher-spike potentiation / own-spike depression */
    int resume_per_presentation; /* resume_timing = presentation */
    double eta_scale;
    int enabled;
    plastic_proj *projs;
    size_t n_projs;
    layer_state *layers;
    size_t n_layers;
    teacher_proj *teachers;
    size_t n_teachers;
    moded_proj *moded;
    size_t n_moded;
    long epoch; /* 1-based epoch of the training presentations */
};

/* ---- hooks ------------------------------------------------------------ */

/* The additive rule (mu = 0) inline, for the loops over every synapse of a
 * spike: the same arithmetic as ss_stdp_on_post/on_pre (plasticity.c), so
 * the same weights, without a call per synapse.  k is eta * eta_scale * A. */
static inline float additive_up(double lo, double hi, float w, double k, double x)
{
    double nw = w < hi ? (double)w + k * x : (double)w;
    return (float)(nw < lo ? lo : (nw > hi ? hi : nw));
}

static inline float additive_down(double lo, double hi, float w, double k, double y)
{
    double nw = w > lo ? (double)w - k * y : (double)w;
    return (float)(nw < lo ? lo : (nw > hi ? hi : nw));
}

static void on_pre_arrival(void *ctx, unsigned part, size_t projection, uint32_t pre, double t_ms,
                           size_t first_syn, size_t n)
{
    plastic_proj *pp = ctx;
    ss_learner *l = pp->owner;
    (void)projection;
    const layer_state *to = &l->layers[pp->to];
    ss_trace_bank *post = to->post[part];
    size_t base = to->first[part];
    double f = ss_trace_bank_factor(post, t_ms);
    double scale = l->eta_scale * pp->eta_scale;
    const uint32_t *target = ss_projection_targets(pp->proj);
    float *w = ss_projection_weights(pp->proj);
    if (pp->stdp.mu == 0) {
        const double k = pp->stdp.eta * scale * pp->stdp.a_minus;
        const double lo = pp->stdp.w_min, hi = pp->stdp.w_max;
        const double *ys = post->scaled;
        for (size_t s = first_syn; s < first_syn + n; s++) {
            double y = ys[target[s] - base] * f;
            if (y > 0)
                w[s] = additive_down(lo, hi, w[s], k, y);
        }
    } else {
        for (size_t s = first_syn; s < first_syn + n; s++) {
            double y = post->scaled[target[s] - base] * f;
            if (y > 0)
                w[s] = ss_stdp_on_pre(&pp->stdp, w[s], y, scale);
        }
    }
    if (pp->arrivals)
        for (size_t s = first_syn; s < first_syn + n; s++)
            pp->arrivals[s]++;
    if (pp->per_synapse)
        for (size_t s = first_syn; s < first_syn + n; s++)
            ss_trace_bank_spike(pp->pre[part], s, t_ms);
    else
        ss_trace_bank_spike(pp->pre[part], pre, t_ms);
}

/* Adds delta * x_j to every plastic input of neuron i (teacher term). */
static void teach(ss_learner *l, layer_state *ls, unsigned part, uint32_t i, double t_ms,
                  double sign)
{
    for (size_t q = 0; q < ls->n_plastic_in; q++) {
        plastic_proj *pp = &l->projs[ls->plastic_in[q]];
        ss_trace_bank *bank = pp->pre[part];
        double f = ss_trace_bank_factor(bank, t_ms);
        double step = sign * l->resume_eta * l->eta_scale; /* not eta_scale: STDP only */
        const uint32_t *ptr = ss_projection_in_ptr(pp->proj);
        const uint32_t *syn = ss_projection_in_syn(pp->proj);
        const uint32_t *pre = ss_projection_in_pre(pp->proj);
        float *w = ss_projection_weights(pp->proj);
        const uint32_t *at = pp->per_synapse ? syn : pre; /* the trace of synapse syn[k] */
        for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++) {
            double x = bank->scaled[at[k]] * f;
            if (x > 0)
                w[syn[k]] = ss_stdp_clip(&pp->stdp, w[syn[k]] + step * x);
        }
    }
}

static void on_teacher_arrival(void *ctx, unsigned part, size_t projection, uint32_t pre,
                               double t_ms, size_t first_syn, size_t n)
{
    teacher_proj *tp = ctx;
    ss_learner *l = tp->owner;
    (void)pre;
    const uint32_t *target = ss_projection_targets(ss_network_projection(l->net, projection));
    layer_state *ls = &l->layers[tp->to];
    for (size_t s = first_syn; s < first_syn + n; s++) {
        if (ls->n_taught)
            ls->n_taught[target[s]]++;
        else
            teach(l, ls, part, target[s], t_ms, l->resume_ratio);
    }
}

static void on_post_spike(void *ctx, unsigned part, size_t layer, size_t neuron, double t_ms)
{
    layer_state *ls = ctx;
    ss_learner *l = ls->owner;
    (void)layer;
    uint32_t i = (uint32_t)neuron;
    for (size_t q = 0; q < ls->n_plastic_in; q++) {
        plastic_proj *pp = &l->projs[ls->plastic_in[q]];
        ss_trace_bank *bank = pp->pre[part];
        double f = ss_trace_bank_factor(bank, t_ms);
        double scale = l->eta_scale * pp->eta_scale;
        const uint32_t *ptr = ss_projection_in_ptr(pp->proj);
        const uint32_t *syn = ss_projection_in_syn(pp->proj);
        const uint32_t *pre = ss_projection_in_pre(pp->proj);
        float *w = ss_projection_weights(pp->proj);
        const uint32_t *at = pp->per_synapse ? syn : pre; /* the trace of synapse syn[k] */
        if (pp->stdp.mu == 0) {
            const double kp = pp->stdp.eta * scale * pp->stdp.a_plus;
            const double lo = pp->stdp.w_min, hi = pp->stdp.w_max;
            const double *xs = bank->scaled;
            for (uint32_t k = ptr[i], end = ptr[i + 1]; k < end; k++) {
                double x = xs[at[k]] * f;
                if (x > 0)
                    w[syn[k]] = additive_up(lo, hi, w[syn[k]], kp, x);
            }
        } else {
            for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++) {
                double x = bank->scaled[at[k]] * f;
                if (x > 0)
                    w[syn[k]] = ss_stdp_on_post(&pp->stdp, w[syn[k]], x, scale);
            }
        }
    }
    if (ls->n_own)
        ls->n_own[i]++;
    else if (ls->taught && l->resume_eta > 0)
        teach(l, ls, part, i, t_ms, -1);
    if (ls->post)
        ss_trace_bank_spike(ls->post[part], i - ls->first[part], t_ms);
    if (ls->n_spikes)
        ls->n_spikes[i]++;
    ls->is_spiked[i] = 1;
}

static void normalize_inputs(struct plastic_proj *pp, uint32_t i);
static void apply_modes(ss_learner *l);

/* resume_timing = presentation: the counts the teacher term needs, for
 * taught layers and the plastic projections onto them. */
static int alloc_presentation_counts(ss_learner *l, ss_error *err)
{
    for (size_t i = 0; i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        if (!ls->taught)
            continue;
        size_t n = ss_layer_size(ss_network_layer(l->net, i));
        ls->n_taught = calloc(n, sizeof *ls->n_taught);
        ls->n_own = calloc(n, sizeof *ls->n_own);
        if (!ls->n_taught || !ls->n_own)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < l->n_projs; k++) {
        plastic_proj *pp = &l->projs[k];
        if (!l->layers[pp->to].taught)
            continue;
        size_t n = ss_projection_n_synapses(pp->proj);
        pp->arrivals = calloc(n ? n : 1, sizeof *pp->arrivals);
        if (!pp->arrivals)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    return SS_OK;
}

/* The teacher term once per presentation: each plastic input j of a taught
 * neuron i changes by resume_eta * (resume_ratio * teacher spikes - own
 * spikes) * (spikes that arrived at the synapse), then the counts restart. */
static void teach_presentation(ss_learner *l, layer_state *ls)
{
    size_t n = ss_layer_size(ss_network_layer(l->net, ls->index));
    for (uint32_t i = 0; i < n; i++) {
        double d = l->resume_ratio * ls->n_taught[i] - (double)ls->n_own[i];
        if (d == 0)
            continue;
        double step = d * l->resume_eta * l->eta_scale;
        for (size_t q = 0; q < ls->n_plastic_in; q++) {
            plastic_proj *pp = &l->projs[ls->plastic_in[q]];
            const uint32_t *ptr = ss_projection_in_ptr(pp->proj);
            const uint32_t *syn = ss_projection_in_syn(pp->proj);
            float *w = ss_projection_weights(pp->proj);
            for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++) {
                unsigned a = pp->arrivals[syn[k]];
                if (!a)
                    continue;
                w[syn[k]] = ss_stdp_clip(&pp->stdp, w[syn[k]] + step * a);
            }
        }
    }
}

/* Counts of the coming presentation start at 0. */
static void clear_presentation_counts(ss_learner *l)
{
    for (size_t i = 0; i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        size_t n = ss_layer_size(ss_network_layer(l->net, i));
        if (ls->n_taught) {
            memset(ls->n_taught, 0, n * sizeof *ls->n_taught);
            memset(ls->n_own, 0, n * sizeof *ls->n_own);
        }
    }
    for (size_t k = 0; k < l->n_projs; k++)
        if (l->projs[k].arrivals)
            memset(l->projs[k].arrivals, 0,
                   ss_projection_n_synapses(l->projs[k].proj) * sizeof *l->projs[k].arrivals);
}

static int add_moded(ss_learner *l, ss_projection *p, size_t to, double gain_learning,
                     double gain_resting, ss_error *err)
{
    size_t n = ss_projection_n_synapses(p);
    moded_proj *m = &l->moded[l->n_moded];
    m->base = malloc((n ? n : 1) * sizeof *m->base);
    if (!m->base)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    memcpy(m->base, ss_projection_weights(p), n * sizeof *m->base);
    m->proj = p;
    m->to = to;
    m->gain_learning = gain_learning;
    m->gain_resting = gain_resting;
    m->mode = -1;
    l->n_moded++;
    return SS_OK;
}

/* ---- set-up ----------------------------------------------------------- */

/* A label layer is an input layer to the engine; only the model file says
 * it carries the teacher. */
static int is_label_layer(const ss_config *cfg, const char *name)
{
    char sec[256];
    snprintf(sec, sizeof sec, "layer.%s", name);
    return strcmp(ss_config_string(cfg, sec, "type"), "label") == 0;
}

/* "" (every epoch), "N", "FIRST-LAST" or "FIRST-" (to the end); 1-based. */
static int parse_epochs(const ss_config *cfg, const char *sec, long *first, long *last,
                        ss_error *err)
{
    const char *s = ss_config_string(cfg, sec, "learn_epochs");
    *first = 1;
    *last = LONG_MAX;
    if (!*s)
        return SS_OK;
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10), b = a;
    int ok = end != s && a >= 1 && errno == 0;
    if (ok && *end == '-') {
        const char *t = end + 1;
        if (*t) {
            b = strtol(t, &end, 10);
            ok = end != t && b >= a && errno == 0;
        } else {
            b = LONG_MAX;
            end = (char *)t;
        }
    }
    if (!ok || *end)
        return ss_config_error(cfg, err, sec, "learn_epochs",
                               "expected N, FIRST-LAST or FIRST- (epochs count from 1), got '%s'",
                               s);
    *first = a;
    *last = b;
    return SS_OK;
}

static int setup_layer(ss_learner *l, layer_state *ls, size_t index, const ss_config *cfg,
                       ss_error *err)
{
    ss_layer *layer = ss_network_layer(l->net, index);
    size_t n = ss_layer_size(layer);
    ls->owner = l;
    ls->index = index;
    ls->is_spiked = calloc(n, 1);
    ls->first = malloc(l->n_parts * sizeof *ls->first);
    if (!ls->is_spiked || !ls->first)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (unsigned q = 0; q < l->n_parts; q++) {
        size_t end;
        ss_engine_partition_block(l->eng, q, index, &ls->first[q], &end);
    }
    char sec[256];
    snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(layer));
    ls->target_spikes = ss_config_double(cfg, sec, "target_spikes");
    ls->theta_eta_mv = ss_config_double(cfg, sec, "theta_eta_mv");
    ls->theta_at_test = ss_config_bool(cfg, sec, "theta_at_test");
    int rc = parse_epochs(cfg, sec, &ls->first_epoch, &ls->last_epoch, err);
    if (rc != SS_OK)
        return rc;
    const ss_neuron_params *p = ss_layer_params(layer);
    ls->base_bias_mv = p ? p->bias_mv : 0;
    if (ls->target_spikes > 0) {
        if (!p)
            return ss_config_error(cfg, err, sec, "target_spikes",
                                   "a source layer has no threshold to adapt");
        ls->theta_mv = calloc(n, sizeof *ls->theta_mv);
        ls->n_spikes = calloc(n, sizeof *ls->n_spikes);
        if (!ls->theta_mv || !ls->n_spikes)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    return SS_OK;
}

ss_learner *ss_learner_alloc(ss_network *net, ss_engine *eng, const ss_config *cfg, ss_error *err)
{
    ss_learner *l = calloc(1, sizeof *l);
    if (!l) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    l->net = net;
    l->eng = eng;
    ss_engine_plan plan;
    ss_engine_get_plan(eng, &plan);
    l->n_parts = plan.local_partitions; /* this rank's */
    l->eta_scale = 1;
    l->n_layers = ss_network_n_layers(net);
    size_t n_proj = ss_network_n_projections(net);
    l->layers = calloc(l->n_layers, sizeof *l->layers);
    l->projs = calloc(n_proj ? n_proj : 1, sizeof *l->projs);
    l->teachers = calloc(n_proj ? n_proj : 1, sizeof *l->teachers);
    l->moded = calloc(n_proj ? n_proj : 1, sizeof *l->moded);
    l->epoch = 1;
    int rc = !l->layers || !l->projs || !l->teachers || !l->moded
                 ? ss_error_set(err, SS_ENOMEM, "out of memory")
                 : ss_stdp_params_from_config(&l->stdp, cfg, err);
    l->resume_eta = ss_config_double(cfg, "plasticity", "resume_eta");
    l->resume_ratio = ss_config_double(cfg, "plasticity", "resume_ratio");
    l->resume_per_presentation =
        strcmp(ss_config_string(cfg, "plasticity", "resume_timing"), "presentation") == 0;
    int rule_off = strcmp(ss_config_string(cfg, "plasticity", "rule"), "none") == 0;
    for (size_t i = 0; rc == SS_OK && i < l->n_layers; i++)
        rc = setup_layer(l, &l->layers[i], i, cfg, err);
    for (size_t k = 0; rc == SS_OK && k < n_proj; k++) {
        ss_projection *p = ss_network_projection(net, k);
        size_t from = ss_projection_from(p), to = ss_projection_to(p);
        char psec[256];
        snprintf(psec, sizeof psec, "projection.%s", ss_projection_name(p));
        if (ss_config_bool(cfg, psec, "teacher")) {
            if (!is_label_layer(cfg, ss_layer_name(ss_network_layer(net, from)))) {
                rc = ss_config_error(cfg, err, psec, "teacher",
                                     "a teacher projection must come from a layer of type = label");
                break;
            }
            l->teachers[l->n_teachers++] = (teacher_proj){l, k, to};
            l->layers[to].taught = 1;
        }
        double gain = ss_config_double(cfg, psec, "learning_gain");
        int from_label = is_label_layer(cfg, ss_layer_name(ss_network_layer(net, from)));
        if (ss_projection_plastic(p) && gain != 1) {
            rc = ss_config_error(cfg, err, psec, "learning_gain",
                                 "applies to fixed projections only (this one is plastic)");
            break;
        }
        if (!ss_projection_plastic(p) && (from_label || gain != 1)) {
            rc = add_moded(l, p, to, gain, from_label ? 0 : 1, err);
            if (rc != SS_OK)
                break;
        }
        if (!ss_projection_plastic(p) || rule_off)
            continue;
        char sec[256];
        snprintf(sec, sizeof sec, "projection.%s", ss_projection_name(p));
        plastic_proj *pp = &l->projs[l->n_projs];
        pp->owner = l;
        pp->proj = p;
        pp->index = k;
        pp->from = from;
        pp->to = to;
        pp->stdp = l->stdp;
        double w_abs_max = ss_config_double(cfg, sec, "w_abs_max");
        if (w_abs_max > 0) {
            pp->stdp.w_min = -w_abs_max;
            pp->stdp.w_max = w_abs_max;
        }
        pp->eta_scale = ss_config_double(cfg, sec, "eta_scale");
        pp->normalize = ss_config_double(cfg, sec, "normalize");
        pp->l2 = strcmp(ss_config_string(cfg, sec, "normalize_norm"), "l2") == 0;
        layer_state *post = &l->layers[to];
        pp->per_synapse = ss_projection_delays(p) != NULL;
        size_t n_pre_traces = pp->per_synapse ? ss_projection_n_synapses(p)
                                              : ss_layer_size(ss_network_layer(net, from));
        int ok = (pp->pre = calloc(l->n_parts, sizeof *pp->pre)) != NULL;
        if (ok && !post->post)
            ok = (post->post = calloc(l->n_parts, sizeof *post->post)) != NULL;
        for (unsigned q = 0; ok && q < l->n_parts; q++) {
            ok = (pp->pre[q] = ss_trace_bank_alloc(n_pre_traces, l->stdp.tau_plus_ms,
                                                   l->stdp.nearest)) != NULL;
            if (ok && !post->post[q]) {
                size_t first, end;
                ss_engine_partition_block(eng, q, to, &first, &end);
                ok = (post->post[q] = ss_trace_bank_alloc(end - first, l->stdp.tau_minus_ms,
                                                          l->stdp.nearest)) != NULL;
            }
        }
        size_t *in = ok ? realloc(post->plastic_in, (post->n_plastic_in + 1) * sizeof *in) : NULL;
        if (!in) {
            free(in == post->plastic_in ? NULL : in);
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
            break;
        }
        post->plastic_in = in;
        post->plastic_in[post->n_plastic_in++] = l->n_projs;
        l->n_projs++;
        rc = ss_projection_build_incoming(p, err);
        /* Start every neuron at its normalised input sum, so a neuron that
         * rarely wins is not favoured (or ruled out) by its initial draw. */
        if (rc == SS_OK && pp->normalize > 0)
            for (uint32_t i = 0; i < ss_layer_size(ss_network_layer(net, to)); i++)
                normalize_inputs(pp, i);
    }
    if (rc == SS_OK && l->resume_per_presentation && l->resume_eta > 0)
        rc = alloc_presentation_counts(l, err);
    if (rc != SS_OK) {
        ss_learner_free(l);
        return NULL;
    }
    apply_modes(l);
    return l;
}

void ss_learner_free(ss_learner *l)
{
    if (!l)
        return;
    if (l->enabled)
        ss_learner_set_enabled(l, 0);
    for (size_t i = 0; l->layers && i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        for (unsigned q = 0; ls->post && q < l->n_parts; q++)
            ss_trace_bank_free(ls->post[q]);
        free(ls->post);
        free(ls->first);
        free(ls->plastic_in);
        free(ls->theta_mv);
        free(ls->n_spikes);
        free(ls->n_taught);
        free(ls->n_own);
        free(ls->is_spiked);
    }
    for (size_t k = 0; k < l->n_projs; k++) {
        for (unsigned q = 0; l->projs[k].pre && q < l->n_parts; q++)
            ss_trace_bank_free(l->projs[k].pre[q]);
        free(l->projs[k].pre);
        free(l->projs[k].arrivals);
    }
    free(l->layers);
    free(l->projs);
    free(l->teachers);
    for (size_t k = 0; l->moded && k < l->n_moded; k++)
        free(l->moded[k].base);
    free(l->moded);
    free(l);
}

size_t ss_learner_n_plastic(const ss_learner *l)
{
    return l->n_projs;
}

void ss_learner_plastic(const ss_learner *l, size_t k, size_t *projection, double *w_min,
                        double *w_max)
{
    *projection = l->projs[k].index;
    *w_min = l->projs[k].stdp.w_min;
    *w_max = l->projs[k].stdp.w_max;
}

/* Which layers learn now (plasticity on and the epoch in their
 * learn_epochs), their hooks, and the weights of the moded projections. */
static void apply_modes(ss_learner *l)
{
    for (size_t i = 0; i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        ls->learning = l->enabled && l->epoch >= ls->first_epoch && l->epoch <= ls->last_epoch;
        int wanted = ls->n_plastic_in > 0 || ls->theta_mv;
        ss_engine_set_post_hook(l->eng, i, ls->learning && wanted ? on_post_spike : NULL, ls);
    }
    for (size_t k = 0; k < l->n_projs; k++)
        ss_engine_set_pre_hook(l->eng, l->projs[k].index,
                               l->layers[l->projs[k].to].learning ? on_pre_arrival : NULL,
                               &l->projs[k]);
    for (size_t k = 0; k < l->n_teachers; k++)
        ss_engine_set_pre_hook(
            l->eng, l->teachers[k].index,
            l->layers[l->teachers[k].to].learning && l->resume_eta > 0 ? on_teacher_arrival : NULL,
            &l->teachers[k]);
    for (size_t k = 0; k < l->n_moded; k++) {
        moded_proj *m = &l->moded[k];
        int mode = l->layers[m->to].learning;
        if (mode == m->mode)
            continue;
        double gain = mode ? m->gain_learning : m->gain_resting;
        float *w = ss_projection_weights(m->proj);
        for (size_t s = 0; s < ss_projection_n_synapses(m->proj); s++)
            w[s] = (float)(m->base[s] * gain);
        m->mode = mode;
    }
}

void ss_learner_set_enabled(ss_learner *l, int enabled)
{
    l->enabled = enabled;
    apply_modes(l);
}

void ss_learner_set_epoch(ss_learner *l, long epoch)
{
    l->epoch = epoch;
    apply_modes(l);
}

int ss_learner_layer_learning(const ss_learner *l, size_t layer)
{
    return l->layers[layer].learning;
}

long ss_learner_first_epoch(const ss_learner *l, size_t layer)
{
    const layer_state *ls = &l->layers[layer];
    return ls->n_plastic_in > 0 || ls->theta_mv ? ls->first_epoch : 0;
}

void ss_learner_set_eta_scale(ss_learner *l, double scale)
{
    l->eta_scale = scale;
}

void ss_learner_begin_sample(ss_learner *l, double t0_ms, double presented_ms)
{
    (void)presented_ms;
    if (l->enabled) {
        clear_presentation_counts(l);
        for (size_t k = 0; k < l->n_projs; k++)
            for (unsigned q = 0; q < l->n_parts; q++)
                ss_trace_bank_reset(l->projs[k].pre[q], t0_ms);
        for (size_t i = 0; i < l->n_layers; i++)
            for (unsigned q = 0; l->layers[i].post && q < l->n_parts; q++)
                ss_trace_bank_reset(l->layers[i].post[q], t0_ms);
    }
    ss_learner_apply_thresholds(l, l->eng);
}

void ss_learner_apply_thresholds(const ss_learner *l, ss_engine *eng)
{
    for (size_t i = 0; i < l->n_layers; i++) {
        const layer_state *ls = &l->layers[i];
        if (!ls->theta_mv)
            continue;
        /* A raised threshold is applied as a lowered bias: for these linear
         * neurons the two differ only in where the reset lands.  Testing
         * uses the base threshold unless theta_at_test: the offsets exist
         * to share the training samples among a group's neurons, and their
         * spread (a few mV) is larger than the drive margin between the
         * best and second-best matching neuron (under 1 mV on MNIST), so
         * kept at test they, not the match, would pick the winner. */
        int apply = ls->learning || ls->theta_at_test;
        size_t n = ss_layer_size(ss_network_layer(l->net, i));
        for (size_t k = 0; k < n; k++)
            ss_engine_set_bias(eng, i, k, ls->base_bias_mv - (apply ? ls->theta_mv[k] : 0), NULL);
    }
}

/* Scales neuron i's plastic inputs of pp to norm pp->normalize.  With the
 * Euclidean norm a neuron's drive measures the cosine between its weights
 * and the input, so a broad prototype does not outvote a sharp one. */
static void normalize_inputs(plastic_proj *pp, uint32_t i)
{
    const uint32_t *ptr = ss_projection_in_ptr(pp->proj);
    const uint32_t *syn = ss_projection_in_syn(pp->proj);
    float *w = ss_projection_weights(pp->proj);
    double norm = 0;
    for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++)
        norm += pp->l2 ? (double)w[syn[k]] * w[syn[k]] : w[syn[k]];
    if (pp->l2)
        norm = sqrt(norm);
    if (norm <= 0)
        return;
    double scale = pp->normalize / norm;
    for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++)
        w[syn[k]] = (float)(w[syn[k]] * scale);
}

/* Homeostasis: each neuron's threshold moves toward firing target_spikes
 * per presentation; bounded so a silent neuron cannot drift forever. */
static void adapt_thresholds(ss_learner *l, layer_state *ls)
{
    size_t n = ss_layer_size(ss_network_layer(l->net, ls->index));
    for (size_t k = 0; k < n; k++) {
        double theta =
            ls->theta_mv[k] + ls->theta_eta_mv * ((double)ls->n_spikes[k] - ls->target_spikes);
        ls->theta_mv[k] = theta < -THETA_LIMIT_MV
                              ? -THETA_LIMIT_MV
                              : (theta > THETA_LIMIT_MV ? THETA_LIMIT_MV : theta);
        ls->n_spikes[k] = 0;
    }
}

void ss_learner_end_sample(ss_learner *l)
{
    if (!l->enabled)
        return; /* nothing was learned, and nothing is written */
    for (size_t i = 0; i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        if (ls->n_taught && ls->learning)
            teach_presentation(l, ls);
        size_t size = ss_layer_size(ss_network_layer(l->net, i));
        for (uint32_t n = 0; ls->learning && n < size; n++) {
            if (!ls->is_spiked[n])
                continue;
            /* Only a neuron that spiked has changed inputs: LTD needs its
             * post trace, LTP its spike. */
            for (size_t q = 0; q < ls->n_plastic_in; q++) {
                plastic_proj *pp = &l->projs[ls->plastic_in[q]];
                if (pp->normalize > 0)
                    normalize_inputs(pp, n);
            }
        }
        memset(ls->is_spiked, 0, size);
        if (ls->theta_mv && ls->learning)
            adapt_thresholds(l, ls);
    }
}

/* ---- checkpoints ------------------------------------------------------ */

/* A fingerprint of a projection's connectivity (row offsets and targets),
 * so weights are never loaded into synapses drawn differently (another seed
 * with random connectivity, another rule). */
static double connectivity_crc(const ss_network *net, const ss_projection *p)
{
    size_t n_pre = ss_layer_size(ss_network_layer(net, ss_projection_from(p)));
    uLong crc = crc32(0L, Z_NULL, 0);
    crc =
        crc32(crc, (const Bytef *)ss_projection_row_ptr(p), (uInt)((n_pre + 1) * sizeof(uint32_t)));
    crc = crc32(crc, (const Bytef *)ss_projection_targets(p),
                (uInt)(ss_projection_n_synapses(p) * sizeof(uint32_t)));
    return (double)crc;
}

/* Names "projection.NAME.weights", "projection.NAME.connectivity",
 * "layer.NAME.theta_mv"; and "network.shape" = layer sizes then synapse
 * counts, so a checkpoint of another model is refused with a clear message. */
static int shape_of(const ss_network *net, double **out, size_t *n, ss_error *err)
{
    size_t n_l = ss_network_n_layers(net), n_p = ss_network_n_projections(net);
    *n = 2 + n_l + n_p;
    *out = malloc(*n * sizeof **out);
    if (!*out)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    (*out)[0] = (double)n_l;
    (*out)[1] = (double)n_p;
    for (size_t i = 0; i < n_l; i++)
        (*out)[2 + i] = (double)ss_layer_size(ss_network_layer(net, i));
    for (size_t k = 0; k < n_p; k++)
        (*out)[2 + n_l + k] = (double)ss_projection_n_synapses(ss_network_projection(net, k));
    return SS_OK;
}

/* Moded projections are saved as configured (their base weights), whatever
 * mode the network is in when it is saved. */
static const moded_proj *moded_of(const ss_learner *l, const ss_projection *p)
{
    for (size_t k = 0; k < l->n_moded; k++)
        if (l->moded[k].proj == p)
            return &l->moded[k];
    return NULL;
}

int ss_learner_save(const ss_learner *l, ss_checkpoint *ck, ss_error *err)
{
    double *shape;
    size_t n_shape;
    int rc = shape_of(l->net, &shape, &n_shape, err);
    if (rc == SS_OK)
        rc = ss_checkpoint_add_f64(ck, "network.shape", shape, n_shape, err);
    free(shape);
    for (size_t k = 0; rc == SS_OK && k < ss_network_n_projections(l->net); k++) {
        ss_projection *p = ss_network_projection(l->net, k);
        double crc = connectivity_crc(l->net, p);
        char *cname = ss_strprintf("projection.%s.connectivity", ss_projection_name(p));
        char *wname = ss_strprintf("projection.%s.weights", ss_projection_name(p));
        if (!cname || !wname)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        if (rc == SS_OK)
            rc = ss_checkpoint_add_f64(ck, cname, &crc, 1, err);
        const moded_proj *m = moded_of(l, p);
        if (rc == SS_OK)
            rc = ss_checkpoint_add_f32(ck, wname, m ? m->base : ss_projection_weights(p),
                                       ss_projection_n_synapses(p), err);
        free(cname);
        free(wname);
    }
    for (size_t i = 0; rc == SS_OK && i < l->n_layers; i++)
        if (l->layers[i].theta_mv) {
            ss_layer *layer = ss_network_layer(l->net, i);
            char *name = ss_strprintf("layer.%s.theta_mv", ss_layer_name(layer));
            rc = name ? ss_checkpoint_add_f64(ck, name, l->layers[i].theta_mv, ss_layer_size(layer),
                                              err)
                      : ss_error_set(err, SS_ENOMEM, "out of memory");
            free(name);
        }
    return rc;
}

/* This rank's neurons of a layer, [*first, *end), when its engine's
 * partitions span the ranks (else the whole layer). */
static void owned_range(const ss_learner *l, size_t layer, size_t *first, size_t *end)
{
    ss_engine_plan plan;
    ss_engine_get_plan(l->eng, &plan);
    size_t n = ss_layer_size(ss_network_layer(l->net, layer));
    *first = 0;
    *end = n;
    if (plan.distributed) {
        *first = ss_block_first(n, plan.first_partition, plan.partitions);
        *end = ss_block_first(n, plan.first_partition + plan.local_partitions, plan.partitions);
    }
}

int ss_learner_sync(ss_learner *l, ss_comm *comm, ss_error *err)
{
    ss_engine_plan plan;
    ss_engine_get_plan(l->eng, &plan);
    if (!plan.distributed)
        return SS_OK;
    /* Each rank learned the synapses onto its own neurons and their
     * thresholds; the others' copies are stale.  Zero what is not ours and
     * sum: a value plus zeros is exact. */
    for (size_t k = 0; k < l->n_projs; k++) {
        plastic_proj *pp = &l->projs[k];
        size_t first, end;
        owned_range(l, pp->to, &first, &end);
        const uint32_t *target = ss_projection_targets(pp->proj);
        float *w = ss_projection_weights(pp->proj);
        size_t n = ss_projection_n_synapses(pp->proj);
        for (size_t s = 0; s < n; s++)
            if (target[s] < first || target[s] >= end)
                w[s] = 0;
        int rc = ss_comm_sum_f32(comm, w, n, err);
        if (rc != SS_OK)
            return rc;
    }
    for (size_t i = 0; i < l->n_layers; i++) {
        layer_state *ls = &l->layers[i];
        if (!ls->theta_mv)
            continue;
        size_t first, end, n = ss_layer_size(ss_network_layer(l->net, i));
        owned_range(l, i, &first, &end);
        for (size_t k = 0; k < n; k++)
            if (k < first || k >= end)
                ls->theta_mv[k] = 0;
        int rc = ss_comm_sum_f64(comm, ls->theta_mv, n, err);
        if (rc != SS_OK)
            return rc;
    }
    return SS_OK;
}

/* The plastic projection state of p, NULL when it is fixed (or the rule is
 * off). */
static const plastic_proj *plastic_of(const ss_learner *l, const ss_projection *p)
{
    for (size_t k = 0; k < l->n_projs; k++)
        if (l->projs[k].proj == p)
            return &l->projs[k];
    return NULL;
}

/* A loaded array must hold finite values within [lo, hi]; the message
 * names the array and the index at fault. */
static int check_values(const char *array, const double *v64, const float *v32, size_t n, double lo,
                        double hi, ss_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double x = v64 ? v64[i] : (double)v32[i];
        if (!isfinite(x))
            return ss_error_set(err, SS_EDATA, "checkpoint: %s[%zu] = %g is not a finite number",
                                array, i, x);
        if (x < lo || x > hi)
            return ss_error_set(err, SS_EDATA,
                                "checkpoint: %s[%zu] = %g lies outside [%g, %g], the bounds of "
                                "this model",
                                array, i, x, lo, hi);
    }
    return SS_OK;
}

int ss_learner_load(ss_learner *l, const ss_checkpoint *ck, ss_error *err)
{
    double *want, *have;
    size_t n;
    int rc = shape_of(l->net, &want, &n, err);
    if (rc != SS_OK)
        return rc;
    have = malloc(n * sizeof *have);
    if (!have) {
        free(want);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    rc = ss_checkpoint_get_f64(ck, "network.shape", have, n, err);
    if (rc == SS_OK && memcmp(want, have, n * sizeof *want) != 0)
        rc = ss_error_set(err, SS_EDATA,
                          "checkpoint: saved from a network of another shape (layer sizes or "
                          "synapse counts differ from this model's)");
    free(want);
    free(have);
    /* Everything is read and checked before anything is changed: a bad
     * checkpoint leaves the network as it was. */
    size_t n_p = ss_network_n_projections(l->net);
    float **w = calloc(n_p ? n_p : 1, sizeof *w);
    double **theta = calloc(l->n_layers, sizeof *theta);
    if (!w || !theta)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t k = 0; rc == SS_OK && k < n_p; k++) {
        ss_projection *p = ss_network_projection(l->net, k);
        const char *pname = ss_projection_name(p);
        char *name = ss_strprintf("projection.%s.connectivity", pname);
        double crc;
        rc = name ? ss_checkpoint_get_f64(ck, name, &crc, 1, err)
                  : ss_error_set(err, SS_ENOMEM, "out of memory");
        free(name);
        if (rc == SS_OK && crc != connectivity_crc(l->net, p))
            rc = ss_error_set(err, SS_EDATA,
                              "checkpoint: projection '%s' was drawn with other synapses "
                              "(another seed?)",
                              pname);
        size_t ns = ss_projection_n_synapses(p);
        if (rc == SS_OK && !(w[k] = malloc((ns ? ns : 1) * sizeof *w[k])))
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        name = rc == SS_OK ? ss_strprintf("projection.%s.weights", pname) : NULL;
        if (rc == SS_OK && !name)
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        if (rc == SS_OK)
            rc = ss_checkpoint_get_f32(ck, name, w[k], ns, err);
        /* plastic weights within the rule's bounds (w_abs_max or
         * [w_min, w_max]); fixed ones finite */
        const plastic_proj *pp = plastic_of(l, p);
        if (rc == SS_OK)
            rc = check_values(name, NULL, w[k], ns, pp ? pp->stdp.w_min : -INFINITY,
                              pp ? pp->stdp.w_max : INFINITY, err);
        free(name);
    }
    for (size_t i = 0; rc == SS_OK && i < l->n_layers; i++) {
        if (!l->layers[i].theta_mv)
            continue;
        ss_layer *layer = ss_network_layer(l->net, i);
        size_t nn = ss_layer_size(layer);
        char *name = ss_strprintf("layer.%s.theta_mv", ss_layer_name(layer));
        theta[i] = malloc(nn * sizeof *theta[i]);
        if (!name || !theta[i])
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        if (rc == SS_OK)
            rc = ss_checkpoint_get_f64(ck, name, theta[i], nn, err);
        if (rc == SS_OK)
            rc = check_values(name, theta[i], NULL, nn, -THETA_LIMIT_MV, THETA_LIMIT_MV, err);
        free(name);
    }
    for (size_t k = 0; rc == SS_OK && k < n_p; k++) {
        ss_projection *p = ss_network_projection(l->net, k);
        moded_proj *m = (moded_proj *)moded_of(l, p);
        memcpy(m ? m->base : ss_projection_weights(p), w[k],
               ss_projection_n_synapses(p) * sizeof *w[k]);
        if (m)
            m->mode = -1; /* rewritten from the loaded base below */
    }
    for (size_t i = 0; rc == SS_OK && i < l->n_layers; i++)
        if (theta[i])
            memcpy(l->layers[i].theta_mv, theta[i],
                   ss_layer_size(ss_network_layer(l->net, i)) * sizeof *theta[i]);
    if (rc == SS_OK)
        apply_modes(l);
    for (size_t k = 0; w && k < n_p; k++)
        free(w[k]);
    for (size_t i = 0; theta && i < l->n_layers; i++)
        free(theta[i]);
    free(w);
    free(theta);
    return rc;
}

double ss_learner_theta_mv(const ss_learner *l, size_t layer, size_t neuron)
{
    return l->layers[layer].theta_mv ? l->layers[layer].theta_mv[neuron] : 0;
}

double ss_learner_test_theta_mv(const ss_learner *l, size_t layer, size_t neuron)
{
    return l->layers[layer].theta_at_test ? ss_learner_theta_mv(l, layer, neuron) : 0;
}
