"""What the reproduction tables share: the run folders of a learning-rate grid
(OUT/<name>/lr<lr>-seed<seed>/ with a summary.json, where <name> may span several folders, e.g.
"a/fedit"), the learning rate picked with the first seed by the clients' held-out accuracy (never
the test split), and "mean (min..max)" cells."""
import glob
import json
import os
import statistics


def runs(out, depth=1):
    """(run folder, name, lr, seed) of every finished run; name is the `depth` folders above the
    lr<lr>-seed<seed> folder, joined by "/"."""
    pattern = os.path.join(out, *(["*"] * depth), "lr*-seed*", "summary.json")
    for summary in sorted(glob.glob(pattern)):
        run = os.path.dirname(summary)
        lr, seed = os.path.basename(run)[2:].split("-seed")
        name = "/".join(os.path.relpath(os.path.dirname(run), out).split(os.sep))
        yield run, name, lr, int(seed)


def held_out(run):
    """The last client_accuracy_mean of the run's metrics.jsonl: the clients' own held-out data."""
    with open(os.path.join(run, "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    return [line for line in lines if "client_accuracy_mean" in line][-1]["client_accuracy_mean"]


def first_seed(cells, name):
    return min(seed for (n, _), by_seed in cells.items() if n == name for seed in by_seed)


def pick(cells, name):
    """cells: {(name, lr): {seed: row}} with row["held"]. The learning rate whose run with the
    name's first seed has the best held-out accuracy; a tie goes to the larger learning rate."""
    first = first_seed(cells, name)
    grid = {lr: by_seed[first] for (n, lr), by_seed in cells.items() if n == name and first in by_seed}
    return max(grid.items(), key=lambda kv: (kv[1]["held"], float(kv[0])))[0]


def spread(values, fmt="%.4f"):
    """'mean (min..max)' of the values that are not NaN; one value alone; 'n/a' for none."""
    values = [v for v in values if v == v]
    if not values:
        return "n/a"
    mean = statistics.mean(values)
    return (fmt % mean) if len(values) == 1 else (fmt + " (" + fmt + ".." + fmt + ")") % (
        mean, min(values), max(values))


def print_grid(cells, names, column, label=lambda name: name):
    """The markdown table of the learning-rate grid with each name's first seed: one row per name
    (shown as label(name)), one column per learning rate, cells "held-out / test accuracy" (row
    keys "held" and "acc"), "-" where no run exists."""
    lrs = sorted({lr for n, lr in cells if n in names}, key=float)
    print("| %s | " % column + " | ".join("lr " + lr for lr in lrs) + " |")
    print("|---|" + "---|" * len(lrs))
    for n in names:
        first = first_seed(cells, n)
        row = []
        for lr in lrs:
            r = cells.get((n, lr), {}).get(first)
            row.append("-" if r is None else "%.4f / %.4f" % (r["held"], r["acc"]))
        print("| %s | %s |" % (label(n), " | ".join(row)))
