"""The table of feddpa_repro.sh from its run folder: P and TTP per contender at the learning rate
picked by the clients' held-out accuracy, mean and min..max over seeds."""
import glob
import json
import os
import statistics
import sys

from grid import held_out, pick, runs


def collect(out):
    cells = {}  # (name, lr) -> {seed: row with held, p, ttp}
    for run, name, lr, seed in runs(out):
        summary = json.load(open(os.path.join(run, "summary.json")))
        cells.setdefault((name, lr), {})[seed] = dict(
            held=held_out(run), p=summary.get("personalization"),
            ttp=summary.get("test_time_personalization"))
    # local-only: one single-task run per task; P is the mean of the tasks' test accuracies.
    for d in glob.glob(os.path.join(out, "local", "lr*-seed*")):
        tasks = glob.glob(os.path.join(d, "*", "summary.json"))
        if len(tasks) < 6:
            continue
        lr, seed = os.path.basename(d)[2:].split("-seed")
        held = statistics.mean(held_out(os.path.dirname(t)) for t in tasks)
        p = statistics.mean(json.load(open(t))["final_accuracy"] for t in tasks)
        cells.setdefault(("local", lr), {})[int(seed)] = dict(held=held, p=p, ttp=None)
    return cells


def main(out):
    cells = collect(out)
    names = sorted({n for n, _ in cells})
    print("| contender | lr (picked) | seeds | clients' held-out acc | P mean | P min..max | TTP mean | TTP min..max |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        lr = pick(cells, name)
        rs = list(cells[(name, lr)].values())
        p = [r["p"] for r in rs]
        ttp = [r["ttp"] for r in rs if r["ttp"] is not None]
        ttp_cells = ("%.4f | %.4f..%.4f" % (statistics.mean(ttp), min(ttp), max(ttp))
                     if ttp else "n/a | n/a")
        print("| %s | %s | %d | %.4f | %.4f | %.4f..%.4f | %s |" % (
            name, lr, len(rs), statistics.mean(r["held"] for r in rs), statistics.mean(p), min(p),
            max(p), ttp_cells))
    print()
    print("Every cell (contender, lr: P / TTP per seed):")
    print()
    for (name, lr), by_seed in sorted(cells.items()):
        vals = ", ".join("seed %d: %.4f / %s" % (
            s, r["p"], "n/a" if r["ttp"] is None else "%.4f" % r["ttp"])
            for s, r in sorted(by_seed.items()))
        print("- %s, lr %s: %s" % (name, lr, vals))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--pick":
        print(pick(collect(sys.argv[1]), sys.argv[3]))
    else:
        main(sys.argv[1])
