"""The build tool's checks, which run before componentize-py."""

import tempfile
import unittest
from pathlib import Path

from qinling_sdk.build import BuildError, check_pure_python, check_source


class SourceChecks(unittest.TestCase):
    def write(self, text: str) -> Path:
        folder = Path(tempfile.mkdtemp())
        path = folder / "app.py"
        path.write_text(text)
        return path

    def test_a_function_module_passes(self):
        self.assertEqual(check_source(self.write("def main(**kwargs):\n    return 1\n")), "app")

    def test_a_syntax_error_names_the_line(self):
        with self.assertRaises(BuildError) as error:
            check_source(self.write("def main(:\n    pass\n"))
        self.assertRegex(str(error.exception), r"app\.py:1: syntax error")

    def test_a_missing_main_is_reported(self):
        with self.assertRaises(BuildError) as error:
            check_source(self.write("def handler(event):\n    return event\n"))
        self.assertIn("defines no top-level function `main`", str(error.exception))

    def test_native_extensions_are_refused(self):
        folder = Path(tempfile.mkdtemp())
        (folder / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
        with self.assertRaises(BuildError) as error:
            check_pure_python(folder)
        self.assertIn("only pure-Python dependencies", str(error.exception))


if __name__ == "__main__":
    unittest.main()
