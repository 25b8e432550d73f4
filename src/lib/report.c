/* Run results: text summary and JSON, see report.h. */
#include <spiksim/report.h>

#include <spiksim/atomic.h>
#include <spiksim/attack.h>
#include <spiksim/json.h>

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int ss_results_init(ss_results *r, size_t n_folds, size_t n_classes, ss_error *err)
{
    memset(r, 0, sizeof *r);
    r->folds = calloc(n_folds, sizeof *r->folds);
    if (!r->folds)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    r->n_folds = n_folds;
    r->n_classes = n_classes;
    for (size_t i = 0; i < n_folds; i++) {
        ss_fold_result *f = &r->folds[i];
        f->fold = -1;
        f->confusion = ss_confusion_alloc(n_classes);
        f->bp_confusion = ss_confusion_alloc(n_classes);
        if (!f->confusion || !f->bp_confusion) {
            ss_results_free(r);
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        }
    }
    return SS_OK;
}

const ss_error *ss_results_late_error(const ss_results *r)
{
    for (size_t i = 0; r->folds && i < r->n_folds; i++)
        if (r->folds[i].late.code)
            return &r->folds[i].late;
    return NULL;
}

void ss_results_free(ss_results *r)
{
    free(r->class_names);
    r->class_names = NULL;
    if (!r->folds)
        return;
    for (size_t i = 0; i < r->n_folds; i++) {
        ss_fold_result *f = &r->folds[i];
        ss_confusion_free(f->confusion);
        ss_confusion_free(f->bp_confusion);
        free(f->epoch_train_accuracy);
        free(f->epoch_test_accuracy);
        free(f->epoch_train_s);
        free(f->epoch_synaptic_events);
        free(f->fgsm);
    }
    free(r->folds);
    r->folds = NULL;
    r->n_folds = 0;
}

int ss_fold_result_reserve(ss_fold_result *f, size_t n_epochs, size_t n_fgsm, ss_error *err)
{
    f->epoch_train_accuracy = malloc((n_epochs ? n_epochs : 1) * sizeof(double));
    f->epoch_test_accuracy = malloc((n_epochs ? n_epochs : 1) * sizeof(double));
    f->epoch_train_s = malloc((n_epochs ? n_epochs : 1) * sizeof(double));
    f->epoch_synaptic_events = malloc((n_epochs ? n_epochs : 1) * sizeof(double));
    f->fgsm = calloc(n_fgsm ? n_fgsm : 1, sizeof *f->fgsm);
    if (!f->epoch_train_accuracy || !f->epoch_test_accuracy || !f->epoch_train_s ||
        !f->epoch_synaptic_events || !f->fgsm)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t e = 0; e < n_epochs; e++)
        f->epoch_train_accuracy[e] = f->epoch_test_accuracy[e] = f->epoch_train_s[e] =
            f->epoch_synaptic_events[e] = NAN;
    for (size_t k = 0; k < n_fgsm; k++) {
        ss_fgsm_row *row = &f->fgsm[k];
        row->backprop_whitebox = row->snn_surrogate_whitebox = NAN;
        row->snn_transfer_from_backprop = row->surrogate_clean_accuracy = NAN;
    }
    f->n_epochs = n_epochs;
    f->n_fgsm = n_fgsm;
    return SS_OK;
}

/* Mean and sample sd of the NAN-free values (at most 64 folds). */
static double mean_sd(const double *values, size_t m, double *sd)
{
    if (sd)
        *sd = m > 1 ? gsl_stats_sd(values, 1, m) : 0;
    return m ? gsl_stats_mean(values, 1, m) : NAN;
}

double ss_results_stat(const ss_results *r, size_t field_offset, double *sd)
{
    double values[64];
    size_t m = 0;
    for (size_t i = 0; i < r->n_folds && m < 64; i++) {
        double v;
        memcpy(&v, (const char *)&r->folds[i] + field_offset, sizeof v);
        if (!isnan(v))
            values[m++] = v;
    }
    return mean_sd(values, m, sd);
}

/* Mean over folds of FGSM row k's field. */
static double fgsm_stat(const ss_results *r, size_t k, size_t offset, double *sd)
{
    double values[64];
    size_t m = 0;
    for (size_t i = 0; i < r->n_folds && m < 64; i++)
        if (k < r->folds[i].n_fgsm) {
            double v;
            memcpy(&v, (const char *)&r->folds[i].fgsm[k] + offset, sizeof v);
            if (!isnan(v))
                values[m++] = v;
        }
    return mean_sd(values, m, sd);
}

static long long sum_ll(const ss_results *r, size_t offset)
{
    long long total = 0;
    for (size_t i = 0; i < r->n_folds; i++) {
        long long v;
        memcpy(&v, (const char *)&r->folds[i] + offset, sizeof v);
        total += v;
    }
    return total;
}

static double sum_d(const ss_results *r, size_t offset)
{
    double total = 0;
    for (size_t i = 0; i < r->n_folds; i++) {
        double v;
        memcpy(&v, (const char *)&r->folds[i] + offset, sizeof v);
        total += v;
    }
    return total;
}

/* "95.3%" or "95.3 ± 2.1%" when there are several folds; "-" for NAN. */
static void pct(char *buf, size_t n, double mean, double sd, size_t n_folds)
{
    if (isnan(mean))
        snprintf(buf, n, "-");
    else if (n_folds > 1)
        snprintf(buf, n, "%.1f ± %.1f%%", 100 * mean, 100 * sd);
    else
        snprintf(buf, n, "%.1f%%", 100 * mean);
}

#define FIELD(name) offsetof(ss_fold_result, name)
#define ROW(name) offsetof(ss_fgsm_row, name)

/* ---- Robustness: counts pooled over folds -------------------------------- */

static const ss_robustness *rb0(const ss_results *r)
{
    return r->n_folds && r->folds[0].has_backprop && r->folds[0].robust.has ? &r->folds[0].robust
                                                                            : NULL;
}

static size_t pool_samples(const ss_results *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_folds; i++)
        n += r->folds[i].robust.samples;
    return n;
}

/* Correct counts pooled over folds: attack a (or, a < 0, the worst case of
 * target -1 - a ... ) at eps row k. */
static size_t pool_attack(const ss_results *r, size_t a, size_t k)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n_folds; i++)
        c += r->folds[i].robust.attacks[a].correct[k];
    return c;
}

static size_t pool_worst(const ss_results *r, int target, size_t k)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n_folds; i++)
        c += r->folds[i].robust.worst_correct[target][k];
    return c;
}

static size_t pool_clean(const ss_results *r, int target)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n_folds; i++)
        c += r->folds[i].robust.clean_correct[target];
    return c;
}

static long long pool_queries(const ss_results *r, size_t a)
{
    long long q = 0;
    for (size_t i = 0; i < r->n_folds; i++)
        q += r->folds[i].robust.attacks[a].queries;
    return q;
}

/* Attack a fails its sanity check: above chance at the sanity eps. */
static int attack_broken(const ss_results *r, size_t a)
{
    const ss_robustness *rb = rb0(r);
    return rb->sanity_row >= 0 && ss_attack_broken(pool_attack(r, a, (size_t)rb->sanity_row),
                                                   pool_samples(r), r->n_classes);
}

/* eps = 0 rows equal the clean outcome for every attack. */
static int eps0_is_clean(const ss_results *r, size_t a)
{
    const ss_robustness *rb = rb0(r);
    int tgt = rb->attacks[a].target;
    for (size_t k = 0; k < rb->n_eps; k++)
        if (rb->eps[k] == 0 && pool_attack(r, a, k) != pool_clean(r, tgt))
            return 0;
    return 1;
}

/* "93.0 [90.1, 95.2]" */
static void pct_ci(char *buf, size_t len, size_t k, size_t n)
{
    double lo, hi;
    ss_wilson(k, n, 1.96, &lo, &hi);
    if (n == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f [%.1f, %.1f]", 100.0 * k / n, 100 * lo, 100 * hi);
}

static const char *target_name(int t)
{
    return t == SS_TARGET_SNN ? "spiking" : "backprop";
}

static void print_robustness(const ss_results *r, FILE *out)
{
    const ss_robustness *rb = rb0(r);
    size_t n = pool_samples(r), nf = r->n_folds;
    char buf[64];
    fprintf(out,
            "\n  Robustness: L-inf attacks, inputs in [0, 1], the first %zu test samples%s "
            "(%zu in all); accuracy %% [95%% Wilson interval]\n",
            rb->samples, nf > 1 ? " of each fold" : "", n);
    fprintf(out,
            "  PGD %zu steps with a random start; SPSA %zu queries per sample and eps "
            "(%zu iterations of %zu directions, spike counts averaged over %zu Poisson "
            "draws per point; backprop: the same iterations, 1 draw)\n",
            rb->pgd_steps, rb->spsa_queries, rb->spsa_iterations, rb->spsa_batch, rb->spsa_draws);
    if (rb->has_surrogate) {
        size_t sc = 0, ag = 0, nw = 0;
        for (size_t i = 0; i < nf; i++) {
            sc += r->folds[i].robust.surrogate_correct;
            ag += r->folds[i].robust.surrogate_agree;
            nw += r->folds[i].robust.surrogate_newton_failures;
        }
        fprintf(out,
                "  surrogate (mean-field, lateral inhibition): clean accuracy %.1f%% against "
                "the network's %.1f%% (%+.1f points); same class as the network on %.1f%%\n",
                100.0 * sc / n, 100.0 * pool_clean(r, SS_TARGET_SNN) / n,
                100.0 * ((double)sc - (double)pool_clean(r, SS_TARGET_SNN)) / n, 100.0 * ag / n);
        if (nw)
            fprintf(out, "  (%zu surrogate evaluations stopped short of the fixed point)\n", nw);
    }
    for (int t = 1; t >= 0; t--) {
        fprintf(out, "\n  %s network, accuracy under attack\n  %-6s", target_name(t), "eps");
        for (size_t a = 0; a < rb->n_attacks; a++)
            if (rb->attacks[a].target == t)
                fprintf(out, " %-21s", rb->attacks[a].name);
        fprintf(out, " %s\n", "worst case");
        for (size_t k = 0; k < rb->n_eps; k++) {
            fprintf(out, "  %-6g", rb->eps[k]);
            for (size_t a = 0; a < rb->n_attacks; a++)
                if (rb->attacks[a].target == t) {
                    pct_ci(buf, sizeof buf, pool_attack(r, a, k), n);
                    fprintf(out, " %-21s", buf);
                }
            pct_ci(buf, sizeof buf, pool_worst(r, t, k), n);
            fprintf(out, " %s%s\n", buf, (int)k == rb->sanity_row ? "  (sanity)" : "");
        }
    }
    fprintf(out, "\n  worst case over every attack (a sample counts only if no attack broke it)\n");
    fprintf(out, "  %-6s %-22s %-22s\n", "eps", "backprop", "spiking");
    for (size_t k = 0; k < rb->n_eps; k++) {
        char b2[64];
        pct_ci(buf, sizeof buf, pool_worst(r, SS_TARGET_BACKPROP, k), n);
        pct_ci(b2, sizeof b2, pool_worst(r, SS_TARGET_SNN, k), n);
        fprintf(out, "  %-6g %-22s %-22s%s\n", rb->eps[k], buf, b2,
                (int)k == rb->sanity_row ? "  (sanity)" : "");
    }
    int broken = 0, unclean = 0;
    for (size_t a = 0; a < rb->n_attacks; a++) {
        if (attack_broken(r, a)) {
            fprintf(out,
                    "  SANITY CHECK FAILED: %s on %s stays above chance (%.1f%% > %.1f%%) at "
                    "eps %g: the attack is broken, its figures understate what an attacker can "
                    "do\n",
                    rb->attacks[a].name, target_name(rb->attacks[a].target),
                    100.0 * pool_attack(r, a, (size_t)rb->sanity_row) / n, 100.0 / r->n_classes,
                    rb->eps[rb->sanity_row]);
            broken = 1;
        }
        if (!eps0_is_clean(r, a)) {
            fprintf(out, "  CHECK FAILED: %s on %s at eps 0 differs from the clean accuracy\n",
                    rb->attacks[a].name, target_name(rb->attacks[a].target));
            unclean = 1;
        }
    }
    if (rb->sanity_row >= 0 && !broken)
        fprintf(out, "  sanity: every attack is at chance (%.1f%%) or below at eps %g\n",
                100.0 / r->n_classes, rb->eps[rb->sanity_row]);
    if (!unclean)
        fprintf(out, "  eps 0 gives the clean accuracy for every attack\n");
}

static void json_ci_arrays(ss_json *j, const size_t *counts, size_t m, size_t n)
{
    double acc[SS_ROBUST_MAX_EPS], lo[SS_ROBUST_MAX_EPS], hi[SS_ROBUST_MAX_EPS];
    long long cc[SS_ROBUST_MAX_EPS];
    for (size_t k = 0; k < m; k++) {
        acc[k] = n ? (double)counts[k] / (double)n : NAN;
        ss_wilson(counts[k], n, 1.96, &lo[k], &hi[k]);
        cc[k] = (long long)counts[k];
    }
    ss_json_key(j, "accuracy");
    ss_json_double_array(j, acc, m);
    ss_json_key(j, "ci95_low");
    ss_json_double_array(j, lo, m);
    ss_json_key(j, "ci95_high");
    ss_json_double_array(j, hi, m);
    ss_json_key(j, "correct");
    ss_json_array_begin(j);
    for (size_t k = 0; k < m; k++)
        ss_json_int(j, cc[k]);
    ss_json_array_end(j);
}

static void json_robustness(ss_json *j, const ss_results *r)
{
    const ss_robustness *rb = rb0(r);
    size_t n = pool_samples(r), m = rb->n_eps;
    ss_json_key(j, "robustness");
    ss_json_object_begin(j);
    ss_json_key(j, "samples");
    ss_json_int(j, (long long)n);
    ss_json_key(j, "samples_per_fold");
    ss_json_int(j, (long long)rb->samples);
    ss_json_key(j, "eps");
    ss_json_double_array(j, rb->eps, m);
    ss_json_key(j, "sanity_eps");
    if (rb->sanity_row >= 0)
        ss_json_number(j, rb->eps[rb->sanity_row]);
    else
        ss_json_null(j);
    ss_json_key(j, "chance");
    ss_json_number(j, 1.0 / (double)r->n_classes);
    ss_json_key(j, "pgd_steps");
    ss_json_int(j, (long long)rb->pgd_steps);
    ss_json_key(j, "spsa");
    ss_json_object_begin(j);
    ss_json_key(j, "queries_per_sample");
    ss_json_int(j, (long long)rb->spsa_queries);
    ss_json_key(j, "iterations");
    ss_json_int(j, (long long)rb->spsa_iterations);
    ss_json_key(j, "batch");
    ss_json_int(j, (long long)rb->spsa_batch);
    ss_json_key(j, "draws");
    ss_json_int(j, (long long)rb->spsa_draws);
    ss_json_object_end(j);
    ss_json_key(j, "surrogate");
    if (rb->has_surrogate) {
        size_t sc = 0, ag = 0;
        for (size_t i = 0; i < r->n_folds; i++) {
            sc += r->folds[i].robust.surrogate_correct;
            ag += r->folds[i].robust.surrogate_agree;
        }
        ss_json_object_begin(j);
        ss_json_key(j, "clean_accuracy");
        ss_json_number(j, n ? (double)sc / (double)n : NAN);
        ss_json_key(j, "network_clean_accuracy");
        ss_json_number(j, n ? (double)pool_clean(r, SS_TARGET_SNN) / (double)n : NAN);
        ss_json_key(j, "agreement");
        ss_json_number(j, n ? (double)ag / (double)n : NAN);
        ss_json_object_end(j);
    } else {
        ss_json_null(j);
    }
    ss_json_key(j, "attacks");
    ss_json_array_begin(j);
    for (size_t a = 0; a < rb->n_attacks; a++) {
        size_t counts[SS_ROBUST_MAX_EPS];
        for (size_t k = 0; k < m; k++)
            counts[k] = pool_attack(r, a, k);
        ss_json_object_begin(j);
        ss_json_key(j, "name");
        ss_json_string(j, rb->attacks[a].name);
        ss_json_key(j, "key");
        ss_json_string(j, rb->attacks[a].key);
        ss_json_key(j, "network");
        ss_json_string(j, target_name(rb->attacks[a].target));
        json_ci_arrays(j, counts, m, n);
        ss_json_key(j, "queries");
        ss_json_int(j, pool_queries(r, a));
        ss_json_key(j, "broken");
        ss_json_bool(j, attack_broken(r, a));
        ss_json_key(j, "eps0_is_clean");
        ss_json_bool(j, eps0_is_clean(r, a));
        ss_json_object_end(j);
    }
    ss_json_array_end(j);
    ss_json_key(j, "clean");
    ss_json_object_begin(j);
    ss_json_key(j, "backprop");
    ss_json_number(j, n ? (double)pool_clean(r, SS_TARGET_BACKPROP) / (double)n : NAN);
    ss_json_key(j, "spiking");
    ss_json_number(j, n ? (double)pool_clean(r, SS_TARGET_SNN) / (double)n : NAN);
    ss_json_object_end(j);
    ss_json_key(j, "worst_case");
    ss_json_object_begin(j);
    for (int t = 1; t >= 0; t--) {
        size_t counts[SS_ROBUST_MAX_EPS];
        for (size_t k = 0; k < m; k++)
            counts[k] = pool_worst(r, t, k);
        ss_json_key(j, target_name(t));
        ss_json_object_begin(j);
        json_ci_arrays(j, counts, m, n);
        ss_json_object_end(j);
    }
    ss_json_object_end(j);
    ss_json_object_end(j);
}

static void print_confusion(const ss_results *r, const ss_confusion *c, FILE *out)
{
    fprintf(out, "  %-12s", "true\\pred");
    for (size_t j = 0; j < r->n_classes; j++)
        fprintf(out, " %7.7s", r->class_names ? r->class_names[j] : "?");
    fprintf(out, "\n");
    for (size_t i = 0; i < r->n_classes; i++) {
        fprintf(out, "  %-12.12s", r->class_names ? r->class_names[i] : "?");
        for (size_t j = 0; j < r->n_classes; j++)
            fprintf(out, " %7ld", c->cells[i * r->n_classes + j]);
        fprintf(out, "\n");
    }
    if (c->n_silent)
        fprintf(out, "  (%ld test samples with no output spike, counted as wrong)\n", c->n_silent);
}

void ss_results_print(const ss_results *r, FILE *out)
{
    char a[64], b[64];
    double sd;
    size_t nf = r->n_folds;
    fprintf(out, "\n%s: %s, %zu classes, %s, seed %lu\n", r->model, r->dataset, r->n_classes,
            r->split, r->seed);
    int has_bp = nf && r->folds[0].has_backprop;
    fprintf(out, "\n  %-22s %-18s %s\n", "accuracy", "spiking (local)", has_bp ? "backprop" : "");
    double m = ss_results_stat(r, FIELD(train_accuracy), &sd);
    pct(a, sizeof a, m, sd, nf);
    m = ss_results_stat(r, FIELD(bp_train_accuracy), &sd);
    pct(b, sizeof b, m, sd, nf);
    fprintf(out, "  %-22s %-18s %s\n", "train", a, has_bp ? b : "");
    m = ss_results_stat(r, FIELD(test_accuracy), &sd);
    pct(a, sizeof a, m, sd, nf);
    m = ss_results_stat(r, FIELD(bp_test_accuracy), &sd);
    pct(b, sizeof b, m, sd, nf);
    fprintf(out, "  %-22s %-18s %s\n", "test", a, has_bp ? b : "");
    if (nf > 1)
        for (size_t i = 0; i < nf; i++) {
            pct(a, sizeof a, r->folds[i].test_accuracy, 0, 1);
            pct(b, sizeof b, r->folds[i].bp_test_accuracy, 0, 1);
            fprintf(out, "    test fold %-10d %-18s %s\n", r->folds[i].fold, a, has_bp ? b : "");
        }

    if (has_bp && nf && r->folds[0].robust.has)
        print_robustness(r, out);
    char c[64], d[64];
    size_t n_rows = nf ? r->folds[0].n_fgsm : 0;
    if (has_bp && n_rows && !(nf && r->folds[0].robust.has)) {
        fprintf(out, "\n  FGSM (test accuracy under attack, %zu samples%s)\n",
                r->folds[0].fgsm_samples, nf > 1 ? " per fold" : "");
        fprintf(out, "  %-6s %-18s %-18s %-18s %s\n", "eps", "backprop white-box",
                "SNN via surrogate", "SNN transfer", "surrogate clean");
        for (size_t k = 0; k < n_rows; k++) {
            static const size_t cols[4] = {ROW(backprop_whitebox), ROW(snn_surrogate_whitebox),
                                           ROW(snn_transfer_from_backprop),
                                           ROW(surrogate_clean_accuracy)};
            char *cells[4] = {a, b, c, d};
            for (int col = 0; col < 4; col++) {
                double mean = fgsm_stat(r, k, cols[col], &sd);
                pct(cells[col], sizeof a, mean, sd, nf);
            }
            fprintf(out, "  %-6g %-18s %-18s %-18s %s\n", r->folds[0].fgsm[k].eps, a, b, c, d);
        }
        fprintf(out, "  (the transfer column is the fair comparison: surrogate gradients can "
                     "mask, see docs/robustness.md)\n");
    }


    if (nf == 1) {
        fprintf(out, "\n  spiking network, test confusion:\n");
        print_confusion(r, r->folds[0].confusion, out);
    }
    double train_s = sum_d(r, FIELD(train_s)), test_s = sum_d(r, FIELD(test_s));
    long long samples = sum_ll(r, FIELD(samples_presented));
    long long events = sum_ll(r, FIELD(synaptic_events));
    double wall = train_s + test_s;
    fprintf(out,
            "\n  simulated %lld presentations: %lld spikes, %lld synaptic events in %.2f s%s "
            "(%.0f samples/s, %.3g events/s)\n",
            samples, sum_ll(r, FIELD(spikes)), events, wall,
            r->folds_at_once > 1 ? " (the folds' times summed)" : "", wall > 0 ? samples / wall : 0,
            wall > 0 ? events / wall : 0);
    if (!r->n_folds)
        return;
    const ss_fold_result *f = &r->folds[0];
    fprintf(out,
            "  training on %u partition%s, %u thread%s; passes with plasticity off on %u "
            "thread%s",
            f->train_partitions, f->train_partitions == 1 ? "" : "s", f->train_threads,
            f->train_threads == 1 ? "" : "s", f->eval_threads, f->eval_threads == 1 ? "" : "s");
    if (f->ranks > 1)
        fprintf(out, " on each of %u ranks", f->ranks);
    if (r->folds_at_once > 1)
        fprintf(out, "; %u folds at once", r->folds_at_once);
    if (isinf(f->window_ms))
        fprintf(out, "; window none\n");
    else
        fprintf(out, "; window (d_min) %g ms\n", f->window_ms);
}

static void json_confusion(ss_json *j, const ss_confusion *c)
{
    ss_json_array_begin(j);
    for (size_t i = 0; i < c->n_classes; i++)
        ss_json_int_array(j, c->cells + i * c->n_classes, c->n_classes);
    ss_json_array_end(j);
}

/* Mean (sd when several folds) of a fold field as "key": v, "key_sd": sd. */
static void json_stat(ss_json *j, const ss_results *r, const char *key, size_t offset)
{
    double sd;
    ss_json_key(j, key);
    ss_json_number(j, ss_results_stat(r, offset, &sd));
    if (r->n_folds > 1) {
        char sd_key[64];
        snprintf(sd_key, sizeof sd_key, "%s_sd", key);
        ss_json_key(j, sd_key);
        ss_json_number(j, sd);
    }
}

static void json_fold(ss_json *j, const ss_fold_result *f)
{
    ss_json_object_begin(j);
    ss_json_key(j, "fold");
    ss_json_int(j, f->fold);
    ss_json_key(j, "n_train");
    ss_json_int(j, (long long)f->n_train);
    ss_json_key(j, "n_test");
    ss_json_int(j, (long long)f->n_test);
    ss_json_key(j, "train_accuracy");
    ss_json_number(j, f->train_accuracy);
    ss_json_key(j, "test_accuracy");
    ss_json_number(j, f->test_accuracy);
    ss_json_key(j, "confusion");
    json_confusion(j, f->confusion);
    ss_json_key(j, "epoch_train_accuracy");
    ss_json_double_array(j, f->epoch_train_accuracy, f->n_epochs);
    ss_json_key(j, "epoch_test_accuracy");
    ss_json_double_array(j, f->epoch_test_accuracy, f->n_epochs);
    ss_json_key(j, "epoch_train_s");
    ss_json_double_array(j, f->epoch_train_s, f->n_epochs);
    ss_json_key(j, "epoch_synaptic_events");
    ss_json_double_array(j, f->epoch_synaptic_events, f->n_epochs);
    if (f->has_backprop) {
        ss_json_key(j, "backprop_test_accuracy");
        ss_json_number(j, f->bp_test_accuracy);
    }
    ss_json_object_end(j);
}

static void write_json(const ss_results *r, ss_json *j)
{
    ss_json_object_begin(j);
    ss_json_key(j, "model");
    ss_json_string(j, r->model);
    ss_json_key(j, "dataset");
    ss_json_string(j, r->dataset);
    ss_json_key(j, "classes");
    ss_json_array_begin(j);
    for (size_t i = 0; i < r->n_classes; i++)
        ss_json_string(j, r->class_names ? r->class_names[i] : "");
    ss_json_array_end(j);
    ss_json_key(j, "split");
    ss_json_string(j, r->split);
    ss_json_key(j, "seed");
    ss_json_int(j, (long long)r->seed);

    ss_json_key(j, "snn");
    ss_json_object_begin(j);
    json_stat(j, r, "train_accuracy", FIELD(train_accuracy));
    json_stat(j, r, "test_accuracy", FIELD(test_accuracy));
    ss_json_key(j, "confusion"); /* summed over folds */
    ss_confusion *sum = ss_confusion_alloc(r->n_classes);
    if (sum) {
        for (size_t i = 0; i < r->n_folds; i++)
            for (size_t k = 0; k < r->n_classes * r->n_classes; k++)
                sum->cells[k] += r->folds[i].confusion->cells[k];
        json_confusion(j, sum);
        ss_confusion_free(sum);
    } else {
        ss_json_null(j);
    }
    ss_json_key(j, "per_fold");
    ss_json_array_begin(j);
    for (size_t i = 0; i < r->n_folds; i++)
        json_fold(j, &r->folds[i]);
    ss_json_array_end(j);
    ss_json_object_end(j);

    double train_s = sum_d(r, FIELD(train_s)), test_s = sum_d(r, FIELD(test_s));
    double wall = train_s + test_s;
    long long samples = sum_ll(r, FIELD(samples_presented));
    /* How it ran; no result depends on it (docs/parallel.md). */
    if (r->n_folds) {
        const ss_fold_result *f = &r->folds[0];
        ss_json_key(j, "parallel");
        ss_json_object_begin(j);
        ss_json_key(j, "train_partitions");
        ss_json_int(j, f->train_partitions);
        ss_json_key(j, "train_threads");
        ss_json_int(j, f->train_threads);
        ss_json_key(j, "eval_threads");
        ss_json_int(j, f->eval_threads);
        ss_json_key(j, "ranks");
        ss_json_int(j, f->ranks);
        ss_json_key(j, "folds_at_once");
        ss_json_int(j, r->folds_at_once > 0 ? r->folds_at_once : 1);
        ss_json_key(j, "window_ms");
        if (isinf(f->window_ms))
            ss_json_null(j);
        else
            ss_json_number(j, f->window_ms);
        ss_json_object_end(j);
    }
    ss_json_key(j, "timing");
    ss_json_object_begin(j);
    ss_json_key(j, "train_s");
    ss_json_number(j, train_s);
    ss_json_key(j, "test_s");
    ss_json_number(j, test_s);
    ss_json_key(j, "samples_per_s");
    ss_json_number(j, wall > 0 ? samples / wall : 0);
    ss_json_key(j, "synaptic_events_per_s");
    ss_json_number(j, wall > 0 ? sum_ll(r, FIELD(synaptic_events)) / wall : 0);
    ss_json_key(j, "spikes");
    ss_json_int(j, sum_ll(r, FIELD(spikes)));
    ss_json_key(j, "synaptic_events");
    ss_json_int(j, sum_ll(r, FIELD(synaptic_events)));
    ss_json_object_end(j);

    if (r->n_folds && r->folds[0].has_backprop) {
        ss_json_key(j, "backprop");
        ss_json_object_begin(j);
        json_stat(j, r, "train_accuracy", FIELD(bp_train_accuracy));
        json_stat(j, r, "test_accuracy", FIELD(bp_test_accuracy));
        ss_json_key(j, "confusion");
        ss_confusion *bp = ss_confusion_alloc(r->n_classes);
        if (bp) {
            for (size_t i = 0; i < r->n_folds; i++)
                for (size_t k = 0; k < r->n_classes * r->n_classes; k++)
                    bp->cells[k] += r->folds[i].bp_confusion->cells[k];
            json_confusion(j, bp);
            ss_confusion_free(bp);
        } else {
            ss_json_null(j);
        }
        ss_json_key(j, "train_s");
        ss_json_number(j, sum_d(r, FIELD(bp_train_s)));
        ss_json_object_end(j);

        ss_json_key(j, "fgsm");
        ss_json_array_begin(j);
        for (size_t k = 0; k < r->folds[0].n_fgsm; k++) {
            ss_json_object_begin(j);
            ss_json_key(j, "eps");
            ss_json_number(j, r->folds[0].fgsm[k].eps);
            static const struct {
                const char *key;
                size_t offset;
            } cols[] = {
                {"backprop_whitebox", ROW(backprop_whitebox)},
                {"snn_surrogate_whitebox", ROW(snn_surrogate_whitebox)},
                {"snn_transfer_from_backprop", ROW(snn_transfer_from_backprop)},
                {"surrogate_clean_accuracy", ROW(surrogate_clean_accuracy)},
            };
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                ss_json_key(j, cols[c].key);
                ss_json_number(j, fgsm_stat(r, k, cols[c].offset, NULL));
            }
            ss_json_key(j, "samples");
            ss_json_int(j, (long long)r->folds[0].fgsm_samples);
            ss_json_object_end(j);
        }
        ss_json_array_end(j);
        if (rb0(r))
            json_robustness(j, r);
    }
    ss_json_object_end(j);
}

int ss_results_write_json(const ss_results *r, const char *path, ss_error *err)
{
    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err ? err->code : SS_EIO;
    ss_json j;
    ss_json_init(&j, ss_atomic_file_stream(af), 1);
    write_json(r, &j);
    return ss_atomic_file_commit(af, err);
}
