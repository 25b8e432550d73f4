#!/bin/sh
# SONATA spike files (sonata.h, spiksim-raster(5)): what --raster FILE.h5
# writes, read back with h5py and checked spike by spike against the CSV
# raster of the same run; files written by h5py read as spike_file layers
# (several populations, unsorted times, seconds); bad and foreign HDF5
# files refused with the file and the dataset named, exit 2.
set -u
tmp="$SS_BUILDDIR/tests/tmp/sonata"
mkdir -p "$tmp"
. "$SS_SRCDIR/tests/expect.sh"
py=/usr/bin/python3
$py -c 'import h5py' 2>/dev/null || { echo "FAIL: h5py missing (Debian python3-h5py)"; exit 1; }
ok() { passed=$((passed + 1)); }
no() { failed=$((failed + 1)); echo "FAIL: $*"; }

cat >"$tmp/free.ini" <<'INI'
[simulation]
duration_ms = 400
[layer.in]
type = poisson
size = 40
rate_hz = 40
[layer.exc]
size = 60
bias_mv = 12
v_init = uniform
[layer.quiet]
size = 5
[projection.in_exc]
from = in
to = exc
connect = fixed_prob
p = 0.2
weight = 1.5
INI
"$SPIKSIM" "$tmp/free.ini" -q --raster "$tmp/free.h5" || no "--raster free.h5"
"$SPIKSIM" "$tmp/free.ini" -q --raster "$tmp/free.csv" || no "--raster free.csv"
cat >"$tmp/check.py" <<'PY'
import csv, sys, h5py
f = h5py.File(sys.argv[1], "r")
bad = []
if list(f.attrs["version"]) != [0, 1] or int(f.attrs["magic"][0]) != 0x0A7A:
    bad.append("root attributes magic/version")
want = {}
for r in csv.DictReader(open(sys.argv[2])):
    want.setdefault(r["layer"], []).append((float(r["time_ms"]), int(r["neuron"])))
if sorted(f["spikes"]) != ["exc", "in", "quiet"]:
    bad.append("populations %s" % sorted(f["spikes"]))
for name, pop in f["spikes"].items():
    t, n = pop["timestamps"], pop["node_ids"]
    names = h5py.check_enum_dtype(pop.attrs.get_id("sorting").dtype) or {}
    if names.get("by_time") != 2 or int(pop.attrs["sorting"]) != 2 or t.attrs.get("units") != "ms":
        bad.append(f"{name}: sorting/units attributes")
    if t.dtype != "float64" or n.dtype != "uint64":
        bad.append(f"{name}: dtypes {t.dtype} {n.dtype}")
    got = list(zip((float(x) for x in t[:]), (int(x) for x in n[:])))
    if got != want.get(name, []):
        bad.append(f"{name}: {len(got)} spikes, the CSV has {len(want.get(name, []))}, or they differ")
    if any(got[k][0] > got[k + 1][0] for k in range(len(got) - 1)):
        bad.append(f"{name}: not in time order")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
if out=$($py "$tmp/check.py" "$tmp/free.h5" "$tmp/free.csv") && [ "$(wc -l <"$tmp/free.csv")" -gt 300 ]; then ok; else
    no "the SONATA file is not the run's spikes:"; echo "$out"; fi

# ---- SONATA files as input ----
cat >"$tmp/write.py" <<'PY'
import sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(f"{d}/two.h5", "w") as f:
    a = f.create_group("spikes/a")
    a.create_dataset("timestamps", data=np.array([5.0, 1.5, 3.25, 1.5]))  # unsorted
    a.create_dataset("node_ids", data=np.array([2, 0, 1, 1], dtype=np.uint64))
    b = f.create_group("spikes/b")
    ts = b.create_dataset("timestamps", data=np.array([0.001, 0.002]))
    ts.attrs["units"] = "s"
    b.create_dataset("node_ids", data=np.array([0, 2], dtype=np.int64))
with h5py.File(f"{d}/foreign.h5", "w") as f:
    f.create_dataset("data", data=np.arange(3))
with h5py.File(f"{d}/range.h5", "w") as f:
    f.create_dataset("spikes/p/timestamps", data=np.array([1.0, 2.0]))
    f.create_dataset("spikes/p/node_ids", data=np.array([0, 7], dtype=np.uint64))
with h5py.File(f"{d}/inttime.h5", "w") as f:
    f.create_dataset("spikes/p/timestamps", data=np.array([1, 2]))
    f.create_dataset("spikes/p/node_ids", data=np.array([0, 1], dtype=np.uint64))
with h5py.File(f"{d}/lengths.h5", "w") as f:
    f.create_dataset("spikes/p/timestamps", data=np.array([1.0, 2.0, 3.0]))
    f.create_dataset("spikes/p/node_ids", data=np.array([0, 1], dtype=np.uint64))
with h5py.File(f"{d}/nonodes.h5", "w") as f:
    f.create_dataset("spikes/p/timestamps", data=np.array([1.0]))
PY
$py "$tmp/write.py" "$tmp" || no "h5py could not write the inputs"
model() { # FILE POPULATION: a spike_file layer of 3 neurons reading FILE
    printf '[simulation]\nduration_ms = 10\n[layer.s]\ntype = spike_file\nsize = 3\nspike_file = %s\n' "$1"
    [ -n "$2" ] && printf 'spike_population = %s\n' "$2"
    printf '[layer.n]\nsize = 1\n[projection.p]\nfrom = s\nto = n\n'
}
model two.h5 a >"$tmp/a.ini"
"$SPIKSIM" "$tmp/a.ini" -q --raster "$tmp/a.csv" || no "reading population a"
[ "$(grep ',s,' "$tmp/a.csv" | cut -d, -f1,3 | tr '\n' ' ')" = "1.5,0 1.5,1 3.25,1 5,2 " ] &&
    ok || { no "population a read as:"; cat "$tmp/a.csv"; }
model two.h5 b >"$tmp/b.ini"
"$SPIKSIM" "$tmp/b.ini" -q --raster "$tmp/b.csv" || no "reading population b"
[ "$(grep ',s,' "$tmp/b.csv" | cut -d, -f1,3 | tr '\n' ' ')" = "1,0 2,2 " ] &&
    ok || { no "population b (seconds) read as:"; cat "$tmp/b.csv"; }
# what spiksim wrote, read back by spiksim: the same times
printf '[simulation]\nduration_ms = 500\n[layer.exc]\ntype = spike_file\nsize = 60\nspike_file = free.h5\nspike_population = exc\n[layer.n]\nsize = 1\n[projection.p]\nfrom = exc\nto = n\nweight = 0\n' >"$tmp/back.ini"
"$SPIKSIM" "$tmp/back.ini" -q --raster "$tmp/back.csv" || no "reading free.h5 back"
grep ',exc,' "$tmp/free.csv" | cut -d, -f1,3 >"$tmp/free.exc"
grep ',exc,' "$tmp/back.csv" | cut -d, -f1,3 >"$tmp/back.exc"
cmp -s "$tmp/free.exc" "$tmp/back.exc" && [ -s "$tmp/free.exc" ] && ok || no "free.h5 read back differs"

# ---- refusals: the file and the dataset named, exit 2 ----
model two.h5 "" >"$tmp/x.ini"
expect 2 'two.h5: /spikes holds several populations (a, b): name one with spike_population' -- "$tmp/x.ini"
model two.h5 c >"$tmp/x.ini"
expect 2 'two.h5: /spikes/c: no such population (the file has a, b)' -- "$tmp/x.ini"
model foreign.h5 "" >"$tmp/x.ini"
expect 2 'foreign.h5: /spikes: no such group (not a SONATA spike file)' -- "$tmp/x.ini"
model range.h5 "" >"$tmp/x.ini"
expect 2 'range.h5: /spikes/p/node_ids\[1\]: node 7 out of range (the layer has 3 neurons)' -- "$tmp/x.ini"
model inttime.h5 "" >"$tmp/x.ini"
expect 2 'inttime.h5: /spikes/p/timestamps: not floating-point' -- "$tmp/x.ini"
model lengths.h5 "" >"$tmp/x.ini"
expect 2 'lengths.h5: /spikes/p/timestamps has 3 values, /spikes/p/node_ids 2' -- "$tmp/x.ini"
model nonodes.h5 "" >"$tmp/x.ini"
expect 2 'nonodes.h5: /spikes/p/node_ids: no such dataset' -- "$tmp/x.ini"
# a file with the HDF5 signature and nothing after it
printf '\211HDF\r\n\032\n' >"$tmp/cut.h5"
model cut.h5 "" >"$tmp/x.ini"
expect 2 'cut.h5: not an HDF5 file HDF5 can open' -- "$tmp/x.ini"
# --raster-format h5 and the output checks of every raster
expect 0 '' -- "$tmp/free.ini" -q --raster "$tmp/fmt.out" --raster-format h5
$py -c 'import h5py, sys; h5py.File(sys.argv[1], "r")["spikes/exc/timestamps"]' "$tmp/fmt.out" && ok ||
    no "--raster-format h5 did not write SONATA"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
