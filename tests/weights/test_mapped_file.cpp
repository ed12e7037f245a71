#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/weights/mapped_file.h"
#include "tests/weights/test_util.h"

namespace eaglerun {
namespace {

TEST(MappedFile, MapsContents) {
  test::TempDir dir;
  const std::string p = dir.path("a.bin");
  test::write_file(p, std::string_view("hello"));
  const MappedFile f(p);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(std::memcmp(f.data(), "hello", 5), 0);
  EXPECT_EQ(f.path(), p);
}

TEST(MappedFile, EmptyFileHasSizeZero) {
  test::TempDir dir;
  const std::string p = dir.path("empty.bin");
  test::write_file(p, std::string_view(""));
  const MappedFile f(p);
  EXPECT_EQ(f.size(), 0u);
  EXPECT_EQ(f.data(), nullptr);
}

TEST(MappedFile, MissingFile) {
  test::TempDir dir;
  const std::string p = dir.path("missing.bin");
  EXPECT_ERROR(MappedFile{p}, p, "cannot open", "No such file");
}

TEST(MappedFile, Directory) {
  test::TempDir dir;
  EXPECT_ERROR(MappedFile{dir.path()}, dir.path(), "directory");
}

TEST(MappedFile, NotARegularFile) { EXPECT_ERROR(MappedFile{"/dev/null"}, "/dev/null", "not a regular file"); }

TEST(MappedFile, Unreadable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read files without read permission";
  test::TempDir dir;
  const std::string p = dir.path("secret.bin");
  test::write_file(p, std::string_view("x"));
  ::chmod(p.c_str(), 0);
  EXPECT_ERROR(MappedFile{p}, p, "cannot open");
}

}  // namespace
}  // namespace eaglerun
