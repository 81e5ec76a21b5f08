#!/usr/bin/env python3
"""Serving benchmark: BatCat and FastAPI + uvicorn + scikit-learn serving the same diabetes-bmi model with
the same contract, loaded by wrk on 127.0.0.1, side by side in one run, printing ratios. Also nginx
answering a static "hello" (the ceiling for any HTTP answer here), BatCat's cold start (process start to
first successful /stream) and its resident memory after the load. Every load runs for --seconds and stops.

Usage: bench/serve.py [--seconds 10]
Needs wrk and nginx (Debian packages) and fastapi, uvicorn, scikit-learn (PyPI); installs them when run as root.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import PEERS, build, built, ensure_python  # noqa: E402

KEY = "bck_benchmark-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tools():
    missing = [tool for tool in ["wrk", "nginx"] if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}")]
    if missing and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)
    ensure_python({"fastapi": "fastapi", "uvicorn": "uvicorn", **PEERS})


def wait_ready(url, body, headers, timeout=30):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except Exception:
            time.sleep(0.002)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def wrk(url, body, connections, seconds, workdir, method="POST"):
    script = os.path.join(workdir, f"wrk-{connections}-{len(body)}.lua")
    with open(script, "w") as out:
        if method == "POST":
            escaped = body.replace("\\", "\\\\").replace('"', '\\"')
            out.write(f'wrk.method = "POST"\nwrk.body = "{escaped}"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["x-api-key"] = "{KEY}"\n')
    threads = min(2, connections)
    result = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, url],
                            capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", result)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    return rps, float(p99.group(1)) * scale[p99.group(2)], int(errors.group(1)) if errors else 0


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1)) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    ensure_tools()
    build()
    binary = built("batcat")
    work = tempfile.mkdtemp(prefix="batcat-serve-bench-")
    data = os.path.join(ROOT, "examples", "diabetes-bmi", "diabetes.csv")
    spec = os.path.join(work, "spec.yaml")
    with open(spec, "w") as out:
        out.write(f"name: diabetes-bmi\ndata: {data}\ntarget: target\nfeatures: [bmi]\nsplit: {{method: ordered, test: 20}}\n"
                  f"estimator: {{type: linearRegression}}\noutput: {work}/model.json\n")
    subprocess.run([binary, "train", spec, "-q"], check=True, stdout=subprocess.DEVNULL)
    digest = subprocess.run([sys.executable, "-c", f"import hashlib;print('sha256:'+hashlib.sha256(b'{KEY}').hexdigest())"],
                            capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(work, "keys.txt"), "w") as out:
        out.write(f"bench {digest}\n")

    stream_body = '{"x": [[0.3]]}'
    batch_body = '{"x": [' + ",".join(["[0.3]"] * 100) + "]}"
    headers = {"Content-Type": "application/json", "x-api-key": KEY}
    processes = []
    try:
        ours = free_port()
        started = time.perf_counter()
        batcat = subprocess.Popen([binary, "serve", "--artifact", f"{work}/model.json", "--keys-file", f"{work}/keys.txt",
                                   "--port", str(ours), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(batcat)
        wait_ready(f"http://127.0.0.1:{ours}/stream", stream_body, headers)
        cold = time.perf_counter() - started
        theirs = free_port()
        fastapi = subprocess.Popen([sys.executable, os.path.join(HERE, "peer_fastapi.py"), str(theirs), data, KEY],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(fastapi)
        wait_ready(f"http://127.0.0.1:{theirs}/stream", stream_body, headers)
        nginx_port = free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as out:
            out.write(f"worker_processes 2; daemon off; pid {work}/nginx.pid; error_log {work}/nginx.err;\n"
                      f"events {{ worker_connections 1024; }}\n"
                      f"http {{ access_log off; server {{ listen 127.0.0.1:{nginx_port}; location / {{ return 200 'hello'; }} }} }}\n")
        nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(nginx)
        time.sleep(0.5)

        rows = []
        for label, path, body, connections in [("/stream, 64 connections", "/stream", stream_body, 64),
                                               ("/stream, 16 connections", "/stream", stream_body, 16),
                                               ("/batch 100 rows, 64 conn.", "/batch", batch_body, 64)]:
            b = wrk(f"http://127.0.0.1:{ours}{path}", body, connections, args.seconds, work)
            f = wrk(f"http://127.0.0.1:{theirs}{path}", body, connections, args.seconds, work)
            rows.append((label, b, f))
        hello = wrk(f"http://127.0.0.1:{nginx_port}/", "", 64, args.seconds, work, method="GET")
        memory = rss_mib(batcat.pid)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(f"load: wrk on 127.0.0.1, {args.seconds} s per run, {os.cpu_count()} cores shared by client and server")
    print(f"{'load':<28} {'batcat req/s':>13} {'p99 ms':>8} {'fastapi req/s':>14} {'p99 ms':>8} {'ratio':>7}")
    for label, b, f in rows:
        print(f"{label:<28} {b[0]:>13,.0f} {b[1]:>8.2f} {f[0]:>14,.0f} {f[1]:>8.2f} {b[0] / f[0]:>7.1f}x"
              + (f"   (errors: batcat {b[2]}, fastapi {f[2]})" if b[2] or f[2] else ""))
    print(f"nginx static 'hello', 64 connections: {hello[0]:,.0f} req/s; batcat /stream reaches {rows[0][1][0] / hello[0]:.0%} of it")
    print(f"targets: /stream 64c >= 20x fastapi ({rows[0][1][0] / rows[0][2][0]:.1f}x); p99 at 16c <= 2 ms ({rows[1][1][1]:.2f} ms); "
          f"/batch >= 30x ({rows[2][1][0] / rows[2][2][0]:.1f}x)")
    print(f"cold start (process start to first /stream): {cold * 1000:.0f} ms (target <= 100 ms); resident memory after load: {memory:.1f} MiB (target <= 50)")


if __name__ == "__main__":
    main()
