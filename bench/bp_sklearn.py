#!/usr/bin/python3
"""Peer check of spiksim's backprop baseline against scikit-learn.

For each task, on the fixed splits of include/spiksim/dataset.h (IRIS: 5
folds, row i tests in fold i % 5, min-max scaling from the training part;
MNIST-10k: the k-th sample of each digit is a test sample iff k % 5 == 4,
pixel / 255), this script

  1. builds the split itself, in Python, from the same data files,
  2. hands the exact arrays to the C baseline (bench/bp_driver) and trains
     scikit-learn's MLPClassifier with the same hidden sizes and the same
     hyperparameters (the defaults of the [evaluate] bp_* keys, read from
     src/lib/config_keys.c, or those given here), over several seeds,
  3. prints both test accuracies, their difference (target: within 1.5
     points) and both models' white-box FGSM accuracies.

The two training procedures are matched: Adam (or SGD with Nesterov
momentum), the same batch size, learning rate and L2 penalty (scikit-learn's
alpha, applied as alpha/(2*batch)*||W||^2 in both), Glorot-uniform init, a
fixed number of epochs (scikit-learn's tolerance-based early stop is
switched off).  They still differ in random streams and in one detail: for
two classes scikit-learn uses one logistic output, spiksim two softmax units.

Run from a built tree (`make check` builds bench/bp_driver):
    /usr/bin/python3 bench/bp_sklearn.py                      # all tasks
    /usr/bin/python3 bench/bp_sklearn.py --tasks mnist-4v9 --seeds 5
MNIST-10k comes from `make mnist` (scripts/fetch-mnist) into data/mnist/.
"""
import argparse
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
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
    0..n-1 in that order)."""
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


def write_split(path, xtr, ytr, xte, yte, n_classes):
    with open(path, "wb") as fp:
        fp.write(b"SSSPLIT1")
        fp.write(struct.pack("<4Q", len(ytr), len(yte), xtr.shape[1], n_classes))
        fp.write(np.ascontiguousarray(xtr, dtype="<f8").tobytes())
        fp.write(np.ascontiguousarray(ytr, dtype="<i4").tobytes())
        fp.write(np.ascontiguousarray(xte, dtype="<f8").tobytes())
        fp.write(np.ascontiguousarray(yte, dtype="<i4").tobytes())


# ---- hyperparameters and shapes ----------------------------------------------

def bp_defaults():
    """Defaults of the [evaluate] bp_* keys, from the one key table."""
    text = open(os.path.join(SRCDIR, "src/lib/config_keys.c")).read()
    out = {}
    for key, value in re.findall(r'\{"evaluate",\s*"(bp_\w+)",\s*SS_KEY_\w+,\s*"([^"]*)"', text):
        out[key[3:]] = value
    return {"epochs": int(out["epochs"]), "batch": int(out["batch"]),
            "optimizer": out["optimizer"], "lr": float(out["lr"]),
            "momentum": float(out["momentum"]), "l2": float(out["l2"])}


def model_hidden(model):
    """(hidden1, hidden2) sizes of models/MODEL.ini, or None."""
    path = os.path.join(SRCDIR, "models", model)
    if not os.path.exists(path):
        return None
    sizes, section = {}, None
    for line in open(path):
        line = line.split(";")[0].split("#")[0].strip()
        m = re.match(r"\[(.+)\]", line)
        if m:
            section = m.group(1).strip()
        elif section in ("layer.hidden1", "layer.hidden2") and "=" in line:
            k, v = (s.strip() for s in line.split("=", 1))
            if k == "size":
                sizes[section] = int(v)
    if len(sizes) != 2:
        return None
    return (sizes["layer.hidden1"], sizes["layer.hidden2"])


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
    # name: (dataset, classes, folds, model file whose hidden sizes to use)
    "iris": ("iris", [0, 1, 2], 5, "iris.ini"),
    "iris-binary": ("iris", [1, 2], 5, "iris-binary.ini"),
    "mnist-4v9": ("mnist", [4, 9], 1, "mnist-binary.ini"),
    "mnist-10": ("mnist", list(range(10)), 1, "mnist.ini"),
}


def run_c(driver, split_path, hidden, hp, seed, eps):
    cmd = [driver, "--split", split_path, "--hidden", ",".join(map(str, hidden)),
           "--epochs", str(hp["epochs"]), "--batch", str(hp["batch"]),
           "--optimizer", hp["optimizer"], "--lr", repr(hp["lr"]),
           "--momentum", repr(hp["momentum"]), "--l2", repr(hp["l2"]), "--seed", str(seed)]
    if eps:
        cmd += ["--eps", ",".join(map(repr, eps))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default="iris,iris-binary,mnist-4v9,mnist-10",
                    help="comma list of " + ", ".join(TASKS))
    ap.add_argument("--seeds", type=int, default=3, help="seeds per fold (default 3)")
    ap.add_argument("--builddir", default=SRCDIR, help="where bench/bp_driver was built")
    ap.add_argument("--iris", default=os.path.join(SRCDIR, "data/iris.csv"))
    ap.add_argument("--mnist-images",
                    default=os.path.join(SRCDIR, "data/mnist/mnist10k-images-idx3-ubyte.gz"))
    ap.add_argument("--mnist-labels",
                    default=os.path.join(SRCDIR, "data/mnist/mnist10k-labels-idx1-ubyte.gz"))
    ap.add_argument("--hidden", default=None,
                    help="hidden sizes for every task, e.g. 128,64 (default: each task's "
                         "model file, else --fallback-hidden)")
    ap.add_argument("--fallback-hidden", default="128,64")
    ap.add_argument("--eps", default="0.05,0.1,0.2", help="FGSM eps list ('' for none)")
    for key in ("epochs", "batch", "optimizer", "lr", "momentum", "l2"):
        ap.add_argument("--" + key, default=None, help="override bp_%s" % key)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()

    hp = bp_defaults()
    for key in hp:
        v = getattr(args, key)
        if v is not None:
            hp[key] = type(hp[key])(v)
    eps = [float(e) for e in args.eps.split(",") if e.strip()]
    driver = os.path.join(args.builddir, "bench", "bp_driver")
    if not os.access(driver, os.X_OK):
        sys.exit("bp_sklearn: %s not found: run `make check` (or make bench/bp_driver)" % driver)

    print("hyperparameters (both sides): %s; seeds per fold: %d" % (
        ", ".join("%s=%s" % kv for kv in hp.items()), args.seeds))
    results, ok = {}, True
    with tempfile.TemporaryDirectory(prefix="bp_sklearn.") as tmp:
        for task in args.tasks.split(","):
            kind, class_ids, folds, model = TASKS[task]
            if kind == "iris":
                x, y, _ = load_iris(args.iris)
            else:
                x, y, _ = load_mnist(args.mnist_images, args.mnist_labels)
            if args.hidden:
                hidden = tuple(int(h) for h in args.hidden.split(","))
                origin = "--hidden"
            else:
                hidden = model_hidden(model)
                origin = "models/" + model
                if hidden is None:
                    hidden = tuple(int(h) for h in args.fallback_hidden.split(","))
                    origin = "fallback (no models/%s)" % model
            rows = []
            for fold in range(folds):
                xtr, ytr, xte, yte = make_split(kind, x, y, class_ids, fold)
                path = os.path.join(tmp, "%s-%d.split" % (task, fold))
                write_split(path, xtr, ytr, xte, yte, len(class_ids))
                for seed in range(1, args.seeds + 1):
                    c = run_c(driver, path, hidden, hp, seed, eps)
                    t0 = time.time()
                    clf = sk_fit(xtr, ytr, hidden, hp, seed)
                    sk_s = time.time() - t0
                    sk_acc = float(np.mean(clf.predict(xte) == yte))
                    sk_adv = [sk_fgsm(clf, xte, yte, e) for e in eps]
                    rows.append({"fold": fold, "seed": seed, "c": c["test_accuracy"],
                                 "c_train_s": c["train_s"], "sk": sk_acc, "sk_train_s": sk_s,
                                 "c_fgsm": [f["backprop_whitebox"] for f in c["fgsm"]],
                                 "sk_fgsm": sk_adv, "n_train": len(ytr), "n_test": len(yte)})
            c_mean = 100 * np.mean([r["c"] for r in rows])
            sk_mean = 100 * np.mean([r["sk"] for r in rows])
            diff = c_mean - sk_mean
            passed = abs(diff) <= TARGET_POINTS
            ok &= passed
            print("\n%s: hidden %s (%s), %d train / %d test, %d folds x %d seeds" % (
                task, ",".join(map(str, hidden)), origin, rows[0]["n_train"],
                rows[0]["n_test"], folds, args.seeds))
            print("  test accuracy  C %.2f%% (sd %.2f)   sklearn %.2f%% (sd %.2f)   "
                  "diff %+.2f points  [%s, target within %.1f]" % (
                      c_mean, 100 * np.std([r["c"] for r in rows]), sk_mean,
                      100 * np.std([r["sk"] for r in rows]), diff,
                      "PASS" if passed else "FAIL", TARGET_POINTS))
            print("  train time     C %.2f s   sklearn %.2f s   (mean per run; ratio %.2f)" % (
                np.mean([r["c_train_s"] for r in rows]), np.mean([r["sk_train_s"] for r in rows]),
                np.mean([r["sk_train_s"] for r in rows]) / np.mean([r["c_train_s"] for r in rows])))
            for k, e in enumerate(eps):
                print("  FGSM eps %.3g  C white-box %.2f%%   sklearn white-box %.2f%%" % (
                    e, 100 * np.mean([r["c_fgsm"][k] for r in rows]),
                    100 * np.mean([r["sk_fgsm"][k] for r in rows])))
            results[task] = {"hidden": hidden, "hyperparameters": hp, "runs": rows,
                             "c_mean": c_mean, "sklearn_mean": sk_mean, "diff_points": diff,
                             "pass": bool(passed), "eps": eps}
    if args.json:
        with open(args.json, "w") as fp:
            json.dump(results, fp, indent=1)
    print("\n%s" % ("all within %.1f points" % TARGET_POINTS if ok else "SOME TASKS DIFFER"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
