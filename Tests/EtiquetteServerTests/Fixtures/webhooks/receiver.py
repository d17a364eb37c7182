#!/usr/bin/env python3
"""An independent webhook receiver for Etiquette's tests: verifies X-Etiquette-Signature with
Python's hmac (not Etiquette's code), processes each Idempotency-Key once, and logs every request
as one JSON line.

Usage: receiver.py --secret S --log FILE [--port P] [--delay SECONDS] [--fail-first N]
                   [--hold-after N --gate FILE]
Prints "listening PORT" once bound (port 0 picks a free one). With --hold-after, every request
after the first N waits, unanswered, until FILE exists: deliveries are then certainly pending,
however fast or slow the machine.
"""
import argparse, hashlib, hmac, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--secret", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
parser.add_argument("--fail-first", type=int, default=0, help="answer 500 to the first N")
parser.add_argument("--hold-after", type=int, default=-1, help="hold requests after the first N")
parser.add_argument("--gate", default="", help="the file whose creation releases held requests")
args = parser.parse_args()
seen = [0]

lock = threading.Lock()
processed = set()
count = [0]


def verify(header, body, now):
    """The documented check: HMAC-SHA256 over "<t>.<raw body>", constant-time compare, and a
    timestamp at most five minutes old."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - t) > 300:
        return False
    expected = hmac.new(args.secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key", "")
        with lock:
            seen[0] += 1
            held = 0 <= args.hold_after < seen[0]
        while held and not os.path.exists(args.gate):
            time.sleep(0.02)
        valid = verify(self.headers.get("X-Etiquette-Signature"), body, time.time())
        if args.delay:
            time.sleep(args.delay)
        with lock:
            count[0] += 1
            entry = {"key": key, "event": self.headers.get("X-Etiquette-Event"),
                     "signatureValid": valid, "contentType": self.headers.get("Content-Type"),
                     "userAgent": self.headers.get("User-Agent"), "processed": False}
            if not valid:
                status = 401
            elif count[0] <= args.fail_first:
                status = 500
            else:
                status = 200
                entry["duplicate"] = key in processed
                if key not in processed:
                    processed.add(key)
                    entry["processed"] = True
                    entry["body"] = json.loads(body)
            entry["status"] = status
            with open(args.log, "a") as log:
                log.write(json.dumps(entry) + "\n")
                log.flush()
        answer = b'{"ok":true}' if status == 200 else b'{"error":"refused"}'
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender timed out and left; it will retry with the same key


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print("listening", server.server_address[1], flush=True)
server.serve_forever()
