#!/bin/sh
# Every fuzz harness replays its seed corpus (tests/fuzz/corpus/NAME): the
# harnesses keep building, and no seed crashes or leaks (CI runs this under
# ASan+UBSan, and ./configure --enable-fuzz builds them for libFuzzer).
set -u
failed=0
out="$SS_BUILDDIR/tests/tmp"
mkdir -p "$out"
for name in config iris idx checkpoint spikes raster classify http cli; do
    if ! "$SS_BUILDDIR/tests/fuzz/fuzz_$name" -runs=0 "$SS_SRCDIR/tests/fuzz/corpus/$name" \
        >"$out/fuzz-$name.out" 2>&1; then
        echo "FAIL: fuzz_$name on its corpus:"
        tail -30 "$out/fuzz-$name.out"
        failed=1
    fi
done
[ "$failed" = 0 ] && echo "test_fuzz_corpus: every harness replayed its corpus"
exit "$failed"
