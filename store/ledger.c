/* ledger.c - the loyalty rules. Each function checks its input, works out
 * the effect under the rules in force now, and appends the event(s) that
 * record it, all in one transaction. A receiving till never re-derives an
 * effect: what is decided here is what every till adds up. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define DAY_MS ((int64_t)86400000)

/* muldiv (util), false when the result is beyond 4 * 10^18 (no wrap). */
static bool muldiv_fits(int64_t a, int64_t b, int64_t c, int64_t *out)
{
#ifdef __SIZEOF_INT128__
    __int128 r = (__int128)a * b / c;
#else
    long double r = (long double)a * b / c;
#endif
    if (r > 4000000000000000000LL || r < -4000000000000000000LL)
        return false;
    *out = (int64_t)r;
    return true;
}

int64_t pow10i(int digits)
{
    int64_t p = 1;
    while (digits-- > 0)
        p *= 10;
    return p;
}

int customer_live(store *s, const char *id, struct store_customer *c)
{
    if (!id || store_customer_get(s, id, c) != 0)
        return store_fail(s, _("no such customer"));
    if (c->forgotten)
        return store_fail(s, _("this customer asked to be forgotten; enrol them again with a new card"));
    return 0;
}

void result_init(struct store_result *r)
{
    memset(r, 0, sizeof *r);
}

void result_from(struct store_result *r, const struct store_event *ev)
{
    if (!r)
        return;
    event_ref(ev, r->ref, sizeof r->ref);
    r->points = ev->points;
    r->stamps = ev->stamps;
    r->credit = ev->credit;
}

/* Abuse limits: transactions per day and time between stamps. A manager's
 * override passes them, and the reason goes into the event. */
int check_limits(store *s, const char *customer, bool stamp,
                 const struct store_override *ov, struct store_event *ev)
{
    int64_t now = store_now(s), per_day = setting_int(s, "limits.per_day");
    int64_t gap = setting_int(s, "limits.stamp_gap_minutes") * 60000;
    const char *refusal = NULL;
    char msg[256];
    if (per_day > 0) {
        sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM events WHERE customer = ?1 AND wall >= ?2"
                                  " AND type IN ('earn', 'redeem', 'pay', 'coupon_use')");
        if (!st)
            return -1;
        bind_text(st, 1, customer);
        sqlite3_bind_int64(st, 2, day_start_local(now));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= per_day) {
            snprintf(msg, sizeof msg, ngettext("limit reached: %" PRId64 " loyalty transaction for this customer today; a manager can override it",
                                               "limit reached: %" PRId64 " loyalty transactions for this customer today; a manager can override it",
                                               i18n_n(per_day)), per_day);
            refusal = msg;
        }
    }
    if (!refusal && stamp && gap > 0) {
        sqlite3_stmt *st = sql_keyed(s, "SELECT max(wall) FROM events WHERE customer = ?1 AND stamps > 0"
                                  " AND type = 'earn'", customer);
        if (!st)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
            now - sqlite3_column_int64(st, 0) < gap) {
            snprintf(msg, sizeof msg, ngettext("too soon for another stamp: at least %" PRId64 " minute between stamps; a manager can override it",
                                               "too soon for another stamp: at least %" PRId64 " minutes between stamps; a manager can override it",
                                               i18n_n(gap / 60000)), gap / 60000);
            refusal = msg;
        }
    }
    if (!refusal)
        return 0;
    if (!ov)
        return store_fail(s, "%s", refusal);
    if (require_manager(s, ov->manager) != 0)
        return -1;
    if (!ov->reason || text_clean(ov->reason, ev->reason, sizeof ev->reason, STORE_TEXT_MAX) != 0 || !ev->reason[0])
        return store_fail(s, _("an override needs a reason"));
    return 1;   /* overridden */
}

/* While an import works on its copy nothing else writes there (as for the
 * tier window, program.c), and each purchase of a customer asks whether
 * points are due. Reckoned afresh each time from the customer's whole
 * history, an import of years of purchases was quadratic in each
 * customer's. So the reckoning is kept per customer: its cutoff and what
 * is unspent of the points earned before it (earned before it - spent,
 * exact, below zero when spending went beyond). A later cutoff adds the
 * lots opened in between, as they stand (lots_between); the copy's own
 * spending (a redemption, an expiry) is taken off as it is made. Whatever
 * else could change the sum drops the entry (expiry_cache_note), and a
 * rollback drops them all (expiry_cache_drop). */
#define EXPIRY_CACHE_SLOTS 65536    /* a power of two: 2 MB */
struct expiry_cache {
    char customer[STORE_ID_LEN + 1];
    int64_t cutoff, unspent;
};

static struct expiry_cache *expiry_slot(store *s, const char *customer)
{
    if (!s->importing)
        return NULL;
    if (!s->expiry_cache && !(s->expiry_cache = calloc(EXPIRY_CACHE_SLOTS, sizeof *s->expiry_cache)))
        return NULL;
    return &s->expiry_cache[id_hash(customer) & (EXPIRY_CACHE_SLOTS - 1)];
}

/* Spending of the copy's own comes off; points earned after the cutoff
 * count when it passes them; an event of its own that lost its occasion
 * (it is the newest, so it takes none) changes nothing. Anything else
 * drops the entry: points earned before the cutoff (a purchase imported
 * out of date order), a correction (a refund, a void, and the lots they
 * settle), another till's event (it may take an occasion, and so its
 * points, from one counted before). */
void expiry_cache_note(store *s, const struct store_event *ev, bool counts)
{
    if (!s->expiry_cache || !ev->customer[0])
        return;
    struct expiry_cache *k = expiry_slot(s, ev->customer);
    if (!k || strcmp(k->customer, ev->customer) != 0)
        return;
    if (ev->ref_origin[0] || strcmp(ev->origin, s->origin) != 0)
        k->customer[0] = '\0';
    else if (!counts)
        return;
    else if (ev->points > 0 && ev->wall < k->cutoff)
        k->customer[0] = '\0';
    else if (ev->points < 0)
        k->unspent += ev->points;
}

void expiry_cache_drop(store *s)
{
    if (s->expiry_cache)
        memset(s->expiry_cache, 0, EXPIRY_CACHE_SLOTS * sizeof *s->expiry_cache);
}

/* The points the lots opened in [from, to) hold now, as due_before's
 * reckoning counts them: each lot's own event, its corrections (two
 * levels: a void of a refund) and its settlement (lot_adjust). */
#define OPENED "l.customer = ?1 AND l.wall >= ?2 AND l.wall < ?3 AND l.points > 0 AND l.ref_origin = ''"
#define CORRECTS(c, l) c ".ref_origin <> '' AND " c ".ref_origin = " l ".origin AND " c ".ref_seq = " l ".seq"
static int lots_between(store *s, const char *customer, int64_t from, int64_t to, int64_t *held)
{
    sqlite3_stmt *st = store_sql(s,
        "SELECT (SELECT coalesce(sum(l.points), 0) FROM events l WHERE " OPENED " AND " COUNTED("l") ")"
        " + (SELECT coalesce(sum(c.points), 0) FROM events l JOIN events c ON " CORRECTS("c", "l")
        "    WHERE " OPENED " AND " COUNTED("c") ")"
        " + (SELECT coalesce(sum(v.points), 0) FROM events l JOIN events c ON " CORRECTS("c", "l")
        "    JOIN events v ON " CORRECTS("v", "c") " WHERE " OPENED " AND " COUNTED("v") ")"
        " + (SELECT coalesce(sum(a.points), 0) FROM events l JOIN lot_adjust a ON a.origin = l.origin"
        "    AND a.seq = l.seq WHERE " OPENED " AND a.customer = ?1)");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    *held = sqlite3_column_int64(st, 0);
    return 0;
}

/* The unspent points before cutoff from the kept reckoning, moved on to
 * it: true, or false when none is kept (then reckon afresh). */
static int kept_unspent(store *s, struct expiry_cache *k, const char *customer, int64_t cutoff,
                        bool *kept, int64_t *unspent)
{
    *kept = k && strcmp(k->customer, customer) == 0 && k->cutoff <= cutoff;
    if (!*kept)
        return 0;
    int64_t held = 0;
    if (lots_between(s, customer, k->cutoff, cutoff, &held) != 0)
        return -1;
    k->cutoff = cutoff;
    k->unspent += held;
    *unspent = k->unspent;
    return 0;
}

/* Points earned before cutoff less all points spent, from the customer's
 * whole history. */
static int reckon_unspent(store *s, const char *customer, int64_t cutoff, int64_t *unspent)
{
    /* Each points effect belongs to a lot: the event itself, or for a
     * refund or void the event it corrects (two levels: a void of a
     * refund). Lots that gave points are "earned", dated by the lot; lots
     * that took points (redeem, pay, expire, a negative adjustment) are
     * "spent". A refunded purchase thus shrinks its own lot instead of
     * counting as spending, and a purchase refunded beyond it at tills
     * cut off from each other shrinks to nothing, not below (its
     * correction, events.c lot_settle). */
    sqlite3_stmt *st = store_sql(s, "SELECT coalesce(sum(CASE WHEN lot_points > 0 AND lot_wall < ?2 THEN points END), 0),"
                              " coalesce(-sum(CASE WHEN lot_points < 0 THEN points END), 0) FROM ("
                              " SELECT e.points, coalesce(a2.points, a1.points, e.points) AS lot_points,"
                              "  coalesce(a2.wall, a1.wall, e.wall) AS lot_wall"
                              " FROM events e"
                              " LEFT JOIN events a1 ON e.ref_origin <> '' AND a1.origin = e.ref_origin AND a1.seq = e.ref_seq"
                              " LEFT JOIN events a2 ON a1.ref_origin <> '' AND a2.origin = a1.ref_origin AND a2.seq = a1.ref_seq"
                              " WHERE e.customer = ?1 AND e.points <> 0 AND " COUNTED("e")
                              " UNION ALL SELECT a.points, p.points, p.wall FROM lot_adjust a"
                              "  JOIN events p ON p.origin = a.origin AND p.seq = a.seq WHERE a.customer = ?1 AND a.points <> 0)");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, cutoff);
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    *unspent = sqlite3_column_int64(st, 0) - sqlite3_column_int64(st, 1);
    return 0;
}

/* Points earned before cutoff and not spent since (spending always uses
 * the oldest points); 0 as well when `occasion` (if given) is held. */
static int due_before(store *s, const char *customer, int64_t cutoff, const char *occasion, int64_t *due)
{
    *due = 0;
    /* Most customers have no points older than the cutoff: one index
     * probe spares everything below. */
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM events WHERE customer = ?1 AND wall < ?2 AND points > 0 LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, cutoff);
    if (sqlite3_step(st) != SQLITE_ROW)
        return 0;
    struct expiry_cache *k = expiry_slot(s, customer);
    bool kept;
    int64_t unspent = 0;
    if (kept_unspent(s, k, customer, cutoff, &kept, &unspent) != 0)
        return -1;
    if (kept && unspent <= 0)
        return 0;
    if (occasion) {
        st = sql_keyed(s, "SELECT 1 FROM occasions WHERE key = ?1", occasion);
        if (!st)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
            return 0;   /* done today already, here or at a till we heard from */
    }
    if (!kept && reckon_unspent(s, customer, cutoff, &unspent) != 0)
        return -1;
    if (k && !kept) {
        snprintf(k->customer, sizeof k->customer, "%s", customer);
        k->cutoff = cutoff;
        k->unspent = unspent;
    }
    struct store_customer c;
    if (store_customer_get(s, customer, &c) != 0)
        return -1;
    *due = unspent < c.points ? unspent : c.points;
    if (*due < 0)
        *due = 0;
    return 0;
}

int points_due(store *s, const char *customer, int64_t cutoff, int64_t *due)
{
    return due_before(s, customer, cutoff, NULL, due);
}

/* Points earned longer ago than points.expire_days and not spent since
 * expire. */
int expire_customer(store *s, const char *customer, int64_t *expired)
{
    *expired = 0;
    int64_t days = setting_int(s, "points.expire_days");
    if (days <= 0)
        return 0;
    int64_t now = store_now(s), cutoff = now - days * DAY_MS, due;
    char occasion[96];
    snprintf(occasion, sizeof occasion, "expire:%s:%" PRId64, customer, cutoff / DAY_MS);
    if (due_before(s, customer, cutoff, occasion, &due) != 0)
        return -1;
    if (due <= 0)
        return 0;
    struct store_event ev;
    event_init(&ev, "expire", "", customer);
    ev.points = -due;
    snprintf(ev.occasion, sizeof ev.occasion, "%s", occasion);
    snprintf(ev.data, sizeof ev.data, "{\"before\":%" PRId64 "}", cutoff);
    if (event_append(s, &ev) != 0)
        return -1;
    *expired = due;
    return 0;
}

static int bonus(store *s, const char *staff, const char *customer, const char *occasion,
                 const char *kind, int64_t points, int64_t *granted)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT 1 FROM occasions WHERE key = ?1", occasion);
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW || points <= 0)
        return 0;
    struct store_event ev;
    event_init(&ev, "bonus", staff, customer);
    ev.points = points;
    snprintf(ev.occasion, sizeof ev.occasion, "%s", occasion);
    snprintf(ev.data, sizeof ev.data, "{\"kind\":\"%s\"}", kind);
    if (event_append(s, &ev) != 0)
        return -1;
    *granted += points;
    return 0;
}

/* Days from today to the customer's birthday this year (negative: it was
 * this many days ago), the nearest occurrence across New Year. */
static bool birthday_near(const char *birthday, int64_t now, int window, int *year)
{
    int m, d;
    if (strlen(birthday) < 5 || sscanf(birthday + strlen(birthday) - 5, "%d-%d", &m, &d) != 2)
        return false;
    int ty, tm, td;
    local_date(now, &ty, &tm, &td, NULL, NULL);
    int64_t today = days_from_civil(ty, tm, td);
    for (int y = ty - 1; y <= ty + 1; y++) {
        int dd = d;
        if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
            dd = 28;    /* a leap-day birthday is kept on the 28th */
        int64_t diff = days_from_civil(y, m, dd) - today;
        if (diff >= -window && diff <= window) {
            *year = y;
            return true;
        }
    }
    return false;
}

/* The points of a purchase: amount x points.per_unit x the tier's and the
 * promotion's multipliers (each in thousandths), no step wrapping. The
 * settings are bounded (program.c), but a till can hear of a promotion and
 * a rate change made elsewhere: a purchase whose points do not fit in an
 * event is refused, never recorded wrong. */
static int earn_points(store *s, int64_t amount, int64_t tier_milli, int64_t promo_milli, int64_t *points)
{
    int64_t milli;
    if (!muldiv_fits(amount, setting_int(s, "points.per_unit"), pow10i(s->digits), &milli) ||
        !muldiv_fits(milli, tier_milli, 1000, &milli) || !muldiv_fits(milli, promo_milli, 1000, &milli) ||
        milli / 1000 > POINTS_MAX)
        return store_fail(s, _("this purchase would earn more than %lld points, more than tally can record; check points.per_unit, the tiers and the promotions ('tally program show')"),
                          (long long)POINTS_MAX);
    *points = milli / 1000;
    return 0;
}

static int earn_tx(store *s, const char *staff, const char *customer,
                   const struct store_earn *e, struct store_result *out)
{
    struct store_customer c;
    struct store_tier_status before, after;
    if (require_staff(s, staff) != 0 || customer_live(s, customer, &c) != 0)
        return -1;
    if (e->amount <= 0 || e->amount > 10000000 * pow10i(s->digits))
        return store_fail(s, _("the amount must be more than zero and at most 10,000,000"));
    int items = e->items > 0 ? e->items : 1;
    if (items > 1000)
        return store_fail(s, _("at most 1000 items in one purchase"));
    int64_t now = store_now(s), expired;
    if (expire_customer(s, customer, &expired) != 0 || tier_status(s, customer, now, &before) != 0)
        return -1;

    struct store_event ev;
    event_init(&ev, "earn", staff, customer);
    /* The best of a running promotion and the customer's campaign offer. */
    int64_t promo = promo_multiplier(s, now, e->category, before.tier), offer = campaign_multiplier(s, customer, now);
    if (offer > promo)
        promo = offer;
    if (earn_points(s, e->amount, before.multiplier_milli, promo, &ev.points) != 0)
        return -1;
    int64_t min_amount = muldiv(setting_int(s, "stamps.min_amount"), pow10i(s->digits), 1000);
    if (category_earns_stamps(s, e->category) && e->amount >= min_amount) {
        char per[16];
        store_setting_get(s, "stamps.per", per, sizeof per);
        ev.stamps = strcmp(per, "item") == 0 ? items : 1;
    }
    ev.credit = muldiv(e->amount, setting_int(s, "cashback.percent"), 10000);
    ev.spend = e->amount;
    ev.visits = 1;
    /* History brought by an import passes no abuse limit (its purchases
     * happened elsewhere, many on one day). */
    int over = s->importing ? 0 : check_limits(s, customer, ev.stamps > 0, e->override, &ev);
    if (over < 0)
        return -1;

    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_int(&jb, "items", items);
    if (e->category && *e->category) {
        char cat[128];
        if (text_fold(e->category, cat, sizeof cat) != 0 || strlen(cat) > 60) {
            jb_free(&jb);
            return store_fail(s, _("the category name is too long"));
        }
        jb_key_str(&jb, "category", cat);
    }
    jb_key_str(&jb, "tier", before.tier);
    jb_key_int(&jb, "multiplier", before.multiplier_milli);
    jb_key_int(&jb, "promo", promo);
    if (over) {
        jb_key_str(&jb, "override", e->override->manager);
    }
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0 || event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    if (out) {
        out->expired_points = expired;
        snprintf(out->tier_before, sizeof out->tier_before, "%s", before.tier);
    }

    int64_t granted = 0;
    char occasion[96];
    if (c.visits == 0 && c.referred_by[0]) {
        int64_t rp = setting_int(s, "referral.points");
        struct store_customer r;
        snprintf(occasion, sizeof occasion, "referral:%s", customer);
        if (bonus(s, staff, customer, occasion, "referral", rp, &granted) != 0)
            return -1;
        if (store_customer_get(s, c.referred_by, &r) == 0 && !r.forgotten) {
            int64_t ignored = 0;
            snprintf(occasion, sizeof occasion, "referral:%s:by", customer);
            if (bonus(s, staff, c.referred_by, occasion, "referrer", rp, &ignored) != 0)
                return -1;
        }
    }
    int year;
    if (c.birthday[0] && birthday_near(c.birthday, now, (int)setting_int(s, "birthday.window_days"), &year)) {
        snprintf(occasion, sizeof occasion, "birthday:%s:%d", customer, year);
        if (bonus(s, staff, customer, occasion, "birthday", setting_int(s, "birthday.points"), &granted) != 0)
            return -1;
    }
    tier_for_spend(s, before.window_spend + e->amount, &after);
    char ref[STORE_ORIGIN_LEN + 24];
    event_ref(&ev, ref, sizeof ref);
    /* Not for imported history: it is news to nobody. */
    if (!s->importing && messages_on_earn(s, staff, &c, &before, &after, ev.points + granted, ev.stamps, ref) != 0)
        return -1;
    char entry[16] = "";
    if (!s->importing && perks_on_earn(s, staff, customer, &before, &after, entry) != 0)    /* perks.c */
        return -1;
    if (out) {
        snprintf(out->tier_coupon, sizeof out->tier_coupon, "%s", entry);
        out->bonus_points = granted;
        snprintf(out->tier_after, sizeof out->tier_after, "%s", after.tier);
    }
    return 0;
}


int store_earn(store *s, const char *staff, const char *customer,
               const struct store_earn *e, struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(earn_tx(s, staff, customer, e, out));
}

void store_set_offline(store *s, bool offline)
{
    s->offline = offline;
}

/* Offline, a customer may spend at most offline.redeem_limit points a day
 * at this till; a manager's override passes (and is recorded). */
static int check_offline_limit(store *s, const char *customer, int64_t points,
                               const struct store_override *ov, struct store_event *ev)
{
    int64_t limit = setting_int(s, "offline.redeem_limit");
    if (!s->offline || limit <= 0 || points <= 0)
        return 0;
    sqlite3_stmt *st = store_sql(s, "SELECT coalesce(-sum(points), 0) FROM events WHERE customer = ?1"
                              " AND origin = ?2 AND wall >= ?3 AND type IN ('redeem', 'pay') AND points < 0");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    bind_text(st, 2, s->origin);
    sqlite3_bind_int64(st, 3, day_start_local(store_now(s)));
    int64_t spent = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (spent + points <= limit)
        return 0;
    if (!ov)
        return store_fail(s, ngettext("this till is offline: a customer may spend at most %" PRId64 " point a day here until the tills reconnect (%" PRId64 " spent today); a manager can override",
                                      "this till is offline: a customer may spend at most %" PRId64 " points a day here until the tills reconnect (%" PRId64 " spent today); a manager can override",
                                      i18n_n(limit)),
                          limit, spent);
    if (require_manager(s, ov->manager) != 0)
        return -1;
    if (!ov->reason || text_clean(ov->reason, ev->reason, sizeof ev->reason, STORE_TEXT_MAX) != 0 || !ev->reason[0])
        return store_fail(s, _("an override needs a reason"));
    return 0;
}

static int redeem_tx(store *s, const char *staff, const char *customer, const char *reward,
                     const struct store_override *ov, struct store_result *out)
{
    struct store_customer c;
    struct store_reward r;
    int64_t expired;
    if (require_staff(s, staff) != 0 || customer_live(s, customer, &c) != 0)
        return -1;
    if (store_reward_get(s, reward, &r) != 0)
        return -1;
    if (r.retired)
        return store_fail(s, _("the reward '%s' is no longer offered"), r.name);
    struct store_tier_status tier;
    if (r.tier[0]) {    /* the tier as a purchase now would see it (earn_tx) */
        if (tier_status(s, customer, store_now(s), &tier) != 0)
            return -1;
        if (!store_tier_reaches(s, tier.tier, r.tier))
            /* TRANSLATORS: "Large coffee is a perk of Gold and the tiers
             * above it; this customer is Silver". */
            return store_fail(s, _("%s is a perk of %s and the tiers above it; this customer is %s"), r.name, r.tier,
                              tier.tier[0] ? tier.tier : _("below every tier"));
    }
    if (expire_customer(s, customer, &expired) != 0 || store_customer_get(s, customer, &c) != 0)
        return -1;
    char need[64], have[64];
    if (r.points && c.points < r.points) {
        snprintf(need, sizeof need, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(r.points)), r.points);
        snprintf(have, sizeof have, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(c.points)), c.points);
        /* TRANSLATORS: "not enough points: Croissant costs 40 points, the
         * customer has 12 points": the counts are the message "%d points". */
        return store_fail(s, _("not enough points: %s costs %s, the customer has %s"), r.name, need, have);
    }
    if (r.stamps && c.stamps < r.stamps) {
        snprintf(need, sizeof need, ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(r.stamps)), r.stamps);
        snprintf(have, sizeof have, ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(c.stamps)), c.stamps);
        /* TRANSLATORS: "not enough stamps: Free coffee needs 8 stamps, the
         * customer has 5 stamps": the counts are the message "%d stamps". */
        return store_fail(s, _("not enough stamps: %s needs %s, the customer has %s"), r.name, need, have);
    }
    struct store_event ev;
    event_init(&ev, "redeem", staff, customer);
    ev.points = -r.points;
    ev.stamps = -r.stamps;
    if (check_limits(s, customer, false, ov, &ev) < 0 || check_offline_limit(s, customer, r.points, ov, &ev) != 0)
        return -1;
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "reward", r.id);
    jb_key_str(&jb, "name", r.name);
    if (r.tier[0]) {
        jb_key_str(&jb, "tier", tier.tier);
    }
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0 || event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    if (out)
        out->expired_points = expired;
    return 0;
}

int store_redeem(store *s, const char *staff, const char *customer, const char *reward,
                 const struct store_override *ov, struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(redeem_tx(s, staff, customer, reward, ov, out));
}

static int pay_tx(store *s, const char *staff, const char *customer, int64_t points,
                  int64_t credit, struct store_result *out)
{
    struct store_customer c;
    int64_t expired;
    if (require_staff(s, staff) != 0 || customer_live(s, customer, &c) != 0)
        return -1;
    if (expire_customer(s, customer, &expired) != 0 || store_customer_get(s, customer, &c) != 0)
        return -1;
    struct store_event ev;
    event_init(&ev, "pay", staff, customer);
    int64_t discount;
    if (points) {
        if (points < 0 || points > POINTS_MAX)
            return store_fail(s, _("give a number of points greater than zero"));
        if (c.points < points)
            return store_fail(s, ngettext("not enough points: the customer has %" PRId64 " point",
                                          "not enough points: the customer has %" PRId64 " points", i18n_n(c.points)),
                              c.points);
        discount = muldiv(points, pow10i(s->digits), setting_int(s, "points.pay_rate"));
        if (discount < 1)
            return store_fail(s, ngettext("%" PRId64 " point is worth less than the smallest coin; use more",
                                          "%" PRId64 " points are worth less than the smallest coin; use more", i18n_n(points)),
                              points);
        if (check_offline_limit(s, customer, points, NULL, &ev) != 0)
            return -1;
        ev.points = -points;
    } else {
        if (credit <= 0)
            return store_fail(s, _("give an amount greater than zero"));
        if (c.credit < credit)
            return store_fail(s, _("not enough store credit"));
        discount = credit;
        ev.credit = -credit;
    }
    if (check_limits(s, customer, false, NULL, &ev) < 0)
        return -1;
    snprintf(ev.data, sizeof ev.data, "{\"discount\":%" PRId64 "}", discount);
    if (event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    if (out) {
        out->discount = discount;
        out->expired_points = expired;
    }
    return 0;
}

int store_pay_points(store *s, const char *staff, const char *customer, int64_t points,
                     struct store_result *out)
{
    if (out)
        result_init(out);
    if (points <= 0)
        return store_fail(s, _("give a number of points greater than zero"));
    IN_TX(pay_tx(s, staff, customer, points, 0, out));
}

int store_pay_credit(store *s, const char *staff, const char *customer, int64_t amount,
                     struct store_result *out)
{
    if (out)
        result_init(out);
    if (amount <= 0)
        return store_fail(s, _("give an amount greater than zero"));
    IN_TX(pay_tx(s, staff, customer, 0, amount, out));
}

static int find_ref(store *s, const char *ref, struct store_event *ev)
{
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq;
    if (store_parse_event_ref(ref, origin, &seq) != 0)
        return store_fail(s, _("'%s' is not an event reference; they look like 3fa2c1d9:42 ('tally events' lists them)"), ref);
    return store_get_event(s, origin, seq, ev);
}

bool store_event_voided(store *s, const char *origin, int64_t seq)
{
    char occasion[96];
    snprintf(occasion, sizeof occasion, "void:%s:%" PRId64, origin, seq);
    sqlite3_stmt *st = sql_keyed(s, "SELECT 1 FROM occasions WHERE key = ?1", occasion);
    if (!st)
        return false;
    return sqlite3_step(st) == SQLITE_ROW;
}

/* The net effect still standing of an event: itself, its refunds, and the
 * voids of those refunds. */
static int net_effect(store *s, const struct store_event *ref, struct store_event *net)
{
    sqlite3_stmt *st = sql_event(s,
        "SELECT coalesce(sum(points),0), coalesce(sum(stamps),0), coalesce(sum(credit),0),"
        " coalesce(sum(spend),0), coalesce(sum(visits),0) FROM events e WHERE ("
        " (origin = ?1 AND seq = ?2)"
        " OR (ref_origin = ?1 AND ref_seq = ?2 AND type = 'refund')"
        " OR (type = 'void' AND EXISTS (SELECT 1 FROM events r WHERE r.origin = e.ref_origin"
        "     AND r.seq = e.ref_seq AND r.type = 'refund' AND r.ref_origin = ?1 AND r.ref_seq = ?2))"
        ") AND " COUNTED("e"), ref->origin, ref->seq);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    net->points = sqlite3_column_int64(st, 0);
    net->stamps = sqlite3_column_int64(st, 1);
    net->credit = sqlite3_column_int64(st, 2);
    net->spend = sqlite3_column_int64(st, 3);
    net->visits = sqlite3_column_int64(st, 4);
    return 0;
}

static int refund_tx(store *s, const char *staff, const char *ref, int64_t amount,
                     const char *reason, struct store_result *out)
{
    struct store_event orig, net, ev;
    struct store_customer c;
    if (require_staff(s, staff) != 0 || find_ref(s, ref, &orig) != 0)
        return -1;
    if (strcmp(orig.type, "earn") != 0)
        return store_fail(s, _("only a purchase (an earn event) can be refunded"));
    if (store_event_voided(s, orig.origin, orig.seq))
        return store_fail(s, _("this purchase was voided; there is nothing to refund"));
    if (customer_live(s, orig.customer, &c) != 0 || net_effect(s, &orig, &net) != 0)
        return -1;
    int64_t refunded = orig.spend - net.spend, left = net.spend;
    if (left <= 0)
        return store_fail(s, _("this purchase was refunded in full already"));
    if (amount == 0)
        amount = left;
    if (amount < 0 || amount > left)
        return store_fail(s, _("the refund is more than what is left of the purchase"));
    event_init(&ev, "refund", staff, orig.customer);
    memcpy(ev.ref_origin, orig.origin, sizeof ev.ref_origin);
    ev.ref_seq = orig.seq;
    /* Take back in proportion, cumulatively, so several partial refunds
     * never take back more than the purchase gave. */
    int64_t s0 = orig.spend, r0 = refunded, r1 = refunded + amount;
    ev.points = -(muldiv(orig.points, r1, s0) - muldiv(orig.points, r0, s0));
    ev.stamps = -(muldiv(orig.stamps, r1, s0) - muldiv(orig.stamps, r0, s0));
    ev.credit = -(muldiv(orig.credit, r1, s0) - muldiv(orig.credit, r0, s0));
    ev.spend = -amount;
    ev.visits = r1 == s0 ? -1 : 0;     /* a fully refunded purchase is no visit */
    if (text_clean(reason && *reason ? reason : "refund", ev.reason, sizeof ev.reason, STORE_TEXT_MAX) != 0)
        return store_fail(s, ngettext("the reason must be text of at most %d character",
                                      "the reason must be text of at most %d characters", i18n_n(STORE_TEXT_MAX)),
                          STORE_TEXT_MAX);
    if (event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    return 0;
}

int store_refund(store *s, const char *staff, const char *ref, int64_t amount,
                 const char *reason, struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(refund_tx(s, staff, ref, amount, reason, out));
}

void void_init(struct store_event *ev, const char *staff, const struct store_event *orig,
               const struct store_event *standing)
{
    event_init(ev, "void", staff, orig->customer);
    memcpy(ev->ref_origin, orig->origin, sizeof ev->ref_origin);
    ev->ref_seq = orig->seq;
    snprintf(ev->occasion, sizeof ev->occasion, "void:%s:%" PRId64, orig->origin, orig->seq);
    ev->points = -standing->points;
    ev->stamps = -standing->stamps;
    ev->credit = -standing->credit;
    ev->spend = -standing->spend;
    ev->visits = -standing->visits;
}

static int void_tx(store *s, const char *staff, const char *ref, const char *reason,
                   struct store_result *out)
{
    static const char *const VOIDABLE[] = { "earn", "redeem", "pay", "refund", "adjust", "bonus", NULL };
    struct store_event orig, net, ev;
    struct store_staff who;
    if (store_staff_get(s, staff ? staff : "", &who) != 0 || who.disabled)
        return store_fail(s, _("log in with a staff name and PIN first"));
    if (find_ref(s, ref, &orig) != 0)
        return -1;
    const char *const *t;
    for (t = VOIDABLE; *t && strcmp(*t, orig.type) != 0; t++)
        ;
    if (!*t)
        return store_fail(s, _("a %s event cannot be voided"), orig.type);
    if (store_event_voided(s, orig.origin, orig.seq))
        return store_fail(s, _("this event was voided already"));
    /* A voided purchase is void with its refunds: voiding one of them
     * would give back what the purchase no longer gave. */
    if (strcmp(orig.type, "refund") == 0 && store_event_voided(s, orig.ref_origin, orig.ref_seq))
        return store_fail(s, _("the purchase this refund belongs to was voided; there is nothing to give back"));
    int64_t undo_ms = setting_int(s, "undo.minutes") * 60000;
    bool own_recent = strcmp(orig.staff, staff) == 0 && store_now(s) - orig.wall <= undo_ms;
    if (who.role != ROLE_MANAGER && !own_recent)
        return store_fail(s, ngettext("voiding this needs a manager (staff may undo only their own transaction within %" PRId64 " minute)",
                                      "voiding this needs a manager (staff may undo only their own transaction within %" PRId64 " minutes)",
                                      i18n_n(undo_ms / 60000)), undo_ms / 60000);
    if (!reason || text_clean(reason, ev.reason, sizeof ev.reason, STORE_TEXT_MAX) != 0 || !ev.reason[0])
        return store_fail(s, _("say why: a void needs a reason"));
    char why[sizeof ev.reason];
    memcpy(why, ev.reason, sizeof why);
    if (net_effect(s, &orig, &net) != 0)
        return -1;
    void_init(&ev, staff, &orig, &net);
    memcpy(ev.reason, why, sizeof why);
    if (event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    return 0;
}

int store_void(store *s, const char *staff, const char *ref, const char *reason,
               struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(void_tx(s, staff, ref, reason, out));
}

static int adjust_tx(store *s, const char *manager, const char *customer, int64_t points,
                     int64_t stamps, const char *reason, struct store_result *out)
{
    struct store_customer c;
    struct store_event ev;
    if (require_manager(s, manager) != 0 || customer_live(s, customer, &c) != 0)
        return -1;
    if ((points == 0 && stamps == 0) || points > POINTS_MAX || points < -POINTS_MAX ||
        stamps > 1000 || stamps < -1000)
        return store_fail(s, _("give a non-zero number of points, like +50 or -20"));
    event_init(&ev, "adjust", manager, customer);
    if (!reason || text_clean(reason, ev.reason, sizeof ev.reason, STORE_TEXT_MAX) != 0 || !ev.reason[0])
        return store_fail(s, _("say why: an adjustment needs a reason"));
    ev.points = points;
    ev.stamps = stamps;
    if (event_append(s, &ev) != 0)
        return -1;
    result_from(out, &ev);
    return 0;
}

int store_adjust(store *s, const char *manager, const char *customer, int64_t points,
                 int64_t stamps, const char *reason, struct store_result *out)
{
    if (out)
        result_init(out);
    IN_TX(adjust_tx(s, manager, customer, points, stamps, reason, out));
}

static int nps_tx(store *s, const char *staff, const char *customer, int score)
{
    struct store_customer c;
    struct store_event ev;
    if (require_staff(s, staff) != 0 || customer_live(s, customer, &c) != 0)
        return -1;
    if (score < 0 || score > 10)
        return store_fail(s, _("the score is a whole number from 0 to 10"));
    event_init(&ev, "nps", staff, customer);
    snprintf(ev.data, sizeof ev.data, "{\"score\":%d}", score);
    return event_append(s, &ev);
}

int store_nps(store *s, const char *staff, const char *customer, int score)
{
    IN_TX(nps_tx(s, staff, customer, score));
}

static int expire_all(store *s, const char *customer, int64_t *total)
{
    int64_t one;
    *total = 0;
    if (customer)
        return expire_customer(s, customer, total) != 0 ? -1 : 0;
    /* Collect first: expiring writes to the table being read. */
    sqlite3_stmt *st = store_sql(s, "SELECT id FROM customers WHERE points > 0 AND forgotten = 0 AND enrolled > 0");
    if (!st)
        return -1;
    size_t n = 0, cap = 0;
    char (*ids)[STORE_ID_LEN + 1] = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            void *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) {
                free(ids);
                return store_fail(s, _("out of memory"));
            }
            ids = grown;
        }
        copy_col(st, 0, ids[n++], STORE_ID_LEN + 1);
    }
    for (size_t i = 0; i < n; i++) {
        if (expire_customer(s, ids[i], &one) != 0) {
            free(ids);
            return -1;
        }
        *total += one;
    }
    free(ids);
    return 0;
}

int store_expire(store *s, const char *customer, int64_t *expired_total)
{
    int64_t dummy;
    IN_TX(expire_all(s, customer, expired_total ? expired_total : &dummy));
}
