#!/usr/bin/env python3
"""Prints the compile time of every object file of a Ninja build directory, slowest first,
from .ninja_log (the most recent entry of each output)."""
import sys
from pathlib import Path


def main() -> int:
    build = Path(sys.argv[1])
    times = {}
    for line in (build / ".ninja_log").read_text().splitlines()[1:]:
        start, end, _mtime, output, _hash = line.split("\t")
        if output.endswith(".o"):
            times[output] = (int(end) - int(start)) / 1000.0
    print(f"compile time per file ({build.name}):")
    for output, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:6.1f} s  {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
