// Data-parallel training and multi-process jobs on PyTorch's distributed
// runtime (c10d): the rendezvous is a c10d TCPStore, the collectives are
// ProcessGroupGloo on the CPU and ProcessGroupNCCL on CUDA. No LibTorch types
// in this header.
//
// Launchers: torchrun (`torchrun --no-python --nproc-per-node=N mexa-torch
// train ...`) sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT and
// TORCHELASTIC_USE_AGENT_STORE=True (then every rank, rank 0 included, is a
// client of the agent's store, under /worker/attempt_<restarts>); Slurm's
// srun sets SLURM_PROCID / SLURM_STEP_NUM_TASKS / SLURM_LOCALID and the job script
// exports MASTER_ADDR and MASTER_PORT (rank 0 then hosts the store).
//
//   const auto launch = mexa::engine::launch_from_environment();
//   if (launch.distributed()) {
//     mexa::engine::ProcessGroup group(launch, "cpu", std::chrono::minutes(30));
//     group.barrier();
//   }
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mexa::engine {

/// How this process was started.
struct LaunchInfo {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  bool agent_store = false;  ///< torchrun's store: every rank connects as a client
  int restart_count = 0;     ///< TORCHELASTIC_RESTART_COUNT
  std::string launcher;      ///< "torchrun", "srun", "env" (variables set by hand) or "" (one process)
  bool distributed() const { return world_size > 1; }
};

/// Reads the launcher's variables: RANK / WORLD_SIZE / LOCAL_RANK (torchrun,
/// or set by hand), else a job step's SLURM_PROCID / SLURM_STEP_NUM_TASKS /
/// SLURM_LOCALID (srun; not the batch script's SLURM_NTASKS), with
/// MASTER_ADDR / MASTER_PORT. A process group needs all of them: without
/// MASTER_ADDR this is one process (world_size 1), whatever RANK says (RANK
/// and WORLD_SIZE alone are shard numbers, as Slurm arrays give). Throws
/// std::invalid_argument naming the variable when a value is malformed.
LaunchInfo launch_from_environment();

/// This rank's device for `device` ("auto", "cpu", "cuda", "cuda:N"): a CUDA
/// device without an index becomes cuda:(LOCAL_RANK modulo the visible
/// devices), so one GPU per rank, whether the launcher shows each rank every
/// GPU of the node (torchrun) or only its own (srun --gpus-per-task).
std::string rank_device(const std::string& device, const LaunchInfo& launch);

/// LibTorch threads for this rank: the CPUs this process may run on (its
/// affinity mask) divided by the ranks on its node (LOCAL_WORLD_SIZE, else
/// SLURM_NTASKS_PER_NODE's first count, else 1 when Slurm bound the task to
/// its own CPUs, else the world size), at least 1.
int rank_threads(const LaunchInfo& launch);

/// One process's membership of the group. Collectives and store waits time
/// out after `timeout`: a rank that dies makes the others throw
/// std::runtime_error (mexa exits 3) instead of hanging.
class ProcessGroup {
 public:
  /// Joins: store rendezvous, then Gloo ("cpu") or NCCL ("cuda", "cuda:N";
  /// the device must be this rank's). Throws std::runtime_error naming the
  /// address when the rendezvous fails or times out.
  ProcessGroup(const LaunchInfo& launch, const std::string& device, std::chrono::milliseconds timeout);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int size() const;
  std::string backend() const;  ///< "gloo" or "nccl"

  /// Every rank reaches this point (the backend's barrier).
  void barrier();
  /// Sums `values` over the ranks, in place (float32 all-reduce).
  void all_reduce_sum(std::vector<double>& values);
  /// Rank `root`'s bytes, on every rank.
  std::string broadcast(const std::string& bytes, int root);

  /// The rendezvous store, shared by the ranks. store_set returns once the
  /// store holds the value: a rank that reads after a later barrier sees it.
  void store_set(const std::string& key, const std::string& value);
  /// The value of `key`, if some rank has set it (does not wait).
  std::optional<std::string> store_check(const std::string& key);
  /// Waits up to `timeout` for `key`; throws std::runtime_error naming it when it does not come.
  std::string store_wait(const std::string& key, std::chrono::milliseconds timeout);

  struct Impl;  // engine-internal: the c10d objects (process_group_impl.h)
  Impl& impl();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::engine
