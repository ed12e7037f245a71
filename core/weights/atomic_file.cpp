#include "core/weights/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace eaglerun {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {
  out_.open(partial_, std::ios::binary | std::ios::trunc);
  require(out_.good(), "cannot create '" + partial_ + "': " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

void AtomicFile::write(const void* data, std::size_t n) {
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  require(out_.good(), "failed while writing '" + partial_ + "' (disk full?)");
  written_ += n;
}

void AtomicFile::commit() {
  out_.close();
  require(!out_.fail(), "failed while closing '" + partial_ + "'");
  const int fd = ::open(partial_.c_str(), O_RDONLY);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  require(synced, "cannot sync '" + partial_ + "': " + std::strerror(err));
  std::error_code ec;
  std::filesystem::rename(partial_, path_, ec);
  require(!ec, "cannot rename '" + partial_ + "' to '" + path_ + "': " + ec.message());
  committed_ = true;
}

}  // namespace eaglerun
