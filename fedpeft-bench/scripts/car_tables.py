"""The tables of car_retrieval.sh from its run folder, as markdown.

Usage: car_tables.py OUT [TARGET], car_tables.py --merge TABLE NEW, car_tables.py --picks
SCORES (grid/scores.tsv's rows "row, rate, validation top-1" -> picks.tsv's "row, picked rate, its
top-1", by grid.py's best_lr; a grid run that diverged has the top-1 "nan" and is never picked; one
with failed client updates, in its summary.json next to SCORES, ranks after the clean ones), or
car_tables.py --test (the doctests). A federated run with failed client updates (summary.json's
client_fit_failures, read by grid.py) has its rows marked "(N failed updates)". For each OUT/docs-N: the learning-rate grid (validation top-1, or "diverged"
from grid/scores.tsv, test top-1 from table.tsv, the pick marked), the retrieval table
(RetrievalBench's table.tsv), the DP rows with their accuracy cost against the same row without DP, and the time to a
target top-1 of the speed-up runs (simulated parallel wall time, see car_retrieval.sh). TARGET is a
top-1 or "auto" (0.9 x the best top-1 of the centralised run, `fedpeft train`). --merge writes
into TABLE (a RetrievalBench table.tsv) the rows of NEW, replacing the rows of the same name and
keeping the others, so a run of some parts does not drop the rows of the others. Runs that
diverged (their .diverged) are listed under each corpus size.
"""
import glob
import json
import os
import re
import sys

from grid import best_lr, failed_updates, with_fit_failures


def table_rows(path):
    rows = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 5 and parts[0] != "row":
            rows[parts[0]] = [float(x) for x in parts[1:]]
    return rows


def summary(run):
    f = os.path.join(run, "summary.json")
    return json.load(open(f)) if os.path.exists(f) else {}


def lines(path):
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []


def grid(d, rows):
    f = os.path.join(d, "grid", "scores.tsv")
    if not os.path.exists(f):
        return
    scores = [line.split("\t") for line in open(f).read().splitlines() if line]
    best = picks(scores, os.path.join(d, "grid"))
    print("Learning-rate grid (centralised): top-1 on the validation split (definition views, the"
          " pick's criterion) and on the test split (example sentences).")
    print()
    print("| row | learning rate | validation top-1 | test top-1 | pick |")
    print("|---|---|---|---|---|")
    for row, lr, val in scores:
        name = "%s-lr%s" % (row, lr)
        test = rows.get("CaR, " + name) or rows.get("MIPS, %s adapter (contrastive)" % name)
        gone = os.path.exists(os.path.join(d, "grid", name + ".diverged"))
        print("| %s | %s | %s | %s | %s |" % (
            row, lr, "diverged" if gone else "%.3f" % float(val) + failed_updates(
                with_fit_failures({}, os.path.join(d, "grid", name))),
            "%.3f" % test[0] if test else "-" if gone else "?",
            "pick" if best[row][0] == lr else ""))
    print()


def marked(d, name):
    """The row name, then failed_updates of its run folder under d (the name after "CaR, " or
    "MIPS, ", without " adapter ..."), as grid.py's tables mark a run with failed client updates.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(d, "car-head-federated"))
    >>> _ = open(os.path.join(d, "car-head-federated", "summary.json"), "w").write(
    ...     '{"client_fit_failures": 2}')
    >>> marked(d, "MIPS, car-head-federated adapter (its head unused)")
    'MIPS, car-head-federated adapter (its head unused) (2 failed updates)'
    >>> marked(d, "CaR, car-head-central")
    'CaR, car-head-central'
    """
    run = name.split(", ", 1)[-1].split(" adapter", 1)[0]
    return name + failed_updates(with_fit_failures({}, os.path.join(d, run)))


def picks(scores, folder):
    """{row: (picked rate, its validation top-1)} of the grid's [row, rate, top-1] lines, whose
    runs are folder/ROW-lrRATE (one with failed client updates ranks after the clean ones, as in
    grid.py's pick).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(d, "car-head-lr1e-2"))
    >>> _ = open(os.path.join(d, "car-head-lr1e-2", "summary.json"), "w").write(
    ...     '{"client_fit_failures": 1}')
    >>> picks([["car-head", "1e-3", "0.5"], ["car-head", "1e-2", "0.9"]], d)
    {'car-head': ('1e-3', 0.5)}
    """
    by_row = {}
    for row, lr, val in scores:
        by_row.setdefault(row, {})[lr] = float(val)
    out = {}
    for row, s in by_row.items():
        partly = {lr for lr in s
                  if with_fit_failures({}, os.path.join(folder, "%s-lr%s" % (row, lr)))}
        best = best_lr(s, partly)
        out[row] = (best, s[best])
    return out


def retrieval(d, rows):
    print("| row | top-1 | recall@5 | recall@10 | MRR |")
    print("|---|---|---|---|---|")
    for name, m in rows.items():
        if "-dp" in name or "-lr" in name:
            continue
        print("| %s | %.3f | %.3f | %.3f | %.3f |" % (marked(d, name), *m))
    print()


def dp(d, rows):
    noise = {}
    f = os.path.join(d, "dp-noise.txt")
    if os.path.exists(f):
        for line in open(f):
            _, row, mode, _, eps, _, sigma = line.split()
            noise[(row, mode, eps)] = sigma
    dp_rows = [n for n in rows if "-dp" in n and n.startswith("CaR")]
    if not dp_rows:
        return
    print("| row | noise multiplier | epsilon spent | top-1 | recall@10 | top-1 cost vs no DP |")
    print("|---|---|---|---|---|---|")
    for name in dp_rows:
        base = name.split("-dp")[0]
        eps = name.split("-dp")[1]
        mode = "central" if "-central-" in name else "federated"
        row = base.split(", ", 1)[1].rsplit("-", 1)[0]
        run = os.path.join(d, name.split(", ", 1)[1])
        s = summary(run)
        spent = s.get("epsilon")
        ref = rows.get(base)
        cost = "%.3f" % (ref[0] - rows[name][0]) if ref else "n/a"
        print("| %s | %s | %s | %.3f | %.3f | %s |" % (
            marked(d, name), noise.get((row, mode, eps), "?"),
            "%.2f" % spent if spent is not None else "?", rows[name][0], rows[name][2], cost))
    print()


def speedup(d, target_arg):
    """Time to a target top-1: the centralised run (fedpeft train, evaluated on the test split
    every 20 steps; timings.jsonl's train_seconds excludes the evaluations) against the federated runs with K
    clients (simulated parallel wall time). Only runs that finished (their .done file) count."""
    runs = {}
    for toml in glob.glob(os.path.join(d, "speedup", "k*.toml")):
        k = int(os.path.basename(toml)[1:-5])
        run = toml[:-5]
        if not os.path.exists(run + ".done"):
            continue
        local = int(re.search(r"^local_steps = (\d+)", open(toml).read(), re.M).group(1))
        acc = {l["round"]: l["accuracy"] for l in lines(os.path.join(run, "metrics.jsonl"))
               if "accuracy" in l}
        t, elapsed = {}, 0.0
        for l in lines(os.path.join(run, "timings.jsonl")):
            server = max(0.0, l["round_seconds"] - l["client_fit_seconds"])
            elapsed += l["client_fit_seconds_max"] + server
            t[l["round"]] = elapsed
        if acc:
            runs[k] = (acc, t, local)
    central = {}
    run = os.path.join(d, "speedup", "central")
    if os.path.exists(run + ".done"):
        seconds = {l["step"]: l["train_seconds"]
                   for l in lines(os.path.join(run, "timings.jsonl"))}
        for l in lines(os.path.join(run, "metrics.jsonl")):
            if l.get("event") == "test_during_training":
                central[l["step"]] = (l["accuracy"], seconds[l["step"]])
    if not central:
        return
    best = max(a for a, _ in central.values())
    target = 0.9 * best if target_arg == "auto" else float(target_arg)
    print("Time to top-1 >= %.3f (%s). Centralised: `fedpeft train`, training time without the"
          " evaluations. Federated time is SIMULATED PARALLEL WALL TIME: per round the slowest"
          " client plus the server's part, clients timed one at a time on this machine;"
          " evaluation excluded. Sequential steps: the steps one machine takes one after another"
          " (federated: rounds x local steps, the clients of a round in parallel). K = 1 is one"
          " client holding every query in the same rounds of 20 steps (its optimiser starts"
          " afresh every round)." % (
              target, "0.9 x the best centralised top-1" if target_arg == "auto" else "given"))
    print()
    print("| run | to target | sequential steps to target | seconds to target |"
          " speed-up vs centralised (seconds / steps) | best top-1 |")
    print("|---|---|---|---|---|---|")
    hit = next((s for s in sorted(central) if central[s][0] >= target), None)
    base = central[hit][1] if hit is not None else None
    print("| centralised | %s | %s | %s | 1.00x / 1.00x | %.3f |" % (
        "%d steps" % hit if hit is not None else "not reached",
        hit if hit is not None else "-",
        "%.0f" % base if base is not None else "-", best))
    for k in sorted(runs):
        acc, t, local = runs[k]
        r_hit = next((r for r in sorted(acc) if acc[r] >= target), None)
        secs = t.get(r_hit) if r_hit is not None else None
        steps = r_hit * local if r_hit is not None else None
        speed = ("%.2fx / %.2fx" % (base / secs, hit / steps)) if base and secs else "n/a"
        print("| K = %d%s | %s | %s | %s | %s | %.3f |" % (
            k, failed_updates(with_fit_failures({}, os.path.join(d, "speedup", "k%d" % k))),
            "%d rounds" % r_hit if r_hit is not None else "not reached",
            steps if steps is not None else "-",
            "%.0f" % secs if secs is not None else "-", speed, max(acc.values())))
    print()


def diverged(d):
    """The runs under d that diverged (car_retrieval.sh: a run's .diverged), which have no row in
    the tables above."""
    gone = sorted(os.path.relpath(f, d)[:-len(".diverged")]
                  for f in glob.glob(os.path.join(d, "**", "*.diverged"), recursive=True))
    if gone:
        print("Diverged (NaN loss; no row above, never picked): " + ", ".join(gone) + ".")
        print()


def merge(table, new):
    """Rows of `new` into `table` (both RetrievalBench output), by row name, in `table`'s order
    (new names at the end); `new`'s header lines win. Written to a temporary file and renamed, so `table` is never half-written."""
    def is_row(l):
        return len(l.split("\t")) == 5 and not l.startswith("row\t")

    new_lines = open(new).read().splitlines()
    fresh = {l.split("\t", 1)[0]: l for l in new_lines if is_row(l)}
    old_lines = open(table).read().splitlines() if os.path.exists(table) else []
    rows = [fresh.pop(l.split("\t", 1)[0], l) for l in old_lines if is_row(l)]
    rows += list(fresh.values())
    header = [l for l in new_lines if not is_row(l)]
    tmp = table + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(header + rows) + "\n")
    os.replace(tmp, table)


def main():
    if sys.argv[1] == "--merge":
        merge(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--test":
        import doctest
        sys.exit(doctest.testmod()[0])
    if sys.argv[1] == "--picks":
        scores = [line.split("\t") for line in open(sys.argv[2]).read().splitlines() if line]
        folder = os.path.dirname(os.path.abspath(sys.argv[2]))
        for row, (lr, val) in sorted(picks(scores, folder).items()):
            print("%s\t%s\t%s" % (row, lr, val))
        return
    out = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) > 2 else "auto"
    for d in sorted(glob.glob(os.path.join(out, "docs-*")), key=lambda p: int(p.rsplit("-", 1)[1])):
        print("### %s documents" % d.rsplit("-", 1)[1])
        print()
        t = os.path.join(d, "table.tsv")
        rows = table_rows(t) if os.path.exists(t) else {}
        if rows:
            grid(d, rows)
            retrieval(d, rows)
            dp(d, rows)
        speedup(d, target)
        diverged(d)


if __name__ == "__main__":
    main()
