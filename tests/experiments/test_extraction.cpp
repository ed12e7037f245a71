// Feature extraction end to end on SmolLM2 (the default model): stored values, resumption after a
// kill -9, --limit then rerun, settings checks, the train/validation split, the regenerated source and
// training data mixed from several folders.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "experiments/conversation.h"
#include "experiments/draft_vocabulary.h"
#include "experiments/feature_extraction.h"
#include "experiments/feature_shard_reader.h"
#include "experiments/feature_shard_writer.h"
#include "experiments/feature_store.h"
#include "experiments/hdf5_training_data.h"
#include "experiments/training_render.h"
#include "tests/experiments/test_paths_experiments.h"

namespace eaglerun {
namespace {

constexpr int64_t kMaxLen = 96;
constexpr int64_t kConversations = 14;  // in the fixture; "noanswer_0" (line 12) has no answer

std::unique_ptr<Engine> make_engine() {
  EngineOptions o;
  o.model_path = test::default_model_path();
  o.threads = 1;
  return std::make_unique<Engine>(o);
}

ExtractionOptions options_for(const std::string& out) {
  ExtractionOptions o;
  o.data_path = test::conversations_fixture();
  o.out_dir = out;
  o.max_len = kMaxLen;
  o.shard_sequences = 4;
  return o;
}

// The regenerated source with short answers (8 new tokens) for the first `limit` conversations.
ExtractionOptions regenerated_options(const std::string& out, int64_t limit) {
  ExtractionOptions o = options_for(out);
  o.source = DataSource::Regenerated;
  o.limit = limit;
  o.regeneration.max_new_tokens = 8;
  return o;
}

std::vector<Conversation> fixture() {
  std::vector<Conversation> out;
  ConversationReader reader(test::conversations_fixture());
  Conversation c;
  while (reader.next(c)) out.push_back(c);
  return out;
}

// Two stores hold the same sequences with bit-identical features: extraction is deterministic (same
// model, kernels and thread count; every row's arithmetic is fixed by the shapes alone), so a resumed
// or continued run must reproduce the uninterrupted one exactly, not approximately.
void expect_same_sequence(const Hdf5TrainingDataSource& a, int64_t i, const Hdf5TrainingDataSource& b, int64_t j) {
  EXPECT_EQ(a.sequence_id(i), b.sequence_id(j));
  const TrainingSequence x = a.get(i), y = b.get(j);
  EXPECT_EQ(x.tokens, y.tokens) << i;
  EXPECT_EQ(x.loss_mask, y.loss_mask) << i;
  ASSERT_EQ(x.features.size(), y.features.size());
  const auto differ = std::mismatch(x.features.begin(), x.features.end(), y.features.begin(),
                                    [](float p, float q) { return std::memcmp(&p, &q, sizeof p) == 0; });
  EXPECT_TRUE(differ.first == x.features.end())
      << "sequence " << i << ": features differ first at element " << (differ.first - x.features.begin()) << ": "
      << *differ.first << " vs " << *differ.second;
}

// The same sequences in the same order.
void expect_same_store(const std::string& a_dir, const std::string& b_dir) {
  const Hdf5TrainingDataSource a(a_dir), b(b_dir);
  ASSERT_EQ(a.size(), b.size());
  for (int64_t i = 0; i < a.size(); ++i) expect_same_sequence(a, i, b, i);
}

// The same sequences in any order (ranges extracted one after another).
void expect_same_sequences(const std::string& a_dir, const std::string& b_dir) {
  const Hdf5TrainingDataSource a(a_dir), b(b_dir);
  ASSERT_EQ(a.size(), b.size());
  std::map<std::string, int64_t> in_b;
  for (int64_t j = 0; j < b.size(); ++j) in_b[b.sequence_id(j)] = j;
  for (int64_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(in_b.contains(a.sequence_id(i))) << a.sequence_id(i);
    expect_same_sequence(a, i, b, in_b[a.sequence_id(i)]);
  }
}

class ExtractionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::default_model_available()) return;
    engine_ = make_engine().release();
    reference_dir_ = test::fresh_temp_dir("extract_reference");
    reference_ = run_extraction(*engine_, test::default_model_path(), options_for(reference_dir_), {});
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override {
    if (engine_ == nullptr) GTEST_SKIP() << "default model missing; run data/fetch_model.sh";
  }
  static Engine* engine_;
  static std::string reference_dir_;
  static ExtractionProgress reference_;
};
Engine* ExtractionTest::engine_ = nullptr;
std::string ExtractionTest::reference_dir_;
ExtractionProgress ExtractionTest::reference_;

TEST_F(ExtractionTest, StoresEveryConversationWithAnAnswerOnce) {
  EXPECT_EQ(reference_.total, kConversations);
  EXPECT_EQ(reference_.stored, kConversations - 1);
  EXPECT_EQ(reference_.skipped, 1);
  EXPECT_EQ(reference_.shards_written, 4);  // 4 + 4 + 4 + 1 sequences
  const StoreScan scan = scan_store(reference_dir_);
  EXPECT_EQ(scan.done.size(), static_cast<size_t>(kConversations));
  EXPECT_EQ(scan.sequences, kConversations - 1);
  EXPECT_EQ(scan.metadata->source, "sharegpt");
  EXPECT_EQ(scan.metadata->chat_format, "chatml");
  EXPECT_EQ(scan.metadata->max_len, kMaxLen);
  EXPECT_EQ(scan.metadata->hidden_size, engine_->model().config().hidden_size);
  EXPECT_FALSE(std::filesystem::exists(reference_dir_ + "/shard-000004.h5"));
  EXPECT_TRUE(std::filesystem::exists(reference_dir_ + "/progress.json"));
}

TEST_F(ExtractionTest, StoredValuesEqualRenderingAndTargetForward) {
  const Hdf5TrainingDataSource data(reference_dir_);
  const std::vector<Conversation> convs = fixture();
  const int64_t h = data.hidden_size();
  for (int64_t i : {int64_t{0}, int64_t{10}}) {  // "plain_0" and the truncated "long_0"
    const TrainingSequence s = data.get(i);
    const TrainingTokens t = render_training_tokens(engine_->tokenizer(), ChatFormat::ChatML, convs[i].turns, kMaxLen);
    EXPECT_EQ(data.sequence_id(i), convs[i].id);
    EXPECT_EQ(s.tokens, t.tokens);
    EXPECT_EQ(s.loss_mask, t.loss_mask);
    KvCache kv = engine_->model().make_cache(kMaxLen);
    const ForwardOutput out = engine_->model().forward_causal(t.tokens, kv, LogitRows::None);
    ASSERT_EQ(s.features.size(), t.tokens.size() * static_cast<size_t>(h));
    for (size_t k = 0; k < s.features.size(); ++k) {
      ASSERT_NEAR(s.features[k], out.hidden[k], std::fabs(out.hidden[k]) / 128.f + 1e-6f) << k;
    }
  }
  EXPECT_EQ(data.get(10).tokens.size(), static_cast<size_t>(kMaxLen));
}

TEST_F(ExtractionTest, KilledRunResumesWithoutDuplicatesOrLoss) {
  const std::string dir = test::fresh_temp_dir("extract_killed");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // runs until 6 sequences are stored (one finished shard + a partial one), then kill -9
    const std::unique_ptr<Engine> engine = make_engine();
    run_extraction(*engine, test::default_model_path(), options_for(dir), [](const ExtractionProgress& p) {
      if (p.stored == 6) raise(SIGKILL);
    });
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child was not killed";
  EXPECT_EQ(list_shards(dir).size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/shard-000001.h5.partial"));

  const ExtractionProgress resumed = run_extraction(*engine_, test::default_model_path(), options_for(dir), {});
  EXPECT_EQ(resumed.done_before, 4);
  EXPECT_EQ(resumed.processed, kConversations - 4);
  EXPECT_FALSE(std::filesystem::exists(dir + "/shard-000001.h5.partial"));
  expect_same_store(reference_dir_, dir);
}

TEST_F(ExtractionTest, LimitThenRerunContinuesAndCompleteRunDoesNothing) {
  const std::string dir = test::fresh_temp_dir("extract_limit");
  ExtractionOptions o = options_for(dir);
  o.limit = 5;
  const ExtractionProgress first = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(first.total, 5);
  EXPECT_EQ(first.stored, 5);
  o.limit = -1;
  const ExtractionProgress second = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(second.done_before, 5);
  EXPECT_EQ(second.processed, kConversations - 5);
  const ExtractionProgress third = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(third.done_before, kConversations);
  EXPECT_EQ(third.processed, 0);
  EXPECT_EQ(third.shards_written, 0);
  EXPECT_EQ(scan_store(dir).done.size(), static_cast<size_t>(kConversations));  // no line twice (scan checks)
  expect_same_store(reference_dir_, dir);
}

// --skip and --limit take a range; ranges extracted into one folder in any order make the whole store.
TEST_F(ExtractionTest, RangesBySkipAndLimitMakeTheWholeStore) {
  const std::string dir = test::fresh_temp_dir("extract_ranges");
  ExtractionOptions o = options_for(dir);
  o.skip = 6;
  o.limit = 10;
  const ExtractionProgress middle = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(middle.total, 4);
  EXPECT_EQ(middle.processed, 4);
  const std::unordered_set<int64_t> done = scan_store(dir).done;
  EXPECT_EQ(done, (std::unordered_set<int64_t>{6, 7, 8, 9}));
  o.skip = 0;
  o.limit = -1;
  const ExtractionProgress rest = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(rest.done_before, 4);
  EXPECT_EQ(rest.processed, kConversations - 4);
  expect_same_sequences(reference_dir_, dir);
  o.skip = kConversations;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
}

TEST_F(ExtractionTest, RerunWithOtherSettingsIsRejected) {
  ExtractionOptions o = options_for(reference_dir_);
  o.max_len = 64;
  try {
    run_extraction(*engine_, test::default_model_path(), o, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another extraction (max_len: 96 vs 64)"), std::string::npos) << e.what();
  }
}

TEST_F(ExtractionTest, BadOptionsGiveClearErrors) {
  ExtractionOptions o = options_for(test::fresh_temp_dir("extract_bad"));
  o.max_len = 1 << 20;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
  o = options_for(o.out_dir);
  o.data_path = "/nonexistent.jsonl";
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
  o = options_for(o.out_dir);
  o.limit = -5;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
  o = options_for(o.out_dir);
  o.skip = -1;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
  o = options_for(o.out_dir);
  o.regeneration.batch = 0;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), o, {}), Error);
  EXPECT_THROW(parse_data_source("ultrachat"), Error);
  EXPECT_THROW(Hdf5TrainingDataSource(test::fresh_temp_dir("extract_empty")), Error);
}

TEST_F(ExtractionTest, TrainAndValidationPartitionTheStoreById) {
  const Hdf5TrainingDataSource all(reference_dir_);
  // A permille of 500 puts about half of the 13 sequences in each part.
  const Hdf5TrainingDataSource train(reference_dir_, DataSplit::Train, 500);
  const Hdf5TrainingDataSource validation(reference_dir_, DataSplit::Validation, 500);
  EXPECT_EQ(train.size() + validation.size(), all.size());
  EXPECT_GT(train.size(), 0);
  EXPECT_GT(validation.size(), 0);
  std::set<std::string> seen;
  for (int64_t i = 0; i < train.size(); ++i) {
    EXPECT_FALSE(is_validation_id(train.sequence_id(i), 500));
    seen.insert(train.sequence_id(i));
  }
  for (int64_t i = 0; i < validation.size(); ++i) {
    EXPECT_TRUE(is_validation_id(validation.sequence_id(i), 500));
    seen.insert(validation.sequence_id(i));
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(all.size()));
  EXPECT_EQ(train.n_tokens() + validation.n_tokens(), all.n_tokens());
}

TEST_F(ExtractionTest, RegeneratedSourceStoresTheTargetsOwnAnswers) {
  const std::string dir = test::fresh_temp_dir("extract_regenerated");
  const ExtractionOptions o = regenerated_options(dir, 2);
  const ExtractionProgress p = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(p.stored, 2);
  const Hdf5TrainingDataSource data(dir);
  EXPECT_EQ(data.metadata().source, "regenerated");
  EXPECT_NE(data.metadata().settings.find("\"max_new_tokens\":8"), std::string::npos) << data.metadata().settings;
  const std::vector<Conversation> convs = fixture();
  RegenerationOptions regen = o.regeneration;
  regen.max_len = kMaxLen;
  const std::vector<ChatMessage> turns = regenerate_answers(*engine_, convs[1].turns, regen, 1);
  ASSERT_EQ(turns.size(), convs[1].turns.size());
  EXPECT_EQ(turns[0].content, convs[1].turns[0].content);
  EXPECT_EQ(turns[2].content, convs[1].turns[2].content);
  const TrainingTokens t = render_training_tokens(engine_->tokenizer(), ChatFormat::ChatML, turns, kMaxLen);
  EXPECT_EQ(data.get(1).tokens, t.tokens);
  EXPECT_NE(data.get(1).tokens, Hdf5TrainingDataSource(reference_dir_).get(1).tokens);
}

// --regen-text keeps the regenerated conversations as a conversation JSONL: one line per conversation,
// not written twice by a rerun, a line cut by a kill dropped, and extracting the file as ShareGPT-style
// data gives the regenerated store's sequences bit for bit.
TEST_F(ExtractionTest, RegeneratedTextMakesTheSameFeatures) {
  const std::string dir = test::fresh_temp_dir("extract_regen_text");
  const std::string text = dir + "/text/regenerated.jsonl";
  ExtractionOptions o = regenerated_options(dir + "/features", 3);
  o.regenerated_text_path = text;
  run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(count_conversations(text), 3);
  {
    std::ofstream cut(text, std::ios::app);
    cut << "{\"id\": \"cut by a kill";
  }
  o.limit = 4;  // one more conversation; the first three are done
  run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_EQ(count_conversations(text), 4);
  ExtractionOptions again = o;  // a fresh feature folder: the answers read back, none written twice
  again.out_dir = dir + "/features-again";
  run_extraction(*engine_, test::default_model_path(), again, {});
  EXPECT_EQ(count_conversations(text), 4);
  expect_same_sequences(dir + "/features", dir + "/features-again");
  const std::vector<Conversation> convs = fixture();
  ConversationReader reader(text);
  Conversation c;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(reader.next(c));
    EXPECT_EQ(c.id, convs[static_cast<std::size_t>(i)].id);
    EXPECT_EQ(c.turns[0].content, convs[static_cast<std::size_t>(i)].turns[0].content);
  }

  ExtractionOptions from_text = options_for(dir + "/from-text");
  from_text.data_path = text;
  run_extraction(*engine_, test::default_model_path(), from_text, {});
  expect_same_sequences(dir + "/features", dir + "/from-text");

  // An answer already in the text file is used as it is there, not written by the target again.
  const std::string edited = dir + "/edited.jsonl";
  {
    std::vector<ChatMessage> turns = fixture()[0].turns;
    turns.resize(2);
    turns[1].content = "Read back, not regenerated.";
    std::ofstream(edited) << conversation_json(fixture()[0].id, turns) << '\n';
    ExtractionOptions reuse = regenerated_options(dir + "/features-edited", 1);
    reuse.regenerated_text_path = edited;
    run_extraction(*engine_, test::default_model_path(), reuse, {});
    const TrainingTokens t = render_training_tokens(engine_->tokenizer(), ChatFormat::ChatML, turns, kMaxLen);
    EXPECT_EQ(Hdf5TrainingDataSource(dir + "/features-edited").get(0).tokens, t.tokens);
    EXPECT_EQ(count_conversations(edited), 1);
  }

  ExtractionOptions wrong = options_for(dir + "/wrong");
  wrong.regenerated_text_path = text;
  EXPECT_THROW(run_extraction(*engine_, test::default_model_path(), wrong, {}), Error);
}

// A conversation whose first user turn does not fit the context gets no answer: it is skipped, not
// written to the text file (which extract must be able to read as data), and a rerun agrees.
TEST_F(ExtractionTest, RegeneratedTextSkipsConversationsThatDoNotFit) {
  const std::string dir = test::fresh_temp_dir("extract_regen_text_short");
  const std::string text = dir + "/regenerated.jsonl";
  ExtractionOptions o = regenerated_options(dir + "/features", kConversations);
  o.max_len = 40;  // the default system prompt and a long first user turn do not fit
  o.regenerated_text_path = text;
  const ExtractionProgress p = run_extraction(*engine_, test::default_model_path(), o, {});
  EXPECT_GT(p.skipped, 0);
  const int64_t kept = count_conversations(text);
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, kConversations);
  EXPECT_EQ(check_conversations(text, -1), kept);
  ExtractionOptions again = o;
  again.out_dir = dir + "/features-again";
  const ExtractionProgress q = run_extraction(*engine_, test::default_model_path(), again, {});
  EXPECT_EQ(q.skipped, p.skipped);
  EXPECT_EQ(count_conversations(text), kept);
  expect_same_sequences(dir + "/features", dir + "/features-again");
}

// Batched regeneration (slots refilled turn after turn, conversation after conversation) gives every
// conversation the answers it gets alone, greedy and sampled, whatever the batch size.
TEST(RegenerationPrefix, KeepsOnlyTheSharedTokensAndLeavesOneToRun) {
  const std::vector<int32_t> cached{5, 6, 7, 8};
  EXPECT_EQ(reusable_prefix(cached, std::vector<int32_t>{5, 6, 9, 8, 1}), 2);  // a re-encoded answer differs
  EXPECT_EQ(reusable_prefix(cached, std::vector<int32_t>{5, 6, 7, 8, 1, 2}), 4);
  EXPECT_EQ(reusable_prefix(cached, std::vector<int32_t>{5, 6, 7, 8}), 3);  // the last token still runs
  EXPECT_EQ(reusable_prefix(cached, std::vector<int32_t>{4, 6}), 0);
  EXPECT_EQ(reusable_prefix({}, std::vector<int32_t>{5}), 0);
}

TEST_F(ExtractionTest, BatchedRegenerationEqualsOneConversationAtATime) {
  const std::vector<Conversation> convs = fixture();
  for (const float temperature : {0.f, 1.f}) {
    RegenerationOptions regen;
    regen.max_len = kMaxLen;
    regen.max_new_tokens = 20;
    regen.sampling.temperature = temperature;
    regen.sampling.seed = 7;
    std::vector<std::vector<ChatMessage>> alone;
    for (const Conversation& c : convs) alone.push_back(regenerate_answers(*engine_, c.turns, regen, c.index));
    for (const int32_t batch : {3, 64}) {
      regen.batch = batch;
      RegenerationStats stats;
      const std::vector<std::vector<ChatMessage>> batched = regenerate_answers_batch(*engine_, convs, regen, &stats);
      ASSERT_EQ(batched.size(), convs.size());
      // Later turns start from the earlier turns' cached rows: the comparison covers that reuse.
      EXPECT_GT(stats.reused_prompt_tokens, 0) << "batch " << batch;
      EXPECT_LT(stats.reused_prompt_tokens, stats.prompt_tokens);
      for (std::size_t i = 0; i < convs.size(); ++i) {
        ASSERT_EQ(batched[i].size(), alone[i].size()) << "conversation " << i << ", batch " << batch;
        for (std::size_t t = 0; t < alone[i].size(); ++t) {
          EXPECT_EQ(batched[i][t].role, alone[i][t].role);
          EXPECT_EQ(batched[i][t].content, alone[i][t].content)
              << "conversation " << i << " turn " << t << ", T " << temperature << ", batch " << batch;
        }
      }
    }
  }
}

TEST_F(ExtractionTest, FoldersOfOneTargetMixAndAnotherTargetIsRejected) {
  const std::string regenerated = test::fresh_temp_dir("extract_mix_regenerated");
  run_extraction(*engine_, test::default_model_path(), regenerated_options(regenerated, 3), {});
  const Hdf5TrainingDataSource first(reference_dir_), second(regenerated);
  const Hdf5TrainingDataSource mixed({reference_dir_, regenerated});
  ASSERT_EQ(mixed.size(), first.size() + second.size());
  EXPECT_EQ(mixed.n_tokens(), first.n_tokens() + second.n_tokens());
  EXPECT_EQ(mixed.get(0).tokens, first.get(0).tokens);
  EXPECT_EQ(mixed.get(first.size() + 1).tokens, second.get(1).tokens);
  EXPECT_EQ(mixed.sequence_id(first.size() + 1), second.sequence_id(1));
  const Hdf5TrainingDataSource train({reference_dir_, regenerated}, DataSplit::Train, 500);
  const Hdf5TrainingDataSource validation({reference_dir_, regenerated}, DataSplit::Validation, 500);
  EXPECT_EQ(train.size() + validation.size(), mixed.size());

  const int64_t vocab = engine_->model().config().vocab_size;
  const std::vector<int32_t> both = draft_vocabulary_by_frequency({reference_dir_, regenerated}, vocab);
  const std::vector<int32_t> one = draft_vocabulary_by_frequency({reference_dir_}, vocab);
  EXPECT_GE(both.size(), one.size());
  for (int32_t id : draft_vocabulary_by_frequency({regenerated}, vocab)) {
    EXPECT_NE(std::find(both.begin(), both.end(), id), both.end()) << id;
  }

  // The same shard relabelled as another target's.
  const std::string other = test::fresh_temp_dir("extract_mix_other_target");
  const std::string shard = list_shards(regenerated).front();
  const FeatureShardReader reader(shard);
  ShardMetadata metadata = reader.metadata();
  metadata.target_model_sha256 = std::string(64, '0');
  FeatureShardWriter writer(other + "/" + shard_file_name(0), metadata);
  const ShardSequence s = reader.read(0);
  writer.append(s.id, s.source_index, s.tokens, s.loss_mask, s.features);
  writer.finish();
  try {
    const Hdf5TrainingDataSource bad({reference_dir_, other});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("extracted from another target"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace eaglerun
