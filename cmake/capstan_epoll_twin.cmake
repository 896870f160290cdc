# The epoll twin of an io_uring build: the same sources configured with CAPSTAN_IO_URING=OFF in
# a sub-build (build/<preset>/epoll-twin), whose capstan and scaleway-iam-sim land beside this
# build's as capstan-epoll and scaleway-iam-sim-epoll, and are installed in lib/capstan/. An
# io_uring binary on a host that refuses io_uring runs its twin (http::RunEpollTwinIfNeeded).
include(ExternalProject)
set(capstan_twin_dir ${CMAKE_BINARY_DIR}/epoll-twin)
set(capstan_twin_bin ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
ExternalProject_Add(capstan_epoll_twin
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${capstan_twin_dir}
  CMAKE_GENERATOR Ninja
  CMAKE_ARGS
    -DCAPSTAN_IO_URING=OFF -DCAPSTAN_EPOLL_TWIN=OFF -DCAPSTAN_TESTS=OFF -DCAPSTAN_BENCH=OFF
    -DCAPSTAN_FUZZ=OFF -DCAPSTAN_WERROR=${CAPSTAN_WERROR} -DCAPSTAN_MIMALLOC=${CAPSTAN_MIMALLOC}
    -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    "-DCMAKE_CXX_FLAGS_RELEASE=${CMAKE_CXX_FLAGS_RELEASE}"
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
    -DCAPSTAN_SHARED_DIR=${CAPSTAN_SHARED_DIR}
  BUILD_COMMAND ${CMAKE_COMMAND} --build ${capstan_twin_dir} --target capstan scaleway-iam-sim
  COMMAND ${CMAKE_COMMAND} -E copy ${capstan_twin_dir}/bin/capstan
    ${capstan_twin_bin}/capstan-epoll
  COMMAND ${CMAKE_COMMAND} -E copy ${capstan_twin_dir}/bin/scaleway-iam-sim
    ${capstan_twin_bin}/scaleway-iam-sim-epoll
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  USES_TERMINAL_BUILD ON
  BUILD_BYPRODUCTS ${capstan_twin_bin}/capstan-epoll ${capstan_twin_bin}/scaleway-iam-sim-epoll)
# Built with the binaries it stands in for.
add_dependencies(capstan capstan_epoll_twin)
install(PROGRAMS ${capstan_twin_bin}/capstan-epoll ${capstan_twin_bin}/scaleway-iam-sim-epoll
  DESTINATION lib/capstan)
