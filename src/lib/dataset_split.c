/* Train/test splits: which samples, in which order, normalised how.
 *
 * See dataset.h for the rules.  The one subtle choice is the order within a
 * part: the fixed splits come from files sorted by class, so samples are
 * interleaved by class (rank within class first, then label) to make a
 * max_train cap keep every class; official MNIST files are already mixed and
 * keep their order so that "the first N" means what it means elsewhere.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataset_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t sample; /* index into the dataset */
    size_t rank;   /* number of earlier samples of its class in the same part */
    int label;     /* label after the class subset */
} pick;

static int cmp_pick(const void *pa, const void *pb)
{
    const pick *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return a->sample < b->sample ? -1 : a->sample > b->sample;
}

static int in_part(const ss_dataset *ds, size_t i, int fold, int test)
{
    return ds->class_map[ds->label[i]] >= 0 && (ds->test_fold[i] == fold) == test;
}

static size_t part_size(const ss_dataset *ds, int fold, int test, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++)
        n += (size_t)in_part(ds, i, fold, test);
    return cap && cap < n ? cap : n;
}

/* The samples of one part in split order, at most cap (0: all) of them. */
static int collect(const ss_dataset *ds, int fold, int test, size_t cap, pick **out, size_t *n_out,
                   ss_error *err)
{
    pick *p = malloc((ds->n ? ds->n : 1) * sizeof *p);
    size_t *count = calloc(ds->n_classes, sizeof *count);
    if (!p || !count) {
        free(p);
        free(count);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (in_part(ds, i, fold, test)) {
            int label = ds->class_map[ds->label[i]];
            p[n].sample = i;
            p[n].label = label;
            p[n].rank = count[label]++;
            n++;
        }
    free(count);
    if (!ds->official)
        qsort(p, n, sizeof *p, cmp_pick);
    *out = p;
    *n_out = cap && cap < n ? cap : n;
    return SS_OK;
}

static int check_fold(const ss_dataset *ds, int fold, ss_error *err)
{
    if (fold >= 0 && fold < ds->n_folds)
        return SS_OK;
    if (ds->n_folds == 1)
        return ss_error_set(err, SS_EUSAGE, "fold %d: %s has a single fixed split, fold 0", fold,
                            ss_dataset_name(ds));
    return ss_error_set(err, SS_EUSAGE, "fold %d: %s has folds 0..%d", fold, ss_dataset_name(ds),
                        ds->n_folds - 1);
}

static int check_sizes(const ss_dataset *ds, int fold, size_t n_train, size_t n_test, ss_error *err)
{
    if (n_train == 0 || n_test == 0)
        return ss_error_set(err, SS_EDATA, "%s: the %s part of fold %d is empty", ds->source,
                            n_train == 0 ? "training" : "test", fold);
    return SS_OK;
}

/* Every class of the run needs a training sample: a class with none would
 * still get output neurons, never be learned, and show as 0 % (an IRIS file
 * holding one species used to run and report "3 classes"). */
static int check_classes(const ss_dataset *ds, int fold, const pick *train, size_t n_train,
                         size_t max_train, ss_error *err)
{
    size_t *count = calloc(ds->n_classes ? ds->n_classes : 1, sizeof *count);
    if (!count)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_train; i++)
        count[train[i].label]++;
    int rc = SS_OK;
    for (size_t c = 0; c < ds->n_classes && rc == SS_OK; c++) {
        if (count[c])
            continue;
        if (n_train < part_size(ds, fold, 0, 0) && max_train)
            rc = ss_error_set(err, SS_EDATA,
                              "%s: class '%s' has no training sample in the first %zu "
                              "(max_train) of fold %d: raise max_train",
                              ds->source, ss_dataset_class_name(ds, c), max_train, fold);
        else
            rc = ss_error_set(err, SS_EDATA,
                              "%s: class '%s' has no training sample in fold %d: every class "
                              "of the run needs one (see [data] classes)",
                              ds->source, ss_dataset_class_name(ds, c), fold);
    }
    free(count);
    return rc;
}

int ss_dataset_split_sizes(const ss_dataset *ds, int fold, size_t max_train, size_t max_test,
                           size_t *n_train, size_t *n_test, ss_error *err)
{
    int rc = check_fold(ds, fold, err);
    if (rc != SS_OK)
        return rc;
    *n_train = part_size(ds, fold, 0, max_train);
    *n_test = part_size(ds, fold, 1, max_test);
    rc = check_sizes(ds, fold, *n_train, *n_test, err);
    pick *train = NULL;
    size_t n = 0;
    if (rc == SS_OK && (rc = collect(ds, fold, 0, max_train, &train, &n, err)) == SS_OK)
        rc = check_classes(ds, fold, train, n, max_train, err);
    free(train);
    return rc;
}

void ss_split_free(ss_split *s)
{
    if (!s)
        return;
    if (s->class_names)
        for (size_t c = 0; c < s->n_classes; c++)
            free(s->class_names[c]);
    free(s->class_names);
    free(s->train_x);
    free(s->test_x);
    free(s->train_y);
    free(s->test_y);
    free(s->train_index);
    free(s->test_index);
    free(s);
}

/* Min-max scaling from the training part: per feature, lo and span. */
static void train_range(const ss_dataset *ds, const pick *train, size_t n_train, double *lo,
                        double *span)
{
    size_t nf = ds->n_features;
    for (size_t f = 0; f < nf; f++) {
        double mn = ds->values[train[0].sample * nf + f], mx = mn;
        for (size_t i = 1; i < n_train; i++) {
            double v = ds->values[train[i].sample * nf + f];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        lo[f] = mn;
        span[f] = mx - mn;
    }
}

static void fill_part(const ss_dataset *ds, const pick *p, size_t n, const double *lo,
                      const double *span, double *x, int *y, size_t *index)
{
    size_t nf = ds->n_features;
    for (size_t i = 0; i < n; i++) {
        size_t s = p[i].sample;
        double *row = x + i * nf;
        if (ds->pixels) {
            for (size_t f = 0; f < nf; f++)
                row[f] = ds->pixels[s * nf + f] / 255.0;
        } else {
            for (size_t f = 0; f < nf; f++) {
                /* A feature constant over the training part says nothing the
                 * network could learn from; 0 keeps its inputs silent. */
                double v = span[f] > 0 ? (ds->values[s * nf + f] - lo[f]) / span[f] : 0.0;
                row[f] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
        }
        y[i] = p[i].label;
        index[i] = ds->position[s];
    }
}

int ss_dataset_split(const ss_dataset *ds, int fold, size_t max_train, size_t max_test,
                     ss_split **out, ss_error *err)
{
    *out = NULL;
    int rc = check_fold(ds, fold, err);
    if (rc != SS_OK)
        return rc;
    pick *train = NULL, *test = NULL;
    size_t n_train = 0, n_test = 0;
    double *lo = NULL, *span = NULL;
    ss_split *s = NULL;
    if ((rc = collect(ds, fold, 0, max_train, &train, &n_train, err)) != SS_OK ||
        (rc = collect(ds, fold, 1, max_test, &test, &n_test, err)) != SS_OK ||
        (rc = check_sizes(ds, fold, n_train, n_test, err)) != SS_OK ||
        (rc = check_classes(ds, fold, train, n_train, max_train, err)) != SS_OK)
        goto done;

    size_t nf = ds->n_features, nc = ds->n_classes;
    s = calloc(1, sizeof *s);
    lo = malloc(nf * sizeof *lo);
    span = malloc(nf * sizeof *span);
    if (s) {
        s->fold = fold;
        s->n_features = nf;
        s->n_classes = nc;
        s->n_train = n_train;
        s->n_test = n_test;
        s->class_names = calloc(nc, sizeof *s->class_names);
        s->train_x = malloc(n_train * nf * sizeof *s->train_x);
        s->test_x = malloc(n_test * nf * sizeof *s->test_x);
        s->train_y = malloc(n_train * sizeof *s->train_y);
        s->test_y = malloc(n_test * sizeof *s->test_y);
        s->train_index = malloc(n_train * sizeof *s->train_index);
        s->test_index = malloc(n_test * sizeof *s->test_index);
    }
    if (!s || !lo || !span || !s->class_names || !s->train_x || !s->test_x || !s->train_y ||
        !s->test_y || !s->train_index || !s->test_index) {
        rc = ss_error_set(err, SS_ENOMEM, "out of memory for the split of %s", ds->source);
        goto done;
    }
    for (size_t c = 0; c < nc; c++) {
        const char *name = ss_dataset_class_name(ds, c);
        s->class_names[c] = malloc(strlen(name) + 1);
        if (!s->class_names[c]) {
            rc = ss_error_set(err, SS_ENOMEM, "out of memory");
            goto done;
        }
        strcpy(s->class_names[c], name);
    }
    if (ds->values)
        train_range(ds, train, n_train, lo, span);
    fill_part(ds, train, n_train, lo, span, s->train_x, s->train_y, s->train_index);
    fill_part(ds, test, n_test, lo, span, s->test_x, s->test_y, s->test_index);
    *out = s;
    s = NULL;
done:
    ss_split_free(s);
    free(train);
    free(test);
    free(lo);
    free(span);
    return rc;
}
