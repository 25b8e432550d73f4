#!/bin/sh
# The command-line contract: exit statuses, messages, --check, --set.
set -u
tmp="$SS_BUILDDIR/tests/tmp/cli"
mkdir -p "$tmp"
models="$SS_SRCDIR/models"
passed=0
failed=0

# expect STATUS PATTERN -- ARGS...: run spiksim, check exit status and that
# stdout+stderr matches the grep pattern.
expect() {
    want=$1 pattern=$2
    shift 3
    "$SPIKSIM" "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" = "$want" ] && grep -q -- "$pattern" "$tmp/out"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: spiksim $* -> status $got (want $want), output:"; sed 's/^/    /' "$tmp/out"
        echo "    (wanted a line matching: $pattern)"
    fi
}

expect 0 '^Usage: spiksim' -- --help
expect 0 "^spiksim $(sed -n 's/^AC_INIT(\[spiksim\], \[\([^]]*\)\].*/\1/p' "$SS_SRCDIR/configure.ac")" -- --version
expect 0 'tau_m_ms' -- --help-model
expect 2 'missing MODEL.ini' --
expect 2 "unknown option '--bogus'" -- --bogus "$models/iris.ini"
expect 2 "option '--seed' needs a value" -- --seed
expect 2 "--seed: 'x1' is not a whole number" -- --seed x1 "$models/iris.ini"
expect 2 "unexpected argument 'extra'" -- "$models/iris.ini" extra
expect 2 'nowhere.ini: cannot open model file' -- --check "$tmp/nowhere.ini"
expect 0 'hidden1 .*lif .*64 neurons' -- --check "$models/iris.ini"
expect 0 'hidden1 .*lif .*128 neurons' -- --check --set layer.hidden1.size=128 "$models/iris.ini"
expect 2 "did you mean 'tau_m_ms'" -- --check --set layer.hidden1.tau_mm=3 "$models/iris.ini"

# Every shipped model validates (the MNIST ones once `make mnist` has run).
for model in "$models"/*.ini; do
    case $model in
    */mnist*) [ -f "$SS_SRCDIR/data/mnist/mnist10k-images-idx3-ubyte.gz" ] || {
        echo "(skipped $model: run make mnist)"; continue; } ;;
    esac
    # free-running models (bench4, ff200) have no [data], hence no split
    if grep -q '^\[data\]' "$model"; then want='^split: '; else want='^projections: '; fi
    expect 0 "$want" -- --check "$model"
done

printf '[layer.a]\nsize = 4\n[layer.b]\nsize = 2\ntau_mm = 3\n' >"$tmp/bad.ini"
expect 2 "bad.ini:5: unknown key 'tau_mm' in \[layer.b\] (did you mean 'tau_m_ms'?)" -- --check "$tmp/bad.ini"
# --quiet prints nothing on success.
"$SPIKSIM" --check --quiet "$models/iris.ini" >"$tmp/quiet" 2>&1
if [ $? = 0 ] && [ ! -s "$tmp/quiet" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: --quiet printed:"; cat "$tmp/quiet"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
