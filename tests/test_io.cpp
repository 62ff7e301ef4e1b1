// The I/O layer (lib/io): binary fields and their CRC, atomic writes, file
// mapping, the CSV tokenizer, and the readers built on them.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "error.hpp"
#include "data/dataset.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_io.hpp"
#include "io/csv.hpp"
#include "io/csv_file.hpp"
#include "io/mapped_file.hpp"
#include "model/model_file.hpp"
#include "test_files.hpp"

using namespace invforecast;
using testing::Folder;
using testing::put;
using testing::slurp;
namespace fs = std::filesystem;

namespace {

template <typename Call>
Error error_of(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an invforecast::Error");
  return Error(ErrorCode::Internal, "");
}

// All records of a text, each as its first line and fields.
struct Record {
  uint64_t line;
  std::vector<std::string> fields;
  bool operator==(const Record&) const = default;
};

std::vector<Record> records(std::string_view text) {
  csv::Cursor cursor(csv::without_bom(text));
  csv::Fields fields;
  csv::Malformed bad{};
  std::vector<Record> out;
  csv::Cursor::Next next;
  while ((next = cursor.next(fields, bad)) == csv::Cursor::Next::Record)
    out.push_back({cursor.line(), {fields.views.begin(), fields.views.end()}});
  REQUIRE(next == csv::Cursor::Next::End);
  return out;
}

}  // namespace

TEST_CASE("io byte fields are little-endian and sealed by zlib's CRC-32", "[io]") {
  // The CRC-32/ISO-HDLC check value of "123456789" (the catalogue's test vector).
  const std::string check = "123456789";
  CHECK(io::crc32_of(std::span<const char>(check)) == 0xCBF43926u);
  // Fed in two parts it is the same running value.
  CHECK(io::crc32_of(std::span<const char>(check).subspan(4),
                     io::crc32_of(std::span<const char>(check).first(4))) == 0xCBF43926u);

  const char magic[4] = {'T', 'E', 'S', 'T'};
  io::ByteWriter w(magic);
  w.u32(0x01020304u);
  w.u64(0x1122334455667788ull);
  w.text("ab");
  const float floats[] = {1.5f};
  w.floats(floats);
  w.pad_to(w.size() + 3);
  const std::vector<uint8_t> bytes = w.finish();
  const std::vector<uint8_t> expected_head = {'T',  'E',  'S',  'T',  4,    3,    2, 1, 0x88, 0x77,
                                              0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 2, 0, 0,    0,
                                              'a',  'b',  0,    0,    0xc0, 0x3f, 0, 0, 0};
  REQUIRE(bytes.size() == expected_head.size() + 4);
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end() - 4) == expected_head);
  const uint32_t crc = io::crc32(std::span<const uint8_t>(expected_head));
  CHECK(bytes[bytes.size() - 4] == (crc & 0xff));
  CHECK(bytes[bytes.size() - 1] == (crc >> 24));

  io::ByteReader r(bytes, "test file");
  r.check_frame(magic, 4);
  CHECK(r.u32("a") == 0x01020304u);
  CHECK(r.u64("b") == 0x1122334455667788ull);
  CHECK(r.text("c", 10) == "ab");
  CHECK(r.floats(1, "d") == std::vector<float>{1.5f});
  r.bytes(3, "padding");
  r.expect_end();

  std::vector<uint8_t> damaged = bytes;
  damaged[9] ^= 1;
  CHECK_THAT(error_of([&] { io::ByteReader(damaged, "test file").check_frame(magic, 4); }).what(),
             Catch::Contains("test file: checksum mismatch"));
  io::ByteReader short_reader(std::span<const uint8_t>(bytes).first(6), "test file");
  short_reader.bytes(4, "magic");
  const Error cut = error_of([&] { short_reader.u32("count"); });
  CHECK(cut.code() == ErrorCode::CorruptModel);
  CHECK_THAT(cut.what(),
             Catch::Contains("count needs 4 bytes at offset 4, only 2 left (cut short)"));
}

TEST_CASE("io model files written now are the frozen fixtures' bytes", "[io][model]") {
  // tests/fixtures/model was written by the writer before lib/io existed:
  // rewriting each model must give the same bytes, CRC included.
  for (const char* name :
       {"v1_small_revin.invfm", "v1_small_revin_runnable.invfm", "v1_tiny_meanabs.invfm"}) {
    INFO(name);
    const std::string path = std::string(INVF_TEST_FIXTURES) + "/model/" + name;
    const ModelFile model = ModelFile::open(path);
    std::vector<NamedTensor> tensors;
    for (const TensorView& t : model.tensors()) tensors.push_back({t.name, t.dims, t.values});
    const std::vector<uint8_t> written = write_model_buffer(model.metadata(), tensors);
    const std::vector<uint8_t> frozen(model.bytes().begin(), model.bytes().end());
    CHECK(written == frozen);
    Folder folder("io_model");
    write_model_file(folder.file("copy.invfm"), model.metadata(), tensors);
    CHECK(slurp(folder.file("copy.invfm")) == std::string(frozen.begin(), frozen.end()));
    CHECK(folder.names() == std::vector<std::string>{"copy.invfm"});
  }
}

TEST_CASE("io atomic writes replace the file and leave no temporary", "[io]") {
  Folder folder("io_replace");
  const std::string path = folder.file("out.csv");
  io::write_file_atomically(path, std::string_view("first\n"), "test file");
  CHECK(slurp(path) == "first\n");
  io::write_file_atomically(path, std::string_view("second, longer\n"), "test file");
  CHECK(slurp(path) == "second, longer\n");
  CHECK(folder.names() == std::vector<std::string>{"out.csv"});

  // A new file gets 0666 less the umask; a replaced one keeps its mode.
  const mode_t mask = ::umask(022);
  ::umask(mask);
  io::write_file_atomically(folder.file("new.txt"), std::string_view("x"), "test file");
  struct stat info {};
  REQUIRE(::stat(folder.file("new.txt").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == (0666 & ~mask));
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  io::write_file_atomically(path, std::string_view("third\n"), "test file");
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0640);

  // An uncommitted file (an error on the way) leaves the old one alone.
  {
    io::AtomicFile file(path, "test file");
    file.write(std::string_view("never committed"));
  }
  CHECK(slurp(path) == "third\n");
  CHECK(folder.names() == std::vector<std::string>{"new.txt", "out.csv"});
}

TEST_CASE("io concurrent atomic writers to one path never leave a torn file", "[io]") {
  Folder folder("io_concurrent");
  const std::string path = folder.file("shared.bin");
  // 256 KiB per version: far more than one write() of a pipe-sized chunk, so
  // interleaved writers into one temporary (the old fixed ".tmp") would mix.
  constexpr size_t kSize = 256 * 1024;
  constexpr int kWriters = 4, kRounds = 12;
  io::write_file_atomically(path, std::string(kSize, 'a'), "test file");
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (writing.load()) {
      const std::string text = slurp(path);
      ++reads;
      if (text.size() != kSize || text.find_first_not_of(text[0]) != std::string::npos) ++torn;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round)
        io::write_file_atomically(path, std::string(kSize, static_cast<char>('b' + w)),
                                  "test file");
    });
  for (std::thread& t : writers) t.join();
  writing = false;
  reader.join();
  CHECK(torn.load() == 0);
  CHECK(reads.load() > 0);
  const std::string last = slurp(path);
  REQUIRE(last.size() == kSize);
  CHECK(last.find_first_not_of(last[0]) == std::string::npos);
  CHECK(folder.names() == std::vector<std::string>{"shared.bin"});
}

TEST_CASE("io a failing atomic write keeps the old file and no temporary", "[io]") {
  Folder folder("io_failing");
  const std::string path = folder.file("kept.txt");
  io::write_file_atomically(path, std::string_view("old contents\n"), "test file");

  SECTION("a write beyond the file size limit (EFBIG), as on a full disk") {
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    const Error e =
        error_of([&] { io::write_file_atomically(path, std::string(8192, 'x'), "test file"); });
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
    CHECK(e.code() == ErrorCode::Io);
    CHECK_THAT(e.what(), Catch::Contains("cannot write test file '" + path + "'") &&
                             Catch::Contains(std::strerror(EFBIG)));
  }
  SECTION("an unwritable directory") {
    if (::geteuid() == 0) {
      WARN("running as root, which may write anywhere: the unwritable-directory case is skipped");
      return;
    }
    fs::permissions(folder.path, fs::perms::owner_read | fs::perms::owner_exec);
    const Error e =
        error_of([&] { io::write_file_atomically(path, std::string_view("new\n"), "test file"); });
    fs::permissions(folder.path, fs::perms::owner_all);
    CHECK(e.code() == ErrorCode::Io);
    CHECK_THAT(e.what(), Catch::Contains("cannot create test file '" + path + "'") &&
                             Catch::Contains(std::strerror(EACCES)));
  }
  SECTION("a target that is a directory (the rename fails)") {
    fs::create_directories(folder.path / "dir" / "inside");
    const Error e = error_of([&] {
      io::write_file_atomically(folder.file("dir"), std::string_view("new\n"), "test file");
    });
    CHECK(e.code() == ErrorCode::Io);
    CHECK_THAT(e.what(), Catch::Contains("cannot rename"));
    CHECK(fs::is_directory(folder.path / "dir" / "inside"));
    fs::remove_all(folder.path / "dir");
  }
  SECTION("a directory that does not exist") {
    const std::string missing = folder.file("no_such_dir/x.txt");
    const Error e =
        error_of([&] { io::write_file_atomically(missing, std::string_view("x"), "test file"); });
    CHECK(e.code() == ErrorCode::Io);
    CHECK_THAT(e.what(), Catch::Contains(missing) && Catch::Contains(std::strerror(ENOENT)));
  }
  CHECK(slurp(path) == "old contents\n");
  CHECK(folder.names() == std::vector<std::string>{"kept.txt"});
}

TEST_CASE("io mapped files: contents, empty files, pipes and clear Io errors", "[io]") {
  Folder folder("io_mapped");
  put(folder.file("a.bin"), std::string("ab\0c", 4));
  const io::MappedFile a(folder.file("a.bin"), "test file");
  CHECK(a.text() == std::string_view("ab\0c", 4));
  put(folder.file("empty"), "");
  CHECK(io::MappedFile(folder.file("empty"), "test file").bytes().empty());

  const Error missing = error_of([&] { io::MappedFile(folder.file("none"), "test file"); });
  CHECK(missing.code() == ErrorCode::Io);
  CHECK_THAT(missing.what(),
             Catch::Contains("cannot open test file '" + folder.file("none") + "'") &&
                 Catch::Contains(std::strerror(ENOENT)));
  const Error directory = error_of([&] { io::MappedFile(folder.path.string(), "test file"); });
  CHECK(directory.code() == ErrorCode::Io);
  CHECK_THAT(directory.what(), Catch::Contains("is a directory"));

  // A pipe cannot be mapped: it is read to its end (more than one 64 KiB read).
  const std::string fifo = folder.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string sent(200000, 'p');
  std::thread writer([&] { put(fifo, sent); });
  const io::MappedFile piped(fifo, "test file");
  writer.join();
  CHECK(piped.text() == sent);
}

TEST_CASE("io csv tokenizer: quoted line breaks, escapes, CRLF, a BOM and blank lines",
          "[io][csv]") {
  const std::string text =
      "\xEF\xBB\xBFid,note\r\n"
      "a,\"two\r\nlines\"\r\n"
      "\r\n"
      "\"b \"\"q\"\"\",\"x,y\"\n"
      "\n"
      "c,\"\n\n\"\n"
      "d\"e,f,\n"
      "g,last";
  const std::vector<Record> expected = {
      {1, {"id", "note"}}, {2, {"a", "two\r\nlines"}}, {5, {"b \"q\"", "x,y"}},
      {7, {"c", "\n\n"}},  {10, {"d\"e", "f", ""}},    {11, {"g", "last"}},
  };
  CHECK(records(text) == expected);
  CHECK(records("") == std::vector<Record>{});
  CHECK(records("\n\r\n\r") == std::vector<Record>{});
  CHECK(records("\"\"") == std::vector<Record>{{1, {""}}});

  csv::Fields fields;
  csv::Malformed bad{};
  csv::Cursor open(std::string_view("x,y\n1,\"never\nclosed\n"));
  REQUIRE(open.next(fields, bad) == csv::Cursor::Next::Record);
  REQUIRE(open.next(fields, bad) == csv::Cursor::Next::Malformed);
  CHECK(open.line() == 2);  // the record's first line
  CHECK(bad.kind == csv::Malformed::Kind::Unterminated);
  CHECK(bad.field == 1);
  csv::Cursor junk(std::string_view("\"a\"b,c\n"));
  REQUIRE(junk.next(fields, bad) == csv::Cursor::Next::Malformed);
  CHECK(bad.kind == csv::Malformed::Kind::TextAfterQuote);
  CHECK(bad.field == 0);

  CHECK(csv::quoted("plain") == "plain");
  CHECK(csv::quoted("a,\"b\"\nc") == "\"a,\"\"b\"\"\nc\"");
  CHECK(records(csv::quoted("a,\"b\"\nc") + ",z\n") ==
        std::vector<Record>{{1, {"a,\"b\"\nc", "z"}}});
}

TEST_CASE("io csv record boundaries skip line breaks inside quotes", "[io][csv]") {
  const std::string text = "a,\"1\n2\"\nb,\"\"\"\n\"\nc,3\n";
  csv::RecordBoundaries boundaries(text);
  CHECK(boundaries.after(0) == text.find("b,"));
  CHECK(boundaries.after(text.find("b,") + 1) == text.find("c,"));
  CHECK(boundaries.after(text.find("c,") + 1) == text.size());
}

TEST_CASE("io every CSV reader accepts a quoted field with a line break", "[io][csv]") {
  Folder folder("io_readers");
  // The dataset reader: a multi-line id and covariate, line numbers of later
  // records still right, and the same dataset in any number of slices.
  std::string text = "series_id,date,value,note\n\"A\nshop\",2021-01-01,1,\"x\ny\"\n";
  for (int d = 2; d <= 28; ++d)
    text += fmt::format("{},2021-01-{:02},{},{}\n", d % 2 ? "\"A\nshop\"" : "B", d, d,
                        d % 5 ? "pl\"ain" : "\"two\nlines\"");
  const std::string path = folder.file("multi.csv");
  put(path, text);
  const Dataset whole = read_csv(path, {}, size_t{1} << 30, 1);
  REQUIRE(whole.series.size() == 2);
  CHECK(whole.series[0].id == "A\nshop");
  REQUIRE(whole.columns.size() == 1);
  CHECK(whole.columns[0].levels == std::vector<std::string>{"x\ny", "pl\"ain", "two\nlines"});
  for (size_t slices : {2, 3, 8, 32}) {
    INFO(slices << " slices");
    const Dataset sliced = read_csv(path, {}, 1, slices);
    REQUIRE(sliced.series.size() == whole.series.size());
    for (size_t s = 0; s < whole.series.size(); ++s) {
      CHECK(sliced.series[s].id == whole.series[s].id);
      CHECK(sliced.series[s].values == whole.series[s].values);
    }
    CHECK(sliced.columns[0].levels == whole.columns[0].levels);
    CHECK(sliced.columns[0].category_codes == whole.columns[0].category_codes);
  }

  // Quoted line breaks without stray quotes: cut by quote parity, in slices.
  std::string valid = "series_id,date,value,note\n";
  for (int d = 1; d <= 28; ++d) valid += fmt::format("S,2021-01-{:02},{},\"n\n{}\"\n", d, d, d % 3);
  put(folder.file("valid.csv"), valid);
  const Dataset sequential = read_csv(folder.file("valid.csv"), {}, size_t{1} << 30, 1);
  REQUIRE(sequential.columns.size() == 1);
  CHECK(sequential.columns[0].levels == std::vector<std::string>{"n\n1", "n\n2", "n\n0"});
  for (size_t slices : {2, 5, 16}) {
    const Dataset sliced = read_csv(folder.file("valid.csv"), {}, 1, slices);
    CHECK(sliced.series[0].values == sequential.series[0].values);
    CHECK(sliced.columns[0].category_codes == sequential.columns[0].category_codes);
  }

  // Errors name the first line of a record that spans several.
  put(folder.file("bad_after.csv"),
      "series_id,date,value\n\"A\n\nB\",2021-01-01,1\nC,2021-01-01,x\n");
  const Error after = error_of([&] { read_csv(folder.file("bad_after.csv"), {}); });
  CHECK(after.code() == ErrorCode::Parse);
  CHECK_THAT(after.what(), Catch::Contains("bad_after.csv:5: column 'value'"));
  put(folder.file("open.csv"),
      "series_id,date,value\nA,2021-01-01,1\nA,2021-01-02,\"2\n\nA,2021-01-03,3\n");
  for (size_t slices : {1, 4}) {
    const Error open = error_of([&] { read_csv(folder.file("open.csv"), {}, 1, slices); });
    CHECK(open.code() == ErrorCode::Parse);
    CHECK_THAT(open.what(),
               Catch::Contains("open.csv:3: column 'value': unterminated quoted field"));
  }
  put(folder.file("open_header.csv"), "series_id,\"date\nvalue\n");
  CHECK_THAT(error_of([&] { read_csv(folder.file("open_header.csv"), {}); }).what(),
             Catch::Contains("open_header.csv:1: header: field 2: unterminated quoted field"));

  // The small-file reader (forecast CSVs, inventory states, open orders).
  put(folder.file("small.csv"), "\xEF\xBB\xBFsku,note\r\n\"S\r\n1\",\"p \"\"q\"\"\"\r\nT,2\r\n");
  io::CsvFile small(folder.file("small.csv"), "test CSV");
  std::vector<std::string> fields;
  REQUIRE(small.next(fields));
  CHECK(fields == std::vector<std::string>{"sku", "note"});
  REQUIRE(small.next(fields));
  CHECK(fields == std::vector<std::string>{"S\r\n1", "p \"q\""});
  REQUIRE(small.next(fields));
  CHECK(small.line() == 4);
  CHECK(small.number(fields[1], "note") == 2.0);
  CHECK_FALSE(small.next(fields));
  put(folder.file("small_open.csv"), "sku\n\"S\n");
  io::CsvFile open_small(folder.file("small_open.csv"), "test CSV");
  REQUIRE(open_small.next(fields));
  const Error unterminated = error_of([&] { open_small.next(fields); });
  CHECK(unterminated.code() == ErrorCode::Parse);
  CHECK_THAT(unterminated.what(),
             Catch::Contains("small_open.csv:2: field 1: unterminated quoted field"));
}
