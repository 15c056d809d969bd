"""Serving the simulator: in a background thread (tests) or in the foreground (a process)."""

import logging
import socket
import socketserver
import threading
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from devtools.flickr_simulator.app import FlickrSimulator

log = logging.getLogger("devtools.flickr_simulator")


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    # A request parked by the "timeout" fault must not hold up the next one.
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) leaves a broken pipe behind;
        # that is the point of those tests, not a simulator failure.
        log.debug("Simulated Flickr: client %s went away", client_address, exc_info=True)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.info("Simulated Flickr: " + format, *args)

    def handle(self) -> None:
        """WSGIRequestHandler.handle, but a REST call while the app is "down" gets its
        connection closed unanswered, as when Flickr is unreachable (the switches page
        still answers, so the mode can be turned off)."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        app = self.server.get_app()  # type: ignore[attr-defined]
        if getattr(app, "down", False) and self.path.startswith("/services/"):
            self.close_connection = True
            return
        # cast: the stubs type wfile as BufferedIOBase; it is the socket's binary file.
        wfile = cast(IO[bytes], self.wfile)
        handler = ServerHandler(
            self.rfile, wfile, self.get_stderr(), self.get_environ(), multithread=False
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(app)


class RunningSimulator:
    """A simulator served on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: FlickrSimulator, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="flickr-simulator", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/services"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/rest"

    def start(self) -> "RunningSimulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.app.release()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def serve_forever(app: FlickrSimulator, *, host: str, port: int) -> None:
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    with server:
        server.serve_forever()


def unused_port() -> int:
    """A port nothing listens on (for "Flickr is down" tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
