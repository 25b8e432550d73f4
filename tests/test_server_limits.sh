#!/bin/sh
# The live server under hostile or careless clients, on loopback
# (docs/server.md, docs/hardening.md): every refusal is a JSON error, valid
# even when the request is not valid UTF-8; /api/status keeps answering
# while 100 clients stream, fast or hardly reading, on a free run and on a
# classifier; and running out of file descriptors (ulimit -n 64) is logged
# once, not a million times.  Nothing asserts a time: curl's --max-time
# only bounds a hang (the server used to make /api/status wait 10 s and
# more behind one stream client of a fast free run).
set -u
tmp="$SS_BUILDDIR/tests/tmp/server-limits"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp" || exit 1
models="$SS_SRCDIR/models"
json_check="$SS_BUILDDIR/tests/json_check"
passed=0
failed=0
pids=""

ok() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
check() {
    what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}
command -v curl >/dev/null 2>&1 || {
    echo "curl not found: install it (scripts/setup-debian does)"
    exit 1
}
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# start NAME ARGS... (model last): spiksim --serve 127.0.0.1:0 in the
# background; sets $server, $port, $base.
start() {
    name=$1
    shift
    "$SPIKSIM" --serve 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    server=$!
    pids="$pids $server"
    port=
    i=0
    while [ -z "$port" ] && [ $i -lt 600 ] && kill -0 "$server" 2>/dev/null; do
        port=$(sed -n 's/^spiksim: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/$name.err")
        [ -n "$port" ] || sleep 0.05
        i=$((i + 1))
    done
    [ -n "$port" ] || { echo "FAIL: $name: no 'listening on' line"; cat "$tmp/$name.err"; exit 1; }
    base="http://127.0.0.1:$port"
}
stop() {
    kill -TERM "$server" 2>/dev/null
    wait "$server"
}
field() {
    curl -s --max-time 10 "$base/api/status" | sed -n "s/^ *\"$1\": \([^,]*\),\{0,1\}\$/\1/p" | head -n 1
}
at_least() { v=$(field "$1"); [ -n "$v" ] && [ "$v" -ge "$2" ]; }
wait_for() { # wait_for DESCRIPTION COMMAND...: up to $tries (600) tries, 50 ms apart
    what=$1
    shift
    i=0
    while ! "$@"; do
        i=$((i + 1))
        [ $i -ge "${tries:-600}" ] && { fail "gave up waiting: $what"; return 1; }
        sleep 0.05
    done
}

# expect_json STATUS DESCRIPTION CURL-ARGS...: the reply has that status and
# its body is valid JSON {"error": ..., "status": STATUS}.
expect_json() {
    want=$1 what=$2
    shift 2
    code=$(curl -s --max-time 30 -o "$tmp/body" -w '%{http_code}' "$@")
    if [ "$code" = "$want" ] && "$json_check" <"$tmp/body" 2>"$tmp/why" &&
        grep -q "^{\"error\":\".*\",\"status\":$want}\$" "$tmp/body"; then
        ok
    else
        fail "$what -> $code (want $want and a JSON error): $(head -c 300 "$tmp/body") $(cat "$tmp/why")"
    fi
}

# ---- 1. every refusal is JSON ----
start refuse -q --set data.folds=one --set train.epochs=1 --set evaluate.baseline=none \
    --serve-after "$models/iris-binary.ini"
wait_for "phase serving" sh -c "curl -s --max-time 10 '$base/api/status' | grep -q '\"phase\": \"serving\"'"
for m in TRACE CONNECT PROPFIND; do
    expect_json 405 "$m /api/status" -X "$m" "$base/api/status"
done
printf '{"\377\376": [0.1, 0.2, 0.3, 0.4]}' >"$tmp/bad-key.json"
expect_json 400 "a key of invalid UTF-8" --data-binary "@$tmp/bad-key.json" "$base/api/classify"
printf '{"input": [0.1, 0.2, 0.3, "\377"]}' >"$tmp/bad-value.json"
expect_json 400 "a value of invalid UTF-8" --data-binary "@$tmp/bad-value.json" "$base/api/classify"
# A long key of two-byte characters is cut between characters.
key=$(i=0; while [ $i -lt 150 ]; do printf '\303\251'; i=$((i + 1)); done)
printf '{"%s": [0.1, 0.2, 0.3, 0.4]}' "$key" >"$tmp/long-key.json"
expect_json 400 "a long key" --data-binary "@$tmp/long-key.json" "$base/api/classify"
check "the long key is echoed cut, with '...'" grep -q 'unknown key .*\.\.\.\\" (the body is' "$tmp/body"
expect_json 400 "a request target with a raw byte 0xFF" --request-target "$(printf '/api/\377')" "$base/"
printf '%5000s' '' | tr ' ' '[' >"$tmp/deep"
expect_json 400 "arrays nested 5000 deep" --data-binary "@$tmp/deep" "$base/api/classify"
# Bodies over the limit, whatever their size: refused before being read.
head -c 9437184 /dev/zero | tr '\0' ' ' >"$tmp/9mib"
expect_json 413 "a 9 MiB body" --data-binary "@$tmp/9mib" "$base/api/classify"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$tmp/2mb"
expect_json 413 "a 2 MB body sent without waiting (no Expect)" -H 'Expect:' \
    --data-binary "@$tmp/2mb" "$base/api/classify"
expect_json 411 "a chunked body" -H 'Transfer-Encoding: chunked' \
    --data-binary "@$tmp/bad-key.json" "$base/api/classify"
big=$(head -c 70000 /dev/zero | tr '\0' a)
expect_json 431 "a 70 kB header" -H "X-Big: $big" "$base/api/status"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$base/api/status")
check "still serving after the refusals ($code)" [ "$code" = 200 ]
check "refusals counted in /api/status" at_least refused_by_guard 5
stop

# ---- 2. a fast free run: 100 streams and 20 that hardly read ----
start free -q --set simulation.duration_ms=1000000000 "$models/ff200.ini"
i=0
while [ $i -lt 100 ]; do
    curl -sN --max-time 300 "$base/api/spikes" >/dev/null 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
i=0
while [ $i -lt 20 ]; do
    curl -sN --max-time 300 --limit-rate 1 "$base/api/spikes" >/dev/null 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
wait_for "120 stream clients" sh -c "curl -s --max-time 10 '$base/api/status' | grep -q '\"clients\": 120'"
answered=0
i=0
while [ $i -lt 20 ]; do
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$base/api/status")
    [ "$code" = 200 ] && answered=$((answered + 1))
    i=$((i + 1))
done
check "free run, 120 streams: /api/status answered $answered of 20 (each within curl's 5 s)" \
    [ "$answered" = 20 ]
wait_for "windows beyond 200 a second are not streamed" at_least presentations_not_streamed 1
# Loopback socket buffers take megabytes before a client's own 512 KiB fill.
tries=2400 wait_for "the slow clients lose batches" at_least batches_dropped_slow_clients 1
check "and others get them" at_least batches_sent 100
stop
cleanup
pids=""

# ---- 3. a classifier with 100 streams ----
start classify -q --set data.folds=one --set train.epochs=100000 --set evaluate.baseline=none \
    "$models/iris-binary.ini"
i=0
while [ $i -lt 100 ]; do
    curl -sN --max-time 300 "$base/api/spikes" >/dev/null 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
wait_for "100 stream clients" sh -c "curl -s --max-time 10 '$base/api/status' | grep -q '\"clients\": 100'"
answered=0
i=0
while [ $i -lt 20 ]; do
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$base/api/status")
    [ "$code" = 200 ] && answered=$((answered + 1))
    i=$((i + 1))
done
check "classifier, 100 streams: /api/status answered $answered of 20" [ "$answered" = 20 ]
stop
cleanup
pids=""

# ---- 4. no file descriptors left (ulimit -n 64) ----
(ulimit -n 64 && exec "$SPIKSIM" --serve 127.0.0.1:0 -q --set data.folds=one \
    --set train.epochs=100000 --set evaluate.baseline=none "$models/iris-binary.ini") \
    >"$tmp/fd.out" 2>"$tmp/fd.err" &
server=$!
pids="$server"
port=
i=0
while [ -z "$port" ] && [ $i -lt 600 ]; do
    port=$(sed -n 's/^spiksim: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/fd.err")
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
base="http://127.0.0.1:$port"
streams=""
i=0
while [ $i -lt 80 ]; do
    curl -sN --max-time 120 "$base/api/spikes" >/dev/null 2>&1 &
    streams="$streams $!"
    i=$((i + 1))
done
pids="$pids $streams"
wait_for "accept() failing" grep -q 'cannot accept a connection: Too many open files' "$tmp/fd.err"
# Two seconds of it: libevent alone logged some 600 000 lines in that time.
sleep 2
for p in $streams; do kill "$p" 2>/dev/null; done
for p in $streams; do wait "$p" 2>/dev/null; done
lines=$(grep -c 'accept' "$tmp/fd.err")
check "accept failures logged $lines time(s), not once per attempt" [ "$lines" -le 3 ]
wait_for "serving again once descriptors are free" \
    sh -c "[ \"\$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' '$base/api/status')\" = 200 ]"
check "accept failures counted" at_least accept_errors 1
kill -INT "$server"
wait "$server"
pids=""

echo "test_server_limits: $passed passed, $failed failed"
[ "$failed" = 0 ]
