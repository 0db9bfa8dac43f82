"""The table of feddpa_repro.sh from its run folder: P and TTP per contender at the learning rate
picked by the clients' held-out accuracy, mean and min..max over seeds."""
import glob
import json
import os
import statistics
import sys


def last_eval(run):
    lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
    return [l for l in lines if "client_accuracy_mean" in l][-1]


def collect(out):
    cells = {}  # (name, lr) -> [(seed, holdout, p, ttp)]
    for s in glob.glob(os.path.join(out, "*", "lr*-seed*", "summary.json")):
        run = os.path.dirname(s)
        name = run.split(os.sep)[-2]
        lr, seed = os.path.basename(run)[2:].split("-seed")
        summary = json.load(open(s))
        cells.setdefault((name, lr), []).append(
            (int(seed), last_eval(run)["client_accuracy_mean"],
             summary.get("personalization"), summary.get("test_time_personalization")))
    # local-only: one single-task run per task; P is the mean of the tasks' test accuracies.
    for d in glob.glob(os.path.join(out, "local", "lr*-seed*")):
        runs = glob.glob(os.path.join(d, "*", "summary.json"))
        if len(runs) < 6:
            continue
        lr, seed = os.path.basename(d)[2:].split("-seed")
        hold = statistics.mean(last_eval(os.path.dirname(r))["client_accuracy_mean"] for r in runs)
        p = statistics.mean(json.load(open(r))["final_accuracy"] for r in runs)
        cells.setdefault(("local", lr), []).append((int(seed), hold, p, None))
    return cells


def pick(cells, name):
    """The learning rate of the contender's best mean held-out accuracy with the first seed."""
    first = min(s for (n, _), rs in cells.items() if n == name for s, *_ in rs)
    by_lr = {lr: [r for r in rs if r[0] == first] for (n, lr), rs in cells.items() if n == name}
    by_lr = {lr: rs for lr, rs in by_lr.items() if rs}
    return max(by_lr.items(), key=lambda kv: statistics.mean(r[1] for r in kv[1]))[0]


def main(out):
    cells = collect(out)
    names = sorted({n for n, _ in cells})
    print("| contender | lr (picked) | seeds | clients' held-out acc | P mean | P min..max | TTP mean | TTP min..max |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        lr = pick(cells, name)
        rs = cells[(name, lr)]
        p = [r[2] for r in rs]
        ttp = [r[3] for r in rs if r[3] is not None]
        ttp_cells = ("%.4f | %.4f..%.4f" % (statistics.mean(ttp), min(ttp), max(ttp))
                     if ttp else "n/a | n/a")
        print("| %s | %s | %d | %.4f | %.4f | %.4f..%.4f | %s |" % (
            name, lr, len(rs), statistics.mean(r[1] for r in rs), statistics.mean(p), min(p),
            max(p), ttp_cells))
    print()
    print("Every cell (contender, lr: P / TTP per seed):")
    print()
    for (name, lr), rs in sorted(cells.items()):
        vals = ", ".join("seed %d: %.4f / %s" % (s, p, "n/a" if t is None else "%.4f" % t)
                         for s, _, p, t in sorted(rs))
        print("- %s, lr %s: %s" % (name, lr, vals))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--pick":
        print(pick(collect(sys.argv[1]), sys.argv[3]))
    else:
        main(sys.argv[1])
