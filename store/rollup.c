/* rollup.c - the report rollups, kept as events are applied.
 *
 * The reports read these instead of recomputing every refund and
 * void over a year of events (report.c). Both tables are derived: schema
 * version 2 (schema.c) fills them from the events already held, and from then
 * on events.c calls rollup_event for every event it derives and
 * rollup_retract when an event loses its once-per-occasion claim and its
 * effect is taken back. They are not part of the digest.
 *
 * roll_till's buckets are UTC hours (wall / 3600000) and tills, so a
 * period whose bounds are local midnights on a whole hour (every zone the
 * product is for) is a range of buckets whatever the reader's time zone;
 * report.c falls back to the events for any other period. roll_cust is
 * kept to the millisecond and serves any period.
 *
 *   roll_till(hour, till, staff): per hour, till and staff member; each
 *   figure on the hour, till and person of the event named
 *     visits     purchases that are still a visit (below), on their own
 *                hour and till
 *     spend      counted purchases' spend, and their refunds' and voids'
 *                (on the purchase's hour and till)
 *     issued     points of counted earn, bonus, enrol and adjust events,
 *                and of the corrections of those (on the lot's hour, till);
 *                not of opening balances, which count in points alone
 *     redeemed   points (negative) of counted redeem and pay events, and
 *                of their corrections
 *     expired    points (negative) of counted expire events
 *     nps, promoters, detractors   counted NPS answers (score >= 9, <= 6)
 *     points     every counted points effect, on its own hour and till
 *   and what each person did, on the counted event's own hour, till and
 *   person (the staff and tills reports):
 *     events     counted events
 *     tx         purchases, redemptions, payments, coupons used
 *     sales      spend (refunds and voids take theirs off)
 *     refunds, refunded   refunds made and the spend they gave back
 *     voids      voids made
 *     voided     counted voids of this person's (and till's) events, on
 *                the void's hour: the event a void refers to, not its lot
 *     adjusts, adjusted   manual adjustments and their points
 *     overrides  purchases over a limit by a manager's override, and
 *                redemptions with a reason (the limit overridden)
 *   roll_cust(customer, wall, till): per customer, to the millisecond
 *     (the member reports need each visit's time)
 *     visits     as in roll_till, on the purchase's own moment and till
 *     spend      as in roll_till: counted purchases' spend and their
 *                corrections', on the purchase's moment and till
 *     tspend     the spend of every counted event on its own moment and
 *                till: refunds and voids on their own day (the tier rule,
 *                program.c tier_status)
 *   plus the rows of roll_log not yet folded in. A change is appended to
 *   the log (the end of one b-tree; an upsert in customer order would
 *   dirty a page per customer in every commit), and background work -
 *   syncd when idle, the hourly backup - folds it into roll_cust a few
 *   thousand rows per transaction (store_rollup_fold), never holding the
 *   write lock for long: the oldest rows, or of a long log (indexed by
 *   member, store_rollup_index) the first customers' (member_range).
 *   Readers add both.
 *
 * The same rules as report.c: a correction is an event with a reference;
 * it counts on its lot - the event it refers to, or that event's own
 * reference when it has one (a void of a refund counts on the purchase) -
 * whether the lot itself counts or not, and nowhere while the event it
 * refers to is not held (it is taken in when that event arrives). A
 * purchase is a visit unless 1 + the visits of its counted corrections is
 * 0 or less, which is not a sum of deltas: it is worked out again for the
 * purchase whenever one of its corrections comes or goes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

enum { R_VISITS, R_SPEND, R_ISSUED, R_REDEEMED, R_EXPIRED, R_NPS, R_PROMOTERS, R_DETRACTORS,
       R_POINTS, R_EVENTS, R_TX, R_SALES, R_REFUNDS, R_REFUNDED, R_VOIDS, R_VOIDED, R_ADJUSTS,
       R_ADJUSTED, R_OVERRIDES, R_COLS };
_Static_assert(R_COLS == ROLL_TILL_COLS, "internal.h holds roll_till deltas");

/* An event as a lot: what a correction needs to know of it. */
struct lot {
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq, wall;
    char type[24];
    char customer[STORE_ID_LEN + 1];
    char staff[STORE_ID_LEN + 1];
    char ref_origin[STORE_ORIGIN_LEN + 1];
    int64_t ref_seq;
    bool opening;       /* an opening balance (opening_balance) */
};

static bool is_type(const char *t, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(t, *set) == 0)
            return true;
    return false;
}

static const char *const ISSUING[] = { "earn", "bonus", "enrol", "adjust", NULL };

/* An opening balance brought by 'tally import customers' (an adjust
 * marked "opening"): points the customer had before, so outstanding, but
 * never issued in a period nor anyone's adjustment (as report.c OPENING). */
static bool opening_balance(const char *type, const char *data)
{
    return strcmp(type, "adjust") == 0 && strstr(data, "\"opening\"") != NULL;
}
static const char *const REDEEMING[] = { "redeem", "pay", NULL };
static const char *const TRANSACTIONS[] = { "earn", "redeem", "pay", "coupon_use", NULL };

/* --- the balances by month: roll_balance -----------------------------------
 *
 * Per UTC calendar month (of the effect's own moment) and customer, the
 * counted balance effects (points, stamps, credit) and the purchases'
 * corrections (lot_adjust) on their own moment: each customer's rows sum
 * to its balance, and those before a month to its balance as the month
 * began (the overdrafts report, overdrafts.c). Kept where R_POINTS is,
 * in memory until the transaction commits. */

int64_t rollup_month(int64_t wall)
{
    /* Whole seconds, rounded down (a month starts on one). */
    time_t t = (time_t)(wall / 1000 - (wall % 1000 < 0));
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    return ((int64_t)tm.tm_year + 1900) * 12 + tm.tm_mon;
}

int64_t rollup_month_start(int64_t month)
{
    int64_t y = month / 12 - (month % 12 < 0);
    return days_from_civil((int)y, (int)(month - y * 12) + 1, 1) * DAY_MS;
}

static int by_month_customer(const void *a, const void *b)
{
    const struct month_pending *x = a, *y = b;
    if (x->month != y->month)
        return x->month < y->month ? -1 : 1;
    return strcmp(x->customer, y->customer);
}

/* Writes the months held, in key order (one b-tree walk forward). */
static int month_flush(store *s)
{
    if (!s->nmon)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < MONTH_PENDING_SLOTS; i++)
        if (s->mon[i].customer[0])
            s->mon[n++] = s->mon[i];    /* n <= i: packed to the front */
    qsort(s->mon, n, sizeof *s->mon, by_month_customer);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct month_pending *m = &s->mon[i];
        if (!m->v[0] && !m->v[1] && !m->v[2])
            continue;
        sqlite3_stmt *st = store_sql(s, "INSERT INTO roll_balance(month, customer, points, stamps, credit)"
                                        " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(month, customer) DO UPDATE SET"
                                        " points = points + ?3, stamps = stamps + ?4, credit = credit + ?5");
        if (!st) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, m->month);
        bind_text(st, 2, m->customer);
        for (int u = 0; u < 3; u++)
            sqlite3_bind_int64(st, 3 + u, m->v[u]);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    }
    memset(s->mon, 0, MONTH_PENDING_SLOTS * sizeof *s->mon);
    s->nmon = 0;
    return rc;
}

/* Adds sign * (points, stamps, credit) to the customer's month of wall. */
static int month_add(store *s, int64_t wall, const char *customer, int64_t points, int64_t stamps,
                     int64_t credit, int sign)
{
    if ((!points && !stamps && !credit) || !customer[0])
        return 0;
    if (!s->mon && !(s->mon = calloc(MONTH_PENDING_SLOTS, sizeof *s->mon)))
        return store_fail(s, _("out of memory"));
    if (s->nmon >= MONTH_PENDING_SLOTS / 2 && month_flush(s) != 0)
        return -1;
    int64_t month = rollup_month(wall);
    uint32_t i = (id_hash(customer) ^ (uint32_t)month * 2654435761u) & (MONTH_PENDING_SLOTS - 1);
    while (s->mon[i].customer[0] && (s->mon[i].month != month || strcmp(s->mon[i].customer, customer) != 0))
        i = (i + 1) & (MONTH_PENDING_SLOTS - 1);
    struct month_pending *m = &s->mon[i];
    if (!m->customer[0]) {
        m->month = month;
        snprintf(m->customer, sizeof m->customer, "%s", customer);
        s->nmon++;
    }
    m->v[0] += sign * points;
    m->v[1] += sign * stamps;
    m->v[2] += sign * credit;
    return 0;
}

int rollup_flush(store *s)
{
    for (int i = 0; i < s->nroll; i++) {
        const struct roll_pending *r = &s->roll[i];
        sqlite3_stmt *st = store_sql(s,
            "INSERT INTO roll_till(hour, till, staff, visits, spend, issued, redeemed, expired, nps,"
            " promoters, detractors, points, events, tx, sales, refunds, refunded, voids, voided,"
            " adjusts, adjusted, overrides) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
            " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
            " ON CONFLICT(hour, till, staff) DO UPDATE SET visits = visits + ?4, spend = spend + ?5,"
            " issued = issued + ?6, redeemed = redeemed + ?7, expired = expired + ?8, nps = nps + ?9,"
            " promoters = promoters + ?10, detractors = detractors + ?11, points = points + ?12,"
            " events = events + ?13, tx = tx + ?14, sales = sales + ?15, refunds = refunds + ?16,"
            " refunded = refunded + ?17, voids = voids + ?18, voided = voided + ?19,"
            " adjusts = adjusts + ?20, adjusted = adjusted + ?21, overrides = overrides + ?22");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, r->hour);
        bind_text(st, 2, r->till);
        bind_text(st, 3, r->staff);
        for (int k = 0; k < R_COLS; k++)
            sqlite3_bind_int64(st, 4 + k, r->v[k]);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    s->nroll = 0;
    return month_flush(s);
}

void rollup_drop(store *s)
{
    s->nroll = 0;
    if (s->mon)
        memset(s->mon, 0, MONTH_PENDING_SLOTS * sizeof *s->mon);
    s->nmon = 0;
}

/* Adds to the bucket of the till and staff member, in memory until the
 * transaction commits. */
static int till_add(store *s, int64_t wall, const char *till, const char *staff,
                    const int64_t v[R_COLS])
{
    bool any = false;
    for (int i = 0; i < R_COLS; i++)
        any |= v[i] != 0;
    if (!any)
        return 0;
    int64_t hour = wall / HOUR_MS;
    struct roll_pending *r = NULL;
    for (int i = 0; i < s->nroll && !r; i++)
        if (s->roll[i].hour == hour && strcmp(s->roll[i].till, till) == 0 &&
            strcmp(s->roll[i].staff, staff) == 0)
            r = &s->roll[i];
    if (!r) {
        if (s->nroll == ROLL_PENDING_MAX && rollup_flush(s) != 0)
            return -1;
        r = &s->roll[s->nroll++];
        memset(r, 0, sizeof *r);
        r->hour = hour;
        snprintf(r->till, sizeof r->till, "%s", till);
        snprintf(r->staff, sizeof r->staff, "%s", staff);
    }
    for (int i = 0; i < R_COLS; i++)
        r->v[i] += v[i];
    return 0;
}

/* The customer's side: visits and spend on the moment and till given. */
static int cust_add(store *s, const char *customer, int64_t wall, const char *till, int64_t visits,
                    int64_t spend, int64_t tspend)
{
    if ((visits == 0 && spend == 0 && tspend == 0) || !customer[0])
        return 0;
    sqlite3_stmt *st = store_sql(s, "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                              " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return -1;
    bind_kept(st, 1, customer);
    sqlite3_bind_int64(st, 2, wall);
    bind_kept(st, 3, till);
    sqlite3_bind_int64(st, 4, visits);
    sqlite3_bind_int64(st, 5, spend);
    sqlite3_bind_int64(st, 6, tspend);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* The oldest `limit` rows of the log (all when limit <= 0): up to n =
 * *last, counted rather than taken as a span of n (a log folded in member
 * order leaves its rows any n apart). And whether folding them is a bulk
 * fold: more than 50,000 rows, and more than an eighth of roll_cust. Each
 * row folded is an insert at its moment in roll_cust_wall, in no order;
 * for a whole history (a shop just seeded) the index is cheaper built
 * again: 1.65 million rows of a 100,000-member shop fold in 13 s that
 * way, in 27 s row by row. */
static int oldest_rows(store *s, int limit, int64_t *last, bool *bulk)
{
    /* The oldest rows, at most `bound` of them: how many, and their last n.
     * No further than decides: a count of a whole long log, or of
     * roll_cust, reads 1.7 million rows. */
    sqlite3_stmt *st = store_sql(s, "SELECT count(*), max(n) FROM (SELECT n FROM roll_log NOT INDEXED ORDER BY n LIMIT ?1)");
    sqlite3_stmt *cu = st ? store_sql(s, "SELECT count(*) FROM roll_cust") : NULL;
    if (!cu)
        return -1;
    *bulk = false;
    *last = INT64_MAX;
    int64_t rows, cust = 0;
    for (int64_t bound = limit > 0 ? limit : 50001;; bound = cust / 8 + 1) {
        sqlite3_bind_int64(st, 1, bound);
        if (sql_row(s, st) != 1)
            return -1;
        rows = sqlite3_column_int64(st, 0);
        if (limit > 0)
            *last = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        if (rows <= 50000 || cust)
            break;
        if (sql_row(s, cu) != 1)
            return -1;
        cust = sqlite3_column_int64(cu, 0);
        sqlite3_reset(cu);
        if (limit > 0 || rows > cust / 8 || !cust)
            break;      /* the count so far decides */
    }
    *bulk = rows > 50000 && rows > cust / 8;
    return 0;
}

/* Which rows of the log a fold takes: the oldest, up to n = last; or
 * (member order) those before (customer, wall) in roll_log_member's order. */
struct fold_range {
    bool member;
    int64_t last;
    sqlite3_value *customer;
    int64_t wall;
};

/* The statements of a fold, one text for each kind of range. */
struct fold_sql {
    const char *by_n, *by_member;
};

/* Runs one of rollup_fold's statements on the range's rows. */
static int fold_step(store *s, const struct fold_sql *text, const struct fold_range *r)
{
    sqlite3_stmt *st = store_sql(s, r->member ? text->by_member : text->by_n);
    if (!st)
        return -1;
    if (r->member) {
        sqlite3_bind_value(st, 1, r->customer);
        sqlite3_bind_int64(st, 2, r->wall);
    } else {
        sqlite3_bind_int64(st, 1, r->last);
    }
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* No statement of this connection may be reading while the schema
 * changes (SQLITE_LOCKED): the reads of this transaction are done with. */
static void end_reads(store *s)
{
    for (sqlite3_stmt *x = sqlite3_next_stmt(s->db, NULL); x; x = sqlite3_next_stmt(s->db, x))
        if (sqlite3_stmt_busy(x))
            sqlite3_reset(x);
}

/* The log in member order while it is long (store_rollup_index). */
#define LOG_INDEX "roll_log_member"
#define LOG_INDEX_FROM 50000    /* rows waiting: made */
#define LOG_INDEX_UNTIL 1000    /* ... and kept until fewer wait */

int rollup_log_indexed(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = '" LOG_INDEX "'");
    int yes = st ? sql_row(s, st) : -1;
    if (st)
        sqlite3_reset(st);
    return yes;
}

/* 1 if the log holds `rows` rows or more, 0 if not, -1: counted no
 * further. store_rollup_backlog's span of n is only about: a log folded
 * in member order leaves its last rows any n apart. */
static int log_holds(store *s, int64_t rows)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) >= ?1 FROM (SELECT 1 FROM roll_log LIMIT ?1)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, rows);
    int rc = sql_row(s, st);
    if (rc == 1)
        rc = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc;
}

/* A chunk of an indexed log in member order: about `limit` rows of the
 * customers first in it, read and deleted through roll_log_member, so
 * that the chunk's rows of the log's index and of roll_cust and
 * roll_member are each on a few neighbouring pages. (The oldest rows are
 * a thousand members' scattered over all three.) On the 100,000-member
 * shop with a year to fold, a 1000-row chunk held the write lock about
 * 80 ms at the median, 100 to 125 ms at p95 and up to 250 ms by the
 * oldest rows; 45 ms, 50 to 85 ms and 180 ms in member order, and syncd
 * folds the year in 1.9 minutes rather than 3.2. Not less: the log's own
 * rows (by n) and roll_cust_wall (by moment) are still a thousand pages
 * apart.
 *
 * The fold is a sum, so any rows may go first: readers add roll_cust and
 * the log (report.c, campaign_report.c), or merge them moment by moment
 * for any member with rows still in the log (members.c), and roll_member
 * is summed again from roll_cust for every (customer, till) a chunk
 * touches, which a member folded in part reads right too. The chunk ends
 * at a customer all the same, all of each customer's rows in one chunk:
 * their roll_member rows summed again once, not in two chunks. A customer
 * with more than `limit` rows (a house card) is cut at a moment instead:
 * the rows before the moment of the row past the limit, or that whole
 * moment when it is the first (more than `limit` rows in a millisecond).
 * The last `limit` rows or fewer go all at once, by n (oldest_rows counts
 * them, however far apart their n).
 *
 * The range is the rows before the row past the limit: (customer, wall)
 * below (its customer, the least moment) when the chunk's first customer
 * is another, else below (that customer, its moment, or the next). */
static int member_range(store *s, int limit, struct fold_range *r)
{
    sqlite3_stmt *st = store_sql(s, "SELECT l.customer, l.wall, l.customer = f.customer, l.wall = f.wall"
                                    " FROM (SELECT customer, wall FROM roll_log ORDER BY customer, wall LIMIT 1 OFFSET ?1) l,"
                                    " (SELECT customer, wall FROM roll_log ORDER BY customer, wall LIMIT 1) f");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, limit);
    int rc = sql_row(s, st);
    if (rc < 0)
        return -1;
    bool one = rc == 1 && sqlite3_column_int(st, 2), moment = one && sqlite3_column_int(st, 3);
    int64_t wall = rc == 1 ? sqlite3_column_int64(st, 1) : 0;
    if (rc == 1 && !(moment && wall == INT64_MAX)) {   /* else the last rows, or no next moment: by n */
        r->member = true;
        r->customer = sqlite3_value_dup(sqlite3_column_value(st, 0));
        r->wall = !one ? INT64_MIN : moment ? wall + 1 : wall;
    }
    sqlite3_reset(st);
    return r->member && !r->customer ? store_fail(s, _("out of memory")) : 0;
}

static const struct fold_sql FOLD_CUST = {
    /* The oldest rows, by n: NOT INDEXED, or the GROUP BY would read a
     * long log's index (store_rollup_index) whole. */
    "INSERT INTO roll_cust(customer, wall, till, visits, spend, tspend)"
    " SELECT customer, wall, till, sum(visits), sum(spend), sum(tspend) FROM roll_log NOT INDEXED"
    " WHERE n <= ?1 GROUP BY customer, wall, till"
    " ON CONFLICT(customer, wall, till) DO UPDATE SET visits = visits + excluded.visits,"
    " spend = spend + excluded.spend, tspend = tspend + excluded.tspend",
    /* In member order, read through the index in the GROUP BY's order. */
    "INSERT INTO roll_cust(customer, wall, till, visits, spend, tspend)"
    " SELECT customer, wall, till, sum(visits), sum(spend), sum(tspend) FROM roll_log INDEXED BY " LOG_INDEX
    " WHERE (customer, wall) < (?1, ?2) GROUP BY customer, wall, till"
    " ON CONFLICT(customer, wall, till) DO UPDATE SET visits = visits + excluded.visits,"
    " spend = spend + excluded.spend, tspend = tspend + excluded.tspend" };

/* The member state of each member and till the rows touched, summed
 * again from roll_cust (a few dozen rows each): a moment that lost its
 * visit may have been the first or the last. */
#define FOLD_MEMBER(from, where) \
    "INSERT OR REPLACE INTO roll_member(customer, till, visits, spend, tspend, first, last)" \
    " SELECT r.customer, r.till, sum(r.visits), sum(r.spend), sum(r.tspend)," \
    " min(r.wall) FILTER (WHERE r.visits > 0)," \
    " max(r.wall) FILTER (WHERE r.visits > 0)" \
    " FROM (SELECT DISTINCT customer, till FROM " from " WHERE " where ") m" \
    " CROSS JOIN roll_cust r ON r.customer = m.customer AND r.till = m.till" \
    " GROUP BY r.customer, r.till"
static const struct fold_sql FOLD_MEMBER_STATE = {
    FOLD_MEMBER("roll_log NOT INDEXED", "n <= ?1"),
    FOLD_MEMBER("roll_log INDEXED BY " LOG_INDEX, "(customer, wall) < (?1, ?2)") };

static const struct fold_sql FOLD_DELETE = {
    "DELETE FROM roll_log WHERE n <= ?1",
    "DELETE FROM roll_log INDEXED BY " LOG_INDEX " WHERE (customer, wall) < (?1, ?2)" };
/* All of it without a WHERE: SQLite then drops the table's and its
 * index's pages whole instead of deleting row by row. */
static const struct fold_sql FOLD_DELETE_ALL = { "DELETE FROM roll_log", NULL };

/* Folds `limit` rows of the log (all when limit <= 0): the oldest, or
 * while the log is indexed, the first in member order (member_range). */
int rollup_fold(store *s, int limit)
{
    sqlite3_stmt *st = store_sql(s, "SELECT EXISTS (SELECT 1 FROM roll_log)");
    int any = st ? sql_row(s, st) : -1;
    any = any == 1 ? sqlite3_column_int(st, 0) : any;
    if (st)
        sqlite3_reset(st);
    if (any <= 0)
        return any;
    struct fold_range r = { 0 };
    bool bulk = false;
    int indexed = limit > 0 ? rollup_log_indexed(s) : 0;
    if (indexed < 0 || (indexed && member_range(s, limit, &r) != 0) ||
        (!r.member && oldest_rows(s, limit, &r.last, &bulk) != 0))
        goto fail;
    if (bulk) {
        end_reads(s);
        if (sql_exec(s, "DROP INDEX roll_cust_wall") != 0)
            goto fail;
    }
    if (fold_step(s, &FOLD_CUST, &r) != 0 || fold_step(s, &FOLD_MEMBER_STATE, &r) != 0 ||
        fold_step(s, r.last == INT64_MAX && !r.member ? &FOLD_DELETE_ALL : &FOLD_DELETE, &r) != 0)
        goto fail;
    sqlite3_value_free(r.customer);
    r.customer = NULL;
    int folded = sqlite3_changes(s->db);     /* the DELETE's */
    if (bulk && sql_exec(s, ROLL_CUST_WALL) != 0)
        return -1;
    /* The log is short again: its index goes, and sales stop paying for it. */
    int holds = log_holds(s, LOG_INDEX_UNTIL);
    indexed = holds == 0 ? rollup_log_indexed(s) : 0;
    if (holds < 0 || indexed < 0)
        return -1;
    if (indexed) {
        end_reads(s);
        if (sql_exec(s, "DROP INDEX " LOG_INDEX) != 0)
            return -1;
    }
    return folded;
fail:
    sqlite3_value_free(r.customer);
    return -1;
}

int store_rollup_fold(store *s, int limit)
{
    /* Look first without the write lock: mostly there is nothing to do. */
    sqlite3_stmt *st = store_sql(s, "SELECT EXISTS (SELECT 1 FROM roll_log)");
    bool any = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    store_release(s);
    if (!st)
        return -1;
    if (!any)
        return 0;
    if (tx_begin(s) != 0)
        return -1;
    int n = rollup_fold(s, limit);
    if (n < 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s) != 0 ? -1 : n;
}

/* A long log - a whole history after a join or an import - is read by
 * the member reports in member order, merged with roll_cust (members.c,
 * report.c): sorted, a year of it cost them five seconds and more.
 * Indexed, they read it in order, as fast as the folded rows. An index
 * kept always would make every row of a catch-up or an import an insert at
 * its member's place (the catch-up 30 % slower), so it is made when the
 * log is long and no catch-up is writing (syncd's quiet turn; a year of
 * rows in 2.5 s) and dropped when the log is short again (rollup_fold). */
int store_rollup_index(store *s)
{
    int64_t n = store_rollup_backlog(s);
    int indexed = n >= LOG_INDEX_FROM ? rollup_log_indexed(s) : 1;
    if (indexed == 0) {         /* the rows themselves, before seconds of work */
        int holds = log_holds(s, LOG_INDEX_FROM);
        indexed = holds < 0 ? -1 : !holds;
    }
    store_release(s);
    if (n < 0 || indexed < 0)
        return -1;
    if (indexed)
        return 0;
    if (tx_begin(s) != 0)
        return -1;
    if (sql_exec(s, "CREATE INDEX IF NOT EXISTS " LOG_INDEX " ON roll_log(customer, wall, till, visits, spend, tspend)") != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s) != 0 ? -1 : 1;
}

int64_t store_rollup_backlog(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT coalesce((SELECT max(n) FROM roll_log) - (SELECT min(n) FROM roll_log) + 1, 0)");
    if (!st)
        return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    store_release(s);
    return n < 0 ? db_fail(s) : n;
}

/* A purchase became a visit (+1) or stopped being one (-1). */
static int visit_add(store *s, const struct lot *p, int64_t dv)
{
    if (dv == 0 || !p->customer[0])
        return 0;
    int64_t v[R_COLS] = { 0 };
    v[R_VISITS] = dv;
    return till_add(s, p->wall, p->origin, p->staff, v) != 0 ? -1
         : cust_add(s, p->customer, p->wall, p->origin, dv, 0, 0);
}

/* 1 and the lot if the event is held, 0 if not. */
static int lot_get(store *s, const char *origin, int64_t seq, struct lot *out)
{
    sqlite3_stmt *st = sql_event(s, "SELECT wall, type, customer, ref_origin, ref_seq, staff,"
                                    " instr(data, '\"opening\"') > 0 FROM events WHERE origin = ?1 AND seq = ?2",
                                 origin, seq);
    if (!st)
        return -1;
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    memset(out, 0, sizeof *out);
    snprintf(out->origin, sizeof out->origin, "%s", origin);
    out->seq = seq;
    out->wall = sqlite3_column_int64(st, 0);
    copy_col(st, 1, out->type, sizeof out->type);
    copy_col(st, 2, out->customer, sizeof out->customer);
    copy_col(st, 3, out->ref_origin, sizeof out->ref_origin);
    out->ref_seq = sqlite3_column_int64(st, 4);
    copy_col(st, 5, out->staff, sizeof out->staff);
    out->opening = strcmp(out->type, "adjust") == 0 && sqlite3_column_int(st, 6);
    sqlite3_reset(st);
    return 1;
}

static void lot_of_event(const struct store_event *ev, struct lot *out)
{
    /* Same fields, same sizes: copied whole (once per event applied). */
#define COPY(f) do { \
        _Static_assert(sizeof out->f == sizeof ev->f, "struct lot mirrors struct store_event"); \
        memcpy(out->f, ev->f, sizeof out->f); \
    } while (0)
    COPY(origin);
    COPY(type);
    COPY(customer);
    COPY(staff);
    COPY(ref_origin);
#undef COPY
    out->seq = ev->seq;
    out->wall = ev->wall;
    out->ref_seq = ev->ref_seq;
    out->opening = opening_balance(ev->type, ev->data);
}

/* The lot a correction referring to l1 counts on: l1's own reference when
 * it has one and that is held, else l1. */
static int lot_above(store *s, const struct lot *l1, struct lot *out)
{
    if (l1->ref_origin[0]) {
        int found = lot_get(s, l1->ref_origin, l1->ref_seq, out);
        if (found != 0)
            return found < 0 ? -1 : 0;
    }
    *out = *l1;
    return 0;
}

/* Whether the visit of a purchase is judged here: a purchase with no
 * reference of its own (the only kind tally makes). */
static bool judged(const struct lot *p)
{
    return strcmp(p->type, "earn") == 0 && !p->ref_origin[0];
}

/* The one number an event's statement (sql_event) gives, into *out. */
static int event_number(store *s, sqlite3_stmt *st, int64_t *out)
{
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* The visits of a purchase's counted corrections, as they stand, with its
 * standing's own correction (lot_adjust, events.c lot_settle). */
static int lot_sum(store *s, const struct lot *p, int64_t *out)
{
    return event_number(s, sql_event(s,
        "SELECT (SELECT coalesce(sum(c.visits), 0) FROM events c WHERE c.ref_origin <> ''"
        "  AND c.ref_origin = ?1 AND c.ref_seq = ?2 AND " COUNTED("c") ")"
        " + (SELECT coalesce(sum(v.visits), 0) FROM events r JOIN events v ON v.ref_origin <> ''"
        "  AND v.ref_origin = r.origin AND v.ref_seq = r.seq"
        "  WHERE r.ref_origin <> '' AND r.ref_origin = ?1 AND r.ref_seq = ?2 AND " COUNTED("v") ")"
        " + coalesce((SELECT visits FROM lot_adjust a WHERE a.origin = ?1 AND a.seq = ?2), 0)",
        p->origin, p->seq), out);
}

/* The corrections of purchase p changed their visits by ds (now counted
 * in, when after; already counted in, when not): its visit again. */
static int lot_revisit(store *s, const struct lot *p, int64_t ds, bool after)
{
    if (ds == 0 || !judged(p))
        return 0;
    int64_t now = 0;
    if (lot_sum(s, p, &now) != 0)
        return -1;
    int64_t before = after ? now - ds : now, later = after ? now : now + ds;
    return visit_add(s, p, (int64_t)(1 + later > 0) - (int64_t)(1 + before > 0));
}

/* A correction's effect on the sums of its lot. */
static int corr_add(store *s, const struct lot *p, int64_t spend, int64_t points, int sign)
{
    int64_t v[R_COLS] = { 0 };
    if (strcmp(p->type, "earn") == 0)
        v[R_SPEND] = sign * spend;
    if (is_type(p->type, ISSUING) && !p->opening)
        v[R_ISSUED] = sign * points;
    if (is_type(p->type, REDEEMING))
        v[R_REDEEMED] = sign * points;
    if (till_add(s, p->wall, p->origin, p->staff, v) != 0)
        return -1;
    return cust_add(s, p->customer, p->wall, p->origin, 0, v[R_SPEND], 0);
}

/* An event's own effect on the sums, on its own moment and till, if it
 * counts; with the visit it is (a purchase's, whether it counts or not). */
static int own_add(store *s, const struct store_event *ev, int sign, bool counts, int64_t visit)
{
    int64_t v[R_COLS] = { 0 };
    const char *t = ev->type;
    v[R_VISITS] = visit;
    if (counts) {
        v[R_POINTS] = sign * ev->points;
        if (month_add(s, ev->wall, ev->customer, ev->points, ev->stamps, ev->credit, sign) != 0)
            return -1;
    }
    if (counts && opening_balance(t, ev->data))
        counts = false;     /* outstanding, and nothing else */
    if (counts && strcmp(t, "refund") != 0 && strcmp(t, "void") != 0) {
        if (strcmp(t, "earn") == 0)
            v[R_SPEND] = sign * ev->spend;
        if (is_type(t, ISSUING))
            v[R_ISSUED] = sign * ev->points;
        if (is_type(t, REDEEMING))
            v[R_REDEEMED] = sign * ev->points;
        if (strcmp(t, "expire") == 0)
            v[R_EXPIRED] = sign * ev->points;
        if (strcmp(t, "nps") == 0) {
            /* As report.c reads an answer: no score, neither. */
            sqlite3_stmt *st = sql_keyed(s, "SELECT json_extract(?1, '$.score') >= 9,"
                                      " json_extract(?1, '$.score') <= 6", ev->data);
            if (!st)
                return -1;
            if (sqlite3_step(st) != SQLITE_ROW)
                return db_fail(s);
            v[R_NPS] = sign;
            v[R_PROMOTERS] = sign * sqlite3_column_int64(st, 0);
            v[R_DETRACTORS] = sign * sqlite3_column_int64(st, 1);
            sqlite3_reset(st);
        }
    }
    if (counts) {
        /* What the person did (the staff and tills reports). */
        v[R_EVENTS] = sign;
        v[R_SALES] = sign * ev->spend;
        v[R_TX] = is_type(t, TRANSACTIONS) ? sign : 0;
        if (strcmp(t, "refund") == 0) {
            v[R_REFUNDS] = sign;
            v[R_REFUNDED] = -sign * ev->spend;
        }
        v[R_VOIDS] = strcmp(t, "void") == 0 ? sign : 0;
        if (strcmp(t, "adjust") == 0) {
            v[R_ADJUSTS] = sign;
            v[R_ADJUSTED] = sign * ev->points;
        }
        bool override = (strcmp(t, "earn") == 0 && strstr(ev->data, "\"override\"")) ||
                        (strcmp(t, "redeem") == 0 && ev->reason[0]);
        v[R_OVERRIDES] = override ? sign : 0;
    }
    if (till_add(s, ev->wall, ev->origin, ev->staff, v) != 0)
        return -1;
    return cust_add(s, ev->customer, ev->wall, ev->origin, visit, v[R_SPEND],
                    counts ? sign * ev->spend : 0);
}

/* A counted void of l1 (the event it refers to) came (+1) or went (-1):
 * one more of l1's person's and till's transactions voided, on the day of
 * the void. */
static int voided_add(store *s, int64_t wall, const struct lot *l1, int sign)
{
    int64_t v[R_COLS] = { 0 };
    v[R_VOIDED] = sign;
    return till_add(s, wall, l1->origin, l1->staff, v);
}

/* The event a correction refers to (l1) and the lot it counts on (p), if
 * held: 1, else 0. */
static int lots_of(store *s, const struct store_event *ev, struct lot *l1, struct lot *p)
{
    int found = lot_get(s, ev->ref_origin, ev->ref_seq, l1);
    if (found <= 0)
        return found;
    return lot_above(s, l1, p) != 0 ? -1 : 1;
}

/* --- the uses: roll_use, for the rewards report ---------------------------
 *
 * A redemption, a payment or a coupon's use counts in roll_use on its own
 * hour and till (internal.h USE_ROWS) unless a counted void refers to it:
 * when the first such void comes it is taken out, when the last goes
 * (loses its claim) it is put back, and a use that arrives after a void
 * of it never goes in. A coupon's use counts as what the coupon gives as
 * it stands: when the coupon arrives after its uses, or a later edit
 * changes what it gives, its uses move. */

static const char *const USING[] = { "redeem", "pay", "coupon_use", NULL };

int rollup_coupon_class(store *s, const char *code, char reward[STORE_ID_LEN + 1], int64_t *discount)
{
    reward[0] = '\0';
    *discount = 0;
    sqlite3_stmt *st = sql_keyed(s, "SELECT reward, discount FROM coupons WHERE code = ?1", code);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, reward, STORE_ID_LEN + 1);
        *discount = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* Adds (sign 1) or takes back (-1) what use u gave up; a coupon's use as
 * the coupon giving reward or discount (reward NULL: as it stands). */
static int use_add(store *s, const struct store_event *u, const char *reward, int64_t discount, int sign)
{
    char held[STORE_ID_LEN + 1];
    if (!reward && strcmp(u->type, "coupon_use") == 0) {
        char code[96];
        if (json_text(s, u->data, "code", code, sizeof code) != 0)
            code[0] = '\0';    /* no code: as a coupon not held */
        if (rollup_coupon_class(s, code, held, &discount) != 0)
            return -1;
        reward = held;
    }
    sqlite3_stmt *st = store_sql(s,
        "INSERT INTO roll_use(hour, till, k, id, n, p, st, val)"
        " SELECT ?1, ?2, k, id, ?3, ?3 * p, ?3 * st, ?3 * val FROM ("
        "  SELECT 1 AS k, coalesce(json_extract(?4, '$.reward'), '') AS id, -?6 AS p, -?7 AS st, 0 AS val"
        "   WHERE ?5 = 'redeem'"
        "  UNION ALL SELECT 2, " USE_COUPON_ID("?9", "?10") ", 0, 0, " USE_COUPON_VAL("?9", "?10")
        "   WHERE ?5 = 'coupon_use'"
        "  UNION ALL SELECT 3, '', -?6, 0, coalesce(json_extract(?4, '$.discount'), 0) WHERE ?5 = 'pay' AND ?6 < 0"
        "  UNION ALL SELECT 4, '', 0, 0, -?8 WHERE ?5 = 'pay' AND ?8 < 0) WHERE 1"
        " ON CONFLICT(hour, till, k, id) DO UPDATE SET n = n + excluded.n, p = p + excluded.p,"
        " st = st + excluded.st, val = val + excluded.val");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, u->wall / HOUR_MS);
    bind_text(st, 2, u->origin);
    sqlite3_bind_int(st, 3, sign);
    bind_text(st, 4, u->data);
    bind_text(st, 5, u->type);
    sqlite3_bind_int64(st, 6, u->points);
    sqlite3_bind_int64(st, 7, u->stamps);
    sqlite3_bind_int64(st, 8, u->credit);
    bind_text(st, 9, reward ? reward : "");
    sqlite3_bind_int64(st, 10, discount);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* The counted voids of event (origin, seq). */
static int voids_of(store *s, const char *origin, int64_t seq, int64_t *n)
{
    return event_number(s, sql_event(s, "SELECT count(*) FROM events v WHERE v.ref_origin <> ''"
                                            " AND v.ref_origin = ?1 AND v.ref_seq = ?2 AND v.type = 'void'"
                                            " AND " COUNTED("v"), origin, seq), n);
}

/* A counted void v came (sign 1) or goes (-1; still counted as this
 * runs): if it is (was) the only one of a use held, the use goes out (in). */
static int use_voided(store *s, const struct store_event *v, int sign)
{
    struct lot l1;
    int found = lot_get(s, v->ref_origin, v->ref_seq, &l1);
    if (found <= 0 || !is_type(l1.type, USING))
        return found < 0 ? -1 : 0;
    int64_t n = 0;
    if (voids_of(s, l1.origin, l1.seq, &n) != 0)
        return -1;
    if (n != 1)
        return 0;
    struct store_event *u = malloc(sizeof *u);
    if (!u)
        return store_fail(s, _("out of memory"));
    int rc = store_get_event(s, l1.origin, l1.seq, u) != 0 ? -1 : use_add(s, u, NULL, 0, -sign);
    free(u);
    return rc;
}

/* An event was written: a use counts unless a counted void of it came
 * first; a counted void takes its use out. */
static int use_event(store *s, const struct store_event *ev, bool counts, bool referred)
{
    if (is_type(ev->type, USING)) {
        int64_t n = 0;
        if (referred && voids_of(s, ev->origin, ev->seq, &n) != 0)
            return -1;
        return n == 0 ? use_add(s, ev, NULL, 0, 1) : 0;
    }
    if (counts && strcmp(ev->type, "void") == 0 && ev->ref_origin[0])
        return use_voided(s, ev, 1);
    return 0;
}

int rollup_coupon_changed(store *s, const char *code, const char *reward_was, int64_t discount_was)
{
    char reward[STORE_ID_LEN + 1];
    int64_t discount;
    if (rollup_coupon_class(s, code, reward, &discount) != 0)
        return -1;
    if (strcmp(reward, reward_was) == 0 && discount == discount_was)
        return 0;
    /* The partial index on the code: its WHERE, word for word. */
    sqlite3_stmt *st = sql_keyed(s, "SELECT origin, seq FROM events WHERE type = 'coupon_use'"
                                 " AND json_extract(data, '$.code') = ?1", code);
    if (!st)
        return -1;
    struct store_event *u = malloc(sizeof *u);
    if (!u)
        return store_fail(s, _("out of memory"));
    int rc, out = 0;
    /* The statements below are others: this one keeps its place. */
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char origin[STORE_ORIGIN_LEN + 1];
        copy_col(st, 0, origin, sizeof origin);
        int64_t seq = sqlite3_column_int64(st, 1), n = 0;
        if (voids_of(s, origin, seq, &n) != 0 || store_get_event(s, origin, seq, u) != 0)
            out = -1;
        else if (n == 0 && (use_add(s, u, reward_was, discount_was, -1) != 0 ||
                            use_add(s, u, reward, discount, 1) != 0))
            out = -1;
    }
    free(u);
    sqlite3_reset(st);
    if (out == 0 && rc != SQLITE_DONE)
        return db_fail(s);
    return out;
}

/* An event that counted loses its claim: take back what it added. */
int rollup_retract(store *s, const struct store_event *ev)
{
    if (strcmp(ev->type, "void") == 0 && ev->ref_origin[0] && use_voided(s, ev, -1) != 0)
        return -1;
    if (!ev->customer[0])
        return 0;
    if (own_add(s, ev, -1, true, 0) != 0)
        return -1;
    if (!ev->ref_origin[0])
        return 0;
    struct lot l1, p;
    int found = lots_of(s, ev, &l1, &p);
    if (found <= 0)
        return found;
    if (strcmp(ev->type, "void") == 0 && voided_add(s, ev->wall, &l1, -1) != 0)
        return -1;
    if (corr_add(s, &p, ev->spend, ev->points, -1) != 0)
        return -1;
    return lot_revisit(s, &p, -ev->visits, false);
}

/* Corrections that refer to the event just written: they counted nowhere
 * while it was missing (or, one level up, on the correction they refer
 * to), and count on their lot now. *ds: the visits they bring to p, the
 * lot of those referring to it directly. */
static int take_in(store *s, const struct store_event *ev, const struct lot *self,
                   const struct lot *p, int64_t *ds)
{
    sqlite3_stmt *st = sql_event(s, "SELECT origin, seq, spend, points, visits, " COUNTED("c") ", type, wall"
                              " FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = ?1"
                              " AND c.ref_seq = ?2", ev->origin, ev->seq);
    if (!st)
        return -1;
    int rc;
    /* The statements below are others: this one keeps its place. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char origin[STORE_ORIGIN_LEN + 1];
        copy_col(st, 0, origin, sizeof origin);
        int64_t seq = sqlite3_column_int64(st, 1);
        if (sqlite3_column_int(st, 5)) {
            if (corr_add(s, p, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), 1) != 0)
                return -1;
            *ds += sqlite3_column_int64(st, 4);
            const char *type = (const char *)sqlite3_column_text(st, 6);
            if (type && strcmp(type, "void") == 0 && voided_add(s, sqlite3_column_int64(st, 7), self, 1) != 0)
                return -1;
        }
        /* One level up: the corrections of this one counted on it, and
         * count on the event just written now. */
        struct lot c;
        int held = lot_get(s, origin, seq, &c);
        if (held < 0)
            return -1;
        if (held == 0)
            continue;
        sqlite3_stmt *up = store_sql(s, "SELECT coalesce(sum(spend), 0), coalesce(sum(points), 0), count(*)"
                                  " FROM events v WHERE v.ref_origin <> '' AND v.ref_origin = ?1"
                                  " AND v.ref_seq = ?2 AND " COUNTED("v"));
        if (!up)
            return -1;
        bind_text(up, 1, c.origin);
        sqlite3_bind_int64(up, 2, c.seq);
        if (sqlite3_step(up) != SQLITE_ROW)
            return db_fail(s);
        int64_t spend = sqlite3_column_int64(up, 0), points = sqlite3_column_int64(up, 1);
        bool any = sqlite3_column_int64(up, 2) > 0;
        sqlite3_reset(up);
        if (any && (corr_add(s, &c, spend, points, -1) != 0 || corr_add(s, self, spend, points, 1) != 0))
            return -1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* An event was written and derived; counts: it holds its occasion (or
 * has none). */
int rollup_event(store *s, const struct store_event *ev, bool counts, bool referred)
{
    if (use_event(s, ev, counts, referred) != 0)
        return -1;
    if (!ev->customer[0])
        return 0;
    struct lot self, p;
    lot_of_event(ev, &self);
    /* A purchase is a visit, unless such corrections say not. */
    int64_t visit = 0;
    if (judged(&self)) {
        int64_t sum = 0;
        if (referred && lot_sum(s, &self, &sum) != 0)
            return -1;
        visit = 1 + sum > 0;
    }
    if (own_add(s, ev, 1, counts, visit) != 0)
        return -1;
    int64_t ds = 0;
    bool have_p = false;
    if (ev->ref_origin[0]) {
        struct lot l1;
        int found = lots_of(s, ev, &l1, &p);
        if (found < 0)
            return -1;
        have_p = found > 0;
        if (have_p && counts) {
            if (corr_add(s, &p, ev->spend, ev->points, 1) != 0)
                return -1;
            if (strcmp(ev->type, "void") == 0 && voided_add(s, ev->wall, &l1, 1) != 0)
                return -1;
            ds += ev->visits;
        }
    }
    if (referred) {
        /* They count on the lot above this event now. */
        struct lot up;
        int64_t up_ds = 0;
        if (lot_above(s, &self, &up) != 0 || take_in(s, ev, &self, &up, &up_ds) != 0)
            return -1;
        if (!judged(&self) && (strcmp(up.origin, self.origin) != 0 || up.seq != self.seq))
            ds += up_ds;
    }
    if (have_p)
        return lot_revisit(s, &p, ds, true);
    return 0;
}

/* The correction of purchase (origin, seq) went from was to now
 * (events.c lot_settle): one more correction on the purchase, for its
 * spend, points issued and visit on its moment; its points (the
 * balances) and its spend for the tier rule (tspend) on the correction's
 * own moment. */
int rollup_lot_adjust(store *s, const char *origin, int64_t seq, const struct lot_standing *was,
                      const struct lot_standing *now)
{
    struct lot p;
    int found = lot_get(s, origin, seq, &p);
    if (found <= 0)
        return found;
    int64_t d[5];
    for (int i = 0; i < 5; i++)
        d[i] = now->d[i] - was->d[i];
    if (corr_add(s, &p, d[3], d[0], 1) != 0 || lot_revisit(s, &p, d[4], true) != 0)
        return -1;
    /* The balances: the correction moves from its old moment to its new. */
    if (month_add(s, was->wall, p.customer, was->d[0], was->d[1], was->d[2], -1) != 0 ||
        month_add(s, now->wall, p.customer, now->d[0], now->d[1], now->d[2], 1) != 0)
        return -1;
    int64_t v[R_COLS] = { 0 };
    v[R_POINTS] = -was->d[0];
    if ((v[R_POINTS] && till_add(s, was->wall, p.origin, p.staff, v) != 0) ||
        cust_add(s, p.customer, was->wall, p.origin, 0, 0, -was->d[3]) != 0)
        return -1;
    v[R_POINTS] = now->d[0];
    if (v[R_POINTS] && till_add(s, now->wall, p.origin, p.staff, v) != 0)
        return -1;
    return cust_add(s, p.customer, now->wall, p.origin, 0, 0, now->d[3]);
}
