#include "core/date.hpp"

#include <charconv>

namespace invforecast {

// Civil-calendar <-> day-number conversion in 400-year eras (each era has
// 146097 days), with March as the first month so leap days fall last.
Day days_from_civil(CivilDate date) {
  const int y = date.year - (date.month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int year_of_era = y - era * 400;
  const int month_from_march = date.month + (date.month > 2 ? -3 : 9);
  const int day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilDate civil_from_days(Day day) {
  const int z = day + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int day_of_era = z - era * 146097;
  const int year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int month_from_march = (5 * day_of_year + 2) / 153;
  const int d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const int m = month_from_march + (month_from_march < 10 ? 3 : -9);
  return {year_of_era + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

static int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

std::optional<Day> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](size_t pos, size_t len, int& out) {
    for (size_t i = pos; i < pos + len; ++i)
      if (text[i] < '0' || text[i] > '9') return false;
    return std::from_chars(text.data() + pos, text.data() + pos + len, out).ec == std::errc{};
  };
  CivilDate date{};
  if (!number(0, 4, date.year) || !number(5, 2, date.month) || !number(8, 2, date.day))
    return std::nullopt;
  if (date.month < 1 || date.month > 12 || date.day < 1 ||
      date.day > days_in_month(date.year, date.month))
    return std::nullopt;
  return days_from_civil(date);
}

void format_iso_date(Day day, char out[11]) {
  const CivilDate c = civil_from_days(day);
  const int y = c.year < 0 ? 0 : (c.year > 9999 ? 9999 : c.year);
  const int parts[] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10};
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>('0' + parts[i]);
  out[4] = '-';
  out[5] = static_cast<char>('0' + c.month / 10);
  out[6] = static_cast<char>('0' + c.month % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + c.day / 10);
  out[9] = static_cast<char>('0' + c.day % 10);
  out[10] = '\0';
}

std::string format_iso_date(Day day) {
  char buffer[11];
  format_iso_date(day, buffer);
  return std::string(buffer, 10);
}

int day_of_week(Day day) {
  // 1970-01-01 was a Thursday (index 3 with Monday = 0).
  const int d = (day + 3) % 7;
  return d < 0 ? d + 7 : d;
}

int iso_week(Day day) {
  // The ISO week belongs to the year of its Thursday.
  const Day thursday = day - day_of_week(day) + 3;
  const CivilDate c = civil_from_days(thursday);
  const Day jan1 = days_from_civil({c.year, 1, 1});
  return (thursday - jan1) / 7 + 1;
}

}  // namespace invforecast
