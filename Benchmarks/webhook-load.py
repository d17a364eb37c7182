#!/usr/bin/env python3
"""Load benchmark for `etiquette serve`: N signed WhatsApp webhooks posted by C concurrent
clients on loopback. Prints messages/s, p50/p99 latency and checks that no message was lost
(webhooks answered 200 == incoming message rows stored).

  python3 Benchmarks/webhook-load.py --binary .build/release/etiquette --rules rules \
      -n 20000 -c 16 [--client wrk|python] [--contacts 200]
  python3 Benchmarks/webhook-load.py --db postgres://etiquette@127.0.0.1:5432/postgres \
      --instances 3
  python3 Benchmarks/webhook-load.py --db postgres://etiquette@127.0.0.1:5432/postgres --matrix

`--db postgres://…` names a PostgreSQL server whose role may create databases: each run makes a
database of its own there (dropped afterwards) and starts `--instances` servers on it, on
consecutive ports behind one address — nginx (Debian's `nginx-light`) as a round-robin load
balancer with the wrk client, or the Python client's connections spread round-robin over the
instances. `--matrix` runs, in one invocation, SQLite with one instance and PostgreSQL with 1, 2
and 3, and prints them side by side. Every run checks that no webhook answered 200 was lost
and that none was processed twice (one decision per stored message).

The default client is `wrk` (C, event loop, 2 threads) when installed: its bodies and their
signatures are generated up front into a Lua script, so signing costs the client nothing and
the client does not compete for the cores with the server the way Python threads do.
`--client python` is the fallback (threads with keep-alive connections).

With wrk, each set-up first measures `wrk` on `/healthz` of the same servers (same clients, same
threads, `--healthz-seconds`), the ceiling of an HTTP request on this machine, and prints the
intake as a share of it: issue 20's target is a webhook intake (SQLite, 16 clients) at ≥ 50 % of
that ceiling with p99 < 20 ms, printed as "met" or "NOT met". On SQLite it then replays the rows
the run wrote for each message into a fresh database, 16 messages a transaction, and prints what
SQLite alone manages (`storage_ceiling`): no server that writes those rows before its 200 can
take more webhooks a second, since SQLite has one writer at a time.

Not a test: figures depend on the machine and on its load (printed with the results).
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SECRET = "load-secret"
TEXTS = [
    "Bonjour, où en est ma commande ?",
    "J'ai réservé pour jeudi",
    "Numéro de suivi CMD-123456 svp",
    "Merci beaucoup",
    "Je voudrais parler à quelqu'un",
    "Le colis n'est pas arrivé",
]


def make_bodies(n, contacts, run):
    bodies = []
    base = 1_700_000_000
    for i in range(n):
        k = i % contacts
        phone = "3361%07d" % k
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{
                "id": "100",
                "changes": [{
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "33100000000",
                                     "phone_number_id": "200"},
                        "contacts": [{"profile": {"name": "Client %d" % k}, "wa_id": phone}],
                        "messages": [{
                            "from": phone,
                            "id": "wamid.load.%s.%d" % (run, i),
                            "timestamp": str(base + i),
                            "type": "text",
                            "text": {"body": TEXTS[i % len(TEXTS)]},
                        }],
                    },
                }],
            }],
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        bodies.append((body, sig))
    return bodies


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def run_python(ports, bodies, clients):
    latencies = []
    failures = []
    lock = threading.Lock()
    next_index = [0]

    def worker(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(bodies):
                break
            body, sig = bodies[i]
            start = time.perf_counter()
            conn.request("POST", "/webhooks/whatsapp", body=body,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": sig})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    failures.append(response.status)
        with lock:
            latencies.extend(mine)

    # Connections spread round-robin over the instances.
    threads = [threading.Thread(target=worker, args=(ports[i % len(ports)],))
               for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "ok": len(latencies) - len(failures), "errors": len(failures), "seconds": elapsed,
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
    }


WRK_SCRIPT = r"""
local bodies = dofile("%(data)s")
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  nthreads = %(threads)d
  next_i = id + 1            -- this thread's bodies: id+1, id+1+T, ... (Lua is 1-based)
  quota = 0
  for i = next_i, #bodies, nthreads do quota = quota + 1 end
  ok = 0
  errors = 0
  sent = 0
  idle = 0
  if quota == 0 then wrk.thread:stop() end
end
function request()
  if next_i > #bodies then
    -- Every body is in flight: an idle keep-alive request until the last answers arrive.
    return wrk.format("GET", "/healthz")
  end
  local b = bodies[next_i]
  next_i = next_i + nthreads
  sent = sent + 1
  return wrk.format("POST", "/webhooks/whatsapp",
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = b[2]}, b[1])
end
function response(status, headers, body)
  if body ~= nil and string.find(body, "received", 1, true) then
    ok = ok + 1
  elseif status ~= 200 then
    errors = errors + 1
  else
    idle = idle + 1
  end
  -- Done once every body of this thread was sent and answered (the idle /healthz answers are
  -- neither), whatever the way wrk spread the first requests over the connections.
  -- wrk may take a request from request() that it never sends (seen: one body per run), so
  -- after many idle answers the thread stops too; the count below is what was answered.
  if next_i > #bodies and (ok + errors >= sent or idle >= 1000) then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local ok_total, err_total = 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    err_total = err_total + t:get("errors")
  end
  io.write(string.format("WRK_RESULT %%d %%d %%f %%f %%f\n", ok_total, err_total,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def lua_quote(data):
    text = data.decode()
    level = 1
    while ("]" + "=" * level + "]") in text:
        level += 1
    return "[" + "=" * level + "[" + text + "]" + "=" * level + "]"


def run_wrk(port, bodies, clients, workdir, seconds):
    threads = max(1, min(2, clients))
    data = os.path.join(workdir, "bodies.lua")
    with open(data, "w") as f:
        f.write("return {\n")
        for body, sig in bodies:
            f.write("{%s,%s},\n" % (lua_quote(body), lua_quote(sig.encode())))
        f.write("}\n")
    script = os.path.join(workdir, "load.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT % {"data": data, "threads": threads})
    # Sustained rate: wrk stops after `seconds` (or earlier once every body is answered); give
    # more bodies than can be sent in that time. Requests in flight at the stop are stored but
    # not counted as answered.
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", "%ds" % seconds, "--timeout", "30s",
         "-s", script, "http://127.0.0.1:%d" % port],
        check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        if line.startswith("WRK_RESULT"):
            _, ok, errors, seconds, p50, p99 = line.split()
            # wrk's latency includes the few idle /healthz requests: they only lower it
            # slightly; the count and the duration are for the webhooks alone.
            return {"ok": int(ok), "errors": int(errors), "seconds": float(seconds),
                    "p50_ms": float(p50), "p99_ms": float(p99)}
    raise SystemExit("wrk gave no result:\n" + output)


def run_healthz(port, clients, seconds):
    """`wrk` on `/healthz`: requests/s of the cheapest route, the same connections and threads
    as the load, on the same servers just before it."""
    threads = max(1, min(2, clients))
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", "%ds" % seconds,
         "http://127.0.0.1:%d/healthz" % port],
        check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit("wrk on /healthz gave no rate:\n" + output)


def wait_ready(port, process):
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("the server exited with status %d" % process.returncode)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


RECEIVED = [0]


def start_receiver():
    """A webhook receiver on loopback that answers 200 to everything, in its own thread."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            RECEIVED[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def psql(url, sql):
    """One statement through Debian's psql; its single value, or every row."""
    output = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                            check=True, capture_output=True, text=True).stdout.strip()
    return output


def database_url(url, name):
    """The same server, another database (the password, if any, stays in the URL)."""
    base, _, _ = url.rpartition("/")
    return "%s/%s" % (base, name)


def start_balancer(ports, workdir):
    """nginx in front of the instances (round-robin, keep-alive upstreams); its port."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit("several instances with wrk need nginx (apt-get install nginx-light), "
                         "or use --client python")
    port = ports[-1] + 1
    conf = os.path.join(workdir, "nginx.conf")
    upstream = "\n".join("    server 127.0.0.1:%d;" % p for p in ports)
    with open(conf, "w") as f:
        f.write("""worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(dir)s/body;
  proxy_temp_path %(dir)s/proxy;
  fastcgi_temp_path %(dir)s/fastcgi;
  uwsgi_temp_path %(dir)s/uwsgi;
  scgi_temp_path %(dir)s/scgi;
  upstream etiquette {
%(upstream)s
    keepalive 64;
  }
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      proxy_pass http://etiquette;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
""" % {"dir": workdir, "upstream": upstream, "port": port})
    process = subprocess.Popen([nginx, "-c", conf, "-p", workdir, "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, process)
    return process, port


def run_configuration(args, bodies, store, instances):
    """Starts `instances` servers on one store, posts the bodies, stops them, checks the store;
    returns the figures."""
    workdir = tempfile.mkdtemp(prefix="etiquette-load-")
    env = dict(os.environ, ETIQUETTE_WHATSAPP_APP_SECRET=SECRET)
    created = None
    if store == "sqlite":
        db = os.path.join(workdir, "load.sqlite")
    else:
        created = "etq_load_%d_%d" % (os.getpid(), instances)
        psql(args.db, "CREATE DATABASE %s" % created)
        db = database_url(args.db, created)
    ports = [args.port + i for i in range(instances)]
    receiver = None
    config = None
    healthz = None
    if args.subscribe:
        receiver = start_receiver()
        config = os.path.join(workdir, "config.json")
        with open(config, "w") as f:
            port = 9 if args.receiver_down else receiver.server_address[1]
            json.dump({"webhooks": [{"name": "load", "url": "http://127.0.0.1:%d/hook" % port,
                                     "secret": "load-webhook"}],
                       "webhook_delivery": {"initial_backoff_seconds": 30}}, f)
    servers = []
    balancer = None
    try:
        for port in ports:
            command = [args.binary, "serve", "--rules", args.rules, "--db", db, "--port",
                       str(port)]
            if config:
                command += ["--config", config]
            servers.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
            # One at a time: the first migrates the database, the others find it ready.
            wait_ready(port, servers[-1])
        if args.client == "wrk":
            target = ports[0]
            if instances > 1:
                balancer, target = start_balancer(ports, workdir)
            if args.healthz_seconds > 0:
                healthz = run_healthz(target, args.c, args.healthz_seconds)
            result = run_wrk(target, bodies, args.c, workdir, args.seconds)
        else:
            result = run_python(ports, bodies, args.c)
        load = open("/proc/loadavg").read().split()[:3]
        # Processing may trail the 200s (the body is committed first): wait until every stored
        # webhook is processed before counting.
        figures = store_figures(store, db)
        deadline = time.time() + 120
        while figures["pending"] > 0 and time.time() < deadline:
            time.sleep(0.5)
            figures = store_figures(store, db)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if balancer is not None:
            balancer.terminate()
            balancer.wait()
        if receiver is not None:
            receiver.shutdown()
    figures = store_figures(store, db)
    # SQLite's own ceiling for these rows, when the run is compared with /healthz.
    figures["ceiling"] = storage_ceiling(db, workdir) if store == "sqlite" and healthz else None
    if created:
        psql(args.db, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % created)
    if args.keep:
        print("work directory: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    figures.update(result)
    figures["load"] = " ".join(load)
    figures["healthz"] = healthz
    figures["rate"] = result["ok"] / result["seconds"] if result["seconds"] > 0 else 0.0
    # Answered 200 but not stored would be a loss; stored but not counted is a request wrk
    # abandoned at its stop (its 200 was on the way).
    figures["lost"] = max(0, result["ok"] - figures["stored"])
    return figures


def storage_ceiling(db, workdir, round_size=16, repeats=3):
    """What SQLite alone writes, per second, of the rows the intake wrote for each message: the
    webhook, the message, the decision, the step's input line, the search index entry, the
    conversation's row and the webhook marked processed — replayed in the run's order into a
    fresh database with the same schema and pragmas, `round_size` messages a transaction (as the
    intake's rounds), best of `repeats`. SQLite has one writer at a time, so no design that
    writes these rows before answering can take more webhooks a second than this. Driven from
    Python, whose own cost per statement (~1 µs) lowers the figure a little."""
    source = sqlite3.connect(db)
    schema = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'search_%' ORDER BY type = 'index', rowid")]
    conversations = source.execute("SELECT * FROM conversations").fetchall()
    webhooks = source.execute("SELECT received_at, body FROM webhooks ORDER BY id").fetchall()
    messages = source.execute(
        "SELECT * FROM messages WHERE direction = 'in' ORDER BY rowid").fetchall()
    columns = [row[1] for row in source.execute("PRAGMA table_info(messages)")]
    decisions = source.execute("SELECT * FROM decisions ORDER BY id").fetchall()
    steps = source.execute("SELECT * FROM step_inputs ORDER BY rowid").fetchall()
    source.close()
    count = min(len(webhooks), len(messages), len(decisions), len(steps))
    if count == 0:
        return None
    conversation_at = columns.index("conversation_id")
    text_at = columns.index("text")
    time_at = columns.index("at")

    def marks(row):
        return ",".join("?" * len(row))

    best = None
    for repeat in range(repeats):
        path = os.path.join(workdir, "ceiling-%d.sqlite" % repeat)
        target = sqlite3.connect(path, isolation_level=None)
        target.execute("PRAGMA journal_mode = WAL")
        target.execute("PRAGMA synchronous = NORMAL")
        target.execute("PRAGMA temp_store = MEMORY")
        for sql in schema:
            target.execute(sql)
        target.executemany("INSERT INTO conversations VALUES (%s)" % marks(conversations[0]),
                           conversations)
        insert_message = "INSERT INTO messages VALUES (%s)" % marks(messages[0])
        insert_decision = "INSERT INTO decisions VALUES (%s)" % marks(decisions[0])
        insert_step = "INSERT INTO step_inputs VALUES (%s)" % marks(steps[0])
        start = time.perf_counter()
        for first in range(0, count, round_size):
            batch = range(first, min(count, first + round_size))
            target.execute("BEGIN IMMEDIATE")
            ids = [target.execute("INSERT INTO webhooks (received_at, body) VALUES (?, ?)",
                                  webhooks[i]).lastrowid for i in batch]
            for webhook, i in zip(ids, batch):
                message = messages[i]
                target.execute(insert_message, (None,) + tuple(message[1:]))
                target.execute(insert_decision, (None,) + tuple(decisions[i][1:]))
                target.execute(insert_step, steps[i])
                target.execute("INSERT INTO search (conversation_id, kind, text) VALUES (?, ?, ?)",
                               (message[conversation_at], "message", message[text_at]))
                target.execute("UPDATE conversations SET step_count = step_count + 1, "
                               "transcript_count = transcript_count + 1, updated_at = ? "
                               "WHERE id = ?", (message[time_at], message[conversation_at]))
                target.execute("UPDATE webhooks SET processed_at = ? WHERE id = ?",
                               (message[time_at], webhook))
            target.execute("COMMIT")
        elapsed = time.perf_counter() - start
        target.close()
        rate = count / elapsed
        best = rate if best is None else max(best, rate)
    return best


def store_figures(store, db):
    queries = {
        "stored": "SELECT COUNT(*) FROM messages WHERE direction = 'in' "
                  "AND wa_id LIKE 'wamid.load.%'",
        "webhooks": "SELECT COUNT(*) FROM webhooks",
        "pending": "SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL OR error IS NOT NULL",
        # One decision per stored message: more is a message processed twice.
        "twice": "SELECT GREATEST(0, (SELECT COUNT(*) FROM decisions) - (SELECT COUNT(*) FROM "
                 "messages WHERE direction = 'in'))",
        "span": "SELECT COALESCE(MAX(processed_at) - MIN(received_at), 0) FROM webhooks",
    }
    figures = {}
    if store == "sqlite":
        connection = sqlite3.connect(db)
        for name, sql in queries.items():
            sql = sql.replace("GREATEST(", "MAX(")
            figures[name] = connection.execute(sql).fetchone()[0] or 0
        connection.close()
    else:
        for name, sql in queries.items():
            figures[name] = float(psql(db, sql) or 0)
        for name in ("stored", "webhooks", "pending", "twice"):
            figures[name] = int(figures[name])
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=".build/release/etiquette")
    parser.add_argument("--rules", default="rules")
    parser.add_argument("-n", type=int, default=20000, help="webhooks to post")
    parser.add_argument("-c", type=int, default=16, help="concurrent clients (connections)")
    parser.add_argument("--contacts", type=int, default=200, help="distinct conversations")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: run at most this long")
    parser.add_argument("--port", type=int, default=18089)
    parser.add_argument("--healthz-seconds", type=int, default=5,
                        help="wrk: measure /healthz this long before the load (0: do not)")
    parser.add_argument("--client", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--db", help="a postgres:// URL of a server whose role may create "
                        "databases (default: an SQLite file)")
    parser.add_argument("--instances", type=int, default=1,
                        help="servers on the one PostgreSQL database")
    parser.add_argument("--matrix", action="store_true",
                        help="with --db: SQLite ×1, then PostgreSQL ×1, ×2 and ×3, one table")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--subscribe", action="store_true",
                        help="configure an outbound webhook subscription (every event) to a "
                        "local receiver answering 200, so each step also writes its outbox rows")
    parser.add_argument("--receiver-down", action="store_true",
                        help="with --subscribe: the subscription points at a closed port, so "
                        "only the outbox writes are measured (deliveries wait and retry)")
    args = parser.parse_args()
    if (args.matrix or args.instances > 1) and not args.db:
        parser.error("--instances and --matrix need --db postgres://…")
    if args.db and not args.db.startswith(("postgres://", "postgresql://")):
        parser.error("--db must be a postgres:// URL")

    if args.matrix:
        plan = [("sqlite", 1), ("postgres", 1), ("postgres", 2), ("postgres", 3)]
    else:
        plan = [("postgres" if args.db else "sqlite", args.instances)]
    print("client=%s clients=%d messages=%d contacts=%d" % (
        args.client, args.c, args.n, args.contacts))
    failed = False
    rows = []
    for number, (store, instances) in enumerate(plan):
        bodies = make_bodies(args.n, args.contacts, "%d.%d" % (int(time.time()), number))
        figures = run_configuration(args, bodies, store, instances)
        rows.append((store, instances, figures))
        print("%s ×%d: %.0f messages/s, p50 %.2f ms, p99 %.2f ms; answered 200: %d, errors: "
              "%d; stored %d webhooks, %d messages; lost %d, processed twice %d, unprocessed %d;"
              " load %s" % (
                  store, instances, figures["rate"], figures["p50_ms"], figures["p99_ms"],
                  figures["ok"], figures["errors"], figures["webhooks"], figures["stored"],
                  figures["lost"], figures["twice"], figures["pending"], figures["load"]))
        if figures["healthz"]:
            print("  wrk on /healthz, same servers, %d clients: %.0f requests/s; the intake is %.1f %%"
                  " of it" % (args.c, figures["healthz"], 100 * figures["rate"] / figures["healthz"]))
        if figures["ceiling"]:
            print("  SQLite alone, the same rows a message (webhook, message, decision, step input,"
                  " search entry, conversation) in transactions of 16: %.0f messages/s, %.1f %% of "
                  "/healthz; the intake is %.1f %% of it" % (
                      figures["ceiling"], 100 * figures["ceiling"] / figures["healthz"],
                      100 * figures["rate"] / figures["ceiling"]))
        sys.stdout.flush()
        if figures["lost"] or figures["errors"] or figures["pending"] or figures["twice"]:
            failed = True
    if len(rows) > 1:
        print()
        print("| store | instances | messages/s | p50 ms | p99 ms | lost | twice |")
        print("|---|---|---|---|---|---|---|")
        for store, instances, figures in rows:
            print("| %s | %d | %.0f | %.2f | %.2f | %d | %d |" % (
                store, instances, figures["rate"], figures["p50_ms"], figures["p99_ms"],
                figures["lost"], figures["twice"]))
    for store, instances, figures in rows:
        if store == "sqlite" and figures["healthz"]:
            share = figures["rate"] / figures["healthz"]
            met = share >= 0.5 and figures["p99_ms"] < 20 and not figures["lost"]
            print("issue 20: webhook intake (SQLite, %d clients) ≥ 50 %% of wrk on /healthz, p99 < 20 "
                  "ms, nothing lost: %.0f of %.0f requests/s, %.1f %%; p99 %.1f ms; lost %d — %s" % (
                      args.c, figures["rate"], figures["healthz"], 100 * share, figures["p99_ms"],
                      figures["lost"], "met" if met else "NOT met"))
            if figures["ceiling"] and figures["ceiling"] < 0.5 * figures["healthz"]:
                print("  out of reach with these rows: SQLite alone writes them at %.1f %% of "
                      "/healthz (one writer at a time), below the 50 %% the target asks" % (
                          100 * figures["ceiling"] / figures["healthz"]))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
