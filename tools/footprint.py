#!/usr/bin/env python3
"""Prints the footprint of the firmware as Markdown tables (docs/footprint.md shows them).

    tools/footprint.py [--size arm-none-eabi-size] build-dir...

Each build directory is a bare-metal cross build (meson setup --cross-file cross/*.ini). For
every firmware ELF in it: the sizes of its sections from `size -A` (flash = everything loaded,
static RAM = .data + .bss, the stack not included), and the library's compile-time figures
(parameter bytes, trainer bytes, inference stack) that the firmware printed as
`figure <name> <value>` lines when `meson test` ran it, read from meson-logs/testlog.json.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

SECTIONS = [".text", ".rodata", ".data", ".bss"]
FLASH = {".text", ".rodata", ".init_array", ".ARM.exidx", ".data"}  # .data's initial values live in flash


def target_label(build):
    """'cortex-m4, hard float, minsize' from the build's options."""
    options = {o["name"]: o["value"] for o in json.loads((build / "meson-info/intro-buildoptions.json").read_text())
               if o.get("machine") in ("host", "any")}
    args = options.get("cpp_args", [])
    cpu = next((a.split("=", 1)[1] for a in args if a.startswith("-mcpu=")), "?")
    abi = next((a.split("=", 1)[1] for a in args if a.startswith("-mfloat-abi=")), "soft")
    return f"{cpu}, {abi} float, {options.get('buildtype', '?')}"


def firmware(build):
    """(name, path) of every ELF executable the build defines."""
    targets = json.loads((build / "meson-info/intro-targets.json").read_text())
    return [(t["name"], Path(t["filename"][0])) for t in targets
            if t["type"] == "executable" and t["filename"][0].endswith(".elf")]


def sections(size_tool, elf):
    out = subprocess.run([size_tool, "-A", "-d", str(elf)], check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0].startswith(".") and fields[1].isdigit():
            result[fields[0]] = int(fields[1])
    return result


def figures(build):
    """test name -> {figure: value} from the firmware's output in the last test run."""
    log = build / "meson-logs/testlog.json"
    result = {}
    if not log.exists():
        return result
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        text = (entry.get("stdout") or "") + (entry.get("stderr") or "")
        found = {}
        for row in text.splitlines():
            parts = row.split()
            if len(parts) == 3 and parts[0] == "figure":
                found[parts[1]] = int(parts[2])
        if found:
            result[entry["name"]] = found
    return result


def number(v):
    return f"{v:,}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="arm-none-eabi-size")
    parser.add_argument("builds", nargs="+", type=Path)
    options = parser.parse_args()

    print("| firmware | target | .text | .rodata | .data | .bss | flash | static RAM |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    printed = {}  # figure rows: (firmware, figure) -> {target: value}
    targets = []
    for build in options.builds:
        if not (build / "meson-info").exists():
            print(f"{build}: not a Meson build directory", file=sys.stderr)
            return 1
        label = target_label(build)
        targets.append(label)
        found = figures(build)
        for name, elf in firmware(build):
            if not elf.exists():
                print(f"{elf}: not built", file=sys.stderr)
                return 1
            s = sections(options.size, elf)
            flash = sum(v for k, v in s.items() if k in FLASH)
            ram = s.get(".data", 0) + s.get(".bss", 0)
            cells = [number(s.get(k, 0)) for k in SECTIONS]
            print(f"| {name} | {label} | " + " | ".join(cells) + f" | {number(flash)} | {number(ram)} |")
            for figure, value in found.get(name, {}).items():
                printed.setdefault((name, figure), {})[label] = value

    print()
    if not printed:
        print("(no compile-time figures: run `meson test` in the build directories first)")
        return 0
    print("| firmware | compile-time figure (bytes or count) | " + " | ".join(targets) + " |")
    print("|---|---|" + "--:|" * len(targets))
    for (name, figure), values in printed.items():
        cells = [number(values[t]) if t in values else "-" for t in targets]
        print(f"| {name} | `{figure}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
