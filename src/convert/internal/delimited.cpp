// CSV, TSV and PSV to JSON with libcsv (RFC 4180 quoting, strict mode), in the shape Jackson's
// CsvMapper gives the reference engine with a header schema: an array with one object per row,
// header → value, every value a string. Empty lines are skipped; a row with more fields than the
// header is an error (Jackson: "Too many entries"), one with fewer has only its fields.
#include <string>
#include <vector>

#include <csv.h>

#include "convert/internal/formats.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

// Fields are kept as they are: libcsv would otherwise trim spaces and tabs, and a tab is TSV's
// separator.
int NoSpace(unsigned char) { return 0; }

struct Rows {
  const Limits* limits = nullptr;
  Budget* budget = nullptr;
  std::vector<std::string> header;
  std::vector<std::string> fields;
  json::array out;
  std::size_t row = 0;  // rows seen, header included
  core::Status status;

  void EndRow() {
    ++row;
    if (!status) return;
    if (row == 1) {
      header = std::move(fields);
      fields.clear();
      return;
    }
    if (fields.size() > header.size()) {
      status = Fail(ErrorCode::kUpstreamError,
                    "row " + std::to_string(row) + " has " + std::to_string(fields.size()) +
                        " fields, the header " + std::to_string(header.size()));
      return;
    }
    if (auto taken = budget->Take(1); !taken) {
      status = std::move(taken);
      return;
    }
    json::object object;
    object.reserve(fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (auto taken = budget->Take(2); !taken) {
        status = std::move(taken);
        return;
      }
      object[header[i]] = json::string(fields[i]);
    }
    out.emplace_back(std::move(object));
    fields.clear();
  }
};

void OnField(void* data, std::size_t size, void* user) {
  auto* rows = static_cast<Rows*>(user);
  rows->fields.emplace_back(static_cast<const char*>(data), size);
}

void OnRow(int, void* user) { static_cast<Rows*>(user)->EndRow(); }

class DelimitedConverter final : public Converter {
 public:
  DelimitedConverter(Format format, char separator, Limits limits)
      : format_(format), separator_(separator), limits_(limits) {}

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    CAPSTAN_RETURN_IF_ERROR(CheckUtf8(body, format_));
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
      return Fail(ErrorCode::kInternal, std::string(FormatName(format_)) + ": out of memory");
    }
    csv_set_delim(&parser, static_cast<unsigned char>(separator_));
    csv_set_space_func(&parser, NoSpace);
    Budget budget(limits_);
    Rows rows;
    rows.limits = &limits_;
    rows.budget = &budget;
    const std::size_t used = csv_parse(&parser, body.data(), body.size(), OnField, OnRow, &rows);
    int error = used == body.size() ? 0 : csv_error(&parser);
    if (error == 0 && csv_fini(&parser, OnField, OnRow, &rows) != 0) error = csv_error(&parser);
    csv_free(&parser);
    if (error != 0) {
      return Fail(ErrorCode::kUpstreamError, std::string(FormatName(format_)) + ": " +
                                                 csv_strerror(error) + " (near row " +
                                                 std::to_string(rows.row + 1) + ")");
    }
    if (!rows.status) {
      return Fail(rows.status.error().code,
                  std::string(FormatName(format_)) + ": " + rows.status.error().message);
    }
    return json::value(std::move(rows.out));
  }

  Format format() const override { return format_; }

 private:
  Format format_;
  char separator_;
  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeDelimited(Format format, char separator, Limits limits) {
  return std::make_unique<DelimitedConverter>(format, separator, limits);
}

}  // namespace capstan::convert::internal
