#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two bench.csv files of `make bench`, row by row.

usage: compare.py A.csv B.csv [--threshold 1.25] [--metric median|min]
                  [--labels A,B] [--strict]

Rows are matched on (name, param). For a latency row the slowdown of B
against A is median(B) / median(A); for a throughput row (thr_*) it is
ops_per_s(A) / ops_per_s(B). Rows whose slowdown exceeds the threshold are
flagged SLOWER (and those below its inverse FASTER). The ratio of the
minima is printed alongside: under emulation on a busy host the minimum
is the steadier figure (two runs of one kernel differed by up to 1.6x in
medians but mostly under 1.25x in minima), and a real regression moves
both; --metric min flags on the minima instead (thr_* rows: still ops/s).

The figures are only comparable when A and B come from side-by-side runs:
the same host, the same boot mode and accelerator, close in time. Exit
status 0, or with --strict 1 when a row is flagged SLOWER; 2 on bad input.
"""
import argparse
import csv
import sys

KEYS = ("name", "param")


def load(path):
    rows = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                key = (r["name"], int(r["param"]))
                rows[key] = {
                    "reps": int(r["reps"]),
                    "median": float(r["median_ns"]),
                    "min": float(r["min_ns"]),
                    "ops": float(r["ops_per_s"]),
                }
    except (OSError, KeyError, ValueError) as e:
        sys.stderr.write("compare: %s: %s\n" % (path, e))
        sys.exit(2)
    return rows


def ratio(num, den):
    return num / den if den > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser(description="ratios of two make bench CSVs")
    ap.add_argument("a", help="baseline bench.csv")
    ap.add_argument("b", help="bench.csv to compare against it")
    ap.add_argument("--threshold", type=float, default=1.25,
                    help="flag slowdowns beyond this factor (default 1.25)")
    ap.add_argument("--metric", choices=("median", "min"), default="median",
                    help="latency figure the slowdown is computed from (default median)")
    ap.add_argument("--labels", default="A,B", help="names of the two runs (default A,B)")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when any row is flagged SLOWER")
    args = ap.parse_args()
    if args.threshold <= 1.0:
        ap.error("--threshold must be above 1")
    la, lb = (args.labels.split(",") + ["B"])[:2]
    a, b = load(args.a), load(args.b)

    head = ["row", "param", la + " med us", lb + " med us", "slowdown",
            la + " min us", lb + " min us", "min ratio", "flag"]
    out, slower, faster = [], 0, 0
    for key in sorted(set(a) | set(b), key=lambda k: (list(a).index(k) if k in a else 1e9, k)):
        if key not in a or key not in b:
            out.append([key[0], str(key[1]), "-", "-", "-", "-", "-", "-",
                        "only in " + (la if key in a else lb)])
            continue
        ra, rb = a[key], b[key]
        if key[0].startswith("thr_"):
            slow = ratio(ra["ops"], rb["ops"])
        else:
            slow = ratio(rb[args.metric], ra[args.metric])
        flag = ""
        if slow > args.threshold:
            flag, slower = "SLOWER", slower + 1
        elif slow < 1 / args.threshold:
            flag, faster = "FASTER", faster + 1
        out.append([key[0], str(key[1]),
                    "%.1f" % (ra["median"] / 1e3), "%.1f" % (rb["median"] / 1e3),
                    "%.2fx" % slow,
                    "%.1f" % (ra["min"] / 1e3), "%.1f" % (rb["min"] / 1e3),
                    "%.2fx" % ratio(rb["min"], ra["min"]), flag])
    width = [max(len(r[i]) for r in [head] + out) for i in range(len(head))]

    def fmt(cells):
        return "  ".join(c.ljust(width[i]) if i in (0, 8) else c.rjust(width[i])
                         for i, c in enumerate(cells)).rstrip()

    print("# %s: %s" % (la, args.a))
    print("# %s: %s" % (lb, args.b))
    print("# slowdown: %s/%s of the %s latencies (thr_*: %s/%s of cycles/s); "
          "flagged beyond %.2fx" % (lb, la, args.metric, la, lb, args.threshold))
    print("# only meaningful for side-by-side runs (same host, boot mode, accelerator)")
    print(fmt(head))
    print(fmt(["-" * w for w in width]))
    for r in out:
        print(fmt(r))
    print("compare: %d row(s) slower than %.2fx, %d faster, %d compared"
          % (slower, args.threshold, faster, sum(1 for r in out if r[4] != "-")))
    return 1 if args.strict and slower else 0


if __name__ == "__main__":
    sys.exit(main())
