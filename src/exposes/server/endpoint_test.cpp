#include "exposes/server/endpoint.hpp"

#include <gtest/gtest.h>

#include "http/route.hpp"

namespace capstan::exposes {
namespace {

// An endpoint serving path templates, matched as a REST router would.
class FakeEndpoint final : public Endpoint {
 public:
  FakeEndpoint(std::string name, std::vector<std::string> templates, bool only_claims = true)
      : name_(std::move(name)), only_claims_(only_claims) {
    for (const std::string& t : templates) claims_.push_back(ClaimTemplate(t));
  }
  std::string Describe() const override { return name_; }
  std::vector<ClaimedPath> Claims() const override { return claims_; }
  bool MatchesOnlyClaims() const override { return only_claims_; }
  bool Matches(std::string_view raw_path) const override {
    ++asked;
    auto segments = http::SplitPath(raw_path);
    if (!segments) return false;
    for (const ClaimedPath& c : claims_) {
      if (c.segments.size() != segments->size()) continue;
      bool all = true;
      for (std::size_t i = 0; i < c.segments.size() && all; ++i) {
        all = c.segments[i] == "{}" ? !(*segments)[i].empty() : c.segments[i] == (*segments)[i];
      }
      if (all) return true;
    }
    return false;
  }
  boost::asio::awaitable<http::Response> Handle(http::Request&) override {
    co_return http::MakeResponse(200, "{}");
  }
  mutable int asked = 0;

 private:
  std::string name_;
  std::vector<ClaimedPath> claims_;
  bool only_claims_;
};

std::vector<std::shared_ptr<Endpoint>> Fleet(bool only_claims = true) {
  std::vector<std::shared_ptr<Endpoint>> out;
  for (int i = 0; i < 20; ++i) {
    std::string product = "p" + std::to_string(i);
    out.push_back(std::make_shared<FakeEndpoint>(
        product,
        std::vector<std::string>{"/v1/" + product + "/items", "/v1/" + product + "/items/{id}"},
        only_claims));
  }
  return out;
}

std::string NameOf(const Dispatcher& d, std::string_view path) {
  Endpoint* e = d.Find(path);
  return e == nullptr ? "-" : e->Describe();
}

TEST(Dispatcher, ManyEndpointsAreIndexedAndOnlyTheCandidateIsAsked) {
  auto fleet = Fleet();
  Dispatcher d(fleet);
  EXPECT_TRUE(d.indexed());
  EXPECT_EQ(NameOf(d, "/v1/p7/items"), "p7");
  EXPECT_EQ(NameOf(d, "/v1/p7/items/abc"), "p7");
  EXPECT_EQ(NameOf(d, "/v1/p%37/items/abc"), "p7");  // keys are decoded segments
  EXPECT_EQ(NameOf(d, "/v1/p19/items/x%2Fy"), "p19");
  EXPECT_EQ(NameOf(d, "/v1/p7/items/"), "-");  // the candidate turns it down
  EXPECT_EQ(NameOf(d, "/v1/p99/items"), "-");
  EXPECT_EQ(NameOf(d, "/v1"), "-");               // shorter than the key
  EXPECT_EQ(NameOf(d, "/v1/p7/items/%zz"), "-");  // undecodable: every endpoint says no
  int asked = 0;
  for (const auto& e : fleet) asked += static_cast<FakeEndpoint&>(*e).asked;
  // Found by key: p7 three times and p19 once, then the trailing slash; the bad escape asks all.
  EXPECT_EQ(asked, 5 + 20);
}

TEST(Dispatcher, FirstRegisteredWinsAndVariablesStopTheKey) {
  std::vector<std::shared_ptr<Endpoint>> eps = Fleet();
  // A claim with a variable second segment makes the key one segment long.
  eps.push_back(std::make_shared<FakeEndpoint>("wild", std::vector<std::string>{"/v1/{any}/x"}));
  Dispatcher d(eps);
  EXPECT_TRUE(d.indexed());
  EXPECT_EQ(NameOf(d, "/v1/p3/items"), "p3");
  EXPECT_EQ(NameOf(d, "/v1/anything/x"), "wild");
  EXPECT_EQ(NameOf(d, "/v2/anything/x"), "-");
}

TEST(Dispatcher, FallsBackToAskingInOrder) {
  // An endpoint that may match beyond its claims turns the index off.
  auto eps = Fleet();
  eps.push_back(std::make_shared<FakeEndpoint>("free", std::vector<std::string>{"/z"}, false));
  Dispatcher d(eps);
  EXPECT_FALSE(d.indexed());
  EXPECT_EQ(NameOf(d, "/v1/p3/items/1"), "p3");
  // A claim that starts with a variable does too, and so do a few endpoints.
  std::vector<std::shared_ptr<Endpoint>> var = Fleet();
  var.push_back(std::make_shared<FakeEndpoint>("root", std::vector<std::string>{"/{x}"}));
  EXPECT_FALSE(Dispatcher(var).indexed());
  std::vector<std::shared_ptr<Endpoint>> few(var.begin(), var.begin() + 3);
  Dispatcher small(few);
  EXPECT_FALSE(small.indexed());
  EXPECT_EQ(NameOf(small, "/v1/p2/items"), "p2");
  EXPECT_EQ(NameOf(small, "/v1/p3/items"), "-");
}

}  // namespace
}  // namespace capstan::exposes
