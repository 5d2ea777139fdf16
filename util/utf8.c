/* utf8.c - decoding, validation, display width, search folding and field
 * cleaning of UTF-8 text, all without the process locale. */
#include <string.h>

#include "util.h"

struct range {
    uint32_t first, last;
};

int utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c = p[0], min;
    int n;

    if (len == 0)
        return -1;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {       /* C0, C1 could only be overlong */
        n = 2; c &= 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3; c &= 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {  /* F5.. would exceed U+10FFFF */
        n = 4; c &= 0x07; min = 0x10000;
    } else {
        return -1;
    }
    if (len < (size_t)n)
        return -1;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    uint32_t cp;

    while (len > 0) {
        int n = utf8_decode(s, len, &cp);
        if (n < 0)
            return false;
        s += n;
        len -= (size_t)n;
    }
    return true;
}

size_t utf8_chars(const char *s)
{
    size_t len = strlen(s), count = 0;
    uint32_t cp;

    while (len > 0) {
        int n = utf8_decode(s, len, &cp);
        if (n < 0)
            n = 1;
        s += n;
        len -= (size_t)n;
        count++;
    }
    return count;
}

static bool in_ranges(uint32_t cp, const struct range *r, size_t n)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].first)
            hi = mid;
        else if (cp > r[mid].last)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Nonspacing and enclosing marks of the scripts a shop is likely to see,
 * plus zero-width format characters. Sorted. */
static const struct range zero_width[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},
    {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0711, 0x0711}, {0x0730, 0x074A},
    {0x07A6, 0x07B0}, {0x0900, 0x0902}, {0x093C, 0x093C}, {0x0941, 0x0948},
    {0x094D, 0x094D}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0E31, 0x0E31},
    {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x0EB1, 0x0EB1}, {0x0EB4, 0x0EBC},
    {0x0EC8, 0x0ECD}, {0x1160, 0x11FF}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF},
    {0x302A, 0x302D}, {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    {0xE0100, 0xE01EF},
};

/* East Asian Wide and Fullwidth (Unicode 15), emoji included. Sorted. */
static const struct range wide[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC},
    {0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
    {0x2648, 0x2653}, {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1},
    {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26CE, 0x26CE},
    {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B},
    {0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755},
    {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E},
    {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
    {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004},
    {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
    {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F320},
    {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393},
    {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0},
    {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440},
    {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E},
    {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596},
    {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5},
    {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7},
    {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A},
    {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

static int char_width(uint32_t cp)
{
    if (is_control(cp))
        return -1;
    if (in_ranges(cp, zero_width, COUNT(zero_width)))
        return 0;
    if (in_ranges(cp, wide, COUNT(wide)))
        return 2;
    return 1;
}

int utf8_width(const char *s)
{
    size_t len = strlen(s);
    int cols = 0;
    uint32_t cp;

    while (len > 0) {
        int n = utf8_decode(s, len, &cp);
        if (n < 0)
            return -1;
        int w = char_width(cp);
        if (w < 0)
            return -1;
        cols += w;
        s += n;
        len -= (size_t)n;
    }
    return cols;
}

int text_columns(const char *s)
{
    int w = utf8_width(s);
    return w >= 0 ? w : (int)strlen(s);
}

void text_clip(const char *s, int columns, char *out, size_t outsz)
{
    size_t len = strlen(s), n = 0;
    if (outsz < sizeof "…" || columns <= 0) {
        if (outsz)
            out[0] = '\0';
        return;
    }
    if (len < outsz && text_columns(s) <= columns) {
        memcpy(out, s, len + 1);
        return;
    }
    /* Whole code points up to columns - 1 columns, then the ellipsis. */
    int used = 0;
    while (n < len) {
        uint32_t cp;
        int k = utf8_decode(s + n, len - n, &cp);
        if (k <= 0 || n + (size_t)k + sizeof "…" > outsz)
            break;
        int w = char_width(cp);
        if (w < 0)
            w = k;      /* a control character: as text_columns counts it */
        if (used + w > columns - 1)
            break;
        used += w;
        n += (size_t)k;
    }
    memcpy(out, s, n);
    memcpy(out + n, "…", sizeof "…");
}

/* --- folding --------------------------------------------------------- */

static bool is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

struct fold {
    uint32_t first, last;
    const char *ascii;
};

/* Latin letters with diacritics and ligatures, both cases, to their
 * lowercase ASCII base. Sorted; × and ÷ (U+00D7, U+00F7) are absent. */
static const struct fold fold_table[] = {
    /* Latin-1 Supplement */
    {0x00C0, 0x00C5, "a"}, {0x00C6, 0x00C6, "ae"}, {0x00C7, 0x00C7, "c"},
    {0x00C8, 0x00CB, "e"}, {0x00CC, 0x00CF, "i"},  {0x00D0, 0x00D0, "d"},
    {0x00D1, 0x00D1, "n"}, {0x00D2, 0x00D6, "o"},  {0x00D8, 0x00D8, "o"},
    {0x00D9, 0x00DC, "u"}, {0x00DD, 0x00DD, "y"},  {0x00DE, 0x00DE, "th"},
    {0x00DF, 0x00DF, "ss"}, {0x00E0, 0x00E5, "a"}, {0x00E6, 0x00E6, "ae"},
    {0x00E7, 0x00E7, "c"}, {0x00E8, 0x00EB, "e"},  {0x00EC, 0x00EF, "i"},
    {0x00F0, 0x00F0, "d"}, {0x00F1, 0x00F1, "n"},  {0x00F2, 0x00F6, "o"},
    {0x00F8, 0x00F8, "o"}, {0x00F9, 0x00FC, "u"},  {0x00FD, 0x00FD, "y"},
    {0x00FE, 0x00FE, "th"}, {0x00FF, 0x00FF, "y"},
    /* Latin Extended-A: upper and lower case alternate, so runs pair up */
    {0x0100, 0x0105, "a"}, {0x0106, 0x010D, "c"},  {0x010E, 0x0111, "d"},
    {0x0112, 0x011B, "e"}, {0x011C, 0x0123, "g"},  {0x0124, 0x0127, "h"},
    {0x0128, 0x0131, "i"}, {0x0132, 0x0133, "ij"}, {0x0134, 0x0135, "j"},
    {0x0136, 0x0138, "k"}, {0x0139, 0x0142, "l"},  {0x0143, 0x014B, "n"},
    {0x014C, 0x0151, "o"}, {0x0152, 0x0153, "oe"}, {0x0154, 0x0159, "r"},
    {0x015A, 0x0161, "s"}, {0x0162, 0x0167, "t"},  {0x0168, 0x0173, "u"},
    {0x0174, 0x0175, "w"}, {0x0176, 0x0178, "y"},  {0x0179, 0x017E, "z"},
    {0x017F, 0x017F, "s"},
    /* Romanian S and T with comma below */
    {0x0218, 0x0219, "s"}, {0x021A, 0x021B, "t"},
    /* capital sharp s */
    {0x1E9E, 0x1E9E, "ss"},
};

static const char *fold_latin(uint32_t cp)
{
    size_t lo = 0, hi = COUNT(fold_table);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < fold_table[mid].first)
            hi = mid;
        else if (cp > fold_table[mid].last)
            lo = mid + 1;
        else
            return fold_table[mid].ascii;
    }
    return NULL;
}

/* Lowercase for the other scripts a European shop's customers write in:
 * basic Greek and Cyrillic capitals. */
static uint32_t lower_other(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if ((cp >= 0x0391 && cp <= 0x03A1) || (cp >= 0x03A3 && cp <= 0x03AB))
        return cp + 32;
    if (cp == 0x03C2)                   /* final sigma */
        return 0x03C3;
    if (cp >= 0x0410 && cp <= 0x042F)
        return cp + 32;
    if (cp >= 0x0400 && cp <= 0x040F)
        return cp + 80;
    return cp;
}

/* Appends n bytes if they fit with room left for the NUL. */
static bool utf8_put(char *out, size_t outsz, size_t *pos, const char *s, size_t n)
{
    if (outsz - *pos <= n)
        return false;
    memcpy(out + *pos, s, n);
    *pos += n;
    return true;
}

static size_t utf8_encode(uint32_t cp, char buf[4])
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int fail_empty(char *out, size_t outsz)
{
    if (outsz > 0)
        out[0] = '\0';
    return -1;
}

int text_fold(const char *in, char *out, size_t outsz)
{
    size_t len = strlen(in), pos = 0;
    bool pending_space = false;
    uint32_t cp;

    if (outsz == 0)
        return -1;
    while (len > 0) {
        int n = utf8_decode(in, len, &cp);
        if (n < 0)
            return fail_empty(out, outsz);
        in += n;
        len -= (size_t)n;

        if (is_space(cp)) {
            pending_space = pos > 0;    /* leading space is dropped */
            continue;
        }
        if (cp >= 0x0300 && cp <= 0x036F)
            continue;                   /* combining diacritic */
        if (pending_space && !utf8_put(out, outsz, &pos, " ", 1))
            return fail_empty(out, outsz);
        pending_space = false;

        const char *ascii = fold_latin(cp);
        char buf[4];
        bool ok = ascii ? utf8_put(out, outsz, &pos, ascii, strlen(ascii))
                        : utf8_put(out, outsz, &pos, buf,
                              utf8_encode(lower_other(cp), buf));
        if (!ok)
            return fail_empty(out, outsz);
    }
    out[pos] = '\0';
    return 0;
}

/* --- cleaning typed fields -------------------------------------------- */

static bool forbidden_in_field(uint32_t cp)
{
    return is_control(cp) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int text_clean(const char *in, char *out, size_t outsz, size_t max_chars)
{
    size_t len = strlen(in), start = 0, end = 0, chars = 0, off = 0;
    bool seen_text = false;
    uint32_t cp;

    /* One pass finds the first and last non-space characters and checks
     * every character on the way. */
    while (off < len) {
        int n = utf8_decode(in + off, len - off, &cp);
        if (n < 0 || forbidden_in_field(cp))
            return fail_empty(out, outsz);
        if (!is_space(cp)) {
            if (!seen_text)
                start = off;
            seen_text = true;
            end = off + (size_t)n;
        }
        off += (size_t)n;
    }
    if (!seen_text)
        start = end = 0;

    for (off = start; off < end; chars++)
        off += (size_t)utf8_decode(in + off, end - off, &cp);
    if (chars > max_chars || end - start >= outsz)
        return fail_empty(out, outsz);
    memmove(out, in + start, end - start);  /* in and out may overlap */
    out[end - start] = '\0';
    return 0;
}
