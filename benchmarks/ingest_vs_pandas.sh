#!/usr/bin/env bash
# Loads the bundled M5 data with invforecast (public C API, ingest_bench) and
# with pandas.read_csv (Debian's python3-pandas) on the same files, plain and
# gzip, in the same run, and prints both median times and the speed-up.
# Wall time is the result; CPU time (all threads) is shown beside it because
# a busy shared host inflates wall times.
#   benchmarks/ingest_vs_pandas.sh [BUILD_DIR] [RUNS]
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-${INVF_BUILD_DIR:-$source_dir/build}}
runs=${2:-5}
bench=$build_dir/bin/ingest_bench
data=$source_dir/data/m5_tiny_long.csv.gz
python=/usr/bin/python3

[[ -x $bench ]] || { echo "ingest_vs_pandas: $bench not found; build the ingest_bench target" >&2; exit 1; }
"$python" -c 'import pandas' 2>/dev/null || { echo "ingest_vs_pandas: python3-pandas is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gzip -dc "$data" > "$work/m5_tiny_long.csv"
cp "$data" "$work/m5_tiny_long.csv.gz"

pandas_median() {
  "$python" - "$1" "$runs" <<'PY'
import statistics, sys, time
import pandas
path, runs = sys.argv[1], int(sys.argv[2])
pandas.read_csv(path)  # warm-up, as ingest_bench does
walls, cpus = [], []
for _ in range(runs):
    cpu_start, start = time.process_time(), time.perf_counter()
    frame = pandas.read_csv(path)
    walls.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu_start)
print(f"{statistics.median(walls):.4f} {statistics.median(cpus):.4f} {len(frame)}")
PY
}

echo "host: $(nproc) CPUs; pandas $("$python" -c 'import pandas; print(pandas.__version__)'); runs per tool: $runs"
printf '%-22s %14s %10s %14s %10s %9s\n' file invforecast_s cpu_s pandas_s cpu_s speedup
declare -A speedup
for kind in csv gz; do
  file=$work/m5_tiny_long.csv
  [[ $kind == gz ]] && file=$file.gz
  report=$("$bench" "$file" "$runs")
  ours=$(sed -n 's/^median_s=//p' <<< "$report")
  ours_cpu=$(sed -n 's/^median_cpu_s=//p' <<< "$report")
  read -r theirs theirs_cpu rows < <(pandas_median "$file")
  [[ $rows == 527800 ]] || { echo "ingest_vs_pandas: pandas read $rows rows, expected 527800" >&2; exit 1; }
  speedup[$kind]=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", b / a }')
  printf '%-22s %14s %10s %14s %10s %8sx\n' "$(basename "$file")" "$ours" "$ours_cpu" "$theirs" "$theirs_cpu" "${speedup[$kind]}"
done
echo "RESULT ingest_speedup_csv=${speedup[csv]} ingest_speedup_gz=${speedup[gz]}"
