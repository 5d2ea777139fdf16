/* util.h - small pieces every module needs: UTF-8 text, money, dates, a
 * JSON writer, a CSV reader and the log. This header is util's whole
 * public face.
 *
 * Nothing here depends on the process locale (setlocale): text is always
 * UTF-8 and number formats come from the language code the caller passes.
 * Functions returning int give 0 on success and -1 on failure unless said
 * otherwise. Functions that write to a caller buffer always NUL-terminate
 * it when its size is not 0. */
#ifndef TALLY_UTIL_H
#define TALLY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* --- UTF-8 ------------------------------------------------------------- */

/* Decodes the code point at s (len > 0 bytes available) into *cp.
 * Returns the number of bytes it takes (1-4), or -1 if the bytes there are
 * not strict UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
int utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Strict validation of len bytes: no overlongs, surrogates, code points
 * above U+10FFFF or truncated sequences. NUL bytes are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

/* Code points in a NUL-terminated string. Each byte of an invalid
 * sequence counts as one, as a terminal shows one replacement for it. */
size_t utf8_chars(const char *s);

/* Terminal columns a string takes, without consulting the locale:
 * combining marks and zero-width format characters 0, East Asian wide and
 * fullwidth characters (CJK, Hangul, most emoji) 2, everything else 1.
 * Returns -1 for invalid UTF-8 or a control character, like wcswidth(). */
int utf8_width(const char *s);
/* The columns a terminal gives s: utf8_width, or its bytes when it is not
 * printable UTF-8 (so a bad name still lines up roughly, never -1). */
int text_columns(const char *s);
/* s as it fits in columns terminal columns, into out: whole, or cut at a
 * character's boundary (never half of ł) with "…" as its last column. It
 * is cut too where it does not fit in outsz bytes. */
void text_clip(const char *s, int columns, char *out, size_t outsz);

/* Search key for names: lowercase and without diacritics, so "Łukasz",
 * "Ştefan", "Ștefan", "Őrs", "Żółć", "Ärztin" fold to "lukasz", "stefan",
 * "stefan", "ors", "zolc", "arztin"; ß -> ss, Æ -> ae, Œ -> oe, Þ -> th.
 * Covers Latin-1 Supplement, Latin Extended-A, U+0218-U+021B (Romanian
 * comma below) and U+1E9E; drops combining marks U+0300-U+036F so
 * decomposed input folds the same as precomposed; lowercases ASCII, basic
 * Greek and Cyrillic. Other code points pass through unchanged. Runs of
 * whitespace (including NBSP and other Unicode spaces) become one ASCII
 * space, and the ends are trimmed. Returns -1 if the input is not valid
 * UTF-8 or the result does not fit in outsz (out is then ""). */
int text_fold(const char *in, char *out, size_t outsz);

/* Cleans a field a person typed: it must be valid UTF-8 without control
 * characters (C0, DEL, C1, U+2028/U+2029, and the bidi embedding and
 * isolate controls U+202A-U+202E, U+2066-U+2069, which can make a
 * terminal show text in a misleading order). Leading and trailing
 * whitespace is trimmed; the rest must be at most max_chars code points
 * (it may be empty: whether a field is required is the caller's call).
 * Inner whitespace is kept as typed; in and out may be the same buffer.
 * Returns -1 (out is then "") if any rule fails or the result does not
 * fit in outsz. */
int text_clean(const char *in, char *out, size_t outsz, size_t max_chars);

/* --- currencies and money ------------------------------------------------ */

/* Money is an int64_t count of minor units (grosze, bani, cents); the
 * currency says how many digits the minor unit has. No floating point. */

/* Largest amount money_parse accepts, in major units. */
#define MONEY_MAX_MAJOR 10000000

/* A buffer this size holds any money_format() or money_plain() result. */
#define MONEY_BUFSZ 64

/* Currencies a European shop may use (ISO 4217 codes, uppercase). Digits
 * are the minor-unit digits the shop uses: 2 for most, 0 for JPY and ISK,
 * and 0 for HUF too, because forints are handled whole in practice. */
bool currency_known(const char *code);
int currency_digits(const char *code);          /* -1 if unknown */
const char *currency_symbol(const char *code);  /* NULL if unknown */

/* Parses an amount a person typed into minor units: digits, optionally a
 * '.' or ',' and at most `digits` decimals ("12.50", "12,50", "12.5",
 * "12", " 0.99 "). Rejects empty input, signs, exponents, thousands
 * separators, a separator without digits on both sides ("12.", ".5"),
 * more decimals than `digits` (no silent rounding), any decimal part when
 * digits is 0, and anything above MONEY_MAX_MAJOR major units. */
int money_parse(const char *text, int digits, int64_t *out);

/* Non-negative fixed-point number with `scale` decimals (0-9), same
 * syntax as money_parse: "1.25" at scale 3 is 1250. The result must lie in
 * [min, max]. */
int decimal_parse(const char *text, int scale, int64_t min, int64_t max,
                  int64_t *out);

/* Amount for people to read, in the conventions of language `lang` (its
 * first two letters count, so "pl" and "pl_PL.UTF-8" both work; NULL or
 * unknown means "en"). The rule:
 *
 *   lang      decimal  thousands  symbol                 examples
 *   en        .        ,          before for € £ $ ¥,    €1,234.50  £3.20
 *                                 else after a space     12.50 zł  1,234 Ft
 *   pl cs sk  ,        space      after a space          1 234,50 zł
 *   hu        ,        space      after a space          1 234 Ft  12,50 €
 *   ro de     ,        .          after a space          1.234,50 lei
 *
 * Every group of three digits is separated (also in four-digit numbers),
 * with an ordinary space, not NBSP, so each byte is one terminal column.
 * Negative amounts get a leading '-' ("-12,50 zł", "-€3.00"). An unknown
 * currency code is shown after the number with 2 decimals. If the result
 * does not fit in outsz, out is "" rather than a misleading prefix; a
 * MONEY_BUFSZ buffer always fits. */
void money_format(int64_t minor, const char *currency, const char *lang,
                  char *out, size_t outsz);

/* money_format's number alone, without the symbol: "1,234.50" (en),
 * "1 234,50" (pl), for a table whose heading names the currency. */
void money_number(int64_t minor, const char *currency, const char *lang,
                  char *out, size_t outsz);

/* A fixed-point figure (v in units of 10^-decimals: 551, 1 → "55.1") in the
 * language's way, grouped as money is: "1,234.5" (en), "1 234,5" (pl hu),
 * "1.234,5" (ro). */
void decimal_format(int64_t v, int decimals, const char *lang, char *out, size_t outsz);

/* The same as a percentage, with the language's sign placement: "55.1%"
 * (en), "55,1%" (pl hu), "55,1 %" (ro, with a space before the sign). */
void percent_format(int64_t v, int decimals, const char *lang, char *out, size_t outsz);

/* Machine form for CSV and JSON: '.' decimal, no grouping, no symbol:
 * "12.50", "-3.00", "1234" (digits 0). Digits outside 0-18 count as 0. */
void money_plain(int64_t minor, int digits, char *out, size_t outsz);
/* a * b / c, rounded toward zero, without overflow for ledger-sized values
 * (a refund's share of a purchase's points). */
int64_t muldiv(int64_t a, int64_t b, int64_t c);

/* --- dates --------------------------------------------------------------- */

/* Strict "YYYY-MM-DD", year 0001-9999, real month lengths and leap years. */
int date_parse(const char *text, int *y, int *m, int *d);

/* A customer's birthday: "YYYY-MM-DD" with the year in 1900..today_y, or
 * "MM-DD" / "--MM-DD" when the year is not given (*y = 0; 02-29 allowed).
 * Only the year is checked against today, so a date later in the current
 * year passes; a caller with today's full date can compare it. */
int birthday_parse(const char *text, int today_y, int *y, int *m, int *d);

bool is_leap_year(int y);
/* A date as lang writes it in a text: "31.12.2026" (pl, ro), "2026. 12. 31."
 * (hu), "2026-12-31" (en and any other). */
void date_format(int y, int m, int d, const char *lang, char *out, size_t outsz);

/* The clock `id` (CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for the
 * time of day) in milliseconds. */
int64_t clock_ms(clockid_t id);
/* Sleeps ms milliseconds (less if a signal comes). */
void sleep_ms(int ms);
int days_in_month(int y, int m);                /* 0 if m is not 1-12 */

/* Days since 1970-01-01 in the proleptic Gregorian calendar, and back. */
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t days, int *y, int *m, int *d);
/* In the local time zone: the calendar date of ms (wday: Monday = 0;
 * minute: of the day), and local midnight before ms. */
void local_date(int64_t ms, int *y, int *m, int *d, int *wday, int *minute);
int64_t day_start_local(int64_t ms);

/* --- JSON writer ------------------------------------------------------- */

/* Builds one JSON document in a growing heap buffer. Commas are inserted
 * automatically; inside an object call jb_key() before each value. Misuse
 * (a value where a key is due, a second top-level value, unbalanced ends,
 * nesting deeper than JB_MAX_DEPTH) and running out of memory set jb.oom
 * and are sticky: the writer stops and jb_result() returns NULL. Strings
 * are escaped ('"', '\\', control characters as \n or \u00XX); UTF-8
 * passes through, and bytes that are not valid UTF-8 become U+FFFD, so the
 * output is always valid JSON. */
#define JB_MAX_DEPTH 32

struct jbuf {
    char *buf;                  /* NUL-terminated; NULL before any output */
    size_t len, cap;
    int depth;
    bool need_comma[JB_MAX_DEPTH + 1];
    bool in_object[JB_MAX_DEPTH + 1];
    bool after_key;
    bool oom;                   /* any error: out of memory or misuse */
};

void jb_init(struct jbuf *jb);
void jb_free(struct jbuf *jb);
/* The document, or NULL after an error or with containers left open. */
const char *jb_result(const struct jbuf *jb);

void jb_obj_begin(struct jbuf *jb);
void jb_obj_end(struct jbuf *jb);
void jb_arr_begin(struct jbuf *jb);
void jb_arr_end(struct jbuf *jb);
void jb_key(struct jbuf *jb, const char *name);
void jb_str(struct jbuf *jb, const char *s);    /* NULL writes null */
void jb_int(struct jbuf *jb, int64_t v);
void jb_bool(struct jbuf *jb, bool v);
void jb_null(struct jbuf *jb);
/* A pre-rendered JSON value, written as is; NULL or "" writes null. */
void jb_raw(struct jbuf *jb, const char *json);
/* An amount as a JSON string in money_plain() form, e.g. "12.50", so no
 * reader ever turns it into a float. */
void jb_money(struct jbuf *jb, int64_t minor, int digits);
/* A member of an object in one call: jb_key(name), then the value as the
 * functions above write it. Most objects are a run of these. */
void jb_key_str(struct jbuf *jb, const char *name, const char *s);
void jb_key_int(struct jbuf *jb, const char *name, int64_t v);
void jb_key_bool(struct jbuf *jb, const char *name, bool v);
void jb_key_money(struct jbuf *jb, const char *name, int64_t minor, int digits);

/* --- statistics (stats.c) ------------------------------------------------ */

/* The t distribution with df degrees of freedom: P(T <= t), and the t
 * with P(T <= t) = p (NaN for p outside (0, 1) or df <= 0). */
double t_cdf(double t, double df);
double t_quantile(double p, double df);
/* Welch's t for mean1 - mean2 (sample variances, n - 1 below): the
 * difference, its standard error, the Welch-Satterthwaite degrees of
 * freedom and the interval at level (0.95). -1 with fewer than 2 in
 * either sample (diff is still set, the rest NaN). */
struct welch { double diff, se, df, low, high; };
int welch(double mean1, double var1, long long n1, double mean2, double var2, long long n2, double level,
          struct welch *out);
/* How many more members (arm and holdout together, in their present
 * proportion) would show a difference of diff at 95 % confidence with
 * 80 % power; 0 if enough already, INFINITY for no difference. */
double welch_members_needed(double diff, double var1, long long n1, double var2, long long n2);

/* --- CSV reader ----------------------------------------------------------- */

/* Reads RFC 4180 CSV as spreadsheets export it: quoted fields with ""
 * for a quote and line breaks inside quotes, CRLF, LF or (old Mac Excel)
 * CR line ends, a UTF-8 byte order mark at the start skipped. A line break
 * inside a quoted field is returned as LF whatever the file used.
 * Lenient where spreadsheets are sloppy: a quote inside an unquoted field
 * is kept as is, and text after a closing quote is appended to the field.
 * Lines that are completely empty are skipped.
 *
 * With delim 0 the delimiter is whichever of ',' ';' and tab occurs most
 * often outside quotes in the first line (ties go to ','); Polish,
 * Romanian and Hungarian Excel writes ';'. */
#define CSV_MAX_RECORD 65536    /* bytes in one record, line ends excluded */

struct csv;

/* NULL if out of memory, or delim is not ASCII or is '"', CR or LF.
 * Reads at most the first line of f ahead; the caller still owns and
 * closes f. */
struct csv *csv_open(FILE *f, int delim);

/* 1 with the next record in *fields / *nfields (valid until the next call;
 * every field is valid UTF-8 without NUL bytes), 0 at the end of input, -1
 * on an error: a quote not closed by the end of input, a record longer
 * than CSV_MAX_RECORD, invalid UTF-8, a NUL byte, a read error, or out of
 * memory. Errors are final: later calls return -1 too. */
int csv_next(struct csv *c, char ***fields, int *nfields);

/* 1-based line where the current (or failed) record starts. */
long csv_line(const struct csv *c);
/* The delimiter in use. */
int csv_delim(const struct csv *c);
/* Translated one-line reason for the last -1, "" if none. */
const char *csv_error(const struct csv *c);
void csv_close(struct csv *c);

/* --- the log ------------------------------------------------------------- */

/* Logging, syslog levels (LOG_ERR ...): to syslog (identity and facility
 * from log_set_ident, "tally-syncd"/LOG_DAEMON unless told) and to stderr,
 * "<N>tally-syncd: ..." (or "tally-syncd: warning: ..." on a terminal).
 * Debug messages only after log_set_level(LOG_DEBUG) (--verbose). Phone
 * numbers and e-mail addresses in a line are masked. */
void log_set_level(int max_level);
void log_set_ident(const char *ident, int facility);
void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
