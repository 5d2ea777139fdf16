/* offers.c - what the catalog and the manager offer: rewards (bought
 * with points or stamps, perhaps kept for a tier: perks.c), coupons (a
 * code for one customer or anyone, used once; a trigger's or a campaign's
 * among them) and timed promotions. Like ledger.c, each public function
 * is one transaction that checks its input and appends the event that
 * records it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* --- rewards --------------------------------------------------------- */

static void row_to_reward(sqlite3_stmt *st, struct store_reward *r)
{
    copy_col(st, 0, r->id, sizeof r->id);
    copy_col(st, 1, r->name, sizeof r->name);
    r->points = sqlite3_column_int64(st, 2);
    r->stamps = sqlite3_column_int64(st, 3);
    r->retired = sqlite3_column_int(st, 4) != 0;
    copy_col(st, 5, r->tier, sizeof r->tier);
}

int store_reward_get(store *s, const char *reward, struct store_reward *out)
{
    char key[STORE_TEXT_MAX * 8];
    if (!reward || text_fold(reward, key, sizeof key) != 0)
        return store_fail(s, _("no such reward"));
    sqlite3_stmt *st = store_sql(s, "SELECT id, name, points, stamps, retired, tier FROM rewards"
                              " WHERE name <> '' AND (id = ?1 OR name_key = ?2)"
                              " ORDER BY retired, id = ?1 DESC LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, reward);
    bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no reward called '%s'; 'tally reward list' shows them"), reward);
    row_to_reward(st, out);
    return 0;
}

static int reward_event(store *s, const char *manager, const struct store_reward *r)
{
    struct store_event ev;
    struct jbuf jb;
    event_init(&ev, "reward", manager, NULL);
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "id", r->id);
    jb_key_str(&jb, "name", r->name);
    jb_key_int(&jb, "points", r->points);
    jb_key_int(&jb, "stamps", r->stamps);
    jb_key_int(&jb, "retired", r->retired);
    /* Only a perk names a tier: a reward for every member is the event
     * it always was, which a till of an older tally reads alike. */
    if (r->tier[0]) {
        jb_key_str(&jb, "tier", r->tier);
    }
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    return event_append(s, &ev);
}

/* A perk's tier as the 'tiers' list spells it ("" for none). */
static int perk_tier(store *s, const char *typed, char name[64])
{
    name[0] = '\0';
    if (!typed || !*typed)
        return 0;
    if (tier_find(s, typed, name) < 0)
        return store_fail(s, _("there is no tier called '%s'; 'tally program show' lists the tiers"), typed);
    return 0;
}

static int reward_add_tx(store *s, const char *manager, const char *name, int64_t points,
                         int64_t stamps, const char *tier, struct store_reward *out)
{
    struct store_reward r = { 0 }, existing;
    if (require_manager(s, manager) != 0 || perk_tier(s, tier, r.tier) != 0)
        return -1;
    if (text_clean(name, r.name, sizeof r.name, 60) != 0 || !r.name[0])
        return store_fail(s, _("give a reward name of 1 to 60 characters"));
    if ((points > 0) == (stamps > 0) || points < 0 || stamps < 0 || points > POINTS_MAX || stamps > 1000)
        return store_fail(s, _("price a reward in points or in stamps (one of them, more than zero)"));
    if (store_reward_get(s, r.name, &existing) == 0 && !existing.retired)
        return store_fail(s, _("there is already a reward called %s"), existing.name);
    random_id(r.id, 6);
    r.points = points;
    r.stamps = stamps;
    if (reward_event(s, manager, &r) != 0)
        return -1;
    if (out)
        *out = r;
    return 0;
}

int store_reward_add_tier(store *s, const char *manager, const char *name, int64_t points,
                          int64_t stamps, const char *tier, struct store_reward *out)
{
    IN_TX(reward_add_tx(s, manager, name, points, stamps, tier, out));
}

int store_reward_add(store *s, const char *manager, const char *name, int64_t points,
                     int64_t stamps, struct store_reward *out)
{
    return store_reward_add_tier(s, manager, name, points, stamps, NULL, out);
}

static int reward_retire_tx(store *s, const char *manager, const char *reward)
{
    struct store_reward r;
    if (require_manager(s, manager) != 0 || store_reward_get(s, reward, &r) != 0)
        return -1;
    if (r.retired)
        return store_fail(s, _("the reward '%s' is retired already"), r.name);
    r.retired = true;
    return reward_event(s, manager, &r);
}

int store_reward_retire(store *s, const char *manager, const char *reward)
{
    IN_TX(reward_retire_tx(s, manager, reward));
}

int store_reward_list(store *s, bool with_retired,
                      int (*fn)(const struct store_reward *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT id, name, points, stamps, retired, tier FROM rewards"
                              " WHERE name <> '' AND (?1 OR retired = 0)"
                              " ORDER BY retired, stamps > 0, points, stamps, name_key");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, with_retired);
    struct store_reward r;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row_to_reward(st, &r);
        if ((rc = fn(&r, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc;
}

/* --- coupons --------------------------------------------------------- */

/* Typed by people: Crockford base32, no I L O U; read O as 0, I/L as 1. */
static int coupon_normalise(const char *in, char *out, size_t outsz)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char ch = *p;
        if (ch == '-' || ch == ' ')
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch == 'O')
            ch = '0';
        if (ch == 'I' || ch == 'L')
            ch = '1';
        if (!strchr(alphabet, ch) || !ch || n + 1 >= outsz)
            return -1;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n == 8 ? 0 : -1;
}

static void row_to_coupon(sqlite3_stmt *st, struct store_coupon *c)
{
    copy_col(st, 0, c->code, sizeof c->code);
    copy_col(st, 1, c->customer, sizeof c->customer);
    copy_col(st, 2, c->reward, sizeof c->reward);
    c->discount = sqlite3_column_int64(st, 3);
    c->percent = sqlite3_column_int64(st, 4);
    c->expires = sqlite3_column_int64(st, 5);
    c->uses = sqlite3_column_int64(st, 6);
}

int store_coupon_get(store *s, const char *code, struct store_coupon *out)
{
    char norm[16];
    if (!code || coupon_normalise(code, norm, sizeof norm) != 0)
        return store_fail(s, _("'%s' is not a coupon code; they look like K7QM-2XD9"), code ? code : "");
    sqlite3_stmt *st = sql_keyed(s, "SELECT code, customer, reward, discount, percent, expires, uses"
                              " FROM coupons WHERE code = ?1 AND expires > 0", norm);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no coupon %s: check the code"), norm);
    row_to_coupon(st, out);
    return 0;
}

static int coupon_issue_tx(store *s, const char *manager, const struct store_coupon_spec *spec,
                           struct store_coupon *out)
{
    struct store_coupon c = { 0 };
    struct store_customer who;
    struct store_reward r;
    if (require_manager(s, manager) != 0)
        return -1;
    int kinds = (spec->reward && *spec->reward) + (spec->discount > 0) + (spec->percent > 0);
    if (kinds != 1)
        return store_fail(s, _("a coupon gives one thing: a reward, an amount off, or a percentage off"));
    if (spec->customer && *spec->customer) {
        if (customer_live(s, spec->customer, &who) != 0)
            return -1;
        snprintf(c.customer, sizeof c.customer, "%s", spec->customer);
    }
    if (spec->reward && *spec->reward) {
        if (store_reward_get(s, spec->reward, &r) != 0)
            return -1;
        if (r.retired)
            return store_fail(s, _("the reward '%s' is no longer offered"), r.name);
        snprintf(c.reward, sizeof c.reward, "%s", r.id);
    }
    if (spec->percent > 100 || spec->percent < 0)
        return store_fail(s, _("a percentage off is from 1 to 100"));
    if (spec->discount > 1000000 * pow10i(s->digits))
        return store_fail(s, _("the amount off is too large"));
    c.discount = spec->discount;
    c.percent = spec->percent;
    c.expires = spec->expires;
    if (c.expires <= store_now(s))
        return store_fail(s, _("the coupon's expiry date must be in the future"));
    if (coupon_append(s, manager, &c, NULL) != 0)
        return -1;
    if (out)
        *out = c;
    return 0;
}

static const char COUPON_ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Whether this till knows a coupon by that code, issued or only used. A
 * coupon event applies to the row of its code: a new coupon under a code
 * in use would take over that coupon (its customer, its offer). */
static int coupon_code_taken(store *s, const char *code)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT 1 FROM coupons WHERE code = ?1", code);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_fail(s);
}

static void coupon_code_of(const unsigned char raw[8], char code[16])
{
    for (int i = 0; i < 8; i++)
        code[i] = COUPON_ALPHABET[raw[i] & 31];
    code[8] = '\0';
}

int coupon_append(store *s, const char *manager, struct store_coupon *c, const char *campaign)
{
    /* 40 random bits: a shop that issues a million coupons would see two
     * alike about once, so a code already here is drawn again. */
    for (int tries = 0; !c->code[0]; tries++) {
        unsigned char raw[8];
        randombytes_buf(raw, sizeof raw);
        coupon_code_of(raw, c->code);
        int taken = coupon_code_taken(s, c->code);
        if (taken < 0)
            return -1;
        if (taken && tries == 32)
            return store_fail(s, _("no free coupon code was found; try again"));
        if (taken)
            c->code[0] = '\0';
    }

    struct store_event ev;
    struct jbuf jb;
    event_init(&ev, "coupon", manager, NULL);
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "code", c->code);
    jb_key_str(&jb, "customer", c->customer);
    jb_key_str(&jb, "reward", c->reward);
    jb_key_int(&jb, "discount", c->discount);
    jb_key_int(&jb, "percent", c->percent);
    jb_key_int(&jb, "expires", c->expires);
    if (campaign) {
        jb_key_str(&jb, "campaign", campaign);
    }
    jb_obj_end(&jb);
    return jb_take(s, &jb, ev.data) != 0 ? -1 : event_append(s, &ev);
}

/* A coupon tied to an occasion has the code BLAKE2b keyed with the shop's
 * secret gives its occasion key: every till that issues it for that
 * occasion, even cut off from the others, makes the same code, so there is
 * one coupon, used once; without the secret nobody can work it out. */
int coupon_for_occasion(store *s, const char *staff, const char *occasion, struct store_coupon *c)
{
    unsigned char key[STORE_SECRET_BYTES], h[8];
    if (store_shop_secret(s, key) != 0)
        return -1;
    /* A code that is another customer's coupon (two codes alike, about one
     * in a trillion) moves on to the occasion's next code, "OCCASION#1" ...:
     * the same step on every till that knows that coupon. */
    int rc = 1;     /* 1: that code is someone else's, try the next */
    for (int attempt = 0; attempt < 8 && rc == 1; attempt++) {
        char salted[STORE_MSG_KEY_MAX + 8];
        snprintf(salted, sizeof salted, attempt ? "%s#%d" : "%s", occasion, attempt);
        crypto_generichash(h, sizeof h, (const unsigned char *)salted, strlen(salted), key, sizeof key);
        coupon_code_of(h, c->code);
        struct store_coupon held;
        if (store_coupon_get(s, c->code, &held) == 0) {
            if (strcmp(held.customer, c->customer) == 0) {
                *c = held;      /* issued here already */
                rc = 0;
            }
            continue;
        }
        int taken = coupon_code_taken(s, c->code);     /* used here, its issue not heard of yet */
        rc = taken < 0 ? -1 : taken ? 1 : coupon_append(s, staff, c, NULL);
    }
    sodium_memzero(key, sizeof key);
    return rc == 1 ? store_fail(s, _("no free coupon code was found; try again")) : rc;
}

void store_coupon_offer(const struct store_coupon *c, struct store_offer *o)
{
    memset(o, 0, sizeof *o);
    if (c->reward[0]) {
        o->kind = OFFER_REWARD;
        snprintf(o->reward, sizeof o->reward, "%s", c->reward);
    } else {
        o->kind = c->percent ? OFFER_PERCENT : OFFER_AMOUNT;
        o->value = c->percent ? c->percent : c->discount;
    }
}

int store_coupon_issue(store *s, const char *manager, const struct store_coupon_spec *spec,
                       struct store_coupon *out)
{
    IN_TX(coupon_issue_tx(s, manager, spec, out));
}

static int coupon_redeem_tx(store *s, const char *staff, const char *code, const char *customer,
                            struct store_result *out)
{
    struct store_coupon c;
    struct store_customer who;
    if (require_staff(s, staff) != 0 || store_coupon_get(s, code, &c) != 0)
        return -1;
    if (c.uses > 0)
        return store_fail(s, _("coupon %s was used already"), c.code);
    if (store_now(s) > c.expires)
        return store_fail(s, _("coupon %s has expired"), c.code);
    if (c.customer[0] && (!customer || strcmp(customer, c.customer) != 0))
        return store_fail(s, _("coupon %s belongs to another customer; scan that customer's card"), c.code);
    if (!customer || !*customer)
        return store_fail(s, _("scan the customer's card to use a coupon"));
    if (customer_live(s, customer, &who) != 0)
        return -1;
    struct store_event ev;
    event_init(&ev, "coupon_use", staff, customer);
    if (check_limits(s, customer, false, NULL, &ev) < 0)
        return -1;
    snprintf(ev.data, sizeof ev.data, "{\"code\":\"%s\"}", c.code);
    if (event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    if (out)
        out->discount = c.discount;
    return 0;
}

int store_coupon_redeem(store *s, const char *staff, const char *code, const char *customer,
                        struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(coupon_redeem_tx(s, staff, code, customer, out));
}

int store_coupon_list(store *s, const char *customer,
                      int (*fn)(const struct store_coupon *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT code, customer, reward, discount, percent, expires, uses"
                              " FROM coupons WHERE expires > 0 AND (?1 IS NULL OR customer = ?1 OR"
                              " (customer = '' AND ?1 = ''))"
                              " ORDER BY uses > 0, expires, code");
    if (!st)
        return -1;
    if (customer)
        bind_text(st, 1, customer);
    struct store_coupon c;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row_to_coupon(st, &c);
        if ((rc = fn(&c, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc;
}

/* --- promotions ---------------------------------------------------------- */

static int promo_event(store *s, const char *manager, const struct store_promo *p)
{
    struct store_event ev;
    struct jbuf jb;
    event_init(&ev, "promo", manager, NULL);
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "id", p->id);
    jb_key_str(&jb, "name", p->name);
    jb_key_int(&jb, "multiplier", p->multiplier_milli);
    jb_key_int(&jb, "days", p->days);
    jb_key_int(&jb, "start_minute", p->start_minute);
    jb_key_int(&jb, "end_minute", p->end_minute);
    jb_key_str(&jb, "date_from", p->from);
    jb_key_str(&jb, "date_to", p->to);
    jb_key_str(&jb, "category", p->category);
    jb_key_int(&jb, "ended", p->ended);
    if (p->tier[0]) {   /* as a reward's: only a perk names a tier */
        jb_key_str(&jb, "tier", p->tier);
    }
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    return event_append(s, &ev);
}

static void row_to_promo(sqlite3_stmt *st, struct store_promo *p)
{
    copy_col(st, 0, p->id, sizeof p->id);
    copy_col(st, 1, p->name, sizeof p->name);
    p->multiplier_milli = sqlite3_column_int64(st, 2);
    p->days = sqlite3_column_int(st, 3);
    p->start_minute = sqlite3_column_int(st, 4);
    p->end_minute = sqlite3_column_int(st, 5);
    copy_col(st, 6, p->from, sizeof p->from);
    copy_col(st, 7, p->to, sizeof p->to);
    copy_col(st, 8, p->category, sizeof p->category);
    p->ended = sqlite3_column_int(st, 9) != 0;
    copy_col(st, 10, p->tier, sizeof p->tier);
}

static int promo_add_tx(store *s, const char *manager, const struct store_promo *in,
                        struct store_promo *out)
{
    struct store_promo p = *in;
    int y, m, d;
    if (require_manager(s, manager) != 0 || perk_tier(s, in->tier, p.tier) != 0)
        return -1;
    if (text_clean(in->name, p.name, sizeof p.name, 60) != 0 || !p.name[0])
        return store_fail(s, _("give a promotion name of 1 to 60 characters"));
    if (p.multiplier_milli <= 1000 || p.multiplier_milli > 10000)
        return store_fail(s, _("a promotion's multiplier is more than 1 and at most 10"));
    if (earn_rate_check(s, -1, -1, p.multiplier_milli) != 0)
        return -1;
    if (p.days < 0 || p.days > 127)
        return store_fail(s, _("bad days of the week"));
    if (p.start_minute < 0 || p.end_minute > 1440 || p.start_minute >= p.end_minute)
        return store_fail(s, _("the promotion's start time must be before its end time"));
    if ((p.from[0] && date_parse(p.from, &y, &m, &d) != 0) || (p.to[0] && date_parse(p.to, &y, &m, &d) != 0))
        return store_fail(s, _("give dates as YYYY-MM-DD"));
    if (p.from[0] && p.to[0] && strcmp(p.from, p.to) > 0)
        return store_fail(s, _("the promotion ends before it starts"));
    if (p.category[0] && text_fold(in->category, p.category, sizeof p.category) != 0)
        return store_fail(s, _("the category name is too long"));
    if (!p.from[0]) {
        /* Without a start date it starts today, so imported history from
         * before it was created does not get it. */
        local_date(store_now(s), &y, &m, &d, NULL, NULL);
        snprintf(p.from, sizeof p.from, "%04d-%02d-%02d", y, m, d);
    }
    random_id(p.id, 6);
    p.ended = false;
    if (promo_event(s, manager, &p) != 0)
        return -1;
    if (out)
        *out = p;
    return 0;
}

int store_promo_add(store *s, const char *manager, const struct store_promo *p,
                    struct store_promo *out)
{
    IN_TX(promo_add_tx(s, manager, p, out));
}

static int promo_end_tx(store *s, const char *manager, const char *promo)
{
    struct store_promo p;
    char key[STORE_TEXT_MAX * 8];
    if (require_manager(s, manager) != 0)
        return -1;
    if (text_fold(promo, key, sizeof key) != 0)
        return store_fail(s, _("no such promotion"));
    sqlite3_stmt *st = store_sql(s, "SELECT id, name, multiplier, days, start_minute, end_minute,"
                              " date_from, date_to, category, ended, tier FROM promos"
                              " WHERE ended = 0 AND name <> '' AND (id = ?1 OR name_key = ?2) LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, promo);
    bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no running promotion called '%s'"), promo);
    row_to_promo(st, &p);
    p.ended = true;
    return promo_event(s, manager, &p);
}

int store_promo_end(store *s, const char *manager, const char *promo)
{
    IN_TX(promo_end_tx(s, manager, promo));
}

int store_promo_list(store *s, bool with_ended,
                     int (*fn)(const struct store_promo *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT id, name, multiplier, days, start_minute, end_minute,"
                              " date_from, date_to, category, ended, tier FROM promos"
                              " WHERE name <> '' AND (?1 OR ended = 0) ORDER BY ended, name_key");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, with_ended);
    struct store_promo p;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row_to_promo(st, &p);
        if ((rc = fn(&p, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc;
}
