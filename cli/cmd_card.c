/* cmd_card.c - tally card: print a customer's loyalty card, or replace a
 * lost one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"

static const char USAGE[] = N_(
    "Usage: tally card CUSTOMER (--png FILE | --svg FILE | --term) [--replace]\n"
    "                  [--logo FILE] [--no-name] [--mode 600]\n\n"
    "Makes the customer's loyalty card: the shop's logo and name on a band in\n"
    "the shop's accent colour (program setting shop.accent), the QR code, the\n"
    "customer's name and the code printed beside it, for typing when the QR\n"
    "cannot be read.\n"
    "  --png FILE   a 300 dpi image of an 85 x 55 mm card\n"
    "  --svg FILE   the same card as vector graphics, for a print shop\n"
    "  --term       draw the card here, for the customer to scan with a phone\n"
    "  --logo FILE  the shop's logo, a PNG (default: card_logo in the\n"
    "               configuration file, if set)\n"
    "  --no-name    leave the customer's name off the card\n"
    "  --replace    (manager) a lost card: issue a new code first; the old card\n"
    "               stops working at every till\n"
    "  --mode MODE  the files' permissions (default 600: only you can read them,\n"
    "               as a card's code works at the counter); 640 or 644 to share\n"
    "Several outputs may be given at once. Every card is read back by the\n"
    "scanner's own decoder before it is written. CUSTOMER is a card code, a\n"
    "phone number or a customer id.\n");

struct outputs {
    const char *png_path, *svg_path;
    bool term;
    unsigned char *png;
    size_t png_len;
    char *svg, *text;
};

static void outputs_free(struct outputs *o)
{
    free(o->png);
    free(o->svg);
    free(o->text);
}

static int write_card(const char *path, const void *data, size_t len, unsigned mode)
{
    char err[4200];
    return card_write_file(path, data, len, mode, err, sizeof err) == 0 ? 0 : cli_fail("%s", err);
}

/* "600", "0640": permission bits for the card files, read and write only. */
static int parse_mode(const char *text, unsigned *mode)
{
    char *end;
    size_t n = strlen(text);
    unsigned long v = strtoul(text, &end, 8);
    if (n < 3 || n > 4 || *end || strspn(text, "01234567") != n || v & ~0666ul)
        return cli_fail(_("--mode is the card file's permissions in octal, without execute bits: "
                          "600 (only this user, the default), 640 or 644")), -1;
    *mode = (unsigned)v;
    return 0;
}

/* Renders everything asked for, in memory: nothing is written and no card
 * is replaced unless every output read back. */
static int render(const struct card_face *face, bool color, struct outputs *o)
{
    char err[512];
    if (o->png_path && card_render_png(face, &o->png, &o->png_len, err, sizeof err) != 0)
        return cli_fail("%s", err);
    if (o->svg_path && card_render_svg(face, &o->svg, err, sizeof err) != 0)
        return cli_fail("%s", err);
    if (o->term && card_render_term(face, color, &o->text, err, sizeof err) != 0)
        return cli_fail("%s", err);
    return 0;
}

int card_face_of(struct cli *c, const struct store_customer *cu, const char *holder,
                 const char *logo_path, struct card_face *face)
{
    static char accent[32];
    store_setting_get(c->s, "shop.accent", accent, sizeof accent);
    face->shop = store_shop_name(c->s);
    face->accent = accent;
    face->holder = cu->forgotten ? NULL : holder;
    if (!logo_path)
        logo_path = c->conf.card_logo;
    if (logo_path && *logo_path) {
        char why[256];
        unsigned char *logo = scan_file_read(logo_path, &face->logo_len, why, sizeof why);
        if (!logo)
            return cli_fail(_("cannot read the logo %s: %s"), logo_path, why);
        face->logo_png = logo;
    }
    return 0;
}

/* A new card id, unused in this shop. */
static int new_card(struct cli *c, const unsigned char *secret, char id[CARD_ID_LEN + 1])
{
    struct store_customer other;
    for (int tries = 0; tries < 10; tries++) {
        if (card_make(secret, id) != 0)
            break;
        if (store_customer_by_card(c->s, id, &other) == STORE_CARD_UNKNOWN)
            return 0;
    }
    return cli_fail(_("cannot make a card code"));
}

static int report(struct cli *c, const struct store_customer *cu, const char *human,
                  const char *qr, bool replaced, const struct outputs *o)
{
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_str(&jb, "customer", cu->id);
        jb_key_str(&jb, "name", cu->name);
        jb_key_str(&jb, "card", human);
        jb_key_str(&jb, "qr", qr);
        jb_key_bool(&jb, "replaced", replaced);
        jb_key_str(&jb, "png", o->png_path);
        jb_key_str(&jb, "svg", o->svg_path);
        jb_key_str(&jb, "term", o->text);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    if (o->text)
        fputs(o->text, stdout);
    if (replaced)
        printf(_("New card %s for %s; the old card no longer works.\n"), human, cu->name);
    if (o->png_path)
        printf(_("Wrote the card of %s (%s) to %s.\n"), cu->name, human, o->png_path);
    if (o->svg_path)
        printf(_("Wrote the card of %s (%s) to %s.\n"), cu->name, human, o->svg_path);
    return 0;
}

/* What to make, and --mode into a->number[0]. */
static int card_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *png = cmd_opt(a, "png"), *svg = cmd_opt(a, "svg"), *mode_text = cmd_opt(a, "mode");
    unsigned mode = CARD_FILE_MODE;
    if (!png && !svg && !cmd_flag(a, "term"))
        return cli_fail(_("say how to make the card: --png FILE, --svg FILE or --term")), 2;
    if ((png && !*png) || (svg && !*svg))
        return cli_fail(_("give a file name after --png or --svg")), 2;
    if (mode_text && parse_mode(mode_text, &mode) != 0)
        return 2;
    a->number[0] = mode;
    return 0;
}

static int card(struct cli *c, struct cmd_args *a)
{
    struct outputs o = { .png_path = cmd_opt(a, "png"), .svg_path = cmd_opt(a, "svg"), .term = cmd_flag(a, "term") };
    bool replace = cmd_flag(a, "replace");
    unsigned mode = (unsigned)a->number[0];
    struct store_customer cu = *a->cu;
    unsigned char secret[STORE_SECRET_BYTES];
    if (store_shop_secret(c->s, secret) != 0)
        return cli_store_fail(c);
    char id[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX], qr[CARD_QR_MAX];
    snprintf(id, sizeof id, "%.*s", CARD_ID_LEN, cu.card);
    if (replace && new_card(c, secret, id) != 0)
        return 1;
    if (card_encode(secret, id, human, qr) != 0)
        return cli_fail(_("the customer's card id %s is not valid; replace the card with --replace"), id);
    struct card_face face = { 0 };
    if (card_face_of(c, &cu, cmd_flag(a, "no-name") ? NULL : cu.name, cmd_opt(a, "logo"), &face) != 0)
        return 1;
    face.human = human;
    face.qr = qr;
    int rc = render(&face, !c->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"), &o);
    free((void *)face.logo_png);
    if (rc == 0 && replace && store_customer_replace_card(c->s, c->who.id, cu.id, id) != 0)
        rc = cli_store_fail(c);
    bool replaced = rc == 0 && replace;
    if (rc == 0 && o.png_path)
        rc = write_card(o.png_path, o.png, o.png_len, mode);
    if (rc == 0 && o.svg_path)
        rc = write_card(o.svg_path, o.svg, strlen(o.svg), mode);
    if (rc != 0 && replaced)
        cli_fail(_("the card was replaced all the same (new code %s); print it again "
                   "without --replace"), human);
    if (rc == 0)
        rc = report(c, &cu, human, qr, replace, &o);
    outputs_free(&o);
    return rc;
}

const struct cmd_entry cmd_card_entry = {
    .name = "card", .summary = N_("print a customer's QR card (PNG, SVG, terminal) or replace a lost one"),
    .usage = USAGE, .options = "png= svg= term replace logo= no-name mode=", .min = 1, .max = 1,
    .count_error = N_("say whose card: a card code, phone number or customer id"), .check = card_check,
    /* Only --replace writes to the ledger; printing a card only reads. */
    .store = CMD_OPEN, .login = CMD_MANAGER, .login_if = "replace", .customer_arg = true, .run = card,
};
