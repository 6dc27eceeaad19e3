#!/usr/bin/env python3
"""Checks that firmware ELFs carry none of the run-time baggage the library promises to avoid.

    check_elf.py <arm-none-eabi-nm> <arm-none-eabi-objdump> firmware.elf...

For each ELF, fails on:
  heap        a heap allocator or its system call: malloc, free, realloc, calloc, operator new
              and delete, newlib's _malloc_r family, _sbrk
  exceptions  exception-handling code or tables: __cxa_throw / __cxa_allocate_exception /
              __cxa_begin_catch, the C++ personality routine, the ARM unwinder (__aeabi_unwind_cpp_pr*,
              _Unwind_*), non-empty .ARM.extab, .eh_frame or .gcc_except_table sections, and any
              .ARM.exidx entry other than EXIDX_CANTUNWIND (libgcc's 64-bit division has one)
  rtti        type information objects or names (_ZTI*, _ZTS*)
Prints one line per ELF and exits 1 if any ELF fails.
"""
import re
import subprocess
import sys

HEAP = re.compile(r"^(malloc|free|realloc|calloc|memalign|_sbrk|_sbrk_r|_(malloc|free|realloc|calloc)_r|"
                  r"_Zn[wa]j.*|_Zd[la]Pv.*)$")
EXCEPTIONS = re.compile(r"^(__cxa_(throw|allocate_exception|begin_catch|end_catch|rethrow)|__gxx_personality_v0|"
                        r"__aeabi_unwind_cpp_pr\d|_Unwind_\w+|__cxa_call_unexpected)$")
RTTI = re.compile(r"^_ZT[IS]")
EH_SECTIONS = (".ARM.extab", ".eh_frame", ".gcc_except_table")  # prefixes: also .ARM.extab.text.main


def symbols(nm, elf):
    out = subprocess.run([nm, "--defined-only", elf], check=True, capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def sections(objdump, elf):
    """Section name -> size in bytes, from objdump -h."""
    out = subprocess.run([objdump, "-h", elf], check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0].isdigit():
            result[fields[1]] = int(fields[2], 16)
    return result


def unwindable_entries(objdump, elf):
    """Entries of .ARM.exidx that describe how to unwind (each entry is two words: the function's
    offset, then 1 for EXIDX_CANTUNWIND or inline unwind data or a pointer to .ARM.extab)."""
    out = subprocess.run([objdump, "-s", "-j", ".ARM.exidx", elf], capture_output=True, text=True).stdout
    words = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2 and all(c in "0123456789abcdef" for c in fields[0]):
            words += [w for w in fields[1:5] if len(w) == 8]
    return sum(1 for second in words[1::2] if second != "01000000")  # little-endian 0x00000001


def problems(nm, objdump, elf):
    found = []
    names = symbols(nm, elf)
    for kind, pattern in (("heap", HEAP), ("exceptions", EXCEPTIONS), ("rtti", RTTI)):
        hits = sorted({n for n in names if pattern.match(n)})
        if hits:
            found.append(f"{kind}: {', '.join(hits[:8])}")
    sizes = sections(objdump, elf)
    tables = {name: size for name, size in sizes.items() if name.startswith(EH_SECTIONS) and size > 0}
    if ".ARM.exidx" in sizes and unwindable_entries(objdump, elf) > 0:
        tables[".ARM.exidx"] = sizes[".ARM.exidx"]
    if tables:
        found.append("exception tables: " + ", ".join(f"{n} {s} B" for n, s in sorted(tables.items())))
    return found


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    nm, objdump, elfs = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = False
    for elf in elfs:
        found = problems(nm, objdump, elf)
        failed |= bool(found)
        print(f"{elf}: " + ("; ".join(found) if found else "no heap, no exception tables, no RTTI"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
