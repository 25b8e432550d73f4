/* Every attack of a fold on both networks, sample by sample (see
 * attack_run.h and docs/robustness.md).
 *
 * The spiking network classifies an input by ss_classifier_query with the
 * sample's index as noise key: the clean reference and every attacked copy
 * of sample i see the same Poisson stream, so eps = 0 gives the clean
 * outcome exactly and the attack is the only thing that changes. */
#include "attack_run.h"

#include <spiksim/attack.h>
#include <spiksim/surrogate.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    A_FGSM_BP,
    A_PGD_BP,
    A_SPSA_BP,
    A_FGSM_SUR,
    A_PGD_SUR,
    A_SPSA_SNN,
    A_FGSM_TR,
    A_PGD_TR,
    A_N
};

typedef struct run {
    const ss_attack_plan *plan;
    ss_classifier *snn;
    ss_mlp *mlp;
    ss_surrogate *sur;
    const gsl_matrix *x;
    const int *y;
    size_t n, nc;
    uint64_t *keys; /* sample indices */
    int *pred;
    unsigned *counts;
    unsigned char *correct;
    unsigned char *worst[2]; /* per target, this eps */
    ss_robustness *rb;
    int slot[A_N]; /* attack -> row in rb->attacks, -1 when not run */
} run;

static int snn_correct(run *r, const gsl_matrix *xa, ss_error *err)
{
    int rc = ss_classifier_query(r->snn, xa->data, r->n, r->keys, r->counts, r->pred, err);
    for (size_t i = 0; rc == SS_OK && i < r->n; i++)
        r->correct[i] = r->pred[i] == r->y[i];
    return rc;
}

static int bp_correct(run *r, const gsl_matrix *xa, ss_error *err)
{
    int rc = ss_mlp_predict(r->mlp, xa, r->pred, err);
    for (size_t i = 0; rc == SS_OK && i < r->n; i++)
        r->correct[i] = r->pred[i] == r->y[i];
    return rc;
}

/* Scores of the spiking network: its output spike counts. */
static int snn_scores(void *self, const double *x, size_t n, const uint64_t *keys, double *scores,
                      ss_error *err)
{
    run *r = self;
    unsigned *counts = malloc((n ? n : 1) * r->nc * sizeof *counts);
    if (!counts)
        return ss_error_set(err, SS_ENOMEM, "out of memory for SPSA queries");
    int rc = ss_classifier_query(r->snn, x, n, keys, counts, NULL, err);
    for (size_t k = 0; rc == SS_OK && k < n * r->nc; k++)
        scores[k] = counts[k];
    free(counts);
    return rc;
}

static void add_attack(run *r, int id, const char *name, const char *key, int target)
{
    ss_attack_result *a = &r->rb->attacks[r->rb->n_attacks];
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->key, sizeof a->key, "%s", key);
    a->target = target;
    r->slot[id] = (int)r->rb->n_attacks++;
}

/* Records r->correct as attack id's outcome at eps row k. */
static void record(run *r, int id, size_t k)
{
    ss_attack_result *a = &r->rb->attacks[r->slot[id]];
    a->correct[k] = ss_count_correct(r->correct, r->n);
    ss_worst_case_merge(r->worst[a->target], r->correct, r->n);
}

static uint64_t attack_key(int id, size_t k)
{
    return ((uint64_t)(id + 1) * 64 + k) << 32;
}

int ss_run_attacks(const ss_config *cfg, unsigned long seed, const ss_split *split,
                   ss_classifier *snn, ss_mlp *mlp, ss_fold_result *res, ss_progress *progress,
                   const volatile sig_atomic_t *stop, ss_error *err)
{
    ss_attack_plan plan;
    int rc = ss_attack_plan_from_config(cfg, &plan, err);
    if (rc != SS_OK)
        return rc;
    ss_robustness *rb = &res->robust;
    memset(rb, 0, sizeof *rb);
    rb->sanity_row = -1;
    const double *grid;
    size_t n_grid = ss_config_list(cfg, "evaluate", "fgsm_eps", &grid);
    if (n_grid + 1 > SS_ROBUST_MAX_EPS)
        return ss_config_error(cfg, err, "evaluate", "fgsm_eps", "at most %d values",
                               SS_ROBUST_MAX_EPS - 1);
    for (size_t k = 0; k < n_grid; k++) {
        rb->eps[rb->n_eps] = grid[k];
        if (plan.sanity_eps > 0 && grid[k] == plan.sanity_eps)
            rb->sanity_row = (int)rb->n_eps;
        rb->n_eps++;
    }
    if (plan.sanity_eps > 0 && rb->sanity_row < 0) {
        rb->sanity_row = (int)rb->n_eps;
        rb->eps[rb->n_eps++] = plan.sanity_eps;
    }
    size_t nf = split->n_features, n = plan.samples;
    if (n == 0 || n > split->n_test)
        n = split->n_test;
    res->fgsm_samples = n;
    if (n == 0)
        return SS_OK;
    run r = {.plan = &plan,
             .snn = snn,
             .mlp = mlp,
             .y = split->test_y,
             .n = n,
             .nc = split->n_classes,
             .rb = rb};
    for (int a = 0; a < A_N; a++)
        r.slot[a] = -1;
    gsl_matrix_const_view xv = gsl_matrix_const_view_array(split->test_x, n, nf);
    r.x = &xv.matrix;
    r.keys = malloc(n * sizeof *r.keys);
    r.pred = malloc(n * sizeof *r.pred);
    r.counts = malloc(n * r.nc * sizeof *r.counts);
    r.correct = malloc(n);
    unsigned char *clean[2] = {malloc(n), malloc(n)};
    r.worst[0] = malloc(n);
    r.worst[1] = malloc(n);
    gsl_matrix *xa = gsl_matrix_alloc(n, nf), *xt = gsl_matrix_alloc(n, nf);
    if (!r.keys || !r.pred || !r.counts || !r.correct || !clean[0] || !clean[1] || !r.worst[0] ||
        !r.worst[1] || !xa || !xt)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory for %zu attacked samples", n);
    for (size_t i = 0; rc == SS_OK && i < n; i++)
        r.keys[i] = i;

    /* Clean references, and the surrogate's fit on the same samples. */
    if (rc == SS_OK)
        rc = snn_correct(&r, r.x, err);
    if (rc == SS_OK) {
        memcpy(clean[SS_TARGET_SNN], r.correct, n);
        rb->clean_correct[SS_TARGET_SNN] = ss_count_correct(r.correct, n);
    }
    int *snn_pred = rc == SS_OK ? malloc(n * sizeof *snn_pred) : NULL;
    if (rc == SS_OK && !snn_pred)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory");
    if (rc == SS_OK)
        memcpy(snn_pred, r.pred, n * sizeof *snn_pred);
    if (rc == SS_OK)
        rc = bp_correct(&r, r.x, err);
    if (rc == SS_OK) {
        memcpy(clean[SS_TARGET_BACKPROP], r.correct, n);
        rb->clean_correct[SS_TARGET_BACKPROP] = ss_count_correct(r.correct, n);
    }
    if (rc == SS_OK && (plan.fgsm || plan.pgd)) {
        ss_error sur_err;
        r.sur = ss_surrogate_alloc(snn, cfg, &sur_err);
        if (!r.sur && sur_err.code == SS_ECONFIG)
            fprintf(stderr, "spiksim: warning: %s; no surrogate attacks\n", sur_err.msg);
        else if (!r.sur) {
            if (err)
                *err = sur_err;
            rc = sur_err.code;
        }
    }
    if (rc == SS_OK && r.sur) {
        rc = ss_surrogate_predict(r.sur, r.x, r.pred, err);
        for (size_t i = 0; rc == SS_OK && i < n; i++) {
            rb->surrogate_correct += r.pred[i] == r.y[i];
            rb->surrogate_agree += r.pred[i] == snn_pred[i];
        }
        rb->has_surrogate = rc == SS_OK;
    }
    free(snn_pred);

    if (plan.fgsm)
        add_attack(&r, A_FGSM_BP, "FGSM", "fgsm", SS_TARGET_BACKPROP);
    if (plan.pgd) {
        char name[48];
        snprintf(name, sizeof name, "PGD-%zu", plan.pgd_steps);
        add_attack(&r, A_PGD_BP, name, "pgd", SS_TARGET_BACKPROP);
    }
    if (plan.spsa)
        add_attack(&r, A_SPSA_BP, "SPSA", "spsa", SS_TARGET_BACKPROP);
    if (plan.fgsm && r.sur)
        add_attack(&r, A_FGSM_SUR, "FGSM via surrogate", "fgsm_surrogate", SS_TARGET_SNN);
    if (plan.pgd && r.sur) {
        char name[48];
        snprintf(name, sizeof name, "PGD-%zu via surrogate", plan.pgd_steps);
        add_attack(&r, A_PGD_SUR, name, "pgd_surrogate", SS_TARGET_SNN);
    }
    if (plan.spsa)
        add_attack(&r, A_SPSA_SNN, "SPSA on spike counts", "spsa", SS_TARGET_SNN);
    if (plan.transfer && plan.fgsm)
        add_attack(&r, A_FGSM_TR, "FGSM transfer", "fgsm_transfer", SS_TARGET_SNN);
    if (plan.transfer && plan.pgd)
        add_attack(&r, A_PGD_TR, "PGD transfer", "pgd_transfer", SS_TARGET_SNN);
    rb->pgd_steps = plan.pgd_steps;
    rb->spsa_queries = plan.spsa_opts.max_queries;
    rb->spsa_batch = plan.spsa_opts.batch;
    rb->spsa_draws = plan.spsa_opts.draws;
    rb->spsa_iterations = ss_spsa_iterations(&plan.spsa_opts);
    rb->samples = n;
    rb->has = rc == SS_OK;

    ss_attack_model bp_grad = ss_attack_model_mlp(mlp);
    ss_attack_model sur_grad = r.sur ? ss_surrogate_attack_model(r.sur) : bp_grad;
    ss_query_model bp_query = ss_query_model_mlp(mlp);
    ss_query_model snn_query = {snn_scores, &r, nf, r.nc};
    ss_pgd_opts pgd = {plan.pgd_steps, 2.5 / (double)plan.pgd_steps, 1, seed, 0};
    for (size_t k = 0; rc == SS_OK && k < rb->n_eps; k++) {
        double eps = rb->eps[k];
        char phase[64];
        memcpy(r.worst[0], clean[0], n);
        memcpy(r.worst[1], clean[1], n);
        ss_fgsm_row *row = k < res->n_fgsm ? &res->fgsm[k] : NULL;
        if (row) {
            row->eps = eps;
            row->surrogate_clean_accuracy =
                rb->has_surrogate ? (double)rb->surrogate_correct / (double)n : NAN;
        }
        if (plan.fgsm) {
            rc = ss_fgsm_craft(&bp_grad, r.x, r.y, eps, xa, err);
            if (rc == SS_OK)
                rc = bp_correct(&r, xa, err);
            if (rc == SS_OK) {
                record(&r, A_FGSM_BP, k);
                if (row)
                    row->backprop_whitebox = (double)ss_count_correct(r.correct, n) / (double)n;
            }
            if (rc == SS_OK && plan.transfer) {
                rc = snn_correct(&r, xa, err);
                if (rc == SS_OK) {
                    record(&r, A_FGSM_TR, k);
                    if (row)
                        row->snn_transfer_from_backprop =
                            (double)ss_count_correct(r.correct, n) / (double)n;
                }
            }
            if (rc == SS_OK && r.sur) {
                rc = ss_fgsm_craft(&sur_grad, r.x, r.y, eps, xa, err);
                if (rc == SS_OK)
                    rc = snn_correct(&r, xa, err);
                if (rc == SS_OK) {
                    record(&r, A_FGSM_SUR, k);
                    if (row)
                        row->snn_surrogate_whitebox =
                            (double)ss_count_correct(r.correct, n) / (double)n;
                }
            }
        }
        if (rc == SS_OK && plan.pgd) {
            pgd.start_key = attack_key(A_PGD_BP, k);
            snprintf(phase, sizeof phase, "pgd eps %g backprop", eps);
            rc = ss_pgd_craft(&bp_grad, r.x, r.y, eps, &pgd, xa, NULL, phase, err);
            if (rc == SS_OK)
                rc = bp_correct(&r, xa, err);
            if (rc == SS_OK)
                record(&r, A_PGD_BP, k);
            if (rc == SS_OK && plan.transfer) {
                rc = snn_correct(&r, xa, err);
                if (rc == SS_OK)
                    record(&r, A_PGD_TR, k);
            }
            if (rc == SS_OK && r.sur) {
                pgd.start_key = attack_key(A_PGD_SUR, k);
                snprintf(phase, sizeof phase, "pgd eps %g surrogate", eps);
                rc = ss_pgd_craft(&sur_grad, r.x, r.y, eps, &pgd, xa, progress, phase, err);
                if (rc == SS_OK)
                    rc = snn_correct(&r, xa, err);
                if (rc == SS_OK)
                    record(&r, A_PGD_SUR, k);
            }
        }
        if (rc == SS_OK && plan.spsa) {
            ss_spsa_opts o = plan.spsa_opts;
            o.seed = seed;
            o.draws = 1; /* backprop has no noise */
            /* the same number of iterations as on the spiking network */
            o.max_queries = ss_spsa_iterations(&plan.spsa_opts) * (2 * o.batch + 1);
            o.key_base = attack_key(A_SPSA_BP, k);
            o.rows_per_call = 64;
            long long q = 0;
            rc = ss_spsa_craft(&bp_query, r.x, r.y, eps, &o, xa, &q, NULL, phase, err);
            if (rc == SS_OK)
                rc = bp_correct(&r, xa, err);
            if (rc == SS_OK) {
                record(&r, A_SPSA_BP, k);
                rb->attacks[r.slot[A_SPSA_BP]].queries += q;
            }
            o = plan.spsa_opts;
            o.seed = seed;
            o.key_base = attack_key(A_SPSA_SNN, k);
            snprintf(phase, sizeof phase, "spsa eps %g spiking", eps);
            q = 0;
            if (rc == SS_OK)
                rc = ss_spsa_craft(&snn_query, r.x, r.y, eps, &o, xt, &q, progress, phase, err);
            if (rc == SS_OK)
                rc = snn_correct(&r, xt, err);
            if (rc == SS_OK) {
                record(&r, A_SPSA_SNN, k);
                rb->attacks[r.slot[A_SPSA_SNN]].queries += q;
            }
            res->samples_presented += q;
        }
        for (int t = 0; t < 2; t++)
            rb->worst_correct[t][k] = ss_count_correct(r.worst[t], n);
        res->samples_presented += (long long)(n * (size_t)(plan.fgsm + 2 * plan.pgd + 1));
        if (rc == SS_OK && stop && *stop)
            rc = ss_error_set(err, SS_EINTR, "interrupted");
    }
    if (r.sur)
        rb->surrogate_newton_failures = ss_surrogate_newton_failures(r.sur);
    ss_surrogate_free(r.sur);
    free(r.keys);
    free(r.pred);
    free(r.counts);
    free(r.correct);
    free(clean[0]);
    free(clean[1]);
    free(r.worst[0]);
    free(r.worst[1]);
    if (xa)
        gsl_matrix_free(xa);
    if (xt)
        gsl_matrix_free(xt);
    return rc;
}
