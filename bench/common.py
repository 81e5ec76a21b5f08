"""What every benchmark here shares: the data file, the release build, and measuring a process."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(HERE, "data", "bench-1m.csv")


# The benchmarks run the binary as it ships: release, with the Swift runtime linked in statically (a process
# starts in about 10 ms instead of 20). That build keeps its own folder, so it never rebuilds the debug tree.
SCRATCH = os.path.join(ROOT, ".build-static")


def built(product):
    """The path of a product of the static release build."""
    return os.path.join(SCRATCH, "release", product)


def build(products=("batcat",)):
    """Builds the release products with the Swift runtime linked statically (the first build takes minutes)."""
    for product in products:
        subprocess.run(["swift", "build", "-c", "release", "--product", product, "--static-swift-stdlib", "--scratch-path", SCRATCH],
                       cwd=ROOT, check=True)


# The Python side of the benchmarks (the peers, and numpy for the data generator), by import name and PyPI name.
PEERS = {"numpy": "numpy", "pandas": "pandas", "polars": "polars", "sklearn": "scikit-learn"}


def ensure_python(modules=PEERS):
    """Installs from PyPI whichever of `modules` (import name: package name) cannot be imported."""
    import importlib.util

    missing = [package for module, package in modules.items() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"installing the peers' Python packages: {', '.join(missing)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)


def prepare(data_file, products=("batcat",)):
    """Installs the peers when missing, generates the benchmark CSV when missing, builds the release products,
    and returns the batcat binary."""
    ensure_python()
    if not os.path.exists(data_file):
        subprocess.run([sys.executable, os.path.join(HERE, "make-data.py"), data_file], check=True)
    build(products)
    return built("batcat")


def measure(command):
    """Wall time, peak RSS (MiB) and standard output of one run, using wait4 for the child's own usage."""
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


def parse_args(doc):
    """The arguments every benchmark takes: --runs and --file (the 1,000,000-row data file)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", default=DEFAULT_DATA)
    return parser.parse_args()
