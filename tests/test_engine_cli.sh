#!/bin/sh
# The engine through the program: bad networks and spike files are refused
# with FILE:LINE and exit 2; a free-running model writes its raster, the same
# for the same seed.
set -u
tmp="$SS_BUILDDIR/tests/tmp/engine_cli"
mkdir -p "$tmp"
passed=0
failed=0

# expect STATUS PATTERN ARGS...: run spiksim, check the exit status and that
# stdout+stderr matches the grep pattern (empty: anything).
expect() {
    want=$1 pattern=$2
    shift 2
    "$SPIKSIM" "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" = "$want" ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/out"; }; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: spiksim $* -> status $got (want $want), output:"; sed 's/^/    /' "$tmp/out"
        echo "    (wanted a line matching: $pattern)"
    fi
}

model() { # NAME TEXT: writes $tmp/NAME.ini
    printf '%b' "$2" >"$tmp/$1.ini"
}

model vth '[layer.a]\nsize = 3\nv_th_mv = -70\nv_reset_mv = -65\n'
expect 2 'vth.ini:3: \[layer.a\] v_th_mv: v_th_mv (-70) must be above v_reset_mv' --check "$tmp/vth.ini"
model tau '[layer.a]\nsize = 3\ntau_m_ms = 0\n'
expect 2 'tau.ini:3:' --check "$tmp/tau.ini"
model unknown '[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = b\n'
expect 2 "unknown.ini:5: \[projection.p\] to: no layer named 'b'" --check "$tmp/unknown.ini"
model delay '[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\ndelay_ms = -0.5\n'
expect 2 'delay.ini:6:' --check "$tmp/delay.ini"
model prob '[layer.a]\nsize = 3\n[projection.p]\nfrom = a\nto = a\nconnect = fixed_prob\np = 1.5\n'
expect 2 'prob.ini:7:' --check "$tmp/prob.ini"

printf 'time_ms,neuron\n1.0,0\n0.5,1\n' >"$tmp/unsorted.csv"
printf 'time_ms,neuron\n1.0,0\n2.0,5\n' >"$tmp/range.csv"
printf 'time_ms,neuron\n-1.0,0\n' >"$tmp/negative.csv"
for f in unsorted range negative; do
    model "sf_$f" "[layer.s]\ntype = spike_file\nsize = 2\nspike_file = $f.csv\n[layer.n]\nsize = 1\n[projection.p]\nfrom = s\nto = n\n"
done
expect 2 'unsorted.csv:3: times are not sorted' --check "$tmp/sf_unsorted.ini"
expect 2 'range.csv:3: neuron 5 out of range' --check "$tmp/sf_range.ini"
expect 2 'negative.csv:2: time -1 ms must be finite and >= 0' --check "$tmp/sf_negative.ini"

# A free-running model: raster rows, the same twice for one seed.
model free '[simulation]\nduration_ms = 200\n[layer.src]\ntype = poisson\nsize = 20\nrate_hz = 50\n[layer.out]\nsize = 10\ntau_m_ms = 10\n[projection.p]\nfrom = src\nto = out\nweight = 4\n'
expect 0 '' -q "$tmp/free.ini" --raster "$tmp/a.csv"
expect 0 '' -q "$tmp/free.ini" --raster "$tmp/b.csv"
if head -1 "$tmp/a.csv" | grep -q '^time_ms,layer,neuron' && [ "$(wc -l <"$tmp/a.csv")" -gt 100 ] &&
    cmp -s "$tmp/a.csv" "$tmp/b.csv"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: the free run's rasters are missing, short or differ"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
