"""The table of fedbe.sh from its run folder (OUT/<method>/lr<lr>-seed<seed>): per contender, the
learning rate picked with the first seed by the clients' held-out accuracy, then the mean and
min..max over the seeds at that pick of the test accuracy, retention, rounds to target, bytes up
per round and client fit seconds per local step. `--pick METHOD` prints only the pick; `--test` runs
the doctests."""
import json
import os
import statistics
import sys

import grid
from grid import completed_round_timings, held_out, pick, print_grid, seeds_cell, spread


def load(run):
    summary = json.load(open(os.path.join(run, "summary.json")))
    lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
    rounds = [l for l in lines if l.get("event") == "round"]
    timings = completed_round_timings(run)
    steps = config_int(run, "client.local_steps") * config_int(run, "clients_per_round")
    ret = summary["retention"]
    nan = lambda v: float("nan") if v is None else v
    return dict(
        held=held_out(run), acc=summary["final_accuracy"], reach=summary.get("rounds_to_target"),
        ret_b=ret["retrieval"]["before"], ret_a=ret["retrieval"]["after"],
        ret=nan(ret["retrieval"]["ratio"]), cen_b=ret["centroid"]["before"],
        cen_a=ret["centroid"]["after"], cen=nan(ret["centroid"]["ratio"]),
        up=sum(l["bytes_up"] for l in rounds) / len(rounds),
        fit=sum(t["client_fit_seconds"] for t in timings) / (len(timings) * steps))


def config_int(run, key):
    """The integer `key` of the run's config.json, which records every key (fedpeft simulate), so a
    missing one means the folder is not a run as fedbe.sh makes it: refused, naming the file and
    the key, rather than guessed (the fit seconds per step would be divided by a guess).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "config.json"), "w").write('{"clients_per_round": 5}')
    >>> config_int(d, "clients_per_round")
    5
    >>> config_int(d, "client.local_steps")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    SystemExit: .../config.json has no client.local_steps (config.json records every key)...
    """
    f = os.path.join(run, "config.json")
    config = json.load(open(f))
    if key not in config:
        sys.exit("%s has no %s (config.json records every key), so fit s / step cannot be computed;"
                 " is %s a run of fedbe.sh?" % (f, key, run))
    return int(config[key])


def collect(out):
    return grid.collect(out, load)  # (method, lr) -> {seed: row}


def main(out, target):
    cells = collect(out)
    methods = sorted({m for m, _ in cells})
    print("Learning-rate grid, first seed (clients' held-out accuracy / test accuracy):")
    print()
    print_grid(cells, methods, "method")
    print()
    print("At each method's pick, mean (min..max) over seeds; rounds to %.2f: mean over the seeds "
          "that reached it (n reached):" % target)
    print()
    print("| method | lr | seeds | test accuracy | retrieval retention (after/before) | "
          "centroid retention | rounds to %.2f | bytes up / round | fit s / step |" % target)
    print("|---|---|---|---|---|---|---|---|---|")
    for m in methods:
        lr = pick(cells, m)
        rs = list(cells[(m, lr)].values())
        reached = [r["reach"] for r in rs if r.get("reach") is not None]
        reach = ("%.1f (%d/%d)" % (statistics.mean(reached), len(reached), len(rs))
                 if reached else "not reached (0/%d)" % len(rs))
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            m, lr, seeds_cell(rs), spread([r["acc"] for r in rs]),
            spread([r["ret"] for r in rs], "%.3f"), spread([r["cen"] for r in rs], "%.3f"), reach,
            spread([r["up"] for r in rs], "%.0f").split(" ")[0], spread([r["fit"] for r in rs], "%.3f")))
    print()
    note = grid.grid_note(cells, methods)
    if note:
        print(note)
        print()
    print("Retention parts (before -> after, mean over seeds at the pick):")
    print()
    for m in methods:
        rs = [r for r in cells[(m, pick(cells, m))].values() if not r.get("diverged")]
        if not rs:
            print("- %s: diverged" % m)
            continue
        mean = lambda k: statistics.mean(r[k] for r in rs)
        print("- %s: retrieval %.3f -> %.3f, centroid %.3f -> %.3f" % (
            m, mean("ret_b"), mean("ret_a"), mean("cen_b"), mean("cen_a")))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--test"]:
        import doctest
        sys.exit(doctest.testmod()[0])
    if "--pick" in args:
        print(pick(collect(args[0]), args[args.index("--pick") + 1]))
    else:
        target = float(args[args.index("--target") + 1]) if "--target" in args else 0.5
        main(args[0], target)
