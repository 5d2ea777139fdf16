/* db.c - opening the ledger, its schema and migrations, and the small
 * SQLite helpers the rest of the store uses (statement cache, nested
 * transactions, the till's local key/value table). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* Version 1. Each later version appends one entry to MIGRATIONS; a
 * database is migrated in one transaction from whatever it has. */
static const char SCHEMA_V1[] =
    /* This till only: origin id, keys, shop secret. Never replicated. */
    "CREATE TABLE local(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    /* The ledger. (origin, seq) is the identity; hash covers the content. */
    "CREATE TABLE events("
    " origin TEXT NOT NULL, seq INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL, wall INTEGER NOT NULL, type TEXT NOT NULL,"
    " staff TEXT NOT NULL, customer TEXT NOT NULL,"
    " points INTEGER NOT NULL, stamps INTEGER NOT NULL, credit INTEGER NOT NULL,"
    " spend INTEGER NOT NULL, visits INTEGER NOT NULL,"
    " ref_origin TEXT NOT NULL, ref_seq INTEGER NOT NULL,"
    " occasion TEXT NOT NULL, reason TEXT NOT NULL,"
    " data TEXT NOT NULL, pii TEXT NOT NULL, pii_hash BLOB NOT NULL,"
    " hash BLOB NOT NULL,"
    " PRIMARY KEY(origin, seq)) WITHOUT ROWID;"
    "CREATE INDEX events_customer ON events(customer, wall);"
    "CREATE INDEX events_ref ON events(ref_origin, ref_seq) WHERE ref_origin <> '';"
    "CREATE INDEX events_wall ON events(wall);"
    "CREATE INDEX events_hlc ON events(hlc);"
    /* Highest seq held with no gap below, per origin. */
    "CREATE TABLE vv(origin TEXT PRIMARY KEY, seq INTEGER NOT NULL);"
    /* Same (origin, seq), different content: kept for the manager. */
    "CREATE TABLE forks(origin TEXT NOT NULL, seq INTEGER NOT NULL,"
    " seen INTEGER NOT NULL, theirs BLOB NOT NULL, PRIMARY KEY(origin, seq));"
    /* Last-writer-wins stamps of editable fields. */
    "CREATE TABLE lww(entity TEXT NOT NULL, field TEXT NOT NULL,"
    " hlc INTEGER NOT NULL, origin TEXT NOT NULL, PRIMARY KEY(entity, field))"
    " WITHOUT ROWID;"
    /* Once-per-occasion effects: the earliest (hlc, origin) counts. */
    "CREATE TABLE occasions(key TEXT PRIMARY KEY, origin TEXT NOT NULL,"
    " seq INTEGER NOT NULL, hlc INTEGER NOT NULL) WITHOUT ROWID;"
    /* Derived state. */
    "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE customers(id TEXT PRIMARY KEY, card TEXT NOT NULL DEFAULT '',"
    " name TEXT NOT NULL DEFAULT '', name_key TEXT NOT NULL DEFAULT '',"
    " phone TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
    " birthday TEXT NOT NULL DEFAULT '', consent INTEGER NOT NULL DEFAULT 0,"
    " referred_by TEXT NOT NULL DEFAULT '', enrolled INTEGER NOT NULL DEFAULT 0,"
    " forgotten INTEGER NOT NULL DEFAULT 0,"
    " points INTEGER NOT NULL DEFAULT 0, stamps INTEGER NOT NULL DEFAULT 0,"
    " credit INTEGER NOT NULL DEFAULT 0, spend INTEGER NOT NULL DEFAULT 0,"
    " visits INTEGER NOT NULL DEFAULT 0, first_visit INTEGER NOT NULL DEFAULT 0,"
    " last_visit INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX customers_phone ON customers(phone) WHERE phone <> '';"
    "CREATE INDEX customers_name ON customers(name_key);"
    "CREATE TABLE cards(card TEXT PRIMARY KEY, customer TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE staff(id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
    " name_key TEXT NOT NULL DEFAULT '', role INTEGER NOT NULL DEFAULT 1,"
    " pin_hash TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE rewards(id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
    " name_key TEXT NOT NULL DEFAULT '', points INTEGER NOT NULL DEFAULT 0,"
    " stamps INTEGER NOT NULL DEFAULT 0, retired INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE coupons(code TEXT PRIMARY KEY, customer TEXT NOT NULL DEFAULT '',"
    " reward TEXT NOT NULL DEFAULT '', discount INTEGER NOT NULL DEFAULT 0,"
    " percent INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL DEFAULT 0,"
    " uses INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE promos(id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
    " name_key TEXT NOT NULL DEFAULT '',"
    " multiplier INTEGER NOT NULL DEFAULT 1000, days INTEGER NOT NULL DEFAULT 0,"
    " start_minute INTEGER NOT NULL DEFAULT 0, end_minute INTEGER NOT NULL DEFAULT 1440,"
    " date_from TEXT NOT NULL DEFAULT '', date_to TEXT NOT NULL DEFAULT '',"
    " category TEXT NOT NULL DEFAULT '', ended INTEGER NOT NULL DEFAULT 0);";

/* Version 2: report rollups (see rollup.c), kept as events are applied,
 * filled here from the events already held, and two indexes for the
 * reports. roll_cust: per customer, moment (wall) and till, the visits and
 * spend on a purchase's own moment and till, and the spend of each event
 * on its own (the tier rule's); roll_till: per UTC hour (wall / 3600000),
 * till and staff member, the sums the summary report reads and what each
 * person did (the staff and tills reports). corr: the corrections
 * (refunds and voids) with the event they refer to and the lot they count
 * on; dead: the purchases they made no visit (report.c). */
#define V2_COUNTED(e) "(" e ".occasion = '' OR EXISTS (SELECT 1 FROM occasions o" \
    " WHERE o.key = " e ".occasion AND o.origin = " e ".origin AND o.seq = " e ".seq))"
#define V2_DEAD \
    "corr AS MATERIALIZED (SELECT coalesce(l2.origin, l1.origin) AS lo," \
    " coalesce(l2.seq, l1.seq) AS ls, coalesce(l2.wall, l1.wall) AS lwall," \
    " coalesce(l2.type, l1.type) AS ltype, coalesce(l2.customer, l1.customer) AS lcust," \
    " coalesce(l2.staff, l1.staff) AS lstaff, l1.origin AS o1, l1.staff AS staff1," \
    " c.type AS ctype, c.wall AS cwall, c.spend AS spend, c.points AS points, c.visits AS visits" \
    " FROM events c JOIN events l1 ON l1.origin = c.ref_origin AND l1.seq = c.ref_seq" \
    " LEFT JOIN events l2 ON l1.ref_origin <> '' AND l2.origin = l1.ref_origin AND l2.seq = l1.ref_seq" \
    " WHERE c.ref_origin <> '' AND " V2_COUNTED("c") ")," \
    " dead AS MATERIALIZED (SELECT lo || ':' || ls AS k FROM corr WHERE ltype = 'earn'" \
    "  GROUP BY lo, ls HAVING 1 + sum(visits) <= 0)"
/* A purchase not killed by its corrections (one key value for NOT IN: an
 * index is built on the list once). */
#define V2_LIVE(origin, seq) "(" origin " || ':' || " seq ") NOT IN (SELECT k FROM dead)"
static const char SCHEMA_V2[] =
    "CREATE TABLE roll_cust(customer TEXT NOT NULL, wall INTEGER NOT NULL, till TEXT NOT NULL,"
    " visits INTEGER NOT NULL DEFAULT 0, spend INTEGER NOT NULL DEFAULT 0,"
    " tspend INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(customer, wall, till)) WITHOUT ROWID;"
    /* New rows are appended here and folded into roll_cust in bulk
     * (rollup.c): in customer order, one upsert per event would dirty a
     * page per customer in every commit. */
    "CREATE TABLE roll_log(n INTEGER PRIMARY KEY, customer TEXT NOT NULL, wall INTEGER NOT NULL,"
    " till TEXT NOT NULL, visits INTEGER NOT NULL, spend INTEGER NOT NULL, tspend INTEGER NOT NULL);"
    "CREATE TABLE roll_till(hour INTEGER NOT NULL, till TEXT NOT NULL, staff TEXT NOT NULL,"
    " visits INTEGER NOT NULL DEFAULT 0, spend INTEGER NOT NULL DEFAULT 0,"
    " issued INTEGER NOT NULL DEFAULT 0, redeemed INTEGER NOT NULL DEFAULT 0,"
    " expired INTEGER NOT NULL DEFAULT 0, nps INTEGER NOT NULL DEFAULT 0,"
    " promoters INTEGER NOT NULL DEFAULT 0, detractors INTEGER NOT NULL DEFAULT 0,"
    " points INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0,"
    " tx INTEGER NOT NULL DEFAULT 0, sales INTEGER NOT NULL DEFAULT 0,"
    " refunds INTEGER NOT NULL DEFAULT 0, refunded INTEGER NOT NULL DEFAULT 0,"
    " voids INTEGER NOT NULL DEFAULT 0, voided INTEGER NOT NULL DEFAULT 0,"
    " adjusts INTEGER NOT NULL DEFAULT 0, adjusted INTEGER NOT NULL DEFAULT 0,"
    " overrides INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(hour, till, staff)) WITHOUT ROWID;"
    /* The rewards report reads a period's redemptions, and --till finds
     * who enrolled at a till (report.c). ORs, not IN: SQLite tests an IN
     * list of a partial index through a temporary table on every insert,
     * a tenth of applying an event. */
    "CREATE INDEX events_use ON events(wall) WHERE " USE_TYPES ";"
    "CREATE INDEX events_enrol ON events(customer, wall, origin) WHERE type = 'enrol';"
    "INSERT INTO roll_cust(customer, wall, till, visits, spend, tspend) WITH " V2_DEAD
    " SELECT customer, wall, till, sum(v), sum(sp), sum(tsp) FROM"
    " (SELECT customer, wall, origin AS till, type = 'earn' AND " V2_LIVE("e.origin", "e.seq") " AS v,"
    "   CASE WHEN type = 'earn' AND ok THEN spend ELSE 0 END AS sp,"
    "   CASE WHEN ok THEN spend ELSE 0 END AS tsp"
    "  FROM (SELECT e.*, " V2_COUNTED("e") " AS ok FROM events e"
    "   WHERE customer <> '' AND (type = 'earn' OR spend <> 0)) e"
    "  UNION ALL SELECT lcust, lwall, lo, 0, spend, 0 FROM corr WHERE ltype = 'earn' AND spend <> 0)"
    " GROUP BY 1, 2, 3 HAVING sum(v) <> 0 OR sum(sp) <> 0 OR sum(tsp) <> 0;"
    "INSERT INTO roll_till(hour, till, staff, visits, spend, issued, redeemed, expired, nps, promoters,"
    " detractors, points, events, tx, sales, refunds, refunded, voids, voided, adjusts, adjusted,"
    " overrides) WITH " V2_DEAD
    " SELECT hour, till, staff, sum(v), sum(sp), sum(i), sum(r), sum(x), sum(n), sum(pr), sum(de), sum(pt),"
    "  sum(ev), sum(tx), sum(sa), sum(rf), sum(rfd), sum(vo), sum(vd), sum(ad), sum(adp), sum(ov) FROM"
    " (SELECT hour, till, staff, type = 'earn' AND " V2_LIVE("till", "seq") " AS v,"
    "  CASE WHEN own AND type = 'earn' THEN spend ELSE 0 END AS sp,"
    "  CASE WHEN own AND type IN ('earn', 'bonus', 'enrol', 'adjust') THEN points ELSE 0 END AS i,"
    "  CASE WHEN own AND type IN ('redeem', 'pay') THEN points ELSE 0 END AS r,"
    "  CASE WHEN own AND type = 'expire' THEN points ELSE 0 END AS x,"
    "  own AND type = 'nps' AS n,"
    "  CASE WHEN own AND type = 'nps' THEN coalesce(json_extract(data, '$.score') >= 9, 0) ELSE 0 END AS pr,"
    "  CASE WHEN own AND type = 'nps' THEN coalesce(json_extract(data, '$.score') <= 6, 0) ELSE 0 END AS de,"
    "  CASE WHEN ok THEN points ELSE 0 END AS pt,"
    "  ok AS ev, ok AND type IN ('earn', 'redeem', 'pay', 'coupon_use') AS tx,"
    "  CASE WHEN ok THEN spend ELSE 0 END AS sa, ok AND type = 'refund' AS rf,"
    "  CASE WHEN ok AND type = 'refund' THEN -spend ELSE 0 END AS rfd, ok AND type = 'void' AS vo, 0 AS vd,"
    "  ok AND type = 'adjust' AS ad, CASE WHEN ok AND type = 'adjust' THEN points ELSE 0 END AS adp,"
    "  ok AND ((type = 'earn' AND instr(data, '\"override\"') > 0) OR (type = 'redeem' AND reason <> '')) AS ov"
    "  FROM (SELECT wall / 3600000 AS hour, origin AS till, staff, seq, type, spend, points, data, reason,"
    "   ok, ok AND type NOT IN ('refund', 'void') AS own"
    "   FROM (SELECT e.*, " V2_COUNTED("e") " AS ok FROM events e WHERE customer <> ''))"
    "  UNION ALL SELECT lwall / 3600000, lo, lstaff, 0, CASE WHEN ltype = 'earn' THEN spend ELSE 0 END,"
    "   CASE WHEN ltype IN ('earn', 'bonus', 'enrol', 'adjust') THEN points ELSE 0 END,"
    "   CASE WHEN ltype IN ('redeem', 'pay') THEN points ELSE 0 END, 0, 0, 0, 0, 0,"
    "   0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM corr"
    "  UNION ALL SELECT cwall / 3600000, o1, staff1, 0, 0, 0, 0, 0, 0, 0, 0, 0,"
    "   0, 0, 0, 0, 0, 0, 1, 0, 0, 0 FROM corr WHERE ctype = 'void')"
    " GROUP BY hour, till, staff;";

/* Version 3: the phone test of an enrolment or a profile edit compares the
 * last nine digits (customers.c phone_taken); indexed on that expression
 * it is a seek, not a scan of every customer - an import of 100,000
 * customers was quadratic. */
static const char SCHEMA_V3[] =
    "CREATE INDEX IF NOT EXISTS customers_phone9 ON customers(substr(phone, -9)) WHERE phone <> '';";

/* Version 4: messages to customers (messages.c), derived from events of
 * types that earlier versions did not have, so they start empty.
 * contact: a customer's language and consent per channel; outbox: one row
 * per message occasion, its status the best-ranked outcome (s_hlc,
 * s_origin: of that outcome's event); templates: a manager's own texts. */
static const char SCHEMA_V4[] =
    "CREATE TABLE contact(customer TEXT PRIMARY KEY, language TEXT NOT NULL DEFAULT '',"
    " email_ok INTEGER NOT NULL DEFAULT 0, email_at INTEGER NOT NULL DEFAULT 0,"
    " email_by TEXT NOT NULL DEFAULT '', sms_ok INTEGER NOT NULL DEFAULT 0,"
    " sms_at INTEGER NOT NULL DEFAULT 0, sms_by TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE TABLE outbox(key TEXT PRIMARY KEY, customer TEXT NOT NULL DEFAULT '',"
    " trig TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL DEFAULT 0,"
    " vars TEXT NOT NULL DEFAULT '{}', status INTEGER NOT NULL DEFAULT 0,"
    " s_hlc INTEGER NOT NULL DEFAULT 0, s_origin TEXT NOT NULL DEFAULT '',"
    " status_at INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0,"
    " next_try INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
    " recipient TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX outbox_status ON outbox(status, next_try);"
    "CREATE INDEX outbox_customer ON outbox(customer, created);"
    "CREATE TABLE templates(trig TEXT NOT NULL, lang TEXT NOT NULL, subject TEXT NOT NULL,"
    " body TEXT NOT NULL, PRIMARY KEY(trig, lang)) WITHOUT ROWID;";

/* Version 5: lot_adjust, what each purchase counts for beyond the plain
 * sum of its events (events.c lot_settle: nothing once voided or refunded
 * in full or more, no figure below zero), standing from the moment of its
 * latest event (wall, hlc); filled here for the purchases already held and
 * added to the balances and rollups as lot_settle adds it. raw: each
 * purchase with corrections, its sums and whether a void of it counts. */
#define V5_RAW \
    "fam AS (SELECT c.ref_origin AS o, c.ref_seq AS q, c.points, c.stamps, c.credit, c.spend, c.visits," \
    "  c.wall, c.hlc, c.type = 'void' AS v0 FROM events c WHERE c.ref_origin <> '' AND " V2_COUNTED("c") \
    " UNION ALL SELECT r.ref_origin, r.ref_seq, v.points, v.stamps, v.credit, v.spend, v.visits, v.wall, v.hlc, 0" \
    "  FROM events r JOIN events v ON v.ref_origin <> '' AND v.ref_origin = r.origin AND v.ref_seq = r.seq" \
    "  WHERE r.ref_origin <> '' AND " V2_COUNTED("v") ")," \
    " raw AS (SELECT p.origin, p.seq, p.customer, p.wall, p.staff, max(f.v0) AS voided," \
    "  max(p.wall, max(f.wall)) AS awall, max(p.hlc, max(f.hlc)) AS ahlc," \
    "  p.points + sum(f.points) AS pt, p.stamps + sum(f.stamps) AS st, p.credit + sum(f.credit) AS cr," \
    "  p.spend + sum(f.spend) AS sp, p.visits + sum(f.visits) AS vi" \
    "  FROM fam f JOIN events p ON p.origin = f.o AND p.seq = f.q" \
    "  WHERE p.type = 'earn' AND p.ref_origin = '' GROUP BY p.origin, p.seq)," \
    " adj AS (SELECT *, CASE WHEN gone OR pt < 0 THEN 0 ELSE pt END - pt AS apt," \
    "  CASE WHEN gone OR st < 0 THEN 0 ELSE st END - st AS ast," \
    "  CASE WHEN gone OR cr < 0 THEN 0 ELSE cr END - cr AS acr," \
    "  CASE WHEN gone THEN 0 ELSE sp END - sp AS asp," \
    "  (NOT gone AND vi > 0) - vi AS avi FROM (SELECT *, voided OR sp <= 0 AS gone FROM raw))"
static const char SCHEMA_V5[] =
    "CREATE TABLE lot_adjust(origin TEXT NOT NULL, seq INTEGER NOT NULL, customer TEXT NOT NULL,"
    " points INTEGER NOT NULL, stamps INTEGER NOT NULL, credit INTEGER NOT NULL,"
    " spend INTEGER NOT NULL, visits INTEGER NOT NULL, wall INTEGER NOT NULL, hlc INTEGER NOT NULL,"
    " PRIMARY KEY(origin, seq)) WITHOUT ROWID;"
    "INSERT INTO lot_adjust(origin, seq, customer, points, stamps, credit, spend, visits, wall, hlc)"
    " WITH " V5_RAW " SELECT origin, seq, customer, apt, ast, acr, asp, avi, awall, ahlc FROM adj"
    " WHERE apt <> 0 OR ast <> 0 OR acr <> 0 OR asp <> 0 OR avi <> 0;"
    "UPDATE customers SET points = points + a.pt, stamps = stamps + a.st, credit = credit + a.cr,"
    " spend = spend + a.sp, visits = visits + a.vi FROM (SELECT customer, sum(points) AS pt,"
    " sum(stamps) AS st, sum(credit) AS cr, sum(spend) AS sp, sum(visits) AS vi FROM lot_adjust"
    " GROUP BY customer) a WHERE customers.id = a.customer;"
    /* The rollups judged a purchase a visit when its plain sum was one;
     * the correction's points and tier spend count on its own moment. */
    "INSERT INTO roll_till(hour, till, staff, visits, spend, issued, points) WITH " V5_RAW
    " SELECT h, origin, staff, sum(v), sum(sp), sum(i), sum(pt) FROM"
    "  (SELECT wall / 3600000 AS h, origin, staff, (vi + avi > 0) - (vi > 0) AS v, asp AS sp, apt AS i, 0 AS pt FROM adj"
    "   UNION ALL SELECT awall / 3600000, origin, staff, 0, 0, 0, apt FROM adj)"
    " GROUP BY 1, 2, 3 HAVING sum(v) <> 0 OR sum(sp) <> 0 OR sum(i) <> 0 OR sum(pt) <> 0 ORDER BY 1, 2, 3"
    " ON CONFLICT(hour, till, staff) DO UPDATE SET visits = visits + excluded.visits,"
    " spend = spend + excluded.spend, issued = issued + excluded.issued, points = points + excluded.points;"
    "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend) WITH " V5_RAW
    " SELECT customer, wall, origin, (vi + avi > 0) - (vi > 0), asp, 0 FROM adj WHERE asp <> 0 OR avi <> 0"
    " UNION ALL SELECT customer, awall, origin, 0, 0, asp FROM adj WHERE asp <> 0;";

/* Version 6: events signed by the till that made them (chain.c).
 * signers: each till's Ed25519 public key and the first of its events
 * that it signed, from the first till record that named them (never
 * replaced); chain: the points of a till's hash chain that carry its
 * signature, so any till can pass on a run of its events with one
 * signature. Both start empty: events from before are history. */
static const char SCHEMA_V6[] =
    "CREATE TABLE signers(origin TEXT PRIMARY KEY, sign_key BLOB NOT NULL,"
    " first_seq INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE chain(origin TEXT NOT NULL, seq INTEGER NOT NULL, link BLOB NOT NULL,"
    " sig BLOB NOT NULL, PRIMARY KEY(origin, seq)) WITHOUT ROWID;";

/* Version 7: campaigns (campaigns.c), derived from event types earlier
 * versions did not have. campaigns: the definition (arms: a JSON array),
 * stopped the earliest stop; campaign_members: each member's arm, coupon
 * and multiplier; coupons.campaign: the campaign a coupon belongs to. */
static const char SCHEMA_V7[] =
    "CREATE TABLE campaigns(id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', name_key TEXT NOT NULL DEFAULT '',"
    " segment TEXT NOT NULL DEFAULT '', min_visits INTEGER NOT NULL DEFAULT 0, arms TEXT NOT NULL DEFAULT '[]',"
    " holdout INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', channels INTEGER NOT NULL DEFAULT 0,"
    " started INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL DEFAULT 0, stopped INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE campaign_members(campaign TEXT NOT NULL, customer TEXT NOT NULL, arm TEXT NOT NULL,"
    " coupon TEXT NOT NULL DEFAULT '', multiplier INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(campaign, customer)) WITHOUT ROWID;"
    "CREATE INDEX campaign_members_customer ON campaign_members(customer);"
    "ALTER TABLE coupons ADD COLUMN campaign TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX coupons_campaign ON coupons(campaign) WHERE campaign <> '';";

static const char *const MIGRATIONS[] = { SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6,
                                          SCHEMA_V7 };
#define NMIGRATIONS (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "store.h says which schema this tally writes: one migration per version");
/* How long a process waits for another one's upgrade of the database:
 * copying a large ledger and reshaping it can take minutes. */
#define UPGRADE_WAIT_MS (15 * 60 * 1000)

int store_fail(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

int db_fail(store *s)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_FULL)
        return store_fail(s, _("the disk is full: nothing was saved; free some space and try again"));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return store_fail(s, _("the database is busy: nothing was saved; try again"));
    if (code == SQLITE_READONLY)
        return store_fail(s, _("the database is read-only: nothing was saved"));
    return store_fail(s, _("database error: %s"), sqlite3_errmsg(s->db));
}

const char *store_error(const store *s) { return s->err; }

/* The store's statements differ in length and in their first and last
 * words; hashing those is enough to spread them, and strcmp confirms. */
static uint32_t sql_hash(const char *text)
{
    size_t n = strlen(text);
    uint32_t h = 2166136261u ^ (uint32_t)n;
    for (size_t i = 0; i < n && i < 24; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    for (size_t i = n > 24 ? n - 24 : n; i < n; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    return h;
}

static void note_live(store *s, sqlite3_stmt *st)
{
    for (int i = 0; i < s->nlive; i++)
        if (s->live[i] == st)
            return;
    if (s->nlive < (int)(sizeof s->live / sizeof s->live[0]))
        s->live[s->nlive++] = st;
    else
        s->live_overflow = true;
}

/* Prepared once per process and kept: the store's SQL is a fixed set of
 * strings, so the cache never needs evicting. */
sqlite3_stmt *sql(store *s, const char *text)
{
    uint32_t h = sql_hash(text);
    for (int i = 0; i < STMT_CACHE; i++) {
        struct stmt_slot *slot = &s->cache[(h + (uint32_t)i) % STMT_CACHE];
        if (slot->sql && strcmp(slot->sql, text) == 0) {
            sqlite3_reset(slot->st);
            sqlite3_clear_bindings(slot->st);
            note_live(s, slot->st);
            return slot->st;
        }
        if (!slot->sql) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                db_fail(s);
                return NULL;
            }
            slot->sql = strdup(text);
            if (!slot->sql) {
                sqlite3_finalize(st);
                store_fail(s, _("out of memory"));
                return NULL;
            }
            slot->st = st;
            note_live(s, st);
            return st;
        }
    }
    store_fail(s, "statement cache full");
    return NULL;
}

int sql_exec(store *s, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, text, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return db_fail(s);
    }
    return 0;
}

/* Ends every read snapshot this connection holds. A cached SELECT that
 * was stepped but not reset keeps its snapshot open: the WAL can then never
 * be checkpointed (it grows without bound), a long-running process keeps
 * seeing old data, and a write on top of an old snapshot fails with
 * SQLITE_BUSY at once instead of waiting on the busy timeout. */
/* Resets every statement stepped since the last reset, so none of them
 * holds a read snapshot. */
static void reset_live(store *s)
{
    if (s->live_overflow) {
        for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st))
            if (sqlite3_stmt_busy(st))
                sqlite3_reset(st);
    } else {
        for (int i = 0; i < s->nlive; i++)
            sqlite3_reset(s->live[i]);
    }
    s->nlive = 0;
    s->live_overflow = false;
}

void store_release(store *s)
{
    if (s->tx_depth == 0)
        reset_live(s);
}

int64_t store_data_version(store *s)
{
    sqlite3_stmt *st = sql(s, "PRAGMA data_version");
    int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (st)
        sqlite3_reset(st);
    return v;
}

static int step_once(store *s, const char *text)
{
    sqlite3_stmt *st = sql(s, text);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* Nesting: the outermost level is BEGIN IMMEDIATE (so two writers queue on
 * the busy timeout instead of deadlocking on a read-to-write upgrade);
 * inner levels are savepoints, so a failed inner step undoes only itself. */
int tx_begin(store *s)
{
    store_release(s);
    if (s->tx_depth == 0)
        s->settings.loaded = false;     /* another process may have changed them */
    /* A savepoint may be rolled back alone: what the rollups hold in
     * memory so far belongs to the level around it, so write it first. */
    if (s->tx_depth > 0 && rollup_flush(s) != 0)
        return -1;
    if (step_once(s, s->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT inner") != 0)
        return -1;
    if (s->tx_depth++ == 0) {
        /* syncd may have moved this till to a new origin after finding it
         * was restored from an old backup: never write under the old one. */
        char origin[STORE_ORIGIN_LEN + 1] = "";
        if (local_get(s, "origin", origin, STORE_ORIGIN_LEN) == STORE_ORIGIN_LEN)
            memcpy(s->origin, origin, STORE_ORIGIN_LEN);
    }
    return 0;
}

int tx_commit(store *s)
{
    if (s->tx_depth == 1) {
        /* Before COMMIT, not after: a statement still open keeps the read
         * snapshot taken at BEGIN, and the checkpoint that runs inside
         * COMMIT then cannot copy this transaction's pages back, so the
         * -wal file never restarts and grows by every commit (hundreds of
         * MB while a till catches up). */
        if (rollup_flush(s) != 0) {
            tx_rollback(s);
            return -1;
        }
        reset_live(s);
        if (step_once(s, "COMMIT") != 0) {
            tx_rollback(s);
            return -1;
        }
        s->tx_depth = 0;
        store_release(s);
        return 0;
    }
    s->tx_depth--;
    return step_once(s, "RELEASE inner");
}

void tx_rollback(store *s)
{
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    rollup_drop(s);
    if (s->tx_depth == 1)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else if (s->tx_depth > 1)
        sqlite3_exec(s->db, "ROLLBACK TO inner; RELEASE inner", NULL, NULL, NULL);
    if (s->tx_depth > 0)
        s->tx_depth--;
    store_release(s);
    memcpy(s->err, keep, sizeof keep);
}

int store_begin(store *s) { return tx_begin(s); }
int store_commit(store *s) { return tx_commit(s); }
void store_rollback(store *s) { tx_rollback(s); }

int store_atomically(store *s, int (*fn)(store *, void *), void *arg)
{
    if (tx_begin(s) != 0)
        return -1;
    if (fn(s, arg) != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}

void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

sqlite3_stmt *sql_event(store *s, const char *text, const char *origin, int64_t seq)
{
    sqlite3_stmt *st = sql(s, text);
    if (st) {
        bind_text(st, 1, origin);
        sqlite3_bind_int64(st, 2, seq);
    }
    return st;
}

void bind_kept(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    size_t n = v ? strnlen(v, outsz - 1) : 0;
    memcpy(out, v ? v : "", n);
    out[n] = '\0';
}

int local_get(store *s, const char *key, void *out, int outsz)
{
    sqlite3_stmt *st = sql(s, "SELECT value FROM local WHERE key = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, key);
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    int n = sqlite3_column_bytes(st, 0);
    if (n > outsz)
        return -1;
    memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
    return n;
}

int local_set(store *s, const char *key, const void *val, int len)
{
    sqlite3_stmt *st = sql(s, "INSERT OR REPLACE INTO local(key, value) VALUES(?1, ?2)");
    if (!st)
        return -1;
    bind_text(st, 1, key);
    sqlite3_bind_blob(st, 2, val, len, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

void random_id(char *out, size_t chars)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    for (size_t i = 0; i < chars && i < 64; i++)
        out[i] = hex[(raw[i / 2] >> ((i % 2) * 4)) & 15];
    out[chars] = '\0';
}

int64_t store_now(store *s)
{
    return s->clock_ms ? s->clock_ms : clock_ms(CLOCK_REALTIME);
}

void store_set_clock(store *s, int64_t now_ms) { s->clock_ms = now_ms; }

void local_date(int64_t ms, int *y, int *m, int *d, int *wday, int *minute)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (y) *y = tm.tm_year + 1900;
    if (m) *m = tm.tm_mon + 1;
    if (d) *d = tm.tm_mday;
    if (wday) *wday = (tm.tm_wday + 6) % 7;     /* Monday = 0 */
    if (minute) *minute = tm.tm_hour * 60 + tm.tm_min;
}

int64_t day_start_local(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

/* SQL function tally_fold(text): the accent- and case-insensitive search key. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *in = (const char *)sqlite3_value_text(argv[0]);
    char out[STORE_TEXT_MAX * 8];
    if (!in || text_fold(in, out, sizeof out) != 0)
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
    else
        sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

int store_default_path(const char *explicit_path, char *out, size_t outsz)
{
    const char *env = getenv("TALLY_DB");
    int n;
    if (explicit_path && *explicit_path)
        n = snprintf(out, outsz, "%s", explicit_path);
    else if (env && *env)
        n = snprintf(out, outsz, "%s", env);
    else {
        const char *xdg = getenv("XDG_DATA_HOME");
        const char *home = getenv("HOME");
        if (xdg && *xdg)
            n = snprintf(out, outsz, "%s/tally/tally.db", xdg);
        else if (home && *home)
            n = snprintf(out, outsz, "%s/.local/share/tally/tally.db", home);
        else
            return -1;
    }
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

static int make_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Brings the schema up to NMIGRATIONS. One process upgrades while the
 * others wait: the kiosk, syncd and a manager's command may all start
 * with the new tally at once. The upgrade holds the write lock on a
 * connection of its own, so the backup (read through this one) copies
 * the ledger as it was, and nobody writes in between. */
static int migrate(store *s)
{
    int v = schema_version(s->db);
    if (v < 0)
        return db_fail(s);
    if (v > NMIGRATIONS)
        return store_fail(s, _("this database was made by a newer tally (schema %d, this one knows %d): upgrade tally on this till"),
                          v, NMIGRATIONS);
    if (v == NMIGRATIONS)
        return 0;
    if (sqlite3_db_readonly(s->db, "main") == 1)
        return store_fail(s, _("this database needs an upgrade to this tally's schema, and it is read-only here: let a tally that may write it open it first"));
    const char *path = sqlite3_db_filename(s->db, "main");
    sqlite3 *lk = NULL;
    int rc = -1;
    if (sqlite3_open_v2(path, &lk, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(lk, UPGRADE_WAIT_MS) != SQLITE_OK ||
        sqlite3_create_function(lk, "tally_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_fold, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(s, "%s", sqlite3_errmsg(lk));
        goto out;
    }
    v = schema_version(lk);     /* another process may have done it meanwhile */
    if (v > 0 && v < NMIGRATIONS) {
        /* An upgrade: keep the ledger as it was before changing its shape. */
        char copy[4200];
        snprintf(copy, sizeof copy, "%s.before-upgrade-to-v%d", path, NMIGRATIONS);
        if (store_backup(s, copy) != 0)
            goto out;
        store_release(s);
    }
    for (; v >= 0 && v < NMIGRATIONS; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(lk, MIGRATIONS[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(lk, pragma, NULL, NULL, NULL) != SQLITE_OK) {
            store_fail(s, "%s", sqlite3_errmsg(lk));
            goto out;
        }
    }
    if (v < 0 || sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(s, "%s", sqlite3_errmsg(lk));
        goto out;
    }
    rc = 0;
out:
    if (lk)
        sqlite3_exec(lk, "ROLLBACK", NULL, NULL, NULL);   /* a no-op after COMMIT */
    sqlite3_close(lk);
    return rc;
}

/* SQLite keeps memory statistics under a process-wide mutex taken on
 * every allocation. This can only be switched off before SQLite starts
 * (else it is SQLITE_MISUSE and nothing changes), so it is done before
 * the first store opens. */
static void no_memory_statistics(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Waiting for another process's write lock: look again every
 * millisecond, for up to BUSY_WAIT_MS. SQLite's own busy timeout sleeps
 * longer and longer between looks (up to 100 ms), so a kiosk's sale could
 * miss every short gap between syncd's catch-up transactions and wait
 * seconds; syncd leaves such a gap (sync_io.yield). */
#define BUSY_WAIT_MS 10000
static int busy_wait(void *arg, int tries)
{
    (void)arg;
    if (tries >= BUSY_WAIT_MS)
        return 0;
    sleep_ms(1);
    return 1;
}

/* A database this process may not write (a read-only file or disk): open
 * it for reading, so that check, events and the reports still work and
 * only a write is refused. In WAL mode a reader needs the -shm file; in a
 * folder it cannot write and with no -wal left (nothing unfinished), the
 * file is all there is and is read as it stands (immutable). */
static int open_readonly(store *s, const char *path)
{
    sqlite3_close(s->db);
    s->db = NULL;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    char wal[4200];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (rc == SQLITE_OK || (stat(wal, &sb) == 0 && sb.st_size > 0))
        return rc == SQLITE_OK ? 0 : -1;
    char uri[13000] = "file:";
    size_t n = strlen(uri);
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof uri - 16; p++)
        n += (size_t)(strchr("?#%", *p) || *p < 33 || *p > 126
                      ? snprintf(uri + n, sizeof uri - n, "%%%02X", *p)
                      : snprintf(uri + n, sizeof uri - n, "%c", *p));
    snprintf(uri + n, sizeof uri - n, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

store *store_open(const char *path, bool create, char *err, size_t errsz)
{
    store *s = calloc(1, sizeof *s);
    if (!s || sodium_init() < 0) {
        snprintf(err, errsz, "%s", _("out of memory"));
        free(s);
        return NULL;
    }
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (!exists && !create) {
        snprintf(err, errsz, _("no tally database at %s: run 'tally init' first, or give --db"), path);
        free(s);
        return NULL;
    }
    if (!exists) {
        /* Create the file ourselves so it is 0600 from its first byte. */
        if (make_parent_dir(path) != 0) {
            snprintf(err, errsz, _("cannot create the folder for %s: %s"), path, strerror(errno));
            free(s);
            return NULL;
        }
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd < 0) {
            snprintf(err, errsz, _("cannot create %s: %s"), path, strerror(errno));
            free(s);
            return NULL;
        }
        close(fd);
    }
    /* The -wal and -shm files SQLite makes follow the database's mode only
     * within the umask, so keep the umask tight. */
    umask(077);
    /* No locking SQLite does not need: a store is one thread's (store.h),
     * and tally never asks SQLite how much memory it holds. Together they
     * take a fifth off applying a batch of events (bench_sync). */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, no_memory_statistics);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        (sqlite3_db_readonly(s->db, "main") == 1 && open_readonly(s, path) != 0)) {
        snprintf(err, errsz, _("cannot open %s: %s"), path, s->db ? sqlite3_errmsg(s->db) : "");
        store_close(s);
        return NULL;
    }
    bool readonly = sqlite3_db_readonly(s->db, "main") == 1;
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_handler(s->db, busy_wait, NULL);
    /* WAL lets the kiosk, syncd and a manager's report work at once.
     * synchronous=FULL syncs the WAL on every commit: a committed event
     * survives a power cut (NORMAL would only survive a crash). A
     * database this process may only read is in WAL mode already (or
     * nobody writes it); setting the mode would be a write. */
    if ((!readonly && sql_exec(s, "PRAGMA journal_mode=WAL") != 0) ||
        sql_exec(s, "PRAGMA synchronous=FULL") != 0 ||
        /* Statement and savepoint journals in memory, not temp files: they
         * are only ever needed to undo part of the open transaction. */
        sql_exec(s, "PRAGMA temp_store=MEMORY") != 0 ||
        /* 32 MiB of page cache (SQLite's default is 2): a batch from
         * another till touches many index pages, and pages spilled or
         * re-read mid-transaction cost more than the memory. */
        sql_exec(s, "PRAGMA cache_size=-32768") != 0 ||
        /* Checkpoint when the -wal holds 32 MiB rather than 4: a page
         * changed by several commits in between is copied back once, which
         * makes a till catching up a quarter faster. journal_size_limit
         * trims the file back after a burst. */
        sql_exec(s, "PRAGMA wal_autocheckpoint=8192") != 0 ||
        sql_exec(s, "PRAGMA journal_size_limit=67108864") != 0 ||
        sql_exec(s, "PRAGMA foreign_keys=OFF") != 0 ||
        sqlite3_create_function(s->db, "tally_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_fold, NULL, NULL) != SQLITE_OK ||
        migrate(s) != 0) {
        snprintf(err, errsz, _("cannot open %s: %s"), path, s->err);
        store_close(s);
        return NULL;
    }
    load_shop(s);
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (s->cache[i].sql) {
            sqlite3_finalize(s->cache[i].st);
            free(s->cache[i].sql);
        }
    }
    sqlite3_close(s->db);
    free(s->bal);
    free(s->tier_cache);    /* an import's work copy (program.c) */
    free(s);
}

/* Loads what every command needs: origin, shop name and currency. */
int load_shop(store *s)
{
    char buf[STORE_ORIGIN_LEN + 1] = "";
    if (local_get(s, "origin", buf, STORE_ORIGIN_LEN) != STORE_ORIGIN_LEN)
        return -1;
    memcpy(s->origin, buf, STORE_ORIGIN_LEN);
    s->origin[STORE_ORIGIN_LEN] = '\0';
    store_setting_get(s, "shop.name", s->shop_name, sizeof s->shop_name);
    store_setting_get(s, "shop.currency", s->currency, sizeof s->currency);
    s->digits = currency_digits(s->currency);
    if (s->digits < 0)
        s->digits = 2;
    return 0;
}

bool store_is_initialised(store *s) { return s->origin[0] != '\0'; }
const char *store_origin(store *s) { return s->origin; }
const char *store_shop_name(store *s) { return s->shop_name; }
const char *store_currency(store *s) { return s->currency; }
int store_currency_digits(store *s) { return s->digits; }

int store_shop_secret(store *s, unsigned char secret[STORE_SECRET_BYTES])
{
    if (local_get(s, "shop_secret", secret, STORE_SECRET_BYTES) != STORE_SECRET_BYTES)
        return store_fail(s, _("this till has no shop secret: run 'tally init' or join a shop"));
    return 0;
}

static int init_shop_tx(store *s, void *arg)
{
    const char **nc = arg;
    unsigned char secret[STORE_SECRET_BYTES], pk[crypto_box_PUBLICKEYBYTES],
        sk[crypto_box_SECRETKEYBYTES];
    char origin[STORE_ORIGIN_LEN + 1], shop_id[17];
    randombytes_buf(secret, sizeof secret);
    crypto_box_keypair(pk, sk);     /* Curve25519: the till's CURVE key pair */
    random_id(origin, STORE_ORIGIN_LEN);
    random_id(shop_id, 16);
    if (local_set(s, "origin", origin, STORE_ORIGIN_LEN) != 0 ||
        local_set(s, "shop_id", shop_id, 16) != 0 ||
        local_set(s, "shop_secret", secret, sizeof secret) != 0 ||
        local_set(s, "public_key", pk, sizeof pk) != 0 ||
        local_set(s, "secret_key", sk, sizeof sk) != 0)
        return -1;
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(sk, sizeof sk);
    memcpy(s->origin, origin, sizeof origin);
    if (store_setting_set(s, "", "shop.name", nc[0]) != 0 ||
        store_setting_set(s, "", "shop.currency", nc[1]) != 0)
        return -1;
    return load_shop(s);
}

int store_init_shop(store *s, const char *name, const char *currency)
{
    if (store_is_initialised(s))
        return store_fail(s, _("this database already holds a shop (%s)"), s->shop_name);
    const char *nc[2] = { name, currency };
    if (store_atomically(s, init_shop_tx, nc) != 0) {
        s->origin[0] = '\0';
        return -1;
    }
    return 0;
}
