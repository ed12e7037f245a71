#include "core/eagle/tree_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/eagle/context_lookup.h"
#include "core/eagle/draft_tree.h"
#include "core/error.h"

namespace eaglerun {
namespace {

TEST(TreeSpec, Eagle1TreeHasTheReferenceShape) {
  const StaticTreeShape t = eagle1_tree();
  EXPECT_EQ(t.paths.size(), 25u);
  EXPECT_EQ(t.depth(), 5);
  std::vector<int> per_level(5, 0);
  for (const TreePath& p : t.paths) ++per_level[p.size() - 1];
  EXPECT_EQ(per_level, (std::vector<int>{4, 8, 8, 3, 2}));
  EXPECT_EQ(t.max_rank(), 3);
}

TEST(TreeSpec, ParsesEveryForm) {
  EXPECT_EQ(parse_tree_spec("chain:5").shape.paths.size(), 5u);
  EXPECT_EQ(parse_tree_spec("chain:5").shape.depth(), 5);
  const TreeSpec d = parse_tree_spec("dynamic:total=30,depth=6,topk=8");
  EXPECT_EQ(d.kind, TreeSpec::Kind::Dynamic);
  EXPECT_EQ(d.dynamic.total, 30);
  EXPECT_EQ(d.dynamic.depth, 6);
  EXPECT_EQ(d.dynamic.topk, 8);
  EXPECT_EQ(parse_tree_spec("auto").kind, TreeSpec::Kind::Auto);
  EXPECT_EQ(parse_tree_spec("chain:5").lookup, 0);
  const TreeSpec copy = parse_tree_spec("chain:2+lookup:8");
  EXPECT_EQ(copy.shape.depth(), 2);
  EXPECT_EQ(copy.lookup, 8);
  EXPECT_NE(copy.lookup_length, nullptr);
  EXPECT_EQ(copy.name, "chain:2+lookup:8");
  EXPECT_EQ(copy.max_depth(), 8);
  EXPECT_EQ(copy.max_nodes(), 2 + 8 + 1);
  EXPECT_EQ(parse_tree_spec("dynamic:total=30,depth=6,topk=8+lookup:3").max_depth(), 6);
  EXPECT_EQ(parse_tree_spec("auto+lookup:4").kind, TreeSpec::Kind::Auto);
  // A fixed tree's copies depend on the tokens alone; auto's also on the measured step costs.
  TreeSpec fixed = parse_tree_spec("chain:2+lookup:4"), automatic = parse_tree_spec("auto+lookup:4");
  for (int i = 0; i < 100; ++i) {
    fixed.lookup_length->observe_step(3 + i % 5, 0.1 * (3 + i % 5), 2, 4.0);
    automatic.lookup_length->observe_step(3 + i % 5, 0.1 * (3 + i % 5), 2, 4.0);
  }
  EXPECT_DOUBLE_EQ(fixed.lookup_length->min_chance(), LookupLength::kMinChance);
  EXPECT_NEAR(automatic.lookup_length->min_chance(), 0.05, 1e-9);  // 0.1 s a row, 2 s a token
  const auto path = std::filesystem::temp_directory_path() / "eaglerun_tree_test.json";
  std::ofstream(path) << "[[0],[1],[0,0],[0,1]]";
  EXPECT_EQ(parse_tree_spec(path.string()).shape.paths.size(), 4u);
  std::filesystem::remove(path);
}

TEST(TreeSpec, RejectsBadSpecsWithAClearError) {
  for (const char* bad : {"eagle2", "chain:0", "chain:x", "chain:100", "dynamic:total=0", "dynamic:width=3",
                          "/nonexistent/tree.json", "chain:2+lookup:0", "chain:2+lookup:65", "chain:2+lookup:x",
                          "+lookup:4", "chain:2+lookup:", "lookup:4"}) {
    EXPECT_THROW(parse_tree_spec(bad), Error) << bad;
  }
  EXPECT_THROW(make_static_tree({{0, 0}}, "t"), Error);        // parent [0] missing
  EXPECT_THROW(make_static_tree({{0}, {0}}, "t"), Error);      // duplicate
  EXPECT_THROW(make_static_tree({{-1}}, "t"), Error);          // negative rank
}

TEST(DraftTree, MaskSeesPrefixAncestorsAndSelf) {
  DraftTree t(7);               // 0
  const int a = t.add(0, 1);    // 1
  const int b = t.add(0, 2);    // 2
  const int c = t.add(a, 3);    // 3
  EXPECT_EQ(b, 2);
  const Step step = t.verification_step(false);
  const AttentionMask m = step.mask(2);
  ASSERT_EQ(m.width(), 6);
  // node 3 (c): prefix 0,1; root (2); a (3); itself (5); not b (4)
  EXPECT_TRUE(m(c, 0) && m(c, 1) && m(c, 2) && m(c, 3) && m(c, 5));
  EXPECT_FALSE(m(c, 4));
  EXPECT_EQ(step.positions(10), (std::vector<int32_t>{10, 11, 11, 12}));
  EXPECT_EQ(t.path_to(c), (std::vector<int32_t>{0, 1, 3}));
}

}  // namespace
}  // namespace eaglerun
