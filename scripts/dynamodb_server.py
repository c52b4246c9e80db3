"""The DynamoDB emulator (moto's server) answering one request at a time.

moto's server handles each request on its own thread, and its DynamoDB backend has no locking:
two concurrent `UpdateItem ... ADD` on one item can interleave inside moto and return or
store a stale count. Real DynamoDB applies each write to an item atomically, and the lockout
tests rely on exactly that (50 concurrent failures must count exactly 50). Serialising the
requests gives the emulator the same per-request atomicity; connections are still served on
threads. Everything else is moto's own server, unchanged.

Usage: dynamodb_server.py HOST PORT
"""

import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class OneRequestAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        host,
        port,
        OneRequestAtATime(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
