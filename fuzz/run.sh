#!/usr/bin/env bash
# Runs the cargo-fuzz targets of this workspace.
#
#   fuzz/run.sh SECONDS [TARGET...]   fuzz each target for SECONDS (all targets when none named)
#   fuzz/run.sh --replay [TARGET...]  run each target once over its committed corpus, then stop
#   fuzz/run.sh --build               build every target once (what the other modes reuse)
#
# The targets are the `[[bin]]`s of fuzz/Cargo.toml. Fuzzing works on a copy of the committed
# corpus in a scratch directory, so a run never grows fuzz/corpus/; the scratch directory (with the
# grown corpus and one log per target) is kept when FUZZ_WORK_DIR names it, removed otherwise.
# A crash, leak, timeout or out-of-memory stops the script with a non-zero exit; the input that
# caused it is in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs unstable compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept
# them. Builds are optimised with debug assertions and overflow checks on (`-O -a`), into
# CARGO_TARGET_DIR when set (fuzz/target otherwise). FUZZ_ARGS adds libFuzzer options.
set -euo pipefail
cd "$(dirname "$0")"

export RUSTC_BOOTSTRAP=1
build_flags=(-O -a)
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    build_flags+=(--target-dir "$CARGO_TARGET_DIR")
fi
# Instances each use one core and up to this much memory (libFuzzer's -rss_limit_mb).
rss_limit_mb=2048
# An input that takes longer than this is reported as a hang.
timeout_s=10

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

all_targets() {
    sed -n '/^\[\[bin\]\]/,/^name/ s/^name *= *"\([^"]*\)".*/\1/p' Cargo.toml
}

[ $# -ge 1 ] || usage
mode=$1
shift
case "$mode" in
--build | --replay) ;;
'' | *[!0-9]*) usage ;;
esac

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(all_targets)
fi
for target in "${targets[@]}"; do
    [ -f "fuzz_targets/$target.rs" ] || {
        echo "fuzz/run.sh: no target named $target" >&2
        exit 2
    }
done

if [ $# -gt 0 ]; then
    for target in "${targets[@]}"; do
        cargo fuzz build "${build_flags[@]}" "$target"
    done
else
    cargo fuzz build "${build_flags[@]}"
fi
[ "$mode" = --build ] && exit 0

if [ "$mode" = --replay ]; then
    replay_log=$(mktemp)
    trap 'rm -f "$replay_log"' EXIT
    for target in "${targets[@]}"; do
        mkdir -p "corpus/$target"
        echo "== replay $target ($(find "corpus/$target" -type f | wc -l) inputs)"
        # -runs=0: execute every input of the corpus once, fuzz nothing.
        if ! cargo fuzz run "${build_flags[@]}" "$target" "corpus/$target" -- \
            -runs=0 -rss_limit_mb="$rss_limit_mb" -timeout="$timeout_s" >"$replay_log" 2>&1; then
            tail -n 40 "$replay_log" >&2
            echo "fuzz/run.sh: $target failed on its committed corpus" >&2
            exit 1
        fi
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$replay_log" | tail -n 1 || true
    done
    exit 0
fi

seconds=$mode
work=${FUZZ_WORK_DIR:-}
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
for target in "${targets[@]}"; do
    rm -rf "${work:?}/corpus/$target"
    mkdir -p "$work/corpus/$target"
    cp -R "corpus/$target/." "$work/corpus/$target/" 2>/dev/null || true
    log="$work/$target.log"
    echo "== fuzz $target for ${seconds}s (log: $log)"
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
    if ! cargo fuzz run "${build_flags[@]}" "$target" "$work/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss_limit_mb" -timeout="$timeout_s" \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz/run.sh: $target found a failure; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    # The last status line: executions, coverage (cov), features (ft), corpus size.
    grep -E '^#[0-9]+' "$log" | tail -n 1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
done
