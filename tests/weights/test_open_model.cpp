// open_model(): dispatch on the path (GGUF file, safetensors file or directory) and its errors.
#include <gtest/gtest.h>

#include "core/weights/open_model.h"
#include "tests/weights/gguf_writer.h"
#include "tests/weights/safetensors_writer.h"

namespace eaglerun {
namespace {

using namespace eaglerun::test;

TEST(OpenModel, Gguf) {
  TempDir dir;
  write_file(dir.path("tiny.bin"), tiny_llama_writer().bytes());  // found by its magic, not the name
  const auto m = open_model(dir.path("tiny.bin"));
  EXPECT_EQ(m->naming(), "gguf");
  EXPECT_EQ(m->source(), dir.path("tiny.bin"));
  EXPECT_EQ(m->config().hidden_size, 64);
}

TEST(OpenModel, SafetensorsDirectoryAndFile) {
  TempDir dir;
  write_file(dir.path("config.json"), std::string_view(tiny_llama_config_json()));
  write_file(dir.path("model.safetensors"), safetensors_bytes(tiny_llama_tensors()));
  EXPECT_EQ(open_model(dir.path())->naming(), "hf");
  EXPECT_EQ(open_model(dir.path("model.safetensors"))->names().size(), 5u);
}

TEST(OpenModel, Errors) {
  TempDir dir;
  EXPECT_ERROR(open_model(dir.path("nope")), "model path '" + dir.path("nope") + "' does not exist");
  EXPECT_ERROR(open_model(dir.path()), dir.path(), "config.json");
  write_file(dir.path("notes.txt"), std::string_view("hello world"));
  EXPECT_ERROR(open_model(dir.path("notes.txt")), dir.path("notes.txt"), "neither GGUF", ".safetensors");
  write_file(dir.path("model.gguf"), std::string_view("GGML-not-really"));
  EXPECT_ERROR(open_model(dir.path("model.gguf")), dir.path("model.gguf"), "not a GGUF file");
  write_file(dir.path("lonely.safetensors"), safetensors_bytes(tiny_llama_tensors()));
  EXPECT_ERROR(open_model(dir.path("lonely.safetensors")), "lonely.safetensors", "config.json");
}

}  // namespace
}  // namespace eaglerun
