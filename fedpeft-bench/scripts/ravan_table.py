"""The table of ravan_repro.sh from its run folder (OUT/<setting>/<contender>/lr<lr>-seed<seed>):
per setting, the learning-rate grid with the first seed (clients' held-out accuracy / test
accuracy), then per contender at its pick (ablations: at Ravan's pick) the mean and min..max over
the seeds of the test accuracy and the clients' held-out accuracy, and the bytes uploaded per
round. `--pick SETTING/CONTENDER` prints only the pick."""
import json
import os
import statistics
import sys

import grid
from grid import held_out, pick, print_grid, seeds_cell, spread


def load(run):
    summary = json.load(open(os.path.join(run, "summary.json")))
    return dict(held=held_out(run), acc=summary["final_accuracy"],
                up=summary["bytes_up_total"] / summary["rounds"])


def collect(out):
    return grid.collect(out, load, depth=2)  # ("a/fedit", lr) -> {seed: row}


def main(out):
    cells = collect(out)
    names = sorted({n for n, _ in cells})
    for setting in sorted({n.split("/")[0] for n in names}):
        here = [n for n in names if n.startswith(setting + "/")]
        print("Setting %s, learning-rate grid with the first seed (clients' held-out accuracy / "
              "test accuracy):" % setting)
        print()
        print_grid(cells, here, "contender", lambda n: n.split("/")[1])
        print()
        print("Setting %s at each contender's pick, mean (min..max) over seeds:" % setting)
        print()
        print("| contender | lr | seeds | test accuracy | clients' held-out accuracy | bytes up / round |")
        print("|---|---|---|---|---|---|")
        for n in here:
            lr = pick(cells, n)
            rs = list(cells[(n, lr)].values())
            up = [r["up"] for r in rs if not r.get("diverged")]
            print("| %s | %s | %s | %s | %s | %s |" % (
                n.split("/")[1], lr, seeds_cell(rs), spread([r["acc"] for r in rs]),
                spread([r["held"] for r in rs]),
                format(int(statistics.mean(up)), ",") if up else "n/a"))
        note = grid.grid_note(cells, here, lambda n: n.split("/")[1])
        if note:
            print()
            print(note)
        print()


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--pick" in args:
        print(pick(collect(args[0]), args[args.index("--pick") + 1]))
    else:
        main(args[0])
