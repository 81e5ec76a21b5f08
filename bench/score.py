#!/usr/bin/env python3
"""Batch-scoring benchmark: `batcat score` of the 1,000,000-row benchmark CSV with the 20-feature linear
model, CSV to CSV (the whole process), against pandas.read_csv + scikit-learn predict + to_csv (timed in
Python, the model fitted beforehand); peak memory of both. Prints the ratios.

Usage: bench/score.py [--runs 3] [--file bench/data/bench-1m.csv]
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import measure, parse_args, prepare  # noqa: E402


def main():
    args = parse_args(__doc__)
    binary = prepare(args.file)
    work = tempfile.mkdtemp(prefix="batcat-score-bench-")
    try:
        spec = os.path.join(work, "spec.yaml")
        with open(spec, "w") as out:
            out.write(f"name: bench\ndata: {args.file}\ntarget: target\nestimator: {{type: linearRegression}}\noutput: {work}/model.json\n")
        subprocess.run([binary, "train", spec, "-q"], check=True, stdout=subprocess.DEVNULL)
        # The two take turns, so a stretch where the machine runs slow (a shared host's speed drifts by a
        # fifth within minutes) falls on both rather than on whichever ran then.
        ours, ours_rss = float("inf"), 0.0
        theirs, theirs_rss = float("inf"), 0.0
        for run in range(args.runs):
            seconds, rss, _ = measure([binary, "score", "--artifact", f"{work}/model.json", "--input", args.file,
                                       "--output", f"{work}/out-{run}.csv", "-q"])
            ours, ours_rss = min(ours, seconds), max(ours_rss, rss)
            _, rss, out = measure([sys.executable, os.path.join(HERE, "peers_score.py"), args.file, f"{work}/peer-{run}.csv"])
            theirs, theirs_rss = min(theirs, float(out.split()[0])), max(theirs_rss, rss)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"scoring {args.file}: 1,000,000 rows x 20 features, CSV to CSV, best of {args.runs}")
    print(f"  batcat score              {ours:.3f} s   peak {ours_rss:.0f} MiB")
    print(f"  pandas + scikit-learn     {theirs:.3f} s   peak {theirs_rss:.0f} MiB")
    print(f"  time ratio:   {ours / theirs:.3f}  (target <= 0.12)")
    print(f"  memory ratio: {ours_rss / theirs_rss:.3f}  (target <= 0.2)")


if __name__ == "__main__":
    main()
