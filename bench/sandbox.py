"""Benchmark of the WhatsApp sandbox: send requests accepted per second on this machine.

Starts `cobro sandbox` on a free port with the business number's throughput tier lifted (so the limiter
does not cap the figure), submits and approves a template, then drives `POST /{version}/{phone}/messages`
with `wrk` (one thread, 64 connections; `make bench` installs wrk with apt-get when it is missing): a
template message with three body parameters to a different recipient on every request, so the pair rate
limit never answers. The sandbox runs on one core and wrk on the other. A second run repeats it with a
webhook callback set to a bare local receiver, so every send also turns into signed, batched status
webhooks (sent, delivered, read), as in Cobro's send benchmarks. Prints `name: value unit` lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

QUICK = os.environ.get("QUICK", "") not in ("", "0")
DURATION_S = 3 if QUICK else 10
CONNECTIONS = 64
VERSION = "v23.0"
TEMPLATE = "bench_reminder"

LUA = """
counter = %(start)d
request = function()
  counter = counter + 1
  local to = string.format("5215%%08d", counter)
  local body = '{"messaging_product":"whatsapp","recipient_type":"individual","to":"' .. to ..
    '","type":"template","template":{"name":"%(template)s","language":{"code":"es_MX"},' ..
    '"components":[{"type":"body","parameters":[{"type":"text","text":"María"},' ..
    '{"type":"currency","currency":{"fallback_value":"$1,250.00","code":"MXN","amount_1000":1250000}},' ..
    '{"type":"text","text":"F-1001"}]}]},"biz_opaque_callback_data":"bench-%(run)s-' .. counter .. '"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"]="application/json",
    ["Authorization"]="Bearer %(token)s"}, body)
end
"""


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base: str, deadline_s: float = 20.0) -> dict[str, object]:
    """Polls /sandbox/config until the sandbox answers; returns its configuration."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            return dict(httpx.get(f"{base}/sandbox/config", timeout=1.0).json())
        except httpx.HTTPError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def approved_template(base: str, waba: str, token: str) -> None:
    """Submits the benchmark's template and waits until the sandbox's review approves it."""
    headers = {"Authorization": f"Bearer {token}"}
    definition = {
        "name": TEMPLATE,
        "language": "es_MX",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Hola {{1}}, tu saldo de {{2}} de la factura {{3}} vence pronto. Gracias.",
                "example": {"body_text": [["Ana", "$100.00", "F-1"]]},
            }
        ],
    }
    httpx.post(
        f"{base}/{VERSION}/{waba}/message_templates", json=definition, headers=headers
    ).raise_for_status()
    end = time.monotonic() + 10
    while time.monotonic() < end:
        listing = httpx.get(
            f"{base}/{VERSION}/{waba}/message_templates", params={"name": TEMPLATE}, headers=headers
        ).json()
        statuses = {t["status"] for t in listing["data"]}
        if statuses == {"APPROVED"}:
            return
        if "REJECTED" in statuses:
            raise SystemExit(f"bench template rejected: {listing}")
        time.sleep(0.05)
    raise SystemExit("bench template was not reviewed in 10 s")


SINK = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"EVENT_RECEIVED"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
            access_log=False, log_level="warning", lifespan="off")
"""


def measure(wrk: str, callback_url: str | None) -> tuple[str, dict[str, object]]:
    """One sandbox, one warm-up and one measured wrk run; returns wrk's report and the sandbox's stats."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "COBRO_SANDBOX_REVIEW_DELAY": "0.05",
        "COBRO_SANDBOX_TIER": "1000000",  # lift the throughput limit: this measures the server, not the knob
    }
    if callback_url is not None:
        env |= {"COBRO_SANDBOX_CALLBACK_URL": callback_url, "COBRO_SANDBOX_DELIVERED_DELAY": "0.2"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cobro", "sandbox", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        config = wait_until_up(base)
        token = str(config["access_tokens"][0])  # type: ignore[index]
        waba = str(config["waba_id"])
        phone_id = str(config["phone_numbers"][0]["id"])  # type: ignore[index]
        approved_template(base, waba, token)
        path = f"/{VERSION}/{phone_id}/messages"
        scripts = {}
        for run_name, start in (("warm", 0), ("main", 10_000_000)):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(
                    LUA
                    % {"template": TEMPLATE, "path": path, "token": token, "run": run_name, "start": start}
                )
            scripts[run_name] = script.name
        # A one-second warm-up (other recipients, other callback keys), then the measured run.
        subprocess.run(
            [wrk, "-t1", f"-c{CONNECTIONS}", "-d1s", "-s", scripts["warm"], base + path], capture_output=True
        )
        before = httpx.get(f"{base}/sandbox/stats").json()
        run = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{DURATION_S}s",
                "--latency",
                "-s",
                scripts["main"],
                base + path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        after = httpx.get(f"{base}/sandbox/stats").json()
        for name in scripts.values():
            Path(name).unlink()
        after["statuses_posted_during_run"] = (
            after["webhooks"]["statuses_posted"] - before["webhooks"]["statuses_posted"]
        )
        return run.stdout, after
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(prefix: str, wrk_output: str, stats: dict[str, object]) -> None:
    """Prints one run's figures as `name: value unit` lines."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk_output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", wrk_output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", wrk_output)
    print(f"{prefix}_rate: {rate:.0f} req/s")
    if p99:
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
        print(f"{prefix}_p99_latency: {float(p99.group(1)) * scale:.2f} ms")
    print(f"{prefix}_non_2xx: {int(non_2xx.group(1)) if non_2xx else 0} responses")
    print(f"{prefix}_duplicated_callback_keys: {stats['callback_data']['duplicated_keys']} keys")  # type: ignore[index]
    print(f"{prefix} stats: {json.dumps(stats, sort_keys=True)[:400]}", file=sys.stderr)


def main() -> int:
    """Runs the benchmark twice (no webhook callback, then webhooks to a local sink) and prints its figures."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("sandbox bench needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 1
    report("sandbox_send", *measure(wrk, None))
    # The same load while every status (sent, delivered, read) leaves as signed, batched webhooks to a bare
    # receiver: what the sandbox does in Cobro's send benchmarks. Three processes then share two cores.
    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)])
    try:
        wait_for_port(sink_port)
        output, stats = measure(wrk, f"http://127.0.0.1:{sink_port}/webhooks/whatsapp")
        report("sandbox_send_with_webhooks", output, stats)
        posted = int(stats["statuses_posted_during_run"])  # type: ignore[call-overload]
        print(f"sandbox_statuses_posted: {posted / DURATION_S:.0f} statuses/s")
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    return 0


def wait_for_port(port: int, deadline_s: float = 10.0) -> None:
    """Waits until something listens on the port."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


if __name__ == "__main__":
    sys.exit(main())
