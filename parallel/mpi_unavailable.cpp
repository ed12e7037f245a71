// Stands in for mpi_communicator.cpp in builds without MPI (EAGLERUN_WITH_MPI=OFF).
#include "core/error.h"
#include "parallel/mpi_communicator.h"

namespace eaglerun {

bool mpi_built() { return false; }

std::unique_ptr<Communicator> mpi_world(double) {
  throw Error("this eaglerun was built without MPI (EAGLERUN_WITH_MPI=OFF); install libopenmpi-dev and rebuild");
}

}  // namespace eaglerun
