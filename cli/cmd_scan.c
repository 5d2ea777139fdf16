/* cmd_scan.c - tally scan: read codes the way the kiosk does and say what
 * each one is. This is how an installer checks a camera or a wedge
 * scanner, and how the tests drive the decode path with image files and
 * recorded key events. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"
#include "util/util.h"

static const char USAGE[] = N_(
    "Usage: tally scan [--images FILE|DIR...] [--camera DEV] [--wedge DEV] [--raw]\n"
    "                  [--count N] [--seconds S]\n\n"
    "Reads codes through the scanner the kiosk uses and prints what each code\n"
    "is: the customer and the card's state, or why it is refused. As at the\n"
    "till, the same code read again within 2 seconds counts once. Sources, one\n"
    "or more:\n"
    "  --images FILE|DIR...  QR codes in PNG, JPEG and PGM images (a directory:\n"
    "                        every .png, .jpg and .pgm in it, by name)\n"
    "  --camera DEV          a V4L2 camera, e.g. /dev/video0\n"
    "  --wedge DEV           a keyboard-wedge scanner's own input device, e.g.\n"
    "                        /dev/input/by-id/usb-...-event-kbd, grabbed so what\n"
    "                        it types goes nowhere else (a FIFO or file of\n"
    "                        recorded key events is read too, to its end)\n"
    "  --raw        print the text of every code, whatever it is; no shop needed\n"
    "               (control characters show as '?' on a terminal)\n"
    "  --count N    stop after N codes\n"
    "  --seconds S  stop after S seconds (5, 0.5)\n"
    "Images and recorded events end by themselves; a camera or wedge is read\n"
    "until Ctrl-C, --count or --seconds. A camera or wedge that is missing,\n"
    "busy or unplugged is reported on stderr and tried again every 3 seconds.\n"
    "Exits 0 when every source could be read, even if codes were refused; 1 if\n"
    "an image, the camera or the wedge could not be read (the reason is on\n"
    "stderr); 2 on a usage error.\n");

struct scan {
    struct cli *c;
    bool raw, tty;
    unsigned char secret[STORE_SECRET_BYTES];
    struct jbuf jb;
    int errors;
    long codes, count;          /* codes printed; stop at count (0: never) */
};

/* Ctrl-C and SIGTERM end the reading cleanly (JSON closed, devices let
 * go): the handler only writes to a pipe the loop polls. */
static volatile sig_atomic_t sig_pipe = -1;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (sig_pipe >= 0 && write(sig_pipe, "!", 1) < 0) {
        /* full: a byte is already waiting */
    }
    errno = saved;
}

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
        jb_key_str(&sc->jb, "file", ev->source);
        jb_key_str(&sc->jb, "text", ev->text);
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
        jb_key_str(jb, "file", ev->source);
        jb_key_str(jb, "verdict", VERDICTS[v]);
        jb_key_str(jb, "card", v == CARD_OK ? human : NULL);
        jb_key_str(jb, "state", v == CARD_OK ? state_name(st) : NULL);
        jb_key_str(jb, "customer", cu.id[0] ? cu.id : NULL);
        jb_key_str(jb, "name", cu.id[0] ? cu.name : NULL);
        jb_key_str(jb, "message", message);
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
    jb_key_str(&sc->jb, "file", ev->source);
    if (!sc->raw) {
        jb_key_str(&sc->jb, "verdict", "no_code");
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
        if (!sc->c->json)
            fflush(stdout);     /* a script reads each line as it comes */
        return sc->count == 0 || ++sc->codes < sc->count;
    case SCAN_STATUS:
        fflush(stdout);
        fprintf(stderr, "tally: %s\n", ev->text);
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
 * take every event waiting, until the sources end, --count codes were
 * read, --seconds passed, or a signal came (stop_fd readable). */
static int run(struct scan *sc, scanner *s, int stop_fd, int64_t deadline)
{
    struct scan_event *ev = malloc(sizeof *ev);
    if (!ev)
        return cli_fail(_("out of memory"));
    bool going = true;
    while (going) {
        struct pollfd p[2] = { { .fd = scanner_fd(s), .events = POLLIN }, { .fd = stop_fd, .events = POLLIN } };
        int64_t left = deadline ? deadline - clock_ms(CLOCK_MONOTONIC) : -1;
        if (deadline && left <= 0)
            break;
        if (poll(p, 2, left > INT32_MAX ? INT32_MAX : (int)left) < 0) {
            if (errno == EINTR)
                continue;
            free(ev);
            return cli_fail(_("cannot wait for the scanner: %s"), strerror(errno));
        }
        if (p[1].revents)
            break;
        while (going && scanner_next(s, ev) == 1)
            going = handle(sc, ev);
    }
    free(ev);
    return 0;
}

/* --count N and --seconds S: -1 after saying what is wrong. */
static int parse_limits(const char *count, const char *seconds, long *n, int64_t *ms)
{
    char *end;
    if (count) {
        errno = 0;
        *n = strtol(count, &end, 10);
        if (errno || end == count || *end || *n < 1)
            return cli_fail(_("--count takes a whole number of codes, 1 or more, not '%s'"), count), -1;
    }
    if (seconds) {
        char num[64];   /* "0,5" as well as "0.5" */
        snprintf(num, sizeof num, "%s", seconds);
        char *comma = strchr(num, ',');
        if (comma)
            *comma = '.';
        double s = strtod(num, &end);
        if (end == num || *end || strlen(seconds) >= sizeof num || !isfinite(s) || s <= 0 || s > 1e9)
            return cli_fail(_("--seconds takes a number of seconds above 0, not '%s'"), seconds), -1;
        *ms = (int64_t)ceil(s * 1000);
    }
    return 0;
}

/* Where codes come from: the options, else the till's own camera and
 * wedge from tally.conf. */
static void sources(struct cli *c, const struct cmd_args *a, const char **camera, const char **wedge)
{
    *camera = cmd_opt(a, "camera");
    *wedge = cmd_opt(a, "wedge");
    if (!cmd_flag(a, "images") && !*camera && !*wedge) {
        *camera = c->conf.camera;
        *wedge = c->conf.wedge;
    }
}

/* The sources, and --count and --seconds into a->number[0] and [1]. */
static int scan_check(struct cli *c, struct cmd_args *a)
{
    bool images = cmd_flag(a, "images");
    const char *camera, *wedge;
    long max_codes = 0;
    sources(c, a, &camera, &wedge);
    if (parse_limits(cmd_opt(a, "count"), cmd_opt(a, "seconds"), &max_codes, &a->number[1]) != 0)
        return 2;
    if ((images && a->n == 0) || (!images && !camera && !wedge))
        return cli_fail(_("say where to read codes from: --images FILE|DIR..., --camera DEV or --wedge DEV")), 2;
    if (a->n > 0 && !images)
        return cli_fail(_("unexpected argument '%s'; see 'tally scan --help'"), a->pos[0]), 2;
    a->number[0] = max_codes;
    return 0;
}

static int scan(struct cli *c, struct cmd_args *a)
{
    bool images = cmd_flag(a, "images"), raw = cmd_flag(a, "raw");
    const char *camera, *wedge, **pos = a->pos;
    int n = a->n;
    long max_codes = (long)a->number[0];
    int64_t limit_ms = a->number[1];
    sources(c, a, &camera, &wedge);
    int rc = 0;
    if (!raw && cli_open(c, false) != 0)
        rc = 1;
    struct scan sc = { .c = c, .raw = raw, .tty = isatty(STDOUT_FILENO), .count = max_codes };
    if (rc == 0 && !raw && store_shop_secret(c->s, sc.secret) != 0)
        rc = cli_store_fail(c);
    int sp[2] = { -1, -1 };
    struct sigaction sa, old_int, old_term;
    bool caught = false;
    if (rc == 0 && pipe(sp) == 0) {
        for (int i = 0; i < 2; i++)
            fcntl(sp[i], F_SETFL, fcntl(sp[i], F_GETFL) | O_NONBLOCK);
        sig_pipe = sp[1];
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        caught = true;
    }
    scanner *s = NULL;
    if (rc == 0) {
        char err[512];
        struct scanner_sources src = { .images = images ? pos : NULL, .nimages = images ? (size_t)n : 0,
                                       .camera = camera, .wedge = wedge };
        s = scanner_open(&src, NULL, err, sizeof err);
        if (!s)
            rc = cli_fail("%s", err);
    }
    if (rc == 0) {
        jb_init(&sc.jb);
        jb_arr_begin(&sc.jb);
        rc = run(&sc, s, sp[0], limit_ms ? clock_ms(CLOCK_MONOTONIC) + limit_ms : 0);
        jb_arr_end(&sc.jb);
        if (rc == 0 && c->json)
            rc = cli_print_json(&sc.jb);
        else
            jb_free(&sc.jb);
        if (rc == 0 && sc.errors)
            rc = 1;
    }
    scanner_close(s);
    if (caught) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sig_pipe = -1;
    }
    for (int i = 0; i < 2; i++)
        if (sp[i] >= 0)
            close(sp[i]);
    return rc;
}

const struct cmd_entry cmd_scan_entry = {
    .name = "scan", .summary = N_("read card codes from images and say whose they are"), .usage = USAGE,
    .options = "images raw camera= wedge= count= seconds=", .max = -1, .check = scan_check,
    /* opens the store itself, unless --raw: raw codes need no shop */
    .run = scan,
};
