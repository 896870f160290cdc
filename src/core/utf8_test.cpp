#include "core/utf8.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace capstan::core {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string Lossy(std::string_view text) {
  std::string out = "[";
  AppendValidUtf8(out, text);
  return out + "]";
}

TEST(Utf8Test, WellFormedTextIsFoundValidAndCopiedAsItIs) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("plain ascii"), std::string_view("caf\xC3\xA9"),
        std::string_view("\xE2\x82\xAC 20"), std::string_view("\xF0\x9F\x98\x80"),
        std::string_view("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"), std::string_view("\x00\x7F", 2)}) {
    EXPECT_EQ(FindInvalidUtf8(text), std::string_view::npos) << text;
    EXPECT_EQ(Lossy(text), "[" + std::string(text) + "]");
  }
}

TEST(Utf8Test, FindsEachKindOfIllFormedSequence) {
  struct Case {
    std::string_view text;
    std::size_t at;
  };
  for (const Case& c : {
           Case{"\x80", 0},              // a continuation byte alone
           Case{"ab\xC0\xAF", 2},        // overlong (C0, C1 never start a sequence)
           Case{"\xE0\x80\xAF", 0},      // overlong three-byte form
           Case{"\xF0\x80\x80\xAF", 0},  // overlong four-byte form
           Case{"x\xED\xA0\x80", 1},     // a surrogate (U+D800)
           Case{"\xF4\x90\x80\x80", 0},  // above U+10FFFF
           Case{"\xF5\x80\x80\x80", 0},  // F5..FF never start a sequence
           Case{"\xFF", 0},              // likewise
           Case{"ok\xE2\x82", 2},        // cut short at the end
           Case{"\xC3\xA9\xC3(", 2},     // a lead byte followed by ASCII
       }) {
    EXPECT_EQ(FindInvalidUtf8(c.text), c.at) << c.at;
  }
}

TEST(Utf8Test, FindsTheOffsetInEveryPositionOfASimdBlock) {
  for (std::size_t at = 0; at < 48; ++at) {
    std::string text(48, 'a');
    text[at] = '\xFF';
    EXPECT_EQ(FindInvalidUtf8(text), at);
    if (at + 2 > 48) continue;
    std::string valid(48, 'a');
    valid.replace(at, 2, "\xC3\xA9");  // é across a block boundary when at is 15 or 31
    EXPECT_EQ(FindInvalidUtf8(valid), std::string_view::npos) << at;
  }
}

TEST(Utf8Test, ReplacesMaximalSubpartsAsUnicodeTable3_8) {
  // Unicode 15 §3.9, Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  const std::string r(kReplacement);
  EXPECT_EQ(Lossy("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "[a" + r + r + r + "b" + r + "c" + r + r + "d]");
  // An overlong or surrogate lead gives one replacement per byte: its second byte is out of range.
  EXPECT_EQ(Lossy("\xE0\x80\x80"), "[" + r + r + r + "]");
  EXPECT_EQ(Lossy("\xED\xA0\x80"), "[" + r + r + r + "]");
  EXPECT_EQ(Lossy("\xE2\x82"), "[" + r + "]");
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// 389 byte strings built from the bytes at the well-formedness boundaries, and what CPython's
// decoder (errors="replace", maximal subparts) makes of them: see the file's header.
TEST(Utf8Test, ReplacesAsCPythonsDecoderDoes) {
  const auto path = std::filesystem::path(CAPSTAN_SOURCE_DIR) / "src" / "core" / "testdata" /
                    "utf8_replacement.txt";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string input;
    std::string expected;
    fields >> input >> expected;
    const std::string text = FromHex(input);
    std::string out;
    AppendValidUtf8(out, text);
    EXPECT_EQ(out, FromHex(expected)) << input;
    EXPECT_EQ(FindInvalidUtf8(out), std::string_view::npos) << input;
    EXPECT_EQ(FindInvalidUtf8(text) == std::string_view::npos, text == out) << input;
    ++cases;
  }
  EXPECT_GT(cases, 380);
}

}  // namespace
}  // namespace capstan::core
