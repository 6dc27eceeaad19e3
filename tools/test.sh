#!/bin/sh
# The whole test suite: installs what is missing, builds every variant, runs every test, and
# ends with the line `N passed, N failed, N skipped` computed from Meson's test logs.
#
# Variants (one build directory each under build-tests/):
#   native       -march=native (AVX3_DL on this machine): unit tests, examples, benchmarks;
#                and tests/dispatch_test.cpp, built without -march, under every x86 target
#                this CPU has and, in qemu-user, as a Core 2, a Westmere and a Haswell
#   avx2         -march=haswell: the AVX2 kernels (at -O2; the next two at -O1)
#   baseline     no -march: Highway's SCALAR target
#   pure-scalar  CTNN_PURE_SCALAR: no Highway at all
#   sanitize     native with -fsanitize=address,undefined, built by clang++-14
#   cortex-m4f   bare-metal firmware for Cortex-M4F (cross/cortex-m4f.ini), tests run in QEMU
#   cortex-m3    bare-metal firmware for Cortex-M3 (cross/cortex-m3.ini), tests run in QEMU
set -u
cd "$(dirname "$0")/.."
root=$(pwd)

./tools/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

jobs=${CTNN_JOBS:-2}
out=build-tests
variants=${CTNN_VARIANTS:-"native avx2 baseline pure-scalar sanitize cortex-m4f cortex-m3"}
dirs=""
cross_dirs=""

configure() {  # name, meson options...
  dir="$out/$1"; shift
  # A build directory keeps the compiler it was set up with: one set up with another compiler
  # than its variant's now (the sanitizer variant was GCC's) is set up afresh.
  # (Meson puts ccache in front of the compiler when it finds it.)
  if [ -n "$compiler" ] && [ -f "$dir/build.ninja" ] && ! grep -q -e "command = $compiler " -e "command = ccache $compiler " "$dir/build.ninja"; then
    rm -rf "$dir"
  fi
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    mkdir -p "$out" && env ${compiler:+"CXX=$compiler"} meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { echo "meson setup $dir failed:"; tail -20 "$dir.setup.log"; return 1; }
}

for v in $variants; do
  compiler=${CXX:-c++}  # the host compiler; the cross variants take theirs from their cross file
  case $v in
    native)      set -- -Dsimd=native -Dexamples=true -Dbench=enabled ;;
    # The native variant builds at the release default, -O3; avx2 at -O2, which compiles in 30%
    # less time (kernels_test.cpp for AVX2: 205 s at -O3, 146 s at -O2); the two scalar back
    # ends at -O1, another 30% less (gradient_check_test.cpp for AVX2: 62 s at -O2, 44 s at
    # -O1), their tests taking seconds at any level. -O3, -O2 and -O1 are each tested.
    avx2)        set -- -Dsimd=avx2 -Dexamples=false -Dbench=disabled -Doptimization=2 ;;
    baseline)    set -- -Dsimd=baseline -Dexamples=false -Dbench=disabled -Doptimization=1 ;;
    pure-scalar) set -- -Dsimd=pure-scalar -Dexamples=false -Dbench=disabled -Doptimization=1 ;;
    # -O1 and line tables only (-g1): the sanitizers' reports keep file:line stack traces, and
    # the build takes a third of -O2 -g's (gradient_check_test.cpp: 389 s -> 135 s), which was
    # half of the whole suite's time. Clang builds it in half GCC's time (kernels_test.cpp with
    # ASan+UBSan at -O1: GCC 12 426 s and 1.9 GB, clang 14 227 s and 0.9 GB) and puts the
    # library through a second compiler.
    sanitize)    compiler=clang++-14
                 set -- -Dsimd=native -Dexamples=false -Dbench=disabled -Db_sanitize=address,undefined \
                        -Doptimization=1 -Ddebug=false -Dcpp_args=-g1 ;;
    cortex-m4f)  compiler=; set -- --cross-file cross/cortex-m4f.ini; cross_dirs="$cross_dirs $out/$v" ;;
    cortex-m3)   compiler=; set -- --cross-file cross/cortex-m3.ini; cross_dirs="$cross_dirs $out/$v" ;;
    *) echo "unknown variant $v"; exit 2 ;;
  esac
  dir="$out/$v"
  dirs="$dirs $dir"
  rm -f "$dir/meson-logs/testlog.json"
  echo "=== $v: build"
  start=$(date +%s)
  configure "$v" "$@" || continue
  if ! ninja -C "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    echo "build of $v failed:"; grep -E "error|FAILED" "$dir.build.log" | head -40
    continue
  fi
  echo "=== $v: built in $(( $(date +%s) - start )) s; test"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C "$dir" --num-processes "$jobs" --print-errorlogs >"$dir.test.log" 2>&1
  grep -E "^ *[0-9]+/[0-9]+ " "$dir.test.log" | grep -v " OK " | head -40
  echo "=== $v: done in $(( $(date +%s) - start )) s"
done

[ -f "$out/native/.ninja_log" ] && /usr/bin/python3 tools/compile_times.py "$out/native"
# shellcheck disable=SC2086
[ -n "$cross_dirs" ] && /usr/bin/python3 tools/footprint.py $cross_dirs
# shellcheck disable=SC2086
/usr/bin/python3 "$root/tools/test_summary.py" $dirs
