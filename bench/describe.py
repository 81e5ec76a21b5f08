#!/usr/bin/env python3
"""Benchmark: `batcat describe` against pandas (read_csv + describe) and polars on the same file.

BatCat is timed as a whole process (start to exit); the peers are timed inside their process from
just before reading to just after describing, so their interpreter start and imports do not count
against them. Each tool runs --runs times; the best time and the highest peak RSS are kept.

Usage: bench/describe.py [--runs 3] [--file bench/data/bench-1m.csv]
Builds the release binary and generates the file when missing.
"""
import os
import sys

from common import HERE, measure, parse_args, prepare


def main() -> None:
    args = parse_args(__doc__)

    binary = prepare(args.file)
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
