#!/usr/bin/env bash
# Issue 14's table in one run, beside the ceiling (../shared/bench: a bare
# axum server, naive sqlx point read and one-row insert, on the same machine
# at the same hour), then the 1,000,000-assignment bulk load on SQLite and on
# PostgreSQL, each with the server's resident memory after a round of member
# queries (warm caches). Prints one table: endpoint, figure, ratio, target.
#
# Usage, from the project root:  benches/speed.sh [OUTDIR]
# Env (defaults in brackets):
#   RUNS [3] DUR [10s] CONNS [64]           wrk rounds, interleaved, 2 threads
#   SEED_BADGES [1000] SEED_MEMBERS [10000] the read set (each member holds 5)
#   BULK_ASSIGNMENTS [1000000]              0 skips the bulk part
#   BULK_CLIENTS [4]
#   POST_SITES [32]                         sites the creates are spread over
#   BENCH_PG_URL [postgres://postgres@127.0.0.1:5432/test]  a fresh schema is
#                                           made there and dropped; empty skips PG
#   CEILING_DIR [../shared/bench/ceiling]   CEILING_TARGET [/tmp/insignia-ceiling-target]
# Small run: RUNS=1 DUR=3s SEED_MEMBERS=1000 BULK_ASSIGNMENTS=20000 benches/speed.sh
# Needs wrk, python3, psql (for PostgreSQL), cargo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd); cd "$ROOT"
OUT=$(realpath -m "${1:-${TMPDIR:-/tmp}/insignia-speed}")
RUNS=${RUNS:-3}; DUR=${DUR:-10s}; C=${CONNS:-64}; T=2
SEED_BADGES=${SEED_BADGES:-1000}; SEED_MEMBERS=${SEED_MEMBERS:-10000}
BULK=${BULK_ASSIGNMENTS:-1000000}; BULK_CLIENTS=${BULK_CLIENTS:-4}
PG=${BENCH_PG_URL-postgres://postgres@127.0.0.1:5432/test}
CEILING_DIR=${CEILING_DIR:-}
for d in "$CEILING_DIR" "$ROOT/../shared/bench/ceiling" "$ROOT/../../shared/bench/ceiling"; do
  [ -n "$d" ] && [ -f "$d/Cargo.toml" ] && CEILING_DIR=$(cd "$d" && pwd) && break
done
[ -f "$CEILING_DIR/Cargo.toml" ] || { echo "the ceiling server is not found: set CEILING_DIR"; exit 1; }
CEILING_TARGET=${CEILING_TARGET:-${TMPDIR:-/tmp}/insignia-ceiling-target}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 1; }
WRK=$ROOT/benches/wrk
mkdir -p "$OUT"; rm -rf "$OUT"/*.db* "$OUT"/r*-*.txt "$OUT"/bulk-*

echo "building (release) ..." >&2
cargo build --release --quiet --bin insignia
cargo bench --bench assignments_load --no-run --quiet 2>/dev/null
(cd "$CEILING_DIR" && CARGO_TARGET_DIR="$CEILING_TARGET" cargo build --release --quiet)
INS=$ROOT/target/release/insignia; CEIL=$CEILING_TARGET/release/ceiling

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# One benchmark's load comes from one site: no per-site rate limit.
export INSIGNIA_SITE_RATE=100000000 INSIGNIA_SITE_BURST=100000000
wait_up() { for _ in $(seq 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "$1 did not come up"; exit 1; }
# serve NAME PORT DB [SCHEMA]: starts `insignia serve`, records its pid in $OUT/NAME.pid
serve() {
  local schema=(); [ -n "${4:-}" ] && schema=(--schema "$4")
  "$INS" serve --listen "127.0.0.1:$2" --database "$3" "${schema[@]}" > "$OUT/$1.log" 2>&1 &
  PIDS+=($!); echo $! > "$OUT/$1.pid"; wait_up "http://127.0.0.1:$2/healthz"
}
key() { # DB [SCHEMA] -> a key of $SITE
  local schema=(); [ -n "${2:-}" ] && schema=(--schema "$2")
  "$INS" keys create --database "$1" "${schema[@]}" --site "$SITE" --scope SCOPE.DC-MEMBERS.MANAGE-BADGES 2>>"$OUT/keys.log" | tail -1
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$(cat "$OUT/$1.pid")/status"; }
export SITE; SITE=$(python3 -c 'import uuid;print(uuid.uuid4())')

# --- Requests per second, beside the ceiling --------------------------------
CP=18181; IP=18282
"$CEIL" "$OUT/ceiling.db" $CP > "$OUT/ceiling.log" 2>&1 & PIDS+=($!)
wait_up "http://127.0.0.1:$CP/hello"
serve reads $IP "sqlite://$OUT/reads.db"
export KEY; KEY=$(key "sqlite://$OUT/reads.db")
python3 - "$IP" "$KEY" "$SITE" "$OUT" "$SEED_BADGES" "$SEED_MEMBERS" <<'PY'
import json, sys, uuid, urllib.request
port, key, site, out, badges, members = sys.argv[1:]
def call(path, body):
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": key, "wix-site-id": site, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r))
ids = [call("/badges/v4/badges", {"badge": {"title": f"Seed {i}", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}})["badge"]["id"]
       for i in range(int(badges))]
open(f"{out}/badge_ids", "w").write("\n".join(ids) + "\n")
ms = [str(uuid.uuid4()) for _ in range(int(members))]
items = [{"badgeId": ids[(m * 7 + k) % len(ids)], "memberId": ms[m]} for m in range(len(ms)) for k in range(5)]
for i in range(0, len(items), 100):
    call("/badges/v4/bulk/badge-assignments/create", {"badgeAssignments": items[i:i+100]})
open(f"{out}/member_ids", "w").write("\n".join(ms) + "\n")
PY
# Creates go to POST_SITES sites, each with its own key: a site holds at most
# 10,000 badges, which one site would reach within seconds.
for _ in $(seq "${POST_SITES:-32}"); do
  s=$(python3 -c 'import uuid;print(uuid.uuid4())')
  echo "$s $(SITE=$s key "sqlite://$OUT/reads.db")"
done > "$OUT/post_sites"
C_U=http://127.0.0.1:$CP; I_U=http://127.0.0.1:$IP
run() {
  case $1 in
    ceil_hello)     wrk -t$T -c"$C" -d"$2" --latency "$C_U/hello" ;;
    ceil_sqlx_get)  PREFIX=/sqlx/badges/ wrk -t$T -c"$C" -d"$2" --latency -s "$WRK/get_random.lua" "$C_U" ;;
    ceil_sqlx_post) wrk -t$T -c"$C" -d"$2" --latency -s "$WRK/post_badge.lua" "$C_U/sqlx/badges" ;;
    ins_get)        IDS=$OUT/badge_ids wrk -t$T -c"$C" -d"$2" --latency -s "$WRK/insignia_get.lua" "$I_U" ;;
    ins_member)     IDS=$OUT/member_ids wrk -t$T -c"$C" -d"$2" --latency -s "$WRK/insignia_member.lua" "$I_U" ;;
    ins_post)       SITES=$OUT/post_sites wrk -t$T -c"$C" -d"$2" --latency -s "$WRK/insignia_post_sites.lua" "$I_U" ;;
  esac
}
EPS="ceil_hello ceil_sqlx_get ins_get ins_member ceil_sqlx_post ins_post"
echo "wrk: $RUNS rounds of $DUR per endpoint, $C connections ..." >&2
for ep in $EPS; do run "$ep" 2s > /dev/null; done
for r in $(seq "$RUNS"); do for ep in $EPS; do run "$ep" "$DUR" > "$OUT/r$r-$ep.txt"; sleep 1; done; done
grep -l 'Non-2xx' "$OUT"/r*-ins_*.txt && echo "WARNING: non-2xx answers in the files above" >&2 || true
cleanup; PIDS=()

# --- 1,000,000 assignments through the bulk API -----------------------------
# bulk NAME PORT DB [SCHEMA]: a fresh server, the load, a round of member
# queries (the benchmark's own lookups), then the server's RSS.
bulk() {
  local name=bulk-$1
  serve "$name" "$2" "$3" "${4:-}"
  local k; k=$(key "$3" "${4:-}")
  BENCH_BASE_URL=http://127.0.0.1:$2 BENCH_KEY=$k BENCH_SITE=$SITE BENCH_ASSIGNMENTS=$BULK \
    BENCH_MEMBERS_FILE=$OUT/$name.members \
    BENCH_CLIENTS=$BULK_CLIENTS BENCH_SAMPLES=${BULK_SAMPLES:-1000} \
    cargo bench --quiet --bench assignments_load 2>/dev/null > "$OUT/$name.txt"
  IDS=$OUT/$name.members KEY=$k wrk -t$T -c"$C" -d"${RSS_DUR:-5s}" -s "$WRK/insignia_member.lua" "http://127.0.0.1:$2" > /dev/null 2>&1 || true
  rss_mib "$name" > "$OUT/$name.rss"
  cleanup; PIDS=()
}
if [ "$BULK" -gt 0 ]; then
  echo "bulk: $BULK assignments on SQLite ..." >&2
  bulk sqlite 18383 "sqlite://$OUT/bulk.db"
  if [ -n "$PG" ]; then
    SCHEMA=insignia_speed_$(python3 -c 'import uuid;print(uuid.uuid4().hex)')
    echo "bulk: $BULK assignments on PostgreSQL (schema $SCHEMA) ..." >&2
    bulk pg 18484 "$PG" "$SCHEMA"
    psql "$PG" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1 || true
  fi
fi

python3 "$ROOT/benches/support/speed_table.py" "$OUT" "$BULK" | tee "$OUT/summary.md"
echo "load: $(uptime | sed 's/.*load average: //') (1, 5, 15 min); $(nproc) cores" | tee -a "$OUT/summary.md"
