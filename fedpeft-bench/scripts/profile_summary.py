"""Sums a libtorch profiler trace (Chrome trace JSON) per operator: self time (a parent's time minus
its children's, by nesting on the same thread), calls, and the share of the traced wall time.
Usage: python3 profile_summary.py TRACE.json [STEPS] [TOP]"""
import collections
import json
import sys


def main():
    trace = json.load(open(sys.argv[1]))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    ops = [e for e in events if e.get("ph") == "X" and e.get("cat", "cpu_op") in ("cpu_op", "Operator", "")]
    by_tid = collections.defaultdict(list)
    for e in ops:
        by_tid[e.get("tid")].append(e)
    self_time = collections.Counter()
    total_time = collections.Counter()
    calls = collections.Counter()
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
            if stack:
                self_time[stack[-1]["name"]] -= e["dur"]
            stack.append(e)
    wall = t_max - t_min
    print("traced wall %.1f ms per step; top-level ops per step: %d" % (wall / 1000 / steps, sum(calls.values()) / steps))
    print("%-45s %10s %10s %8s %6s" % ("op", "self ms", "total ms", "calls", "self%"))
    for name, st in self_time.most_common(top):
        print("%-45s %10.2f %10.2f %8d %5.1f%%" % (name[:45], st / 1000 / steps, total_time[name] / 1000 / steps, calls[name] / steps, 100 * st / wall))
    print("sum of self times: %.1f ms per step (rest is outside libtorch ops: JNI, Java, waits)" % (sum(self_time.values()) / 1000 / steps))


if __name__ == "__main__":
    main()
