#!/usr/bin/env python3
"""Load on a live `docseal serve`: the public routes under many clients, and
slow clients holding connections while others are served.

    benches/load.py --url http://127.0.0.1:PORT --pid PID --pdf RESULT.pdf \
        --qr-file qr.txt --document-id DS-…

Part 1: CLIENTS concurrent clients (default 200), each with its own
connection and its own source address in 127.0.1.0/24 (the public routes are
rate-limited per address, and a desk serves many addresses), send ROUNDS
requests each, in turn `POST /v1/verify` with the PDF, `POST /v1/verify`
with the QR text, and `GET /v1/documents/{id}/status`. Reported per kind:
count, p50/p95/p99 latency, errors (transport errors and 5xx), 429s.

Part 2: SLOW connections (default 64) are held open, half sending a request
head one byte every 0.5 s, half sending nothing, while one client sends
status requests one after another; reported: how many were answered, their
latency, and how the slow connections ended (the server closes a head not
sent within its header timeout).

The server's peak resident memory (VmHWM) and its resident memory before
and after come from /proc/PID/status. Every loop is bounded in count and
time; traffic goes to 127.0.0.0/8 only. Needs `httpx` (benches/load.sh
installs the pinned version).
"""

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

import httpx


def proc_kib(pid, field):
    """A /proc/PID/status field in KiB (VmRSS, VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(sorted_values, p):
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return sorted_values[int(rank) - 1]


class Tally:
    """Latencies and outcomes of one kind of request."""

    def __init__(self):
        self.latencies = []
        self.statuses = {}
        self.transport_errors = 0
        self.error_samples = []

    def add(self, seconds, status=None, error=None):
        """One answer (its status) or one failure to get one (error)."""
        if error is not None:
            self.transport_errors += 1
            if len(self.error_samples) < 3:
                self.error_samples.append(error)
            return
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self):
        """Requests without an answer, or answered with a server error."""
        return self.transport_errors + sum(n for s, n in self.statuses.items() if s >= 500)

    def summary(self):
        ok = sorted(self.latencies)
        ms = lambda v: None if v is None else round(v * 1000, 1)
        return {
            "requests": len(self.latencies) + self.transport_errors,
            "p50_ms": ms(percentile(ok, 50)),
            "p95_ms": ms(percentile(ok, 95)),
            "p99_ms": ms(percentile(ok, 99)),
            "max_ms": ms(ok[-1] if ok else None),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "error_samples": self.error_samples,
        }


async def client_loop(n, args, pdf, qr, tallies, deadline):
    """One client: its own source address and connection, ROUNDS requests."""
    address = f"127.0.1.{1 + n % 250}"
    transport = httpx.AsyncHTTPTransport(local_address=address, retries=0)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(
        base_url=args.url, transport=transport, limits=limits, timeout=timeout
    ) as client:
        for i in range(args.rounds):
            if time.monotonic() > deadline:
                return
            kind = ("verify_pdf", "verify_qr", "status")[(n + i) % 3]
            started = time.monotonic()
            try:
                if kind == "verify_pdf":
                    r = await client.post(
                        "/v1/verify", content=pdf, headers={"Content-Type": "application/pdf"}
                    )
                elif kind == "verify_qr":
                    r = await client.post("/v1/verify", json={"qr": qr})
                else:
                    r = await client.get(f"/v1/documents/{args.document_id}/status")
                await r.aread()
                tallies[kind].add(time.monotonic() - started, status=r.status_code)
                if r.status_code == 200 and kind != "status" and n == 0 and i < 3:
                    verdict = str(r.json().get("verdict"))
                    if verdict.upper() != "VALID":
                        print(f"warning: {kind} says {verdict}", file=sys.stderr)
            except httpx.HTTPError as e:
                tallies[kind].add(time.monotonic() - started, error=f"{type(e).__name__}: {e}")


async def sample_memory(pid, stop, peak):
    """Highest VmRSS seen while `stop` is unset."""
    while not stop.is_set():
        rss = proc_kib(pid, "VmRSS")
        if rss:
            peak["rss_kib"] = max(peak.get("rss_kib", 0), rss)
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except asyncio.TimeoutError:
            pass


async def part_concurrent(args, pdf, qr):
    tallies = {k: Tally() for k in ("verify_pdf", "verify_qr", "status")}
    stop, peak = asyncio.Event(), {}
    sampler = asyncio.create_task(sample_memory(args.pid, stop, peak))
    deadline = time.monotonic() + args.max_seconds
    started = time.monotonic()
    await asyncio.gather(
        *(client_loop(n, args, pdf, qr, tallies, deadline) for n in range(args.clients))
    )
    elapsed = time.monotonic() - started
    stop.set()
    await sampler
    total = sum(len(t.latencies) for t in tallies.values())
    return {
        "clients": args.clients,
        "rounds": args.rounds,
        "seconds": round(elapsed, 2),
        "answered_per_second": round(total / elapsed, 1) if elapsed else None,
        "kinds": {k: t.summary() for k, t in tallies.items()},
        "peak_rss_sampled_mib": round(peak.get("rss_kib", 0) / 1024, 1),
    }


async def slow_connection(host, port, dribble, hold_until, outcome):
    """Holds one connection: dribbles a request head, or sends nothing."""
    try:
        reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.2.1", 0))
    except OSError:
        outcome["connect_failed"] = outcome.get("connect_failed", 0) + 1
        return
    head = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: {'y' * 200}\r\n\r\n".encode()
    ended = "held to the end"
    try:
        i = 0
        while time.monotonic() < hold_until:
            if dribble and i < len(head):
                writer.write(head[i : i + 1])
                await writer.drain()
                i += 1
            try:
                data = await asyncio.wait_for(reader.read(1024), 0.5)
                if not data:
                    ended = "closed by the server"
                    break
                first = data.split(b"\r\n", 1)[0].decode(errors="replace")
                ended = f"answered: {first}"
                break
            except asyncio.TimeoutError:
                pass
    except (ConnectionError, OSError):
        ended = "reset by the server"
    finally:
        writer.close()
    kind = "dribbling" if dribble else "idle"
    key = f"{kind}: {ended}"
    outcome[key] = outcome.get(key, 0) + 1


async def part_slow(args):
    parts = urlsplit(args.url)
    host, port = parts.hostname, parts.port
    outcome = {}
    hold_until = time.monotonic() + args.slow_seconds
    holders = [
        asyncio.create_task(slow_connection(host, port, n % 2 == 0, hold_until, outcome))
        for n in range(args.slow)
    ]
    await asyncio.sleep(1.0)  # let them connect and start dribbling
    normal = Tally()
    transport = httpx.AsyncHTTPTransport(local_address="127.0.3.1", retries=0)
    async with httpx.AsyncClient(
        base_url=args.url, transport=transport, timeout=httpx.Timeout(args.timeout)
    ) as client:
        n = 0
        while time.monotonic() < hold_until - 0.5 and n < args.slow_probes:
            started = time.monotonic()
            try:
                r = await client.get(f"/v1/documents/{args.document_id}/status")
                normal.add(time.monotonic() - started, status=r.status_code)
            except httpx.HTTPError as e:
                normal.add(time.monotonic() - started, error=f"{type(e).__name__}: {e}")
            n += 1
            await asyncio.sleep(0.1)
    await asyncio.gather(*holders)
    return {
        "slow_connections": args.slow,
        "held_seconds": args.slow_seconds,
        "normal_requests_meanwhile": normal.summary(),
        "slow_connections_ended": dict(sorted(outcome.items())),
    }


def print_report(report):
    c = report["concurrent"]
    print(f"\n== {c['clients']} concurrent clients x {c['rounds']} requests, {c['seconds']} s, "
          f"{c['answered_per_second']} answers/s")
    print(f"{'kind':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'errors':>7}  statuses")
    for kind, s in c["kinds"].items():
        print(f"{kind:<12} {s['requests']:>6} {s['p50_ms'] or '-':>8} {s['p95_ms'] or '-':>8} "
              f"{s['p99_ms'] or '-':>8} {s['max_ms'] or '-':>8} {s['errors']:>7}  {s['statuses']}")
        for e in s["error_samples"]:
            print(f"    e.g. {e}")
    s = report["slow"]
    m = s["normal_requests_meanwhile"]
    print(f"\n== {s['slow_connections']} slow connections held {s['held_seconds']} s")
    print(f"normal requests meanwhile: {m['requests']}, p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms, "
          f"max {m['max_ms']} ms, errors {m['errors']}, statuses {m['statuses']}")
    for how, n in s["slow_connections_ended"].items():
        print(f"  {n:>3} {how}")
    mem = report["memory"]
    print(f"\n== server memory: RSS before {mem['rss_before_mib']} MiB, after {mem['rss_after_mib']} MiB, "
          f"peak (VmHWM) {mem['peak_vmhwm_mib']} MiB")


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--pid", type=int, required=True, help="the server's process id")
    p.add_argument("--pdf", required=True, help="a genuine result PDF")
    p.add_argument("--qr-file", required=True, help="its QR seal's text (DS1:…)")
    p.add_argument("--document-id", required=True)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--rounds", type=int, default=6, help="requests per client")
    p.add_argument("--max-seconds", type=float, default=180, help="bound on part 1")
    p.add_argument("--timeout", type=float, default=60, help="per request")
    p.add_argument("--slow", type=int, default=64)
    p.add_argument("--slow-seconds", type=float, default=15)
    p.add_argument("--slow-probes", type=int, default=100)
    p.add_argument("--json", help="also write the report here")
    args = p.parse_args()
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("load.py only loads a server on this machine (127.0.0.1)")
    with open(args.pdf, "rb") as f:
        pdf = f.read()
    with open(args.qr_file) as f:
        qr = f.read().strip()
    rss_before = proc_kib(args.pid, "VmRSS")
    report = {"concurrent": await part_concurrent(args, pdf, qr)}
    report["slow"] = await part_slow(args)
    mib = lambda k: None if k is None else round(k / 1024, 1)
    report["memory"] = {
        "rss_before_mib": mib(rss_before),
        "rss_after_mib": mib(proc_kib(args.pid, "VmRSS")),
        "peak_vmhwm_mib": mib(proc_kib(args.pid, "VmHWM")),
    }
    print_report(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    failed = sum(k["errors"] for k in report["concurrent"]["kinds"].values())
    failed += report["slow"]["normal_requests_meanwhile"]["errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
