#include "core/eagle/tree_spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/eagle/context_lookup.h"
#include "core/error.h"

namespace eaglerun {
namespace {

constexpr const char* kForms =
    "expected eagle1, chain:K, dynamic:total=N,depth=D,topk=K, auto, or a .json file of paths, each optionally "
    "followed by +lookup:K";

int32_t parse_positive(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  require(used == text.size() && v > 0 && v <= 4096, "--tree: " + what + " must be a positive integer, got '" + text + "'");
  return static_cast<int32_t>(v);
}

DynamicTreeShape parse_dynamic(const std::string& args) {
  DynamicTreeShape d;
  std::map<std::string, int32_t*> fields = {{"total", &d.total}, {"depth", &d.depth}, {"topk", &d.topk}};
  std::stringstream ss(args);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    require(eq != std::string::npos && fields.count(item.substr(0, eq)),
            "--tree dynamic: unknown setting '" + item + "' (use total=N,depth=D,topk=K)");
    *fields[item.substr(0, eq)] = parse_positive(item.substr(eq + 1), item.substr(0, eq));
  }
  require(d.depth <= 64, "--tree dynamic: depth must be <= 64");
  return d;
}

StaticTreeShape read_tree_json(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "--tree: cannot open '" + path + "'");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error("--tree " + path + ": invalid JSON: " + e.what());
  }
  std::vector<TreePath> paths;
  try {
    paths = j.get<std::vector<TreePath>>();
  } catch (const nlohmann::json::exception&) {
    throw Error("--tree " + path + ": expected a list of lists of child ranks, e.g. [[0],[1],[0,0]]");
  }
  return make_static_tree(std::move(paths), path);
}

}  // namespace

int32_t StaticTreeShape::depth() const {
  std::size_t d = 0;
  for (const TreePath& p : paths) d = std::max(d, p.size());
  return static_cast<int32_t>(d);
}

int32_t StaticTreeShape::max_rank() const {
  int32_t r = 0;
  for (const TreePath& p : paths) r = std::max(r, *std::max_element(p.begin(), p.end()));
  return r;
}

int32_t TreeSpec::max_depth() const {
  const int32_t drafted = kind == Kind::Auto ? kAutoMaxDepth : kind == Kind::Dynamic ? dynamic.depth : shape.depth();
  return std::max(drafted, lookup);
}

int64_t TreeSpec::max_nodes() const {
  const int64_t drafted = kind == Kind::Auto      ? kAutoMaxTotal
                          : kind == Kind::Dynamic ? dynamic.total
                                                  : static_cast<int64_t>(shape.paths.size());
  return drafted + lookup + 1;
}

int64_t TreeSpec::max_draft_rows() const {
  if (kind == Kind::Auto) return int64_t{kAutoMaxDepth - 1} * kAutoMaxWidth;
  if (kind == Kind::Dynamic) return int64_t{dynamic.depth - 1} * dynamic.topk;
  return static_cast<int64_t>(shape.paths.size());  // an expanded node is a node of the tree
}

StaticTreeShape make_static_tree(std::vector<TreePath> paths, const std::string& source) {
  require(!paths.empty(), "tree " + source + ": no paths");
  std::sort(paths.begin(), paths.end(), [](const TreePath& a, const TreePath& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  std::set<TreePath> seen;
  for (const TreePath& p : paths) {
    require(!p.empty() && p.size() <= 64, "tree " + source + ": paths must have 1 to 64 ranks");
    for (int32_t r : p) require(r >= 0 && r < 4096, "tree " + source + ": child ranks must be in [0, 4096)");
    require(seen.insert(p).second, "tree " + source + ": a path appears twice");
    if (p.size() > 1) {
      require(seen.count(TreePath(p.begin(), p.end() - 1)) == 1,
              "tree " + source + ": a path's parent path is missing (every prefix must be listed)");
    }
  }
  return StaticTreeShape{std::move(paths)};
}

StaticTreeShape eagle1_tree() {
  return make_static_tree({{0},          {1},          {2},          {3},          {0, 0},       {0, 1},
                           {0, 2},       {1, 0},       {1, 1},       {2, 0},       {2, 1},       {3, 0},
                           {0, 0, 0},    {0, 0, 1},    {0, 0, 2},    {0, 1, 0},    {0, 1, 1},    {0, 2, 0},
                           {0, 2, 1},    {1, 0, 0},    {0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 2}, {0, 0, 0, 0, 0},
                           {0, 0, 0, 0, 1}},
                          "eagle1");
}

StaticTreeShape chain_tree(int32_t k) {
  std::vector<TreePath> paths;
  for (int32_t d = 1; d <= k; ++d) paths.emplace_back(static_cast<std::size_t>(d), 0);
  return make_static_tree(std::move(paths), "chain");
}

namespace {

// A --tree without +lookup.
TreeSpec parse_drafted_tree(const std::string& spec) {
  TreeSpec t;
  t.name = spec;
  if (spec == "eagle1") {
    t.shape = eagle1_tree();
  } else if (spec.rfind("chain:", 0) == 0) {
    const int32_t k = parse_positive(spec.substr(6), "chain length");
    require(k <= 64, "--tree chain:K needs K <= 64");
    t.shape = chain_tree(k);
  } else if (spec == "dynamic" || spec.rfind("dynamic:", 0) == 0) {
    t.kind = TreeSpec::Kind::Dynamic;
    t.dynamic = spec == "dynamic" ? DynamicTreeShape{} : parse_dynamic(spec.substr(8));
  } else if (spec == "auto") {
    t.kind = TreeSpec::Kind::Auto;
  } else if (spec.size() > 5 && spec.substr(spec.size() - 5) == ".json") {
    t.shape = read_tree_json(spec);
  } else {
    throw Error("--tree '" + spec + "': " + kForms);
  }
  return t;
}

}  // namespace

TreeSpec parse_tree_spec(const std::string& given) {
  // TREE+lookup:K: the tree, and up to K tokens copied from the context.
  std::string spec = given;
  int32_t lookup = 0;
  if (const auto plus = given.rfind("+lookup:"); plus != std::string::npos) {
    lookup = parse_positive(given.substr(plus + 8), "lookup length");
    require(lookup <= 64, "--tree ...+lookup:K needs K <= 64");
    spec = given.substr(0, plus);
  }
  TreeSpec t = parse_drafted_tree(spec);
  t.name = given;
  if (lookup > 0) {
    t.lookup = lookup;
    t.lookup_length = std::make_shared<LookupLength>(lookup, t.kind == TreeSpec::Kind::Auto);
  }
  return t;
}

}  // namespace eaglerun
