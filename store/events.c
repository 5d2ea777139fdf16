/* events.c - the event log: identity, clock, content hash, validation, and
 * applying an event to the derived tables. Local and foreign events take
 * the same path (apply_one), so a till derives exactly what its peers do. */
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"


#define DELTA_MAX 1000000000000LL   /* 10^12: any larger effect is corrupt */

/* Types, and whether each must name a customer. */
static const struct { const char *type; bool customer; const char *required; } TYPES[] = {
    { "setting", false, "key" },   { "staff", false, "id" },
    { "reward", false, "id" },     { "promo", false, "id" },
    { "coupon", false, "code" },   { "enrol", true, "card" },
    { "profile", true, NULL },     { "card", true, "card" },
    { "forget", true, NULL },      { "earn", true, NULL },
    { "redeem", true, NULL },      { "pay", true, NULL },
    { "refund", true, NULL },      { "void", true, NULL },
    { "adjust", true, NULL },      { "bonus", true, NULL },
    { "expire", true, NULL },      { "nps", true, "score" },
    { "coupon_use", true, "code" },
    { "login_failed", false, "via" }, { "login_unlock", false, "id" },
    { "message", true, "status" }, { "template", false, "trigger" },   /* messages.c */
    { "campaign", false, "id" }, { "campaign_member", true, "campaign" },   /* campaigns.c */
};
#define NTYPES (int)(sizeof TYPES / sizeof TYPES[0])

void event_init(struct store_event *ev, const char *type, const char *staff,
                const char *customer)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->type, sizeof ev->type, "%s", type);
    snprintf(ev->staff, sizeof ev->staff, "%s", staff ? staff : "");
    snprintf(ev->customer, sizeof ev->customer, "%s", customer ? customer : "");
    strcpy(ev->data, "{}");
}

void event_ref(const struct store_event *ev, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s:%" PRId64, ev->origin, ev->seq);
}

int store_parse_event_ref(const char *text, char origin[STORE_ORIGIN_LEN + 1], int64_t *seq)
{
    const char *colon = text ? strchr(text, ':') : NULL;
    if (!colon || colon - text != STORE_ORIGIN_LEN)
        return -1;
    for (int i = 0; i < STORE_ORIGIN_LEN; i++)
        if (!strchr("0123456789abcdef", text[i]) || !text[i])
            return -1;
    char *end;
    long long v = strtoll(colon + 1, &end, 10);
    if (*end || end == colon + 1 || v < 1)
        return -1;
    memcpy(origin, text, STORE_ORIGIN_LEN);
    origin[STORE_ORIGIN_LEN] = '\0';
    *seq = v;
    return 0;
}

int jb_take(store *s, struct jbuf *jb, char *dst)
{
    int bad = jb->oom || jb->len > STORE_DATA_MAX - 64;   /* room for a salt */
    if (!bad)
        memcpy(dst, jb->buf, jb->len + 1);
    jb_free(jb);
    return bad ? store_fail(s, _("the text is too long")) : 0;
}

void pii_salt(char *pii, size_t sz)
{
    /* A salt makes the kept pii_hash of a forgotten customer useless for
     * guessing their phone number. pii is "{...}"; insert before the '}'. */
    char salt[33];
    random_id(salt, 32);
    size_t len = strlen(pii);
    if (len < 2 || pii[len - 1] != '}' || len + 48 >= sz)
        return;
    snprintf(pii + len - 1, sz - len + 1, "%s\"salt\":\"%s\"}", len > 2 ? "," : "", salt);
}

static void hash_str(crypto_generichash_state *h, const char *v)
{
    uint32_t n = (uint32_t)strlen(v);
    unsigned char len[4] = { n & 255, (n >> 8) & 255, (n >> 16) & 255, n >> 24 };
    crypto_generichash_update(h, len, 4);
    crypto_generichash_update(h, (const unsigned char *)v, n);
}

static void hash_i64(crypto_generichash_state *h, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (8 * i));
    crypto_generichash_update(h, b, 8);
}

static void pii_digest(const char *pii, unsigned char out[32])
{
    if (!*pii)
        memset(out, 0, 32);
    else
        crypto_generichash(out, 32, (const unsigned char *)pii, strlen(pii), NULL, 0);
}

/* The content hash: identity plus everything the event says. Personal data
 * enters only through pii_hash, so scrubbing it keeps the hash valid. */
void event_hash(const struct store_event *ev, unsigned char out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    hash_str(&h, "tally-event-v1");
    hash_str(&h, ev->origin);
    hash_i64(&h, ev->seq);
    hash_i64(&h, ev->hlc);
    hash_i64(&h, ev->wall);
    hash_str(&h, ev->type);
    hash_str(&h, ev->staff);
    hash_str(&h, ev->customer);
    hash_i64(&h, ev->points);
    hash_i64(&h, ev->stamps);
    hash_i64(&h, ev->credit);
    hash_i64(&h, ev->spend);
    hash_i64(&h, ev->visits);
    hash_str(&h, ev->ref_origin);
    hash_i64(&h, ev->ref_seq);
    hash_str(&h, ev->occasion);
    hash_str(&h, ev->reason);
    hash_str(&h, ev->data);
    crypto_generichash_update(&h, ev->pii_hash, 32);
    crypto_generichash_final(&h, out, 32);
}

static bool is_hex_id(const char *v, size_t maxlen, bool may_be_empty)
{
    size_t n = strlen(v);
    if (n == 0)
        return may_be_empty;
    if (n > maxlen)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", v[i]))
            return false;
    return true;
}

/* An event's JSON must be an object (holding `required`, if named), as
 * SQLite's own JSON functions see it: the same test on every till. CASE,
 * not OR: SQLite may evaluate both sides, and "$." is a bad path. */
#define JSON_OBJECT_SQL \
    "SELECT CASE WHEN NOT json_valid(?1) THEN 0" \
    " WHEN json_type(?1) <> 'object' THEN 0 WHEN ?2 = '' THEN 1" \
    " ELSE json_type(?1, '$.' || ?2) IS NOT NULL END"

/* What validating an event needs: the store's connection, or on another
 * thread a statement of a connection of that thread's own. */
struct checker {
    store *s;
    sqlite3_stmt *json;
};

static int json_object_ok(struct checker *ck, const char *json, const char *required)
{
    sqlite3_stmt *st = ck->s ? store_sql(ck->s, JSON_OBJECT_SQL) : ck->json;
    if (!st)
        return -1;
    bind_text(st, 1, json);
    bind_text(st, 2, required ? required : "");
    int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    if (!ck->s)
        sqlite3_reset(st);
    return ok ? 0 : -1;
}

/* The schema's rules for any event, wherever it was made. */
bool event_hash_ok(const struct store_event *ev)
{
    unsigned char h[32];
    event_hash(ev, h);
    return memcmp(h, ev->hash, 32) == 0;
}

bool store_event_hash_ok(const struct store_event *ev)
{
    return event_hash_ok(ev);
}

static int event_validate(struct checker *ck, const struct store_event *ev, char *why, size_t whysz)
{
#define REFUSE(...) do { snprintf(why, whysz, __VA_ARGS__); return -1; } while (0)
    if (strlen(ev->origin) != STORE_ORIGIN_LEN || !is_hex_id(ev->origin, STORE_ORIGIN_LEN, false))
        REFUSE("bad origin");
    if (ev->seq < 1 || ev->hlc < 1 || ev->wall < 1)
        REFUSE("bad seq, hlc or wall");
    int t;
    for (t = 0; t < NTYPES; t++)
        if (strcmp(TYPES[t].type, ev->type) == 0)
            break;
    if (t == NTYPES)
        REFUSE("unknown event type '%.24s'", ev->type);
    if (!is_hex_id(ev->staff, STORE_ID_LEN, true) || !is_hex_id(ev->customer, STORE_ID_LEN, true))
        REFUSE("bad staff or customer id");
    if (TYPES[t].customer != (ev->customer[0] != '\0'))
        REFUSE("customer %s for a %s event", TYPES[t].customer ? "missing" : "unexpected", ev->type);
    int64_t d[] = { ev->points, ev->stamps, ev->credit, ev->spend, ev->visits };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (d[i] > DELTA_MAX || d[i] < -DELTA_MAX)
            REFUSE("effect out of range");
    if (ev->ref_origin[0] && (!is_hex_id(ev->ref_origin, STORE_ORIGIN_LEN, false) || ev->ref_seq < 1))
        REFUSE("bad reference");
    if (!utf8_valid(ev->reason, strlen(ev->reason)) || !utf8_valid(ev->occasion, strlen(ev->occasion)))
        REFUSE("reason or occasion is not UTF-8");
    if (strlen(ev->data) > STORE_DATA_MAX || json_object_ok(ck, ev->data, TYPES[t].required) != 0)
        REFUSE("data is not a valid JSON object for %s", ev->type);
    if (ev->pii[0]) {
        unsigned char ph[32];
        if (strlen(ev->pii) > STORE_DATA_MAX || json_object_ok(ck, ev->pii, NULL) != 0)
            REFUSE("personal data is not a JSON object");
        pii_digest(ev->pii, ph);
        if (memcmp(ph, ev->pii_hash, 32) != 0)
            REFUSE("personal data does not match its hash");
    }
    unsigned char h[32];
    event_hash(ev, h);
    if (memcmp(h, ev->hash, 32) != 0)
        REFUSE("content hash does not match");
    return 0;
#undef REFUSE
}

/* --- checking a batch ahead, on a second thread ------------------------ */

/* A foreign event's checks (content hash, JSON, UTF-8, ...) need nothing
 * the database holds, so while one thread writes a batch's events, a
 * helper checks the ones after. An event it passed is not checked again;
 * one it failed (or could not check) is checked again inline, which gives
 * the same verdict and the reason. Small batches are checked inline. */
#define AHEAD_MIN 64            /* events in a batch worth a helper */
#define AHEAD_STEP 32           /* the helper reports after this many */

struct ahead {
    const struct store_event *evs;
    size_t n;
    unsigned char *passed;      /* per event; set before `done` covers it */
    size_t done;                /* events checked so far (under mu) */
    size_t seen;                /* the applier's last look at done */
    bool stop;                  /* the applier gave up (under mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
};

static void *ahead_main(void *arg)
{
    struct ahead *a = arg;
    sqlite3 *db = NULL;
    struct checker ck = { NULL, NULL };
    bool usable = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK &&
                  sqlite3_prepare_v2(db, JSON_OBJECT_SQL, -1, &ck.json, NULL) == SQLITE_OK;
    bool stop = false;
    for (size_t i = 0; i < a->n && !stop;) {
        size_t end = a->n - i > AHEAD_STEP ? i + AHEAD_STEP : a->n;
        for (; i < end; i++) {
            char why[64];
            a->passed[i] = usable && event_validate(&ck, &a->evs[i], why, sizeof why) == 0;
        }
        pthread_mutex_lock(&a->mu);
        a->done = i;
        stop = a->stop;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    sqlite3_finalize(ck.json);
    sqlite3_close(db);
    return NULL;
}

/* Starts the helper on evs; -1 if the batch is small or it cannot start. */
static int ahead_start(struct ahead *a, const struct store_event *evs, size_t n)
{
    memset(a, 0, sizeof *a);
    if (n < AHEAD_MIN || !(a->passed = malloc(n)))
        return -1;
    a->evs = evs;
    a->n = n;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, ahead_main, a) == 0)
        return 0;
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a->passed);
    return -1;
}

/* Whether the helper passed event i, once it has looked at it. */
static bool ahead_passed(struct ahead *a, size_t i)
{
    if (i >= a->seen) {
        pthread_mutex_lock(&a->mu);
        while (a->done <= i)
            pthread_cond_wait(&a->cv, &a->mu);
        a->seen = a->done;
        pthread_mutex_unlock(&a->mu);
    }
    return a->passed[i];
}

/* Stops the helper (early, if it is still going) and waits for it. */
static void ahead_end(struct ahead *a)
{
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a->passed);
}

/* --- derived tables --------------------------------------------------- */

static int ensure_customer(store *s, const char *id)
{
    sqlite3_stmt *st = store_sql(s, "INSERT OR IGNORE INTO customers(id) VALUES(?1)");
    if (!st)
        return -1;
    bind_kept(st, 1, id);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* Adds to a customer's balances and visit dates (first and last: a visit
 * at that moment, 0 for none). UPDATE first, INSERT only for a customer
 * not seen yet: an upsert tries the insert first, and nearly every event
 * is for a customer the till knows. */
static int balance_add(store *s, const char *customer, const int64_t d[5], int64_t first, int64_t last)
{
    sqlite3_stmt *st = store_sql(s,
        "UPDATE customers SET points = points + ?2, stamps = stamps + ?3,"
        " credit = credit + ?4, spend = spend + ?5, visits = visits + ?6,"
        " first_visit = CASE WHEN ?7 > 0 AND (first_visit = 0 OR first_visit > ?7) THEN ?7 ELSE first_visit END,"
        " last_visit = CASE WHEN ?8 > last_visit THEN ?8 ELSE last_visit END"
        " WHERE id = ?1");
    for (int pass = 0; pass < 2; pass++) {
        if (!st)
            return -1;
        bind_kept(st, 1, customer);
        for (int i = 0; i < 5; i++)
            sqlite3_bind_int64(st, 2 + i, d[i]);
        sqlite3_bind_int64(st, 7, first);
        sqlite3_bind_int64(st, 8, last);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        if (pass == 1 || sqlite3_changes(s->db) > 0)
            break;
        st = store_sql(s, "INSERT INTO customers(id, points, stamps, credit, spend, visits, first_visit, last_visit)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    }
    return 0;
}

/* While a batch of foreign events is applied (store_apply_events), the
 * balances of each customer are summed in memory and written once at its
 * end: a catch-up brings many events per customer, and an UPDATE of the
 * customer's row costs a third of applying an event. Nothing reads the
 * balances in between, except taking an effect back (balances_flush
 * first). */
uint32_t id_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

static int balances_flush(store *s)
{
    int rc = 0;
    for (int i = 0; i < BAL_PENDING_SLOTS && s->nbal > 0; i++) {
        struct bal_pending *b = &s->bal[i];
        if (!b->customer[0])
            continue;
        if (rc == 0)
            rc = balance_add(s, b->customer, b->d, b->first, b->last);
        memset(b, 0, sizeof *b);
        s->nbal--;
    }
    return rc;
}

static void balances_drop(store *s)
{
    if (s->bal)
        memset(s->bal, 0, BAL_PENDING_SLOTS * sizeof *s->bal);
    s->nbal = 0;
}

static int balances_defer(store *s, const struct store_event *ev, const int64_t d[5], int64_t visit)
{
    if (s->nbal >= BAL_PENDING_SLOTS / 2 && balances_flush(s) != 0)
        return -1;
    uint32_t i = id_hash(ev->customer) & (BAL_PENDING_SLOTS - 1);
    while (s->bal[i].customer[0] && strcmp(s->bal[i].customer, ev->customer) != 0)
        i = (i + 1) & (BAL_PENDING_SLOTS - 1);
    struct bal_pending *b = &s->bal[i];
    if (!b->customer[0]) {
        memcpy(b->customer, ev->customer, sizeof b->customer);
        s->nbal++;
    }
    for (int k = 0; k < 5; k++)
        b->d[k] += d[k];
    if (visit && (!b->first || visit < b->first))
        b->first = visit;
    if (visit > b->last)
        b->last = visit;
    return 0;
}

static int apply_balance(store *s, const struct store_event *ev, int sign)
{
    if (sign < 0 && (balances_flush(s) != 0 || rollup_retract(s, ev) != 0))   /* rollups: rollup.c */
        return -1;
    if (!ev->points && !ev->stamps && !ev->credit && !ev->spend && !ev->visits)
        return 0;
    int64_t d[5] = { sign * ev->points, sign * ev->stamps, sign * ev->credit, sign * ev->spend,
                     sign * ev->visits };
    int64_t visit = sign > 0 && ev->visits > 0 ? ev->wall : 0;
    if (sign > 0 && s->bal_deferred)
        return balances_defer(s, ev, d, visit);
    if (balance_add(s, ev->customer, d, visit, visit) != 0)
        return -1;
    if (sign > 0 || ev->visits <= 0)
        return 0;
    /* Taking back a visit that lost its occasion (a second void of a
     * refund): the visit dates are a min and max, which cannot be undone
     * by a delta, so work them out again from the visits that count. The
     * event taken back still holds its occasion row here, so leave it out
     * by name; its winner is added by the caller right after. */
    sqlite3_stmt *st = store_sql(s,
        "UPDATE customers SET"
        " first_visit = coalesce((SELECT min(wall) FROM events e WHERE e.customer = ?1"
        "   AND e.visits > 0 AND NOT (e.origin = ?2 AND e.seq = ?3) AND (e.occasion = ''"
        "   OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = e.occasion"
        "     AND o.origin = e.origin AND o.seq = e.seq))), 0),"
        " last_visit = coalesce((SELECT max(wall) FROM events e WHERE e.customer = ?1"
        "   AND e.visits > 0 AND NOT (e.origin = ?2 AND e.seq = ?3) AND (e.occasion = ''"
        "   OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = e.occasion"
        "     AND o.origin = e.origin AND o.seq = e.seq))), 0)"
        " WHERE id = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, ev->customer);
    bind_text(st, 2, ev->origin);
    sqlite3_bind_int64(st, 3, ev->seq);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

static void row_to_event(sqlite3_stmt *st, struct store_event *ev)
{
    /* Every field is set below; the text buffers only up to their end (a
     * batch of 2,000 events is 18 MB of struct, mostly unused). */
    memset(ev, 0, offsetof(struct store_event, reason));
    copy_col(st, 0, ev->origin, sizeof ev->origin);
    ev->seq = sqlite3_column_int64(st, 1);
    ev->hlc = sqlite3_column_int64(st, 2);
    ev->wall = sqlite3_column_int64(st, 3);
    copy_col(st, 4, ev->type, sizeof ev->type);
    copy_col(st, 5, ev->staff, sizeof ev->staff);
    copy_col(st, 6, ev->customer, sizeof ev->customer);
    ev->points = sqlite3_column_int64(st, 7);
    ev->stamps = sqlite3_column_int64(st, 8);
    ev->credit = sqlite3_column_int64(st, 9);
    ev->spend = sqlite3_column_int64(st, 10);
    ev->visits = sqlite3_column_int64(st, 11);
    copy_col(st, 12, ev->ref_origin, sizeof ev->ref_origin);
    ev->ref_seq = sqlite3_column_int64(st, 13);
    copy_col(st, 14, ev->occasion, sizeof ev->occasion);
    copy_col(st, 15, ev->reason, sizeof ev->reason);
    copy_col(st, 16, ev->data, sizeof ev->data);
    copy_col(st, 17, ev->pii, sizeof ev->pii);
    memset(ev->pii_hash, 0, sizeof ev->pii_hash);
    memset(ev->hash, 0, sizeof ev->hash);
    if (sqlite3_column_bytes(st, 18) == 32)
        memcpy(ev->pii_hash, sqlite3_column_blob(st, 18), 32);
    if (sqlite3_column_bytes(st, 19) == 32)
        memcpy(ev->hash, sqlite3_column_blob(st, 19), 32);
}

int store_get_event(store *s, const char *origin, int64_t seq, struct store_event *out)
{
    sqlite3_stmt *st = sql_event(s, "SELECT " EVENT_COLS " FROM events WHERE origin = ?1 AND seq = ?2",
                                 origin, seq);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no event %s:%" PRId64 " in this ledger"), origin, seq);
    row_to_event(st, out);
    return 0;
}

/* Several tills may grant the same once-per-occasion effect (a birthday
 * bonus, a void) before they hear of each other. Every event is kept, but
 * only the earliest by (hlc, origin) counts, so all tills agree whatever
 * order the events arrive in. */
static int occasion_claim(store *s, const struct store_event *ev, bool *counts)
{
    *counts = true;
    if (!ev->occasion[0])
        return 0;
    sqlite3_stmt *st = sql_keyed(s, "SELECT origin, seq, hlc FROM occasions WHERE key = ?1", ev->occasion);
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        char origin[STORE_ORIGIN_LEN + 1];
        copy_col(st, 0, origin, sizeof origin);
        int64_t seq = sqlite3_column_int64(st, 1), hlc = sqlite3_column_int64(st, 2);
        if (ev->hlc > hlc || (ev->hlc == hlc && strcmp(ev->origin, origin) > 0)) {
            *counts = false;
            return 0;
        }
        struct store_event old;
        if (store_get_event(s, origin, seq, &old) != 0 || apply_balance(s, &old, -1) != 0)
            return -1;
        tier_cache_forget(s, old.customer);     /* whatever it spent no longer counts (program.c) */
    }
    st = store_sql(s, "INSERT OR REPLACE INTO occasions(key, origin, seq, hlc) VALUES(?1, ?2, ?3, ?4)");
    if (!st)
        return -1;
    bind_text(st, 1, ev->occasion);
    bind_text(st, 2, ev->origin);
    sqlite3_bind_int64(st, 3, ev->seq);
    sqlite3_bind_int64(st, 4, ev->hlc);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* Records (hlc, origin) for entity.field if it is newer than what is held.
 * Returns 1 if this write wins, 0 if an older one, -1 on error. */
int lww_wins(store *s, const char *entity, const char *field, const struct store_event *ev)
{
    sqlite3_stmt *st = store_sql(s,
        "INSERT INTO lww(entity, field, hlc, origin) VALUES(?1, ?2, ?3, ?4)"
        " ON CONFLICT(entity, field) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin"
        " WHERE (excluded.hlc, excluded.origin) > (lww.hlc, lww.origin)");
    if (!st)
        return -1;
    bind_text(st, 1, entity);
    bind_text(st, 2, field);
    sqlite3_bind_int64(st, 3, ev->hlc);
    bind_text(st, 4, ev->origin);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    return sqlite3_changes(s->db) > 0;
}

/* The editable rows: each field is last-writer-wins on its own. update
 * sets the fields whose bit is in ?3 from the JSON object ?1, for the row
 * ?2: one text per set, whichever fields won, so each is prepared once. */
struct lww_set {
    const char *insert, *update;
    const char *table;
    const char *const fields[12];
};
#define LWW_FIELD(f, bit) f " = CASE WHEN ?3 & " #bit " THEN json_extract(?1, '$." f "') ELSE " f " END"
#define LWW_NAME(bit) \
    LWW_FIELD("name", bit) ", name_key = CASE WHEN ?3 & " #bit " THEN tally_fold(json_extract(?1, '$.name'))" \
    " ELSE name_key END"

static const struct lww_set CUSTOMER_PII = {
    "INSERT OR IGNORE INTO customers(id) VALUES(?1)",
    "UPDATE customers SET " LWW_NAME(1) ", " LWW_FIELD("phone", 2) ", " LWW_FIELD("email", 4) ", "
    LWW_FIELD("birthday", 8) " WHERE id = ?2",
    "customers", { "name", "phone", "email", "birthday" } };
static const struct lww_set CUSTOMER_DATA = {
    "INSERT OR IGNORE INTO customers(id) VALUES(?1)",
    "UPDATE customers SET " LWW_FIELD("consent", 1) ", " LWW_FIELD("referred_by", 2) ", "
    LWW_FIELD("card", 4) " WHERE id = ?2",
    "customers", { "consent", "referred_by", "card" } };
/* A late edit must not bring personal data back (nor consent, which
 * forget cleared); the card and referrer are no personal data and are
 * kept, so an enrolment that arrives after its forget derives the same. */
static const struct lww_set CUSTOMER_KEPT = {
    "INSERT OR IGNORE INTO customers(id) VALUES(?1)",
    "UPDATE customers SET " LWW_FIELD("referred_by", 1) ", " LWW_FIELD("card", 2) " WHERE id = ?2",
    "customers", { "referred_by", "card" } };
static const struct lww_set STAFF = {
    "INSERT OR IGNORE INTO staff(id) VALUES(?1)",
    "UPDATE staff SET " LWW_NAME(1) ", " LWW_FIELD("role", 2) ", " LWW_FIELD("pin_hash", 4) ", "
    LWW_FIELD("disabled", 8) " WHERE id = ?2",
    "staff", { "name", "role", "pin_hash", "disabled" } };
static const struct lww_set REWARD = {
    "INSERT OR IGNORE INTO rewards(id) VALUES(?1)",
    "UPDATE rewards SET " LWW_NAME(1) ", " LWW_FIELD("points", 2) ", " LWW_FIELD("stamps", 4) ", "
    LWW_FIELD("retired", 8) ", " LWW_FIELD("tier", 16) " WHERE id = ?2",
    "rewards", { "name", "points", "stamps", "retired", "tier" } };
static const struct lww_set PROMO = {
    "INSERT OR IGNORE INTO promos(id) VALUES(?1)",
    "UPDATE promos SET " LWW_NAME(1) ", " LWW_FIELD("multiplier", 2) ", " LWW_FIELD("days", 4) ", "
    LWW_FIELD("start_minute", 8) ", " LWW_FIELD("end_minute", 16) ", " LWW_FIELD("date_from", 32) ", "
    LWW_FIELD("date_to", 64) ", " LWW_FIELD("category", 128) ", " LWW_FIELD("ended", 256) ", "
    LWW_FIELD("tier", 512) " WHERE id = ?2",
    "promos", { "name", "multiplier", "days", "start_minute", "end_minute", "date_from", "date_to",
                "category", "ended", "tier" } };
static const struct lww_set COUPON = {
    "INSERT OR IGNORE INTO coupons(code) VALUES(?1)",
    "UPDATE coupons SET " LWW_FIELD("customer", 1) ", " LWW_FIELD("reward", 2) ", "
    LWW_FIELD("discount", 4) ", " LWW_FIELD("percent", 8) ", " LWW_FIELD("expires", 16) " WHERE code = ?2",
    "coupons", { "customer", "reward", "discount", "percent", "expires" } };

/* Sets the fields of one row that the JSON object holds, where this
 * event is the latest writer of each. */
static int lww_fields(store *s, const struct lww_set *set, const char *id, const char *json,
                      const struct store_event *ev)
{
    sqlite3_stmt *st = sql_keyed(s, set->insert, id);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    /* Which fields the object has: one parse, not one per field. */
    unsigned present = 0, won = 0;
    st = store_sql(s, "SELECT key FROM json_each(?1)");
    if (!st)
        return -1;
    bind_kept(st, 1, json);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        for (int f = 0; k && set->fields[f]; f++)
            if (strcmp(k, set->fields[f]) == 0)
                present |= 1u << f;
    }
    char entity[64];
    snprintf(entity, sizeof entity, "%s:%s", set->table, id);
    for (int f = 0; set->fields[f]; f++) {
        if (!(present & 1u << f))
            continue;
        int w = lww_wins(s, entity, set->fields[f], ev);
        if (w < 0)
            return -1;
        won |= (unsigned)w << f;
    }
    if (!won)
        return 0;
    st = store_sql(s, set->update);
    if (!st)
        return -1;
    bind_kept(st, 1, json);
    bind_text(st, 2, id);
    sqlite3_bind_int(st, 3, (int)won);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int json_text(store *s, const char *json, const char *key, char *out, size_t outsz)
{
    sqlite3_stmt *st = store_sql(s, "SELECT json_extract(?1, '$.' || ?2)");
    if (!st)
        return -1;
    bind_text(st, 1, json);
    bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
        return -1;
    copy_col(st, 0, out, outsz);
    return 0;
}

static bool customer_forgotten(store *s, const char *id)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT forgotten FROM customers WHERE id = ?1", id);
    if (!st)
        return false;
    return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
}

static int derive_customer(store *s, const struct store_event *ev)
{
    if (strcmp(ev->type, "enrol") == 0) {
        /* Its welcome points may still be in memory (balances_defer). */
        if (ensure_customer(s, ev->customer) != 0)
            return -1;
        /* The till of the earliest enrolment (the least origin of equal
         * ones, as schema.c fills it): the --till reports' members. */
        sqlite3_stmt *st = store_sql(s, "UPDATE customers SET till = CASE WHEN enrolled = ?2 THEN min(till, ?3) ELSE ?3 END,"
                                  " enrolled = ?2 WHERE id = ?1 AND (enrolled = 0 OR enrolled >= ?2)");
        if (!st)
            return -1;
        bind_text(st, 1, ev->customer);
        sqlite3_bind_int64(st, 2, ev->wall);
        bind_text(st, 3, ev->origin);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    if (strcmp(ev->type, "enrol") == 0 || strcmp(ev->type, "card") == 0) {
        char card[STORE_ID_LEN + 1];
        sqlite3_stmt *st = store_sql(s, "INSERT OR IGNORE INTO cards(card, customer) VALUES(?1, ?2)");
        if (!st || json_text(s, ev->data, "card", card, sizeof card) != 0)
            return st ? store_fail(s, "event without card") : -1;
        bind_text(st, 1, card);
        bind_text(st, 2, ev->customer);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    if (strcmp(ev->type, "forget") == 0) {
        sqlite3_stmt *st = sql_keyed(s, "UPDATE customers SET name = '', name_key = '', phone = '',"
                                  " email = '', birthday = '', consent = 0, forgotten = 1 WHERE id = ?1",
                                     ev->customer);
        if (!st)
            return -1;
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        /* The forget event itself says so: scrub what earlier events held. */
        st = sql_keyed(s, "UPDATE events SET pii = '' WHERE customer = ?1 AND pii <> ''", ev->customer);
        if (!st)
            return -1;
        return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    }
    if (customer_forgotten(s, ev->customer))
        return lww_fields(s, &CUSTOMER_KEPT, ev->customer, ev->data, ev);
    if (ev->pii[0] && lww_fields(s, &CUSTOMER_PII, ev->customer, ev->pii, ev) != 0)
        return -1;
    return lww_fields(s, &CUSTOMER_DATA, ev->customer, ev->data, ev);
}

/* --- a purchase never below zero -------------------------------------- */

/* Refunds made at two tills that were cut off from each other can take
 * back more than the purchase gave, and a void made at one can meet a
 * void of a refund made at the other. Every one of those events stands
 * (each happened at a counter), but what a purchase counts for is worked
 * out from all of them: nothing once a void of it counts or its refunds
 * come to all of it or more, else its purchase, refunds and voided
 * refunds summed, each figure no lower than zero. lot_adjust holds that
 * minus the plain sum, per purchase: a derived correction that the
 * balances, the rollups and the reports add like any other, so every till
 * holding the same events derives the same. It stands from the latest of
 * the purchase's events (wall, hlc): balances at a moment before that do
 * not have it. A positive spend there is a refund over the purchase
 * (tally check, report overdrafts). */
static const char SQL_LOT[] =
    "SELECT p.customer, p.type = 'earn' AND p.ref_origin = '', coalesce(max(x.v0), 0),"
    " p.points + coalesce(sum(x.points), 0), p.stamps + coalesce(sum(x.stamps), 0),"
    " p.credit + coalesce(sum(x.credit), 0), p.spend + coalesce(sum(x.spend), 0),"
    " p.visits + coalesce(sum(x.visits), 0), max(p.wall, coalesce(max(x.wall), 0)),"
    " max(p.hlc, coalesce(max(x.hlc), 0))"
    " FROM events p LEFT JOIN ("
    "  SELECT c.points, c.stamps, c.credit, c.spend, c.visits, c.wall, c.hlc, c.type = 'void' AS v0"
    "  FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = ?1 AND c.ref_seq = ?2 AND " COUNTED("c")
    "  UNION ALL SELECT v.points, v.stamps, v.credit, v.spend, v.visits, v.wall, v.hlc, 0 FROM events r"
    "  JOIN events v ON v.ref_origin <> '' AND v.ref_origin = r.origin AND v.ref_seq = r.seq"
    "  WHERE r.ref_origin <> '' AND r.ref_origin = ?1 AND r.ref_seq = ?2 AND " COUNTED("v")
    " ) x ON 1 WHERE p.origin = ?1 AND p.seq = ?2";

/* The correction held for purchase (origin, seq): 1 if there is one. */
static int lot_held(store *s, const char *origin, int64_t seq, struct lot_standing *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sql_event(s, "SELECT points, stamps, credit, spend, visits, wall, hlc FROM lot_adjust"
                                    " WHERE origin = ?1 AND seq = ?2", origin, seq);
    if (!st)
        return -1;
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    for (int i = 0; i < 5; i++)
        out->d[i] = sqlite3_column_int64(st, i);
    out->wall = sqlite3_column_int64(st, 5);
    out->hlc = sqlite3_column_int64(st, 6);
    sqlite3_reset(st);
    return 1;
}

static int lot_write(store *s, const char *origin, int64_t seq, const char *customer,
                     const struct lot_standing *want)
{
    bool none = true;
    for (int i = 0; i < 5; i++)
        none &= want->d[i] == 0;
    tier_cache_forget(s, customer);     /* its spend moves (program.c) */
    sqlite3_stmt *st = sql_event(s, none ? "DELETE FROM lot_adjust WHERE origin = ?1 AND seq = ?2"
        : "INSERT INTO lot_adjust(origin, seq, customer, points, stamps, credit, spend, visits, wall, hlc)"
          " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(origin, seq) DO UPDATE SET"
          " points = excluded.points, stamps = excluded.stamps, credit = excluded.credit,"
          " spend = excluded.spend, visits = excluded.visits, wall = excluded.wall, hlc = excluded.hlc",
        origin, seq);
    if (!st)
        return -1;
    if (!none) {
        bind_text(st, 3, customer);
        for (int i = 0; i < 5; i++)
            sqlite3_bind_int64(st, 4 + i, want->d[i]);
        sqlite3_bind_int64(st, 9, want->wall);
        sqlite3_bind_int64(st, 10, want->hlc);
    }
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* What purchase (origin, seq) counts for now, against the plain sum. */
static int lot_settle(store *s, const char *origin, int64_t seq)
{
    sqlite3_stmt *st = sql_event(s, SQL_LOT, origin, seq);
    if (!st)
        return -1;
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    if (!sqlite3_column_int(st, 1)) {
        sqlite3_reset(st);
        return 0;
    }
    char customer[STORE_ID_LEN + 1];
    copy_col(st, 0, customer, sizeof customer);
    bool voided = sqlite3_column_int(st, 2) != 0;
    int64_t raw[5];
    struct lot_standing held, want;
    for (int i = 0; i < 5; i++)
        raw[i] = sqlite3_column_int64(st, 3 + i);
    want.wall = sqlite3_column_int64(st, 8);
    want.hlc = sqlite3_column_int64(st, 9);
    sqlite3_reset(st);
    int had = lot_held(s, origin, seq, &held);
    if (had < 0)
        return -1;
    /* Refunded in full or more (raw spend <= 0): nothing stands of it,
     * as after one full refund. */
    bool gone = voided || raw[3] <= 0;
    for (int i = 0; i < 4; i++)
        want.d[i] = (gone || raw[i] < 0 ? 0 : raw[i]) - raw[i];
    want.d[4] = (!gone && raw[4] > 0 ? 1 : 0) - raw[4];
    int64_t d[5];
    bool any = had && (held.wall != want.wall || held.hlc != want.hlc);    /* it moves in time */
    for (int i = 0; i < 5; i++) {
        d[i] = want.d[i] - held.d[i];
        any |= d[i] != 0;
    }
    if (!any)
        return 0;
    if (balance_add(s, customer, d, 0, 0) != 0 || lot_write(s, origin, seq, customer, &want) != 0)
        return -1;
    return rollup_lot_adjust(s, origin, seq, &held, &want);
}

/* Whether any event refers to (origin, seq): a correction of it, here
 * before or after it (one index probe). */
int event_referred(store *s, const char *origin, int64_t seq)
{
    sqlite3_stmt *st = sql_event(s, "SELECT 1 FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = ?1"
                                    " AND c.ref_seq = ?2 LIMIT 1", origin, seq);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* The purchase whose standing an event may change: itself (when events
 * refer to it: nearly every purchase has no correction yet), the purchase
 * it corrects, or the purchase of the refund it voids, when held. */
static int lot_touched(store *s, const struct store_event *ev, bool referred)
{
    if (!ev->ref_origin[0])
        return referred && strcmp(ev->type, "earn") == 0 ? lot_settle(s, ev->origin, ev->seq) : 0;
    sqlite3_stmt *st = sql_event(s, "SELECT type, ref_origin, ref_seq FROM events WHERE origin = ?1 AND seq = ?2",
                                 ev->ref_origin, ev->ref_seq);
    if (!st)
        return -1;
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    char type[24], up[STORE_ORIGIN_LEN + 1];
    copy_col(st, 0, type, sizeof type);
    copy_col(st, 1, up, sizeof up);
    int64_t up_seq = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (strcmp(type, "earn") == 0)
        return lot_settle(s, ev->ref_origin, ev->ref_seq);
    if (strcmp(type, "refund") == 0 && up[0])
        return lot_settle(s, up, up_seq);
    return 0;
}

static int derive(store *s, const struct store_event *ev)
{
    char id[96];
    if (ev->customer[0]) {
        bool counts, effect = ev->points || ev->stamps || ev->credit || ev->spend || ev->visits;
        if (occasion_claim(s, ev, &counts) != 0)
            return -1;
        expiry_cache_note(s, ev, counts);       /* ledger.c */
        /* apply_balance creates the row as it adds; without an effect that
         * counts, the row must still exist (an enrolment, an NPS answer). */
        if (counts && effect ? apply_balance(s, ev, 1) != 0 : ensure_customer(s, ev->customer) != 0)
            return -1;
        /* Corrections that came before the event they refer to. */
        int referred = event_referred(s, ev->origin, ev->seq);
        if (referred < 0 || rollup_event(s, ev, counts, referred) != 0)     /* report rollups (rollup.c) */
            return -1;
        tier_cache_note(s, ev, counts, referred);     /* the kept tier windows (program.c) */
        if (lot_touched(s, ev, referred) != 0)
            return -1;
    }
    if (messages_derive(s, ev) != 0)        /* outbox, contact, templates (messages.c) */
        return -1;
    const char *t = ev->type;
    if (strcmp(t, "setting") == 0) {
        char key[64];
        if (json_text(s, ev->data, "key", key, sizeof key) != 0)
            return store_fail(s, "setting without key");
        settings_changed(s);    /* till_derive writes settings of its own */
        if (strncmp(key, "till.", 5) == 0 && till_derive(s, ev) != 0)
            return -1;
        if (strncmp(key, VOUCH_PREFIX, strlen(VOUCH_PREFIX)) == 0 && vouch_derive(s, ev) != 0)
            return -1;
        snprintf(id, sizeof id, "setting:%s", key);
        int won = lww_wins(s, id, "value", ev);
        if (won <= 0)
            return won;
        sqlite3_stmt *st = store_sql(s, "INSERT OR REPLACE INTO settings(key, value)"
                                  " VALUES(?1, coalesce(json_extract(?2, '$.value'), ''))");
        if (!st)
            return -1;
        bind_text(st, 1, key);
        bind_text(st, 2, ev->data);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        settings_changed(s);
        /* The shop's name or currency changed, here or at another till. */
        if (strncmp(key, "shop.", 5) == 0 && s->origin[0])
            load_shop(s);
        return 0;
    }
    if (strcmp(t, "staff") == 0 || strcmp(t, "reward") == 0 || strcmp(t, "promo") == 0) {
        if (json_text(s, ev->data, "id", id, sizeof id) != 0)
            return store_fail(s, "event without id");
        if (t[0] == 'r')
            settings_changed(s);    /* the catalog's prices are kept with them */
        return lww_fields(s, t[0] == 's' ? &STAFF : t[0] == 'r' ? &REWARD : &PROMO, id, ev->data, ev);
    }
    if (strcmp(t, "coupon") == 0) {
        if (json_text(s, ev->data, "code", id, sizeof id) != 0)
            return store_fail(s, "coupon without code");
        /* Its uses held count as what it gives (rollup.c). */
        char reward[STORE_ID_LEN + 1];
        int64_t discount;
        if (rollup_coupon_class(s, id, reward, &discount) != 0 || lww_fields(s, &COUPON, id, ev->data, ev) != 0 ||
            rollup_coupon_changed(s, id, reward, discount) != 0)
            return -1;
        return campaign_derive(s, ev);
    }
    if (strcmp(t, "campaign") == 0 || strcmp(t, "campaign_member") == 0)
        return campaign_derive(s, ev);
    if (strcmp(t, "coupon_use") == 0) {
        sqlite3_stmt *st = sql_keyed(s, "INSERT INTO coupons(code, uses) VALUES(json_extract(?1, '$.code'), 1)"
                                  " ON CONFLICT(code) DO UPDATE SET uses = uses + 1", ev->data);
        if (!st)
            return -1;
        return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    }
    if (strcmp(t, "enrol") == 0 || strcmp(t, "profile") == 0 || strcmp(t, "card") == 0 ||
        strcmp(t, "forget") == 0)
        return derive_customer(s, ev);
    return 0;
}

/* Version vector marks move once per batch, not once per event: a batch
 * is almost always one origin's next run of events, so per event it is
 * one comparison in memory, and per batch one read and one write. */
#define VV_RUNS 16
struct vv_run {
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t mark;           /* highest seq held with no gap below */
    bool moved;
};

/* Writes the marks that moved, first taking in events above each mark
 * that came early (before a gap that this batch filled). */
static int vv_flush(store *s, struct vv_run *runs, int *nruns)
{
    for (int i = 0; i < *nruns; i++) {
        struct vv_run *r = &runs[i];
        if (!r->moved)
            continue;
        /* One walk up the primary key, not a lookup per event: after a
         * long gap closes, tens of thousands may be waiting above it. */
        sqlite3_stmt *st = sql_event(s, "SELECT seq FROM events WHERE origin = ?1 AND seq > ?2 ORDER BY seq",
                                     r->origin, r->mark);
        if (!st)
            return -1;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_int64(st, 0) == r->mark + 1)
            r->mark++;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(s);
        st = sql_event(s, "INSERT OR REPLACE INTO vv(origin, seq) VALUES(?1, ?2)", r->origin, r->mark);
        if (!st)
            return -1;
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    *nruns = 0;
    return 0;
}

/* Notes that a foreign event was written. */
static int vv_note(store *s, struct vv_run *runs, int *nruns, const char *origin, int64_t seq)
{
    struct vv_run *r = NULL;
    for (int i = 0; i < *nruns && !r; i++)
        if (strcmp(runs[i].origin, origin) == 0)
            r = &runs[i];
    if (!r) {
        if (*nruns == VV_RUNS && vv_flush(s, runs, nruns) != 0)
            return -1;
        sqlite3_stmt *st = sql_keyed(s, "SELECT seq FROM vv WHERE origin = ?1", origin);
        if (!st)
            return -1;
        r = &runs[(*nruns)++];
        snprintf(r->origin, sizeof r->origin, "%s", origin);
        r->mark = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        r->moved = false;
    }
    if (seq == r->mark + 1) {   /* otherwise a gap below: the mark stays */
        r->mark = seq;
        r->moved = true;
    }
    return 0;
}

/* Returns 0 when written, 1 when (origin, seq) is held already. */
static int insert_event(store *s, const struct store_event *ev)
{
    sqlite3_stmt *st = store_sql(s, "INSERT INTO events(" EVENT_COLS ") VALUES"
                              "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)");
    if (!st)
        return -1;
    bind_kept(st, 1, ev->origin);
    sqlite3_bind_int64(st, 2, ev->seq);
    sqlite3_bind_int64(st, 3, ev->hlc);
    sqlite3_bind_int64(st, 4, ev->wall);
    bind_kept(st, 5, ev->type);
    bind_kept(st, 6, ev->staff);
    bind_kept(st, 7, ev->customer);
    sqlite3_bind_int64(st, 8, ev->points);
    sqlite3_bind_int64(st, 9, ev->stamps);
    sqlite3_bind_int64(st, 10, ev->credit);
    sqlite3_bind_int64(st, 11, ev->spend);
    sqlite3_bind_int64(st, 12, ev->visits);
    bind_kept(st, 13, ev->ref_origin);
    sqlite3_bind_int64(st, 14, ev->ref_seq);
    bind_kept(st, 15, ev->occasion);
    bind_kept(st, 16, ev->reason);
    bind_kept(st, 17, ev->data);
    /* Personal data of a customer already forgotten here is not kept. */
    bind_kept(st, 18, ev->pii[0] && ev->customer[0] && customer_forgotten(s, ev->customer) ? "" : ev->pii);
    sqlite3_bind_blob(st, 19, ev->pii_hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 20, ev->hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)    /* (origin, seq) is held: the caller looks */
        return 1;
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* checked: made by this till just now, by event_append (it was built by
 * this code and hashed a moment ago, so validating it again is waste), or
 * a foreign event the helper thread has just validated.
 * A foreign event is validated, then simply inserted: the primary key
 * says whether (origin, seq) is held, which is rare on the way in, so it
 * is looked up only then - a copy (same hash) or a fork. */
static enum store_apply apply_one(store *s, const struct store_event *ev, bool checked,
                                  char *why, size_t whysz)
{
    struct checker ck = { s, NULL };
    if (!checked && event_validate(&ck, ev, why, whysz) != 0) {
        /* A garbled copy of an event we hold is damage on the way, not a
         * second history: rejected, not a fork. */
        return STORE_REJECTED;
    }
    /* Callers hold the transaction; a failure here rolls all of it back. */
    int held = insert_event(s, ev);
    if (held < 0)
        return STORE_FAILED;
    if (held) {
        sqlite3_stmt *st = sql_event(s, "SELECT hash FROM events WHERE origin = ?1 AND seq = ?2",
                                     ev->origin, ev->seq);
        if (!st)
            return STORE_FAILED;
        if (sqlite3_step(st) != SQLITE_ROW) {
            db_fail(s);
            return STORE_FAILED;
        }
        if (sqlite3_column_bytes(st, 0) == 32 && memcmp(sqlite3_column_blob(st, 0), ev->hash, 32) == 0)
            return STORE_DUPLICATE;
        st = sql_event(s, "INSERT OR IGNORE INTO forks(origin, seq, seen, theirs) VALUES(?1, ?2, ?3, ?4)",
                       ev->origin, ev->seq);
        if (!st)
            return STORE_FAILED;
        sqlite3_bind_int64(st, 3, store_now(s));
        sqlite3_bind_blob(st, 4, ev->hash, 32, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            return STORE_FAILED;
        snprintf(why, whysz, "fork: %s:%" PRId64 " is held with other content", ev->origin, ev->seq);
        return STORE_FORK;
    }
    return derive(s, ev) != 0 ? STORE_FAILED : STORE_APPLIED;
}

int event_append(store *s, struct store_event *ev)
{
    if (!s->origin[0])
        return store_fail(s, _("this till has no shop yet: run 'tally init' first"));
    memcpy(ev->origin, s->origin, sizeof ev->origin);
    sqlite3_stmt *st = sql_keyed(s, "SELECT (SELECT coalesce(max(seq), 0) FROM events WHERE origin = ?1),"
                              " (SELECT coalesce(max(hlc), 0) FROM events)", s->origin);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    ev->seq = sqlite3_column_int64(st, 0) + 1;
    int64_t last = sqlite3_column_int64(st, 1);
    ev->wall = store_now(s);
    ev->hlc = ev->wall << 16 > last ? ev->wall << 16 : last + 1;
    pii_digest(ev->pii, ev->pii_hash);
    event_hash(ev, ev->hash);
    char why[256];
    enum store_apply r = apply_one(s, ev, true, why, sizeof why);
    if (r == STORE_APPLIED)
        return 0;
    if (r != STORE_FAILED)
        return store_fail(s, "%s", why);
    return -1;
}

int store_apply_events(store *s, const struct store_event *evs, size_t n,
                       enum store_apply *results, char *why, size_t whysz)
{
    if (why && whysz)
        why[0] = '\0';
    if (tx_begin(s) != 0)
        return -1;
    /* The vv rows are for other origins: this till's own events are
     * contiguous by construction, so its mark is max(seq). */
    struct vv_run runs[VV_RUNS];
    int nruns = 0;
    struct ahead a;
    bool helped = ahead_start(&a, evs, n) == 0;
    /* Balances summed per customer (balances_defer); without the memory,
     * written event by event. */
    if (!s->bal)
        s->bal = calloc(BAL_PENDING_SLOTS, sizeof *s->bal);
    s->bal_deferred = s->bal != NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char msg[256];
        msg[0] = '\0';
        enum store_apply r = apply_one(s, &evs[i], helped && ahead_passed(&a, i), msg, sizeof msg);
        if (r == STORE_FAILED ||
            (r == STORE_APPLIED && vv_note(s, runs, &nruns, evs[i].origin, evs[i].seq) != 0))
            rc = -1;
        if (results)
            results[i] = r;
        if ((r == STORE_REJECTED || r == STORE_FORK) && why && whysz && !why[0])
            snprintf(why, whysz, "%s", msg);
    }
    if (helped)
        ahead_end(&a);
    s->bal_deferred = false;
    if (rc != 0 || balances_flush(s) != 0 || vv_flush(s, runs, &nruns) != 0) {
        balances_drop(s);
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}

int store_read_events(store *s, const char *origin, int64_t after,
                      struct store_event *out, int limit)
{
    /* An import being added goes to other tills whole, once it is all in
     * (import.c). */
    sqlite3_stmt *st = sql_event(s, "SELECT " EVENT_COLS " FROM events WHERE origin = ?1 AND seq > ?2"
                              " AND ?1 IS NOT " IMPORT_HIDDEN " ORDER BY seq LIMIT ?3", origin, after);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 3, limit);
    int n = 0;
    while (n < limit && sqlite3_step(st) == SQLITE_ROW)
        row_to_event(st, &out[n++]);
    return n;
}

int import_staged_read(store *s, struct store_event *out, int limit)
{
    sqlite3_stmt *st = store_sql(s, "SELECT " EVENT_COLS " FROM import_staged ORDER BY seq LIMIT ?1");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, limit);
    int n = 0, step = SQLITE_DONE;
    while (n < limit && (step = sqlite3_step(st)) == SQLITE_ROW)
        row_to_event(st, &out[n++]);
    return n == limit || step == SQLITE_DONE ? n : db_fail(s);
}

int store_version_vector(store *s, struct store_vv *out, int max)
{
    /* max(seq) as a scalar subquery: SQLite reads the last key of the
     * primary key for it, where GROUP BY origin would walk every event of
     * this till (ten seconds on a till with two million events). */
    sqlite3_stmt *st = sql_keyed(s, "SELECT origin, seq FROM vv WHERE origin <> ?1"
                              " AND origin IS NOT " IMPORT_HIDDEN " UNION ALL"
                              " SELECT ?1, (SELECT max(seq) FROM events WHERE origin = ?1) AS m"
                              " WHERE m IS NOT NULL ORDER BY 1", s->origin);
    if (!st)
        return -1;
    int n = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, out[n].origin, sizeof out[n].origin);
        out[n].seq = sqlite3_column_int64(st, 1);
        n++;
    }
    return n;
}

int store_list_events(store *s, const struct store_event_filter *f,
                      int (*fn)(const struct store_event *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT " EVENT_COLS " FROM events"
                              " WHERE (?1 = '' OR customer = ?1) AND (?2 = '' OR type = ?2)"
                              " AND origin IS NOT " IMPORT_HIDDEN
                              " ORDER BY hlc DESC, origin DESC LIMIT ?3");
    if (!st)
        return -1;
    bind_text(st, 1, f && f->customer ? f->customer : "");
    bind_text(st, 2, f && f->type ? f->type : "");
    sqlite3_bind_int(st, 3, f && f->limit > 0 ? f->limit : -1);
    struct store_event *ev = malloc(sizeof *ev);
    if (!ev)
        return store_fail(s, _("out of memory"));
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_event(st, ev);
        if ((rc = fn(ev, arg)) != 0)
            break;
    }
    free(ev);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(s);
    sqlite3_reset(st);
    return rc;
}

int64_t store_event_count(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM events");
    return st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
}

/* The digest covers every derived table in a fixed order, so two tills
 * holding the same events agree, and any divergence shows. */
int store_digest(store *s, char out[65])
{
    static const char *const QUERIES[] = {
        ("SELECT id, card, name, phone, email, birthday, consent, referred_by, enrolled,"
         " forgotten, points, stamps, credit, spend, visits, first_visit, last_visit"
         " FROM customers ORDER BY id"),
        "SELECT card, customer FROM cards ORDER BY card",
        "SELECT key, value FROM settings ORDER BY key",
        "SELECT id, name, role, pin_hash, disabled FROM staff ORDER BY id",
        "SELECT id, name, points, stamps, retired FROM rewards ORDER BY id",
        "SELECT code, customer, reward, discount, percent, expires, uses FROM coupons ORDER BY code",
        ("SELECT id, name, multiplier, days, start_minute, end_minute, date_from, date_to,"
         " category, ended FROM promos ORDER BY id"),
        "SELECT key, origin, seq FROM occasions ORDER BY key",
        /* Schema 4 (messages.c): hashed only when they hold rows, so a
         * ledger without messages keeps the digest it had. */
        ("SELECT key, customer, trig, channel, lang, created, expires, vars, status, s_hlc, s_origin,"
         " status_at, tries, next_try, reason, recipient, message_id FROM outbox ORDER BY key"),
        "SELECT customer, language, email_ok, email_at, email_by, sms_ok, sms_at, sms_by FROM contact ORDER BY customer",
        "SELECT trig, lang, subject, body FROM templates ORDER BY trig, lang",
        /* Schema 5: each purchase's correction (lot_settle), as lazy. */
        ("SELECT origin, seq, customer, points, stamps, credit, spend, visits, wall, hlc"
         " FROM lot_adjust ORDER BY origin, seq"),
        /* Schema 7 (campaigns.c), hashed only when they hold rows. */
        ("SELECT id, name, segment, min_visits, arms, holdout, message, channels, started, expires,"
         " stopped FROM campaigns ORDER BY id"),
        "SELECT campaign, customer, arm, coupon, multiplier FROM campaign_members ORDER BY campaign, customer",
        /* Schema 9 (perks.c): the tier a perk is kept for, hashed only
         * when some reward or promotion is one. */
        ("SELECT 'reward', id, tier FROM rewards WHERE tier <> ''"
         " UNION ALL SELECT 'promo', id, tier FROM promos WHERE tier <> '' ORDER BY 1, 2"),
    };
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    for (size_t q = 0; q < sizeof QUERIES / sizeof QUERIES[0]; q++) {
        sqlite3_stmt *st = store_sql(s, QUERIES[q]);
        if (!st)
            return -1;
        bool lazy = q >= 8;     /* the tables of schema 4 on */
        if (!lazy)
            hash_str(&h, "table");
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (lazy) {         /* which table: rows alone could be read as another's */
                hash_str(&h, QUERIES[q]);
                lazy = false;
            }
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *v = sqlite3_column_text(st, c);
                hash_str(&h, v ? (const char *)v : "");
            }
        }
        if (step != SQLITE_DONE)
            return db_fail(s);
    }
    unsigned char d[32];
    crypto_generichash_final(&h, d, 32);
    sodium_bin2hex(out, 65, d, 32);
    return 0;
}
