#include "core/eagle/auto_tree.h"

#include <gtest/gtest.h>

#include <cmath>

namespace eaglerun {
namespace {

// A chain of 6 nodes with path probabilities 0.9, 0.8, ..., 0.4.
DraftTree confident_chain() {
  DraftTree t(0);
  int32_t parent = 0;
  for (int i = 0; i < 6; ++i) parent = t.add(parent, 10 + i, std::log(0.9 - 0.1 * i));
  return t;
}

TEST(CostCurve, InterpolatesAndExtrapolates) {
  const CostCurve c{{1, 2, 4}, {1.0, 2.0, 3.0}};
  EXPECT_DOUBLE_EQ(c.at(1), 1.0);
  EXPECT_DOUBLE_EQ(c.at(3), 2.5);
  EXPECT_DOUBLE_EQ(c.at(6), 4.0);
}

TEST(AutoTreePolicy, KeepsTheWholeTreeWhenVerifyingIsFree) {
  AutoTreePolicy policy(CostCurve{{1, 64}, {1.0, 1.0}});
  EXPECT_EQ(policy.choose(confident_chain(), 0.1).size(), 7);
}

TEST(AutoTreePolicy, KeepsFewNodesWhenEachTokenCostsAFullForward) {
  // t(n) = n: a node must be accepted with probability > 1 - (rate gain) to pay; only the
  // most likely ones do.
  AutoTreePolicy policy(CostCurve{{1, 64}, {1.0, 64.0}});
  const DraftTree kept = policy.choose(confident_chain(), 0.0);
  EXPECT_LE(kept.size(), 3);
}

TEST(AutoTreePolicy, TheHeadsPerStepWorkMakesLongerStepsPay) {
  // t(n) = n as above: alone, only the root pays. With the head's advance at 10 forwards per
  // step, a step's fixed cost is 11 forwards and every likely node is worth verifying.
  AutoTreePolicy cheap_head(CostCurve{{1, 64}, {1.0, 64.0}});
  AutoTreePolicy costly_head(CostCurve{{1, 64}, {1.0, 64.0}});
  costly_head.observe_advance(10.0);
  EXPECT_EQ(cheap_head.choose(confident_chain(), 0.0).size(), 1);
  EXPECT_EQ(costly_head.choose(confident_chain(), 0.0).size(), 7);
}

TEST(AutoTreePolicy, CalibrationFollowsObservedAcceptance) {
  AutoTreePolicy policy(CostCurve{{1, 64}, {1.0, 32.0}});
  const DraftTree t = confident_chain();
  EXPECT_GT(policy.choose(t, 0.0).size(), 1);  // trusting the draft: worth verifying some nodes
  for (int i = 0; i < 100; ++i) policy.observe(t, 0);  // nothing ever accepted
  EXPECT_LT(policy.calibration(), 0.1);
  EXPECT_EQ(policy.choose(t, 0.0).size(), 1);  // the root alone: plain decoding is faster
}

// Steps of `policy` in which arm `best` emits 3 tokens a second and every other arm 1; returns how
// many of them took `best`.
int steps_on(AutoTreePolicy& policy, int32_t best, int steps) {
  int on_best = 0;
  for (int i = 0; i < steps; ++i) {
    const int32_t arm = policy.choose_chain();
    on_best += arm == best;
    policy.observe_step(arm == best ? 3 : 1, 1.0);
  }
  return on_best;
}

TEST(AutoTreePolicy, TriesEveryArmThenTakesTheFastestAndExploresTheRest) {
  AutoTreePolicy policy(CostCurve{{1, 64}, {1.0, 1.0}});
  constexpr int32_t kArms = AutoTreePolicy::kChainArms + 1;
  for (int32_t arm = 0; arm < kArms; ++arm) {
    for (int64_t i = 0; i < AutoTreePolicy::kWarmupSteps; ++i) {
      EXPECT_EQ(policy.choose_chain(), arm);
      policy.observe_step(arm == 2 ? 3 : 1, 1.0);
    }
  }
  EXPECT_DOUBLE_EQ(policy.arm_rate(2), 3.0);
  EXPECT_DOUBLE_EQ(policy.arm_rate(1), 1.0);
  const int steps = 64 * AutoTreePolicy::kExploreEvery;
  const int on_best = steps_on(policy, 2, steps);
  // Every kExploreEvery-th step explores the arms in turn, chain:2 among them.
  EXPECT_EQ(on_best, steps - steps / AutoTreePolicy::kExploreEvery * (kArms - 1) / kArms);
}

TEST(AutoTreePolicy, FollowsTheFastestArmWhenTheMachineChanges) {
  AutoTreePolicy policy(CostCurve{{1, 64}, {1.0, 1.0}});
  steps_on(policy, 2, 200);
  // Now the dynamic tree (arm 0) is the fast one: exploration finds it and the rates follow.
  steps_on(policy, 0, 2000);
  EXPECT_GT(steps_on(policy, 0, 160), 140);
}

}  // namespace
}  // namespace eaglerun
