// The one translation unit that compiles Asio, Asio SSL and Beast (separate compilation: every
// other TU sees only declarations, see BOOST_ASIO_SEPARATE_COMPILATION in CMakeLists.txt).
#if defined(BOOST_ASIO_HAS_IO_URING)
#include <cerrno>

#include <liburing.h>

// Asio 1.28 (Boost 1.81) takes submission queue entries from liburing without clearing their
// user data, and prepares its cancel requests (and timeout removals) without setting any: such an
// entry keeps the pointer of whatever operation used the ring slot 16,384 entries before. Its
// completion is then taken for that operation's: a read still owned by the kernel completes with
// "0 bytes" (end of stream) while the kernel goes on to write into its buffer, and an operation
// queue can be pushed twice. Heap corruption under load with idle timeouts firing (issue 18).
// Later Asio releases clear the user data of every entry they take; so does this wrapper, which
// the compiled Asio below calls instead of liburing's (the name is defined only in this file).
static inline io_uring_sqe* capstan_io_uring_get_sqe(io_uring* ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (sqe != nullptr) io_uring_sqe_set_data(sqe, nullptr);
  return sqe;
}
#define io_uring_get_sqe capstan_io_uring_get_sqe

// Rings are set up for cooperative task running: a completion that the kernel finishes in task
// work (a socket read woken by the peer's softirq on another core) no longer interrupts the loop
// thread with an inter-processor interrupt; the work runs at the thread's next system call,
// which a busy loop makes at once and a waiting one is woken for. TASKRUN_FLAG tells liburing's
// peek (Asio's non-blocking poll) when such work is pending. -15 % CPU per proxied request on
// bench/rest.sh's load (docs/benchmarks.md). Kernels before 5.19 refuse the flags: plain rings.
static inline int capstan_io_uring_queue_init(unsigned entries, io_uring* ring, unsigned flags) {
  const int result = io_uring_queue_init(
      entries, ring, flags | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
  if (result != -EINVAL) return result;
  return io_uring_queue_init(entries, ring, flags);
}
#define io_uring_queue_init capstan_io_uring_queue_init
#endif

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

#if defined(BOOST_ASIO_HAS_IO_URING)
#undef io_uring_get_sqe
#undef io_uring_queue_init
#endif
