/* report.c - the manager's reports, computed in SQL from the event log.
 *
 * Each report runs in one read transaction (BEGIN ... COMMIT: a consistent
 * snapshot in WAL mode, never the write lock) and streams its rows; nothing
 * loads the ledger into memory. The definitions below are the ones
 * 'tally report --help' and the README give to the manager.
 *
 * Purchases, visits and sales. A purchase is an earn event. Refunds and
 * voids are corrections: each belongs to the purchase (or redemption, or
 * bonus ...) it corrects - its "lot", two levels up for the void of a
 * refund - and counts on the lot's day and till, so every figure describes
 * the transactions of the period as they stand now:
 *   - a fully refunded or voided purchase is no visit and no sale;
 *   - a partly refunded purchase is still a visit, its sale net of the
 *     refund;
 *   - events that lost their once-per-occasion claim (a second void of the
 *     same sale made at a till that had not heard of the first, a birthday
 *     bonus granted twice) never count (COUNTED below, as in ledger.c).
 * A visit is a purchase that is still one; an active member has a visit in
 * the period. Forgotten members are counted in every figure and never
 * listed. The activity reports (staff, tills, day) are the exception: they
 * count what each person and till did on the day they did it.
 *
 * Most figures come from the rollups (rollup.c), which hold them per
 * hour or per visit as the events are applied; what is read from the
 * events goes through indexes: period scans through events_wall (a
 * period's redemptions through events_use, who enrolled at a till through
 * events_enrol), corrections through
 * events_ref (the WHERE of a partial index is repeated in each query, or
 * SQLite will not use it), per-customer lookups through events_customer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"


/* An opening balance brought by 'tally import customers': an adjust marked
 * "opening" (rollup.c opening_balance). Outstanding from then on, never
 * points issued in a period nor anyone's adjustment. */
#define OPENING(e) "(" e ".type = 'adjust' AND instr(" e ".data, '\"opening\"') > 0)"

/* Corrections (refunds, voids) with their lot: the purchase, redemption,
 * bonus ... they correct, two levels up for the void of a refund. */
#define CORR_CTE \
    "corr AS MATERIALIZED (SELECT coalesce(l2.origin, l1.origin) AS lo," \
    "  coalesce(l2.seq, l1.seq) AS ls, coalesce(l2.wall, l1.wall) AS lwall," \
    "  CASE WHEN coalesce(l2.type, l1.type) = 'adjust' AND instr(coalesce(l2.data, l1.data), '\"opening\"') > 0" \
    "   THEN 'opening' ELSE coalesce(l2.type, l1.type) END AS ltype, c.customer, c.points, c.stamps, c.credit," \
    "  c.spend, c.visits, c.type AS ctype" \
    " FROM events c" \
    " JOIN events l1 ON l1.origin = c.ref_origin AND l1.seq = c.ref_seq" \
    " LEFT JOIN events l2 ON l1.ref_origin <> '' AND l2.origin = l1.ref_origin AND l2.seq = l1.ref_seq" \
    " WHERE c.ref_origin <> '' AND " COUNTED("c") \
    /* What a purchase counts for beyond the plain sum (events.c lot_settle). */ \
    " UNION ALL SELECT a.origin, a.seq, p.wall, 'earn', a.customer, a.points, a.stamps, a.credit," \
    "  a.spend, a.visits, 'standing' FROM lot_adjust a JOIN events p ON p.origin = a.origin AND p.seq = a.seq)"

/* Purchases that are no longer a visit: fully refunded or voided. */
#define DEAD_CTE \
    "dead AS MATERIALIZED (SELECT lo, ls, min(lwall) AS wall, min(customer) AS customer" \
    " FROM corr WHERE ltype = 'earn' GROUP BY lo, ls HAVING 1 + sum(visits) <= 0)"

/* The event queries read a period by wall: events_wall, pinned (SQLite
 * would otherwise pick events_customer to save a sort, at the cost of a
 * table lookup per event in customer order). */
#define FROM_WALL "events e INDEXED BY events_wall"

/* --- helpers ------------------------------------------------------------- */

int64_t report_div_round(int64_t num, int64_t den)   /* den > 0, half away from zero */
{
    return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

/* num / den in tenths of a percent, or STORE_NA. */
int64_t report_rate(int64_t num, int64_t den)
{
    if (den <= 0)
        return STORE_NA;
#ifdef __SIZEOF_INT128__
    __int128 n = (__int128)num * 1000;
    return (int64_t)(n >= 0 ? (n + den / 2) / den : -((-n + den / 2) / den));
#else
    return report_div_round(num * 1000, den);
#endif
}

static int64_t muldiv_round(int64_t a, int64_t b, int64_t c)
{
    if (c <= 0)
        return STORE_NA;
#ifdef __SIZEOF_INT128__
    __int128 n = (__int128)a * b;
    return (int64_t)(n >= 0 ? (n + c / 2) / c : -((-n + c / 2) / c));
#else
    return report_div_round(a * b, c);
#endif
}

static int64_t local_midnight(int64_t civil_days)
{
    int y, m, d;
    civil_from_days(civil_days, &y, &m, &d);
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1 };
    return (int64_t)mktime(&tm) * 1000;
}

static int64_t civil_today(store *s)
{
    int y, m, d;
    local_date(store_now(s), &y, &m, &d, NULL, NULL);
    return days_from_civil(y, m, d);
}

const char *report_till(const struct store_report_query *q)
{
    return q->till ? q->till : "";
}

static void bind_till(sqlite3_stmt *st, int i, const struct store_report_query *q)
{
    bind_text(st, i, report_till(q));
}

/* ?1 the previous period's start, ?2 this period's start, ?3 its end,
 * ?4 the till or '' (the layout of the per-period reports). */
static void bind_periods(sqlite3_stmt *st, const struct store_report_query *q)
{
    sqlite3_bind_int64(st, 1, q->period.prev_from);
    sqlite3_bind_int64(st, 2, q->period.from);
    sqlite3_bind_int64(st, 3, q->period.to);
    bind_till(st, 4, q);
}

/* --- periods ------------------------------------------------------------- */

static int period_days(store *s, int64_t first, int64_t last, struct store_period *out)
{
    if (last < first)
        return store_fail(s, _("the period ends before it starts"));
    if (last - first >= 36600)
        return store_fail(s, _("the period is too long: at most 100 years"));
    memset(out, 0, sizeof *out);
    out->first_day = first;
    out->last_day = last;
    out->days = (int)(last - first + 1);
    out->from = local_midnight(first);
    out->to = local_midnight(last + 1);
    out->prev_from = local_midnight(first - out->days);
    out->prev_to = out->from;
    return 0;
}

static int parse_date(store *s, const char *text, int64_t *days)
{
    int y, m, d;
    if (!text || date_parse(text, &y, &m, &d) != 0)
        return store_fail(s, _("'%s' is not a date: give it as YYYY-MM-DD"), text ? text : "");
    *days = days_from_civil(y, m, d);
    return 0;
}

static int parse_named(store *s, const char *p, struct store_period *out)
{
    int y, m, d, q;
    char extra;
    size_t n = strlen(p);
    if (n == 4 && sscanf(p, "%4d%c", &y, &extra) == 1 && y >= 1 && y <= 9999)
        return period_days(s, days_from_civil(y, 1, 1), days_from_civil(y, 12, 31), out);
    if (n == 7 && (p[5] == 'Q' || p[5] == 'q') && sscanf(p, "%4d-%*c%1d%c", &y, &q, &extra) == 2 &&
        p[4] == '-' && y >= 1 && q >= 1 && q <= 4)
        return period_days(s, days_from_civil(y, 3 * q - 2, 1),
                           days_from_civil(y, 3 * q, days_in_month(y, 3 * q)), out);
    if (n == 7 && p[4] == '-' && sscanf(p, "%4d-%2d%c", &y, &m, &extra) == 2 && y >= 1 &&
        m >= 1 && m <= 12)
        return period_days(s, days_from_civil(y, m, 1), days_from_civil(y, m, days_in_month(y, m)), out);
    if (n == 10 && date_parse(p, &y, &m, &d) == 0)
        return period_days(s, days_from_civil(y, m, d), days_from_civil(y, m, d), out);
    return store_fail(s, _("'%s' is not a period: give a year (2026), a quarter (2026-Q3), a month (2026-11) or a day (2026-11-05)"), p);
}

static int parse_last(store *s, const char *text, struct store_period *out)
{
    char *end;
    long n = strtol(text, &end, 10);
    int64_t today = civil_today(s), first;
    if (end == text || n < 1 || n > 36500 || !*end || end[1] || text[0] == '+' || text[0] == ' ')
        return store_fail(s, _("'%s' is not a length: give it like 30d, 8w, 6m or 1y"), text);
    switch (*end) {
    case 'd':
        first = today - n + 1;
        break;
    case 'w':
        first = today - 7 * n + 1;
        break;
    case 'm':
    case 'y': {
        int y, m, d;
        civil_from_days(today, &y, &m, &d);
        long months = *end == 'm' ? n : 12 * n;
        long total = (long)y * 12 + (m - 1) - months;
        if (total < 12)
            return store_fail(s, _("the period is too long: at most 100 years"));
        int py = (int)(total / 12), pm = (int)(total % 12) + 1;
        int pd = d <= days_in_month(py, pm) ? d : days_in_month(py, pm);
        first = days_from_civil(py, pm, pd) + 1;
        break;
    }
    default:
        return store_fail(s, _("'%s' is not a length: give it like 30d, 8w, 6m or 1y"), text);
    }
    return period_days(s, first, today, out);
}

int store_period_parse(store *s, const char *from, const char *to, const char *period,
                       const char *last, struct store_period *out)
{
    int ways = (from || to) + (period != NULL) + (last != NULL);
    if (ways > 1)
        return store_fail(s, _("give the period one way: --from and --to, --period, or --last"));
    if (period)
        return parse_named(s, period, out);
    if (last)
        return parse_last(s, last, out);
    if (to && !from)
        return store_fail(s, _("--to needs --from"));
    if (from) {
        int64_t a, b = civil_today(s);
        if (parse_date(s, from, &a) != 0 || (to && parse_date(s, to, &b) != 0))
            return -1;
        return period_days(s, a, b, out);
    }
    return parse_last(s, "30d", out);
}

int store_period_day(store *s, const char *date, struct store_period *out)
{
    int64_t d = civil_today(s);
    if (date && parse_date(s, date, &d) != 0)
        return -1;
    return period_days(s, d, d, out);
}

/* --- snapshots ------------------------------------------------------------ */

/* A read transaction: in WAL mode every statement until COMMIT reads the
 * same snapshot, and writers carry on meanwhile. Inside a transaction that
 * is open already (store_snapshot_begin, store_atomically) it joins that.
 * Its page cache is SQLite's default 2 MiB, not the 32 MiB a writer keeps
 * (store_open): a member pass reads a hundred megabytes once, in order,
 * and each page of a larger cache is memory touched for the first time -
 * on the big shop's year a fifth of the CPU, the smaller cache reusing its
 * pages instead. (A memory map of the file did half as well: each page
 * mapped is as dear.) The writer's size is back at the end. No error of
 * either setting matters: the same pages are read either way. */
int report_read_begin(store *s, bool *began)
{
    *began = false;
    if (!sqlite3_get_autocommit(s->db))
        return 0;
    store_release(s);
    sqlite3_exec(s->db, "PRAGMA cache_size=-2000", NULL, NULL, NULL);
    if (sql_exec(s, "BEGIN") != 0) {
        sqlite3_exec(s->db, STORE_CACHE_SIZE, NULL, NULL, NULL);
        return -1;
    }
    *began = true;
    return 0;
}

int report_read_end(store *s, bool began, int rc)
{
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    store_release(s);
    if (began && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (began)
        sqlite3_exec(s->db, STORE_CACHE_SIZE, NULL, NULL, NULL);
    memcpy(s->err, keep, sizeof keep);
    return rc;
}

int store_snapshot_begin(store *s)
{
    bool began;
    return report_read_begin(s, &began);
}

void store_snapshot_end(store *s)
{
    report_read_end(s, s->tx_depth == 0, 0);
}

/* Debian's SQLite has no sqlite3_snapshot_open (SQLITE_ENABLE_SNAPSHOT), so
 * two connections are brought to one snapshot this way: a third, short-lived
 * connection takes the write lock (BEGIN IMMEDIATE: nobody can commit now),
 * a and then b begin a read transaction and read once (a WAL snapshot is
 * taken at the first read, not at BEGIN), and the lock is given back. Both
 * then read the last commit before the lock. The lock is waited for a
 * moment only: a chunk of syncd's fold holds it a quarter of a second on a
 * big shop, and reading everything on a is correct, only slower. */
#define PAIR_LOCK_WAIT_MS 50

static int first_read(store *s)
{
    return sql_exec(s, "SELECT 1 FROM sqlite_master LIMIT 1");
}

int snapshot_pair_begin(store *a, store *b, void (*between)(void *), void *arg)
{
    sqlite3 *l = NULL;
    bool locked = false;
    if (sqlite3_get_autocommit(a->db) && sqlite3_get_autocommit(b->db) &&
        sqlite3_open_v2(store_path(a), &l, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(l, PAIR_LOCK_WAIT_MS);
        locked = sqlite3_exec(l, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    }
    int rc = store_snapshot_begin(a) == 0 && first_read(a) == 0 ? 0 : -1;
    if (rc == 0 && locked) {
        if (between)
            between(arg);
        if (store_snapshot_begin(b) == 0 && first_read(b) == 0)
            rc = 1;
        else
            store_snapshot_end(b);      /* a alone then */
    }
    if (locked)
        sqlite3_exec(l, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(l);
    if (rc < 0)
        store_snapshot_end(a);
    return rc;
}

int store_snapshot_begin_pair(store *a, store *b)
{
    return snapshot_pair_begin(a, b, NULL, NULL);
}

int report_check_till(store *s, const struct store_report_query *q)
{
    const char *t = report_till(q);
    if (!*t)
        return 0;
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM events WHERE origin = ?1 LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, t);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (!found)
        return store_fail(s, _("no till %s in this ledger; 'tally report tills' lists them"), t);
    return 0;
}

/* The end of a loop over rows handed to a caller's fn: out, what fn said
 * (non-zero stopped it), unless the statement failed (rc, its last step). */
int report_rows_done(store *s, sqlite3_stmt *st, int rc, int out)
{
    sqlite3_reset(st);
    if (out == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(s);
    return out;
}

static int step_row(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? store_fail(s, "no row") : db_fail(s);
}

/* --- summary -------------------------------------------------------------- */

/* The summary from the rollups (rollup.c). ?1 start of the period before
 * the previous, ?3 of the previous, ?4 of this one, ?2 the end; ?5 the
 * till or ''.
 *
 * Visits per customer over the three periods (the one before the previous
 * is needed for the previous period's churn), from roll_cust, which is
 * kept to the millisecond: either the whole of it in its order (no sort),
 * or the windows' rows through roll_cust_wall when they are a small part of
 * the history (roll_visits_sql); the %s are FROM and WHERE. */
#define ROLL_SCAN "roll_cust r"
#define ROLL_WINDOW "roll_cust r INDEXED BY roll_cust_wall"
#define ROLL_SUMS \
    "r.customer AS customer, coalesce(sum(r.visits) FILTER (WHERE r.wall >= ?4), 0) AS vp," \
    " coalesce(sum(r.visits) FILTER (WHERE r.wall >= ?3 AND r.wall < ?4), 0) AS vq," \
    " coalesce(sum(r.visits) FILTER (WHERE r.wall < ?3), 0) AS vr"
#define ROLL_WHERE "r.wall >= ?1 AND r.wall < ?2 AND (?5 = '' OR r.till = ?5)"
/* The scan's: + keeps SQLite from reading the window through roll_cust_wall
 * (members.c) and sorting it by member, many times slower. */
#define ROLL_WHERE_SCAN "+r.wall >= ?1 AND +r.wall < ?2 AND (?5 = '' OR r.till = ?5)"
/* roll_log (the rows not yet folded into roll_cust, a few thousand) is
 * summed apart and added per customer: a UNION ALL of the two tables
 * would sort all of roll_cust again. */
static const char SQL_ROLL_VISITS_T[] =
    "WITH lg AS MATERIALIZED (SELECT " ROLL_SUMS " FROM roll_log r WHERE " ROLL_WHERE " GROUP BY r.customer),"
    " cu AS (SELECT " ROLL_SUMS " FROM %s WHERE %s GROUP BY r.customer)"
    " SELECT count(*) FILTER (WHERE vp > 0), count(*) FILTER (WHERE vp >= 2), coalesce(sum(vp), 0),"
    " count(*) FILTER (WHERE vq > 0), count(*) FILTER (WHERE vq >= 2), coalesce(sum(vq), 0),"
    " count(*) FILTER (WHERE vq > 0 AND NOT vp > 0), count(*) FILTER (WHERE vr > 0),"
    " count(*) FILTER (WHERE vr > 0 AND NOT vq > 0)"
    " FROM (SELECT cu.vp + coalesce(lg.vp, 0) AS vp, cu.vq + coalesce(lg.vq, 0) AS vq,"
    "  cu.vr + coalesce(lg.vr, 0) AS vr FROM cu LEFT JOIN lg ON lg.customer = cu.customer"
    "  UNION ALL SELECT lg.vp, lg.vq, lg.vr FROM lg WHERE NOT EXISTS (SELECT 1 FROM roll_cust r"
    "   WHERE r.customer = lg.customer AND " ROLL_WHERE "))";

/* Sales, points and NPS answers over this period and the previous one,
 * from roll_till, for periods whose bounds are whole UTC hours - local
 * midnights are, in every zone but a few - and so ranges of its buckets.
 * The same parameters, in hours (?1 is not used). */
#define ROLL_TOTAL(col, when) "coalesce(sum(" col ") FILTER (WHERE " when "), 0)"
static const char SQL_ROLL_TOTALS[] =
    "SELECT " ROLL_TOTAL("spend", "hour >= ?4") ", " ROLL_TOTAL("spend", "hour < ?4") ","
    " " ROLL_TOTAL("issued", "hour >= ?4") ", " ROLL_TOTAL("issued", "hour < ?4") ","
    " -" ROLL_TOTAL("redeemed", "hour >= ?4") ", -" ROLL_TOTAL("redeemed", "hour < ?4") ","
    " -" ROLL_TOTAL("expired", "hour >= ?4") ", -" ROLL_TOTAL("expired", "hour < ?4") ","
    " " ROLL_TOTAL("nps", "hour >= ?4") ", " ROLL_TOTAL("promoters", "hour >= ?4") ","
    " " ROLL_TOTAL("detractors", "hour >= ?4") ", " ROLL_TOTAL("nps", "hour < ?4") ","
    " " ROLL_TOTAL("promoters", "hour < ?4") ", " ROLL_TOTAL("detractors", "hour < ?4")
    " FROM roll_till WHERE hour >= ?3 AND hour < ?2 AND (?5 = '' OR till = ?5)";

/* The same from the events, for any other period, in milliseconds.
 * Points issued: by purchases, bonuses, the welcome bonus and adjustments
 * (net); redeemed: for rewards and as payment; expired. Refunds and voids
 * count with their lot (co). An NPS answer's score is in the event's
 * data, outside the index: it is looked up for NPS answers only. Two
 * single-row aggregates: a UNION ALL of the events and the corrections
 * would pass every event through a co-routine, three times slower. */
#define E_NOW "e.wall >= ?4"
#define E_PREV "e.wall < ?4"
#define ISSUING "('earn', 'bonus', 'enrol', 'adjust')"
#define REDEEMING "('redeem', 'pay')"
#define TOTAL(what, filter) "coalesce(sum(" what ") FILTER (WHERE " filter "), 0)"
/* One lookup per answer: promoters + 2^31 x detractors, summed and taken
 * apart in C (each count stays far below 2^31). */
#define NPS_CODE "(SELECT (json_extract(x.data, '$.score') >= 9)" \
    " + (json_extract(x.data, '$.score') <= 6) * 2147483648 FROM events x" \
    " WHERE x.origin = e.origin AND x.seq = e.seq)"
#define NPS_SHIFT ((int64_t)2147483648)
static const char SQL_TOTALS[] =
    "WITH " CORR_CTE ","
    " ev AS (SELECT " TOTAL("e.spend", "e.type = 'earn' AND " E_NOW) " AS sp,"
    "  " TOTAL("e.spend", "e.type = 'earn' AND " E_PREV) " AS sq,"
    "  " TOTAL("e.points", "e.type IN " ISSUING " AND " E_NOW) " AS ip,"
    "  " TOTAL("e.points", "e.type IN " ISSUING " AND " E_PREV) " AS iq,"
    "  -" TOTAL("e.points", "e.type IN " REDEEMING " AND " E_NOW) " AS rp,"
    "  -" TOTAL("e.points", "e.type IN " REDEEMING " AND " E_PREV) " AS rq,"
    "  -" TOTAL("e.points", "e.type = 'expire' AND " E_NOW) " AS xp,"
    "  -" TOTAL("e.points", "e.type = 'expire' AND " E_PREV) " AS xq,"
    "  count(*) FILTER (WHERE e.type = 'nps' AND " E_NOW ") AS np,"
    "  " TOTAL(NPS_CODE, "e.type = 'nps' AND " E_NOW) " AS pdp,"
    "  count(*) FILTER (WHERE e.type = 'nps' AND " E_PREV ") AS nq,"
    "  " TOTAL(NPS_CODE, "e.type = 'nps' AND " E_PREV) " AS pdq"
    "  FROM " FROM_WALL " WHERE e.wall >= ?3 AND e.wall < ?2 AND e.customer <> '' AND (?5 = '' OR e.origin = ?5)"
    "   AND e.type NOT IN ('refund', 'void') AND NOT " OPENING("e") " AND " COUNTED("e") "),"
    " co AS (SELECT " TOTAL("spend", "ltype = 'earn' AND lwall >= ?4") " AS sp,"
    "  " TOTAL("spend", "ltype = 'earn' AND lwall < ?4") " AS sq,"
    "  " TOTAL("points", "ltype IN " ISSUING " AND lwall >= ?4") " AS ip,"
    "  " TOTAL("points", "ltype IN " ISSUING " AND lwall < ?4") " AS iq,"
    "  -" TOTAL("points", "ltype IN " REDEEMING " AND lwall >= ?4") " AS rp,"
    "  -" TOTAL("points", "ltype IN " REDEEMING " AND lwall < ?4") " AS rq"
    "  FROM corr WHERE lwall >= ?3 AND lwall < ?2 AND (?5 = '' OR lo = ?5))"
    " SELECT ev.sp + co.sp, ev.sq + co.sq, ev.ip + co.ip, ev.iq + co.iq, ev.rp + co.rp, ev.rq + co.rq,"
    "  ev.xp, ev.xq, ev.np, ev.pdp, ev.nq, ev.pdq FROM ev, co";

static bool on_hour(int64_t ms)
{
    return ms % HOUR_MS == 0;
}


/* Members: new in this (?2..?3) and the previous period (?1..?2), all by
 * the end of each, by when they joined; with a till, those who enrolled
 * there (customers.till). */
#define ENROLLED_AT(till) "c.till = " till
static const char SQL_MEMBERS[] =
    "SELECT count(*) FILTER (WHERE joined >= ?2 AND joined < ?3),"
    " count(*) FILTER (WHERE joined >= ?1 AND joined < ?2),"
    " count(*) FILTER (WHERE joined < ?3), count(*) FILTER (WHERE joined < ?2)"
    " FROM (SELECT " JOINED("c.") " AS joined FROM customers c"
    "  WHERE enrolled > 0 AND (?4 = '' OR " ENROLLED_AT("?4") "))";

int report_wall_span(store *s, int64_t *lo, int64_t *hi)
{
    /* Two subqueries: SQLite reads a min() or a max() off the index only
     * when it is the query's one aggregate. */
    sqlite3_stmt *st = store_sql(s, "SELECT (SELECT min(wall) FROM events), (SELECT max(wall) FROM events)");
    if (!st || step_row(s, st) != 0)
        return -1;
    *lo = sqlite3_column_int64(st, 0);
    *hi = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return 0;
}

/* 1 if fewer events follow the moment than precede it (by time), 0 if
 * not, -1 on error: a figure "as it stood then" is summed from whichever
 * side is shorter - all of it now less what came after, or what came
 * before. */
static int later_is_shorter(store *s, int64_t when)
{
    int64_t lo, hi;
    if (report_wall_span(s, &lo, &hi) != 0)
        return -1;
    return hi - when < when - lo;
}

/* The one figure a query of one moment (?1) gives. */
static int value_at(store *s, const char *text, int64_t when, int64_t *out)
{
    sqlite3_stmt *st = store_sql(s, text);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, when);
    if (step_row(s, st) != 0)
        return -1;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* Outstanding points at a moment: the sum of every counted points effect
 * before it, with the corrections of purchases refunded beyond them
 * (lot_adjust) standing by then. Summed from whichever side of the moment is shorter: all the
 * balances less what came after, or what came before. */
static int outstanding_at(store *s, int64_t when, int64_t *out)
{
    if (on_hour(when))
        return value_at(s, "SELECT coalesce(sum(points), 0) FROM roll_till WHERE hour < ?1", when / HOUR_MS, out);
    int later = later_is_shorter(s, when);
    if (later < 0)
        return -1;
    if (later)
        return value_at(s, "SELECT (SELECT coalesce(sum(points), 0) FROM customers)"
                           " - (SELECT coalesce(sum(points), 0) FROM events e WHERE wall >= ?1"
                           " AND points <> 0 AND customer <> '' AND " COUNTED("e") ")"
                           " - (SELECT coalesce(sum(points), 0) FROM lot_adjust WHERE wall >= ?1)", when, out);
    return value_at(s, "SELECT (SELECT coalesce(sum(points), 0) FROM events e WHERE wall < ?1"
                       " AND points <> 0 AND customer <> '' AND " COUNTED("e") ")"
                       " + (SELECT coalesce(sum(points), 0) FROM lot_adjust WHERE wall < ?1)", when, out);
}

static void derive_summary(store *s, struct store_summary *x, int days)
{
    int64_t pow10 = 1;
    for (int i = 0; i < s->digits; i++)
        pow10 *= 10;
    x->aov = x->visits > 0 ? report_div_round(x->sales, x->visits) : STORE_NA;
    x->repeat_rate = report_rate(x->repeaters, x->active);
    x->frequency = x->active > 0 ? report_div_round(x->visits * 100, x->active) : STORE_NA;
    x->churn = report_rate(x->churned, x->prev_active);
    x->retention = x->churn == STORE_NA ? STORE_NA : 1000 - x->churn;
    /* Lifespan: a member churning at this period's rate stays 1/churn
     * periods. CLV = AOV x visits per year x lifespan in years, which comes
     * to sales per active member x prev_active / churned. */
    x->lifespan_days = x->churned > 0 ? muldiv_round(days, x->prev_active, x->churned) : STORE_NA;
    if (x->churned > 0 && x->active > 0) {
#ifdef __SIZEOF_INT128__
        __int128 num = (__int128)x->sales * x->prev_active, den = (__int128)x->active * x->churned;
        x->clv = (int64_t)(num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den));
#else
        x->clv = report_div_round(x->sales / x->active * x->prev_active, x->churned);
#endif
    } else {
        x->clv = STORE_NA;
    }
    /* Downward adjustments can bring the issuance of a period to zero or
     * below: no base to measure redemptions against. */
    x->redemption_rate = x->points_issued > 0 ? report_rate(x->points_redeemed, x->points_issued) : STORE_NA;
    int64_t pay_rate = setting_int(s, "points.pay_rate");
    x->liability = muldiv_round(x->points_outstanding, pow10, pay_rate > 0 ? pay_rate : 100);
    x->passives = x->nps_answers - x->promoters - x->detractors;
    x->nps = report_rate(x->promoters - x->detractors, x->nps_answers);
}

/* The rollup visits query for windows from..to (ms): the rows of the
 * windows through roll_cust_wall, summed per member, when they span under a
 * sixth of the history roll_cust holds, else the whole of it in member
 * order. Measured on 100,000 members and a year: 3 days 0.01 s against
 * 0.11 s, 90 days 0.30 s against 0.13 s, a year 1.2 s against 0.27 s (the
 * window's rows are sorted by member; the scan needs no sort). A seek per
 * member, as this once did for short windows, was 0.3 s whatever the
 * window. */
/* The span of time the rollups hold, from the first hour to the end of
 * the last: how much history a window is measured against. */
static int history_span(store *s, int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *st = store_sql(s, "SELECT (SELECT min(hour) FROM roll_till), (SELECT max(hour) FROM roll_till)");
    if (!st || step_row(s, st) != 0)
        return -1;
    *lo = sqlite3_column_int64(st, 0) * HOUR_MS;
    *hi = (sqlite3_column_int64(st, 1) + 1) * HOUR_MS;
    sqlite3_reset(st);
    return 0;
}

static int roll_visits_sql(store *s, int64_t from, int64_t to, sqlite3_stmt **out)
{
    int64_t lo, hi;
    if (history_span(s, &lo, &hi) != 0)
        return -1;
    int64_t all = hi - lo;
    if (from > lo)
        lo = from;
    if (to < hi)
        hi = to;
    bool window = hi <= lo || (hi - lo) * 6 < all;
    char text[4096];
    snprintf(text, sizeof text, SQL_ROLL_VISITS_T, window ? ROLL_WINDOW : ROLL_SCAN,
             window ? ROLL_WHERE : ROLL_WHERE_SCAN);
    *out = store_sql(s, text);
    return *out ? 0 : -1;
}

/* The visit figures from the rollups' rows of the three periods, and
 * the members from the customers. */
static int summary_counts(store *s, const struct store_report_query *q, struct report_counts *v)
{
    const struct store_period *p = &q->period;
    int64_t r = p->prev_from - (p->from - p->prev_from);
    sqlite3_stmt *st;
    if (roll_visits_sql(s, r, p->to, &st) != 0)
        return -1;
    sqlite3_bind_int64(st, 1, r);
    sqlite3_bind_int64(st, 2, p->to);
    sqlite3_bind_int64(st, 3, p->prev_from);
    sqlite3_bind_int64(st, 4, p->from);
    bind_till(st, 5, q);
    if (step_row(s, st) != 0)
        return -1;
    int64_t *f[] = { &v->active, &v->repeaters, &v->visits, &v->prev_active, &v->prev_repeaters, &v->prev_visits,
                     &v->churned, &v->prev_prev_active, &v->prev_churned };
    for (int i = 0; i < 9; i++)
        *f[i] = sqlite3_column_int64(st, i);
    sqlite3_reset(st);

    st = store_sql(s, SQL_MEMBERS);
    if (!st)
        return -1;
    bind_periods(st, q);
    if (step_row(s, st) != 0)
        return -1;
    v->new_members = sqlite3_column_int64(st, 0);
    v->prev_new_members = sqlite3_column_int64(st, 1);
    v->members = sqlite3_column_int64(st, 2);
    v->prev_members = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    return 0;
}

int report_summary_tx(store *s, const struct store_report_query *q, const struct report_counts *counts,
                      struct store_summary *cur, struct store_summary *prev)
{
    const struct store_period *p = &q->period;
    memset(cur, 0, sizeof *cur);
    memset(prev, 0, sizeof *prev);
    if (report_check_till(s, q) != 0)
        return -1;
    struct report_counts v;
    if (counts)
        v = *counts;
    else if (summary_counts(s, q, &v) != 0)
        return -1;
    cur->active = v.active;
    cur->repeaters = v.repeaters;
    cur->visits = v.visits;
    prev->active = v.prev_active;
    prev->repeaters = v.prev_repeaters;
    prev->visits = v.prev_visits;
    cur->churned = v.churned;
    cur->prev_active = prev->active;
    prev->prev_active = v.prev_prev_active;
    prev->churned = v.prev_churned;
    cur->new_members = v.new_members;
    prev->new_members = v.prev_new_members;
    cur->members = v.members;
    prev->members = v.prev_members;

    sqlite3_stmt *st;

    /* From roll_till when the bounds are whole hours, else the events. */
    bool roll = on_hour(p->prev_from) && on_hour(p->from) && on_hour(p->to);
    int64_t unit = roll ? HOUR_MS : 1;
    st = store_sql(s, roll ? SQL_ROLL_TOTALS : SQL_TOTALS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 2, p->to / unit);
    sqlite3_bind_int64(st, 3, p->prev_from / unit);
    sqlite3_bind_int64(st, 4, p->from / unit);
    bind_till(st, 5, q);
    if (step_row(s, st) != 0)
        return -1;
    int c = 0;
    cur->sales = sqlite3_column_int64(st, c++);
    prev->sales = sqlite3_column_int64(st, c++);
    cur->points_issued = sqlite3_column_int64(st, c++);
    prev->points_issued = sqlite3_column_int64(st, c++);
    cur->points_redeemed = sqlite3_column_int64(st, c++);
    prev->points_redeemed = sqlite3_column_int64(st, c++);
    cur->points_expired = sqlite3_column_int64(st, c++);
    prev->points_expired = sqlite3_column_int64(st, c++);
    if (roll) {
        struct store_summary *x[2] = { cur, prev };
        for (int i = 0; i < 2; i++) {
            x[i]->nps_answers = sqlite3_column_int64(st, c++);
            x[i]->promoters = sqlite3_column_int64(st, c++);
            x[i]->detractors = sqlite3_column_int64(st, c++);
        }
    } else {
        cur->nps_answers = sqlite3_column_int64(st, c++);
        int64_t pd = sqlite3_column_int64(st, c++);
        cur->promoters = pd % NPS_SHIFT;
        cur->detractors = pd / NPS_SHIFT;
        prev->nps_answers = sqlite3_column_int64(st, c++);
        pd = sqlite3_column_int64(st, c++);
        prev->promoters = pd % NPS_SHIFT;
        prev->detractors = pd / NPS_SHIFT;
    }
    sqlite3_reset(st);

    if (outstanding_at(s, p->to, &cur->points_outstanding) != 0 ||
        outstanding_at(s, p->from, &prev->points_outstanding) != 0)
        return -1;
    derive_summary(s, cur, p->days);
    derive_summary(s, prev, p->days);
    return 0;
}

int store_report_summary(store *s, const struct store_report_query *q,
                         struct store_summary *cur, struct store_summary *prev)
{
    IN_READ(report_summary_tx(s, q, NULL, cur, prev));
}

/* --- a series per day ---------------------------------------------------------- */

/* Each row's local day: days since 1970 of its local date. ?1..?2 the
 * period, ?3 the till. Visits and sales on their purchase's day, as in the
 * summary; new members by the day they joined. */
#define LOCAL_DAY(w) "CAST(julianday(" w " / 1000, 'unixepoch', 'localtime') - 2440587.5 AS INTEGER)"
static const char SQL_DAYS[] =
    "WITH " CORR_CTE ", " DEAD_CTE ","
    " r AS (SELECT e.wall AS wall, 1 AS v, e.spend AS sp, 0 AS n FROM events e INDEXED BY events_wall"
    "  WHERE e.type = 'earn' AND e.wall >= ?1 AND e.wall < ?2 AND (?3 = '' OR e.origin = ?3)"
    " UNION ALL SELECT wall, -1, 0, 0 FROM dead WHERE wall >= ?1 AND wall < ?2 AND (?3 = '' OR lo = ?3)"
    " UNION ALL SELECT lwall, 0, spend, 0 FROM corr WHERE ltype = 'earn' AND spend <> 0"
    "  AND lwall >= ?1 AND lwall < ?2 AND (?3 = '' OR lo = ?3)"
    " UNION ALL SELECT " JOINED("c.") ", 0, 0, 1 FROM customers c WHERE c.enrolled > 0"
    "  AND " JOINED("c.") " >= ?1 AND " JOINED("c.") " < ?2 AND (?3 = '' OR " ENROLLED_AT("?3") "))"
    " SELECT " LOCAL_DAY("wall") " AS day, sum(v), sum(sp), sum(n) FROM r GROUP BY day ORDER BY day";

static int days_tx(store *s, const struct store_report_query *q,
                   int (*fn)(const struct store_day_point *, void *), void *arg)
{
    const struct store_period *p = &q->period;
    if (report_check_till(s, q) != 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, SQL_DAYS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->from);
    sqlite3_bind_int64(st, 2, p->to);
    bind_till(st, 3, q);
    struct store_day_point pt;
    int64_t day = p->first_day;
    int rc, out = 0;
    bool more = true;
    /* Every day of the period; the query has only the days with something. */
    while (out == 0 && day <= p->last_day) {
        if (more && (rc = sqlite3_step(st)) != SQLITE_ROW) {
            more = false;
            if (rc != SQLITE_DONE) {
                sqlite3_reset(st);
                return db_fail(s);
            }
        }
        int64_t next = more ? sqlite3_column_int64(st, 0) : p->last_day + 1;
        for (; day < next && day <= p->last_day && out == 0; day++) {
            memset(&pt, 0, sizeof pt);
            pt.day = day;
            out = fn(&pt, arg);
        }
        if (more && out == 0 && next >= day && next <= p->last_day) {
            pt.day = next;
            pt.visits = sqlite3_column_int64(st, 1);
            pt.sales = sqlite3_column_int64(st, 2);
            pt.new_members = sqlite3_column_int64(st, 3);
            out = fn(&pt, arg);
            day = next + 1;
        }
    }
    sqlite3_reset(st);
    return out;
}

int store_report_days(store *s, const struct store_report_query *q,
                      int (*fn)(const struct store_day_point *, void *), void *arg)
{
    IN_READ(days_tx(s, q, fn, arg));
}

/* --- visits per day ------------------------------------------------------------ */

/* Visits per local day of the period, as the summary counts them: from
 * roll_till when every local midnight of it is a whole hour, else from the
 * day series above. */
struct visit_days {
    int64_t first, *out;
    int n;
};

static int visit_day(const struct store_day_point *pt, void *arg)
{
    struct visit_days *v = arg;
    int64_t i = pt->day - v->first;
    if (i >= 0 && i < v->n)
        v->out[i] = pt->visits;
    return 0;
}

static int visits_per_day_tx(store *s, const struct store_report_query *q, int64_t *visits)
{
    const struct store_period *p = &q->period;
    int n = p->days;
    if (n <= 0 || report_check_till(s, q) != 0)
        return n <= 0 ? 0 : -1;
    memset(visits, 0, sizeof *visits * (size_t)n);
    int64_t *midnight = malloc(sizeof *midnight * ((size_t)n + 1));
    if (!midnight)
        return store_fail(s, _("out of memory"));
    bool roll = true;
    for (int i = 0; i <= n; i++) {
        midnight[i] = local_midnight(p->first_day + i);
        roll = roll && on_hour(midnight[i]);
    }
    int rc = 0;
    if (roll) {
        sqlite3_stmt *st = store_sql(s, "SELECT hour, sum(visits) FROM roll_till WHERE hour >= ?1 AND hour < ?2"
                                  " AND (?3 = '' OR till = ?3) GROUP BY hour ORDER BY hour");
        if (!st) {
            free(midnight);
            return -1;
        }
        sqlite3_bind_int64(st, 1, midnight[0] / HOUR_MS);
        sqlite3_bind_int64(st, 2, midnight[n] / HOUR_MS);
        bind_till(st, 3, q);
        int d = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t at = sqlite3_column_int64(st, 0) * HOUR_MS;
            while (d < n - 1 && at >= midnight[d + 1])
                d++;
            visits[d] += sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        rc = rc == SQLITE_DONE ? 0 : db_fail(s);
    } else {
        struct visit_days v = { p->first_day, visits, n };
        rc = days_tx(s, q, visit_day, &v);
    }
    free(midnight);
    return rc;
}

int store_report_visits_per_day(store *s, const struct store_report_query *q, int64_t *visits)
{
    IN_READ(visits_per_day_tx(s, q, visits));
}

/* --- segments and member lists ---------------------------------------------- */

static const struct {
    const char *name, *rule;
} SEGMENTS[SEG_COUNT] = {
    { "new", N_("joined in the period") },
    { "lapsed", N_("no visit in the 90 days before the end of the period") },
    { "at-risk", N_("a regular now overdue: more than twice their mean interval, and at least 14 days, since the last visit") },
    { "high-value", N_("the top tenth (rounded up, ties included) of the members who spent anything over the last 365 days") },
    { "regular", N_("3 or more visits with a mean interval of at most 30 days, not overdue") },
    { "occasional", N_("every other member: fewer than 3 visits, or a mean interval over 30 days") },
};

const char *store_segment_name(int seg)
{
    return seg >= 0 && seg < SEG_COUNT ? SEGMENTS[seg].name : "";
}

const char *store_segment_rule(int seg)
{
    return seg >= 0 && seg < SEG_COUNT ? SEGMENTS[seg].rule : "";
}

int store_segment_parse(const char *name)
{
    for (int i = 0; name && i < SEG_COUNT; i++)
        if (strcmp(name, SEGMENTS[i].name) == 0)
            return i;
    return -1;
}

/* --- rewards ------------------------------------------------------------------ */

/* Redemptions in this period (from ?2) and the previous one (?1 to ?2), to
 * ?3; ?4 till. A redemption that was voided does not count. Rows: each
 * reward in the catalog, coupons by what they give (a reward, an amount
 * off, a percentage off), points as payment, store credit spent
 * (internal.h USE_ROWS). From roll_use when the bounds are whole hours
 * (?1 to ?3 in hours), else from the events. */
#define REWARDS_OF(rows) \
    " g AS (SELECT k, id, coalesce(sum(n) FILTER (WHERE at >= ?2), 0) AS n," \
    "  coalesce(sum(p) FILTER (WHERE at >= ?2), 0) AS p, coalesce(sum(st) FILTER (WHERE at >= ?2), 0) AS st," \
    "  coalesce(sum(val) FILTER (WHERE at >= ?2), 0) AS val," \
    "  coalesce(sum(n) FILTER (WHERE at < ?2), 0) AS pn, coalesce(sum(p) FILTER (WHERE at < ?2), 0) AS pp," \
    "  coalesce(sum(st) FILTER (WHERE at < ?2), 0) AS pst," \
    "  coalesce(sum(val) FILTER (WHERE at < ?2), 0) AS pval" \
    "  FROM (" rows " UNION ALL SELECT 1, id, NULL, 0, 0, 0, 0 FROM rewards WHERE name <> '') GROUP BY k, id)" \
    " SELECT g.k, g.id, coalesce(r.name, ''), coalesce(r.points, 0), coalesce(r.stamps, 0)," \
    "  g.n, g.p, g.st, g.val, g.pn, g.pp, g.pst, g.pval, coalesce(r.tier, '')" \
    " FROM g LEFT JOIN rewards r ON r.id = g.id AND g.k IN (1, 2)" \
    " WHERE g.k = 1 OR g.n > 0 OR g.pn > 0" \
    " ORDER BY g.k, g.n DESC, g.pn DESC, coalesce(r.name, g.id), g.id"
static const char SQL_REWARDS[] =
    "WITH " USE_USED("e.wall >= ?1 AND e.wall < ?3 AND (?4 = '' OR e.origin = ?4)") USE_ROWS ","
    REWARDS_OF("SELECT k, id, wall AS at, 1 AS n, p, st, val FROM rows");
static const char SQL_REWARDS_ROLLED[] =
    "WITH" REWARDS_OF("SELECT k, id, hour AS at, n, p, st, val FROM roll_use"
                      " WHERE hour >= ?1 AND hour < ?3 AND (?4 = '' OR till = ?4) AND n > 0");

static int rewards_tx(store *s, const struct store_report_query *q,
                      int (*fn)(const struct store_reward_row *, void *), void *arg)
{
    static const char *const KINDS[] = { "", "reward", "coupon", "points", "credit" };
    if (report_check_till(s, q) != 0)
        return -1;
    int64_t pow10 = 1, pay_rate = setting_int(s, "points.pay_rate");
    for (int i = 0; i < s->digits; i++)
        pow10 *= 10;
    if (pay_rate <= 0)
        pay_rate = 100;
    const struct store_period *p = &q->period;
    bool roll = on_hour(p->prev_from) && on_hour(p->from) && on_hour(p->to);
    int64_t unit = roll ? HOUR_MS : 1;
    sqlite3_stmt *st = store_sql(s, roll ? SQL_REWARDS_ROLLED : SQL_REWARDS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->prev_from / unit);
    sqlite3_bind_int64(st, 2, p->from / unit);
    sqlite3_bind_int64(st, 3, p->to / unit);
    bind_till(st, 4, q);
    struct store_reward_row r;
    int rc, out = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        int k = sqlite3_column_int(st, 0);
        snprintf(r.kind, sizeof r.kind, "%s", KINDS[k >= 1 && k <= 4 ? k : 0]);
        copy_col(st, 1, r.id, sizeof r.id);
        copy_col(st, 2, r.name, sizeof r.name);
        int64_t price_points = sqlite3_column_int64(st, 3);
        r.count = sqlite3_column_int64(st, 5);
        r.points = sqlite3_column_int64(st, 6);
        r.stamps = sqlite3_column_int64(st, 7);
        r.value = sqlite3_column_int64(st, 8);
        r.prev_count = sqlite3_column_int64(st, 9);
        r.prev_points = sqlite3_column_int64(st, 10);
        r.prev_stamps = sqlite3_column_int64(st, 11);
        r.prev_value = sqlite3_column_int64(st, 12);
        copy_col(st, 13, r.tier, sizeof r.tier);
        if (k == 1) {
            /* What the points given up were worth as payment; a stamp
             * card has no money value in the ledger. */
            bool stamps_only = price_points == 0;
            r.value = stamps_only ? STORE_NA : muldiv_round(r.points, pow10, pay_rate);
            r.prev_value = stamps_only ? STORE_NA : muldiv_round(r.prev_points, pow10, pay_rate);
        } else if (k == 2 && strcmp(r.id, "amount") != 0) {
            r.value = r.prev_value = STORE_NA;     /* a reward or a percentage: not known */
        }
        if (k == 2 && !r.name[0])
            snprintf(r.name, sizeof r.name, "%s", r.id);
        if (k == 2 && (strcmp(r.id, "amount") == 0 || strcmp(r.id, "percent") == 0))
            r.id[0] = '\0';
        if ((out = fn(&r, arg)) != 0)
            break;
    }
    return report_rows_done(s, st, rc, out);
}

int store_report_rewards(store *s, const struct store_report_query *q,
                         int (*fn)(const struct store_reward_row *, void *), void *arg)
{
    IN_READ(rewards_tx(s, q, fn, arg));
}

/* --- tiers ----------------------------------------------------------------------- */

/* The tiers report is worked out with the member reports, in C
 * (members.c): the tier rule's spend in the windows ending at the end of
 * the period and of the previous one is two more figures of their pass
 * over the members. */

/* --- staff and tills ------------------------------------------------------------- */

/* What each person (or till) did, on the day they did it: loyalty
 * transactions (purchases, redemptions, payments with points or credit,
 * coupons), the net sales they rang up (their refunds and voids off),
 * refunds, voids they made, their transactions someone voided, manual
 * adjustments and limit overrides; and the wrong PINs typed for them (or
 * at the till). ?1 start of the previous period, ?2 of this one, ?3 end,
 * ?4 till, ?5 1 for tills. */
#define ACT_COLS(when) \
    " count(*) FILTER (WHERE k = 1 AND " when ")," \
    " coalesce(sum(sp) FILTER (WHERE " when "), 0)," \
    " count(*) FILTER (WHERE k = 2 AND " when ")," \
    " coalesce(-sum(sp) FILTER (WHERE k = 2 AND " when "), 0)," \
    " count(*) FILTER (WHERE k = 3 AND " when ")," \
    " count(*) FILTER (WHERE k = 6 AND " when ")," \
    " count(*) FILTER (WHERE k = 4 AND " when ")," \
    " coalesce(sum(p) FILTER (WHERE k = 4 AND " when "), 0)," \
    " count(*) FILTER (WHERE ov AND " when ")," \
    " count(*) FILTER (WHERE k = 7 AND " when ")"
/* Wrong PINs (staff.c): no customer's, so the events_customer index finds
 * the period's few events without one. */
#define WRONG_PINS(lo, hi) \
    " SELECT CASE WHEN ?5 THEN origin ELSE staff END AS key, wall FROM events" \
    "  WHERE customer = '' AND wall >= " lo " AND wall < " hi " AND type = 'login_failed'" \
    "   AND (?4 = '' OR origin = ?4)"
static const char SQL_ACTIVITY[] =
    "WITH rows AS (SELECT CASE WHEN ?5 THEN e.origin ELSE e.staff END AS key, e.wall,"
    "  CASE WHEN e.type IN ('earn', 'redeem', 'pay', 'coupon_use') THEN 1 WHEN e.type = 'refund' THEN 2"
    "   WHEN e.type = 'void' THEN 3 WHEN e.type = 'adjust' THEN 4 ELSE 0 END AS k,"
    "  e.spend AS sp, e.points AS p,"
    "  (e.type = 'earn' AND instr(e.data, '\"override\"') > 0) OR (e.type = 'redeem' AND e.reason <> '') AS ov"
    "  FROM events e WHERE e.wall >= ?1 AND e.wall < ?3 AND e.customer <> ''"
    "   AND (?4 = '' OR e.origin = ?4) AND NOT " OPENING("e") " AND " COUNTED("e")
    " UNION ALL SELECT CASE WHEN ?5 THEN l.origin ELSE l.staff END, v.wall, 6, 0, 0, 0"
    "  FROM events v JOIN events l ON l.origin = v.ref_origin AND l.seq = v.ref_seq"
    "  WHERE v.ref_origin <> '' AND v.type = 'void' AND v.wall >= ?1 AND v.wall < ?3"
    "   AND (?4 = '' OR l.origin = ?4) AND " COUNTED("v")
    " UNION ALL SELECT w.*, 7, 0, 0, 0 FROM (" WRONG_PINS("?1", "?3") ") w)"
    " SELECT r.key, coalesce(st.name, ''),"
    ACT_COLS("wall >= ?2") "," ACT_COLS("wall < ?2")
    " FROM rows r LEFT JOIN staff st ON st.id = r.key AND NOT ?5"
    " WHERE r.key <> '' GROUP BY r.key ORDER BY count(*) FILTER (WHERE k = 1 AND wall >= ?2) DESC, r.key";

/* The same from roll_till (rollup.c), for periods on whole UTC hours:
 * ?1..?3 in hours. A person or till is listed when they did anything in
 * the two periods, as above. */
#define ROLL_ACT_COLS(when) \
    " coalesce(sum(tx) FILTER (WHERE " when "), 0), coalesce(sum(sales) FILTER (WHERE " when "), 0)," \
    " coalesce(sum(refunds) FILTER (WHERE " when "), 0), coalesce(sum(refunded) FILTER (WHERE " when "), 0)," \
    " coalesce(sum(voids) FILTER (WHERE " when "), 0), coalesce(sum(voided) FILTER (WHERE " when "), 0)," \
    " coalesce(sum(adjusts) FILTER (WHERE " when "), 0), coalesce(sum(adjusted) FILTER (WHERE " when "), 0)," \
    " coalesce(sum(overrides) FILTER (WHERE " when "), 0)," \
    " coalesce(sum(wrong) FILTER (WHERE " when "), 0)"
static const char SQL_ROLL_ACTIVITY[] =
    "SELECT r.key, coalesce(st.name, ''), " ROLL_ACT_COLS("hour >= ?2") "," ROLL_ACT_COLS("hour < ?2")
    " FROM (SELECT CASE WHEN ?5 THEN till ELSE staff END AS key, hour, tx, sales, refunds, refunded,"
    "  voids, voided, adjusts, adjusted, overrides, events, 0 AS wrong FROM roll_till"
    "  WHERE hour >= ?1 AND hour < ?3 AND (?4 = '' OR till = ?4)"
    "  UNION ALL SELECT w.key, w.wall / 3600000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 FROM"
    "  (" WRONG_PINS("?1 * 3600000", "?3 * 3600000") ") w) r"
    " LEFT JOIN staff st ON st.id = r.key AND NOT ?5"
    " WHERE r.key <> '' GROUP BY r.key HAVING sum(r.events) > 0 OR sum(r.voided) > 0 OR sum(r.wrong) > 0"
    " ORDER BY coalesce(sum(tx) FILTER (WHERE hour >= ?2), 0) DESC, r.key";

static void read_activity(sqlite3_stmt *st, int c, struct store_activity *a)
{
    a->transactions = sqlite3_column_int64(st, c++);
    a->sales = sqlite3_column_int64(st, c++);
    a->refunds = sqlite3_column_int64(st, c++);
    a->refunded = sqlite3_column_int64(st, c++);
    a->voids = sqlite3_column_int64(st, c++);
    a->voided = sqlite3_column_int64(st, c++);
    a->adjustments = sqlite3_column_int64(st, c++);
    a->adjusted_points = sqlite3_column_int64(st, c++);
    a->overrides = sqlite3_column_int64(st, c++);
    a->wrong_pins = sqlite3_column_int64(st, c++);
}

static int activity_tx(store *s, const struct store_report_query *q, bool by_till,
                       int (*fn)(const struct store_activity_row *, void *), void *arg)
{
    if (report_check_till(s, q) != 0)
        return -1;
    const struct store_period *p = &q->period;
    bool roll = on_hour(p->prev_from) && on_hour(p->from) && on_hour(p->to);
    sqlite3_stmt *st = store_sql(s, roll ? SQL_ROLL_ACTIVITY : SQL_ACTIVITY);
    if (!st)
        return -1;
    int64_t unit = roll ? HOUR_MS : 1;
    sqlite3_bind_int64(st, 1, p->prev_from / unit);
    sqlite3_bind_int64(st, 2, p->from / unit);
    sqlite3_bind_int64(st, 3, p->to / unit);
    bind_till(st, 4, q);
    sqlite3_bind_int(st, 5, by_till);
    struct store_activity_row *r = malloc(sizeof *r);
    if (!r)
        return store_fail(s, _("out of memory"));
    int rc, out = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(r, 0, sizeof *r);
        copy_col(st, 0, r->key, sizeof r->key);
        copy_col(st, 1, r->name, sizeof r->name);
        read_activity(st, 2, &r->cur);
        read_activity(st, 12, &r->prev);
        if ((out = fn(r, arg)) != 0)
            break;
    }
    free(r);
    return report_rows_done(s, st, rc, out);
}

int store_report_activity(store *s, const struct store_report_query *q, bool by_till,
                          int (*fn)(const struct store_activity_row *, void *), void *arg)
{
    IN_READ(activity_tx(s, q, by_till, fn, arg));
}

/* The activity report's wrong PINs, all its rows added up: the period's
 * login_failed events (WRONG_PINS; every one is at some till), without
 * the rest of the report. */
static int wrong_pins_tx(store *s, const struct store_report_query *q, int64_t *cur, int64_t *prev)
{
    if (report_check_till(s, q) != 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FILTER (WHERE wall >= ?2), count(*) FILTER (WHERE wall < ?2)"
                                    " FROM (" WRONG_PINS("?1", "?3") ")");
    if (!st)
        return -1;
    bind_periods(st, q);
    sqlite3_bind_int(st, 5, 1);
    if (step_row(s, st) != 0)
        return -1;
    *cur = sqlite3_column_int64(st, 0);
    *prev = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return 0;
}

int store_report_wrong_pins(store *s, const struct store_report_query *q, int64_t *cur, int64_t *prev)
{
    IN_READ(wrong_pins_tx(s, q, cur, prev));
}

/* --- end of day --------------------------------------------------------------------- */

/* Everything that happened on the day (from ?2) and the day before (?1 to
 * ?2), per till and staff member, each event on its own day, till and
 * person: the reconciliation of what the tills did. Points issued by
 * purchases, bonuses and adjustments; taken back by refunds and voids (a
 * void of a redemption gives back, so this can be positive); redeemed by
 * rewards and payments; expired. Credit: cashback given, taken back,
 * spent. ?3 end of the day, ?4 till. */
#define DAY_COLS(when) \
    " count(*) FILTER (WHERE type = 'earn' AND " when ")," \
    " coalesce(sum(spend) FILTER (WHERE " when "), 0)," \
    " count(*) FILTER (WHERE type = 'refund' AND " when ")," \
    " coalesce(-sum(spend) FILTER (WHERE type = 'refund' AND " when "), 0)," \
    " count(*) FILTER (WHERE type = 'void' AND " when ")," \
    " count(*) FILTER (WHERE type = 'coupon_use' AND " when ")," \
    " coalesce(sum(points) FILTER (WHERE type IN " ISSUING " AND " when "), 0)," \
    " coalesce(sum(points) FILTER (WHERE type IN ('refund', 'void') AND " when "), 0)," \
    " coalesce(-sum(points) FILTER (WHERE type IN " REDEEMING " AND " when "), 0)," \
    " coalesce(-sum(points) FILTER (WHERE type = 'expire' AND " when "), 0)," \
    " coalesce(sum(credit) FILTER (WHERE type = 'earn' AND " when "), 0)," \
    " coalesce(sum(credit) FILTER (WHERE type IN ('refund', 'void') AND " when "), 0)," \
    " coalesce(-sum(credit) FILTER (WHERE type = 'pay' AND " when "), 0)"
static const char SQL_DAY[] =
    "WITH d AS MATERIALIZED (SELECT e.origin, e.staff, e.wall, e.type, e.spend, e.points, e.credit"
    "  FROM events e WHERE e.wall >= ?1 AND e.wall < ?3 AND e.customer <> ''"
    "   AND (?4 = '' OR e.origin = ?4) AND NOT " OPENING("e") " AND " COUNTED("e") ")"
    " SELECT 0 AS total, origin, staff, CASE WHEN staff = '' THEN 1 ELSE 0 END AS lvl,"
    DAY_COLS("wall >= ?2") "," DAY_COLS("wall < ?2") "  FROM d GROUP BY origin, staff"
    " UNION ALL SELECT 0, origin, '', 2," DAY_COLS("wall >= ?2") "," DAY_COLS("wall < ?2")
    "  FROM d GROUP BY origin"
    " UNION ALL SELECT 1, '', '', 3," DAY_COLS("wall >= ?2") "," DAY_COLS("wall < ?2") " FROM d"
    "  HAVING count(*) > 0"
    " ORDER BY total, origin, lvl, staff";

static void read_day(sqlite3_stmt *st, int c, struct store_day_figures *f)
{
    f->purchases = sqlite3_column_int64(st, c++);
    f->sales = sqlite3_column_int64(st, c++);
    f->refunds = sqlite3_column_int64(st, c++);
    f->refunded = sqlite3_column_int64(st, c++);
    f->voids = sqlite3_column_int64(st, c++);
    f->coupons = sqlite3_column_int64(st, c++);
    f->points_issued = sqlite3_column_int64(st, c++);
    f->points_taken_back = sqlite3_column_int64(st, c++);
    f->points_redeemed = sqlite3_column_int64(st, c++);
    f->points_expired = sqlite3_column_int64(st, c++);
    f->credit_issued = sqlite3_column_int64(st, c++);
    f->credit_taken_back = sqlite3_column_int64(st, c++);
    f->credit_spent = sqlite3_column_int64(st, c++);
}

static int day_tx(store *s, const struct store_report_query *q,
                  int (*fn)(const struct store_day_row *, void *), void *arg)
{
    if (report_check_till(s, q) != 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, SQL_DAY);
    if (!st)
        return -1;
    bind_periods(st, q);
    struct store_day_row *r = malloc(sizeof *r);
    if (!r)
        return store_fail(s, _("out of memory"));
    int rc, out = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(r, 0, sizeof *r);
        copy_col(st, 1, r->till, sizeof r->till);
        copy_col(st, 2, r->staff, sizeof r->staff);
        r->level = (enum store_day_level)sqlite3_column_int(st, 3);
        read_day(st, 4, &r->cur);
        read_day(st, 17, &r->prev);
        if (r->staff[0]) {
            struct store_staff who;
            if (store_staff_get(s, r->staff, &who) == 0)
                snprintf(r->staff_name, sizeof r->staff_name, "%s", who.name);
        }
        if ((out = fn(r, arg)) != 0)
            break;
    }
    free(r);
    return report_rows_done(s, st, rc, out);
}

int store_report_day(store *s, const struct store_report_query *q,
                     int (*fn)(const struct store_day_row *, void *), void *arg)
{
    IN_READ(day_tx(s, q, fn, arg));
}

/* --- messages ------------------------------------------------------------------ */

/* The messages queued from the start of the previous period (?3) to the
 * end of this one (?2), cur for this one (from ?1); the visits of their
 * customers (roll_cust plus the log not yet folded, a moment whose visits
 * sum above 0); a sent message's opt-out: a profile change that withdrew
 * the consent of its channel within ?4 ms of the send, and its visit: one
 * in the same time; a message whose coupon (vars.coupon) has been used.
 * The last group is the total, trig ''. */
#define MSG_FIGS \
    " count(*), count(*) FILTER (WHERE status = 5), count(*) FILTER (WHERE status = 4)," \
    " count(*) FILTER (WHERE status = 3), count(*) FILTER (WHERE status = 2)," \
    " count(*) FILTER (WHERE status IN (0, 1)), count(*) FILTER (WHERE opted)," \
    " count(DISTINCT customer) FILTER (WHERE visited), count(*) FILTER (WHERE used)"
static const char MSG_REPORT_SQL[] =
    "WITH m AS MATERIALIZED (SELECT customer, trig, channel, status, status_at, created >= ?1 AS cur,"
    "  coalesce((SELECT uses > 0 FROM coupons c WHERE c.code = json_extract(o.vars, '$.coupon')), 0) AS used"
    "  FROM outbox o WHERE trig <> '' AND created >= ?3 AND created < ?2),"
    " lg AS MATERIALIZED (SELECT customer, wall, visits FROM roll_log WHERE visits <> 0"
    "  AND customer IN (SELECT customer FROM m)),"
    " vis AS MATERIALIZED (SELECT customer, wall FROM (SELECT customer, wall, sum(visits) AS v FROM"
    "  (SELECT customer, wall, visits FROM roll_cust WHERE customer IN (SELECT customer FROM m) AND visits <> 0"
    "   UNION ALL SELECT customer, wall, visits FROM lg) GROUP BY customer, wall) WHERE v > 0),"
    " f AS MATERIALIZED (SELECT m.*,"
    "  m.status = 5 AND EXISTS (SELECT 1 FROM events e WHERE e.customer = m.customer"
    "   AND e.type IN ('profile', 'enrol') AND e.wall > m.status_at AND e.wall <= m.status_at + ?4"
    "   AND json_extract(e.data, CASE m.channel WHEN 'email' THEN '$.consent_email'"
    "    WHEN 'sms' THEN '$.consent_sms' ELSE '$.consent' END) = 0) AS opted,"
    "  m.status = 5 AND EXISTS (SELECT 1 FROM vis WHERE vis.customer = m.customer"
    "   AND vis.wall > m.status_at AND vis.wall <= m.status_at + ?4) AS visited FROM m)"
    " SELECT trig, channel, cur," MSG_FIGS " FROM f GROUP BY trig, channel, cur"
    " UNION ALL SELECT '', '', cur," MSG_FIGS " FROM f GROUP BY cur";

static int channel_rank(const char *c)
{
    return strcmp(c, "email") == 0 ? 0 : strcmp(c, "sms") == 0 ? 1 : strcmp(c, "counter") == 0 ? 2 : 3;
}

static int msg_row_order(const void *a, const void *b)
{
    const struct store_msg_report_row *x = a, *y = b;
    /* The total (trigger "") last; an unknown trigger before it. */
    int tx = x->trigger[0] ? store_trigger_parse(x->trigger) : TRIG_COUNT + 1,
        ty = y->trigger[0] ? store_trigger_parse(y->trigger) : TRIG_COUNT + 1;
    tx = tx < 0 ? TRIG_COUNT : tx;
    ty = ty < 0 ? TRIG_COUNT : ty;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    int c = strcmp(x->trigger, y->trigger);
    if (c)
        return c;
    return channel_rank(x->channel) - channel_rank(y->channel);
}

static int messages_tx(store *s, const struct store_report_query *q,
                       int (*fn)(const struct store_msg_report_row *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, MSG_REPORT_SQL);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, q->period.from);
    sqlite3_bind_int64(st, 2, q->period.to);
    sqlite3_bind_int64(st, 3, q->period.prev_from);
    sqlite3_bind_int64(st, 4, STORE_AFTER_DAYS * DAY_MS);
    /* A row per trigger and channel, each period's figures in it. */
    struct store_msg_report_row *rows = NULL;
    int n = 0, cap = 0, step, rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char trig[16], channel[8];
        copy_col(st, 0, trig, sizeof trig);
        copy_col(st, 1, channel, sizeof channel);
        int i = 0;
        while (i < n && (strcmp(rows[i].trigger, trig) != 0 || strcmp(rows[i].channel, channel) != 0))
            i++;
        if (i == n) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                struct store_msg_report_row *v = realloc(rows, (size_t)cap * sizeof *v);
                if (!v) {
                    rc = store_fail(s, _("out of memory"));
                    break;
                }
                rows = v;
            }
            memset(&rows[n], 0, sizeof rows[n]);
            snprintf(rows[n].trigger, sizeof rows[n].trigger, "%s", trig);
            snprintf(rows[n].channel, sizeof rows[n].channel, "%s", channel);
            n++;
        }
        struct store_msg_figures *f = sqlite3_column_int(st, 2) ? &rows[i].cur : &rows[i].prev;
        int64_t *v[] = { &f->queued, &f->sent, &f->failed, &f->expired, &f->suppressed, &f->waiting,
                         &f->opted_out, &f->visited, &f->coupons_used };
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            *v[k] = sqlite3_column_int64(st, 3 + (int)k);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_fail(s);
    sqlite3_reset(st);
    if (rc == 0 && n > 0)     /* no rows: rows is NULL, which qsort may not be given */
        qsort(rows, (size_t)n, sizeof *rows, msg_row_order);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = fn(&rows[i], arg);
    free(rows);
    return rc;
}

int store_report_messages(store *s, const struct store_report_query *q,
                          int (*fn)(const struct store_msg_report_row *, void *), void *arg)
{
    IN_READ(messages_tx(s, q, fn, arg));
}
