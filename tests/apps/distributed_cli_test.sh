#!/usr/bin/env bash
# More than one process, through the real binaries on loopback (issue 14):
#   fold shards    3 `mexa train --fold-shard i/3` processes at once, then
#                  --gather: the same predictions.csv bytes and summary.json as
#                  one process; --gather refuses (1) while a fold is missing
#   data-parallel  torchrun, 2 ranks, 2 epochs of small3d with global batch 8:
#                  weights within 1e-5 of 1 process with batch 8; --resume;
#                  srun's variables (rank 0 hosts the store) give the same
#   a dying rank   rank 1 killed mid-epoch (failpoint): rank 0 exits 3 within
#                  its --dist-timeout, naming the failed collective
#   scoring        torchrun, 2 ranks: rank files merged into one results file
#                  equal to a single run's
# Every command is bounded by `timeout`; no check depends on speed.
#   distributed_cli_test.sh MEXA CHECKPOINT_DIFF PYTHON WORK_DIR
mexa="$1"; diff_tool="$2"; py="$3"; work="$4"
source "$(dirname "$0")/check_lib.sh"
mexa_torch="$(dirname "$mexa")/mexa-torch"
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
free_port() { "$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
# within TOL A.pt B.pt: the largest weight difference is at most TOL
within() { local d; d=$("$diff_tool" "$2" "$3" | awk '{print $2}'); echo "max |w1 - w2| = $d ($2 vs $3)"; /usr/bin/python3 -c "import sys; sys.exit(0 if float('$d') <= $1 else 1)"; }
unset RANK WORLD_SIZE LOCAL_RANK MASTER_ADDR MASTER_PORT SLURM_PROCID SLURM_NTASKS SLURM_LOCALID SLURM_STEP_NUM_TASKS \
      SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN TORCHELASTIC_USE_AGENT_STORE MEXA_FAILPOINT

"$mexa" synth --out "$work/set" --clips 36 --subjects 6 --seed 3 --log-level warn >/dev/null || exit 1
data="$work/set/annotations.csv"
cat > "$work/kfold.ini" <<'INI'
model = small3d
frames = 4
size = 16x16
onset-difference = true
protocol = kfold
folds = 3
epochs = 2
batch = 8
optimizer = sgd
lr = 0.05
augment = true
INI

# ---- fold shards
timeout 600 "$mexa" train --config "$work/kfold.ini" --data "$data" --out "$work/one" --threads 1 --log-level warn \
  >"$work/one.out" 2>&1; rc=$?
check "one process trains the 3 folds" '[ $rc -eq 0 ] && [ -s "$work/one/predictions.csv" ]'
for i in 0 1 2; do
  timeout 600 "$mexa" train --config "$work/kfold.ini" --data "$data" --out "$work/shards" --fold-shard "$i/3" \
    --threads 1 --log-level info >"$work/shard$i.out" 2>&1 &
done
wait
check "each shard says which folds it trains" \
  'for i in 0 1 2; do grep -q "fold shard $i/3: 1 of 3 folds" "$work/shard$i.out" || exit 1; done'
check "each fold was trained by exactly one shard" \
  '[ "$(cat "$work"/shard*.out | grep -c "epoch 2/2")" -eq 3 ]'
check "the last shard to finish wrote the run-level files" '[ -s "$work/shards/predictions.csv" ] && [ -s "$work/shards/summary.json" ]'
rm -f "$work/shards/predictions.csv" "$work/shards/summary.json"
timeout 300 "$mexa" train --gather "$work/shards" >"$work/gather.out" 2>&1; rc=$?
check "--gather exits 0 and prints the pooled report" '[ $rc -eq 0 ] && grep -q "UF1" "$work/gather.out"'
# Byte identity is the contract here: each fold is trained by one process on
# this machine, and training is bit-exact on one machine and build (docs/testing.md).
check "3 shards + gather: predictions.csv byte-identical to one process" 'cmp -s "$work/one/predictions.csv" "$work/shards/predictions.csv"'
check "3 shards + gather: the same pooled metrics (summary.json identical)" 'cmp -s "$work/one/summary.json" "$work/shards/summary.json"'
cp -r "$work/shards" "$work/partial"
rm "$work/partial/folds/kfold-2/test_predictions.csv"
timeout 300 "$mexa" train --gather "$work/partial" >"$work/gather2.out" 2>&1; rc=$?
check "--gather with a fold missing exits 1 and names it" '[ $rc -eq 1 ] && grep -q "kfold-2" "$work/gather2.out"'
timeout 300 "$mexa" train --gather "$work/set" >/dev/null 2>"$work/err"; rc=$?
check "--gather of a folder that is not a run: exit 2, says so" '[ $rc -eq 2 ] && grep -q "not a mexa train run" "$work/err"'
timeout 300 "$mexa" train --config "$work/kfold.ini" --data "$data" --out "$work/shards" --fold-shard 1/3 --epochs 3 \
  >/dev/null 2>"$work/err"; rc=$?
check "a shard with other settings than the run's is refused (2), naming the option" '[ $rc -eq 2 ] && grep -q "epochs" "$work/err"'
timeout 60 "$mexa" train --config "$work/kfold.ini" --data "$data" --out "$work/x" --fold-shard 3/3 >/dev/null 2>"$work/err"; rc=$?
check "--fold-shard 3/3 is refused (2)" '[ $rc -eq 2 ] && grep -q "fold" "$work/err"'

# ---- data-parallel
cat > "$work/dp.ini" <<'INI'
model = small3d
frames = 4
size = 16x16
onset-difference = true
protocol = split
epochs = 2
batch = 8
optimizer = sgd
lr = 0.05
momentum = 0.9
augment = true
INI
last() { echo "$work/$1/folds/split/last.pt"; }
timeout 600 "$mexa" train --config "$work/dp.ini" --data "$data" --out "$work/dp1" --threads 1 --log-level warn \
  >"$work/dp1.out" 2>&1; rc=$?
check "1 process, batch 8: trains" '[ $rc -eq 0 ] && [ -s "$(last dp1)" ]'
if "$py" -c "import torch.distributed.run" 2>/dev/null; then
  torchrun() { timeout 600 "$py" -m torch.distributed.run --no-python --nproc-per-node=2 --master-addr=127.0.0.1 \
                 --master-port="$(free_port)" --max-restarts=0 "$@"; }
  torchrun "$mexa_torch" train --config "$work/dp.ini" --data "$data" --out "$work/dp2" --log-level info \
    >"$work/dp2.out" 2>&1; rc=$?
  check "torchrun, 2 ranks: trains (exit 0), says it is data-parallel" \
    '[ $rc -eq 0 ] && grep -q "data-parallel: 2 ranks (torchrun, gloo), global batch 8 (4 per rank)" "$work/dp2.out"'
  check "2 ranks x 4 clips: weights within 1e-5 of 1 process x 8 clips" 'within 1e-5 "$(last dp1)" "$(last dp2)"'
  check "2 ranks: the same training loss per epoch (1e-5)" \
    '/usr/bin/python3 -c "
import csv,sys
a=list(csv.DictReader(open(sys.argv[1]))); b=list(csv.DictReader(open(sys.argv[2])))
sys.exit(0 if len(a)==len(b)==2 and all(abs(float(x[\"train_loss\"])-float(y[\"train_loss\"]))<1e-5 and x[\"train_acc\"]==y[\"train_acc\"] for x,y in zip(a,b)) else 1)" \
      "$work/dp1/folds/split/metrics.csv" "$work/dp2/folds/split/metrics.csv"'
  check "rank 0 alone wrote the files (one last.pt, no rank cache but its copy)" \
    '[ "$(find "$work/dp2" -name last.pt | wc -l)" -eq 1 ] && [ -s "$work/dp2/predictions.csv" ]'
  torchrun "$mexa_torch" train --config "$work/dp.ini" --data "$data" --out "$work/dp2r" --stop-after-epoch 1 \
    --log-level warn >"$work/dp2r.out" 2>&1; rc1=$?
  torchrun "$mexa_torch" train --data "$data" --out "$work/dp2r" --resume --log-level warn >>"$work/dp2r.out" 2>&1; rc=$?
  check "torchrun: stop after epoch 1, --resume to 2 (exit 0 twice)" '[ $rc1 -eq 0 ] && [ $rc -eq 0 ]'
  check "resumed data-parallel weights within 1e-5 of the uninterrupted run" 'within 1e-5 "$(last dp2)" "$(last dp2r)"'
  # Exit 1 on every rank (an unreadable clip): torchrun then stops the workers
  # still running, so the other ranks must leave after rank 0 has pooled.
  cp -r "$work/set" "$work/badset"
  echo "not a video" > "$work/badset/$(sed -n 2p "$data" | cut -d, -f3)"
  torchrun "$mexa_torch" train --config "$work/dp.ini" --data "$work/badset/annotations.csv" --out "$work/dpbad" \
    --log-level warn >"$work/dpbad.out" 2>&1; rc=$?
  check "torchrun with an unreadable clip: exit 1, and rank 0 still wrote the run-level files" \
    '[ $rc -eq 1 ] && [ -s "$work/dpbad/summary.json" ] && [ -s "$work/dpbad/predictions.csv" ] && [ "$(wc -l < "$work/dpbad/failed.csv")" -eq 2 ]'
else
  skip "torchrun checks" "$py has no torch.distributed.run"
fi

# srun's variables, rank 0 hosting the store (no torchrun agent).
srun_pair() {  # srun_pair OUT PORT [RANK1_ENV...]
  local out="$1" port="$2"; shift 2
  (SLURM_PROCID=0 SLURM_STEP_NUM_TASKS=2 SLURM_NTASKS=2 SLURM_LOCALID=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port timeout 300 \
     "$mexa_torch" train --config "$work/dp.ini" --data "$data" --out "$work/$out" --dist-timeout 60 \
     >"$work/$out.rank0" 2>&1; echo $? >"$work/$out.rc0") &
  (env "$@" SLURM_PROCID=1 SLURM_STEP_NUM_TASKS=2 SLURM_NTASKS=2 SLURM_LOCALID=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port timeout 300 \
     "$mexa_torch" train --config "$work/dp.ini" --data "$data" --out "$work/$out" --dist-timeout 60 \
     >"$work/$out.rank1" 2>&1; echo $? >"$work/$out.rc1") &
  wait
}
srun_pair srun "$(free_port)"
check "srun variables, 2 ranks: exit 0 on both" '[ "$(cat "$work/srun.rc0")" = 0 ] && [ "$(cat "$work/srun.rc1")" = 0 ]'
check "srun variables: weights within 1e-5 of 1 process" 'within 1e-5 "$(last dp1)" "$(last srun)"'
srun_pair killed "$(free_port)" MEXA_FAILPOINT=kill-in-training-step:3
check "a rank killed mid-epoch: it died by SIGKILL (137)" '[ "$(cat "$work/killed.rc1")" = 137 ]'
check "the other rank stops with exit 3 (not a hang, not a crash)" '[ "$(cat "$work/killed.rc0")" = 3 ]'
check "its message names the rank and the failed collective" 'grep -q "rank 0 of 2 (gloo): .* failed" "$work/killed.rank0"'
(RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) timeout 60 "$mexa_torch" train --config "$work/dp.ini" \
   --data "$data" --out "$work/rul" --rul >/dev/null 2>"$work/err"); rc=$?
check "--rul data-parallel is refused (2) before any rendezvous" '[ $rc -eq 2 ] && grep -q "data-parallel" "$work/err"'
(SLURM_PROCID=0 SLURM_NTASKS=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) timeout 300 "$mexa" train \
   --config "$work/dp.ini" --data "$data" --out "$work/batchscript" --epochs 1 --log-level info >"$work/bs.out" 2>&1); rc=$?
check "a batch script's SLURM_NTASKS (no srun step) is one process, not rank 0 of 2" \
  '[ $rc -eq 0 ] && ! grep -q "data-parallel" "$work/bs.out"'
(RANK=0 WORLD_SIZE=2 timeout 60 "$mexa" train --config "$work/kfold.ini" --data "$data" --out "$work/rw" --epochs 1 \
   --threads 1 --log-level info >"$work/rw.out" 2>&1); rc=$?
check "RANK/WORLD_SIZE without MASTER_ADDR are fold-shard numbers (shard 0/2)" \
  '[ $rc -eq 0 ] && grep -q "fold shard 0/2" "$work/rw.out"'

# ---- scoring under torchrun
ckpt="$(last dp1)"
timeout 600 "$mexa" score "$data" --model "$ckpt" --out "$work/single.h5" --log-level warn >/dev/null 2>&1; rc=$?
check "single-process scoring" '[ $rc -eq 0 ]'
if "$py" -c "import torch.distributed.run" 2>/dev/null; then
  torchrun "$mexa_torch" score "$data" --model "$ckpt" --out "$work/ranked.h5" --log-level info >"$work/score.out" 2>&1; rc=$?
  check "torchrun score, 2 ranks: exit 0, one rank file each, merged by rank 0" \
    '[ $rc -eq 0 ] && [ -s "$work/ranked.rank0.h5" ] && [ -s "$work/ranked.rank1.h5" ] && grep -q "36 clips merged from 2 rank files" "$work/score.out"'
  # Rank k scores a contiguous block of whole batches, so rows come back in
  # input order with the batch-mates of one process; the ranks' CPU kernels
  # may still round differently (other thread counts): probabilities and
  # features within 1e-5, everything else exact (docs/testing.md).
  check "the merged file equals the single run's: same rows in the same order, numbers within 1e-5" \
    'same_results "$work/single.h5" "$work/ranked.h5" --atol 1e-5'
  torchrun "$mexa_torch" score "$work/badset/annotations.csv" --model "$ckpt" --out "$work/badranked.h5" --log-level warn \
    >"$work/badscore.out" 2>&1; rc=$?
  check "torchrun score with an unreadable clip: exit 1, all 36 clips merged (one failed)" \
    '[ $rc -eq 1 ] && grep -q "36 clips merged" "$work/badscore.out"'
  torchrun "$mexa_torch" score "$data" --model "$ckpt" --out "$work/ranked.h5" --log-level warn >/dev/null 2>"$work/err"; rc=$?
  check "scoring into an existing merged file without --resume/--overwrite is refused" '[ $rc -ne 0 ] && grep -q "exists" "$work/err"'
else
  skip "torchrun scoring" "$py has no torch.distributed.run"
fi
finish
