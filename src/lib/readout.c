/* Readout from output spike counts, see readout.h. */
#include <spiksim/readout.h>

#include <stdlib.h>

int ss_readout_predict(const unsigned *counts, const double *first_spike_ms, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (counts[i] == 0)
            continue;
        if (best < 0 || counts[i] > counts[best] ||
            (counts[i] == counts[best] && first_spike_ms[i] < first_spike_ms[best]))
            best = (int)i;
    }
    return best;
}

ss_confusion *ss_confusion_alloc(size_t n_classes)
{
    ss_confusion *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cells = calloc(n_classes * n_classes, sizeof *c->cells);
    if (!c->cells) {
        free(c);
        return NULL;
    }
    c->n_classes = n_classes;
    return c;
}

void ss_confusion_free(ss_confusion *c)
{
    if (c) {
        free(c->cells);
        free(c);
    }
}

void ss_confusion_reset(ss_confusion *c)
{
    for (size_t i = 0; i < c->n_classes * c->n_classes; i++)
        c->cells[i] = 0;
    c->n_silent = c->n_total = 0;
}

void ss_confusion_add(ss_confusion *c, int label, int predicted)
{
    c->n_total++;
    if (predicted < 0) {
        c->n_silent++;
        return;
    }
    c->cells[(size_t)label * c->n_classes + (size_t)predicted]++;
}

double ss_confusion_accuracy(const ss_confusion *c)
{
    if (c->n_total == 0)
        return 0;
    long right = 0;
    for (size_t i = 0; i < c->n_classes; i++)
        right += c->cells[i * c->n_classes + i];
    return (double)right / (double)c->n_total;
}
