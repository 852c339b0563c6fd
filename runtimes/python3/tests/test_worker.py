"""The python3 worker over real HTTP on loopback: a package server, the worker, and the protocol."""

import io
import json
import os
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "sdk", "python"))

import worker  # noqa: E402 - after the path set-up

TOKEN = "secret-token"


def package(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


class Packages(BaseHTTPRequestHandler):
    """Serves ``packages[path]`` to requests that carry the token."""

    packages: dict = {}

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        data = self.packages.get(self.path)
        if self.headers.get("X-Auth-Token") != TOKEN:
            self.send_response(401)
            data = b""
        elif data is None:
            self.send_response(404)
            data = b""
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class WorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.package_server = ThreadingHTTPServer(("127.0.0.1", 0), Packages)
        cls.packages_url = start(cls.package_server)

    @classmethod
    def tearDownClass(cls):
        cls.package_server.shutdown()

    def setUp(self):
        self.worker = worker.Worker()
        self.server = worker.serve(("127.0.0.1", 0), self.worker)
        self.url = start(self.server)

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.worker.close()

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def load(self, files: dict, entry="main.main", function_id="f1", version=0, token=TOKEN):
        path = f"/{function_id}-{version}-{len(Packages.packages)}.zip"
        Packages.packages[path] = package(files)
        body = {"function_id": function_id, "function_version": version, "entry": entry,
                "download_url": self.packages_url + path, "token": token}
        return self.call("POST", "/load", body)

    def execute(self, input_value, timeout=5, memory_size=None):
        body = {"execution_id": "e1", "input": input_value, "timeout": timeout, "memory_size": memory_size}
        status, result = self.call("POST", "/execute", body)
        self.assertEqual(status, 200, result)
        return result

    def test_health_says_what_is_loaded(self):
        self.assertEqual(self.call("GET", "/health"), (200, {"status": "ok", "protocol": worker.PROTOCOL, "function": None}))
        self.load({"main.py": "def main(): return 1"})
        _, health = self.call("GET", "/health")
        self.assertEqual(health["function"], {"function_id": "f1", "function_version": 0, "entry": "main.main"})

    def test_closing_the_worker_removes_the_downloaded_code(self):
        self.assertEqual(self.load({"main.py": "def main(): return 1"})[0], 200)
        code_dir = self.worker.code_dir
        self.assertTrue(os.path.isfile(os.path.join(code_dir, "main.py")))
        self.worker.close()
        self.assertFalse(os.path.exists(code_dir))

    def test_a_loaded_function_runs_with_keyword_input_and_its_log(self):
        code = "import os\ndef main(name='World', **kwargs):\n    print('greeting', name)\n" \
               "    return {'greeting': f'Hello, {name}!', 'execution': os.environ['QINLING_EXECUTION_ID'],\n" \
               "            'function': os.environ['QINLING_FUNCTION_ID']}\n"
        status, loaded = self.load({"main.py": code})
        self.assertEqual(status, 200, loaded)
        self.assertTrue(loaded["loaded"])
        result = self.execute({"name": "Qinling"})
        self.assertTrue(result["success"], result)
        self.assertEqual(result["output"], {"greeting": "Hello, Qinling!", "execution": "e1", "function": "f1"})
        self.assertEqual(result["log"], "greeting Qinling\n")

    def test_the_entry_names_module_and_function_in_packages(self):
        files = {"pkg/__init__.py": "", "pkg/handlers.py": "def handle(x):\n    import pkg.twice\n    return pkg.twice.twice(x)",
                 "pkg/twice.py": "def twice(x): return x * 2"}
        self.assertEqual(self.load(files, entry="pkg.handlers.handle")[0], 200)
        self.assertEqual(self.execute(21)["output"], 42)

    def test_an_exception_fails_the_execution_with_its_traceback_in_the_log(self):
        self.load({"main.py": "def main():\n    raise ValueError('bad input')\n"})
        result = self.execute({})
        self.assertEqual((result["success"], result["output"]), (False, "ValueError: bad input"))
        self.assertIn("Traceback", result["log"])

    def test_a_timeout_kills_the_work_and_the_worker_carries_on(self):
        self.load({"main.py": "import time\ndef main(seconds=0):\n    while True: time.sleep(seconds)\n"})
        started = time.monotonic()
        result = self.execute({"seconds": 0}, timeout=1)
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual((result["success"], result["output"]), (False, "timed out after 1 s"))
        self.assertEqual(self.execute({"seconds": 1}, timeout=0.2)["output"], "timed out after 0.2 s")
        self.assertEqual(self.call("GET", "/health")[0], 200)

    def test_memory_beyond_the_limit_fails_the_execution(self):
        self.load({"main.py": "def main(mb):\n    return len(bytearray(mb * 1024 * 1024))\n"})
        self.assertEqual(self.execute({"mb": 8}, memory_size=64 << 20)["output"], 8 << 20)
        result = self.execute({"mb": 512}, memory_size=64 << 20)
        self.assertEqual((result["success"], result["output"]), (False, f"memory limit exceeded ({64 << 20} bytes)"))

    def test_exit_and_output_that_is_not_json_fail_the_execution(self):
        self.load({"main.py": "import os, sys\ndef main(how):\n    if how == 'exit': sys.exit(3)\n"
                              "    if how == 'abort': os.abort()\n    return object()\n"})
        self.assertEqual(self.execute({"how": "exit"})["output"], "SystemExit: 3")
        self.assertEqual(self.execute({"how": "abort"})["output"], "the function's process was killed by SIGABRT")
        self.assertIn("not JSON", self.execute({"how": "object"})["output"])

    def test_a_worker_holds_one_function(self):
        self.assertEqual(self.load({"main.py": "def main(): return 1"})[0], 200)
        status, again = self.load({"main.py": "def main(): return 1"})
        self.assertEqual((status, again["loaded"]), (200, False))
        status, refused = self.load({"main.py": "def main(): return 2"}, function_id="f2")
        self.assertEqual(status, 409, refused)

    def test_execute_before_load_is_refused(self):
        status, body = self.call("POST", "/execute", {"input": {}, "timeout": 1})
        self.assertEqual(status, 409)
        self.assertIn("no function is loaded", body["error"])

    def test_unsafe_packages_and_bad_downloads_are_refused(self):
        cases = [
            ({"../evil.py": "x"}, "unsafe path"),
            ({"/etc/evil.py": "x"}, "unsafe path"),
            ({"main.py": "import nothing_here\ndef main(): pass"}, "ModuleNotFoundError"),
            ({"other.py": "def main(): pass"}, "importing main"),
        ]
        for files, message in cases:
            status, body = self.load(files)
            self.assertEqual(status, 400, (files, body))
            self.assertIn(message, body["error"])
        status, body = self.load({"main.py": "def main(): pass"}, token="wrong")
        self.assertEqual(status, 502)
        self.assertIn("401", body["error"])
        self.assertEqual(self.call("GET", "/health")[1]["function"], None, "nothing was loaded")

    def test_a_zip_bomb_is_refused(self):
        limit = worker.MAX_UNPACKED
        worker.MAX_UNPACKED = 1024 * 1024
        try:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("main.py", b"#" * (4 * 1024 * 1024))
            Packages.packages["/bomb.zip"] = buffer.getvalue()
            body = {"function_id": "b", "download_url": self.packages_url + "/bomb.zip", "token": TOKEN}
            status, refused = self.call("POST", "/load", body)
            self.assertEqual(status, 400)
            self.assertIn("unpacks to more than", refused["error"])
        finally:
            worker.MAX_UNPACKED = limit


if __name__ == "__main__":
    unittest.main()
