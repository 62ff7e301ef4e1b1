// The one CSV tokenizer (RFC 4180), shared by the dataset reader and the
// C ABI's CSV files (forecasts, inventory states, open orders): records as
// views into the text, quoted fields with "" escapes and with commas and line
// breaks inside, CRLF or LF line ends, blank lines skipped, and physical line
// numbers counted from 1 so that errors point at a record's first line.
// Outside quotes a quote is an ordinary character (as pandas reads it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace invforecast::csv {

// The text without a leading UTF-8 byte-order mark.
inline std::string_view without_bom(std::string_view text) {
  return text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;
}

// A field quoted when it holds a separator, a quote or a line break.
inline std::string quoted(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// One record's fields.  A quoted field is a view into the text between its
// quotes, or, when it holds doubled quotes, its unescaped copy in scratch.
struct Fields {
  std::vector<std::string_view> views;
  std::deque<std::string> scratch;  // a deque: growing it keeps earlier views valid
};

// Why a record could not be split, and in which field (0-based).
struct Malformed {
  enum class Kind { Unterminated, TextAfterQuote } kind;
  size_t field;
  const char* problem() const {
    return kind == Kind::Unterminated
               ? "unterminated quoted field: no closing quote before the end of the file"
               : "malformed quoted field: text after its closing quote";
  }
};

class Cursor {
 public:
  enum class Next { Record, End, Malformed };

  explicit Cursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // The next non-blank record into `fields`; End after the last; Malformed
  // with `bad` set (and the cursor unusable) when a quoted field is broken.
  Next next(Fields& fields, Malformed& bad) {
    while (p_ < end_ && at_line_end(p_)) skip_line_end();
    if (p_ >= end_) return Next::End;
    record_line_ = line_;
    record_start_ = p_;
    fields.views.clear();
    // Most records are one line: its end is found once (memchr), and fields
    // are split up to it; a quoted field may move it further.
    const char* eol = newline_from(p_);
    while (true) {
      const size_t index = fields.views.size();
      if (p_ < eol && *p_ == '"') {
        if (!quoted_field(fields, index, bad)) return Next::Malformed;
        if (p_ > eol) eol = newline_from(p_);
      } else {
        // Fields are short: a plain loop beats a memchr call per field.
        const char* stop = p_;
        while (stop < eol && *stop != ',') ++stop;
        const char* last = stop;
        if (stop == eol && last > p_ && last[-1] == '\r') --last;  // CRLF
        fields.views.emplace_back(p_, static_cast<size_t>(last - p_));
        p_ = stop;
      }
      if (p_ < eol && *p_ == ',') {
        ++p_;  // a trailing comma yields a final empty field
        continue;
      }
      record_end_ = p_;
      p_ = eol;
      if (p_ < end_) {
        ++p_;
        ++line_;
      }
      return Next::Record;
    }
  }

  // The first physical line (from 1) of the record last returned.
  uint64_t line() const { return record_line_; }
  // Line breaks passed so far.
  uint64_t line_breaks() const { return line_ - 1; }
  // The record last returned, as in the text, without its line break.
  std::string_view record() const {
    return {record_start_, static_cast<size_t>(record_end_ - record_start_)};
  }
  // Where the next record would start.
  const char* position() const { return p_; }

 private:
  const char* newline_from(const char* p) const {
    const void* found = std::memchr(p, '\n', static_cast<size_t>(end_ - p));
    return found != nullptr ? static_cast<const char*>(found) : end_;
  }
  // At a '\n', or at a '\r' that ends the line.
  bool at_line_end(const char* p) const {
    return *p == '\n' || (*p == '\r' && (p + 1 == end_ || p[1] == '\n'));
  }
  void skip_line_end() {
    if (*p_ == '\r') ++p_;
    if (p_ < end_) {
      ++p_;  // the '\n'
      ++line_;
    }
  }

  bool quoted_field(Fields& fields, size_t index, Malformed& bad) {
    const char* start = p_ + 1;
    const char* q = start;
    bool escaped = false;
    while (true) {
      q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end_ - q)));
      if (q == nullptr) {
        bad = {Malformed::Kind::Unterminated, index};
        return false;
      }
      if (q + 1 < end_ && q[1] == '"') {
        escaped = true;
        q += 2;
        continue;
      }
      break;
    }
    p_ = q + 1;
    if (p_ < end_ && *p_ != ',' && !at_line_end(p_)) {
      bad = {Malformed::Kind::TextAfterQuote, index};
      return false;
    }
    const std::string_view raw(start, static_cast<size_t>(q - start));
    line_ += static_cast<uint64_t>(std::count(raw.begin(), raw.end(), '\n'));
    if (!escaped) {
      fields.views.push_back(raw);
      return true;
    }
    if (fields.scratch.size() <= index) fields.scratch.resize(index + 1);
    std::string& s = fields.scratch[index];
    s.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      s.push_back(raw[i]);
      if (raw[i] == '"') ++i;  // skip the second quote of a pair
    }
    fields.views.emplace_back(s);
    return true;
  }

  const char* p_;
  const char* end_;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  const char* record_start_ = nullptr;
  const char* record_end_ = nullptr;
};

// Where a record starts at or after `from`: just past the first line break
// there that an even number of quotes precedes.  In a well-formed file that
// is a record boundary; a quote inside an unquoted field can fool it, which a
// parse of the text before the cut then shows as an unterminated quote.
// Successive calls must not go backwards.
class RecordBoundaries {
 public:
  explicit RecordBoundaries(std::string_view text) : text_(text) {}

  size_t after(size_t from) {
    skip_quotes_to(from);
    while (true) {
      const size_t newline = text_.find('\n', scanned_);
      const size_t quote = next_quote(scanned_);
      if (!inside_ && newline < quote)
        return newline == std::string_view::npos ? text_.size() : newline + 1;
      if (quote == std::string_view::npos) return text_.size();
      inside_ = !inside_;
      scanned_ = quote + 1;
    }
  }

 private:
  size_t next_quote(size_t from) const {
    if (from >= text_.size()) return std::string_view::npos;
    const void* q = std::memchr(text_.data() + from, '"', text_.size() - from);
    return q == nullptr ? std::string_view::npos
                        : static_cast<size_t>(static_cast<const char*>(q) - text_.data());
  }
  void skip_quotes_to(size_t to) {
    for (size_t q = next_quote(scanned_); q < to; q = next_quote(q + 1)) inside_ = !inside_;
    scanned_ = std::max(scanned_, to);
  }

  std::string_view text_;
  size_t scanned_ = 0;
  bool inside_ = false;
};

}  // namespace invforecast::csv
