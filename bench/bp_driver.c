/* bp_driver: trains the C backprop baseline on one train/test split and
 * prints its accuracies (clean and under white-box FGSM) as one JSON object.
 * bench/bp_sklearn.py runs it next to scikit-learn's MLPClassifier on the
 * very same split; see that script for the comparison.
 *
 *   bp_driver --split FILE [--hidden 64,32] [--epochs N] [--batch N]
 *             [--optimizer adam|sgd] [--lr X] [--momentum X] [--l2 X]
 *             [--seed N] [--eps 0.05,0.1,0.2]
 *
 * FILE (written by bp_sklearn.py) is little-endian binary: the 8 bytes
 * "SSSPLIT1", four uint64 (n_train, n_test, n_features, n_classes), then
 * train x (float64, row-major), train y (int32), test x, test y.
 * Hyperparameter defaults are those of the [evaluate] bp_* keys.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>
#include <spiksim/ann.h>
#include <spiksim/attack.h>
#include <spiksim/error.h>
#include <spiksim/json.h>

typedef struct split {
    size_t n_train, n_test, d, classes;
    gsl_matrix *train_x, *test_x;
    int *train_y, *test_y;
} split;

static int read_exact(FILE *fp, void *buf, size_t bytes, const char *path, ss_error *err)
{
    if (fread(buf, 1, bytes, fp) != bytes)
        return ss_error_set(err, SS_EDATA, "%s: truncated split file", path);
    return 0;
}

static int read_labels(FILE *fp, int *y, size_t n, size_t classes, const char *path, ss_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v;
        int rc = read_exact(fp, &v, sizeof v, path, err);
        if (rc)
            return rc;
        if (v < 0 || (size_t)v >= classes)
            return ss_error_set(err, SS_EDATA, "%s: label %" PRId32 " out of range", path, v);
        y[i] = v;
    }
    return 0;
}

static int read_split(const char *path, split *s, ss_error *err)
{
    memset(s, 0, sizeof *s);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ss_error_set(err, SS_EIO, "%s: %s", path, strerror(errno));
    char magic[8];
    uint64_t dims[4];
    int rc = read_exact(fp, magic, sizeof magic, path, err);
    if (!rc && memcmp(magic, "SSSPLIT1", 8) != 0)
        rc = ss_error_set(err, SS_EDATA, "%s: not a split file (bad magic)", path);
    if (!rc)
        rc = read_exact(fp, dims, sizeof dims, path, err);
    if (!rc && (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[3] < 2 || dims[0] > 10000000 ||
                dims[1] > 10000000 || dims[2] > 100000 || dims[3] > 100000))
        rc = ss_error_set(err, SS_EDATA, "%s: implausible split sizes", path);
    if (rc) {
        fclose(fp);
        return rc;
    }
    s->n_train = dims[0];
    s->n_test = dims[1];
    s->d = dims[2];
    s->classes = dims[3];
    s->train_x = gsl_matrix_alloc(s->n_train, s->d);
    s->test_x = gsl_matrix_alloc(s->n_test, s->d);
    s->train_y = malloc(s->n_train * sizeof *s->train_y);
    s->test_y = malloc(s->n_test * sizeof *s->test_y);
    if (!s->train_x || !s->test_x || !s->train_y || !s->test_y)
        rc = ss_error_set(err, SS_ENOMEM, "out of memory for the split");
    if (!rc)
        rc = read_exact(fp, s->train_x->data, s->n_train * s->d * sizeof(double), path, err);
    if (!rc)
        rc = read_labels(fp, s->train_y, s->n_train, s->classes, path, err);
    if (!rc)
        rc = read_exact(fp, s->test_x->data, s->n_test * s->d * sizeof(double), path, err);
    if (!rc)
        rc = read_labels(fp, s->test_y, s->n_test, s->classes, path, err);
    fclose(fp);
    return rc;
}

static void split_free(split *s)
{
    if (s->train_x)
        gsl_matrix_free(s->train_x);
    if (s->test_x)
        gsl_matrix_free(s->test_x);
    free(s->train_y);
    free(s->test_y);
}

/* Parses "a,b,c" into at most max doubles; returns the count or -1. */
static int parse_list(const char *text, double *out, int max)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || n == max)
            return -1;
        out[n++] = v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return n;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int usage(void)
{
    fputs("usage: bp_driver --split FILE [--hidden 64,32] [--epochs N] [--batch N]\n"
          "                 [--optimizer adam|sgd] [--lr X] [--momentum X] [--l2 X]\n"
          "                 [--seed N] [--eps 0.05,0.1,0.2]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *split_path = NULL;
    double hidden[16] = {64, 32}, eps[32];
    int n_hidden = 2, n_eps = 0;
    unsigned long seed = 1;
    ss_mlp_train_opts o;
    ss_mlp_train_opts_default(&o);
    static const struct option longopts[] = {{"split", required_argument, NULL, 'f'},
                                             {"hidden", required_argument, NULL, 'H'},
                                             {"epochs", required_argument, NULL, 'e'},
                                             {"batch", required_argument, NULL, 'b'},
                                             {"optimizer", required_argument, NULL, 'o'},
                                             {"lr", required_argument, NULL, 'l'},
                                             {"momentum", required_argument, NULL, 'm'},
                                             {"l2", required_argument, NULL, 'a'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"eps", required_argument, NULL, 'E'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            split_path = optarg;
            break;
        case 'H':
            if ((n_hidden = parse_list(optarg, hidden, 16)) < 1)
                return usage();
            break;
        case 'e':
            o.epochs = strtoul(optarg, NULL, 10);
            break;
        case 'b':
            o.batch = strtoul(optarg, NULL, 10);
            break;
        case 'o':
            if (strcmp(optarg, "adam") == 0)
                o.optimizer = SS_OPTIMIZER_ADAM;
            else if (strcmp(optarg, "sgd") == 0)
                o.optimizer = SS_OPTIMIZER_SGD;
            else
                return usage();
            break;
        case 'l':
            o.lr = strtod(optarg, NULL);
            break;
        case 'm':
            o.momentum = strtod(optarg, NULL);
            break;
        case 'a':
            o.l2 = strtod(optarg, NULL);
            break;
        case 's':
            seed = strtoul(optarg, NULL, 10);
            break;
        case 'E':
            if ((n_eps = parse_list(optarg, eps, 32)) < 0)
                return usage();
            break;
        default:
            return usage();
        }
    }
    if (!split_path || optind != argc)
        return usage();

    ss_error err = {0, ""};
    split s;
    int rc = read_split(split_path, &s, &err);
    ss_mlp *m = NULL;
    gsl_rng *rng = NULL;
    size_t *confusion = NULL;
    if (rc)
        goto out;

    size_t sizes[18];
    sizes[0] = s.d;
    for (int i = 0; i < n_hidden; i++)
        sizes[i + 1] = (size_t)hidden[i];
    sizes[n_hidden + 1] = s.classes;
    if (!(m = ss_mlp_alloc((size_t)n_hidden + 2, sizes, &err))) {
        rc = err.code;
        goto out;
    }
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    ss_mlp_init(m, rng);
    size_t epochs_done = 0;
    double t0 = seconds_now();
    if ((rc = ss_mlp_train(m, s.train_x, s.train_y, &o, rng, &epochs_done, &err)))
        goto out;
    double train_s = seconds_now() - t0;

    double train_acc, test_acc, final_loss;
    confusion = malloc(s.classes * s.classes * sizeof *confusion);
    if (!confusion) {
        rc = ss_error_set(&err, SS_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ss_mlp_evaluate(m, s.train_x, s.train_y, &train_acc, NULL, &err)) ||
        (rc = ss_mlp_evaluate(m, s.test_x, s.test_y, &test_acc, confusion, &err)) ||
        (rc = ss_mlp_loss_grad(m, s.train_x, s.train_y, o.l2, &final_loss, NULL, NULL, &err)))
        goto out;

    ss_json j;
    ss_json_init(&j, stdout, 0);
    ss_json_object_begin(&j);
    ss_json_key(&j, "blas");
    ss_json_string(&j, SS_BLAS_NAME);
    ss_json_key(&j, "n_train");
    ss_json_int(&j, (long long)s.n_train);
    ss_json_key(&j, "n_test");
    ss_json_int(&j, (long long)s.n_test);
    ss_json_key(&j, "sizes");
    ss_json_array_begin(&j);
    for (int i = 0; i < n_hidden + 2; i++)
        ss_json_int(&j, (long long)sizes[i]);
    ss_json_array_end(&j);
    ss_json_key(&j, "epochs_done");
    ss_json_int(&j, (long long)epochs_done);
    ss_json_key(&j, "final_train_loss");
    ss_json_number(&j, final_loss);
    ss_json_key(&j, "train_accuracy");
    ss_json_number(&j, train_acc);
    ss_json_key(&j, "test_accuracy");
    ss_json_number(&j, test_acc);
    ss_json_key(&j, "train_s");
    ss_json_number(&j, train_s);
    ss_json_key(&j, "confusion");
    ss_json_array_begin(&j);
    for (size_t t = 0; t < s.classes; t++) {
        ss_json_array_begin(&j);
        for (size_t p = 0; p < s.classes; p++)
            ss_json_int(&j, (long long)confusion[t * s.classes + p]);
        ss_json_array_end(&j);
    }
    ss_json_array_end(&j);
    ss_json_key(&j, "fgsm");
    ss_json_array_begin(&j);
    for (int k = 0; k < n_eps; k++) {
        double acc;
        if ((rc = ss_fgsm_mlp_accuracy(m, s.test_x, s.test_y, eps[k], &acc, NULL, NULL, &err)))
            goto out;
        ss_json_object_begin(&j);
        ss_json_key(&j, "eps");
        ss_json_number(&j, eps[k]);
        ss_json_key(&j, "backprop_whitebox");
        ss_json_number(&j, acc);
        ss_json_object_end(&j);
    }
    ss_json_array_end(&j);
    ss_json_object_end(&j);
    fputc('\n', stdout);
out:
    if (rc)
        fprintf(stderr, "bp_driver: %s\n", err.msg);
    free(confusion);
    if (rng)
        gsl_rng_free(rng);
    ss_mlp_free(m);
    split_free(&s);
    return rc ? ss_error_exit_status(rc) : 0;
}
