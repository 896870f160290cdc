#include "exposes/mcp/session.hpp"

#include <gtest/gtest.h>

namespace capstan::mcp {
namespace {

TEST(SessionStore, IdsAreSignedVisibleAscii) {
  SessionStore store({"shared-key", 100, std::chrono::seconds(60)});
  std::string id = store.NewId();
  EXPECT_EQ(id.size(), 65u);
  for (char c : id) EXPECT_TRUE(c >= 0x21 && c <= 0x7E);
  EXPECT_TRUE(store.Verify(id));
  EXPECT_NE(store.NewId(), id);
  std::string tampered = id;
  tampered[3] = tampered[3] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(store.Verify(tampered));
  EXPECT_FALSE(store.Verify("not-a-session"));
}

TEST(SessionStore, ReplicasSharingTheKeyAcceptEachOthersIds) {
  SessionStore a({"shared-key", 100, std::chrono::seconds(60)});
  SessionStore b({"shared-key", 100, std::chrono::seconds(60)});
  SessionStore other({"another-key", 100, std::chrono::seconds(60)});
  auto session = a.Create("2025-06-18", json::object());
  SessionStore::Lookup outcome;
  auto adopted = b.Find(session->id, outcome, "2025-06-18");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(outcome, SessionStore::Lookup::kFound);
  EXPECT_EQ(adopted->protocol_version, "2025-06-18");
  EXPECT_EQ(other.Find(session->id, outcome, ""), nullptr);
  EXPECT_EQ(outcome, SessionStore::Lookup::kUnknown);
}

TEST(SessionStore, TerminatedSessionsStayGone) {
  SessionStore store({"k", 100, std::chrono::seconds(60)});
  auto session = store.Create("2025-11-25", json::object());
  EXPECT_TRUE(store.Terminate(session->id));
  EXPECT_TRUE(session->terminated());
  SessionStore::Lookup outcome;
  EXPECT_EQ(store.Find(session->id, outcome, ""), nullptr);
  EXPECT_EQ(outcome, SessionStore::Lookup::kTerminated);
}

TEST(SessionStore, RandomKeyPerProcessByDefault) {
  SessionStore a({"", 100, std::chrono::seconds(60)});
  SessionStore b({"", 100, std::chrono::seconds(60)});
  EXPECT_TRUE(a.Verify(a.NewId()));
  EXPECT_FALSE(b.Verify(a.NewId()));
}

TEST(SessionStore, EvictsTheLeastRecentlyUsedBeyondTheCap) {
  SessionStore store({"k", 2, std::chrono::seconds(60)});
  auto first = store.Create("2025-11-25", json::object());
  auto second = store.Create("2025-11-25", json::object());
  auto third = store.Create("2025-11-25", json::object());
  EXPECT_TRUE(first->terminated());
  EXPECT_LE(store.size(), 2u);
}

TEST(EventStream, KeepsEventsForResumption) {
  EventStream stream("s1");
  stream.Push("a");
  stream.Push("b");
  auto all = stream.Since(0);
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.events[0].first, 1u);
  EXPECT_FALSE(all.complete);
  stream.RequestClose();
  stream.Push("c");
  stream.Complete();
  stream.Push("ignored");
  auto rest = stream.Since(2);
  ASSERT_EQ(rest.events.size(), 1u);
  EXPECT_EQ(rest.events[0].second, "c");
  EXPECT_TRUE(rest.complete);
  EXPECT_TRUE(rest.close_requested);
  EXPECT_FALSE(stream.Since(3).close_requested);
}

TEST(Session, StandaloneStreamIsUnique) {
  Session session;
  auto one = std::make_shared<EventStream>("g1");
  auto two = std::make_shared<EventStream>("g2");
  EXPECT_TRUE(session.OpenStandalone(one));
  EXPECT_FALSE(session.OpenStandalone(two));
  session.SendUnrelated("x");
  EXPECT_EQ(one->Since(0).events.size(), 1u);
  session.CloseStandalone(one.get());
  EXPECT_TRUE(session.OpenStandalone(two));
  session.Terminate();
  EXPECT_TRUE(two->Since(0).complete);
}

TEST(RequestState, SealedStateOpensOnlyUnaltered) {
  std::string token = SealState("round-2:Ada");
  EXPECT_EQ(OpenState(token), "round-2:Ada");
  EXPECT_EQ(OpenState(token + "-TAMPERED"), std::nullopt);
  std::string flipped = token;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_EQ(OpenState(flipped), std::nullopt);
  EXPECT_EQ(OpenState(""), std::nullopt);
  EXPECT_EQ(OpenState(SealState("")), "");
}

TEST(LogLevels, RoundTrip) {
  EXPECT_EQ(LogLevelIndex("debug"), 0);
  EXPECT_EQ(LogLevelIndex("emergency"), 7);
  EXPECT_EQ(LogLevelIndex("verbose"), -1);
  EXPECT_EQ(LogLevelName(3), "warning");
}

}  // namespace
}  // namespace capstan::mcp
