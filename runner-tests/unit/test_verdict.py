#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/verdict.py and scripts/gate.py: the parts of the
verdict that a real guest run cannot easily reach on demand (TAP shapes,
fingerprints, the skip and flake policies). make check-runner runs them
before the probes that boot a kernel."""
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import gate  # noqa: E402
import verdict  # noqa: E402

WARN_A = """\
[   12.345678] ------------[ cut here ]------------
[   12.345679] WARNING: CPU: 1 PID: 234 at drivers/iommu/iommu-sva.c:118 iommu_sva_bind_device+0x2a1/0x7b0
[   12.345680] Modules linked in: mock_iommu
[   12.345681] CPU: 1 UID: 0 PID: 234 Comm: sva_bind Not tainted 7.3.4 #1
[   12.345682] RIP: 0010:iommu_sva_bind_device+0x2a1/0x7b0
[   12.345683] Call Trace:
[   12.345684]  <TASK>
[   12.345685]  ? __warn+0xcd/0x250
[   12.345686]  ? report_bug+0x1ad/0x1e0
[   12.345687]  mock_bind+0x95/0x300 [mock_iommu]
[   12.345688]  mock_ioctl+0x311/0x6a0 [mock_iommu]
[   12.345689]  __x64_sys_ioctl+0x12f/0x190
[   12.345690]  do_syscall_64+0x73/0x180
[   12.345691]  </TASK>
[   12.345692] ---[ end trace 0000000000000000 ]---
"""

KASAN_B = """\
[   20.000001] ==================================================================
[   20.000002] BUG: KASAN: slab-use-after-free in iommu_sva_unbind_device+0x5e/0x1a0
[   20.000003] Read of size 8 at addr ffff888004a1c2d0 by task sva_bind/240
[   20.000004] Call Trace:
[   20.000005]  <TASK>
[   20.000006]  dump_stack_lvl+0x5d/0x80
[   20.000007]  print_report+0x171/0x4f0
[   20.000008]  kasan_report+0xd9/0x110
[   20.000009]  iommu_sva_unbind_device+0x5e/0x1a0
[   20.000010]  mock_unbind+0x40/0x90 [mock_iommu]
[   20.000011]  mock_release+0x88/0x120 [mock_iommu]
[   20.000012]  </TASK>
[   20.000013] ==================================================================
"""


class Fingerprints(unittest.TestCase):
    def test_same_bug_same_fingerprint(self):
        other_run = WARN_A.replace("PID: 234", "PID: 777").replace("CPU: 1", "CPU: 0") \
            .replace("+0x2a1/0x7b0", "+0x2a9/0x7b0").replace("12.3456", "99.9999")
        a, b = verdict.find_splats(WARN_A), verdict.find_splats(other_run)
        self.assertEqual(len(a), 1)
        self.assertEqual(a[0].fingerprint, b[0].fingerprint)
        self.assertEqual(a[0].frames, ["mock_bind", "mock_ioctl", "__x64_sys_ioctl"])

    def test_two_reports_two_fingerprints(self):
        found = verdict.find_splats(WARN_A + KASAN_B)
        self.assertEqual(len(found), 2)
        self.assertNotEqual(found[0].fingerprint, found[1].fingerprint)
        self.assertIn("slab-use-after-free in iommu_sva_unbind_device", found[1].title)
        self.assertEqual(found[1].frames[0], "iommu_sva_unbind_device")

    def test_lockdep_silencers_are_splats(self):
        for line in ("INFO: trying to register non-static key.",
                     "turning off the locking correctness validator.",
                     "kmemleak: Kernel memory leak detector disabled"):
            self.assertEqual(len(verdict.find_splats("[    1.0] " + line + "\n")), 1, line)

    def test_leaks_by_backtrace(self):
        report = """unreferenced object 0xffff888003f1e600 (size 192):
  comm "insmod", pid 61, jiffies 4294892301
  backtrace (crc 5b1c1f0e):
    __kmalloc_cache_noprof+0x2c4/0x3a0
    sva_probe_init+0x3e/0x80 [sva_probe]
    do_one_initcall+0xa1/0x3a0
unreferenced object 0xffff888003f1e700 (size 192):
  comm "insmod", pid 61, jiffies 4294892301
  backtrace (crc 5b1c1f0e):
    __kmalloc_cache_noprof+0x2c4/0x3a0
    sva_probe_init+0x3e/0x80 [sva_probe]
    do_one_initcall+0xa1/0x3a0
"""
        cases = verdict.leak_cases(report)
        self.assertEqual(len(cases), 1)
        self.assertEqual(cases[0].name, "size 192 [sva_probe_init < do_one_initcall]")
        self.assertIn("2 times", cases[0].reason)


class Tap(unittest.TestCase):
    def prog(self, tap, rc, extra=None):
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, "tests"))
        files = {"p.tap": tap, "p.rc": "%d 1\n" % rc, "p.err": ""}
        files.update(extra or {})
        for n, t in files.items():
            with open(os.path.join(d, "tests", n), "w") as f:
                f.write(t)
        return verdict.program_cases(d, "p", "complete")[0]

    def failed(self, cases):
        return [c.reason for c in cases if c.status == verdict.FAIL]

    def test_sound(self):
        self.assertEqual(self.failed(self.prog("1..2\nok 1 a\nok 2 b\n", 0)), [])

    def test_no_output(self):
        self.assertIn("no TAP output", self.failed(self.prog("", 0))[0])

    def test_empty_plan(self):
        self.assertIn("planned no cases", self.failed(self.prog("1..0\n", 0))[0])

    def test_empty_plan_that_skips(self):
        cases = self.prog("1..0 # SKIP no device\n", 4)
        self.assertEqual([(c.status, c.reason) for c in cases], [(verdict.SKIP, "no device")])

    def test_more_than_planned(self):
        self.assertIn("3 cases reported, 2 planned",
                      self.failed(self.prog("1..2\nok 1 a\nok 2 b\nok 3 c\n", 0))[0])

    def test_numbering(self):
        self.assertIn("case 2 is numbered 3", self.failed(self.prog("1..2\nok 1 a\nok 3 b\n", 0))[0])

    def test_no_plan(self):
        self.assertIn("no plan", self.failed(self.prog("ok 1 a\n", 0))[0])

    def test_leftover(self):
        cases = self.prog("1..1\nok 1 a\n", 0, {"p.leftover": "77 p 1\n"})
        self.assertIn("left 1 process(es) running", self.failed(cases)[0])


class Skips(unittest.TestCase):
    BANS = [(__import__("re").compile(r"Debian 6\.12\.(6[4-9]|[7-9][0-9])\b"), "ban")]

    def judge(self, cfg, uname, reason, strict=False):
        c = verdict.Case("sva_bind", "bind.x", verdict.SKIP, reason, from_tap=True)
        expect, why = verdict.sva_expected(cfg, uname, self.BANS)
        verdict.judge_skips([c], expect, why, cfg, strict)
        return c.status

    def test_skip_on_sva_kernel_fails(self):
        self.assertEqual(self.judge({"CONFIG_IOMMU_SVA": "y"}, "Linux 7.3.4", "EOPNOTSUPP"),
                         verdict.FAIL)

    def test_skip_with_unknown_config_fails(self):
        self.assertEqual(self.judge({}, "Linux 7.3.4", "whatever"), verdict.FAIL)

    def test_skip_on_banned_kernel(self):
        self.assertEqual(self.judge({"CONFIG_IOMMU_SVA": "y"}, "#1 SMP Debian 6.12.95-1", "ban"),
                         verdict.SKIP)

    def test_skip_without_sva(self):
        self.assertEqual(self.judge({"CONFIG_IOMMU_SVA": "n"}, "Linux 7.3.4", "no SVA"),
                         verdict.SKIP)

    def test_declared_missing_symbol(self):
        cfg = {"CONFIG_IOMMU_SVA": "y", "CONFIG_UACCE": "n"}
        self.assertEqual(self.judge(cfg, "Linux 7.3.4", "needs CONFIG_UACCE"), verdict.SKIP)
        # ...but never on the project's own kernel, which must have it
        self.assertEqual(self.judge(cfg, "Linux 7.3.4", "needs CONFIG_UACCE", strict=True),
                         verdict.FAIL)

    def test_config_loss_named(self):
        c = verdict.config_case({"CONFIG_KASAN": "n", "CONFIG_IOMMU_SVA": "y"}, "x",
                                ["CONFIG_KASAN=y", "CONFIG_VIRTIO_IOMMU=n"], True, True, "")
        self.assertEqual(c.status, verdict.FAIL)
        self.assertIn("CONFIG_KASAN", c.reason)


class FlakePolicy(unittest.TestCase):
    T = ("sva_bind", "bind.one")
    S = ("kernel_splats", "WARNING: at x [f]")

    def rows(self, seq, key=None, reruns=3):
        key = key or self.T
        base = {key: ("pass", "")} if key == self.T else {}
        runs = [{key: (s, "m")} if s else {} for s in seq]
        return gate.compare(base, runs, reruns)[0]

    def test_fails_once_then_passes_three_times(self):
        self.assertEqual(len(self.rows(["fail", "pass", "pass", "pass"])["flaky"]), 1)

    def test_one_in_three(self):
        # fails on every third run: the third rerun sees it again
        self.assertEqual(len(self.rows(["fail", "pass", "pass", "fail"])["newly failing"]), 1)

    def test_too_few_reruns(self):
        self.assertEqual(len(self.rows(["fail", "pass"])["newly failing"]), 1)

    def test_splats_never_excused(self):
        r = self.rows(["fail", None, None, None], key=self.S)
        self.assertEqual(len(r["newly failing"]), 1)

    def test_no_reruns_for_replays(self):
        self.assertEqual(len(self.rows(["fail"], reruns=0)["newly failing"]), 1)

    def test_pass_to_skip(self):
        rows = gate.compare({self.T: ("pass", "")}, [{self.T: ("skip", "why")}], 3)[0]
        self.assertEqual(len(rows["newly skipping"]), 1)

    def test_new_splat_beside_a_baseline_splat(self):
        other = ("kernel_splats", "BUG: KASAN: y [g]")
        rows = gate.compare({self.S: ("fail", "")}, [{self.S: ("fail", ""), other: ("fail", "")}],
                            3)[0]
        self.assertEqual([k for k, _ in rows["newly failing"]], [other])
        self.assertEqual([k for k, _ in rows["still failing"]], [self.S])

    def test_needs_rerun(self):
        base = {self.T: ("pass", "")}
        self.assertTrue(gate.needs_rerun(base, [{self.T: ("fail", "")}], 3))
        self.assertFalse(gate.needs_rerun(base, [{self.T: ("fail", "")}, {self.T: ("fail", "")}], 3))
        self.assertFalse(gate.needs_rerun({}, [{self.S: ("fail", "")}], 3))


if __name__ == "__main__":
    unittest.main(verbosity=1)
