#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The one verdict of `make check`, whatever the boot mode.

Reads the raw artifacts written by scripts/guest-run.sh (a directory, or
the framed stream a guest sent over a serial port), the VM console log and
how the VM ended; writes results.ktap and junit.xml into the results
directory, prints the combined KTAP and ends with one line
"<label>: N passed, N failed, N skipped". Exit status 0 only when nothing
failed.

Counting is per test case: each `ok`/`not ok` line of a kselftest_harness
program, plus the runner's own checks module_load, module_unload,
kernel_splats, kmemleak and guest_complete.
"""
import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

PASS, FAIL, SKIP = "pass", "fail", "skip"

# A line that opens a kernel splat. Matched against dmesg lines with the
# printk time stamp and caller id removed.
SPLAT_PATTERNS = [
    r"WARNING:",
    r"BUG:",
    r"\bOops\b",
    r"kernel BUG at",
    r"Kernel panic",
    r"general protection fault",
    r"Unable to handle kernel",
    r"\bKASAN\b",
    r"\bKFENCE\b",
    r"\bUBSAN\b",
    r"possible circular locking",
    r"inconsistent lock state",
    r"possible recursive locking",
    r"suspicious RCU usage",
    r"possible irq lock inversion",
    r"bad unlock balance",
    r"held lock freed",
    r"lock held when returning to user space",
    r"lock held at task exit",
    r"detected stalls? on CPU",
    r"self-detected stall",
    r"INFO: rcu",
    r"rcu_\w+ kthread (starved|timer wakeup)",
    r"blocked for more than \d+ seconds",
    r"soft lockup",
    r"hard LOCKUP",
    r"[Ll]ist_(add|del) corruption",
    r"refcount_t: ",
    r"Bad page state",
    r"page allocation failure",
]
SPLAT_RE = re.compile("|".join("(?:%s)" % p for p in SPLAT_PATTERNS))
PREFIX_RE = re.compile(r"^(<\d+>)?(\[\s*\d+\.\d+\])?\s*(\[\s*[CT]\d+\])?\s?")
SPLAT_CONTEXT = 12

TAP_RE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$")
PLAN_RE = re.compile(r"^1\.\.(\d+)")


class Case:
    def __init__(self, group, name, status, reason="", diag=None):
        self.group, self.name, self.status = group, name, status
        self.reason, self.diag = reason, diag or []


def read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def demux_stream(stream, outdir):
    """Split "@@sva-begin NAME" ... "@@sva-end NAME" frames into files;
    a later frame of the same name replaces an earlier one."""
    text = read(stream, "")
    cur, buf = None, []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if cur is None:
            if line.startswith("@@sva-begin "):
                cur, buf = line[len("@@sva-begin "):].strip(), []
            continue
        end = "@@sva-end " + cur
        if line.endswith(end):
            head = line[: -len(end)]
            if head:
                buf.append(head)
            path = os.path.join(outdir, cur)
            if os.path.normpath(path).startswith(os.path.normpath(outdir) + os.sep):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("".join(b + "\n" for b in buf))
            cur = None
            continue
        buf.append(line)


def parse_tap(text):
    """Top-level cases and plan of one kselftest program's TAP output."""
    cases, plan, plan_skip = [], None, ""
    for line in text.splitlines():
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            d = line.split("#", 1)[1].strip() if "#" in line else ""
            if d.upper().startswith("SKIP"):
                plan_skip = d[4:].strip()
            continue
        m = TAP_RE.match(line)
        if not m:
            continue
        ok, num, name, directive = m.groups()
        name = name or "test %s" % num
        directive = (directive or "").strip()
        word = directive.split(" ", 1)[0].upper()
        if word == "SKIP":
            status = SKIP
        elif word == "XFAIL":
            status = PASS
        elif word == "TODO":
            status = SKIP
        else:
            status = PASS if ok == "ok" else FAIL
        if status == SKIP and word in ("SKIP", "TODO"):
            directive = directive[len(word):].strip() or word.lower()
        cases.append((status, name, directive))
    return cases, plan, plan_skip


def program_cases(art, prog, status_line):
    tap = read(os.path.join(art, "tests", prog + ".tap"))
    err = read(os.path.join(art, "tests", prog + ".err"), "")
    rcs = read(os.path.join(art, "tests", prog + ".rc"))
    timeout = read(os.path.join(art, "tests", prog + ".timeout"))
    out = []
    if rcs is None:
        stuck = read(os.path.join(art, "tests", prog + ".stuck"))
        if stuck:
            return [Case(prog, prog, FAIL, "per-program %s; %s" % ((timeout or "timeout").strip(),
                                                                 stuck.splitlines()[0]),
                         stuck.splitlines()[1:] + (tap or "").splitlines()[-20:])], tap, err
        if status_line.startswith("running " + prog + " "):
            why = "did not finish: the guest crashed or hung while it ran"
        else:
            why = "never ran: the guest stopped before it"
        return [Case(prog, prog, FAIL, why, (tap or "").splitlines()[-20:])], tap, err
    fields = rcs.split()
    rc = int(fields[0]) if fields and fields[0].lstrip("-").isdigit() else -1
    cases, plan, plan_skip = parse_tap(tap or "")
    for status, name, directive in cases:
        out.append(Case(prog, name, status, directive if status != PASS else ""))
    failed = any(c.status == FAIL for c in out)
    errtail = (err or tap or "").splitlines()[-20:]
    if timeout:
        out.append(Case(prog, prog, FAIL, "per-program " + timeout.strip(), errtail))
    elif plan is not None and len(cases) < plan:
        out.append(Case(prog, prog, FAIL,
                        "%d of %d planned cases reported (exit code %d)" % (len(cases), plan, rc),
                        errtail))
    elif rc not in (0, 4) and not failed:
        why = "exit code %d" % rc
        if rc >= 128:
            why += " (killed by signal %d)" % (rc - 128)
        elif rc == 127:
            why += " (could not be executed)"
        out.append(Case(prog, prog, FAIL, why, errtail))
    elif not cases:
        out.append(Case(prog, prog, SKIP if rc == 4 else PASS,
                        (plan_skip or "exit code 4 (KSFT_SKIP)") if rc == 4 else ""))
    return out, tap, err


def module_check(art, name, listed):
    text = read(os.path.join(art, name))
    what = "load" if name == "module_load" else "unload"
    if text is None:
        return Case("runner", name, FAIL, "not reached: the guest stopped before module %s" % what)
    bad, seen = [], []
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 2:
            continue
        seen.append(parts[0])
        if parts[1] != "0":
            bad.append("%s %s failed (exit %s): %s" % (what, parts[0], parts[1],
                                                      parts[2].strip() if len(parts) > 2 else ""))
    if name == "module_load":
        if not listed:
            return Case("runner", name, FAIL, "no module to load")
        missing = [m for m in listed if m not in seen]
        bad += ["%s was not loaded" % m for m in missing]
    if bad:
        return Case("runner", name, FAIL, bad[0], bad)
    return Case("runner", name, PASS)


def load_allowlist(path):
    entries = []
    for n, line in enumerate((read(path, "") if path else "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if " # " not in line:
            raise SystemExit("%s:%d: allowlist entry without ' # reason'" % (path, n))
        pat, reason = line.split(" # ", 1)
        entries.append((re.compile(pat.strip()), reason.strip()))
    return entries


def find_splats(text):
    lines = [PREFIX_RE.sub("", l.rstrip("\r")) for l in text.splitlines()]
    hits, until = [], -1  # one hit per matching line
    for i, line in enumerate(lines):
        if i <= until or not SPLAT_RE.search(line):
            continue
        # Keep a "cut here" or "=====" banner's report together.
        hits.append(lines[i:i + SPLAT_CONTEXT])
        until = i
    return hits


def splat_check(art, console, allow):
    text = read(os.path.join(art, "dmesg"))
    source = "dmesg"
    if text is None:
        text, source = console or "", "console (no dmesg: the guest did not finish)"
    allowed, hits = [], []
    for hit in find_splats(text):
        reason = next((r for p, r in allow if any(p.search(l) for l in hit)), None)
        (allowed if reason else hits).append((hit, reason))
    diag = ["splats found in %s: %d (%d allowlisted)" % (source, len(hits), len(allowed))]
    for hit, _ in hits:
        diag += ["--- " + hit[0]] + ["    " + l for l in hit[1:]]
    for hit, reason in allowed:
        diag.append("allowlisted (%s): %s" % (reason, hit[0]))
    if hits:
        return Case("runner", "kernel_splats", FAIL, "%d kernel splat(s): %s" % (len(hits), hits[0][0][0]), diag)
    return Case("runner", "kernel_splats", PASS, "", diag[1:])


def kmemleak_check(art):
    state = (read(os.path.join(art, "kmemleak.state")) or "").strip()
    if not state:
        return Case("runner", "kmemleak", FAIL, "not reached: the guest stopped before the kmemleak scan")
    if state.startswith("unavailable"):
        return Case("runner", "kmemleak", SKIP, "kmemleak " + state)
    if state != "enabled":
        return Case("runner", "kmemleak", FAIL, "kmemleak " + state)
    report = read(os.path.join(art, "kmemleak"))
    if report is None:
        return Case("runner", "kmemleak", FAIL, "not reached: the guest stopped before the kmemleak scan")
    leaks = report.count("unreferenced object")
    if leaks:
        return Case("runner", "kmemleak", FAIL, "%d unreferenced object(s)" % leaks,
                    report.splitlines()[:30])
    return Case("runner", "kmemleak", PASS)


def complete_check(art, console, how, status_line):
    if read(os.path.join(art, "complete")) is not None:
        return Case("runner", "guest_complete", PASS)
    tail = (console or "").splitlines()[-40:]
    stuck = read(os.path.join(art, "stuck"))
    if stuck:
        why = "guest powered off early: " + stuck.splitlines()[0]
    elif how.startswith("timeout"):
        why = "guest hung, stopped by the host (%s; last step: %s)" % (how, status_line or "none")
    elif any("Kernel panic" in l for l in (console or "").splitlines()):
        why = "guest kernel panic (last step: %s)" % (status_line or "none")
    else:
        why = "guest stopped before the end (%s; last step: %s)" % (how, status_line or "none")
    return Case("runner", "guest_complete", FAIL, why, ["console tail:"] + tail)


def ktap_line(ok, num, name, directive=""):
    s = "%s %d %s" % ("ok" if ok else "not ok", num, name)
    return s + (" # " + directive if directive else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--stream")
    ap.add_argument("--console")
    ap.add_argument("--tests-list", required=True)
    ap.add_argument("--modules-list", required=True)
    ap.add_argument("--vm-end", default="exit 0", help="how the VM ended: 'exit N' or 'timeout'")
    ap.add_argument("--allowlist")
    ap.add_argument("--results", required=True)
    ap.add_argument("--label", default="sva")
    a = ap.parse_args()

    art = a.artifacts
    os.makedirs(art, exist_ok=True)
    if a.stream:
        demux_stream(a.stream, art)
    console = read(a.console, "") if a.console else ""
    status_line = (read(os.path.join(art, "status")) or "").strip()
    progs = [l.strip() for l in read(a.tests_list, "").splitlines() if l.strip()]
    mods = [l.split()[0][:-3] for l in read(a.modules_list, "").splitlines() if l.strip()]
    allow = load_allowlist(a.allowlist)

    blocks = []  # (top-level name, cases, raw tap, stderr)
    blocks.append(("module_load", [module_check(art, "module_load", mods)], None, None))
    if not progs:
        blocks.append(("selftests", [Case("selftests", "selftests", FAIL, "no test program to run")], None, None))
    for prog in progs:
        cases, tap, err = program_cases(art, prog, status_line)
        blocks.append((prog, cases, tap, err))
    for case in (module_check(art, "module_unload", mods),
                 splat_check(art, console, allow),
                 kmemleak_check(art),
                 complete_check(art, console, a.vm_end, status_line)):
        blocks.append((case.name, [case], None, None))

    ktap = ["KTAP version 1", "1..%d" % len(blocks)]
    for num, (name, cases, tap, err) in enumerate(blocks, 1):
        if tap is not None or err:
            for line in (tap or "").splitlines():
                ktap.append("    " + line)
            for line in (err or "").splitlines():
                ktap.append("    # stderr: " + line)
        for c in cases:
            if c.group != "runner" and c.name != name:
                continue  # a harness case: its TAP above says it all
            if c.status != PASS and c.reason:
                ktap.append("# %s: %s" % (c.name, c.reason))
            for d in c.diag:
                ktap.append("#   " + d)
        failed = any(c.status == FAIL for c in cases)
        skipped = cases and all(c.status == SKIP for c in cases)
        directive = ""
        if skipped:
            directive = "SKIP " + (cases[0].reason or "skipped")
        ktap.append(ktap_line(not failed, num, name, directive))

    allcases = [c for _, cases, _, _ in blocks for c in cases]
    npass = sum(c.status == PASS for c in allcases)
    nfail = sum(c.status == FAIL for c in allcases)
    nskip = sum(c.status == SKIP for c in allcases)
    ktap.append("# Totals: pass:%d fail:%d skip:%d" % (npass, nfail, nskip))

    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "results.ktap"), "w", encoding="utf-8") as f:
        f.write("\n".join(ktap) + "\n")
    write_junit(os.path.join(a.results, "junit.xml"), blocks, a.label)

    print("\n".join(ktap))
    fails = [c for c in allcases if c.status == FAIL]
    if fails:
        print("# FAILED:")
        for c in fails:
            label = c.name if c.group in ("runner", c.name) else "%s: %s" % (c.group, c.name)
            print("#   %s%s" % (label, " -- " + c.reason if c.reason else ""))
    summary = "%d passed, %d failed, %d skipped" % (npass, nfail, nskip)
    with open(os.path.join(a.results, "summary"), "w", encoding="utf-8") as f:
        f.write(summary + "\n")
    print("%s: %s" % (a.label, summary) if a.label else summary)
    return 1 if nfail else 0


def write_junit(path, blocks, label):
    root = ET.Element("testsuites", name=label or "sva")
    for name, cases, _tap, err in blocks:
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(cases)),
                              failures=str(sum(c.status == FAIL for c in cases)),
                              skipped=str(sum(c.status == SKIP for c in cases)))
        for c in cases:
            tc = ET.SubElement(suite, "testcase", classname=name, name=c.name)
            if c.status == FAIL:
                el = ET.SubElement(tc, "failure", message=c.reason or "failed")
                el.text = "\n".join(c.diag)
            elif c.status == SKIP:
                ET.SubElement(tc, "skipped", message=c.reason or "skipped")
        if err:
            ET.SubElement(suite, "system-err").text = err
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    sys.exit(main())
