/* Results of a run and their two renderings: the text summary printed after
 * every run and the --json file.
 *
 * A run is one or more folds (IRIS `folds = all` runs five); each fold holds
 * the spiking network's and the backprop baseline's accuracies, confusion
 * matrices, timings, and one FGSM row per epsilon.  Means and standard
 * deviations over folds are computed here (GSL statistics), not by callers.
 */
#ifndef SPIKSIM_REPORT_H
#define SPIKSIM_REPORT_H

#include <stdio.h>
#include <spiksim/error.h>
#include <spiksim/readout.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_fgsm_row {
    double eps;
    double backprop_whitebox;          /* MLP accuracy on its own FGSM inputs */
    double snn_surrogate_whitebox;     /* SNN accuracy on inputs crafted on its surrogate */
    double snn_transfer_from_backprop; /* SNN accuracy on inputs crafted on the MLP */
    double surrogate_clean_accuracy;   /* the surrogate's own accuracy on clean inputs */
} ss_fgsm_row;

/* Every attack of a fold: per-sample outcomes reduced to counts of test
 * samples still classified correctly (pooled over folds by the report). */
#define SS_ROBUST_MAX_EPS 16
#define SS_ROBUST_MAX_ATTACKS 12
enum { SS_TARGET_SNN = 0, SS_TARGET_BACKPROP = 1 };

typedef struct ss_attack_result {
    char name[48]; /* "PGD-20 via surrogate" */
    char key[32];  /* JSON: "pgd_surrogate" */
    int target;    /* SS_TARGET_SNN or SS_TARGET_BACKPROP: the network classifying */
    size_t correct[SS_ROBUST_MAX_EPS];
    long long queries; /* SPSA: scored inputs over every eps, else 0 */
} ss_attack_result;

typedef struct ss_robustness {
    int has; /* attacks ran */
    size_t samples;
    size_t n_eps; /* the fgsm_eps grid, then the sanity eps when not in it */
    double eps[SS_ROBUST_MAX_EPS];
    int sanity_row;                             /* row of the sanity eps, -1: none */
    size_t clean_correct[2];                    /* by target, the attacks' clean reference */
    size_t worst_correct[2][SS_ROBUST_MAX_EPS]; /* no attack on that target broke them */
    size_t n_attacks;
    ss_attack_result attacks[SS_ROBUST_MAX_ATTACKS];
    int has_surrogate;
    size_t surrogate_correct, surrogate_agree; /* agree: same class as the network */
    size_t surrogate_newton_failures;
    size_t pgd_steps, spsa_queries, spsa_batch, spsa_draws, spsa_iterations;
} ss_robustness;

typedef struct ss_fold_result {
    int fold; /* test fold index, or -1 for a fixed split */
    size_t n_train, n_test;
    /* spiking network */
    double train_accuracy, test_accuracy;
    ss_confusion *confusion;                            /* test split */
    double *epoch_train_accuracy, *epoch_test_accuracy; /* per epoch, NAN when not measured */
    double *epoch_train_s;         /* per epoch: seconds of training presentations */
    double *epoch_synaptic_events; /* and the synaptic events they processed */
    size_t n_epochs;
    double train_s, test_s;
    long long spikes, synaptic_events, samples_presented;
    /* how it ran: training partitions and threads, the threads of the passes
     * with plasticity off, MPI ranks, the window (d_min; INFINITY: none) */
    unsigned train_partitions, train_threads, eval_threads, ranks;
    double window_ms;
    /* backprop baseline (has_backprop = 0 when [evaluate] baseline = none) */
    int has_backprop;
    double bp_train_accuracy, bp_test_accuracy, bp_train_s;
    ss_confusion *bp_confusion;
    ss_fgsm_row *fgsm;
    size_t n_fgsm;
    size_t fgsm_samples; /* test samples attacked */
    /* An output that failed once the fold's results were in (a raster or
     * picture at the end, a checkpoint of an interrupted run): the results
     * are kept and reported, and the run then fails with this. code 0: none. */
    ss_error late;
    ss_robustness robust;
} ss_fold_result;

typedef struct ss_results {
    const char *model;   /* model file path */
    const char *dataset; /* "iris", "mnist" */
    const char *split;   /* e.g. "iris 5-fold", "MNIST-10k k%5==4" */
    unsigned long seed;
    size_t n_classes;
    const char **class_names; /* n_classes names (the array is freed with the results,
                                 the names are not) */
    ss_fold_result *folds;
    size_t n_folds;
    unsigned folds_at_once; /* folds run on threads side by side (1: in turn) */
} ss_results;

/* The first fold's late error (see ss_fold_result), NULL when none. */
const ss_error *ss_results_late_error(const ss_results *r);
/* Allocates n_folds empty folds with confusion matrices for n_classes. */
int ss_results_init(ss_results *r, size_t n_folds, size_t n_classes, ss_error *err);
void ss_results_free(ss_results *r);
/* Allocates per-epoch arrays (NAN-filled) and n_fgsm rows in one fold. */
int ss_fold_result_reserve(ss_fold_result *f, size_t n_epochs, size_t n_fgsm, ss_error *err);

/* Mean and sample sd over folds of a field picked by offset, e.g.
 * ss_results_stat(r, offsetof(ss_fold_result, test_accuracy), &sd). */
double ss_results_stat(const ss_results *r, size_t field_offset, double *sd);

void ss_results_print(const ss_results *r, FILE *out);
int ss_results_write_json(const ss_results *r, const char *path, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
