#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/mutate.py's operators: which lines give which
mutants. A mutant that no correct kernel can tell apart from the original
only costs a boot and lowers the score, so the generator must not make it."""
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location(
    "mutate", os.path.join(HERE, "..", "..", "scripts", "mutate.py"))
mutate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mutate)


def ops(line):
    return [op for op, _ in mutate.mutants_of_line(line)]


class Operators(unittest.TestCase):
    def test_call_is_dropped(self):
        self.assertEqual([("drop call", "\t;")],
                         list(mutate.mutants_of_line("\tiopf_queue_flush_dev(dev);")))

    def test_assertions_are_not_dropped(self):
        for line in ("\tlockdep_assert_held(&iommu_sva_lock);",
                     "\tmight_sleep();",
                     "\tmmap_assert_locked(mm);"):
            self.assertEqual([], ops(line), line)

    def test_assignment_is_not_a_call(self):
        self.assertNotIn("drop call", ops("\tret = iommu_attach(dev);"))

    def test_negation_dropped(self):
        self.assertEqual(["drop negation"], ops("\tif (!iommu_mm) {"))

    def test_condition_negated(self):
        self.assertEqual(["negate condition", "flip equality"],
                         ops("\tif (ret == 0)"))

    def test_errno_swapped(self):
        self.assertIn("swap errno", ops("\t\treturn ERR_PTR(-EBUSY);"))

    def test_comment_gives_nothing(self):
        self.assertEqual([], ops("\t * lockdep_assert_held(x);"))


class Unreached(unittest.TestCase):
    """Mutants on lines make coverage never saw run survive unrun, but only
    with a tracefile of the same suite version."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = self.tmp.name
        self.ksrc = os.path.join(self.cache, "linux")
        cov = os.path.join(self.cache, "coverage", "latest")
        os.makedirs(cov)
        sva = os.path.join(self.ksrc, "drivers/iommu/iommu-sva.c")
        with open(os.path.join(cov, "coverage.info"), "w") as f:
            f.write("TN:\nSF:%s\nDA:10,4\nDA:11,0\nend_of_record\n"
                    "SF:%s/drivers/iommu/dma-iommu.c\nDA:5,0\nend_of_record\n"
                    % (sva, self.ksrc))
        self.old = mutate.gate.CACHE
        mutate.gate.CACHE = self.cache

    def tearDown(self):
        mutate.gate.CACHE = self.old
        self.tmp.cleanup()

    def version(self, v):
        with open(os.path.join(self.cache, "coverage", "latest", "suite-version"), "w") as f:
            f.write(v + "\n")

    def test_same_version(self):
        self.version("abc")
        self.assertEqual({("drivers/iommu/iommu-sva.c", 11)},
                         mutate.unreached_lines(self.ksrc, "abc"))

    def test_other_version_is_not_used(self):
        self.version("abc")
        self.assertIsNone(mutate.unreached_lines(self.ksrc, "def"))

    def test_no_version_is_not_used(self):
        self.assertIsNone(mutate.unreached_lines(self.ksrc, "abc"))


class Listed(unittest.TestCase):
    """coverage/unreachable's entries name the lines whose mutants cannot
    change what a test runs: a braceless if names its statement, not the
    condition (whose mutants still run)."""

    def test_body_not_condition(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "drivers/iommu/iommu-sva.c")
            os.makedirs(os.path.dirname(src))
            with open(src, "w") as f:
                f.write("int f(int x)\n{\n\tif (!x)\n\t\treturn -ENODEV;\n\treturn 0;\n}\n")
            lst = os.path.join(d, "unreachable")
            with open(lst, "w") as f:
                f.write("drivers/iommu/iommu-sva.c:f:if (!x) # never zero\n")
            old = mutate.UNREACHABLE
            mutate.UNREACHABLE = lst
            try:
                got = mutate.listed_unreachable(d)
            finally:
                mutate.UNREACHABLE = old
        self.assertEqual({("drivers/iommu/iommu-sva.c", 4): "never zero"}, got)


if __name__ == "__main__":
    unittest.main()
