// StagingRing (core/backend/staging_ring.h), DeviceApi::upload on a GPU, over a stream that runs
// only when the test or a waiting host lets it (QueuedDeviceApi): every byte arrives, whatever the
// chunking; the caller may reuse its buffer as soon as upload returns; a pinned buffer is written
// again only after the copy that read it has run; uploads return with their copies still queued.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "tests/cuda/queued_device_api.h"

namespace eaglerun {
namespace {

std::vector<std::byte> random_bytes(int64_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::byte> v(static_cast<std::size_t>(n));
  for (std::byte& b : v) b = static_cast<std::byte>(random() & 0xff);
  return v;
}

// Uploads of odd sizes, smaller and larger than a staging buffer (3 of 1,000 bytes), back to back
// into one device buffer; after each the caller scribbles over its source, as one reusing it would.
TEST(StagingRing, ManyOddChunksArriveIntactWhateverTheCallerDoesWithItsBuffer) {
  const std::vector<int64_t> sizes = {1, 7, 999, 1000, 1001, 2999, 3000, 3001, 12345, 5, 4096, 1};
  int64_t total = 0;
  for (const int64_t n : sizes) total += n;
  const std::vector<std::byte> want = random_bytes(total, 1);

  test::QueuedDeviceApi api(3, 1000);
  std::byte* device = static_cast<std::byte*>(api.malloc(total));
  int64_t offset = 0;
  for (const int64_t n : sizes) {
    std::vector<std::byte> source(want.begin() + offset, want.begin() + offset + n);
    api.upload(device + offset, source.data(), n);
    std::fill(source.begin(), source.end(), std::byte{0xAB});  // reused at once
    offset += n;
  }
  std::vector<std::byte> got(static_cast<std::size_t>(total));
  api.download(got.data(), device, total);
  EXPECT_EQ(got, want);
  EXPECT_EQ(api.overwritten_before_copied(), 0);
  EXPECT_GT(api.host_waits(), 0);  // 27 chunks through 3 buffers: the host came round to busy ones
  api.free(device);
}

// The device runs nothing unless the host blocks: 10 chunks through 3 buffers make the host wait
// exactly 7 times, each for the copy that last read the buffer it is about to fill; upload returns
// with the last 3 copies (and their events) still queued, no byte of them on the device yet; the
// caller then reuses its buffer, and once the device runs, the right bytes arrive.
TEST(StagingRing, ABufferIsReusedOnlyAfterItsCopyHasRun) {
  constexpr int64_t kBuffer = 1000, kChunks = 10, kBytes = kChunks * kBuffer - 123;  // the last chunk short
  const std::vector<std::byte> want = random_bytes(kBytes, 2);
  std::vector<std::byte> source = want;
  std::vector<std::byte> device(static_cast<std::size_t>(kBytes), std::byte{0});  // host memory stands in

  test::QueuedDeviceApi api(3, kBuffer);
  api.upload(device.data(), source.data(), kBytes);
  EXPECT_EQ(api.host_waits(), kChunks - 3);
  EXPECT_EQ(api.queued_copies(), 3);  // no synchronisation per chunk, nor at the end
  EXPECT_EQ(api.queued(), 6);         // 3 copies, each followed by its event
  for (int64_t i = (kChunks - 3) * kBuffer; i < kBytes; ++i) ASSERT_EQ(device[i], std::byte{0}) << i;

  std::fill(source.begin(), source.end(), std::byte{0x5A});  // the caller reuses its buffer
  api.run(1);                                                // the device goes on, one copy
  EXPECT_EQ(api.queued_copies(), 2);
  api.upload(device.data(), want.data(), 1);  // the next upload finds the next buffer still busy: waits
  EXPECT_EQ(api.host_waits(), kChunks - 3 + 1);
  api.run(api.queued());
  EXPECT_EQ(device, want);
  EXPECT_EQ(api.overwritten_before_copied(), 0);
}

// Destroying the DeviceApi with copies in flight lets them finish before the pinned buffers go.
TEST(StagingRing, CopiesInFlightFinishBeforeTheBuffersAreFreed) {
  const std::vector<std::byte> want = random_bytes(2500, 3);
  std::vector<std::byte> device(want.size(), std::byte{0});
  {
    test::QueuedDeviceApi api(4, 1000);
    api.upload(device.data(), want.data(), static_cast<int64_t>(want.size()));
    EXPECT_EQ(api.queued_copies(), 3);
    EXPECT_EQ(api.live_pinned(), 4);
  }
  EXPECT_EQ(device, want);
}

TEST(StagingRing, AnEmptyUploadTouchesNothing) {
  test::QueuedDeviceApi api(2, 16);
  api.upload(nullptr, nullptr, 0);
  EXPECT_EQ(api.queued(), 0);
  EXPECT_EQ(api.live_pinned(), 0);  // the buffers come with the first bytes
}

}  // namespace
}  // namespace eaglerun
