// The id split (same values as data/sharegpt/split.py), SHA-256, UTF-8 repair and the progress line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "experiments/progress_bar.h"
#include "experiments/regenerate.h"
#include "experiments/sequence_split.h"
#include "experiments/sha256.h"
#include "tests/experiments/test_paths_experiments.h"

namespace eaglerun {
namespace {

TEST(SequenceSplit, MatchesPythonSplit) {
  // Values printed by data/sharegpt/split.py.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("QWJhYvA_0"), 0x69b84aeb5ba4bedcull);
  EXPECT_TRUE(is_validation_id("J410gdS_19"));
  EXPECT_TRUE(is_validation_id("fcxU0TT_0"));
  EXPECT_FALSE(is_validation_id("QWJhYvA_0"));
  EXPECT_TRUE(in_split("QWJhYvA_0", DataSplit::Train));
  EXPECT_FALSE(in_split("QWJhYvA_0", DataSplit::Validation));
  EXPECT_TRUE(in_split("QWJhYvA_0", DataSplit::All));
  EXPECT_EQ(parse_data_split("validation"), DataSplit::Validation);
  EXPECT_ANY_THROW(parse_data_split("test"));
}

TEST(SequenceSplit, AboutFivePercentValidation) {
  int validation = 0;
  for (int i = 0; i < 20000; ++i) validation += is_validation_id("conv_" + std::to_string(i)) ? 1 : 0;
  EXPECT_NEAR(validation / 20000.0, 0.05, 0.01);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileAndFolderDigests) {
  const std::string dir = test::fresh_temp_dir("sha_digest");
  std::ofstream(dir + "/b.txt") << "abc";
  const FileDigest file = digest_path(dir + "/b.txt");
  EXPECT_EQ(file.sha256, sha256_hex("abc"));
  EXPECT_EQ(file.bytes, 3);
  std::ofstream(dir + "/a.txt") << "";
  const FileDigest folder = digest_path(dir);
  EXPECT_EQ(folder.bytes, 3);
  EXPECT_EQ(folder.sha256, sha256_hex(sha256_hex("") + "  a.txt\n" + sha256_hex("abc") + "  b.txt\n"));
}

TEST(Utf8Repair, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(sanitize_utf8("ok é"), "ok é");
  EXPECT_EQ(sanitize_utf8("cut \xE3\x81"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xFF" "a"), "\xEF\xBF\xBD" "a");
}

TEST(ProgressLine, ShowsCountsRateAndEta) {
  ExtractionProgress p;
  p.total = 100;
  p.done_before = 10;
  p.processed = 40;
  p.tokens = 50000;
  p.seconds = 100;
  const std::string line = format_progress(p);
  EXPECT_NE(line.find("50/100 seq"), std::string::npos) << line;
  EXPECT_NE(line.find("50.0k tok"), std::string::npos) << line;
  EXPECT_NE(line.find("500 tok/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 2m05s"), std::string::npos) << line;
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace eaglerun
