#include "experiments/feature_extraction.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/runtime/generator.h"
#include "experiments/conversation.h"
#include "experiments/feature_store.h"
#include "experiments/regenerated_text.h"
#include "experiments/sha256.h"
#include "experiments/training_render.h"

namespace eaglerun {
namespace fs = std::filesystem;
namespace {

std::string chat_format_name(ChatFormat f) {
  switch (f) {
    case ChatFormat::None: return "none";
    case ChatFormat::ChatML: return "chatml";
    case ChatFormat::Llama2Chat: return "llama2";
    case ChatFormat::VicunaV11: return "vicuna";
    case ChatFormat::MixtralInstruct: return "mixtral";
  }
  return "unknown";
}

// Creation settings that change the stored values, as a JSON object with sorted keys.
std::string settings_json(const Engine& engine, const ExtractionOptions& o) {
  nlohmann::json j;
  j["precision"] = engine.model().precision() == Precision::Reference ? "reference" : "fast";
  if (o.source == DataSource::Regenerated) {
    const SamplingParams& s = o.regeneration.sampling;
    j["regeneration"] = {{"temperature", s.temperature}, {"top_k", s.top_k},         {"top_p", s.top_p},
                         {"seed", s.seed},               {"max_new_tokens", o.regeneration.max_new_tokens}};
  }
  return j.dump();
}

class Extractor {
 public:
  Extractor(const Engine& engine, const std::string& model_path, const ExtractionOptions& options,
            const ProgressCallback& on_progress)
      : engine_(engine), model_path_(model_path), o_(options), on_progress_(on_progress),
        kv_(engine.model().make_cache(options.max_len)) {}

  ExtractionProgress run();

 private:
  ShardMetadata make_metadata() const;
  void resume(const StoreScan& scan);
  void process_chunk(std::vector<Conversation>& chunk);
  void process(const Conversation& c, const std::vector<ChatMessage>& turns);
  void store(const Conversation& c, const TrainingTokens& t);
  FeatureShardWriter& shard();
  void finish_shard();
  void report(bool finished);
  void write_progress_file() const;
  bool in_scope(int64_t index) const { return index >= o_.skip && index < end_; }

  const Engine& engine_;
  std::string model_path_;
  ExtractionOptions o_;
  ProgressCallback on_progress_;
  KvCache kv_;
  ShardMetadata metadata_;
  StoreScan scan_;
  std::unique_ptr<FeatureShardWriter> writer_;
  std::unique_ptr<RegeneratedText> regenerated_text_;  // when o_.regenerated_text_path is set
  ExtractionProgress progress_;
  int64_t end_ = 0;  // the scope is conversations [skip, end_)
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

ShardMetadata Extractor::make_metadata() const {
  const FileDigest model = digest_path(model_path_);
  ShardMetadata m;
  m.target_model = fs::weakly_canonical(model_path_).string();
  m.target_model_sha256 = model.sha256;
  m.target_model_bytes = model.bytes;
  m.hidden_size = engine_.model().config().hidden_size;
  m.source = data_source_name(o_.source);
  m.chat_format = chat_format_name(engine_.chat_format());
  m.max_len = o_.max_len;
  m.data_file = fs::weakly_canonical(o_.data_path).string();
  m.data_sha256 = digest_path(o_.data_path).sha256;
  m.settings = settings_json(engine_, o_);
  m.tap_layers = o_.tap_layers;
  const int64_t n_layers = engine_.model().config().n_layers;
  for (int64_t l : m.tap_layers) {
    require(l >= 0 && l < n_layers, "--tap-layers: layer " + std::to_string(l) + " is outside the target's layers 0.." +
                                        std::to_string(n_layers - 1));
  }
  return m;
}

void Extractor::resume(const StoreScan& scan) {
  if (scan.metadata) {
    const std::string diff = scan.metadata->difference(metadata_);
    require(diff.empty(), "--out '" + o_.out_dir + "' holds features from another extraction (" + diff +
                              "); use a new --out folder");
  }
  for (int64_t index : scan.done) progress_.done_before += in_scope(index) ? 1 : 0;
}

FeatureShardWriter& Extractor::shard() {
  if (!writer_) {
    ShardMetadata m = metadata_;
    m.shard_index = scan_.next_shard_index;
    m.created_utc = utc_now();
    const std::string path = (fs::path(o_.out_dir) / shard_file_name(m.shard_index)).string() + kPartialSuffix;
    writer_ = std::make_unique<FeatureShardWriter>(path, m, o_.write);
  }
  return *writer_;
}

void Extractor::finish_shard() {
  if (!writer_) return;
  writer_->finish();
  const std::string partial = writer_->path();
  commit_shard(partial, partial.substr(0, partial.size() - std::string(kPartialSuffix).size()));
  writer_.reset();
  ++scan_.next_shard_index;
  ++progress_.shards_written;
  write_progress_file();
}

void Extractor::store(const Conversation& c, const TrainingTokens& t) {
  kv_.truncate(0);
  // hidden [T, H], taps [T, k H]
  const ForwardOutput out = engine_.model().forward_causal(t.tokens, kv_, LogitRows::None, o_.tap_layers);
  shard().append(c.id, c.index, t.tokens, t.loss_mask, out.hidden, out.taps);
  ++progress_.stored;
  progress_.tokens += static_cast<int64_t>(t.tokens.size());
  progress_.loss_tokens += t.loss_tokens();
  progress_.truncated += t.truncated ? 1 : 0;
  progress_.prefix_fallbacks += t.segmentwise ? 0 : 1;
}

void Extractor::process_chunk(std::vector<Conversation>& chunk) {
  if (o_.source == DataSource::Regenerated) {
    // Conversations whose answers the text file already holds are not regenerated; with a text file,
    // every conversation's features come from its answers as stored there.
    std::vector<Conversation> missing;
    for (const Conversation& c : chunk) {
      if (!regenerated_text_ || !regenerated_text_->contains(c.id)) missing.push_back(c);
    }
    std::vector<std::vector<ChatMessage>> turns;
    if (!missing.empty()) turns = regenerate_answers_batch(engine_, missing, o_.regeneration);
    if (regenerated_text_) {
      for (std::size_t i = 0; i < missing.size(); ++i) regenerated_text_->append(missing[i].id, turns[i]);
      for (const Conversation& c : chunk) process(c, regenerated_text_->answers(c.id));
    } else {
      for (std::size_t i = 0; i < chunk.size(); ++i) process(chunk[i], turns[i]);
    }
  } else {
    for (const Conversation& c : chunk) process(c, c.turns);
  }
  chunk.clear();
}

void Extractor::process(const Conversation& c, const std::vector<ChatMessage>& turns) {
  const TrainingTokens t = render_training_tokens(engine_.tokenizer(), engine_.chat_format(), turns, o_.max_len);
  if (t.loss_tokens() == 0) {
    shard().record_skipped(c.index);
    ++progress_.skipped;
  } else {
    store(c, t);
  }
  ++progress_.processed;
  if (writer_ && writer_->n_sequences() >= o_.shard_sequences) finish_shard();
  report(false);
}

void Extractor::report(bool finished) {
  progress_.seconds = seconds_since(start_);
  progress_.finished = finished;
  if (on_progress_) on_progress_(progress_);
}

void Extractor::write_progress_file() const {
  const nlohmann::json j = {{"schema", kFeatureSchema},
                            {"shards", scan_.shards.size() + static_cast<size_t>(progress_.shards_written)},
                            {"conversations_in_scope", progress_.total},
                            {"done_before_this_run", progress_.done_before},
                            {"processed_this_run", progress_.processed},
                            {"stored_this_run", progress_.stored},
                            {"skipped_this_run", progress_.skipped},
                            {"tokens_this_run", progress_.tokens},
                            {"seconds_this_run", seconds_since(start_)},
                            {"updated_utc", utc_now()}};
  write_file_atomically(o_.out_dir, "progress.json", j.dump(2) + "\n");
}

ExtractionProgress Extractor::run() {
  end_ = check_conversations(o_.data_path, o_.limit);  // a malformed file fails before any work
  require(o_.skip < end_, "--skip " + std::to_string(o_.skip) + " leaves no conversation (the scope ends at " +
                              std::to_string(end_) + ")");
  progress_.total = end_ - o_.skip;
  fs::create_directories(o_.out_dir);
  remove_partial_shards(o_.out_dir);
  scan_ = scan_store(o_.out_dir);
  metadata_ = make_metadata();
  resume(scan_);
  if (!o_.regenerated_text_path.empty()) regenerated_text_ = std::make_unique<RegeneratedText>(o_.regenerated_text_path);
  ConversationReader reader(o_.data_path);
  // Regenerated answers come from batched decoding of several conversations: a chunk holds enough
  // of them to keep every slot of the batch busy while answers end at different lengths.
  const std::size_t chunk_size =
      o_.source == DataSource::Regenerated ? 8 * static_cast<std::size_t>(o_.regeneration.batch) : 1;
  std::vector<Conversation> chunk;
  Conversation c;
  while (c.index + 1 < end_ && reader.next(c)) {
    if (!in_scope(c.index) || scan_.done.contains(c.index)) continue;
    chunk.push_back(c);
    if (chunk.size() == chunk_size) process_chunk(chunk);
  }
  process_chunk(chunk);
  finish_shard();
  report(true);
  return progress_;
}

}  // namespace

std::string data_source_name(DataSource source) { return source == DataSource::Regenerated ? "regenerated" : "sharegpt"; }

DataSource parse_data_source(const std::string& name) {
  if (name == "sharegpt") return DataSource::ShareGPT;
  if (name == "regenerated") return DataSource::Regenerated;
  throw Error("--source must be 'sharegpt' or 'regenerated', not '" + name + "'");
}

void ExtractionOptions::validate() const {
  require(!data_path.empty(), "--data is required");
  require(fs::is_regular_file(data_path), "--data '" + data_path + "' is not a file");
  require(!out_dir.empty(), "--out is required");
  require(!fs::exists(out_dir) || fs::is_directory(out_dir), "--out '" + out_dir + "' is not a folder");
  require(max_len >= 2, "--max-len must be at least 2");
  require(limit >= -1, "--limit must be -1 (all) or a count");
  require(skip >= 0, "--skip must be a count (0 = from the first conversation)");
  require(shard_sequences >= 1, "--shard-sequences must be positive");
  require(regeneration.max_new_tokens >= 1, "--regen-max-new-tokens must be positive");
  require(regeneration.batch >= 1 && regeneration.batch <= 256, "--regen-batch must be 1..256");
  require(regenerated_text_path.empty() || source == DataSource::Regenerated,
          "--regen-text needs --source regenerated");
  regeneration.sampling.validate();
}

ExtractionProgress run_extraction(const Engine& engine, const std::string& model_path, const ExtractionOptions& options,
                                  const ProgressCallback& on_progress) {
  options.validate();
  require(options.max_len <= engine.model().config().max_position,
          "--max-len " + std::to_string(options.max_len) + " exceeds the model's context of " +
              std::to_string(engine.model().config().max_position) + " tokens");
  ExtractionOptions o = options;
  o.regeneration.max_len = o.max_len;
  Extractor extractor(engine, model_path, o, on_progress);
  return extractor.run();
}

}  // namespace eaglerun
