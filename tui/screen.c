/* screen.c - ncursesw set-up, colours with a monochrome fallback, UTF-8
 * aware text placement, and the text fields of the kiosk's forms. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <ncursesw/curses.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "screen.h"
#include "util/util.h"

static const struct { const char *name; short colour; } ACCENTS[] = {
    { "green", COLOR_GREEN }, { "blue", COLOR_BLUE }, { "red", COLOR_RED },
    { "magenta", COLOR_MAGENTA }, { "cyan", COLOR_CYAN }, { "yellow", COLOR_YELLOW },
};

static bool colours;
static FILE *cut_log;

/* A text that did not fit where it was put, noted in the file named by
 * TALLY_CUT_LOG (if set): tests/e2e/screens.sh drives every screen in
 * every language at 80x24 and fails on any line noted, so a translation
 * that does not fit is rewritten rather than shown cut. */
static void note_cut(int y, int x, int width, const char *text)
{
    if (!cut_log)
        return;
    fprintf(cut_log, "%d,%d,%d: %s\n", y, x, width, text);
    fflush(cut_log);
}

int screen_open(const char *accent)
{
    if (!initscr())
        return -1;
    const char *cut_path = getenv("TALLY_CUT_LOG");
    if (cut_path && *cut_path && !cut_log)
        cut_log = fopen(cut_path, "a");
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

void screen_loop(const struct screen_loop *l)
{
    while (!*l->quit) {
        l->draw(l->arg);
        struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = l->fd, .events = POLLIN } };
        int ready = poll(p, 2, 1000);
        if (ready < 0 && errno != EINTR)
            return;
        wint_t ch;
        int rc;
        while (!*l->quit && (rc = get_wch(&ch)) != ERR) {
            bool fkey = rc == KEY_CODE_YES;
            if (!(fkey && ch == KEY_RESIZE))
                l->key(l->arg, ch, fkey);
        }
        if (!*l->quit && l->readable && l->fd >= 0 && p[1].revents)
            l->readable(l->arg);
        if (!*l->quit && l->tick)
            l->tick(l->arg);
        if (!*l->quit && ready == 0 && l->idle)
            l->idle(l->arg);
    }
}

void screen_close(void)
{
    endwin();
    if (cut_log)
        fclose(cut_log);
    cut_log = NULL;
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

void screen_put(int y, int x, int width, enum colour c, const char *text)
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
        int w = text_columns(one);
        if (used + w > width) {
            note_cut(y, x, width, text);
            break;
        }
        if (cp >= 0x20 && cp != 0x7f)
            addnstr(one, n);
        used += w;
        p += n;
    }
    attroff(a);
}

void put_clipped(int y, int x, int width, enum colour c, const char *text)
{
    char buf[1024];
    text_clip(text, width, buf, sizeof buf);
    screen_put(y, x, width, c, buf);
}

void putf(int y, int x, int width, enum colour c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    screen_put(y, x, width, c, buf);
}

void put_centre(int y, enum colour c, const char *text)
{
    int w = text_columns(text);
    screen_put(y, w < COLS ? (COLS - w) / 2 : 0, COLS, c, text);
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
            if (text_columns(line) > width)
                break;
            if (*end == ' ')
                last_space = end;
            end = next;
        }
        if (*end && last_space && r + 1 < rows)
            end = last_space;
        snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
        screen_put(y + r, x, width, c, line);
        p = *end == ' ' ? end + 1 : end;
    }
    if (*p)
        note_cut(y, x, width, text);
}

void hline_at(int y)
{
    mvhline(y, 0, ACS_HLINE, COLS);
}

/* Lays the pairs out over at most two lines, filling the first: the line
 * (0 or 1) and column of each pair into row[] and col[]; returns the
 * lines needed, or 3 when even two are not enough (from pair *cut on). */
static int bar_layout(const char *const *pairs, int *row, int *col, int *cut)
{
    int line = 0, x = 0, n = 0;
    *cut = -1;
    for (; pairs[0] && pairs[1]; pairs += 2, n++) {
        int w = text_columns(pairs[0]) + 1 + text_columns(pairs[1]);
        if (x > 0 && x + w > COLS) {
            line++;
            x = 0;
        }
        if (line > 1 || w > COLS) {
            *cut = n;
            return 3;
        }
        row[n] = line;
        col[n] = x;
        x += w + 2;
    }
    return line + 1;
}

int help_bar_rows(const char *const *pairs)
{
    int row[32], col[32], cut;
    int rows = bar_layout(pairs, row, col, &cut);
    return rows > 2 ? 2 : rows;
}

void help_bar(const char *const *pairs)
{
    int row[32], col[32], cut;
    int rows = bar_layout(pairs, row, col, &cut);
    int top = LINES - (rows > 2 ? 2 : rows);
    attron(attr_of(C_BAR));
    for (int y = top; y < LINES; y++)
        mvhline(y, 0, ' ', COLS);
    attroff(attr_of(C_BAR));
    for (int n = 0; pairs[2 * n] && pairs[2 * n + 1]; n++) {
        if (n == cut) {
            note_cut(LINES - 1, 0, COLS, pairs[2 * n + 1]);
            break;
        }
        int kw = text_columns(pairs[2 * n]), y = top + row[n];
        screen_put(y, col[n], kw, C_TITLE, pairs[2 * n]);
        screen_put(y, col[n] + kw + 1, text_columns(pairs[2 * n + 1]), C_BAR, pairs[2 * n + 1]);
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
    while (text_columns(p) > width - 1 && *p) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    attron(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
    screen_put(y, x, width, C_NORMAL, p);
    if (focus)
        screen_put(y, x + text_columns(p), 1, C_ACCENT, "_");
    attroff(focus ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
}
