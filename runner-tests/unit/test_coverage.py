#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/coverage-report.py: function extents and the
lines an unreachable entry names, on kernel-style source, and the whole
report on a user-space stand-in of iommu-sva.c built with gcov (gcc, lcov
and genhtml needed; skipped without them)."""
import base64
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location(
    "coverage_report", os.path.join(HERE, "..", "..", "scripts", "coverage-report.py"))
cr = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cr)

SRC = """\
#include <stdlib.h>

/* A comment */
static int
helper(int x,
       int y)
{
	if (x > 5) {
		x = x * 2;
		return x;
	}
	if (y)
		return -1;
	return x + 1;
}
EXPORT_SYMBOL(helper);

int iommu_alloc_mm_data(int a)
{
	int *p = malloc(4);

	if (!p)
		return -12;
	free(p);
	if (a < 0)
		return -16;
	return helper(a, 0);
}
"""


class Source(unittest.TestCase):
    def setUp(self):
        self.lines = SRC.split("\n")

    def test_functions(self):
        f = cr.functions(self.lines)
        self.assertEqual(f["helper"], (3, 14))
        self.assertEqual(f["iommu_alloc_mm_data"], (17, 27))

    def named(self, func, pat):
        a, b = cr.functions(self.lines)[func]
        return sorted({k + 1 for i in range(a, b + 1) if pat in self.lines[i]
                       for k in cr.named_lines(self.lines, i, b)})

    def test_block_names_its_body(self):
        self.assertEqual(self.named("helper", "if (x > 5) {"), [9, 10])

    def test_braceless_header_names_its_statement(self):
        self.assertEqual(self.named("helper", "if (y)"), [13])

    def test_statement_names_itself(self):
        self.assertEqual(self.named("iommu_alloc_mm_data", "return -16;"), [26])

    def test_entries_need_a_reason(self):
        with tempfile.NamedTemporaryFile("w", suffix=".list") as f:
            f.write("drivers/iommu/iommu-sva.c:helper:return -1;\n")
            f.flush()
            with self.assertRaises(SystemExit):
                cr.read_unreachable(f.name)


@unittest.skipUnless(all(shutil.which(t) for t in ("gcc", "gcov", "lcov", "genhtml")),
                     "needs gcc, gcov, lcov and genhtml")
class Report(unittest.TestCase):
    def test_report(self):
        tmp = tempfile.mkdtemp()
        try:
            src, build, res = (os.path.join(tmp, d) for d in ("src", "build", "res"))
            os.makedirs(os.path.join(src, "drivers/iommu"))
            os.makedirs(os.path.join(build, "drivers/iommu"))
            os.makedirs(os.path.join(res, "guest"))
            with open(os.path.join(src, "drivers/iommu/iommu-sva.c"), "w") as f:
                f.write(SRC.replace("EXPORT_SYMBOL(helper);", ""))
            with open(os.path.join(src, "main.c"), "w") as f:
                f.write("int iommu_alloc_mm_data(int a);\n"
                        "int main(void) { return iommu_alloc_mm_data(3) < 0; }\n")
            # As kbuild does with O=: run in the build directory, the
            # source by its absolute path.
            subprocess.run(["gcc", "-O0", "-fprofile-arcs", "-ftest-coverage", "-c",
                            os.path.join(src, "drivers/iommu/iommu-sva.c"),
                            "-o", "drivers/iommu/iommu-sva.o"], cwd=build, check=True)
            subprocess.run(["gcc", "--coverage", os.path.join(src, "main.c"),
                            "drivers/iommu/iommu-sva.o", "-o", "prog"], cwd=build, check=True)
            subprocess.run(["./prog"], cwd=build, check=True)
            # What the guest sends: the .gcda under its build path, tarred.
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                tar.add(os.path.join(build, "drivers/iommu/iommu-sva.gcda"),
                        arcname="." + build + "/drivers/iommu/iommu-sva.gcda")
            with open(os.path.join(res, "guest", "gcov.tgz.b64"), "w") as f:
                f.write(base64.encodebytes(buf.getvalue()).decode())
            unreach = os.path.join(tmp, "unreachable")
            with open(unreach, "w") as f:
                f.write("drivers/iommu/iommu-sva.c:iommu_alloc_mm_data:if (!p) # ENOMEM\n")
            p = subprocess.run([sys.executable, cr.__file__, "--build", build, "--ksrc", src,
                                "--results", res, "--unreachable", unreach],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            rows = {ln.split()[0]: ln for ln in p.stdout.splitlines() if ln.strip()}
            # The file row: its line coverage first, one unreachable line
            # (return -12) apart; with a = 3 iommu_alloc_mm_data misses
            # return -16, helper its two early returns.
            self.assertIn("drivers/iommu/iommu-sva.c", rows)
            self.assertRegex(rows["drivers/iommu/iommu-sva.c"],
                             r"^drivers/iommu/iommu-sva.c +\d+\.\d%.*\(1 unreachable\).*NOT MET")
            self.assertRegex(rows["iommu_alloc_mm_data"], r" 6/7 \(1 unreachable\) +missed 26$")
            self.assertRegex(rows["helper"], r"missed 9-10,13$")
            self.assertIn("targets met: 0 of %d" % len(cr.SCOPES), p.stdout)
            self.assertTrue(os.path.exists(os.path.join(res, "coverage/html/index.html")))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
