/* Shared by the dataset_*.c files only: the ss_dataset layout and the helpers
 * the file parsers use.  Not installed. */
#ifndef SPIKSIM_DATASET_INTERNAL_H
#define SPIKSIM_DATASET_INTERNAL_H

#include <spiksim/dataset.h>

#include <stddef.h>

/* Every sample of the file(s), all classes; the class subset is a view. */
struct ss_dataset {
    ss_dataset_kind kind;
    char *source; /* path of the main file, for messages and summaries */
    size_t n;     /* samples */
    size_t n_features;
    double *values;         /* IRIS: n x n_features raw measurements */
    unsigned char *pixels;  /* MNIST: n x n_features bytes (0..255) */
    int *label;             /* class in the file's numbering, 0..n_all_classes-1 */
    size_t *position;       /* data row or image number within its own file */
    signed char *test_fold; /* the fold whose test part holds the sample; -1: always train */
    int n_folds;
    int official; /* official MNIST train/test files: keep file order */

    size_t n_all_classes;
    char **all_class_names;

    /* Class subset: selected[new label] = file class; class_map[file class]
     * = new label or -1. */
    size_t n_classes;
    size_t *selected;
    int *class_map;
};

/* Allocates a dataset of n samples with every array (values or pixels by
 * kind) and the class names; all classes selected.  NULL on ENOMEM. */
ss_dataset *ss__dataset_alloc(ss_dataset_kind kind, const char *source, size_t n, size_t n_features,
                              size_t n_classes, const char *const *names);

/* Reads a whole file, transparently gunzipping it (zlib's gzread passes
 * plain files through).  *data is NUL-terminated one byte past *len. */
int ss__read_file(const char *path, unsigned char **data, size_t *len, ss_error *err);

#endif
