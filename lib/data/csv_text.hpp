// Small CSV files read whole (forecast CSVs, inventory state files):
// the whole file in memory, one record per line, RFC 4180 quoting, and
// numbers by std::from_chars.  Errors name the file and the line.  And the
// quoting of a field those files' writers share.
#pragma once

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "data/csv_fields.hpp"

namespace invforecast {

// A CSV field: quoted (RFC 4180) when it holds a separator, quote or line break.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

class CsvText {
 public:
  explicit CsvText(const std::string& path) : path_(path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) fail(ErrorCode::Io, "{}: cannot open: {}", path, std::strerror(errno));
    std::ostringstream bytes;
    bytes << file.rdbuf();
    if (file.bad()) fail(ErrorCode::Io, "{}: cannot read", path);
    text_ = std::move(bytes).str();
    cursor_.emplace(text_);
  }
  CsvText(const CsvText&) = delete;  // the cursor points into text_
  CsvText& operator=(const CsvText&) = delete;

  // Reads the next non-empty line into `fields`; false at the end of the file.
  bool next(std::vector<std::string>& fields) {
    std::string_view record;
    if (!cursor_->next(record)) return false;
    csv::SplitError bad{};
    if (!csv::split_fields(record, split_, bad))
      fail(ErrorCode::Parse, "{}:{}: field {}: malformed quoted field", path_, line(),
           bad.field + 1);
    fields.assign(split_.views.begin(), split_.views.end());
    return true;
  }

  size_t line() const { return cursor_->line_number(); }
  const std::string& path() const { return path_; }

  // A finite number, or Error(Parse) naming the file, line and column.
  double number(const std::string& field, std::string_view column) const {
    double value = 0.0;
    const char* first = field.data();
    const char* last = first + field.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (field.empty() || ec != std::errc{} || ptr != last || !std::isfinite(value))
      fail(ErrorCode::Parse, "{}:{}: column '{}': '{}' is not a finite number", path_, line(),
           column, field);
    return value;
  }

 private:
  std::string path_;
  std::string text_;
  std::optional<csv::LineCursor> cursor_;  // over text_, set once it is read
  csv::Fields split_;
};

}  // namespace invforecast
