"""Load scenario: simulated peer workers against gunicorn + PostgreSQL on 127.0.0.1.

Each simulated user signs in through the real sign-in page, then, until the run ends,
opens Today, the caseload and one participant of their caseload, with a think time of
about 5 s between requests. Users start at `SPAWN_RATE` per second (as a load tool
ramps up). Reports throughput, p50/p95/p99 and errors for the pages and for sign-in.
Budget (issue 13): no errors, page p99 at most 500 ms.

Run by `make bench` (scripts/bench.sh) against the bench-scale database, or alone:
    ALONGSIDE_DEV=true DATABASE_URL=postgres://…/alongside_bench .venv/bin/python bench/load.py
Environment: LOAD_USERS (200), LOAD_SECONDS (60), LOAD_THINK (5), LOAD_CONFIGS
("sync:3,gthread:2x8,gthread:4x4": worker class, processes × threads).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
USERS = int(os.environ.get("LOAD_USERS", "200"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
THINK = float(os.environ.get("LOAD_THINK", "5"))
SPAWN_RATE = 20.0  # users started per second
CONFIGS = os.environ.get("LOAD_CONFIGS", "sync:3,gthread:2x8,gthread:4x4")
PASSWORD = "alongside-demo"  # noqa: S105 - the demo's password (synthetic data only)
BUDGET_P99_MS = 500.0


class Browser:
    """One simulated person: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, body: dict | None = None
    ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}/login/"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30
                )
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, text


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pages: list[float] = []
        self.logins: list[float] = []
        self.errors: list[str] = []

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            (self.logins if kind == "login" else self.pages).append(ms)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def sign_in(browser: Browser, username: str, results: Results) -> bool:
    start = time.perf_counter()
    status, page = browser.request("GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or token is None:
        results.error(f"login page {status}")
        return False
    status, _ = browser.request(
        "POST",
        "/login/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": PASSWORD,
        },
    )
    results.add("login", (time.perf_counter() - start) * 1000)
    if status != 302:
        results.error(f"sign-in {status}")
        return False
    return True


def browse(browser: Browser, deadline: float, results: Results) -> None:
    participant = None
    while time.monotonic() < deadline:
        for path in ("/today/", "/participants/", participant):
            if path is None or time.monotonic() >= deadline:
                continue
            begun = time.perf_counter()
            status, page = browser.request("GET", path)
            results.add("page", (time.perf_counter() - begun) * 1000)
            if status != 200:
                results.error(f"{path} {status}")
            if path == "/participants/" and participant is None:
                found = re.search(r'href="(/participants/[0-9a-f-]{36}/)"', page)
                participant = found.group(1) if found else None
            time.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))


def guarded(results: Results, work: Any, *args: Any) -> Any:
    try:
        return work(*args)
    except Exception as exc:  # every failure is an error of the run
        results.error(f"{type(exc).__name__}: {exc}")
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    worker_class: str, processes: int, threads: int
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "alongside.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(processes),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("load: gunicorn did not start")


def usernames(n: int) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    sys.path.insert(0, str(ROOT))
    from alongside.startup import setup_django

    setup_django()
    from alongside.participants.models import Assignment

    names = list(
        Assignment.objects.filter(ended_at__isnull=True, peer__is_active=True)
        .values_list("peer__username", flat=True)
        .distinct()
        .order_by("peer__username")[:n]
    )
    if len(names) < n:
        sys.exit(f"load: only {len(names)} peers with a caseload; build the bench data")
    return names


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run(config: str, names: list[str]) -> dict:
    worker_class, shape = config.split(":")
    processes, _, threads = shape.partition("x")
    server, port = start_server(worker_class, int(processes), int(threads or 1))
    results = Results()
    try:
        # Phase 1: everyone signs in, ramped up (argon2 is slow by design, so this is
        # measured on its own and does not count towards the page figures).
        browsers = [Browser(port) for _ in names]
        began = time.monotonic()
        jobs = []
        signed: list[Browser] = []
        lock = threading.Lock()

        def one(browser: Browser, name: str) -> None:
            if guarded(results, sign_in, browser, name, results):
                with lock:
                    signed.append(browser)

        for i, (browser, name) in enumerate(zip(browsers, names, strict=True)):
            time.sleep(max(0.0, began + i / SPAWN_RATE - time.monotonic()))
            t = threading.Thread(target=one, args=(browser, name), daemon=True)
            t.start()
            jobs.append(t)
        for t in jobs:
            t.join(timeout=120)
        # Phase 2: the measured minute of work, every user with their think time.
        began = time.monotonic()
        deadline = began + SECONDS
        jobs = []
        for i, browser in enumerate(signed):
            t = threading.Thread(
                target=guarded,
                args=(results, browse, browser, deadline, results),
                daemon=True,
            )
            # Spread the first requests over one think time, as real people are.
            time.sleep(max(0.0, began + i * THINK / len(signed) - time.monotonic()))
            t.start()
            jobs.append(t)
        for t in jobs:
            t.join(timeout=SECONDS + 60)
        elapsed = time.monotonic() - began
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    pages = results.pages
    return {
        "config": f"{worker_class} {processes}×{threads or 1}",
        "requests": len(pages),
        "rps": len(pages) / elapsed,
        "p50": percentile(pages, 50),
        "p95": percentile(pages, 95),
        "p99": percentile(pages, 99),
        "login_p50": percentile(results.logins, 50),
        "login_p99": percentile(results.logins, 99),
        "errors": len(results.errors),
        "first_errors": sorted(set(results.errors))[:3],
    }


def main() -> None:
    names = usernames(USERS)
    print(
        f"{USERS} users, {THINK:.0f} s think time, {SECONDS:.0f} s, "
        f"{SPAWN_RATE:.0f} users/s ramp-up, {os.cpu_count()} cores, 127.0.0.1\n"
    )
    print(
        "| gunicorn | page requests | req/s | p50 ms | p95 ms | p99 ms "
        "| sign-in p50 / p99 ms | errors | p99 ≤ 500 ms, no errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for config in CONFIGS.split(","):
        r = run(config.strip(), names)
        ok = r["errors"] == 0 and r["p99"] <= BUDGET_P99_MS
        print(
            f"| {r['config']} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.0f} | "
            f"{r['p95']:.0f} | {r['p99']:.0f} | {r['login_p50']:.0f} / "
            f"{r['login_p99']:.0f} | {r['errors']} | {'yes' if ok else 'no'} |",
            flush=True,
        )
        if r["first_errors"]:
            print(f"  errors, e.g.: {r['first_errors']}")


if __name__ == "__main__":
    main()
