// engine::ProcessGroup on c10d: TCPStore rendezvous (or torchrun's agent
// store), ProcessGroupGloo on the CPU, ProcessGroupNCCL on CUDA.
#include "process_group_impl.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(USE_C10D_NCCL) && defined(MEXA_HAVE_NCCL_HEADERS)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define MEXA_NCCL 1
#endif

#include <cstring>
#include <stdexcept>

#include "mexa/engine/device.h"

namespace mexa::engine {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string error_text(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return first_line(c->what_without_backtrace());
  return first_line(e.what());
}

bool loopback(const std::string& address) { return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1"; }

/// The rendezvous: torchrun's agent store (every rank a client, under its
/// attempt's prefix), else a TCPStore rank 0 hosts.
c10::intrusive_ptr<c10d::Store> connect_store(const LaunchInfo& l, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(l.master_port);
  o.isServer = !l.agent_store && l.rank == 0;
  o.numWorkers = l.agent_store ? std::nullopt : std::optional<size_t>(static_cast<size_t>(l.world_size));
  o.waitWorkers = false;
  o.timeout = timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(l.master_addr, o);
  const std::string prefix =
      l.agent_store ? "/worker/attempt_" + std::to_string(l.restart_count) : "mexa/attempt_" + std::to_string(l.restart_count);
  return c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
}

c10::intrusive_ptr<c10d::Backend> make_gloo(const ProcessGroup::Impl& g) {
  auto options = c10d::ProcessGroupGloo::Options::create(g.timeout);
  if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME"); iface && *iface)
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
  else if (loopback(g.launch.master_addr))
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, g.launch.rank, g.launch.world_size, options);
}

c10::intrusive_ptr<c10d::Backend> make_nccl(const ProcessGroup::Impl& g) {
#ifdef MEXA_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = g.timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(g.store, g.launch.rank, g.launch.world_size, options);
#else
  (void)g;
  throw std::runtime_error("this mexa was built without NCCL headers: data-parallel CUDA training needs them "
                           "(pip install nvidia-nccl-cu13, then rebuild)");
#endif
}

}  // namespace

void ProcessGroup::Impl::fail(const std::string& what, const std::exception& e) const {
  throw std::runtime_error("rank " + std::to_string(launch.rank) + " of " + std::to_string(launch.world_size) + " (" +
                           backend_name + "): " + what + " failed: " + error_text(e) +
                           " (another rank stopped or timed out after " + std::to_string(timeout.count() / 1000) + " s)");
}

void ProcessGroup::Impl::all_reduce(std::vector<torch::Tensor>& tensors) const {
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      works.push_back(backend->allreduce(one));
    }
    for (auto& w : works) w->wait(timeout);
  } catch (const std::exception& e) {
    fail("all-reduce", e);
  }
}

void ProcessGroup::Impl::broadcast(std::vector<torch::Tensor>& tensors, int root) const {
  try {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      works.push_back(backend->broadcast(one, o));
    }
    for (auto& w : works) w->wait(timeout);
  } catch (const std::exception& e) {
    fail("broadcast", e);
  }
}

void ProcessGroup::Impl::barrier() const {
  try {
    backend->barrier()->wait(timeout);
  } catch (const std::exception& e) {
    fail("barrier", e);
  }
}

namespace {

struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    std::vector<torch::Tensor> t{x.clone().contiguous()};
    reinterpret_cast<const ProcessGroup::Impl*>(group)->all_reduce(t);
    return t[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto* g = reinterpret_cast<const ProcessGroup::Impl*>(ctx->saved_data["group"].toInt());
    std::vector<torch::Tensor> t{grads[0].clone().contiguous()};
    g->all_reduce(t);
    return {t[0], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor all_reduce_sum(const torch::Tensor& x, const ProcessGroup::Impl& group) {
  return AllReduceSum::apply(x, reinterpret_cast<int64_t>(&group));
}

ProcessGroup::ProcessGroup(const LaunchInfo& launch, const std::string& device, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  Impl& g = *impl_;
  g.launch = launch;
  g.timeout = timeout;
  const auto resolved = resolve_device(device);
  g.device = torch::Device(resolved.name);
  g.backend_name = resolved.cuda ? "nccl" : "gloo";
  const std::string where = launch.master_addr + ":" + std::to_string(launch.master_port);
  try {
    g.store = connect_store(launch, timeout);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(launch.rank) + ": cannot reach the rendezvous store at " + where +
                             " (MASTER_ADDR:MASTER_PORT): " + error_text(e));
  }
  try {
    g.backend = resolved.cuda ? make_nccl(g) : make_gloo(g);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(launch.rank) + " of " + std::to_string(launch.world_size) +
                             ": cannot form the " + g.backend_name + " process group through " + where + ": " +
                             error_text(e));
  }
}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const { return impl_->launch.rank; }
int ProcessGroup::size() const { return impl_->launch.world_size; }
std::string ProcessGroup::backend() const { return impl_->backend_name; }
ProcessGroup::Impl& ProcessGroup::impl() { return *impl_; }

void ProcessGroup::barrier() { impl_->barrier(); }

void ProcessGroup::all_reduce_sum(std::vector<double>& values) {
  std::vector<torch::Tensor> t{torch::tensor(values, torch::kFloat64).to(impl_->device)};
  impl_->all_reduce(t);
  const auto cpu = t[0].to(torch::kCPU).contiguous();
  std::copy(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel(), values.begin());
}

std::string ProcessGroup::broadcast(const std::string& bytes, int root) {
  // Size first, then the bytes (as uint8; NCCL takes them on the device).
  std::vector<torch::Tensor> size{torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64).to(impl_->device)};
  impl_->broadcast(size, root);
  const int64_t n = size[0].to(torch::kCPU).item<int64_t>();
  if (n == 0) return "";
  auto buffer = torch::zeros({n}, torch::kUInt8);
  if (rank() == root && !bytes.empty()) std::memcpy(buffer.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  std::vector<torch::Tensor> data{buffer.to(impl_->device)};
  impl_->broadcast(data, root);
  const auto cpu = data[0].to(torch::kCPU).contiguous();
  return std::string(reinterpret_cast<const char*>(cpu.data_ptr<uint8_t>()), static_cast<size_t>(n));
}

void ProcessGroup::store_set(const std::string& key, const std::string& value) {
  impl_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
  // TCPStore's SET has no reply: the write may still be queued on this
  // client's socket when another rank, released by a barrier on another
  // channel, reads the key (seen under load: Distributed.BarrierOrdersTheRanks).
  // The server handles one socket's requests in order, so a CHECK's reply on
  // the same connection means the SET has been applied.
  (void)impl_->store->check({key});
}

std::optional<std::string> ProcessGroup::store_check(const std::string& key) {
  if (!impl_->store->check({key})) return std::nullopt;
  const auto v = impl_->store->get(key);
  return std::string(v.begin(), v.end());
}

std::string ProcessGroup::store_wait(const std::string& key, std::chrono::milliseconds timeout) {
  try {
    impl_->store->wait({key}, timeout);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(rank()) + ": waited " + std::to_string(timeout.count() / 1000) +
                             " s for '" + key + "' in the rendezvous store: " + error_text(e));
  }
  const auto v = impl_->store->get(key);
  return std::string(v.begin(), v.end());
}

}  // namespace mexa::engine
