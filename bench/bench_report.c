/* bench_report.c - the manager's summary report for one year, store against
 * raw SQL.
 *
 * A shop is seeded through the store (store_seed_demo: the realistic demo
 * history, written through the ledger's own rules in large transactions)
 * with a year of history. Then the summary for that year - with the same
 * figures for the year before beside it - is timed the way 'tally report
 * summary' makes it: open the database, one read transaction, close.
 *
 * The raw baseline is what a person who knows SQL would type into the
 * sqlite3 shell on the same file: one hand-written query per figure
 * (members, new members, visits, active members, sales, members with two
 * or more visits, churned, points issued, redeemed, expired, outstanding,
 * NPS answers, promoters, detractors), each for this year and the year
 * before, with the same rules for refunds, voids and lost occasions; the
 * rates, average order value and CLV are arithmetic on those. It runs as
 * one 'sqlite3 FILE' process reading the queries. The two sides alternate
 * three times after a warm-up; each figure is the median. The store's
 * figures must equal the raw ones, or the benchmark fails.
 *
 * Size: 100,000 members over 365 days (about 2,200,000 events) take several
 * minutes to seed on a small machine - each purchase's tier lookup sums
 * the member's year of spend (store/program.c tier_status) - so by default
 * this seeds 20,000 members (about 440,000 events) and says so;
 * TALLY_BENCH_REPORT_CUSTOMERS=100000 runs the full size, and
 * TALLY_BENCH_REPORT_DB=FILE times a shop seeded before (e.g. 'tally demo
 * seed --customers 100000'; only its report rollups' visits log is folded, as
 * a running till does): the year up to its last event.
 *
 * Prints:
 *   report summary: store 0.42 s, raw sql 0.35 s, ratio 1.20 (goal <= 1.50) ok
 * and a line with the size, the seeding time and the absolute goal (one
 * year in under 1 s). Exits 0 whatever the timings; 1 only if it could not
 * run or the figures disagree. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <sqlite3.h>

#include "bench/bench.h"
#include "store/store.h"
#include "util/util.h"

#define ROUNDS 3
#define GOAL_RATIO 1.50
#define GOAL_SECONDS 1.0
#define DEFAULT_CUSTOMERS 20000

/* COUNTED(x): the event did not lose its once-per-occasion claim. */
#define COUNTED(x) "(" x ".occasion = '' OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = " x \
    ".occasion AND o.origin = " x ".origin AND o.seq = " x ".seq))"

/* A purchase that is still a visit: 1 plus the visits of its refunds and
 * voids and of the voids of its refunds is above 0. */
#define LIVE(from, to) \
    "SELECT e.customer, e.wall FROM events e WHERE e.type = 'earn' AND e.wall >= " from \
    " AND e.wall < " to " AND 1" \
    " + coalesce((SELECT sum(c.visits) FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = e.origin" \
    "   AND c.ref_seq = e.seq AND " COUNTED("c") "), 0)" \
    " + coalesce((SELECT sum(v.visits) FROM events r JOIN events v ON v.ref_origin <> ''" \
    "   AND v.ref_origin = r.origin AND v.ref_seq = r.seq AND v.type = 'void' AND " COUNTED("v") \
    "   WHERE r.ref_origin <> '' AND r.ref_origin = e.origin AND r.ref_seq = e.seq AND r.type = 'refund'), 0) > 0"

/* :r the period before the previous, :q the previous, :a this one, :b its end. */
static const char *const RAW[] = {
    /* 0 members */
    "SELECT count(*) FILTER (WHERE enrolled < :b), count(*) FILTER (WHERE enrolled < :a)"
    " FROM customers WHERE enrolled > 0;",
    /* 1 new members */
    "SELECT count(*) FILTER (WHERE enrolled >= :a AND enrolled < :b),"
    " count(*) FILTER (WHERE enrolled >= :q AND enrolled < :a) FROM customers;",
    /* 2 visits */
    "SELECT count(*) FILTER (WHERE wall >= :a), count(*) FILTER (WHERE wall < :a)"
    " FROM (" LIVE(":q", ":b") ");",
    /* 3 active members */
    "SELECT count(DISTINCT customer) FILTER (WHERE wall >= :a),"
    " count(DISTINCT customer) FILTER (WHERE wall < :a) FROM (" LIVE(":q", ":b") ");",
    /* 4 sales: purchases and the refunds and voids of them, on the purchase's day */
    "SELECT coalesce(sum(sp) FILTER (WHERE w >= :a), 0), coalesce(sum(sp) FILTER (WHERE w < :a), 0) FROM"
    " (SELECT wall AS w, spend AS sp FROM events WHERE type = 'earn' AND wall >= :q AND wall < :b"
    "  UNION ALL SELECT coalesce(l2.wall, l1.wall), c.spend FROM events c"
    "   JOIN events l1 ON l1.origin = c.ref_origin AND l1.seq = c.ref_seq"
    "   LEFT JOIN events l2 ON l1.ref_origin <> '' AND l2.origin = l1.ref_origin AND l2.seq = l1.ref_seq"
    "   WHERE c.ref_origin <> '' AND c.spend <> 0 AND " COUNTED("c")
    "   AND coalesce(l2.type, l1.type) = 'earn' AND coalesce(l2.wall, l1.wall) >= :q"
    "   AND coalesce(l2.wall, l1.wall) < :b);",
    /* 5 members with two or more visits */
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM (" LIVE(":a", ":b") ") GROUP BY customer HAVING count(*) >= 2)),"
    " (SELECT count(*) FROM (SELECT 1 FROM (" LIVE(":q", ":a") ") GROUP BY customer HAVING count(*) >= 2));",
    /* 6 churned: active in the period before, not in this one; and for the previous period */
    "WITH p AS (SELECT DISTINCT customer FROM (" LIVE(":a", ":b") ")),"
    " q AS (SELECT DISTINCT customer FROM (" LIVE(":q", ":a") ")),"
    " r AS (SELECT DISTINCT customer FROM (" LIVE(":r", ":q") "))"
    " SELECT (SELECT count(*) FROM q WHERE customer NOT IN p),"
    " (SELECT count(*) FROM r WHERE customer NOT IN q), (SELECT count(*) FROM r);",
    /* 7 points issued: purchases, bonuses, the welcome bonus, adjustments,
     * and what refunds and voids of those took back, on their day */
    "SELECT coalesce(sum(p) FILTER (WHERE w >= :a), 0), coalesce(sum(p) FILTER (WHERE w < :a), 0) FROM"
    " (SELECT e.wall AS w, e.points AS p FROM events e WHERE e.type IN ('earn', 'bonus', 'enrol', 'adjust')"
    "  AND e.wall >= :q AND e.wall < :b AND e.points <> 0 AND " COUNTED("e")
    "  UNION ALL SELECT coalesce(l2.wall, l1.wall), c.points FROM events c"
    "   JOIN events l1 ON l1.origin = c.ref_origin AND l1.seq = c.ref_seq"
    "   LEFT JOIN events l2 ON l1.ref_origin <> '' AND l2.origin = l1.ref_origin AND l2.seq = l1.ref_seq"
    "   WHERE c.ref_origin <> '' AND c.points <> 0 AND " COUNTED("c")
    "   AND coalesce(l2.type, l1.type) IN ('earn', 'bonus', 'enrol', 'adjust')"
    "   AND coalesce(l2.wall, l1.wall) >= :q AND coalesce(l2.wall, l1.wall) < :b);",
    /* 8 points redeemed: rewards and payments, less voided ones */
    "SELECT coalesce(-sum(p) FILTER (WHERE w >= :a), 0), coalesce(-sum(p) FILTER (WHERE w < :a), 0) FROM"
    " (SELECT e.wall AS w, e.points AS p FROM events e WHERE e.type IN ('redeem', 'pay')"
    "  AND e.wall >= :q AND e.wall < :b AND e.points <> 0"
    "  UNION ALL SELECT l1.wall, c.points FROM events c"
    "   JOIN events l1 ON l1.origin = c.ref_origin AND l1.seq = c.ref_seq"
    "   WHERE c.ref_origin <> '' AND c.points <> 0 AND " COUNTED("c")
    "   AND l1.type IN ('redeem', 'pay') AND l1.wall >= :q AND l1.wall < :b);",
    /* 9 points expired */
    "SELECT coalesce(-sum(points) FILTER (WHERE wall >= :a), 0), coalesce(-sum(points) FILTER (WHERE wall < :a), 0)"
    " FROM events e WHERE type = 'expire' AND wall >= :q AND wall < :b AND " COUNTED("e") ";",
    /* 10 outstanding points at the end of each period */
    "SELECT coalesce(sum(points) FILTER (WHERE wall < :b), 0), coalesce(sum(points) FILTER (WHERE wall < :a), 0)"
    " FROM events e WHERE customer <> '' AND points <> 0 AND " COUNTED("e") ";",
    /* 11 NPS answers */
    "SELECT count(*) FILTER (WHERE wall >= :a), count(*) FILTER (WHERE wall < :a)"
    " FROM events WHERE type = 'nps' AND wall >= :q AND wall < :b;",
    /* 12 promoters */
    "SELECT count(*) FILTER (WHERE wall >= :a), count(*) FILTER (WHERE wall < :a) FROM events"
    " WHERE type = 'nps' AND wall >= :q AND wall < :b AND json_extract(data, '$.score') >= 9;",
    /* 13 detractors */
    "SELECT count(*) FILTER (WHERE wall >= :a), count(*) FILTER (WHERE wall < :a) FROM events"
    " WHERE type = 'nps' AND wall >= :q AND wall < :b AND json_extract(data, '$.score') <= 6;",
};
#define NRAW (int)(sizeof RAW / sizeof RAW[0])

static char db_path[8192], sql_path[8192], out_path[8192];

/* Writes the queries with the period's bounds in place of :r :q :a :b. */
static void write_raw(const struct store_period *p)
{
    FILE *f = fopen(sql_path, "w");
    if (!f)
        die("write the raw queries", strerror(errno));
    int64_t r = p->prev_from - (p->from - p->prev_from);
    char num[4][32];
    snprintf(num[0], sizeof num[0], "%" PRId64, r);
    snprintf(num[1], sizeof num[1], "%" PRId64, p->prev_from);
    snprintf(num[2], sizeof num[2], "%" PRId64, p->from);
    snprintf(num[3], sizeof num[3], "%" PRId64, p->to);
    for (int i = 0; i < NRAW; i++) {
        for (const char *c = RAW[i]; *c; c++) {
            if (c[0] == ':' && strchr("rqab", c[1]) && c[1] && !(c[2] >= 'a' && c[2] <= 'z')) {
                fputs(num[strchr("rqab", c[1]) - "rqab"], f);
                c++;
            } else {
                fputc(*c, f);
            }
        }
        fputc('\n', f);
    }
    fclose(f);
}

static double run_raw(void)
{
    char cmd[32768];
    snprintf(cmd, sizeof cmd, "sqlite3 -batch -readonly '%s' <'%s' >'%s'", db_path, sql_path, out_path);
    double t = now_s();
    int rc = system(cmd);
    double d = now_s() - t;
    if (rc != 0)
        die("sqlite3 shell", "it failed (is the sqlite3 command installed?)");
    return d;
}

static double run_store(struct store_summary *cur, struct store_summary *prev,
                        const struct store_period *p)
{
    char err[512];
    double t = now_s();
    store *s = store_open(db_path, false, err, sizeof err);
    if (!s)
        die("store_open", err);
    struct store_report_query q = { .period = *p };
    if (store_report_summary(s, &q, cur, prev) != 0)
        die("store_report_summary", store_error(s));
    store_close(s);
    return now_s() - t;
}

/* The raw figures, row i of the output: "cur|prev[|more]". */
static int read_raw(int64_t v[NRAW][3])
{
    FILE *f = fopen(out_path, "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    while (n < NRAW && fgets(line, sizeof line, f)) {
        long long a = 0, b = 0, c = 0;
        if (sscanf(line, "%lld|%lld|%lld", &a, &b, &c) < 2)
            break;
        v[n][0] = a;
        v[n][1] = b;
        v[n][2] = c;
        n++;
    }
    fclose(f);
    return n == NRAW ? 0 : -1;
}

static int check(const char *what, int64_t store_v, int64_t raw_v)
{
    if (store_v == raw_v)
        return 0;
    fprintf(stderr, "bench_report: %s: store %" PRId64 ", raw sql %" PRId64 "\n", what, store_v, raw_v);
    return 1;
}

static int compare(const struct store_summary *c, const struct store_summary *p, int64_t v[NRAW][3])
{
    int bad = 0;
    bad += check("members", c->members, v[0][0]) + check("members before", p->members, v[0][1]);
    bad += check("new members", c->new_members, v[1][0]) + check("new before", p->new_members, v[1][1]);
    bad += check("visits", c->visits, v[2][0]) + check("visits before", p->visits, v[2][1]);
    bad += check("active", c->active, v[3][0]) + check("active before", p->active, v[3][1]);
    bad += check("sales", c->sales, v[4][0]) + check("sales before", p->sales, v[4][1]);
    bad += check("repeaters", c->repeaters, v[5][0]) + check("repeaters before", p->repeaters, v[5][1]);
    bad += check("churned", c->churned, v[6][0]) + check("churned before", p->churned, v[6][1]);
    bad += check("active two periods before", p->prev_active, v[6][2]);
    bad += check("points issued", c->points_issued, v[7][0]) + check("issued before", p->points_issued, v[7][1]);
    bad += check("points redeemed", c->points_redeemed, v[8][0]) + check("redeemed before", p->points_redeemed, v[8][1]);
    bad += check("points expired", c->points_expired, v[9][0]) + check("expired before", p->points_expired, v[9][1]);
    bad += check("outstanding", c->points_outstanding, v[10][0]) +
           check("outstanding before", p->points_outstanding, v[10][1]);
    bad += check("nps answers", c->nps_answers, v[11][0]) + check("answers before", p->nps_answers, v[11][1]);
    bad += check("promoters", c->promoters, v[12][0]) + check("promoters before", p->promoters, v[12][1]);
    bad += check("detractors", c->detractors, v[13][0]) + check("detractors before", p->detractors, v[13][1]);
    return bad;
}

int main(void)
{
    const char *dir = bench_tmpdir("report");
    const char *env = getenv("TALLY_BENCH_REPORT_CUSTOMERS"), *given = getenv("TALLY_BENCH_REPORT_DB");
    int customers = env && atoi(env) > 0 ? atoi(env) : DEFAULT_CUSTOMERS;
    snprintf(db_path, sizeof db_path, "%s/shop.db", dir);
    snprintf(sql_path, sizeof sql_path, "%s/raw.sql", dir);
    snprintf(out_path, sizeof out_path, "%s/raw.out", dir);

    char err[512];
    struct store_seed_stats st = { 0 };
    double seed_s = 0;
    int64_t end;
    store *s;
    if (given && *given) {
        /* A shop seeded before: the year up to the day of its last event. */
        snprintf(db_path, sizeof db_path, "%s", given);
        s = store_open(db_path, false, err, sizeof err);
        if (!s)
            die("store_open", err);
        sqlite3 *db;
        sqlite3_stmt *q;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT (SELECT max(wall) FROM events WHERE customer <> ''),"
                                   " (SELECT count(*) FROM customers WHERE enrolled > 0),"
                                   " (SELECT count(*) FROM events)", -1, &q, NULL) != SQLITE_OK ||
            sqlite3_step(q) != SQLITE_ROW)
            die("read the shop", sqlite3_errmsg(db));
        time_t last = (time_t)(sqlite3_column_int64(q, 0) / 1000);
        st.customers = sqlite3_column_int64(q, 1);
        st.events = sqlite3_column_int64(q, 2);
        sqlite3_finalize(q);
        sqlite3_close(db);
        struct tm tm;
        localtime_r(&last, &tm);
        tm.tm_mday += 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        end = (int64_t)mktime(&tm) * 1000;
    } else {
        s = store_open(db_path, true, err, sizeof err);
        if (!s)
            die("store_open", err);
        struct store_staff m;
        /* History up to last midnight: the 365 days before today. */
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        end = (int64_t)mktime(&tm) * 1000;
        store_set_clock(s, end - 366 * 86400000LL);
        if (store_init_shop(s, "Bench Cafe", "PLN") != 0 ||
            store_staff_add(s, NULL, "M", ROLE_MANAGER, "1234", &m) != 0)
            die("store setup", store_error(s));
        struct store_seed_spec spec = { .customers = customers, .days = 365, .seed = 1, .end = end,
                                        .manager = m.id, .staff_pin = "1111" };
        double t0 = now_s();
        if (store_seed_demo(s, &spec, &st) != 0)
            die("store_seed_demo", store_error(s));
        seed_s = now_s() - t0;
        if (st.failed)
            die("seed", st.first_error);
    }
    /* A running shop's visits log is folded within the hour (syncd when
     * quiet, the hourly backup): do the same before timing. */
    double f0 = now_s();
    int folded, nfolded = 0;
    while ((folded = store_rollup_fold(s, 1000)) > 0)
        nfolded += folded;
    if (folded < 0)
        die("store_rollup_fold", store_error(s));
    double fold_s = now_s() - f0;
    struct store_period p;
    char from[16], to[16];
    int y, mo, d;
    civil_from_days((end - 1) / 86400000 - 364, &y, &mo, &d);
    snprintf(from, sizeof from, "%04d-%02d-%02d", y, mo, d);
    civil_from_days((end - 1) / 86400000, &y, &mo, &d);
    snprintf(to, sizeof to, "%04d-%02d-%02d", y, mo, d);
    store_set_clock(s, 0);
    if (store_period_parse(s, from, to, NULL, NULL, &p) != 0)
        die("period", store_error(s));
    store_close(s);
    write_raw(&p);

    struct store_summary cur, prev;
    int64_t raw[NRAW][3];
    run_store(&cur, &prev, &p);     /* warm-up: the file into the page cache */
    run_raw();
    double ts[ROUNDS], tr[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        ts[i] = run_store(&cur, &prev, &p);
        tr[i] = run_raw();
    }
    if (read_raw(raw) != 0)
        die("raw output", "could not read sqlite3's answers");
    int bad = compare(&cur, &prev, raw);
    double sm = median(ts, ROUNDS), rm = median(tr, ROUNDS), ratio = rm > 0 ? sm / rm : 0;
    printf("report summary: store %.2f s, raw sql %.2f s, ratio %.2f (goal <= %.2f) %s\n", sm, rm, ratio,
           GOAL_RATIO, ratio <= GOAL_RATIO ? "ok" : "below goal");
    char seeded[128];
    if (given && *given)
        snprintf(seeded, sizeof seeded, "from %s", given);
    else
        snprintf(seeded, sizeof seeded, "seeded in %.0f s%s", seed_s,
                 customers < 100000 ? "; full size: TALLY_BENCH_REPORT_CUSTOMERS=100000" : "");
    printf("  (summary of one year, %s .. %s, with the year before: %.2f s (goal < %.0f s) %s;"
           " %" PRId64 " members, %" PRId64 " events, %s; visits log folded first: %d rows in %.1f s;"
           " %d raw queries; figures %s)\n",
           from, to, sm, GOAL_SECONDS, sm < GOAL_SECONDS ? "ok" : "over goal", st.customers, st.events,
           seeded, nfolded, fold_s, NRAW, bad ? "DIFFER" : "agree");
    bench_cleanup();
    return bad ? 1 : 0;
}
