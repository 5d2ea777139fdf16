/* seed.c - demo history: a deterministic, realistic year (or any number of
 * days) of a café's loyalty program, written through the store's own
 * functions so it is ordinary, valid ledger data.
 *
 * Who comes (each customer draws a kind from the seed):
 *   regulars     15 %  every 2.5-8.5 days (5 % of them move away)
 *   occasional   40 %  every 2-8 weeks
 *   drifting     15 %  every 4-12 days, then stop for good at a random day
 *   rare         30 %  one to three visits in all
 * About 40 % of the members joined in the first tenth of the history, the
 * rest join evenly over it (new members every day). A member's first visit
 * is their enrolment (with the welcome bonus), one in ten was referred by an
 * earlier member. Two in three gave a birthday (the till adds the birthday
 * bonus), three in five consent to marketing.
 *
 * At the counter: a purchase (coffee, bakery, lunch; mostly one item),
 * and right after it, when the balance allows, a redemption (the stamp
 * card at 8 stamps, or a points reward), sometimes points or store credit as
 * payment, an NPS answer about once a quarter (mostly 9-10, some 7-8, about
 * one in seven a detractor), now and then a refund (full or partial), a void
 * (a barista's undo within minutes, or a manager's), a manager's goodwill
 * adjustment, a "forget me". Every 30 days the manager sends win-back
 * coupons to members who stopped coming; some come back and use them.
 * Expiry runs once a month, as a nightly job would. A history of 90 days
 * or more holds a past campaign with a built-in effect (demo_campaign).
 *
 * Everything random comes from splitmix64 seeded by spec->seed, and the
 * simulation never branches on anything else (ids, origins and card codes
 * are random but only ever carried along), so the same seed, size and end
 * date give the same ledger up to those ids: every report prints the same.
 * The demo campaign is the exception: its arms come from the shop's secret
 * and its members act on their arm, so from its first day the history is
 * the same only in its proportions (--no-campaign leaves it out).
 *
 * Speed: the writes go in transactions of about SEED_TX_EVENTS events, and
 * the page cache is raised while they do. What is left is the store's own
 * cost per call; on two million events the larger part is the tier lookup of
 * each purchase (program.c tier_status sums the member's spend of the tier
 * window, a table lookup per event under the schema-1 index events_customer).
 * Two store calls are avoided because they read a whole table: refunds and
 * voids are written by correct() below (ledger.c net_effect scans every
 * event), and in a shop of more than 2,000 members only about 2,000 give a
 * phone number (customers.c phone_taken reads every customer). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define DAY_MS ((int64_t)86400000)
#define SEED_TX_EVENTS 40000
#define NO_DAY INT_MAX

enum kind { REGULAR, OCCASIONAL, DRIFTING, RARE };

struct who {
    char id[STORE_ID_LEN + 1];
    char coupon[16];            /* a win-back coupon not used yet, or "" */
    int32_t join_day, stop_day, next_day, last_nps, coupon_until;
    int16_t interval_x10;       /* mean days between visits, x10 */
    int16_t visits_left;        /* rare visitors; -1: no limit */
    uint8_t kind, basket;       /* basket: 0 coffee, 1 coffee and cake, 2 lunch */
    bool enrolled, forgotten, consent;
};

struct visit { int64_t at; int32_t who; };

struct sim {
    store *s;
    const struct store_seed_spec *spec;
    struct store_seed_stats *st;
    uint64_t rng;
    struct who *w;
    int32_t *order;             /* customers by join day */
    int n, days, day;           /* day: next day to simulate */
    int64_t first_day;          /* days since 1970 (local calendar) of day 0 */
    int64_t end;                /* nothing at or after this */
    int64_t factor;             /* price level: minor units of a "unit" of price */
    int32_t *enrolled;          /* indexes of enrolled members, in join order */
    int nenrolled;
    struct visit *today;
    int ntoday, captoday;
    char manager[STORE_ID_LEN + 1];
    char staff[4][STORE_ID_LEN + 1];
    char reward_stamps[STORE_ID_LEN + 1], reward_small[STORE_ID_LEN + 1],
        reward_mid[STORE_ID_LEN + 1], reward_big[STORE_ID_LEN + 1];
    int64_t big_points, mid_points, small_points, stamp_card;
    long tx_events;
    int campaign_day;           /* the day the demo campaign starts; NO_DAY: none */
    char first_error[256];
};

/* --- random numbers -------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint32_t seed_rnd(uint64_t *x, uint32_t n)
{
    return (uint32_t)(((splitmix64(x) >> 32) * (uint64_t)n) >> 32);
}

static int rnd_range(uint64_t *x, int lo, int hi)     /* [lo, hi] */
{
    return lo + (int)seed_rnd(x, (uint32_t)(hi - lo + 1));
}

/* true with probability per / 10000 */
static bool chance(uint64_t *x, uint32_t per)
{
    return seed_rnd(x, 10000) < per;
}

/* --- names ------------------------------------------------------------------ */

static const char *const FIRST[] = {
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Łucja", "Ewa",
    "Piotr", "Krzysztof", "Tomasz", "Łukasz", "Paweł", "Michał", "Jakub", "Wojciech",
    "Ioana", "Elena", "Andreea", "Ștefania", "Mihaela", "Alexandru", "Andrei", "Ștefan",
    "Mihai", "Răzvan", "Bogdan", "Gábor", "László", "István", "Zoltán", "Ádám",
    "Éva", "Katalin", "Zsófia", "Réka", "Őrs", "Júlia", "Nóra", "Bence",
};
static const char *const LAST[] = {
    "Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zieliński",
    "Szymańska", "Woźniak", "Dąbrowski", "Kozłowska", "Jankowski", "Mazur", "Krawczyk",
    "Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Constantin", "Gheorghiu", "Rădulescu",
    "Munteanu", "Ștefănescu", "Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga",
    "Kiss", "Molnár", "Németh", "Farkas", "Balogh", "Papp", "Lakatos", "Takács",
};
#define NFIRST (uint32_t)(sizeof FIRST / sizeof FIRST[0])
#define NLAST (uint32_t)(sizeof LAST / sizeof LAST[0])

/* --- helpers --------------------------------------------------------------- */

static int64_t local_midnight(int64_t civil_days)
{
    int y, m, d;
    civil_from_days(civil_days, &y, &m, &d);
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1 };
    return (int64_t)mktime(&tm) * 1000;
}

static void note_error(struct sim *m)
{
    m->st->failed++;
    if (!m->first_error[0])
        snprintf(m->first_error, sizeof m->first_error, "%s", store_error(m->s));
}

/* A call the simulation expects to succeed; a refusal is counted (and the
 * first reason kept) but does not stop the run. */
static bool ok(struct sim *m, int rc, long events)
{
    if (rc != 0) {
        note_error(m);
        return false;
    }
    m->st->events += events;
    m->tx_events += events;
    return true;
}

static void at(struct sim *m, int64_t ms)
{
    store_set_clock(m->s, ms);
}

static const char *shift_staff(struct sim *m, int64_t t)
{
    int minute;
    local_date(t, NULL, NULL, NULL, NULL, &minute);
    int k = (m->day % 7 < 5 ? 0 : 2) + (minute >= 13 * 60);
    return m->staff[k];
}

/* --- setup: program, staff, rewards --------------------------------------- */

static int setting(struct sim *m, const char *key, const char *value)
{
    char cur[1024];
    store_setting_get(m->s, key, cur, sizeof cur);
    if (strcmp(cur, value) == 0)
        return 0;
    if (store_setting_set(m->s, m->manager, key, value) != 0)
        return -1;
    m->st->events++;
    return 0;
}

static int reward(struct sim *m, const char *name, int64_t points, int64_t stamps,
                  char out[STORE_ID_LEN + 1], int64_t *price)
{
    struct store_reward r;
    if (store_reward_get(m->s, name, &r) != 0 || r.retired) {
        if (store_reward_add(m->s, m->manager, name, points, stamps, &r) != 0)
            return -1;
        m->st->events++;
        m->st->rewards++;
    }
    memcpy(out, r.id, STORE_ID_LEN + 1);
    *price = r.points ? r.points : r.stamps;
    return 0;
}

static int staff_member(struct sim *m, const char *name, char out[STORE_ID_LEN + 1])
{
    /* A member of that name already there (with their own PIN) is kept. */
    sqlite3_stmt *st = store_sql(m->s, "SELECT id FROM staff WHERE name_key = tally_fold(?1) AND disabled = 0"
                                 " AND name <> '' ORDER BY id LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, name);
    if (sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, out, STORE_ID_LEN + 1);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    struct store_staff who;
    const char *pin = m->spec->staff_pin && *m->spec->staff_pin ? m->spec->staff_pin : "1111";
    if (store_staff_add(m->s, m->manager, name, ROLE_BARISTA, pin, &who) != 0)
        return -1;
    m->st->events++;
    m->st->staff++;
    memcpy(out, who.id, STORE_ID_LEN + 1);
    return 0;
}

static int seed_setup(struct sim *m)
{
    /* The price level of the currency: a coffee is about 3 EUR, 12 PLN. */
    const char *cur = store_currency(m->s);
    int digits = store_currency_digits(m->s);
    int64_t unit = 1;
    for (int i = 0; i < digits; i++)
        unit *= 10;
    static const struct { const char *code; int64_t level; const char *per_unit; } LEVELS[] = {
        { "PLN", 4, "1" }, { "RON", 4, "1" }, { "HUF", 350, "0.01" }, { "CZK", 20, "0.2" },
        { "SEK", 10, "0.4" }, { "NOK", 10, "0.4" }, { "DKK", 7, "0.5" },
    };
    int64_t level = 1;
    const char *per_unit = "4";
    for (size_t i = 0; i < sizeof LEVELS / sizeof LEVELS[0]; i++)
        if (strcmp(cur, LEVELS[i].code) == 0) {
            level = LEVELS[i].level;
            per_unit = LEVELS[i].per_unit;
        }
    m->factor = level * unit;   /* minor units of one EUR-equivalent */
    char tiers[128], gold[32], plat[32];
    money_plain(100 * m->factor, digits, gold, sizeof gold);
    money_plain(300 * m->factor, digits, plat, sizeof plat);
    snprintf(tiers, sizeof tiers, "Silver:0:1,Gold:%s:1.25,Platinum:%s:1.5", gold, plat);
    if (setting(m, "points.per_unit", per_unit) != 0 ||
        setting(m, "tiers", tiers) != 0 ||
        setting(m, "welcome.points", "20") != 0 ||
        setting(m, "birthday.points", "50") != 0 ||
        setting(m, "referral.points", "30") != 0 ||
        setting(m, "stamps.categories", "coffee") != 0 ||
        setting(m, "cashback.percent", "1") != 0)
        return -1;
    static const char *const NAMES[4] = { "Ola", "Bogdan", "Ioana", "Gábor" };
    for (int i = 0; i < 4; i++)
        if (staff_member(m, NAMES[i], m->staff[i]) != 0)
            return -1;
    if (reward(m, "Free coffee", 0, 8, m->reward_stamps, &m->stamp_card) != 0 ||
        reward(m, "Croissant", 40, 0, m->reward_small, &m->small_points) != 0 ||
        reward(m, "Cake of the day", 120, 0, m->reward_mid, &m->mid_points) != 0 ||
        reward(m, "Lunch for two", 400, 0, m->reward_big, &m->big_points) != 0)
        return -1;
    return 0;
}

/* --- the customers ------------------------------------------------------- */

static void draw_customers(struct sim *m)
{
    for (int i = 0; i < m->n; i++) {
        struct who *c = &m->w[i];
        uint64_t x = m->spec->seed ^ ((uint64_t)(i + 1) * 0xd1b54a32d192ed03ULL);
        splitmix64(&x);
        memset(c, 0, sizeof *c);
        c->visits_left = -1;
        c->stop_day = NO_DAY;
        c->last_nps = -100000;
        uint32_t k = seed_rnd(&x, 100);
        c->join_day = seed_rnd(&x, 100) < 40 ? (int32_t)seed_rnd(&x, (uint32_t)(m->days / 10 + 1))
                                        : (int32_t)seed_rnd(&x, (uint32_t)m->days + 1);
        if (k < 15) {
            c->kind = REGULAR;
            c->interval_x10 = (int16_t)rnd_range(&x, 25, 85);
            if (seed_rnd(&x, 100) < 5)
                c->stop_day = c->join_day + rnd_range(&x, 60, 400);
        } else if (k < 55) {
            c->kind = OCCASIONAL;
            c->interval_x10 = (int16_t)rnd_range(&x, 140, 600);
        } else if (k < 70) {
            c->kind = DRIFTING;
            c->interval_x10 = (int16_t)rnd_range(&x, 40, 120);
            c->stop_day = c->join_day + rnd_range(&x, 30, m->days > 60 ? m->days : 60);
        } else {
            c->kind = RARE;
            c->interval_x10 = (int16_t)rnd_range(&x, 200, 900);
            c->visits_left = (int16_t)rnd_range(&x, 1, 3);
        }
        uint32_t b = seed_rnd(&x, 100);
        c->basket = b < 65 ? 0 : b < 88 ? 1 : 2;
        c->next_day = c->join_day;
    }
}


static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Customer indexes by join day, then index. */
static int order_customers(struct sim *m)
{
    int64_t *keys = malloc(sizeof *keys * (size_t)m->n);
    if (!keys)
        return -1;
    for (int i = 0; i < m->n; i++)
        keys[i] = (int64_t)m->w[i].join_day << 32 | (int64_t)i;
    qsort(keys, (size_t)m->n, sizeof *keys, cmp_i64);
    for (int i = 0; i < m->n; i++)
        m->order[i] = (int32_t)(keys[i] & 0xffffffff);
    free(keys);
    return 0;
}

static void fallback_card(int i, uint64_t salt, char out[STORE_ID_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    uint64_t v = (uint64_t)i * 1000003u + (salt % 1000003u);
    for (int k = 7; k >= 0; k--) {
        out[k] = alphabet[v % 32];
        v /= 32;
    }
    out[8] = '\0';
}

static const char *country_code(const char *currency)
{
    if (strcmp(currency, "PLN") == 0)
        return "+48";
    if (strcmp(currency, "RON") == 0)
        return "+40";
    if (strcmp(currency, "HUF") == 0)
        return "+36";
    if (strcmp(currency, "CZK") == 0)
        return "+420";
    return "+49";
}

static int enrol(struct sim *m, int i, int64_t t, const char *staff)
{
    struct who *c = &m->w[i];
    /* The profile comes from the customer's own stream, so it does not
     * depend on who else came that day. */
    uint64_t x = m->spec->seed ^ ((uint64_t)(i + 1) * 0x9e6c63d0676a9a99ULL);
    splitmix64(&x);
    const char *first = FIRST[seed_rnd(&x, NFIRST)], *last = LAST[seed_rnd(&x, NLAST)];
    char name[128], phone[32], email[160], birthday[48], card[STORE_ID_LEN + 1];
    snprintf(name, sizeof name, "%s %s", first, last);
    /* A national number unique to the customer: i*37 mod 10^8 is a bijection. */
    snprintf(phone, sizeof phone, "%s %d%08" PRId64, country_code(store_currency(m->s)),
             5 + (int)seed_rnd(&x, 3), ((int64_t)i * 37 + 12345678) % 100000000);
    /* Enrolling with a phone number checks it is not taken with a query
     * that reads every customer (customers.c phone_taken): in a big demo
     * shop only about 2,000 members give one. */
    bool with_phone = m->n <= 2000 || seed_rnd(&x, (uint32_t)m->n) < 2000;
    struct store_profile p = { .name = name, .phone = with_phone ? phone : NULL, .consent = 0 };
    if (seed_rnd(&x, 100) < 50) {
        char f[64], l[64];
        if (text_fold(first, f, sizeof f) == 0 && text_fold(last, l, sizeof l) == 0) {
            snprintf(email, sizeof email, "%s.%s%d@example.com", f, l, i);
            p.email = email;
        }
    }
    if (seed_rnd(&x, 100) < 65) {
        int y = rnd_range(&x, 1950, 2006), mo = rnd_range(&x, 1, 12);
        snprintf(birthday, sizeof birthday, "%04d-%02d-%02d", y, mo,
                 rnd_range(&x, 1, days_in_month(y, mo)));
        p.birthday = birthday;
    }
    c->consent = seed_rnd(&x, 100) < 60;
    p.consent = c->consent;
    /* One in ten was brought by a member who joined before them. */
    if (m->nenrolled > 0 && seed_rnd(&m->rng, 100) < 10) {
        struct who *r = &m->w[m->enrolled[seed_rnd(&m->rng, (uint32_t)m->nenrolled)]];
        if (!r->forgotten)
            p.referred_by = r->id;
    }
    struct store_customer cu;
    at(m, t);
    for (int tries = 0;; tries++) {
        if (m->spec->make_card)
            m->spec->make_card(m->spec->arg, card);
        else
            fallback_card(i, m->spec->seed + (uint64_t)tries, card);
        p.card = card;
        if (store_customer_add(m->s, staff, &p, &cu) == 0)
            break;
        /* A random card id may collide with one in use: draw again. */
        if (tries == 5 || !strstr(store_error(m->s), _("that card is already in use"))) {
            note_error(m);
            return -1;
        }
    }
    memcpy(c->id, cu.id, sizeof c->id);
    c->enrolled = true;
    m->enrolled[m->nenrolled++] = i;
    m->st->customers++;
    m->st->events++;
    m->tx_events++;
    return 0;
}

/* A refund (amount > 0) or a void (amount 0) of an event nothing has
 * corrected yet: the very events store_refund and store_void record for
 * it (same type, reference, occasion, reason and effect), appended through
 * the store's one event path. The seed corrects an event at most once,
 * right after it, so the effect still standing is the event's own and need
 * not be looked up: store_refund and store_void look it up with a query
 * (ledger.c net_effect) that scans the whole events table, which costs
 * ~0.3 s per call on two million events. tests/unit/test_report.c checks
 * these events against the ledger's rules. */
static int correct(struct sim *m, const char *staff, const char *ref, int64_t amount,
                   const char *reason)
{
    struct store_event orig, ev;
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq;
    if (store_parse_event_ref(ref, origin, &seq) != 0 || store_get_event(m->s, origin, seq, &orig) != 0)
        return -1;
    if (amount) {
        if (orig.spend <= 0 || amount > orig.spend)
            return store_fail(m->s, "bad refund");
        event_init(&ev, "refund", staff, orig.customer);
        memcpy(ev.ref_origin, orig.origin, sizeof ev.ref_origin);
        ev.ref_seq = orig.seq;
        ev.points = -muldiv(orig.points, amount, orig.spend);
        ev.stamps = -muldiv(orig.stamps, amount, orig.spend);
        ev.credit = -muldiv(orig.credit, amount, orig.spend);
        ev.spend = -amount;
        ev.visits = amount == orig.spend ? -1 : 0;
    } else {
        void_init(&ev, staff, &orig, &orig);    /* all of it still stands */
    }
    snprintf(ev.reason, sizeof ev.reason, "%s", reason);
    store *s = m->s;
    IN_TX(event_append(s, &ev));
}

static int64_t price(struct sim *m, int lo_cents, int hi_cents)
{
    int64_t cents = rnd_range(&m->rng, lo_cents, hi_cents);
    int64_t v = cents * m->factor / 100;
    return v > 0 ? v : 1;
}

static void visit(struct sim *m, int i, int64_t t)
{
    struct who *c = &m->w[i];
    store *s = m->s;
    const char *staff = shift_staff(m, t);
    struct store_result r;
    if (!c->enrolled) {
        if (enrol(m, i, t, staff) != 0)
            return;
        t += 20000;
    }
    if (c->coupon[0] && m->day > c->coupon_until)
        c->coupon[0] = '\0';    /* expired unused */
    if (c->coupon[0] && chance(&m->rng, 6000)) {
        at(m, t);
        ok(m, store_coupon_redeem(s, staff, c->coupon, c->id, &r), 1);
        c->coupon[0] = '\0';
        t += 15000;
    }
    struct store_earn e = { 0 };
    switch (c->basket) {
    case 0:
        e.amount = price(m, 250, 560);
        e.items = chance(&m->rng, 1000) ? 2 : 1;
        e.category = "coffee";
        break;
    case 1:
        e.amount = price(m, 480, 1050);
        e.items = 2;
        e.category = chance(&m->rng, 5000) ? "coffee" : "bakery";
        break;
    default:
        e.amount = price(m, 900, 2400);
        e.items = rnd_range(&m->rng, 1, 3);
        e.category = "lunch";
    }
    at(m, t);
    if (!ok(m, store_earn(s, staff, c->id, &e, &r), 1))
        return;
    if (r.bonus_points || r.expired_points) {
        m->st->events += 1;
        m->tx_events += 1;
    }
    /* Corrections: a refund, a barista's undo, a manager's void. */
    uint32_t u = seed_rnd(&m->rng, 10000);
    char ref[sizeof r.ref];
    memcpy(ref, r.ref, sizeof ref);
    if (u < 25) {
        at(m, t + rnd_range(&m->rng, 2, 30) * 60000LL);
        if (ok(m, correct(m, staff, ref, e.amount, "customer changed their mind"), 1))
            return;
    } else if (u < 50) {
        at(m, t + rnd_range(&m->rng, 2, 30) * 60000LL);
        ok(m, correct(m, staff, ref, e.amount / 3 > 0 ? e.amount / 3 : 1, "one item returned"), 1);
    } else if (u < 65) {
        at(m, t + rnd_range(&m->rng, 20, 180) * 1000LL);
        if (ok(m, correct(m, staff, ref, 0, "wrong card"), 1))
            return;
    } else if (u < 75) {
        at(m, t + rnd_range(&m->rng, 10, 90) * 60000LL);
        if (ok(m, correct(m, m->manager, ref, 0, "entered twice"), 1))
            return;
    }
    t += 40000;
    struct store_customer cu;
    if (store_customer_get(s, c->id, &cu) != 0) {
        note_error(m);
        return;
    }
    const char *give = NULL;
    if (cu.stamps >= m->stamp_card && chance(&m->rng, 8500))
        give = m->reward_stamps;
    else if (cu.points >= m->big_points && chance(&m->rng, 500))
        give = m->reward_big;
    else if (cu.points >= m->mid_points && chance(&m->rng, 1000))
        give = m->reward_mid;
    else if (cu.points >= m->small_points && chance(&m->rng, 600))
        give = m->reward_small;
    if (give) {
        at(m, t);
        if (ok(m, store_redeem(s, staff, c->id, give, NULL, &r), 1) && chance(&m->rng, 40)) {
            memcpy(ref, r.ref, sizeof ref);
            at(m, t + 5 * 60000);
            ok(m, correct(m, m->manager, ref, 0, "reward not handed out"), 1);
        }
        t += 10000;
    } else if (cu.points >= 300 && chance(&m->rng, 300)) {
        at(m, t);
        ok(m, store_pay_points(s, staff, c->id, 200, NULL), 1);
        t += 10000;
    }
    if (cu.credit >= 2 * m->factor && chance(&m->rng, 400)) {
        at(m, t);
        ok(m, store_pay_credit(s, staff, c->id, cu.credit, NULL), 1);
        t += 10000;
    }
    if (m->day - c->last_nps >= 90 && chance(&m->rng, 700)) {
        uint32_t k = seed_rnd(&m->rng, 100);
        int score = k < 35 ? 10 : k < 60 ? 9 : k < 73 ? 8 : k < 85 ? 7 : k < 92 ? 6
                  : k < 96 ? 5 : (int)seed_rnd(&m->rng, 5);
        at(m, t);
        ok(m, store_nps(s, staff, c->id, score), 1);
        c->last_nps = m->day;
        t += 10000;
    }
    if (chance(&m->rng, 5)) {
        at(m, t + 3600000);
        ok(m, store_adjust(s, m->manager, c->id, 25, 0, "goodwill: long wait", NULL), 1);
    }
    if ((c->kind == RARE || c->kind == OCCASIONAL) && chance(&m->rng, 8)) {
        at(m, t + 300000);
        if (ok(m, store_customer_forget(s, staff, c->id), 1))
            c->forgotten = true;
    }
}

/* Win-back: coupons for members with consent who stopped coming; three
 * in ten of them come back for a while. */
static void campaign(struct sim *m, int64_t t)
{
    struct store_coupon cp;
    int quota = m->n / 400 + 1;
    for (int k = 0; k < m->nenrolled && quota > 0; k++) {
        struct who *c = &m->w[m->enrolled[k]];
        if (c->forgotten || !c->consent || c->coupon[0] || c->stop_day >= m->day ||
            !chance(&m->rng, 2500))
            continue;
        struct store_coupon_spec spec = { .customer = c->id, .reward = m->reward_small,
                                          .expires = t + 30 * DAY_MS };
        at(m, t);
        if (!ok(m, store_coupon_issue(m->s, m->manager, &spec, &cp), 1))
            continue;
        memcpy(c->coupon, cp.code, sizeof c->coupon);
        c->coupon_until = m->day + 29;
        quota--;
        if (chance(&m->rng, 3000)) {
            c->stop_day = m->day + rnd_range(&m->rng, 20, 120);
            c->next_day = m->day + rnd_range(&m->rng, 1, 14);
        }
    }
}

/* The demo campaign: a past experiment with an effect built in, so that
 * 'tally report campaign' shows a result worth reading. The occasional
 * visitors of its first morning are split by the campaign's own keyed hash
 * into a holdout (20 %) and two variants, a free croissant and 40 bonus
 * points; of the croissant's members about two in three come back within
 * ten days (and mostly use the coupon) and then about weekly, of the
 * points' three in ten, twice as often as before; of the holdout only
 * those who would have anyway. Which members each arm
 * draws depends on the shop's secret, so this part of the history is the
 * same only in its proportions (store_seed_spec.campaign). */
#define CAMPAIGN_DAYS 28

struct sim_member { const char *id; int32_t index; };

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct sim_member *)a)->id, ((const struct sim_member *)b)->id);
}

struct arms_walk { struct sim *m; struct sim_member *by_id; int n; };

static int campaign_member(const struct store_campaign_member *cm, void *arg)
{
    struct arms_walk *w = arg;
    struct sim *m = w->m;
    struct sim_member key = { cm->customer, 0 };
    const struct sim_member *hit = bsearch(&key, w->by_id, (size_t)w->n, sizeof key, cmp_member);
    if (!hit || strcmp(cm->arm, STORE_CAMPAIGN_HOLDOUT) == 0)
        return 0;
    struct who *c = &m->w[hit->index];
    bool croissant = strcmp(cm->arm, "A") == 0;
    if (c->forgotten || !chance(&m->rng, croissant ? 6500 : 3000))
        return 0;
    /* Back within ten days, and coming about weekly (the croissant) or
     * twice as often as before (the points) from then on. */
    c->next_day = m->day + rnd_range(&m->rng, 1, 10);
    int16_t often = croissant ? 70 : (int16_t)(c->interval_x10 / 2);
    if (often < c->interval_x10)
        c->interval_x10 = often > 30 ? often : 30;
    if (c->stop_day < m->day + 60)
        c->stop_day = m->day + rnd_range(&m->rng, 60, 150);
    if (c->visits_left == 0)
        c->visits_left = (int16_t)rnd_range(&m->rng, 1, 3);
    if (cm->coupon[0]) {
        memcpy(c->coupon, cm->coupon, sizeof c->coupon);
        c->coupon_until = m->day + CAMPAIGN_DAYS - 1;
    }
    return 0;
}

static int count_member(const struct store_member_row *r, void *arg)
{
    (void)r;
    return ++*(int *)arg, 0;
}

static void demo_campaign(struct sim *m, int64_t t)
{
    struct store_campaign_spec spec = {
        .name = _("Come-back test"), .segment = "occasional", .narms = 2, .holdout = 2000,
        .expires = t + CAMPAIGN_DAYS * DAY_MS, .channels = STORE_CHANNEL_COUNTER,
    };
    snprintf(spec.arm[0].name, sizeof spec.arm[0].name, "A");
    snprintf(spec.arm[1].name, sizeof spec.arm[1].name, "B");
    if (store_offer_parse(m->s, "reward:Croissant", &spec.arm[0].offer) != 0 ||
        store_offer_parse(m->s, "points:40", &spec.arm[1].offer) != 0) {
        note_error(m);
        return;
    }
    at(m, t);
    struct store_report_query q = { .till = NULL };
    int occasional = 0;
    if (store_period_parse(m->s, NULL, NULL, NULL, NULL, &q.period) != 0 ||
        store_report_segment_members(m->s, &q, store_segment_parse(spec.segment), 0, count_member, &occasional) != 0) {
        note_error(m);
        return;
    }
    struct store_campaign c;
    if (occasional < 10 || !ok(m, store_campaign_create(m->s, m->manager, &spec, &c), 0))
        return;     /* too few to learn anything from */
    snprintf(m->st->campaign, sizeof m->st->campaign, "%s", c.name);
    m->st->events += 2 * c.members;
    m->tx_events += 2 * c.members;
    struct arms_walk w = { m, calloc((size_t)m->nenrolled + 1, sizeof *w.by_id), 0 };
    if (!w.by_id) {
        note_error(m);
        return;
    }
    for (int k = 0; k < m->nenrolled; k++)
        w.by_id[w.n++] = (struct sim_member){ m->w[m->enrolled[k]].id, m->enrolled[k] };
    qsort(w.by_id, (size_t)w.n, sizeof *w.by_id, cmp_member);
    if (store_campaign_members(m->s, c.id, campaign_member, &w) != 0)
        note_error(m);
    free(w.by_id);
}

static int cmp_visit(const void *a, const void *b)
{
    const struct visit *x = a, *y = b;
    if (x->at != y->at)
        return (x->at > y->at) - (x->at < y->at);
    return (x->who > y->who) - (x->who < y->who);
}

/* Hours the café is busy, 7:00 to 19:00, in percent of the day's visits. */
static const int HOURS[12] = { 8, 14, 10, 7, 7, 11, 10, 7, 8, 8, 6, 4 };

static int64_t time_of_day(struct sim *m)
{
    int k = (int)seed_rnd(&m->rng, 100), h = 0;
    while (h < 11 && k >= HOURS[h])
        k -= HOURS[h++];
    return (int64_t)(7 + h) * 3600000 + (int64_t)seed_rnd(&m->rng, 3600) * 1000;
}

static int run_day(struct sim *m)
{
    int d = m->day;
    int64_t base = local_midnight(m->first_day + d);
    m->ntoday = 0;
    for (int k = 0; k < m->n; k++) {
        struct who *c = &m->w[m->order[k]];
        if (c->join_day > d)
            break;
        if (c->forgotten || c->next_day != d || d > c->stop_day || c->visits_left == 0)
            continue;
        if (m->ntoday == m->captoday) {
            int cap = m->captoday ? m->captoday * 2 : 1024;
            struct visit *grown = realloc(m->today, sizeof *grown * (size_t)cap);
            if (!grown)
                return store_fail(m->s, _("out of memory"));
            m->today = grown;
            m->captoday = cap;
        }
        m->today[m->ntoday].at = base + time_of_day(m);
        m->today[m->ntoday].who = m->order[k];
        m->ntoday++;
        /* The next visit: around the customer's usual interval. */
        int gap = c->interval_x10 * rnd_range(&m->rng, 3, 17) / 100;
        c->next_day = d + (gap > 0 ? gap : 1);
        if (c->visits_left > 0)
            c->visits_left--;
    }
    qsort(m->today, (size_t)m->ntoday, sizeof *m->today, cmp_visit);
    if (d % 30 == 15 && base + 6 * 3600000 < m->end)
        campaign(m, base + 6 * 3600000 + 1800000);
    if (d == m->campaign_day && base + 6 * 3600000 < m->end)
        demo_campaign(m, base + 6 * 3600000 + 2400000);
    int64_t last = 0;
    for (int k = 0; k < m->ntoday; k++) {
        int64_t t = m->today[k].at > last ? m->today[k].at : last + 1000;
        if (t >= m->end)
            break;
        visit(m, m->today[k].who, t);
        last = store_now(m->s);
        if (last < t)
            last = t;
        last += 1000;
    }
    if (d % 30 == 29 && base + 23 * 3600000 < m->end) {
        int64_t expired = 0;
        at(m, base + 23 * 3600000);
        ok(m, store_expire(m->s, NULL, &expired), 0);
    }
    return 0;
}

static int run_batch(store *s, void *arg)
{
    (void)s;
    struct sim *m = arg;
    m->tx_events = 0;
    while (m->day < m->days && m->tx_events < SEED_TX_EVENTS) {
        if (run_day(m) != 0)
            return -1;
        m->day++;
        if (m->st->failed > 100 + m->st->events / 100)
            return store_fail(m->s, _("the demo history could not be written: %s"), m->first_error);
    }
    return 0;
}

static int setup_tx(store *s, void *arg)
{
    (void)s;
    return seed_setup(arg);
}

int store_seed_demo(store *s, const struct store_seed_spec *spec, struct store_seed_stats *out)
{
    struct store_seed_stats stats = { 0 };
    if (!out)
        out = &stats;
    memset(out, 0, sizeof *out);
    if (spec->customers < 1 || spec->customers > 10000000 || spec->days < 1 || spec->days > 3650)
        return store_fail(s, _("give 1 to 10,000,000 customers and 1 to 3650 days"));
    if (require_manager(s, spec->manager) != 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM customers LIMIT 1");
    if (!st)
        return -1;
    int held = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (held)
        return store_fail(s, _("demo history goes into a shop without customers; this one has some: use a new database (--db)"));

    struct sim m = { .s = s, .spec = spec, .st = out, .n = spec->customers, .days = spec->days,
                     .campaign_day = NO_DAY };
    /* It starts two months before the end, with a month's history at
     * least behind it, and ends a month before the end. */
    if (spec->campaign && spec->days >= 90)
        m.campaign_day = spec->days - 60;
    m.rng = spec->seed ^ 0x5eed5eed5eed5eedULL;
    snprintf(m.manager, sizeof m.manager, "%s", spec->manager);
    int64_t saved_clock = s->clock_ms;
    m.end = spec->end ? spec->end : store_now(s);
    int y, mo, d;
    local_date(m.end - 1, &y, &mo, &d, NULL, NULL);
    m.first_day = days_from_civil(y, mo, d) - (spec->days - 1);
    m.w = calloc((size_t)m.n, sizeof *m.w);
    m.order = calloc((size_t)m.n, sizeof *m.order);
    m.enrolled = calloc((size_t)m.n, sizeof *m.enrolled);
    int rc = -1;
    if (!m.w || !m.order || !m.enrolled || (draw_customers(&m), order_customers(&m)) != 0) {
        store_fail(s, _("out of memory"));
        goto done;
    }
    int64_t before = store_event_count(s);
    /* The program, staff and rewards exist from the first morning on. */
    store_set_clock(s, local_midnight(m.first_day) + 6 * 3600000);
    if (store_atomically(s, setup_tx, &m) != 0)
        goto done;
    /* A bigger page cache while writing a lot: the indexes stay in memory. */
    sql_exec(s, "PRAGMA cache_size = -1048576");
    while (m.day < m.days) {
        if (store_atomically(s, run_batch, &m) != 0)
            goto done;
        /* The store's commit leaves its statements open while SQLite tries
         * to checkpoint, so the WAL is never copied back and grows (see
         * db.c tx_commit); a passive checkpoint between batches keeps it
         * small, and blocks nobody. */
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (spec->progress)
            spec->progress(spec->arg, m.day, m.days);
    }
    /* A seeded history is a shop's whole history at once: its rollups'
     * log is folded in bulk now (rollup.c), not by syncd over minutes. */
    if (store_rollup_fold(s, 0) < 0)
        goto done;
    out->events = store_event_count(s) - before;
    if (m.first_error[0])
        snprintf(out->first_error, sizeof out->first_error, "%s", m.first_error);
    rc = 0;
done:
    sql_exec(s, "PRAGMA cache_size = -2000");
    store_set_clock(s, saved_clock);
    free(m.w);
    free(m.order);
    free(m.enrolled);
    free(m.today);
    return rc;
}
