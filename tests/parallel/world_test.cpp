// World (rank -> tp/ep/pp), the launch environment, Job groups on one rank, the single-rank communicator.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "core/error.h"
#include "parallel/job.h"
#include "parallel/single_rank_communicator.h"
#include "parallel/world.h"

namespace eaglerun {
namespace {

TEST(World, MapsEveryRankToOneCoordinateTpFastestPpSlowest) {
  std::set<std::tuple<int, int, int>> seen;
  for (int r = 0; r < 12; ++r) {
    const World w = World::make(r, 12, 2, 3, 2);
    EXPECT_EQ(w.rank_of(w.tp_rank, w.ep_rank, w.pp_rank), r);
    EXPECT_EQ(w.stage_index(), r % 6);
    seen.insert({w.tp_rank, w.ep_rank, w.pp_rank});
  }
  EXPECT_EQ(seen.size(), 12u);
  const World w = World::make(7, 12, 2, 3, 2);
  EXPECT_EQ(w.tp_rank, 1);
  EXPECT_EQ(w.ep_rank, 0);
  EXPECT_EQ(w.pp_rank, 1);
  EXPECT_TRUE(World::make(0, 4, 2, 1, 2).is_coordinator());
  EXPECT_TRUE(World::make(3, 4, 2, 1, 2).last_stage());
}

TEST(World, RejectsSplitsThatDoNotMatchTheJob) {
  try {
    World::make(0, 1, 2, 1, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun -np"), std::string::npos) << e.what();
  }
  EXPECT_THROW(World::make(0, 6, 2, 1, 2), Error);
  EXPECT_THROW(World::make(0, 2, 0, 1, 2), Error);
}

TEST(World, ReadsTheLauncherEnvironment) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "0", 1);
  LaunchEnvironment e = launch_environment();
  EXPECT_TRUE(e.found);
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.size, 4);
  EXPECT_EQ(e.launcher, "mpirun");
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  ::unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  ::setenv("PMIX_RANK", "1", 1);
  ::setenv("SLURM_NTASKS", "2", 1);
  ::setenv("SLURM_LOCALID", "1", 1);
  e = launch_environment();
  EXPECT_EQ(e.launcher, "pmix");
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.local_rank, 1);
  ::unsetenv("PMIX_RANK");
  ::unsetenv("SLURM_NTASKS");
  ::unsetenv("SLURM_LOCALID");
  EXPECT_FALSE(launch_environment().found);
}

TEST(SingleRankCommunicator, CollectivesAreCopiesAndSelfMessagesQueue) {
  SingleRankCommunicator c;
  float x[3] = {1, 2, 3};
  c.all_reduce_sum(x, 3);
  EXPECT_EQ(x[2], 3.f);
  int a = 5, b = 0;
  c.all_gather(&a, sizeof a, &b);
  EXPECT_EQ(b, 5);
  c.all_to_all(&a, sizeof a, &b);
  c.send(&a, sizeof a, 0, 9);
  b = 0;
  c.recv(&b, sizeof b, 0, 9);
  EXPECT_EQ(b, 5);
  EXPECT_EQ(c.stats().calls, 4);  // an all_reduce of one rank is not counted
  EXPECT_THROW(c.recv(&b, sizeof b, 0, 9), Error);
  EXPECT_THROW(c.send(&a, sizeof a, 1, 0), Error);
}

TEST(Job, OneRankHasTrivialGroups) {
  auto all = std::make_unique<SingleRankCommunicator>();
  const World w = Job::world_of(*all, ParallelOptions{});
  Job job(std::move(all), w);
  EXPECT_EQ(job.world().size, 1);
  EXPECT_EQ(job.world().tp, 1);
  EXPECT_EQ(job.stage().size(), 1);
  EXPECT_EQ(job.tensor().size(), 1);
  ParallelOptions two;
  two.tp = 2;
  EXPECT_THROW(Job::world_of(SingleRankCommunicator(), two), Error);
}

}  // namespace
}  // namespace eaglerun
