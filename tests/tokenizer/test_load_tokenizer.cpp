// load_tokenizer's dispatch and its errors for paths without a usable tokenizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("eaglerun_tok_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string error_of(const std::string& path) {
  try {
    load_tokenizer(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LoadTokenizer, MissingPathIsAnError) {
  const std::string err = error_of("/nonexistent/model.gguf");
  EXPECT_NE(err.find("no such file"), std::string::npos) << err;
}

TEST(LoadTokenizer, DirectoryWithoutTokenizerModelIsAnError) {
  TempDir dir;
  std::string err = error_of(dir.path().string());
  EXPECT_NE(err.find("tokenizer.model"), std::string::npos) << err;
  std::ofstream(dir.path() / "tokenizer.json") << "{}";
  err = error_of(dir.path().string());
  EXPECT_NE(err.find("tokenizer.json alone is not supported"), std::string::npos) << err;
}

TEST(LoadTokenizer, SafetensorsFileLooksBesideIt) {
  TempDir dir;
  std::ofstream(dir.path() / "model.safetensors") << "x";
  const std::string err = error_of((dir.path() / "model.safetensors").string());
  EXPECT_NE(err.find((dir.path() / "tokenizer.model").string()), std::string::npos) << err;
}

TEST(LoadTokenizer, CorruptTokenizerModelIsAnError) {
  TempDir dir;
  std::ofstream(dir.path() / "tokenizer.model") << "this is not a protobuf";
  EXPECT_THROW(load_tokenizer(dir.path().string()), Error);
}

TEST(LoadTokenizer, NotAGgufFileIsAnError) {
  TempDir dir;
  std::ofstream(dir.path() / "m.gguf") << "GGUF but truncated";
  EXPECT_THROW(load_tokenizer((dir.path() / "m.gguf").string()), Error);
}

TEST(LoadTokenizer, OpensTheDefaultModelsGguf) {
  if (!fs::exists(test::default_model_path())) GTEST_SKIP() << "model not found: " << test::default_model_path();
  const auto tok = load_tokenizer(test::default_model_path());
  EXPECT_EQ(tok->vocab_size(), 49152);
}

}  // namespace
}  // namespace eaglerun
