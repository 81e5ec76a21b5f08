#!/usr/bin/env python3
"""Benchmark: `batcat describe` against pandas (read_csv + describe) and polars on the same file.

BatCat is timed as a whole process (start to exit); the peers are timed inside their process from
just before reading to just after describing, so their interpreter start and imports do not count
against them. Each tool runs --runs times; the best time and the highest peak RSS are kept.

Usage: bench/describe.py [--runs 3] [--file bench/data/bench-1m.csv]
Builds the release binary and generates the file when missing.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(command: list[str]) -> tuple[float, float, str]:
    """Wall time and peak RSS (MiB) of one run, using wait4 for the child's own usage."""
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, "/tmp/batcat-bench.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, "/tmp/batcat-bench.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ])
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    out = open("/tmp/batcat-bench.out").read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(open("/tmp/batcat-bench.err").read())
        raise SystemExit(f"{' '.join(command)} failed")
    return elapsed, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", default=os.path.join(HERE, "data", "bench-1m.csv"))
    args = parser.parse_args()

    if not os.path.exists(args.file):
        subprocess.run([sys.executable, os.path.join(HERE, "make-data.py"), args.file], check=True)
    binary = os.path.join(ROOT, ".build", "release", "batcat")
    subprocess.run(["swift", "build", "-c", "release", "--product", "batcat"], cwd=ROOT, check=True)
    size_mb = os.path.getsize(args.file) / 1e6

    results = {}
    best, peak = float("inf"), 0.0
    for _ in range(args.runs):
        seconds, rss, _ = measure([binary, "describe", args.file, "-q"])
        best, peak = min(best, seconds), max(peak, rss)
    results["batcat"] = (best, peak)
    for peer in ["pandas", "polars"]:
        best, peak = float("inf"), 0.0
        for _ in range(args.runs):
            _, rss, out = measure([sys.executable, os.path.join(HERE, "peers_describe.py"), peer, args.file])
            seconds = float(out.split()[1])
            best, peak = min(best, seconds), max(peak, rss)
        results[peer] = (best, peak)

    print(f"file: {args.file} ({size_mb:.1f} MB), best of {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'tool':<8} {'seconds':>8} {'MB/s':>8} {'peak MiB':>9}")
    for tool, (seconds, rss) in results.items():
        print(f"{tool:<8} {seconds:>8.3f} {size_mb / seconds:>8.0f} {rss:>9.0f}")
    batcat_s, batcat_rss = results["batcat"]
    pandas_s, pandas_rss = results["pandas"]
    polars_s, _ = results["polars"]
    print(f"batcat / pandas time:  {batcat_s / pandas_s:.3f}  (target <= 0.25)")
    print(f"batcat / polars time:  {batcat_s / polars_s:.3f}  (target < 1)")
    print(f"batcat / pandas peak memory: {batcat_rss / pandas_rss:.3f}  (target < 1)")


if __name__ == "__main__":
    main()
