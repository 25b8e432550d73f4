/* The spiking classifier: presentation, training epochs, evaluation,
 * checkpoints.  See train.h. */
#include <spiksim/train.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ss_classifier {
    ss_network *net;
    ss_engine *eng;
    ss_learner *learner;
    ss_encoder enc;
    gsl_rng *build_rng; /* network construction, then the engine's Poisson draws */
    gsl_rng *order_rng; /* presentation order */
    unsigned long seed;
    size_t input, output;
    int label; /* label layer index, -1 when none */
    size_t n_classes;
    double teacher_rate_hz;
    double *rates;       /* input rates of one sample */
    double *label_rates; /* label layer rates */
    unsigned *counts;    /* output spikes in the current presentation */
    double *first_ms;
    double t0_ms;
    FILE *log;                 /* -v: per-layer activity of each phase */
    uint64_t *layer_mark;      /* layer spike counts at the start of a phase */
    ss_presentation_fn listen; /* rasters, live views */
    void *listen_ctx;
};

void ss_classifier_set_log(ss_classifier *c, FILE *log)
{
    c->log = log;
}

void ss_classifier_set_listener(ss_classifier *c, ss_presentation_fn fn, void *ctx)
{
    c->listen = fn;
    c->listen_ctx = ctx;
}

void ss_classifier_get_listener(const ss_classifier *c, ss_presentation_fn *fn, void **ctx)
{
    *fn = c->listen;
    *ctx = c->listen_ctx;
}

/* ss_classifier_present() with the listener told before and after. */
static int present_heard(ss_classifier *c, const double *x, int label, int train, ss_pass kind,
                         long epoch, size_t index, ss_presentation *p, ss_error *err)
{
    if (c->listen)
        c->listen(c->listen_ctx, 1, kind, epoch, index, label, -1,
                  c->enc.reset ? 0 : ss_engine_time(c->eng));
    int rc = ss_classifier_present(c, x, train ? label : -1, train, p, err);
    if (c->listen && rc == SS_OK)
        c->listen(c->listen_ctx, 0, kind, epoch, index, label, p->predicted, p->t0_ms);
    return rc;
}

/* Starts (n_samples = 0) or ends a logged phase. */
static void log_phase(ss_classifier *c, const char *phase, size_t n_samples)
{
    if (!c->log || !c->layer_mark)
        return;
    size_t n_layers = ss_network_n_layers(c->net);
    if (n_samples == 0) {
        for (size_t i = 0; i < n_layers; i++)
            c->layer_mark[i] = ss_engine_layer_spikes(c->eng, i);
        return;
    }
    fprintf(c->log, "spiksim: %s: spikes per neuron and presentation:", phase);
    for (size_t i = 0; i < n_layers; i++) {
        ss_layer *l = ss_network_layer(c->net, i);
        double d = (double)(ss_engine_layer_spikes(c->eng, i) - c->layer_mark[i]);
        fprintf(c->log, " %s %.2f", ss_layer_name(l),
                d / (double)n_samples / (double)ss_layer_size(l));
    }
    fprintf(c->log, "\n");
}

/* Counts output spikes of the current presentation. */
static void count_output(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    ss_classifier *c = ctx;
    if (layer != c->output)
        return;
    if (c->counts[neuron]++ == 0)
        c->first_ms[neuron] = t_ms - c->t0_ms;
}

/* The single layer whose model-file type is type, -1 when there is none,
 * -2 when several.  (Label layers are input layers to the engine.) */
static int layer_of_type(const ss_network *net, const ss_config *cfg, const char *type)
{
    int found = -1;
    for (size_t i = 0; i < ss_network_n_layers(net); i++) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(ss_network_layer(net, i)));
        if (strcmp(ss_config_string(cfg, sec, "type"), type) == 0)
            found = found == -1 ? (int)i : -2;
    }
    return found;
}

static int find_layers(ss_classifier *c, const ss_config *cfg, size_t n_inputs, ss_error *err)
{
    int input = layer_of_type(c->net, cfg, "input");
    if (input < 0)
        return ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                               "a classifier needs exactly one layer of type = input (found %s)",
                               input == -1 ? "none" : "several");
    c->input = (size_t)input;
    if (ss_layer_size(ss_network_layer(c->net, c->input)) != n_inputs) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(ss_network_layer(c->net, c->input)));
        return ss_config_error(cfg, err, sec, "size",
                               "the encoder drives %zu input neurons (features x population)",
                               n_inputs);
    }
    const char *out_name = ss_config_string(cfg, "train", "output_layer");
    int output = ss_network_find_layer(c->net, out_name);
    if (output < 0)
        return ss_config_error(cfg, err, "train", "output_layer", "no layer named '%s'", out_name);
    c->output = (size_t)output;
    if (ss_layer_size(ss_network_layer(c->net, c->output)) != c->n_classes) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", out_name);
        return ss_config_error(cfg, err, sec, "size",
                               "the output layer needs one neuron per class (%zu)", c->n_classes);
    }
    c->label = layer_of_type(c->net, cfg, "label");
    if (c->label == -2)
        return ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0,
                               "a classifier takes at most one layer of type = label");
    if (c->label >= 0 &&
        ss_layer_size(ss_network_layer(c->net, (size_t)c->label)) != c->n_classes) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s",
                 ss_layer_name(ss_network_layer(c->net, (size_t)c->label)));
        return ss_config_error(cfg, err, sec, "size",
                               "the label layer needs one neuron per class (%zu)", c->n_classes);
    }
    return SS_OK;
}

ss_classifier *ss_classifier_alloc(const ss_config *cfg, size_t n_features, size_t n_classes,
                                   unsigned long seed, ss_error *err)
{
    ss_classifier *c = calloc(1, sizeof *c);
    if (!c) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    c->n_classes = n_classes;
    c->label = -1;
    c->teacher_rate_hz = ss_config_double(cfg, "plasticity", "teacher_rate_hz");
    c->build_rng = gsl_rng_alloc(gsl_rng_mt19937);
    c->order_rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = SS_OK;
    if (!c->build_rng || !c->order_rng) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        goto fail;
    }
    /* Two streams from one seed: changing how many samples are shuffled
     * must not change the network drawn. */
    c->seed = seed;
    gsl_rng_set(c->build_rng, seed);
    gsl_rng_set(c->order_rng, seed ^ 0x9e3779b9UL);
    rc = ss_encoder_init(&c->enc, cfg, n_features, err);
    if (rc != SS_OK)
        goto fail;
    c->net = ss_network_from_config(cfg, c->build_rng, err);
    if (!c->net) {
        rc = err ? err->code : SS_ECONFIG;
        goto fail;
    }
    rc = find_layers(c, cfg, ss_encoder_n_inputs(&c->enc), err);
    if (rc != SS_OK)
        goto fail;
    c->eng = ss_engine_alloc(c->net, c->build_rng, err);
    if (!c->eng) {
        rc = err ? err->code : SS_ENOMEM;
        goto fail;
    }
    c->learner = ss_learner_alloc(c->net, c->eng, cfg, err);
    if (!c->learner) {
        rc = err ? err->code : SS_ENOMEM;
        goto fail;
    }
    c->rates = calloc(ss_encoder_n_inputs(&c->enc), sizeof *c->rates);
    c->label_rates = calloc(n_classes, sizeof *c->label_rates);
    c->counts = calloc(n_classes, sizeof *c->counts);
    c->first_ms = calloc(n_classes, sizeof *c->first_ms);
    c->layer_mark = calloc(ss_network_n_layers(c->net), sizeof *c->layer_mark);
    if (!c->rates || !c->label_rates || !c->counts || !c->first_ms || !c->layer_mark) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
        goto fail;
    }
    rc = ss_engine_add_observer(c->eng, count_output, c);
    if (rc != SS_OK) {
        ss_error_set(err, rc, "out of memory");
        goto fail;
    }
    return c;
fail:
    ss_classifier_free(c);
    return NULL;
}

void ss_classifier_free(ss_classifier *c)
{
    if (!c)
        return;
    ss_learner_free(c->learner);
    ss_engine_free(c->eng);
    ss_network_free(c->net);
    gsl_rng_free(c->build_rng);
    gsl_rng_free(c->order_rng);
    free(c->rates);
    free(c->label_rates);
    free(c->counts);
    free(c->first_ms);
    free(c->layer_mark);
    free(c);
}

ss_network *ss_classifier_network(ss_classifier *c)
{
    return c->net;
}

ss_engine *ss_classifier_engine(ss_classifier *c)
{
    return c->eng;
}

const ss_encoder *ss_classifier_encoder(const ss_classifier *c)
{
    return &c->enc;
}

const ss_learner *ss_classifier_learner(const ss_classifier *c)
{
    return c->learner;
}

size_t ss_classifier_input_layer(const ss_classifier *c)
{
    return c->input;
}

size_t ss_classifier_output_layer(const ss_classifier *c)
{
    return c->output;
}

int ss_classifier_present(ss_classifier *c, const double *features, int label, int train,
                          ss_presentation *out, ss_error *err)
{
    const ss_encoder *enc = &c->enc;
    if (enc->reset)
        ss_engine_reset(c->eng);
    c->t0_ms = ss_engine_time(c->eng);
    double window_ms = ss_encoder_window_ms(enc, train);
    double t1_ms = c->t0_ms + window_ms;
    for (size_t k = 0; k < c->n_classes; k++) {
        c->counts[k] = 0;
        c->first_ms[k] = INFINITY;
    }
    ss_learner_begin_sample(c->learner, c->t0_ms, window_ms);
    ss_encoder_rates(enc, features, c->rates);
    ss_input_mode mode = enc->scheme == SS_ENCODE_REGULAR ? SS_INPUT_REGULAR : SS_INPUT_POISSON;
    int rc = ss_engine_set_input(c->eng, c->input, c->rates, mode, c->t0_ms, t1_ms, err);
    if (rc == SS_OK && c->label >= 0) {
        for (size_t k = 0; k < c->n_classes; k++)
            c->label_rates[k] = train && (int)k == label ? c->teacher_rate_hz : 0;
        rc = ss_engine_set_input(c->eng, (size_t)c->label, c->label_rates, mode, c->t0_ms, t1_ms,
                                 err);
    }
    if (rc == SS_OK)
        rc = ss_engine_run(c->eng, t1_ms, err);
    /* The readout window is the presentation; rest_ms lets activity die
     * out before the next sample when state is not reset. */
    int predicted = ss_readout_predict(c->counts, c->first_ms, c->n_classes);
    if (rc == SS_OK && !enc->reset && enc->rest_ms > 0)
        rc = ss_engine_run(c->eng, t1_ms + enc->rest_ms, err);
    ss_learner_end_sample(c->learner);
    if (out) {
        out->predicted = predicted;
        out->counts = c->counts;
        out->first_spike_ms = c->first_ms;
        out->t0_ms = c->t0_ms;
    }
    return rc;
}

/* One 64-bit value from a seed and a key (splitmix64's finaliser), to seed
 * a query's own input stream. */
static unsigned long mix_key(unsigned long seed, uint64_t key)
{
    uint64_t z = (uint64_t)seed * 0x9e3779b97f4a7c15ULL + key + 0x632be59bd9b4e019ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned long)(z ^ (z >> 31));
}

int ss_classifier_query(ss_classifier *c, const double *x, size_t n, const uint64_t *noise_keys,
                        unsigned *counts, int *predicted, ss_error *err)
{
    size_t nf = c->enc.n_features;
    ss_learner_set_enabled(c->learner, 0);
    /* The query's spikes come from a copy of the running stream's state,
     * which is put back afterwards: queries change nothing else. */
    gsl_rng *saved = gsl_rng_clone(c->build_rng);
    if (!saved)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    ss_presentation_fn listen = c->listen;
    c->listen = NULL;
    int rc = SS_OK;
    for (size_t i = 0; i < n && rc == SS_OK; i++) {
        gsl_rng_set(c->build_rng, mix_key(c->seed, noise_keys[i]));
        ss_presentation p;
        rc = ss_classifier_present(c, x + i * nf, -1, 0, &p, err);
        if (rc != SS_OK)
            break;
        memcpy(counts + i * c->n_classes, p.counts, c->n_classes * sizeof *counts);
        if (predicted)
            predicted[i] = p.predicted;
    }
    c->listen = listen;
    gsl_rng_memcpy(c->build_rng, saved);
    gsl_rng_free(saved);
    return rc;
}

static int evaluate_pass(ss_classifier *c, const double *x, const int *y, size_t n,
                         ss_confusion *confusion, ss_progress *progress, const char *phase,
                         ss_pass kind, double *accuracy, ss_error *err)
{
    size_t n_features = c->enc.n_features;
    long right = 0;
    ss_learner_set_enabled(c->learner, 0);
    /* Every evaluation draws its input spikes from the same stream, so a
     * network restored from a checkpoint tests exactly as it did when saved. */
    gsl_rng_set(c->build_rng, c->seed ^ 0x85ebca6bUL);
    log_phase(c, phase, 0);
    if (progress)
        ss_progress_begin(progress, phase, (long)n);
    for (size_t s = 0; s < n; s++) {
        ss_presentation p;
        int rc = present_heard(c, x + s * n_features, y[s], 0, kind, -1, s, &p, err);
        if (rc != SS_OK)
            return rc;
        right += p.predicted == y[s];
        if (confusion)
            ss_confusion_add(confusion, y[s], p.predicted);
        if (progress)
            ss_progress_update(progress, (long)s + 1, (double)right / (double)(s + 1));
    }
    if (progress)
        ss_progress_end(progress);
    log_phase(c, phase, n);
    *accuracy = n ? (double)right / (double)n : 0;
    return SS_OK;
}

int ss_classifier_evaluate(ss_classifier *c, const double *x, const int *y, size_t n,
                           ss_confusion *confusion, ss_progress *progress, const char *phase,
                           double *accuracy, ss_error *err)
{
    return evaluate_pass(c, x, y, n, confusion, progress, phase, SS_PASS_OTHER, accuracy, err);
}

int ss_classifier_test(ss_classifier *c, const double *x, const int *y, size_t n,
                       ss_confusion *confusion, ss_progress *progress, double *accuracy,
                       ss_error *err)
{
    return evaluate_pass(c, x, y, n, confusion, progress, "test", SS_PASS_TEST, accuracy, err);
}

int ss_classifier_train(ss_classifier *c, const ss_config *cfg, const ss_split *split,
                        ss_fold_result *fold, ss_progress *progress,
                        const volatile sig_atomic_t *stop, ss_error *err)
{
    long epochs = ss_config_int(cfg, "train", "epochs");
    int shuffle = ss_config_bool(cfg, "train", "shuffle");
    double eta_decay = ss_config_double(cfg, "train", "eta_decay");
    int test_each_epoch = ss_config_bool(cfg, "train", "test_each_epoch");
    size_t nf = split->n_features;
    size_t *order = malloc((split->n_train ? split->n_train : 1) * sizeof *order);
    if (!order)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t s = 0; s < split->n_train; s++)
        order[s] = s;
    ss_engine_counters before;
    ss_engine_get_counters(c->eng, &before);
    double t_start = ss_now_s();
    int rc = SS_OK;
    for (long e = 0; e < epochs && rc == SS_OK; e++) {
        if (shuffle)
            gsl_ran_shuffle(c->order_rng, order, split->n_train, sizeof *order);
        ss_learner_set_eta_scale(c->learner, pow(eta_decay, (double)e));
        ss_learner_set_epoch(c->learner, e + 1);
        char phase[64];
        snprintf(phase, sizeof phase, "epoch %ld/%ld train", e + 1, epochs);
        if (progress)
            ss_progress_begin(progress, phase, (long)split->n_train);
        log_phase(c, phase, 0);
        ss_engine_counters epoch_before;
        ss_engine_get_counters(c->eng, &epoch_before);
        double t_epoch = ss_now_s();
        long right = 0;
        for (size_t s = 0; s < split->n_train && rc == SS_OK; s++) {
            ss_learner_set_enabled(c->learner, 1);
            ss_presentation p;
            size_t k = order[s];
            rc = present_heard(c, split->train_x + k * nf, split->train_y[k], 1, SS_PASS_TRAIN, e,
                               k, &p, err);
            if (rc != SS_OK)
                break;
            right += p.predicted == split->train_y[k];
            fold->samples_presented++;
            if (progress)
                ss_progress_update(progress, (long)s + 1, (double)right / (double)(s + 1));
            if (rc == SS_OK && stop && *stop)
                rc = ss_error_set(err, SS_EINTR, "interrupted");
        }
        if (progress)
            ss_progress_end(progress);
        if (rc != SS_OK)
            break;
        ss_engine_counters epoch_after;
        ss_engine_get_counters(c->eng, &epoch_after);
        fold->epoch_train_s[e] = ss_now_s() - t_epoch;
        fold->epoch_synaptic_events[e] = (double)(epoch_after.syn_events - epoch_before.syn_events);
        log_phase(c, phase, split->n_train);
        /* Running accuracy while learning, teacher on: cheap, optimistic. */
        fold->epoch_train_accuracy[e] =
            split->n_train ? (double)right / (double)split->n_train : NAN;
        if (test_each_epoch && e + 1 < epochs) {
            rc = ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, NULL,
                                        progress, "test", &fold->epoch_test_accuracy[e], err);
            fold->samples_presented += (long long)split->n_test;
        }
    }
    ss_learner_set_enabled(c->learner, 0);
    fold->train_s = ss_now_s() - t_start;
    free(order);
    if (rc != SS_OK)
        return rc;
    double t_test = ss_now_s();
    rc = evaluate_pass(c, split->train_x, split->train_y, split->n_train, NULL, progress,
                       "train accuracy", SS_PASS_TRAIN_EVAL, &fold->train_accuracy, err);
    if (rc == SS_OK)
        rc = evaluate_pass(c, split->test_x, split->test_y, split->n_test, fold->confusion,
                           progress, "test", SS_PASS_TEST, &fold->test_accuracy, err);
    fold->samples_presented += (long long)(split->n_train + split->n_test);
    fold->test_s = ss_now_s() - t_test;
    if (epochs > 0)
        fold->epoch_test_accuracy[epochs - 1] = fold->test_accuracy;
    ss_engine_counters after;
    ss_engine_get_counters(c->eng, &after);
    fold->spikes += (long long)(after.spikes - before.spikes);
    fold->synaptic_events += (long long)(after.syn_events - before.syn_events);
    return rc;
}

int ss_classifier_save(const ss_classifier *c, const char *path, ss_error *err)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    if (!ck)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    int rc = ss_learner_save(c->learner, ck, err);
    if (rc == SS_OK)
        rc = ss_checkpoint_write(ck, path, err);
    ss_checkpoint_free(ck);
    return rc;
}

int ss_classifier_snapshot(const ss_classifier *c, ss_checkpoint *ck, ss_error *err)
{
    return ss_learner_save(c->learner, ck, err);
}

int ss_classifier_restore(ss_classifier *c, const ss_checkpoint *ck, ss_error *err)
{
    return ss_learner_load(c->learner, ck, err);
}

int ss_classifier_load(ss_classifier *c, const char *path, ss_error *err)
{
    ss_checkpoint *ck = ss_checkpoint_read(path, err);
    if (!ck)
        return err ? err->code : SS_EDATA;
    int rc = ss_learner_load(c->learner, ck, err);
    ss_checkpoint_free(ck);
    if (rc != SS_OK && err && strncmp(err->msg, path, strlen(path)) != 0) {
        char msg[SS_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        ss_error_set(err, rc, "%s: %s", path, msg);
    }
    return rc;
}
