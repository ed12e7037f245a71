#include "experiments/experiment_record.h"

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "experiments/hdf5_util.h"

namespace eaglerun {
namespace {

using K = h5::Handle::Kind;

// The file and memory types of T.
template <class T>
std::pair<hid_t, hid_t> h5_types() {
  if constexpr (std::is_same_v<T, int32_t>) return {H5T_STD_I32LE, H5T_NATIVE_INT32};
  if constexpr (std::is_same_v<T, int64_t>) return {H5T_STD_I64LE, H5T_NATIVE_INT64};
  if constexpr (std::is_same_v<T, uint8_t>) return {H5T_STD_U8LE, H5T_NATIVE_UINT8};
  if constexpr (std::is_same_v<T, double>) return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
}

// A one-dimensional dataset [n] (shuffle + deflate when large).
template <class T>
void write_vector(hid_t group, const std::string& name, const std::vector<T>& values) {
  const hsize_t n = values.size();
  h5::Handle space = h5::wrap(H5Screate_simple(1, &n, nullptr), K::Dataspace, "cannot create a dataspace");
  h5::Handle dcpl = h5::wrap(H5Pcreate(H5P_DATASET_CREATE), K::PropertyList, "cannot create a property list");
  if (n >= 4096) {
    const hsize_t chunk = std::min<hsize_t>(n, 65536);
    h5::check(H5Pset_chunk(dcpl.get(), 1, &chunk), "cannot chunk " + name);
    h5::check(H5Pset_shuffle(dcpl.get()), "cannot shuffle " + name);
    h5::check(H5Pset_deflate(dcpl.get(), 4), "cannot compress " + name);
  }
  h5::Handle ds = h5::wrap(H5Dcreate2(group, name.c_str(), h5_types<T>().first, space.get(), H5P_DEFAULT, dcpl.get(),
                                      H5P_DEFAULT),
                           K::Dataset, "cannot create dataset " + name);
  if (n > 0) {
    h5::check(H5Dwrite(ds.get(), h5_types<T>().second, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              "cannot write " + name);
  }
}

template <class T, class F>
std::vector<T> column(const auto& rows, F field) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(static_cast<T>(field(r)));
  return out;
}

// Ragged token lists as one flat dataset NAME_tokens and offsets NAME_offsets [n + 1].
void write_ragged(hid_t group, const std::string& name, const std::vector<RequestRecord>& requests,
                  std::vector<int32_t> RequestRecord::*member) {
  std::vector<int32_t> flat;
  std::vector<int64_t> offsets{0};
  for (const RequestRecord& r : requests) {
    const std::vector<int32_t>& tokens = r.*member;
    flat.insert(flat.end(), tokens.begin(), tokens.end());
    offsets.push_back(static_cast<int64_t>(flat.size()));
  }
  write_vector(group, name + "_tokens", flat);
  write_vector(group, name + "_offsets", offsets);
}

h5::Handle make_group(hid_t file, const char* name) {
  return h5::wrap(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), K::Group,
                  std::string("cannot create group ") + name);
}

void write_provenance(hid_t file, const Provenance& p) {
  h5::write_attribute(file, "schema", std::string("eaglerun.experiment"));
  h5::write_attribute(file, "schema_version", int64_t{1});
  h5::write_attribute(file, "config", p.config_json);
  h5::write_attribute(file, "experiment_config", p.experiment_json);
  h5::write_attribute(file, "git_commit", p.git_commit);
  h5::write_attribute(file, "git_dirty", int64_t{p.git_dirty ? 1 : 0});
  h5::write_attribute(file, "eaglerun_version", p.eaglerun_version);
  h5::write_attribute(file, "date_utc", p.date_utc);
  h5::write_attribute(file, "model_path", p.model_path);
  h5::write_attribute(file, "model_sha256", p.model_sha256);
  h5::write_attribute(file, "head_path", p.head_path);
  h5::write_attribute(file, "head_sha256", p.head_sha256);
  h5::write_attribute(file, "precision", p.precision);
  h5::write_attribute(file, "device", p.device);
  h5::write_attribute(file, "cpu_model", p.cpu_model);
  h5::write_attribute(file, "kernel_isa", p.kernel_isa);
  h5::write_attribute(file, "threads", p.threads);
  h5::write_attribute(file, "world_size", p.world_size);
  h5::write_attribute(file, "tp", p.tp);
  h5::write_attribute(file, "pp", p.pp);
  h5::write_attribute(file, "ep", p.ep);
  h5::write_attribute(file, "memory_bandwidth_gbps", p.memory_bandwidth_gbps);
  h5::write_attribute(file, "load_average_start", p.load_average_start);
  h5::write_attribute(file, "load_average_end", p.load_average_end);
}

// feature_error/ rows, and summary/feature_error_* [D + 1]: their means by depth.
void write_feature_errors(hid_t file, hid_t summary, const std::vector<FeatureErrorRow>& rows) {
  const h5::Handle fe = make_group(file, "feature_error");
  write_vector(fe.get(), "request", column<int32_t>(rows, [](auto& r) { return r.request; }));
  write_vector(fe.get(), "start", column<int32_t>(rows, [](auto& r) { return r.start; }));
  write_vector(fe.get(), "depth", column<int32_t>(rows, [](auto& r) { return r.depth; }));
  write_vector(fe.get(), "rel_l2", column<double>(rows, [](auto& r) { return r.rel_l2; }));
  write_vector(fe.get(), "cosine", column<double>(rows, [](auto& r) { return r.cosine; }));
  write_vector(fe.get(), "top1", column<uint8_t>(rows, [](auto& r) { return r.top1; }));
  int32_t depths = 0;
  for (const FeatureErrorRow& r : rows) depths = std::max(depths, r.depth + 1);
  std::vector<double> l2(depths, 0.0), cosine(depths, 0.0), top1(depths, 0.0), count(depths, 0.0);
  for (const FeatureErrorRow& r : rows) {
    l2[r.depth] += r.rel_l2;
    cosine[r.depth] += r.cosine;
    top1[r.depth] += r.top1;
    ++count[r.depth];
  }
  for (int32_t d = 0; d < depths; ++d) {
    l2[d] /= count[d];
    cosine[d] /= count[d];
    top1[d] /= count[d];
  }
  write_vector(summary, "feature_error_rel_l2", l2);
  write_vector(summary, "feature_error_cosine", cosine);
  write_vector(summary, "feature_error_top1", top1);
}

}  // namespace

void CellRecord::add_step(const StepRecord& s) {
  const auto step = static_cast<int32_t>(steps_.size());
  const std::vector<std::vector<int32_t>> children = s.tree.children();
  std::vector<uint8_t> accepted(static_cast<std::size_t>(s.tree.size()), 0);
  for (int32_t node : s.acceptance.path) accepted[static_cast<std::size_t>(node)] = 1;
  for (int32_t i = 0; i < s.tree.size(); ++i) {
    int32_t rank = 0;
    if (const int32_t parent = s.tree.parent[i]; parent >= 0) {
      const auto& siblings = children[static_cast<std::size_t>(parent)];
      rank = static_cast<int32_t>(std::find(siblings.begin(), siblings.end(), i) - siblings.begin());
    }
    nodes_.push_back({step, s.tree.depth[i], rank, s.tree.parent[i], s.tree.tokens[i], accepted[i],
                      static_cast<uint8_t>(s.tree.from_lookup[static_cast<std::size_t>(i)] ? 1 : 0)});
  }
  step_first_node_.push_back(static_cast<int64_t>(nodes_.size()));
  steps_.push_back({static_cast<int32_t>(requests_.size()), s.tree.size(), s.tree.max_depth(),
                    s.acceptance.accepted_drafts(), s.draft_seconds, s.verify_seconds});
}

void CellRecord::add_request(RequestRecord request) {
  requests_.push_back(std::move(request));
  request_first_step_.push_back(static_cast<int64_t>(steps_.size()));
}

void CellRecord::write(const std::string& path, const Provenance& provenance) const {
  require(request_first_step_.back() == static_cast<int64_t>(steps_.size()), "a request's steps were not closed");
  const std::string partial = path + ".partial";
  {
    std::lock_guard<std::recursive_mutex> lock(h5::hdf5_mutex());
    h5::silence_errors();
    h5::Handle file = h5::wrap(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), K::File,
                               "cannot create " + partial);
    write_provenance(file.get(), provenance);

    const h5::Handle req = make_group(file.get(), "requests");
    const auto& R = requests_;
    h5::write_string_dataset(req.get(), "id", column<std::string>(R, [](auto& r) { return r.id; }));
    h5::write_string_dataset(req.get(), "eval_set", column<std::string>(R, [](auto& r) { return r.eval_set; }));
    write_vector(req.get(), "turn", column<int32_t>(R, [](auto& r) { return r.turn; }));
    write_ragged(req.get(), "prompt", R, &RequestRecord::prompt);
    write_ragged(req.get(), "plain", R, &RequestRecord::plain_output);
    write_ragged(req.get(), "eagle", R, &RequestRecord::eagle_output);
    write_vector(req.get(), "plain_prefill_seconds", column<double>(R, [](auto& r) { return r.plain_prefill_seconds; }));
    write_vector(req.get(), "plain_decode_seconds", column<double>(R, [](auto& r) { return r.plain_decode_seconds; }));
    write_vector(req.get(), "eagle_prefill_seconds", column<double>(R, [](auto& r) { return r.eagle_prefill_seconds; }));
    write_vector(req.get(), "eagle_decode_seconds", column<double>(R, [](auto& r) { return r.eagle_decode_seconds; }));
    write_vector(req.get(), "plain_target_forwards", column<int64_t>(R, [](auto& r) { return r.plain_target_forwards; }));
    write_vector(req.get(), "eagle_target_forwards", column<int64_t>(R, [](auto& r) { return r.eagle_target_forwards; }));
    write_vector(req.get(), "identical",
                 column<uint8_t>(R, [](auto& r) { return r.plain_output == r.eagle_output ? 1 : 0; }));
    write_vector(req.get(), "tau", column<double>(R, [](auto& r) { return r.tau; }));
    write_vector(req.get(), "first_step", request_first_step_);

    const h5::Handle st = make_group(file.get(), "steps");
    write_vector(st.get(), "request", column<int32_t>(steps_, [](auto& s) { return s.request; }));
    write_vector(st.get(), "tree_size", column<int32_t>(steps_, [](auto& s) { return s.tree_size; }));
    write_vector(st.get(), "tree_depth", column<int32_t>(steps_, [](auto& s) { return s.tree_depth; }));
    write_vector(st.get(), "accepted", column<int32_t>(steps_, [](auto& s) { return s.accepted; }));
    write_vector(st.get(), "draft_seconds", column<double>(steps_, [](auto& s) { return s.draft_seconds; }));
    write_vector(st.get(), "verify_seconds", column<double>(steps_, [](auto& s) { return s.verify_seconds; }));
    write_vector(st.get(), "first_node", step_first_node_);

    const h5::Handle nd = make_group(file.get(), "nodes");
    write_vector(nd.get(), "step", column<int32_t>(nodes_, [](auto& n) { return n.step; }));
    write_vector(nd.get(), "depth", column<int32_t>(nodes_, [](auto& n) { return n.depth; }));
    write_vector(nd.get(), "rank", column<int32_t>(nodes_, [](auto& n) { return n.rank; }));
    write_vector(nd.get(), "parent", column<int32_t>(nodes_, [](auto& n) { return n.parent; }));
    write_vector(nd.get(), "token", column<int32_t>(nodes_, [](auto& n) { return n.token; }));
    write_vector(nd.get(), "accepted", column<uint8_t>(nodes_, [](auto& n) { return n.accepted; }));
    write_vector(nd.get(), "copied", column<uint8_t>(nodes_, [](auto& n) { return n.copied; }));

    // Summary: tau = mean(accepted + 1) over steps; n_alpha[n] = P(accepted > n | accepted >= n and the
    // tree reaches depth n + 1); speedup = EAGLE tokens/s over plain tokens/s (new tokens over prefill +
    // decode seconds, summed over requests).
    const h5::Handle sm = make_group(file.get(), "summary");
    double tau = 0, plain_tokens = 0, eagle_tokens = 0, plain_seconds = 0, eagle_seconds = 0, same = 0;
    int32_t max_depth = 0;
    for (const Step& s : steps_) {
      tau += s.accepted + 1;
      max_depth = std::max(max_depth, s.tree_depth);
    }
    std::vector<double> n_alpha;
    for (int32_t n = 0; n < max_depth; ++n) {
      double tries = 0, accepts = 0;
      for (const Step& s : steps_) {
        if (s.tree_depth > n && s.accepted >= n) {
          ++tries;
          accepts += s.accepted > n;
        }
      }
      n_alpha.push_back(tries > 0 ? accepts / tries : 0.0);
    }
    for (const RequestRecord& r : R) {
      plain_tokens += static_cast<double>(r.plain_output.size());
      eagle_tokens += static_cast<double>(r.eagle_output.size());
      plain_seconds += r.plain_prefill_seconds + r.plain_decode_seconds;
      eagle_seconds += r.eagle_prefill_seconds + r.eagle_decode_seconds;
      same += r.plain_output == r.eagle_output;
    }
    const double plain_rate = plain_seconds > 0 ? plain_tokens / plain_seconds : 0;
    const double eagle_rate = eagle_seconds > 0 ? eagle_tokens / eagle_seconds : 0;
    write_vector(sm.get(), "tau", std::vector<double>{steps_.empty() ? 0.0 : tau / static_cast<double>(steps_.size())});
    write_vector(sm.get(), "n_alpha", n_alpha);
    write_vector(sm.get(), "plain_tokens_per_second", std::vector<double>{plain_rate});
    write_vector(sm.get(), "eagle_tokens_per_second", std::vector<double>{eagle_rate});
    write_vector(sm.get(), "speedup", std::vector<double>{plain_rate > 0 ? eagle_rate / plain_rate : 0.0});
    write_vector(sm.get(), "identical_fraction", std::vector<double>{R.empty() ? 0.0 : same / R.size()});
    if (!feature_errors_.empty()) write_feature_errors(file.get(), sm.get(), feature_errors_);
    h5::check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "cannot flush " + partial);
  }
  // On disk before it gets its final name: a crash after the rename cannot leave a torn cell.
  const int fd = ::open(partial.c_str(), O_RDONLY);
  require(fd >= 0 && ::fsync(fd) == 0, "cannot sync " + partial);
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  require(!ec, "cannot rename " + partial + " to " + path + ": " + ec.message());
}

}  // namespace eaglerun
