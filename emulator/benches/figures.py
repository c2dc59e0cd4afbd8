#!/usr/bin/env python3
"""Peak memory and throughput of backendless-emulator under the loads of issue 18, over loopback.

    python3 emulator/benches/figures.py [BINARY]      # default target/server/backendless-emulator
    SCENARIOS=big_oauth_logins,big_password_logins python3 emulator/benches/figures.py   # some only

Each scenario starts the binary under `/usr/bin/time -v` (peak RSS = "Maximum resident set size"),
runs a bounded load (a fixed count of requests, each with a timeout), stops the server with SIGTERM
and prints one Markdown table row. Nothing leaves 127.0.0.1. Runs in about a minute.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/server/backendless-emulator"
APP = "/LOCAL-APP-ID/LOCAL-API-KEY"


def start(*flags, db=":memory:"):
    stderr = tempfile.NamedTemporaryFile(prefix="emu-time-", delete=False)
    process = subprocess.Popen(
        ["/usr/bin/time", "-v", BINARY, "--port", "0", "--db", db, "--log-level", "error", *flags],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    line = process.stdout.readline()
    port = int(re.search(r":(\d+)$", line.strip()).group(1))
    return process, port, stderr.name


def stop(process, stderr_path):
    # /usr/bin/time forwards nothing: signal the server itself (its child).
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        os.kill(int(pid), signal.SIGTERM)
    process.wait(timeout=30)
    text = open(stderr_path).read()
    os.unlink(stderr_path)
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return peak / 1024


def request(port, method, path, body=b"", headers=(), timeout=60):
    """One request on a fresh connection; (status, code) or (0, 'no answer')."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as stream:
            try:
                stream.sendall(head.encode() + body)
            except OSError:
                pass
            data = b""
            while True:
                try:
                    chunk = stream.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
    except OSError:
        return (0, "no answer"), b""
    if b"\r\n\r\n" not in data:
        return (0, "no answer"), b""
    head_bytes, payload = data.split(b"\r\n\r\n", 1)
    status = int(head_bytes.split(b" ")[1])
    code = ""
    try:
        code = json.loads(payload).get("code", "")
    except (ValueError, AttributeError):
        pass
    return (status, code), payload


def parallel(count, work):
    results = [None] * count
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def json_post(port, path, value, content_type="application/json", headers=()):
    return request(port, "POST", path, json.dumps(value).encode(), [("Content-Type", content_type), *headers])


def row(what, load, answers, seconds, peak):
    print(f"| {what} | {load} | {answers} | {seconds:.1f} s | {peak:.0f} MB |", flush=True)


def logins():
    process, port, log = start("--seed-user", "alice@x.io:wonderland")
    started = time.time()
    answers = parallel(1000, lambda _: json_post(port, f"{APP}/users/login", {"login": "alice@x.io", "password": "wonderland"})[0])
    took = time.time() - started
    row("1,000 parallel logins", "one account", dict(Counter(answers)), took, stop(process, log))


def big_registrations():
    process, port, log = start()
    blob = "[" + "[0,0,0,0,0,0,0,0,0,0,0,0]," * (1024 * 1024 // 26 - 4) + "[0]]"
    body = ('{"email":"big@x.io","password":"pw","blob":' + blob + "}").encode()
    started = time.time()
    answers = parallel(400, lambda _: request(port, "POST", f"{APP}/users/register", body, [("Content-Type", "application/json")])[0])
    took = time.time() - started
    row("400 parallel registrations", f"{len(body):,} B bodies (nested arrays)", dict(Counter(answers)), took, stop(process, log))


def big_oauth_logins():
    process, port, log = start("--oauth-provider", "github")
    account = json_post(port, "/oauth-provider/github/accounts", {"email": "octo@x.io", "name": "Octo"})[1]
    token = json.loads(account)["access_token"]
    blob = "[" + "[0,0,0,0,0,0,0,0,0,0,0,0]," * (1024 * 1024 // 26 - 8) + "[0]]"
    body = ('{"accessToken":"' + token + '","blob":' + blob + "}").encode()
    started = time.time()
    answers = parallel(300, lambda _: request(port, "POST", f"{APP}/users/social/github/login", body, [("Content-Type", "application/json")])[0])
    took = time.time() - started
    row("300 parallel OAuth logins", f"{len(body):,} B bodies (nested arrays)", dict(Counter(answers)), took, stop(process, log))


def big_password_logins():
    process, port, log = start("--seed-user", "alice@x.io:wonderland")
    blob = "[" + "[0,0,0,0,0,0,0,0,0,0,0,0]," * (1024 * 1024 // 26 - 8) + "[0]]"
    body = ('{"login":"alice@x.io","password":"wonderland","blob":' + blob + "}").encode()
    started = time.time()
    answers = parallel(300, lambda _: request(port, "POST", f"{APP}/users/login", body, [("Content-Type", "application/json")])[0])
    took = time.time() - started
    row("300 parallel password logins", f"{len(body):,} B bodies (nested arrays)", dict(Counter(answers)), took, stop(process, log))


def request_log():
    process, port, log = start()
    body = ("[" + "0," * (8 * 1024 - 2) + "0]").encode()
    header = "h" * (32 * 1024)
    started = time.time()
    def fill(client):
        for index in range(125):
            request(port, "POST", f"/api/users/register?{client}-{index}", body, [("Content-Type", "text/plain"), ("X-Filler", header)])
    parallel(8, fill)
    sizes = parallel(4, lambda _: len(request(port, "GET", "/__emulator/requests")[1]))
    took = time.time() - started
    row("request log", "1,000 text/plain POSTs (16 KiB array body, 32 KiB header), then 4 parallel reads", f"reads of {sizes[0]:,} B", took, stop(process, log))


def guests():
    process, port, log = start()
    started = time.time()
    accepted = Counter()
    def sign_up(_):
        while time.time() - started < 5:
            accepted[request(port, "POST", f"{APP}/users/register/guest")[0]] += 1
    parallel(4, sign_up)
    row("guest sign-ups, one client", "4 clients' worth of connections for 5 s", dict(accepted), time.time() - started, stop(process, log))


def database_growth(label, props):
    directory = tempfile.mkdtemp(prefix="emu-growth-")
    db = os.path.join(directory, "growth.db")
    process, port, log = start(db=db)
    started = time.time()
    counter = Counter()
    def register(client):
        index = 0
        while time.time() - started < 30:
            user = {"email": f"g{client}-{index}@x.io", "password": "pw", **props}
            counter[json_post(port, f"{APP}/users/register", user, content_type="text/plain")[0]] += 1
            index += 1
    parallel(8, register)
    took = time.time() - started
    peak = stop(process, log)
    size = sum(os.path.getsize(os.path.join(directory, name)) for name in os.listdir(directory))
    row(f"text/plain registrations, one client, {label}", f"8 connections for 30 s; database +{size / 1e6:.1f} MB = {size / 1e6 / took * 60:.0f} MB/min", dict(counter), took, peak)
    subprocess.run(["rm", "-rf", directory])


def growth_nested():
    database_growth("a nested 400 KB string each", {"profile": {"bio": "x" * 400_000}})


def growth_largest_valid():
    database_growth("~16 KB of properties each", {f"p{index}": "x" * 390 for index in range(40)})


if __name__ == "__main__":
    print("| scenario | load | answers (status, code): count | time | peak RSS |")
    print("|---|---|---|---|---|")
    chosen = set(os.environ.get("SCENARIOS", "").split(",")) - {""}
    for scenario in (logins, big_registrations, big_oauth_logins, big_password_logins, request_log, guests, growth_nested, growth_largest_valid):
        if not chosen or scenario.__name__ in chosen:
            scenario()
