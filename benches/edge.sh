#!/usr/bin/env bash
# What the edge costs GetBadge: two builds of `insignia serve` side by side in
# one run, each over its own fresh SQLite with the same 1,000 seeded badges,
# wrk (2 threads, 64 connections) on GetBadge V4 against each in turn, RUNS
# rounds, interleaved so that both see the same machine. Prints each round's
# req/s and the median ratio edge/base.
#
# Usage: benches/edge.sh BASE_BIN EDGE_BIN [OUTDIR]     env: RUNS=5 DUR=10s CONNS=64
# BASE_BIN: a release build without the edge (e.g. the commit before it);
# EDGE_BIN: a release build with it, run with its defaults except the
# per-site rate, raised so that the limiter is consulted on every request
# but refuses none (wrk sends ~10,000 req/s from one site).
# Needs wrk and python3.
set -euo pipefail
BASE=$(realpath "${1:?base binary}"); EDGE=$(realpath "${2:?edge binary}"); OUT=$(realpath -m "${3:-/tmp/insignia-edge-bench}")
RUNS=${RUNS:-5}; DUR=${DUR:-10s}; C=${CONNS:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 1; }
mkdir -p "$OUT"; rm -f "$OUT"/*.db* "$OUT"/r*.txt
BP=18383; EP=18484
"$BASE" serve --listen 127.0.0.1:$BP --database "sqlite://$OUT/base.db" > "$OUT/base.log" 2>&1 & B=$!
INSIGNIA_SITE_RATE=100000000 INSIGNIA_SITE_BURST=100000000 \
  "$EDGE" serve --listen 127.0.0.1:$EP --database "sqlite://$OUT/edge.db" > "$OUT/edge.log" 2>&1 & E=$!
trap 'kill $B $E 2>/dev/null || true; wait $B $E 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:$BP/healthz >/dev/null && curl -sf http://127.0.0.1:$EP/healthz >/dev/null && break
  sleep 0.2
done
export SITE=$(python3 -c 'import uuid;print(uuid.uuid4())')
echo "$SITE" > "$OUT/site"   # with the .key and .ids files: enough to drive either server again
for side in base edge; do
  bin=$BASE; port=$BP; [ $side = edge ] && bin=$EDGE && port=$EP
  key=$("$bin" keys create --database "sqlite://$OUT/$side.db" --site "$SITE" --scope SCOPE.DC-MEMBERS.MANAGE-BADGES | tail -1)
  echo "$key" > "$OUT/$side.key"
  python3 - "$port" "$key" "$SITE" "$OUT/$side.ids" <<'PY'
import json, sys, urllib.request
port, key, site, out = sys.argv[1:]
def call(path, body):
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": key, "wix-site-id": site, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r))
ids = [call("/badges/v4/badges", {"badge": {"title": f"Seed {i}", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}})["badge"]["id"] for i in range(1000)]
open(out, "w").write("\n".join(ids) + "\n")
PY
done
run() { # side duration
  local port=$BP; [ "$1" = edge ] && port=$EP
  KEY=$(cat "$OUT/$1.key") IDS=$OUT/$1.ids wrk -t2 -c"$C" -d"$2" --latency -s "$HERE/wrk/insignia_get.lua" "http://127.0.0.1:$port"
}
run base 2s >/dev/null; run edge 2s >/dev/null
for r in $(seq "$RUNS"); do
  for side in base edge; do run $side "$DUR" > "$OUT/r$r-$side.txt"; sleep 1; done
done
grep -l 'Non-2xx' "$OUT"/r*.txt && echo "WARNING: non-2xx answers in the files above" || true
python3 - "$OUT" "$RUNS" <<'PY'
import re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def rps(path):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", open(path).read()).group(1))
def p99(path):
    m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", open(path).read())
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
ratios = []
print("| round | base req/s | edge req/s | edge/base | base p99 ms | edge p99 ms |")
print("|---|---|---|---|---|---|")
for r in range(1, runs + 1):
    b, e = f"{out}/r{r}-base.txt", f"{out}/r{r}-edge.txt"
    ratios.append(rps(e) / rps(b))
    print(f"| {r} | {rps(b):.0f} | {rps(e):.0f} | {ratios[-1]:.3f} | {p99(b):.2f} | {p99(e):.2f} |")
print(f"\nmedian edge/base: {statistics.median(ratios):.3f} (cost of the edge: {(1 - statistics.median(ratios)) * 100:.1f} %)")
PY
