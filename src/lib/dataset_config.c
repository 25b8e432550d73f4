/* The [data] section: which files to load, which classes, which split.
 *
 * Keys that contradict the dataset (labels for IRIS, folds = all for MNIST,
 * ...) are config errors pointing at their line, raised here rather than
 * ignored, so a model file never says something the run does not do.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SEC[] = "data";

static int given(const ss_config *cfg, const char *key)
{
    return ss_config_string(cfg, SEC, key)[0] != '\0';
}

/* Resolves a path key; NULL with err set when it is empty or not found. */
static char *path_of(const ss_config *cfg, const char *key, ss_error *err)
{
    if (!given(cfg, key)) {
        ss_config_error(cfg, err, SEC, key, "no file given");
        return NULL;
    }
    char *path = ss_config_path(cfg, SEC, key, err);
    if (!path && err && err->code == SS_ECONFIG &&
        strstr(ss_config_string(cfg, SEC, key), "mnist10k-")) {
        /* MNIST-10k is fetched, not shipped: say how to get it. */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n,
                 " (MNIST-10k is not shipped: run `make mnist` or scripts/fetch-mnist)");
    } else if (!path && err && err->code == SS_ECONFIG &&
               strstr(ss_config_string(cfg, SEC, key), "/usr/share/datasets/fashion-mnist/")) {
        /* Fashion-MNIST comes from a Debian package, not from this tree. */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n,
                 " (Fashion-MNIST is Debian's dataset-fashion-mnist: apt-get install "
                 "dataset-fashion-mnist, or scripts/setup-debian --fashion)");
    }
    return path;
}

static int check_keys(const ss_config *cfg, int iris, ss_error *err)
{
    const char *dataset = ss_config_string(cfg, SEC, "dataset");
    if (iris) {
        static const char *const mnist_only[] = {"labels", "test_path", "test_labels"};
        for (size_t i = 0; i < sizeof mnist_only / sizeof mnist_only[0]; i++)
            if (given(cfg, mnist_only[i]))
                return ss_config_error(cfg, err, SEC, mnist_only[i],
                                       "applies to dataset = mnist, not %s", dataset);
        return SS_OK;
    }
    if (!given(cfg, "labels"))
        return ss_config_error(cfg, err, SEC, "labels",
                               "dataset = mnist needs the labels file matching path");
    if (given(cfg, "test_path") != given(cfg, "test_labels")) {
        const char *missing = given(cfg, "test_path") ? "test_labels" : "test_path";
        return ss_config_error(cfg, err, SEC, missing,
                               "test_path and test_labels go together (official MNIST test set)");
    }
    if (ss_config_int(cfg, SEC, "fold") != 0)
        return ss_config_error(cfg, err, SEC, "fold",
                               "MNIST has a single fixed split: fold must be 0");
    if (strcmp(ss_config_string(cfg, SEC, "folds"), "all") == 0)
        return ss_config_error(cfg, err, SEC, "folds",
                               "cross-validation (folds = all) applies to dataset = iris only");
    return SS_OK;
}

ss_dataset *ss_dataset_load(const ss_config *cfg, ss_error *err)
{
    if (!ss_config_has_section(cfg, SEC)) {
        ss_error_set_at(err, SS_ECONFIG, ss_config_file(cfg), 0, "no [data] section");
        return NULL;
    }
    int iris = strcmp(ss_config_string(cfg, SEC, "dataset"), "iris") == 0;
    if (check_keys(cfg, iris, err) != SS_OK)
        return NULL;

    ss_dataset *ds = NULL;
    char *path = NULL, *labels = NULL, *test_path = NULL, *test_labels = NULL;
    if (!(path = path_of(cfg, "path", err)))
        goto done;
    if (iris) {
        ds = ss_dataset_load_iris(path, err);
    } else {
        if (!(labels = path_of(cfg, "labels", err)))
            goto done;
        if (given(cfg, "test_path") && (!(test_path = path_of(cfg, "test_path", err)) ||
                                        !(test_labels = path_of(cfg, "test_labels", err))))
            goto done;
        ds = ss_dataset_load_mnist(path, labels, test_path, test_labels, err);
    }
    if (!ds)
        goto done;
    ss_error local;
    if (ss_dataset_select_classes(ds, ss_config_string(cfg, SEC, "classes"), &local) != SS_OK) {
        if (local.code == SS_ECONFIG)
            ss_config_error(cfg, err, SEC, "classes", "%s", local.msg);
        else if (err)
            *err = local;
        ss_dataset_free(ds);
        ds = NULL;
    }
done:
    free(path);
    free(labels);
    free(test_path);
    free(test_labels);
    return ds;
}

int ss_dataset_split_config(const ss_dataset *ds, const ss_config *cfg, int fold, ss_split **out,
                            ss_error *err)
{
    return ss_dataset_split(ds, fold, (size_t)ss_config_int(cfg, SEC, "max_train"),
                            (size_t)ss_config_int(cfg, SEC, "max_test"), out, err);
}

void ss_dataset_folds(const ss_dataset *ds, const ss_config *cfg, int *first, int *count)
{
    if (strcmp(ss_config_string(cfg, SEC, "folds"), "all") == 0) {
        *first = 0;
        *count = ss_dataset_n_folds(ds);
    } else {
        *first = (int)ss_config_int(cfg, SEC, "fold");
        *count = 1;
    }
}

/* "120 train, 30 test", noting which part a cap cut. */
static int sizes_text(const ss_dataset *ds, int fold, size_t max_train, size_t max_test, char *buf,
                      size_t len, ss_error *err)
{
    size_t n_train, n_test, all_train, all_test;
    int rc = ss_dataset_split_sizes(ds, fold, max_train, max_test, &n_train, &n_test, err);
    if (rc == SS_OK)
        rc = ss_dataset_split_sizes(ds, fold, 0, 0, &all_train, &all_test, err);
    if (rc != SS_OK)
        return rc;
    char train_cut[64] = "", test_cut[64] = "";
    if (n_train < all_train)
        snprintf(train_cut, sizeof train_cut, " (max_train, of %zu)", all_train);
    if (n_test < all_test)
        snprintf(test_cut, sizeof test_cut, " (max_test, of %zu)", all_test);
    snprintf(buf, len, "%zu train%s, %zu test%s", n_train, train_cut, n_test, test_cut);
    return SS_OK;
}

int ss_dataset_print_summary(const ss_dataset *ds, const ss_config *cfg, FILE *out, ss_error *err)
{
    size_t max_train = (size_t)ss_config_int(cfg, SEC, "max_train");
    size_t max_test = (size_t)ss_config_int(cfg, SEC, "max_test");
    fprintf(out, "data: %s (%s): %zu samples, %zu features, %zu classes (", ss_dataset_name(ds),
            ss_dataset_source(ds), ss_dataset_size(ds), ss_dataset_n_features(ds),
            ss_dataset_n_classes(ds));
    for (size_t c = 0; c < ss_dataset_n_classes(ds); c++)
        fprintf(out, "%s%s", c ? ", " : "", ss_dataset_class_name(ds, c));
    fprintf(out, ")\n");

    int first, count;
    ss_dataset_folds(ds, cfg, &first, &count);
    char text[5][256];
    int same = 1;
    for (int k = 0; k < count && k < 5; k++) {
        int rc = sizes_text(ds, first + k, max_train, max_test, text[k], sizeof text[k], err);
        if (rc != SS_OK)
            return rc;
        same = same && strcmp(text[k], text[0]) == 0;
    }
    if (ss_dataset_is_official(ds))
        fprintf(out, "split: official train/test files: %s\n", text[0]);
    else if (ss_dataset_n_folds(ds) == 1)
        fprintf(out, "split: fixed, k-th sample of each digit is test iff k %% 5 == 4: %s\n",
                text[0]);
    else if (count == 1)
        fprintf(out, "split: fold %d of %d: %s\n", first, ss_dataset_n_folds(ds), text[0]);
    else if (same)
        fprintf(out, "split: folds 0..%d (folds = all), each: %s\n", count - 1, text[0]);
    else
        for (int k = 0; k < count && k < 5; k++)
            fprintf(out, "split: fold %d of %d (folds = all): %s\n", k, count, text[k]);
    return SS_OK;
}
