"""The table of benches/speed.sh: medians over rounds, ratios taken inside each round."""
import glob, os, re, statistics as st, sys

out, bulk = sys.argv[1], int(sys.argv[2])
rounds = {}
for f in glob.glob(os.path.join(out, "r*-*.txt")):
    r, ep = re.match(r"r(\d+)-(.+)\.txt", os.path.basename(f)).groups()
    m = re.search(r"Requests/sec:\s+([\d.]+)", open(f).read())
    if m:
        rounds.setdefault(ep, {})[int(r)] = float(m.group(1))


def rps(ep):
    return st.median(rounds[ep].values())


def ratio(ep, base):
    return st.median(rounds[ep][r] / rounds[base][r] for r in rounds[ep] if r in rounds.get(base, {}))


rows = []
def row(name, figure, ratio_text="", target="", met=None):
    rows.append((name, figure, ratio_text, target, "" if met is None else ("met" if met else "missed")))


if "ceil_hello" in rounds:
    row("ceiling: bare JSON", f"{rps('ceil_hello') / 1000:.1f}k req/s", "1.00×")
    for ep, name in [("ceil_sqlx_get", "ceiling: naive SQLite point read"), ("ceil_sqlx_post", "ceiling: naive one-row insert")]:
        if ep in rounds:
            row(name, f"{rps(ep) / 1000:.1f}k req/s", f"{ratio(ep, 'ceil_hello'):.2f}× bare JSON")
    for ep, name, goal in [("ins_get", "GetBadge V4", 0.5), ("ins_member", "badges of one member (query by memberId)", 0.4)]:
        if ep in rounds:
            x = ratio(ep, "ceil_hello")
            row(name, f"{rps(ep) / 1000:.1f}k req/s", f"{x:.2f}× bare JSON", f"≥ {goal}× bare JSON", x >= goal)
    if "ins_post" in rounds and "ceil_sqlx_post" in rounds:
        x = ratio("ins_post", "ceil_sqlx_post")
        row("CreateBadge V4", f"{rps('ins_post') / 1000:.1f}k req/s", f"{x:.2f}× naive insert", "≥ 1.0× naive insert", x >= 1.0)

scale = bulk / 1_000_000
for name, backend, goal in [("bulk-sqlite", "SQLite", 12.0), ("bulk-pg", "PostgreSQL", 10.0)]:
    path = os.path.join(out, f"{name}.txt")
    if not os.path.exists(path):
        continue
    m = re.search(r"load: ([\d.]+) s", open(path).read())
    if not m:
        row(f"{bulk:,} assignments, bulk API, {backend}", "failed (see " + path + ")")
        continue
    secs = float(m.group(1))
    target = f"< {goal:g} s" if scale == 1 else f"< {goal * scale:.2f} s ({goal:g} s per 1M, scaled)"
    row(f"{bulk:,} assignments, bulk API, {backend}", f"{secs:.1f} s ({bulk / secs / 1000:.0f}k/s)", "", target, secs < goal * scale)
    rss = os.path.join(out, f"{name}.rss")
    if os.path.exists(rss):
        row(f"server RSS after it, warm caches ({backend})", f"{open(rss).read().strip()} MiB", "", "caches + map budget + base (README)")

print("| endpoint | figure | ratio | target | |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
