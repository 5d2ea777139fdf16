/* cmd_kiosk.c - tally kiosk: the barista's counter screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scanner/scanner.h"
#include "i18n.h"
#include "tui/tui.h"

#define MAX_IMAGES 64

/* The status line's word on the other tills; it also tells the store
 * whether spending points is limited (see cli_offline). */
static int till_state(char *out, size_t outsz, void *arg)
{
    return cli_offline(arg, out, outsz);
}

static int kiosk_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (a->n > 0 && !cmd_flag(a, "images"))
        return cli_fail(_("unexpected argument '%s'; see 'tally kiosk --help'"), a->pos[0]), 2;
    return 0;
}

static int kiosk(struct cli *c, struct cmd_args *a)
{
    const char *cards = cmd_opt(a, "cards-dir"), *camera = cmd_opt(a, "camera"), *wedge = cmd_opt(a, "wedge");
    const char **pos = a->pos;
    bool images = cmd_flag(a, "images");
    int n = a->n;
    if (!camera)
        camera = c->conf.camera;
    if (!wedge)
        wedge = c->conf.wedge;
    if (!cards)
        cards = c->conf.cards_dir;
    char dir[4096];
    if (!cards) {
        char db[4096];
        store_default_path(c->db_path, db, sizeof db);
        char *slash = strrchr(db, '/');
        snprintf(dir, sizeof dir, "%.*s/cards", slash ? (int)(slash - db) : 1, slash ? db : ".");
        cards = dir;
    }
    struct kiosk_options o = { .lang = c->lang, .images = pos, .nimages = images ? (size_t)n : 0,
                               .camera = camera, .wedge = wedge, .cards_dir = cards,
                               .till_state = till_state, .till_state_arg = c };
    unsigned char *logo = NULL;
    if (c->conf.card_logo && *c->conf.card_logo) {
        char why[256];
        if (!(logo = scan_file_read(c->conf.card_logo, &o.card_logo_len, why, sizeof why)))
            return cli_fail(_("cannot read the logo %s: %s"), c->conf.card_logo, why);
        o.card_logo = logo;
    }
    int rc = kiosk_run(c->s, &o);
    free(logo);
    return rc;
}

const struct cmd_entry cmd_kiosk_entry = {
    .name = "kiosk", .summary = N_("the barista's counter screen"),
    .usage = N_("Usage: tally kiosk [--camera DEV] [--wedge DEV] [--images FILE|DIR...]\n"
        "                   [--cards-dir DIR]\n\n"
        "The barista's screen, for 80x24 or larger. Staff log in with their name\n"
        "and PIN. Scan a card, or type its code, a phone number or a name. Cards\n"
        "are read by:\n"
        "  --camera DEV   a USB camera, e.g. /dev/video0\n"
        "  --wedge DEV    a keyboard-wedge scanner's own input device, e.g.\n"
        "                 /dev/input/by-id/usb-...-event-kbd, grabbed so what it\n"
        "                 types never lands in a form field\n"
        "  --images FILE|DIR...  QR codes in PNG, JPEG and PGM image files\n"
        "A wedge scanner that types on the shared keyboard works without an\n"
        "option. A camera or wedge that is missing or unplugged is shown on the\n"
        "status line and tried again every few seconds; the keyboard keeps\n"
        "working. Keys are shown on the bottom line; Esc always backs out, F12\n"
        "locks the screen, F10 closes it. Printable cards of new customers are\n"
        "saved in --cards-dir (default: the cards folder beside the database).\n"),
    .options = "images cards-dir= camera= wedge=", .max = MAX_IMAGES, .check = kiosk_check,
    .store = CMD_OPEN, .run = kiosk,
};
