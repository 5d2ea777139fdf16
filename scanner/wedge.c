/* wedge.c - a keyboard-wedge scanner as a dedicated input device: key
 * events (Linux evdev, struct input_event) to lines of text (scan_keys),
 * each line delivered like a decoded QR text.
 *
 * The thread opens the device, grabs it (EVIOCGRAB) so the scanner's keys
 * reach no one else - not the console, not the terminal the kiosk runs in
 * - and reads events beside the scanner's stop descriptor. Records may
 * arrive split across reads (a pipe); the remainder waits for the rest.
 *
 * Only character devices are grabbed: a FIFO, a pipe (/dev/fd/N) or a file
 * of recorded events is read as it is, which is how the tests and a
 * replay feed it, and it ends at end of file. A character device that is
 * not an input device (EVIOCGRAB says ENOTTY or EINVAL: /dev/null, a tty)
 * is refused. Missing, grabbed by another program, unplugged (ENODEV) and
 * the like are reported once and retried every retry_ms. */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "source.h"

/* --- key events to text -------------------------------------------------------- */

/* US layout: each key's character, plain and with Shift. */
static const char KEYMAP[KEY_KPDOT + 1][2] = {
    [KEY_1] = "1!", [KEY_2] = "2@", [KEY_3] = "3#", [KEY_4] = "4$", [KEY_5] = "5%",
    [KEY_6] = "6^", [KEY_7] = "7&", [KEY_8] = "8*", [KEY_9] = "9(", [KEY_0] = "0)",
    [KEY_MINUS] = "-_", [KEY_EQUAL] = "=+",
    [KEY_Q] = "qQ", [KEY_W] = "wW", [KEY_E] = "eE", [KEY_R] = "rR", [KEY_T] = "tT",
    [KEY_Y] = "yY", [KEY_U] = "uU", [KEY_I] = "iI", [KEY_O] = "oO", [KEY_P] = "pP",
    [KEY_LEFTBRACE] = "[{", [KEY_RIGHTBRACE] = "]}",
    [KEY_A] = "aA", [KEY_S] = "sS", [KEY_D] = "dD", [KEY_F] = "fF", [KEY_G] = "gG",
    [KEY_H] = "hH", [KEY_J] = "jJ", [KEY_K] = "kK", [KEY_L] = "lL",
    [KEY_SEMICOLON] = ";:", [KEY_APOSTROPHE] = "'\"", [KEY_GRAVE] = "`~",
    [KEY_BACKSLASH] = "\\|",
    [KEY_Z] = "zZ", [KEY_X] = "xX", [KEY_C] = "cC", [KEY_V] = "vV", [KEY_B] = "bB",
    [KEY_N] = "nN", [KEY_M] = "mM",
    [KEY_COMMA] = ",<", [KEY_DOT] = ".>", [KEY_SLASH] = "/?",
    [KEY_KPASTERISK] = "**", [KEY_SPACE] = "  ",
    [KEY_KP7] = "77", [KEY_KP8] = "88", [KEY_KP9] = "99", [KEY_KPMINUS] = "--",
    [KEY_KP4] = "44", [KEY_KP5] = "55", [KEY_KP6] = "66", [KEY_KPPLUS] = "++",
    [KEY_KP1] = "11", [KEY_KP2] = "22", [KEY_KP3] = "33", [KEY_KP0] = "00", [KEY_KPDOT] = "..",
};

/* Scanners set to another keyboard layout press the keys that type a
 * character there; read with the US map, "TALLY:" from a German scanner
 * comes out "TALLZ>". These layouts differ from US in what a card's QR
 * text uses (letters, digits, ':'), and a line that starts with the
 * card prefix under one of them, but not under US, is read in it. */
struct layout_key { unsigned short code; char plain, shifted; };
static const struct layout_key DE_KEYS[] = {       /* QWERTZ: German, Austrian, Swiss */
    { KEY_Y, 'z', 'Z' }, { KEY_Z, 'y', 'Y' }, { KEY_DOT, '.', ':' }, { KEY_COMMA, ',', ';' },
    { KEY_SLASH, '-', '_' }, { KEY_2, '2', '"' }, { KEY_6, '6', '&' }, { KEY_7, '7', '/' },
    { KEY_8, '8', '(' }, { KEY_9, '9', ')' }, { KEY_0, '0', '=' }, { 0, 0, 0 },
};
static const struct layout_key FR_KEYS[] = {       /* AZERTY: French, Belgian; digits with Shift */
    { KEY_Q, 'a', 'A' }, { KEY_W, 'z', 'Z' }, { KEY_A, 'q', 'Q' }, { KEY_Z, 'w', 'W' },
    { KEY_SEMICOLON, 'm', 'M' }, { KEY_M, ',', '?' }, { KEY_COMMA, ';', '.' }, { KEY_DOT, ':', '/' },
    { KEY_SLASH, '!', 0 }, { KEY_1, '&', '1' }, { KEY_2, 0, '2' }, { KEY_3, '"', '3' },
    { KEY_4, '\'', '4' }, { KEY_5, '(', '5' }, { KEY_6, '-', '6' }, { KEY_7, 0, '7' },
    { KEY_8, '_', '8' }, { KEY_9, 0, '9' }, { KEY_0, 0, '0' }, { 0, 0, 0 },
};
static const struct { const char *name; const struct layout_key *keys; } LAYOUTS[] = {
    { "de", DE_KEYS }, { "fr", FR_KEYS },
};

/* The character key code types in layout keys (NULL: US); 0 if none. */
static char key_char(const struct layout_key *keys, unsigned code, bool shift, bool caps)
{
    for (const struct layout_key *l = keys; l && l->code; l++)
        if (l->code == code) {
            bool letter = (l->plain >= 'a' && l->plain <= 'z');
            return (letter && shift != caps) || (!letter && shift) ? l->shifted : l->plain;
        }
    if (code >= sizeof KEYMAP / sizeof KEYMAP[0] || !KEYMAP[code][0])
        return 0;
    char ch = KEYMAP[code][0];
    if (ch >= 'a' && ch <= 'z')
        shift = shift != caps;
    return KEYMAP[code][shift];
}

static bool card_prefix(const char *line, size_t len)
{
    return len >= sizeof CARD_QR_PREFIX - 1 && strncasecmp(line, CARD_QR_PREFIX, sizeof CARD_QR_PREFIX - 1) == 0;
}

/* A line that is no card under US but is one in another layout is read
 * again in that layout, from its key codes. */
static void relayout(struct scan_keys *k)
{
    if (k->truncated || card_prefix(k->line, k->len))
        return;
    char alt[sizeof k->line];
    for (size_t n = 0; n < sizeof LAYOUTS / sizeof LAYOUTS[0]; n++) {
        size_t len = 0;
        for (size_t i = 0; i < k->len; i++) {
            uint16_t key = k->keys[i];
            char ch = key_char(LAYOUTS[n].keys, key & SCAN_KEY_CODE, key & SCAN_KEY_SHIFT, key & SCAN_KEY_CAPS);
            if (ch)
                alt[len++] = ch;
        }
        alt[len] = '\0';
        if (card_prefix(alt, len)) {
            memcpy(k->line, alt, len + 1);
            k->len = len;
            k->layout = LAYOUTS[n].name;
            return;
        }
    }
}

void scan_keys_init(struct scan_keys *k)
{
    memset(k, 0, sizeof *k);
    k->layout = "us";
}

static void clear_line(struct scan_keys *k)
{
    k->len = 0;
    k->layout = "us";
    k->truncated = false;
    k->line[0] = '\0';
}

int scan_keys_feed(struct scan_keys *k, unsigned type, unsigned code, int value, int64_t ms)
{
    if (k->done) {
        k->done = false;
        clear_line(k);
    }
    if (type != EV_KEY || value < 0 || value > 2)
        return 0;
    bool down = value != 0;
    switch (code) {
    case KEY_LEFTSHIFT: k->shift_l = down; return 0;
    case KEY_RIGHTSHIFT: k->shift_r = down; return 0;
    case KEY_LEFTCTRL: case KEY_RIGHTCTRL: k->ctrl = down; return 0;
    case KEY_LEFTALT: case KEY_RIGHTALT: k->alt = down; return 0;
    default: break;
    }
    if (value != 1)
        return 0;           /* releases and repeats type nothing */
    if (code == KEY_CAPSLOCK) {
        k->caps = !k->caps;
        return 0;
    }
    /* A line left half-typed long ago is a read cut short: drop it. */
    if (k->len > 0 && ms - k->last_ms > SCAN_KEYS_GAP_MS)
        clear_line(k);
    k->last_ms = ms;
    if (k->ctrl || k->alt)
        return 0;
    if (code == KEY_ENTER || code == KEY_KPENTER) {
        if (k->len == 0 && !k->truncated)
            return 0;
        k->done = true;
        relayout(k);
        return 1;
    }
    if (code == KEY_BACKSPACE) {
        if (k->len > 0 && !k->truncated)
            k->line[--k->len] = '\0';
        return 0;
    }
    bool shift = k->shift_l || k->shift_r;
    char ch = key_char(NULL, code, shift, k->caps);
    if (!ch)
        return 0;           /* no character: F-keys, arrows, unknown codes */
    if (k->len + 1 >= sizeof k->line) {
        k->truncated = true;
        return 0;
    }
    k->keys[k->len] = (uint16_t)(code | (shift ? SCAN_KEY_SHIFT : 0) | (k->caps ? SCAN_KEY_CAPS : 0));
    k->line[k->len++] = ch;
    k->line[k->len] = '\0';
    return 0;
}

/* --- the device ------------------------------------------------------------------ */

struct wedge {
    int fd;
    const char *path;
    bool device;            /* a character device, grabbed */
    char name[128];         /* the device's own name, if it has one */
    char *why;
    size_t whysz;
};

static enum scan_state failed(struct wedge *w, enum scan_state st, const char *fmt)
{
    snprintf(w->why, w->whysz, fmt, w->path);
    return st;
}

static enum scan_state failed_errno(struct wedge *w, enum scan_state st, const char *fmt, int err)
{
    snprintf(w->why, w->whysz, fmt, w->path, strerror(err));
    return st;
}

static enum scan_state wedge_open(struct wedge *w)
{
    w->fd = open(w->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    const char *not_input =
        _("%s is not an input device: give the scanner's /dev/input/by-id/...-event-kbd");
    if (w->fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return failed(w, SCAN_STATE_MISSING,
                          _("wedge scanner %s not found: plug it in, or give the right --wedge "
                            "/dev/input/by-id/...-event-kbd"));
        if (e == EACCES || e == EPERM)
            return failed(w, SCAN_STATE_FAILED,
                          _("no permission to read wedge scanner %s: add this user to the 'input' group"));
        if (e == EBUSY)
            return failed(w, SCAN_STATE_BUSY, _("wedge scanner %s is busy: another program is using it"));
        return failed_errno(w, SCAN_STATE_FAILED, _("cannot open wedge scanner %s: %s"), e);
    }
    struct stat st;
    if (fstat(w->fd, &st) != 0 || S_ISDIR(st.st_mode))
        return failed(w, SCAN_STATE_FAILED, not_input);
    if (!S_ISCHR(st.st_mode))
        return SCAN_STATE_ON;       /* FIFO, pipe or file of events: read, not grabbed */
    w->device = true;
    if (ioctl(w->fd, EVIOCGRAB, 1) != 0) {
        int e = errno;
        if (e == EBUSY)
            return failed(w, SCAN_STATE_BUSY,
                          _("wedge scanner %s is grabbed by another program: close it"));
        if (e == ENODEV)
            return failed(w, SCAN_STATE_MISSING, _("wedge scanner %s unplugged: plug it back in"));
        if (e == ENOTTY || e == EINVAL)
            return failed(w, SCAN_STATE_FAILED, not_input);
        return failed_errno(w, SCAN_STATE_FAILED, _("cannot grab wedge scanner %s: %s"), e);
    }
    if (ioctl(w->fd, EVIOCGNAME(sizeof w->name - 1), w->name) < 0)
        w->name[0] = '\0';
    w->name[sizeof w->name - 1] = '\0';
    return SCAN_STATE_ON;
}

static void wedge_close(struct wedge *w)
{
    if (w->fd < 0)
        return;
    if (w->device)
        ioctl(w->fd, EVIOCGRAB, 0);  /* closing releases it too */
    close(w->fd);
    w->fd = -1;
}

/* Reads until the scanner closes (SCAN_STATE_ON), the input ends
 * (SCAN_STATE_DONE) or the device fails. */
static enum scan_state wedge_run(struct wedge *w, scanner *sc)
{
    struct scan_keys keys, *k = &keys;
    scan_keys_init(k);
    union {
        struct input_event ev[64];
        unsigned char bytes[64 * sizeof(struct input_event)];
    } buf;
    size_t have = 0;
    for (;;) {
        struct pollfd p[2] = { { .fd = w->fd, .events = POLLIN }, { .fd = src_stop_fd(sc), .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return failed_errno(w, SCAN_STATE_FAILED, _("cannot read wedge scanner %s: %s"), errno);
        }
        if (p[1].revents)
            return SCAN_STATE_ON;
        ssize_t r = read(w->fd, buf.bytes + have, sizeof buf.bytes - have);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == ENODEV)
                return failed(w, SCAN_STATE_MISSING, _("wedge scanner %s unplugged: plug it back in"));
            return failed_errno(w, SCAN_STATE_FAILED, _("cannot read wedge scanner %s: %s"), errno);
        }
        if (r == 0) {
            /* A device never ends; a FIFO or a file of events does. */
            return w->device ? failed(w, SCAN_STATE_MISSING, _("wedge scanner %s unplugged: plug it back in"))
                             : SCAN_STATE_DONE;
        }
        have += (size_t)r;
        size_t n = have / sizeof(struct input_event);
        for (size_t i = 0; i < n; i++) {
            struct input_event ev;
            memcpy(&ev, buf.bytes + i * sizeof ev, sizeof ev);
            int64_t ms = (int64_t)ev.input_event_sec * 1000 + (int64_t)ev.input_event_usec / 1000;
            if (scan_keys_feed(k, ev.type, ev.code, ev.value, ms) == 1)
                src_text(sc, w->path, k->line, k->len, k->truncated);
        }
        have -= n * sizeof(struct input_event);
        memmove(buf.bytes, buf.bytes + n * sizeof(struct input_event), have);
    }
}

void *wedge_thread(void *arg)
{
    scanner *sc = arg;
    char why[SCAN_TEXT_MAX / 2];
    for (;;) {
        struct wedge w = { .fd = -1, .path = src_path(sc, SCAN_SRC_WEDGE), .why = why, .whysz = sizeof why };
        src_tried(sc, SCAN_SRC_WEDGE);
        enum scan_state st = wedge_open(&w);
        if (st == SCAN_STATE_ON) {
            char note[SCAN_TEXT_MAX / 2];
            if (w.name[0])
                /* TRANSLATORS: the device, then its own name ("Honeywell 1450g"). */
                snprintf(note, sizeof note, _("wedge scanner %s on: %s"), w.path, w.name);
            else
                snprintf(note, sizeof note, _("wedge scanner %s on"), w.path);
            src_on(sc, SCAN_SRC_WEDGE, note);
            st = wedge_run(&w, sc);
        }
        wedge_close(&w);
        if (st == SCAN_STATE_ON)
            break;                  /* closing */
        if (st == SCAN_STATE_DONE) {
            src_done(sc, SCAN_SRC_WEDGE);
            break;
        }
        src_failed(sc, SCAN_SRC_WEDGE, st, why);
        if (!src_wait(sc, src_retry_ms(sc)))
            break;
    }
    return NULL;
}
