#!/bin/sh
# Runs under mpirun give what one process gives, byte for byte
# (docs/parallel.md): a free-running network (Poisson input, individual
# delays, lif and lif_exp, a layer smaller than the partitions) on 1, 2 and
# 3 ranks and on 2 ranks x 2 threads; the IRIS and MNIST classifiers, trained
# across 2 ranks, on 3 ranks and 2 x 2 (JSON without timings, checkpoint
# bytes); a rank that meets a bad data file stops every rank with one
# message, exit status 2 and no output file.
set -u
tmp="$SS_BUILDDIR/tests/tmp/mpi"
mkdir -p "$tmp"
. "$SS_SRCDIR/tests/expect.sh"
# CI runs as root; OpenMPI's ranks then poll less hard when oversubscribed.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Under AddressSanitizer (CI): OpenMPI's runtime does not free what it
# allocates (and its plugins are unloaded before the leak report), so leak
# detection is off here; every other test checks spiksim's own memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpirun=$(command -v mpirun) || { echo "mpirun not found: install openmpi-bin"; exit 1; }
# every run bounded in time: a hang fails the test instead of the build
run() { # NP THREADS ARGS...: spiksim on NP ranks (NP 0: no mpirun)
    np=$1 th=$2
    shift 2
    if [ "$np" = 0 ]; then
        timeout 600 "$SPIKSIM" --threads "$th" "$@"
    else
        timeout 600 "$mpirun" -np "$np" "$SPIKSIM" --threads "$th" "$@"
    fi
}
# The JSON without its timings (wall clock differs run to run) and without
# how it ran (partitions, threads, ranks).
strip() {
    /usr/bin/python3 -c '
import json, sys
def s(o):
    if isinstance(o, dict):
        return {k: s(v) for k, v in o.items()
                if not (k.endswith("_s") or k.endswith("per_s") or k == "parallel")}
    if isinstance(o, list):
        return [s(v) for v in o]
    return o
print(json.dumps(s(json.load(open(sys.argv[1]))), sort_keys=True))' "$1"
}
same() { # WHAT A B
    if cmp -s "$2" "$3"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $1: $2 and $3 differ"
    fi
}

cat >"$tmp/free.ini" <<'EOF'
[simulation]
duration_ms = 600
[layer.in]
type = poisson
size = 50
rate_hz = 30
[layer.exc]
size = 160
bias_mv = 12
t_ref_ms = 2
v_init = uniform
[layer.inh]
type = lif_exp
size = 40
bias_mv = 8
v_init = uniform
[layer.few]
size = 3
bias_mv = 5
[projection.in_exc]
from = in
to = exc
connect = fixed_prob
p = 0.2
weight = 1.5
delay_ms = 0
[projection.ee]
from = exc
to = exc
connect = fixed_prob
p = 0.1
weight_dist = uniform
weight_min = 0.2
weight_max = 1.2
delay_ms = 0.5
delay_max_ms = 3
[projection.ei]
from = exc
to = inh
connect = fixed_indegree
indegree = 20
weight = 2
delay_ms = 0.7
[projection.ie]
from = inh
to = exc
connect = fixed_prob
p = 0.3
weight = -3
delay_ms = 0.4
delay_max_ms = 1.3
[projection.ef]
from = exc
to = few
connect = all
weight = 0.3
delay_ms = 0.6
EOF

# ---- free runs ----
run 0 1 "$tmp/free.ini" --raster "$tmp/free.csv" --json "$tmp/free.json" >"$tmp/free.out" 2>&1 ||
    echo "FAIL: the one-process free run"
strip "$tmp/free.json" >"$tmp/free.j"
grep -v 'build\|partitions\|ranks\|exchange:' "$tmp/free.out" >"$tmp/free.stats"
for cfg in "1 1" "2 1" "3 1" "2 2"; do
    set -- $cfg
    tag="np$1x$2"
    run "$1" "$2" "$tmp/free.ini" --raster "$tmp/$tag.csv" --json "$tmp/$tag.json" \
        >"$tmp/$tag.out" 2>&1 || echo "FAIL: free run on $1 ranks x $2 threads: status $?"
    same "raster on $1 ranks x $2 threads" "$tmp/free.csv" "$tmp/$tag.csv"
    strip "$tmp/$tag.json" >"$tmp/$tag.j"
    same "JSON on $1 ranks x $2 threads" "$tmp/free.j" "$tmp/$tag.j"
    grep -v 'build\|partitions\|ranks\|exchange:' "$tmp/$tag.out" >"$tmp/$tag.stats"
    same "statistics printed on $1 ranks x $2 threads" "$tmp/free.stats" "$tmp/$tag.stats"
done
if [ "$(wc -l <"$tmp/free.csv")" -gt 2000 ] && grep -q 'ranks 2 (the network split)' "$tmp/np2x1.out"
then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: the free run's raster is short, or 2 ranks did not split the network"
fi

# ---- a plastic free run: the learned weights' statistics on 1, 2 ranks x 1, 2 x 2 ----
cp "$SS_SRCDIR/tests/data/plastic-free.ini" "$tmp/plastic.ini"
run 0 1 "$tmp/plastic.ini" --json "$tmp/plastic.json" --raster "$tmp/plastic.csv" >/dev/null 2>&1 ||
    echo "FAIL: the plastic free run on one process"
strip "$tmp/plastic.json" >"$tmp/plastic.j"
for cfg in "2 1" "2 2"; do
    set -- $cfg
    tag="plastic-np$1x$2"
    run "$1" "$2" "$tmp/plastic.ini" --json "$tmp/$tag.json" --raster "$tmp/$tag.csv" \
        >/dev/null 2>&1 || echo "FAIL: the plastic free run on $1 ranks x $2 threads"
    strip "$tmp/$tag.json" >"$tmp/$tag.j"
    same "plastic free run JSON on $1 ranks x $2 threads" "$tmp/plastic.j" "$tmp/$tag.j"
    same "plastic free run raster on $1 ranks x $2 threads" "$tmp/plastic.csv" "$tmp/$tag.csv"
done
grep -q '"plastic"' "$tmp/plastic.json" && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: no plastic statistics in the JSON"; }

# ---- --check: every rank builds its share; the counts are the whole network's ----
run 0 1 "$tmp/free.ini" --check >"$tmp/check1.out" 2>&1 || echo "FAIL: --check on one process"
run 2 1 "$tmp/free.ini" --check >"$tmp/check2.out" 2>&1 || echo "FAIL: --check on 2 ranks"
grep '^  .* synapses, \|^synapses:' "$tmp/check1.out" | sed 's/; estimated.*//' >"$tmp/check1.syn"
grep '^  .* synapses, \|^synapses:' "$tmp/check2.out" | sed 's/; estimated.*//' >"$tmp/check2.syn"
same "synapse counts of --check on 2 ranks" "$tmp/check1.syn" "$tmp/check2.syn"
# memory per rank: on a network large enough for the MiB figures to tell
run 0 1 "$SS_SRCDIR/models/bench4.ini" --check >"$tmp/check1.out" 2>&1
run 2 1 "$SS_SRCDIR/models/bench4.ini" --check >"$tmp/check2.out" 2>&1
whole=$(sed -n 's/^synapses:.*estimated memory \([0-9.]*\) MiB$/\1/p' "$tmp/check1.out")
per=$(sed -n 's/^ranks 2 (the network split): memory per rank \([0-9.]*\) MiB.*/\1/p' "$tmp/check2.out")
if [ -n "$whole" ] && [ -n "$per" ] && awk -v a="$per" -v b="$whole" 'BEGIN { exit !(a < 0.75 * b) }' &&
    grep -q '^partitions: 2 over 2 ranks, 1 thread each' "$tmp/check2.out"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: --check on 2 ranks: memory per rank '$per' MiB of '$whole', or no plan line"
    sed 's/^/    /' "$tmp/check2.out"
fi

# ---- classifiers ----
iris="$SS_SRCDIR/models/iris-binary.ini --set data.folds=one --set train.epochs=4"
iris="$iris --set layer.hidden2.learn_epochs=2- --set layer.output.learn_epochs=2-"
mnist="$SS_SRCDIR/models/mnist-binary.ini --set data.classes=0,1 --set train.epochs=3"
mnist="$mnist --set data.path=$SS_SRCDIR/tests/data/mnist400-images-idx3-ubyte.gz"
mnist="$mnist --set data.labels=$SS_SRCDIR/tests/data/mnist400-labels-idx1-ubyte.gz"
mnist="$mnist --set layer.hidden1.learn_epochs=1 --set layer.hidden2.learn_epochs=2-"
mnist="$mnist --set layer.output.learn_epochs=2- --set encoding.test_presentation_ms=100"
mnist="$mnist --set evaluate.fgsm_samples=20"
for name in iris mnist; do
    eval "args=\$$name"
    # shellcheck disable=SC2086
    run 0 1 $args -q --json "$tmp/$name.json" --save "$tmp/$name.ck" ||
        echo "FAIL: $name on one process"
    strip "$tmp/$name.json" >"$tmp/$name.j"
    # training split across 2 ranks (one partition each), across 2 x 2, and
    # every rank training alike on 3 ranks (the samples of each pass split)
    for cfg in "2 1 1" "2 2 2" "3 1 0"; do
        set -- $cfg
        tag="$name-np$1x$2p$3"
        # shellcheck disable=SC2086
        run "$1" "$2" $args --set simulation.partitions=$3 -q --json "$tmp/$tag.json" \
            --save "$tmp/$tag.ck" || echo "FAIL: $name on $1 ranks x $2 threads: status $?"
        strip "$tmp/$tag.json" >"$tmp/$tag.j"
        same "$name JSON on $1 ranks x $2 threads, $3 partitions per rank" "$tmp/$name.j" "$tmp/$tag.j"
        same "$name checkpoint on $1 ranks x $2 threads" "$tmp/$name.ck" "$tmp/$tag.ck"
    done
done

# ---- a bad file on one rank ----
printf 'time_ms,neuron\n1.0,0\n2.0,1\n' >"$tmp/good.csv"
printf 'time_ms,neuron\n1.0,0\n2.0,9\n' >"$tmp/bad.csv"
cp "$tmp/good.csv" "$tmp/spikes0.csv"
cp "$tmp/bad.csv" "$tmp/spikes1.csv"
cat >"$tmp/onebad.sh" <<EOF
#!/bin/sh
exec "$SPIKSIM" --set layer.s.spike_file=spikes\$OMPI_COMM_WORLD_RANK.csv "\$@"
EOF
chmod +x "$tmp/onebad.sh"
printf '[simulation]\nduration_ms = 10\n[layer.s]\ntype = spike_file\nsize = 2\nspike_file = good.csv\n[layer.n]\nsize = 2\n[projection.p]\nfrom = s\nto = n\n' >"$tmp/onebad.ini"
rm -f "$tmp/onebad.csv"
timeout 600 "$mpirun" -np 2 "$tmp/onebad.sh" "$tmp/onebad.ini" --raster "$tmp/onebad.csv" \
    >"$tmp/onebad.out" 2>&1
got=$?
if [ "$got" = 2 ] && [ "$(grep -c '^spiksim: ' "$tmp/onebad.out")" = 1 ] &&
    grep -q 'spikes1.csv:3: neuron 9 out of range' "$tmp/onebad.out" && [ ! -e "$tmp/onebad.csv" ]
then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: a bad file on rank 1: status $got (want 2), output:"
    sed 's/^/    /' "$tmp/onebad.out"
fi

# ---- SIGINT to one rank: every rank stops at the same window ----
# (Ctrl-C on mpirun itself makes OpenMPI abort the job: it sends the ranks
# SIGTERM only odls_base_sigkill_timeout seconds later, then SIGKILL; the
# manual says to signal the spiksim processes instead.)
cat >"$tmp/pid.sh" <<EOF
#!/bin/sh
echo \$\$ >"$tmp/rank\$OMPI_COMM_WORLD_RANK.pid"
exec "$SPIKSIM" "\$@"
EOF
chmod +x "$tmp/pid.sh"
rm -f "$tmp"/rank*.pid "$tmp/int.json" "$tmp/int.csv"
timeout 600 "$mpirun" -np 2 "$tmp/pid.sh" "$tmp/free.ini" --threads 1 \
    --set simulation.duration_ms=100000000 --json "$tmp/int.json" --raster "$tmp/int.csv" \
    >"$tmp/int.out" 2>&1 &
job=$!
while [ ! -s "$tmp/rank1.pid" ] && kill -0 "$job" 2>/dev/null; do sleep 0.2; done
sleep 1 # into the run
kill -INT "$(cat "$tmp/rank1.pid")"
wait "$job"
got=$?
if [ "$got" = 130 ] && grep -q 'interrupted at' "$tmp/int.out" &&
    grep -q '"interrupted": *true' "$tmp/int.json" && [ -s "$tmp/int.csv" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: SIGINT to rank 1: status $got (want 130), output:"
    sed 's/^/    /' "$tmp/int.out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
