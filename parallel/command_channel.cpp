#include "parallel/command_channel.h"

#include <cstdint>
#include <string>

#include "core/error.h"

namespace eaglerun {
namespace {

enum class Kind : int32_t { Begin, Forward, Keep, Stats, ResetStats, End };

// Forward flags; bits 8 and up carry the step's sequence.
constexpr int32_t kRowsAll = 1, kRowsLast = 2, kFullLogits = 4, kWantHidden = 8, kTree = 16, kSequenceShift = 8;

struct Header {
  Kind kind;
  int32_t flags;  // Begin: sequences; Forward: see above
  int64_t value;  // Begin: capacity; Forward: tokens
};

struct Command {
  Header header{};
  std::vector<int32_t> payload;
};

void broadcast_command(Communicator& all, Command& c) {
  broadcast_value(all, c.header, 0);
  broadcast_vector(all, c.payload, 0);
}

Command forward_command(const Step& s) {
  int32_t flags = s.rows == LogitRows::All ? kRowsAll : s.rows == LogitRows::Last ? kRowsLast : 0;
  flags |= (s.full_logits ? kFullLogits : 0) | (s.want_hidden ? kWantHidden : 0) | (s.parents.empty() ? 0 : kTree);
  flags |= s.sequence << kSequenceShift;
  Command c{{Kind::Forward, flags, s.size()}, s.tokens};
  c.payload.insert(c.payload.end(), s.parents.begin(), s.parents.end());
  return c;
}

Step step_of(const Command& c) {
  Step s;
  const auto n = static_cast<std::size_t>(c.header.value);
  require(c.payload.size() == ((c.header.flags & kTree) ? 2 * n : n), "malformed forward command");
  s.tokens.assign(c.payload.begin(), c.payload.begin() + n);
  s.parents.assign(c.payload.begin() + n, c.payload.end());
  const int32_t f = c.header.flags;
  s.rows = (f & kRowsAll) ? LogitRows::All : (f & kRowsLast) ? LogitRows::Last : LogitRows::None;
  s.full_logits = f & kFullLogits;
  s.want_hidden = f & kWantHidden;
  s.sequence = f >> kSequenceShift;
  return s;
}

// Every rank's counters; `mine` is this rank's, taken before the Stats command.
std::vector<CommStats> all_stats(DistributedModel& m, const CommStats& mine) {
  Job& job = m.job();
  std::vector<CommStats> all(static_cast<std::size_t>(job.world().size));
  job.all().all_gather(&mine, sizeof mine, all.data());
  return all;
}

}  // namespace

DistributedTarget::DistributedTarget(DistributedModel& model) : model_(model) {
  require(model.world().is_coordinator(), "the distributed target runs on world rank 0");
}

DistributedTarget::~DistributedTarget() {
  if (ended_) return;
  try {
    end();
  } catch (const Error&) {  // the job is failing anyway; the watchdog or launcher ends it
  }
}

void DistributedTarget::begin_batch(int64_t capacity, int32_t sequences) {
  require(sequences >= 1 && sequences < (1 << 22), "begin(): 1 to 4M sequences");
  Command c{{Kind::Begin, sequences, capacity}, {}};
  broadcast_command(model_.job().all(), c);
  model_.begin(capacity, sequences);
}

StepOutput DistributedTarget::forward(const Step& step) {
  launch(step);
  return collect();
}

std::vector<StepOutput> DistributedTarget::forward_batch(std::span<const Step> steps) {
  require(!steps.empty(), "forward_batch(): no steps");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      require(steps[j].sequence != steps[i].sequence, "forward_batch(): sequence " +
                                                          std::to_string(steps[i].sequence) + " named twice");
    }
  }
  for (const Step& step : steps) launch(step);
  std::vector<StepOutput> outs;
  outs.reserve(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) outs.push_back(collect());
  return outs;
}

void DistributedTarget::launch(const Step& step) {
  step.check();
  Command c = forward_command(step);
  broadcast_command(model_.job().all(), c);
  model_.launch(step);
}

StepOutput DistributedTarget::collect() { return model_.collect(); }

void DistributedTarget::set_feature_taps(std::vector<int64_t> layers) {
  require(layers.empty(), "draft heads with tap layers run on one rank for now (no --tp/--pp/--ep)");
}

std::vector<float> DistributedTarget::keep(std::span<const int32_t> nodes, bool want_features) {
  Command c{{Kind::Keep, want_features ? 1 : 0, 0}, {nodes.begin(), nodes.end()}};
  broadcast_command(model_.job().all(), c);
  return model_.keep(nodes, want_features);
}

std::vector<CommStats> DistributedTarget::gather_stats() {
  const CommStats mine = model_.job().stats();
  Command c{{Kind::Stats, 0, 0}, {}};
  broadcast_command(model_.job().all(), c);
  return all_stats(model_, mine);
}

void DistributedTarget::reset_stats() {
  Command c{{Kind::ResetStats, 0, 0}, {}};
  broadcast_command(model_.job().all(), c);
  model_.job().reset_stats();
}

void DistributedTarget::end() {
  ended_ = true;
  Command c{{Kind::End, 0, 0}, {}};
  broadcast_command(model_.job().all(), c);
}

int serve(DistributedModel& model) {
  Communicator& all = model.job().all();
  for (;;) {
    Command c;
    broadcast_command(all, c);
    switch (c.header.kind) {
      case Kind::Begin: model.begin(c.header.value, c.header.flags); break;
      case Kind::Forward: model.launch(step_of(c)); break;
      case Kind::Keep: model.keep(c.payload, c.header.flags != 0); break;
      case Kind::Stats: all_stats(model, model.job().stats()); break;
      case Kind::ResetStats: model.job().reset_stats(); break;
      case Kind::End: return 0;
      default: throw Error("unknown command " + std::to_string(static_cast<int32_t>(c.header.kind)));
    }
  }
}

}  // namespace eaglerun
