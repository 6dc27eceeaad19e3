// cross/semihosting.cpp - SYS_WRITE0 and SYS_EXIT_EXTENDED (ARM semihosting specification 2.0).
#include "semihosting.hpp"

#include <cstdint>

namespace semihosting {

namespace {

constexpr int sys_write0 = 0x04;
constexpr int sys_exit_extended = 0x20;
/// Reason code "application exit" of SYS_EXIT: with SYS_EXIT_EXTENDED the second word of the
/// argument block is the exit status (plain SYS_EXIT on AArch32 can only say 0 or 1).
constexpr std::uint32_t adp_stopped_application_exit = 0x20026;

int call(int operation, const void* argument) noexcept {
  register int r0 asm("r0") = operation;
  register const void* r1 asm("r1") = argument;
  asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

void write0(const char* text) noexcept { call(sys_write0, text); }

void exit(int code) noexcept {
  const std::uint32_t block[2] = {adp_stopped_application_exit, static_cast<std::uint32_t>(code)};
  call(sys_exit_extended, block);
  for (;;) {  // no semihosting host: stop here, where a debugger will find the core
  }
}

}  // namespace semihosting
