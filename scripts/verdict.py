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
program, plus the runner's own checks kernel_config, module_load,
module_unload, kernel_splats (one case per distinct splat), kmemleak (one
case per distinct leak) and guest_complete.

A clean report must not be a blind one. The verdict also fails when:
- a case skips on a kernel that should run it: one whose configuration has
  CONFIG_IOMMU_SVA and that matches no entry of scripts/sva-bans (a skip is
  excused only when the kernel declares it cannot run the case: a known
  ban, or a CONFIG_ symbol named in the skip's reason that the kernel lacks);
- the kernel is this project's own build (--own-build) and lost a symbol
  that the --required fragment asks for;
- a detector was dead: kmemleak refused a scan or disabled itself, lockdep
  turned itself off (debug_locks 0 at the end), or KASAN is configured but
  never initialized;
- a program's TAP is not sound (no output, no plan, 1..0 without a skip,
  more cases than planned, wrong numbering) or it left processes behind.
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
    # Lockdep turns itself off after these; later locking bugs go unseen.
    r"INFO: trying to register non-static key",
    r"turning off the locking correctness validator",
    r"DEBUG_LOCKS_WARN_ON",
    # kmemleak disabled itself: later leaks go unseen.
    r"Kernel memory leak detector disabled",
    r"kmemleak: .*(disabled|[Cc]annot allocate)",
]
SPLAT_RE = re.compile("|".join("(?:%s)" % p for p in SPLAT_PATTERNS))
PREFIX_RE = re.compile(r"^(<\d+>)?(\[\s*\d+\.\d+\])?\s*(\[\s*[CT]\d+\])?\s?")
SPLAT_CONTEXT = 12
SPLAT_MAX = 120
# Where a report ends.
SPLAT_END_RE = re.compile(r"---\[ end trace|^={20,}$")
# Frames that say how a report was printed, not where the bug is.
NOISE_FRAME_RE = re.compile(
    r"^(dump_stack|show_stack|__warn|warn_slowpath|report_bug|handle_bug|exc_invalid_op|"
    r"asm_exc_|print_report|print_address_description|kasan_|__kasan_|__asan_|"
    r"check_memory_region|kasan_check_range|ubsan_|__ubsan_|lockdep_|__lock_acquire|"
    r"lock_acquire|print_circular_bug|check_noncircular|check_prev_add|validate_chain|"
    r"debug_check_no_locks|panic|nmi_|rcu_dump|__might_resched|__might_sleep|"
    r"refcount_warn_saturate|__list_(add|del)_valid|kmemleak_alloc|__kmalloc|kmalloc_|"
    r"__kmem_cache|kmem_cache_alloc|slab_post_alloc_hook|__slab_alloc|___slab_alloc|"
    r"alloc_pages|__alloc_pages|__alloc_frozen_pages|kvmalloc|__kvmalloc|krealloc|"
    r"trace_|kmalloc_trace)")
FRAME_RE = re.compile(r"^\s*(\?\s+)?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+/0x[0-9a-f]+(\s+\[\w+\])?")

TAP_RE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$")
CONFIG_RE = re.compile(r"^(CONFIG_\w+)=(.*)$|^# (CONFIG_\w+) is not set$")
PLAN_RE = re.compile(r"^1\.\.(\d+)")


class Case:
    def __init__(self, group, name, status, reason="", diag=None, from_tap=False):
        self.group, self.name, self.status = group, name, status
        self.reason, self.diag = reason, diag or []
        self.from_tap = from_tap  # a harness case: its TAP says it all


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
    """Top-level cases, plan and soundness problems of one kselftest
    program's TAP output."""
    cases, plan, plan_skip, problems, nums = [], None, "", [], []
    for line in text.splitlines():
        m = PLAN_RE.match(line)
        if m:
            if plan is not None:
                problems.append("a second plan: %s" % line.strip())
                continue
            plan = int(m.group(1))
            d = line.split("#", 1)[1].strip() if "#" in line else ""
            if d.upper().startswith("SKIP"):
                plan_skip = d[4:].strip()
            continue
        m = TAP_RE.match(line)
        if not m:
            continue
        ok, num, name, directive = m.groups()
        nums.append(int(num) if num else None)
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
    if cases and plan is None:
        problems.append("%d case(s) but no plan" % len(cases))
    if plan is not None and len(cases) > plan:
        problems.append("%d cases reported, %d planned" % (len(cases), plan))
    bad = [i + 1 for i, n in enumerate(nums) if n != i + 1]
    if bad:
        problems.append("case %d is numbered %s" % (bad[0], nums[bad[0] - 1]))
    return cases, plan, plan_skip, problems


def program_cases(art, prog, status_line):
    tap = read(os.path.join(art, "tests", prog + ".tap"))
    err = read(os.path.join(art, "tests", prog + ".err"), "")
    rcs = read(os.path.join(art, "tests", prog + ".rc"))
    timeout = read(os.path.join(art, "tests", prog + ".timeout"))
    leftover = read(os.path.join(art, "tests", prog + ".leftover"))
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
    cases, plan, plan_skip, problems = parse_tap(tap or "")
    for status, name, directive in cases:
        out.append(Case(prog, name, status, directive if status != PASS else "", from_tap=True))
    failed = any(c.status == FAIL for c in out)
    errtail = (err or tap or "").splitlines()[-20:]
    if timeout:
        out.append(Case(prog, prog, FAIL, "per-program " + timeout.strip(), errtail))
    elif leftover:
        procs = ["pid %s" % l for l in leftover.splitlines() if l.strip()]
        out.append(Case(prog, prog, FAIL, "left %d process(es) running after it exited "
                        "(killed by the runner): %s" % (len(procs), ", ".join(procs[:4])),
                        errtail))
    elif problems:
        out.append(Case(prog, prog, FAIL, "unsound TAP: " + "; ".join(problems), errtail))
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
        if rc == 4:
            out.append(Case(prog, prog, SKIP, plan_skip or "exit code 4 (KSFT_SKIP) without a reason"))
        elif plan is None:
            out.append(Case(prog, prog, FAIL, "exit code %d but no TAP output" % rc, errtail))
        else:
            out.append(Case(prog, prog, FAIL, "planned no cases (1..0) and did not skip "
                            "(exit code %d)" % rc, errtail))
    elif rc == 4 and not any(c.status == SKIP for c in out):
        out.append(Case(prog, prog, FAIL, "exit code 4 (KSFT_SKIP) although no case skipped",
                        errtail))
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


def normalize_title(line):
    """A splat's first line without what changes from run to run."""
    t = re.sub(r"CPU: \d+ (UID: \d+ )?PID: \d+ ", "", line)
    t = re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+", "", t)
    t = re.sub(r"(\.[ch]):\d+", r"\1", t)
    t = re.sub(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{8,}\b", "X", t)
    t = re.sub(r"\b\d+\b", "N", t)
    t = re.sub(r"\s+", " ", t).strip()
    return t[:160]


class Splat:
    """One kernel report: its lines and a fingerprint that is the same for
    the same bug on another run (title plus the first meaningful frames, as
    kernel CI systems do)."""

    def __init__(self, lines):
        self.lines = lines
        frames = []
        for l in lines[1:]:
            m = FRAME_RE.match(l)
            if not m or m.group(1):
                continue  # not a frame, or an unreliable "? " one
            fn = m.group(2)
            if NOISE_FRAME_RE.match(fn) or fn in frames:
                continue
            frames.append(fn)
            if len(frames) == 3:
                break
        self.title = normalize_title(lines[0])
        self.frames = frames
        self.fingerprint = self.title + (" [" + " < ".join(frames) + "]" if frames else "")
        self.count = 1
        self.sources = []


def find_splats(text):
    """The reports in a log, each from its title to its end marker, the next
    title, or SPLAT_MAX lines."""
    lines = [PREFIX_RE.sub("", l.rstrip("\r")) for l in text.splitlines()]
    out, i = [], 0
    while i < len(lines):
        if not SPLAT_RE.search(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and j - i < SPLAT_MAX:
            if SPLAT_END_RE.search(lines[j]) and j - i > 1:
                j += 1
                break
            if SPLAT_RE.search(lines[j]) and not lines[j].startswith(("RIP:", " ")):
                break
            j += 1
        out.append(Splat(lines[i:j]))
        i = j
    return out


def splat_cases(art, console, allow, detectors, config):
    """One failed case per distinct splat in dmesg and the console, and one
    for each dead detector; one passing case when there is none of either."""
    found = {}
    sources = [("dmesg", read(os.path.join(art, "dmesg"))), ("console", console or None)]
    for source, text in sources:
        for sp in find_splats(text or ""):
            have = found.get(sp.fingerprint)
            if have is None:
                sp.sources.append(source)
                found[sp.fingerprint] = sp
            elif source not in have.sources:
                have.sources.append(source)  # the same report, seen twice
            else:
                have.count += 1
    allowed, cases = [], []
    for fp, sp in found.items():
        reason = next((r for p, r in allow if any(p.search(l) for l in sp.lines[:SPLAT_CONTEXT])), None)
        if reason:
            allowed.append("allowlisted (%s): %s" % (reason, fp))
            continue
        why = "kernel splat%s: %s" % (" (%d times)" % sp.count if sp.count > 1 else "",
                                       sp.lines[0])
        cases.append(Case("kernel_splats", fp, FAIL, why,
                          ["in " + " and ".join(sp.sources)] +
                          ["    " + l for l in sp.lines[:40]]))
    cases += detector_cases(detectors, config, art, console)
    if not cases:
        return [Case("runner", "kernel_splats", PASS, "", allowed)]
    return cases


def detector_cases(detectors, config, art, console):
    """Lockdep and KASAN must have been alive for a clean splat scan to mean
    anything."""
    out = []
    start, end = detectors.get("start", {}), detectors.get("end", {})
    if start.get("debug_locks") == "1" and end.get("debug_locks") == "0":
        out.append(Case("kernel_splats", "lockdep turned off", FAIL,
                        "lockdep turned itself off during the run (debug_locks 1 -> 0): "
                        "locking bugs after that point went unseen"))
    elif start.get("debug_locks") == "0":
        out.append(Case("kernel_splats", "lockdep off", FAIL,
                        "lockdep was already off when the tests started (debug_locks 0)"))
    elif config.get("CONFIG_PROVE_LOCKING") == "y" and start and \
            start.get("debug_locks") in (None, "absent"):
        out.append(Case("kernel_splats", "lockdep absent", FAIL,
                        "CONFIG_PROVE_LOCKING=y but /proc/lockdep_stats has no debug_locks"))
    if config.get("CONFIG_KASAN") == "y":
        text = (read(os.path.join(art, "dmesg")) or "") + (console or "")
        if "KernelAddressSanitizer initialized" not in text and \
                start.get("kasan") != "initialized":
            out.append(Case("kernel_splats", "KASAN not initialized", FAIL,
                            "CONFIG_KASAN=y but the kernel never said "
                            "'KernelAddressSanitizer initialized'"))
    return out


def leak_cases(report):
    """One failed case per distinct leak: its size and first frames."""
    found, cur = {}, None
    blocks = []
    for line in (report or "").splitlines():
        if "unreferenced object" in line:
            cur = [line]
            blocks.append(cur)
        elif cur is not None:
            cur.append(line)
    for b in blocks:
        size = re.search(r"\(size (\d+)\)", b[0])
        frames = []
        for l in b[1:]:
            m = re.match(r"\s*(?:\[<[0-9a-f]+>\]\s*)?([A-Za-z_.$][\w.$]*)\+0x", l)
            if m and not NOISE_FRAME_RE.match(m.group(1)) and m.group(1) not in frames:
                frames.append(m.group(1))
            if len(frames) == 3:
                break
        fp = "size %s [%s]" % (size.group(1) if size else "?", " < ".join(frames))
        if fp in found:
            found[fp][1] += 1
        else:
            found[fp] = [b, 1]
    return [Case("kmemleak", fp, FAIL, "unreferenced object%s: %s" %
                 (" (%d times)" % n if n > 1 else "", b[0].strip()), b[:25])
            for fp, (b, n) in found.items()]


def kmemleak_cases(art, console, config, strict):
    """kmemleak must have scanned, twice, without disabling itself; then one
    case per distinct leak."""
    state = (read(os.path.join(art, "kmemleak.state")) or "").strip()
    if not state:
        return [Case("runner", "kmemleak", FAIL, "not reached: the guest stopped before the kmemleak scan")]
    if state.startswith("unavailable"):
        if config.get("CONFIG_DEBUG_KMEMLEAK") == "y":
            return [Case("runner", "kmemleak", FAIL, "CONFIG_DEBUG_KMEMLEAK=y but " + state)]
        if strict:
            return [Case("runner", "kmemleak", FAIL, "kmemleak " + state +
                         ": this project's own kernel must have it")]
        return [Case("runner", "kmemleak", SKIP, "kmemleak " + state +
                     " (the kernel lacks CONFIG_DEBUG_KMEMLEAK)")]
    if state != "enabled":
        return [Case("runner", "kmemleak", FAIL, "kmemleak " + state)]
    scans = read(os.path.join(art, "kmemleak.scans"))
    report = read(os.path.join(art, "kmemleak"))
    if scans is None or report is None:
        return [Case("runner", "kmemleak", FAIL, "not reached: the guest stopped before the kmemleak scan")]
    bad = [l for l in scans.splitlines() if l.split()[1:] != ["0"]]
    if bad:
        return [Case("runner", "kmemleak", FAIL, "kmemleak did not scan (%s): it is disabled, "
                     "so an empty report proves nothing" % ", ".join(bad))]
    text = (read(os.path.join(art, "dmesg")) or "") + (console or "")
    if "Kernel memory leak detector disabled" in text:
        return [Case("runner", "kmemleak", FAIL, "kmemleak disabled itself during the run "
                     "('Kernel memory leak detector disabled')")]
    return leak_cases(report) or [Case("runner", "kmemleak", PASS)]


def parse_config(text):
    """{CONFIG_X: value} of a .config; "n" for "is not set"."""
    cfg = {}
    for line in (text or "").splitlines():
        m = CONFIG_RE.match(line.strip())
        if m and m.group(1):
            cfg[m.group(1)] = m.group(2)
        elif m:
            cfg[m.group(3)] = "n"
    return cfg


def config_problems(cfg, required):
    """What the kernel lacks of the fragments it was built from."""
    out = []
    for sym, want in parse_config("\n".join(required)).items():
        got = cfg.get(sym, "n")
        if (want == "n" and got not in ("n", "")) or (want != "n" and got != want):
            out.append("%s: wanted %s, got %s" % (sym, want if want != "n" else "not set",
                                                  got if got != "n" else "not set"))
    return out


def sva_expected(cfg, uname, bans):
    """(should SVA cases run here, why)"""
    for pat, reason in bans:
        if pat.search(uname):
            return False, "this kernel disables SVA: " + reason
    if cfg and cfg.get("CONFIG_IOMMU_SVA") != "y":
        return False, "this kernel lacks CONFIG_IOMMU_SVA"
    return True, ("CONFIG_IOMMU_SVA=y" if cfg else "configuration unknown") + \
        " and no known SVA ban: every case must run"


def config_case(cfg, source, required, strict, expect, why):
    if strict:
        if not cfg:
            return Case("runner", "kernel_config", FAIL,
                        "the configuration of this project's own kernel is unknown "
                        "(no /proc/config.gz and no --config)")
        lost = config_problems(cfg, required)
        if lost:
            return Case("runner", "kernel_config", FAIL, "lost %s (config from %s)" %
                        (lost[0].split(":")[0] if len(lost) == 1 else
                         ", ".join(l.split(":")[0] for l in lost), source), lost)
    if not expect:
        return Case("runner", "kernel_config", SKIP, why)
    return Case("runner", "kernel_config", PASS, "", ["config from %s; %s" % (source or "nowhere", why)])


def judge_skips(cases, expect, why, cfg, strict):
    """A skip on a kernel that should run the case is a failure."""
    for c in cases:
        if c.status != SKIP or c.group == "runner":
            continue
        if not expect:
            continue
        named = [sym for sym in re.findall(r"CONFIG_\w+", c.reason) if cfg.get(sym) in (None, "n")]
        if named and cfg and not strict:
            c.reason += " (excused: the kernel lacks %s)" % ", ".join(named)
            continue
        c.status = FAIL
        c.reason = "skipped on a kernel that should run it (%s): %s" % (why, c.reason)
        c.from_tap = False


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
    ap.add_argument("--bans", help="known kernels that disable SVA: <regex on uname -a> # <reason>")
    ap.add_argument("--config", help="the kernel's .config, when the guest has no /proc/config.gz")
    ap.add_argument("--required", action="append",
                    help="a config fragment the kernel must honour (with --own-build)")
    ap.add_argument("--own-build", action="store_true",
                    help="the kernel is this project's build: enforce --required and the detectors")
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
    bans = load_allowlist(a.bans)
    uname = (read(os.path.join(art, "uname")) or "").strip()

    # The booted kernel's own configuration first; the build directory's
    # only when the kernel does not carry one.
    source, cfgtext = "/proc/config.gz", read(os.path.join(art, "config"))
    if not cfgtext and a.config:
        source, cfgtext = a.config + " (not from the booted kernel)", read(a.config)
    cfg = parse_config(cfgtext)
    if not cfg:
        source = None
    required = []
    for f in a.required or []:
        required += [l for l in read(f, "").splitlines() if CONFIG_RE.match(l.strip())]
    expect, why = sva_expected(cfg, uname, bans)
    detectors = {}
    for when in ("start", "end"):
        d = {}
        for line in (read(os.path.join(art, "detectors." + when)) or "").splitlines():
            k, _, v = line.partition(" ")
            d[k] = v.strip()
        detectors[when] = d

    blocks = []  # (top-level name, cases, raw tap, stderr)
    blocks.append(("kernel_config", [config_case(cfg, source, required, a.own_build, expect, why)],
                   None, None))
    blocks.append(("module_load", [module_check(art, "module_load", mods)], None, None))
    if not progs:
        blocks.append(("selftests", [Case("selftests", "selftests", FAIL, "no test program to run")], None, None))
    for prog in progs:
        cases, tap, err = program_cases(art, prog, status_line)
        judge_skips(cases, expect, why, cfg, a.own_build)
        blocks.append((prog, cases, tap, err))
    blocks.append(("module_unload", [module_check(art, "module_unload", mods)], None, None))
    blocks.append(("kernel_splats", splat_cases(art, console, allow, detectors, cfg), None, None))
    blocks.append(("kmemleak", kmemleak_cases(art, console, cfg, a.own_build), None, None))
    blocks.append(("guest_complete", [complete_check(art, console, a.vm_end, status_line)], None, None))

    ktap = ["KTAP version 1", "1..%d" % len(blocks)]
    for num, (name, cases, tap, err) in enumerate(blocks, 1):
        if tap is not None or err:
            for line in (tap or "").splitlines():
                ktap.append("    " + line)
            for line in (err or "").splitlines():
                ktap.append("    # stderr: " + line)
        for c in cases:
            if c.from_tap:
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
