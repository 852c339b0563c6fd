"""Outbound HTTP for Python functions, with the ``requests`` API (a subset), over ``wasi:http``.

The real ``requests`` needs sockets, which a Wasm function does not have; ``qinling-py build`` installs
this module as ``requests`` inside the component, so ``import requests`` works unchanged::

    import requests

    def main(url="https://api.github.com/events", **kwargs):
        return len(requests.get(url).json())

Supported: ``get``, ``post``, ``put``, ``patch``, ``delete``, ``head``, ``request`` and ``Session`` with
``params``, ``headers``, ``json``, ``data`` and ``timeout``; a ``Response`` with ``status_code``, ``ok``,
``headers``, ``content``, ``text``, ``json()``, ``raise_for_status()``; the usual exceptions. The platform
lets a function reach only the origins its ``allowed_hosts`` setting names.
"""

import json as _json
from urllib.parse import urlencode, urlsplit

try:  # the wasi:http bindings exist only inside a component; import them while it is being built
    from componentize_py_types import Err, Ok
    from wit_world.imports import outgoing_handler, streams, types
except ImportError:  # on the host, for unit tests of the module's pure parts
    Err = Ok = outgoing_handler = streams = types = None

__all__ = [
    "ConnectionError", "HTTPError", "RequestException", "Response", "Session", "Timeout",
    "delete", "get", "head", "patch", "post", "put", "request",
]


class RequestException(OSError):
    """A request could not be made or its response read."""


class ConnectionError(RequestException):  # noqa: A001 - the name requests uses
    """The request was refused (for instance, its origin is not allowed) or the connection failed."""


class Timeout(RequestException):
    """The request ran out of time."""


class HTTPError(RequestException):
    """``raise_for_status`` on a 4xx or 5xx response."""

    def __init__(self, message, response=None):
        super().__init__(message)
        self.response = response


class _Headers(dict):
    """A case-insensitive header mapping."""

    def __init__(self, pairs=()):
        super().__init__()
        for name, value in pairs:
            self[name] = value

    def __setitem__(self, name, value):
        super().__setitem__(name.lower(), value)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(str(name).lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)


class Response:
    def __init__(self, url, status_code, headers, content):
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def ok(self):
        return self.status_code < 400

    @property
    def text(self):
        return self.content.decode("utf-8", errors="replace")

    def json(self, **kwargs):
        return _json.loads(self.content, **kwargs)

    def raise_for_status(self):
        if not self.ok:
            raise HTTPError(f"{self.status_code} error for url: {self.url}", response=self)

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


def _failure(url, code):
    name = type(code).__name__.removeprefix("ErrorCode_")
    if name == "HttpRequestDenied":
        return ConnectionError(f"the request to {url} was denied: its origin is not in the function's allowed_hosts setting")
    if name in ("ConnectionTimeout", "ConnectionReadTimeout", "HttpResponseTimeout"):
        return Timeout(f"the request to {url} timed out")
    if name == "HttpResponseBodySize":
        return RequestException(f"the response from {url} is larger than the platform allows")
    return ConnectionError(f"the request to {url} failed: {name}")


def request(method, url, params=None, headers=None, json=None, data=None, timeout=None):
    if outgoing_handler is None:
        raise RequestException("outbound HTTP works only inside a Qinling Wasm function")
    if params:
        url = url + ("&" if "?" in url else "?") + urlencode(params, doseq=True)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestException(f"{url!r} is not an http:// or https:// URL")
    body = b""
    fields = [(name.lower(), str(value).encode()) for name, value in (headers or {}).items()]
    if json is not None:
        body = _json.dumps(json).encode()
        fields.append(("content-type", b"application/json"))
    elif data is not None:
        body = urlencode(data).encode() if isinstance(data, dict) else (data.encode() if isinstance(data, str) else bytes(data))
        if isinstance(data, dict):
            fields.append(("content-type", b"application/x-www-form-urlencoded"))

    outgoing = types.OutgoingRequest(types.Fields.from_list(fields))
    methods = {"GET": types.Method_Get(), "POST": types.Method_Post(), "PUT": types.Method_Put(),
               "DELETE": types.Method_Delete(), "PATCH": types.Method_Patch(), "HEAD": types.Method_Head()}
    outgoing.set_method(methods.get(method.upper()) or types.Method_Other(method.upper()))
    outgoing.set_scheme(types.Scheme_Https() if parts.scheme == "https" else types.Scheme_Http())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    options = None
    if timeout is not None:
        options = types.RequestOptions()
        nanoseconds = int(float(timeout) * 1e9)
        options.set_connect_timeout(nanoseconds)
        options.set_first_byte_timeout(nanoseconds)
        options.set_between_bytes_timeout(nanoseconds)
    outgoing_body = outgoing.body()
    try:
        pending = outgoing_handler.handle(outgoing, options)
    except Err as error:
        raise _failure(url, error.value) from None
    stream = outgoing_body.write()
    for start in range(0, len(body), 4096):
        stream.blocking_write_and_flush(body[start:start + 4096])
    stream.__exit__(None, None, None)
    types.OutgoingBody.finish(outgoing_body, None)

    pending.subscribe().block()
    result = pending.get()
    if result is None or isinstance(result, Err) or isinstance(result.value, Err):
        code = result.value.value if result is not None and isinstance(result, Ok) else None
        raise _failure(url, code)
    incoming = result.value.value
    status = incoming.status()
    response_headers = _Headers((name, value.decode("latin-1")) for name, value in incoming.headers().entries())
    incoming_body = incoming.consume()
    body_stream = incoming_body.stream()
    chunks = []
    while True:
        try:
            chunks.append(body_stream.blocking_read(64 * 1024))
        except Err as error:
            if isinstance(error.value, streams.StreamError_Closed):
                break
            raise RequestException(f"reading the response from {url} failed (it may be larger than the platform allows)") from None
    return Response(url, status, response_headers, b"".join(chunks))


def get(url, params=None, **kwargs):
    return request("GET", url, params=params, **kwargs)


def post(url, data=None, json=None, **kwargs):
    return request("POST", url, data=data, json=json, **kwargs)


def put(url, data=None, **kwargs):
    return request("PUT", url, data=data, **kwargs)


def patch(url, data=None, **kwargs):
    return request("PATCH", url, data=data, **kwargs)


def delete(url, **kwargs):
    return request("DELETE", url, **kwargs)


def head(url, **kwargs):
    return request("HEAD", url, **kwargs)


class Session:
    """``requests.Session``: default headers merged into every request."""

    def __init__(self):
        self.headers = {}

    def request(self, method, url, headers=None, **kwargs):
        return request(method, url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
