"""An OTLP/HTTP endpoint that accepts every export and keeps nothing: the benchmark's collector
when it measures tracing's cost with the exporter working (docs/performance.md, "Tracing's cost").

`python -m bench.otlp_sink --port 4318`, then `python -m bench.run --env TRACING_ENABLED=true
--env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`. It counts the bytes it was sent and
prints the total when stopped (Ctrl-C or SIGTERM).
"""
from __future__ import annotations

import argparse
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"requests": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received["requests"] += 1
        received["bytes"] += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def stop(*_args: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4318)
    port = parser.parse_args().port
    server = ThreadingHTTPServer(("127.0.0.1", port), Sink)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"otlp sink: {received['requests']} exports, {received['bytes']:,} bytes")


if __name__ == "__main__":
    main()
