#!/bin/sh
# The engine through the program: bad networks and spike files are refused
# with FILE:LINE and exit 2; a free-running model writes its raster, the same
# for the same seed.
set -u
tmp="$SS_BUILDDIR/tests/tmp/engine_cli"
mkdir -p "$tmp"
. "$SS_SRCDIR/tests/expect.sh"

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

# A zero-delay excitatory cycle through neurons without a refractory period
# would fire for ever at one instant: refused at load (it used to hang, so
# the runs are bounded by timeout).  Across two layers too; a cycle with a
# refractory period, or of inhibition only, runs.
model cycle '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 5\nt_ref_ms = 0\nbias_mv = 20\n[projection.rec]\nfrom = a\nto = a\nconnect = all\nweight = 30\ndelay_ms = 0\n'
SPIKSIM_REAL=$SPIKSIM
SPIKSIM="$tmp/bounded"
printf '#!/bin/sh\nexec timeout 60 "%s" "$@"\n' "$SPIKSIM_REAL" >"$SPIKSIM"
chmod +x "$SPIKSIM"
expect 2 'cycle.ini:12: \[projection.rec\] delay_ms: closes a cycle of zero-delay excitation' "$tmp/cycle.ini"
expect 2 'cycle.ini:12:' --check "$tmp/cycle.ini"
model cycle2 '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 3\nt_ref_ms = 0\nbias_mv = 20\n[layer.b]\nsize = 3\nt_ref_ms = 0\n[projection.ab]\nfrom = a\nto = b\nconnect = all\nweight = 30\ndelay_ms = 0\n[projection.ba]\nfrom = b\nto = a\nconnect = all\nweight = 30\ndelay_ms = 0\n'
expect 2 "\[projection.ba\] delay_ms: closes a cycle of zero-delay excitation through layers with t_ref_ms = 0 (b -> a)" "$tmp/cycle2.ini"
model refractory '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 5\nt_ref_ms = 1\nbias_mv = 20\n[projection.rec]\nfrom = a\nto = a\nconnect = all\nweight = 30\ndelay_ms = 0\n'
expect 0 'simulated 10.0 ms' "$tmp/refractory.ini"
model inhibition '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 5\nt_ref_ms = 0\nbias_mv = 20\n[projection.rec]\nfrom = a\nto = a\nconnect = all\nweight = -3\ndelay_ms = 0\n'
expect 0 'simulated 10.0 ms' "$tmp/inhibition.ini"
# A network too large for memory is refused before anything is drawn (it
# used to run for seconds, then fail with "out of memory" and no line).
model huge '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 100000000\n[projection.p]\nfrom = a\nto = a\nconnect = all\n'
expect 2 "huge.ini:8: \[projection.p\] connect: 1e+16 synapses need about .* exceeds this machine's memory" "$tmp/huge.ini"
model dense '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 20000\n[projection.p]\nfrom = a\nto = a\nconnect = all\n'
expect 2 'dense.ini:8: .*exceeds \[simulation\] max_memory_mb (--max-memory) (1024 MiB)' --check --max-memory 1G "$tmp/dense.ini"
model layers '[simulation]\nduration_ms = 10\n[layer.a]\nsize = 20000000\n'
expect 2 'layers.ini:4: \[layer.a\] size: 20000000 neurons need about' --check --max-memory 1G "$tmp/layers.ini"
expect 2 "--max-memory: '1x' is not a size" --check --max-memory 1x "$tmp/dense.ini"
SPIKSIM=$SPIKSIM_REAL

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

# SIGINT (or SIGTERM) stops a free run at the simulated time reached: the
# raster, JSON and summary cover what was simulated, marked as cut short, and
# the exit status is 130 (it used to lose everything).
for sig in INT TERM; do
    rm -f "$tmp/cut.csv" "$tmp/cut.json"
    "$SPIKSIM" "$SS_SRCDIR/models/bench4.ini" --set simulation.duration_ms=100000000 \
        --raster "$tmp/cut.csv" --json "$tmp/cut.json" >"$tmp/cut.out" 2>"$tmp/cut.err" &
    pid=$!
    sleep 2
    kill -$sig $pid
    wait $pid
    got=$?
    if [ "$got" = 130 ] && grep -q 'interrupted: cut short' "$tmp/cut.out" &&
        grep -q 'spiksim: interrupted at .* ms of 1e+08 ms: the summary, raster, JSON cover' \
            "$tmp/cut.err" &&
        grep -q '"interrupted": true' "$tmp/cut.json" && [ "$(wc -l <"$tmp/cut.csv")" -gt 1000 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: SIG$sig in a free run: status $got (want 130), outputs:"
        cat "$tmp/cut.out" "$tmp/cut.err"
    fi
done

# ---- poisson rates_file: one rate per neuron ----
{ echo "# 40 (i mod 7) Hz, a blank line next"; echo
  for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do echo "$((40 * (i % 7))).0e0 "; done; } >"$tmp/rates.txt"
printf '[simulation]\nduration_ms = 20000\n[layer.p]\ntype = poisson\nsize = 14\nrates_file = rates.txt\n' \
    >"$tmp/rates.ini"
"$SPIKSIM" "$tmp/rates.ini" -q --raster "$tmp/rates.csv" || echo "FAIL: rates_file run"
if awk -F, 'NR > 1 { n[$3]++ } END {
        for (i = 0; i < 14; i++) {
            want = 40 * (i % 7) * 20; got = n[i] + 0
            # Poisson counts: within 5 sd of the mean (sd = sqrt(mean))
            if (want == 0 ? got != 0 : (got - want) ^ 2 > 25 * want) { print i, got, want; bad = 1 }
        }
        exit bad }' "$tmp/rates.csv"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL: per-neuron Poisson rates off"
fi
printf '1\n2\nx\n' >"$tmp/rates_bad.txt"
printf '[layer.p]\ntype = poisson\nsize = 3\nrates_file = rates_bad.txt\n' >"$tmp/rates_bad.ini"
expect 2 'rates_bad.txt:3: not a rate in Hz' -- "$tmp/rates_bad.ini"
printf '1\n-2\n' >"$tmp/rates_bad.txt"
expect 2 'rates_bad.txt:2: a rate must be finite and >= 0' -- "$tmp/rates_bad.ini"
printf '1\n2\n' >"$tmp/rates_bad.txt"
expect 2 'rates_bad.txt: 2 rates for a layer of 3 neurons' -- "$tmp/rates_bad.ini"
printf '1\n2\n3\n4\n' >"$tmp/rates_bad.txt"
expect 2 'rates_bad.txt:4: more rates than the 3 neurons' -- "$tmp/rates_bad.ini"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
