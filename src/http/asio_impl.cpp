// The one translation unit that compiles Asio, Asio SSL and Beast (separate compilation: every
// other TU sees only declarations, see BOOST_ASIO_SEPARATE_COMPILATION in CMakeLists.txt).
#if defined(BOOST_ASIO_HAS_IO_URING)
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
#endif

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

#if defined(BOOST_ASIO_HAS_IO_URING)
#undef io_uring_get_sqe
#endif
