#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make mutate`: the suite's mutation score over the kernel's SVA core.

Generates small changes (mutants) of the SVA core's sources with standard
operators, gates each one like a patch series (scripts/gate.py: an
incremental build in a private overlay, then the whole suite, compared
with the unmutated kernel's run), and reports per mutant:

  killed        the gate failed: by which cases, splats or leaks
  survived      the suite passed: the mutant's diff is in the report
  equivalent    listed in mutants/equivalent with the reason it cannot be
                told apart from the original
  no build      the mutant does not compile (not counted in the score)

Score: killed / (killed + survived). The setup tree is never written (see
gate.py): `make check` passes after any run, interrupted or not. Results
are cached per mutant and suite version under <cache>/mutate/, so an
interrupted run resumes where it stopped.

Operators: negate a condition, drop a negation, off-by-one in a comparison
(< <= > >=), flip == / !=, swap an error code, return 0 for an error,
flip a boolean constant, drop a statement that calls a function (an
unlock, put, free, list or refcount update among them).

Filters (environment or options): FILE=iommu-sva.c, FUNC=iommu_sva_bind_device,
ONLY=<mutant ids>, LIMIT=n, BUDGET=seconds (no new mutant after that),
BASELINE=<make check results of the unmutated kernel> (instead of a run),
SAMPLE=n (n mutants spread evenly over the list: what CI runs), MUTATE_JOBS=n
(mutants at a time, default 2), MUTATE_FULL_LIMITS=1 (each program gets the
settings file's timeout instead of 60 s + 5 x its baseline time).
"""
import argparse
import concurrent.futures
import csv
import datetime
import glob
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gate  # noqa: E402

# What to mutate: file -> functions (None: every function of the file).
TARGETS = {
    "drivers/iommu/iommu-sva.c": None,
    "drivers/iommu/io-pgfault.c": None,
    "drivers/iommu/iommu.c": [
        "dev_iommu_get_max_pasids", "pasid_array_entry_to_domain",
        "iommu_make_pasid_array_entry", "iommu_remove_dev_pasid", "__iommu_set_group_pasid",
        "__iommu_remove_group_pasid", "iommu_attach_device_pasid",
        "iommu_replace_device_pasid", "iommu_detach_device_pasid",
        "iommu_alloc_global_pasid", "iommu_free_global_pasid", "iommu_attach_handle_get",
    ],
    "drivers/misc/uacce/uacce.c": [
        "uacce_bind_queue", "uacce_unbind_queue", "uacce_fops_open", "uacce_fops_release",
        "uacce_put_queue", "uacce_remove",
    ],
}
EQUIVALENT = os.path.join(REPO, "mutants", "equivalent")
UNREACHABLE = os.path.join(REPO, "coverage", "unreachable")

ERRNO_SWAP = {"EINVAL": "EBUSY", "EBUSY": "EINVAL", "ENOMEM": "EINVAL", "ENODEV": "EINVAL",
              "EOVERFLOW": "EINVAL", "ENOSPC": "EBUSY", "EOPNOTSUPP": "EINVAL",
              "ENOENT": "EINVAL", "EEXIST": "EBUSY", "EFAULT": "EINVAL", "ENXIO": "ENODEV"}
COMPARE_SWAP = {"<=": "<", "<": "<=", ">=": ">", ">": ">="}
# Lines that only look like statements: declarations, control flow, macros.
NOT_A_CALL = re.compile(r"^\s*(return|if|else|for|while|do|switch|case|goto|break|continue|"
                        r"struct|union|enum|static|const|unsigned|int|long|u8|u16|u32|u64|bool|"
                        r"void|char|size_t|ssize_t|ioasid_t|#|}|{|/?\*)")
# Calls that only check their caller (debug assertions, annotations): on a
# correct kernel dropping one changes nothing a test can observe, so such a
# mutant would only ever be listed as equivalent.
ASSERTION_ONLY = re.compile(r"^\s*(lockdep_assert\w*|might_sleep\w*|might_fault|"
                            r"might_lock\w*|__might_\w+|kasan_check_\w+|"
                            r"mmap_assert_\w*|rcu_lockdep_assert\w*)\(")


def function_ranges(lines):
    """(name, first line index, last line index) of each function body in
    kernel style: a definition at column 0, '{' alone at column 0, '}' at
    column 0 closes it."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].rstrip() == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"^[A-Za-z_]", lines[j]):
                j -= 1
            m = re.search(r"\b(\w+)\s*\(", lines[j])
            end = i + 1
            while end < len(lines) and lines[end].rstrip() != "}":
                end += 1
            if m:
                out.append((m.group(1), i + 1, end - 1))
            i = end
        i += 1
    return out


def mutants_of_line(line):
    """(operator, new line) for each mutant of one source line."""
    code = line.split("//")[0]
    if re.match(r"^\s*(\*|/\*)", code) or not code.strip():
        return
    m = re.match(r"^(\s*(?:\} else )?(?:if|while) \()(.*)(\)\s*\{?\s*)$", code)
    if m and m.group(2).count("(") == m.group(2).count(")"):
        cond = m.group(2)
        if cond.startswith("!") and re.fullmatch(r"![\w>.\-()]+", cond):
            yield "drop negation", m.group(1) + cond[1:] + m.group(3)
        else:
            yield "negate condition", m.group(1) + "!(" + cond + ")" + m.group(3)
    for cm in re.finditer(r"(?<=[\w)\]] )(<=|>=|<|>)(?= [\w(-])", code):
        if "->" in code[cm.start() - 1:cm.end() + 1]:
            continue
        yield "off by one", code[:cm.start()] + COMPARE_SWAP[cm.group(1)] + code[cm.end():]
    for cm in re.finditer(r" (==|!=) ", code):
        other = "!=" if cm.group(1) == "==" else "=="
        yield "flip equality", code[:cm.start() + 1] + other + code[cm.end() - 1:]
    for em in re.finditer(r"-(E[A-Z]+)\b", code):
        if em.group(1) in ERRNO_SWAP:
            yield "swap errno", code[:em.start()] + "-" + ERRNO_SWAP[em.group(1)] + code[em.end():]
    if re.match(r"^\s*return -E[A-Z]+;\s*$", code) or re.match(r"^\s*return ERR_PTR\(-E[A-Z]+\);",
                                                               code):
        yield "error to success", re.sub(r"return .*;", "return 0;" if "ERR_PTR" not in code
                                         else "return NULL;", code)
    for bm in re.finditer(r"\b(true|false)\b", code):
        other = "false" if bm.group(1) == "true" else "true"
        yield "flip boolean", code[:bm.start()] + other + code[bm.end():]
    if re.match(r"^\s*[\w>.\-\[\]*&]+\(.*\);\s*$", code) and not NOT_A_CALL.match(code) \
            and not ASSERTION_ONLY.match(code) and "=" not in code.split("(")[0]:
        yield "drop call", re.match(r"^(\s*)", code).group(1) + ";"


def continues_statement(lines, i):
    """Is line i the continuation of the statement before it (the previous
    code line ends in an argument list or an operator)?"""
    for k in range(i - 1, -1, -1):
        prev = lines[k].split("//")[0].rstrip()
        if prev and not re.match(r"^\s*(\*|/\*)", prev):
            return prev[-1] in ",(=&|+-*/?"
    return False


class Mutant:
    def __init__(self, path, func, lineno, op, old, new):
        self.path, self.func, self.lineno, self.op = path, func, lineno, op
        self.old, self.new = old, new
        h = hashlib.sha256(("%s:%d:%s:%s" % (path, lineno, op, new)).encode()).hexdigest()
        self.id = h[:10]

    def diff(self):
        return ("--- a/{p}\n+++ b/{p}\n@@ -{n},1 +{n},1 @@\n-{o}\n+{w}\n"
                .format(p=self.path, n=self.lineno, o=self.old, w=self.new))


def generate(ksrc, files=None, funcs=None):
    out = []
    for path, only in TARGETS.items():
        if files and not any(f in path for f in files):
            continue
        with open(os.path.join(ksrc, path), errors="replace") as f:
            lines = f.read().split("\n")
        for name, first, last in function_ranges(lines):
            if only is not None and name not in only:
                continue
            if funcs and name not in funcs:
                continue
            for i in range(first, last + 1):
                seen = set()
                for op, new in mutants_of_line(lines[i]):
                    if new == lines[i] or new in seen:
                        continue
                    # The tail of a call that spans lines is no statement
                    if op == "drop call" and continues_statement(lines, i):
                        continue
                    seen.add(new)
                    out.append(Mutant(path, name, i + 1, op, lines[i], new))
    return out


def suite_version(ksrc):
    """What a cached result depends on: the suite's sources and the tree."""
    files = subprocess.run(["git", "-C", REPO, "ls-files", "mock_iommu", "selftests", "config",
                            "kconfig", "scripts/verdict.py", "scripts/guest-run.sh",
                            "scripts/check.sh"], capture_output=True, text=True).stdout.split()
    h = hashlib.sha256(os.path.realpath(ksrc).encode())
    for f in sorted(files):
        with open(os.path.join(REPO, f), "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read())
    return h.hexdigest()[:12]


def unreached_lines(ksrc, version):
    """{(path, line)} of the SVA core's lines that make coverage saw never
    run, from the latest tracefile when it was made with this suite
    version and tree; None when there is no such tracefile. A mutant on
    such a line cannot change what any test sees: it survives unrun."""
    cov = os.path.join(gate.CACHE, "coverage", "latest")
    try:
        with open(os.path.join(cov, "suite-version")) as f:
            if f.read().strip() != version:
                gate.log("mutate: the coverage tracefile is of another suite version: not used")
                return None
        info = open(os.path.join(cov, "coverage.info"))
    except OSError:
        return None
    root = os.path.realpath(ksrc) + "/"
    out, path = set(), None
    with info:
        for line in info:
            if line.startswith("SF:"):
                sf = os.path.realpath(line[3:].strip())
                path = sf[len(root):] if sf.startswith(root) and sf[len(root):] in TARGETS \
                    else None
            elif path and line.startswith("DA:"):
                n, count = line[3:].split(",")[:2]
                if int(count) == 0:
                    out.add((path, int(n)))
    return out


def listed_unreachable(ksrc):
    """{(path, line): reason} of the lines coverage/unreachable names in
    the targets (the bodies and statements its entries stand for, as make
    coverage reads them): a mutant there changes nothing any test runs."""
    spec = importlib.util.spec_from_file_location(
        "coverage_report", os.path.join(REPO, "scripts", "coverage-report.py"))
    cr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cr)
    out, sources = {}, {}
    for efile, efunc, pat, reason, _ in cr.read_unreachable(UNREACHABLE):
        if efile not in TARGETS:
            continue
        if efile not in sources:
            with open(os.path.join(ksrc, efile), errors="replace") as f:
                lines = f.read().split("\n")
            sources[efile] = (lines, cr.functions(lines))
        lines, funcs = sources[efile]
        if efunc not in funcs:
            continue
        a, b = funcs[efunc]
        for i in range(a, b + 1):
            if pat in lines[i]:
                for k in cr.named_lines(lines, i, b):
                    out[(efile, k + 1)] = reason
    return out


def load_equivalent():
    out = {}
    if os.path.exists(EQUIVALENT):
        for n, line in enumerate(open(EQUIVALENT), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if " # " not in line:
                raise SystemExit("%s:%d: an equivalent mutant needs ' # reason'" % (EQUIVALENT, n))
            mid, reason = line.split(" # ", 1)
            out[mid.split()[0]] = reason.strip()
    return out


def program_limits(baseline):
    """{program: seconds} a mutant's run may take per program: 60 s plus
    five times what the unmutated kernel's run took. A mutant that makes a
    fault or a wait hang would otherwise cost the kselftest timeout (300 s)
    per program it hangs; a program that runs this far past its baseline
    has changed what it sees, and its timeout kills the mutant."""
    out = {}
    tests = os.path.join(baseline, "guest", "tests")
    for rc in glob.glob(os.path.join(tests, "*.rc")):
        with open(rc) as f:
            fields = f.read().split()
        if len(fields) == 2 and fields[1].isdigit():
            out[os.path.basename(rc)[:-3]] = 60 + 5 * int(fields[1])
    return out


def run_one(ksrc, m, baseline, workdir):
    d = os.path.join(workdir, m.id)
    os.makedirs(d, exist_ok=True)
    patch = os.path.join(d, "mutant.patch")
    with open(patch, "w") as f:
        f.write("Subject: [MUTANT %s] %s in %s()\n\n---\n%s" % (m.id, m.op, m.func, m.diff()))
    start = time.time()
    verdict, rows, _ = gate.gate(ksrc, patch, d, baseline, reruns=0, prepare=False)
    secs = round(time.time() - start)
    if verdict.startswith("regression"):
        by = [gate.name(k) for r in gate.REGRESSIONS for k, _ in rows.get(r, [])]
        return {"status": "killed", "by": by, "seconds": secs}
    if verdict.startswith("pass"):
        return {"status": "survived", "by": [], "seconds": secs}
    if verdict == "does not build":
        return {"status": "no build", "by": [], "seconds": secs}
    return {"status": "error", "by": [verdict], "seconds": secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ksrc", default=os.environ.get("KSRC") or gate.state_get("KSRC"))
    ap.add_argument("--file", default=os.environ.get("FILE"), help="substring of a target path")
    ap.add_argument("--func", default=os.environ.get("FUNC"), help="comma-separated functions")
    ap.add_argument("--only", default=os.environ.get("ONLY"), help="mutant ids, space-separated")
    ap.add_argument("--limit", type=int, default=int(os.environ.get("LIMIT") or 0))
    ap.add_argument("--sample", type=int, default=int(os.environ.get("SAMPLE") or 0))
    ap.add_argument("--budget", type=int, default=int(os.environ.get("BUDGET") or 0),
                    help="seconds after which no new mutant starts")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS") or 2))
    ap.add_argument("--baseline", default=os.environ.get("BASELINE"),
                    help="make check results of the unmutated kernel to compare with")
    ap.add_argument("--full-limits", action="store_true",
                    default=os.environ.get("MUTATE_FULL_LIMITS") == "1",
                    help="give each program the settings file's timeout, not 60 s + 5 x its baseline time")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--suite-version", action="store_true",
                    help="print the suite version results are cached under, and stop")
    a = ap.parse_args()
    if not a.ksrc:
        ap.error("no kernel tree: run make setup first, or pass KSRC=")
    if a.suite_version:
        print(suite_version(a.ksrc))
        return 0
    t0 = time.time()
    muts = generate(a.ksrc, [a.file] if a.file else None,
                    a.func.split(",") if a.func else None)
    if a.only:
        muts = [m for m in muts if m.id in a.only.split()]
    if a.sample and len(muts) > a.sample:
        step = len(muts) / a.sample
        muts = [muts[int(i * step)] for i in range(a.sample)]
    if a.limit:
        muts = muts[:a.limit]
    if a.list:
        for m in muts:
            print("%s %s:%d %s() %s: %s -> %s" % (m.id, m.path, m.lineno, m.func, m.op,
                                                  m.old.strip(), m.new.strip()))
        print("mutate: %d mutants" % len(muts))
        return 0
    equivalent = load_equivalent()
    version = suite_version(a.ksrc)
    # A hang is judged under other limits with --full-limits: cached apart
    cache = os.path.join(gate.CACHE, "mutate", version + ("-full-limits" if a.full_limits else ""))
    os.makedirs(cache, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = os.path.join(gate.CACHE, "mutate", "reports", stamp)
    os.makedirs(outdir, exist_ok=True)
    gate.log("mutate: %d mutants, suite version %s, results cached in %s" % (len(muts), version, cache))
    unreached = unreached_lines(a.ksrc, version)
    if unreached is not None:
        gate.log("mutate: %d lines of the targets never ran in make coverage: their mutants "
                 "survive without a run" % len(unreached))

    unreachable = listed_unreachable(a.ksrc)

    results = {}
    todo = []
    for m in muts:
        if m.id in equivalent:
            results[m.id] = {"status": "equivalent", "by": [equivalent[m.id]], "seconds": 0}
            continue
        if (m.path, m.lineno) in unreachable:
            results[m.id] = {"status": "unreachable", "seconds": 0,
                             "by": ["coverage/unreachable: " + unreachable[(m.path, m.lineno)]]}
            continue
        if unreached is not None and (m.path, m.lineno) in unreached:
            results[m.id] = {"status": "survived", "seconds": 0, "unreached": True,
                             "by": ["not run: the suite never reaches the line (make coverage)"]}
            continue
        path = os.path.join(cache, m.id + ".json")
        if os.path.exists(path):
            with open(path) as f:
                results[m.id] = json.load(f)
        else:
            todo.append(m)
    gate.log("mutate: %d cached, %d to run" % (len(muts) - len(todo), len(todo)))

    baseline = a.baseline
    if todo and baseline:
        gate.log("mutate: baseline %s" % baseline)
    elif todo:
        wt = gate.WorkTree(a.ksrc)
        wt.prepare()
        logfile = os.path.join(outdir, "baseline.log")
        if not gate.build(wt, logfile):
            raise SystemExit("mutate: the unmutated tree does not build (%s)" % logfile)
        baseline = gate.check(wt, "baseline", logfile)
    if todo:
        bad = [gate.name(k) for k, v in gate.cases(baseline).items() if v[0] == "fail"]
        if bad:
            raise SystemExit("mutate: the unmutated kernel fails %s: fix that first" % ", ".join(bad))
        if not a.full_limits:
            limits = program_limits(baseline)
            os.environ["PROG_LIMITS"] = ",".join("%s %d" % kv for kv in sorted(limits.items()))
            gate.log("mutate: per-program limits from the baseline: %s" % os.environ["PROG_LIMITS"])

    def work(m):
        if a.budget and time.time() - t0 > a.budget:
            return m, None
        r = run_one(a.ksrc, m, baseline, os.path.join(outdir, "runs"))
        # Where it was, for the gate's notes on a series' hunks
        r.update(file=m.path, line=m.lineno, function=m.func, operator=m.op)
        if r["status"] != "error":
            with open(os.path.join(cache, m.id + ".json"), "w") as f:
                json.dump(r, f)
        gate.log("mutant %s (%s:%d %s): %s" % (m.id, m.path, m.lineno, m.op, r["status"]))
        return m, r

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for m, r in pool.map(work, todo):
            if r is not None:
                results[m.id] = r

    rows = []
    for m in muts:
        r = results.get(m.id, {"status": "not run (budget)", "by": [], "seconds": 0})
        rows.append((m, r))
    report(rows, outdir)
    # Killed and survived are results; a mutant the tool could not judge is
    # the tool's failure
    return 1 if any(r["status"] == "error" for _, r in rows) else 0


def report(rows, outdir):
    count = {}
    for _, r in rows:
        count[r["status"]] = count.get(r["status"], 0) + 1
    killed, survived = count.get("killed", 0), count.get("survived", 0)
    score = 100.0 * killed / (killed + survived) if killed + survived else 0.0
    ran = [r["seconds"] for _, r in rows if r["seconds"] and r["status"] != "equivalent"]
    per = sum(ran) / len(ran) if ran else 0
    md = ["## Mutation score of the SVA core", "",
          "%d mutants: %d killed, %d survived, %d equivalent, %d unreachable, %d no build, "
          "%d not run; "
          "score %.1f%% (killed of killed + survived); %.0f s per mutant run" %
          (len(rows), killed, survived, count.get("equivalent", 0), count.get("unreachable", 0),
           count.get("no build", 0), count.get("not run (budget)", 0) + count.get("error", 0),
           score, per), "",
          "%d of the survivors are on lines the suite never reaches (make coverage): "
          "not run" % sum(1 for _, r in rows if r.get("unreached")), "",
          "| mutant | where | operator | status | by |", "| --- | --- | --- | --- | --- |"]
    for m, r in rows:
        by = ", ".join(r["by"][:3]) + (" and %d more" % (len(r["by"]) - 3)
                                       if len(r["by"]) > 3 else "")
        md.append("| %s | %s:%d %s() | %s | %s | %s |" % (m.id, os.path.basename(m.path),
                                                         m.lineno, m.func, m.op, r["status"], by))
    surv = [(m, r) for m, r in rows if r["status"] == "survived"]
    if surv:
        md += ["", "### Survivors", ""]
        for m, _ in surv:
            md += ["`%s` %s in %s():" % (m.id, m.op, m.func), "", "```diff", m.diff().rstrip(),
                   "```", ""]
    with open(os.path.join(outdir, "mutate.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(outdir, "mutate.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "file", "line", "function", "operator", "status", "seconds", "by"])
        for m, r in rows:
            w.writerow([m.id, m.path, m.lineno, m.func, m.op, r["status"], r["seconds"],
                        "; ".join(r["by"])])
    with open(os.path.join(outdir, "mutate.json"), "w") as f:
        json.dump([dict(r, id=m.id, file=m.path, line=m.lineno, function=m.func, operator=m.op,
                        old=m.old, new=m.new) for m, r in rows], f, indent=1)
    print("\n".join(md))
    print("mutate: report %s/mutate.md (.csv, .json)" % outdir)
    print("mutate: %d killed, %d survived, %d equivalent, %d no build; score %.1f%%" %
          (killed, survived, count.get("equivalent", 0), count.get("no build", 0), score))


if __name__ == "__main__":
    sys.exit(main())
