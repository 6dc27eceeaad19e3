#!/usr/bin/env python3
"""Reads Meson's testlog.json of each build directory given and prints one line per build,
then the closing line `N passed, N failed, N skipped`. Exits 1 on any failure or if no test ran."""
import json
import sys
from pathlib import Path

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main() -> int:
    total_pass = total_fail = total_skip = 0
    for build in sys.argv[1:]:
        log = Path(build) / "meson-logs" / "testlog.json"
        if not log.exists():
            print(f"{build}: no test log (build or test run failed)")
            total_fail += 1
            continue
        passed = failed = skipped = 0
        for line in log.read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            result = entry.get("result")
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed += 1
                print(f"{build}: FAILED {entry.get('name')} ({result})")
        print(f"{build}: {passed} passed, {failed} failed, {skipped} skipped")
        total_pass, total_fail, total_skip = total_pass + passed, total_fail + failed, total_skip + skipped
    print(f"{total_pass} passed, {total_fail} failed, {total_skip} skipped")
    return 0 if total_fail == 0 and total_pass > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
