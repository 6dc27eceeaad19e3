// cross/startup.cpp - the entry of every firmware: vector table and reset handler.
//
// At reset the core loads the stack pointer and the reset handler's address from the first two
// words of the vector table at 0x0 (cross/cortex-m.ld places .vectors there). The handler
// enables the FPU (hard-float builds), copies .data from flash to RAM, zeroes .bss, runs the
// static constructors and main(), and hands main's return value to the host as the exit status.
// main() is called from assembly: C++ forbids calling it from C++.
#include <cstdint>

#include "semihosting.hpp"

// Symbols of cross/cortex-m.ld.
extern "C" {
extern std::uint32_t stack_top[];
extern std::uint32_t data_start[], data_end[], data_load_start[];
extern std::uint32_t bss_start[], bss_end[];
using init_function = void (*)();
extern init_function preinit_array_start[], preinit_array_end[];
extern init_function init_array_start[], init_array_end[];

void reset_handler() noexcept;
void initialize_memory() noexcept;
[[noreturn]] void exit_firmware(int code) noexcept;
}

namespace {

/// Any fault or unexpected interrupt: say so and fail the test instead of hanging it.
[[noreturn]] void unexpected_exception() noexcept {
  semihosting::write0("firmware: unexpected exception (fault)\n");
  semihosting::exit(70);
}

using handler = void (*)();

struct vector_table {
  const void* initial_stack;
  handler exceptions[15];  // reset, NMI, HardFault, MemManage, BusFault, UsageFault, 4 reserved,
                           // SVCall, DebugMonitor, reserved, PendSV, SysTick
};

}  // namespace

[[gnu::section(".vectors"), gnu::used]] const vector_table vectors = {
    stack_top,
    {reset_handler, unexpected_exception, unexpected_exception, unexpected_exception, unexpected_exception,
     unexpected_exception, nullptr, nullptr, nullptr, nullptr, unexpected_exception, unexpected_exception, nullptr,
     unexpected_exception, unexpected_exception}};

// Naked and in assembly because the compiler may use floating-point registers anywhere in a
// function built with -mfloat-abi=hard, and any such instruction before CP10/CP11 are enabled
// in CPACR faults. The M3 has no FPU and no CPACR: nothing to do there.
extern "C" [[gnu::naked]] void reset_handler() noexcept {
#if defined(__ARM_FP)
  asm volatile(
      "movw r0, #0xED88\n"  // CPACR = 0xE000ED88
      "movt r0, #0xE000\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #0x00F00000\n"  // CP10 and CP11: full access
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n");  // the FPU is usable from the next instruction on
#endif
  asm volatile(
      "bl initialize_memory\n"
      "bl main\n"
      "b exit_firmware\n");  // main's return value is in r0, exit_firmware's argument
}

/// .data from its load address in flash, .bss zeroed, static constructors.
extern "C" void initialize_memory() noexcept {
  for (std::uint32_t *from = data_load_start, *to = data_start; to < data_end;) *to++ = *from++;
  for (std::uint32_t* p = bss_start; p < bss_end;) *p++ = 0;
  for (init_function* f = preinit_array_start; f < preinit_array_end; ++f) (*f)();
  for (init_function* f = init_array_start; f < init_array_end; ++f) (*f)();
}

extern "C" void exit_firmware(int code) noexcept { semihosting::exit(code); }
