/* Readout: the predicted class from output spike counts.
 *
 * Predicted class = the output neuron with most spikes in the presentation
 * window; ties go to the earliest first spike, then the lowest index.  An
 * output layer that stays silent predicts nothing (-1), which counts as wrong.
 */
#ifndef SPIKSIM_READOUT_H
#define SPIKSIM_READOUT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* counts[n], first_spike_ms[n] (INFINITY when silent). Returns the class or -1. */
int ss_readout_predict(const unsigned *counts, const double *first_spike_ms, size_t n);

/* Confusion matrix (n_classes x n_classes, row = true label, column =
 * prediction) plus a count of silent predictions; accuracy counts silent
 * ones as wrong. */
typedef struct ss_confusion {
    size_t n_classes;
    long *cells;   /* n_classes * n_classes */
    long n_silent; /* samples with no output spike */
    long n_total;
} ss_confusion;

ss_confusion *ss_confusion_alloc(size_t n_classes);
void ss_confusion_free(ss_confusion *c);
void ss_confusion_reset(ss_confusion *c);
void ss_confusion_add(ss_confusion *c, int label, int predicted);
double ss_confusion_accuracy(const ss_confusion *c);

#ifdef __cplusplus
}
#endif
#endif
