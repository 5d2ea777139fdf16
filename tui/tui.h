/* tui.h - the ncurses screens: the barista's kiosk and
 * the manager's dashboard. This header is the
 * tui module's whole public face. */
#ifndef TALLY_TUI_H
#define TALLY_TUI_H

#include <stddef.h>

#include "store/store.h"

struct kiosk_options {
    const char *lang;               /* two-letter language for amounts */
    const char *const *images;      /* image files/dirs to read codes from */
    size_t nimages;
    const char *camera;             /* V4L2 camera device, or NULL */
    const char *wedge;              /* wedge scanner's input device, or NULL */
    const char *cards_dir;          /* where "save card" writes PNGs */
    const unsigned char *card_logo; /* the shop's logo for cards (PNG), or NULL */
    size_t card_logo_len;
    /* Describes this till's link with the others for the status line;
     * returns non-zero when the barista should notice (no peer heard
     * for a while, sync not running). NULL: a till on its own. */
    int (*till_state)(char *out, size_t outsz, void *arg);
    void *till_state_arg;
};

/* Runs the kiosk until the barista quits (F10 then y). Returns 0, or 1
 * with a message on stderr if the terminal cannot be used. */
int kiosk_run(store *s, const struct kiosk_options *o);

struct dashboard_options {
    const char *lang;               /* two-letter language for amounts */
    struct store_period period;     /* the period shown first (store_period_parse) */
    const char *till;               /* one till's origin, or NULL for all */
};

/* Runs the manager's dashboard until q. Returns 0, or 1 with a message on
 * stderr if the terminal cannot be used. */
int dashboard_run(store *s, const struct dashboard_options *o);

#endif
