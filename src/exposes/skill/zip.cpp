#include "exposes/skill/zip.hpp"

#include <memory>

#include <zip.h>

namespace capstan::skill {

using core::ErrorCode;
using core::Fail;

namespace {

// 2026-01-01 00:00 UTC: every entry's modification time (archives are reproducible).
constexpr time_t kEntryTime = 1767225600;

std::string SourceError(zip_source_t* source) {
  const char* text = zip_error_strerror(zip_source_error(source));
  return text ? text : "unknown libzip error";
}

}  // namespace

core::Result<std::string> MakeZip(const std::vector<ZipEntry>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) {
    zip_error_fini(&error);
    return Fail(ErrorCode::kInternal, "zip: cannot create a buffer");
  }
  zip_source_keep(buffer);  // read back after zip_close
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buffer, &zip_source_free);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  zip_error_fini(&error);
  if (archive == nullptr) return Fail(ErrorCode::kInternal, "zip: cannot open an archive");
  for (const ZipEntry& e : entries) {
    zip_source_t* data = zip_source_buffer(archive, e.bytes.data(), e.bytes.size(), 0);
    if (data == nullptr) {
      zip_discard(archive);
      return Fail(ErrorCode::kInternal, "zip: cannot add " + e.name);
    }
    zip_int64_t index = zip_file_add(archive, e.name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(data);
      std::string why = zip_strerror(archive);
      zip_discard(archive);
      return Fail(ErrorCode::kInternal, "zip: cannot add " + e.name + ": " + why);
    }
    const auto i = static_cast<zip_uint64_t>(index);
    if (zip_file_set_mtime(archive, i, kEntryTime, 0) != 0 ||
        zip_set_file_compression(archive, i, ZIP_CM_DEFLATE, 9) != 0) {
      std::string why = zip_strerror(archive);
      zip_discard(archive);
      return Fail(ErrorCode::kInternal, "zip: " + e.name + ": " + why);
    }
  }
  if (zip_close(archive) != 0) {
    std::string why = zip_strerror(archive);
    zip_discard(archive);
    return Fail(ErrorCode::kInternal, "zip: cannot write the archive: " + why);
  }
  if (zip_source_open(buffer) != 0) {
    return Fail(ErrorCode::kInternal, "zip: cannot read the archive: " + SourceError(buffer));
  }
  std::string out;
  char chunk[16384];
  for (;;) {
    zip_int64_t n = zip_source_read(buffer, chunk, sizeof chunk);
    if (n < 0) {
      zip_source_close(buffer);
      return Fail(ErrorCode::kInternal, "zip: cannot read the archive: " + SourceError(buffer));
    }
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  zip_source_close(buffer);
  return out;
}

core::Result<std::vector<std::pair<std::string, std::string>>> ReadZip(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return Fail(ErrorCode::kInvalidArgument, "zip: cannot read the buffer");
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  std::string why = zip_error_strerror(&error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return Fail(ErrorCode::kInvalidArgument, "zip: not an archive: " + why);
  }
  std::vector<std::pair<std::string, std::string>> out;
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    if (zip_stat_index(archive, index, 0, &st) != 0) continue;
    if (st.size > (zip_uint64_t{64} << 20)) {
      zip_close(archive);
      return Fail(ErrorCode::kInvalidArgument, "zip: an entry over 64 MiB");
    }
    zip_file_t* f = zip_fopen_index(archive, index, 0);
    if (f == nullptr) {
      zip_close(archive);
      return Fail(ErrorCode::kInvalidArgument, "zip: cannot open an entry");
    }
    std::string data(static_cast<std::size_t>(st.size), '\0');
    const zip_int64_t n = zip_fread(f, data.data(), st.size);
    zip_fclose(f);
    if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) {
      zip_close(archive);
      return Fail(ErrorCode::kInvalidArgument, "zip: a short entry");
    }
    out.emplace_back(st.name, std::move(data));
  }
  zip_close(archive);
  return out;
}

}  // namespace capstan::skill
