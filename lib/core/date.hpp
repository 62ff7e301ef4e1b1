// Calendar dates as day numbers: days since 1970-01-01 (proleptic Gregorian).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace invforecast {

using Day = int32_t;

struct CivilDate {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};

Day days_from_civil(CivilDate date);
CivilDate civil_from_days(Day day);

// Parses exactly "YYYY-MM-DD" with a valid month/day; nullopt otherwise.
std::optional<Day> parse_iso_date(std::string_view text);
std::string format_iso_date(Day day);
// Writes "YYYY-MM-DD" and a NUL into out[0..10].
void format_iso_date(Day day, char out[11]);

int day_of_week(Day day);   // 0 = Monday .. 6 = Sunday
int iso_week(Day day);      // ISO 8601 week of year, 1..53

}  // namespace invforecast
