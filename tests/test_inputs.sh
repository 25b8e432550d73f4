#!/bin/sh
# Bad input as a user meets it (docs/hardening.md): each refused with exit
# status 2 and a message that names the file and says why; nothing of it
# cut short or silently changed.
set -u
tmp="$SS_BUILDDIR/tests/tmp/inputs"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp" || exit 1
models="$SS_SRCDIR/models"
. "$SS_SRCDIR/tests/expect.sh"
quick="--set data.folds=one --set train.epochs=1 --set evaluate.baseline=none -q"

# A model file saved with a UTF-8 byte-order mark (it starts with a header).
printf '\357\273\277' >"$tmp/bom.ini"
sed -n '/^\[/,$p' "$models/iris.ini" | sed "s|^path = \.\./|path = $SS_SRCDIR/|" >>"$tmp/bom.ini"
expect 0 '^synapses: ' -- --check "$tmp/bom.ini"

# --set values are taken whole: 600 zeros then 7 is 7 (cut at 511 it was 0).
zeros=$(printf '%0600d' 0)
expect 0 'hidden1 .*lif_exp .* 7 neurons' -- --check --set "layer.hidden1.size=${zeros}7" "$models/iris.ini"
# and a long bad value keeps its reason at the end of the message.
expect 2 "0007' is not a whole number\$" -- \
    --check --set "layer.hidden1.size=x${zeros}7" "$models/iris.ini"
expect 2 "' in \[layer.hidden1\] (see spiksim --help-model)\$" -- \
    --check --set "layer.hidden1.$(printf '%03000d' 0)=1" "$models/iris.ini"

# A directory where a file belongs.
mkdir -p "$tmp/adir"
expect 2 "^spiksim: $tmp/adir: cannot open checkpoint: it is a directory" -- \
    $quick --load "$tmp/adir" --no-train "$models/iris-binary.ini"
expect 2 "^spiksim: $tmp/adir: cannot open data file: it is a directory" -- \
    --check --set "data.path=$tmp/adir" "$models/iris.ini"
cat >"$tmp/spikes.ini" <<EOT
[simulation]
duration_ms = 10
[layer.in]
type = spike_file
size = 2
spike_file = adir
[layer.out]
size = 1
[projection.p]
from = in
to = out
EOT
expect 2 "adir: cannot open spike file: it is a directory" -- -q "$tmp/spikes.ini"
expect 2 "adir: cannot open model file\|adir: .*directory" -- --check "$tmp/adir"

# A class the run names but the data does not hold: refused, named.
head -n 1 "$SS_SRCDIR/data/iris.csv" >"$tmp/setosa.csv"
grep ',setosa$' "$SS_SRCDIR/data/iris.csv" >>"$tmp/setosa.csv"
expect 2 "setosa.csv: class 'versicolor' has no training sample in fold 0" -- \
    $quick --set "data.path=$tmp/setosa.csv" "$models/iris.ini"
expect 2 "class 'versicolor' has no training sample" -- --check --set "data.path=$tmp/setosa.csv" "$models/iris.ini"

echo "test_inputs: $passed passed, $failed failed"
[ "$failed" = 0 ]
