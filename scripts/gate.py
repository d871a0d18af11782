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

The patched kernel is built and tested in a private mount namespace
(unshare -m) where an overlay covers the kernel tree and its build
directory at their own paths: the build is incremental from the baseline's
objects, and the tree on disk is never written. A gate that is killed at
any point leaves nothing patched behind: its mounts die with it.

Verdicts: "pass", "regression", "does not apply", "does not build",
"baseline broken" (the unpatched tree does not build). A regression is a
case that fails on the patched kernel and not on the baseline (splats and
leaks are cases of their own, one per fingerprint, so one splat on the
baseline hides no other), or one that passed on the baseline and skips on
the patched kernel. A baseline with failures is reported with its failures
listed, and the verdict is still about what is new.

Flake policy: a newly failing test case is run again RERUNS times (default
3); it is excused as flaky only when it failed in the first run alone and
every rerun passed it. Splats, leaks, panics, hangs, timeouts, the kernel
configuration and the module's load and unload are never excused.
"""
import argparse
import concurrent.futures
import ctypes
import datetime
import json
import signal
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
RERUNS = int(os.environ.get("RERUNS") or 3)
# Cases no rerun can excuse: what the kernel or the guest did, not a test.
NEVER_FLAKY = ("kernel_splats", "kmemleak", "guest_complete", "module_load", "module_unload",
               "kernel_config", "build")


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
    """Where the gate builds.

    A git tree gets a private worktree with its build directory inside (so
    kbuild uses relative paths and ccache can share objects with other
    worktrees). Any other tree (Debian's linux-source) is used where it is,
    with its build directory: for the tree make setup recorded, that is the
    setup build, so the baseline build has nothing to do. Either way the
    series is applied only inside patched_phase()'s private overlay.
    """

    def __init__(self, ksrc):
        self.ksrc = os.path.realpath(ksrc)
        self.git = is_git(self.ksrc)
        if self.git:
            name = re.sub(r"[^A-Za-z0-9._+-]", "_", os.path.basename(self.ksrc))
            self.tree = os.path.join(CACHE, "gate", name, "tree")
            self.build = os.path.join(self.tree, ".sva-build")
        else:
            self.tree = self.ksrc
            setup_src = state_get("KSRC")
            same = setup_src and os.path.realpath(setup_src) == self.ksrc
            self.build = state_get("KDIR") if same else os.path.join(self.tree, ".sva-build")
        self.build = os.path.realpath(self.build)

    def prepare(self):
        if not self.git:
            log("baseline: %s, built in %s" % (self.tree, self.build))
            return
        head = subprocess.run(["git", "-C", self.ksrc, "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        if not os.path.isdir(self.tree):
            os.makedirs(os.path.dirname(self.tree), exist_ok=True)
            run(["git", "-C", self.ksrc, "worktree", "add", "--detach", self.tree, head])
        else:
            run(["git", "-C", self.tree, "checkout", "-q", "--detach", head])
        run(["git", "-C", self.tree, "reset", "-q", "--hard"])
        run(["git", "-C", self.tree, "clean", "-q", "-fd", "-e", ".sva-build"])
        log("work tree %s at %s" % (self.tree, head[:12]))

    def overlays(self):
        """The directories the patched phase covers with an overlay."""
        inside = self.build == self.tree or self.build.startswith(self.tree + os.sep)
        return [self.tree] if inside else [self.tree, self.build]


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


def apply_series(wt, patch_files, logfile):
    for p in patch_files:
        if run(["patch", "-p1", "--forward", "--batch", "--dry-run", "-i", p],
               logfile, cwd=wt.tree, check=False):
            return os.path.basename(p)
        run(["patch", "-p1", "--forward", "--batch", "-i", p], logfile, cwd=wt.tree)
    return None


def build(wt, logfile, patched=False):
    env = dict(os.environ, CCACHE="1", CCACHE_DIR=os.path.join(CACHE, "ccache"))
    if patched:
        # A lost symbol is the verdict's kernel_config case, named there
        env["ALLOW_CONFIG_LOSS"] = "1"
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


def flake_eligible(key):
    return key[0] not in NEVER_FLAKY and key[0] != key[1]


def compare(base, runs, max_reruns=None):
    """Rows of the report from the baseline's cases and the patched runs'
    (the first run, then its reruns). With max_reruns 0 nothing is excused."""
    max_reruns = RERUNS if max_reruns is None else max_reruns
    rows = {"newly failing": [], "newly skipping": [], "newly passing": [], "still failing": [],
            "flaky": [], "gone": [], "new": []}
    patched = runs[0]
    reruns = runs[1:]
    keys = set(base)
    for r in runs:
        keys |= set(r)
    for key in sorted(keys):
        b, p = base.get(key), patched.get(key)
        fails = [i for i, r in enumerate(runs) if r.get(key, ("",))[0] == "fail"]
        msg = next((runs[i][key][1] for i in fails), "") if fails else (p or ("", ""))[1]
        if b is not None and b[0] == "fail":
            if p is not None and p[0] == "fail":
                rows["still failing"].append((key, msg))
            elif p is not None:
                rows["newly passing"].append((key, ""))
            else:
                rows["gone"].append((key, b[1]))
        elif fails:
            if flake_eligible(key) and fails == [0] and max_reruns > 0 and \
                    len(reruns) >= max_reruns:
                rows["flaky"].append((key, "%s (passed %d reruns)" % (msg, len(reruns))))
            else:
                if len(runs) > 1:
                    msg += " (failed in %d of %d runs)" % (len(fails), len(runs))
                rows["newly failing"].append((key, msg))
        elif p is None:
            if b is not None:
                rows["gone"].append((key, b[1]))
        elif b is None:
            rows["new"].append((key, p[1]))
        elif b[0] == "pass" and p[0] == "skip":
            rows["newly skipping"].append((key, p[1]))
    still_passing = sum(1 for k, v in patched.items() if v[0] == "pass" and
                        base.get(k, ("",))[0] == "pass")
    return rows, still_passing


def needs_rerun(base, runs, max_reruns):
    """Whether another run could still excuse a newly failing case."""
    rows, _ = compare(base, runs, max_reruns)
    if len(runs) > max_reruns:
        return False
    for key, _ in rows["newly failing"]:
        fails = [i for i, r in enumerate(runs) if r.get(key, ("",))[0] == "fail"]
        if flake_eligible(key) and fails == [0]:
            return True
    return False


def name(key):
    return "%s: %s" % key if key[0] != key[1] else key[0]


REGRESSIONS = ("newly failing", "newly skipping")


def write_reports(outdir, title, verdict, detail, rows, still_passing, runs, extra=(),
                  base_failures=()):
    md = ["## SVA gate: %s" % title, "", "**Verdict: %s**" % verdict, ""]
    if detail:
        md += [detail, ""]
    if base_failures:
        md += ["### The baseline is broken: %d case(s) fail without the series" % len(base_failures),
               "", "The verdict is about what the series changes; these fail on the "
               "baseline:", ""]
        md += ["- `%s`%s" % (name(key), " — " + msg if msg else "") for key, msg in base_failures]
        md.append("")
    if rows is not None:
        md += ["| | cases |", "| --- | --- |", "| still passing | %d |" % still_passing]
        for k in ("newly failing", "newly skipping", "flaky", "still failing", "newly passing",
                  "new", "gone"):
            md.append("| %s | %d |" % (k, len(rows[k])))
        md.append("")
        for k in ("newly failing", "newly skipping", "flaky", "still failing", "newly passing",
                  "gone"):
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
        for k in ("newly failing", "newly skipping", "flaky", "still failing", "newly passing",
                  "new"):
            for key, msg in rows[k]:
                tc = ET.SubElement(suite, "testcase", classname=key[0], name=key[1])
                n += 1
                if k in REGRESSIONS:
                    ET.SubElement(tc, "failure", message=k + ": " + msg)
                    fails += 1
                elif k in ("flaky", "still failing"):
                    ET.SubElement(tc, "skipped", message=k + (": " + msg if msg else ""))
    suite.set("tests", str(n))
    suite.set("failures", str(fails))
    ET.ElementTree(suite).write(os.path.join(outdir, "gate.xml"), encoding="utf-8",
                                xml_declaration=True)


def die_with_parent():
    """The patched phase ends when the gate does (prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def patched_phase(wt, files, outdir, logfile, base, with_bench, reruns, tests=None):
    """Apply, build and test the series in a private mount namespace where
    overlays cover the tree and the build directory; returns its outcome as
    a dict. Nothing it does reaches the disk outside its own upper
    directories (under @outdir, removed at the end) and the results
    directories of make check."""
    spec = os.path.join(outdir, "patched-spec.json")
    result = os.path.join(outdir, "patched.json")
    with open(spec, "w") as f:
        json.dump({"tree": wt.tree, "build": wt.build, "overlays": wt.overlays(),
                   "files": files, "outdir": outdir, "logfile": logfile,
                   "base": {"\x1f".join(k): v for k, v in base.items()},
                   "bench": with_bench, "reruns": reruns, "tests": tests}, f)
    if os.path.exists(result):
        os.unlink(result)
    cmd = ["unshare", "--mount", "--propagation", "private", sys.executable,
           os.path.abspath(__file__), "--patched-phase", spec]
    proc = subprocess.Popen(cmd, preexec_fn=die_with_parent)
    try:
        proc.wait()
    except BaseException:
        proc.terminate()
        proc.wait()
        raise
    finally:
        shutil.rmtree(os.path.join(outdir, "overlay"), ignore_errors=True)
    if not os.path.exists(result):
        return {"status": "error", "detail": "the patched phase ended with %d and no result (%s)"
                % (proc.returncode, logfile)}
    with open(result) as f:
        return json.load(f)


def kill_descendants(sig):
    """Signal every process below this one (QEMU runs under timeout(1),
    which moves to a process group of its own)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    todo, seen = [os.getpid()], []
    while todo:
        for c in children.get(todo.pop(), []):
            seen.append(c)
            todo.append(c)
    for pid in seen:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def patched_phase_inner(spec_path):
    """Runs as root in a new mount namespace (see patched_phase())."""
    with open(spec_path) as f:
        spec = json.load(f)
    die_with_parent()

    def stop(*_):
        # Our children (make check, QEMU) go when we go.
        kill_descendants(signal.SIGKILL)
        os._exit(143)
    signal.signal(signal.SIGTERM, stop)
    outdir, logfile = spec["outdir"], spec["logfile"]
    out = {"status": "ok", "runs": []}

    def done(**kw):
        out.update(kw)
        tmp = os.path.join(outdir, "patched.json.tmp")
        with open(tmp, "w") as f:
            json.dump(out, f)
        os.rename(tmp, os.path.join(outdir, "patched.json"))
        return 0

    for n, d in enumerate(spec["overlays"]):
        top = os.path.join(outdir, "overlay", str(n))
        for sub in ("upper", "work"):
            os.makedirs(os.path.join(top, sub), exist_ok=True)
        run(["mount", "-t", "overlay", "overlay", "-o",
             "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (d, top, top), d], logfile)
    wt = argparse.Namespace(tree=spec["tree"], build=spec["build"])
    bad = apply_series(wt, spec["files"], logfile)
    if bad:
        return done(status="does not apply", detail="%s does not apply (%s)" % (bad, logfile))
    log("building the patched kernel (incremental, in a private overlay)")
    if not build(wt, logfile, patched=True):
        tail = open(logfile, errors="replace").read().splitlines()[-15:]
        return done(status="does not build", detail="\n\n```\n%s\n```" % "\n".join(tail))
    base = {tuple(k.split("\x1f", 1)): tuple(v) for k, v in spec["base"].items()}
    if spec.get("tests"):
        # Only these programs run; the baseline's others are "gone"
        os.environ["TESTS"] = spec["tests"]
    runs = [check(wt, "patched", logfile)]
    while needs_rerun(base, [cases(r) for r in runs], spec["reruns"]):
        log("new failures that reruns might excuse: rerun %d of %d" % (len(runs), spec["reruns"]))
        runs.append(check(wt, "patched, rerun %d" % len(runs), logfile))
    if spec["bench"]:
        out["bench"] = bench(wt, "patched", logfile)
    return done(runs=runs)


def hunks(patch_files):
    """(file, first line, last line) of the original side of every hunk."""
    out, path = [], None
    for p in patch_files:
        with open(p, errors="replace") as f:
            for line in f:
                m = re.match(r"^--- a/(\S+)", line)
                if m:
                    path = m.group(1)
                m = re.match(r"^@@ -(\d+)(?:,(\d+))? ", line)
                if m and path:
                    first, n = int(m.group(1)), int(m.group(2) or 1)
                    out.append((path, first, first + max(n, 1) - 1))
    return out


def lcov_lines(info):
    """{source path suffix: {line: hits}} of an lcov tracefile."""
    out, cur = {}, None
    for line in open(info, errors="replace"):
        if line.startswith("SF:"):
            cur = out.setdefault(line[3:].strip(), {})
        elif line.startswith("DA:") and cur is not None:
            n, hits = line[3:].split(",")[:2]
            cur[int(n)] = int(hits)
    return out


def mutation_results():
    """Every cached mutant result that says where it was."""
    out = []
    for path in glob.glob(os.path.join(CACHE, "mutate", "*", "*.json")):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(r, dict) and "file" in r:
            out.append(r)
    return out


def hunk_notes(patch_files):
    """Markdown: how well the suite tests the lines each hunk touches, from
    the coverage flavour's tracefile (make coverage) and make mutate's
    results, where they exist."""
    info = os.path.join(CACHE, "coverage", "latest", "coverage.info")
    cov = lcov_lines(info) if os.path.exists(info) else None
    muts = mutation_results()
    md = ["### How well the suite tests what the series touches", ""]
    if cov is None and not muts:
        return md + ["No coverage tracefile (`make coverage`) and no mutation results "
                     "(`make mutate`) yet.", ""]
    md += ["| hunk | lines run by the suite | mutants killed | note |", "| --- | --- | --- | --- |"]
    for path, first, last in hunks(patch_files):
        covered = "no tracefile"
        note = ""
        if cov is not None:
            src = next((v for k, v in cov.items() if k.endswith("/" + path)), None)
            if src is None:
                covered = "not instrumented"
            else:
                lines = [n for n in src if first <= n <= last]
                hit = [n for n in lines if src[n] > 0]
                covered = "%d of %d" % (len(hit), len(lines))
                if lines and not hit:
                    note = "**no test runs these lines**"
        here = [r for r in muts if r["file"] == path and first <= r["line"] <= last
                and r["status"] in ("killed", "survived")]
        killed = sum(r["status"] == "killed" for r in here)
        score = "%d of %d" % (killed, len(here)) if here else "none known"
        if here and killed < len(here):
            note += (" " if note else "") + "%d surviving mutant(s)" % (len(here) - killed)
        md.append("| %s:%d-%d | %s | %s | %s |" % (path, first, last, covered, score, note))
    return md + [""]


def gate(ksrc, patches, outdir, baseline=None, with_bench=False, reruns=None, prepare=True,
         tests=None):
    """Returns (verdict, rows, baseline results dir)."""
    os.makedirs(outdir, exist_ok=True)
    logfile = os.path.join(outdir, "gate.log")
    wt = WorkTree(ksrc)
    if prepare:
        wt.prepare()
    files = series_files(patches, ksrc, outdir)
    title = ", ".join(os.path.basename(f) for f in files)
    runs = []
    extra = []
    base_csv = None
    base_failures = []

    def finish(verdict, detail="", rows=None, still=0):
        write_reports(outdir, title, verdict, detail, rows, still, runs, extra, base_failures)
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
    base_failures = [(k, v[1]) for k, v in sorted(base.items()) if v[0] == "fail"]
    if base_failures:
        log("the baseline has %d failing case(s): reported; only what is new counts"
            % len(base_failures))
    reruns = RERUNS if reruns is None else reruns
    res = patched_phase(wt, files, outdir, logfile, base, with_bench, reruns, tests)
    if res["status"] != "ok":
        return finish(res["status"], res.get("detail", ""))
    for i, r in enumerate(res["runs"]):
        runs.append(("patched" if i == 0 else "patched rerun %d" % i, r))
    rows, still = compare(base, [cases(r) for r in res["runs"]], reruns)
    if with_bench:
        extra += bench_compare(base_csv, res.get("bench"), outdir)
    extra += hunk_notes(files)
    verdict = "regression" if any(rows[k] for k in REGRESSIONS) else "pass"
    if base_failures:
        verdict += " (baseline broken: %d failing)" % len(base_failures)
    return finish(verdict, "", rows, still)


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


def header(patch, key):
    """The value of a "Key:" line of a patch's header, or None."""
    with open(patch, errors="replace") as f:
        for line in f:
            if line.startswith("---"):
                break
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return None


def expected_programs(want):
    """The programs a replay must run: those its Expect: lines name, or
    every program when one of them names none (a leak, a splat, the
    kernel's configuration can come from anywhere)."""
    progs = set()
    for w in want:
        m = re.match(r"^(sva_\w+): ", w.pattern)
        if not m:
            return None
        progs.add(m.group(1))
    return " ".join(sorted(progs)) or None


def regressions(ksrc, directory, outdir, only=None, jobs=1):
    """Replay every regression patch; each must make the gate fail on the
    cases its header names, and the clean tree must pass. The baseline
    runs once, with every program; then @jobs replays run at a time, each
    in its own overlay (a build of one overlaps the guest of another: TCG
    runs a guest on one core), each with the programs its Expect: lines
    name (all of them when one names none)."""
    patches = sorted(glob.glob(os.path.join(directory, "*.patch")))
    if only:
        patches = [p for p in patches if any(os.path.basename(p).startswith(o) for o in only)]
    os.makedirs(outdir, exist_ok=True)
    wt = WorkTree(ksrc)
    wt.prepare()
    logfile = os.path.join(outdir, "baseline.log")
    log("building the baseline kernel")
    if not build(wt, logfile):
        print("regressions: 0 passed, 1 failed, 0 skipped")
        log("the unpatched tree does not build (%s)" % logfile)
        return False
    baseline = check(wt, "baseline", logfile)
    base = cases(baseline)
    bad = [name(k) for k, v in base.items() if v[0] == "fail"]
    results = [("clean tree", not bad, "passes" if not bad else "fails: " + ", ".join(bad))]

    def replay(patch):
        label = os.path.basename(patch)[:-len(".patch")]
        # A replayed bug is expected to fail: no reruns, nothing excused
        want = expectations(patch)
        tests = header(patch, "Run") or expected_programs(want)
        verdict, rows, _ = gate(ksrc, patch, os.path.join(outdir, label), baseline,
                                reruns=0, prepare=False, tests=tests)
        failing = [name(k) for r in REGRESSIONS for k, _ in (rows or {}).get(r, [])]
        missed = [w.pattern for w in want if not any(w.fullmatch(f) for f in failing)]
        caught = verdict.startswith("regression") and not missed
        shown = ", ".join(failing[:6]) + (" and %d more" % (len(failing) - 6)
                                          if len(failing) > 6 else "")
        why = "%s; %d newly failing: %s" % (verdict, len(failing), shown or "none")
        if missed:
            why += "; expected but not failing: " + ", ".join(missed)
        return (label, caught, why)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results += list(pool.map(replay, patches))
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


def compare_results(base_dir, run_dirs, outdir):
    """The report for results that already exist (make check-runner uses
    it on real runs): the baseline's directory, then the patched runs'."""
    base = cases(base_dir)
    runs = [cases(r) for r in run_dirs]
    rows, still = compare(base, runs)
    base_failures = [(k, v[1]) for k, v in sorted(base.items()) if v[0] == "fail"]
    verdict = "regression" if any(rows[k] for k in REGRESSIONS) else "pass"
    if base_failures:
        verdict += " (baseline broken: %d failing)" % len(base_failures)
    write_reports(outdir, "results compared", verdict, "", rows, still,
                  [("baseline", base_dir)] + [("patched", r) for r in run_dirs], (),
                  base_failures)
    return verdict


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--patched-phase":
        sys.exit(patched_phase_inner(sys.argv[2]))
    # SIGTERM unwinds (the patched phase is stopped, its overlay removed)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ksrc", help="kernel tree (default: the one of make setup)")
    ap.add_argument("--patches", help="the series to gate")
    ap.add_argument("--regressions", help="replay the regression patches of this directory")
    ap.add_argument("--only", nargs="*", help="with --regressions: these patch numbers only")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("REGRESSION_JOBS") or 2),
                    help="with --regressions: replays at a time (default 2)")
    ap.add_argument("--report", help="report directory (default: under the cache)")
    ap.add_argument("--bench", action="store_true",
                    help="also run the benchmark on both kernels and report the ratios")
    ap.add_argument("--baseline", metavar="RESULTS",
                    help="the baseline's make check results, instead of building and testing it")
    ap.add_argument("--compare", nargs="+", metavar="RESULTS",
                    help="judge existing make check results: the baseline's, then the patched runs'")
    args = ap.parse_args()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = args.report or os.path.join(CACHE, "gate", "reports", stamp)
    os.makedirs(outdir, exist_ok=True)
    if args.compare:
        if len(args.compare) < 2:
            ap.error("--compare needs the baseline's results and at least one patched run's")
        verdict = compare_results(args.compare[0], args.compare[1:], outdir)
        print(open(os.path.join(outdir, "gate.md")).read())
        sys.exit(0 if verdict.startswith("pass") else 1)
    if not args.ksrc:
        args.ksrc = state_get("KSRC")
        if not args.ksrc:
            ap.error("no kernel tree: pass KSRC=<tree> or run make setup first")
    if not args.patches and not args.regressions:
        ap.error("--patches or --regressions is required")
    if args.regressions:
        ok = regressions(args.ksrc, args.regressions, outdir, args.only, args.jobs)
    else:
        verdict, _, _ = gate(args.ksrc, args.patches, outdir, baseline=args.baseline,
                             with_bench=args.bench and not args.baseline)
        print(open(os.path.join(outdir, "gate.md")).read())
        ok = verdict.startswith("pass")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
