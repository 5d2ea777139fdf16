/* screen.h - drawing and text fields shared by the tui's own files (not
 * part of the module's public face; see tui.h). */
#ifndef TALLY_TUI_SCREEN_H
#define TALLY_TUI_SCREEN_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#define MIN_COLS 80
#define MIN_ROWS 24

enum colour { C_NORMAL, C_TITLE, C_ACCENT, C_GOOD, C_WARN, C_BAD, C_DIM, C_BAR, C_QR };

int screen_open(const char *accent);

/* The one main loop of a screen, the kiosk's and the dashboard's: draw,
 * wait (a second at most) for a key or for fd, hand each key waiting to
 * key(), call readable() if fd has something, then tick() (timers, other
 * processes' writes); until *quit. A resize is drawn, not handed over. */
struct screen_loop {
    void *arg;
    void (*draw)(void *arg);
    void (*key)(void *arg, wint_t ch, bool fkey);
    int fd;                         /* another descriptor to wait on, or -1 */
    void (*readable)(void *arg);
    void (*tick)(void *arg);
    void (*idle)(void *arg);        /* a second without input, or NULL */
    const bool *quit;
};
void screen_loop(const struct screen_loop *l);
void screen_close(void);
bool screen_too_small(void);
/* Text at (y, x), cut to at most `width` terminal columns (UTF-8 aware). */
void screen_put(int y, int x, int width, enum colour c, const char *text);
void putf(int y, int x, int width, enum colour c, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void put_centre(int y, enum colour c, const char *text);
/* A person's data (a name, a reward, a setting's value) in a column:
 * what does not fit ends in "…". Not noted as cut (see TALLY_CUT_LOG):
 * only the program's own words must always fit. */
void put_clipped(int y, int x, int width, enum colour c, const char *text);
/* Text over at most `rows` lines, broken at spaces. */
void put_wrapped(int y, int x, int width, int rows, enum colour c, const char *text);
void hline_at(int y);
/* The help bar on the last line, or the last two when its pairs of key and
 * label (NULL-terminated, at most 16) do not fit on one; help_bar_rows says
 * how many it will take, for what is drawn above it. */
void help_bar(const char *const *pairs);
int help_bar_rows(const char *const *pairs);

/* A one-line text field a person types into. */
#define FIELD_MAX 256
struct field {
    char text[FIELD_MAX];
    size_t len;                 /* bytes */
    size_t max_chars;
    bool secret;                /* shown as stars */
    bool digits_only;
};
void field_init(struct field *f, size_t max_chars, bool secret, bool digits_only);
void field_clear(struct field *f);
/* Feeds a typed character; returns true if it changed the field. */
bool field_key(struct field *f, wint_t ch, bool is_key);
void field_draw(const struct field *f, int y, int x, int width, bool focus);

#endif
