/* screen.c - ncursesw set-up, colours with a monochrome fallback, UTF-8
 * aware text placement, and the text fields of the kiosk's forms. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "screen.h"
#include "util/util.h"

static const struct { const char *name; short colour; } ACCENTS[] = {
    { "green", COLOR_GREEN }, { "blue", COLOR_BLUE }, { "red", COLOR_RED },
    { "magenta", COLOR_MAGENTA }, { "cyan", COLOR_CYAN }, { "yellow", COLOR_YELLOW },
};

static bool colours;

int screen_open(const char *accent)
{
    if (!initscr())
        return -1;
    raw();              /* Ctrl-C is a key here, not a way to lose a sale */
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    colours = has_colors() && start_color() == OK;
    if (colours) {
        short a = COLOR_GREEN;
        for (size_t i = 0; accent && i < sizeof ACCENTS / sizeof ACCENTS[0]; i++)
            if (strcmp(accent, ACCENTS[i].name) == 0)
                a = ACCENTS[i].colour;
        use_default_colors();
        init_pair(C_TITLE, COLOR_WHITE, a);
        init_pair(C_ACCENT, a, -1);
        init_pair(C_GOOD, COLOR_GREEN, -1);
        init_pair(C_WARN, COLOR_YELLOW, -1);
        init_pair(C_BAD, COLOR_RED, -1);
        init_pair(C_DIM, COLOR_BLUE, -1);
        init_pair(C_BAR, COLOR_BLACK, COLOR_WHITE);
        init_pair(C_QR, COLOR_BLACK, COLOR_WHITE);   /* dark modules on light, always */
    }
    return 0;
}

void screen_close(void)
{
    endwin();
}

bool screen_too_small(void)
{
    return COLS < MIN_COLS || LINES < MIN_ROWS;
}

/* Without colours, emphasis still shows: bold, reverse, underline. */
static attr_t attr_of(enum colour c)
{
    if (colours && c != C_NORMAL)
        return COLOR_PAIR(c) | (c == C_TITLE || c == C_BAD || c == C_GOOD ? A_BOLD : 0);
    switch (c) {
    case C_TITLE: case C_BAR: case C_QR: return A_REVERSE;
    case C_ACCENT: case C_GOOD: return A_BOLD;
    case C_WARN: case C_BAD: return A_BOLD | A_UNDERLINE;
    case C_DIM: return A_DIM;
    default: return A_NORMAL;
    }
}

int text_width(const char *s)
{
    int w = utf8_width(s);
    return w < 0 ? (int)strlen(s) : w;
}

void put(int y, int x, int width, enum colour c, const char *text)
{
    if (y < 0 || y >= LINES || x >= COLS || width <= 0)
        return;
    if (x + width > COLS)
        width = COLS - x;
    attr_t a = attr_of(c);
    attron(a);
    /* Walk code points, stopping before the one that would overflow. */
    const char *p = text;
    int used = 0;
    move(y, x);
    while (*p) {
        uint32_t cp;
        int n = utf8_decode(p, strlen(p), &cp);
        if (n <= 0)
            break;
        char one[5] = { 0 };
        memcpy(one, p, (size_t)n);
        int w = text_width(one);
        if (used + w > width)
            break;
        if (cp >= 0x20 && cp != 0x7f)
            addnstr(one, n);
        used += w;
        p += n;
    }
    attroff(a);
}

void putf(int y, int x, int width, enum colour c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(y, x, width, c, buf);
}

void put_centre(int y, enum colour c, const char *text)
{
    int w = text_width(text);
    put(y, w < COLS ? (COLS - w) / 2 : 0, COLS, c, text);
}

void put_wrapped(int y, int x, int width, int rows, enum colour c, const char *text)
{
    const char *p = text;
    for (int r = 0; r < rows && *p; r++) {
        /* Take as many whole words as fit; a word longer than a line is cut. */
        const char *end = p, *last_space = NULL;
        char line[1024];
        while (*end) {
            const char *next = end + 1;
            while ((*next & 0xC0) == 0x80)
                next++;
            snprintf(line, sizeof line, "%.*s", (int)(next - p), p);
            if (text_width(line) > width)
                break;
            if (*end == ' ')
                last_space = end;
            end = next;
        }
        if (*end && last_space && r + 1 < rows)
            end = last_space;
        snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
        put(y + r, x, width, c, line);
        p = *end == ' ' ? end + 1 : end;
    }
}

void hline_at(int y)
{
    mvhline(y, 0, ACS_HLINE, COLS);
}

void help_bar(const char *const *pairs)
{
    int x = 0, y = LINES - 1;
    attron(attr_of(C_BAR));
    mvhline(y, 0, ' ', COLS);
    attroff(attr_of(C_BAR));
    for (; pairs[0] && pairs[1] && x < COLS; pairs += 2) {
        int kw = text_width(pairs[0]), lw = text_width(pairs[1]);
        if (x + kw + lw + 3 > COLS)
            break;
        put(y, x, kw, C_TITLE, pairs[0]);
        put(y, x + kw + 1, lw, C_BAR, pairs[1]);
        x += kw + lw + 3;
    }
}

void field_init(struct field *f, size_t max_chars, bool secret, bool digits_only)
{
    memset(f, 0, sizeof *f);
    f->max_chars = max_chars;
    f->secret = secret;
    f->digits_only = digits_only;
}

void field_clear(struct field *f)
{
    f->text[0] = '\0';
    f->len = 0;
}

bool field_key(struct field *f, wint_t ch, bool is_key)
{
    if ((is_key && (ch == KEY_BACKSPACE || ch == KEY_DC)) || (!is_key && (ch == 127 || ch == 8))) {
        if (!f->len)
            return false;
        /* Remove one whole code point: back over continuation bytes. */
        do
            f->len--;
        while (f->len > 0 && ((unsigned char)f->text[f->len] & 0xC0) == 0x80);
        f->text[f->len] = '\0';
        return true;
    }
    if (is_key || ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0))
        return false;
    if (f->digits_only && !((ch >= '0' && ch <= '9') || ch == ',' || ch == '.'))
        return false;
    if (utf8_chars(f->text) >= f->max_chars)
        return false;
    char buf[8];
    mbstate_t st = { 0 };
    size_t n = wcrtomb(buf, (wchar_t)ch, &st);
    if (n == (size_t)-1 || f->len + n >= sizeof f->text)
        return false;
    memcpy(f->text + f->len, buf, n);
    f->len += n;
    f->text[f->len] = '\0';
    return true;
}

void field_draw(const struct field *f, int y, int x, int width, bool focus)
{
    char shown[FIELD_MAX * 2];
    if (f->secret) {
        size_t n = utf8_chars(f->text);
        memset(shown, '*', n);
        shown[n] = '\0';
    } else {
        snprintf(shown, sizeof shown, "%s", f->text);
    }
    attron(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
    mvhline(y, x, ' ', width);
    attroff(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
    /* Show the end of a long entry, where the typing happens. */
    const char *p = shown;
    while (text_width(p) > width - 1 && *p) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    attron(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
    put(y, x, width, C_NORMAL, p);
    if (focus)
        put(y, x + text_width(p), 1, C_ACCENT, "_");
    attroff(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
}
