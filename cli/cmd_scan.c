/* cmd_scan.c - tally scan: read codes the way the kiosk does and say what
 * each one is. This is how an installer checks a scanner, and how the
 * tests drive the decode path with image files. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"

static const char USAGE[] = N_(
    "Usage: tally scan --images FILE|DIR... [--raw]\n\n"
    "Reads QR codes from PNG and PGM images (a directory: every .png and .pgm\n"
    "in it, by name) through the scanner the kiosk uses, and prints what each\n"
    "code is: the customer and the card's state, or why it is refused. As at\n"
    "the till, the same code read again within 2 seconds counts once.\n"
    "  --raw   print the text of every QR code, whatever it is; no shop needed\n"
    "          (control characters show as '?' on a terminal)\n"
    "Exits 0 when every image was read, even if codes were refused.\n");

struct scan {
    struct cli *c;
    bool raw, tty;
    unsigned char secret[STORE_SECRET_BYTES];
    struct jbuf jb;
    int errors;
};

static const char *const VERDICTS[CARD_VERDICT_COUNT] = {
    [CARD_OK] = "ok", [CARD_NOT_TALLY] = "not_tally", [CARD_TYPO] = "typo",
    [CARD_OTHER_SHOP] = "other_shop", [CARD_FORGED] = "forged",
};

static const char *state_name(enum store_card_state st)
{
    switch (st) {
    case STORE_CARD_ACTIVE: return "active";
    case STORE_CARD_REPLACED: return "replaced";
    case STORE_CARD_FORGOTTEN: return "forgotten";
    default: return "unknown";
    }
}

static void print_raw(struct scan *sc, const struct scan_event *ev)
{
    if (sc->c->json) {
        jb_obj_begin(&sc->jb);
        jb_key(&sc->jb, "file");
        jb_str(&sc->jb, ev->source);
        jb_key(&sc->jb, "text");
        jb_str(&sc->jb, ev->text);
        jb_obj_end(&sc->jb);
        return;
    }
    /* As is, except that a terminal is not handed escape sequences. */
    for (size_t i = 0; i < ev->len; i++) {
        unsigned char ch = (unsigned char)ev->text[i];
        putchar(sc->tty && ((ch < 0x20 && ch != '\t') || ch == 0x7F) ? '?' : ch);
    }
    putchar('\n');
}

static void print_card(struct scan *sc, const struct scan_event *ev)
{
    char id[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX] = "";
    enum card_verdict v = card_parse(ev->text, ev->len, sc->secret, id);
    struct store_customer cu;
    enum store_card_state st = STORE_CARD_UNKNOWN;
    const char *message = card_verdict_message(v);
    memset(&cu, 0, sizeof cu);
    if (v == CARD_OK) {
        card_encode(sc->secret, id, human, NULL);
        st = store_customer_by_card(sc->c->s, id, &cu);
        message = st == STORE_CARD_ACTIVE ? "" : store_error(sc->c->s);
        if (st == STORE_CARD_FORGOTTEN || st == STORE_CARD_UNKNOWN)
            memset(&cu, 0, sizeof cu);
    }
    if (sc->c->json) {
        struct jbuf *jb = &sc->jb;
        jb_obj_begin(jb);
        jb_key(jb, "file");
        jb_str(jb, ev->source);
        jb_key(jb, "verdict");
        jb_str(jb, VERDICTS[v]);
        jb_key(jb, "card");
        jb_str(jb, v == CARD_OK ? human : NULL);
        jb_key(jb, "state");
        jb_str(jb, v == CARD_OK ? state_name(st) : NULL);
        jb_key(jb, "customer");
        jb_str(jb, cu.id[0] ? cu.id : NULL);
        jb_key(jb, "name");
        jb_str(jb, cu.id[0] ? cu.name : NULL);
        jb_key(jb, "message");
        jb_str(jb, message);
        jb_obj_end(jb);
        return;
    }
    if (v != CARD_OK)
        printf(_("%s: %s\n"), ev->source, message);
    else if (st == STORE_CARD_ACTIVE)
        printf(_("%s: %s, card %s (active)\n"), ev->source, cu.name, human);
    else if (st == STORE_CARD_REPLACED)
        printf(_("%s: %s, card %s (replaced): %s\n"), ev->source, cu.name, human, message);
    else if (st == STORE_CARD_FORGOTTEN)
        printf(_("%s: card %s (forgotten): %s\n"), ev->source, human, message);
    else
        printf(_("%s: card %s (unknown): %s\n"), ev->source, human, message);
}

static void print_nothing(struct scan *sc, const struct scan_event *ev)
{
    if (!sc->c->json) {
        printf(_("%s: no QR code found\n"), ev->source);
        return;
    }
    jb_obj_begin(&sc->jb);
    jb_key(&sc->jb, "file");
    jb_str(&sc->jb, ev->source);
    if (!sc->raw) {
        jb_key(&sc->jb, "verdict");
        jb_str(&sc->jb, "no_code");
    }
    jb_key(&sc->jb, "text");
    jb_null(&sc->jb);
    jb_obj_end(&sc->jb);
}

/* Handles one event; false once the source is exhausted. */
static bool handle(struct scan *sc, const struct scan_event *ev)
{
    switch (ev->kind) {
    case SCAN_CODE:
        if (sc->raw)
            print_raw(sc, ev);
        else
            print_card(sc, ev);
        break;
    case SCAN_NOTHING:
        print_nothing(sc, ev);
        break;
    case SCAN_ERROR:
        fflush(stdout);
        cli_fail("%s", ev->text);
        sc->errors++;
        break;
    case SCAN_END:
        return false;
    }
    return true;
}

/* The kiosk's main loop in miniature: poll the scanner's descriptor and
 * take every event waiting. */
static int run(struct scan *sc, scanner *s)
{
    struct scan_event *ev = malloc(sizeof *ev);
    if (!ev)
        return cli_fail(_("out of memory"));
    bool going = true;
    while (going) {
        struct pollfd p = { .fd = scanner_fd(s), .events = POLLIN };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            free(ev);
            return cli_fail(_("cannot wait for the scanner: %s"), strerror(errno));
        }
        while (going && scanner_next(s, ev) == 1)
            going = handle(sc, ev);
    }
    free(ev);
    return 0;
}

int cmd_scan(struct cli *c, int argc, char **argv)
{
    bool images = false, raw = false;
    const struct opt opts[] = { { "images", NULL, &images }, { "raw", NULL, &raw }, { 0 } };
    const char **pos = calloc((size_t)argc, sizeof *pos);
    if (!pos)
        return cli_fail(_("out of memory"));
    int n = cli_parse(c, argc, argv, opts, pos, argc, USAGE);
    int rc = 0;
    if (n < 0)
        rc = 2;
    else if (!images || n == 0) {
        cli_fail(_("say where to read codes from: --images FILE|DIR..."));
        rc = 2;
    }
    else if (!raw && cli_open(c, false) != 0)
        rc = 1;
    struct scan sc = { .c = c, .raw = raw, .tty = isatty(STDOUT_FILENO) };
    if (rc == 0 && !raw && store_shop_secret(c->s, sc.secret) != 0)
        rc = cli_store_fail(c);
    scanner *s = NULL;
    if (rc == 0) {
        char err[512];
        s = scanner_open_images(pos, (size_t)n, NULL, err, sizeof err);
        if (!s)
            rc = cli_fail("%s", err);
    }
    if (rc == 0) {
        jb_init(&sc.jb);
        jb_arr_begin(&sc.jb);
        rc = run(&sc, s);
        jb_arr_end(&sc.jb);
        if (rc == 0 && c->json)
            rc = cli_print_json(&sc.jb);
        else
            jb_free(&sc.jb);
        if (rc == 0 && sc.errors)
            rc = 1;
    }
    scanner_close(s);
    free(pos);
    return rc;
}
