/* cmd_kiosk.c - tally kiosk: the barista's counter screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "tui/tui.h"

#define MAX_IMAGES 64

int cmd_kiosk(struct cli *c, int argc, char **argv)
{
    const char *pos[MAX_IMAGES], *cards = NULL;
    bool images = false;
    const struct opt opts[] = { { "images", NULL, &images }, { "cards-dir", &cards, NULL }, { 0 } };
    const char *usage = N_("Usage: tally kiosk [--images FILE|DIR...] [--cards-dir DIR]\n\n"
        "The barista's screen, for 80x24 or larger. Staff log in with their name\n"
        "and PIN. Scan a card (camera, a keyboard-wedge scanner, or --images to\n"
        "read QR codes from image files), or type its code, a phone number or a\n"
        "name. Keys are shown on the bottom line; Esc always backs out, F12\n"
        "locks the screen, F10 closes it. Printable cards of new customers are\n"
        "saved in --cards-dir (default: the cards folder beside the database).\n");
    int n = cli_parse(c, argc, argv, opts, pos, MAX_IMAGES, usage);
    if (n < 0)
        return 2;
    if (n > 0 && !images)
        return cli_fail(_("unexpected argument '%s'; see 'tally kiosk --help'"), pos[0]), 2;
    if (cli_open(c, false) != 0)
        return 1;
    char dir[4096];
    if (!cards) {
        char db[4096];
        store_default_path(c->db_path, db, sizeof db);
        char *slash = strrchr(db, '/');
        snprintf(dir, sizeof dir, "%.*s/cards", slash ? (int)(slash - db) : 1, slash ? db : ".");
        cards = dir;
    }
    struct kiosk_options o = { .lang = c->lang, .images = pos, .nimages = images ? (size_t)n : 0,
                               .cards_dir = cards };
    return kiosk_run(c->s, &o);
}
