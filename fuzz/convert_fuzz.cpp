// libFuzzer target for the text converters of convert::Converter (xml, yaml, csv, tsv, psv, html,
// markdown). Input: byte 0 picks the format (and, for html and markdown, one of a few selectors
// or heading prefixes); the rest is the upstream body. Checks: no crash, no leak, no unbounded
// growth (small limits), and every success is a tree that serialises and parses back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "convert/convert.hpp"
#include "core/json.hpp"
#include "json_result_check.hpp"

namespace {

namespace convert = capstan::convert;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr std::array kFormats = {
    convert::Format::kXml, convert::Format::kYaml, convert::Format::kCsv,     convert::Format::kTsv,
    convert::Format::kPsv, convert::Format::kHtml, convert::Format::kMarkdown};
constexpr std::array<std::string_view, 4> kSchemas = {"", "table#t", "div.a > table, [x=y]",
                                                      "Ships"};

const convert::Converter& ConverterFor(std::uint8_t selector) {
  static const auto converters = [] {
    std::array<std::array<std::unique_ptr<const convert::Converter>, kSchemas.size()>,
               kFormats.size()>
        all;
    const convert::Limits limits{.max_input_bytes = 1 << 16, .max_depth = 32, .max_nodes = 4096};
    for (std::size_t f = 0; f < kFormats.size(); ++f) {
      for (std::size_t s = 0; s < kSchemas.size(); ++s) {
        const bool selects = kFormats[f] == convert::Format::kHtml && s < 3;
        const bool prefixes = kFormats[f] == convert::Format::kMarkdown;
        auto made = convert::Converter::Create(
            kFormats[f], selects || prefixes ? kSchemas[s] : std::string_view(), "", limits);
        Check(made.has_value());
        all[f][s] = std::move(*made);
      }
    }
    return all;
  }();
  return *converters[selector % kFormats.size()][(selector / kFormats.size()) % kSchemas.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const convert::Converter& converter = ConverterFor(data[0]);
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto out = converter.ToJson(body);
  capstan::fuzzing::CheckJsonResult(out);
  return 0;
}
