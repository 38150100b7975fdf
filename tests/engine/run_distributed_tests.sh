#!/usr/bin/env bash
# distributed_collectives: runs distributed_tests as 2 ranks on loopback under
# torchrun (the wheel's launcher, its agent store). Exit 77 (Skipped) when
# torchrun is missing; otherwise the ranks' gtest verdicts.
#   run_distributed_tests.sh PYTHON DISTRIBUTED_TESTS
py="$1"; tests="$2"
if ! "$py" -c "import torch.distributed.run" 2>/dev/null; then
  echo "skip: $py has no torch.distributed.run (torchrun)"; exit 77
fi
port=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
# Bounded: a hang in a collective ends with the group's 60 s timeout, and this one.
exec timeout 240 "$py" -m torch.distributed.run --no-python --nproc-per-node=2 --master-addr=127.0.0.1 \
  --master-port="$port" --max-restarts=0 "$tests" --gtest_brief=0
