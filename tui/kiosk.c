/* kiosk.c - the barista's counter screen: one state machine driven by the
 * screen's main loop (screen_loop), which polls the keyboard, the scanner's
 * descriptor and a timer together, so a key press shows at once and nothing
 * blocks the screen.
 *
 * Modes: LOGIN -> IDLE (scan or type a card, phone or name) -> CUSTOMER
 * (earn, redeem, coupon, undo, void, NPS) and the forms that hang off it.
 * Esc always backs out; Enter confirms; a manager's PIN is asked on the
 * spot for what needs one. Each mode is one entry of MODES (below the
 * actions): the fields it starts with, its keys, and its screen. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <inttypes.h>
#include <ncursesw/curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "panel.h"
#include "scanner/scanner.h"
#include "screen.h"
#include "tui.h"
#include "util/util.h"

enum mode {
    M_LOGIN, M_IDLE, M_SEARCH, M_CUSTOMER, M_EARN, M_REDEEM, M_CONFIRM,
    M_COUPON, M_NPS, M_PICK_VOID, M_MANAGER, M_REASON, M_ENROL, M_CARD,
    M_ADJUST, M_PROGRAM, M_SETTING, M_CONTACT, M_QUIT
};

/* What a manager's PIN was asked for. */
enum need { NEED_VOID, NEED_OVERRIDE, NEED_ADJUST, NEED_SETTING, NEED_UNLOCK };

#define NFIELDS 5
#define BAR_MAX 24          /* help bar: key and label pairs, NULL-terminated */
#define HISTORY 8
#define WEDGE_GAP_MS 40      /* keys closer than this come from a scanner */

struct kiosk {
    store *s;
    const struct kiosk_options *o;
    scanner *sc;
    enum mode mode, confirm_back;
    struct store_staff staff, manager;
    struct store_customer cust;
    bool has_cust;
    struct field f[NFIELDS];
    int focus, nfields;
    char msg[512];
    enum colour msg_colour;
    /* The last transaction of this session, for undo. */
    char last_ref[48];
    char last_cust[STORE_ID_LEN + 1];
    /* Lists to pick from. */
    struct store_customer found[10];
    struct store_reward rewards[16];
    char tier[64];                      /* the customer's, when the rewards were picked */
    struct store_event *history;
    int nitems, sel;
    /* A pending action that waits for a confirm, a PIN or a reason. */
    char pending[48];
    char unlock_name[FIELD_MAX];    /* NEED_UNLOCK: whose wrong PINs a manager ends */
    enum need need;
    struct store_override override;
    char override_reason[STORE_TEXT_MAX * 4 + 1];
    bool override_armed;
    /* The card just issued, drawn for the customer's phone. */
    char *card_text;
    char card_png[4096];
    char card_accent[32];       /* shop.accent, for the card being shown */
    /* Keystrokes of a possible wedge scan. */
    char burst[128];
    size_t burst_len;
    int64_t burst_last;
    int64_t data_version;
    bool offline;           /* no other till heard lately: say so before spending points */
    bool quit;
};

static void say(struct kiosk *k, enum colour c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct kiosk *k, enum colour c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->msg, sizeof k->msg, fmt, ap);
    va_end(ap);
    k->msg_colour = c;
}

/* "64 points", "+1 stamp": a count with its noun in the plural form the
 * language wants, for the messages that carry more than one count. */
static const char *count_text(char *buf, size_t sz, bool stamps, bool sign, int64_t n)
{
    if (stamps)
        snprintf(buf, sz, sign ? ngettext("%+" PRId64 " stamp", "%+" PRId64 " stamps", i18n_n(n))
                               : ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(n)), n);
    else
        snprintf(buf, sz, sign ? ngettext("%+" PRId64 " point", "%+" PRId64 " points", i18n_n(n))
                               : ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(n)), n);
    return buf;
}

static void set_fields(struct kiosk *k, int n)
{
    k->nfields = n;
    k->focus = 0;
    for (int i = 0; i < NFIELDS; i++)
        field_init(&k->f[i], 100, false, false);
}

static void go(struct kiosk *k, enum mode m);

static const char *lang_of(struct kiosk *k) { return k->o->lang; }

static const char *amount(struct kiosk *k, int64_t minor, char buf[MONEY_BUFSZ])
{
    money_format(minor, store_currency(k->s), lang_of(k), buf, MONEY_BUFSZ);
    return buf;
}

static void reload_customer(struct kiosk *k)
{
    if (k->has_cust && store_customer_get(k->s, k->cust.id, &k->cust) != 0)
        k->has_cust = false;
    if (k->has_cust && k->cust.forgotten)
        k->has_cust = false;
}

static void show_customer(struct kiosk *k, const struct store_customer *c)
{
    k->cust = *c;
    k->has_cust = true;
    k->override_armed = false;
    int64_t expired = 0;
    store_expire(k->s, c->id, &expired);
    store_message_scan(k->s, k->staff.id, c->id, NULL);    /* a birthday message due ... */
    reload_customer(k);
    if (expired)
        say(k, C_WARN, ngettext("%" PRId64 " old point expired.", "%" PRId64 " old points expired.", i18n_n(expired)),
            expired);
    go(k, M_CUSTOMER);
}

/* A code from the camera, the wedge or the keyboard: the one path. */
static void handle_code(struct kiosk *k, const char *text)
{
    unsigned char secret[STORE_SECRET_BYTES];
    char id[CARD_ID_LEN + 1];
    struct store_customer c;
    if (k->mode == M_LOGIN) {
        say(k, C_WARN, "%s", _("Log in first, then scan the card again."));
        return;
    }
    if (store_shop_secret(k->s, secret) != 0)
        return;
    enum card_verdict v = card_parse(text, strlen(text), secret, id);
    if (v != CARD_OK) {
        say(k, C_BAD, "%s", card_verdict_message(v));
        return;
    }
    if (store_customer_by_card(k->s, id, &c) != STORE_CARD_ACTIVE) {
        say(k, C_BAD, "%s", store_error(k->s));
        return;
    }
    k->msg[0] = '\0';
    show_customer(k, &c);
}

struct find_ctx { struct kiosk *k; };

static int collect_found(const struct store_customer *c, void *arg)
{
    struct kiosk *k = arg;
    if (k->nitems < 10)
        k->found[k->nitems++] = *c;
    return 0;
}

/* IDLE: what was typed is a card code, a phone number or part of a name. */
static void lookup(struct kiosk *k, const char *q)
{
    unsigned char secret[STORE_SECRET_BYTES];
    if (!*q)
        return;
    if (store_shop_secret(k->s, secret) == 0 &&
        card_parse(q, strlen(q), secret, NULL) != CARD_NOT_TALLY) {
        handle_code(k, q);
        return;
    }
    k->nitems = 0;
    if (store_customer_find(k->s, q, 10, collect_found, k) < 0) {
        say(k, C_BAD, "%s", store_error(k->s));
        return;
    }
    if (k->nitems == 0) {
        say(k, C_WARN, _("No customer matches \"%s\". F2 enrols a new one."), q);
        return;
    }
    if (k->nitems == 1) {
        k->msg[0] = '\0';
        show_customer(k, &k->found[0]);
        return;
    }
    k->msg[0] = '\0';
    k->mode = M_SEARCH;
    k->sel = 0;
}

static int newest_wall(const struct store_event *ev, void *arg)
{
    *(int64_t *)arg = ev->wall;
    return 1;   /* the first is the newest: stop */
}

/* The NPS question is asked at most once every nps.every_days. */
static bool nps_due(struct kiosk *k)
{
    char v[32];
    store_setting_get(k->s, "nps.every_days", v, sizeof v);
    int64_t days = strtoll(v, NULL, 10), last = 0;
    if (days <= 0)
        return false;
    struct store_event_filter f = { .customer = k->cust.id, .type = "nps", .limit = 1 };
    store_list_events(k->s, &f, newest_wall, &last);
    return !last || store_now(k->s) - last > days * (int64_t)86400000;
}

static void remember(struct kiosk *k, const struct store_result *r)
{
    snprintf(k->last_ref, sizeof k->last_ref, "%s", r->ref);
    snprintf(k->last_cust, sizeof k->last_cust, "%s", k->cust.id);
}

static const struct store_override *take_override(struct kiosk *k)
{
    if (!k->override_armed)
        return NULL;
    k->override_armed = false;
    return &k->override;
}

static void do_earn(struct kiosk *k)
{
    struct store_earn e = { 0 };
    struct store_result r;
    char a[MONEY_BUFSZ], b[MONEY_BUFSZ];
    if (money_parse(k->f[0].text, store_currency_digits(k->s), &e.amount) != 0 || e.amount <= 0) {
        say(k, C_BAD, _("\"%s\" is not an amount: type it like 12.50 or 12,50"), k->f[0].text);
        return;
    }
    int64_t items = 1;
    if (k->f[1].len && decimal_parse(k->f[1].text, 0, 1, 1000, &items) != 0) {
        say(k, C_BAD, "%s", _("Items: a whole number from 1 to 1000"));
        return;
    }
    e.items = (int)items;
    e.override = take_override(k);
    if (store_earn(k->s, k->staff.id, k->cust.id, &e, &r) != 0) {
        say(k, C_BAD, _("%s (F9: manager override)"), store_error(k->s));
        go(k, M_CUSTOMER);
        return;
    }
    remember(k, &r);
    reload_customer(k);
    char pts[64], sts[64], bal[64];
    /* TRANSLATORS: the amount, then "+12 points", "+1 stamp" and the new
     * balance, "64 points". */
    say(k, C_GOOD, _("%s: %s, %s. Balance %s."), amount(k, e.amount, a),
        count_text(pts, sizeof pts, false, true, r.points), count_text(sts, sizeof sts, true, true, r.stamps),
        count_text(bal, sizeof bal, false, false, k->cust.points));
    if (r.credit)
        snprintf(k->msg + strlen(k->msg), sizeof k->msg - strlen(k->msg), _(" Credit +%s."), amount(k, r.credit, b));
    if (r.bonus_points)
        snprintf(k->msg + strlen(k->msg), sizeof k->msg - strlen(k->msg), _(" Bonus +%" PRId64 "!"), r.bonus_points);
    if (r.tier_after[0] && strcmp(r.tier_after, r.tier_before) != 0)
        snprintf(k->msg + strlen(k->msg), sizeof k->msg - strlen(k->msg), _(" New tier: %s!"), r.tier_after);
    go(k, nps_due(k) ? M_NPS : M_CUSTOMER);
}

static int collect_reward(const struct store_reward *r, void *arg)
{
    struct kiosk *k = arg;
    bool ok = r->points ? k->cust.points >= r->points : k->cust.stamps >= r->stamps;
    if (ok && k->cust.points >= 0 && k->nitems < 16 && store_tier_reaches(k->s, k->tier, r->tier))
        k->rewards[k->nitems++] = *r;
    return 0;
}

static int collect_history(const struct store_event *ev, void *arg)
{
    struct kiosk *k = arg;
    static const char *const VOIDABLE[] = { "earn", "redeem", "pay", "refund", "adjust", "bonus", NULL };
    if (store_event_voided(k->s, ev->origin, ev->seq))
        return 0;
    for (const char *const *t = VOIDABLE; *t; t++)
        if (strcmp(*t, ev->type) == 0 && k->nitems < HISTORY) {
            k->history[k->nitems++] = *ev;
            break;
        }
    return 0;
}

static void do_confirmed(struct kiosk *k)
{
    struct store_result r;
    if (k->confirm_back == M_REDEEM) {
        if (store_redeem(k->s, k->staff.id, k->cust.id, k->pending, take_override(k), &r) != 0)
            say(k, C_BAD, "%s", store_error(k->s));
        else {
            remember(k, &r);
            reload_customer(k);
            char pts[64], sts[64];
            /* TRANSLATORS: the new balance, "64 points" and "3 stamps". */
            say(k, C_GOOD, _("Redeemed. Give the reward. Balance %s, %s."),
                count_text(pts, sizeof pts, false, false, k->cust.points),
                count_text(sts, sizeof sts, true, false, k->cust.stamps));
        }
    } else if (k->confirm_back == M_CUSTOMER) {    /* undo */
        if (store_void(k->s, k->staff.id, k->pending, STORE_REASON_TILL_UNDO, &r) != 0)
            say(k, C_BAD, "%s", store_error(k->s));
        else {
            k->last_ref[0] = '\0';
            reload_customer(k);
            say(k, C_GOOD, ngettext("Undone. Balance %" PRId64 " point.", "Undone. Balance %" PRId64 " points.",
                                    i18n_n(k->cust.points)), k->cust.points);
        }
    } else if (k->confirm_back == M_QUIT) {
        k->quit = true;
        return;
    }
    go(k, k->has_cust ? M_CUSTOMER : M_IDLE);
}

static void confirm(struct kiosk *k, enum mode back, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void confirm(struct kiosk *k, enum mode back, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->msg, sizeof k->msg, fmt, ap);
    va_end(ap);
    k->msg_colour = C_WARN;
    k->confirm_back = back;
    k->mode = M_CONFIRM;
}

static void start_void_pick(struct kiosk *k)
{
    k->nitems = 0;
    struct store_event_filter f = { .customer = k->cust.id, .limit = 40 };
    store_list_events(k->s, &f, collect_history, k);
    if (!k->nitems) {
        say(k, C_WARN, "%s", _("Nothing of this customer's can be voided."));
        return;
    }
    k->msg[0] = '\0';
    k->mode = M_PICK_VOID;
    k->sel = 0;
}

/* The program screen: the value typed for the chosen setting, now that a
 * manager has confirmed it. */
static char setting_value[FIELD_MAX];

static void setting_ok(struct kiosk *k)
{
    const char *key = store_settings()[k->sel].key;
    if (store_setting_set(k->s, k->manager.id, key, setting_value) != 0)
        say(k, C_BAD, "%s", store_error(k->s));
    else {
        char v[1024];
        store_setting_get(k->s, key, v, sizeof v);
        say(k, C_GOOD, _("%s is now %s"), key, v);
    }
    int sel = k->sel;
    k->mode = M_PROGRAM;
    k->sel = sel;
}

static void adjust_ok(struct kiosk *k)
{
    struct store_result r;
    const char *num = k->f[0].text;
    bool negative = num[0] == '-';
    int64_t points;
    if (num[0] == '+' || num[0] == '-')
        num++;
    if (decimal_parse(num, 0, 1, 1000000, &points) != 0) {
        say(k, C_BAD, "%s", _("Points: a whole number like +50 or -20."));
        k->focus = 0;
        return;
    }
    if (store_adjust(k->s, k->manager.id, k->cust.id, negative ? -points : points, 0, k->f[1].text, &r) != 0) {
        say(k, C_BAD, "%s", store_error(k->s));
        return;
    }
    reload_customer(k);
    char by[64], bal[64];
    /* TRANSLATORS: "+50 points" or "-20 points", then the new balance, "64 points". */
    say(k, C_GOOD, _("Adjusted by %s. Balance %s."), count_text(by, sizeof by, false, true, r.points),
        count_text(bal, sizeof bal, false, false, k->cust.points));
    go(k, M_CUSTOMER);
}

/* Back to the login form, with a name typed in already. */
static void login_again(struct kiosk *k, const char *name)
{
    go(k, M_LOGIN);
    snprintf(k->f[0].text, sizeof k->f[0].text, "%s", name);
    k->f[0].len = strlen(k->f[0].text);
    k->focus = name[0] ? 1 : 0;
}

static void unlock_ok(struct kiosk *k)
{
    if (store_staff_unlock(k->s, k->manager.id, k->unlock_name) != 0)
        say(k, C_BAD, "%s", store_error(k->s));
    else
        say(k, C_GOOD, _("%s is unlocked at this till: log in."), k->unlock_name);
    memset(&k->manager, 0, sizeof k->manager);
    login_again(k, k->unlock_name);
}

static void manager_ok(struct kiosk *k)
{
    struct store_staff m;
    if (store_staff_login(k->s, k->f[0].text, k->f[1].text, STORE_VIA_KIOSK_MANAGER,
                          k->need != NEED_UNLOCK && k->staff.id[0] ? k->staff.id : NULL, &m) != 0) {
        say(k, C_BAD, "%s", store_error(k->s));
        field_clear(&k->f[1]);
        return;
    }
    if (m.role != ROLE_MANAGER) {
        say(k, C_BAD, "%s", _("Not a manager's name and PIN."));
        field_clear(&k->f[1]);
        return;
    }
    k->manager = m;
    k->msg[0] = '\0';
    if (k->need == NEED_UNLOCK)
        unlock_ok(k);
    else if (k->need == NEED_ADJUST)
        go(k, M_ADJUST);
    else if (k->need == NEED_SETTING)
        setting_ok(k);
    else
        go(k, M_REASON);
}

static void reason_ok(struct kiosk *k)
{
    struct store_result r;
    if (!k->f[0].len) {
        say(k, C_BAD, "%s", _("Say why."));
        return;
    }
    if (k->need == NEED_VOID) {
        if (store_void(k->s, k->manager.id, k->pending, k->f[0].text, &r) != 0)
            say(k, C_BAD, "%s", store_error(k->s));
        else {
            reload_customer(k);
            say(k, C_GOOD, ngettext("Voided. Balance %" PRId64 " point.", "Voided. Balance %" PRId64 " points.",
                                    i18n_n(k->cust.points)), k->cust.points);
        }
    } else {
        snprintf(k->override_reason, sizeof k->override_reason, "%s", k->f[0].text);
        k->override.manager = k->manager.id;
        k->override.reason = k->override_reason;
        k->override_armed = true;
        say(k, C_WARN, "%s", _("Override ready for the next transaction of this customer."));
    }
    go(k, M_CUSTOMER);
}


/* The open customer's card: the shop's name, logo and accent colour, and
 * the customer's own name. */
static void card_face_for(struct kiosk *k, struct card_face *face, const char *human, const char *qr)
{
    memset(face, 0, sizeof *face);
    store_setting_get(k->s, "shop.accent", k->card_accent, sizeof k->card_accent);
    face->shop = store_shop_name(k->s);
    face->accent = k->card_accent;
    face->holder = k->cust.forgotten ? NULL : k->cust.name;
    face->logo_png = k->o->card_logo;
    face->logo_len = k->o->card_logo_len;
    face->human = human;
    face->qr = qr;
}

static void enrol_ok(struct kiosk *k)
{
    unsigned char secret[STORE_SECRET_BYTES];
    char card[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX], qr[CARD_QR_MAX];
    struct store_customer c;
    int yes = answer_yes(k->f[4].text) == 1, no = answer_yes(k->f[4].text) == 0;
    if (!k->f[0].len) {
        say(k, C_BAD, "%s", _("The name is needed."));
        k->focus = 0;
        return;
    }
    if (!yes && !no) {
        say(k, C_BAD, "%s", _("Ask the customer: may we send offers? Type y or n."));
        k->focus = 4;
        return;
    }
    if (store_shop_secret(k->s, secret) != 0)
        return;
    struct store_customer dummy;
    do
        card_make(secret, card);
    while (store_customer_by_card(k->s, card, &dummy) != STORE_CARD_UNKNOWN);
    struct store_profile p = { .name = k->f[0].text, .phone = k->f[1].text, .email = k->f[2].text,
                               .birthday = k->f[3].text, .consent = yes ? 1 : 0, .card = card,
                               /* The question was "offers by email/SMS?". */
                               .consent_email = yes && k->f[2].len ? "yes" : NULL,
                               .consent_sms = yes && k->f[1].len ? "yes" : NULL };
    if (store_customer_add(k->s, k->staff.id, &p, &c) != 0) {
        say(k, C_BAD, "%s", store_error(k->s));
        return;
    }
    k->cust = c;
    k->has_cust = true;
    card_encode(secret, card, human, qr);
    free(k->card_text);
    k->card_text = NULL;
    struct card_face face;
    card_face_for(k, &face, human, qr);
    char err[256];
    if (card_render_term(&face, false, &k->card_text, err, sizeof err) != 0)
        say(k, C_WARN, "%s", err);
    else
        say(k, C_GOOD, _("Enrolled %s. Card %s. F2 saves a printable card."), c.name, human);
    k->card_png[0] = '\0';
    k->mode = M_CARD;
}

static void save_card(struct kiosk *k)
{
    unsigned char secret[STORE_SECRET_BYTES];
    char human[CARD_HUMAN_MAX], qr[CARD_QR_MAX], err[256];
    if (store_shop_secret(k->s, secret) != 0 || card_encode(secret, k->cust.card, human, qr) != 0)
        return;
    struct card_face face;
    card_face_for(k, &face, human, qr);
    unsigned char *png = NULL;
    size_t len = 0;
    if (card_render_png(&face, &png, &len, err, sizeof err) != 0) {
        say(k, C_BAD, "%s", err);
        return;
    }
    const char *dir = k->o->cards_dir;
    mkdir(dir, 0700);
    snprintf(k->card_png, sizeof k->card_png, "%s/card-%s.png", dir, human);
    char why[sizeof k->card_png + 256];
    if (card_write_file(k->card_png, png, len, CARD_FILE_MODE, why, sizeof why) != 0)
        say(k, C_BAD, "%s", why);
    else
        say(k, C_GOOD, _("Saved %s for printing."), k->card_png);
    free(png);
}

/* --- keys ------------------------------------------------------------- */

static bool is_enter(wint_t ch, bool key) { return (!key && (ch == '\n' || ch == '\r')) || (key && ch == KEY_ENTER); }
static bool is_esc(wint_t ch, bool key) { return !key && ch == 27; }
static bool is_fkey(wint_t ch, bool key, int n) { return key && ch == (wint_t)KEY_F(n); }

/* Tab, Down and Enter move on; Up and Shift-Tab move back. Returns true
 * when Enter was pressed on the last field. */
static bool form_key(struct kiosk *k, wint_t ch, bool key)
{
    if ((!key && ch == '\t') || (key && ch == KEY_DOWN)) {
        k->focus = (k->focus + 1) % k->nfields;
        return false;
    }
    if (key && (ch == KEY_UP || ch == KEY_BTAB)) {
        k->focus = (k->focus + k->nfields - 1) % k->nfields;
        return false;
    }
    if (is_enter(ch, key)) {
        if (k->focus + 1 < k->nfields) {
            k->focus++;
            return false;
        }
        return true;
    }
    field_key(&k->f[k->focus], ch, key);
    return false;
}

static void list_key(struct kiosk *k, wint_t ch, bool key)
{
    if (key && ch == KEY_UP && k->sel > 0)
        k->sel--;
    if (key && ch == KEY_DOWN && k->sel + 1 < k->nitems)
        k->sel++;
    if (!key && ch >= '1' && ch <= '9' && ch - '1' < (wint_t)k->nitems)
        k->sel = (int)(ch - '1');
}

static void customer_key(struct kiosk *k, wint_t ch, bool key)
{
    if (is_esc(ch, key)) {
        k->has_cust = false;
        k->msg[0] = '\0';
        go(k, M_IDLE);
    } else if (is_fkey(ch, key, 2) || (!key && ch >= '0' && ch <= '9')) {
        go(k, M_EARN);
        if (!key)
            field_key(&k->f[0], ch, false);     /* typing an amount starts an earn */
    } else if (is_fkey(ch, key, 3)) {
        k->nitems = 0;
        struct store_tier_status t;
        store_customer_tier(k->s, k->cust.id, &t);     /* "" (no perks) if it cannot be read */
        snprintf(k->tier, sizeof k->tier, "%s", t.tier);
        store_reward_list(k->s, false, collect_reward, k);
        if (!k->nitems)
            say(k, C_WARN, "%s", k->cust.points < 0 ? _("Negative balance: no redemptions until it is positive.")
                                                    : _("Nothing affordable yet."));
        else {
            k->msg[0] = '\0';
            k->mode = M_REDEEM;
            k->sel = 0;
        }
    } else if (is_fkey(ch, key, 4)) {
        k->msg[0] = '\0';
        go(k, M_COUPON);
    } else if (is_fkey(ch, key, 5)) {
        if (!k->last_ref[0] || strcmp(k->last_cust, k->cust.id) != 0)
            say(k, C_WARN, "%s", _("Nothing of yours to undo for this customer."));
        else {
            snprintf(k->pending, sizeof k->pending, "%s", k->last_ref);
            confirm(k, M_CUSTOMER, _("Undo your last transaction (%s)? Enter: yes, Esc: no"), k->last_ref);
        }
    } else if (is_fkey(ch, key, 6)) {
        start_void_pick(k);
    } else if (is_fkey(ch, key, 7)) {
        k->msg[0] = '\0';
        go(k, M_NPS);
    } else if (is_fkey(ch, key, 8)) {
        k->need = NEED_ADJUST;
        say(k, C_WARN, "%s", _("Adjusting points needs a manager's name and PIN."));
        go(k, M_MANAGER);
    } else if (is_fkey(ch, key, 1)) {
        char m[256];
        int rc = contact_passed_on(k->s, k->staff.id, k->cust.id, m, sizeof m);
        say(k, rc == 0 ? C_GOOD : C_WARN, "%s", m);
    } else if (!key && ch == '\t') {
        k->msg[0] = '\0';
        go(k, M_CONTACT);
    } else if (is_fkey(ch, key, 9)) {
        k->need = NEED_OVERRIDE;
        say(k, C_WARN, "%s", _("A manager passes a limit: manager's name and PIN."));
        go(k, M_MANAGER);
    }
}


/* A keyboard-wedge scanner on the shared keyboard types a whole code in a
 * few milliseconds and presses Enter. Keys that arrive that fast and end
 * in Enter are a scan, whatever the screen is doing. Returns true if the
 * Enter key completed a scan (and was consumed). */
static bool wedge_key(struct kiosk *k, wint_t ch, bool fkey)
{
    int64_t t = clock_ms(CLOCK_MONOTONIC);
    bool fast = t - k->burst_last <= WEDGE_GAP_MS;
    k->burst_last = t;
    if (is_enter(ch, fkey)) {
        bool scan = fast && k->burst_len >= CARD_CODE_LEN;
        char code[sizeof k->burst];
        memcpy(code, k->burst, k->burst_len);
        code[k->burst_len] = '\0';
        k->burst_len = 0;
        unsigned char secret[STORE_SECRET_BYTES];
        if (!scan || store_shop_secret(k->s, secret) != 0 ||
            card_parse(code, strlen(code), secret, NULL) == CARD_NOT_TALLY)
            return false;
        /* Take the scanned characters back out of whatever field got them. */
        if (k->nfields && k->f[k->focus].len >= strlen(code) &&
            strcmp(k->f[k->focus].text + k->f[k->focus].len - strlen(code), code) == 0) {
            k->f[k->focus].len -= strlen(code);
            k->f[k->focus].text[k->f[k->focus].len] = '\0';
        }
        if (k->mode != M_LOGIN && k->mode != M_ENROL && k->mode != M_MANAGER)
            handle_code(k, code);
        else
            say(k, C_WARN, "%s", _("Finish or leave this form (Esc), then scan the card."));
        return true;
    }
    if (fkey || ch < 0x20 || ch > 0x7e) {
        k->burst_len = 0;
        return false;
    }
    if (!fast)
        k->burst_len = 0;
    if (k->burst_len + 1 < sizeof k->burst)
        k->burst[k->burst_len++] = (char)ch;
    return false;
}

/* --- drawing -------------------------------------------------------- */

static void draw_form(struct kiosk *k, int y, const char *const *labels)
{
    int w = 0;
    for (int i = 0; i < k->nfields; i++)
        if (text_columns(_(labels[i])) > w)
            w = text_columns(_(labels[i]));
    w = w < COLS / 2 ? w : COLS / 2;
    for (int i = 0; i < k->nfields; i++) {
        screen_put(y + 2 * i, 4, w, C_NORMAL, _(labels[i]));
        field_draw(&k->f[i], y + 2 * i, 6 + w, COLS - 10 - w, i == k->focus);
    }
}

static void draw_status(struct kiosk *k)
{
    char line[512], when[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%H:%M", &tm);
    screen_put(0, 0, COLS, C_TITLE, "");
    mvhline(0, 0, ' ', COLS);
    attron(A_REVERSE);
    mvhline(0, 0, ' ', COLS);
    attroff(A_REVERSE);
    screen_put(0, 1, COLS - 30, C_TITLE, store_shop_name(k->s));
    snprintf(line, sizeof line, "%.200s  %s", k->mode == M_LOGIN ? "" : k->staff.name, when);
    screen_put(0, COLS - text_columns(line) - 1, text_columns(line), C_TITLE, line);
    char cam[128];
    if (k->sc)
        scanner_status(k->sc, cam, sizeof cam);   /* "camera on", "camera missing, retrying" */
    else
        snprintf(cam, sizeof cam, "%s", _("no camera: type or wedge-scan"));
    char tills[160];
    bool alone = true;
    if (k->o->till_state)
        alone = k->o->till_state(tills, sizeof tills, k->o->till_state_arg) != 0;
    else
        snprintf(tills, sizeof tills, "%s", _("this till only"));
    k->offline = k->o->till_state && alone;
    snprintf(line, sizeof line, "%s | %s", tills, cam);
    screen_put(LINES - 4, 1, COLS - 2, alone ? C_WARN : C_DIM, line);
}

/* What starts each mode: its form's fields (set_fields: n plain fields). */
static void one_field(struct kiosk *k) { set_fields(k, 1); }

static void login_enter(struct kiosk *k)
{
    set_fields(k, 2);
    field_init(&k->f[0], 60, false, false);
    field_init(&k->f[1], 8, true, true);
}

static void earn_enter(struct kiosk *k)
{
    set_fields(k, 2);
    field_init(&k->f[0], 12, false, true);
    field_init(&k->f[1], 4, false, true);
}

static void nps_enter(struct kiosk *k)
{
    set_fields(k, 1);
    field_init(&k->f[0], 2, false, true);
}

static void adjust_enter(struct kiosk *k)
{
    set_fields(k, 2);
    field_init(&k->f[0], 10, false, false);
}

static void contact_enter(struct kiosk *k)   /* language, e-mail y/n, SMS y/n (contact.c) */
{
    set_fields(k, 3);
    contact_fill(k->s, k->cust.id, k->f);
}

static void enrol_enter(struct kiosk *k)
{
    set_fields(k, 5);
    field_init(&k->f[1], 20, false, false);
    field_init(&k->f[3], 10, false, false);
    field_init(&k->f[4], 3, false, false);
}


static void login_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_fkey(ch, fkey, 9)) {
        /* A name locked (or waiting) after wrong PINs: a manager here ends it. */
        snprintf(k->unlock_name, sizeof k->unlock_name, "%s", k->f[0].text);
        if (!k->unlock_name[0]) {
            say(k, C_WARN, "%s", _("Type the name to unlock, then F9."));
            return;
        }
        k->need = NEED_UNLOCK;
        say(k, C_WARN, _("Unlock %s: manager's name and PIN."), k->unlock_name);
        go(k, M_MANAGER);
    } else if (form_key(k, ch, fkey)) {
        if (store_staff_login(k->s, k->f[0].text, k->f[1].text, STORE_VIA_KIOSK, NULL, &k->staff) != 0) {
            memset(&k->staff, 0, sizeof k->staff);
            say(k, C_BAD, "%s", store_error(k->s));
            field_clear(&k->f[1]);
            k->focus = 1;
        } else {
            say(k, C_GOOD, _("Hello, %s."), k->staff.name);
            go(k, M_IDLE);
        }
    }
}

static void idle_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_fkey(ch, fkey, 2)) {
        k->msg[0] = '\0';
        go(k, M_ENROL);
    } else if (is_fkey(ch, fkey, 11)) {
        k->msg[0] = '\0';
        k->nitems = 0;
        while (store_settings()[k->nitems].key)
            k->nitems++;
        k->mode = M_PROGRAM;
        k->sel = 0;
    } else if (is_enter(ch, fkey)) {
        char q[FIELD_MAX];
        snprintf(q, sizeof q, "%s", k->f[0].text);
        field_clear(&k->f[0]);
        lookup(k, q);
    } else if (!is_esc(ch, fkey)) {
        field_key(&k->f[0], ch, fkey);
    } else {
        field_clear(&k->f[0]);
        k->msg[0] = '\0';
    }
}

static void search_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_IDLE);
    else if (is_enter(ch, fkey))
        show_customer(k, &k->found[k->sel]);
    else
        list_key(k, ch, fkey);
}

static void contact_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        go(k, M_CUSTOMER);
    } else if (form_key(k, ch, fkey)) {
        char m[256];
        int rc = contact_save(k->s, k->staff.id, k->cust.id, k->f, m, sizeof m);
        say(k, rc == 0 ? C_GOOD : C_BAD, "%s", m);
        if (rc == 0)
            go(k, M_CUSTOMER);
    }
}

static void earn_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_CUSTOMER);
    else if (form_key(k, ch, fkey))
        do_earn(k);
}

static void redeem_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_CUSTOMER);
    else if (is_enter(ch, fkey)) {
        const struct store_reward *r = &k->rewards[k->sel];
        snprintf(k->pending, sizeof k->pending, "%s", r->id);
        if (r->points && k->offline)
            confirm(k, M_REDEEM, ngettext("OFFLINE till. Give %s for %" PRId64 " point? Enter: yes, Esc: no",
                                          "OFFLINE till. Give %s for %" PRId64 " points? Enter: yes, Esc: no",
                                          i18n_n(r->points)), r->name, r->points);
        else if (r->points)
            confirm(k, M_REDEEM, ngettext("Give %s for %" PRId64 " point? Enter: yes, Esc: no",
                                          "Give %s for %" PRId64 " points? Enter: yes, Esc: no",
                                          i18n_n(r->points)), r->name, r->points);
        else
            confirm(k, M_REDEEM, ngettext("Give %s for %" PRId64 " stamp? Enter: yes, Esc: no",
                                          "Give %s for %" PRId64 " stamps? Enter: yes, Esc: no",
                                          i18n_n(r->stamps)), r->name, r->stamps);
    } else
        list_key(k, ch, fkey);
}

static void confirm_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_enter(ch, fkey) || (!fkey && (ch == 'y' || ch == 'Y')))
        do_confirmed(k);
    else if (is_esc(ch, fkey) || (!fkey && (ch == 'n' || ch == 'N'))) {
        k->msg[0] = '\0';
        go(k, k->confirm_back == M_QUIT ? (k->has_cust ? M_CUSTOMER : k->staff.id[0] ? M_IDLE : M_LOGIN)
                                         : M_CUSTOMER);
    }
}

static void coupon_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_CUSTOMER);
    else if (is_enter(ch, fkey)) {
        struct store_coupon cp;
        struct store_result r;
        char a[MONEY_BUFSZ];
        if (store_coupon_get(k->s, k->f[0].text, &cp) != 0 ||
            store_coupon_redeem(k->s, k->staff.id, k->f[0].text, k->cust.id, &r) != 0) {
            say(k, C_BAD, "%s", store_error(k->s));
            field_clear(&k->f[0]);
            return;
        }
        remember(k, &r);
        if (cp.reward[0]) {
            struct store_reward rw;
            say(k, C_GOOD, _("Coupon used: give %s."), store_reward_get(k->s, cp.reward, &rw) == 0 ? rw.name : cp.reward);
        } else if (cp.percent)
            say(k, C_GOOD, _("Coupon used: %" PRId64 "%% off this purchase."), cp.percent);
        else
            say(k, C_GOOD, _("Coupon used: %s off this purchase."), amount(k, cp.discount, a));
        go(k, M_CUSTOMER);
    } else
        field_key(&k->f[0], ch, fkey);
}

static void nps_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_CUSTOMER);
    else if (is_enter(ch, fkey)) {
        int64_t score;
        if (decimal_parse(k->f[0].text, 0, 0, 10, &score) != 0) {
            say(k, C_BAD, "%s", _("A score from 0 to 10."));
            field_clear(&k->f[0]);
        } else if (store_nps(k->s, k->staff.id, k->cust.id, (int)score) != 0) {
            say(k, C_BAD, "%s", store_error(k->s));
        } else {
            say(k, C_GOOD, _("Thank you: score %d recorded."), (int)score);
            go(k, M_CUSTOMER);
        }
    } else
        field_key(&k->f[0], ch, fkey);
}

static void pick_void_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey))
        go(k, M_CUSTOMER);
    else if (is_enter(ch, fkey)) {
        const struct store_event *ev = &k->history[k->sel];
        snprintf(k->pending, sizeof k->pending, "%s:%" PRId64, ev->origin, ev->seq);
        k->need = NEED_VOID;
        say(k, C_WARN, _("Void %s: manager's name and PIN."), k->pending);
        go(k, M_MANAGER);
    } else
        list_key(k, ch, fkey);
}

static void manager_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey) && k->need == NEED_UNLOCK) {
        k->msg[0] = '\0';
        login_again(k, k->unlock_name);
    } else if (is_esc(ch, fkey)) {
        int sel = k->sel;
        k->msg[0] = '\0';
        go(k, k->need == NEED_SETTING ? M_PROGRAM : M_CUSTOMER);
        k->sel = sel;
    } else if (form_key(k, ch, fkey))
        manager_ok(k);
}

static void adjust_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        k->msg[0] = '\0';
        go(k, M_CUSTOMER);
    } else if (form_key(k, ch, fkey))
        adjust_ok(k);
}

static void program_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        k->msg[0] = '\0';
        go(k, M_IDLE);
    } else if (is_enter(ch, fkey)) {
        int sel = k->sel;
        char v[1024];
        go(k, M_SETTING);
        k->sel = sel;
        store_setting_get(k->s, store_settings()[sel].key, v, sizeof v);
        snprintf(k->f[0].text, sizeof k->f[0].text, "%.255s", v);
        k->f[0].len = strlen(k->f[0].text);
        k->f[0].max_chars = 200;
    } else {
        if (fkey && ch == KEY_NPAGE)
            k->sel = k->sel + 10 < k->nitems ? k->sel + 10 : k->nitems - 1;
        else if (fkey && ch == KEY_PPAGE)
            k->sel = k->sel > 10 ? k->sel - 10 : 0;
        else if (fkey)
            list_key(k, ch, fkey);
    }
}

static void setting_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        int sel = k->sel;
        k->mode = M_PROGRAM;
        k->sel = sel;
    } else if (is_enter(ch, fkey)) {
        snprintf(setting_value, sizeof setting_value, "%s", k->f[0].text);
        k->need = NEED_SETTING;
        int sel = k->sel;
        say(k, C_WARN, "%s", _("Changing the program needs a manager's name and PIN."));
        go(k, M_MANAGER);
        k->sel = sel;
    } else
        field_key(&k->f[0], ch, fkey);
}

static void reason_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        k->msg[0] = '\0';
        go(k, M_CUSTOMER);
    } else if (is_enter(ch, fkey))
        reason_ok(k);
    else
        field_key(&k->f[0], ch, fkey);
}

static void enrol_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_esc(ch, fkey)) {
        k->msg[0] = '\0';
        go(k, M_IDLE);
    } else if (form_key(k, ch, fkey))
        enrol_ok(k);
}

static void card_key(struct kiosk *k, wint_t ch, bool fkey)
{
    if (is_fkey(ch, fkey, 2))
        save_card(k);
    else if (is_esc(ch, fkey) || is_enter(ch, fkey)) {
        free(k->card_text);
        k->card_text = NULL;
        go(k, M_CUSTOMER);
    }
}

/* bar_set(bar, key, label, ..., NULL): the help bar's pairs. */
static void bar_set(const char **bar, ...)
{
    va_list ap;
    va_start(ap, bar);
    int n = 0;
    for (const char *s; n < BAR_MAX - 1 && (s = va_arg(ap, const char *)); )
        bar[n++] = s;
    bar[n] = NULL;
    va_end(ap);
}

static void login_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const LOGIN[] = { N_("Staff name"), N_("PIN") };
    put_centre(y + 2, C_ACCENT, _("Log in to start"));
    draw_form(k, y + 5, LOGIN);
    bar_set(bar, "Tab", _("next"), "Enter", _("log in"), "F9", _("unlock"), "F10", _("close"), NULL);
}

static void idle_draw(struct kiosk *k, int y, const char **bar)
{
    put_centre(y + 3, C_ACCENT, _("Scan a card"));
    put_centre(y + 5, C_NORMAL, _("or type its code, a phone number or a name, then Enter"));
    field_draw(&k->f[0], y + 7, 10, COLS - 20, true);
    bar_set(bar, "Enter", _("find"), "F2", _("enrol"), "F11", _("program"), "F12", _("lock"), "F10", _("close"), NULL);
}

static void search_draw(struct kiosk *k, int y, const char **bar)
{
    screen_put(y, 2, COLS - 4, C_ACCENT, _("Which customer?"));
    for (int i = 0; i < k->nitems && y + 2 + i < LINES - 4; i++) {
        int w = text_columns(k->found[i].name), pad = 32 - w;
        putf(y + 2 + i, 2, COLS - 4, i == k->sel ? C_TITLE : C_NORMAL, "%d  %s%*s %s", i + 1,
             k->found[i].name, pad > 0 ? pad : 0, "", k->found[i].phone);
    }
    bar_set(bar, "↑↓", _("choose"), "Enter", _("open"), "Esc", _("back"), NULL);
}

static void card_draw(struct kiosk *k, int y, const char **bar)
{
    (void)y;
    int row = 2;
    for (char *line = k->card_text; line && *line && row < LINES - 4; row++) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), line);
        screen_put(row, 4, COLS - 6, C_QR, buf);
        line += n + (nl ? 1 : 0);
    }
    bar_set(bar, "F2", _("save PNG"), "Enter", _("done"), NULL);
}

/* The program's settings, the chosen one's help over two lines under the
 * list, and (while changing it) its field. */
static void program_draw(struct kiosk *k, int y, const char **bar)
{
    const struct store_setting_info *info = store_settings();
    screen_put(y, 2, COLS - 4, C_ACCENT, _("The loyalty program"));
    int rows = LINES - 11, first = k->sel >= rows ? k->sel - rows + 1 : 0;
    for (int i = first; i < k->nitems && i - first < rows; i++) {
        char v[1024];
        store_setting_get(k->s, info[i].key, v, sizeof v);
        screen_put(y + 2 + i - first, 2, 27, i == k->sel ? C_TITLE : C_NORMAL, info[i].key);
        put_clipped(y + 2 + i - first, 29, COLS - 31, i == k->sel ? C_TITLE : C_NORMAL, v);
    }
    put_wrapped(LINES - 7, 2, COLS - 4, 2, C_DIM, _(info[k->sel].help));
    if (k->mode == M_SETTING) {
        screen_put(LINES - 5, 2, 26, C_ACCENT, info[k->sel].key);
        field_draw(&k->f[0], LINES - 5, 30, COLS - 34, true);
        bar_set(bar, "Enter", _("save"), "Esc", _("cancel"), NULL);
    } else {
        bar_set(bar, "↑↓", _("choose"), "Enter", C_("key", "change"), "Esc", _("back"), NULL);
    }
}

static void enrol_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const ENROL[] = { N_("Name"), N_("Phone"), N_("Email"), N_("Birthday (YYYY-MM-DD or MM-DD)"),
                                         N_("Offers by email/SMS? (y/n)") };
    screen_put(y, 2, COLS - 4, C_ACCENT, _("New customer"));
    draw_form(k, y + 2, ENROL);
    bar_set(bar, "Tab", _("next"), "Enter", _("save"), "Esc", _("cancel"), NULL);
}

/* The customer's panel, and the row under it where a mode's form goes
 * (a form takes the place of what the panel had below it). */
static int panel_part(struct kiosk *k, int y)
{
    int row = k->has_cust ? panel_draw(k->s, &k->cust, lang_of(k), y) : y;
    row = row < LINES - 9 ? row : LINES - 9;
    if (k->mode != M_CUSTOMER && k->mode != M_CONFIRM)
        for (int r = row; r < LINES - 4; r++) {
            move(r, 0);
            clrtoeol();
        }
    return row;
}

static void customer_draw(struct kiosk *k, int y, const char **bar)
{
    panel_part(k, y);
    bar_set(bar, "F2", _("earn"), "F3", _("redeem"), "F4", _("coupon"), "F5", _("undo"), "F6", _("void"),
            "F7", _("NPS"), "F8", _("adjust"), "F9", C_("key", "manager"), "F1", _("told"),
            "Tab", _("preferences"), "Esc", _("next"), NULL);
}

static void confirm_draw(struct kiosk *k, int y, const char **bar)
{
    panel_part(k, y);           /* the question itself is the message */
    bar_set(bar, "Enter", _("yes"), "Esc", _("no"), NULL);
}

static void earn_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const EARN[] = { N_("Amount"), N_("Items (optional)") };
    int row = panel_part(k, y);
    screen_put(row, 2, COLS - 4, C_ACCENT, _("Purchase"));
    draw_form(k, row + 1, EARN);
    bar_set(bar, "Enter", _("record"), "Esc", _("cancel"), NULL);
}

static void coupon_draw(struct kiosk *k, int y, const char **bar)
{
    int row = panel_part(k, y);
    screen_put(row, 2, 24, C_ACCENT, _("Coupon code"));
    field_draw(&k->f[0], row, 30, 20, true);
    bar_set(bar, "Enter", _("use"), "Esc", _("cancel"), NULL);
}

static void nps_draw(struct kiosk *k, int y, const char **bar)
{
    int row = panel_part(k, y);
    screen_put(row, 2, COLS - 4, C_ACCENT, _("Ask: how likely are you to recommend us to a friend, 0 to 10?"));
    field_draw(&k->f[0], row + 1, 30, 4, true);
    bar_set(bar, "Enter", _("record"), "Esc", _("skip"), NULL);
}

/* REDEEM and PICK_VOID: a numbered list in place of the panel. */
static void pick_draw(struct kiosk *k, int y, const char **bar)
{
    screen_put(y, 2, COLS - 4, C_ACCENT, k->mode == M_REDEEM ? _("Which reward?") : _("Void which transaction?"));
    for (int i = 0; i < k->nitems && y + 2 + i < LINES - 4; i++) {
        enum colour c = i == k->sel ? C_TITLE : C_NORMAL;
        if (k->mode == M_REDEEM) {
            const struct store_reward *r = &k->rewards[i];
            if (r->points)
                putf(y + 2 + i, 2, COLS - 4, c, ngettext("%d  %s (%" PRId64 " point)", "%d  %s (%" PRId64 " points)",
                                                         i18n_n(r->points)), i + 1, r->name, r->points);
            else
                putf(y + 2 + i, 2, COLS - 4, c, ngettext("%d  %s (%" PRId64 " stamp)", "%d  %s (%" PRId64 " stamps)",
                                                         i18n_n(r->stamps)), i + 1, r->name, r->stamps);
            continue;
        }
        const struct store_event *ev = &k->history[i];
        char when[32], a[MONEY_BUFSZ] = "", delta[64];
        time_t tt = (time_t)(ev->wall / 1000);
        struct tm tm;
        localtime_r(&tt, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        if (ev->spend)
            amount(k, ev->spend, a);
        putf(y + 2 + i, 2, COLS - 4, c, "%d  %s  %s  %s %s", i + 1, when, store_event_type_text(ev->type),
             store_effect_text(ev, delta, sizeof delta), a);
    }
    bar_set(bar, "↑↓", _("choose"), "Enter", _("select"), "Esc", _("back"), NULL);
}

static void adjust_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const ADJUST[] = { N_("Points (+50 or -20)"), N_("Reason") };
    draw_form(k, panel_part(k, y), ADJUST);
    bar_set(bar, "Enter", _("confirm"), "Esc", _("cancel"), NULL);
}

static void contact_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const CONTACT[] = { N_("Language of messages (en, pl, ro, hu)"),
                                           N_("Offers by e-mail? (y/n)"), N_("Offers by SMS? (y/n)") };
    draw_form(k, panel_part(k, y), CONTACT);
    bar_set(bar, "Enter", _("save"), "Esc", _("cancel"), NULL);
}

static void manager_draw(struct kiosk *k, int y, const char **bar)
{
    static const char *const MANAGER[] = { N_("Manager name"), N_("Manager PIN") };
    draw_form(k, panel_part(k, y), MANAGER);
    bar_set(bar, "Enter", _("confirm"), "Esc", _("cancel"), NULL);
}

static void reason_draw(struct kiosk *k, int y, const char **bar)
{
    int row = panel_part(k, y);
    screen_put(row, 2, 24, C_ACCENT, _("Reason"));
    field_draw(&k->f[0], row, 30, COLS - 34, true);
    bar_set(bar, "Enter", _("confirm"), "Esc", _("cancel"), NULL);
}


/* --- the modes ---------------------------------------------------------- */

/* Each mode of the kiosk in one entry: what starts it (its form's fields),
 * what its keys do, and what it draws with its help bar. key() handles the
 * keys that work everywhere first; draw() the status lines and messages. */
static const struct mode_entry {
    void (*enter)(struct kiosk *k);
    void (*key)(struct kiosk *k, wint_t ch, bool fkey);
    void (*draw)(struct kiosk *k, int y, const char **bar);
} MODES[] = {
    [M_LOGIN] = { login_enter, login_key, login_draw },
    [M_IDLE] = { one_field, idle_key, idle_draw },
    [M_SEARCH] = { NULL, search_key, search_draw },
    [M_CUSTOMER] = { NULL, customer_key, customer_draw },
    [M_EARN] = { earn_enter, earn_key, earn_draw },
    [M_REDEEM] = { NULL, redeem_key, pick_draw },
    [M_CONFIRM] = { NULL, confirm_key, confirm_draw },
    [M_COUPON] = { one_field, coupon_key, coupon_draw },
    [M_NPS] = { nps_enter, nps_key, nps_draw },
    [M_PICK_VOID] = { NULL, pick_void_key, pick_draw },
    [M_MANAGER] = { login_enter, manager_key, manager_draw },
    [M_REASON] = { one_field, reason_key, reason_draw },
    [M_ENROL] = { enrol_enter, enrol_key, enrol_draw },
    [M_CARD] = { NULL, card_key, card_draw },
    [M_ADJUST] = { adjust_enter, adjust_key, adjust_draw },
    [M_PROGRAM] = { NULL, program_key, program_draw },
    [M_SETTING] = { one_field, setting_key, program_draw },
    [M_CONTACT] = { contact_enter, contact_key, contact_draw },
    [M_QUIT] = { NULL, NULL, NULL },    /* only ever the target of a confirmation */
};
_Static_assert(sizeof MODES / sizeof MODES[0] == M_QUIT + 1, "one entry per mode");

static void go(struct kiosk *k, enum mode m)
{
    k->mode = m;
    k->sel = 0;
    k->nfields = 0;
    if (MODES[m].enter)
        MODES[m].enter(k);
}

static void key(struct kiosk *k, wint_t ch, bool fkey)
{
    /* Global keys. */
    if (is_fkey(ch, fkey, 12) && k->mode != M_LOGIN) {
        k->has_cust = false;
        k->msg[0] = '\0';
        say(k, C_NORMAL, "%s", _("Locked."));
        go(k, M_LOGIN);
        return;
    }
    if (is_fkey(ch, fkey, 10) && k->mode != M_CONFIRM) {
        confirm(k, M_QUIT, "%s", _("Close the kiosk? Enter: yes, Esc: no"));
        return;
    }
    if (MODES[k->mode].key)
        MODES[k->mode].key(k, ch, fkey);
}

static void draw(struct kiosk *k)
{
    erase();
    if (screen_too_small()) {
        char m[128];
        snprintf(m, sizeof m, _("Make the window at least %dx%d (now %dx%d)."), MIN_COLS, MIN_ROWS, COLS, LINES);
        put_wrapped(LINES / 2 - 1, 0, COLS, 3, C_WARN, m);
        put_wrapped(LINES / 2 + 2, 0, COLS, 3, C_DIM, _("Keys still work: Esc backs out, F12 locks."));
        refresh();
        return;
    }
    draw_status(k);
    const char *bar[BAR_MAX] = { NULL };
    if (MODES[k->mode].draw)
        MODES[k->mode].draw(k, 2, bar);
    if (k->msg[0])
        put_wrapped(LINES - 2 - help_bar_rows(bar), 1, COLS - 2, 2, k->msg_colour, k->msg);
    help_bar(bar);
    refresh();
}

/* --- the loop --------------------------------------------------------- */

static void loop_draw(void *arg)
{
    struct kiosk *k = arg;
    draw(k);
    /* Drawing read the database; let go of that snapshot before waiting,
     * or whatever other processes commit meanwhile stays invisible to the
     * next key. */
    store_release(k->s);
}

static void loop_key(void *arg, wint_t ch, bool fkey)
{
    struct kiosk *k = arg;
    if (!wedge_key(k, ch, fkey))
        key(k, ch, fkey);
}

static void loop_scans(void *arg)
{
    struct kiosk *k = arg;
    struct scan_event ev;
    while (scanner_next(k->sc, &ev) == 1) {
        if (ev.kind == SCAN_CODE)
            handle_code(k, ev.text);
        else if (ev.kind == SCAN_ERROR)
            say(k, C_BAD, "%s", ev.text);
    }
}

/* Another till or process wrote: show the customer as they are now. */
static void loop_tick(void *arg)
{
    struct kiosk *k = arg;
    store_release(k->s);
    int64_t v = store_data_version(k->s);
    if (v != k->data_version) {
        k->data_version = v;
        reload_customer(k);
    }
}

/* Nobody at the counter for a second: the messages of the last purchases
 * (store_message_drain), written here rather than in the sale. A failure
 * leaves the notes for the next try, here or in another process. */
static void loop_idle(void *arg)
{
    struct kiosk *k = arg;
    if (store_message_drain(k->s, 0, NULL) != 0)
        say(k, C_WARN, _("the messages of the last purchases wait: %s"), store_error(k->s));
    store_release(k->s);
}

int kiosk_run(store *s, const struct kiosk_options *o)
{
    struct kiosk k = { .s = s, .o = o };
    char err[256];
    k.history = calloc(HISTORY, sizeof *k.history);
    if (!k.history) {
        fprintf(stderr, "tally: %s\n", _("out of memory"));
        return 1;
    }
    if (o->nimages || o->camera || o->wedge) {
        struct scanner_sources src = { .images = o->images, .nimages = o->nimages,
                                       .camera = o->camera, .wedge = o->wedge };
        k.sc = scanner_open(&src, NULL, err, sizeof err);
        if (!k.sc) {
            fprintf(stderr, "tally: %s\n", err);
            free(k.history);
            return 1;
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "tally: %s\n", _("the kiosk needs a terminal"));
        scanner_close(k.sc);
        free(k.history);
        return 1;
    }
    char accent[32];
    store_setting_get(s, "shop.accent", accent, sizeof accent);
    if (screen_open(accent) != 0) {
        fprintf(stderr, "tally: %s\n", _("cannot start the screen: is TERM set?"));
        scanner_close(k.sc);
        free(k.history);
        return 1;
    }
    go(&k, M_LOGIN);
    k.data_version = store_data_version(s);
    struct screen_loop loop = { .arg = &k, .draw = loop_draw, .key = loop_key, .fd = k.sc ? scanner_fd(k.sc) : -1,
                                .readable = loop_scans, .tick = loop_tick, .idle = loop_idle,
                                .quit = &k.quit };
    screen_loop(&loop);
    screen_close();
    scanner_close(k.sc);
    free(k.card_text);
    free(k.history);
    return 0;
}
