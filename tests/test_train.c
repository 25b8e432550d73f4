/* Learning on the engine: the rule's weight changes through real spikes,
 * the teacher term, normalisation, homeostasis, and the classifier as a
 * whole: it learns IRIS, a seed fixes it, checkpoints restore it. */
#include "learnrig.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <spiksim/dataset.h>
#include <spiksim/learn.h>
#include <spiksim/train.h>

/* One presynaptic source spiking at the times in pre.csv, one lif neuron we
 * force to spike, one plastic synapse of weight 0.5 between them. */
static const char *pair_model = "[plasticity]\n"
                                "eta = 0.1\na_plus = 1\na_minus = 0.5\n"
                                "tau_plus_ms = 20\ntau_minus_ms = 10\n"
                                "w_min = 0\nw_max = 1\n"
                                "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
                                "[layer.post]\nsize = 1\n"
                                "[projection.syn]\nfrom = pre\nto = post\nweight = 0.5\n"
                                "delay_ms = 1\nplastic = true\n";

static float weight(rig *r)
{
    return rig_weight(r, 0);
}

static void test_ltp_through_engine(void)
{
    /* Pre spike at 10 ms arrives at 11 ms (delay 1); post forced at 16 ms:
     * w = 0.5 + eta A+ e^(-5/20) (additive). */
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, pair_model, "time_ms,neuron\n10,0\n"));
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 50);
    CU_ASSERT_EQUAL(ss_engine_force_spike(r.eng, 1, 0, 16, NULL), 0);
    CU_ASSERT_EQUAL(ss_engine_run(r.eng, 50, NULL), 0);
    CU_ASSERT_DOUBLE_EQUAL(weight(&r), 0.5 + 0.1 * exp(-5.0 / 20), 1e-6);
    rig_down(&r);
}

static void test_ltd_through_engine(void)
{
    /* Post forced at 5 ms, pre spike at 10 ms arrives at 11 ms:
     * w = 0.5 - eta A- e^(-6/10). */
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, pair_model, "time_ms,neuron\n10,0\n"));
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 50);
    ss_engine_force_spike(r.eng, 1, 0, 5, NULL);
    ss_engine_run(r.eng, 50, NULL);
    CU_ASSERT_DOUBLE_EQUAL(weight(&r), 0.5 - 0.1 * 0.5 * exp(-6.0 / 10), 1e-6);
    rig_down(&r);
}

static void test_disabled_learns_nothing(void)
{
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, pair_model, "time_ms,neuron\n10,0\n12,0\n"));
    ss_learner_begin_sample(r.learner, 0, 50);
    ss_engine_force_spike(r.eng, 1, 0, 16, NULL);
    ss_engine_run(r.eng, 50, NULL);
    CU_ASSERT_EQUAL(weight(&r), 0.5f);
    rig_down(&r);
}

static void teacher_term(double ratio, const char *extra)
{
    /* A label neuron's spike at 10 ms reaches the output at 10.5 ms (teacher
     * projection, weight 0): +resume_eta * x; the output's own forced spike
     * at 20 ms: -resume_eta * x.  The pre spike at 5 ms arrives at 6 ms. */
    char model[2048];
    snprintf(model, sizeof model,
             "[plasticity]\neta = 0\nresume_eta = 0.2\ntau_plus_ms = 20\nw_max = 5\n%s"
             "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
             "[layer.label]\ntype = label\nsize = 1\n"
             "[layer.post]\nsize = 1\n"
             "[projection.syn]\nfrom = pre\nto = post\nweight = 1\ndelay_ms = 1\n"
             "plastic = true\n"
             "[projection.teach]\nfrom = label\nto = post\nconnect = label_match\nweight = 0\n"
             "delay_ms = 0.5\nteacher = true\n",
             extra);
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, model, "5,0\n"));
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 50);
    /* One label spike at 10 ms: regular mode fires at (k + 1/2)/rate. */
    double r_hz = 50;
    CU_ASSERT_EQUAL(ss_engine_set_input(r.eng, 1, &r_hz, SS_INPUT_REGULAR, 0, 15, NULL), 0);
    ss_engine_force_spike(r.eng, 2, 0, 20, NULL);
    ss_engine_run(r.eng, 50, NULL);
    double x_teach = exp(-(10.5 - 6.0) / 20), x_own = exp(-(20 - 6.0) / 20);
    CU_ASSERT_DOUBLE_EQUAL(weight(&r), 1 + ratio * 0.2 * x_teach - 0.2 * x_own, 1e-6);
    rig_down(&r);
}

static void test_teacher_term(void)
{
    teacher_term(1, "");
}

/* resume_ratio scales the teacher spike's potentiation only. */
static void test_teacher_ratio(void)
{
    teacher_term(0.25, "resume_ratio = 0.25\n");
}

static void test_normalise_and_homeostasis(void)
{
    /* Two inputs of weight 3 and 4 (norm 5) onto a neuron that spikes:
     * after the sample their Euclidean norm is 2.  The neuron's target is 3
     * spikes and it fires once, so its threshold drops by 2 * theta_eta. */
    const char *model = "[plasticity]\neta = 0\nw_max = 10\n"
                        "[layer.pre]\ntype = spike_file\nsize = 2\nspike_file = pre.csv\n"
                        "[layer.post]\nsize = 1\ntarget_spikes = 3\ntheta_eta_mv = 0.5\n"
                        "[projection.syn]\nfrom = pre\nto = post\nweight_dist = uniform\n"
                        "weight_min = 3\nweight_max = 3\nplastic = true\nnormalize = 2\n";
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, model, "1,0\n"));
    float *w = ss_projection_weights(ss_network_projection(r.net, 0));
    /* normalised at the start already: 3,3 -> sqrt(2) each */
    CU_ASSERT_DOUBLE_EQUAL(w[0], sqrt(2.0), 1e-6);
    w[1] = 4.0f * w[0] / 3.0f;
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 50);
    ss_engine_force_spike(r.eng, 1, 0, 5, NULL);
    ss_engine_run(r.eng, 50, NULL);
    ss_learner_end_sample(r.learner);
    CU_ASSERT_DOUBLE_EQUAL(sqrt((double)w[0] * w[0] + (double)w[1] * w[1]), 2.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(w[1] / w[0], 4.0 / 3.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(ss_learner_theta_mv(r.learner, 1, 0), -1.0, 1e-12);
    rig_down(&r);
}

/* The adapted threshold acts in training; at test only with theta_at_test.
 * A neuron of bias 10 mV whose threshold rose by 1 mV relaxes to
 * E_L + 10 - 1 mV while learning, and to E_L + 10 (or + 9) when testing. */
static void theta_in_test(int at_test, double want_test_mv)
{
    char model[1024];
    snprintf(model, sizeof model,
             "[plasticity]\neta = 0\nw_max = 10\n"
             "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
             "[layer.post]\nsize = 1\nbias_mv = 10\ntarget_spikes = 1\ntheta_eta_mv = 0.5\n"
             "theta_at_test = %s\n"
             "[projection.syn]\nfrom = pre\nto = post\nweight = 0\nplastic = true\n",
             at_test ? "true" : "false");
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, model, "1,0\n"));
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 50);
    /* Three spikes against a target of one: theta = +1 mV. */
    for (int k = 0; k < 3; k++)
        ss_engine_force_spike(r.eng, 1, 0, 5 + 5 * k, NULL);
    ss_engine_run(r.eng, 50, NULL);
    ss_learner_end_sample(r.learner);
    CU_ASSERT_DOUBLE_EQUAL(ss_learner_theta_mv(r.learner, 1, 0), 1.0, 1e-12);
    /* Training: the offset applies (25 membrane time constants later). */
    ss_learner_begin_sample(r.learner, 50, 500);
    ss_engine_run(r.eng, 550, NULL);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(r.eng, 1, 0), -65 + 10 - 1, 1e-6);
    /* (no end of that sample: a silent neuron's threshold would drop) */
    /* Testing. */
    ss_learner_set_enabled(r.learner, 0);
    ss_learner_begin_sample(r.learner, 550, 500);
    ss_engine_run(r.eng, 1050, NULL);
    CU_ASSERT_DOUBLE_EQUAL(ss_engine_potential(r.eng, 1, 0), want_test_mv, 1e-6);
    /* and the threshold itself is kept */
    CU_ASSERT_DOUBLE_EQUAL(ss_learner_theta_mv(r.learner, 1, 0), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ss_learner_test_theta_mv(r.learner, 1, 0), at_test ? 1.0 : 0.0, 1e-12);
    rig_down(&r);
}

static void test_theta_training_only(void)
{
    theta_in_test(0, -65 + 10);
}

static void test_theta_at_test(void)
{
    theta_in_test(1, -65 + 10 - 1);
}

/* IRIS versicolor vs virginica, one fold, with the shipped model. */
static ss_config *iris_binary(const char *extra)
{
    const char *sets[] = {"data.folds=one", extra};
    ss_error err;
    ss_config *cfg =
        ss_config_load(ss_test_src("models/iris-binary.ini"), sets, extra ? 2 : 1, &err);
    if (!cfg)
        fprintf(stderr, "\n  %s\n", err.msg);
    return cfg;
}

typedef struct trained {
    double train_acc, test_acc;
    float checksum;
} trained;

static int train_iris(ss_config *cfg, unsigned long seed, const char *save, trained *out)
{
    ss_error err;
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    ss_split *split = NULL;
    if (!ds || ss_dataset_split_config(ds, cfg, 0, &split, &err) != SS_OK) {
        fprintf(stderr, "\n  %s\n", err.msg);
        ss_dataset_free(ds);
        return 0;
    }
    ss_classifier *c = ss_classifier_alloc(cfg, split->n_features, split->n_classes, seed, &err);
    ss_results res;
    int ok = c && ss_results_init(&res, 1, split->n_classes, &err) == SS_OK &&
             ss_fold_result_reserve(&res.folds[0], (size_t)ss_config_int(cfg, "train", "epochs"), 1,
                                    &err) == SS_OK &&
             ss_classifier_train(c, cfg, split, &res.folds[0], NULL, NULL, &err) == SS_OK;
    if (ok) {
        /* every epoch timed and counted */
        for (size_t e = 0; e < res.folds[0].n_epochs; e++) {
            CU_ASSERT_TRUE(res.folds[0].epoch_train_s[e] > 0);
            CU_ASSERT_TRUE(res.folds[0].epoch_synaptic_events[e] > 0);
        }
        out->train_acc = res.folds[0].train_accuracy;
        out->test_acc = res.folds[0].test_accuracy;
        ss_projection *p = ss_network_projection(ss_classifier_network(c), 0);
        out->checksum = 0;
        for (size_t k = 0; k < ss_projection_n_synapses(p); k++)
            out->checksum += ss_projection_weights(p)[k] * (float)(k % 7 + 1);
        if (save)
            ok = ss_classifier_save(c, save, &err) == SS_OK;
    }
    if (!ok)
        fprintf(stderr, "\n  %s\n", err.msg);
    if (c)
        ss_results_free(&res);
    ss_classifier_free(c);
    ss_split_free(split);
    ss_dataset_free(ds);
    return ok;
}

static void test_learns_iris(void)
{
    ss_config *cfg = iris_binary(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    trained a, b, c;
    CU_ASSERT_FATAL(train_iris(cfg, 1, ss_test_tmp("iris.ck"), &a));
    fprintf(stderr, "(train %.3f test %.3f) ", a.train_acc, a.test_acc);
    CU_ASSERT_TRUE(a.test_acc >= 0.85);
    /* Same seed, same everything; another seed, other weights. */
    CU_ASSERT_FATAL(train_iris(cfg, 1, NULL, &b));
    CU_ASSERT_EQUAL(a.checksum, b.checksum);
    CU_ASSERT_EQUAL(a.test_acc, b.test_acc);
    CU_ASSERT_FATAL(train_iris(cfg, 2, NULL, &c));
    CU_ASSERT_NOT_EQUAL(a.checksum, c.checksum);
    ss_config_free(cfg);
}

/* How long the engine ran for one presentation of x. */
static double presented_ms(ss_classifier *c, int train)
{
    static const double x[4] = {0.5, 0.4, 0.6, 0.5};
    ss_presentation p;
    ss_error err;
    CU_ASSERT_EQUAL(ss_classifier_present(c, x, 0, train, &p, &err), SS_OK);
    return ss_engine_time(ss_classifier_engine(c)) - p.t0_ms;
}

/* Training presentations last presentation_ms, the others (plasticity off)
 * test_presentation_ms; 0 (the default) means presentation_ms. */
static void test_test_window(void)
{
    const char *windows[] = {"encoding.test_presentation_ms=0",
                             "encoding.test_presentation_ms=250"};
    const double test_ms[] = {100, 250};
    for (size_t k = 0; k < 2; k++) {
        ss_config *cfg = iris_binary(windows[k]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
        ss_error err;
        ss_classifier *c = ss_classifier_alloc(cfg, 4, 2, 1, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_DOUBLE_EQUAL(presented_ms(c, 1), 100, 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(presented_ms(c, 0), test_ms[k], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(presented_ms(c, 1), 100, 1e-9);
        ss_classifier_free(c);
        ss_config_free(cfg);
    }
}

/* Queries: the same key gives the same input spikes (counts), another key
 * other ones, and a query leaves evaluation passes as they were. */
static void test_query_keys(void)
{
    ss_config *cfg = iris_binary("encoding.test_presentation_ms=250");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_error err;
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    ss_split *split = NULL;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split_config(ds, cfg, 0, &split, &err), 0);
    ss_classifier *c = ss_classifier_alloc(cfg, split->n_features, split->n_classes, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double before, after;
    CU_ASSERT_EQUAL(ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, NULL,
                                           NULL, "test", &before, &err),
                    0);
    /* one row queried under keys 7, 7, 8 */
    double x[12];
    for (size_t k = 0; k < 3; k++)
        memcpy(x + 4 * k, split->test_x, 4 * sizeof *x);
    const uint64_t keys[3] = {7, 7, 8};
    unsigned counts[6];
    int pred[3];
    CU_ASSERT_EQUAL(ss_classifier_query(c, x, 3, keys, counts, pred, &err), 0);
    CU_ASSERT_EQUAL(counts[0], counts[2]);
    CU_ASSERT_EQUAL(counts[1], counts[3]);
    CU_ASSERT_EQUAL(pred[0], pred[1]);
    /* The input spikes of key 8 differ from key 7's: with hundreds of input
     * spikes in 250 ms, the total spike count differs. */
    uint64_t spikes[3];
    for (size_t k = 0; k < 3; k++) {
        ss_engine_counters before, after;
        ss_classifier_get_counters(c, &before);
        CU_ASSERT_EQUAL(ss_classifier_query(c, x + 4 * k, 1, keys + k, counts, NULL, &err), 0);
        ss_classifier_get_counters(c, &after);
        spikes[k] = after.spikes - before.spikes;
    }
    CU_ASSERT_EQUAL(spikes[0], spikes[1]);
    CU_ASSERT_NOT_EQUAL(spikes[0], spikes[2]);
    CU_ASSERT_EQUAL(ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, NULL,
                                           NULL, "test", &after, &err),
                    0);
    CU_ASSERT_EQUAL(before, after);
    ss_classifier_free(c);
    ss_split_free(split);
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

static void test_checkpoint_restores(void)
{
    ss_config *cfg = iris_binary(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    trained a;
    char path[4400];
    snprintf(path, sizeof path, "%s", ss_test_tmp("iris-restore.ck"));
    CU_ASSERT_FATAL(train_iris(cfg, 1, path, &a));
    ss_error err;
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    ss_split *split = NULL;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split_config(ds, cfg, 0, &split, &err), 0);
    /* A fresh classifier (another seed: other initial weights) given the
     * checkpoint tests exactly as the trained one did. */
    ss_classifier *c = ss_classifier_alloc(cfg, split->n_features, split->n_classes, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(ss_classifier_load(c, path, &err), 0);
    double acc;
    CU_ASSERT_EQUAL(ss_classifier_evaluate(c, split->test_x, split->test_y, split->n_test, NULL,
                                           NULL, "test", &acc, &err),
                    0);
    CU_ASSERT_EQUAL(acc, a.test_acc);
    ss_classifier_free(c);
    /* Another shape is refused. */
    ss_config *bigger = iris_binary("layer.hidden1.size=22");
    c = ss_classifier_alloc(bigger, split->n_features, split->n_classes, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(ss_classifier_load(c, path, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "another shape"));
    ss_classifier_free(c);
    ss_config_free(bigger);
    ss_split_free(split);
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

/* A copy of the checkpoint at from, written to to, with one value of one
 * array replaced (its checksum is then valid: the file is well formed). */
static int tamper(const char *from, const char *to, const char *array, size_t index, double value)
{
    ss_error err;
    ss_checkpoint *in = ss_checkpoint_read(from, &err), *out = ss_checkpoint_alloc();
    int ok = in && out;
    for (size_t i = 0; ok && i < ss_checkpoint_count(in); i++) {
        const char *name = ss_checkpoint_name(in, i);
        int f32 = ss_checkpoint_is_f32(in, i);
        size_t n = ss_checkpoint_length(in, i);
        double *v = malloc(n * sizeof *v);
        float *vf = malloc(n * sizeof *vf);
        ok = v && vf &&
             (f32 ? ss_checkpoint_get_f32(in, name, vf, n, &err)
                  : ss_checkpoint_get_f64(in, name, v, n, &err)) == SS_OK;
        if (ok && strcmp(name, array) == 0) {
            if (f32)
                vf[index] = (float)value;
            else
                v[index] = value;
        }
        if (ok)
            ok = (f32 ? ss_checkpoint_add_f32(out, name, vf, n, &err)
                      : ss_checkpoint_add_f64(out, name, v, n, &err)) == SS_OK;
        free(v);
        free(vf);
    }
    ok = ok && ss_checkpoint_write(out, to, &err) == SS_OK;
    if (!ok)
        fprintf(stderr, "\n  tamper: %s\n", err.msg);
    ss_checkpoint_free(in);
    ss_checkpoint_free(out);
    return ok;
}

/* A checkpoint whose checksum is valid but whose values are not finite, or
 * beyond the model's bounds, is refused naming the array and the index, and
 * leaves the network as it was. */
static void test_checkpoint_values(void)
{
    ss_config *cfg = iris_binary("layer.hidden1.target_spikes=1"); /* thresholds saved too */
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    trained a;
    char good[4400], bad[4400];
    snprintf(good, sizeof good, "%s", ss_test_tmp("values.ck"));
    snprintf(bad, sizeof bad, "%s", ss_test_tmp("values-bad.ck"));
    CU_ASSERT_FATAL(train_iris(cfg, 1, good, &a));
    ss_error err;
    ss_classifier *c = ss_classifier_alloc(cfg, 4, 2, 5, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ss_projection *p = ss_network_projection(ss_classifier_network(c), 0);
    size_t n = ss_projection_n_synapses(p);
    float *before = malloc(n * sizeof *before);
    memcpy(before, ss_projection_weights(p), n * sizeof *before);
    const struct {
        const char *array;
        size_t index;
        double value;
        const char *says;
    } cases[] = {
        {"projection.in_h1.weights", 3, NAN, "projection.in_h1.weights[3] = nan is not a finite"},
        {"projection.in_h1.weights", 0, INFINITY, "weights[0] = inf is not a finite"},
        {"projection.in_h1.weights", 7, 1e30,
         "projection.in_h1.weights[7] = 1e+30 lies outside "
         "[0, 100]"},
        {"projection.h1_h2.weights", 2, -150,
         "projection.h1_h2.weights[2] = -150 lies outside "
         "[-100, 100]"},
        {"layer.hidden1.theta_mv", 1, 500, "layer.hidden1.theta_mv[1] = 500 lies outside"},
        {"projection.h1_h1.weights", 0, NAN, "projection.h1_h1.weights[0] = nan"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        CU_ASSERT_FATAL(tamper(good, bad, cases[k].array, cases[k].index, cases[k].value));
        CU_ASSERT_EQUAL(ss_classifier_load(c, bad, &err), SS_EDATA);
        if (!strstr(err.msg, cases[k].says))
            fprintf(stderr, "\n  got: %s\n", err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].says));
        CU_ASSERT(memcmp(before, ss_projection_weights(p), n * sizeof *before) == 0);
    }
    /* the untouched copy loads */
    CU_ASSERT_FATAL(tamper(good, bad, "none", 0, 0));
    CU_ASSERT_EQUAL(ss_classifier_load(c, bad, &err), SS_OK);
    CU_ASSERT(memcmp(before, ss_projection_weights(p), n * sizeof *before) != 0);
    free(before);
    ss_classifier_free(c);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"LTP through engine hooks", test_ltp_through_engine},
        {"LTD through engine hooks", test_ltd_through_engine},
        {"plasticity off learns nothing", test_disabled_learns_nothing},
        {"teacher term", test_teacher_term},
        {"teacher term ratio", test_teacher_ratio},
        {"thresholds adapt in training only", test_theta_training_only},
        {"thresholds kept at test with theta_at_test", test_theta_at_test},
        {"normalisation and homeostasis", test_normalise_and_homeostasis},
        {"learns IRIS, seeded", test_learns_iris},
        {"test presentations last test_presentation_ms", test_test_window},
        {"queries: one key, one draw", test_query_keys},
        {"checkpoint restores a trained network", test_checkpoint_restores},
        {"checkpoint values checked", test_checkpoint_values},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("train", cases);
    return ss_test_main();
}
