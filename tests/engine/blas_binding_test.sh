#!/usr/bin/env bash
# Every mexa executable that loads LibTorch lets LibTorch's own BLAS serve
# LibTorch's gemm calls.
#
# libtorch_cpu.so of the PyPI wheel exports sgemm_ (MKL's) and calls it
# through the dynamic linker, which binds the call to the first library in the
# search order that defines sgemm_. When dlib's CMake config put Debian's
# reference libblas.so.3 into mexa-torch's NEEDED list ahead of the torch
# libraries, every linear layer and every convolution oneDNN does not take ran
# on the reference BLAS (the fix: mexa_torch_first() in CMakeLists.txt).
#
#   blas_binding_test.sh BUILD_DIR
# For every ELF executable under BUILD_DIR that needs libtorch_cpu.so: load it
# with LD_BIND_NOW=1 LD_DEBUG=bindings and a preloaded stub that exits once
# loading is done (no mexa code runs), and fail when libtorch_cpu.so's sgemm_
# is bound to a library outside LibTorch's own folder. Exit 77 (skipped) when
# this LibTorch binds no sgemm_ at all (nothing to interpose).
set -uo pipefail
build="${1:?usage: blas_binding_test.sh BUILD_DIR}"
source "$(dirname "$0")/bindings_lib.sh"
bindings_setup

mapfile -t binaries < <(torch_executables "$build" 'NEEDED.*\[libtorch_cpu\.so\]')
if [ ${#binaries[@]} -eq 0 ]; then echo "FAIL no executable under $build loads libtorch_cpu.so"; exit 1; fi

status=0 checked=0
for bin in "${binaries[@]}"; do
  logfile="$(bindings_of "$bin")"
  if [ -z "$logfile" ]; then echo "FAIL $bin: no LD_DEBUG output"; status=1; continue; fi
  torch_cpu="$(ldd "$bin" | awk '/libtorch_cpu\.so/ {print $3}')"
  # Each line: binding file FILE [0] to LIB [0]: normal symbol `SYM' [VERSION]
  line="$(grep -F "binding file $torch_cpu [0] to " "$logfile" | grep -F "symbol \`sgemm_'" | head -1)"
  rm -f "$logfile"
  if [ -z "$line" ]; then echo "--   $bin: libtorch_cpu.so binds no sgemm_"; continue; fi
  checked=$((checked + 1))
  target="$(sed -E 's/.* to ([^ ]*) \[.*/\1/' <<<"$line")"
  if [ "$(dirname "$(readlink -f "$target")")" = "$(dirname "$(readlink -f "$torch_cpu")")" ]; then
    echo "ok   $bin: LibTorch's sgemm_ binds to $(basename "$target")"
  else
    echo "FAIL $bin: LibTorch's sgemm_ binds to $target, not to LibTorch's own BLAS"
    status=1
  fi
done
if [ $status -eq 0 ] && [ $checked -eq 0 ]; then echo "skipped: this LibTorch binds no sgemm_"; exit 77; fi
exit $status
