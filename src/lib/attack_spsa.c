/* SPSA on a model's scores alone (see attack.h): no gradient of the model
 * is needed, so it attacks the spiking network itself, noise and all. */
#include <spiksim/attack.h>
#include <spiksim/stream.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8

void ss_spsa_opts_default(ss_spsa_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_queries = 2000;
    o->batch = 8;
    o->draws = 4;
    o->delta = 0.05;
    o->lr_frac = 0.1;
    o->rows_per_call = 16;
}

/* Per iteration: batch directions scored on both sides and one check of
 * the current point, every point on `draws` noise draws. */
static size_t per_iteration(const ss_spsa_opts *o)
{
    return o->draws * (2 * o->batch + 1);
}

size_t ss_spsa_iterations(const ss_spsa_opts *o)
{
    size_t q = per_iteration(o);
    return q ? o->max_queries / q : 0;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The noise key of draw r of point `point` (0: the check, 1 + b: direction
 * b, both sides) of iteration `it` of sample i: the top bit set keeps every
 * attack draw apart from the plain evaluation keys (sample indices). */
static uint64_t noise_key(uint64_t base, size_t i, size_t it, size_t point, size_t r)
{
    uint64_t k =
        mix64(base ^ mix64((uint64_t)i ^ mix64((uint64_t)it ^ mix64((uint64_t)point << 20 ^ r))));
    return k | (1ULL << 63);
}

/* Margin s_y - max_{k != y} s_k averaged over `draws` consecutive rows of
 * scores. */
static double mean_margin(const double *scores, size_t n_classes, size_t draws, int y)
{
    double total = 0;
    for (size_t r = 0; r < draws; r++) {
        const double *s = scores + r * n_classes;
        double other = -INFINITY;
        for (size_t k = 0; k < n_classes; k++)
            if ((int)k != y && s[k] > other)
                other = s[k];
        total += s[y] - other;
    }
    return total / (double)draws;
}

static double clip01(double v, double x0)
{
    double lo = x0 < 0 ? x0 : 0, hi = x0 > 1 ? x0 : 1;
    return v < lo ? lo : v > hi ? hi : v;
}

static double project(double v, double x0, double eps)
{
    double lo = x0 - eps, hi = x0 + eps;
    if (lo < (x0 < 0 ? x0 : 0))
        lo = x0 < 0 ? x0 : 0;
    if (hi > (x0 > 1 ? x0 : 1))
        hi = x0 > 1 ? x0 : 1;
    return v < lo ? lo : v > hi ? hi : v;
}

typedef struct block {
    size_t first, n; /* samples first .. first + n - 1 */
    double *m, *v;   /* Adam moments, n x d */
    unsigned char *done;
    double *rows, *scores; /* query rows and their scores */
    uint64_t *keys;
    signed char *dirs; /* n x batch x d Rademacher signs */
    size_t *slot;      /* active sample k -> row offset in the query */
} block;

static int run_block(const ss_query_model *model, const gsl_matrix *x, const int *y, double eps,
                     const ss_spsa_opts *o, gsl_matrix *x_adv, block *b, size_t iters,
                     long long *queries, ss_progress *progress, long *progress_done, ss_error *err)
{
    size_t d = x->size2, nc = model->n_classes, B = o->batch, R = o->draws;
    size_t per = per_iteration(o);
    double lr = o->lr_frac * eps;
    memset(b->m, 0, b->n * d * sizeof *b->m);
    memset(b->v, 0, b->n * d * sizeof *b->v);
    memset(b->done, 0, b->n);
    for (size_t it = 0; it < iters; it++) {
        size_t active = 0;
        for (size_t k = 0; k < b->n; k++) {
            if (b->done[k])
                continue;
            size_t i = b->first + k;
            const double *xa = gsl_matrix_const_ptr(x_adv, i, 0);
            const double *x0 = gsl_matrix_const_ptr(x, i, 0);
            double *rows = b->rows + active * per * d;
            uint64_t *keys = b->keys + active * per;
            signed char *dir = b->dirs + k * B * d;
            ss_stream st;
            ss_stream_init(&st, o->seed, SS_STREAM_ATTACK, o->key_base + 1 + it, i);
            for (size_t j = 0; j < B * d; j += 64) {
                uint64_t bits = ss_stream_u64(&st);
                for (size_t q = 0; q < 64 && j + q < B * d; q++)
                    dir[j + q] = (bits >> q) & 1 ? 1 : -1;
            }
            /* rows: R checks of the current point, then per direction R
             * plus-side and R minus-side rows sharing their keys */
            for (size_t r = 0; r < R; r++) {
                memcpy(rows + r * d, xa, d * sizeof *rows);
                keys[r] = noise_key(o->key_base, i, it, 0, r);
            }
            for (size_t bb = 0; bb < B; bb++)
                for (size_t side = 0; side < 2; side++)
                    for (size_t r = 0; r < R; r++) {
                        size_t row = R + (2 * bb + side) * R + r;
                        double sgn = side ? -o->delta : o->delta;
                        for (size_t j = 0; j < d; j++)
                            rows[row * d + j] = clip01(xa[j] + sgn * dir[bb * d + j], x0[j]);
                        keys[row] = noise_key(o->key_base, i, it, 1 + bb, r);
                    }
            b->slot[active++] = k;
        }
        if (!active)
            break;
        int rc = model->scores(model->self, b->rows, active * per, b->keys, b->scores, err);
        if (rc != SS_OK)
            return rc;
        *queries += (long long)(active * per);
        for (size_t a = 0; a < active; a++) {
            size_t k = b->slot[a], i = b->first + k;
            const double *sc = b->scores + a * per * nc;
            if (mean_margin(sc, nc, R, y[i]) < 0) {
                b->done[k] = 1; /* already misclassified on fresh draws */
                continue;
            }
            double *xa = gsl_matrix_ptr(x_adv, i, 0);
            const double *x0 = gsl_matrix_const_ptr(x, i, 0);
            double *m = b->m + k * d, *v = b->v + k * d;
            const signed char *dir = b->dirs + k * B * d;
            double t = (double)(it + 1);
            double c1 = 1 - pow(ADAM_B1, t), c2 = 1 - pow(ADAM_B2, t);
            double *g = b->rows + a * per * d; /* this sample's rows are consumed: reuse */
            memset(g, 0, d * sizeof *g);
            for (size_t bb = 0; bb < B; bb++) {
                double lp = mean_margin(sc + (R + 2 * bb * R) * nc, nc, R, y[i]);
                double lm = mean_margin(sc + (R + (2 * bb + 1) * R) * nc, nc, R, y[i]);
                double f = (lp - lm) / (2 * o->delta * (double)B);
                for (size_t j = 0; j < d; j++)
                    g[j] += f * dir[bb * d + j];
            }
            for (size_t j = 0; j < d; j++) {
                m[j] = ADAM_B1 * m[j] + (1 - ADAM_B1) * g[j];
                v[j] = ADAM_B2 * v[j] + (1 - ADAM_B2) * g[j] * g[j];
                double step = lr * (m[j] / c1) / (sqrt(v[j] / c2) + ADAM_EPS);
                xa[j] = project(xa[j] - step, x0[j], eps);
            }
        }
        if (progress) {
            *progress_done += (long)b->n;
            ss_progress_update(progress, *progress_done, -1);
        }
    }
    return SS_OK;
}

int ss_spsa_craft(const ss_query_model *model, const gsl_matrix *x, const int *y, double eps,
                  const ss_spsa_opts *o, gsl_matrix *x_adv, long long *queries_used,
                  ss_progress *progress, const char *phase, ss_error *err)
{
    if (!model || !model->scores)
        return ss_error_set(err, SS_EUSAGE, "SPSA: no model to query");
    if (!(eps >= 0) || !isfinite(eps))
        return ss_error_set(err, SS_EUSAGE, "SPSA eps must be finite and >= 0, not %g", eps);
    if (!o || !o->batch || !o->draws || !(o->delta > 0) || !(o->lr_frac > 0) || !o->rows_per_call)
        return ss_error_set(err, SS_EUSAGE, "SPSA: batch, draws, delta and lr must be positive");
    if (x_adv == x || x_adv->size1 != x->size1 || x_adv->size2 != x->size2 ||
        x->size2 != model->n_features)
        return ss_error_set(err, SS_EUSAGE, "SPSA: shapes of input, output and model differ");
    size_t n = x->size1, d = x->size2, nc = model->n_classes, per = per_iteration(o);
    size_t iters = eps > 0 ? ss_spsa_iterations(o) : 0;
    gsl_matrix_memcpy(x_adv, x);
    long long queries = 0;
    size_t cap = n < o->rows_per_call ? n : o->rows_per_call;
    block b = {0};
    if (n && iters) {
        b.m = malloc(cap * d * sizeof *b.m);
        b.v = malloc(cap * d * sizeof *b.v);
        b.done = malloc(cap);
        b.rows = malloc(cap * per * d * sizeof *b.rows);
        b.scores = malloc(cap * per * nc * sizeof *b.scores);
        b.keys = malloc(cap * per * sizeof *b.keys);
        b.dirs = malloc(cap * o->batch * d);
        b.slot = malloc(cap * sizeof *b.slot);
    }
    int rc = SS_OK;
    if (n && iters &&
        (!b.m || !b.v || !b.done || !b.rows || !b.scores || !b.keys || !b.dirs || !b.slot))
        rc = ss_error_set(err, SS_ENOMEM, "out of memory for SPSA");
    long done = 0;
    if (progress && rc == SS_OK)
        ss_progress_begin(progress, phase, (long)(n * iters));
    for (size_t first = 0; first < n && iters && rc == SS_OK; first += cap) {
        b.first = first;
        b.n = n - first < cap ? n - first : cap;
        long before = done;
        rc = run_block(model, x, y, eps, o, x_adv, &b, iters, &queries, progress, &done, err);
        done = before + (long)(b.n * iters);
    }
    if (progress && rc == SS_OK)
        ss_progress_end(progress);
    free(b.m);
    free(b.v);
    free(b.done);
    free(b.rows);
    free(b.scores);
    free(b.keys);
    free(b.dirs);
    free(b.slot);
    if (queries_used)
        *queries_used = queries;
    return rc;
}
