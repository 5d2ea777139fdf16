/* campaigns.c - campaigns and experiments (campaigns.h).
 *
 * Creating a campaign is one transaction on the till where the manager
 * types it: a "campaign" event with the definition, then for each member
 * of the audience (found with the reports' own segment rules, report.c)
 * a "campaign_member" event naming the member's arm, and the arm's offer
 * as the ledger's ordinary events - a coupon bound to the customer, or a
 * bonus of points - and, with consent, a message in the outbox. Other
 * tills derive the same rows from those events; nobody recomputes the
 * audience later, so a member who leaves the segment stays in.
 *
 * Arms come from BLAKE2b keyed with the shop's secret over "campaign id:
 * customer id": the same on every till, unpredictable to a customer, and
 * even in share (the first 8 bytes, modulo 10,000, against the holdout's
 * hundredths of a percent; then the rest picks a variant).
 *
 * Stopping is an event too. A stopped campaign's coupons expire at the
 * stop (whichever comes first of the stop and the coupon's own event, the
 * coupon's expiry is cut the same way), and its multiplier ends. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"


static const char *const KINDS[] = { "none", "percent", "amount", "reward", "points", "multiplier" };

int store_offer_parse(store *s, const char *text, struct store_offer *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = text ? strchr(text, ':') : NULL;
    const char *v = colon ? colon + 1 : "";
    size_t klen = colon ? (size_t)(colon - text) : 0, len = strlen(v);
    const char *bad = _("'%s' is not an offer: give coupon:20%%, coupon:10.00, reward:NAME, points:N or multiplier:2");
    if (!colon || !*v)
        return store_fail(s, bad, text ? text : "");
    if (klen == 6 && strncmp(text, "coupon", 6) == 0) {
        if (v[len - 1] == '%') {
            char num[32];
            snprintf(num, sizeof num, "%.*s", (int)(len - 1), v);
            if (decimal_parse(num, 0, 1, 100, &out->value) != 0)
                return store_fail(s, _("a percentage off is a whole number from 1 to 100, like 10%%"));
            out->kind = OFFER_PERCENT;
            return 0;
        }
        if (money_parse(v, s->digits, &out->value) != 0 || out->value <= 0)
            return store_fail(s, _("'%s' is not an amount of money"), v);
        out->kind = OFFER_AMOUNT;
        return 0;
    }
    if (klen == 6 && strncmp(text, "reward", 6) == 0) {
        struct store_reward r;
        if (store_reward_get(s, v, &r) != 0)
            return -1;
        if (r.retired)
            return store_fail(s, _("the reward '%s' is no longer offered"), r.name);
        snprintf(out->reward, sizeof out->reward, "%s", r.id);
        out->kind = OFFER_REWARD;
        return 0;
    }
    if (klen == 6 && strncmp(text, "points", 6) == 0) {
        if (decimal_parse(v, 0, 1, 1000000, &out->value) != 0)
            return store_fail(s, _("give the points as a whole number from 1 to 1,000,000"));
        out->kind = OFFER_POINTS;
        return 0;
    }
    if (klen == 10 && strncmp(text, "multiplier", 10) == 0) {
        if (decimal_parse(v, 3, 1001, 10000, &out->value) != 0)
            return store_fail(s, _("a multiplier is more than 1 and at most 10, like 2 or 1.5"));
        out->kind = OFFER_MULTIPLIER;
        return earn_rate_check(s, -1, -1, out->value);
    }
    return store_fail(s, bad, text);
}

void store_offer_text(store *s, const struct store_offer *o, const char *lang, char *out, size_t outsz)
{
    char amount[MONEY_BUFSZ];
    struct store_reward r;
    switch (o->kind) {
    case OFFER_PERCENT:
        snprintf(out, outsz, _("%" PRId64 "%% off"), o->value);
        break;
    case OFFER_AMOUNT:
        money_format(o->value, s->currency, lang, amount, sizeof amount);
        snprintf(out, outsz, _("%s off"), amount);
        break;
    case OFFER_REWARD:
        snprintf(out, outsz, "%s", store_reward_get(s, o->reward, &r) == 0 ? r.name : o->reward);
        break;
    case OFFER_POINTS:
        snprintf(out, outsz, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(o->value)), o->value);
        break;
    case OFFER_MULTIPLIER:
        snprintf(out, outsz, _("points ×%" PRId64 ".%02" PRId64), o->value / 1000, o->value % 1000 / 10);
        break;
    default:
        snprintf(out, outsz, "%s", _("nothing"));
    }
}

void store_offer_code(store *s, const struct store_offer *o, char *out, size_t outsz)
{
    char amount[MONEY_BUFSZ];
    struct store_reward r;
    switch (o->kind) {
    case OFFER_PERCENT:
        snprintf(out, outsz, "coupon:%" PRId64 "%%", o->value);
        break;
    case OFFER_AMOUNT:
        money_plain(o->value, s->digits, amount, sizeof amount);
        snprintf(out, outsz, "coupon:%s", amount);
        break;
    case OFFER_REWARD:
        snprintf(out, outsz, "reward:%s", store_reward_get(s, o->reward, &r) == 0 ? r.name : o->reward);
        break;
    case OFFER_POINTS:
        snprintf(out, outsz, "points:%" PRId64, o->value);
        break;
    case OFFER_MULTIPLIER:
        snprintf(out, outsz, "multiplier:%" PRId64 ".%03" PRId64, o->value / 1000, o->value % 1000);
        break;
    default:
        snprintf(out, outsz, "none");
    }
}

/* --- reading ---------------------------------------------------------------- */

#define CAMPAIGN_COLS \
    "id, name, segment, min_visits, arms, holdout, message, channels, started, expires, stopped," \
    " (SELECT count(*) FROM campaign_members m WHERE m.campaign = c.id)," \
    " (SELECT count(*) FROM campaign_members m WHERE m.campaign = c.id AND m.arm = '" STORE_CAMPAIGN_HOLDOUT "')"

static int row_to_campaign(store *s, sqlite3_stmt *st, struct store_campaign *c)
{
    memset(c, 0, sizeof *c);
    copy_col(st, 0, c->id, sizeof c->id);
    copy_col(st, 1, c->name, sizeof c->name);
    copy_col(st, 2, c->segment, sizeof c->segment);
    c->min_visits = sqlite3_column_int64(st, 3);
    c->holdout = sqlite3_column_int64(st, 5);
    copy_col(st, 6, c->message, sizeof c->message);
    c->channels = sqlite3_column_int(st, 7);
    c->started = sqlite3_column_int64(st, 8);
    c->expires = sqlite3_column_int64(st, 9);
    c->stopped = sqlite3_column_int64(st, 10);
    c->members = sqlite3_column_int64(st, 11);
    c->held_out = sqlite3_column_int64(st, 12);
    /* The arms, from their JSON array: a statement of its own, after this
     * row is read. */
    char arms[STORE_DATA_MAX + 1];
    copy_col(st, 4, arms, sizeof arms);
    sqlite3_stmt *a = store_sql(s, "SELECT json_extract(value, '$.name'), json_extract(value, '$.kind'),"
                             " json_extract(value, '$.value'), json_extract(value, '$.reward')"
                             " FROM json_each(?1) ORDER BY key");
    if (!a)
        return -1;
    bind_text(a, 1, arms);
    while (c->narms < STORE_CAMPAIGN_ARMS && sqlite3_step(a) == SQLITE_ROW) {
        struct store_campaign_arm *arm = &c->arm[c->narms++];
        char kind[16];
        copy_col(a, 0, arm->name, sizeof arm->name);
        copy_col(a, 1, kind, sizeof kind);
        for (int k = 0; k < (int)(sizeof KINDS / sizeof KINDS[0]); k++)
            if (strcmp(kind, KINDS[k]) == 0)
                arm->offer.kind = k;
        arm->offer.value = sqlite3_column_int64(a, 2);
        copy_col(a, 3, arm->offer.reward, sizeof arm->offer.reward);
    }
    sqlite3_reset(a);
    return 0;
}

int store_campaign_get(store *s, const char *campaign, struct store_campaign *out)
{
    char key[STORE_TEXT_MAX * 8];
    if (!campaign || text_fold(campaign, key, sizeof key) != 0)
        return store_fail(s, _("no campaign called '%s'"), campaign ? campaign : "");
    sqlite3_stmt *st = store_sql(s, "SELECT " CAMPAIGN_COLS " FROM campaigns c"
                              " WHERE name <> '' AND (id = ?1 OR name_key = ?2) ORDER BY started DESC LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, campaign);
    bind_text(st, 2, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return store_fail(s, _("no campaign called '%s'; 'tally campaign list' shows them"), campaign);
    if (rc != SQLITE_ROW)
        return db_fail(s);
    /* Copy the row out before the arms' statement runs. */
    struct store_campaign c;
    int r = row_to_campaign(s, st, &c);
    sqlite3_reset(st);
    if (r == 0)
        *out = c;
    return r;
}

int store_campaign_list(store *s, int (*fn)(const struct store_campaign *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT id FROM campaigns WHERE name <> '' ORDER BY started DESC, id");
    if (!st)
        return -1;
    /* Few campaigns: their ids first, then each in full. */
    char ids[256][STORE_ID_LEN + 1];
    int n = 0;
    while (n < 256 && sqlite3_step(st) == SQLITE_ROW)
        copy_col(st, 0, ids[n++], sizeof ids[0]);
    sqlite3_reset(st);
    for (int i = 0; i < n; i++) {
        struct store_campaign c;
        int rc;
        if (store_campaign_get(s, ids[i], &c) != 0)
            return -1;
        if ((rc = fn(&c, arg)) != 0)
            return rc;
    }
    return 0;
}

int store_campaign_members(store *s, const char *campaign_id,
                           int (*fn)(const struct store_campaign_member *, void *), void *arg)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT customer, arm, coupon FROM campaign_members WHERE campaign = ?1 ORDER BY customer",
                                 campaign_id);
    if (!st)
        return -1;
    struct store_campaign_member m;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, m.customer, sizeof m.customer);
        copy_col(st, 1, m.arm, sizeof m.arm);
        copy_col(st, 2, m.coupon, sizeof m.coupon);
        if ((rc = fn(&m, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc;
}

int store_campaign_arm(store *s, const struct store_campaign *c, const char *customer,
                       char arm[STORE_ARM_NAME_MAX + 1])
{
    unsigned char key[STORE_SECRET_BYTES], h[8];
    char msg[2 * STORE_ID_LEN + 2];
    if (c->narms < 1 || store_shop_secret(s, key) != 0)
        return store_fail(s, _("this campaign has no offer"));
    int len = snprintf(msg, sizeof msg, "%s:%s", c->id, customer);
    crypto_generichash(h, sizeof h, (const unsigned char *)msg, (size_t)len, key, sizeof key);
    sodium_memzero(key, sizeof key);
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | h[i];
    if ((int64_t)(u % 10000) < c->holdout)
        snprintf(arm, STORE_ARM_NAME_MAX + 1, "%s", STORE_CAMPAIGN_HOLDOUT);
    else
        snprintf(arm, STORE_ARM_NAME_MAX + 1, "%s", c->arm[(u / 10000) % (uint64_t)c->narms].name);
    return 0;
}

static const struct store_offer *arm_offer(const struct store_campaign *c, const char *arm)
{
    for (int i = 0; i < c->narms; i++)
        if (strcmp(c->arm[i].name, arm) == 0)
            return &c->arm[i].offer;
    return NULL;
}

static bool running(const struct store_campaign *c, int64_t now)
{
    return now >= c->started && now < c->expires && (!c->stopped || now < c->stopped);
}

int store_campaign_offers(store *s, const char *customer,
                          int (*fn)(const struct store_campaign *, const struct store_offer *, void *),
                          void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT m.campaign, m.arm FROM campaign_members m JOIN campaigns c ON c.id = m.campaign"
                              " WHERE m.customer = ?1 AND m.arm <> '" STORE_CAMPAIGN_HOLDOUT "'"
                              " AND c.expires > ?2 AND (c.stopped = 0 OR c.stopped > ?2) ORDER BY c.started, c.id");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, store_now(s));
    char ids[8][STORE_ID_LEN + 1], arms[8][STORE_ARM_NAME_MAX + 1];
    int n = 0;
    while (n < 8 && sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, ids[n], sizeof ids[0]);
        copy_col(st, 1, arms[n++], sizeof arms[0]);
    }
    sqlite3_reset(st);
    for (int i = 0; i < n; i++) {
        struct store_campaign c;
        if (store_campaign_get(s, ids[i], &c) != 0)
            return -1;
        const struct store_offer *o = arm_offer(&c, arms[i]);
        int rc = o && running(&c, store_now(s)) ? fn(&c, o, arg) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int64_t campaign_multiplier(store *s, const char *customer, int64_t now)
{
    sqlite3_stmt *st = store_sql(s, "SELECT max(m.multiplier) FROM campaign_members m JOIN campaigns c ON c.id = m.campaign"
                              " WHERE m.customer = ?1 AND m.multiplier > 0 AND ?2 >= c.started AND ?2 < c.expires"
                              " AND (c.stopped = 0 OR ?2 < c.stopped)");
    if (!st)
        return 1000;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, now);
    int64_t best = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                   ? sqlite3_column_int64(st, 0) : 1000;
    sqlite3_reset(st);
    return best > 1000 ? best : 1000;
}

/* --- the audience ------------------------------------------------------------ */

struct audience {
    char (*id)[STORE_ID_LEN + 1];
    size_t n, cap;
    int64_t min_visits;
    bool oom;
};

static void audience_add(struct audience *a, const char *id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        void *p = realloc(a->id, cap * sizeof *a->id);
        if (!p) {
            a->oom = true;
            return;
        }
        a->id = p;
        a->cap = cap;
    }
    snprintf(a->id[a->n++], sizeof a->id[0], "%s", id);
}

static int take_member(const struct store_member_row *m, void *arg)
{
    struct audience *a = arg;
    if (m->total_visits >= a->min_visits)
        audience_add(a, m->id);
    return a->oom ? -1 : 0;
}

static int by_id(const void *x, const void *y) { return strcmp(x, y); }

/* Who is in the segment now: a report segment as 'tally report segments'
 * computes it over its default period, a tier as the tier rule has it
 * now, or every member. Forgotten customers never. */
static int find_audience(store *s, const char *segment, struct audience *a)
{
    int seg = store_segment_parse(segment);
    if (seg >= 0) {
        struct store_report_query q = { .till = NULL };
        if (store_period_parse(s, NULL, NULL, NULL, NULL, &q.period) != 0 ||
            store_report_segment_members(s, &q, seg, 0, take_member, a) != 0)
            return a->oom ? store_fail(s, _("out of memory")) : -1;
    } else {
        const char *tier = strncmp(segment, "tier:", 5) == 0 ? segment + 5 : NULL;
        if (!tier && strcmp(segment, "all") != 0)
            return store_fail(s, _("no segment '%s': give at-risk, lapsed, new, high-value, regular, occasional, tier:NAME or all"),
                              segment);
        char want[128] = "";
        if (tier) {
            struct tier t[16];
            int n = tiers_load(s, t, 16), found = -1;
            for (int i = 0; i < n; i++)
                if (strcasecmp(t[i].name, tier) == 0)
                    found = i;
            if (found < 0)
                return store_fail(s, _("no tier called '%s' ('tally program show' lists the tiers)"), tier);
            snprintf(want, sizeof want, "%s", t[found].name);
        }
        sqlite3_stmt *st = store_sql(s, "SELECT id FROM customers WHERE forgotten = 0 AND visits >= ?1 ORDER BY id");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, a->min_visits);
        while (sqlite3_step(st) == SQLITE_ROW && !a->oom)
            audience_add(a, (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (a->oom)
            return store_fail(s, _("out of memory"));
        if (tier) {     /* keep those in the tier now */
            size_t kept = 0;
            for (size_t i = 0; i < a->n; i++) {
                struct store_tier_status ts;
                if (tier_status(s, a->id[i], store_now(s), &ts) != 0)
                    return -1;
                if (strcmp(ts.tier, want) == 0)
                    memmove(a->id[kept++], a->id[i], sizeof a->id[0]);
            }
            a->n = kept;
        }
    }
    if (a->n > 1)       /* a->id is NULL while nobody is in it */
        qsort(a->id, a->n, sizeof a->id[0], by_id);
    return 0;
}

/* --- creating ----------------------------------------------------------------- */

static int campaign_event(store *s, const char *manager, const struct store_campaign *c)
{
    struct store_event ev;
    struct jbuf jb;
    event_init(&ev, "campaign", manager, NULL);
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "id", c->id);
    jb_key_str(&jb, "name", c->name);
    jb_key_str(&jb, "segment", c->segment);
    jb_key_int(&jb, "min_visits", c->min_visits);
    jb_key(&jb, "arms");
    jb_arr_begin(&jb);
    for (int i = 0; i < c->narms; i++) {
        jb_obj_begin(&jb);
        jb_key_str(&jb, "name", c->arm[i].name);
        jb_key_str(&jb, "kind", KINDS[c->arm[i].offer.kind]);
        jb_key_int(&jb, "value", c->arm[i].offer.value);
        jb_key_str(&jb, "reward", c->arm[i].offer.reward);
        jb_obj_end(&jb);
    }
    jb_arr_end(&jb);
    jb_key_int(&jb, "holdout", c->holdout);
    jb_key_str(&jb, "message", c->message);
    jb_key_int(&jb, "channels", c->channels);
    jb_key_int(&jb, "started", c->started);
    jb_key_int(&jb, "expires", c->expires);
    jb_obj_end(&jb);
    return jb_take(s, &jb, ev.data) != 0 ? -1 : event_append(s, &ev);
}

/* One member: the record of their arm, then the arm's offer through the
 * ledger's own events, then the message. */
static int enlist(store *s, const char *manager, const struct store_campaign *c, const char *customer)
{
    char arm[STORE_ARM_NAME_MAX + 1], code[16] = "";
    if (store_campaign_arm(s, c, customer, arm) != 0)
        return -1;
    const struct store_offer *o = arm_offer(c, arm);
    if (o && (o->kind == OFFER_PERCENT || o->kind == OFFER_AMOUNT || o->kind == OFFER_REWARD)) {
        struct store_coupon cp = { .discount = o->kind == OFFER_AMOUNT ? o->value : 0,
                                   .percent = o->kind == OFFER_PERCENT ? o->value : 0, .expires = c->expires };
        snprintf(cp.customer, sizeof cp.customer, "%s", customer);
        snprintf(cp.reward, sizeof cp.reward, "%s", o->reward);
        if (coupon_append(s, manager, &cp, c->id) != 0)
            return -1;
        snprintf(code, sizeof code, "%s", cp.code);
    }
    struct store_event ev;
    event_init(&ev, "campaign_member", manager, customer);
    snprintf(ev.occasion, sizeof ev.occasion, "campaign:%s:%s", c->id, customer);
    snprintf(ev.data, sizeof ev.data, "{\"campaign\":\"%s\",\"arm\":\"%s\",\"coupon\":\"%s\",\"multiplier\":%" PRId64 "}",
             c->id, arm, code, o && o->kind == OFFER_MULTIPLIER ? o->value : 0);
    if (event_append(s, &ev) != 0)
        return -1;
    if (o && o->kind == OFFER_POINTS) {
        event_init(&ev, "bonus", manager, customer);
        ev.points = o->value;
        snprintf(ev.occasion, sizeof ev.occasion, "campaign-bonus:%s:%s", c->id, customer);
        snprintf(ev.data, sizeof ev.data, "{\"kind\":\"campaign\",\"campaign\":\"%s\"}", c->id);
        if (event_append(s, &ev) != 0)
            return -1;
    }
    if (!o || !c->message[0])
        return 0;
    struct store_contact k;
    char offer[STORE_TEXT_MAX * 4 + 1], vars[STORE_TEXT_MAX * 8], key[STORE_MSG_KEY_MAX];
    if (store_customer_contact(s, customer, &k) != 0)
        return -1;
    store_offer_text(s, o, k.language, offer, sizeof offer);
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "reward", offer);
    jb_key_int(&jb, "days", (c->expires - store_now(s) + DAY_MS - 1) / DAY_MS);
    if (code[0]) {      /* {coupon}, {coupon_offer}, {coupon_expires}, and the counter's coupon line */
        jb_key_str(&jb, "coupon", code);
    }
    jb_obj_end(&jb);
    int bad = jb.oom || jb.len >= sizeof vars;
    if (!bad)
        memcpy(vars, jb.buf, jb.len + 1);
    jb_free(&jb);
    if (bad)
        return store_fail(s, _("the text is too long"));
    snprintf(key, sizeof key, "msg:campaign:%s:%s", c->id, customer);
    return messages_queue_campaign(s, manager, customer, store_trigger_parse(c->message), key, vars,
                                   c->expires, c->channels);
}

static int create_tx(store *s, const char *manager, const struct store_campaign_spec *spec,
                     struct store_campaign *out)
{
    struct store_campaign c = { .min_visits = spec->min_visits, .holdout = spec->holdout,
                                .expires = spec->expires, .narms = spec->narms };
    if (require_manager(s, manager) != 0)
        return -1;
    if (!spec->name || text_clean(spec->name, c.name, sizeof c.name, 60) != 0 || !c.name[0])
        return store_fail(s, _("give a campaign name of 1 to 60 characters"));
    struct store_campaign old;
    if (store_campaign_get(s, c.name, &old) == 0)
        return store_fail(s, _("there is a campaign called '%s' already: choose another name"), c.name);
    if (spec->narms < 1 || spec->narms > STORE_CAMPAIGN_ARMS)
        return store_fail(s, _("give an offer, or 2 to %d variants"), STORE_CAMPAIGN_ARMS);
    for (int i = 0; i < spec->narms; i++) {
        c.arm[i] = spec->arm[i];
        if (!c.arm[i].name[0] || strcmp(c.arm[i].name, STORE_CAMPAIGN_HOLDOUT) == 0 ||
            strcspn(c.arm[i].name, "\"\\:,= ") != strlen(c.arm[i].name))
            return store_fail(s, _("a variant's name is 1 to %d letters or digits, and not 'holdout'"), STORE_ARM_NAME_MAX);
        for (int j = 0; j < i; j++)
            if (strcmp(c.arm[i].name, c.arm[j].name) == 0)
                return store_fail(s, _("two variants are called '%s'"), c.arm[i].name);
        if (c.arm[i].offer.kind <= OFFER_NONE || c.arm[i].offer.kind > OFFER_MULTIPLIER)
            return store_fail(s, _("variant %s has no offer"), c.arm[i].name);
    }
    if (c.holdout < 0 || c.holdout > 5000)
        return store_fail(s, _("the holdout is 0%% to 50%% of the audience"));
    if (c.min_visits < 0)
        return store_fail(s, _("--min-visits is a number of visits, 0 or more"));
    c.started = store_now(s);
    if (c.expires <= c.started)
        return store_fail(s, _("the campaign must end in the future"));
    c.channels = spec->channels ? spec->channels & STORE_CHANNELS_ALL : STORE_CHANNELS_ALL;
    if (spec->message && *spec->message) {
        if (store_trigger_parse(spec->message) < 0)
            return store_fail(s, _("no message template '%s' ('tally message template list' shows them)"), spec->message);
        snprintf(c.message, sizeof c.message, "%s", spec->message);
    }
    snprintf(c.segment, sizeof c.segment, "%s", spec->segment ? spec->segment : "");
    struct audience a = { .min_visits = c.min_visits };
    if (find_audience(s, c.segment, &a) != 0) {
        free(a.id);
        return -1;
    }
    if (a.n == 0) {
        free(a.id);
        return store_fail(s, _("nobody is in that segment now: the campaign was not started"));
    }
    random_id(c.id, 8);
    int rc = campaign_event(s, manager, &c);
    for (size_t i = 0; i < a.n && rc == 0; i++)
        rc = enlist(s, manager, &c, a.id[i]);
    free(a.id);
    if (rc != 0)
        return -1;
    return out ? store_campaign_get(s, c.id, out) : 0;
}

int store_campaign_create(store *s, const char *manager, const struct store_campaign_spec *spec,
                          struct store_campaign *out)
{
    IN_TX(create_tx(s, manager, spec, out));
}

int store_campaign_stop(store *s, const char *manager, const char *campaign)
{
    struct store_campaign c;
    if (tx_begin(s) != 0)
        return -1;
    int rc = require_manager(s, manager) != 0 || store_campaign_get(s, campaign, &c) != 0 ? -1 : 0;
    if (rc == 0 && (c.stopped || c.expires <= store_now(s)))
        rc = store_fail(s, _("the campaign '%s' has ended already"), c.name);
    struct store_event ev;
    if (rc == 0) {
        event_init(&ev, "campaign", manager, NULL);
        snprintf(ev.data, sizeof ev.data, "{\"id\":\"%s\",\"stop\":1}", c.id);
        rc = event_append(s, &ev);
    }
    if (rc != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}

/* --- deriving ------------------------------------------------------------------ */

/* A stopped campaign's coupons expire at the stop (a coupon's expiry is
 * the last moment it works), whichever of the two events a till hears
 * first. */
static int cut_coupons(store *s, const char *campaign, const char *code)
{
    /* One coupon by its key, or all of the campaign's by theirs. */
    sqlite3_stmt *st = sql_keyed(s, code ? "UPDATE coupons SET expires = (SELECT stopped - 1 FROM campaigns WHERE id = ?1)"
                                     " WHERE code = ?2 AND campaign = ?1 AND expires >= (SELECT stopped FROM campaigns"
                                     " WHERE id = ?1 AND stopped > 0)"
                                   : "UPDATE coupons SET expires = (SELECT stopped - 1 FROM campaigns WHERE id = ?1)"
                                     " WHERE campaign = ?1 AND expires >= (SELECT stopped FROM campaigns"
                                     " WHERE id = ?1 AND stopped > 0)", campaign);
    if (!st)
        return -1;
    if (code)
        bind_text(st, 2, code);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int campaign_derive(store *s, const struct store_event *ev)
{
    sqlite3_stmt *st;
    if (strcmp(ev->type, "coupon") == 0) {     /* after the coupon's own fields */
        if (!strstr(ev->data, "\"campaign\""))
            return 0;
        if (!(st = store_sql(s, "UPDATE coupons SET campaign = json_extract(?1, '$.campaign') WHERE code = json_extract(?1, '$.code')")))
            return -1;
        bind_text(st, 1, ev->data);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        char campaign[STORE_ID_LEN + 1] = "", code[16] = "";
        if (!(st = store_sql(s, "SELECT json_extract(?1, '$.campaign'), json_extract(?1, '$.code')")))
            return -1;
        bind_text(st, 1, ev->data);
        if (sqlite3_step(st) == SQLITE_ROW) {
            copy_col(st, 0, campaign, sizeof campaign);
            copy_col(st, 1, code, sizeof code);
        }
        sqlite3_reset(st);
        return cut_coupons(s, campaign, code);
    }
    if (strcmp(ev->type, "campaign_member") == 0) {
        /* The event that holds the occasion decides the row, in any order. */
        st = store_sql(s, "INSERT INTO campaign_members(campaign, customer, arm, coupon, multiplier)"
                    " SELECT json_extract(?1, '$.campaign'), ?2, json_extract(?1, '$.arm'),"
                    "  coalesce(json_extract(?1, '$.coupon'), ''), coalesce(json_extract(?1, '$.multiplier'), 0)"
                    " WHERE EXISTS (SELECT 1 FROM occasions WHERE key = ?3 AND origin = ?4 AND seq = ?5)"
                    " ON CONFLICT(campaign, customer) DO UPDATE SET arm = excluded.arm, coupon = excluded.coupon,"
                    "  multiplier = excluded.multiplier");
        if (!st)
            return -1;
        bind_text(st, 1, ev->data);
        bind_text(st, 2, ev->customer);
        bind_text(st, 3, ev->occasion);
        bind_text(st, 4, ev->origin);
        sqlite3_bind_int64(st, 5, ev->seq);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    }
    if (strcmp(ev->type, "campaign") != 0)
        return 0;
    if (!(st = store_sql(s, "INSERT OR IGNORE INTO campaigns(id) VALUES(json_extract(?1, '$.id'))")))
        return -1;
    bind_text(st, 1, ev->data);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    if (strstr(ev->data, "\"stop\":1")) {
        /* The earliest stop counts: the same on every till in any order. */
        st = store_sql(s, "UPDATE campaigns SET stopped = ?2 WHERE id = json_extract(?1, '$.id') AND (stopped = 0 OR stopped > ?2)");
        if (!st)
            return -1;
        bind_text(st, 1, ev->data);
        sqlite3_bind_int64(st, 2, ev->wall);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        char id[STORE_ID_LEN + 1];
        if (!(st = store_sql(s, "SELECT json_extract(?1, '$.id')")))
            return -1;
        bind_text(st, 1, ev->data);
        if (sqlite3_step(st) != SQLITE_ROW)
            return db_fail(s);
        copy_col(st, 0, id, sizeof id);
        sqlite3_reset(st);
        return cut_coupons(s, id, NULL);
    }
    st = sql_keyed(s, "UPDATE campaigns SET name = json_extract(?1, '$.name'), name_key = tally_fold(json_extract(?1, '$.name')),"
                " segment = json_extract(?1, '$.segment'), min_visits = json_extract(?1, '$.min_visits'),"
                " arms = json_extract(?1, '$.arms'), holdout = json_extract(?1, '$.holdout'),"
                " message = json_extract(?1, '$.message'), channels = json_extract(?1, '$.channels'),"
                " started = json_extract(?1, '$.started'), expires = json_extract(?1, '$.expires')"
                " WHERE id = json_extract(?1, '$.id') AND json_extract(?1, '$.name') IS NOT NULL", ev->data);
    if (!st)
        return -1;
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}
