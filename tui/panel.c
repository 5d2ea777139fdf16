/* panel.c - the customer panel: who is at the counter, what they have, and
 * what the barista should say. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <inttypes.h>
#include <langinfo.h>
#include <ncursesw/curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "panel.h"
#include "scanner/scanner.h"
#include "util/util.h"

#define DAY_MS ((int64_t)86400000)

/* The Linux console's fonts lack most symbols: draw cups as ASCII there. */
static bool fancy_symbols(void)
{
    const char *term = getenv("TERM");
    return strcmp(nl_langinfo(CODESET), "UTF-8") == 0 && !(term && strcmp(term, "linux") == 0);
}

struct reward_scan {
    store *s;
    const struct store_customer *c;
    const char *tier;                   /* the customer's: a perk of a tier above is not theirs */
    struct store_reward affordable[8];
    int naffordable;
    struct store_reward offer;          /* the first affordable that is not a perk (a perk has a line of its own) */
    bool has_offer;
    struct store_reward stamp_goal;     /* the cheapest stamp reward */
    bool has_stamp_goal;
};

static int scan_reward(const struct store_reward *r, void *arg)
{
    struct reward_scan *rs = arg;
    if (!store_tier_reaches(rs->s, rs->tier, r->tier))
        return 0;
    bool ok = r->points ? rs->c->points >= r->points : rs->c->stamps >= r->stamps;
    if (ok && rs->naffordable < 8)
        rs->affordable[rs->naffordable++] = *r;
    if (ok && !r->tier[0] && !rs->has_offer) {
        rs->offer = *r;
        rs->has_offer = true;
    }
    if (r->stamps && (!rs->has_stamp_goal || r->stamps < rs->stamp_goal.stamps)) {
        rs->stamp_goal = *r;
        rs->has_stamp_goal = true;
    }
    return 0;
}

/* Days from today to the next birthday (0 = today), or -1 if unknown;
 * past: days since it, if it was within the last week. */
static int birthday_days(const char *birthday, int64_t now, int *past)
{
    int m, d;
    *past = -1;
    if (strlen(birthday) < 5 || sscanf(birthday + strlen(birthday) - 5, "%d-%d", &m, &d) != 2)
        return -1;
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    int64_t today = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    for (int y = tm.tm_year + 1900 - 1; y <= tm.tm_year + 1901; y++) {
        int dd = (m == 2 && d == 29 && !is_leap_year(y)) ? 28 : d;
        int64_t diff = days_from_civil(y, m, dd) - today;
        if (diff < 0 && diff >= -7)
            *past = (int)-diff;
        if (diff >= 0)
            return (int)diff;
    }
    return -1;
}

/* A running campaign's offer for this member: said at every scan until
 * it ends (a coupon of it is also in the list of coupons). */
struct offer_prompts { store *s; const char *lang; struct prompt *out; int n, max; };

static int offer_prompt(const struct store_campaign *k, const struct store_offer *o, void *arg)
{
    struct offer_prompts *p = arg;
    char what[128];
    if (p->n >= p->max)
        return 1;
    time_t t = (time_t)((k->expires) / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    store_offer_text(p->s, o, p->lang, what, sizeof what);
    p->out[p->n].colour = C_GOOD;
    snprintf(p->out[p->n].text, sizeof p->out[p->n].text, _("Offer: %s until %02d.%02d (%s)"), what, tm.tm_mday,
             tm.tm_mon + 1, k->name);
    p->n++;
    return 0;
}

/* The perks of the member's tier, so the barista offers them: rewards
 * kept for it (or a lower tier) and promotions of it running now. A
 * member below sees none: the "Close to" prompt already names the next
 * tier, and a perk they cannot have would only be offered by mistake. */
struct perk_prompts { store *s; const char *tier, *lang; struct prompt *out; int n, max; };

static int reward_perk(const struct store_reward *r, void *arg)
{
    struct perk_prompts *p = arg;
    if (p->n >= p->max)
        return 1;
    if (r->tier[0] && store_tier_reaches(p->s, p->tier, r->tier)) {
        p->out[p->n].colour = C_GOOD;
        /* TRANSLATORS: "Gold perk: Free upgrade to a large coffee". */
        snprintf(p->out[p->n++].text, sizeof p->out[0].text, _("%s perk: %s"), r->tier, r->name);
    }
    return 0;
}

static int promo_perk(const struct store_promo *pr, void *arg)
{
    struct perk_prompts *p = arg;
    if (p->n >= p->max)
        return 1;
    if (pr->tier[0] && store_tier_reaches(p->s, p->tier, pr->tier) && store_promo_running(p->s, pr)) {
        char mult[32];
        int64_t m = pr->multiplier_milli;
        int dec = m % 1000 == 0 ? 0 : m % 100 == 0 ? 1 : m % 10 == 0 ? 2 : 3;
        decimal_format(dec == 0 ? m / 1000 : dec == 1 ? m / 100 : dec == 2 ? m / 10 : m, dec, p->lang, mult,
                       sizeof mult);
        p->out[p->n].colour = C_GOOD;
        /* TRANSLATORS: "Gold perk: Gold week, points ×2 now". */
        snprintf(p->out[p->n++].text, sizeof p->out[0].text, _("%s perk: %s, points ×%s now"), pr->tier, pr->name,
                 mult);
    }
    return 0;
}

int panel_prompts(store *s, const struct store_customer *c, const char *lang, struct prompt *out, int max)
{
    int n = 0;
    char amount[MONEY_BUFSZ];
    int64_t now = store_now(s);
#define ADD(col, ...) do { if (n < max) { out[n].colour = (col); \
    snprintf(out[n].text, sizeof out[n].text, __VA_ARGS__); n++; } } while (0)
    n += contact_prompts(s, c->id, lang, out, max);    /* a message to tell them */
    struct offer_prompts op = { s, lang, out, n, max };
    store_campaign_offers(s, c->id, offer_prompt, &op);
    n = op.n;
    if (c->points < 0)
        ADD(C_BAD, ngettext("Negative balance (%" PRId64 " point): no redemptions until it is positive",
                            "Negative balance (%" PRId64 " points): no redemptions until it is positive",
                            i18n_n(c->points)), c->points);
    if (c->visits == 0)
        ADD(C_GOOD, "%s", _("First visit: welcome them and explain the card"));
    int past, days = birthday_days(c->birthday, now, &past);
    if (days == 0)
        ADD(C_GOOD, "%s", _("Birthday today: wish them a happy birthday!"));
    else if (days > 0 && days <= 7)
        ADD(C_GOOD, ngettext("Birthday this week (in %d day)", "Birthday this week (in %d days)", i18n_n(days)), days);
    else if (past > 0)
        ADD(C_GOOD, ngettext("Birthday was %d day ago", "Birthday was %d days ago", i18n_n(past)), past);
    char lapsed_s[32];
    store_setting_get(s, "lapsed.days", lapsed_s, sizeof lapsed_s);
    int64_t lapsed = strtoll(lapsed_s, NULL, 10);
    if (c->last_visit && lapsed > 0 && now - c->last_visit > lapsed * DAY_MS) {
        int64_t away = (now - c->last_visit) / DAY_MS;
        ADD(C_ACCENT, ngettext("Welcome back! Not seen for %" PRId64 " day", "Welcome back! Not seen for %" PRId64 " days",
                               i18n_n(away)), away);
    }
    struct store_tier_status t;
    bool tiered = store_customer_tier(s, c->id, &t) == 0;
    struct reward_scan rs = { .s = s, .c = c, .tier = tiered ? t.tier : "" };
    store_reward_list(s, false, scan_reward, &rs);
    if (rs.has_offer && c->points >= 0)
        ADD(C_GOOD, _("Reward available: %s"), rs.offer.name);
    struct perk_prompts pp = { s, rs.tier, lang, out, n, max };
    store_reward_list(s, false, reward_perk, &pp);
    store_promo_list(s, false, promo_perk, &pp);
    n = pp.n;
    if (rs.has_stamp_goal && c->stamps < rs.stamp_goal.stamps) {
        int64_t left = rs.stamp_goal.stamps - c->stamps;
        if (left == 1)
            ADD(C_ACCENT, _("One more stamp to: %s"), rs.stamp_goal.name);
        else if (left <= 3)
            ADD(C_ACCENT, ngettext("%" PRId64 " stamp to: %s", "%" PRId64 " stamps to: %s", i18n_n(left)), left,
                rs.stamp_goal.name);
    }
    if (tiered && t.next[0] && t.to_next > 0 &&
        t.to_next * 10 <= t.window_spend + t.to_next) {
        money_format(t.to_next, store_currency(s), lang, amount, sizeof amount);
        ADD(C_ACCENT, _("Close to %s: %s more"), t.next, amount);
    }
#undef ADD
    return n;
}

static void stamp_row(int y, int x, int64_t have, int64_t goal)
{
    bool fancy = fancy_symbols();
    int64_t shown = goal > 20 ? 20 : goal;
    char row[256] = "";
    size_t len = 0;
    for (int64_t i = 0; i < shown && len + 8 < sizeof row; i++) {
        const char *cup = i < have ? (fancy ? "● " : "[x]") : (fancy ? "○ " : "[ ]");
        len += (size_t)snprintf(row + len, sizeof row - len, "%s", cup);
    }
    screen_put(y, x, COLS - x, C_ACCENT, row);
}

struct coupon_line { int y, n; store *s; const char *lang; };

void coupon_what(store *s, const struct store_coupon *cp, const char *lang, char *out, size_t outsz)
{
    struct store_offer o;
    store_coupon_offer(cp, &o);
    store_offer_text(s, &o, lang, out, outsz);
}

static int draw_coupon(const struct store_coupon *cp, void *arg)
{
    struct coupon_line *cl = arg;
    char what[128];
    if (cp->uses > 0 || cl->n >= 2 || store_now(cl->s) > cp->expires)
        return 0;
    coupon_what(cl->s, cp, cl->lang, what, sizeof what);
    putf(cl->y + cl->n, 2, COLS - 4, C_NORMAL, "%.4s-%.4s  %s", cp->code, cp->code + 4, what);
    cl->n++;
    return 0;
}

int panel_draw(store *s, const struct store_customer *c, const char *lang, int top)
{
    char amount[MONEY_BUFSZ], human[CARD_HUMAN_MAX] = "";
    unsigned char secret[STORE_SECRET_BYTES];
    int y = top;
    if (store_shop_secret(s, secret) == 0)
        card_encode(secret, c->card, human, NULL);
    screen_put(y, 2, COLS - 30, C_TITLE, c->name);
    screen_put(y, COLS - 26, 25, C_DIM, human);
    char prefs[256];
    contact_line(s, c->id, prefs, sizeof prefs);
    screen_put(y + 1, 2, COLS - 4, C_DIM, prefs);
    y += 2;

    struct store_tier_status t;
    if (store_customer_tier(s, c->id, &t) == 0) {
        if (t.next[0]) {
            money_format(t.to_next, store_currency(s), lang, amount, sizeof amount);
            putf(y, 2, COLS - 4, C_NORMAL, _("Tier: %s   (%s more to %s)"), t.tier[0] ? t.tier : "-", amount, t.next);
        } else {
            putf(y, 2, COLS - 4, C_NORMAL, _("Tier: %s"), t.tier);
        }
    }
    y++;
    money_format(c->credit, store_currency(s), lang, amount, sizeof amount);
    putf(y, 2, 30, c->points < 0 ? C_BAD : C_GOOD, _("Points: %" PRId64), c->points);
    putf(y, 32, COLS - 34, C_NORMAL, _("Store credit: %s"), amount);
    y++;

    struct reward_scan rs = { .s = s, .c = c, .tier = t.tier };
    store_reward_list(s, false, scan_reward, &rs);
    if (rs.has_stamp_goal) {
        putf(y, 2, 16, C_NORMAL, _("Stamps: %" PRId64), c->stamps);
        stamp_row(y, 18, c->stamps, rs.stamp_goal.stamps);
        y++;
    }
    y++;
    screen_put(y++, 2, COLS - 4, C_ACCENT, _("Can have now:"));
    if (rs.naffordable == 0 || c->points < 0)
        screen_put(y++, 4, COLS - 6, C_DIM, _("nothing yet"));
    for (int i = 0; i < rs.naffordable && i < 3 && c->points >= 0; i++) {
        const struct store_reward *r = &rs.affordable[i];
        if (r->points)
            putf(y++, 4, COLS - 6, C_NORMAL, ngettext("%s (%" PRId64 " point)", "%s (%" PRId64 " points)", i18n_n(r->points)),
                 r->name, r->points);
        else
            putf(y++, 4, COLS - 6, C_NORMAL, ngettext("%s (%" PRId64 " stamp)", "%s (%" PRId64 " stamps)", i18n_n(r->stamps)),
                 r->name, r->stamps);
    }
    struct coupon_line cl = { y + 1, 0, s, lang };
    screen_put(y, 2, COLS - 4, C_ACCENT, _("Coupons:"));
    store_coupon_list(s, c->id, draw_coupon, &cl);
    if (cl.n == 0)
        screen_put(y + 1, 4, COLS - 6, C_DIM, _("none"));
    y += 1 + (cl.n ? cl.n : 1) + 1;

    struct prompt p[8];
    int n = panel_prompts(s, c, lang, p, 8);
    for (int i = 0; i < n && y < LINES - 3; i++)
        screen_put(y++, 2, COLS - 4, p[i].colour, p[i].text);
    return y;
}
