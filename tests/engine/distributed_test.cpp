// The c10d process group as mexa uses it, run as 2 ranks under torchrun
// (ctest: distributed_collectives). Checks that Gloo built from the wheel and
// mexa compiled against Debian's gloo headers agree: all-reduce, broadcast and
// barrier over several dtypes and sizes, the store and its timeout, and the
// synchronised batch norm and seeded dropout of data-parallel steps against
// one process computing the whole batch. Every rank runs every test in the
// same order (collectives pair up by order).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "batch_context.h"
#include "mexa/engine/distributed.h"
#include "process_group_impl.h"

namespace mexa::engine {
namespace {

ProcessGroup& group() {
  static ProcessGroup g(launch_from_environment(), "cpu", std::chrono::seconds(60));
  return g;
}

class Distributed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!launch_from_environment().distributed()) GTEST_SKIP() << "not launched as a process group (torchrun)";
    ASSERT_EQ(group().size(), 2) << "run with --nproc-per-node=2";
  }
  int rank() { return group().rank(); }
};

const std::vector<torch::ScalarType> kTypes{torch::kFloat32, torch::kFloat64, torch::kFloat16, torch::kBFloat16,
                                            torch::kInt32,   torch::kInt64,   torch::kUInt8};
const std::vector<int64_t> kSizes{1, 7, 1000, (1 << 20) + 3};

TEST_F(Distributed, AllReduceSumsEveryDtypeAndSize) {
  for (auto type : kTypes)
    for (int64_t n : kSizes) {
      // Small integers: exact in every dtype, also after the sum.
      const auto base = torch::arange(n, torch::kInt64).remainder(7);
      std::vector<torch::Tensor> t{(base + rank()).to(type)};
      group().impl().all_reduce(t);
      const auto expected = (2 * base + 1).to(type);
      EXPECT_TRUE(torch::equal(t[0], expected)) << c10::toString(type) << " x " << n;
    }
}

TEST_F(Distributed, BroadcastCopiesTheRootsTensor) {
  for (auto type : kTypes)
    for (int64_t n : kSizes)
      for (int root : {0, 1}) {
        const auto root_value = torch::arange(n, torch::kInt64).remainder(5).to(type);
        std::vector<torch::Tensor> t{rank() == root ? root_value.clone() : torch::zeros({n}, type)};
        group().impl().broadcast(t, root);
        EXPECT_TRUE(torch::equal(t[0], root_value)) << c10::toString(type) << " x " << n << " from " << root;
      }
}

TEST_F(Distributed, SeveralTensorsAtOnceAndTheHelpers) {
  std::vector<torch::Tensor> t{torch::full({3}, 1.0 + rank()), torch::full({5}, 10.0 * (rank() + 1), torch::kFloat64)};
  group().impl().all_reduce(t);
  EXPECT_TRUE(torch::equal(t[0], torch::full({3}, 3.0)));
  EXPECT_TRUE(torch::equal(t[1], torch::full({5}, 30.0, torch::kFloat64)));
  std::vector<double> v{0.5 * rank(), 1e12};
  group().all_reduce_sum(v);
  EXPECT_EQ(v[0], 0.5);
  EXPECT_EQ(v[1], 2e12);
  const std::string text = group().broadcast(rank() == 1 ? std::string("from rank 1\0with a NUL", 22) : "", 1);
  EXPECT_EQ(text, std::string("from rank 1\0with a NUL", 22));
  EXPECT_EQ(group().broadcast("", 0), "");
}

TEST_F(Distributed, BarrierOrdersTheRanks) {
  // Each rank writes its key before the barrier; after it, both keys are there.
  group().store_set("barrier-test/" + std::to_string(rank()), "here");
  group().barrier();
  for (int r = 0; r < 2; ++r) EXPECT_EQ(group().store_check("barrier-test/" + std::to_string(r)), "here");
  group().barrier();
}

TEST_F(Distributed, StoreWaitTimesOutNamingTheKey) {
  try {
    group().store_wait("never-set", std::chrono::milliseconds(500));
    FAIL() << "store_wait returned for a key nobody set";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("never-set"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(group().store_check("never-set").has_value());
  group().store_set("set-by-rank-1", "v");  // both set it: a value any rank reads
  EXPECT_EQ(group().store_wait("set-by-rank-1", std::chrono::seconds(30)), "v");
  group().barrier();
}

TEST_F(Distributed, SynchronisedBatchNormEqualsOneProcessOnTheWholeBatch) {
  torch::manual_seed(7);  // the same whole batch on both ranks
  const auto x = torch::randn({6, 3, 2, 4, 4}) * 3 + 1;
  torch::nn::BatchNorm3d whole(3), mine(3);
  torch::manual_seed(8);
  for (auto* bn : {&whole, &mine}) {
    torch::NoGradGuard no_grad;
    (*bn)->weight.copy_(torch::tensor({0.5, 1.5, -1.0}));
    (*bn)->bias.copy_(torch::tensor({0.1, -0.2, 0.3}));
  }
  const auto xw = x.clone().requires_grad_(true);
  const auto yw = whole->forward(xw);
  (yw * torch::arange(yw.numel()).view_as(yw).sin()).sum().backward();

  const int64_t begin = rank() * 3;  // rank 0 rows 0-2, rank 1 rows 3-5
  const auto xm = x.narrow(0, begin, 3).clone().requires_grad_(true);
  const BatchContext context{&group().impl(), 0, begin, 6};
  torch::Tensor ym;
  {
    const BatchScope scope(context);
    ym = batch_norm_step(*mine, xm);
  }
  (ym * torch::arange(yw.numel()).view_as(yw).sin().narrow(0, begin, 3)).sum().backward();
  EXPECT_TRUE(torch::allclose(ym, yw.narrow(0, begin, 3), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(xm.grad(), xw.grad().narrow(0, begin, 3), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(mine->running_mean, whole->running_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(mine->running_var, whole->running_var, 1e-5, 1e-6));
  // The affine parameters' gradients: each rank holds its rows' share; summed, the whole batch's.
  std::vector<torch::Tensor> grads{mine->weight.grad().clone(), mine->bias.grad().clone()};
  group().impl().all_reduce(grads);
  EXPECT_TRUE(torch::allclose(grads[0], whole->weight.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(grads[1], whole->bias.grad(), 1e-4, 1e-5));
}

TEST_F(Distributed, SeededDropoutRowsAreTheWholeBatchsRows) {
  torch::nn::Dropout dropout(0.4);
  const auto x = torch::ones({8, 16});
  const BatchContext one_process{nullptr, 1234, 0, 8};
  torch::Tensor whole;
  {
    const BatchScope scope(one_process);
    whole = dropout_step(*dropout, x);
  }
  const BatchContext mine{&group().impl(), 1234, rank() * 4, 8};
  torch::Tensor part;
  {
    const BatchScope scope(mine);
    part = dropout_step(*dropout, x.narrow(0, rank() * 4, 4));
  }
  EXPECT_TRUE(torch::equal(part, whole.narrow(0, rank() * 4, 4)));
  EXPECT_GT((whole == 0).sum().item<int64_t>(), 0);  // it dropped something
}

}  // namespace
}  // namespace mexa::engine
