#!/usr/bin/env python3
"""Compile-fail test: FILE must not compile, and the compiler must say every `// expect:` line.

usage: compile_fail.py FILE COMPILER [ARGS...]
"""
import subprocess
import sys


def main() -> int:
    source, command = sys.argv[1], sys.argv[2:]
    with open(source, encoding="utf-8") as f:
        expected = [line.split("// expect:", 1)[1].strip() for line in f if "// expect:" in line]
    if not expected:
        print(f"{source}: no '// expect:' line")
        return 1
    result = subprocess.run(command + ["-fsyntax-only", source], capture_output=True, text=True)
    if result.returncode == 0:
        print(f"{source}: compiled, but it must not")
        return 1
    missing = [e for e in expected if e not in result.stderr]
    for e in missing:
        print(f"{source}: the compiler did not say: {e}")
    if missing:
        print(result.stderr[:4000])
        return 1
    print(f"{source}: rejected with: " + "; ".join(expected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
