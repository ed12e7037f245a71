#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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

// Opens `secret` (expected to fail) and `readable` (expected to open) and returns what happened, in a
// forked child that first becomes the unprivileged user nobody (uid/gid 65534) when this process runs as
// root (as CI does), since root opens files whatever their permission bits. The readable sibling shows
// that the child can reach the folder, so the failure comes from the file's own mode.
std::string open_as_unprivileged(const std::string& secret, const std::string& readable) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    ::close(fds[0]);
    std::string report;
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      report = std::string("cannot become nobody: ") + std::strerror(errno);
    } else if (::geteuid() == 0) {
      report = "still root";
    } else {
      try {
        const MappedFile ok(readable);
        const MappedFile f(secret);
        report = "opened a mode-000 file";
      } catch (const Error& e) {
        report = std::string("error: ") + e.what();
      }
    }
    const ssize_t written = ::write(fds[1], report.data(), report.size());
    ::_exit(written == static_cast<ssize_t>(report.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t got; (got = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(got));
  ::close(fds[0]);
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child failed: " + report;
  }
  return report;
}

TEST(MappedFile, Unreadable) {
  test::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // mkdtemp's 0700 would keep nobody out of the folder
  const std::string p = dir.path("secret.bin"), readable = dir.path("readable.bin");
  test::write_file(p, std::string_view("x"));
  test::write_file(readable, std::string_view("y"));
  ASSERT_EQ(::chmod(p.c_str(), 0), 0);
  ASSERT_EQ(::chmod(readable.c_str(), 0644), 0);
  const std::string report = open_as_unprivileged(p, readable);
  ASSERT_TRUE(report.starts_with("error: ")) << report;
  EXPECT_NE(report.find(p + ": cannot open: Permission denied"), std::string::npos) << report;
}

}  // namespace
}  // namespace eaglerun
