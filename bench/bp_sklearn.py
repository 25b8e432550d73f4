#!/usr/bin/python3
"""Peer check of spiksim's backprop baseline against scikit-learn.

For each task (a shipped model file), and each fold and seed, this script

  1. runs bench/bp_driver, which loads the model, the dataset and its fixed
     split with spiksim's own loaders, trains the C baseline (shape from the
     model's neuron layers, [evaluate] bp_* hyperparameters) and reports its
     test accuracy, white-box FGSM accuracies and checksums of the split;
  2. builds the same split independently, in Python, from the same files
     (IRIS: row i tests in fold i % 5, min-max scaling from the training
     part; MNIST-10k: the k-th sample of each digit tests iff k % 5 == 4,
     pixel / 255), and checks it against the driver's checksums;
  3. trains scikit-learn's MLPClassifier with the same hidden sizes and
     hyperparameters on it and prints both test accuracies, their difference
     (target: within 1.5 points) and both models' white-box FGSM accuracies.

The training procedures are matched: Adam (or SGD with Nesterov momentum),
the same batch size, learning rate and L2 penalty (scikit-learn's alpha,
alpha/(2*batch)*||W||^2 in both), Glorot-uniform init, a fixed number of
epochs (scikit-learn's tolerance-based early stop is switched off).  They
still differ in random streams and in one detail: for two classes
scikit-learn uses one logistic output, spiksim two softmax units.

Run from the source tree after building (`make check` builds
bench/bp_driver; pass --builddir for an out-of-tree build) and `make mnist`:
    /usr/bin/python3 bench/bp_sklearn.py                      # all tasks
    /usr/bin/python3 bench/bp_sklearn.py --tasks mnist-4v9 --seeds 5
"""
import argparse
import configparser
import gzip
import json
import os
import struct
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
TARGET_POINTS = 1.5


# ---- data and the fixed splits -----------------------------------------------

def load_iris(path):
    """data/iris.csv: 4 numbers and a species per row, optional header."""
    xs, names = [], []
    with open(path) as fp:
        for line in fp:
            fields = [f.strip() for f in line.strip().split(",")]
            if len(fields) < 5:
                continue
            try:
                row = [float(v) for v in fields[:4]]
            except ValueError:
                continue  # header
            xs.append(row)
            names.append(fields[4].replace("Iris-", ""))
    classes = ["setosa", "versicolor", "virginica"]
    return np.array(xs), np.array([classes.index(n) for n in names]), classes


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fp:
        data = fp.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(images, labels):
    x = read_idx(images).reshape(-1, 28 * 28).astype(np.float64) / 255.0
    y = read_idx(labels).astype(np.int64)
    return x, y, [str(d) for d in range(10)]


def interleave_by_class(idx, y):
    """Split order of dataset.h: first sample of each class (label order),
    then the second of each, ..., each class in file order."""
    per = [list(idx[y[idx] == c]) for c in sorted(set(y[idx]))]
    out = []
    for k in range(max(len(p) for p in per)):
        out.extend(p[k] for p in per if k < len(p))
    return np.array(out)


def make_split(kind, x, y, class_ids, fold):
    """Train/test arrays of one fold for the classes class_ids (relabelled
    0..n-1 in that order), in split order."""
    keep = np.isin(y, class_ids)
    if kind == "iris":
        is_test = (np.arange(len(y)) % 5) == fold
    else:
        # k-th sample of its digit, counted over the whole file
        within = np.zeros(len(y), dtype=np.int64)
        seen = {}
        for i, c in enumerate(y):
            within[i] = seen.get(c, 0)
            seen[c] = within[i] + 1
        is_test = (within % 5) == 4
    remap = {c: k for k, c in enumerate(class_ids)}
    yy = np.array([remap.get(c, -1) for c in y])
    tr = interleave_by_class(np.where(keep & ~is_test)[0], yy)
    te = interleave_by_class(np.where(keep & is_test)[0], yy)
    xtr, xte = x[tr].copy(), x[te].copy()
    if kind == "iris":
        lo, hi = xtr.min(axis=0), xtr.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        xtr = np.where(hi > lo, (xtr - lo) / span, 0.0)
        xte = np.clip(np.where(hi > lo, (xte - lo) / span, 0.0), 0.0, 1.0)
    return xtr, yy[tr], xte, yy[te]


# ---- model files -------------------------------------------------------------

def model_data(model_path):
    """The [data] keys of a model file that decide the split."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    cp.read(model_path)
    d = dict(cp["data"]) if cp.has_section("data") else {}
    base = os.path.dirname(os.path.abspath(model_path))
    for key in ("path", "labels", "test_path"):
        if d.get(key):
            d[key] = os.path.normpath(os.path.join(base, d[key]))
    if d.get("test_path"):
        sys.exit("bp_sklearn: %s uses official MNIST files; only the fixed "
                 "MNIST-10k/IRIS splits are rebuilt here" % model_path)
    return d


def class_ids(kind, names, spec):
    if not spec or not spec.strip():
        return list(range(len(names)))
    return [names.index(c.strip()) for c in spec.split(",")]


# ---- scikit-learn side ---------------------------------------------------------

def sk_fit(xtr, ytr, hidden, hp, seed):
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver=hp["optimizer"],
                        alpha=hp["l2"], batch_size=hp["batch"], learning_rate_init=hp["lr"],
                        momentum=hp["momentum"], nesterovs_momentum=True,
                        max_iter=hp["epochs"], n_iter_no_change=hp["epochs"] + 1, tol=0.0,
                        shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    return clf


def sk_input_grad(clf, x, y):
    """d CE_i / d x_i for scikit-learn's MLP (ReLU hidden layers; logistic
    output for two classes, softmax otherwise)."""
    acts = [x]
    for w, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        acts.append(np.maximum(acts[-1] @ w + b, 0.0))
    z = acts[-1] @ clf.coefs_[-1] + clf.intercepts_[-1]
    if z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-z[:, 0]))
        d = (p - (y == clf.classes_[1]))[:, None]
    else:
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        d = p
        d[np.arange(len(y)), np.searchsorted(clf.classes_, y)] -= 1.0
    for layer in range(len(clf.coefs_) - 1, -1, -1):
        d_in = d @ clf.coefs_[layer].T
        if layer > 0:
            d = d_in * (acts[layer] > 0)
    return d_in


def sk_fgsm(clf, x, y, eps):
    g = sk_input_grad(clf, x, y)
    adv = np.clip(x + eps * np.sign(g), 0.0, 1.0)
    return float(np.mean(clf.predict(adv) == y))


# ---- runs ----------------------------------------------------------------------

TASKS = {
    # name: (model file, folds to run)
    "iris": ("iris.ini", 5),
    "iris-binary": ("iris-binary.ini", 5),
    "mnist-4v9": ("mnist-binary.ini", 1),
    "mnist-10": ("mnist.ini", 1),
}


def run_c(driver, model, fold, seed, sets):
    cmd = [driver, model, "--fold", str(fold), "--set", "simulation.seed=%d" % seed]
    for kv in sets:
        cmd += ["--set", kv]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("bp_sklearn: %s failed: %s" % (" ".join(cmd), proc.stderr.strip()))
    return json.loads(proc.stdout)


def check_same_split(c, xtr, ytr, xte, yte):
    """The driver's checksums of the loader's split against ours."""
    problems = []
    if (c["n_train"], c["n_test"]) != (len(ytr), len(yte)):
        problems.append("sizes %d/%d vs %d/%d" % (c["n_train"], c["n_test"], len(ytr), len(yte)))
    if (c["train_label_sum"], c["test_label_sum"]) != (int(ytr.sum()), int(yte.sum())):
        problems.append("label sums differ")
    for name, v, arr in (("train", c["train_x_sum"], xtr), ("test", c["test_x_sum"], xte)):
        if abs(v - arr.sum()) > 1e-8 * max(1.0, abs(v)):  # JSON keeps 10 digits
            problems.append("%s feature sums %.12g vs %.12g" % (name, v, arr.sum()))
    if problems:
        sys.exit("bp_sklearn: the loader's split differs from the one built here: "
                 + "; ".join(problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default=",".join(TASKS), help="comma list of " + ", ".join(TASKS))
    ap.add_argument("--seeds", type=int, default=3, help="seeds per fold (default 3)")
    ap.add_argument("--builddir", default=SRCDIR, help="where bench/bp_driver was built")
    ap.add_argument("--models", default=os.path.join(SRCDIR, "models"))
    ap.add_argument("--hidden", default=None,
                    help="override the hidden sizes of every model, e.g. 128,64")
    ap.add_argument("--eps", default="0.05,0.1,0.2", help="FGSM eps list")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="extra model-file override for the driver (e.g. evaluate.bp_lr=0.01)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()

    eps = [float(e) for e in args.eps.split(",") if e.strip()]
    driver = os.path.join(args.builddir, "bench", "bp_driver")
    if not os.access(driver, os.X_OK):
        sys.exit("bp_sklearn: %s not found: run `make check` (or make bench/bp_driver)" % driver)
    sets = ["evaluate.fgsm_eps=" + ",".join(map(repr, eps)), "evaluate.fgsm_samples=0",
            "data.max_train=0", "data.max_test=0"] + args.set
    if args.hidden:
        h = args.hidden.split(",")
        sets += ["layer.hidden%d.size=%s" % (i + 1, v) for i, v in enumerate(h)]

    results, ok = {}, True
    for task in args.tasks.split(","):
        model_file, folds = TASKS[task]
        model = os.path.join(args.models, model_file)
        d = model_data(model)
        if d["dataset"] == "iris":
            x, y, names = load_iris(d["path"])
        else:
            x, y, names = load_mnist(d["path"], d["labels"])
        ids = class_ids(d["dataset"], names, d.get("classes", ""))
        rows = []
        for fold in range(folds):
            xtr, ytr, xte, yte = make_split(d["dataset"], x, y, ids, fold)
            for seed in range(1, args.seeds + 1):
                c = run_c(driver, model, fold, seed, sets)
                check_same_split(c, xtr, ytr, xte, yte)
                hp = c["hyperparameters"]
                hidden = tuple(c["sizes"][1:-1])
                t0 = time.time()
                clf = sk_fit(xtr, ytr, hidden, hp, seed)
                sk_s = time.time() - t0
                rows.append({"fold": fold, "seed": seed, "c": c["test_accuracy"],
                             "c_train_s": c["train_s"],
                             "sk": float(np.mean(clf.predict(xte) == yte)), "sk_train_s": sk_s,
                             "c_fgsm": [f["backprop_whitebox"] for f in c["fgsm"]],
                             "sk_fgsm": [sk_fgsm(clf, xte, yte, e) for e in eps],
                             "n_train": len(ytr), "n_test": len(yte)})
        c_mean = 100 * np.mean([r["c"] for r in rows])
        sk_mean = 100 * np.mean([r["sk"] for r in rows])
        diff = c_mean - sk_mean
        passed = abs(diff) <= TARGET_POINTS
        ok &= passed
        print("\n%s: models/%s, sizes %s, %d train / %d test, %d fold(s) x %d seeds, BLAS %s" % (
            task, model_file, "-".join(map(str, c["sizes"])), rows[0]["n_train"],
            rows[0]["n_test"], folds, args.seeds, c["blas"]))
        print("  hyperparameters: %s" % ", ".join("%s=%s" % kv for kv in hp.items()))
        print("  test accuracy  C %.2f%% (sd %.2f)   sklearn %.2f%% (sd %.2f)   "
              "diff %+.2f points  [%s, target within %.1f]" % (
                  c_mean, 100 * np.std([r["c"] for r in rows]), sk_mean,
                  100 * np.std([r["sk"] for r in rows]), diff,
                  "PASS" if passed else "FAIL", TARGET_POINTS))
        c_s = np.mean([r["c_train_s"] for r in rows])
        sk_s = np.mean([r["sk_train_s"] for r in rows])
        print("  train time     C %.2f s   sklearn %.2f s   (mean per run; sklearn/C %.2f)" % (
            c_s, sk_s, sk_s / c_s))
        for k, e in enumerate(eps):
            print("  FGSM eps %-5g  white-box accuracy  C %.2f%%   sklearn %.2f%%" % (
                e, 100 * np.mean([r["c_fgsm"][k] for r in rows]),
                100 * np.mean([r["sk_fgsm"][k] for r in rows])))
        sys.stdout.flush()
        results[task] = {"model": model_file, "sizes": c["sizes"], "hyperparameters": hp,
                         "runs": rows, "c_mean": c_mean, "sklearn_mean": sk_mean,
                         "diff_points": diff, "pass": bool(passed), "eps": eps}
    if args.json:
        with open(args.json, "w") as fp:
            json.dump(results, fp, indent=1)
    print("\n%s" % ("all within %.1f points" % TARGET_POINTS if ok else "SOME TASKS DIFFER"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
