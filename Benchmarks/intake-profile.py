#!/usr/bin/env python3
"""Where the webhook intake's CPU goes: runs `Benchmarks/webhook-load.py` (SQLite, 16 clients),
samples the whole machine with `perf record -g` for 7 s in the middle of the load, and prints
the CPU per message of each part of the path, largest parts first (issue 20's "top ten").

  python3 Benchmarks/intake-profile.py --binary .build/release/etiquette [--rules rules]
  python3 Benchmarks/intake-profile.py --data perf.data --messages 14399   # an earlier record

A sample counts for the first part whose frame is on its stack (the order of PARTS below), so
the parts add up to the whole. Frames inside SQLite are not unwound (Debian's library has no
frame pointers): what SQLite does on its own is its own part, whoever called it. Needs
`perf` (Debian's `linux-perf`) and root or `kernel.perf_event_paranoid` ≤ 1. Not a test:
figures depend on the machine; perf's call graphs slow the server by ~10 %.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

PARTS = [
    ("idle", lambda comm, stack: comm.startswith("swapper")),
    ("load client (wrk)", lambda comm, stack: comm.startswith(("wrk", "python"))),
    ("webhook body → payload (WhatsAppPayload.parse)", r"WhatsAppPayload.*5parse"),
    ("signature (HMAC-SHA256)", r"WebhookSignature|HMAC"),
    ("step: ConversationRecords.save (rows, search index)", r"ConversationRecordsO4save"),
    ("step: Engine.apply", r"EtiquetteEngine0B0V5apply"),
    ("step: StepRecords.record (the step's input line)", r"StepRecordsO6record"),
    ("step: ConversationRecords.load", r"ConversationRecordsO4load"),
    ("step: notifications, live events", r"MemberNotifications|LiveEvents"),
    ("step: the rest of processMessage", r"processMessage"),
    ("round: webhook rows, savepoints, commit", r"processPending|receiveWebhooks|insertWebhooks|storeWebhooks"),
    ("SQLite on its own", r"libsqlite3"),
    ("kernel: file writes (WAL, database file)", r"vfs_write|pwrite|fdatasync|ext4"),
    ("HTTP (SwiftNIO, Hummingbird)", r"NIOPosix|NIOCore|NIOHTTP|Hummingbird"),
    ("Swift concurrency, dispatch, thread switches", r"swift_task|swift_job|dispatch|schedule|futex|finish_task_switch"),
]
FREQUENCY = 1999


def samples(data):
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    stack, comm = [], None
    for line in out.splitlines():
        if not line.strip():
            if comm is not None:
                yield comm, "\n".join(stack)
            stack, comm = [], None
        elif not line.startswith((" ", "\t")):
            comm = line.strip().rsplit(None, 1)[0]
        else:
            stack.append(line.strip())
    if comm is not None:
        yield comm, "\n".join(stack)


def table(data, messages):
    counts = collections.Counter()
    total = 0
    for comm, stack in samples(data):
        total += 1
        for name, test in PARTS:
            if (test(comm, stack) if callable(test) else re.search(test, stack)):
                counts[name] += 1
                break
        else:
            counts["other"] += 1
    per_message = lambda n: n / FREQUENCY / messages * 1e6
    server = total - counts["idle"] - counts["load client (wrk)"]
    print("%d samples at %d Hz, %d messages in the window" % (total, FREQUENCY, messages))
    print("%-55s %7s %12s" % ("part", "share", "µs/message"))
    for name, n in sorted(counts.items(), key=lambda item: -item[1]):
        print("%-55s %6.1f %% %12.0f" % (name, 100 * n / total, per_message(n)))
    print("%-55s %6.1f %% %12.0f" % ("the server, all parts", 100 * server / total,
                                      per_message(server)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=".build/release/etiquette")
    parser.add_argument("--rules", default="rules")
    parser.add_argument("--data", help="an earlier perf.data (with --messages)")
    parser.add_argument("--messages", type=int, help="messages processed while it was recorded")
    args = parser.parse_args()
    if args.data:
        if not args.messages:
            parser.error("--data needs --messages")
        table(args.data, args.messages)
        return
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(tempfile.mkdtemp(prefix="etiquette-profile-"), "perf.data")
    load = subprocess.Popen(
        [sys.executable, os.path.join(here, "webhook-load.py"), "--binary", args.binary,
         "--rules", args.rules, "-n", "40000", "-c", "16", "--seconds", "10",
         "--healthz-seconds", "0"], stdout=subprocess.PIPE, text=True)
    time.sleep(4)  # the server started and the load running (not a test: no condition to wait on)
    subprocess.run(["perf", "record", "-F", str(FREQUENCY), "-a", "-g", "-o", data, "--",
                    "sleep", "7"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    output = load.communicate()[0]
    print(output.strip())
    rate = re.search(r"([0-9.]+) messages/s", output)
    if not rate:
        raise SystemExit("the load gave no rate")
    table(data, int(float(rate.group(1)) * 7))
    print("perf data: %s" % data)


if __name__ == "__main__":
    main()
