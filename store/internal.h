/* internal.h - what the store's own files share. Not for other modules. */
#ifndef TALLY_STORE_INTERNAL_H
#define TALLY_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

#define STMT_CACHE 256
#define SETTINGS_CACHE 96
#define SETTINGS_DEFS_MAX 128      /* program.c's DEFS fit in this */
#define IMPORT_NONCE_BYTES 16      /* an import origin's nonce (sync_support.c) */

/* The settings as read in a write transaction (see setting_raw), kept for
 * the next while no other connection has written (tx_begin). */
struct settings_cache {
    bool loaded;
    int n;
    struct { char key[48]; char value[1024]; } item[SETTINGS_CACHE];
    short of_def[SETTINGS_DEFS_MAX];   /* per DEFS entry: its item + 1, 0: the default */
    /* The catalog's prices, for the reward trigger (messages.c), kept alike;
     * nprices -1: more than price holds. */
    bool prices_loaded;
    int nprices;
    struct { int64_t points, stamps; } price[64];
};

struct stmt_slot {
    char *sql;
    sqlite3_stmt *st;
};

/* roll_till deltas of the open transaction, written just before it
 * commits (rollup.c): a batch of events touches a few hour buckets many
 * times over. */
/* An event (SQL alias e) counts unless it lost its once-per-occasion
 * claim (events.c occasion_claim): the ledger, the reports and the rollups
 * all ask it this way. */
#define COUNTED(e) "(" e ".occasion = '' OR EXISTS (SELECT 1 FROM occasions o" \
    " WHERE o.key = " e ".occasion AND o.origin = " e ".origin AND o.seq = " e ".seq))"

/* Each public transaction is one write transaction around its _tx body. */
#define IN_TX(call) do { \
        if (tx_begin(s) != 0) return -1; \
        if ((call) != 0) { tx_rollback(s); return -1; } \
        return tx_commit(s); \
    } while (0)

/* Each public report is one read transaction around its _tx body (or
 * part of the caller's snapshot, report_read_begin). */
#define IN_READ(call) do { \
        bool began; \
        if (report_read_begin(s, &began) != 0) return -1; \
        return report_read_end(s, began, (call)); \
    } while (0)

/* The most points one event may give or take, and the most a balance
 * can sensibly hold (tally check calls anything beyond absurd). */
#define POINTS_MAX 1000000000LL

/* roll_till's buckets (rollup.c, report.c). */
#define HOUR_MS ((int64_t)3600000)
#define DAY_MS ((int64_t)86400000)

/* The event types the rewards report reads, as the WHERE of the partial
 * index events_use (schema.c) and of the query that uses it (report.c). */
#define USE_TYPES "(type = 'redeem' OR type = 'pay' OR type = 'coupon_use')"

/* What one use gives up, by kind (k) and what it was (id): a redemption
 * of a catalog reward (1: its points and stamps), a coupon (2: its reward,
 * 'amount' with the amount off, or 'percent'), points as payment (3: the
 * points, and the discount they paid), store credit spent (4). A coupon
 * not held yet, or a percentage, is worth nothing known. The rows of the
 * uses in `used`, a CTE of events with their origin; report.c reads them
 * for a period, schema.c sums them into roll_use by hour, and rollup.c
 * keeps roll_use as uses, coupons and voids arrive. USE_COUPON_ID and
 * USE_COUPON_VAL: a coupon's kind and value from its reward and discount. */
#define USE_COUPON_ID(reward, discount) \
    "CASE WHEN " reward " <> '' THEN " reward " WHEN " discount " > 0 THEN 'amount' ELSE 'percent' END"
#define USE_COUPON_VAL(reward, discount) "CASE WHEN " reward " = '' THEN " discount " ELSE 0 END"
#define USE_ROWS \
    " rows AS (SELECT 1 AS k, coalesce(json_extract(data, '$.reward'), '') AS id, origin, wall," \
    "   -points AS p, -stamps AS st, 0 AS val FROM used WHERE type = 'redeem'" \
    "  UNION ALL SELECT 2, " USE_COUPON_ID("coalesce(c.reward, '')", "coalesce(c.discount, 0)") "," \
    "   u.origin, u.wall, 0, 0, " USE_COUPON_VAL("coalesce(c.reward, '')", "coalesce(c.discount, 0)") \
    "   FROM used u LEFT JOIN coupons c ON c.code = json_extract(u.data, '$.code') WHERE u.type = 'coupon_use'" \
    "  UNION ALL SELECT 3, '', origin, wall, -points, 0, coalesce(json_extract(data, '$.discount'), 0)" \
    "   FROM used WHERE type = 'pay' AND points < 0" \
    "  UNION ALL SELECT 4, '', origin, wall, 0, 0, -credit FROM used WHERE type = 'pay' AND credit < 0)"
/* The uses of events e (with a condition on e) that no counted void
 * takes back. An event's identity as one value for NOT IN: SQLite checks
 * a row value (origin, seq) NOT IN (...) against the whole list for every
 * row when it cannot prove the list free of NULLs - hours on a year of
 * events - while one value gets an index built once. */
#define USE_USED(cond) \
    "voided AS MATERIALIZED (SELECT v.ref_origin || ':' || v.ref_seq AS k FROM events v" \
    "  WHERE v.ref_origin <> '' AND v.type = 'void' AND " COUNTED("v") ")," \
    " used AS (SELECT e.origin, e.wall, e.type, e.points, e.stamps, e.credit, e.data FROM events e" \
    "  WHERE " USE_TYPES " AND " cond " AND e.origin || ':' || e.seq NOT IN (SELECT k FROM voided)),"

#define ROLL_TILL_COLS 19
#define ROLL_PENDING_MAX 64
struct roll_pending {
    int64_t hour;
    char till[STORE_ORIGIN_LEN + 1];
    char staff[STORE_ID_LEN + 1];
    int64_t v[ROLL_TILL_COLS];
};

/* roll_balance's deltas until the transaction commits (rollup.c
 * month_add): open addressing on (month, customer), written out in key
 * order at commit or when half full. */
#define MONTH_PENDING_SLOTS 1024    /* a power of two */
struct month_pending {
    int64_t month;                  /* year * 12 + month - 1, UTC (rollup_month) */
    char customer[STORE_ID_LEN + 1];    /* '' : a free slot */
    int64_t v[3];                   /* points, stamps, credit */
};

/* A customer's balance deltas while a batch of foreign events is applied
 * (events.c balances_defer). */
#define BAL_PENDING_SLOTS 4096      /* a power of two; written out at half full */
struct bal_pending {
    char customer[STORE_ID_LEN + 1];
    int64_t d[5];                   /* points, stamps, credit, spend, visits */
    int64_t first, last;            /* visits' earliest and latest moment, 0: none */
};

struct store {
    sqlite3 *db;
    char err[512];
    char origin[STORE_ORIGIN_LEN + 1];
    char shop_name[STORE_TEXT_MAX * 4 + 1];
    char currency[4];
    int digits;
    int64_t clock_ms;           /* fixed clock for tests; 0 = real time */
    int tx_depth;
    struct stmt_slot cache[STMT_CACHE];
    /* Statements handed out since the last store_release: the only ones
     * that can hold a read snapshot. live_overflow: more than fit. */
    sqlite3_stmt *live[32];
    int nlive;
    bool live_overflow;
    struct settings_cache settings;
    bool offline;               /* told by the caller: no other till heard lately */
    struct roll_pending roll[ROLL_PENDING_MAX];
    int nroll;
    struct month_pending *mon;      /* MONTH_PENDING_SLOTS, or NULL until the first */
    int nmon;
    struct bal_pending *bal;        /* BAL_PENDING_SLOTS, or NULL */
    int nbal;
    bool bal_deferred;
    /* An import's work copy (import.c): no welcome bonus, no messages, no
     * abuse limits; the tier window summed as it slides (program.c). */
    bool importing;
    char import_file[65];           /* hash of the file being imported */
    char import_nonce[2 * IMPORT_NONCE_BYTES + 1];  /* what its origin was derived from (hex) */
    int import_lock;                /* flock on DB.import.lock while importing, or 0 */
    struct tier_cache *tier_cache;
    unsigned tier_generation;       /* a slot of another generation is empty (program.c) */
    int64_t today_from, today_to;   /* the local day of the last purchase (messages.c) */
    char (*held)[STORE_MSG_KEY_MAX];    /* occasion keys seen held, by hash (messages.c) */
    int64_t data_version_seen;          /* at the last transaction's start (tx_begin) */
    struct expiry_cache *expiry_cache;  /* an import's "nothing due" (ledger.c) */
};

/* db.c */
int store_fail(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int db_fail(store *s);
sqlite3_stmt *store_sql(store *s, const char *text);   /* cached, reset, bindings cleared */
int sql_exec(store *s, const char *text);
int tx_begin(store *s);
int tx_commit(store *s);
void tx_rollback(store *s);
int local_get(store *s, const char *key, void *out, int outsz);
int local_set(store *s, const char *key, const void *val, int len);
void random_id(char *out, size_t chars);  /* lowercase hex */
void bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement that gives one row or none: 1 when it gave its row
 * (read it from st), 0 when none, -1 (db_fail) when the step failed. */
int sql_row(store *s, sqlite3_stmt *st);
/* store_sql() with ?1 bound to key: the statements about one row, id or
 * JSON text, which most are. */
sqlite3_stmt *sql_keyed(store *s, const char *text, const char *key);
/* store_sql() with ?1 bound to an event's origin and ?2 to its seq (or to
 * a till's origin and a seq that bounds a range of its events). */
sqlite3_stmt *sql_event(store *s, const char *text, const char *origin, int64_t seq);
/* Without a copy: v must stay as it is until the statement has stepped
 * (store_sql() clears the bindings before the statement is used again). */
void bind_kept(sqlite3_stmt *st, int i, const char *v);
void copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz);
/* SQL function tally_fold(text): the accent- and case-insensitive search key. */
void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* schema.c: brings the database up to STORE_SCHEMA_VERSION (see there). */
int schema_migrate(store *s);

/* shop.c: loads what every command needs: origin, shop name and currency. */
int load_shop(store *s);

/* events.c */
/* Fills identity, clock and hash of ev and applies it as this till's own
 * event. Caller holds a transaction. */
int event_append(store *s, struct store_event *ev);
void event_init(struct store_event *ev, const char *type, const char *staff,
                const char *customer);
void event_ref(const struct store_event *ev, char *out, size_t outsz);
/* The content hash of ev: identity plus everything it says (test_store.c
 * pins it to a known answer, so a format change is a conscious one). */
void event_hash(const struct store_event *ev, unsigned char out[32]);
/* Whether an event's stored hash matches its content. */
bool event_hash_ok(const struct store_event *ev);
/* Moves a finished JSON buffer into ev->data or ev->pii (dst), freeing it;
 * fails if it did not fit. */
struct jbuf;
int jb_take(store *s, struct jbuf *jb, char *dst);
/* Adds a random salt to a personal-data JSON object. */
void pii_salt(char *pii, size_t sz);

/* program.c */
int64_t setting_int(store *s, const char *key);
/* A setting's canonical value as held (or its default). */
void setting_text(store *s, const char *key, char *out, size_t outsz);
void settings_changed(store *s);    /* a setting or reward event was applied: what is kept goes */
/* Starts a "setting" event that sets key: ev as staff's, jb as
 * {"key":KEY,"value": for the caller to write the value, end the object
 * and jb_take into ev.data. */
void setting_event_begin(struct store_event *ev, struct jbuf *jb, const char *staff, const char *key);
int till_derive(store *s, const struct store_event *ev);   /* a "till.*" setting (sync_support.c) */
/* sync_support.c: appends a till's record as this till's own event (the
 * signing key as this till holds it); caller holds a transaction. */
int till_write(store *s, const char *staff, const struct store_till *t);
/* sync_support.c: vouching for an import's origin (see there).
 * "imported.<origin>" in local: an import this till made. */
#define VOUCH_PREFIX "vouch."
#define IMPORTED_PREFIX "imported."
int vouch_derive(store *s, const struct store_event *ev);   /* a "vouch.*" setting */
/* Vouches, as this till's own events, for every import it made with a
 * derived origin that no key signs yet (none while it does not sign
 * yet); caller holds a transaction. */
int vouch_imports(store *s);
/* Writes the record that first names this till's signing key (its first
 * signed event), listing the imports it made before derived ids: the
 * only place they count. */
int till_write_first(store *s, const struct store_till *t);
int till_write_with(store *s, const char *staff, const struct store_till *t,
                    char (*imports)[STORE_ORIGIN_LEN + 1], int nimports);
/* An import's origin: the first STORE_ORIGIN_LEN/2 bytes of Argon2id
 * over the importer's signing key with nonce as salt, in hex. */
int import_origin_of(const unsigned char key[STORE_SIGN_KEY_BYTES], const unsigned char nonce[IMPORT_NONCE_BYTES],
                     char out[STORE_ORIGIN_LEN + 1]);
/* A new import's origin, derived from this till's signing key (made now
 * if it has none) and a fresh nonce (nonce_hex), unknown to the shop. */
int import_origin_new(store *s, char origin[STORE_ORIGIN_LEN + 1], char nonce_hex[2 * IMPORT_NONCE_BYTES + 1]);
/* chain.c: a till's hash chain and signatures (see store.h). */
#define CHAIN_MSG_BYTES (22 + STORE_ORIGIN_LEN + STORE_LINK_BYTES)
void chain_step(unsigned char link[STORE_LINK_BYTES], const unsigned char hash[32]);
/* What a till signs for its chain at seq: a label, origin, seq, link. */
void chain_message(const char *origin, int64_t seq, const unsigned char link[STORE_LINK_BYTES],
                   unsigned char msg[CHAIN_MSG_BYTES]);
/* Records origin's signing key from first_seq on, unless one is known. */
int signer_bind(store *s, const char *origin, const unsigned char key[STORE_SIGN_KEY_BYTES], int64_t first_seq);
/* Gives this till (s->origin) the signing key sign_sk (NULL: a new one),
 * signing from first_seq; caller holds a transaction. */
int signing_setup(store *s, const unsigned char *sign_sk, int64_t first_seq);
/* This till's signing public key, made now (not yet bound) if it has none. */
int signing_key_ensure(store *s, unsigned char pk[STORE_SIGN_KEY_BYTES]);
struct tier { char name[64]; int64_t threshold, multiplier; };
int tiers_load(store *s, struct tier *out, int max);
int tier_status(store *s, const char *customer, int64_t now, struct store_tier_status *out);
void tier_for_spend(store *s, int64_t spend, struct store_tier_status *out);
/* The tier's place in the 'tiers' list, lowest 0; -1 if none has the name. */
int tier_index(store *s, const char *name);
/* The tier a person typed (case- and accent-insensitive): its index, and
 * its name as the 'tiers' list spells it in name; -1 if there is none. */
int tier_find(store *s, const char *typed, char name[64]);
/* The best multiplier among the promotions running at now for a purchase
 * of category by a member of tier (a promotion kept for a tier above it
 * does not count). */
int64_t promo_multiplier(store *s, int64_t now, const char *category, const char *tier);

bool category_earns_stamps(store *s, const char *category);
/* Refuses (-1, said in words) a program whose best earn rate per unit of
 * currency is past the bound; -1 for an argument: as the program stands. */
int earn_rate_check(store *s, int64_t per_unit, int64_t tier_milli, int64_t promo_milli);

/* The origin of an import being added (import.c), which sync and 'tally
 * events' leave out until all of it is in; NULL when there is none. */
#define IMPORT_HIDDEN "(SELECT CAST(value AS TEXT) FROM local WHERE key = 'import.origin')"
/* An event's columns, in the order events and import_staged hold them. */
#define EVENT_COLS \
    "origin, seq, hlc, wall, type, staff, customer, points, stamps, credit, spend," \
    " visits, ref_origin, ref_seq, occasion, reason, data, pii, pii_hash, hash"
/* This till's import, for 'tally check' (import.c): sealed, how many of
 * its events are added; staged, events held for it; running, whether a
 * process is at it now; copy, whether its work copy is there. */
struct import_state { bool sealed, running, copy; int64_t events, added, staged; };
int import_state(store *s, struct import_state *out);
/* store_import_end in its two steps: import_seal stages work's events
 * and seals them (ok), or drops them (not ok), and closes work;
 * import_add adds up to limit (0: all) of a sealed import's events. */
int import_seal(store *s, store *work, bool ok);
int import_add(store *s, int64_t limit, int64_t *added);
/* The first `limit` events of import_staged (import.c), in order. */
int import_staged_read(store *s, struct store_event *out, int limit);
/* A purchase of `spend` for customer at now was recorded (import only). */
/* The kept window sums (program.c): an applied event's spend, counted or
 * not and with a correction before it or not (events.c derive); a
 * customer's dropped; all dropped. */
void tier_cache_note(store *s, const struct store_event *ev, bool counts, bool referred);
void tier_cache_forget(store *s, const char *customer);
void tier_cache_drop(store *s);
/* events.c: FNV-1a of an id, for the in-memory tables keyed by customer. */
uint32_t id_hash(const char *id);
/* ledger.c: an import's record of customers with no points due, told of
 * each event derived and of each rollback. */
void expiry_cache_note(store *s, const struct store_event *ev, bool counts);
void expiry_cache_drop(store *s);

/* staff.c */
int require_manager(store *s, const char *staff);
int require_staff(store *s, const char *staff);

/* ledger.c, shared with offers.c: 10^digits; the customer, refused when
 * unknown or forgotten; a result cleared, or filled from its event; the
 * abuse limits (per day, between stamps) unless a manager overrides them. */
int64_t pow10i(int digits);
int customer_live(store *s, const char *id, struct store_customer *c);
void result_init(struct store_result *r);
void result_from(struct store_result *r, const struct store_event *ev);
int check_limits(store *s, const char *customer, bool stamp, const struct store_override *ov,
                 struct store_event *ev);
int expire_customer(store *s, const char *customer, int64_t *expired);

/* ledger.c: ev as staff's void of orig, taking back `standing` (what of
 * orig still stands: the event's own effect when nothing corrected it);
 * it holds the occasion only one void of orig can hold. The reason is the
 * caller's to set. */
void void_init(struct store_event *ev, const char *staff, const struct store_event *orig,
               const struct store_event *standing);

/* offers.c: c (customer, what it gives, expiry) issued for an occasion,
 * under the code the shop's secret gives that occasion, the same at every
 * till; one already held here is given back in c instead. */
int coupon_for_occasion(store *s, const char *staff, const char *occasion, struct store_coupon *c);

/* events.c: last writer wins for entity.field (1: this event wins). */
int lww_wins(store *s, const char *entity, const char *field, const struct store_event *ev);

/* ledger.c: points earned before cutoff and not spent since, which expire
 * once cutoff is points.expire_days ago. */
int points_due(store *s, const char *customer, int64_t cutoff, int64_t *due);

/* messages.c: the outbox, contact and templates derived from an event;
 * the profile fields of messages (language, consent per channel); the
 * triggers that fire inside an enrolment's and a purchase's transaction. */
struct jbuf;
int messages_derive(store *s, const struct store_event *ev);
int messages_profile_json(store *s, const struct store_profile *p, struct jbuf *data);
/* A trigger's offer setting (key): coupon:20%, coupon:10.00, reward:NAME
 * or none, into its canonical form (or refused, saying why), and back. */
int messages_offer_canonical(store *s, const char *key, const char *value, char *out, size_t outsz);
void messages_offer_display(store *s, const char *canon, char *out, size_t outsz);
/* The coupon a canonical offer gives now, good for days (no code, no
 * customer yet); false when it gives none (none set, or a reward retired
 * since). */
bool messages_offer_coupon(store *s, const char *canon, int64_t days, struct store_coupon *c);
/* perks.c: the 'tier.entry' setting (TIER=offer,...) into its canonical
 * form and back; the entry coupon of the tier a purchase brings a member
 * up to, once per member and tier (code gets it, "" when none is new). */
int perks_entry_canonical(store *s, const char *key, const char *value, char *out, size_t outsz);
void perks_entry_display(store *s, const char *canon, char *out, size_t outsz);
int perks_on_earn(store *s, const char *staff, const char *customer, const struct store_tier_status *before,
                  const struct store_tier_status *after, char code[16]);
/* One outcome event of a message, inside the caller's transaction. */
int messages_record_tx(store *s, const char *staff, const char *key, const struct store_msg_outcome *o);
int messages_on_enrol(store *s, const char *staff, const char *customer);
/* was: the customer before the purchase; gain_points and gain_stamps: at
 * most what it added (the purchase and its bonuses). */
/* Forgets the occasion keys kept as held: after a rollback (one may have
 * been held only by what it undid) or a restore. */
void messages_held_drop(store *s);
int messages_on_earn(store *s, const char *staff, const struct store_customer *was,
                     const struct store_tier_status *before, const struct store_tier_status *after,
                     int64_t gain_points, int64_t gain_stamps, const char *earn_ref);

/* messages.c: a campaign's message (campaigns.c) with the template of
 * trigger, by the first of channels (STORE_CHANNEL_ bits) the customer
 * agreed to and has an address for; nothing without consent. */
int messages_queue_campaign(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                            const char *vars, int64_t expires, int channels);

/* offers.c: a coupon event for c (its code made here unless c has one), of
 * a campaign or NULL. */
int coupon_append(store *s, const char *manager, struct store_coupon *c, const char *campaign);

/* campaigns.c: the campaigns and their members derived from "campaign"
 * and "campaign_member" events, and a campaign coupon's expiry cut at
 * the campaign's stop (called after a "coupon" event's own fields); the
 * best campaign multiplier a customer has at now (1000: none). */
int campaign_derive(store *s, const struct store_event *ev);
int64_t campaign_multiplier(store *s, const char *customer, int64_t now);

/* rollup.c: the report rollups (schema 2). rollup_event after an event is
 * derived (counts: it holds its occasion or has none; referred: an event
 * refers to it, event_referred); rollup_retract when
 * an event that counted loses its occasion. */
int rollup_event(store *s, const struct store_event *ev, bool counts, bool referred);
int rollup_retract(store *s, const struct store_event *ev);
/* A coupon's reward or discount changed (events.c, a coupon event): its
 * uses move to what it now gives. */
int rollup_coupon_changed(store *s, const char *code, const char *reward_was, int64_t discount_was);
int rollup_coupon_class(store *s, const char *code, char reward[STORE_ID_LEN + 1], int64_t *discount);
/* events.c: the text of key in an event's JSON data; -1 if it has none. */
int json_text(store *s, const char *json, const char *key, char *out, size_t outsz);
/* events.c lot_settle: a purchase's correction beyond the plain sum of
 * its events (points, stamps, credit, spend, visits), standing from the
 * moment of its latest event (wall, hlc). */
struct lot_standing { int64_t d[5], wall, hlc; };
/* Its correction went from `was` to `now` (already in lot_adjust). */
int rollup_lot_adjust(store *s, const char *origin, int64_t seq, const struct lot_standing *was,
                      const struct lot_standing *now);
/* events.c: 1 if an event refers to (origin, seq), 0 if none, -1. */
int event_referred(store *s, const char *origin, int64_t seq);
/* Sums `limit` rows of roll_log (all if limit <= 0) into roll_cust, the
 * oldest or, while the log is indexed, the first customers', inside the
 * caller's write transaction; returns how many. */
int rollup_fold(store *s, int limit);
/* 1 if the log has its index in member order (roll_log_member: made while
 * it is long, store_rollup_index), 0 if not, -1 on error. */
int rollup_log_indexed(store *s);
/* roll_cust by moment (schema 10), made again after a bulk fold. */
#define ROLL_CUST_WALL "CREATE INDEX roll_cust_wall ON roll_cust(wall, visits, spend, tspend)"

/* A connection's page cache (store_open); a report's read transaction
 * has a smaller one meanwhile (report_read_begin). */
#define STORE_CACHE_SIZE "PRAGMA cache_size=-32768"

/* report.c, for the member reports (members.c): a report's read
 * transaction (joins one already open), the till asked for ("" for all)
 * and a check that the ledger has it, tenths of a percent (STORE_NA for
 * none) and rounding half away from zero (den > 0). */
int report_read_begin(store *s, bool *began);
int report_read_end(store *s, bool began, int rc);
/* store_snapshot_begin_pair with a call between a's snapshot and b's (a
 * test commits there: it must not get in). */
int snapshot_pair_begin(store *a, store *b, void (*between)(void *), void *arg);
const char *report_till(const struct store_report_query *q);
int report_check_till(store *s, const struct store_report_query *q);
int64_t report_rate(int64_t num, int64_t den);
/* The summary's figures of every customer (active: a visit in the
 * period; repeaters: two or more; churned: active in the previous period
 * and not in this one; members and new members by when they joined;
 * prev_*: the same one period earlier), as members.c works them out in
 * its pass; and the summary made with them (counts NULL: read here),
 * inside the caller's read transaction. */
struct report_counts {
    int64_t active, repeaters, visits, prev_active, prev_repeaters, prev_visits, churned;
    int64_t prev_prev_active, prev_churned;
    int64_t new_members, prev_new_members, members, prev_members;
};
int report_summary_tx(store *s, const struct store_report_query *q, const struct report_counts *counts,
                      struct store_summary *cur, struct store_summary *prev);
int64_t report_div_round(int64_t num, int64_t den);
/* The first and the last moment (wall) of the events: how much history
 * lies on either side of a moment, to sum a figure as it stood then from
 * the shorter. */
int report_wall_span(store *s, int64_t *lo, int64_t *hi);
/* The end of a loop over a statement's rows: resets it; out (what the
 * loop's callback said) or, when the step failed, db_fail. */
int report_rows_done(store *s, sqlite3_stmt *st, int rc, int out);
/* When a member joined: at enrolment, or at their first purchase when
 * that came first (history brought in by 'tally import transactions' is
 * dated before the import enrolled them). c: the customers table's alias
 * with its dot, or "". */
#define JOINED(c) "min(" c "enrolled, CASE WHEN " c "first_visit > 0 THEN " c "first_visit ELSE " c "enrolled END)"
/* Writes the roll_till and roll_balance deltas held for the open transaction (before
 * COMMIT and before a savepoint begins); rollup_drop forgets them (on
 * rollback: what they counted is undone). */
int rollup_flush(store *s);
void rollup_drop(store *s);
/* The UTC calendar month of a moment (ms), as year * 12 + month - 1: the
 * month of roll_balance (schema 13, whose SQL must agree), and the moment
 * (ms) that month starts. */
int64_t rollup_month(int64_t wall);
int64_t rollup_month_start(int64_t month);

#endif
