/* schema.c - the ledger's tables, as a list of migrations.
 *
 * Version 1 is the first shape; each later version appends one entry to
 * MIGRATIONS and never edits an earlier one, so a database of any age is
 * brought to this tally's shape by running what it lacks, in order, in one
 * transaction (schema_migrate). Tables derived from events (rollups, the
 * campaign tables) are filled as events are applied; a migration that adds
 * one fills it from the events already there. tests/e2e/upgrade.sh and
 * test_report's copies drop what each version added to check that. */
#include <stdio.h>

#include "i18n.h"
#include "internal.h"

/* How long a process waits for another one's upgrade of the database:
 * copying a large ledger and reshaping it can take minutes. */
#define UPGRADE_WAIT_MS (15 * 60 * 1000)

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

/* Version 8: import_staged, the events of an import held in the ledger
 * from just before its seal until each is added (import.c), so that
 * adding needs no work copy (one lost or damaged cannot hold an import up)
 * and a phone number of a customer still to be added (phone9: its last
 * nine digits, as customers_phone9) is given to nobody else meanwhile.
 * Its columns are events' (one origin's: seq alone is the key). */
static const char SCHEMA_V8[] =
    "CREATE TABLE import_staged AS SELECT * FROM events WHERE 0;"
    "CREATE UNIQUE INDEX import_staged_seq ON import_staged(seq);"
    "ALTER TABLE import_staged ADD COLUMN phone9 TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX import_staged_phone9 ON import_staged(phone9) WHERE phone9 <> '';";

/* Version 9: tier perks (perks.c): the lowest tier a reward or a
 * promotion is kept for ('' every member). A till that ran an older tally
 * may already hold reward and promo events naming a tier, which it kept
 * but could not apply: the latest of each (as last-writer-wins would have
 * chosen it) is applied here, and recorded as that field's writer. */
#define PERK_TIER_FILL(table, type) \
    "ALTER TABLE " table " ADD COLUMN tier TEXT NOT NULL DEFAULT '';" \
    "INSERT INTO lww(entity, field, hlc, origin) SELECT '" table ":' || json_extract(data, '$.id'), 'tier', hlc," \
    " origin FROM events WHERE type = '" type "' AND json_type(data, '$.tier') = 'text' ORDER BY hlc, origin" \
    " ON CONFLICT(entity, field) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin" \
    " WHERE (excluded.hlc, excluded.origin) > (lww.hlc, lww.origin);" \
    "UPDATE " table " SET tier = (SELECT json_extract(e.data, '$.tier') FROM lww JOIN events e" \
    " ON e.origin = lww.origin AND e.hlc = lww.hlc AND e.type = '" type "'" \
    " WHERE lww.entity = '" table ":' || " table ".id AND lww.field = 'tier')" \
    " WHERE EXISTS(SELECT 1 FROM lww WHERE lww.entity = '" table ":' || " table ".id AND lww.field = 'tier');"
static const char SCHEMA_V9[] = PERK_TIER_FILL("rewards", "reward") PERK_TIER_FILL("promos", "promo");

/* Version 10: what the member reports (members.c) read instead of every
 * visit. roll_member: per member and till, the sums of roll_cust -
 * visits, spend, the first and the last moment that is still a visit -
 * kept as rollup.c folds the log into roll_cust (the log's rows are not
 * in it). roll_cust_wall: roll_cust by moment, with the figures (and the
 * key, as in every index of a table without rowid), so a report reads the
 * rows of a window of time, not every member's history. customers.till:
 * the till whose enrolment set `enrolled` (the least origin of equal
 * ones), for the --till reports' members. */
static const char SCHEMA_V10[] =
    "CREATE TABLE roll_member(customer TEXT NOT NULL, till TEXT NOT NULL, visits INTEGER NOT NULL,"
    " spend INTEGER NOT NULL, first INTEGER, last INTEGER, PRIMARY KEY(customer, till)) WITHOUT ROWID;"
    "INSERT INTO roll_member(customer, till, visits, spend, first, last)"
    " SELECT customer, till, sum(visits), sum(spend), min(wall) FILTER (WHERE visits > 0),"
    " max(wall) FILTER (WHERE visits > 0) FROM roll_cust GROUP BY customer, till;"
    "CREATE INDEX roll_cust_wall ON roll_cust(wall, visits, spend);"
    "ALTER TABLE customers ADD COLUMN till TEXT NOT NULL DEFAULT '';"
    "UPDATE customers SET till = coalesce((SELECT min(e.origin) FROM events e INDEXED BY events_enrol"
    " WHERE e.customer = customers.id AND e.wall = customers.enrolled AND e.type = 'enrol'), '')"
    " WHERE enrolled > 0;";

/* Version 11: what the rewards report reads instead of every use's
 * event (report.c). roll_use: per UTC hour and till (of the use), what
 * the uses that no counted void took back gave up, by kind and reward
 * (internal.h USE_ROWS): how many, points, stamps and value, kept by
 * rollup.c. events_coupon_use: a coupon's uses, to move them when the
 * coupon arrives after them or what it gives changes. And what the tiers
 * report reads instead of a year of every member's rows: roll_member's
 * tspend (the tier rule's spend, roll_cust summed as the other figures),
 * and tspend in roll_cust_wall, to take the rows outside a window off. */
static const char SCHEMA_V11[] =
    "CREATE TABLE roll_use(hour INTEGER NOT NULL, till TEXT NOT NULL, k INTEGER NOT NULL, id TEXT NOT NULL,"
    " n INTEGER NOT NULL, p INTEGER NOT NULL, st INTEGER NOT NULL, val INTEGER NOT NULL,"
    " PRIMARY KEY(hour, till, k, id)) WITHOUT ROWID;"
    "CREATE INDEX events_coupon_use ON events(json_extract(data, '$.code')) WHERE type = 'coupon_use';"
    "INSERT INTO roll_use(hour, till, k, id, n, p, st, val) WITH " USE_USED("1") USE_ROWS
    " SELECT wall / 3600000, origin, k, id, count(*), sum(p), sum(st), sum(val) FROM rows GROUP BY 1, 2, 3, 4;"
    "ALTER TABLE roll_member ADD COLUMN tspend INTEGER NOT NULL DEFAULT 0;"
    "UPDATE roll_member SET tspend = coalesce((SELECT sum(r.tspend) FROM roll_cust r"
    " WHERE r.customer = roll_member.customer AND r.till = roll_member.till), 0);"
    "DROP INDEX roll_cust_wall;" ROLL_CUST_WALL ";";

/* Version 12: trigger_notes, this till only and never replicated: what
 * a purchase's message triggers found, one row per occasion, written in
 * the sale's transaction; a later transaction (store_message_drain) turns
 * each into its message and coupon events and deletes it (messages.c). */
static const char SCHEMA_V12[] =
    "CREATE TABLE trigger_notes(key TEXT PRIMARY KEY, customer TEXT NOT NULL, trig INTEGER NOT NULL,"
    " staff TEXT NOT NULL, at INTEGER NOT NULL, vars TEXT NOT NULL) WITHOUT ROWID;";

/* Version 13: roll_balance, per UTC calendar month and customer the
 * counted balance effects and the purchases' corrections (lot_adjust) on
 * their own moment (rollup.c keeps it; the overdrafts report sums a
 * balance at a moment from the months on its shorter side). The month is
 * rollup_month's, year * 12 + month - 1 of the whole second rounded down:
 * strftime's 'unixepoch' takes the second as given, so a moment before
 * 1970 is rounded down first (% keeps the dividend's sign in SQL as in C). */
#define V13_MONTH(w) "(CAST(strftime('%Y%m', (" w " - (" w " % 1000 + 1000) % 1000) / 1000, 'unixepoch') AS INTEGER))"
static const char SCHEMA_V13[] =
    "CREATE TABLE roll_balance(month INTEGER NOT NULL, customer TEXT NOT NULL, points INTEGER NOT NULL,"
    " stamps INTEGER NOT NULL, credit INTEGER NOT NULL, PRIMARY KEY(month, customer)) WITHOUT ROWID;"
    "INSERT INTO roll_balance(month, customer, points, stamps, credit)"
    " SELECT ym / 100 * 12 + ym % 100 - 1, customer, sum(p), sum(s), sum(c) FROM"
    "  (SELECT " V13_MONTH("e.wall") " AS ym, e.customer, e.points AS p, e.stamps AS s, e.credit AS c"
    "   FROM events e WHERE e.customer <> '' AND (e.points <> 0 OR e.stamps <> 0 OR e.credit <> 0)"
    "   AND " V2_COUNTED("e")
    "   UNION ALL SELECT " V13_MONTH("a.wall") ", a.customer, a.points, a.stamps, a.credit FROM lot_adjust a"
    "   WHERE a.points <> 0 OR a.stamps <> 0 OR a.credit <> 0)"
    " GROUP BY 1, 2 ORDER BY 1, 2;";

static const char *const MIGRATIONS[] = { SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6,
                                          SCHEMA_V7, SCHEMA_V8, SCHEMA_V9, SCHEMA_V10, SCHEMA_V11,
                                          SCHEMA_V12, SCHEMA_V13 };
#define NMIGRATIONS (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "store.h says which schema this tally writes: one migration per version");

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
int schema_migrate(store *s)
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
