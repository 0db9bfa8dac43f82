"""What the reproduction tables share: the run folders of a learning-rate grid
(OUT/<name>/lr<lr>-seed<seed>/ with a summary.json, where <name> may span several folders, e.g.
"a/fedit"), the runs that diverged, the learning rate picked with the first seed by the clients' held-out accuracy (never
the test split; a run with failed client updates only after every clean one), and "mean (min..max)" cells."""
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


def collect(out, load, depth=1):
    """{(name, lr): {seed: row}}: load(run folder) of every finished run, and DIVERGED for every
    run that diverged (its lr<lr>-seed<seed>.diverged, written by common.sh's run_failed)."""
    cells = {}
    for run, name, lr, seed in runs(out, depth):
        cells.setdefault((name, lr), {})[seed] = with_fit_failures(load(run), run)
    pattern = os.path.join(out, *(["*"] * depth), "lr*-seed*.diverged")
    for marker in sorted(glob.glob(pattern)):
        lr, seed = os.path.basename(marker)[2:-len(".diverged")].split("-seed")
        name = "/".join(os.path.relpath(os.path.dirname(marker), out).split(os.sep))
        cells.setdefault((name, lr), {}).setdefault(int(seed), DIVERGED)
    return cells


class _Diverged(dict):
    """The row of a run that diverged: every figure NaN (so never picked, and 'n/a' in spread)."""

    def __missing__(self, key):
        return float("nan")


DIVERGED = _Diverged(diverged=True)


def fit_failures(run):
    """summary.json's client_fit_failures of the run folder: client updates that failed in rounds
    that went on (a client whose training diverged while others did not), which a finished run's
    accuracy alone does not show; 0 without the field (a centralised run) or without summary.json
    (a run that diverged)."""
    f = os.path.join(run, "summary.json")
    if not os.path.exists(f):
        return 0
    with open(f) as fh:
        return json.load(fh).get("client_fit_failures", 0)


def with_fit_failures(row, run):
    """The row, with "fit_failures" set to the run's fit_failures where that is above 0."""
    failed = fit_failures(run)
    return dict(row, fit_failures=failed) if failed else row


def failed_updates(row):
    """' (N failed updates)' for a row with fit_failures, else "".

    >>> failed_updates({"held": 0.5, "fit_failures": 3})
    ' (3 failed updates)'
    >>> failed_updates({"held": 0.5})
    ''
    """
    n = row.get("fit_failures", 0)
    return " (%d failed update%s)" % (n, "" if n == 1 else "s") if n else ""


def completed_round_timings(run):
    r"""The lines of the run's timings.jsonl that time a completed round: those without "event".
    The others time no round's training: a failed or budget-stopped attempt ("round_failed",
    "stopped_early": some of its clients trained, the round did not complete) or a round
    checkpointed by a killed process and released by the resumed one ("released_on_resume":
    client_fit_seconds 0, its training was timed in the killed process and never written).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "timings.jsonl"), "w").write(
    ...     '{"round": 1, "client_fit_seconds": 4.0}\n'
    ...     '{"event": "round_failed", "round": 2, "client_fit_seconds": 1.0}\n'
    ...     '{"round": 2, "client_fit_seconds": 6.0}\n'
    ...     '{"event": "released_on_resume", "round": 3, "client_fit_seconds": 0.0}\n')
    >>> [t["round"] for t in completed_round_timings(d)]
    [1, 2]
    """
    with open(os.path.join(run, "timings.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    return [line for line in lines if "event" not in line]


def held_out(run):
    """The last client_accuracy_mean of the run's metrics.jsonl: the clients' own held-out data."""
    with open(os.path.join(run, "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    return [line for line in lines if "client_accuracy_mean" in line][-1]["client_accuracy_mean"]


def first_seed(cells, name):
    return min(seed for (n, _), by_seed in cells.items() if n == name for seed in by_seed)


def best_lr(scores, partly=()):
    """The learning rate (a string) with the best score in {lr: score}, the one rule of every
    reproduction's pick: a NaN score (a diverged run) is never picked over a number, a run with
    failed client updates (its lr in partly: not comparable with a clean run) only when no clean
    run has a number, and a tie goes to the larger learning rate.

    >>> best_lr({"1e-3": 0.5, "3e-3": 0.7, "1e-2": 0.7})
    '1e-2'
    >>> best_lr({"3e-2": float("nan"), "1e-3": 0.2})
    '1e-3'
    >>> best_lr({"3e-2": float("nan"), "1e-2": float("nan")})
    '3e-2'
    >>> best_lr({"1e-3": 0.5, "1e-2": 0.9}, partly={"1e-2"})
    '1e-3'
    >>> best_lr({"1e-3": float("nan"), "1e-2": 0.4, "3e-2": 0.3}, partly={"1e-2", "3e-2"})
    '1e-2'
    """
    def key(lr):
        number = scores[lr] == scores[lr]
        return (number, lr not in partly, scores[lr] if number else 0.0, float(lr))
    return max(scores, key=key)


def pick(cells, name):
    """cells: {(name, lr): {seed: row}} with row["held"]. The learning rate whose run with the
    name's first seed has the best held-out accuracy (best_lr: a run with fit_failures ranks after
    every clean one).

    >>> pick({("a", "1e-3"): {1: {"held": 0.5}, 2: {"held": 0.1}},
    ...       ("a", "1e-2"): {1: {"held": 0.8, "fit_failures": 1}},
    ...       ("b", "1e-2"): {1: {"held": 0.9}}}, "a")
    '1e-3'
    """
    first = first_seed(cells, name)
    rows = {lr: by_seed[first] for (n, lr), by_seed in cells.items()
            if n == name and first in by_seed}
    return best_lr({lr: r["held"] for lr, r in rows.items()},
                   {lr for lr, r in rows.items() if r.get("fit_failures")})


def grid_note(cells, names, label=lambda name: name):
    """A warning line when the names did not all run the same learning rates with their first seed
    (so their picks were made over different grids, e.g. after reruns into one OUT with other LRS
    or contender lists); "" when they did."""
    grids = {n: sorted((lr for m, lr in cells if m == n and first_seed(cells, n) in cells[(m, lr)]),
                       key=float) for n in names}
    if len({tuple(g) for g in grids.values()}) <= 1:
        return ""
    return ("WARNING: not every contender ran the same learning-rate grid, so the picks are not "
            "equally tuned: " + "; ".join("%s: %s" % (label(n), " ".join(g)) for n, g in grids.items()))


def seeds_cell(rows):
    """The seeds column of a pick: how many seeds ran, how many of them diverged, and how many had
    client updates that failed in rounds that went on.

    >>> seeds_cell([DIVERGED, {"held": 0.5, "fit_failures": 2}, {"held": 0.6}])
    '3 (1 diverged, 1 with failed updates)'
    """
    bad = sum(1 for r in rows if r.get("diverged"))
    partly = sum(1 for r in rows if r.get("fit_failures"))
    notes = (["%d diverged" % bad] if bad else []) + (
        ["%d with failed updates" % partly] if partly else [])
    return "%d" % len(rows) + (" (%s)" % ", ".join(notes) if notes else "")


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
    keys "held" and "acc", then failed_updates), "diverged" for a run that diverged, "-" where no
    run exists."""
    lrs = sorted({lr for n, lr in cells if n in names}, key=float)
    print("| %s | " % column + " | ".join("lr " + lr for lr in lrs) + " |")
    print("|---|" + "---|" * len(lrs))
    for n in names:
        first = first_seed(cells, n)
        row = []
        for lr in lrs:
            r = cells.get((n, lr), {}).get(first)
            row.append("-" if r is None else "diverged" if r.get("diverged") else
                       "%.4f / %.4f" % (r["held"], r["acc"]) + failed_updates(r))
        print("| %s | %s |" % (label(n), " | ".join(row)))


if __name__ == "__main__":
    import doctest
    import sys
    sys.exit(doctest.testmod()[0])
