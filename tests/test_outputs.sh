#!/bin/sh
# Output files as a user meets them (docs/hardening.md): every path checked
# before the run starts, symlinks followed, FIFOs and devices written in
# place, "-" as standard output, temporary files of killed runs cleaned up,
# a full disk that loses nothing, and what an interrupted run left.
#
# Devices are reached through symlinks in the scratch directory: a broken
# build that replaced its target would replace the link, never /dev/null.
set -u
tmp="$SS_BUILDDIR/tests/tmp/outputs"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp" || exit 1 # whatever lands in the working directory lands here
models="$SS_SRCDIR/models"
ib="$models/iris-binary.ini"
quick="--set data.folds=one --set train.epochs=1 --set evaluate.baseline=none -q"
. "$SS_SRCDIR/tests/expect.sh"

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}

# ---- refused at once, before any training (exit 2, the path named) ----
mkdir -p "$tmp/adir"
# 100000 epochs: a check that came after training would never be reached
# (timeout(1) only guards against that hang; the refusals come at once).
long="--set data.folds=one --set train.epochs=100000 --set evaluate.baseline=none -q"
real_spiksim=$SPIKSIM
printf '#!/bin/sh\nexec timeout 120 "%s" "$@"\n' "$real_spiksim" >"$tmp/guarded"
chmod +x "$tmp/guarded"
SPIKSIM="$tmp/guarded"
expect 2 "^spiksim: --save $tmp/adir: is a directory" -- $long --save "$tmp/adir" "$ib"
expect 2 "^spiksim: --json '': empty file name" -- $long --json '' "$ib"
expect 2 "^spiksim: --raster '': empty file name" -- $long --raster '' --raster-format csv "$ib"
expect 2 "^spiksim: --json /proc/spiksim.json: .*under /proc" -- $long --json /proc/spiksim.json "$ib"
expect 2 "^spiksim: --save /proc/self/environ: .*under /proc" -- $long --save /proc/self/environ "$ib"
expect 2 "^spiksim: --plot-dir /proc: .*under /proc" -- $long --plot-dir /proc "$ib"
expect 2 "^spiksim: --plot-dir '': empty directory name" -- $long --plot-dir '' "$ib"
expect 2 "^spiksim: --json $tmp/adir/: names a directory" -- $long --json "$tmp/adir/" "$ib"
expect 2 "^spiksim: --save $tmp/nowhere/ck: directory '$tmp/nowhere'" -- $long --save "$tmp/nowhere/ck" "$ib"
expect 2 "^spiksim: --save -: standard output cannot take this output" -- $long --save - "$ib"
expect 2 "^spiksim: --json and --raster both write to standard output" -- $long --json - --raster - "$ib"
ln -s "$tmp/adir" "$tmp/dirlink"
expect 2 "^spiksim: --json $tmp/dirlink: is a directory" -- $long --json "$tmp/dirlink" "$ib"
expect 2 "^spiksim: --json /dev/fd/9: descriptor 9 is not open" -- $long --json /dev/fd/9 "$ib"
# A free-running model checks them too.
expect 2 "^spiksim: --json $tmp/adir: is a directory" -- -q --json "$tmp/adir" "$models/ff200.ini"
SPIKSIM=$real_spiksim

# ---- symlinks: the file they point to is replaced, the link stays ----
mkdir -p "$tmp/real"
printf 'old\n' >"$tmp/real/r.json"
chmod 640 "$tmp/real/r.json"
ln -s real/r.json "$tmp/r.json"
expect 0 '' -- $quick --json "$tmp/r.json" "$ib"
check "symlink kept" test -L "$tmp/r.json"
check "its target replaced" grep -q '"test_accuracy"' "$tmp/real/r.json"
check "its target keeps its permissions" sh -c "[ \"\$(stat -c %a '$tmp/real/r.json')\" = 640 ]"
check "no temporary file left beside the target" \
    sh -c "! ls -a '$tmp/real' | grep -q spiksim-"

# ---- devices and FIFOs are written in place, never replaced ----
ln -s /dev/null "$tmp/null.json"
expect 0 '' -- $quick --json "$tmp/null.json" "$ib"
check "a link to /dev/null stays a link to it" sh -c "[ \"\$(readlink '$tmp/null.json')\" = /dev/null ]"
check "/dev/null is still a device" test -c /dev/null
ln -s /dev/full "$tmp/full.csv"
expect 1 "^spiksim: $tmp/full.csv: cannot write: No space left on device" -- \
    $quick --raster "$tmp/full.csv" "$ib"
check "a link to /dev/full stays a link to it" sh -c "[ \"\$(readlink '$tmp/full.csv')\" = /dev/full ]"
# A raster that cannot be written at the end fails the run after the
# results are in: the summary and --json are still written.
rm -f "$tmp/withfull.json"
expect 1 "cannot write: No space left on device" -- \
    $quick --raster "$tmp/full.csv" --json "$tmp/withfull.json" "$ib"
check "a raster that failed at the end keeps the JSON" grep -q '"test_accuracy"' "$tmp/withfull.json"
expect 1 "cannot write: No space left on device" -- $quick --save "$tmp/full.csv" "$ib"
mkfifo "$tmp/fifo" || bad "mkfifo"
# timeout: a build that replaced the FIFO would leave its reader waiting.
timeout 120 cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
expect 0 '' -- $quick --raster "$tmp/fifo" --raster-format csv --raster-samples test:0 "$ib"
wait "$reader"
check "the FIFO is still a FIFO" test -p "$tmp/fifo"
check "its reader got the raster" grep -q '^time_ms,layer,neuron,sample,phase,label$' "$tmp/from-fifo"

# ---- "-" and /dev/fd/N: standard output as the shell set it up ----
"$SPIKSIM" $quick --json - "$ib" >"$tmp/stdout.json" 2>"$tmp/stderr"
check "--json -: exit 0" [ $? = 0 ]
check "--json -: the JSON on stdout" sh -c "head -n 1 '$tmp/stdout.json' | grep -q '^{\$' && grep -q '\"test_accuracy\"' '$tmp/stdout.json'"
check "--json -: no file named '-'" test ! -e ./-
"$SPIKSIM" --set data.folds=one --set train.epochs=1 --set evaluate.baseline=none \
    --json - "$ib" >"$tmp/stdout2.json" 2>"$tmp/stderr2"
check "--json -: the text results go to stderr" grep -q 'versicolor' "$tmp/stderr2"
check "--json -: and stdout holds only JSON" sh -c "! grep -q 'versicolor  ' '$tmp/stdout2.json'"
"$SPIKSIM" $quick --raster - --raster-samples test:0 "$ib" >"$tmp/stdout.csv"
check "--raster -: CSV on stdout" sh -c "head -n 1 '$tmp/stdout.csv' | grep -q '^time_ms,layer,neuron'"
printf 'kept\n' >"$tmp/fd.json"
"$SPIKSIM" $quick --json /dev/fd/1 "$ib" >>"$tmp/fd.json"
check "--json /dev/fd/1: appended to the file stdout was opened on" \
    sh -c "head -n 1 '$tmp/fd.json' | grep -q '^kept\$' && grep -q '\"test_accuracy\"' '$tmp/fd.json'"

# ---- temporary files left by a killed run (kill -9) ----
# Their name is .NAME.spiksim-PID.XXXXXX; the next run that writes NAME
# removes those whose PID no longer runs (4194305 is above Linux's largest
# PID), and keeps the file of a run that is still going.
: >"$tmp/.k.json.spiksim-4194305.AbCdEf"
: >"$tmp/.k.json.spiksim-$$.AbCdEf"
: >"$tmp/.other.json.spiksim-4194305.AbCdEf"
expect 0 '' -- $quick --json "$tmp/k.json" "$ib"
check "a dead run's temporary file is removed" test ! -e "$tmp/.k.json.spiksim-4194305.AbCdEf"
check "a live run's temporary file is kept" test -e "$tmp/.k.json.spiksim-$$.AbCdEf"
check "another target's temporary file is kept" test -e "$tmp/.other.json.spiksim-4194305.AbCdEf"
# A real kill -9 while the checkpoint is written leaves such a name, or none.
rm -f "$tmp"/.k.json.spiksim-*

# ---- a full disk at the end: the result is kept elsewhere and named ----
# A 16 KiB tmpfs in a private mount namespace (unshare; root, or a user
# with user namespaces).  The checkpoint does not fit; it goes to $TMPDIR.
mkdir -p "$tmp/small" "$tmp/rescue"
if unshare -rm sh -c "mount -t tmpfs -o size=16k none '$tmp/small'" 2>/dev/null; then
    TMPDIR="$tmp/rescue" unshare -rm sh -c "mount -t tmpfs -o size=16k none '$tmp/small' &&
        exec '$SPIKSIM' -q --set data.folds=one --set train.epochs=1 --set evaluate.baseline=none \
            --set layer.hidden1.size=400 --save '$tmp/small/ck' '$ib'" >"$tmp/full.out" 2>&1
    st=$?
    rescued=$(sed -n 's/.*the result is kept in \(.*\)$/\1/p' "$tmp/full.out")
    check "full disk: exit 1 (got $st)" [ "$st" = 1 ]
    check "full disk: the message names the target and the reason" \
        grep -q "^spiksim: $tmp/small/ck: cannot write: No space left on device; the result is kept in $tmp/rescue/spiksim-rescued.ck." "$tmp/full.out"
    if [ -n "$rescued" ] && [ -s "$rescued" ]; then
        ok
        expect 0 'test ' -- --set data.folds=one --set evaluate.baseline=none \
            --set layer.hidden1.size=400 --load "$rescued" --no-train "$ib"
    else
        bad "full disk: no rescued checkpoint: $(cat "$tmp/full.out")"
    fi
else
    echo "SKIP: full-disk test: cannot mount a tmpfs in a user namespace (unshare -rm)"
fi

# Waits (bounded) until process $1 catches SIGTERM (its handler is set
# once the data is loaded): bit 14 of SigCgt in /proc/PID/status.
wait_for_handler() {
    i=0
    while [ $i -lt 600 ]; do
        mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
        [ -n "$mask" ] && [ $(((0x$mask >> 14) & 1)) = 1 ] && break
        sleep 0.05
        i=$((i + 1))
    done
}

# ---- an interrupted classifier run says what it wrote and what not ----
rm -f "$tmp/int.ck"
"$SPIKSIM" -q --set data.folds=one --set train.epochs=100000 --set evaluate.baseline=none \
    --save "$tmp/int.ck" --json "$tmp/int.json" --raster "$tmp/int.csv" --plot-dir "$tmp/adir" \
    "$ib" >"$tmp/int.out" 2>&1 &
pid=$!
wait_for_handler "$pid"
kill -TERM "$pid"
wait "$pid"
st=$?
check "SIGTERM: exit 130 (got $st)" [ "$st" = 130 ]
check "SIGTERM: the checkpoint is written" test -s "$tmp/int.ck"
check "SIGTERM: the message says which outputs were written" \
    grep -q "^spiksim: interrupted: stopped after the current sample; written: --save $tmp/int.ck (the network as trained so far); not written (the run did not finish): --json $tmp/int.json, --raster $tmp/int.csv, --plot-dir $tmp/adir\$" "$tmp/int.out"
check "SIGTERM: and indeed did not write them" sh -c "[ ! -e '$tmp/int.json' ] && [ ! -e '$tmp/int.csv' ]"

# Interrupted, and the checkpoint cannot be written: still an interrupted
# run (exit 130), and it says why the checkpoint is not there.
"$SPIKSIM" -q --set data.folds=one --set train.epochs=100000 --set evaluate.baseline=none \
    --save "$tmp/full.csv" "$ib" >"$tmp/intfull.out" 2>&1 &
pid=$!
wait_for_handler "$pid"
kill -TERM "$pid"
wait "$pid"
st=$?
check "SIGTERM, checkpoint on a full disk: exit 130 (got $st)" [ "$st" = 130 ]
check "SIGTERM, checkpoint on a full disk: says it is not written, and why" sh -c \
    "grep -q 'not written (the run did not finish): --save $tmp/full.csv' '$tmp/intfull.out' &&
     grep -q '^spiksim: $tmp/full.csv: cannot write: No space left on device' '$tmp/intfull.out'"

echo "test_outputs: $passed passed, $failed failed"
[ "$failed" = 0 ]
