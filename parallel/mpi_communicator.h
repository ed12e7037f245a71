#pragma once
// The whole job's communicator over MPI (OpenMPI from Debian, or any MPI-3 library). MPI itself is
// confined to mpi_communicator.cpp, built when EAGLERUN_WITH_MPI is ON; without it,
// mpi_unavailable.cpp makes mpi_world() throw.
//
// Errors: MPI calls return codes (MPI_ERRORS_RETURN) that become Error naming the call and peer;
// a call that makes no progress for `timeout_seconds` ends the process (CommWatchdog).
#include <memory>

#include "parallel/communicator.h"

namespace eaglerun {

// True when this build has the MPI communicator.
bool mpi_built();

// Initialises MPI once per process (MPI_Finalize runs when the last communicator from it is
// destroyed) and returns MPI_COMM_WORLD. timeout_seconds <= 0: no limit.
std::unique_ptr<Communicator> mpi_world(double timeout_seconds);

}  // namespace eaglerun
