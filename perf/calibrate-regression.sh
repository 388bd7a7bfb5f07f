#!/usr/bin/env bash
# Runs the perf regression check (perf/FastSeq.Benchmarks --regression) RUNS times, each in a new process, and prints
# each workload's efficiency (share of the FMA peak) as min / median / max over the runs, and the lowest and highest
# change against the baseline: the spread the baseline's tolerance has to cover. With LOAD=1, a busy loop keeps the
# other core loaded throughout. Each run's rows are printed as it ends (run|workload|efficiency %|change %), the summary
# after the last. Build first: dotnet build perf/FastSeq.Benchmarks -c Release
#   bash perf/calibrate-regression.sh [RUNS] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
baseline=${2:-perf/regression-baseline.json}
dll=perf/FastSeq.Benchmarks/bin/Release/net10.0/FastSeq.Benchmarks.dll
out=$(mktemp)
rows=$(mktemp)
busy=
cleanup() {
  rm -f "$out" "$rows"
  if [ -n "$busy" ]; then kill "$busy"; fi
}
trap cleanup EXIT
if [ "${LOAD:-0}" = 1 ]; then
  sh -c 'while :; do :; done' &
  busy=$!
fi
lscpu | grep -E '^(Model name|CPU family|Model):'
for run in $(seq "$runs"); do
  dotnet "$dll" --regression "$baseline" >"$out" 2>/dev/null || true
  # Table rows: name (28 columns), GFLOP/s, efficiency %, baseline %, change %, status.
  sed -nE 's/^(.{28}) +[0-9.]+ +([0-9.]+) % +[0-9.]+ % +([-+][0-9.]+)%.*$/\1|\2|\3/p' "$out" | sed -E 's/ +\|/|/' | sed "s/^/$run|/"
  sed -nE "s/^Vector256 FMA peak: ([0-9.]+) GFLOP\/s.*/$run|FMA peak, GFLOP\/s|\1|0/p" "$out"
done | tee "$rows"
awk -F'|' '
  { eff[$2] = eff[$2] " " $3; chg[$2] = chg[$2] " " $4; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  function sorted(list, a,   k, i, j, t) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return k
  }
  END {
    printf "%-28s %5s %8s %8s %8s %10s %10s\n", "workload", "runs", "min %", "median %", "max %", "worst chg", "best chg"
    for (i = 1; i <= n; i++) {
      w = order[i]; k = sorted(eff[w], e); sorted(chg[w], c)
      median = k % 2 ? e[(k + 1) / 2] : (e[k / 2] + e[k / 2 + 1]) / 2
      printf "%-28s %5d %8.1f %8.1f %8.1f %9.1f%% %9.1f%%\n", w, k, e[1], median, e[k], c[1], c[k]
    }
  }' "$rows"
