/* Spike trains and spike files (see source.h).  The source layers' runtime
 * is in layer_source.c. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/source.h>

#include "infile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ss_spike_train_clear(ss_spike_train *st)
{
    if (!st)
        return;
    free(st->t_ms);
    free(st->neuron);
    st->t_ms = NULL;
    st->neuron = NULL;
    st->n = 0;
}

typedef struct {
    double t;
    uint32_t neuron;
} spike;

static int spike_cmp(const void *pa, const void *pb)
{
    const spike *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->neuron > b->neuron) - (a->neuron < b->neuron);
}

/* Sorts a train that is already in time order by neuron within equal times
 * (ties break on the id, as everywhere) and refuses duplicates. */
static int finish(ss_spike_train *st, spike *sp, size_t n, const char *path, const long *lines,
                  ss_error *err)
{
    int sorted = 1;
    for (size_t k = 1; k < n && sorted; k++)
        sorted = spike_cmp(&sp[k - 1], &sp[k]) <= 0;
    if (!sorted)
        qsort(sp, n, sizeof *sp, spike_cmp);
    for (size_t k = 1; k < n; k++)
        if (sp[k].t == sp[k - 1].t && sp[k].neuron == sp[k - 1].neuron) {
            if (path)
                return ss_error_set_at(err, SS_EDATA, path, lines ? lines[k] : 0,
                                       "neuron %u spikes twice at %g ms", sp[k].neuron, sp[k].t);
            return ss_error_set(err, SS_EDATA, "neuron %u spikes twice at %g ms", sp[k].neuron,
                                sp[k].t);
        }
    st->t_ms = malloc((n ? n : 1) * sizeof *st->t_ms);
    st->neuron = malloc((n ? n : 1) * sizeof *st->neuron);
    if (!st->t_ms || !st->neuron) {
        ss_spike_train_clear(st);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        st->t_ms[k] = sp[k].t;
        st->neuron[k] = sp[k].neuron;
    }
    st->n = n;
    return SS_OK;
}

int ss_spike_train_set(ss_spike_train *st, size_t n_neurons, const double *t_ms,
                       const uint32_t *neuron, size_t n, ss_error *err)
{
    memset(st, 0, sizeof *st);
    spike *sp = malloc((n ? n : 1) * sizeof *sp);
    if (!sp)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const char *why = NULL;
        if (!isfinite(t_ms[k]) || t_ms[k] < 0)
            why = "time must be finite and >= 0";
        else if (k && t_ms[k] < t_ms[k - 1])
            why = "times are not sorted";
        else if (neuron[k] >= n_neurons)
            why = "neuron out of range";
        if (why) {
            free(sp);
            return ss_error_set(err, SS_EDATA, "spike %zu (%g ms, neuron %u): %s", k, t_ms[k],
                                neuron[k], why);
        }
        sp[k].t = t_ms[k];
        sp[k].neuron = neuron[k];
    }
    int rc = finish(st, sp, n, NULL, NULL, err);
    free(sp);
    return rc;
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' || *s == '#';
}

int ss_spike_file_read(const char *path, size_t n_neurons, ss_spike_train *out, ss_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = ss__input_open(path, "spike file", "r", err);
    if (!fp)
        return err ? err->code : SS_EDATA;
    spike *sp = NULL;
    long *lines = NULL;
    size_t n = 0, cap = 0;
    char *buf = NULL;
    size_t bufcap = 0;
    long line = 0;
    int rc = SS_OK, seen_data = 0;
    double last_t = -INFINITY;
    errno = 0;
    while (getline(&buf, &bufcap, fp) >= 0) {
        line++;
        if (blank(buf))
            continue;
        if (!seen_data && strncmp(buf, "time_ms,neuron", 14) == 0 && blank(buf + 14)) {
            seen_data = 1;
            continue;
        }
        seen_data = 1;
        char *end;
        errno = 0;
        double t = strtod(buf, &end);
        if (end == buf || *end != ',') {
            rc = ss_error_set_at(err, SS_EDATA, path, line, "expected 'time_ms,neuron'");
            break;
        }
        char *p = end + 1;
        while (*p == ' ')
            p++;
        errno = 0;
        char *end2;
        long long id = strtoll(p, &end2, 10);
        if (end2 == p || errno || !blank(end2)) {
            rc = ss_error_set_at(err, SS_EDATA, path, line, "expected 'time_ms,neuron'");
            break;
        }
        if (!isfinite(t) || t < 0) {
            rc =
                ss_error_set_at(err, SS_EDATA, path, line, "time %g ms must be finite and >= 0", t);
            break;
        }
        if (t < last_t) {
            rc = ss_error_set_at(err, SS_EDATA, path, line,
                                 "times are not sorted (%g ms after %g ms)", t, last_t);
            break;
        }
        if (id < 0 || (unsigned long long)id >= n_neurons) {
            rc = ss_error_set_at(err, SS_EDATA, path, line,
                                 "neuron %lld out of range (the layer has %zu)", id, n_neurons);
            break;
        }
        last_t = t;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            spike *ns = realloc(sp, cap * sizeof *ns);
            long *nl = ns ? realloc(lines, cap * sizeof *nl) : NULL;
            if (ns)
                sp = ns;
            if (nl)
                lines = nl;
            if (!ns || !nl) {
                rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
                break;
            }
        }
        sp[n].t = t;
        sp[n].neuron = (uint32_t)id;
        lines[n] = line;
        n++;
    }
    if (rc == SS_OK && ferror(fp))
        rc = ss__input_read_error(path, "spike file", errno, err);
    fclose(fp);
    free(buf);
    if (rc == SS_OK) {
        /* qsort would lose the line numbers: sort (t, neuron, line) together
         * only when a tie needs it; times are already in order. */
        int ties = 0;
        for (size_t k = 1; k < n; k++)
            if (sp[k].t == sp[k - 1].t && sp[k].neuron <= sp[k - 1].neuron)
                ties = 1;
        if (ties) {
            for (size_t k = 1; k < n; k++) /* insertion sort within equal times */
                for (size_t m = k;
                     m > 0 && sp[m].t == sp[m - 1].t && sp[m].neuron < sp[m - 1].neuron; m--) {
                    spike ts = sp[m];
                    sp[m] = sp[m - 1];
                    sp[m - 1] = ts;
                    long tl = lines[m];
                    lines[m] = lines[m - 1];
                    lines[m - 1] = tl;
                }
        }
        rc = finish(out, sp, n, path, lines, err);
    }
    free(sp);
    free(lines);
    return rc;
}
