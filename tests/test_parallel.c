/* Results independent of the partitioning (docs/parallel.md): the same seed
 * gives the same spikes, the same learned weights and the same accuracies,
 * bit for bit, on 1, 2, 3 and 4 threads (partitions), including a layer with
 * fewer neurons than threads and a network with a zero-delay projection. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/checkpoint.h>
#include <spiksim/dataset.h>
#include <spiksim/engine.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>
#include <spiksim/stream.h>
#include <spiksim/train.h>

/* Every spike observed, as bytes to compare. */
typedef struct {
    size_t n, cap;
    double *rec; /* layer, neuron, t */
} tape;

static void on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    tape *tp = ctx;
    if (tp->n + 3 > tp->cap) {
        tp->cap = tp->cap ? 2 * tp->cap : 3072;
        tp->rec = realloc(tp->rec, tp->cap * sizeof *tp->rec);
    }
    tp->rec[tp->n++] = (double)layer;
    tp->rec[tp->n++] = (double)neuron;
    tp->rec[tp->n++] = t_ms;
}

static int tapes_equal(const tape *a, const tape *b)
{
    return a->n == b->n && memcmp(a->rec, b->rec, a->n * sizeof *a->rec) == 0;
}

/* A recurrent network with Poisson input, individual delays, lif and lif_exp
 * layers, uniform initial potentials, and a layer of 3 neurons (fewer than
 * 4 partitions). */
static const char *free_model =
    "[layer.in]\ntype = poisson\nsize = 50\nrate_hz = 30\n"
    "[layer.exc]\nsize = 160\nbias_mv = 12\nt_ref_ms = 2\nv_init = uniform\n"
    "[layer.inh]\ntype = lif_exp\nsize = 40\nbias_mv = 8\nv_init = uniform\n"
    "[layer.few]\nsize = 3\nbias_mv = 5\n"
    "[projection.in_exc]\nfrom = in\nto = exc\nconnect = fixed_prob\np = 0.2\nweight = 1.5\n"
    "delay_ms = 0\n"
    "[projection.ee]\nfrom = exc\nto = exc\nconnect = fixed_prob\np = 0.1\n"
    "weight_dist = uniform\nweight_min = 0.2\nweight_max = 1.2\ndelay_ms = 0.5\n"
    "delay_max_ms = 3\n"
    "[projection.ei]\nfrom = exc\nto = inh\nconnect = fixed_indegree\nindegree = 20\n"
    "weight = 2\ndelay_ms = 0.7\n"
    "[projection.ie]\nfrom = inh\nto = exc\nconnect = fixed_prob\np = 0.3\nweight = -3\n"
    "delay_ms = 0.4\ndelay_max_ms = 1.3\n"
    "[projection.ef]\nfrom = exc\nto = few\nconnect = all\nweight = 0.3\ndelay_ms = 0.6\n";

static ss_config *model(const char *name, const char *text)
{
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_write(name, text), NULL, 0, &err);
    if (!cfg)
        fprintf(stderr, "\n  %s\n", err.msg);
    return cfg;
}

/* Runs cfg's network on threads threads for t_ms, twice 1000 ms with a reset
 * and another stream in between; returns the spikes and counters. */
static int run_free(const ss_config *cfg, unsigned threads, double t_ms, tape *tp,
                    ss_engine_counters *c, ss_engine_plan *plan)
{
    ss_error err;
    ss_network *net = ss_network_from_config(cfg, 7, &err);
    ss_engine_options opt = {.seed = 7, .threads = threads};
    ss_engine *eng = net ? ss_engine_alloc(net, &opt, &err) : NULL;
    int ok = eng && ss_engine_add_observer(eng, on_spike, tp) == 0 &&
             ss_engine_run(eng, t_ms, &err) == 0;
    if (ok) {
        ss_engine_set_stream(eng, 42);
        ss_engine_reset(eng);
        ok = ss_engine_run(eng, t_ms / 2, &err) == 0 && ss_engine_run(eng, t_ms, &err) == 0;
    }
    if (!ok)
        fprintf(stderr, "\n  %s\n", err.msg);
    else {
        ss_engine_get_counters(eng, c);
        ss_engine_get_plan(eng, plan);
    }
    ss_engine_free(eng);
    ss_network_free(net);
    return ok;
}

static void test_free_running(void)
{
    ss_config *cfg = model("par_free.ini", free_model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    tape ref = {0};
    ss_engine_counters c1;
    ss_engine_plan plan;
    CU_ASSERT_FATAL(run_free(cfg, 1, 1000, &ref, &c1, &plan));
    CU_ASSERT(ref.n / 3 > 5000);
    CU_ASSERT_EQUAL(plan.partitions, 1);
    for (unsigned t = 2; t <= 4; t++) {
        tape tp = {0};
        ss_engine_counters c;
        CU_ASSERT_FATAL(run_free(cfg, t, 1000, &tp, &c, &plan));
        CU_ASSERT_EQUAL(plan.partitions, t);
        /* ie's smallest drawn delay, in [0.4, 1.3): below ei's and ef's */
        CU_ASSERT(plan.window_ms >= 0.4 && plan.window_ms < 0.5);
        CU_ASSERT(tapes_equal(&ref, &tp));
        CU_ASSERT_EQUAL(c.spikes, c1.spikes);
        CU_ASSERT_EQUAL(c.syn_events, c1.syn_events);
        free(tp.rec);
    }
    free(ref.rec);
    ss_config_free(cfg);
}

/* A zero delay between neuron layers cannot be windowed: one partition,
 * whatever the threads, and the same spikes. */
static void test_zero_delay(void)
{
    char text[4096];
    snprintf(text, sizeof text, "%s", free_model);
    char *d = strstr(text, "delay_ms = 0.6");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    memcpy(d, "delay_ms = 0  ", 14);
    ss_config *cfg = model("par_zero.ini", text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    tape a = {0}, b = {0};
    ss_engine_counters c;
    ss_engine_plan plan;
    CU_ASSERT_FATAL(run_free(cfg, 1, 300, &a, &c, &plan));
    CU_ASSERT_FATAL(run_free(cfg, 3, 300, &b, &c, &plan));
    CU_ASSERT_EQUAL(plan.partitions, 1);
    CU_ASSERT_EQUAL(plan.zero_delay, 4); /* ef */
    CU_ASSERT(tapes_equal(&a, &b));
    free(a.rec);
    free(b.rec);
    ss_config_free(cfg);
}

/* STDP on a plastic projection driven by Poisson input, with the learner's
 * hooks in each partition: the same weights after learning. */
static const char *stdp_model =
    "[plasticity]\neta = 0.01\na_plus = 1\na_minus = 1.05\nw_max = 3\n"
    "[layer.in]\ntype = poisson\nsize = 100\nrate_hz = 20\n"
    "[layer.out]\nsize = 30\nbias_mv = 5\n"
    "[projection.syn]\nfrom = in\nto = out\nweight_dist = uniform\nweight_min = 0\n"
    "weight_max = 3\nplastic = true\ndelay_ms = 1\n"
    "[projection.lat]\nfrom = out\nto = out\nweight = -1\ndelay_ms = 0.5\n";

static float *learn_weights(const ss_config *cfg, unsigned threads, size_t *n)
{
    ss_error err;
    ss_network *net = ss_network_from_config(cfg, 3, &err);
    ss_engine_options opt = {.seed = 3, .threads = threads};
    ss_engine *eng = net ? ss_engine_alloc(net, &opt, &err) : NULL;
    ss_learner *l = eng ? ss_learner_alloc(net, eng, cfg, &err) : NULL;
    float *w = NULL;
    if (l) {
        ss_learner_set_enabled(l, 1);
        ss_learner_begin_sample(l, 0, 2000);
        if (ss_engine_run(eng, 2000, &err) == 0) {
            ss_learner_end_sample(l);
            ss_projection *p = ss_network_projection(net, 0);
            *n = ss_projection_n_synapses(p);
            w = malloc(*n * sizeof *w);
            memcpy(w, ss_projection_weights(p), *n * sizeof *w);
        }
    }
    if (!w)
        fprintf(stderr, "\n  %s\n", err.msg);
    ss_learner_free(l);
    ss_engine_free(eng);
    ss_network_free(net);
    return w;
}

static void test_stdp(void)
{
    ss_config *cfg = model("par_stdp.ini", stdp_model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    size_t n1, n;
    float *w1 = learn_weights(cfg, 1, &n1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
    /* the weights moved */
    float *w0 = NULL;
    {
        ss_error err;
        ss_network *net = ss_network_from_config(cfg, 3, &err);
        w0 = malloc(n1 * sizeof *w0);
        memcpy(w0, ss_projection_weights(ss_network_projection(net, 0)), n1 * sizeof *w0);
        ss_network_free(net);
    }
    CU_ASSERT(memcmp(w0, w1, n1 * sizeof *w1) != 0);
    for (unsigned t = 2; t <= 4; t++) {
        float *w = learn_weights(cfg, t, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        CU_ASSERT_EQUAL(n, n1);
        CU_ASSERT(memcmp(w, w1, n * sizeof *w) == 0);
        free(w);
    }
    free(w0);
    free(w1);
    ss_config_free(cfg);
}

/* A classifier trained (partitioned over the threads) and tested (samples
 * spread over the threads): the same checkpoint bytes and accuracies. */
typedef struct trained {
    double train_acc, test_acc;
    long long spikes, syn_events;
    unsigned char *ck;
    size_t ck_len;
} trained;

static int train(const char *model_file, const char *const *sets, size_t n_sets, unsigned threads,
                 trained *out)
{
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_src(model_file), sets, n_sets, &err);
    ss_dataset *ds = cfg ? ss_dataset_load(cfg, &err) : NULL;
    ss_split *split = NULL;
    if (!ds || ss_dataset_split_config(ds, cfg, 0, &split, &err) != SS_OK) {
        fprintf(stderr, "\n  %s\n", err.msg);
        ss_dataset_free(ds);
        ss_config_free(cfg);
        return 0;
    }
    char set[64];
    snprintf(set, sizeof set, "simulation.partitions=%u", threads);
    ss_config_set(cfg, set, &err);
    ss_classifier *c =
        ss_classifier_alloc_threads(cfg, split->n_features, split->n_classes, 1, threads, &err);
    ss_results res;
    int ok = c && ss_results_init(&res, 1, split->n_classes, &err) == SS_OK &&
             ss_fold_result_reserve(&res.folds[0], (size_t)ss_config_int(cfg, "train", "epochs"), 1,
                                    &err) == SS_OK &&
             ss_classifier_train(c, cfg, split, &res.folds[0], NULL, NULL, &err) == SS_OK;
    char path[4400];
    snprintf(path, sizeof path, "%s", ss_test_tmp("par.ck"));
    if (ok) {
        ok = ss_classifier_save(c, path, &err) == SS_OK;
        out->train_acc = res.folds[0].train_accuracy;
        out->test_acc = res.folds[0].test_accuracy;
        out->spikes = res.folds[0].spikes;
        out->syn_events = res.folds[0].synaptic_events;
        out->ck = (unsigned char *)ss_test_read(path, &out->ck_len);
    }
    if (!ok)
        fprintf(stderr, "\n  %s\n", err.msg);
    if (c)
        ss_results_free(&res);
    ss_classifier_free(c);
    ss_split_free(split);
    ss_dataset_free(ds);
    ss_config_free(cfg);
    return ok && out->ck;
}

static void classifier_case(const char *model_file, const char *const *sets, size_t n_sets)
{
    trained ref;
    CU_ASSERT_FATAL(train(model_file, sets, n_sets, 1, &ref));
    fprintf(stderr, "(%s: train %.3f test %.3f) ", model_file, ref.train_acc, ref.test_acc);
    CU_ASSERT(ref.test_acc > 0.8);
    for (unsigned t = 2; t <= 4; t++) {
        trained r;
        CU_ASSERT_FATAL(train(model_file, sets, n_sets, t, &r));
        CU_ASSERT_EQUAL(r.train_acc, ref.train_acc);
        CU_ASSERT_EQUAL(r.test_acc, ref.test_acc);
        CU_ASSERT_EQUAL(r.spikes, ref.spikes);
        CU_ASSERT_EQUAL(r.syn_events, ref.syn_events);
        CU_ASSERT_EQUAL_FATAL(r.ck_len, ref.ck_len);
        CU_ASSERT(memcmp(r.ck, ref.ck, r.ck_len) == 0);
        free(r.ck);
    }
    free(ref.ck);
}

static void test_classifier_iris(void)
{
    const char *sets[] = {"data.folds=one", "train.epochs=8", "layer.hidden1.learn_epochs=1-3",
                          "layer.hidden2.learn_epochs=4-", "layer.output.learn_epochs=4-"};
    classifier_case("models/iris.ini", sets, 5);
}

static void test_classifier_mnist(void)
{
    char path[4400], labels[4400];
    snprintf(path, sizeof path, "data.path=%s",
             ss_test_src("tests/data/mnist400-images-idx3-ubyte.gz"));
    snprintf(labels, sizeof labels, "data.labels=%s",
             ss_test_src("tests/data/mnist400-labels-idx1-ubyte.gz"));
    /* 0 vs 1 of the 400 digits: 64 training samples are enough to learn */
    const char *sets[] = {path,
                          labels,
                          "data.classes=0,1",
                          "train.epochs=4",
                          "layer.hidden1.learn_epochs=1-2",
                          "layer.hidden2.learn_epochs=3-",
                          "layer.output.learn_epochs=3-",
                          "encoding.test_presentation_ms=100"};
    classifier_case("models/mnist-binary.ini", sets, 8);
}

/* The counter-based streams: one key, one sequence, wherever it is drawn;
 * the draw at an index equals the sequence's; different keys differ; and
 * the uniforms look uniform (mean, variance, lag-1 correlation). */
static void test_streams(void)
{
    ss_stream a, b;
    ss_stream_init(&a, 1, SS_STREAM_POISSON, 5, 6);
    ss_stream_init(&b, 1, SS_STREAM_POISSON, 5, 7);
    double sum = 0, sum2 = 0, lag = 0, prev = 0.5;
    int same_b = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double at = ss_stream_uniform_pos_at(1, SS_STREAM_POISSON, 5, 6, (uint64_t)i);
        double u = ss_stream_uniform_pos(&a);
        CU_ASSERT_EQUAL(u, at);
        CU_ASSERT(u > 0 && u < 1);
        same_b += ss_stream_uniform_pos(&b) == u;
        sum += u;
        sum2 += u * u;
        lag += (u - 0.5) * (prev - 0.5);
        prev = u;
    }
    CU_ASSERT_EQUAL(same_b, 0);
    double mean = sum / n, var = sum2 / n - mean * mean;
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.5, 5 * sqrt(1.0 / 12 / n));
    CU_ASSERT_DOUBLE_EQUAL(var, 1.0 / 12, 0.002);
    CU_ASSERT_DOUBLE_EQUAL(lag / n / (1.0 / 12), 0, 5 / sqrt((double)n));
    /* seek and copies replay the sequence */
    ss_stream_seek(&a, 3);
    CU_ASSERT_EQUAL(ss_stream_uniform_pos(&a),
                    ss_stream_uniform_pos_at(1, SS_STREAM_POISSON, 5, 6, 3));
    ss_stream c = a;
    CU_ASSERT_EQUAL(ss_stream_u64(&c), ss_stream_u64(&a));
    /* below() stays in range and reaches both ends */
    int lo = 0, hi = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t k = ss_stream_below(&a, 7);
        CU_ASSERT(k < 7);
        lo += k == 0;
        hi += k == 6;
    }
    CU_ASSERT(lo > 1000 && hi > 1000);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"keyed random streams", test_streams},
        {"free-running network, 1-4 threads", test_free_running},
        {"zero delay between neuron layers: one partition", test_zero_delay},
        {"STDP weights, 1-4 threads", test_stdp},
        {"IRIS classifier, 1-4 threads", test_classifier_iris},
        {"MNIST classifier, 1-4 threads", test_classifier_mnist},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("parallel", cases);
    return ss_test_main();
}
