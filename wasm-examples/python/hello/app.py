"""Qinling's classic hello world, in Python: main receives the input's fields as keyword arguments."""


def main(name="World", **kwargs):
    print(f"greeting {name}")
    return {"greeting": f"Hello, {name}!"}
