"""How the platform calls a Python function's ``main`` (the glue inside every component).

- The input is JSON. An object is passed as keyword arguments (Qinling's ``def main(**kwargs)``
  convention), unless ``main`` takes a single positional parameter whose name is not a key of the object:
  then, as for any other JSON value, the whole input is passed as that one argument (``def main(input)``).
- The return value is the output; it must be JSON-serializable.
- An exception fails the execution with ``"<Type>: <message>"``; its traceback goes to the log.
- ``print`` (stdout) and ``sys.stderr`` go to the execution log.
"""

import inspect
import json
import sys
import traceback


class FunctionError(Exception):
    """The function failed; the message is what the execution reports."""


def _takes_whole_input(main, data) -> bool:
    parameters = list(inspect.signature(main).parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not isinstance(data, dict):
        return bool(parameters) and parameters[0].kind in positional
    return len(parameters) == 1 and parameters[0].kind in positional and parameters[0].name not in data


def call(main, input_text: str) -> str:
    """Runs ``main`` on JSON input text and returns the output as JSON text, or raises FunctionError."""
    try:
        data = json.loads(input_text)
    except ValueError as error:
        raise FunctionError(f"invalid input: {error}") from None
    try:
        if _takes_whole_input(main, data):
            result = main(data)
        elif isinstance(data, dict):
            result = main(**data)
        else:
            result = main()
    except Exception as error:  # noqa: BLE001 - any exception is the function's failure
        traceback.print_exc(file=sys.stderr)
        raise FunctionError(f"{type(error).__name__}: {error}") from None
    try:
        return json.dumps(result)
    except (TypeError, ValueError) as error:
        raise FunctionError(f"the function returned a value that is not JSON: {error}") from None


def world_for(module):
    """The class componentize-py exports for the handler world, calling ``module.main``."""
    main = getattr(module, "main", None)
    if not callable(main):
        raise TypeError(f"{module.__name__} defines no function `main`")

    class WitWorld:
        def handle(self, input: str) -> str:
            from componentize_py_types import Err  # only exists inside a component

            try:
                return call(main, input)
            except FunctionError as failure:
                raise Err(str(failure)) from None

    return WitWorld
