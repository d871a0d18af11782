#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of one `make bench` run.

usage: report.py <results-dir>

Collects the "# BENCH ..." lines that sva_bench printed in the guest
(<results-dir>/guest/tests/*.tap), writes <results-dir>/bench.csv, prints
a table (also saved as bench.txt) and draws <results-dir>/bench.png: bind
and unbind cost against the number of IOMMU instances and of mms, and
throughput against the number of threads.

Python 3 standard library only: the PNG is drawn here, with a small
built-in bitmap font.
"""
import csv
import glob
import math
import os
import struct
import sys
import zlib

COLUMNS = ["name", "param", "reps", "median_ns", "p99_ns", "min_ns", "max_ns", "ops_per_s"]

# What each row measures, for the table
WHAT = {
    "cycle_bind": "bind, fresh pair (alloc domain + attach)",
    "cycle_unbind": "unbind, last reference (detach + free)",
    "ref_bind": "bind, pair already bound (reference)",
    "ref_unbind": "unbind, not the last reference",
    "inst_bind": "bind mm to device on instance K",
    "inst_unbind": "unbind it (K domains on the mm)",
    "mm_bind": "bind, N mms on one device (PASID alloc incl.)",
    "mm_unbind": "unbind, N mms on one device",
    "thr_cycle": "bind+unbind cycle, T threads (ops/s: all)",
    "dma_present": "device FILL of N present pages (page walk)",
    "dma_iopf": "device FILL of N fresh pages, N page requests",
    "dma_pinned": "device FILL of N fresh pages, pinned on the CPU",
}


def parse_tap(text):
    """BENCH rows and info lines of one program's TAP output."""
    rows, info = [], []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# BENCH "):
            f = line[len("# BENCH "):].split(",")
            if len(f) != len(COLUMNS):
                continue
            try:
                rows.append({
                    "name": f[0], "param": int(f[1]), "reps": int(f[2]),
                    "median_ns": int(f[3]), "p99_ns": int(f[4]),
                    "min_ns": int(f[5]), "max_ns": int(f[6]),
                    "ops_per_s": float(f[7]),
                })
            except ValueError:
                continue
        elif line.startswith("# sva_bench:"):
            info.append(line[2:])
    return rows, info


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        out = []
        for r in csv.DictReader(f):
            for k in COLUMNS[1:]:
                r[k] = float(r[k]) if k == "ops_per_s" else int(r[k])
            out.append(r)
        return out


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r["name"], r["param"], r["reps"], r["median_ns"], r["p99_ns"],
                        r["min_ns"], r["max_ns"], "%.1f" % r["ops_per_s"]])


def us(ns):
    return "%.1f" % (ns / 1000.0)


def table(rows):
    head = ["row", "param", "what", "reps", "median us", "p99 us", "min us", "max us", "ops/s"]
    body = [[r["name"], str(r["param"]), WHAT.get(r["name"], ""), str(r["reps"]),
             us(r["median_ns"]), us(r["p99_ns"]), us(r["min_ns"]), us(r["max_ns"]),
             "%.0f" % r["ops_per_s"]] for r in rows]
    width = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    left = {0, 2}

    def fmt(cells):
        return "  ".join(c.ljust(width[i]) if i in left else c.rjust(width[i])
                         for i, c in enumerate(cells)).rstrip()

    return "\n".join([fmt(head), fmt(["-" * w for w in width])] + [fmt(b) for b in body])


# --- a minimal raster, PNG writer and 5x7 font -----------------------------

# Each glyph: 7 rows of 5 columns, "#" set. Text is drawn in upper case.
FONT_SRC = {
    " ": ".....|.....|.....|.....|.....|.....|.....",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "3": "#####|...#.|..#..|...#.|....#|#...#|.###.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
    "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#",
    "B": "####.|#...#|#...#|####.|#...#|#...#|####.",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.",
    "D": "###..|#..#.|#...#|#...#|#...#|#..#.|###..",
    "E": "#####|#....|#....|####.|#....|#....|#####",
    "F": "#####|#....|#....|####.|#....|#....|#....",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.####",
    "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
    "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
    "L": "#....|#....|#....|#....|#....|#....|#####",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
    "N": "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
    "P": "####.|#...#|#...#|####.|#....|#....|#....",
    "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
    "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
    "S": ".####|#....|#....|.###.|....#|....#|####.",
    "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
    "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
    "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
    "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
    "Z": "#####|....#|...#.|..#..|.#...|#....|#####",
    ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
    ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
    "-": ".....|.....|.....|#####|.....|.....|.....",
    "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
    "/": ".....|....#|...#.|..#..|.#...|#....|.....",
    "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
    "%": "##...|##..#|...#.|..#..|.#...|#..##|...##",
    "=": ".....|.....|#####|.....|#####|.....|.....",
    "_": ".....|.....|.....|.....|.....|.....|#####",
    "<": "...#.|..#..|.#...|#....|.#...|..#..|...#.",
    ">": ".#...|..#..|...#.|....#|...#.|..#..|.#...",
    "'": "..#..|..#..|.#...|.....|.....|.....|.....",
    "*": ".....|..#..|#.#.#|.###.|#.#.#|..#..|.....",
    "#": ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.",
}
FONT = {c: [row for row in g.split("|")] for c, g in FONT_SRC.items()}

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (0, 0, 0), (110, 110, 110), (225, 225, 225)
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(WHITE * (w * h))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(c)

    def rect(self, x0, y0, x1, y1, c):
        for y in range(max(0, min(y0, y1)), min(self.h, max(y0, y1) + 1)):
            for x in range(max(0, min(x0, x1)), min(self.w, max(x0, x1) + 1)):
                i = 3 * (y * self.w + x)
                self.px[i:i + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, t=1):
        x0, y0, x1, y1 = int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, r = dx + dy, (t - 1) // 2
        while True:
            self.rect(x0 - r, y0 - r, x0 - r + t - 1, y0 - r + t - 1, c)
            if x0 == x1 and y0 == y1:
                break
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, c=BLACK, scale=2, anchor="left"):
        s = s.upper()
        w = self.text_width(s, scale)
        if anchor == "center":
            x -= w // 2
        elif anchor == "right":
            x -= w
        for ch in s:
            g = FONT.get(ch, FONT["*"])
            for gy, row in enumerate(g):
                for gx, bit in enumerate(row):
                    if bit == "#":
                        self.rect(x + gx * scale, y + gy * scale,
                                  x + gx * scale + scale - 1, y + gy * scale + scale - 1, c)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return max(0, len(s) * 6 * scale - scale)

    def png(self, path):
        raw = b"".join(b"\0" + bytes(self.px[3 * y * self.w:3 * (y + 1) * self.w])
                       for y in range(self.h))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


def fmt_num(v):
    if v >= 1e6:
        return "%gM" % (v / 1e6)
    if v >= 1e4:
        return "%gk" % (v / 1e3)
    return "%g" % v


def log_ticks(lo, hi):
    ticks, k = [], math.floor(math.log10(lo))
    while 10 ** k <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** k
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(v)
        k += 1
    return ticks


def lin_ticks(hi):
    step = 10 ** math.floor(math.log10(hi / 5)) if hi > 0 else 1
    for m in (1, 2, 5, 10):
        if hi / (step * m) <= 6:
            step *= m
            break
    return [i * step for i in range(int(hi / step) + 2)]


def panel(cv, box, title, xlabel, ylabel, xs, series, log=True):
    """One chart in box (x, y, w, h). series: (label, ys, lows, highs):
    ys are the medians, lows/highs the whiskers (or None). xs are drawn
    evenly spaced (the parameters are powers of two)."""
    x, y, w, h = box
    cv.text(x + w // 2, y, title, scale=2, anchor="center")
    cv.text(x + 8, y + 24, ylabel, GREY, scale=2)
    px0, px1, py0, py1 = x + 80, x + w - 15, y + 50, y + h - 60
    vals = [v for _, ys, lo, hi in series for v in ys + (lo or []) + (hi or []) if v > 0]
    if not vals or not xs:
        cv.text(x + w // 2, y + h // 2, "no data", anchor="center")
        return
    if log:
        lo_v = 10 ** math.floor(math.log10(min(vals)))
        hi_v = 10 ** math.ceil(math.log10(max(vals)))
        ticks = log_ticks(lo_v, hi_v)
        if len(ticks) > 9:
            ticks = [t for t in ticks if str(t).lstrip("0.")[0] in "15"]

        def ty(v):
            v = max(v, lo_v)
            return py1 - (math.log10(v) - math.log10(lo_v)) / \
                (math.log10(hi_v) - math.log10(lo_v)) * (py1 - py0)
    else:
        ticks = lin_ticks(max(vals) * 1.1)
        hi_v = ticks[-1]

        def ty(v):
            return py1 - v / hi_v * (py1 - py0)
    for t in ticks:
        yy = int(ty(t))
        cv.line(px0, yy, px1, yy, LIGHT)
        cv.text(px0 - 8, yy - 7, fmt_num(t), GREY, scale=2, anchor="right")
    n = len(xs)

    def tx(i):
        return px0 + 20 + i * (px1 - px0 - 40) / max(1, n - 1)
    for i, xv in enumerate(xs):
        cv.line(tx(i), py1, tx(i), py1 + 5, BLACK)
        cv.text(int(tx(i)), py1 + 10, str(xv), scale=2, anchor="center")
    cv.text(x + w // 2, py1 + 34, xlabel, GREY, scale=2, anchor="center")
    cv.line(px0, py0, px0, py1, BLACK, 2)
    cv.line(px0, py1, px1, py1, BLACK, 2)
    for k, (label, ys, lows, highs) in enumerate(series):
        c = COLOURS[k % len(COLOURS)]
        off = (k - (len(series) - 1) / 2) * 6
        if lows and highs:
            for i in range(n):
                xx = tx(i) + off
                cv.line(xx, ty(lows[i]), xx, ty(highs[i]), c, 1)
                cv.line(xx - 3, ty(lows[i]), xx + 3, ty(lows[i]), c, 1)
                cv.line(xx - 3, ty(highs[i]), xx + 3, ty(highs[i]), c, 1)
        for i in range(n - 1):
            cv.line(tx(i) + off, ty(ys[i]), tx(i + 1) + off, ty(ys[i + 1]), c, 3)
        for i in range(n):
            xx, yy = int(tx(i) + off), int(ty(ys[i]))
            cv.rect(xx - 4, yy - 4, xx + 4, yy + 4, c)
        ly = py0 + 4 + 22 * k
        cv.rect(px0 + 14, ly + 2, px0 + 34, ly + 10, c)
        cv.text(px0 + 42, ly, label, c, scale=2)


def plot(rows, path, subtitle):
    by = {(r["name"], r["param"]): r for r in rows}

    def params(name):
        return sorted(p for (n, p) in by if n == name)

    def reps(*names):
        n = sorted({by[k]["reps"] for k in by if k[0] in names})
        if not n:
            return ""
        return ", %d reps" % n[0] if len(n) == 1 else ", %d..%d reps" % (n[0], n[-1])

    def lat(name, ps):
        rs = [by[(name, p)] for p in ps]
        return ([r["median_ns"] / 1e3 for r in rs], [r["min_ns"] / 1e3 for r in rs],
                [r["p99_ns"] / 1e3 for r in rs])

    cv = Canvas(1560, 560)
    cv.text(780, 10, "SVA core through mock_iommu: median, whiskers min..p99", scale=3,
            anchor="center")
    cv.text(780, 42, subtitle, GREY, scale=2, anchor="center")
    ps = params("inst_bind")
    panel(cv, (10, 80, 510, 470), "one mm, K instances" + reps("inst_bind", "inst_unbind"), "K (instances bound)",
          "latency, us (log)", ps,
          [("bind K-th",) + lat("inst_bind", ps), ("unbind K-th",) + lat("inst_unbind", ps)])
    ps = params("mm_bind")
    panel(cv, (530, 80, 510, 470), "N mms, one device" + reps("mm_bind", "mm_unbind"), "N (mms bound)",
          "latency, us (log)", ps,
          [("bind",) + lat("mm_bind", ps), ("unbind",) + lat("mm_unbind", ps)])
    ps = params("thr_cycle")
    thr = [by[("thr_cycle", p)]["ops_per_s"] for p in ps]
    panel(cv, (1050, 80, 500, 470), "T threads, one pair" + reps("thr_cycle"), "T (threads)",
          "bind+unbind cycles/s, all threads", ps,
          [("throughput", thr, None, None)], log=False)
    cv.png(path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py <results-dir>")
    run = sys.argv[1]
    rows, info = [], []
    for tap in sorted(glob.glob(os.path.join(run, "guest", "tests", "*.tap"))):
        with open(tap, encoding="utf-8", errors="replace") as f:
            r, i = parse_tap(f.read())
        rows += r
        info += i
    if not rows:
        sys.exit("bench: no BENCH lines in %s/guest/tests/*.tap" % run)
    csv_path = os.path.join(run, "bench.csv")
    png_path = os.path.join(run, "bench.png")
    write_csv(csv_path, rows)
    text = "\n".join(["# " + i for i in info] + [table(rows)])
    with open(os.path.join(run, "bench.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(text)
    kernel = next((i.split("kernel ", 1)[1].split(",")[0] for i in info if "kernel " in i), "?")
    plot(rows, png_path, "kernel %s, %s" % (kernel, os.path.basename(run.rstrip("/"))))
    print("bench: csv %s" % csv_path)
    print("bench: png %s" % png_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
