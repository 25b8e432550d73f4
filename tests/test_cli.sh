#!/bin/sh
# The command-line contract: exit statuses, messages, --check, --set.
set -u
tmp="$SS_BUILDDIR/tests/tmp/cli"
mkdir -p "$tmp"
models="$SS_SRCDIR/models"
. "$SS_SRCDIR/tests/expect.sh"

expect 0 '^Usage: spiksim' -- --help
expect 0 "^spiksim $(sed -n 's/^AC_INIT(\[spiksim\], \[\([^]]*\)\].*/\1/p' "$SS_SRCDIR/configure.ac")" -- --version
expect 0 'tau_m_ms' -- --help-model
expect 2 'missing MODEL.ini' --
expect 2 "unknown option '--bogus'" -- --bogus "$models/iris.ini"
expect 2 "option '--seed' needs a value" -- --seed
expect 2 "--seed: 'x1' is not a whole number" -- --seed x1 "$models/iris.ini"
expect 2 "unexpected argument 'extra'" -- "$models/iris.ini" extra
expect 2 'nowhere.ini: cannot open model file' -- --check "$tmp/nowhere.ini"
expect 0 'hidden1 .*lif_exp .*30 neurons' -- --check "$models/iris.ini"
expect 0 'in_h1 .*input -> hidden1 (all): 3840 synapses' -- --check --set layer.hidden1.size=120 "$models/iris.ini"
expect 2 "--set projection.h1_h2.from=hidden9: no layer named 'hidden9'" -- --check --set projection.h1_h2.from=hidden9 "$models/iris.ini"
printf '[layer.a]\nsize = 4\n[projection.p]\nfrom = a\nto = b\n' >"$tmp/noto.ini"
expect 2 "noto.ini:5: \\[projection.p\\] to: no layer named 'b'" -- --check "$tmp/noto.ini"
expect 2 "did you mean 'tau_m_ms'" -- --check --set layer.hidden1.tau_mm=3 "$models/iris.ini"
# Keys the learner reads are checked too.
expect 2 "learn_epochs=5-3: expected N, FIRST-LAST or FIRST-" -- --check --set layer.hidden2.learn_epochs=5-3 "$models/iris.ini"
expect 2 "learning_gain=2: applies to fixed projections only" -- --check --set projection.h1_h2.learning_gain=2 "$models/iris.ini"
expect 0 "warning: layer 'hidden2' learns from epoch 4 but \[train\] epochs = 2: it will not learn" -- \
    --set data.folds=one --set train.epochs=2 --set layer.hidden2.learn_epochs=4- \
    --set evaluate.baseline=none "$models/iris.ini"

# Every shipped model validates (the MNIST ones once `make mnist` has run).
for model in "$models"/*.ini; do
    case $model in
    */mnist*) [ -f "$SS_SRCDIR/data/mnist/mnist10k-images-idx3-ubyte.gz" ] || {
        echo "(skipped $model: run make mnist)"; continue; } ;;
    */fashion*) [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || {
        echo "(skipped $model: needs dataset-fashion-mnist)"; continue; } ;;
    esac
    expect 0 '^synapses: ' -- --check "$model"
done

printf '[layer.a]\nsize = 4\n[layer.b]\nsize = 2\ntau_mm = 3\n' >"$tmp/bad.ini"
expect 2 "bad.ini:5: unknown key 'tau_mm' in \[layer.b\] (did you mean 'tau_m_ms'?)" -- --check "$tmp/bad.ini"
# Raster flags: bad values are refused before anything runs.
ib="$models/iris-binary.ini"
rm -f "$tmp/r.csv"
quick="--set data.folds=one --set train.epochs=1 --set evaluate.baseline=none -q"
expect 2 "T0 (50 ms) is after T1" -- --raster "$tmp/r.csv" --raster-window 50:10 "$ib"
expect 2 "raster-samples" -- --raster "$tmp/r.csv" --raster-samples bogus:1 "$ib"
expect 2 "xyz" -- --raster "$tmp/r.xyz" "$ib"
expect 2 "need --raster FILE" -- --raster-format csv "$ib"
expect 2 "no-such-dir" -- --raster "$tmp/no-such-dir/r.csv" "$ib"
expect 2 "no-such-plots" -- --plot-dir "$tmp/no-such-plots" "$ib"
expect 2 "hiden1" -- $quick --raster "$tmp/r.csv" --raster-layers input,hiden1 "$ib"
[ ! -e "$tmp/r.csv" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused run wrote r.csv"; }

# A classification raster: the header, test rows only, two samples.
expect 0 '' -- $quick --raster "$tmp/r.csv" --raster-samples test:0-1 "$ib"
if [ "$(head -n 1 "$tmp/r.csv")" = "time_ms,layer,neuron,sample,phase,label" ] &&
    [ "$(tail -n +2 "$tmp/r.csv" | cut -d, -f5 | sort -u)" = "test" ] &&
    [ "$(tail -n +2 "$tmp/r.csv" | cut -d, -f4 | sort -u | tr '\n' ' ')" = "0 1 " ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL: raster CSV content:"; head -n 3 "$tmp/r.csv"
fi
# Pictures: the raster as PNG, and the plot directory.
mkdir -p "$tmp/plots"
expect 0 '' -- $quick --raster "$tmp/r.png" --raster-samples test:0 --plot-dir "$tmp/plots" "$ib"
for f in "$tmp/r.png" "$tmp/plots/raster.png" "$tmp/plots/rates.png" "$tmp/plots/learning.png"; do
    if [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "FAIL: $f is not a PNG"
    fi
done
# A free-running raster, in absolute time.
expect 0 '' -- -q --set simulation.duration_ms=50 --raster "$tmp/ff.csv" --raster-window 10:40 "$models/ff200.ini"
if awk -F, 'NR > 1 && ($1 < 10 || $1 >= 40) { bad = 1 } END { exit bad || NR < 2 }' "$tmp/ff.csv"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL: ff200 raster outside the window or empty"
fi

# SIGINT during training: the current sample finishes, the checkpoint is
# saved, exit status 130; the checkpoint then loads and tests.
rm -f "$tmp/int.ck"
"$SPIKSIM" -q --set data.folds=one --set train.epochs=100000 --set evaluate.baseline=none \
    --save "$tmp/int.ck" "$ib" >"$tmp/int.out" 2>&1 &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
status=$?
if [ "$status" = 130 ] && [ -s "$tmp/int.ck" ] && grep -q 'interrupted' "$tmp/int.out"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL: SIGINT gave status $status:"; cat "$tmp/int.out"
fi
expect 0 'test ' -- --set data.folds=one --set evaluate.baseline=none --load "$tmp/int.ck" --no-train "$ib"
# a loaded network's test is rastered like a trained one's
rm -f "$tmp/loaded.csv"
expect 0 '' -- -q --set data.folds=one --set evaluate.baseline=none --load "$tmp/int.ck" --no-train \
    --raster "$tmp/loaded.csv" --raster-samples test:0 "$ib"
[ "$(tail -n +2 "$tmp/loaded.csv" | cut -d, -f4,5 | sort -u)" = "0,test" ] && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: raster of a loaded network:"; head -n 3 "$tmp/loaded.csv"; }
head -c 20 "$tmp/int.ck" >"$tmp/cut.ck"
expect 2 'cut.ck' -- --set data.folds=one --load "$tmp/cut.ck" --no-train "$ib"
expect 2 'another shape' -- --set data.folds=one --set layer.hidden1.size=24 --load "$tmp/int.ck" --no-train "$ib"
expect 2 'needs --load' -- --no-train "$ib"

# IRIS folds run side by side on 2 threads (one thread each) and give what
# they give in turn on one thread: the JSON without timings and plan.
short="--set train.epochs=3 --set evaluate.fgsm_samples=10 --set evaluate.bp_epochs=20"
for th in 1 2; do
    # shellcheck disable=SC2086
    "$SPIKSIM" --threads $th $short --json "$tmp/folds$th.json" "$ib" >"$tmp/folds$th.out" 2>&1
done
cat >"$tmp/folds.py" <<'EOF'
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items()
                if not (k.endswith("_s") or k in ("timing", "parallel"))}
    return [strip(v) for v in o] if isinstance(o, list) else o
a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(not (strip(a) == strip(b) and len(a["snn"]["per_fold"]) == 5
              and b["parallel"]["folds_at_once"] == 2 and a["parallel"]["folds_at_once"] == 1))
EOF
if /usr/bin/python3 "$tmp/folds.py" "$tmp/folds1.json" "$tmp/folds2.json" &&
    grep -q '; 2 folds at once' "$tmp/folds2.out" && ! grep -q 'folds at once' "$tmp/folds1.out"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL: IRIS folds side by side differ from folds in turn:"
    tail -3 "$tmp/folds1.out" "$tmp/folds2.out"
fi

# --quiet prints nothing on success.
"$SPIKSIM" --check --quiet "$models/iris.ini" >"$tmp/quiet" 2>&1
if [ $? = 0 ] && [ ! -s "$tmp/quiet" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: --quiet printed:"; cat "$tmp/quiet"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
