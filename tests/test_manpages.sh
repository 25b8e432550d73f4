#!/bin/sh
# Keeps the man pages honest: they render without warnings, spiksim.1 lists
# exactly the options `spiksim --help` lists, and the key reference in
# spiksim.ini.5 is exactly what the key table prints (`make update-man`).
set -u
fail=0
man1="$SS_SRCDIR/man/spiksim.1"
man5="$SS_SRCDIR/man/spiksim.ini.5"
tmp="$SS_BUILDDIR/tests/tmp/manpages"
mkdir -p "$tmp"

for page in "$man1" "$man5" "$SS_SRCDIR/man/spiksim-raster.5"; do
    if ! groff -t -ww -z -man "$page" 2>"$tmp/groff.err" || [ -s "$tmp/groff.err" ]; then
        echo "FAIL: groff warns on $page:"; cat "$tmp/groff.err"; fail=1
    fi
done

"$SPIKSIM" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/help.opts"
# In roff the page writes \-\-name; options are what .TP items introduce.
grep -A1 '^\.TP' "$man1" | grep -o -- '\\-\\-[a-z][a-z\\-]*' | sed 's/\\//g' | sort -u >"$tmp/man.opts"
if ! diff -u "$tmp/help.opts" "$tmp/man.opts" >"$tmp/opts.diff"; then
    echo "FAIL: options in --help (-) and spiksim.1 (+) differ:"; cat "$tmp/opts.diff"; fail=1
fi
[ -s "$tmp/help.opts" ] || { echo "FAIL: no options found in --help"; fail=1; }

"$SS_BUILDDIR/tests/print_model_man" >"$tmp/keys.expected"
sed -n '/^\.\\" BEGIN KEYS/,/^\.\\" END KEYS/p' "$man5" | sed '1d;$d' >"$tmp/keys.actual"
if ! diff -u "$tmp/keys.expected" "$tmp/keys.actual" >"$tmp/keys.diff"; then
    echo "FAIL: spiksim.ini.5 key reference is out of date (run 'make update-man'):"
    cat "$tmp/keys.diff"; fail=1
fi
n_keys=$(grep -c '^\.B ' "$tmp/keys.actual")
echo "checked $(wc -l <"$tmp/help.opts") options and $n_keys keys"
[ "$fail" = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
