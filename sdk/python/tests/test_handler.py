"""The calling conventions of qinling_sdk._handler, run on the host Python."""

import json
import unittest

from qinling_sdk._handler import FunctionError, call, world_for


class CallingConventions(unittest.TestCase):
    def test_an_object_becomes_keyword_arguments(self):
        def main(name="World", **kwargs):
            return {"greeting": f"Hello, {name}!", "extra": sorted(kwargs)}

        self.assertEqual(json.loads(call(main, '{"name": "Q", "x": 1}')), {"greeting": "Hello, Q!", "extra": ["x"]})
        self.assertEqual(json.loads(call(main, "{}")), {"greeting": "Hello, World!", "extra": []})

    def test_a_single_input_parameter_gets_the_whole_input(self):
        def main(input):
            return input

        self.assertEqual(json.loads(call(main, '{"a": 1}')), {"a": 1})
        self.assertEqual(json.loads(call(main, "[1, 2]")), [1, 2])

    def test_a_parameter_named_in_the_object_is_a_keyword(self):
        def main(sizes):
            return len(sizes)

        self.assertEqual(call(main, '{"sizes": [1, 2, 3]}'), "3")

    def test_an_exception_fails_with_its_type_and_message(self):
        def main(**kwargs):
            raise ValueError("bad order")

        with self.assertRaises(FunctionError) as failure:
            call(main, "{}")
        self.assertEqual(str(failure.exception), "ValueError: bad order")

    def test_output_must_be_json(self):
        def main(**kwargs):
            return {1, 2}

        with self.assertRaises(FunctionError) as failure:
            call(main, "{}")
        self.assertIn("not JSON", str(failure.exception))

    def test_input_must_be_json(self):
        with self.assertRaises(FunctionError) as failure:
            call(lambda: None, "{nope")
        self.assertIn("invalid input", str(failure.exception))

    def test_a_module_without_main_is_refused(self):
        import types

        with self.assertRaises(TypeError):
            world_for(types.ModuleType("empty"))


if __name__ == "__main__":
    unittest.main()
