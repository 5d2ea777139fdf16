/* money.c - currencies, parsing typed amounts and formatting them, all in
 * integer minor units. */
#include <string.h>

#include "util.h"

struct currency {
    const char *code;
    int digits;
    const char *symbol;
};

/* Digits are what the shop uses, not always ISO's: HUF is 2 in ISO 4217
 * but forints are handled whole. */
static const struct currency currencies[] = {
    {"ALL", 2, "L"},     {"BAM", 2, "KM"},   {"BGN", 2, "лв."},
    {"CHF", 2, "CHF"},   {"CZK", 2, "Kč"},   {"DKK", 2, "kr."},
    {"EUR", 2, "€"},     {"GBP", 2, "£"},    {"HUF", 0, "Ft"},
    {"ISK", 0, "kr"},    {"JPY", 0, "¥"},    {"MDL", 2, "lei"},
    {"MKD", 2, "ден"},   {"NOK", 2, "kr"},   {"PLN", 2, "zł"},
    {"RON", 2, "lei"},   {"RSD", 2, "дин."}, {"SEK", 2, "kr"},
    {"TRY", 2, "₺"},     {"UAH", 2, "₴"},    {"USD", 2, "$"},
};

static bool looks_like_code(const char *code)
{
    if (!code)
        return false;
    for (int i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    return code[3] == '\0';
}

static const struct currency *find_currency(const char *code)
{
    if (!looks_like_code(code))
        return NULL;
    for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
        if (strcmp(currencies[i].code, code) == 0)
            return &currencies[i];
    return NULL;
}

bool currency_known(const char *code)
{
    return find_currency(code) != NULL;
}

int currency_digits(const char *code)
{
    const struct currency *c = find_currency(code);
    return c ? c->digits : -1;
}

const char *currency_symbol(const char *code)
{
    const struct currency *c = find_currency(code);
    return c ? c->symbol : NULL;
}

/* --- parsing ------------------------------------------------------------ */

static int64_t pow10_i64(int n)
{
    int64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* v = v * 10 + d, failing instead of overflowing. */
static bool push_digit(int64_t *v, int d)
{
    if (*v > (INT64_MAX - d) / 10)
        return false;
    *v = *v * 10 + d;
    return true;
}

/* Digits, then optionally '.' or ',' and 1..scale digits, with blanks
 * around: the one syntax for every number a person types. */
static int parse_fixed(const char *text, int scale, int64_t *out)
{
    const char *p = text;
    int64_t v = 0;
    int decimals = 0;

    if (!text)
        return -1;
    while (is_blank(*p))
        p++;
    if (!is_digit(*p))
        return -1;
    while (is_digit(*p))
        if (!push_digit(&v, *p++ - '0'))
            return -1;
    if (*p == '.' || *p == ',') {
        p++;
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p)) {
            if (++decimals > scale || !push_digit(&v, *p++ - '0'))
                return -1;
        }
    }
    while (is_blank(*p))
        p++;
    if (*p != '\0')
        return -1;
    for (; decimals < scale; decimals++)
        if (!push_digit(&v, 0))
            return -1;
    *out = v;
    return 0;
}

int decimal_parse(const char *text, int scale, int64_t min, int64_t max,
                  int64_t *out)
{
    int64_t v;

    if (scale < 0 || scale > 9 || parse_fixed(text, scale, &v) < 0)
        return -1;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int money_parse(const char *text, int digits, int64_t *out)
{
    if (digits < 0 || digits > 6)
        return -1;
    return decimal_parse(text, digits, 0,
                         MONEY_MAX_MAJOR * pow10_i64(digits), out);
}

/* --- formatting --------------------------------------------------------- */

struct number_style {
    const char *lang;
    char decimal, group;
    const char *percent;        /* after the number */
};

static const struct number_style styles[] = {
    {"en", '.', ',', "%"}, {"pl", ',', ' ', "%"}, {"cs", ',', ' ', " %"}, {"sk", ',', ' ', " %"},
    {"hu", ',', ' ', "%"}, {"ro", ',', '.', " %"}, {"de", ',', '.', " %"},
};

static const struct number_style *style_for(const char *lang)
{
    if (lang && lang[0] && lang[1]) {
        char two[3] = {(char)(lang[0] | 0x20), (char)(lang[1] | 0x20), 0};
        for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
            if (strcmp(styles[i].lang, two) == 0)
                return &styles[i];
    }
    return &styles[0];
}

/* In English these symbols go before the number ("€12.50"). */
static bool symbol_goes_first(const char *symbol)
{
    static const char *const first[] = {"€", "£", "$", "¥"};
    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
        if (strcmp(symbol, first[i]) == 0)
            return true;
    return false;
}

static uint64_t magnitude(int64_t v)
{
    return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/* Writes the digits of n with `group` between thousands (0: none) into
 * buf, which must hold 27 bytes. */
static void format_integer(uint64_t n, char group, char *buf)
{
    char rev[32];
    size_t len = 0;
    int in_group = 0;

    do {
        if (group && in_group == 3) {
            rev[len++] = group;
            in_group = 0;
        }
        rev[len++] = (char)('0' + n % 10);
        n /= 10;
        in_group++;
    } while (n > 0);
    for (size_t i = 0; i < len; i++)
        buf[i] = rev[len - 1 - i];
    buf[len] = '\0';
}

/* "1234.50"-like number in the given separators, without sign. */
static void format_number(uint64_t mag, int digits, char decimal, char group,
                          char *buf, size_t bufsz)
{
    uint64_t scale = 1;
    char whole[32];

    for (int i = 0; i < digits; i++)
        scale *= 10;
    format_integer(mag / scale, group, whole);
    if (digits == 0)
        snprintf(buf, bufsz, "%s", whole);
    else
        snprintf(buf, bufsz, "%s%c%0*llu", whole, decimal, digits,
                 (unsigned long long)(mag % scale));
}

static void put_or_empty(char *out, size_t outsz, int written)
{
    if (outsz > 0 && (written < 0 || (size_t)written >= outsz))
        out[0] = '\0';
}

void money_plain(int64_t minor, int digits, char *out, size_t outsz)
{
    char num[48];

    if (digits < 0 || digits > 18)
        digits = 0;
    format_number(magnitude(minor), digits, '.', 0, num, sizeof num);
    put_or_empty(out, outsz,
                 snprintf(out, outsz, "%s%s", minor < 0 ? "-" : "", num));
}

void money_number(int64_t minor, const char *currency, const char *lang,
                  char *out, size_t outsz)
{
    const struct currency *cur = find_currency(currency);
    char num[48];
    format_number(magnitude(minor), cur ? cur->digits : 2, style_for(lang)->decimal,
                  style_for(lang)->group, num, sizeof num);
    put_or_empty(out, outsz, snprintf(out, outsz, "%s%s", minor < 0 ? "-" : "", num));
}

void money_format(int64_t minor, const char *currency, const char *lang,
                  char *out, size_t outsz)
{
    const struct number_style *st = style_for(lang);
    const struct currency *cur = find_currency(currency);
    const char *symbol = cur ? cur->symbol
                         : looks_like_code(currency) ? currency : "¤";
    int digits = cur ? cur->digits : 2;
    const char *sign = minor < 0 ? "-" : "";
    char num[48];
    int n;

    format_number(magnitude(minor), digits, st->decimal, st->group, num,
                  sizeof num);
    if (st == &styles[0] && symbol_goes_first(symbol))
        n = snprintf(out, outsz, "%s%s%s", sign, symbol, num);
    else
        n = snprintf(out, outsz, "%s%s %s", sign, num, symbol);
    put_or_empty(out, outsz, n);
}

void decimal_format(int64_t v, int decimals, const char *lang, char *out, size_t outsz)
{
    const struct number_style *st = style_for(lang);
    char num[48];
    if (decimals < 0 || decimals > 18)
        decimals = 0;
    format_number(magnitude(v), decimals, st->decimal, st->group, num, sizeof num);
    put_or_empty(out, outsz, snprintf(out, outsz, "%s%s", v < 0 ? "-" : "", num));
}

void percent_format(int64_t v, int decimals, const char *lang, char *out, size_t outsz)
{
    char num[64];
    decimal_format(v, decimals, lang, num, sizeof num);
    put_or_empty(out, outsz, snprintf(out, outsz, "%s%s", num, style_for(lang)->percent));
}

int64_t muldiv(int64_t a, int64_t b, int64_t c)
{
#ifdef __SIZEOF_INT128__
    return (int64_t)((__int128)a * b / c);
#else
    return (int64_t)((long double)a * b / c);
#endif
}
