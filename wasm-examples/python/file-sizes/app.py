"""A Python function with a pure-Python dependency from PyPI (humanize, bundled into the component by
`qinling-py build -r requirements.txt`): turns byte counts into human-readable sizes."""

import humanize


def main(sizes, binary=False, **kwargs):
    if not isinstance(sizes, list):
        raise ValueError("sizes must be a list of byte counts")
    return [humanize.naturalsize(size, binary=binary) for size in sizes]
