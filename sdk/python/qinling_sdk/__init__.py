"""Write Qinling functions in Python.

A function is a module with a ``main`` function, as in OpenStack Qinling::

    def main(name="World", **kwargs):
        return {"greeting": f"Hello, {name}!"}

``qinling-py build app.py -o app.wasm`` turns it into a WebAssembly component of the
``qinling:function/handler`` world (with componentize-py), ready for a Wasm runtime. How ``main`` is
called and what it may return is described in ``qinling_sdk._handler``. ``context()`` tells a running
function about its execution.
"""

import os
import time
from dataclasses import dataclass
from typing import Optional

__all__ = ["Context", "context"]


@dataclass(frozen=True)
class Context:
    """The execution a function runs in, from the ``QINLING_*`` environment the host sets."""

    execution_id: str
    function_id: str
    function_version: int
    deadline_ms: Optional[int]

    def remaining(self) -> Optional[float]:
        """Seconds left before the execution times out (0 once passed; None if unknown)."""
        if self.deadline_ms is None:
            return None
        return max(0.0, self.deadline_ms / 1000 - time.time())


def context() -> Context:
    """The context of the current execution."""
    deadline = os.environ.get("QINLING_DEADLINE_MS")
    return Context(
        execution_id=os.environ.get("QINLING_EXECUTION_ID", ""),
        function_id=os.environ.get("QINLING_FUNCTION_ID", ""),
        function_version=int(os.environ.get("QINLING_FUNCTION_VERSION", "0") or 0),
        deadline_ms=int(deadline) if deadline and deadline.isdigit() else None,
    )
