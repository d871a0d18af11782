#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/mutate.py's operators: which lines give which
mutants. A mutant that no correct kernel can tell apart from the original
only costs a boot and lowers the score, so the generator must not make it."""
import importlib.util
import os
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


if __name__ == "__main__":
    unittest.main()
