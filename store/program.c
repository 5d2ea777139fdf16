/* program.c - the loyalty program's settings (each change an event, last
 * writer wins), tiers and promotions. Settings are kept in a canonical
 * integer form (milli-units, basis points, minor units) so the rules never
 * parse decimals; store_setting_get turns them back into the human form. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

enum kind {
    K_TEXT,         /* free text */
    K_CURRENCY,     /* ISO 4217 code */
    K_INT,          /* whole number in [min, max] */
    K_MILLI,        /* decimal with 3 places, kept as an integer x1000 */
    K_PERCENT,      /* percent with 2 places, kept as basis points */
    K_TIERS,        /* Name:threshold:multiplier,... */
    K_STAMPS_PER,   /* purchase | item */
    K_LIST,         /* comma-separated words, may be empty */
    K_ACCENT,       /* a screen colour */
    K_LANG,         /* a language messages are written in */
    K_TILL,         /* one of the shop's tills, by name or id; kept as its id */
    K_OFFER,        /* a trigger's coupon: coupon:20%, coupon:10.00, reward:NAME or none (messages.c) */
    K_TIER_OFFERS,  /* TIER=offer,... : each tier's entry coupon (perks.c) */
};

struct setting_def {
    const char *key;
    enum kind kind;
    const char *def;        /* canonical default */
    int64_t min, max;
    const char *help;
};

#define OFFER_HELP N_("a personal coupon with this trigger's message: coupon:20%, coupon:10.00, reward:NAME or none")
#define OFFER_DAYS_HELP N_("days this trigger's coupon can be used, to the end of the last day")

static const struct setting_def DEFS[] = {
    { "shop.name", K_TEXT, "", 0, 0, N_("the shop's name, shown on screens and cards") },
    { "shop.accent", K_ACCENT, "green", 0, 0, N_("the screens' accent colour: green, blue, red, magenta, cyan, yellow or none") },
    { "shop.currency", K_CURRENCY, "EUR", 0, 0, N_("ISO 4217 currency of all amounts; fixed once money is recorded") },
    { "points.per_unit", K_MILLI, "1000", 0, 1000000000, N_("points earned per one unit of currency spent (e.g. 1, or 0.1)") },
    { "points.pay_rate", K_INT, "100", 1, 1000000, N_("points worth one unit of currency when paying with points") },
    { "points.expire_days", K_INT, "365", 0, 3650, N_("points expire this many days after they were earned (0: never)") },
    { "tiers", K_TIERS, "Silver:0:1000,Gold:50000:1250,Platinum:150000:1500", 0, 0,
      N_("tiers as Name:spend:multiplier,... by spend within tier.window_days") },
    { "tier.window_days", K_INT, "365", 1, 3650, N_("rolling window of spend that decides the tier, in days") },
    { "stamps.per", K_STAMPS_PER, "purchase", 0, 0, N_("one stamp per 'purchase' or per 'item'") },
    { "stamps.categories", K_LIST, "", 0, 0, N_("categories that earn stamps, comma-separated (empty: every purchase)") },
    { "stamps.min_amount", K_MILLI, "0", 0, 1000000000, N_("smallest purchase, in currency units, that earns a stamp") },
    { "welcome.points", K_INT, "0", 0, 1000000, N_("bonus points on enrolment") },
    { "referral.points", K_INT, "0", 0, 1000000, N_("bonus points for the referrer and the new customer on the new customer's first purchase") },
    { "birthday.points", K_INT, "0", 0, 1000000, N_("bonus points on the first purchase within birthday.window_days of a birthday, once a year") },
    { "birthday.window_days", K_INT, "7", 0, 31, N_("days before and after the birthday in which the birthday bonus is given") },
    { "cashback.percent", K_PERCENT, "0", 0, 10000, N_("store credit given back on each purchase, in percent") },
    { "limits.per_day", K_INT, "20", 0, 1000, N_("most loyalty transactions per customer per day (0: no limit)") },
    { "limits.stamp_gap_minutes", K_INT, "0", 0, 1440, N_("least minutes between two stamps for one customer") },
    { "undo.minutes", K_INT, "5", 0, 120, N_("minutes in which staff may undo their own transaction without a manager") },
    { "nps.every_days", K_INT, "90", 0, 3650, N_("ask a customer the NPS question at most once in this many days (0: never)") },
    { "lapsed.days", K_INT, "40", 1, 3650, N_("days without a visit after which the till says 'welcome back'") },
    { "offline.after_minutes", K_INT, "10", 1, 1440, N_("a till that has heard from no other till for this many minutes is offline") },
    { "offline.redeem_limit", K_INT, "200", 0, 1000000, N_("most points a customer may spend per day at a till while it is offline (0: no limit)") },
    /* Messages to customers (messages.c): 1 switches a trigger on. */
    { "messages.language", K_LANG, "en", 0, 0, N_("language of messages to customers who have none recorded: en, pl, ro or hu") },
    { "messages.welcome", K_INT, "0", 0, 1, N_("1: a welcome message when a customer enrols") },
    { "messages.reward", K_INT, "0", 0, 1, N_("1: a message when a purchase brings the balance to a reward") },
    { "messages.tier", K_INT, "0", 0, 1, N_("1: a message when a customer reaches a higher tier") },
    { "messages.tier_close_percent", K_INT, "0", 0, 99, N_("a message once spend reaches this percentage of the next tier (0: off)") },
    { "messages.birthday", K_INT, "0", 0, 1, N_("1: a birthday message messages.birthday_days before the birthday") },
    { "messages.birthday_days", K_INT, "7", 0, 31, N_("days before the birthday that its message is queued") },
    { "messages.expiring", K_INT, "0", 0, 1, N_("1: a message when points will expire within messages.expiring_days") },
    { "messages.expiring_days", K_INT, "14", 1, 365, N_("days ahead that expiring points are announced") },
    { "messages.winback", K_INT, "0", 0, 1, N_("1: a message when a member becomes at-risk or lapsed") },
    { "messages.anniversary", K_INT, "0", 0, 1, N_("1: a message in the week from the anniversary of a member's first visit") },
    { "messages.balance_days", K_INT, "0", 0, 365, N_("a message with the balance after a purchase, at most once in this many days (0: off)") },
    { "messages.expire_days", K_INT, "14", 1, 365, N_("days a message may wait to be delivered before it is dropped") },
    { "messages.sender", K_TILL, "", 0, 0, N_("the till whose 'tally messenger' sends e-mail and SMS, by name or id (none: no till)") },
    { "messages.max_tries", K_INT, "5", 1, 50, N_("attempts to send a message before it is recorded as failed") },
    { "messages.weekly_cap", K_INT, "3", 0, 100, N_("most e-mails and SMS to one customer in 7 days (0: no limit)") },
    { "messages.quiet_from", K_INT, "21", 0, 23, N_("hour from which no e-mail or SMS goes out (equal to messages.quiet_to: no quiet hours)") },
    { "messages.quiet_to", K_INT, "8", 0, 23, N_("hour at which e-mail and SMS go out again") },
    /* A personal coupon with a trigger's message (messages.c), per trigger. */
    { "offer.welcome", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.welcome_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.reward", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.reward_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.tier", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.tier_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.tier_close", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.tier_close_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.birthday", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.birthday_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.expiring", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.expiring_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.winback", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.winback_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.anniversary", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.anniversary_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "offer.balance", K_OFFER, "", 0, 0, OFFER_HELP },
    { "offer.balance_days", K_INT, "30", 1, 3650, OFFER_DAYS_HELP },
    { "tier.entry", K_TIER_OFFERS, "", 0, 0,
      N_("a coupon on first reaching a tier, once per member and tier: Gold=reward:NAME,Platinum=coupon:20%, or none") },
    { "tier.entry_days", K_INT, "30", 1, 3650, N_("days a tier's entry coupon can be used, to the end of the last day") },
};
#define NDEFS (int)(sizeof DEFS / sizeof DEFS[0])

const struct store_setting_info *store_settings(void)
{
    static struct store_setting_info info[NDEFS + 1];
    for (int i = 0; i < NDEFS; i++) {
        info[i].key = DEFS[i].key;
        info[i].help = DEFS[i].help;
    }
    return info;
}

_Static_assert(NDEFS <= SETTINGS_DEFS_MAX, "settings_cache.of_def holds every setting");

/* An earn reads a dozen settings, and the trigger checks a dozen more: a
 * lookup is a probe of a hash table of DEFS, built once, not a scan. */
#define DEF_SLOTS 256
static signed char def_slot[DEF_SLOTS];    /* DEFS index + 1, 0: empty */
static pthread_once_t def_slots_once = PTHREAD_ONCE_INIT;

static unsigned key_hash(const char *key)
{
    unsigned h = 2166136261u;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h;
}

static void def_slots_build(void)
{
    for (int i = 0; i < NDEFS; i++) {
        unsigned h = key_hash(DEFS[i].key) & (DEF_SLOTS - 1);
        while (def_slot[h])
            h = (h + 1) & (DEF_SLOTS - 1);
        def_slot[h] = (signed char)(i + 1);
    }
}

static int def_index(const char *key)
{
    pthread_once(&def_slots_once, def_slots_build);
    for (unsigned h = key_hash(key) & (DEF_SLOTS - 1); def_slot[h]; h = (h + 1) & (DEF_SLOTS - 1))
        if (strcmp(DEFS[def_slot[h] - 1].key, key) == 0)
            return def_slot[h] - 1;
    return -1;
}

static const struct setting_def *def_of(const char *key)
{
    int i = def_index(key);
    return i < 0 ? NULL : &DEFS[i];
}

/* Inside a write transaction nobody else can change the settings, so one
 * query loads them all for the dozen lookups an earn makes; they stay
 * loaded for the next transaction unless it finds another connection has
 * written since (tx_begin), a setting event is applied or a transaction
 * rolls back. */
static bool settings_load(store *s)
{
    if (s->tx_depth == 0)
        return false;
    if (s->settings.loaded)
        return true;
    sqlite3_stmt *st = store_sql(s, "SELECT key, value FROM settings ORDER BY key");
    if (!st)
        return false;
    s->settings.n = 0;
    memset(s->settings.of_def, 0, sizeof s->settings.of_def);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (s->settings.n == SETTINGS_CACHE)
            return false;       /* more than we cache: read each directly */
        copy_col(st, 0, s->settings.item[s->settings.n].key, sizeof s->settings.item[0].key);
        copy_col(st, 1, s->settings.item[s->settings.n].value, sizeof s->settings.item[0].value);
        int d = def_index(s->settings.item[s->settings.n].key);
        if (d >= 0)
            s->settings.of_def[d] = (short)(s->settings.n + 1);
        s->settings.n++;
    }
    s->settings.loaded = true;
    return true;
}

/* The canonical value held, or the default; NULL for a key tally does not
 * know or when the settings are not cached (outside a transaction). */
static const char *setting_cached(store *s, const char *key)
{
    int d = def_index(key);
    if (d < 0 || !settings_load(s))
        return NULL;
    int item = s->settings.of_def[d];
    return item ? s->settings.item[item - 1].value : DEFS[d].def;
}

void settings_changed(store *s)
{
    s->settings.loaded = false;
    s->settings.prices_loaded = false;
}

/* The canonical value held, or the default. */
static void setting_raw(store *s, const char *key, char *out, size_t outsz)
{
    const char *cached = setting_cached(s, key);
    if (cached) {
        snprintf(out, outsz, "%s", cached);
        return;
    }
    const struct setting_def *d = def_of(key);
    snprintf(out, outsz, "%s", d ? d->def : "");
    if (settings_load(s)) {
        for (int i = 0; i < s->settings.n; i++)
            if (strcmp(s->settings.item[i].key, key) == 0)
                snprintf(out, outsz, "%s", s->settings.item[i].value);
        return;
    }
    sqlite3_stmt *st = sql_keyed(s, "SELECT value FROM settings WHERE key = ?1", key);
    if (!st)
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        copy_col(st, 0, out, outsz);
}

void setting_text(store *s, const char *key, char *out, size_t outsz)
{
    setting_raw(s, key, out, outsz);
}

int64_t setting_int(store *s, const char *key)
{
    const char *cached = setting_cached(s, key);
    if (cached)
        return strtoll(cached, NULL, 10);
    char v[64];
    setting_raw(s, key, v, sizeof v);
    return strtoll(v, NULL, 10);
}

/* 1250, 3 → "1.25"; trailing zeros dropped. */
static void format_scaled(int64_t v, int scale, char *out, size_t outsz)
{
    int64_t p = 1;
    for (int i = 0; i < scale; i++)
        p *= 10;
    int64_t whole = v / p, frac = v % p;
    if (frac == 0) {
        snprintf(out, outsz, "%" PRId64, whole);
        return;
    }
    char f[24];
    snprintf(f, sizeof f, "%0*d", scale < 9 ? scale : 9, (int)(frac < 0 ? -frac : frac));
    for (size_t n = strlen(f); n > 0 && f[n - 1] == '0'; n--)
        f[n - 1] = '\0';
    snprintf(out, outsz, "%" PRId64 ".%s", whole, f);
}

int tiers_load(store *s, struct tier *out, int max)
{
    char v[1024];
    setting_raw(s, "tiers", v, sizeof v);
    int n = 0;
    char *save = NULL;
    for (char *part = strtok_r(v, ",", &save); part && n < max; part = strtok_r(NULL, ",", &save)) {
        char *c1 = strchr(part, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        snprintf(out[n].name, sizeof out[n].name, "%s", part);
        out[n].threshold = strtoll(c1 + 1, NULL, 10);
        out[n].multiplier = strtoll(c2 + 1, NULL, 10);
        n++;
    }
    return n;
}

/* "Silver:0:1,Gold:500:1.25" → canonical "Silver:0:1000,Gold:50000:1250". */
static int tiers_parse(store *s, const char *value, char *out, size_t outsz)
{
    char v[1024];
    if (strlen(value) >= sizeof v)
        return store_fail(s, _("the tier list is too long"));
    snprintf(v, sizeof v, "%s", value);
    out[0] = '\0';
    int n = 0;
    int64_t last = -1;
    char *save = NULL;
    for (char *part = strtok_r(v, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        char *c1 = strchr(part, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':'))
            return store_fail(s, _("each tier is Name:spend:multiplier, e.g. Gold:500:1.25"));
        *c1 = *c2 = '\0';
        char name[64];
        int64_t threshold, mult;
        if (text_clean(part, name, sizeof name, 30) != 0 || !name[0])
            return store_fail(s, _("a tier needs a name of at most 30 characters"));
        if (money_parse(c1 + 1, s->digits, &threshold) != 0)
            return store_fail(s, _("tier %s: '%s' is not an amount"), name, c1 + 1);
        if (threshold <= last)
            return store_fail(s, _("tiers must be listed by rising spend"));
        if (decimal_parse(c2 + 1, 3, 1000, 100000, &mult) != 0)
            return store_fail(s, _("tier %s: the multiplier must be between 1 and 100"), name);
        if (++n > 8)
            return store_fail(s, _("at most 8 tiers"));
        last = threshold;
        size_t len = strlen(out);
        snprintf(out + len, outsz - len, "%s%s:%" PRId64 ":%" PRId64, len ? "," : "", name, threshold, mult);
    }
    if (n == 0)
        return store_fail(s, _("give at least one tier"));
    return 0;
}

int store_setting_get(store *s, const char *key, char *out, size_t outsz)
{
    const struct setting_def *d = def_of(key);
    char raw[1024];
    setting_raw(s, key, raw, sizeof raw);
    if (!d) {
        snprintf(out, outsz, "%s", raw);
        return store_fail(s, _("no setting called '%s'; 'tally program show' lists them"), key);
    }
    switch (d->kind) {
    case K_MILLI:
        format_scaled(strtoll(raw, NULL, 10), 3, out, outsz);
        break;
    case K_PERCENT:
        format_scaled(strtoll(raw, NULL, 10), 2, out, outsz);
        break;
    case K_TIERS: {
        struct tier t[8];
        int n = tiers_load(s, t, 8);
        out[0] = '\0';
        for (int i = 0; i < n; i++) {
            char thr[32], mult[32];
            money_plain(t[i].threshold, s->digits, thr, sizeof thr);
            format_scaled(t[i].multiplier, 3, mult, sizeof mult);
            size_t len = strlen(out);
            snprintf(out + len, outsz - len, "%s%s:%s:%s", i ? "," : "", t[i].name, thr, mult);
        }
        break;
    }
    case K_OFFER:
        messages_offer_display(s, raw, out, outsz);
        break;
    case K_TIER_OFFERS:
        perks_entry_display(s, raw, out, outsz);
        break;
    default:
        snprintf(out, outsz, "%s", raw);
    }
    return 0;
}

struct till_match {
    const char *wanted;
    char origin[STORE_ORIGIN_LEN + 1];
};

static int till_named(const struct store_till *t, void *arg)
{
    struct till_match *m = arg;
    if (strcmp(t->origin, m->wanted) == 0 || strcmp(t->name, m->wanted) == 0)
        snprintf(m->origin, sizeof m->origin, "%s", t->origin);
    return 0;
}

/* A till by name or id, kept as its id so renaming it changes nothing;
 * "none" for no till. */
static int till_setting(store *s, const char *key, const char *value, char *out, size_t outsz)
{
    if (strcmp(value, "none") == 0) {
        out[0] = '\0';
        return 0;
    }
    struct till_match m = { .wanted = value };
    if (store_till_list(s, false, till_named, &m) != 0)
        return -1;
    if (!m.origin[0] && strcmp(value, store_origin(s)) == 0)    /* a shop of one till lists none */
        snprintf(m.origin, sizeof m.origin, "%s", value);
    if (!m.origin[0])
        return store_fail(s, _("%s: no till '%s'; 'tally till list' shows them"), key, value);
    snprintf(out, outsz, "%s", m.origin);
    return 0;
}

static int canonical_value(store *s, const struct setting_def *d, const char *value,
                           char *out, size_t outsz)
{
    int64_t v = 0;
    switch (d->kind) {
    case K_TEXT:
        if (text_clean(value, out, outsz, 60) != 0 || !out[0])
            return store_fail(s, _("%s: give a text of 1 to 60 characters"), d->key);
        return 0;
    case K_CURRENCY:
        if (!currency_known(value))
            return store_fail(s, _("'%s' is not an ISO 4217 currency tally knows (e.g. PLN, RON, HUF, EUR)"), value);
        snprintf(out, outsz, "%s", value);
        return 0;
    case K_INT:
        if (decimal_parse(value, 0, d->min, d->max, &v) != 0)
            return store_fail(s, _("%s: give a whole number from %" PRId64 " to %" PRId64), d->key, d->min, d->max);
        break;
    case K_MILLI:
        if (decimal_parse(value, 3, d->min, d->max, &v) != 0)
            return store_fail(s, _("%s: give a number with at most 3 decimals"), d->key);
        break;
    case K_PERCENT:
        if (decimal_parse(value, 2, d->min, d->max, &v) != 0)
            return store_fail(s, _("%s: give a percentage from 0 to 100"), d->key);
        break;
    case K_TIERS:
        return tiers_parse(s, value, out, outsz);
    case K_STAMPS_PER:
        if (strcmp(value, "purchase") != 0 && strcmp(value, "item") != 0)
            return store_fail(s, _("%s: give 'purchase' or 'item'"), d->key);
        snprintf(out, outsz, "%s", value);
        return 0;
    case K_ACCENT: {
        static const char *const COLOURS[] = { "green", "blue", "red", "magenta", "cyan", "yellow", "none", NULL };
        for (const char *const *c = COLOURS; *c; c++)
            if (strcmp(value, *c) == 0) {
                snprintf(out, outsz, "%s", value);
                return 0;
            }
        return store_fail(s, _("%s: give green, blue, red, magenta, cyan, yellow or none"), d->key);
    }
    case K_LANG:
        if (!store_msg_lang_known(value))
            return store_fail(s, _("%s: give en, pl, ro or hu"), d->key);
        snprintf(out, outsz, "%s", value);
        return 0;
    case K_TILL:
        return till_setting(s, d->key, value, out, outsz);
    case K_OFFER:
        return messages_offer_canonical(s, d->key, value, out, outsz);
    case K_TIER_OFFERS:
        return perks_entry_canonical(s, d->key, value, out, outsz);
    case K_LIST:
        if (text_fold(value, out, outsz) != 0 || strlen(out) > 500)
            return store_fail(s, _("%s: give a short comma-separated list"), d->key);
        return 0;
    }
    snprintf(out, outsz, "%" PRId64, v);
    return 0;
}

/* The most points a purchase may earn per unit of currency, with the best
 * tier and the best running promotion: well inside what an event holds
 * for the largest purchase (10,000,000 units), so that settings each in
 * range cannot multiply into nonsense. */
#define EARN_RATE_MAX 1000

int earn_rate_check(store *s, int64_t per_unit, int64_t tier_milli, int64_t promo_milli)
{
    struct tier t[8];
    if (per_unit < 0)
        per_unit = setting_int(s, "points.per_unit");
    if (tier_milli < 0) {
        int n = tiers_load(s, t, 8);
        tier_milli = 1000;
        for (int i = 0; i < n; i++)
            if (t[i].multiplier > tier_milli)
                tier_milli = t[i].multiplier;
    }
    if (promo_milli < 0) {
        sqlite3_stmt *st = store_sql(s, "SELECT max(multiplier) FROM promos WHERE ended = 0 AND name <> ''");
        if (!st)
            return -1;
        promo_milli = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        if (promo_milli < 1000)
            promo_milli = 1000;
    }
    /* At most 10^9 x 100 x 10 thousandths: no wrap in 64 bits. */
    int64_t rate_milli = per_unit * (tier_milli * promo_milli / 1000) / 1000;
    if (rate_milli <= EARN_RATE_MAX * 1000)
        return 0;
    char rate[32];
    format_scaled(rate_milli, 3, rate, sizeof rate);
    return store_fail(s, _("with points.per_unit, the best tier's multiplier and the best promotion a purchase would earn %s points per unit of currency; at most %d are allowed"),
                      rate, EARN_RATE_MAX);
}

static int setting_write(store *s, const char *staff, const char *key, const char *value)
{
    const struct setting_def *d = def_of(key);
    if (!d)
        return store_fail(s, _("no setting called '%s'; 'tally program show' lists them"), key);
    char canon[1024];
    if (canonical_value(s, d, value, canon, sizeof canon) != 0)
        return -1;
    if (strcmp(key, "points.per_unit") == 0 && earn_rate_check(s, strtoll(canon, NULL, 10), -1, -1) != 0)
        return -1;
    if (d->kind == K_TIERS) {
        int64_t best = 1000;
        for (const char *p = canon; (p = strchr(p, ':')) && (p = strchr(p + 1, ':')); p++)
            if (strtoll(p + 1, NULL, 10) > best)
                best = strtoll(p + 1, NULL, 10);
        if (earn_rate_check(s, -1, best, -1) != 0)
            return -1;
    }
    if (d->kind == K_CURRENCY && s->currency[0] && strcmp(canon, s->currency) != 0) {
        sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM events WHERE spend <> 0 OR credit <> 0 LIMIT 1");
        if (!st)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
            return store_fail(s, _("the currency cannot change once amounts are recorded in %s"), s->currency);
    }
    struct store_event ev;
    struct jbuf jb;
    setting_event_begin(&ev, &jb, staff, key);
    jb_str(&jb, canon);
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    if (event_append(s, &ev) != 0)
        return -1;
    if (strncmp(key, "shop.", 5) == 0)
        load_shop(s);
    return 0;
}

void setting_event_begin(struct store_event *ev, struct jbuf *jb, const char *staff, const char *key)
{
    event_init(ev, "setting", staff, NULL);
    jb_init(jb);
    jb_obj_begin(jb);
    jb_key_str(jb, "key", key);
    jb_key(jb, "value");
}

int store_setting_set(store *s, const char *staff, const char *key, const char *value)
{
    /* The shop's first settings are written by init, before any staff. */
    if (staff && *staff && require_manager(s, staff) != 0)
        return -1;
    if ((!staff || !*staff) && store_has_manager(s))
        return store_fail(s, _("changing the program needs a manager"));
    IN_TX(setting_write(s, staff, key, value));
}

/* The spend of a customer's window; a purchase refunded beyond it at
 * cut-off tills counts for nothing, not below (its correction, events.c
 * lot_settle, from the moment of its latest event). */
#define WINDOW_SUM(range) \
    "SELECT (SELECT coalesce(sum(spend), 0) FROM events e WHERE customer = ?1 AND wall > ?2" range \
    " AND spend <> 0 AND " COUNTED("e") ")" \
    " + (SELECT coalesce(sum(spend), 0) FROM lot_adjust WHERE customer = ?1 AND wall > ?2" range ")"

/* Summing the window afresh reads every event of the customer in it (a
 * year of purchases, and their messages and coupons too: the index has no
 * spend). Instead the last sum is kept per customer and moved: what left
 * or entered the window since is read by its range of dates, and each
 * event applied here adds its spend as it is derived (tier_cache_note).
 * Whatever else could change the sum drops the entry: a correction, an
 * event a correction came before, a spend under an occasion, an event
 * that loses its occasion (events.c occasion_claim), a change of
 * lot_adjust (lot_write), a rollback, and another connection's commit
 * (tx_begin). Kept only inside a write transaction, or while an
 * import works on its copy (import.c), where nothing else writes: there
 * 8,000 purchases of one customer summed afresh read 32 million rows. */
#define TIER_CACHE_SLOTS 65536      /* a power of two: 2 MB */
struct tier_cache {
    unsigned generation;            /* the store's when written: dropping them all is a step of it */
    char customer[STORE_ID_LEN + 1];
    int64_t from;                   /* the sum is of spend after this moment */
    int64_t sum;
};

static struct tier_cache *tier_slot(store *s, const char *customer)
{
    if (!s->importing && s->tx_depth == 0)
        return NULL;
    if (!s->tier_cache && !(s->tier_cache = calloc(TIER_CACHE_SLOTS, sizeof *s->tier_cache)))
        return NULL;
    return &s->tier_cache[id_hash(customer) & (TIER_CACHE_SLOTS - 1)];
}

/* The slot kept for customer, or NULL. */
static struct tier_cache *tier_kept(store *s, const char *customer)
{
    struct tier_cache *c = s->tier_cache ? &s->tier_cache[id_hash(customer) & (TIER_CACHE_SLOTS - 1)] : NULL;
    return c && c->generation == s->tier_generation && strcmp(c->customer, customer) == 0 ? c : NULL;
}

static int window_sum(store *s, const char *customer, int64_t from, int64_t *sum)
{
    struct tier_cache *c = tier_slot(s, customer);
    bool kept = c && tier_kept(s, customer) == c;
    sqlite3_stmt *st = kept ? store_sql(s, WINDOW_SUM(" AND wall <= ?3")) : store_sql(s, WINDOW_SUM(""));
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, kept && c->from < from ? c->from : from);
    if (kept)
        sqlite3_bind_int64(st, 3, c->from < from ? from : c->from);
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    int64_t v = sqlite3_column_int64(st, 0);
    if (!kept)
        *sum = v;
    else    /* the window moved on (spend left it) or back (spend came in) */
        *sum = c->sum + (c->from < from ? -v : v);
    if (c) {
        c->generation = s->tier_generation;
        snprintf(c->customer, sizeof c->customer, "%s", customer);
        c->from = from;
        c->sum = *sum;
    }
    return 0;
}

void tier_cache_note(store *s, const struct store_event *ev, bool counts, bool referred)
{
    struct tier_cache *c = ev->customer[0] ? tier_kept(s, ev->customer) : NULL;
    if (!c)
        return;
    /* A correction, or an event corrected before it came, moves lots; a
     * spend under an occasion (a void) may take it from another's. */
    if (ev->ref_origin[0] || referred || (ev->occasion[0] && ev->spend))
        c->customer[0] = '\0';
    else if (counts && ev->wall > c->from)
        c->sum += ev->spend;
}

void tier_cache_forget(store *s, const char *customer)
{
    struct tier_cache *c = tier_kept(s, customer);
    if (c)
        c->customer[0] = '\0';
}

/* Another connection's commit drops every slot at once: 2 MB cleared
 * before each sale cost the counter more than the sale while syncd or a
 * message drain committed between sales. */
void tier_cache_drop(store *s)
{
    if (s->tier_cache && ++s->tier_generation == 0) {   /* wrapped: no old slot may match again */
        memset(s->tier_cache, 0, TIER_CACHE_SLOTS * sizeof *s->tier_cache);
        s->tier_generation = 1;
    }
}

int tier_status(store *s, const char *customer, int64_t now, struct store_tier_status *out)
{
    memset(out, 0, sizeof *out);
    out->multiplier_milli = 1000;
    int64_t window = setting_int(s, "tier.window_days") * 86400000LL, sum = 0;
    /* Events that lost their occasion (a second void of one sale) do not count. */
    if (window_sum(s, customer, now - window, &sum) != 0)
        return -1;
    tier_for_spend(s, sum, out);
    return 0;
}

/* The tier a given window spend reaches, and the way to the next one. */
void tier_for_spend(store *s, int64_t spend, struct store_tier_status *out)
{
    memset(out, 0, sizeof *out);
    out->multiplier_milli = 1000;
    out->window_spend = spend;
    out->tier_at = out->next_at = -1;
    struct tier t[8];
    int n = tiers_load(s, t, 8);
    for (int i = 0; i < n; i++) {
        /* As tier_index has it: the first tier of that name. */
        int first = 0;
        while (strcmp(t[first].name, t[i].name) != 0)
            first++;
        if (out->window_spend >= t[i].threshold) {
            snprintf(out->tier, sizeof out->tier, "%.63s", t[i].name);
            out->tier_at = first;
            out->multiplier_milli = t[i].multiplier;
            out->next[0] = '\0';
            out->next_at = -1;
            out->to_next = 0;
        } else {
            snprintf(out->next, sizeof out->next, "%.63s", t[i].name);
            out->next_at = first;
            out->to_next = t[i].threshold - out->window_spend;
            break;
        }
    }
}

int store_customer_tier(store *s, const char *id, struct store_tier_status *out)
{
    return tier_status(s, id, store_now(s), out);
}

static bool in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

bool category_earns_stamps(store *s, const char *category)
{
    char list[1024], key[128];
    setting_raw(s, "stamps.categories", list, sizeof list);
    if (!list[0])
        return true;
    if (!category || text_fold(category, key, sizeof key) != 0)
        return false;
    return in_list(list, key);
}

/* Whether a promotion's days, hours and dates hold at now (local time). */
static bool promo_on_at(int64_t now, int days, int from_min, int to_min, const char *from, const char *to)
{
    int y, m, d, wday, minute;
    local_date(now, &y, &m, &d, &wday, &minute);
    char today[16];
    snprintf(today, sizeof today, "%04d-%02d-%02d", y, m, d);
    if (days && !(days & (1 << wday)))
        return false;
    if (minute < from_min || minute >= to_min)
        return false;
    return !((from[0] && strcmp(today, from) < 0) || (to[0] && strcmp(today, to) > 0));
}

bool store_promo_running(store *s, const struct store_promo *p)
{
    return !p->ended && promo_on_at(store_now(s), p->days, p->start_minute, p->end_minute, p->from, p->to);
}

int tier_index(store *s, const char *name)
{
    struct tier t[8];
    int n = tiers_load(s, t, 8);
    for (int i = 0; name && i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return i;
    return -1;
}

int tier_find(store *s, const char *typed, char name[64])
{
    struct tier t[8];
    char want[256], have[256];
    int n = tiers_load(s, t, 8);
    if (text_fold(typed, want, sizeof want) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (text_fold(t[i].name, have, sizeof have) == 0 && strcmp(have, want) == 0) {
            snprintf(name, 64, "%s", t[i].name);
            return i;
        }
    return -1;
}

bool store_tier_reaches(store *s, const char *tier, const char *lowest)
{
    if (!lowest || !*lowest)
        return true;
    int need = tier_index(s, lowest);
    return need >= 0 && tier_index(s, tier) >= need;
}

int64_t promo_multiplier(store *s, int64_t now, const char *category, const char *tier)
{
    char cat[128] = "";
    if (category)
        text_fold(category, cat, sizeof cat);
    sqlite3_stmt *st = store_sql(s, "SELECT multiplier, days, start_minute, end_minute, date_from,"
                              " date_to, category, tier FROM promos WHERE ended = 0 AND name <> ''");
    if (!st)
        return 1000;
    int64_t best = 1000;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t mult = sqlite3_column_int64(st, 0);
        char from[16], to[16], pcat[128], lowest[64];
        copy_col(st, 4, from, sizeof from);
        copy_col(st, 5, to, sizeof to);
        copy_col(st, 6, pcat, sizeof pcat);
        copy_col(st, 7, lowest, sizeof lowest);
        if (!promo_on_at(now, sqlite3_column_int(st, 1), sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
                         from, to))
            continue;
        if (pcat[0] && strcmp(pcat, cat) != 0)
            continue;
        if (!store_tier_reaches(s, tier, lowest))
            continue;
        if (mult > best)
            best = mult;
    }
    return best;
}
