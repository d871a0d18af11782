#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host half of `make coverage`: turn the gcov counters a coverage
kernel's guest sent back (artifact gcov.tgz.b64, see guest-coverage.sh)
and the build's .gcno files into line and branch coverage of the SVA core,
per file and per function, with lcov (tracefile, genhtml HTML report).

usage: coverage-report.py --build KDIR --results RUN [--unreachable FILE]
                          [--out DIR]

Printed: one row per file (its line coverage is the first percentage on
the row), the functions under it, and whether each target is met. Targets
are judged on reachable lines: the instrumented lines of the scope minus
those coverage/unreachable names (with a reason each) that did not run.
Exit status: 0 with a report, 2 when there is no coverage data at all;
with --strict, 1 when a target is not met.
"""
import argparse
import base64
import glob
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

# The scopes: a file, and the functions of it that count (None: all).
# The PASID functions of iommu.c: attach, replace and detach of a domain on
# a PASID with their group helpers, the global PASID allocator, the
# pasid_array entries and the attach handle lookup the SVA core and the
# fault path use.
PASID_FUNCTIONS = [
    "dev_iommu_get_max_pasids",
    "pasid_array_entry_to_domain",
    "iommu_make_pasid_array_entry",
    "iommu_remove_dev_pasid",
    "__iommu_set_group_pasid",
    "__iommu_remove_group_pasid",
    "iommu_attach_device_pasid",
    "iommu_replace_device_pasid",
    "iommu_detach_device_pasid",
    "iommu_alloc_global_pasid",
    "iommu_free_global_pasid",
    "iommu_attach_handle_get",
]
# uacce's bind and unbind paths: open binds the queue to current->mm,
# release (and uacce_remove() for queues still open) stops, puts and
# unbinds it.
UACCE_FUNCTIONS = [
    "uacce_bind_queue",
    "uacce_unbind_queue",
    "uacce_fops_open",
    "uacce_fops_release",
    "uacce_stop_queue",
    "uacce_put_queue",
    "uacce_remove",
]
# iommufd, the other user of the PASID and fault machinery (sva_iommufd):
# a device bound into a context and attached, replaced and detached at a
# PASID, and the fault queue that hands page requests to user space.
IOMMUFD_DEVICE_FUNCTIONS = [
    "iommufd_device_bind",
    "iommufd_bind_iommu",
    "iommufd_device_unbind",
    "iommufd_hwpt_pasid_compat",
    "iommufd_hwpt_compatible_device",
    "iommufd_hwpt_attach_device",
    "iommufd_hwpt_detach_device",
    "iommufd_hwpt_replace_device",
    "iommufd_hw_pagetable_attach",
    "iommufd_hw_pagetable_detach",
    "iommufd_device_do_attach",
    "iommufd_device_do_replace",
    "iommufd_device_change_pt",
    "iommufd_device_attach",
    "iommufd_device_replace",
    "iommufd_device_detach",
]
IOMMUFD_FAULT_FUNCTIONS = [
    "iommufd_auto_response_faults",
    "iommufd_compose_fault_message",
    "iommufd_fault_deliver_fetch",
    "iommufd_fault_fops_read",
    "iommufd_fault_fops_write",
    "iommufd_fault_alloc",
    "iommufd_fault_iopf_handler",
]
# (label, file, functions, target description, minimum % of reachable lines)
SCOPES = [
    ("drivers/iommu/iommu-sva.c", "drivers/iommu/iommu-sva.c", None,
     "every reachable line", 100),
    ("drivers/iommu/io-pgfault.c", "drivers/iommu/io-pgfault.c", None,
     ">= 95% of reachable lines", 95),
    ("drivers/iommu/iommu.c [PASID functions]", "drivers/iommu/iommu.c", PASID_FUNCTIONS,
     ">= 90% of reachable lines", 90),
    ("drivers/misc/uacce/uacce.c [bind/unbind]", "drivers/misc/uacce/uacce.c", UACCE_FUNCTIONS,
     "every reachable line", 100),
    ("iommufd/device.c [bind, PASID attach]", "drivers/iommu/iommufd/device.c",
     IOMMUFD_DEVICE_FUNCTIONS, ">= 80% of reachable lines", 80),
    ("iommufd/eventq.c [fault queue]", "drivers/iommu/iommufd/eventq.c",
     IOMMUFD_FAULT_FUNCTIONS, ">= 80% of reachable lines", 80),
]
PROFILED = ("drivers/iommu/", "drivers/misc/uacce/")


def log(msg):
    print("coverage: " + msg, file=sys.stderr, flush=True)


def run(cmd, logf):
    with open(logf, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode:
        raise SystemExit("coverage: %s failed (exit %d), see %s" % (cmd[0], r.returncode, logf))


# --- the counters ---------------------------------------------------------------
class SystemExit2(Exception):
    """No coverage data: exit status 2."""


def artifact(results, name):
    """An artifact of the run: from guest/ (the verdict demuxes the stream
    there), else straight from the serial stream."""
    p = os.path.join(results, "guest", name)
    if os.path.exists(p):
        with open(p, errors="replace") as f:
            return f.read()
    stream = os.path.join(results, "stream.log")
    if not os.path.exists(stream):
        return None
    with open(stream, errors="replace") as f:
        text = f.read()
    m = None
    for m in re.finditer(r"@@sva-begin %s\r?\n(.*?)@@sva-end %s" % (re.escape(name), re.escape(name)),
                         text, re.S):
        pass
    return m.group(1) if m else None


def gather(results, build, data):
    """Put each .gcda the guest sent next to its .gcno under @data, plus
    every profiled .gcno (an object that never ran has no .gcda but still
    counts, at 0%). Returns the number of .gcda files."""
    b64 = artifact(results, "gcov.tgz.b64")
    state = (artifact(results, "coverage.state") or "").strip()
    if not b64 or not b64.strip():
        raise SystemExit2("the guest sent no gcov counters (coverage.state: %s)"
                          % (state or "absent: the guest did not get that far, see console.log"))
    raw = base64.b64decode("".join(b64.split()))
    n = 0
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.endswith(".gcda"):
                continue
            path = os.path.normpath("/" + member.name)
            rel = None
            if path.startswith(build + "/"):
                rel = path[len(build) + 1:]
            else:
                # A build directory seen under another path: the longest
                # suffix that names a .gcno of this build.
                parts = path.strip("/").split("/")
                for i in range(len(parts)):
                    cand = "/".join(parts[i:])
                    if os.path.exists(os.path.join(build, cand[:-5] + ".gcno")):
                        rel = cand
                        break
            if rel is None or not os.path.exists(os.path.join(build, rel[:-5] + ".gcno")):
                log("note: %s has no .gcno in %s (ignored)" % (path, build))
                continue
            dest = os.path.join(data, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(tar.extractfile(member).read())
            n += 1
    for gcno in glob.glob(os.path.join(build, "**", "*.gcno"), recursive=True):
        rel = os.path.relpath(gcno, build)
        dest = os.path.join(data, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(gcno, dest)
    return n


def lcov(build, data, out, logf):
    """lcov tracefiles: the counters merged with a zero baseline from every
    .gcno, narrowed to the profiled directories. Returns the tracefile."""
    rc = ["--rc", "lcov_branch_coverage=1"]
    common = ["--quiet", "--gcov-tool", "gcov", "--base-directory", build] + rc
    base = os.path.join(out, "baseline.info")
    counted = os.path.join(out, "run.info")
    merged = os.path.join(out, "all.info")
    sva = os.path.join(out, "coverage.info")
    run(["lcov", "--capture", "--initial", "--directory", data, "--output-file", base] + common, logf)
    run(["lcov", "--capture", "--directory", data, "--output-file", counted] + common, logf)
    run(["lcov", "--quiet", "--add-tracefile", base, "--add-tracefile", counted,
         "--output-file", merged] + rc, logf)
    run(["lcov", "--quiet", "--extract", merged] + ["*/" + d + "*" for d in PROFILED] +
        ["--output-file", sva] + rc, logf)
    return sva


def parse_info(path):
    """{source path: {"lines": {n: count}, "branches": {n: [taken...]}}}"""
    files, cur = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SF:"):
                cur = files.setdefault(line[3:], {"lines": {}, "branches": {}})
            elif line.startswith("DA:") and cur is not None:
                n, c = line[3:].split(",")[:2]
                cur["lines"][int(n)] = cur["lines"].get(int(n), 0) + int(c)
            elif line.startswith("BRDA:") and cur is not None:
                n, _blk, _br, taken = line[5:].split(",")
                cur["branches"].setdefault(int(n), []).append(0 if taken == "-" else int(taken))
            elif line == "end_of_record":
                cur = None
    return files


# --- the source -------------------------------------------------------------------
def functions(lines):
    """{name: (first, last)} (0-based, inclusive) of the functions of a
    kernel-style C file: a body opens with "{" alone at column 0 and closes
    with "}" at column 0; the header is the run of lines above it."""
    out = {}
    for i, line in enumerate(lines):
        if line.rstrip() != "{":
            continue
        j = i - 1
        while j >= 0:
            t = lines[j].rstrip()
            if not t or t.startswith("#") or t.endswith((";", "}", "*/")) or t.startswith(("//", " *", "/*")):
                break
            j -= 1
        header = " ".join(x.strip() for x in lines[j + 1:i])
        m = re.search(r"(\w+)\s*\(", header)
        if not m:
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("}"):
            end += 1
        out[m.group(1)] = (j + 1, end)
    return out


def indent(s):
    return len(s) - len(s.lstrip())


def named_lines(lines, i, last):
    """The lines an unreachable entry whose pattern matched line @i names:
    a line that opens a block ("... {") stands for the block's body, a
    braceless if/else/for/while header for its statement, any other line
    for its statement (to its closing parenthesis)."""
    j, depth = i, 0
    while j <= last:
        depth += lines[j].count("(") - lines[j].count(")")
        if depth <= 0:
            break
        j += 1
    j = min(j, last)
    head, tail = lines[i].strip(), lines[j].rstrip()
    if tail.endswith("{"):
        k = j + 1
        while k <= last and not (lines[k].lstrip().startswith("}") and indent(lines[k]) <= indent(lines[i])):
            k += 1
        return range(j + 1, k)
    if re.match(r"(\}\s*)?(if|else|for|while)\b", head) and (tail.endswith(")") or tail.endswith("else")):
        k = j + 1
        while k <= last and not lines[k].rstrip().endswith(";"):
            k += 1
        return range(j + 1, k + 1)
    return range(i, j + 1)


def read_unreachable(path):
    """[(file, function, pattern, reason, line number of the entry)]"""
    entries = []
    if not path or not os.path.exists(path):
        return entries
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.rstrip("\n")
            if not s.strip() or s.lstrip().startswith("#"):
                continue
            if " # " not in s:
                raise SystemExit("coverage: %s:%d: an entry needs a reason (' # why')" % (path, n))
            spec, reason = s.split(" # ", 1)
            parts = spec.split(":", 2)
            if len(parts) != 3 or not all(p.strip() for p in parts) or not reason.strip():
                raise SystemExit("coverage: %s:%d: want 'file:function:line-pattern # reason'" % (path, n))
            entries.append((parts[0].strip(), parts[1].strip(), parts[2].strip(), reason.strip(), n))
    return entries


# --- the table --------------------------------------------------------------------
def pct(a, b):
    return "%5.1f%%" % (100.0 * a / b) if b else "   -  "


def ranges(nums):
    out, nums = [], sorted(nums)
    while nums:
        a = b = nums.pop(0)
        while nums and nums[0] == b + 1:
            b = nums.pop(0)
        out.append(str(a) if a == b else "%d-%d" % (a, b))
    return ",".join(out)


def measure(cov, lines_in):
    """Counts over the instrumented lines among @lines_in (1-based)."""
    ln = {n: c for n, c in cov["lines"].items() if n in lines_in}
    br = [t for n, ts in cov["branches"].items() if n in lines_in for t in ts]
    return ln, br


def report(info, ksrc, unreachable, strict):
    files = parse_info(info)
    bysuffix = {}
    for sf, data in files.items():
        for _label, rel, _f, _t, _p in SCOPES:
            if sf.endswith("/" + rel):
                bysuffix[rel] = (sf, data)
    entries = read_unreachable(unreachable)
    problems, rows, summary, met_all = [], [], [], True
    hdr = "%-44s %-20s %-20s %-32s %s" % ("file / function", "lines", "branches",
                                         "reachable lines covered", "target / missed lines")
    rows.append(hdr)
    rows.append("-" * len(hdr))
    for label, rel, wanted, target, minimum in SCOPES:
        if rel not in bysuffix:
            problems.append("%s: no coverage data (not profiled, or not built)" % rel)
            rows.append("%-44s no data" % label)
            met_all = False
            summary.append({"scope": label, "met": False, "error": "no data"})
            continue
        sf, cov = bysuffix[rel]
        src = os.path.join(ksrc, rel) if ksrc and os.path.exists(os.path.join(ksrc, rel)) else sf
        with open(src, errors="replace") as f:
            lines = f.read().split("\n")
        funcs = functions(lines)
        names = wanted if wanted is not None else sorted(funcs, key=lambda k: funcs[k][0])
        # Lines the list names as unreachable, per function (1-based)
        listed = {}
        for efile, efunc, pat, reason, n in entries:
            if efile != rel:
                continue
            if efunc not in funcs:
                problems.append("%s:%d: %s has no function %s" % (unreachable, n, rel, efunc))
                continue
            a, b = funcs[efunc]
            hits = [i for i in range(a, b + 1) if pat in lines[i]]
            if not hits:
                problems.append("%s:%d: '%s' is in no line of %s (stale?)"
                                % (unreachable, n, pat, efunc))
                continue
            # gcc may give the named lines no counter of their own (a
            # branch folded into its condition, a constant condition):
            # nothing to count apart then, and nothing stale
            named = {k + 1 for i in hits for k in named_lines(lines, i, b)} & set(cov["lines"])
            if not named:
                continue
            ran = sorted(k for k in named if cov["lines"][k] > 0)
            if ran:
                problems.append("%s:%d: %s line %s is listed as unreachable but ran"
                                % (unreachable, n, efunc, ranges(ran)))
            listed.setdefault(efunc, set()).update(k for k in named if cov["lines"][k] == 0)
        frows, tot_lines, tot_hit, tot_br, tot_brhit, tot_unr, missed_all = [], 0, 0, 0, 0, 0, []
        for name in names:
            if name not in funcs:
                problems.append("%s: no function %s in the source (renamed?)" % (rel, name))
                frows.append("  %-42s not in the source" % name)
                continue
            a, b = funcs[name]
            ln, br = measure(cov, set(range(a + 1, b + 2)))
            if not ln:
                frows.append("  %-42s not compiled in (no instrumented line)" % name)
                continue
            hit = sum(1 for c in ln.values() if c > 0)
            brhit = sum(1 for t in br if t > 0)
            unr = len(listed.get(name, ()))
            reach = len(ln) - unr
            missed = sorted(n for n, c in ln.items() if c == 0 and n not in listed.get(name, ()))
            missed_all += missed
            tot_lines += len(ln)
            tot_hit += hit
            tot_br += len(br)
            tot_brhit += brhit
            tot_unr += unr
            frows.append("  %-42s %s %-12s %s %-12s %s %-24s %s" % (
                name[:42], pct(hit, len(ln)), "%d/%d" % (hit, len(ln)),
                pct(brhit, len(br)), "%d/%d" % (brhit, len(br)),
                pct(hit, reach), "%d/%d%s" % (hit, reach, " (%d unreachable)" % unr if unr else ""),
                "missed " + ranges(missed) if missed else ""))
        reach = tot_lines - tot_unr
        met = reach > 0 and tot_hit * 100 >= minimum * reach
        met_all = met_all and met
        verdict = "%s: %s" % (target, "met" if met else "NOT MET (%d reachable line%s not run)"
                              % (reach - tot_hit, "" if reach - tot_hit == 1 else "s"))
        rows.append("%-44s %s %-12s %s %-12s %s %-24s %s" % (
            label, pct(tot_hit, tot_lines), "%d/%d" % (tot_hit, tot_lines),
            pct(tot_brhit, tot_br), "%d/%d" % (tot_brhit, tot_br),
            pct(tot_hit, reach), "%d/%d%s" % (tot_hit, reach,
                                              " (%d unreachable)" % tot_unr if tot_unr else ""),
            verdict))
        rows += frows
        summary.append({"scope": label, "file": rel, "lines": tot_lines, "lines_hit": tot_hit,
                        "branches": tot_br, "branches_hit": tot_brhit, "unreachable": tot_unr,
                        "reachable": reach, "target": target, "minimum_percent": minimum,
                        "met": met, "missed_lines": missed_all})
    return rows, problems, summary, met_all


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the coverage kernel's build directory")
    ap.add_argument("--results", required=True, help="a make check results directory")
    ap.add_argument("--ksrc", help="the kernel tree (default: the paths in the .gcno files)")
    ap.add_argument("--unreachable", help="the list of lines no mock driver can reach")
    ap.add_argument("--out", help="output directory (default RESULTS/coverage)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    a = ap.parse_args()
    build = os.path.realpath(a.build)
    out = os.path.realpath(a.out or os.path.join(a.results, "coverage"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    logf = os.path.join(out, "lcov.log")
    data = os.path.join(out, "gcov-data")
    try:
        n = gather(a.results, build, data)
    except SystemExit2 as e:
        log(str(e))
        return 2
    log("%d .gcda files from the guest" % n)
    info = lcov(build, data, out, logf)
    html = os.path.join(out, "html")
    prefix = ["--prefix", os.path.realpath(a.ksrc)] if a.ksrc else []
    run(["genhtml", "--quiet", "--branch-coverage", "--legend", "--title", "SVA core coverage",
         "--output-directory", html] + prefix + [info], logf)
    rows, problems, summary, met_all = report(info, a.ksrc and os.path.realpath(a.ksrc),
                                              a.unreachable, a.strict)
    text = "\n".join(rows) + "\n"
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "coverage.json"), "w") as f:
        json.dump({"scopes": summary, "problems": problems}, f, indent=1)
    print(text, end="")
    for p in problems:
        print("coverage: warning: " + p)
    met = sum(1 for s in summary if s.get("met"))
    print("coverage: targets met: %d of %d" % (met, len(summary)))
    print("coverage: html report %s" % os.path.join(html, "index.html"))
    print("coverage: tracefile %s" % info)
    return 1 if a.strict and not met_all else 0


if __name__ == "__main__":
    sys.exit(main())
