#!/usr/bin/env bash
# Every mexa executable that loads LibTorch binds the C++ standard library's
# symbols to libstdc++, never to a copy that a torch or c10 library exports.
#
# A torch wheel's libtorch_cpu.so can export its own copies of std::
# functions (torch 2.15.0: 142 std::filesystem symbols), built by another
# toolchain; whichever library comes first in the dynamic linker's search
# order wins. With the torch 2.11.0 wheel on Ubuntu 24.04 that sent mexa's
# std::filesystem::remove_all into torch's copy and crashed. The build makes
# libstdc++ the first NEEDED entry of every executable (CMakeLists.txt); this
# proves it by the bindings the dynamic linker actually makes.
#
#   stdcxx_binding_test.sh BUILD_DIR
# Finds every ELF executable under BUILD_DIR that needs a torch or c10
# library, loads it with LD_BIND_NOW=1 LD_DEBUG=bindings and a preloaded
# stub that exits as soon as loading is done (no mexa code runs), and fails
# listing each symbol the executable itself bound to a torch or c10 library
# while libstdc++.so.6 defines it. Template instantiations over torch types,
# which libstdc++ does not define, are not counted.
set -uo pipefail
build="${1:?usage: stdcxx_binding_test.sh BUILD_DIR}"
source "$(dirname "$0")/bindings_lib.sh"
bindings_setup

mapfile -t binaries < <(torch_executables "$build" 'NEEDED.*\[lib(torch|c10)[^]]*\.so')
if [ ${#binaries[@]} -eq 0 ]; then echo "FAIL no executable under $build loads LibTorch"; exit 1; fi

status=0
for bin in "${binaries[@]}"; do
  logfile="$(bindings_of "$bin")"
  if [ -z "$logfile" ]; then echo "FAIL $bin: no LD_DEBUG output"; status=1; continue; fi
  stdcxx="$(ldd "$bin" | awk '/libstdc\+\+\.so\.6/ {print $3}')"
  if [ -z "$stdcxx" ]; then echo "FAIL $bin does not load libstdc++.so.6"; status=1; continue; fi
  # Each line: binding file BIN [0] to LIB [0]: normal symbol `SYM' [VERSION]
  grep -F "binding file $bin [0] to " "$logfile" | grep -E ' to [^ ]*/lib(torch|c10)[^ ]*\.so' |
    sed -E "s/.*symbol \`([^']*)'.*/\1/" | sort -u > "$work/to_torch"
  nm -D --defined-only "$stdcxx" | awk '{print $3}' | sed 's/@.*//' | sort -u > "$work/stdcxx_defines"
  comm -12 "$work/to_torch" "$work/stdcxx_defines" > "$work/clash"
  total=$(grep -cF "binding file $bin [0] to " "$logfile")
  if [ "$total" -eq 0 ]; then echo "FAIL $bin: LD_DEBUG recorded no binding (is LD_DEBUG honoured?)"; status=1
  elif [ -s "$work/clash" ]; then
    echo "FAIL $bin binds $(wc -l < "$work/clash") libstdc++ symbol(s) to a torch/c10 library, e.g.:"
    head -5 "$work/clash" | c++filt | sed 's/^/       /'
    status=1
  else
    echo "ok   $bin: $total bindings, $(wc -l < "$work/to_torch") to torch/c10, none of them a libstdc++ symbol"
  fi
  rm -f "$logfile"
done
exit $status
