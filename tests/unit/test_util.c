/* test_util.c - unit tests for util/: UTF-8, folding, money, dates, the
 * JSON writer and the CSV reader. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/util.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- UTF-8 ----------------------------------------------------------------- */

static void test_utf8_valid_accepts(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "", "plain ascii", "Łódź", "Ștefan", "日本語", "\xf0\x9f\x98\x80",
        "\xed\x9f\xbf",         /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",         /* U+E000, just above */
        "\xf4\x8f\xbf\xbf",     /* U+10FFFF, the last code point */
        "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80", /* shortest forms */
    };
    for (size_t i = 0; i < COUNT(ok); i++)
        assert_true(utf8_valid(ok[i], strlen(ok[i])));
    assert_true(utf8_valid("a\0b", 3));     /* NUL is a code point */
}

static void test_utf8_valid_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xc0\xaf", "\xc1\xbf",                 /* overlong 2-byte */
        "\xe0\x80\xaf", "\xe0\x9f\xbf",         /* overlong 3-byte */
        "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
        "\xed\xa0\x80", "\xed\xbf\xbf",         /* surrogates */
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", /* above U+10FFFF */
        "\xff", "\xfe", "\x80", "\xbf",         /* never lead bytes */
        "\xc5", "\xe2\x82", "\xf0\x9f\x98",     /* truncated */
        "\xc5" "A", "\xe2\x82" "A", "ok \xc3",  /* broken mid-string */
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        assert_false(utf8_valid(bad[i], strlen(bad[i])));
    }
    /* A valid sequence cut short by len is truncated too. */
    assert_false(utf8_valid("\xc5\x81", 1));
}

static void test_utf8_decode(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(utf8_decode("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_decode("\xc5\x81", 2, &cp), 2);
    assert_int_equal(cp, 0x141);
    assert_int_equal(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(utf8_decode("\xc0\xaf", 2, &cp), -1);
    assert_int_equal(utf8_decode("", 0, &cp), -1);
}

static void test_utf8_chars_and_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_chars(""), 0);
    assert_int_equal(utf8_chars("abc"), 3);
    assert_int_equal(utf8_chars("Łódź"), 4);
    assert_int_equal(utf8_chars("日本"), 2);
    assert_int_equal(utf8_chars("a\xff" "b"), 3);   /* a bad byte counts one */

    assert_int_equal(utf8_width(""), 0);
    assert_int_equal(utf8_width("abc"), 3);
    assert_int_equal(utf8_width("Łódź"), 4);
    assert_int_equal(utf8_width("e\xcc\x81"), 1);           /* e + U+0301 */
    assert_int_equal(utf8_width("S\xcc\xa6tefan"), 6);      /* S + U+0326 */
    assert_int_equal(utf8_width("日本"), 4);
    assert_int_equal(utf8_width("한국어"), 6);
    assert_int_equal(utf8_width("\xef\xbd\x81"), 2);        /* fullwidth a */
    assert_int_equal(utf8_width("\xf0\x9f\x98\x80"), 2);    /* emoji */
    assert_int_equal(utf8_width("\xe2\x98\x95"), 2);        /* hot beverage */
    assert_int_equal(utf8_width("a\xe2\x80\x8b" "b"), 2);   /* zero width space */
    assert_int_equal(utf8_width("€12"), 3);
    assert_int_equal(utf8_width("a\tb"), -1);
    assert_int_equal(utf8_width("a\xc2\x85"), -1);          /* C1 control */
    assert_int_equal(utf8_width("\xc0\xaf"), -1);
    /* What a column is padded by: never -1, bytes when not printable. */
    assert_int_equal(text_columns("Drożdżówka"), 10);
    assert_int_equal(text_columns("日本"), 4);
    assert_int_equal(text_columns("a\tb"), 3);
    assert_int_equal(text_columns("\xc0\xaf"), 2);
}

/* A name in a column: whole if it fits, else cut at a letter with "…". */
static void test_text_clip(void **state)
{
    (void)state;
    char out[64];
    text_clip("Pénztár ő", 9, out, sizeof out);
    assert_string_equal(out, "Pénztár ő");
    text_clip("Kasa główna – łąka", 18, out, sizeof out);
    assert_string_equal(out, "Kasa główna – łąka");
    text_clip("Kasa główna – łąka", 14, out, sizeof out);
    assert_string_equal(out, "Kasa główna –…");
    assert_int_equal(text_columns(out), 14);
    text_clip("日本語", 4, out, sizeof out);         /* a wide letter that would reach column 5 stays out */
    assert_string_equal(out, "日…");
    text_clip("żółw", 1, out, sizeof out);
    assert_string_equal(out, "…");
    text_clip("żółw", 0, out, sizeof out);
    assert_string_equal(out, "");
    text_clip("Zażółć", 20, out, 8);                 /* fits the columns, not the bytes */
    assert_string_equal(out, "Zaż…");
    text_clip("ab\xc0\xaf" "cdef", 4, out, sizeof out); /* stops at bytes that are not UTF-8 */
    assert_string_equal(out, "ab…");
}

/* --- folding and cleaning ---------------------------------------------- */

static void test_text_fold_table(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"Łukasz", "lukasz"},
        {"Ştefan", "stefan"},           /* S cedilla, U+015E */
        {"Ștefan", "stefan"},           /* S comma below, U+0218 */
        {"ș ş Ș Ş", "s s s s"},
        {"Țară ţară", "tara tara"},     /* T comma below and cedilla */
        {"Ăâî ÂÎ", "aai ai"},
        {"Őrs", "ors"},
        {"Űrhajós", "urhajos"},
        {"Żółć", "zolc"},
        {"ĄĆĘŁŃÓŚŹŻ ąćęłńóśźż", "acelnoszz acelnoszz"},
        {"Ärztin", "arztin"},
        {"Müller Öztürk", "muller ozturk"},
        {"Straße", "strasse"},
        {"ẞ", "ss"},                    /* capital sharp s */
        {"Æbleskiver", "aebleskiver"},
        {"Œuvre", "oeuvre"},
        {"Þór", "thor"},
        {"Dvořák Čapek Šťastný Žofie Ďurová Ňuňa Ůl Ěva",
         "dvorak capek stastny zofie durova nuna ul eva"},
        {"Ľubomír Ĺ ĺ ľ", "lubomir l l l"},
        {"İstanbul Iğdır Şişli Çağ", "istanbul igdir sisli cag"},
        {"François Noël Hélène Ÿvette", "francois noel helene yvette"},
        {"Niño Peña Ángel Íñigo", "nino pena angel inigo"},
        {"Øresund Åse Ðuro", "oresund ase duro"},
        {"Ĳsselmeer", "ijsselmeer"},
        {"ÀÁÂÃÄÅ àáâãäå", "aaaaaa aaaaaa"},
        {"ÈÉÊË ÌÍÎÏ ÒÓÔÕÖ ÙÚÛÜ Ý ý ÿ", "eeee iiii ooooo uuuu y y y"},
        {"ABCxyz 123", "abcxyz 123"},
        {"S\xcc\xa6" "tefan", "stefan"},     /* decomposed: S + U+0326 */
        {"Zo\xc3\xab Zoe\xcc\x88", "zoe zoe"}, /* precomposed and not */
        {"Иван Петров", "иван петров"},
        {"Ёлка Їжак", "ёлка їжак"},
        {"ΑΘΗΝΑ", "αθηνα"},
        {"日本 ×÷ €", "日本 ×÷ €"},     /* pass through unchanged */
        {"", ""},
    };
    char out[128];
    for (size_t i = 0; i < COUNT(cases); i++) {
        int rc = text_fold(cases[i].in, out, sizeof out);
        if (rc != 0 || strcmp(out, cases[i].out) != 0)
            fail_msg("fold(\"%s\") = %d \"%s\", want \"%s\"", cases[i].in,
                     rc, out, cases[i].out);
    }
}

static void test_text_fold_whitespace_and_limits(void **state)
{
    (void)state;
    char out[64];

    assert_int_equal(text_fold("  Anna \t\n Maria   Kowalska \r\n", out,
                               sizeof out), 0);
    assert_string_equal(out, "anna maria kowalska");
    assert_int_equal(text_fold("Jan\xc2\xa0Nowak\xe2\x80\x83X", out,
                               sizeof out), 0);     /* NBSP, em space */
    assert_string_equal(out, "jan nowak x");
    assert_int_equal(text_fold(" \t ", out, sizeof out), 0);
    assert_string_equal(out, "");

    assert_int_equal(text_fold("ab\xc0\xaf", out, sizeof out), -1);
    assert_string_equal(out, "");
    assert_int_equal(text_fold("ab\xed\xa0\x80", out, sizeof out), -1);

    /* "ß" needs 3 bytes with the NUL; trailing space costs nothing. */
    assert_int_equal(text_fold("ß", out, 2), -1);
    assert_string_equal(out, "");
    assert_int_equal(text_fold("ß   ", out, 3), 0);
    assert_string_equal(out, "ss");
    assert_int_equal(text_fold("a", out, 0), -1);
}

static void test_text_clean(void **state)
{
    (void)state;
    char out[64];

    assert_int_equal(text_clean("  Anna  Kowalska \xc2\xa0", out, sizeof out,
                                100), 0);
    assert_string_equal(out, "Anna  Kowalska");     /* inner kept */
    assert_int_equal(text_clean("Zoë Łódź", out, sizeof out, 8), 0);
    assert_string_equal(out, "Zoë Łódź");
    assert_int_equal(text_clean("Zoë Łódź", out, sizeof out, 7), -1);
    assert_string_equal(out, "");
    assert_int_equal(text_clean("   abc   ", out, sizeof out, 3), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(text_clean("", out, sizeof out, 3), 0);
    assert_string_equal(out, "");
    assert_int_equal(text_clean("   ", out, sizeof out, 3), 0);
    assert_string_equal(out, "");

    static const char *const bad[] = {
        "a\x01" "b", "a\tb", "a\nb", "trailing\n", "a\x7f", "a\xc2\x85",
        "a\xe2\x80\xae" "b", "a\xe2\x81\xa6" "b", "line\xe2\x80\xa8sep",
        "\xc0\xaf", "ab\xed\xa0\x80", "\xc5",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_int_equal(text_clean(bad[i], out, sizeof out, 100), -1);

    /* Does not fit: "abcd" needs 5 bytes. */
    assert_int_equal(text_clean("abcd", out, 4, 100), -1);
    assert_int_equal(text_clean("abcd", out, 5, 100), 0);

    char same[] = "  in place  ";
    assert_int_equal(text_clean(same, same, sizeof same, 20), 0);
    assert_string_equal(same, "in place");
}

/* --- currencies and money --------------------------------------------- */

static void test_currencies(void **state)
{
    (void)state;
    static const struct { const char *code; int digits; const char *sym; }
    cases[] = {
        {"PLN", 2, "zł"}, {"RON", 2, "lei"}, {"HUF", 0, "Ft"},
        {"EUR", 2, "€"}, {"CZK", 2, "Kč"}, {"GBP", 2, "£"},
        {"CHF", 2, "CHF"}, {"SEK", 2, "kr"}, {"NOK", 2, "kr"},
        {"DKK", 2, "kr."}, {"BGN", 2, "лв."}, {"USD", 2, "$"},
        {"JPY", 0, "¥"}, {"ISK", 0, "kr"}, {"UAH", 2, "₴"},
        {"RSD", 2, "дин."}, {"BAM", 2, "KM"}, {"MDL", 2, "lei"},
        {"ALL", 2, "L"}, {"MKD", 2, "ден"}, {"TRY", 2, "₺"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_true(currency_known(cases[i].code));
        assert_int_equal(currency_digits(cases[i].code), cases[i].digits);
        assert_string_equal(currency_symbol(cases[i].code), cases[i].sym);
    }
    static const char *const unknown[] = {"pln", "Pln", "PL", "PLNX", "",
                                          "XYZ", "EU1"};
    for (size_t i = 0; i < COUNT(unknown); i++) {
        assert_false(currency_known(unknown[i]));
        assert_int_equal(currency_digits(unknown[i]), -1);
        assert_null(currency_symbol(unknown[i]));
    }
    assert_false(currency_known(NULL));
}

static void test_money_parse_accepts(void **state)
{
    (void)state;
    static const struct { const char *text; int digits; int64_t minor; }
    cases[] = {
        {"12.50", 2, 1250}, {"12,50", 2, 1250}, {"12", 2, 1200},
        {"12.5", 2, 1250}, {" 12.50 ", 2, 1250}, {"0.99", 2, 99},
        {"0", 2, 0}, {"007", 2, 700}, {"\t3,05\n", 2, 305},
        {"1234", 0, 1234}, {"10000000", 2, 1000000000},
        {"10000000.00", 2, 1000000000}, {"10000000", 0, 10000000},
        {"1.234", 3, 1234},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t v = -1;
        if (money_parse(cases[i].text, cases[i].digits, &v) != 0 ||
            v != cases[i].minor)
            fail_msg("money_parse(\"%s\", %d) gave %lld", cases[i].text,
                     cases[i].digits, (long long)v);
    }
}

static void test_money_parse_rejects(void **state)
{
    (void)state;
    static const struct { const char *text; int digits; } cases[] = {
        {"", 2}, {" ", 2}, {"-1", 2}, {"-3", 2}, {"+3", 2},
        {"12.505", 2}, {"1e3", 2}, {"1E3", 2}, {"99999999999999999999", 2},
        {"1,234.50", 2}, {"1.234,50", 2}, {"1 234", 2}, {"1'234", 2},
        {"12.", 2}, {".5", 2}, {",5", 2}, {"12..5", 2}, {"12.5.0", 2},
        {"abc", 2}, {"12a", 2}, {"zł12", 2}, {"12 zł", 2}, {"0x10", 2},
        {"10000000.01", 2}, {"10000001", 0}, {"12.5", 0}, {"12.0", 0},
        {"12,", 0}, {"١٢", 2},  /* Arabic-Indic digits */
        {"12", -1}, {"12", 7},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t v = 4242;
        if (money_parse(cases[i].text, cases[i].digits, &v) != -1)
            fail_msg("money_parse(\"%s\", %d) accepted: %lld", cases[i].text,
                     cases[i].digits, (long long)v);
        assert_int_equal(v, 4242);      /* untouched on failure */
    }
    int64_t v;
    assert_int_equal(money_parse(NULL, 2, &v), -1);
}

static void test_decimal_parse(void **state)
{
    (void)state;
    int64_t v = 0;

    assert_int_equal(decimal_parse("1.25", 3, 0, 100000, &v), 0);
    assert_int_equal(v, 1250);
    assert_int_equal(decimal_parse("1,5", 3, 0, 100000, &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(decimal_parse("7", 0, 0, 10, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(decimal_parse("100", 2, 0, 10000, &v), 0);  /* at max */
    assert_int_equal(v, 10000);
    assert_int_equal(decimal_parse("100.01", 2, 0, 10000, &v), -1);
    assert_int_equal(decimal_parse("0.5", 2, 100, 200, &v), -1); /* < min */
    assert_int_equal(decimal_parse("1.2505", 3, 0, 100000, &v), -1);
    assert_int_equal(decimal_parse("-1", 2, -1000, 1000, &v), -1);
    assert_int_equal(decimal_parse("1.5", 0, 0, 10, &v), -1);
    assert_int_equal(decimal_parse("922337203685477580.8", 1, 0, INT64_MAX,
                                   &v), -1);              /* overflows */
    assert_int_equal(decimal_parse("922337203685477580.7", 1, 0, INT64_MAX,
                                   &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(decimal_parse("1", 10, 0, INT64_MAX, &v), -1);
}

/* Rates and averages the way each language writes them. */
static void test_decimal_and_percent(void **state)
{
    (void)state;
    static const struct { int64_t v; int dec; const char *lang, *dec_out, *pct_out; } cases[] = {
        { 551, 1, "en", "55.1", "55.1%" },     { 551, 1, "pl", "55,1", "55,1%" },
        { 551, 1, "hu", "55,1", "55,1%" },     { 551, 1, "ro", "55,1", "55,1 %" },
        { -31, 1, "pl", "-3,1", "-3,1%" },     { 0, 1, "ro", "0,0", "0,0 %" },
        { 1000, 1, "en", "100.0", "100.0%" },  { 270, 2, "pl", "2,70", "2,70%" },
        { 123456, 1, "pl", "12 345,6", "12 345,6%" }, { 123456, 1, "ro", "12.345,6", "12.345,6 %" },
        { 123456, 1, "en", "12,345.6", "12,345.6%" }, { 5, 0, NULL, "5", "5%" },
        { 551, 1, "xx", "55.1", "55.1%" },
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        decimal_format(cases[i].v, cases[i].dec, cases[i].lang, out, sizeof out);
        if (strcmp(out, cases[i].dec_out) != 0)
            fail_msg("decimal_format(%lld, %d, %s) = \"%s\", want \"%s\"", (long long)cases[i].v,
                     cases[i].dec, cases[i].lang ? cases[i].lang : "NULL", out, cases[i].dec_out);
        percent_format(cases[i].v, cases[i].dec, cases[i].lang, out, sizeof out);
        if (strcmp(out, cases[i].pct_out) != 0)
            fail_msg("percent_format(%lld, %d, %s) = \"%s\", want \"%s\"", (long long)cases[i].v,
                     cases[i].dec, cases[i].lang ? cases[i].lang : "NULL", out, cases[i].pct_out);
    }
    char tiny[4];
    percent_format(551, 1, "ro", tiny, sizeof tiny);
    assert_string_equal(tiny, "");     /* cut would mislead: nothing instead */
}

static void test_money_format(void **state)
{
    (void)state;
    static const struct {
        int64_t minor; const char *cur, *lang, *want;
    } cases[] = {
        {1250, "PLN", "pl", "12,50 zł"},
        {123450, "PLN", "pl", "1 234,50 zł"},
        {123456789, "PLN", "pl", "1 234 567,89 zł"},
        {-1250, "PLN", "pl", "-12,50 zł"},
        {0, "PLN", "pl", "0,00 zł"},
        {5, "PLN", "pl", "0,05 zł"},
        {99999, "PLN", "pl", "999,99 zł"},
        {1250, "RON", "ro", "12,50 lei"},
        {123450, "RON", "ro", "1.234,50 lei"},
        {-100000000, "RON", "ro", "-1.000.000,00 lei"},
        {1234, "HUF", "hu", "1 234 Ft"},
        {999, "HUF", "hu", "999 Ft"},
        {1250, "EUR", "hu", "12,50 €"},
        {-5000, "HUF", "hu", "-5 000 Ft"},
        {1250, "EUR", "en", "€12.50"},
        {123450, "EUR", "en", "€1,234.50"},
        {320, "GBP", "en", "£3.20"},
        {-300, "EUR", "en", "-€3.00"},
        {123456, "USD", "en", "$1,234.56"},
        {1000, "JPY", "en", "¥1,000"},
        {1250, "PLN", "en", "12.50 zł"},
        {1234, "HUF", "en", "1,234 Ft"},
        {1250, "RON", "en", "12.50 lei"},
        {1250, "CHF", "en", "12.50 CHF"},
        {123450, "EUR", "de", "1.234,50 €"},
        {123450, "CZK", "cs", "1 234,50 Kč"},
        {1250, "EUR", "ro", "12,50 €"},
        {1250, "EUR", "pl", "12,50 €"},
        {1250, "PLN", NULL, "12.50 zł"},
        {1250, "PLN", "xx", "12.50 zł"},
        {1250, "PLN", "", "12.50 zł"},
        {123450, "PLN", "pl_PL.UTF-8", "1 234,50 zł"},
        {123450, "PLN", "PL", "1 234,50 zł"},
        {1250, "XYZ", "en", "12.50 XYZ"},
        {1250, "xyz", "en", "12.50 ¤"},
        {1250, NULL, "pl", "12,50 ¤"},
        {INT64_MIN, "PLN", "pl", "-92 233 720 368 547 758,08 zł"},
        {INT64_MAX, "HUF", "en", "9,223,372,036,854,775,807 Ft"},
    };
    char out[MONEY_BUFSZ];
    for (size_t i = 0; i < COUNT(cases); i++) {
        money_format(cases[i].minor, cases[i].cur, cases[i].lang, out,
                     sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("money_format(%lld, %s, %s) = \"%s\", want \"%s\"",
                     (long long)cases[i].minor, cases[i].cur,
                     cases[i].lang ? cases[i].lang : "NULL", out,
                     cases[i].want);
    }
    /* Too small: nothing rather than a misleading "1 23". */
    char tiny[5];
    money_format(123450, "PLN", "pl", tiny, sizeof tiny);
    assert_string_equal(tiny, "");
    money_format(1, "PLN", "pl", out, 0);   /* must not write */
    /* The number alone, in the same style. */
    money_number(405944270, "PLN", "pl", out, sizeof out);
    assert_string_equal(out, "4 059 442,70");
    money_number(-2500, "EUR", "en", out, sizeof out);
    assert_string_equal(out, "-25.00");
    money_number(123456, "HUF", "hu", out, sizeof out);
    assert_string_equal(out, "123 456");
    money_number(-123450, "RON", "ro", out, sizeof out);
    assert_string_equal(out, "-1.234,50");
    money_number(123450, "PLN", "pl", tiny, sizeof tiny);
    assert_string_equal(tiny, "");
}

static void test_money_plain(void **state)
{
    (void)state;
    static const struct { int64_t minor; int digits; const char *want; }
    cases[] = {
        {1250, 2, "12.50"}, {-300, 2, "-3.00"}, {1234, 0, "1234"},
        {5, 2, "0.05"}, {-5, 2, "-0.05"}, {0, 2, "0.00"}, {0, 0, "0"},
        {1, 3, "0.001"}, {123456789, 2, "1234567.89"},
        {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MAX, 0, "9223372036854775807"},
        {42, -1, "42"}, {42, 19, "42"},
    };
    char out[MONEY_BUFSZ];
    for (size_t i = 0; i < COUNT(cases); i++) {
        money_plain(cases[i].minor, cases[i].digits, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
    char tiny[4];
    money_plain(1250, 2, tiny, sizeof tiny);
    assert_string_equal(tiny, "");
}

/* --- dates ------------------------------------------------------------ */

/* A date as each language writes it in a letter. */
static void test_date_format(void **state)
{
    (void)state;
    char out[32];
    date_format(2026, 3, 7, "pl", out, sizeof out);
    assert_string_equal(out, "07.03.2026");
    date_format(2026, 3, 7, "ro", out, sizeof out);
    assert_string_equal(out, "07.03.2026");
    date_format(2026, 3, 7, "hu", out, sizeof out);
    assert_string_equal(out, "2026. 03. 07.");
    date_format(2026, 3, 7, "en", out, sizeof out);
    assert_string_equal(out, "2026-03-07");
    date_format(2026, 12, 31, NULL, out, 8);            /* cut, NUL-terminated */
    assert_string_equal(out, "2026-12");
}

static void test_date_parse(void **state)
{
    (void)state;
    static const struct { const char *text; int y, m, d; } ok[] = {
        {"2024-02-29", 2024, 2, 29}, {"2000-02-29", 2000, 2, 29},
        {"2026-04-30", 2026, 4, 30}, {"2026-12-31", 2026, 12, 31},
        {"1970-01-01", 1970, 1, 1}, {"0001-01-01", 1, 1, 1},
        {"9999-12-31", 9999, 12, 31},
    };
    for (size_t i = 0; i < COUNT(ok); i++) {
        int y = 0, m = 0, d = 0;
        assert_int_equal(date_parse(ok[i].text, &y, &m, &d), 0);
        assert_int_equal(y, ok[i].y);
        assert_int_equal(m, ok[i].m);
        assert_int_equal(d, ok[i].d);
    }
    static const char *const bad[] = {
        "2023-02-29", "1900-02-29", "2100-02-29", "2026-04-31",
        "2026-06-31", "2026-00-10", "2026-13-01", "2026-01-00",
        "2026-01-32", "0000-01-01", "2026-1-01", "2026-01-1", "26-01-01",
        "2026/01/01", "2026-01-01 ", " 2026-01-01", "2026-01-01T00:00",
        "", "abcd-ef-gh", "+026-01-01", "2026-+1-01", "2026--1-01",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        int y, m, d;
        if (date_parse(bad[i], &y, &m, &d) != -1)
            fail_msg("date_parse accepted \"%s\"", bad[i]);
    }
    int y, m, d;
    assert_int_equal(date_parse(NULL, &y, &m, &d), -1);
    assert_int_equal(days_in_month(2024, 2), 29);
    assert_int_equal(days_in_month(2023, 2), 28);
    assert_int_equal(days_in_month(2023, 13), 0);
}

static void test_birthday_parse(void **state)
{
    (void)state;
    int y = -1, m = -1, d = -1;

    assert_int_equal(birthday_parse("1990-05-17", 2026, &y, &m, &d), 0);
    assert_int_equal(y, 1990);
    assert_int_equal(m, 5);
    assert_int_equal(d, 17);
    assert_int_equal(birthday_parse("02-29", 2026, &y, &m, &d), 0);
    assert_int_equal(y, 0);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    assert_int_equal(birthday_parse("--12-31", 2026, &y, &m, &d), 0);
    assert_int_equal(y, 0);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    assert_int_equal(birthday_parse("1900-01-01", 2026, &y, &m, &d), 0);
    assert_int_equal(birthday_parse("2026-01-01", 2026, &y, &m, &d), 0);

    static const char *const bad[] = {
        "1899-12-31", "2027-01-01", "2023-02-29", "02-30", "--02-30",
        "04-31", "13-01", "00-10", "01-00", "1-1", "---01-01", "-01-01",
        "0229", "", "--", "1990-05-17x",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (birthday_parse(bad[i], 2026, &y, &m, &d) != -1)
            fail_msg("birthday_parse accepted \"%s\"", bad[i]);
    }
}

static void test_days_known_values(void **state)
{
    (void)state;
    assert_int_equal(days_from_civil(1970, 1, 1), 0);
    assert_int_equal(days_from_civil(1969, 12, 31), -1);
    assert_int_equal(days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(days_from_civil(2024, 3, 1), 19783);
    assert_int_equal(days_from_civil(1, 1, 1), -719162);
    int y, m, d;
    civil_from_days(-719162, &y, &m, &d);
    assert_int_equal(y, 1);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
}

/* Every day from 1600 to 2400 (and some BCE years) maps to the next day
 * of the calendar and back to itself, and agrees with timegm(). */
static void test_days_round_trip(void **state)
{
    (void)state;
    int64_t first = days_from_civil(-400, 1, 1);
    int64_t last = days_from_civil(2400, 12, 31);
    int py, pm, pd;

    civil_from_days(first - 1, &py, &pm, &pd);
    assert_int_equal(py, -401);
    for (int64_t n = first; n <= last; n++) {
        int y, m, d;
        civil_from_days(n, &y, &m, &d);
        assert_true(days_from_civil(y, m, d) == n);
        /* the successor of the previous day */
        bool next_day = y == py && m == pm && d == pd + 1;
        bool next_month = y == py && m == pm + 1 && d == 1 &&
                          pd == days_in_month(py, pm);
        bool next_year = y == py + 1 && m == 1 && d == 1 && pm == 12 &&
                         pd == 31;
        if (!next_day && !next_month && !next_year)
            fail_msg("day %lld is %d-%d-%d after %d-%d-%d", (long long)n,
                     y, m, d, py, pm, pd);
        py = y;
        pm = m;
        pd = d;
    }
    for (int year = 1902; year <= 2037; year += 7) {
        struct tm tm = {.tm_year = year - 1900, .tm_mon = 6, .tm_mday = 15};
        assert_true((int64_t)timegm(&tm) / 86400 ==
                    days_from_civil(year, 7, 15));
    }
}

/* --- JSON ------------------------------------------------------------- */

static void test_json_document(void **state)
{
    (void)state;
    struct jbuf jb;

    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key(&jb, "name");
    jb_str(&jb, "Łukasz \"Łuki\" Żółć");
    jb_key(&jb, "points");
    jb_int(&jb, -42);
    jb_key(&jb, "big");
    jb_int(&jb, INT64_MIN);
    jb_key(&jb, "consent");
    jb_bool(&jb, true);
    jb_key(&jb, "off");
    jb_bool(&jb, false);
    jb_key(&jb, "phone");
    jb_null(&jb);
    jb_key(&jb, "email");
    jb_str(&jb, NULL);
    jb_key(&jb, "spend");
    jb_money(&jb, 1250, 2);
    jb_key(&jb, "owed");
    jb_money(&jb, -300, 2);
    jb_key(&jb, "forints");
    jb_money(&jb, 1234, 0);
    jb_key(&jb, "tags");
    jb_arr_begin(&jb);
    jb_str(&jb, "a");
    jb_int(&jb, 1);
    jb_arr_begin(&jb);
    jb_arr_end(&jb);
    jb_obj_begin(&jb);
    jb_obj_end(&jb);
    jb_raw(&jb, "{\"pre\":[1,2]}");
    jb_raw(&jb, "");
    jb_arr_end(&jb);
    jb_key(&jb, "last");
    jb_obj_begin(&jb);
    jb_key(&jb, "k");
    jb_str(&jb, "");
    jb_obj_end(&jb);
    jb_obj_end(&jb);

    assert_false(jb.oom);
    assert_non_null(jb_result(&jb));
    assert_string_equal(jb_result(&jb),
        "{\"name\":\"Łukasz \\\"Łuki\\\" Żółć\",\"points\":-42,"
        "\"big\":-9223372036854775808,\"consent\":true,\"off\":false,"
        "\"phone\":null,\"email\":null,\"spend\":\"12.50\","
        "\"owed\":\"-3.00\",\"forints\":\"1234\","
        "\"tags\":[\"a\",1,[],{},{\"pre\":[1,2]},null],"
        "\"last\":{\"k\":\"\"}}");
    assert_int_equal(jb.len, strlen(jb.buf));
    jb_free(&jb);
    assert_null(jb.buf);
}

/* jb_key_str and its kin write the same as jb_key and the value, and
 * share its misuse rule: outside an object the writer stops. */
static void test_json_members(void **state)
{
    (void)state;
    struct jbuf jb;

    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "name", "Zoë \"Z\"");
    jb_key_str(&jb, "email", NULL);
    jb_key_int(&jb, "points", -42);
    jb_key_bool(&jb, "consent", true);
    jb_key_bool(&jb, "sms", false);
    jb_key_money(&jb, "spend", 1250, 2);
    jb_key_money(&jb, "forints", -1234, 0);
    jb_obj_end(&jb);
    assert_string_equal(jb_result(&jb),
        "{\"name\":\"Zoë \\\"Z\\\"\",\"email\":null,\"points\":-42,"
        "\"consent\":true,\"sms\":false,\"spend\":\"12.50\",\"forints\":\"-1234\"}");
    jb_free(&jb);

    jb_init(&jb);
    jb_arr_begin(&jb);
    jb_key_int(&jb, "n", 1);
    jb_arr_end(&jb);
    assert_true(jb.oom);
    assert_null(jb_result(&jb));
    jb_free(&jb);
}

static void test_json_escaping(void **state)
{
    (void)state;
    struct jbuf jb;

    jb_init(&jb);
    jb_arr_begin(&jb);
    jb_str(&jb, "q\" b\\ n\n r\r t\t b\b f\f 1\x01 1f\x1f del\x7f /");
    jb_str(&jb, "ok é 日 \xf0\x9f\x98\x80");
    jb_str(&jb, "bad \xff \xc0\xaf end");
    jb_arr_end(&jb);
    assert_string_equal(jb_result(&jb),
        "[\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f 1\\u0001 1f\\u001f "
        "del\x7f /\","
        "\"ok é 日 \xf0\x9f\x98\x80\","
        "\"bad \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end\"]");
    jb_free(&jb);

    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key(&jb, "we\"ird\n");
    jb_int(&jb, 1);
    jb_obj_end(&jb);
    assert_string_equal(jb_result(&jb), "{\"we\\\"ird\\n\":1}");
    jb_free(&jb);
}

static void test_json_misuse(void **state)
{
    (void)state;
    struct jbuf jb;

    /* A value in an object without a key. */
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_int(&jb, 1);
    jb_obj_end(&jb);
    assert_true(jb.oom);
    assert_null(jb_result(&jb));
    jb_free(&jb);

    /* A key in an array. */
    jb_init(&jb);
    jb_arr_begin(&jb);
    jb_key(&jb, "k");
    assert_true(jb.oom);
    jb_free(&jb);

    /* Mismatched and missing ends. */
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_arr_end(&jb);
    assert_null(jb_result(&jb));
    jb_free(&jb);
    jb_init(&jb);
    jb_arr_begin(&jb);
    assert_null(jb_result(&jb));
    jb_free(&jb);
    jb_init(&jb);
    jb_obj_end(&jb);
    assert_null(jb_result(&jb));
    jb_free(&jb);

    /* A key left without its value. */
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key(&jb, "k");
    jb_obj_end(&jb);
    assert_null(jb_result(&jb));
    jb_free(&jb);

    /* Two top-level values. */
    jb_init(&jb);
    jb_int(&jb, 1);
    assert_string_equal(jb_result(&jb), "1");
    jb_int(&jb, 2);
    assert_null(jb_result(&jb));
    jb_free(&jb);

    /* Nesting: JB_MAX_DEPTH levels are fine, one more is not. */
    jb_init(&jb);
    for (int i = 0; i < JB_MAX_DEPTH; i++)
        jb_arr_begin(&jb);
    for (int i = 0; i < JB_MAX_DEPTH; i++)
        jb_arr_end(&jb);
    assert_non_null(jb_result(&jb));
    assert_int_equal(jb.len, 2 * JB_MAX_DEPTH);
    jb_free(&jb);
    jb_init(&jb);
    for (int i = 0; i <= JB_MAX_DEPTH; i++)
        jb_arr_begin(&jb);
    assert_true(jb.oom);
    jb_free(&jb);

    /* Nothing written yet is an empty document, not a crash. */
    jb_init(&jb);
    assert_string_equal(jb_result(&jb), "");
    jb_free(&jb);
}

static void test_json_grows(void **state)
{
    (void)state;
    struct jbuf jb;
    char word[16];

    jb_init(&jb);
    jb_arr_begin(&jb);
    for (int i = 0; i < 5000; i++) {
        snprintf(word, sizeof word, "w%d", i);
        jb_str(&jb, word);
    }
    jb_arr_end(&jb);
    assert_non_null(jb_result(&jb));
    assert_int_equal(strncmp(jb.buf, "[\"w0\",\"w1\",", 11), 0);
    assert_string_equal(jb.buf + jb.len - 8, "\"w4999\"]");
    jb_free(&jb);
}

/* --- CSV -------------------------------------------------------------- */

static FILE *mem(const char *data, size_t len)
{
    FILE *f = fmemopen((void *)data, len, "r");
    assert_non_null(f);
    return f;
}

#define MEM(s) mem((s), sizeof(s) - 1)

/* Reads the next record and checks its line and fields. */
static void expect_record(struct csv *c, long line, int n, ...)
{
    char **fields;
    int nfields;
    va_list ap;

    int rc = csv_next(c, &fields, &nfields);
    if (rc != 1)
        fail_msg("csv_next = %d (%s), want a record at line %ld", rc,
                 csv_error(c), line);
    assert_int_equal(csv_line(c), line);
    assert_int_equal(nfields, n);
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(fields[i], va_arg(ap, const char *));
    va_end(ap);
}

static void expect_end(struct csv *c)
{
    char **fields;
    int nfields;
    assert_int_equal(csv_next(c, &fields, &nfields), 0);
    assert_int_equal(csv_next(c, &fields, &nfields), 0);
}

static void expect_error(struct csv *c, long line)
{
    char **fields;
    int nfields;
    assert_int_equal(csv_next(c, &fields, &nfields), -1);
    assert_int_equal(csv_line(c), line);
    assert_true(strlen(csv_error(c)) > 0);
    assert_int_equal(csv_next(c, &fields, &nfields), -1);  /* final */
}

static void test_csv_quotes(void **state)
{
    (void)state;
    FILE *f = MEM("name,city,note\n"
                  "\"Kowalski, Jan\",Kraków,\"said \"\"hi\"\"\"\n"
                  "a,,\"\"\n"
                  "x,y,\n");
    struct csv *c = csv_open(f, 0);
    assert_non_null(c);
    assert_int_equal(csv_delim(c), ',');
    expect_record(c, 1, 3, "name", "city", "note");
    expect_record(c, 2, 3, "Kowalski, Jan", "Kraków", "said \"hi\"");
    expect_record(c, 3, 3, "a", "", "");
    expect_record(c, 4, 3, "x", "y", "");
    expect_end(c);
    assert_string_equal(csv_error(c), "");
    csv_close(c);
    fclose(f);
}

/* "A"B" is a quote that was not doubled: an error on its line, never
 * the text 'AB"' (issue 13). */
static void test_csv_stray_quote(void **state)
{
    (void)state;
    FILE *f = MEM("name,phone\n"
                  "\"A\"B\",600100200\n");
    struct csv *c = csv_open(f, 0);
    assert_non_null(c);
    expect_record(c, 1, 2, "name", "phone");
    expect_error(c, 2);
    assert_non_null(strstr(csv_error(c), "write it twice"));
    csv_close(c);
    fclose(f);
}

static void test_csv_embedded_newlines_and_lines(void **state)
{
    (void)state;
    FILE *f = MEM("a,b\n"
                  "\"line one\nline two\",2\n"
                  "\"x\r\ny\r\nz\",3\r\n"
                  "last,row");
    struct csv *c = csv_open(f, 0);
    expect_record(c, 1, 2, "a", "b");
    expect_record(c, 2, 2, "line one\nline two", "2");
    expect_record(c, 4, 2, "x\ny\nz", "3");
    expect_record(c, 7, 2, "last", "row");
    expect_end(c);
    csv_close(c);
    fclose(f);
}

static void test_csv_semicolon_bom_crlf(void **state)
{
    (void)state;
    FILE *f = MEM("\xEF\xBB\xBFimię;nazwisko;kwota\r\n"
                  "Łukasz;Żółć;12,50\r\n"
                  "\"Anna; Maria\";\"Nowak, Jr\";3\r\n");
    struct csv *c = csv_open(f, 0);
    assert_int_equal(csv_delim(c), ';');
    expect_record(c, 1, 3, "imię", "nazwisko", "kwota");
    expect_record(c, 2, 3, "Łukasz", "Żółć", "12,50");
    expect_record(c, 3, 3, "Anna; Maria", "Nowak, Jr", "3");
    expect_end(c);
    csv_close(c);
    fclose(f);
}

static void test_csv_detection(void **state)
{
    (void)state;
    /* Delimiters inside quotes do not count. */
    FILE *f = MEM("\"a;b;c\",d\n1,2\n");
    struct csv *c = csv_open(f, 0);
    assert_int_equal(csv_delim(c), ',');
    expect_record(c, 1, 2, "a;b;c", "d");
    csv_close(c);
    fclose(f);

    f = MEM("a\tb\tc\n1\t2\t3\n");
    c = csv_open(f, 0);
    assert_int_equal(csv_delim(c), '\t');
    expect_record(c, 1, 3, "a", "b", "c");
    csv_close(c);
    fclose(f);

    /* A single column: ',' by default. */
    f = MEM("name\nAnna\n");
    c = csv_open(f, 0);
    assert_int_equal(csv_delim(c), ',');
    expect_record(c, 1, 1, "name");
    expect_record(c, 2, 1, "Anna");
    expect_end(c);
    csv_close(c);
    fclose(f);

    /* Forced: commas are data. */
    f = MEM("a,b;c\n");
    c = csv_open(f, ';');
    expect_record(c, 1, 2, "a,b", "c");
    csv_close(c);
    fclose(f);

    f = MEM("a\n");
    assert_null(csv_open(f, '"'));
    assert_null(csv_open(f, '\n'));
    assert_null(csv_open(f, 0xC5));
    fclose(f);
}

static void test_csv_blank_lines_and_empty_input(void **state)
{
    (void)state;
    FILE *f = MEM("a;b\n\n\r\n1;2\n\n");
    struct csv *c = csv_open(f, 0);
    expect_record(c, 1, 2, "a", "b");
    expect_record(c, 4, 2, "1", "2");
    expect_end(c);
    csv_close(c);
    fclose(f);

    f = MEM("\xEF\xBB\xBF");
    c = csv_open(f, 0);
    expect_end(c);
    csv_close(c);
    fclose(f);

    /* fmemopen needs a non-empty buffer; read one byte off first. */
    f = MEM("x");
    assert_int_equal(fgetc(f), 'x');
    c = csv_open(f, 0);
    expect_end(c);
    csv_close(c);
    fclose(f);

    /* A quoted empty field is a record, not a blank line. */
    f = MEM("\"\"\n");
    c = csv_open(f, 0);
    expect_record(c, 1, 1, "");
    expect_end(c);
    csv_close(c);
    fclose(f);
}

static void test_csv_lenient_quotes(void **state)
{
    (void)state;
    /* A quote inside an unquoted field is text; text after a closing
     * quote ("x"y) is a quote that was not doubled: an error, not "xy". */
    FILE *f = MEM("ab\"c,5\" tall\n\"x\"y,1\n");
    struct csv *c = csv_open(f, 0);
    expect_record(c, 1, 2, "ab\"c", "5\" tall");
    expect_error(c, 2);
    csv_close(c);
    fclose(f);
}

static void test_csv_unterminated_quote(void **state)
{
    (void)state;
    FILE *f = MEM("a,b\n1,2\n\"open,3\n4,5\n6,7\n");
    struct csv *c = csv_open(f, 0);
    expect_record(c, 1, 2, "a", "b");
    expect_record(c, 2, 2, "1", "2");
    expect_error(c, 3);
    csv_close(c);
    fclose(f);
}

static void test_csv_bad_bytes(void **state)
{
    (void)state;
    FILE *f = MEM("a,b\nok,1\n\"Kowalsk\xb9\",2\n");  /* cp1250 ą */
    struct csv *c = csv_open(f, 0);
    expect_record(c, 1, 2, "a", "b");
    expect_record(c, 2, 2, "ok", "1");
    expect_error(c, 3);
    assert_non_null(strstr(csv_error(c), "UTF-8"));
    csv_close(c);
    fclose(f);

    f = MEM("a,b\nx\0y,1\n");
    c = csv_open(f, 0);
    expect_record(c, 1, 2, "a", "b");
    expect_error(c, 2);
    csv_close(c);
    fclose(f);
}

static void test_csv_record_size_limit(void **state)
{
    (void)state;
    size_t len = CSV_MAX_RECORD + 100;
    char *data = malloc(len + 16);
    assert_non_null(data);

    /* Exactly the limit is fine, with the record buffer full. */
    memcpy(data, "h\n", 2);
    memset(data + 2, ',', CSV_MAX_RECORD);
    memcpy(data + 2 + CSV_MAX_RECORD, "\nz\n", 3);
    FILE *f = mem(data, 2 + CSV_MAX_RECORD + 3);
    struct csv *c = csv_open(f, ',');
    char **fields;
    int nfields;
    expect_record(c, 1, 1, "h");
    assert_int_equal(csv_next(c, &fields, &nfields), 1);
    assert_int_equal(nfields, CSV_MAX_RECORD + 1);
    assert_string_equal(fields[CSV_MAX_RECORD], "");
    expect_record(c, 3, 1, "z");
    csv_close(c);
    fclose(f);

    /* One byte more is not, also inside quotes. */
    memcpy(data, "h\n\"", 3);
    memset(data + 3, 'x', CSV_MAX_RECORD);
    memcpy(data + 3 + CSV_MAX_RECORD, "\"\n", 2);
    f = mem(data, 3 + CSV_MAX_RECORD + 2);
    c = csv_open(f, 0);
    expect_record(c, 1, 1, "h");
    expect_error(c, 2);
    csv_close(c);
    fclose(f);

    /* A huge first line still opens; the error comes with the record. */
    memset(data, 'y', len);
    f = mem(data, len);
    c = csv_open(f, 0);
    assert_non_null(c);
    expect_error(c, 1);
    csv_close(c);
    fclose(f);
    free(data);
}

/* --- statistics: Welch's t against tests/unit/welch_oracle.py ---------------- */

/* Mean and sample variance of a list, as the campaign report computes them. */
static void moments(const int *x, int n, double *mean, double *var)
{
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
    }
    *mean = sum / n;
    *var = n > 1 ? (sq - sum * sum / n) / (n - 1) : 0;
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static void welch_case(const int *a, int na, const int *b, int nb, double diff, double se, double df,
                       double low, double high)
{
    double m1, v1, m2, v2;
    struct welch w;
    moments(a, na, &m1, &v1);
    moments(b, nb, &m2, &v2);
    assert_int_equal(welch(m1, v1, na, m2, v2, nb, 0.95, &w), 0);
    NEAR(w.diff, diff);
    NEAR(w.se, se);
    NEAR(w.df, df);
    NEAR(w.low, low);
    NEAR(w.high, high);
}

static void test_t_quantile(void **state)
{
    (void)state;
    NEAR(t_quantile(0.975, 1), 12.7062047362);
    NEAR(t_quantile(0.975, 10), 2.2281388520);
    NEAR(t_quantile(0.975, 3.5), 2.9400886380);
    NEAR(t_quantile(0.95, 30), 1.6972608866);
    NEAR(t_quantile(0.5, 7), 0);
    NEAR(t_quantile(0.025, 10), -2.2281388520);
    assert_true(isnan(t_quantile(1.0, 5)) && isnan(t_quantile(0.5, 0)));
}

static void test_welch_cases(void **state)
{
    (void)state;
    static const int same_a[] = { 1, 2, 0, 1, 3, 1, 2, 0, 1, 2, 1, 0 }, same_b[] = { 2, 1, 1, 0, 2, 1, 3, 1, 0, 1, 0, 2 };
    static const int up_a[] = { 3, 4, 2, 5, 3, 4, 3, 5, 4, 3, 2, 4, 6, 3, 4, 5, 3, 4, 2, 4 }, up_b[] = { 1, 0, 1, 2, 0, 1, 1, 0, 2 };
    static const int tiny_a[] = { 2, 5 }, tiny_b[] = { 0, 1, 0 };
    /* No effect: the interval spans 0, symmetric about it. */
    welch_case(same_a, 12, same_b, 12, 0, 0.3827069982, 22, -0.7936857364, 0.7936857364);
    /* A clear effect: the whole interval above 0. */
    welch_case(up_a, 20, up_b, 9, 2.7611111111, 0.3567118443, 21.2572435675, 2.0198344574, 3.5023877648);
    /* A tiny sample: a big difference, but an interval wide enough to hold 0. */
    welch_case(tiny_a, 2, tiny_b, 3, 3.1666666667, 1.5365907429, 1.0998629928, -12.6286917268, 18.9620250602);
    /* One member on a side: no interval at all. */
    struct welch w;
    assert_int_equal(welch(2, 0, 1, 1, 0.5, 10, 0.95, &w), -1);
    NEAR(w.diff, 1);
    assert_true(isnan(w.low));
    /* No difference: no number of members shows one; a real one needs some. */
    assert_true(isinf(welch_members_needed(0, 1, 100, 1, 10)));
    double more = welch_members_needed(0.1, 1, 100, 1, 10);
    assert_true(more > 1000 && more < 100000);
    assert_true(welch_members_needed(2.76, 1.19, 20, 0.61, 9) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_accepts),
        cmocka_unit_test(test_utf8_valid_rejects),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_chars_and_width),
        cmocka_unit_test(test_text_clip),
        cmocka_unit_test(test_text_fold_table),
        cmocka_unit_test(test_text_fold_whitespace_and_limits),
        cmocka_unit_test(test_text_clean),
        cmocka_unit_test(test_currencies),
        cmocka_unit_test(test_money_parse_accepts),
        cmocka_unit_test(test_money_parse_rejects),
        cmocka_unit_test(test_decimal_parse),
        cmocka_unit_test(test_money_format),
        cmocka_unit_test(test_decimal_and_percent),
        cmocka_unit_test(test_money_plain),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_birthday_parse),
        cmocka_unit_test(test_days_known_values),
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_json_document),
        cmocka_unit_test(test_json_members),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_misuse),
        cmocka_unit_test(test_json_grows),
        cmocka_unit_test(test_csv_quotes),
        cmocka_unit_test(test_csv_stray_quote),
        cmocka_unit_test(test_csv_embedded_newlines_and_lines),
        cmocka_unit_test(test_csv_semicolon_bom_crlf),
        cmocka_unit_test(test_csv_detection),
        cmocka_unit_test(test_csv_blank_lines_and_empty_input),
        cmocka_unit_test(test_csv_lenient_quotes),
        cmocka_unit_test(test_csv_unterminated_quote),
        cmocka_unit_test(test_csv_bad_bytes),
        cmocka_unit_test(test_csv_record_size_limit),
        cmocka_unit_test(test_t_quantile),
        cmocka_unit_test(test_welch_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
