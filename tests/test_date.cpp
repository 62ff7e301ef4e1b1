// Calendar arithmetic of lib/core/date.cpp.
#include <catch2/catch.hpp>

#include "core/date.hpp"

using namespace invforecast;

TEST_CASE("date known day numbers", "[date]") {
  CHECK(days_from_civil({1970, 1, 1}) == 0);
  CHECK(days_from_civil({1969, 12, 31}) == -1);
  CHECK(days_from_civil({2000, 3, 1}) == 11017);
  CHECK(days_from_civil({2011, 1, 29}) == 15003);  // first day of M5
  CHECK(days_from_civil({1600, 1, 1}) == -135140);
  CHECK(*parse_iso_date("2016-03-27") - *parse_iso_date("2011-01-29") == 1884);
}

TEST_CASE("date round trips over every day from 1600 to 2400", "[date]") {
  const Day first = days_from_civil({1600, 1, 1});
  const Day last = days_from_civil({2400, 12, 31});
  CivilDate previous = civil_from_days(first - 1);
  char text[11];
  for (Day d = first; d <= last; ++d) {
    const CivilDate c = civil_from_days(d);
    // Consecutive days advance the day, or roll over month and year.
    const bool next_day =
        c.year == previous.year && c.month == previous.month && c.day == previous.day + 1;
    const bool next_month = c.year == previous.year && c.month == previous.month + 1 && c.day == 1;
    const bool next_year = c.year == previous.year + 1 && c.month == 1 && c.day == 1 &&
                           previous.month == 12 && previous.day == 31;
    REQUIRE((next_day || next_month || next_year));
    REQUIRE(days_from_civil(c) == d);
    format_iso_date(d, text);
    REQUIRE(parse_iso_date(text) == d);
    previous = c;
  }
}

TEST_CASE("date leap years", "[date]") {
  CHECK(parse_iso_date("2000-02-29").has_value());        // divisible by 400
  CHECK_FALSE(parse_iso_date("1900-02-29").has_value());  // by 100, not 400
  CHECK(parse_iso_date("2024-02-29").has_value());
  CHECK_FALSE(parse_iso_date("2023-02-29").has_value());
  CHECK(*parse_iso_date("2024-03-01") - *parse_iso_date("2024-02-28") == 2);
  CHECK(*parse_iso_date("2023-03-01") - *parse_iso_date("2023-02-28") == 1);
  CHECK(*parse_iso_date("2001-01-01") - *parse_iso_date("2000-01-01") == 366);
  CHECK(*parse_iso_date("2101-01-01") - *parse_iso_date("2100-01-01") == 365);
}

TEST_CASE("date parsing is strict", "[date]") {
  for (const char* bad :
       {"2021-1-01", "2021/01/01", "20210101", "2021-13-01", "2021-00-10", "2021-01-32",
        "2021-04-31", " 2021-01-01", "2021-01-01 ", "+021-01-01", "2021-01-0a", ""})
    CHECK_FALSE(parse_iso_date(bad).has_value());
  CHECK(format_iso_date(*parse_iso_date("0001-01-01")) == "0001-01-01");
  CHECK(format_iso_date(*parse_iso_date("9999-12-31")) == "9999-12-31");
}

TEST_CASE("date day of week and ISO week on known dates", "[date]") {
  CHECK(day_of_week(0) == 3);                              // 1970-01-01 was a Thursday
  CHECK(day_of_week(*parse_iso_date("2024-01-01")) == 0);  // Monday
  CHECK(day_of_week(*parse_iso_date("2011-01-29")) == 5);  // Saturday
  CHECK(day_of_week(*parse_iso_date("1969-12-28")) == 6);  // Sunday, before the epoch

  struct Known {
    const char* date;
    int week;
  };
  for (const Known k : {Known{"2021-01-03", 53}, Known{"2021-01-04", 1}, Known{"2008-12-29", 1},
                        Known{"2015-12-31", 53}, Known{"2016-01-03", 53}, Known{"2016-01-04", 1},
                        Known{"2019-12-30", 1}, Known{"2020-12-31", 53}, Known{"2026-12-31", 53},
                        Known{"2023-01-01", 52}, Known{"2023-06-15", 24}, Known{"2024-12-30", 1}})
    CHECK(iso_week(*parse_iso_date(k.date)) == k.week);
}
