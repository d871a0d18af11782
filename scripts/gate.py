#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Patch gate: run the suite on a kernel tree as it is and with a series
applied, and report what the series changed.

usage: gate.py --ksrc DIR --patches SERIES [--report DIR] [--expect FILE]

SERIES is an mbox or patch file, a directory of *.patch files (applied in
name order) or, for a git tree, a revision range. Both kernels are built in
one work tree and one build directory next to it, one after the other, so
the patched build is incremental and the next gate of the same tree is
too; the build directory sits inside the work tree, which makes kbuild use
relative paths and lets ccache share objects between trees.

Verdicts: "pass", "regression" (a test newly failing, including the
kernel_splats and kmemleak checks), "does not apply", "does not build",
"baseline broken". A case that fails on the patched kernel but passes on
the baseline is run again once; failing once only, it is reported as
flaky and does not fail the gate.
"""
import argparse
import datetime
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.environ.get("SVA_CACHE") or os.environ.get("CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sva-kselftest")
FRAGMENTS = [os.path.join(REPO, "kconfig/vm.config"), os.path.join(REPO, "config")]


def log(msg):
    print("gate: " + msg, flush=True)


def run(cmd, logfile=None, cwd=None, check=True):
    """Run a command, its output to @logfile (appended) or through."""
    if logfile:
        with open(logfile, "a") as f:
            f.write("$ %s\n" % " ".join(cmd))
            f.flush()
            r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    else:
        r = subprocess.run(cmd, cwd=cwd)
    if check and r.returncode:
        raise subprocess.CalledProcessError(r.returncode, cmd)
    return r.returncode


def is_git(path):
    return subprocess.run(["git", "-C", path, "rev-parse", "--git-dir"],
                          capture_output=True).returncode == 0


def state_get(key):
    state = os.path.join(CACHE, "state")
    if os.path.exists(state):
        for line in open(state):
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip()
    return None


class WorkTree:
    """Where the gate patches and builds.

    A git tree gets a private worktree with its build directory inside (so
    kbuild uses relative paths and ccache can share objects with other
    worktrees). Any other tree (Debian's linux-source) is patched in place,
    with a backup of every file the series touches, and built in its own
    build directory: for the tree make setup recorded, that is the setup
    build, so the baseline build has nothing to do and the patched one
    recompiles only what the series changed.
    """

    def __init__(self, ksrc, outdir):
        self.ksrc = os.path.realpath(ksrc)
        self.git = is_git(self.ksrc)
        self.backup = os.path.join(outdir, "backup")
        self.saved = []
        if self.git:
            name = re.sub(r"[^A-Za-z0-9._+-]", "_", os.path.basename(self.ksrc))
            self.tree = os.path.join(CACHE, "gate", name, "tree")
            self.build = os.path.join(self.tree, ".sva-build")
        else:
            self.tree = self.ksrc
            setup_src = state_get("KSRC")
            same = setup_src and os.path.realpath(setup_src) == self.ksrc
            self.build = state_get("KDIR") if same else os.path.join(self.tree, ".sva-build")

    def prepare(self):
        if not self.git:
            log("patching %s in place (backups in %s), building in %s" %
                (self.tree, self.backup, self.build))
            return
        head = subprocess.run(["git", "-C", self.ksrc, "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        if not os.path.isdir(self.tree):
            os.makedirs(os.path.dirname(self.tree), exist_ok=True)
            run(["git", "-C", self.ksrc, "worktree", "add", "--detach", self.tree, head])
        else:
            run(["git", "-C", self.tree, "checkout", "-q", "--detach", head])
        self.restore()
        log("work tree %s at %s" % (self.tree, head[:12]))

    def save(self, files):
        """Back up @files (relative paths) before the series touches them."""
        if self.git:
            return
        for rel in files:
            src, dst = os.path.join(self.tree, rel), os.path.join(self.backup, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(src):
                shutil.copy2(src, dst)
            self.saved.append(rel)

    def restore(self):
        """Put the tree back to the baseline."""
        if self.git:
            run(["git", "-C", self.tree, "reset", "-q", "--hard"])
            run(["git", "-C", self.tree, "clean", "-q", "-fd"])
            return
        for rel in self.saved:
            src, dst = os.path.join(self.backup, rel), os.path.join(self.tree, rel)
            if os.path.lexists(dst):
                os.unlink(dst)
            if os.path.exists(src):
                shutil.copy2(src, dst)
                # Newer than the objects built from the patched version
                os.utime(dst)
            for leftover in (dst + ".orig", dst + ".rej"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
        self.saved = []


def series_files(patches, ksrc, outdir):
    """The series as a list of patch files, in order."""
    if os.path.isdir(patches):
        files = sorted(glob.glob(os.path.join(patches, "*.patch")) +
                       glob.glob(os.path.join(patches, "*.diff")))
        if not files:
            raise SystemExit("gate: no *.patch in %s" % patches)
        return files
    if os.path.isfile(patches):
        return [os.path.abspath(patches)]
    if is_git(ksrc):
        mbox = os.path.join(outdir, "series.mbox")
        with open(mbox, "w") as f:
            r = subprocess.run(["git", "-C", ksrc, "format-patch", "--stdout", patches],
                               stdout=f)
        if r.returncode == 0 and os.path.getsize(mbox):
            return [mbox]
    raise SystemExit("gate: PATCHES=%s is no file, directory or revision range" % patches)


def touched_files(patch_files):
    files = set()
    for p in patch_files:
        with open(p, errors="replace") as f:
            for line in f:
                m = re.match(r"^(?:\+\+\+|---) [ab]/(\S+)", line)
                if m:
                    files.add(m.group(1))
    return sorted(files)


def apply_series(wt, patch_files, logfile):
    for p in patch_files:
        if run(["patch", "-p1", "--forward", "--batch", "--dry-run", "-i", p],
               logfile, cwd=wt.tree, check=False):
            return os.path.basename(p)
        run(["patch", "-p1", "--forward", "--batch", "-i", p], logfile, cwd=wt.tree)
    return None


def build(wt, logfile):
    env = dict(os.environ, CCACHE="1", CCACHE_DIR=os.path.join(CACHE, "ccache"))
    with open(logfile, "a") as f:
        r = subprocess.run([os.path.join(HERE, "build-kernel.sh"), wt.tree, wt.build] +
                           FRAGMENTS, stdout=f, stderr=subprocess.STDOUT, env=env)
    return r.returncode == 0


def make_on(wt, target, logfile):
    """make <target> of this repo on the work tree's kernel; (status, output)."""
    cmd = ["make", "-C", REPO, target, "KSRC=" + wt.tree, "KDIR=" + wt.build,
           "BOOT=" + (os.environ.get("BOOT") or "initramfs")]
    with open(logfile, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        f.write(p.stdout)
    return p.returncode, p.stdout


def check(wt, label, logfile):
    """make check on the work tree's kernel; returns the results directory."""
    _, out = make_on(wt, "check", logfile)
    m = re.findall(r"results in (\S+)", out)
    summary = [ln for ln in out.splitlines() if re.search(r"\d+ passed, \d+ failed", ln)]
    log("%s: %s" % (label, summary[-1] if summary else "no summary (see %s)" % logfile))
    if not m:
        raise SystemExit("gate: make check printed no results directory (see %s)" % logfile)
    return m[0]


def bench(wt, label, logfile):
    """make bench on the work tree's kernel; returns the CSV path or None."""
    status, out = make_on(wt, "bench", logfile)
    m = re.findall(r"^bench: csv (\S+)", out, re.M)
    csv = m[-1] if m and status == 0 else None
    log("%s benchmark: %s" % (label, csv or "failed"))
    return csv


def bench_compare(base_csv, patched_csv, outdir):
    """bench/compare.py of the two runs, as Markdown lines."""
    if not base_csv or not patched_csv:
        return ["### Benchmark", "", "The benchmark did not run on both kernels.", ""]
    # Minima: under TCG the medians of two runs of one kernel differ by up
    # to 3x, the minima by up to 1.27x (measured on a comment-only series).
    threshold = os.environ.get("BENCH_THRESHOLD") or "1.5"
    p = subprocess.run([os.path.join(REPO, "bench", "compare.py"), base_csv, patched_csv,
                        "--labels", "baseline,patched", "--metric", "min",
                        "--threshold", threshold],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(outdir, "bench-compare.txt"), "w") as f:
        f.write(p.stdout)
    slower = len(re.findall(r"\bSLOWER\b", p.stdout))
    return ["### Benchmark (baseline and patched, side by side)", "",
            "%d rows flagged SLOWER: minimum latency more than %sx the baseline's. "
            "Under TCG even minima move up to 1.27x between runs of one kernel; "
            "medians far more (see the spread)." % (slower, threshold),
            "", "```", p.stdout.rstrip(), "```", ""]


def cases(results):
    """{(program, case): (status, message)} from a run's JUnit file."""
    out = {}
    root = ET.parse(os.path.join(results, "junit.xml")).getroot()
    for tc in root.iter("testcase"):
        key = (tc.get("classname"), tc.get("name"))
        fail = tc.find("failure")
        if fail is None:
            fail = tc.find("error")
        if fail is not None:
            out[key] = ("fail", fail.get("message") or "")
        elif tc.find("skipped") is not None:
            out[key] = ("skip", tc.find("skipped").get("message") or "")
        else:
            out[key] = ("pass", "")
    return out


def compare(base, patched, rerun=None):
    rows = {"newly failing": [], "newly passing": [], "still failing": [],
            "flaky": [], "gone": [], "new": []}
    for key in sorted(set(base) | set(patched)):
        b, p = base.get(key), patched.get(key)
        if p is None:
            rows["gone"].append((key, b[1]))
        elif b is None:
            rows["new" if p[0] != "fail" else "newly failing"].append((key, p[1]))
        elif p[0] == "fail" and b[0] != "fail":
            if rerun is not None and rerun.get(key, ("fail",))[0] != "fail":
                rows["flaky"].append((key, p[1]))
            else:
                rows["newly failing"].append((key, p[1]))
        elif p[0] == "fail":
            rows["still failing"].append((key, p[1]))
        elif b[0] == "fail":
            rows["newly passing"].append((key, ""))
    still_passing = sum(1 for k, v in patched.items() if v[0] == "pass" and
                        base.get(k, ("",))[0] == "pass")
    return rows, still_passing


def name(key):
    return "%s: %s" % key if key[0] != key[1] else key[0]


def write_reports(outdir, title, verdict, detail, rows, still_passing, runs, extra=()):
    md = ["## SVA gate: %s" % title, "", "**Verdict: %s**" % verdict, ""]
    if detail:
        md += [detail, ""]
    if rows is not None:
        md += ["| | cases |", "| --- | --- |", "| still passing | %d |" % still_passing]
        for k in ("newly failing", "flaky", "still failing", "newly passing", "new", "gone"):
            md.append("| %s | %d |" % (k, len(rows[k])))
        md.append("")
        for k in ("newly failing", "flaky", "still failing", "newly passing"):
            if rows[k]:
                md.append("### %s" % k)
                md += ["- `%s`%s" % (name(key), " — " + msg if msg else "")
                       for key, msg in rows[k]]
                md.append("")
    md += list(extra)
    md += ["Results: " + ", ".join("%s `%s`" % r for r in runs), ""]
    with open(os.path.join(outdir, "gate.md"), "w") as f:
        f.write("\n".join(md))

    suite = ET.Element("testsuite", name="sva-gate")
    n = fails = 0
    if rows is None:
        tc = ET.SubElement(suite, "testcase", classname="gate", name=title)
        ET.SubElement(tc, "failure", message=verdict + (": " + detail if detail else ""))
        n, fails = 1, 1
    else:
        for k in ("newly failing", "flaky", "still failing", "newly passing", "new"):
            for key, msg in rows[k]:
                tc = ET.SubElement(suite, "testcase", classname=key[0], name=key[1])
                n += 1
                if k == "newly failing":
                    ET.SubElement(tc, "failure", message="newly failing: " + msg)
                    fails += 1
                elif k in ("flaky", "still failing"):
                    ET.SubElement(tc, "skipped", message=k + (": " + msg if msg else ""))
    suite.set("tests", str(n))
    suite.set("failures", str(fails))
    ET.ElementTree(suite).write(os.path.join(outdir, "gate.xml"), encoding="utf-8",
                                xml_declaration=True)


def gate(ksrc, patches, outdir, baseline=None, with_bench=False, rerun_failures=True):
    """Returns (verdict, rows, baseline results dir)."""
    os.makedirs(outdir, exist_ok=True)
    logfile = os.path.join(outdir, "gate.log")
    wt = WorkTree(ksrc, outdir)
    wt.prepare()
    files = series_files(patches, ksrc, outdir)
    title = ", ".join(os.path.basename(f) for f in files)
    touched = touched_files(files)
    runs = []
    extra = []
    base_csv = None

    def finish(verdict, detail="", rows=None, still=0):
        write_reports(outdir, title, verdict, detail, rows, still, runs, extra)
        log("%s: %s%s" % (title, verdict, " (%s)" % detail if detail else ""))
        log("report %s" % os.path.join(outdir, "gate.md"))
        return verdict, rows, baseline

    if baseline is None:
        log("building the baseline kernel")
        if not build(wt, logfile):
            return finish("baseline broken", "the unpatched tree does not build (%s)" % logfile)
        baseline = check(wt, "baseline", logfile)
        if with_bench:
            base_csv = bench(wt, "baseline", logfile)
    runs.append(("baseline", baseline))
    base = cases(baseline)
    wt.save(touched)
    try:
        bad = apply_series(wt, files, logfile)
        if bad:
            return finish("does not apply", "%s does not apply (%s)" % (bad, logfile))
        log("building the patched kernel (incremental)")
        if not build(wt, logfile):
            tail = open(logfile, errors="replace").read().splitlines()[-15:]
            return finish("does not build", "\n\n```\n%s\n```" % "\n".join(tail))
        first = check(wt, "patched", logfile)
        runs.append(("patched", first))
        patched = cases(first)
        rows, _ = compare(base, patched)
        rerun = None
        if rows["newly failing"] and rerun_failures:
            log("new failures: running the patched kernel once more")
            second = check(wt, "patched, again", logfile)
            runs.append(("patched again", second))
            rerun = cases(second)
        rows, still = compare(base, patched, rerun)
        if with_bench:
            extra += bench_compare(base_csv, bench(wt, "patched", logfile), outdir)
    finally:
        wt.restore()
    return finish("regression" if rows["newly failing"] else "pass", "", rows, still)


def expectations(patch):
    """The "Expect:" regexes of a regression patch's header."""
    out = []
    with open(patch, errors="replace") as f:
        for line in f:
            if line.startswith("---"):
                break
            if line.startswith("Expect:"):
                out.append(re.compile(line.split(":", 1)[1].strip()))
    return out


def regressions(ksrc, directory, outdir, only=None):
    """Replay every regression patch; each must make the gate fail on the
    cases its header names, and the clean tree must pass."""
    patches = sorted(glob.glob(os.path.join(directory, "*.patch")))
    if only:
        patches = [p for p in patches if any(os.path.basename(p).startswith(o) for o in only)]
    results, baseline = [], None
    for patch in patches:
        label = os.path.basename(patch)[:-len(".patch")]
        # A replayed bug is expected to fail: no second run to tell flakes
        verdict, rows, baseline = gate(ksrc, patch, os.path.join(outdir, label), baseline,
                                       rerun_failures=False)
        if baseline is not None and not results:
            base = cases(baseline)
            bad = [name(k) for k, v in base.items() if v[0] == "fail"]
            results.append(("clean tree", not bad, "passes" if not bad else
                            "fails: " + ", ".join(bad)))
        want = expectations(patch)
        failing = [name(k) for k, _ in (rows or {}).get("newly failing", [])]
        missed = [w.pattern for w in want if not any(w.fullmatch(f) for f in failing)]
        caught = verdict == "regression" and not missed
        shown = ", ".join(failing[:6]) + (" and %d more" % (len(failing) - 6)
                                          if len(failing) > 6 else "")
        why = "%s; %d newly failing: %s" % (verdict, len(failing), shown or "none")
        if missed:
            why += "; expected but not failing: " + ", ".join(missed)
        results.append((label, caught, why))
    md = ["## SVA regression replay", "", "| regression | caught | gate (full lists in "
          "each regression's gate.md) |", "| --- | --- | --- |"]
    md += ["| %s | %s | %s |" % (label, "yes" if ok else "**NO**", why)
           for label, ok, why in results]
    with open(os.path.join(outdir, "regressions.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    ok = sum(1 for r in results if r[1])
    print("regressions: %d passed, %d failed, 0 skipped" % (ok, len(results) - ok))
    return ok == len(results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ksrc", help="kernel tree (default: the one of make setup)")
    ap.add_argument("--patches", help="the series to gate")
    ap.add_argument("--regressions", help="replay the regression patches of this directory")
    ap.add_argument("--only", nargs="*", help="with --regressions: these patch numbers only")
    ap.add_argument("--report", help="report directory (default: under the cache)")
    ap.add_argument("--bench", action="store_true",
                    help="also run the benchmark on both kernels and report the ratios")
    args = ap.parse_args()
    if not args.ksrc:
        args.ksrc = state_get("KSRC")
        if not args.ksrc:
            ap.error("no kernel tree: pass KSRC=<tree> or run make setup first")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = args.report or os.path.join(CACHE, "gate", "reports", stamp)
    os.makedirs(outdir, exist_ok=True)
    if not args.patches and not args.regressions:
        ap.error("--patches or --regressions is required")
    try:
        if args.regressions:
            ok = regressions(args.ksrc, args.regressions, outdir, args.only)
        else:
            verdict, _, _ = gate(args.ksrc, args.patches, outdir, with_bench=args.bench)
            print(open(os.path.join(outdir, "gate.md")).read())
            ok = verdict == "pass"
    finally:
        wt = WorkTree(args.ksrc, outdir)
        if not wt.git:
            # The tree is back to the baseline: so must the kernel be
            log("rebuilding the baseline kernel in %s" % wt.build)
            build(wt, os.path.join(outdir, "rebuild.log"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
