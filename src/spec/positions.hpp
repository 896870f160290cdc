// Where each value of a loaded document came from: a side table from JSON Pointer (RFC 6901) to the
// line and column of every node and every mapping key, plus small JSON Pointer helpers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.hpp"
#include "spec/diagnostic.hpp"

namespace capstan::spec {

namespace json = core::json;

struct Position {
  int line = 0;  // 1-based
  int column = 0;
};

class PositionTable {
 public:
  PositionTable() = default;
  explicit PositionTable(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  std::size_t size() const { return values_.size() + keys_.size(); }

  // Records where the node at `pointer` starts / where its key (for object members) starts.
  void SetValue(const std::string& pointer, Position position) { values_[pointer] = position; }
  void SetKey(const std::string& pointer, Position position) { keys_[pointer] = position; }

  [[nodiscard]] std::optional<Position> FindValue(const std::string& pointer) const;
  [[nodiscard]] std::optional<Position> FindKey(const std::string& pointer) const;

  // Returns the key position when `pointer` names an object member, otherwise the node position.
  // An unknown pointer falls back to its nearest known ancestor (then to 1:1).
  [[nodiscard]] SourceLocation Locate(std::string_view pointer) const;
  // Like Locate, but prefers the position of the value over the position of its key.
  [[nodiscard]] SourceLocation LocateValue(std::string_view pointer) const;

 private:
  std::string file_;
  std::unordered_map<std::string, Position> values_;
  std::unordered_map<std::string, Position> keys_;
};

// Escapes one reference token ("~" → "~0", "/" → "~1").
[[nodiscard]] std::string EscapePointerToken(std::string_view token);
// Returns `base` + "/" + escaped `token`.
[[nodiscard]] std::string JoinPointer(std::string_view base, std::string_view token);
[[nodiscard]] std::string JoinPointer(std::string_view base, std::size_t index);
// Splits a pointer into unescaped tokens ("" → {}, "/a/b~1c" → {"a", "b/c"}).
[[nodiscard]] std::vector<std::string> SplitPointer(std::string_view pointer);
// Returns the node `pointer` designates inside `root`, or nullptr.
[[nodiscard]] const json::value* ResolvePointer(const json::value& root, std::string_view pointer);

}  // namespace capstan::spec
