// cross/semihosting.hpp - the two semihosting calls the firmware needs: print a string on the
// host's console, and end the program with an exit code.
//
// Semihosting is the debugger's (here QEMU's, with -semihosting-config enable=on) side channel:
// the core executes `bkpt 0xAB` with an operation number in r0 and an argument pointer in r1,
// and the host performs the operation. Nothing else of the board is touched, so a firmware that
// talks only through these calls runs unchanged on any Cortex-M under a debugger.
#pragma once

namespace semihosting {

/// Writes a NUL-terminated string to the host's console (SYS_WRITE0).
void write0(const char* text) noexcept;

/// Ends the program; QEMU exits with `code` as its status (SYS_EXIT_EXTENDED).
[[noreturn]] void exit(int code) noexcept;

}  // namespace semihosting
