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

}  // namespace
}  // namespace eaglerun
