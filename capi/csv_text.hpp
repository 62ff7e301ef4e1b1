// Small CSV files read by the C ABI (forecast CSVs, inventory state files):
// the whole file in memory, one record per line, RFC 4180 quoting, and
// numbers by std::from_chars.  Errors name the file and the line.
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

namespace invforecast::capi {

class CsvText {
 public:
  explicit CsvText(const char* path) : path_(path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) fail(ErrorCode::Io, "{}: cannot open: {}", path, std::strerror(errno));
    std::ostringstream bytes;
    bytes << file.rdbuf();
    if (file.bad()) fail(ErrorCode::Io, "{}: cannot read", path);
    text_ = std::move(bytes).str();
  }

  // Reads the next non-empty line into `fields`; false at the end of the file.
  bool next(std::vector<std::string>& fields) {
    while (position_ < text_.size()) {
      size_t end = text_.find('\n', position_);
      if (end == std::string::npos) end = text_.size();
      std::string_view line(text_.data() + position_, end - position_);
      position_ = end + 1;
      ++line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      split(line, fields);
      return true;
    }
    return false;
  }

  size_t line() const { return line_; }
  const std::string& path() const { return path_; }

  // A finite number, or Error(Parse) naming the file, line and column.
  double number(const std::string& field, std::string_view column) const {
    double value = 0.0;
    const char* first = field.data();
    const char* last = first + field.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (field.empty() || ec != std::errc{} || ptr != last || !std::isfinite(value))
      fail(ErrorCode::Parse, "{}:{}: column '{}': '{}' is not a finite number", path_, line_,
           column, field);
    return value;
  }

 private:
  void split(std::string_view line, std::vector<std::string>& fields) const {
    fields.clear();
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c != '"') {
          field += c;
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else if (c == '"' && field.empty()) {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
      } else {
        field += c;
      }
    }
    if (quoted) fail(ErrorCode::Parse, "{}:{}: unterminated quoted field", path_, line_);
    fields.push_back(std::move(field));
  }

  std::string path_;
  std::string text_;
  size_t position_ = 0;
  size_t line_ = 0;
};

}  // namespace invforecast::capi
