/* Layers that learn in turn: learn_epochs, the learning-time weights of
 * fixed projections (learning_gain, label lines), signed plastic weights
 * (w_abs_max) and the teacher term counted per presentation. */
#include "learnrig.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <spiksim/checkpoint.h>

/* One pre spike at 10 ms reaches post at 11 ms; post is forced at 16 ms:
 * LTP of eta * e^(-5/20) when post learns (see test_train.c). */
static const char *epochs_model = "[plasticity]\neta = 0.1\na_minus = 0\nw_max = 1\n"
                                  "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
                                  "[layer.post]\nsize = 1\nlearn_epochs = 2-3\n"
                                  "[projection.syn]\nfrom = pre\nto = post\nweight = 0.5\n"
                                  "delay_ms = 1\nplastic = true\n";

/* One sample of the pair in the given epoch; the weight change. */
static double pair_in_epoch(rig *r, long epoch)
{
    float before = rig_weight(r, 0);
    ss_learner_set_epoch(r->learner, epoch);
    ss_learner_set_enabled(r->learner, 1);
    ss_engine_reset(r->eng);
    ss_learner_begin_sample(r->learner, 0, 50);
    ss_engine_force_spike(r->eng, 1, 0, 16, NULL);
    ss_engine_run(r->eng, 50, NULL);
    ss_learner_end_sample(r->learner);
    return (double)rig_weight(r, 0) - before;
}

static void test_learn_epochs(void)
{
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, epochs_model, "time_ms,neuron\n10,0\n"));
    double ltp = 0.1 * exp(-5.0 / 20);
    CU_ASSERT_DOUBLE_EQUAL(pair_in_epoch(&r, 1), 0, 1e-9);
    CU_ASSERT_FALSE(ss_learner_layer_learning(r.learner, 1));
    CU_ASSERT_DOUBLE_EQUAL(pair_in_epoch(&r, 2), ltp, 1e-6);
    CU_ASSERT_TRUE(ss_learner_layer_learning(r.learner, 1));
    CU_ASSERT_DOUBLE_EQUAL(pair_in_epoch(&r, 3), ltp, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(pair_in_epoch(&r, 4), 0, 1e-9);
    /* plasticity off: not learning whatever the epoch */
    ss_learner_set_epoch(r.learner, 2);
    ss_learner_set_enabled(r.learner, 0);
    CU_ASSERT_FALSE(ss_learner_layer_learning(r.learner, 1));
    rig_down(&r);
}

/* The learner for a model with [layer.post] learn_epochs = spec, or NULL
 * with the error in err. */
static ss_learner *learner_with_epochs(const char *spec, rig *r, ss_error *err)
{
    char model[1024];
    snprintf(model, sizeof model,
             "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
             "[layer.post]\nsize = 1\nlearn_epochs = %s\n"
             "[projection.syn]\nfrom = pre\nto = post\nplastic = true\n",
             spec);
    rig_build(r, "epochs.ini", model, "1,0\n", err);
    return r->learner;
}

static void test_learn_epochs_syntax(void)
{
    static const struct {
        const char *spec;
        long learns_in[3]; /* epochs 1, 3, 100 */
    } good[] = {
        {"3", {0, 1, 0}},
        {"2-", {0, 1, 1}},
        {"1-3", {1, 1, 0}},
        {"", {1, 1, 1}},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        rig r;
        ss_error err;
        CU_ASSERT_PTR_NOT_NULL_FATAL(learner_with_epochs(good[k].spec, &r, &err));
        ss_learner_set_enabled(r.learner, 1);
        const long epochs[3] = {1, 3, 100};
        for (int e = 0; e < 3; e++) {
            ss_learner_set_epoch(r.learner, epochs[e]);
            CU_ASSERT_EQUAL(ss_learner_layer_learning(r.learner, 1), good[k].learns_in[e]);
        }
        rig_down(&r);
    }
    static const char *bad[] = {"0", "3-2", "x", "2-x", "1-2-3", "-2"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rig r;
        ss_error err;
        CU_ASSERT_PTR_NULL(learner_with_epochs(bad[k], &r, &err));
        CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "epochs.ini:7"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "learn_epochs"));
        rig_down(&r);
    }
}

/* A label layer gating two neurons (label_mismatch, -20) and their lateral
 * inhibition (-4, x5 while learning); post learns in epoch 2 only. */
static const char *moded_model = "[layer.label]\ntype = label\nsize = 2\n"
                                 "[layer.post]\nsize = 2\nlearn_epochs = 2\n"
                                 "[projection.gate]\nfrom = label\nto = post\n"
                                 "connect = label_mismatch\nweight = -20\n"
                                 "[projection.inh]\nfrom = post\nto = post\nweight = -4\n"
                                 "learning_gain = 5\n";

static void test_learning_weights(void)
{
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, moded_model, "1,0\n"));
    /* At rest: the label line is off, the inhibition as configured. */
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 0), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -4, 1e-6);
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_set_epoch(r.learner, 1); /* others learn, post does not */
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 0), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -4, 1e-6);
    ss_learner_set_epoch(r.learner, 2);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 0), -20, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -20, 1e-6);
    /* A checkpoint taken while learning holds the configured weights, and
     * loading it into a resting network leaves them at rest. */
    ss_checkpoint *ck = ss_checkpoint_alloc();
    ss_error err;
    CU_ASSERT_EQUAL_FATAL(ss_learner_save(r.learner, ck, &err), SS_OK);
    float saved[2];
    CU_ASSERT_EQUAL(ss_checkpoint_get_f32(ck, "projection.inh.weights", saved, 2, &err), SS_OK);
    CU_ASSERT_DOUBLE_EQUAL(saved[0], -4, 1e-6);
    ss_learner_set_enabled(r.learner, 0);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 0), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -4, 1e-6);
    CU_ASSERT_EQUAL(ss_learner_load(r.learner, ck, &err), SS_OK);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -4, 1e-6);
    ss_learner_set_enabled(r.learner, 1);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 1), -20, 1e-6);
    ss_checkpoint_free(ck);
    rig_down(&r);
}

static void test_learning_gain_on_plastic_refused(void)
{
    rig r;
    const char *model = "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
                        "[layer.post]\nsize = 1\n"
                        "[projection.syn]\nfrom = pre\nto = post\nplastic = true\n"
                        "learning_gain = 2\n";
    ss_error err;
    CU_ASSERT_FALSE(rig_build(&r, "gain.ini", model, "1,0\n", &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.eng); /* only the learner refused it */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "gain.ini:11"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "fixed projections only"));
    rig_down(&r);
}

/* Teacher term onto post: the pre neuron fires at 5, 15 and 25 ms, the
 * label four times (regular 50 Hz over 80 ms), post is forced once.  With
 * resume_timing = presentation nothing moves until the end of the sample,
 * then w += resume_eta * (ratio * 4 - 1) * 3. */
static const char *presentation_model =
    "[plasticity]\neta = 0\nresume_eta = 0.1\nresume_ratio = 0.5\n"
    "resume_timing = presentation\nw_max = 5\n"
    "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
    "[layer.label]\ntype = label\nsize = 1\n"
    "[layer.post]\nsize = 1\n"
    "[projection.syn]\nfrom = pre\nto = post\nweight = 1\ndelay_ms = 1\nplastic = true\n"
    "[projection.teach]\nfrom = label\nto = post\nconnect = label_match\nweight = 0\n"
    "teacher = true\n";

static double presentation_change(int own_spikes, int end)
{
    rig r;
    if (!rig_up(&r, presentation_model, "5,0\n15,0\n25,0\n"))
        return NAN;
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 100);
    double r_hz = 50;
    ss_engine_set_input(r.eng, 1, &r_hz, SS_INPUT_REGULAR, 0, 80, NULL);
    for (int k = 0; k < own_spikes; k++)
        ss_engine_force_spike(r.eng, 2, 0, 40 + 10 * k, NULL);
    ss_engine_run(r.eng, 100, NULL);
    if (end)
        ss_learner_end_sample(r.learner);
    double dw = rig_weight(&r, 0) - 1.0;
    rig_down(&r);
    return dw;
}

static void test_teacher_per_presentation(void)
{
    CU_ASSERT_DOUBLE_EQUAL(presentation_change(1, 0), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(presentation_change(1, 1), 0.1 * (0.5 * 4 - 1) * 3, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(presentation_change(2, 1), 0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(presentation_change(4, 1), 0.1 * (0.5 * 4 - 4) * 3, 1e-6);
}

/* Own spikes without a teacher depress: below 0 only with w_abs_max. */
static void own_spike_depression(const char *bounds, double want)
{
    char model[1024];
    snprintf(model, sizeof model,
             "[plasticity]\neta = 0\nresume_eta = 0.1\nresume_timing = presentation\n"
             "[layer.pre]\ntype = spike_file\nsize = 1\nspike_file = pre.csv\n"
             "[layer.label]\ntype = label\nsize = 1\n"
             "[layer.post]\nsize = 1\n"
             "[projection.syn]\nfrom = pre\nto = post\nweight = 0.1\nplastic = true\n%s"
             "[projection.teach]\nfrom = label\nto = post\nconnect = label_match\nweight = 0\n"
             "teacher = true\n",
             bounds);
    rig r;
    CU_ASSERT_FATAL(rig_up(&r, model, "5,0\n15,0\n"));
    ss_learner_set_enabled(r.learner, 1);
    ss_learner_begin_sample(r.learner, 0, 100);
    ss_engine_force_spike(r.eng, 2, 0, 40, NULL);
    ss_engine_run(r.eng, 100, NULL);
    ss_learner_end_sample(r.learner);
    CU_ASSERT_DOUBLE_EQUAL(rig_weight(&r, 0), want, 1e-6);
    rig_down(&r);
}

static void test_signed_weights(void)
{
    own_spike_depression("", 0);                        /* [plasticity] w_min = 0 */
    own_spike_depression("w_abs_max = 5\n", 0.1 - 0.2); /* 0.1 - 0.1 * 1 * 2 */
    own_spike_depression("w_abs_max = 0.05\n", -0.05);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"a layer learns in its learn_epochs only", test_learn_epochs},
        {"learn_epochs forms and errors", test_learn_epochs_syntax},
        {"label lines and learning_gain act while learning", test_learning_weights},
        {"learning_gain on a plastic projection is an error",
         test_learning_gain_on_plastic_refused},
        {"teacher term per presentation", test_teacher_per_presentation},
        {"signed weights with w_abs_max", test_signed_weights},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("learn modes", cases);
    return ss_test_main();
}
