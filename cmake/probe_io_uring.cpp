// Configure-time probe (CMakeLists.txt, CAPSTAN_IO_URING=AUTO): exits 0 when this host lets a
// process set up an io_uring instance, as every capstan event loop does.
#include <liburing.h>

int main() {
  io_uring ring{};
  if (io_uring_queue_init(8, &ring, 0) < 0) return 1;
  io_uring_queue_exit(&ring);
  return 0;
}
