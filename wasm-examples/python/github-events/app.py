"""Qinling's classic quickstart function, unchanged but for where it fetches from: counts GitHub's public
events (or the JSON list at ``url``). ``requests`` is the Python SDK's wasi:http client."""

import requests


def main(url="https://api.github.com/events", **kwargs):
    r = requests.get(url)
    return len(r.json())
