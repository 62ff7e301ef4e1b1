// CSV lines and fields, shared by the dataset reader and the C ABI's small
// CSV files (forecasts, inventory states): non-blank lines counted from 1,
// and RFC 4180 quoting within a line, as views into the text.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace invforecast::csv {

inline std::string_view trim_trailing_cr(std::string_view line) {
  return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
}

// Splits the text into non-blank lines, counting physical lines from 1.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text)
      : next_(text.data()), end_(text.data() + text.size()) {}

  bool next(std::string_view& line) {
    while (next_ < end_) {
      const auto* newline =
          static_cast<const char*>(std::memchr(next_, '\n', static_cast<size_t>(end_ - next_)));
      const char* stop = newline != nullptr ? newline : end_;
      line = trim_trailing_cr(std::string_view(next_, static_cast<size_t>(stop - next_)));
      next_ = newline != nullptr ? newline + 1 : end_;
      ++number_;
      if (!line.empty()) return true;
    }
    return false;
  }
  uint64_t line_number() const { return number_; }

 private:
  const char* next_;
  const char* end_;
  uint64_t number_ = 0;
};

// One CSV record's fields.  Quoted fields ("a,b", "say ""hi""") are
// supported within a line; a field with doubled quotes is unescaped into a
// scratch string; in_file() tells views into the file from those.
struct Fields {
  std::vector<std::string_view> views;
  std::deque<std::string> scratch;  // a deque: growing it keeps earlier views valid
};

struct SplitError {
  size_t field;  // 0-based index of the bad field
};

// Returns false with `bad` set when a quoted field is not closed properly.
inline bool split_fields(std::string_view line, Fields& out, SplitError& bad) {
  out.views.clear();
  const char* p = line.data();
  const char* const end = line.data() + line.size();
  while (true) {
    const size_t index = out.views.size();
    if (p < end && *p == '"') {
      const char* start = p + 1;
      const char* q = start;
      bool escaped = false;
      while (true) {
        q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
        if (q == nullptr) {
          bad.field = index;
          return false;
        }
        if (q + 1 < end && q[1] == '"') {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      if (q + 1 < end && q[1] != ',') {
        bad.field = index;
        return false;
      }
      std::string_view raw(start, static_cast<size_t>(q - start));
      if (escaped) {
        if (out.scratch.size() <= index) out.scratch.resize(index + 1);
        std::string& s = out.scratch[index];
        s.clear();
        for (size_t i = 0; i < raw.size(); ++i) {
          s.push_back(raw[i]);
          if (raw[i] == '"') ++i;  // skip the second quote of a pair
        }
        out.views.emplace_back(s);
      } else {
        out.views.push_back(raw);
      }
      p = q + 1;
    } else {
      // Fields are short: a plain loop beats a memchr call per field.
      const char* stop = p;
      while (stop < end && *stop != ',') ++stop;
      out.views.emplace_back(p, static_cast<size_t>(stop - p));
      p = stop;
    }
    if (p >= end) return true;
    ++p;  // past the comma; a trailing comma yields a final empty field
    if (p == end) {
      out.views.emplace_back(end, 0);
      return true;
    }
  }
}

}  // namespace invforecast::csv
