"""The table of feddpa_repro.sh from its run folder: P and TTP per contender at the learning rate
picked by the clients' held-out accuracy, mean and min..max over seeds."""
import glob
import json
import os
import re
import statistics
import sys

import grid
from grid import DIVERGED, held_out, pick, seeds_cell


def task_count(out):
    """The number of tasks of the run (OUT/base.toml's data.task, joined by +)."""
    with open(os.path.join(out, "base.toml")) as f:
        return len(re.search(r'^task = "(.*)"$', f.read(), re.M).group(1).split("+"))


def load(run):
    summary = json.load(open(os.path.join(run, "summary.json")))
    nan = lambda v: float("nan") if v is None else v
    return dict(held=held_out(run), p=nan(summary.get("personalization")),
                ttp=summary.get("test_time_personalization"))


def collect(out, notes=None):
    cells = grid.collect(out, load)  # (name, lr) -> {seed: row with held, p, ttp}
    # local-only: one single-task run per task; P is the mean of the tasks' test accuracies.
    n = task_count(out)
    for d in sorted(glob.glob(os.path.join(out, "local", "lr*-seed*"))):
        if not os.path.isdir(d):
            continue
        tasks = glob.glob(os.path.join(d, "*", "summary.json"))
        diverged = glob.glob(os.path.join(d, "*.diverged"))
        lr, seed = os.path.basename(d)[2:].split("-seed")
        if len(tasks) + len(diverged) < n:
            if notes is not None:
                notes.append("local, lr %s, seed %s: left out, %d of its %d task runs finished"
                             % (lr, seed, len(tasks) + len(diverged), n))
            continue
        if diverged:
            cells.setdefault(("local", lr), {})[int(seed)] = DIVERGED
            continue
        held = statistics.mean(held_out(os.path.dirname(t)) for t in tasks)
        p = statistics.mean(json.load(open(t))["final_accuracy"] for t in tasks)
        cells.setdefault(("local", lr), {})[int(seed)] = dict(held=held, p=p, ttp=None)
    return cells


def mean_range(values):
    """'mean | min..max' of the values that are numbers (not NaN), 'n/a | n/a' for none."""
    values = [v for v in values if v is not None and v == v]
    if not values:
        return "n/a | n/a"
    return "%.4f | %.4f..%.4f" % (statistics.mean(values), min(values), max(values))


def cell(v):
    return "n/a" if v is None else "diverged" if v != v else "%.4f" % v


def main(out):
    notes = []
    cells = collect(out, notes)
    names = sorted({n for n, _ in cells})
    print("| contender | lr (picked) | seeds | clients' held-out acc | P mean | P min..max | TTP mean | TTP min..max |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        lr = pick(cells, name)
        rs = list(cells[(name, lr)].values())
        held = mean_range([r["held"] for r in rs]).split(" | ")[0]
        print("| %s | %s | %s | %s | %s | %s |" % (
            name, lr, seeds_cell(rs), held, mean_range([r["p"] for r in rs]),
            mean_range([r["ttp"] for r in rs])))
    print()
    for note in notes + [grid.grid_note(cells, names)]:
        if note:
            print(note)
            print()
    print("Every cell (contender, lr: P / TTP per seed):")
    print()
    for (name, lr), by_seed in sorted(cells.items()):
        vals = ", ".join("seed %d: %s / %s" % (
            s, "diverged" if r.get("diverged") else cell(r["p"]),
            "diverged" if r.get("diverged") else cell(r["ttp"]))
            for s, r in sorted(by_seed.items()))
        print("- %s, lr %s: %s" % (name, lr, vals))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--pick":
        print(pick(collect(sys.argv[1]), sys.argv[3]))
    else:
        main(sys.argv[1])
