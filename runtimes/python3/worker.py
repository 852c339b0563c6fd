"""Qinling's python3 worker: serves the worker protocol (see runtimes/README.md) for one function.

A worker starts empty in its runtime's pool. ``POST /load`` gives it a function: it downloads the
package (a zip) from the URL it is given, with the token as ``X-Auth-Token``, unpacks it safely and
imports the entry (``main.main``: module ``main``, function ``main``). ``POST /execute`` then runs the
function once per request in a forked child, so each execution has its own timeout (the child is killed),
memory limit (RLIMIT_DATA above what the worker already uses) and log (stdout and stderr). How ``main``
is called is the Python SDK's convention (``qinling_sdk._handler``), the same as for Python on Wasm.

An image built on this one can carry its code: with ``QINLING_CODE_DIR`` and ``QINLING_ENTRY`` set, the
worker loads that code at start and needs no ``/load``.

Only the standard library: the image is Debian's python3 and this file.
"""

import importlib
import io
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from qinling_sdk import _handler

PROTOCOL = "qinling-worker/1"
MAX_REQUEST = 8 * 1024 * 1024
MAX_PACKAGE = int(os.environ.get("QINLING_MAX_PACKAGE", 50 * 1024 * 1024))
MAX_UNPACKED = int(os.environ.get("QINLING_MAX_UNPACKED", 500 * 1024 * 1024))
MAX_FILES = 10_000
MAX_LOG = 256 * 1024
MAX_OUTPUT = 4 * 1024 * 1024
MAX_RESULT = 2 * MAX_OUTPUT + 1024  # the output as JSON text inside the child's JSON result
LOG_CUT = "\n[log cut: it passed {} bytes]\n"


class Refused(Exception):
    """A request the worker will not carry out; the message says why (HTTP 4xx)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Function:
    """The loaded function: who it is and its ``main``."""

    def __init__(self, function_id: str, version: int, entry: str, main):
        self.function_id = function_id
        self.version = version
        self.entry = entry
        self.main = main

    def describe(self) -> dict:
        return {"function_id": self.function_id, "function_version": self.version, "entry": self.entry}


def unpack(package: bytes, directory: str) -> None:
    """Unpacks a zip package into ``directory``, refusing paths that leave it, links and zip bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile:
        raise Refused(400, "the package is not a zip archive") from None
    members = archive.infolist()
    if len(members) > MAX_FILES:
        raise Refused(400, f"the package holds more than {MAX_FILES} files")
    if sum(member.file_size for member in members) > MAX_UNPACKED:
        raise Refused(400, f"the package unpacks to more than {MAX_UNPACKED} bytes")
    root = os.path.realpath(directory)
    for member in members:
        name = member.filename
        if name.startswith("/") or ".." in name.replace("\\", "/").split("/"):
            raise Refused(400, f"the package holds an unsafe path: {name!r}")
        if (member.external_attr >> 16) & 0o170000 == 0o120000:
            raise Refused(400, f"the package holds a symbolic link: {name!r}")
        target = os.path.realpath(os.path.join(root, name))
        if not target.startswith(root + os.sep):
            raise Refused(400, f"the package holds an unsafe path: {name!r}")
    written = 0
    for member in members:
        target = os.path.join(root, member.filename)
        if member.is_dir():
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(member) as source, open(target, "wb") as sink:
            while chunk := source.read(1 << 16):
                written += len(chunk)
                if written > MAX_UNPACKED:
                    raise Refused(400, f"the package unpacks to more than {MAX_UNPACKED} bytes")
                sink.write(chunk)


def import_entry(directory: str, entry: str):
    """Imports ``module.function`` from ``directory``; the function to call."""
    module_name, _, function_name = entry.rpartition(".")
    if not module_name or not function_name:
        raise Refused(400, f"the entry must be module.function, not {entry!r}")
    sys.path.insert(0, directory)
    top = module_name.split(".")[0]
    for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
        del sys.modules[name]  # a module of that name imported before is not this package's
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any import failure is the package's
        sys.path.remove(directory)
        raise Refused(400, f"importing {module_name}: {type(error).__name__}: {error}") from None
    if not os.path.realpath(getattr(module, "__file__", None) or "/").startswith(os.path.realpath(directory) + os.sep):
        raise Refused(400, f"importing {module_name}: the package has no module {module_name!r}")
    main = getattr(module, function_name, None)
    if not callable(main):
        raise Refused(400, f"{module_name} defines no function {function_name!r}")
    return main


def download(url: str, token: str) -> bytes:
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            package = response.read(MAX_PACKAGE + 1)
    except Exception as error:  # noqa: BLE001 - report any download failure as such
        raise Refused(502, f"downloading the package from {url}: {error}") from None
    if len(package) > MAX_PACKAGE:
        raise Refused(400, f"the package is larger than {MAX_PACKAGE} bytes")
    return package


def data_in_use() -> int:
    """Bytes of this process's data segment (what RLIMIT_DATA counts)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def run_child(main, request: dict, result_fd: int, log_fd: int) -> None:
    """In the forked child: limits, environment, the call; the outcome goes to ``result_fd``."""
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    memory = request.get("memory_size")
    if memory:
        limit = data_in_use() + int(memory)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    os.environ["QINLING_EXECUTION_ID"] = str(request.get("execution_id", ""))
    os.environ["QINLING_DEADLINE_MS"] = str(int((time.time() + float(request["timeout"])) * 1000))
    try:
        outcome = {"ok": _handler.call(main, json.dumps(request.get("input")))}
    except _handler.FunctionError as failure:
        message = str(failure)
        if message.startswith("MemoryError"):
            message = f"memory limit exceeded ({memory} bytes)"
        outcome = {"err": message}
    except BaseException as error:  # noqa: BLE001 - SystemExit and the like fail the execution too
        outcome = {"err": f"{type(error).__name__}: {error}"}
    sys.stdout.flush()
    sys.stderr.flush()
    data = json.dumps(outcome).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(result_fd, view) :]


def read_log(log_file) -> str:
    log_file.seek(0)
    data = log_file.read(MAX_LOG + 1)
    text = data[:MAX_LOG].decode("utf-8", errors="replace")
    return text + LOG_CUT.format(MAX_LOG) if len(data) > MAX_LOG else text


def execute(function: Function, request: dict) -> dict:
    """Runs one execution in a forked child and waits for it, at most its timeout."""
    timeout = float(request.get("timeout") or 5)
    started = time.monotonic()
    result_read, result_write = os.pipe()
    with tempfile.TemporaryFile() as log_file:
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                os.close(result_read)
                os.setsid()
                os.environ["QINLING_FUNCTION_ID"] = function.function_id
                os.environ["QINLING_FUNCTION_VERSION"] = str(function.version)
                run_child(function.main, request, result_write, log_file.fileno())
            except BaseException:  # noqa: BLE001 - never return into the server's code
                status = 1
            finally:
                os._exit(status)
        os.close(result_write)
        chunks, size, deadline, timed_out = [], 0, started + timeout, False
        too_large = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([result_read], [], [], remaining)
                if not ready:
                    continue
                chunk = os.read(result_read, 1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_RESULT:
                    too_large = True
                    break
                chunks.append(chunk)
        finally:
            os.close(result_read)
            if timed_out or too_large:
                kill(pid)
            _, status = os.waitpid(pid, 0)
        duration = time.monotonic() - started
        log = read_log(log_file)
    if timed_out:
        return failure(f"timed out after {timeout:g} s", duration, log)
    if too_large:
        return failure(f"output too large: over {MAX_OUTPUT} bytes", duration, log)
    if os.WIFSIGNALED(status):
        signal_name = signal.Signals(os.WTERMSIG(status)).name
        return failure(f"the function's process was killed by {signal_name}", duration, log)
    try:
        outcome = json.loads(b"".join(chunks))
    except ValueError:
        return failure("the function's process ended without a result", duration, log)
    if "err" in outcome:
        return failure(outcome["err"], duration, log)
    if len(outcome["ok"]) > MAX_OUTPUT:
        return failure(f"output too large: over {MAX_OUTPUT} bytes", duration, log)
    return {"success": True, "output": json.loads(outcome["ok"]), "duration": duration, "log": log}


def kill(pid: int) -> None:
    """Kills an execution's child and whatever it started (its own process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        os.kill(pid, signal.SIGKILL)  # it has not called setsid yet


def failure(message: str, duration: float, log: str) -> dict:
    return {"success": False, "output": message, "duration": duration, "log": log}


class Worker:
    """The worker's state: at most one function, loaded once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.function = None
        self.code_dir = None

    def health(self) -> dict:
        loaded = self.function.describe() if self.function else None
        return {"status": "ok", "protocol": PROTOCOL, "function": loaded}

    def load(self, request: dict) -> dict:
        try:
            function_id = str(request["function_id"])
            version = int(request.get("function_version", 0))
            entry = str(request.get("entry") or "main.main")
            url, token = str(request["download_url"]), str(request.get("token", ""))
        except (KeyError, TypeError, ValueError) as error:
            raise Refused(400, f"a load needs function_id, download_url and token: {error}") from None
        with self.lock:
            if self.function:
                if (self.function.function_id, self.function.version) == (function_id, version):
                    return {"function": self.function.describe(), "loaded": False}
                raise Refused(409, "this worker already holds another function")
            started = time.monotonic()
            directory = tempfile.mkdtemp(prefix="qinling-function-")
            try:
                unpack(download(url, token), directory)
                main = import_entry(directory, entry)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
            self.function = Function(function_id, version, entry, main)
            self.code_dir = directory
            return {"function": self.function.describe(), "loaded": True, "duration": time.monotonic() - started}

    def close(self) -> None:
        """Removes the downloaded code, when the worker stops."""
        with self.lock:
            if self.code_dir:
                shutil.rmtree(self.code_dir, ignore_errors=True)
                self.code_dir = None

    def load_baked(self, directory: str, entry: str, function_id: str, version: int) -> None:
        self.function = Function(function_id, version, entry, import_entry(directory, entry))

    def execute(self, request: dict) -> dict:
        function = self.function
        if function is None:
            raise Refused(409, "no function is loaded in this worker")
        if not isinstance(request, dict) or "timeout" not in request:
            raise Refused(400, "an execution needs input and timeout")
        return execute(function, request)


class Handler(BaseHTTPRequestHandler):
    worker: Worker = None
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the client's
        # delayed ACK hold every answer on a kept-alive connection back by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - the base class names it so
        pass

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST:
            raise Refused(413, f"the request is larger than {MAX_REQUEST} bytes")
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError as error:
            raise Refused(400, f"malformed JSON: {error}") from None

    def serve(self, action) -> None:
        try:
            self.reply(200, action())
        except Refused as refused:
            self.reply(refused.status, {"error": str(refused)})
        except Exception as error:  # noqa: BLE001 - the worker must answer, whatever broke
            self.reply(500, {"error": f"{type(error).__name__}: {error}"})

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/health":
            self.serve(self.worker.health)
        else:
            self.reply(404, {"error": f"no such path: {self.path}"})

    def do_POST(self):  # noqa: N802 - http.server's naming
        actions = {"/load": self.worker.load, "/execute": self.worker.execute}
        action = actions.get(self.path)
        if action is None:
            self.reply(404, {"error": f"no such path: {self.path}"})
        else:
            self.serve(lambda: action(self.body()))


def serve(address: tuple, worker: Worker) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"worker": worker})
    server = ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    return server


def main() -> None:
    worker = Worker()
    code_dir, entry = os.environ.get("QINLING_CODE_DIR"), os.environ.get("QINLING_ENTRY")
    if code_dir and entry:
        function_id = os.environ.get("QINLING_FUNCTION_ID", "")
        worker.load_baked(code_dir, entry, function_id, int(os.environ.get("QINLING_FUNCTION_VERSION", "0")))
    host = os.environ.get("QINLING_WORKER_HOST", "0.0.0.0")
    port = int(os.environ.get("QINLING_WORKER_PORT", "9090"))
    server = serve((host, port), worker)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"qinling python3 worker listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        worker.close()


if __name__ == "__main__":
    main()
