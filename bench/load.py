"""The load phase of `make bench`: gunicorn (3 workers) on the benchmark's database, and CLIENTS people using it at
once for SECONDS, each reading a page, then reading it for a moment (THINK seconds, at random), then the next:
the dashboard, the list with filters, a commitment, a meeting, the brief, the API's list, and now and then a
progress update posted. Loopback only; bounded in time and in requests. Reports p50/p95/p99, requests per second
and errors (any answer but the one expected, or none).
"""

import asyncio
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time

CLIENTS, SECONDS, MAX_REQUESTS = 20, 60, 20_000
THINK = (0.5, 1.5)  # seconds a person spends on a page before the next
WORKERS = 3
POSTED = "Load test: spoke to the partner desk; papers to follow."
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def mix(urls: dict[str, str], post_to: int) -> list[tuple[str, str, int]]:
    """(kind, url, weight): what people open, and how often."""
    return [
        ("dashboard", urls["dashboard"], 20),
        ("commitment list", urls["commitment list"], 10),
        ("commitment list, filtered", urls["commitment list, mine overdue"], 8),
        ("commitment list, filtered", "/commitments/?status=open&status=in_progress", 7),
        ("commitment list, searched", urls["commitment list, text search"], 5),
        ("commitment detail", urls["commitment detail (50 updates)"], 15),
        ("meeting detail", urls["meeting detail"], 8),
        ("brief", urls["brief (500 commitments)"], 5),
        ("API list", urls["API commitment list (50)"], 10),
        ("API detail", urls["API commitment detail"], 5),
        ("progress update posted", f"/commitments/{post_to}/progress/", 7),
    ]


def serve(port: int) -> subprocess.Popen:
    # Plain HTTP on loopback: the cookies cannot be Secure here (behind the TLS proxy of a deployment they are).
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "SECURE_COOKIES": "false"}
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--access-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)  # noqa: S603


async def person(number: int, base: str, cookie: str, pages, deadline: float, results: list, budget: list) -> None:
    import httpx
    from django.conf import settings

    rng = random.Random(number)  # noqa: S311 (the same walk on every run, not a secret)
    kinds, weights = [(kind, url) for kind, url, _ in pages], [weight for *_, weight in pages]
    async with httpx.AsyncClient(base_url=base, cookies={settings.SESSION_COOKIE_NAME: cookie}, timeout=30) as client:
        token = await csrf_token(client, pages)
        await asyncio.sleep(rng.uniform(*THINK))
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            kind, url = rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                if kind == "progress update posted":
                    data = {"text": POSTED, "new_status": "", "source": "", "csrfmiddlewaretoken": token}
                    response = await client.post(url, data=data, headers={"HX-Request": "true", "Referer": base})
                else:
                    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            results.append((kind, (time.perf_counter() - started) * 1000, ok))
            await asyncio.sleep(rng.uniform(*THINK))


async def csrf_token(client, pages) -> str:
    detail = next(url for kind, url, _ in pages if kind == "commitment detail")
    page = await client.get(detail)
    return CSRF.search(page.text)[1]


async def drive(base: str, cookies: list[str], pages) -> tuple[list, float]:
    results, budget = [], [MAX_REQUESTS]
    deadline = time.monotonic() + SECONDS
    started = time.perf_counter()
    await asyncio.gather(*(person(n, base, cookies[n], pages, deadline, results, budget) for n in range(CLIENTS)))
    return results, time.perf_counter() - started


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    import httpx

    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped with exit code {process.returncode}")
        try:
            httpx.get(base + "/accounts/login/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 30 s")


def load(urls: dict[str, str], log) -> dict:
    """Run the load phase against the benchmark database (already built) and report it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench import data
    from commitments.models import Commitment, ProgressUpdate
    from tests.smtp import free_port

    user = get_user_model().objects.get(username=data.USERNAME)
    cookies = []
    for _ in range(CLIENTS):  # a session each, as each person logs in once (the login itself is not measured)
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    post_to = Commitment.objects.filter(meeting__group__slug="jwg-0", owner=user).order_by("-pk").first()
    pages = mix(urls, post_to.pk)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(port)
    try:
        wait_until_up(base, server)
        log(f"load: {CLIENTS} people for {SECONDS} s on gunicorn ({WORKERS} workers)")
        results, seconds = asyncio.run(drive(base, cookies, pages))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        ProgressUpdate.objects.filter(text=POSTED).delete()  # the benchmark's data stays as built
    timings = sorted(ms for _, ms, _ in results)
    quantiles = statistics.quantiles(timings, n=100)
    by_kind = {}
    for kind, ms, _ in results:
        by_kind.setdefault(kind, []).append(ms)
    return {
        "clients": CLIENTS,
        "seconds": round(seconds, 1),
        "requests": len(results),
        "rps": round(len(results) / seconds, 1),
        "p50_ms": round(quantiles[49], 1),
        "p95_ms": round(quantiles[94], 1),
        "p99_ms": round(quantiles[98], 1),
        "errors": sum(1 for *_, ok in results if not ok),
        "kinds": {
            kind: {"requests": len(ms), "p50_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1)}
            for kind, ms in sorted(by_kind.items())
        },
    }


def load_table(results: dict) -> str:
    lines = [
        f"Load: {results['clients']} people at once for {results['seconds']} s (each reads a page for 0.5–1.5 s "
        f"before the next), gunicorn with {WORKERS} workers on this machine, loopback.",
        "",
        "| requests | per second | p50 (ms) | p95 (ms) | p99 (ms) | errors |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {results['requests']:,} | {results['rps']} | {results['p50_ms']} | {results['p95_ms']} | "
        f"{results['p99_ms']} | {results['errors']} |",
        "",
        "| page | requests | p50 (ms) | slowest (ms) |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {kind} | {r['requests']} | {r['p50_ms']} | {r['max_ms']} |" for kind, r in results["kinds"].items()),
    ]
    return "\n".join(lines)
