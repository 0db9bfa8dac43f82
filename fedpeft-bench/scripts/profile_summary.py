"""Sums a libtorch profiler trace (Chrome trace JSON) per operator: self time (a parent's time minus
its children's, by nesting on the same thread), calls, and the share of the traced wall time.
Usage: python3 profile_summary.py TRACE.json [STEPS] [TOP] [BREAKDOWN]
BREAKDOWN: comma-separated operator names (e.g. aten::copy_,aten::mul) whose self time is then also
split by where each call comes from - the chain of its enclosing calls (script methods such as
mm16 or multi_head, autograd's backward nodes such as ToCopyBackward0, and the aten operators that
copy internally: addmm, matmul, reshape, to, clone) - and by its input shapes (the trace has them
when the profiler records shapes, as ProfileStep's does)."""
import collections
import json
import sys

# Enclosing aten operators worth naming in a breakdown (the others are left out of the chain).
NAMED_ATEN = ("aten::addmm", "aten::mm", "aten::bmm", "aten::matmul", "aten::reshape", "aten::to",
              "aten::clone", "aten::contiguous", "aten::add", "aten::mul")


def main():
    trace = json.load(open(sys.argv[1]))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    breakdown = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else set()
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    ops = [e for e in events if e.get("ph") == "X" and e.get("cat", "cpu_op") in ("cpu_op", "Operator", "")]
    by_tid = collections.defaultdict(list)
    for e in ops:
        by_tid[e.get("tid")].append(e)
    self_time = collections.Counter()
    total_time = collections.Counter()
    calls = collections.Counter()
    where_time = collections.Counter()
    where_calls = collections.Counter()
    t_min, t_max = float("inf"), 0.0
    for tid, evs in by_tid.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            t_min = min(t_min, e["ts"])
            t_max = max(t_max, e["ts"] + e["dur"])
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            name = e["name"]
            calls[name] += 1
            total_time[name] += e["dur"]
            self_time[name] += e["dur"]
            e["self"] = e["dur"]
            if stack:
                self_time[stack[-1]["name"]] -= e["dur"]
                stack[-1]["self"] -= e["dur"]
            if name in breakdown:
                e["chain"] = [a["name"] for a in stack
                              if not a["name"].startswith("aten::") or a["name"] in NAMED_ATEN]
            stack.append(e)
    for e in ops:
        if "chain" in e:
            key = (e["name"], " < ".join(reversed(e["chain"][-4:])), str(e.get("shape", "")))
            where_time[key] += e["self"]
            where_calls[key] += 1
    wall = t_max - t_min
    print("traced wall %.1f ms per step; top-level ops per step: %d" % (wall / 1000 / steps, sum(calls.values()) / steps))
    print("%-45s %10s %10s %8s %6s" % ("op", "self ms", "total ms", "calls", "self%"))
    for name, st in self_time.most_common(top):
        print("%-45s %10.2f %10.2f %8d %5.1f%%" % (name[:45], st / 1000 / steps, total_time[name] / 1000 / steps, calls[name] / steps, 100 * st / wall))
    print("sum of self times: %.1f ms per step (rest is outside libtorch ops: JNI, Java, waits)" % (sum(self_time.values()) / 1000 / steps))
    if breakdown:
        print("-- self time of %s by caller (innermost first) and input shapes" % ", ".join(sorted(breakdown)))
        print("%10s %8s %6s  %s" % ("self ms", "calls", "self%", "op | called from | shapes"))
        for key, st in where_time.most_common(top):
            print("%10.2f %8d %5.1f%%  %s | %s | %s" % (st / 1000 / steps, where_calls[key] / steps, 100 * st / wall, key[0], key[1], key[2]))


if __name__ == "__main__":
    main()
