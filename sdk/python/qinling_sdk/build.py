"""``qinling-py build``: a Python function (a module with ``main``) to a WebAssembly component.

    qinling-py build app.py -o app.wasm [-r requirements.txt] [--deps DIR]

The source is checked first (syntax, a top-level ``main``), so mistakes are reported in a line, not in a
componentize-py traceback. Pure-Python dependencies from a requirements file (installed with pip) or a
folder are bundled into the component; compiled extension modules cannot run in WebAssembly and are
refused. Exit status: 0 built, 2 the function or its dependencies are at fault, 1 the tools failed.
"""

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORLD = "handler"
APP_MODULE = "qinling_app"
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")


class BuildError(Exception):
    """The function or its dependencies are at fault; the message says how."""


def check_source(source: Path) -> str:
    """Checks a function's source and returns its module name."""
    if source.suffix != ".py" or not source.is_file():
        raise BuildError(f"{source} is not a Python file")
    text = source.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=str(source))
    except SyntaxError as error:
        raise BuildError(f"{source}:{error.lineno}: syntax error: {error.msg}") from None
    defines_main = any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main" for node in tree.body
    )
    if not defines_main:
        raise BuildError(f"{source} defines no top-level function `main`; Qinling calls main(**input)")
    if any(isinstance(node, ast.AsyncFunctionDef) and node.name == "main" for node in tree.body):
        raise BuildError(f"{source}: main must be a plain function, not async")
    return source.stem


def install_requirements(requirements: Path, target: Path, say) -> None:
    say(f"installing dependencies from {requirements}")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target), "-r", str(requirements)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"pip could not install {requirements}:\n{done.stderr.strip()}")
    check_pure_python(target)


def check_pure_python(folder: Path) -> None:
    native = [path for path in folder.rglob("*") if path.suffix in NATIVE_SUFFIXES]
    if native:
        names = ", ".join(str(path.relative_to(folder)) for path in native[:5])
        raise BuildError(f"only pure-Python dependencies can run in a Wasm function; compiled code found: {names}")


def componentize_py() -> str:
    beside = Path(sys.executable).with_name("componentize-py")
    found = str(beside) if beside.exists() else shutil.which("componentize-py")
    if not found:
        raise RuntimeError("componentize-py is not installed (pip install componentize-py==0.25.0)")
    return found


def stage_sdk(stage: Path) -> None:
    """Copies this package's Python modules into the component (not the rest of site-packages), and
    installs qinling_sdk.http as ``requests``, since the real one needs sockets."""
    package = Path(__file__).parent
    target = stage / package.name
    target.mkdir()
    for module in package.glob("*.py"):
        shutil.copy(module, target / module.name)
    requests = stage / "requests"
    requests.mkdir()
    (requests / "__init__.py").write_text("from qinling_sdk.http import *  # noqa: F401,F403\n", encoding="utf-8")
    (requests / "exceptions.py").write_text(
        "from qinling_sdk.http import ConnectionError, HTTPError, RequestException, Timeout  # noqa: F401\n",
        encoding="utf-8",
    )


def build(source: Path, output: Path, requirements: Path | None, deps: Path | None, say) -> None:
    started = time.monotonic()
    say(f"checking {source}")
    module = check_source(source)
    wit = Path(__file__).parent / "wit"
    with tempfile.TemporaryDirectory(prefix="qinling-py-") as temporary:
        stage = Path(temporary)
        stage_sdk(stage)
        (stage / f"{APP_MODULE}.py").write_text(
            f"import {module} as _function\n"
            "from qinling_sdk._handler import world_for\n\n"
            "WitWorld = world_for(_function)\n",
            encoding="utf-8",
        )
        paths = [stage, source.resolve().parent]
        if deps is not None:
            check_pure_python(deps)
            paths.append(deps.resolve())
        if requirements is not None:
            installed = stage / "site-packages"
            install_requirements(requirements, installed, say)
            paths.append(installed)
        say("componentizing with componentize-py (a few seconds)")
        command = [componentize_py(), "-d", str(wit), "-w", WORLD, "componentize", APP_MODULE]
        for path in paths:
            command += ["-p", str(path)]
        command += ["-o", str(output)]
        # componentize-py is written in Rust: keep its backtraces out of the user's error message.
        environment = {**os.environ, "RUST_BACKTRACE": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        if done.returncode != 0:
            raise BuildError(f"componentize-py failed to build {source}:\n{(done.stderr or done.stdout).strip()}")
    size = output.stat().st_size / 1e6
    say(f"built {output} ({size:.1f} MB) in {time.monotonic() - started:.1f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="qinling-py", description="Build Python functions for Qinling.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="build a function into a WebAssembly component")
    build_command.add_argument("source", type=Path, help="the function's module, e.g. app.py")
    build_command.add_argument("-o", "--output", type=Path, help="the component to write (default: <source>.wasm)")
    build_command.add_argument("-r", "--requirements", type=Path, help="a requirements.txt of pure-Python packages")
    build_command.add_argument("--deps", type=Path, help="a folder of pure-Python packages to bundle")
    build_command.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = parser.parse_args(argv)
    say = (lambda message: None) if args.quiet else (lambda message: print(f"qinling-py: {message}", file=sys.stderr))
    output = args.output or args.source.with_suffix(".wasm")
    try:
        build(args.source, output, args.requirements, args.deps, say)
    except BuildError as error:
        print(f"qinling-py: error: {error}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as error:
        print(f"qinling-py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
