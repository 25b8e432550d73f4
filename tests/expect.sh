# Shared by the shell tests that drive src/spiksim as a user would.
# Source it after setting $tmp (a scratch directory); it counts into
# $passed and $failed.
passed=0
failed=0

# expect STATUS PATTERN [--] ARGS...: runs spiksim, checks the exit status
# and that stdout+stderr matches the grep pattern (empty: anything).
expect() {
    want=$1 pattern=$2
    shift 2
    [ "${1-}" = "--" ] && shift
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
