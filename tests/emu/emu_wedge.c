/* emu_wedge.c - the emulated evdev keyboard-wedge scanner (see emu.c).
 *
 * The descriptor handed out is the read end of a pipe; a thread writes
 * struct input_event records into it as a scanner types: each character
 * as its key (with Left Shift for upper case and shifted symbols) in the
 * scanner's keyboard layout, then Enter, each followed by SYN_REPORT.
 * EVIOCGRAB and EVIOCGNAME are answered; while the device is not grabbed,
 * what it types also goes to EMU_WEDGE_CONSOLE (a file the test forwards
 * to the terminal, as the kernel would).
 *
 * Control keys (EMU_WEDGE_CONTROL), read at open and every 20 ms:
 *   state   = present | absent (open: ENOENT) | grabbed (EVIOCGRAB: EBUSY)
 *   type    = TEXT   typed, then Enter, each time serial changes
 *   serial  = N
 *   layout  = us | de   (de: QWERTZ, Y and Z swapped, ':' is Shift+'.',
 *                        '-' is the key US has '/' on)
 *   unplug_after = N   the device disappears after N characters of the
 *                      next text (read says ENODEV; open ENOENT until the
 *                      test rewrites the control file)
 *
 * Status (EMU_STATUS): wedge_opens, wedge_grabbed (0/1), wedge_typed
 * (texts typed, whole or cut). */
#define _GNU_SOURCE
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 1024

struct wedge {
    int rfd, wfd;
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop, grabbed;
};

static struct wedge *wedges[MAX_FD];
static long opens, typed;
static bool unplugged;      /* until the test rewrites the control file */
static struct stat unplugged_ctl;

static const char *control_path(void)
{
    return getenv("EMU_WEDGE_CONTROL");
}

static void control(const char *key, char *out, size_t n, const char *dflt)
{
    emu_control_or(control_path(), key, out, n, dflt);
}

bool wedge_owns(int fd)
{
    return fd >= 0 && fd < MAX_FD && wedges[fd];
}

/* The key and Shift a US keyboard types ch with; false if none. */
static bool us_key(char ch, int *code, bool *shift)
{
    static const char row_num[] = "1234567890-=", row_num_s[] = "!@#$%^&*()_+";
    static const char q[] = "qwertyuiop[]", a[] = "asdfghjkl;'", z[] = "zxcvbnm,./";
    static const char q_s[] = "QWERTYUIOP{}", a_s[] = "ASDFGHJKL:\"", z_s[] = "ZXCVBNM<>?";
    static const struct { const char *plain, *shifted; int first; } rows[] = {
        { row_num, row_num_s, KEY_1 }, { q, q_s, KEY_Q }, { a, a_s, KEY_A }, { z, z_s, KEY_Z },
    };
    if (ch == ' ') {
        *code = KEY_SPACE;
        *shift = false;
        return true;
    }
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const char *p = strchr(rows[r].plain, ch), *s = strchr(rows[r].shifted, ch);
        if (ch && (p || s)) {
            *code = rows[r].first + (int)(p ? p - rows[r].plain : s - rows[r].shifted);
            *shift = !p;
            return true;
        }
    }
    return false;
}

/* The same for a German (QWERTZ) keyboard, where it differs from US in
 * what card codes use. */
static bool de_key(char ch, int *code, bool *shift)
{
    switch (ch) {
    case 'y': case 'Y': *code = KEY_Z; *shift = ch == 'Y'; return true;
    case 'z': case 'Z': *code = KEY_Y; *shift = ch == 'Z'; return true;
    case ':': *code = KEY_DOT; *shift = true; return true;
    case '-': *code = KEY_SLASH; *shift = false; return true;
    default: return us_key(ch, code, shift);
    }
}

static void event(struct wedge *w, int type, int code, int value)
{
    struct input_event ev;
    memset(&ev, 0, sizeof ev);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    ev.input_event_sec = tv.tv_sec;
    ev.input_event_usec = tv.tv_usec;
    ev.type = (unsigned short)type;
    ev.code = (unsigned short)code;
    ev.value = value;
    if (write(w->wfd, &ev, sizeof ev) != (ssize_t)sizeof ev) {
        /* the reader is gone; the thread stops at its next look */
    }
    if (type == EV_KEY) {
        struct input_event syn;
        memset(&syn, 0, sizeof syn);
        syn.input_event_sec = ev.input_event_sec;
        syn.input_event_usec = ev.input_event_usec;
        if (write(w->wfd, &syn, sizeof syn) != (ssize_t)sizeof syn) {
            /* as above */
        }
    }
}

static void press(struct wedge *w, int code, bool shift)
{
    if (shift)
        event(w, EV_KEY, KEY_LEFTSHIFT, 1);
    event(w, EV_KEY, code, 1);
    event(w, EV_KEY, code, 0);
    if (shift)
        event(w, EV_KEY, KEY_LEFTSHIFT, 0);
}

/* Types text; false if the device was unplugged on the way. */
static bool type_text(struct wedge *w, const char *text)
{
    char layout[16], cut[32];
    control("layout", layout, sizeof layout, "us");
    control("unplug_after", cut, sizeof cut, "-1");
    long after = strtol(cut, NULL, 10);
    bool de = strcmp(layout, "de") == 0;
    pthread_mutex_lock(&w->lock);
    bool grabbed = w->grabbed;
    pthread_mutex_unlock(&w->lock);
    const char *console = getenv("EMU_WEDGE_CONSOLE");
    if (!grabbed && console) {
        FILE *f = fopen(console, "a");
        if (f) {
            fprintf(f, "%s\n", text);
            fclose(f);
        }
    }
    emu_status("wedge_typed", ++typed);
    for (long i = 0; text[i]; i++) {
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            return true;
        if (i == after) {
            unplugged = stat(control_path(), &unplugged_ctl) == 0;
            return false;
        }
        int code;
        bool shift;
        if (de ? de_key(text[i], &code, &shift) : us_key(text[i], &code, &shift))
            press(w, code, shift);
        struct timespec ts = { 0, 2000000 };    /* 2 ms a key, as scanners type */
        nanosleep(&ts, NULL);
    }
    press(w, KEY_ENTER, false);
    return true;
}

static void *type_thread(void *arg)
{
    struct wedge *w = arg;
    char last[64] = "";
    bool first = true;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
        char serial[64], text[1024];
        control("serial", serial, sizeof serial, "");
        if ((first || strcmp(serial, last) != 0) && emu_control(control_path(), "type", text, sizeof text) &&
            text[0] && !type_text(w, text))
            break;
        first = false;
        snprintf(last, sizeof last, "%s", serial);
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    /* Unplugged: the pipe ends, and read() says ENODEV. */
    pthread_mutex_lock(&w->lock);
    if (!w->stop) {
        emu_real.close(w->wfd);
        w->wfd = -1;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int wedge_open(const char *path)
{
    const char *dev = getenv("EMU_WEDGE");
    if (!dev || strcmp(path, dev) != 0)
        return -2;
    char st[32];
    control("state", st, sizeof st, "present");
    struct stat now;
    if (unplugged && stat(control_path(), &now) == 0 && now.st_ino == unplugged_ctl.st_ino &&
        now.st_mtim.tv_sec == unplugged_ctl.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == unplugged_ctl.st_mtim.tv_nsec) {
        errno = ENOENT;
        return -1;
    }
    unplugged = false;
    if (strcmp(st, "absent") == 0) {
        errno = ENOENT;
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    fcntl(p[1], F_SETFL, 0);    /* the typist blocks when the reader lags */
    struct wedge *w = calloc(1, sizeof *w);
    if (!w || p[0] >= MAX_FD) {
        free(w);
        emu_real.close(p[0]);
        emu_real.close(p[1]);
        errno = EMFILE;
        return -1;
    }
    w->rfd = p[0];
    w->wfd = p[1];
    pthread_mutex_init(&w->lock, NULL);
    wedges[p[0]] = w;
    if (pthread_create(&w->thread, NULL, type_thread, w) != 0) {
        wedges[p[0]] = NULL;
        emu_real.close(p[0]);
        emu_real.close(p[1]);
        free(w);
        errno = ENOMEM;
        return -1;
    }
    emu_status("wedge_opens", ++opens);
    return p[0];
}

int wedge_ioctl(int fd, unsigned long req, void *arg)
{
    struct wedge *w = wedges[fd];
    if (req == EVIOCGRAB) {
        char st[32];
        control("state", st, sizeof st, "present");
        if (strcmp(st, "grabbed") == 0) {
            errno = EBUSY;
            return -1;
        }
        pthread_mutex_lock(&w->lock);
        w->grabbed = arg != NULL;
        pthread_mutex_unlock(&w->lock);
        emu_status("wedge_grabbed", arg != NULL);
        return 0;
    }
    if (_IOC_TYPE(req) == 'E' && _IOC_NR(req) == _IOC_NR(EVIOCGNAME(0)) && _IOC_DIR(req) == _IOC_READ) {
        snprintf(arg, _IOC_SIZE(req), "%s", "Emulated barcode scanner");
        return (int)strlen(arg) + 1;
    }
    errno = ENOTTY;
    return -1;
}

void wedge_close(int fd)
{
    struct wedge *w = wedges[fd];
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_mutex_unlock(&w->lock);
    /* The typist stops within a key; the read end is still open, so its
     * last write neither blocks (a text fits the pipe) nor raises SIGPIPE. */
    pthread_join(w->thread, NULL);
    if (w->wfd >= 0)
        emu_real.close(w->wfd);
    wedges[fd] = NULL;
    if (w->grabbed)
        emu_status("wedge_grabbed", 0);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
