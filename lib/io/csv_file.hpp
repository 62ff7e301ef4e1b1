// Small CSV files read record by record into strings (forecast CSVs,
// inventory states, open orders): the whole (possibly gzip) file through
// io::TextFile, records through the one tokenizer (io/csv.hpp), numbers by
// std::from_chars.  Errors name the file, the record's first line and the
// column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "io/csv.hpp"
#include "io/mapped_file.hpp"

namespace invforecast::io {

class CsvFile {
 public:
  // `what` names the file in an Io error ("cannot open <what> '<path>'").
  CsvFile(const std::string& path, std::string_view what);

  // Reads the next non-blank record into `fields`; false at the end of the
  // file.  Error(Parse) "<path>:<line>: field <n>: <problem>" for a broken
  // quoted field.
  bool next(std::vector<std::string>& fields);

  // The first line of the record last read.
  size_t line() const { return cursor_.line(); }
  const std::string& path() const { return path_; }

  // A finite number, or Error(Parse) naming the file, line and column.
  double number(const std::string& field, std::string_view column) const;

 private:
  std::string path_;
  TextFile file_;
  csv::Cursor cursor_;  // over file_
  csv::Fields split_;
};

}  // namespace invforecast::io
