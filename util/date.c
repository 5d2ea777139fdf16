/* date.c - calendar dates: strict parsing, day numbers, the local calendar
 * and dates as each language writes them; clocks. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Exactly n ASCII digits at s, as a number; -1 otherwise. */
static int fixed_digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "MM-DD" at s, ending the string; the day is checked against year y. */
static int parse_month_day(const char *s, int y, int *m, int *d)
{
    int mm, dd;

    if (strlen(s) != 5 || s[2] != '-')
        return -1;
    mm = fixed_digits(s, 2);
    dd = fixed_digits(s + 3, 2);
    if (dd < 1 || dd > days_in_month(y, mm))
        return -1;
    *m = mm;
    *d = dd;
    return 0;
}

int date_parse(const char *text, int *y, int *m, int *d)
{
    int yy;

    if (!text || strlen(text) != 10 || text[4] != '-')
        return -1;
    yy = fixed_digits(text, 4);
    if (yy < 1 || parse_month_day(text + 5, yy, m, d) < 0)
        return -1;
    *y = yy;
    return 0;
}

int birthday_parse(const char *text, int today_y, int *y, int *m, int *d)
{
    if (!text)
        return -1;
    if (text[0] == '-' && text[1] == '-')
        text += 2;
    if (strlen(text) == 5) {
        if (parse_month_day(text, 2000, m, d) < 0)  /* a leap year: 02-29 */
            return -1;
        *y = 0;
        return 0;
    }
    int yy, mm, dd;
    if (date_parse(text, &yy, &mm, &dd) < 0 || yy < 1900 || yy > today_y)
        return -1;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

/* Howard Hinnant's algorithms ("chrono-Compatible Low-Level Date
 * Algorithms"): eras of 400 years make the arithmetic exact without
 * tables, for any int year. */
int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                           /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;    /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

void local_date(int64_t ms, int *y, int *m, int *d, int *wday, int *minute)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (y) *y = tm.tm_year + 1900;
    if (m) *m = tm.tm_mon + 1;
    if (d) *d = tm.tm_mday;
    if (wday) *wday = (tm.tm_wday + 6) % 7;     /* Monday = 0 */
    if (minute) *minute = tm.tm_hour * 60 + tm.tm_min;
}

int64_t day_start_local(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

void date_format(int y, int m, int d, const char *lang, char *out, size_t outsz)
{
    /* As each language writes a date in a letter: Polish and Romanian day
     * first with dots, Hungarian year first, English in ISO form (a
     * British and an American reader both read it one way). */
    if (lang && (strcmp(lang, "pl") == 0 || strcmp(lang, "ro") == 0))
        snprintf(out, outsz, "%02d.%02d.%04d", d, m, y);
    else if (lang && strcmp(lang, "hu") == 0)
        snprintf(out, outsz, "%04d. %02d. %02d.", y, m, d);
    else
        snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
}
