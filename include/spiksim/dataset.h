/* Datasets: IRIS (CSV) and MNIST (IDX, plain or .gz), their fixed splits.
 *
 * A dataset is loaded once (ss_dataset_load() reads the [data] section of a
 * model file) and then cut into train/test splits (ss_dataset_split()), each
 * a pair of row-major double matrices already normalised to [0, 1].
 *
 * The splits are fixed, so that results can be compared across runs and with
 * other tools:
 *   IRIS       5 folds: row i (0 = first data row of the file) is a test row
 *              of fold i % 5.  [data] fold = K picks the test fold; with
 *              folds = all the caller loops K = 0..4 (ss_dataset_n_folds()).
 *   MNIST      a single file (e.g. MNIST-10k from scripts/fetch-mnist): the
 *              k-th sample of its digit, counting in file order from 0, is a
 *              test sample iff k % 5 == 4.  Official files ([data] test_path
 *              given): their own train and test sets.
 * A class subset ([data] classes) keeps these assignments; it only drops the
 * other classes' samples and renumbers labels 0..n-1 in the order listed.
 *
 * Order within a split part ("split order", which max_train / max_test cut):
 * for the fixed splits, samples are interleaved by class: the first sample of
 * each class (in label order), then the second of each, and so on, each class
 * keeping file order.  The files are sorted by class, so file order would
 * make a capped training set hold a single class.  Official MNIST files keep
 * their own (already mixed) order.
 *
 * Normalisation: IRIS min-max with the minimum and maximum of the training
 * part only (test values clipped to [0, 1]; a feature constant over the
 * training part becomes 0); MNIST pixel / 255.
 */
#ifndef SPIKSIM_DATASET_H
#define SPIKSIM_DATASET_H

#include <stddef.h>
#include <stdio.h>
#include <spiksim/config.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_dataset ss_dataset;

typedef enum { SS_DATASET_IRIS, SS_DATASET_MNIST } ss_dataset_kind;

/* Loads the dataset described by [data] (dataset, path, labels, test_path,
 * test_labels, classes; paths resolved with ss_config_path()) and checks
 * the split keys (fold, folds) against it.  Errors: SS_ECONFIG for keys that
 * contradict each other or an unknown class ("FILE:LINE: [data] classes:
 * ..."), SS_EDATA for a data file that cannot be read or is malformed
 * ("PATH: cannot open: ...", "PATH:LINE: ..." or "PATH: at byte N: ...",
 * N counting bytes of the decompressed IDX data).  NULL on error. */
ss_dataset *ss_dataset_load(const ss_config *cfg, ss_error *err);

/* The loaders ss_dataset_load() calls, usable without a model file.
 * IRIS: a CSV of 4 numbers and a species per line (setosa, versicolor,
 * virginica, optionally "Iris-"-prefixed as in UCI's iris.data); an optional
 * header line (no numeric field); blank lines ignored; .gz accepted. */
ss_dataset *ss_dataset_load_iris(const char *csv_path, ss_error *err);
/* MNIST: IDX images (magic 0x00000803) and labels (0x00000801, values 0..9),
 * plain or gzip-compressed.  test_images/test_labels NULL: the single-file
 * split above; otherwise the official train/test split. */
ss_dataset *ss_dataset_load_mnist(const char *images, const char *labels, const char *test_images,
                                  const char *test_labels, ss_error *err);
void ss_dataset_free(ss_dataset *ds);

/* Restricts to a comma-separated list of class names ("4,9",
 * "versicolor, virginica"); labels become 0..n-1 in that order.  An empty
 * list keeps every class.  SS_ECONFIG for an unknown or repeated name or
 * fewer than two classes (the message names the valid classes).  Applies to
 * the full dataset, so calling it twice selects from all classes again. */
int ss_dataset_select_classes(ss_dataset *ds, const char *list, ss_error *err);

/* Summary (for `spiksim --check` and reports). */
ss_dataset_kind ss_dataset_kind_of(const ss_dataset *ds);
const char *ss_dataset_name(const ss_dataset *ds);   /* "iris", "mnist" */
const char *ss_dataset_source(const ss_dataset *ds); /* path of the main file */
/* Samples of the selected classes, train and test together. */
size_t ss_dataset_size(const ss_dataset *ds);
size_t ss_dataset_n_features(const ss_dataset *ds);
/* Selected classes, in label order, and their names ("setosa", "4"). */
size_t ss_dataset_n_classes(const ss_dataset *ds);
const char *ss_dataset_class_name(const ss_dataset *ds, size_t label);
/* Folds to choose from: 5 for IRIS, 1 for MNIST. */
int ss_dataset_n_folds(const ss_dataset *ds);
/* 1 when the official train/test files are in use. */
int ss_dataset_is_official(const ss_dataset *ds);

/* One train/test split.  x rows are samples (n x n_features, row-major, all
 * values in [0, 1]); y their labels in 0..n_classes-1; index the sample's
 * position in its file (0-based data row or image number; for official MNIST
 * test samples, the number within the test file). */
typedef struct ss_split {
    int fold;
    size_t n_features, n_classes;
    char **class_names; /* n_classes names, label order */
    size_t n_train, n_test;
    double *train_x, *test_x;
    int *train_y, *test_y;
    size_t *train_index, *test_index;
} ss_split;

/* Builds the split with test fold `fold` (0 <= fold < ss_dataset_n_folds()),
 * keeping at most max_train / max_test samples of each part in split order
 * (0: no cap).  SS_EUSAGE for a fold out of range, SS_EDATA when the
 * training or test part would be empty. */
int ss_dataset_split(const ss_dataset *ds, int fold, size_t max_train, size_t max_test,
                     ss_split **out, ss_error *err);
/* Same with max_train and max_test from [data]; fold is passed in so that
 * the caller can loop over ss_dataset_folds(). */
int ss_dataset_split_config(const ss_dataset *ds, const ss_config *cfg, int fold, ss_split **out,
                            ss_error *err);
void ss_split_free(ss_split *split);

/* Sizes ss_dataset_split() would give, without building the matrices. */
int ss_dataset_split_sizes(const ss_dataset *ds, int fold, size_t max_train, size_t max_test,
                           size_t *n_train, size_t *n_test, ss_error *err);

/* The folds a run covers, from [data]: folds = all gives first = 0, count =
 * ss_dataset_n_folds(); otherwise first = fold, count = 1. */
void ss_dataset_folds(const ss_dataset *ds, const ss_config *cfg, int *first, int *count);

/* Prints the dataset and split summary lines of `spiksim --check`, e.g.
 *   data: iris (models/../data/iris.csv): 100 samples, 4 features, 2 classes (versicolor,
 *   virginica)
 *   split: fold 0 of 5: 80 train, 20 test
 * (one line each; with folds = all, one line for all folds when their sizes
 * agree; a part cut by max_train/max_test shows "(max_train, of N)").
 * Returns 0, or the error of a fold whose training or test part is empty. */
int ss_dataset_print_summary(const ss_dataset *ds, const ss_config *cfg, FILE *out, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
