// For unit tests of one endpoint: a Host with one loop thread, no access log, serving the
// endpoint on an ephemeral loopback port until the object goes out of scope.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <gtest/gtest.h>

#include "exposes/server/host.hpp"

namespace capstan::exposes::testing {

struct ServedEndpoint {
  explicit ServedEndpoint(std::shared_ptr<Endpoint> endpoint) : host(Options()) {
    host.Add("127.0.0.1", 0, std::move(endpoint));
    EXPECT_TRUE(host.Start());
    port = host.bound().at(0).port;
  }
  ~ServedEndpoint() { host.Stop(std::chrono::seconds(1)); }
  ServedEndpoint(const ServedEndpoint&) = delete;
  ServedEndpoint& operator=(const ServedEndpoint&) = delete;
  static HostOptions Options() {
    HostOptions o;
    o.threads = 1;
    o.access_log = false;
    return o;
  }
  Host host;
  std::uint16_t port = 0;
};

}  // namespace capstan::exposes::testing
