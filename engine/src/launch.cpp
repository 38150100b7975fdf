// LaunchInfo from the launcher's environment variables (no LibTorch here).
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "mexa/engine/device.h"
#include "mexa/engine/distributed.h"

namespace mexa::engine {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

int env_int(const char* name, int fallback) {
  const char* value = env(name);
  if (!value) return fallback;
  try {
    size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used == std::string(value).size()) return n;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string(name) + "='" + value + "' is not a whole number");
}

}  // namespace

LaunchInfo launch_from_environment() {
  LaunchInfo l;
  if (!env("MASTER_ADDR")) return l;  // RANK / WORLD_SIZE alone: shard numbers, not a process group
  l.master_addr = env("MASTER_ADDR");
  l.master_port = env_int("MASTER_PORT", 0);
  if (env("WORLD_SIZE")) {
    l.rank = env_int("RANK", 0);
    l.world_size = env_int("WORLD_SIZE", 1);
    l.local_rank = env_int("LOCAL_RANK", l.rank);
    l.launcher = env("TORCHELASTIC_RUN_ID") || env("TORCHELASTIC_RESTART_COUNT") ? "torchrun" : "env";
  } else if (env("SLURM_STEP_NUM_TASKS")) {
    // A job step's tasks (srun); not the batch script, whose SLURM_NTASKS
    // counts tasks no process of this step is.
    l.rank = env_int("SLURM_PROCID", 0);
    l.world_size = env_int("SLURM_STEP_NUM_TASKS", 1);
    l.local_rank = env_int("SLURM_LOCALID", 0);
    l.launcher = "srun";
  } else {
    return LaunchInfo{};
  }
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  l.agent_store = agent && (std::string(agent) == "True" || std::string(agent) == "true" || std::string(agent) == "1");
  l.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0);
  if (l.world_size < 1 || l.rank < 0 || l.rank >= l.world_size)
    throw std::invalid_argument("rank " + std::to_string(l.rank) + " of world size " + std::to_string(l.world_size) +
                                " (RANK/WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS) is not in 0..size-1");
  if (l.world_size > 1 && (l.master_port < 1 || l.master_port > 65535))
    throw std::invalid_argument("MASTER_PORT must be a port number 1-65535 for a process group of " +
                                std::to_string(l.world_size) + " (got '" +
                                std::string(env("MASTER_PORT") ? env("MASTER_PORT") : "") + "')");
  if (l.world_size == 1) return LaunchInfo{};
  return l;
}

std::string rank_device(const std::string& device, const LaunchInfo& launch) {
  if (!resolve_device(device).cuda || device.find(':') != std::string::npos) return device;
  const int visible = std::max(1, cuda_device_count());
  return "cuda:" + std::to_string(launch.local_rank % visible);
}

int rank_threads(const LaunchInfo& launch) {
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) cpus = CPU_COUNT(&mask);
  int per_node = launch.world_size;
  if (env("LOCAL_WORLD_SIZE")) {
    per_node = env_int("LOCAL_WORLD_SIZE", per_node);
  } else if (const char* tasks = env("SLURM_NTASKS_PER_NODE")) {
    per_node = std::atoi(tasks);  // "4" or "4(x2)": the first count
  } else if (env("SLURM_CPUS_PER_TASK")) {
    per_node = 1;  // the affinity mask already holds this task's CPUs only
  }
  return std::max(1, cpus / std::max(1, per_node));
}

}  // namespace mexa::engine
