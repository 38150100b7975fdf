#!/usr/bin/env bash
# mexa compiles ProcessGroupGloo.hpp against Debian's libgloo-dev headers
# (the wheel ships none) and links no gloo library: libtorch_cpu's gloo,
# built from the gloo commit PyTorch pins, does all the work. That is sound
# only while no mexa binary carries gloo code of its own — an inline gloo
# function or a vtable of a header class overriding gloo virtuals
# (ProcessGroupGloo::GlooStore) compiled from the other headers would
# interpose on libtorch's at load time. This checks each binary given.
# (Checked by hand: an object file that constructs a GlooStore defines
# "vtable for c10d::ProcessGroupGloo::GlooStore" (weak), which this finds;
# linking it then fails anyway, libtorch_cpu hiding gloo's own symbols.)
#   distributed_symbols_test.sh BINARY...
status=0
for bin in "$@"; do
  [ -n "$bin" ] || continue
  if [ ! -f "$bin" ]; then echo "FAIL $bin: no such file"; status=1; continue; fi
  own=$(nm -C --defined-only "$bin" | grep -E " (gloo::|(vtable|typeinfo|typeinfo name|VTT|construction vtable) for (c10d::ProcessGroupGloo::GlooStore|gloo::))" | head -5)
  if [ -n "$own" ]; then echo "FAIL $bin defines gloo symbols:"; echo "$own"; status=1; else echo "ok   $bin defines no gloo symbol"; fi
  if ldd "$bin" | grep -q -i "libgloo"; then echo "FAIL $bin links a gloo library: $(ldd "$bin" | grep -i libgloo)"; status=1
  else echo "ok   $bin links no gloo library (libtorch_cpu's is the one)"; fi
  if [ "$(nm -C -u "$bin" | grep -c 'c10d::ProcessGroupGloo::ProcessGroupGloo')" -eq 0 ] && [[ "$bin" == *distributed_tests* || "$bin" == *mexa-torch* ]]; then
    echo "FAIL $bin does not call libtorch's ProcessGroupGloo constructor"; status=1
  fi
done
exit $status
