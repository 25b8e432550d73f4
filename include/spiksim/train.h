/* A spiking classifier: the network of a model file, its engine and learner,
 * the encoder that turns samples into input rates, and the readout.
 *
 * One presentation: the engine is reset (or, with [encoding] reset = false,
 * simply goes on), the input layer fires at the sample's rates for
 * presentation_ms, during training the label layer fires for the label (the
 * teacher) and plasticity is on, and the output layer's spike counts give the
 * class (readout.h).  At test time teacher and plasticity are off.
 */
#ifndef SPIKSIM_TRAIN_H
#define SPIKSIM_TRAIN_H

#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <spiksim/checkpoint.h>
#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/encode.h>
#include <spiksim/engine.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>
#include <spiksim/progress.h>
#include <spiksim/readout.h>
#include <spiksim/report.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_classifier ss_classifier;

/* Builds everything from cfg for samples of n_features features and
 * n_classes classes; every random choice derives from seed.  Checks that the
 * input layer has the encoder's size, the output layer one neuron per class
 * and the label layer (if any) one neuron per class. */
ss_classifier *ss_classifier_alloc(const ss_config *cfg, size_t n_features, size_t n_classes,
                                   unsigned long seed, ss_error *err);
/* The same on threads threads instead of [simulation] threads (0: every
 * online core).  Training runs partitioned over them; the passes with
 * plasticity off (evaluation, queries) are spread over them by sample.
 * Every result is the same for any number (docs/parallel.md). */
ss_classifier *ss_classifier_alloc_threads(const ss_config *cfg, size_t n_features,
                                           size_t n_classes, unsigned long seed, unsigned threads,
                                           ss_error *err);
/* The same on the ranks of comm (MPI; NULL: this process alone): every rank
 * calls every function of the classifier in the same order with the same
 * arguments; passes with plasticity off are split by sample across the
 * ranks and their results are every rank's, training runs across the ranks
 * when it is partitioned (docs/parallel.md).  Results are those of one
 * process. */
ss_classifier *ss_classifier_alloc_comm(const ss_config *cfg, size_t n_features,
                                        size_t n_classes, unsigned long seed, unsigned threads,
                                        ss_comm *comm, ss_error *err);
void ss_classifier_free(ss_classifier *c);
/* How a classifier of cfg on net would train: partitions, threads, window
 * ([simulation] partitions, else one per thread when the training windows
 * hold enough work, else one; the passes with plasticity off use every
 * thread). */
void ss_classifier_plan(const ss_network *net, const ss_config *cfg, ss_engine_plan *plan);
/* The training engine's plan as built (partitions, threads, window, ranks). */
void ss_classifier_get_plan(const ss_classifier *c, ss_engine_plan *plan);
/* Threads of the passes with plasticity off. */
unsigned ss_classifier_threads(const ss_classifier *c);
/* Counters of every engine the classifier runs (training and the threads'
 * evaluation engines): spikes and synaptic events do not depend on the
 * number of threads. */
void ss_classifier_get_counters(const ss_classifier *c, ss_engine_counters *counters);

/* With a log (-v), each phase ends with a line of per-layer activity.  With
 * several MPI ranks every rank calls it (the counts are summed over them),
 * log NULL on all but rank 0. */
void ss_classifier_set_log(ss_classifier *c, FILE *log);

ss_network *ss_classifier_network(ss_classifier *c);
/* The training engine: observers added to it see every presentation's
 * spikes, evaluation passes included (those run on other engines and are
 * replayed to it in sample order). */
ss_engine *ss_classifier_engine(ss_classifier *c);
const ss_encoder *ss_classifier_encoder(const ss_classifier *c);
const ss_learner *ss_classifier_learner(const ss_classifier *c);
size_t ss_classifier_input_layer(const ss_classifier *c);
size_t ss_classifier_output_layer(const ss_classifier *c);

/* Output of one presentation. */
typedef struct ss_presentation {
    int predicted;                /* class, or -1 when the output stayed silent */
    const unsigned *counts;       /* per output neuron, valid until the next call */
    const double *first_spike_ms; /* relative to the presentation start */
    double t0_ms;                 /* engine time the presentation started */
} ss_presentation;

/* Listening to presentations (rasters, live views): called before (begin = 1)
 * and after (begin = 0, predicted filled) each presentation that training
 * makes: kind says which pass it belongs to, epoch counts from 0 (training),
 * index is the sample's row in its part of the split. */
typedef enum {
    SS_PASS_TRAIN,      /* a training presentation, plasticity on */
    SS_PASS_TRAIN_EVAL, /* train accuracy after training */
    SS_PASS_TEST,       /* the final test */
    SS_PASS_OTHER       /* any other ss_classifier_evaluate() call */
} ss_pass;
typedef void (*ss_presentation_fn)(void *ctx, int begin, ss_pass kind, long epoch, size_t index,
                                   int label, int predicted, double t0_ms);
void ss_classifier_set_listener(ss_classifier *c, ss_presentation_fn fn, void *ctx);
/* The listener set (fn NULL when none), so that another can be chained. */
void ss_classifier_get_listener(const ss_classifier *c, ss_presentation_fn *fn, void **ctx);

/* Presents features; with train = 1, label drives the teacher and
 * plasticity learns.  Fills out (may be NULL). */
int ss_classifier_present(ss_classifier *c, const double *features, int label, int train,
                          ss_presentation *out, ss_error *err);

/* Queries with plasticity off, as an attack sees the network: presents the
 * n feature rows x (n x n_features) one by one, the input spikes of row i
 * drawn from the noise stream named by noise_keys[i] (the same key gives the
 * same input spikes for the same features; different keys, independent
 * draws).  counts receives n x n_classes output spike counts and predicted
 * (may be NULL) the n predicted classes (-1: silent).  Listeners are not told
 * (these are not passes of the run); the running input stream of training
 * and evaluation is left as it was. */
int ss_classifier_query(ss_classifier *c, const double *x, size_t n, const uint64_t *noise_keys,
                        unsigned *counts, int *predicted, ss_error *err);

/* Accuracy over n samples (plasticity off); fills confusion when not NULL. */
int ss_classifier_evaluate(ss_classifier *c, const double *x, const int *y, size_t n,
                           ss_confusion *confusion, ss_progress *progress, const char *phase,
                           double *accuracy, ss_error *err);

/* The same as the final test of ss_classifier_train(): listeners see it as
 * SS_PASS_TEST (a network loaded with --no-train is tested this way). */
int ss_classifier_test(ss_classifier *c, const double *x, const int *y, size_t n,
                       ss_confusion *confusion, ss_progress *progress, double *accuracy,
                       ss_error *err);

/* Trains [train] epochs on the split's training part and measures
 * accuracies into fold (train accuracy by a pass with plasticity off, test
 * accuracy on the test part).  *stop (a signal handler's flag, may be NULL)
 * is checked between samples: when set, training stops after the current
 * sample and SS_EINTR is returned. */
int ss_classifier_train(ss_classifier *c, const ss_config *cfg, const ss_split *split,
                        ss_fold_result *fold, ss_progress *progress,
                        const volatile sig_atomic_t *stop, ss_error *err);

/* Learned state (weights, thresholds, network shape) in or out of a
 * checkpoint file, written atomically. */
int ss_classifier_save(const ss_classifier *c, const char *path, ss_error *err);
int ss_classifier_load(ss_classifier *c, const char *path, ss_error *err);
/* The same in memory: learned state into ck (a copy of the network for a
 * live server, say), or back from it. */
int ss_classifier_snapshot(const ss_classifier *c, ss_checkpoint *ck, ss_error *err);
int ss_classifier_restore(ss_classifier *c, const ss_checkpoint *ck, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
