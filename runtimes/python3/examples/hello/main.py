"""The python3 runtime's hello function: Qinling's convention, ``main(**input)`` returns JSON."""

import os


def main(name="World", **kwargs):
    print("greeting", name)
    return {"greeting": f"Hello, {name}!", "function": os.environ.get("QINLING_FUNCTION_ID")}
