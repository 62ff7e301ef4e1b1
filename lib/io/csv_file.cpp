#include "io/csv_file.hpp"

#include <cmath>

#include "core/number_text.hpp"
#include "error.hpp"

namespace invforecast::io {

CsvFile::CsvFile(const std::string& path, std::string_view what)
    : path_(path), file_(path, what), cursor_(csv::without_bom(file_.text())) {}

bool CsvFile::next(std::vector<std::string>& fields) {
  csv::Malformed bad{};
  const csv::Cursor::Next next = cursor_.next(split_, bad);
  if (next == csv::Cursor::Next::End) return false;
  if (next == csv::Cursor::Next::Malformed)
    fail(ErrorCode::Parse, "{}:{}: field {}: {}", path_, line(), bad.field + 1, bad.problem());
  fields.assign(split_.views.begin(), split_.views.end());
  return true;
}

double CsvFile::number(const std::string& field, std::string_view column) const {
  const std::optional<double> value = parse_finite(field);
  if (!value)
    fail(ErrorCode::Parse, "{}:{}: column '{}': '{}' is not a finite number", path_, line(), column,
         field);
  return *value;
}

}  // namespace invforecast::io
