"""Tests of the Python SDK, run with `python -m unittest discover -s sdk/python/tests -t sdk/python`."""
