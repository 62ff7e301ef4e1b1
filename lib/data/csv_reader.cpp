// Long CSV reader: the whole (decompressed) file is held in one buffer and
// parsed in place with string_views, so no cell allocates.  Series ids and
// categorical levels are interned; a cell equal to the one above it reuses
// the previous parse, which makes the common sorted long format cheap.
// Large inputs are cut into slices of whole records parsed on several threads
// and merged in file order, so results and errors match a sequential pass.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <unordered_map>

#include "core/number_text.hpp"
#include "error.hpp"
#include "core/thread_pool.hpp"
#include "data/dataset.hpp"
#include "io/csv.hpp"
#include "io/mapped_file.hpp"

namespace invforecast {
namespace {

using csv::Cursor;
using csv::Fields;

std::string shorten(std::string_view text) {
  return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 37)) + "...";
}

// Dates of consecutive rows usually share year and month: the day number of
// the month's first day is kept, so most dates cost a compare and two digits.
class DateParser {
 public:
  std::optional<Day> parse(std::string_view text) {
    if (text.size() == 10 && std::memcmp(text.data(), prefix_, 8) == 0 && is_digit(text[8]) &&
        is_digit(text[9])) {
      const int day = (text[8] - '0') * 10 + (text[9] - '0');
      if (day >= 1 && day <= month_days_) return month_start_ + day - 1;
    }
    const std::optional<Day> parsed = parse_iso_date(text);
    if (parsed) {
      const CivilDate c = civil_from_days(*parsed);
      month_start_ = *parsed - (c.day - 1);
      const CivilDate next =
          c.month == 12 ? CivilDate{c.year + 1, 1, 1} : CivilDate{c.year, c.month + 1, 1};
      month_days_ = days_from_civil(next) - month_start_;
      std::memcpy(prefix_, text.data(), 8);
    }
    return parsed;
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  char prefix_[8] = {};  // "YYYY-MM-" of the cached month; never matches at first
  Day month_start_ = 0;
  int month_days_ = 0;
};

// Equality of short strings without a memcmp call.
bool same_text(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

bool parse_number(std::string_view text, double& out) {
  // Most cells are small non-negative integers (sales, flags): exact in a
  // double below 10^15, and much cheaper than from_chars.
  if (!text.empty() && text.size() <= 15) {
    uint64_t integer = 0;
    size_t i = 0;
    for (; i < text.size(); ++i) {
      const unsigned digit = static_cast<unsigned char>(text[i]) - unsigned{'0'};
      if (digit > 9) break;
      integer = integer * 10 + digit;
    }
    if (i == text.size()) {
      out = static_cast<double>(integer);
      return true;
    }
  }
  const std::optional<double> number = parse_double(text);
  if (number) out = *number;
  return number.has_value();
}

// Interning of short strings by string_view lookups (no allocation on a hit).
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TextIndex = std::unordered_map<std::string, int32_t, TextHash, std::equal_to<>>;

int32_t intern(TextIndex& index, std::vector<std::string>& texts, std::string_view text) {
  if (auto it = index.find(text); it != index.end()) return it->second;
  const auto code = static_cast<int32_t>(texts.size());
  texts.emplace_back(text);
  index.emplace(std::string(text), code);
  return code;
}

// A covariate column of one chunk: numeric until a non-empty cell fails to
// parse as a number, then categorical (the chunk's earlier rows are re-read).
struct ExtraColumn {
  size_t field = 0;
  bool numeric = true;
  size_t non_empty = 0;  // non-empty cells while numeric
  std::vector<double> numbers;
  std::vector<int32_t> codes;  // -1 = empty
  std::vector<std::string> levels;
  TextIndex level_index;
  std::string_view previous;  // previous cell when it points into the file buffer
  bool has_previous = false;
  double previous_number = 0.0;
  int32_t previous_code = -1;
  uint64_t first_infinite_line = 0;

  int32_t code_of(std::string_view text) {
    return text.empty() ? -1 : intern(level_index, levels, text);
  }
};

// A malformed row found while parsing a slice.  A slice knows only its own
// line numbers, so the merge adds the lines before it and names the file.
struct RowError {
  uint64_t line;  // within the slice, from 1
  std::string problem;
  bool unterminated_quote = false;  // the slice ends inside a quoted field
};

// The header: field names and where the required columns are.
struct Layout {
  std::vector<std::string> names;
  size_t series_field = 0, date_field = 0, value_field = 0;
  std::vector<size_t> extra_fields;

  [[noreturn]] void fail_at(uint64_t line, size_t field, std::string_view problem) const {
    throw RowError{line, fmt::format("column '{}': {}", names[field], problem)};
  }

  // The next record of the cursor into `fields`, checked against the
  // header; false at the end.
  bool next_checked(Cursor& cursor, Fields& fields) const {
    csv::Malformed bad{};
    const Cursor::Next next = cursor.next(fields, bad);
    if (next == Cursor::Next::End) return false;
    const uint64_t line = cursor.line();
    if (next == Cursor::Next::Malformed)
      throw RowError{line,
                     fmt::format("column '{}': {}", names[std::min(bad.field, names.size() - 1)],
                                 bad.problem()),
                     bad.kind == csv::Malformed::Kind::Unterminated};
    if (fields.views.size() < names.size())
      throw RowError{line,
                     fmt::format("column '{}': missing field: expected {} fields, found {}",
                                 names[fields.views.size()], names.size(), fields.views.size())};
    if (fields.views.size() > names.size())
      throw RowError{line,
                     fmt::format("expected {} fields, found {} (extra field after column '{}')",
                                 names.size(), fields.views.size(), names.back())};
    return true;
  }
};

// Parses the rows of one slice of the file (whole records), numbering lines
// from 1 at the slice's start.  Chunks run on the thread pool; the first
// error of a chunk ends it and is kept, so the merge can report the first
// problem in file order.
class Chunk {
 public:
  Chunk(const Layout& layout, std::string_view text) : layout_(layout), text_(text) {}

  void parse() {
    try {
      const size_t estimate = estimate_rows();
      days.reserve(estimate);
      values.reserve(estimate);
      lines.reserve(estimate);
      series.reserve(estimate);
      extras.resize(layout_.extra_fields.size());
      for (size_t c = 0; c < extras.size(); ++c) {
        extras[c].field = layout_.extra_fields[c];
        extras[c].numbers.reserve(estimate);
      }
      Cursor cursor(text_);
      Fields fields;
      while (layout_.next_checked(cursor, fields)) read_row(cursor.line(), fields);
      line_count = cursor.line_breaks();
    } catch (RowError& e) {
      row_error = std::move(e);
    } catch (...) {
      error = std::current_exception();
    }
  }

  // Turns a column categorical after the fact (another chunk saw text in it).
  void make_categorical(ExtraColumn& column) const {
    column.numeric = false;
    if (column.non_empty == 0) {  // all cells empty: nothing to re-read
      column.codes.assign(column.numbers.size(), -1);
      std::vector<double>().swap(column.numbers);
      return;
    }
    reread_as_text(column, column.numbers.size());
  }

  std::vector<std::string> series_ids;  // local numbering, first appearance order
  std::vector<uint32_t> series;
  std::vector<Day> days;
  std::vector<double> values;
  std::vector<uint64_t> lines;  // within the slice
  std::vector<ExtraColumn> extras;
  uint64_t line_count = 0;  // line breaks in the slice, once parsed whole
  std::optional<RowError> row_error;
  std::exception_ptr error;  // anything else (out of memory)

 private:
  // Whether a field points into this slice of the file (not into scratch
  // space reused by the next row), so it may be kept for the next row.
  bool in_file(std::string_view field) const {
    return field.data() >= text_.data() && field.data() <= text_.data() + text_.size();
  }

  size_t estimate_rows() const {
    const size_t sample = std::min<size_t>(text_.size(), 1u << 16);
    const auto sampled = static_cast<size_t>(std::count(text_.data(), text_.data() + sample, '\n'));
    if (sample == 0 || sampled == 0) return 16;
    const double rows = static_cast<double>(text_.size()) / static_cast<double>(sample) *
                        static_cast<double>(sampled);
    return static_cast<size_t>(rows * 1.05) + 16;
  }

  void read_row(uint64_t line_number, const Fields& fields) {
    const std::string_view id = fields.views[layout_.series_field];
    if (!(has_previous_id_ && in_file(id) && same_text(id, previous_id_))) {
      if (id.empty()) layout_.fail_at(line_number, layout_.series_field, "empty series id");
      previous_series_ = static_cast<uint32_t>(intern(series_index_, series_ids, id));
      has_previous_id_ = in_file(id);
      previous_id_ = id;
    }

    const std::string_view date_text = fields.views[layout_.date_field];
    const std::optional<Day> day = dates_.parse(date_text);
    if (!day)
      layout_.fail_at(line_number, layout_.date_field,
                      date_text.empty() ? std::string("missing date")
                                        : fmt::format("cannot parse '{}' as a date YYYY-MM-DD",
                                                      shorten(date_text)));

    const std::string_view value_text = fields.views[layout_.value_field];
    double value = 0.0;
    if (value_text.empty()) layout_.fail_at(line_number, layout_.value_field, "missing value");
    if (!parse_number(value_text, value))
      layout_.fail_at(line_number, layout_.value_field,
                      fmt::format("cannot parse '{}' as a number", shorten(value_text)));

    for (ExtraColumn& column : extras) read_extra(column, fields, line_number);
    series.push_back(previous_series_);
    days.push_back(*day);
    values.push_back(value);
    lines.push_back(line_number);
  }

  void read_extra(ExtraColumn& column, const Fields& fields, uint64_t line_number) {
    const std::string_view text = fields.views[column.field];
    const bool cacheable = in_file(text);
    if (column.has_previous && cacheable && same_text(text, column.previous)) {
      if (column.numeric) {
        column.numbers.push_back(column.previous_number);
        column.non_empty += !text.empty();
      } else {
        column.codes.push_back(column.previous_code);
      }
      return;
    }
    if (column.numeric) {
      // "nan" reads as unknown, like an empty cell; infinity is refused later
      // if the column stays numeric.
      double number = std::numeric_limits<double>::quiet_NaN();
      if (text.empty() || parse_number(text, number)) {
        if (std::isinf(number) && column.first_infinite_line == 0)
          column.first_infinite_line = line_number;
        column.numbers.push_back(number);
        column.non_empty += !text.empty();
        column.previous_number = number;
      } else {
        reread_as_text(column, column.numbers.size());
      }
    }
    if (!column.numeric) {
      const int32_t code = column.code_of(text);
      column.codes.push_back(code);
      column.previous_code = code;
    }
    column.has_previous = cacheable;
    column.previous = text;
  }

  // Re-reads the chunk's first `rows` rows for the text of this column.
  void reread_as_text(ExtraColumn& column, size_t rows) const {
    column.numeric = false;
    std::vector<double>().swap(column.numbers);
    column.codes.reserve(std::max(rows + 1, lines.capacity()));
    Cursor cursor(text_);
    Fields fields;
    csv::Malformed ignored{};  // rows re-read here were split without error before
    for (size_t row = 0; row < rows && cursor.next(fields, ignored) == Cursor::Next::Record; ++row)
      column.codes.push_back(column.code_of(fields.views[column.field]));
    column.has_previous = false;
  }

  const Layout& layout_;
  std::string_view text_;
  TextIndex series_index_;
  bool has_previous_id_ = false;
  std::string_view previous_id_;
  uint32_t previous_series_ = 0;
  DateParser dates_;
};

class CsvReader {
 public:
  CsvReader(const std::string& path, const IngestOptions& options, size_t min_slice_bytes,
            size_t max_slices)
      : path_(path),
        options_(options),
        builder_(options),
        min_slice_bytes_(std::max<size_t>(min_slice_bytes, 1)),
        max_slices_(std::max<size_t>(max_slices, 1)) {
    source_ = builder_.add_source(path);
  }

  Dataset read() {
    file_.emplace(path_, "data file");
    const std::string_view body = csv::without_bom(file_->text());
    Cursor cursor(body);
    Fields fields;
    csv::Malformed bad{};
    const Cursor::Next header = cursor.next(fields, bad);
    if (header == Cursor::Next::End)
      fail(ErrorCode::Parse, "{}: empty file: expected a header with columns {},{},{}", path_,
           options_.series_column, options_.date_column, options_.value_column);
    if (header == Cursor::Next::Malformed)
      fail(ErrorCode::Parse, "{}:{}: header: field {}: {}", path_, cursor.line(), bad.field + 1,
           bad.problem());
    read_header(fields, cursor.record(), cursor.line());
    const std::string_view rows(cursor.position(),
                                static_cast<size_t>(body.data() + body.size() - cursor.position()));

    std::vector<Chunk> chunks = parse_chunks(rows);
    merge(chunks, cursor.line_breaks());
    return builder_.build();
  }

 private:
  void read_header(const Fields& fields, std::string_view line, uint64_t line_number) {
    layout_.names.assign(fields.views.begin(), fields.views.end());
    const std::vector<std::string>& names = layout_.names;
    std::vector<std::string> missing;
    const std::string* required[] = {&options_.series_column, &options_.date_column,
                                     &options_.value_column};
    size_t* positions[] = {&layout_.series_field, &layout_.date_field, &layout_.value_field};
    for (int r = 0; r < 3; ++r) {
      const auto it = std::find(names.begin(), names.end(), *required[r]);
      if (it == names.end())
        missing.push_back("'" + *required[r] + "'");
      else
        *positions[r] = static_cast<size_t>(it - names.begin());
    }
    if (!missing.empty())
      fail(ErrorCode::Parse, "{}:{}: header lacks required column(s) {} (header: {})", path_,
           line_number, fmt::join(missing, ", "), shorten(line));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty())
        fail(ErrorCode::Parse, "{}:{}: header: column {} has an empty name", path_, line_number,
             i + 1);
      for (size_t j = 0; j < i; ++j)
        if (names[j] == names[i])
          fail(ErrorCode::Parse, "{}:{}: header: column '{}' appears twice", path_, line_number,
               names[i]);
      if (i != layout_.series_field && i != layout_.date_field && i != layout_.value_field)
        layout_.extra_fields.push_back(i);
    }
  }

  // Cuts the rows into slices of whole records and parses them in parallel.
  // A cut inside a quoted field leaves the slice before it ending in an open
  // quote (its parse started at a record boundary), and only then are later
  // slices wrong.  So the rows are cut at line breaks first, which costs no
  // scan; if that split a quoted field, they are cut again where an even
  // number of quotes precedes the line break; if a quote inside an unquoted
  // field fooled that too, they are parsed in one slice.
  std::vector<Chunk> parse_chunks(std::string_view rows) const {
    const size_t count = std::clamp<size_t>(rows.size() / min_slice_bytes_, 1, max_slices_);
    std::vector<Chunk> chunks = parse_slices(rows, count, [&](size_t from) {
      const size_t newline = rows.find('\n', from);
      return newline == std::string_view::npos ? rows.size() : newline + 1;
    });
    if (!splits_a_quote(chunks)) return chunks;
    csv::RecordBoundaries boundaries(rows);
    chunks = parse_slices(rows, count, [&](size_t from) { return boundaries.after(from); });
    if (!splits_a_quote(chunks)) return chunks;
    return parse_slices(rows, 1, [&](size_t) { return rows.size(); });
  }

  // Parses `count` slices cut at cut(position) after each even share.
  template <typename Cut>
  std::vector<Chunk> parse_slices(std::string_view rows, size_t count, Cut&& cut) const {
    std::vector<std::string_view> slices;
    size_t start = 0;
    for (size_t k = 1; k <= count && start < rows.size(); ++k) {
      const size_t stop = k == count ? rows.size() : cut(std::max(start, rows.size() / count * k));
      slices.push_back(rows.substr(start, stop - start));
      start = stop;
    }
    if (slices.empty()) slices.push_back(rows);
    std::vector<Chunk> chunks;
    chunks.reserve(slices.size());
    for (std::string_view slice : slices) chunks.emplace_back(layout_, slice);
    ThreadPool::shared().run(chunks.size(), [&](size_t k, size_t) { chunks[k].parse(); });
    return chunks;
  }

  // Whether a slice other than the last ends inside a quoted field.
  static bool splits_a_quote(const std::vector<Chunk>& chunks) {
    for (size_t k = 0; k + 1 < chunks.size(); ++k)
      if (chunks[k].row_error && chunks[k].row_error->unterminated_quote) return true;
    return false;
  }

  // Hands the chunks' rows to the builder in file order.  A chunk's rows all
  // precede its own error, so checking them first reports the earliest
  // problem of the file, as a sequential read would.
  void merge(std::vector<Chunk>& chunks, uint64_t lines_before_rows) {
    size_t total_rows = 0;
    for (const Chunk& chunk : chunks) total_rows += chunk.days.size();
    builder_.reserve(total_rows);
    std::vector<uint64_t> first_infinite_line(layout_.extra_fields.size(), 0);
    uint64_t lines_before = lines_before_rows;
    for (Chunk& chunk : chunks) {
      std::vector<uint32_t> handles(chunk.series_ids.size());
      for (size_t i = 0; i < handles.size(); ++i)
        handles[i] = builder_.series_handle(chunk.series_ids[i]);
      for (size_t r = 0; r < chunk.days.size(); ++r)
        builder_.add_value(handles[chunk.series[r]], chunk.days[r], chunk.values[r],
                           Origin{source_, lines_before + chunk.lines[r]});
      std::vector<uint64_t>().swap(chunk.lines);
      if (chunk.row_error)
        fail(ErrorCode::Parse, "{}:{}: {}", path_, lines_before + chunk.row_error->line,
             chunk.row_error->problem);
      if (chunk.error) std::rethrow_exception(chunk.error);
      for (size_t c = 0; c < first_infinite_line.size(); ++c)
        if (first_infinite_line[c] == 0 && chunk.extras[c].first_infinite_line != 0)
          first_infinite_line[c] = lines_before + chunk.extras[c].first_infinite_line;
      lines_before += chunk.line_count;
    }
    if (total_rows == 0)
      fail(ErrorCode::Data, "{}: no data rows after the header (empty dataset)", path_);

    for (size_t c = 0; c < layout_.extra_fields.size(); ++c) {
      const std::string& name = layout_.names[layout_.extra_fields[c]];
      bool numeric = true;
      for (const Chunk& chunk : chunks) numeric = numeric && chunk.extras[c].numeric;
      if (numeric) {
        if (first_infinite_line[c] != 0)
          fail(ErrorCode::Data, "{}:{}: column '{}': infinite number", path_,
               first_infinite_line[c], name);
        if (chunks.size() == 1) {  // already in file order: no copy
          builder_.attach_numeric(name, std::move(chunks[0].extras[c].numbers));
          continue;
        }
        std::vector<double> cells;
        cells.reserve(total_rows);
        for (const Chunk& chunk : chunks)
          cells.insert(cells.end(), chunk.extras[c].numbers.begin(), chunk.extras[c].numbers.end());
        builder_.attach_numeric(name, std::move(cells));
        continue;
      }
      if (chunks.size() == 1) {  // levels already numbered in file order
        builder_.attach_categorical(name, std::move(chunks[0].extras[c].levels),
                                    std::move(chunks[0].extras[c].codes));
        continue;
      }
      // Categorical: number levels by first appearance in the file.
      std::vector<std::string> levels;
      TextIndex level_index;
      std::vector<int32_t> codes;
      codes.reserve(total_rows);
      for (Chunk& chunk : chunks) {
        ExtraColumn& column = chunk.extras[c];
        if (column.numeric) chunk.make_categorical(column);
        std::vector<int32_t> to_file(column.levels.size());
        for (size_t l = 0; l < column.levels.size(); ++l)
          to_file[l] = intern(level_index, levels, column.levels[l]);
        for (int32_t code : column.codes)
          codes.push_back(code < 0 ? -1 : to_file[static_cast<size_t>(code)]);
        std::vector<int32_t>().swap(column.codes);
      }
      builder_.attach_categorical(name, std::move(levels), std::move(codes));
    }
  }

  const std::string& path_;
  const IngestOptions& options_;
  DatasetBuilder builder_;
  uint32_t source_ = 0;
  size_t min_slice_bytes_;
  size_t max_slices_;
  Layout layout_;
  std::optional<io::TextFile> file_;
};

}  // namespace

Dataset read_csv(const std::string& path, const IngestOptions& options, size_t min_slice_bytes,
                 size_t max_slices) {
  return CsvReader(path, options, min_slice_bytes, max_slices).read();
}

Dataset read_csv(const std::string& path, const IngestOptions& options) {
  // Slices of a few MiB keep the hand-out negligible; small files stay on
  // the calling thread.
  const size_t threads = std::clamp<size_t>(ThreadPool::shared().size(), 1, 16);
  return read_csv(path, options, size_t{4} << 20, threads);
}

}  // namespace invforecast
