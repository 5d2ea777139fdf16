/* test_report.c - unit tests for store/report.c and store/seed.c: each
 * report against a small history built with the store's own calls at set
 * times, whose right answer is worked out here, edge cases included
 * (refunds, voids, forgotten members, events that lost their occasion).
 * TZ=UTC, so local days are UTC days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/internal.h"
#include "store/store.h"
#include "util/util.h"

#define MIN_MS ((int64_t)60000)
#define MAXEV 1024

static int64_t utc_ms(int y, int m, int d, int hh, int mm)
{
    return days_from_civil(y, m, d) * DAY_MS + hh * HOUR_MS + mm * MIN_MS;
}

/* --- fixture ---------------------------------------------------------------- */

struct fx {
    char dir[64];
    store *s, *b;               /* till A (main), till B (some tests) */
    struct store_staff m, bar;  /* manager Mira, barista Bogdan */
    int cards;
    struct store_event *ev;
};

static store *open_db(struct fx *f, const char *file, bool create)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    store *s = store_open(path, create, err, sizeof err);
    if (!s)
        print_error("store_open %s: %s\n", path, err);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tally-report-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->ev = calloc(MAXEV, sizeof *f->ev);
    assert_non_null(f->ev);
    f->s = open_db(f, "a.db", true);
    store_set_clock(f->s, utc_ms(2025, 1, 1, 8, 0));
    assert_int_equal(store_init_shop(f->s, "Kawiarnia", "PLN"), 0);
    assert_int_equal(store_staff_add(f->s, NULL, "Mira", ROLE_MANAGER, "1234", &f->m), 0);
    assert_int_equal(store_staff_add(f->s, f->m.id, "Bogdan", ROLE_BARISTA, "5678", &f->bar), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    store_close(f->b);
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f->ev);
    free(f);
    return 0;
}

#define OK(s, call) do { \
        int rc_ = (call); \
        if (rc_ != 0) print_error("%s: %s\n", #call, store_error(s)); \
        assert_int_equal(rc_, 0); \
    } while (0)

static void at(store *s, int y, int m, int d, int hh)
{
    store_set_clock(s, utc_ms(y, m, d, hh, 0));
}

/* A member who joins at that moment (their first visit, usually). */
static void enrol(struct fx *f, store *s, const char *name, const char *birthday, int consent,
                  char id[STORE_ID_LEN + 1])
{
    char card[16];
    snprintf(card, sizeof card, "T%07d", ++f->cards);
    struct store_profile p = { .name = name, .card = card, .birthday = birthday, .consent = consent };
    struct store_customer c;
    OK(s, store_customer_add(s, f->bar.id, &p, &c));
    memcpy(id, c.id, STORE_ID_LEN + 1);
}

static void buy(store *s, const char *staff, const char *cust, int64_t amount, char *ref)
{
    struct store_earn e = { .amount = amount };
    struct store_result r;
    OK(s, store_earn(s, staff, cust, &e, &r));
    if (ref)
        snprintf(ref, STORE_ORIGIN_LEN + 24, "%s", r.ref);
}

static struct store_report_query period(store *s, const char *from, const char *to)
{
    struct store_report_query q = { 0 };
    OK(s, store_period_parse(s, from, to, NULL, NULL, &q.period));
    return q;
}

static void summary(store *s, const struct store_report_query *q, struct store_summary *cur,
                    struct store_summary *prev)
{
    OK(s, store_report_summary(s, q, cur, prev));
}

/* Applies every event `from` holds to `to`. */
static void sync_into(struct fx *f, store *from, store *to)
{
    struct store_vv vv[16];
    enum store_apply res[MAXEV];
    char why[256];
    int nvv = store_version_vector(from, vv, 16);
    assert_true(nvv > 0);
    for (int i = 0; i < nvv; i++) {
        int n = store_read_events(from, vv[i].origin, 0, f->ev, MAXEV);
        assert_true(n > 0 && n < MAXEV);
        assert_int_equal(store_apply_events(to, f->ev, (size_t)n, res, why, sizeof why), 0);
        for (int j = 0; j < n; j++)
            assert_true(res[j] == STORE_APPLIED || res[j] == STORE_DUPLICATE);
    }
}

/* Till B, holding everything A has; the two then work cut off. */
static store *second_till(struct fx *f, int64_t now)
{
    f->b = open_db(f, "b.db", true);
    store_set_clock(f->b, now);
    assert_int_equal(store_init_shop(f->b, "Kawiarnia", "PLN"), 0);
    sync_into(f, f->s, f->b);
    sync_into(f, f->b, f->s);
    return f->b;
}

/* --- 1. periods ----------------------------------------------------------------- */

static void check_period(store *s, const char *from, const char *to, const char *p, const char *last,
                         int64_t first_day, int days)
{
    struct store_period x;
    int rc = store_period_parse(s, from, to, p, last, &x);
    if (rc != 0)
        print_error("period %s %s %s %s: %s\n", from ? from : "", to ? to : "", p ? p : "",
                    last ? last : "", store_error(s));
    assert_int_equal(rc, 0);
    assert_int_equal(x.first_day, first_day);
    assert_int_equal(x.days, days);
    assert_int_equal(x.last_day, first_day + days - 1);
    assert_int_equal(x.from, first_day * DAY_MS);
    assert_int_equal(x.to, (first_day + days) * DAY_MS);
    assert_int_equal(x.prev_to, x.from);
    assert_int_equal(x.prev_from, (first_day - days) * DAY_MS);
}

static void bad_period(store *s, const char *from, const char *to, const char *p, const char *last,
                       const char *needle)
{
    struct store_period x;
    assert_int_equal(store_period_parse(s, from, to, p, last, &x), -1);
    if (!strstr(store_error(s), needle)) {
        print_error("expected '%s' in: %s\n", needle, store_error(s));
        fail();
    }
}

static void test_periods(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    at(s, 2026, 11, 23, 15);
    int64_t today = days_from_civil(2026, 11, 23);
    check_period(s, NULL, NULL, "2026", NULL, days_from_civil(2026, 1, 1), 365);
    check_period(s, NULL, NULL, "2024", NULL, days_from_civil(2024, 1, 1), 366);
    /* Q3 is 92 days; the previous period is the 92 days before it. */
    check_period(s, NULL, NULL, "2026-Q3", NULL, days_from_civil(2026, 7, 1), 92);
    struct store_period x;
    OK(s, store_period_parse(s, NULL, NULL, "2026-q3", NULL, &x));
    assert_int_equal(x.prev_from, utc_ms(2026, 3, 31, 0, 0));
    /* November: 30 days, compared with 2026-10-02 .. 2026-10-31. */
    check_period(s, NULL, NULL, "2026-11", NULL, days_from_civil(2026, 11, 1), 30);
    OK(s, store_period_parse(s, NULL, NULL, "2026-11", NULL, &x));
    assert_int_equal(x.prev_from, utc_ms(2026, 10, 2, 0, 0));
    check_period(s, NULL, NULL, "2026-02", NULL, days_from_civil(2026, 2, 1), 28);
    check_period(s, NULL, NULL, "2026-11-05", NULL, days_from_civil(2026, 11, 5), 1);
    check_period(s, NULL, NULL, NULL, "30d", today - 29, 30);
    check_period(s, NULL, NULL, NULL, NULL, today - 29, 30);     /* the default */
    check_period(s, NULL, NULL, NULL, "1d", today, 1);
    check_period(s, NULL, NULL, NULL, "8w", today - 55, 56);
    check_period(s, NULL, NULL, NULL, "6m", days_from_civil(2026, 5, 24), (int)(today - days_from_civil(2026, 5, 24) + 1));
    check_period(s, NULL, NULL, NULL, "1y", days_from_civil(2025, 11, 24), 365);
    check_period(s, "2026-11-01", "2026-11-10", NULL, NULL, days_from_civil(2026, 11, 1), 10);
    check_period(s, "2026-11-01", NULL, NULL, NULL, days_from_civil(2026, 11, 1), 23);
    check_period(s, "2026-11-05", "2026-11-05", NULL, NULL, days_from_civil(2026, 11, 5), 1);
    bad_period(s, NULL, NULL, "2026-13", NULL, "not a period");
    bad_period(s, NULL, NULL, "2026-Q5", NULL, "not a period");
    bad_period(s, NULL, NULL, "26", NULL, "not a period");
    bad_period(s, NULL, NULL, "2026-1", NULL, "not a period");
    bad_period(s, NULL, NULL, "2026-02-30", NULL, "not a period");
    bad_period(s, NULL, NULL, "last year", NULL, "not a period");
    bad_period(s, NULL, NULL, NULL, "30x", "not a length");
    bad_period(s, NULL, NULL, NULL, "0d", "not a length");
    bad_period(s, NULL, NULL, NULL, "-5d", "not a length");
    bad_period(s, NULL, NULL, NULL, "d", "not a length");
    bad_period(s, NULL, NULL, NULL, "30dd", "not a length");
    bad_period(s, "2026-11-05", "2026-11-01", NULL, NULL, "ends before it starts");
    bad_period(s, NULL, "2026-11-01", NULL, NULL, "--to needs --from");
    bad_period(s, "2026-11-31", "2026-12-01", NULL, NULL, "not a date");
    bad_period(s, "2026-11-01", NULL, "2026-11", NULL, "one way");
    bad_period(s, NULL, NULL, "2026-11", "30d", "one way");
    OK(s, store_period_day(s, NULL, &x));
    assert_int_equal(x.first_day, today);
    assert_int_equal(x.prev_from, (today - 1) * DAY_MS);
    OK(s, store_period_day(s, "2024-02-29", &x));
    assert_int_equal(x.days, 1);
    assert_int_equal(store_period_day(s, "2026-02-29", &x), -1);
}

/* --- 2. summary ------------------------------------------------------------------ */

static int collect_point(const struct store_day_point *pt, void *arg)
{
    struct { int n; struct store_day_point pt[16]; } *d = arg;
    if (d->n < 16)
        d->pt[d->n] = *pt;
    d->n++;
    return 0;
}

/* This period 03-01..03-10, the previous 02-19..02-28, the one before that
 * 02-09..02-18 (for the previous period's churn). */
static void test_summary_basics(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char ana[13], bolek[13], cezary[13], dorota[13];
    at(s, 2026, 2, 10, 9);
    enrol(f, s, "Ana", NULL, 1, ana);
    buy(s, f->bar.id, ana, 500, NULL);              /* before: 5.00 */
    at(s, 2026, 2, 11, 9);
    enrol(f, s, "Dorota", NULL, 0, dorota);
    buy(s, f->bar.id, dorota, 700, NULL);           /* before: 7.00, then never again */
    at(s, 2026, 2, 20, 9);
    buy(s, f->bar.id, ana, 1200, NULL);             /* previous: 12.00 */
    enrol(f, s, "Bolek", NULL, 1, bolek);
    buy(s, f->bar.id, bolek, 800, NULL);            /* previous: 8.00 */
    at(s, 2026, 2, 25, 9);
    buy(s, f->bar.id, bolek, 800, NULL);            /* previous: 8.00, then gone */
    at(s, 2026, 3, 2, 9);
    buy(s, f->bar.id, ana, 1000, NULL);             /* this: 10.00 */
    at(s, 2026, 3, 3, 9);
    enrol(f, s, "Cezary", NULL, 1, cezary);
    buy(s, f->bar.id, cezary, 1500, NULL);          /* this: 15.00 */
    at(s, 2026, 3, 5, 9);
    buy(s, f->bar.id, ana, 2000, NULL);             /* this: 20.00 */
    at(s, 2026, 3, 20, 9);
    buy(s, f->bar.id, cezary, 9900, NULL);          /* after the period: not counted */

    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    summary(s, &q, &c, &p);
    assert_int_equal(c.members, 4);
    assert_int_equal(p.members, 3);
    assert_int_equal(c.new_members, 1);             /* Cezary */
    assert_int_equal(p.new_members, 1);             /* Bolek */
    assert_int_equal(c.active, 2);                  /* Ana, Cezary */
    assert_int_equal(c.visits, 3);
    assert_int_equal(c.sales, 4500);
    assert_int_equal(c.aov, 1500);
    assert_int_equal(c.repeaters, 1);
    assert_int_equal(c.repeat_rate, 500);           /* 50.0 % */
    assert_int_equal(c.frequency, 150);             /* 1.50 visits a member */
    assert_int_equal(c.prev_active, 2);             /* Ana, Bolek */
    assert_int_equal(c.churned, 1);                 /* Bolek */
    assert_int_equal(c.churn, 500);
    assert_int_equal(c.retention, 500);
    /* Lifespan 10 days / 50 % = 20 days; CLV = 15.00 x (1.5 x 36.5 a year)
     * x 20/365 years = 45.00 x 2 / (2 x 1). */
    assert_int_equal(c.lifespan_days, 20);
    assert_int_equal(c.clv, 4500);
    assert_int_equal(p.active, 2);
    assert_int_equal(p.visits, 3);
    assert_int_equal(p.sales, 2800);
    assert_int_equal(p.aov, 933);                   /* 28.00 / 3, rounded */
    assert_int_equal(p.repeaters, 1);               /* Bolek */
    assert_int_equal(p.prev_active, 2);             /* Ana, Dorota */
    assert_int_equal(p.churned, 1);                 /* Dorota */
    assert_int_equal(p.churn, 500);
    assert_int_equal(p.clv, 2800);
    /* One point per złoty, nothing redeemed yet. */
    assert_int_equal(c.points_issued, 45);
    assert_int_equal(p.points_issued, 28);
    assert_int_equal(c.points_redeemed, 0);
    assert_int_equal(c.redemption_rate, 0);
    assert_int_equal(c.points_outstanding, 5 + 7 + 28 + 45);
    assert_int_equal(p.points_outstanding, 5 + 7 + 28);
    assert_int_equal(c.liability, 85);              /* 100 points are 1.00 zł */
    assert_int_equal(c.nps_answers, 0);
    assert_true(c.nps == STORE_NA);

    /* Per day: every day of the period, 0 where nothing happened. */
    struct series { int n; struct store_day_point pt[16]; } d = { 0 };
    OK(s, store_report_days(s, &q, collect_point, &d));
    assert_int_equal(d.n, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(d.pt[i].day, days_from_civil(2026, 3, 1) + i);
    assert_int_equal(d.pt[0].visits, 0);
    assert_int_equal(d.pt[1].visits, 1);             /* 03-02 Ana */
    assert_int_equal(d.pt[1].sales, 1000);
    assert_int_equal(d.pt[2].visits, 1);             /* 03-03 Cezary, who joined */
    assert_int_equal(d.pt[2].new_members, 1);
    assert_int_equal(d.pt[4].sales, 2000);           /* 03-05 Ana */
    assert_int_equal(d.pt[9].visits, 0);

    /* Nothing before: no churn, no CLV, no average order value. */
    q = period(s, "2026-01-01", "2026-01-10");
    summary(s, &q, &c, &p);
    assert_int_equal(c.active, 0);
    assert_true(c.aov == STORE_NA);
    assert_true(c.churn == STORE_NA);
    assert_true(c.retention == STORE_NA);
    assert_true(c.clv == STORE_NA);
    assert_true(c.repeat_rate == STORE_NA);
    assert_true(c.redemption_rate == STORE_NA);
}

/* A refunded visit, a voided earn, refunds and voids made after the period
 * of the purchase they correct: each counts with its purchase. */
static void test_summary_refunds_and_voids(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char ewa[13], filip[13], gosia[13], r1[48], r2[48], r3[48], r4[48], r5[48], rf[48], rg[48];
    struct store_result res;
    at(s, 2026, 2, 25, 9);
    enrol(f, s, "Filip", NULL, 1, filip);
    buy(s, f->bar.id, filip, 1000, r4);             /* previous: refunded in full, then restored */
    at(s, 2026, 3, 2, 9);
    enrol(f, s, "Ewa", NULL, 1, ewa);
    buy(s, f->bar.id, ewa, 3000, r1);               /* refunded in full after the period */
    at(s, 2026, 3, 3, 9);
    OK(s, store_refund(s, f->bar.id, r4, 0, "returned", &res));
    snprintf(rf, sizeof rf, "%s", res.ref);
    at(s, 2026, 3, 4, 9);
    buy(s, f->bar.id, ewa, 2000, r2);
    OK(s, store_refund(s, f->bar.id, r2, 500, "one item", NULL));   /* partial: still a visit */
    at(s, 2026, 3, 5, 9);
    buy(s, f->bar.id, filip, 4000, r3);
    OK(s, store_void(s, f->m.id, r3, "wrong card", NULL));         /* voided: no visit */
    at(s, 2026, 3, 6, 9);
    OK(s, store_void(s, f->m.id, rf, "refund was a mistake", NULL)); /* Filip's visit is back */
    enrol(f, s, "Gosia", NULL, 1, gosia);
    buy(s, f->bar.id, gosia, 1000, r5);
    OK(s, store_refund(s, f->bar.id, r5, 0, "returned", &res));
    snprintf(rg, sizeof rg, "%s", res.ref);
    OK(s, store_void(s, f->m.id, rg, "not returned after all", NULL));
    at(s, 2026, 3, 12, 9);
    OK(s, store_refund(s, f->bar.id, r1, 0, "returned late", NULL));

    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 2);                  /* Ewa's partly refunded one, Gosia's */
    assert_int_equal(c.active, 2);
    assert_int_equal(c.sales, 1500 + 1000);
    /* Ewa 30 - 30 + 20 - 5, Filip 40 - 40, Gosia 10 - 10 + 10. */
    assert_int_equal(c.points_issued, 25);
    assert_int_equal(p.visits, 1);                  /* Filip's, restored */
    assert_int_equal(p.sales, 1000);
    assert_int_equal(p.points_issued, 10);
    struct { int n; struct store_day_point pt[16]; } d = { 0 };
    OK(s, store_report_days(s, &q, collect_point, &d));
    assert_int_equal(d.pt[1].visits, 0);             /* 03-02: refunded in full later */
    assert_int_equal(d.pt[3].visits, 1);             /* 03-04: partly refunded */
    assert_int_equal(d.pt[3].sales, 1500);
    assert_int_equal(d.pt[4].visits, 0);             /* 03-05: voided */
    assert_int_equal(c.churned, 1);                 /* Filip: his March purchase was voided */
    assert_int_equal(c.churn, 1000);
    assert_int_equal(c.retention, 0);
    assert_int_equal(c.new_members, 2);             /* Ewa, Gosia */
}

static void test_summary_points_and_nps(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char hana[13], igor[13], ref[48];
    struct store_reward cro;
    struct store_result res;
    at(s, 2026, 1, 20, 9);
    OK(s, store_setting_set(s, f->m.id, "welcome.points", "20"));
    OK(s, store_setting_set(s, f->m.id, "birthday.points", "50"));
    OK(s, store_setting_set(s, f->m.id, "points.pay_rate", "50"));
    OK(s, store_setting_set(s, f->m.id, "points.expire_days", "30"));
    OK(s, store_reward_add(s, f->m.id, "Croissant", 40, 0, &cro));
    enrol(f, s, "Igor", NULL, 1, igor);             /* welcome 20 */
    buy(s, f->bar.id, igor, 1000, NULL);            /* 10 points */
    at(s, 2026, 2, 20, 9);
    OK(s, store_nps(s, f->bar.id, igor, 10));
    OK(s, store_nps(s, f->bar.id, igor, 10));
    OK(s, store_nps(s, f->bar.id, igor, 3));
    at(s, 2026, 3, 1, 9);
    enrol(f, s, "Hana", "1990-03-04", 1, hana);     /* welcome 20 */
    at(s, 2026, 3, 2, 9);
    int64_t expired = 0;
    OK(s, store_expire(s, NULL, &expired));         /* Igor's 30 are older than 30 days */
    assert_int_equal(expired, 30);
    at(s, 2026, 3, 3, 9);
    buy(s, f->bar.id, hana, 2500, NULL);            /* 25 points and the birthday's 50 */
    at(s, 2026, 3, 5, 9);
    OK(s, store_adjust(s, f->m.id, hana, 10, 0, "goodwill", NULL));
    at(s, 2026, 3, 6, 9);
    OK(s, store_redeem(s, f->bar.id, hana, "Croissant", NULL, NULL));
    at(s, 2026, 3, 7, 9);
    OK(s, store_redeem(s, f->bar.id, hana, "Croissant", NULL, &res));
    snprintf(ref, sizeof ref, "%s", res.ref);
    OK(s, store_void(s, f->m.id, ref, "not handed out", NULL));
    at(s, 2026, 3, 8, 9);
    OK(s, store_pay_points(s, f->bar.id, hana, 10, NULL));
    static const int scores[] = { 10, 9, 8, 7, 6, 0 };
    for (int i = 0; i < 6; i++)
        OK(s, store_nps(s, f->bar.id, hana, scores[i]));

    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    summary(s, &q, &c, &p);
    assert_int_equal(c.points_issued, 20 + 25 + 50 + 10);
    assert_int_equal(c.points_redeemed, 40 + 10);   /* the voided redemption does not count */
    assert_int_equal(c.points_expired, 30);
    assert_int_equal(c.redemption_rate, 476);       /* 50 / 105 = 47.6 % */
    assert_int_equal(c.points_outstanding, 55);
    assert_int_equal(c.liability, 110);             /* 50 points a złoty: 2 grosze each */
    assert_int_equal(p.points_outstanding, 30);     /* Igor's, not yet expired */
    assert_int_equal(c.nps_answers, 6);
    assert_int_equal(c.promoters, 2);
    assert_int_equal(c.passives, 2);
    assert_int_equal(c.detractors, 2);
    assert_int_equal(c.nps, 0);
    assert_int_equal(p.nps_answers, 3);
    assert_int_equal(p.nps, 333);                   /* 66.7 % - 33.3 % */
    assert_int_equal(p.points_issued, 0);
}

/* Two tills cut off from each other void the same sale and grant the same
 * birthday bonus; once synced, only the earliest of each counts. */
static void test_occasion_losers_never_count(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char jan[13], sale[48];
    at(a, 2026, 3, 1, 9);
    OK(a, store_setting_set(a, f->m.id, "birthday.points", "50"));
    enrol(f, a, "Jan", "1985-03-05", 1, jan);
    at(a, 2026, 3, 2, 9);
    buy(a, f->bar.id, jan, 2000, sale);
    store *b = second_till(f, utc_ms(2026, 3, 2, 10, 0));
    at(a, 2026, 3, 3, 10);
    at(b, 2026, 3, 3, 11);
    OK(a, store_void(a, f->m.id, sale, "till A", NULL));
    OK(b, store_void(b, f->m.id, sale, "till B", NULL));
    at(a, 2026, 3, 5, 9);
    at(b, 2026, 3, 5, 10);
    buy(a, f->bar.id, jan, 1000, NULL);             /* 10 points and the birthday's 50 */
    buy(b, f->bar.id, jan, 1000, NULL);             /* 10 points and the birthday's 50 again */
    sync_into(f, a, b);
    sync_into(f, b, a);
    struct store_customer c;
    OK(a, store_customer_get(a, jan, &c));
    assert_int_equal(c.points, 70);

    struct store_report_query q = period(a, "2026-03-01", "2026-03-10");
    struct store_summary cur, prev;
    summary(a, &q, &cur, &prev);
    assert_int_equal(cur.visits, 2);                /* the voided sale: 0, not -1 */
    assert_int_equal(cur.sales, 2000);
    assert_int_equal(cur.points_issued, 70);        /* 20 - 20 + 10 + 10 + 50 */
    assert_int_equal(cur.points_outstanding, 70);
    summary(b, &q, &cur, &prev);
    assert_int_equal(cur.visits, 2);
    assert_int_equal(cur.points_issued, 70);
    /* Per till: each purchase on the till that made it. */
    q.till = store_origin(b);
    summary(a, &q, &cur, &prev);
    assert_int_equal(cur.visits, 1);
    assert_int_equal(cur.sales, 1000);
    q.till = "0badbeef";
    assert_int_equal(store_report_summary(a, &q, &cur, &prev), -1);
    assert_non_null(strstr(store_error(a), "no till"));
}

/* --- 3. segments and member lists --------------------------------------------------- */

struct rows {
    int n;
    struct store_member_row row[16];
};

static int collect_member(const struct store_member_row *m, void *arg)
{
    struct rows *r = arg;
    if (r->n < 16)
        r->row[r->n] = *m;
    r->n++;
    return 0;
}

static const struct store_member_row *by_name(const struct rows *r, const char *name)
{
    for (int i = 0; i < r->n && i < 16; i++)
        if (strcmp(r->row[i].name, name) == 0)
            return &r->row[i];
    return NULL;
}

/* Weekly (or every `every` days) visits of 10.00 from a day on. */
static void visits(store *s, const char *staff, const char *id, int y, int m, int d, int every, int n)
{
    int64_t day = days_from_civil(y, m, d);
    for (int i = 0; i < n; i++) {
        store_set_clock(s, (day + (int64_t)i * every) * DAY_MS + 10 * HOUR_MS);
        buy(s, staff, id, 1000, NULL);
    }
}

static void enrol_at(struct fx *f, const char *name, int y, int m, int d, char id[13])
{
    at(f->s, y, m, d, 9);
    enrol(f, f->s, name, NULL, name[0] != 'O', id);
}

/* At the end of March (04-01 00:00), with March as the period:
 *   Nowy     joined 03-10                               new
 *   Lapsed   every 15 days in Oct 2025, then nothing    lapsed
 *   AtRisk   weekly 01-05 .. 03-02, then 30 days away   at-risk
 *   Big      600.00 in two visits                       high-value (top 10 % of 8: one)
 *   Regular  every 5 days 02-01 .. 03-28                regular
 *   Forgot   weekly 02-10 .. 03-24, then forgotten      regular, never listed
 *   Occas1   01-10, 02-20, 03-25 (36 days apart)        occasional
 *   Occas2   once, 02-01                                occasional
 * At the end of February (03-01), February 1-28 being the period before
 * (01-29 .. 02-28): Regular, Forgot, Occas2 joined in it (new), Lapsed
 * lapsed, Big high-value, AtRisk regular, Occas1 occasional. */
static void test_segments(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char nowy[13], lapsed[13], atrisk[13], big[13], regular[13], forgot[13], occ1[13], occ2[13], steady[13];
    enrol_at(f, "Lapsed", 2025, 10, 1, lapsed);
    visits(s, f->bar.id, lapsed, 2025, 10, 1, 15, 3);
    enrol_at(f, "Big", 2025, 12, 15, big);
    buy(s, f->bar.id, big, 50000, NULL);
    enrol_at(f, "AtRisk", 2026, 1, 5, atrisk);
    visits(s, f->bar.id, atrisk, 2026, 1, 5, 7, 9);          /* last 03-02 */
    /* Overdue by 19 days on a mean interval of 10: less than twice it, so
     * still a regular. */
    enrol_at(f, "Steady", 2026, 1, 2, steady);
    visits(s, f->bar.id, steady, 2026, 1, 2, 10, 8);         /* last 03-13 */
    enrol_at(f, "Occas1", 2026, 1, 10, occ1);
    buy(s, f->bar.id, occ1, 1000, NULL);
    enrol_at(f, "Regular", 2026, 2, 1, regular);
    visits(s, f->bar.id, regular, 2026, 2, 1, 5, 12);        /* last 03-28 */
    enrol_at(f, "Occas2", 2026, 2, 1, occ2);
    buy(s, f->bar.id, occ2, 1000, NULL);
    enrol_at(f, "Forgot", 2026, 2, 10, forgot);
    visits(s, f->bar.id, forgot, 2026, 2, 10, 7, 7);         /* last 03-24 */
    at(s, 2026, 2, 20, 11);
    buy(s, f->bar.id, occ1, 1000, NULL);
    enrol_at(f, "Nowy", 2026, 3, 10, nowy);
    buy(s, f->bar.id, nowy, 1000, NULL);
    at(s, 2026, 3, 20, 11);
    buy(s, f->bar.id, big, 10000, NULL);
    at(s, 2026, 3, 25, 11);
    buy(s, f->bar.id, occ1, 1000, NULL);
    at(s, 2026, 3, 26, 11);
    OK(s, store_customer_forget(s, f->bar.id, forgot));

    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    struct store_segment_stats cur[SEG_COUNT], prev[SEG_COUNT];
    OK(s, store_report_segments(s, &q, cur, prev));
    static const int want_cur[SEG_COUNT] = { 1, 1, 1, 1, 3, 2 };
    static const int want_prev[SEG_COUNT] = { 3, 1, 0, 1, 2, 1 };
    for (int i = 0; i < SEG_COUNT; i++) {
        if (cur[i].members != want_cur[i] || prev[i].members != want_prev[i])
            print_error("segment %s: %lld (%lld), want %d (%d)\n", store_segment_name(i),
                        (long long)cur[i].members, (long long)prev[i].members, want_cur[i], want_prev[i]);
        assert_int_equal(cur[i].members, want_cur[i]);
        assert_int_equal(prev[i].members, want_prev[i]);
    }
    /* March's sales: Nowy 10, AtRisk 10 (03-02), Big 100, Regular 6 x 10
     * (03-03 .. 03-28), Forgot 4 x 10 (03-03 .. 03-24), Steady 2 x 10
     * (03-03, 03-13), Occas1 10. */
    assert_int_equal(cur[SEG_NEW].sales, 1000);
    assert_int_equal(cur[SEG_AT_RISK].sales, 1000);
    assert_int_equal(cur[SEG_HIGH_VALUE].sales, 10000);
    assert_int_equal(cur[SEG_REGULAR].sales, 6000 + 4000 + 2000);
    assert_int_equal(cur[SEG_OCCASIONAL].sales, 1000);
    assert_int_equal(cur[SEG_LAPSED].sales, 0);
    assert_int_equal(cur[SEG_HIGH_VALUE].share, 400);   /* 100 / 250 = 40.0 % */
    assert_int_equal(cur[SEG_REGULAR].share, 480);

    /* The forgotten member counts in the figures: 7 active in March,
     * Nowy 1 + AtRisk 1 + Big 1 + Regular 6 + Forgot 4 + Steady 2 + Occas1 1
     * visits. */
    struct store_summary sc, sp;
    summary(s, &q, &sc, &sp);
    assert_int_equal(sc.members, 9);
    assert_int_equal(sc.active, 7);
    assert_int_equal(sc.visits, 16);
    assert_int_equal(sc.sales, 25000);

    struct rows r = { 0 };
    OK(s, store_report_segment_members(s, &q, SEG_AT_RISK, 0, collect_member, &r));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.row[0].name, "AtRisk");
    assert_true(r.row[0].consent);
    assert_int_equal(r.row[0].last_visit, utc_ms(2026, 3, 2, 10, 0));
    assert_int_equal(r.row[0].total_visits, 9);
    assert_int_equal(r.row[0].interval_days, 7);
    assert_int_equal(r.row[0].visits, 1);
    assert_int_equal(r.row[0].prev_visits, 4);      /* 02-02 .. 02-23 */
    assert_int_equal(r.row[0].segment, SEG_AT_RISK);
    /* The forgotten member is a regular, counted above, never listed. */
    memset(&r, 0, sizeof r);
    OK(s, store_report_segment_members(s, &q, SEG_REGULAR, 0, collect_member, &r));
    assert_int_equal(r.n, 2);                       /* most spend over the year first */
    assert_string_equal(r.row[0].name, "Regular");
    assert_int_equal(r.row[0].interval_days, 5);
    assert_string_equal(r.row[1].name, "Steady");
    assert_int_equal(r.row[1].interval_days, 10);
    assert_int_equal(r.row[1].last_visit, utc_ms(2026, 3, 13, 10, 0));
    memset(&r, 0, sizeof r);
    OK(s, store_report_segment_members(s, &q, SEG_OCCASIONAL, 1, collect_member, &r));
    assert_int_equal(r.n, 1);                       /* --limit 1 */
    assert_false(r.row[0].consent);
    /* Both at once (the dashboard): the same figures and the same list. */
    struct store_segment_stats both[SEG_COUNT], both_prev[SEG_COUNT];
    struct rows r2 = { 0 };
    OK(s, store_report_segments_and_members(s, &q, both, both_prev, SEG_OCCASIONAL, 1, collect_member, &r2));
    assert_memory_equal(both, cur, sizeof both);
    assert_memory_equal(both_prev, prev, sizeof both_prev);
    assert_int_equal(r2.n, 1);
    assert_memory_equal(&r2.row[0], &r.row[0], sizeof r.row[0]);
    assert_int_equal(store_report_segment_members(s, &q, SEG_COUNT, 0, collect_member, &r2), -1);
    assert_non_null(strstr(store_error(s), "no such segment"));
    assert_int_equal(store_segment_parse("at-risk"), SEG_AT_RISK);
    assert_int_equal(store_segment_parse("vip"), -1);
    assert_string_equal(store_segment_name(SEG_HIGH_VALUE), "high-value");
}

/* RFM: member k (1..5) came k times in March, 10.00 each, the last visit on
 * 03-(10 + k); Szósty once for 50.00 on 03-01. Among 6 members a score is
 * ceil(5 x (how many have at most this value) / 6). */
static void test_customers_rfm(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char id[6][13], name[32];
    for (int k = 1; k <= 5; k++) {
        snprintf(name, sizeof name, "Member %d", k);
        enrol_at(f, name, 2026, 2, 1, id[k - 1]);
        for (int j = 0; j < k; j++) {
            at(s, 2026, 3, 10 + k - j, 10);
            buy(s, f->bar.id, id[k - 1], 1000, NULL);
        }
    }
    enrol_at(f, "Szósty", 2026, 3, 1, id[5]);
    buy(s, f->bar.id, id[5], 5000, NULL);
    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    struct rows r = { 0 };
    OK(s, store_report_customers(s, &q, STORE_BY_VISITS, 0, collect_member, &r));
    assert_int_equal(r.n, 6);
    assert_string_equal(r.row[0].name, "Member 5");
    assert_int_equal(r.row[0].rank, 1);
    assert_string_equal(r.row[1].name, "Member 4");
    assert_string_equal(r.row[3].name, "Member 2");
    assert_int_equal(r.row[5].rank, 6);
    /* Member 1 and Szósty tie at one visit: Szósty spent more. */
    assert_string_equal(r.row[4].name, "Szósty");
    assert_string_equal(r.row[5].name, "Member 1");
    const struct store_member_row *m;
    /* Recency: Szósty 03-01 < Member 1 03-11 < ... < Member 5 03-15. */
    static const int want_r[5] = { 2, 3, 4, 5, 5 }, want_f[5] = { 2, 3, 4, 5, 5 },
                     want_m[5] = { 1, 2, 3, 4, 5 };
    for (int k = 1; k <= 5; k++) {
        snprintf(name, sizeof name, "Member %d", k);
        assert_non_null(m = by_name(&r, name));
        assert_int_equal(m->visits, k);
        assert_int_equal(m->spend, 1000 * k);
        assert_int_equal(m->r, want_r[k - 1]);
        assert_int_equal(m->f, want_f[k - 1]);
        /* Spend: 10 20 30 40 50 and Szósty 50: at most 40 are 4 of 6. */
        assert_int_equal(m->m, want_m[k - 1]);
    }
    assert_non_null(m = by_name(&r, "Szósty"));
    assert_int_equal(m->r, 1);
    assert_int_equal(m->f, 2);      /* 1 visit: 2 members have at most 1 -> ceil(10/6) */
    assert_int_equal(m->m, 5);
    memset(&r, 0, sizeof r);
    OK(s, store_report_customers(s, &q, STORE_BY_RECENCY, 2, collect_member, &r));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.row[0].name, "Member 5");
    assert_string_equal(r.row[1].name, "Member 4");
    /* Forgotten: keeps its place, never shown. */
    at(s, 2026, 4, 2, 9);
    OK(s, store_customer_forget(s, f->bar.id, id[4]));
    memset(&r, 0, sizeof r);
    OK(s, store_report_customers(s, &q, STORE_BY_SPEND, 0, collect_member, &r));
    assert_int_equal(r.n, 5);
    assert_null(by_name(&r, "Member 5"));
    for (int i = 0; i < r.n; i++)
        assert_true(r.row[i].name[0] != '\0');
}

/* A list sorts only as far as it goes (members.c list_members): the
 * forgotten at its top, more than the first sort's share of them, push it
 * on through the next shares. M k spent k x 1.00 in March (the 6 on top
 * high-value, the rest occasional); the 40 on top are forgotten. */
static void test_lists_past_the_forgotten(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char id[60][13], name[32];
    for (int k = 1; k <= 60; k++) {
        snprintf(name, sizeof name, "M %d", k);
        enrol_at(f, name, 2026, 2, 1, id[k - 1]);
    }
    for (int k = 1; k <= 60; k++) {
        at(s, 2026, 3, 2, 10);
        buy(s, f->bar.id, id[k - 1], 100 * k, NULL);
    }
    at(s, 2026, 4, 2, 9);
    for (int k = 21; k <= 60; k++)
        OK(s, store_customer_forget(s, f->bar.id, id[k - 1]));
    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    struct rows r = { 0 };
    OK(s, store_report_customers(s, &q, STORE_BY_SPEND, 3, collect_member, &r));
    assert_int_equal(r.n, 3);
    static const char *const want[3] = { "M 20", "M 19", "M 18" };
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r.row[i].name, want[i]);
        assert_int_equal(r.row[i].rank, 41 + i);        /* the forgotten keep their places */
    }
    memset(&r, 0, sizeof r);
    OK(s, store_report_customers(s, &q, STORE_BY_SPEND, 0, collect_member, &r));
    assert_int_equal(r.n, 20);
    assert_string_equal(r.row[0].name, "M 20");
    assert_string_equal(r.row[15].name, "M 5");
    memset(&r, 0, sizeof r);
    OK(s, store_report_segment_members(s, &q, SEG_OCCASIONAL, 2, collect_member, &r));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.row[0].name, "M 20");
    assert_int_equal(r.row[0].rank, 1);
    assert_string_equal(r.row[1].name, "M 19");
    assert_int_equal(r.row[1].rank, 2);
}

/* --- 4. rewards, tiers, staff and tills, overdrafts, day ------------------------------ */

struct reward_rows { int n; struct store_reward_row row[16]; };

static int collect_reward(const struct store_reward_row *r, void *arg)
{
    struct reward_rows *rr = arg;
    if (rr->n < 16)
        rr->row[rr->n] = *r;
    rr->n++;
    return 0;
}

static const struct store_reward_row *reward_row(const struct reward_rows *rr, const char *kind,
                                                 const char *name)
{
    for (int i = 0; i < rr->n && i < 16; i++)
        if (strcmp(rr->row[i].kind, kind) == 0 && (!name || strcmp(rr->row[i].name, name) == 0))
            return &rr->row[i];
    return NULL;
}

static void test_rewards(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char kasia[13], ref[48];
    struct store_reward cro, cof;
    struct store_result res;
    struct store_coupon amount, free_cro;
    at(s, 2026, 2, 1, 9);
    OK(s, store_setting_set(s, f->m.id, "cashback.percent", "10"));
    OK(s, store_reward_add(s, f->m.id, "Croissant", 40, 0, &cro));
    OK(s, store_reward_add(s, f->m.id, "Coffee", 0, 5, &cof));
    OK(s, store_reward_add(s, f->m.id, "Never", 999, 0, NULL));
    enrol(f, s, "Kasia", NULL, 1, kasia);
    for (int d = 1; d <= 5; d++) {
        at(s, 2026, 2, d, 10);
        buy(s, f->bar.id, kasia, 4000, NULL);       /* 200 points, 5 stamps, 20.00 credit */
    }
    at(s, 2026, 2, 20, 10);
    OK(s, store_redeem(s, f->bar.id, kasia, "Croissant", NULL, NULL));
    at(s, 2026, 3, 1, 8);
    struct store_coupon_spec a = { .customer = kasia, .discount = 500, .expires = utc_ms(2026, 3, 31, 23, 0) };
    struct store_coupon_spec b = { .reward = cro.id, .expires = utc_ms(2026, 3, 31, 23, 0) };
    OK(s, store_coupon_issue(s, f->m.id, &a, &amount));
    OK(s, store_coupon_issue(s, f->m.id, &b, &free_cro));
    at(s, 2026, 3, 2, 10);
    OK(s, store_redeem(s, f->bar.id, kasia, "Croissant", NULL, NULL));
    at(s, 2026, 3, 3, 10);
    OK(s, store_redeem(s, f->bar.id, kasia, "Croissant", NULL, &res));
    snprintf(ref, sizeof ref, "%s", res.ref);
    OK(s, store_void(s, f->m.id, ref, "not handed out", NULL));
    at(s, 2026, 3, 4, 10);
    OK(s, store_redeem(s, f->bar.id, kasia, "Coffee", NULL, NULL));
    at(s, 2026, 3, 5, 10);
    OK(s, store_pay_points(s, f->bar.id, kasia, 100, NULL));     /* 1.00 zł off */
    at(s, 2026, 3, 6, 10);
    OK(s, store_pay_credit(s, f->bar.id, kasia, 500, NULL));
    at(s, 2026, 3, 7, 10);
    OK(s, store_coupon_redeem(s, f->bar.id, amount.code, kasia, NULL));
    at(s, 2026, 3, 7, 11);
    OK(s, store_coupon_redeem(s, f->bar.id, free_cro.code, kasia, NULL));

    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct reward_rows rr = { 0 };
    OK(s, store_report_rewards(s, &q, collect_reward, &rr));
    const struct store_reward_row *r;
    assert_non_null(r = reward_row(&rr, "reward", "Croissant"));
    assert_string_equal(r->id, cro.id);
    assert_int_equal(r->count, 1);                  /* the voided one does not count */
    assert_int_equal(r->points, 40);
    assert_int_equal(r->value, 40);                 /* 40 points at 1 grosz */
    assert_int_equal(r->prev_count, 1);
    assert_int_equal(r->prev_points, 40);
    assert_non_null(r = reward_row(&rr, "reward", "Coffee"));
    assert_int_equal(r->count, 1);
    assert_int_equal(r->stamps, 5);
    assert_true(r->value == STORE_NA);
    assert_non_null(r = reward_row(&rr, "reward", "Never"));
    assert_int_equal(r->count, 0);                  /* every reward is listed */
    assert_non_null(r = reward_row(&rr, "coupon", "Croissant"));
    assert_int_equal(r->count, 1);
    assert_true(r->value == STORE_NA);
    assert_non_null(r = reward_row(&rr, "coupon", "amount"));
    assert_int_equal(r->count, 1);
    assert_int_equal(r->value, 500);
    assert_non_null(r = reward_row(&rr, "points", NULL));
    assert_int_equal(r->count, 1);
    assert_int_equal(r->points, 100);
    assert_int_equal(r->value, 100);
    assert_non_null(r = reward_row(&rr, "credit", NULL));
    assert_int_equal(r->count, 1);
    assert_int_equal(r->value, 500);
    assert_int_equal(rr.n, 7);
}

struct tier_rows { int n; struct store_tier_row row[9]; };

static int collect_tier(const struct store_tier_row *t, void *arg)
{
    struct tier_rows *tr = arg;
    if (tr->n < 9)
        tr->row[tr->n] = *t;
    tr->n++;
    return 0;
}

/* Default tiers: Silver from 0, Gold from 500.00, Platinum from 1500.00 of
 * spend over 365 days. At 03-01 and at 04-01:
 *   X  600.00 on 02-10                 Gold, Gold
 *   Y  100.00 on 02-10, 450.00 03-15   Silver, Gold: up
 *   Z  joins 03-20, 20.00              -, Silver: joined
 *   W  1600.00 on 2025-03-15           Platinum, Silver: down (out of the window) */
static void test_tiers(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char x[13], y[13], z[13], w[13];
    at(s, 2025, 3, 15, 9);
    enrol(f, s, "W", NULL, 1, w);
    buy(s, f->bar.id, w, 160000, NULL);
    at(s, 2026, 2, 10, 9);
    enrol(f, s, "X", NULL, 1, x);
    buy(s, f->bar.id, x, 60000, NULL);
    enrol(f, s, "Y", NULL, 1, y);
    buy(s, f->bar.id, y, 10000, NULL);
    at(s, 2026, 3, 15, 9);
    buy(s, f->bar.id, y, 45000, NULL);
    at(s, 2026, 3, 20, 9);
    enrol(f, s, "Z", NULL, 1, z);
    buy(s, f->bar.id, z, 2000, NULL);
    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    struct tier_rows tr = { 0 };
    OK(s, store_report_tiers(s, &q, collect_tier, &tr));
    assert_int_equal(tr.n, 3);
    assert_string_equal(tr.row[0].tier, "Silver");
    assert_int_equal(tr.row[0].members, 2);
    assert_int_equal(tr.row[0].prev_members, 1);
    assert_int_equal(tr.row[0].joined, 1);
    assert_int_equal(tr.row[0].up, 0);
    assert_int_equal(tr.row[0].down, 1);
    assert_string_equal(tr.row[1].tier, "Gold");
    assert_int_equal(tr.row[1].members, 2);
    assert_int_equal(tr.row[1].prev_members, 1);
    assert_int_equal(tr.row[1].up, 1);
    assert_int_equal(tr.row[1].down, 0);
    assert_string_equal(tr.row[2].tier, "Platinum");
    assert_int_equal(tr.row[2].members, 0);
    assert_int_equal(tr.row[2].prev_members, 1);
    q.till = store_origin(s);      /* not used: tiers are the whole shop's */
    struct tier_rows tt = { 0 };
    OK(s, store_report_tiers(s, &q, collect_tier, &tt));
    assert_memory_equal(&tt, &tr, sizeof tt);
}

struct act_rows { int n; struct store_activity_row row[8]; };

static int collect_act(const struct store_activity_row *r, void *arg)
{
    struct act_rows *a = arg;
    if (a->n < 8)
        a->row[a->n] = *r;
    a->n++;
    return 0;
}

static const struct store_activity_row *act_row(const struct act_rows *a, const char *key)
{
    for (int i = 0; i < a->n && i < 8; i++)
        if (strcmp(a->row[i].key, key) == 0)
            return &a->row[i];
    return NULL;
}

static void test_staff_and_tills(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13], r2[48], r3[48];
    at(s, 2026, 3, 1, 9);
    OK(s, store_setting_set(s, f->m.id, "limits.per_day", "1"));
    enrol(f, s, "K", NULL, 1, k);
    at(s, 2026, 3, 2, 9);
    buy(s, f->bar.id, k, 1000, NULL);
    at(s, 2026, 3, 3, 9);
    buy(s, f->bar.id, k, 2000, r2);
    OK(s, store_refund(s, f->bar.id, r2, 500, "one item", NULL));
    at(s, 2026, 3, 4, 9);
    buy(s, f->bar.id, k, 3000, r3);
    OK(s, store_void(s, f->m.id, r3, "entered twice", NULL));
    at(s, 2026, 3, 5, 9);
    OK(s, store_adjust(s, f->m.id, k, 25, 0, "goodwill", NULL));
    buy(s, f->m.id, k, 1000, NULL);
    struct store_override ov = { f->m.id, "birthday party" };
    struct store_earn e = { .amount = 1000, .override = &ov };
    OK(s, store_earn(s, f->m.id, k, &e, NULL));     /* past the limit of one a day */

    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct act_rows a = { 0 };
    OK(s, store_report_activity(s, &q, false, collect_act, &a));
    assert_int_equal(a.n, 2);
    const struct store_activity_row *r;
    assert_non_null(r = act_row(&a, f->bar.id));
    assert_string_equal(r->name, "Bogdan");
    assert_int_equal(r->cur.transactions, 3);
    assert_int_equal(r->cur.sales, 1000 + 2000 - 500 + 3000);
    assert_int_equal(r->cur.refunds, 1);
    assert_int_equal(r->cur.refunded, 500);
    assert_int_equal(r->cur.voids, 0);
    assert_int_equal(r->cur.voided, 1);
    assert_int_equal(r->cur.overrides, 0);
    assert_int_equal(r->prev.transactions, 0);
    assert_non_null(r = act_row(&a, f->m.id));
    assert_int_equal(r->cur.transactions, 2);
    assert_int_equal(r->cur.sales, 2000 - 3000);    /* the void she made takes its sale off */
    assert_int_equal(r->cur.voids, 1);
    assert_int_equal(r->cur.voided, 0);
    assert_int_equal(r->cur.adjustments, 1);
    assert_int_equal(r->cur.adjusted_points, 25);
    assert_int_equal(r->cur.overrides, 1);
    memset(&a, 0, sizeof a);
    OK(s, store_report_activity(s, &q, true, collect_act, &a));
    assert_int_equal(a.n, 1);
    assert_non_null(r = act_row(&a, store_origin(s)));
    assert_int_equal(r->cur.transactions, 5);
    assert_int_equal(r->cur.sales, 4500);
    assert_int_equal(r->cur.voids, 1);
    assert_int_equal(r->cur.voided, 1);
    assert_int_equal(r->cur.overrides, 1);

    /* These came from the rollups (UTC midnights are whole hours). In a
     * zone half an hour off they come from the events, and every event
     * here is at 14:30 local time on the same day: the same rows. */
    static struct act_rows staff_utc, staff_ist, tills_ist;    /* static: big */
    memset(&staff_utc, 0, sizeof staff_utc);
    OK(s, store_report_activity(s, &q, false, collect_act, &staff_utc));
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    q = period(s, "2026-03-01", "2026-03-10");
    memset(&staff_ist, 0, sizeof staff_ist);
    memset(&tills_ist, 0, sizeof tills_ist);
    OK(s, store_report_activity(s, &q, false, collect_act, &staff_ist));
    OK(s, store_report_activity(s, &q, true, collect_act, &tills_ist));
    setenv("TZ", "UTC", 1);
    tzset();
    assert_memory_equal(&staff_ist, &staff_utc, sizeof staff_utc);
    assert_memory_equal(&tills_ist, &a, sizeof a);
}

struct od_rows { int n; struct store_overdraft_row row[4]; };

static int collect_od(const struct store_overdraft_row *r, void *arg)
{
    struct od_rows *o = arg;
    if (o->n < 4)
        o->row[o->n] = *r;
    o->n++;
    return 0;
}

/* The one row listed: whose, which event of what type took what below
 * zero (unit), by how much, and to what. */
static void one_od_row(const struct od_rows *o, const char *customer, const char *event, const char *type,
                       const char *unit, int64_t delta, int64_t after)
{
    assert_int_equal(o->n, 1);
    assert_string_equal(o->row[0].customer, customer);
    assert_string_equal(o->row[0].event, event);
    assert_string_equal(o->row[0].type, type);
    assert_string_equal(o->row[0].unit, unit);
    assert_int_equal(o->row[0].delta, delta);
    assert_int_equal(o->row[0].after, after);
}

/* Two tills cut off both let a customer spend the same 80 points. */
static void test_overdrafts(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char k[13];
    struct store_reward cake;
    struct store_result ra, rb;
    at(a, 2026, 3, 1, 9);
    OK(a, store_reward_add(a, f->m.id, "Cake", 80, 0, &cake));
    enrol(f, a, "K", NULL, 1, k);
    buy(a, f->bar.id, k, 10000, NULL);
    store *b = second_till(f, utc_ms(2026, 3, 1, 12, 0));
    at(a, 2026, 3, 2, 10);
    at(b, 2026, 3, 2, 11);
    OK(a, store_redeem(a, f->bar.id, k, cake.id, NULL, &ra));
    OK(b, store_redeem(b, f->bar.id, k, cake.id, NULL, &rb));
    sync_into(f, a, b);
    sync_into(f, b, a);
    at(a, 2026, 3, 20, 10);
    buy(a, f->bar.id, k, 10000, NULL);              /* back above zero later */

    struct store_report_query q = period(a, "2026-03-01", "2026-03-10");
    struct od_rows o = { 0 };
    struct store_overdraft_counts n = { -1, -1, -1, -1 };
    OK(a, store_report_overdrafts(a, &q, &n, collect_od, &o));
    assert_int_equal(n.overdrawn, 1);
    assert_int_equal(n.prev_overdrawn, 0);
    assert_int_equal(n.over_refunded, 0);
    one_od_row(&o, k, rb.ref, "redeem", "points", -80, -60);      /* the later one took it below zero */
    assert_string_equal(o.row[0].name, "K");
    assert_int_equal(o.row[0].points, -60);
    q = period(a, "2026-03-01", "2026-03-31");
    memset(&o, 0, sizeof o);
    OK(a, store_report_overdrafts(a, &q, &n, collect_od, &o));
    assert_int_equal(n.overdrawn, 0);
    assert_int_equal(o.n, 0);
}

struct day_rows { int n; struct store_day_row row[8]; };

static int collect_day(const struct store_day_row *r, void *arg)
{
    struct day_rows *d = arg;
    if (d->n < 8)
        d->row[d->n] = *r;
    d->n++;
    return 0;
}

static void test_day(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13], l[13], r1[48], rf[48];
    struct store_result res;
    at(s, 2026, 3, 1, 9);
    OK(s, store_setting_set(s, f->m.id, "cashback.percent", "10"));
    enrol(f, s, "K", NULL, 1, k);
    buy(s, f->bar.id, k, 1000, r1);                 /* the day before */
    at(s, 2026, 3, 2, 9);
    enrol(f, s, "L", NULL, 1, l);
    buy(s, f->bar.id, l, 2000, NULL);               /* 20 points, 2.00 credit */
    OK(s, store_refund(s, f->bar.id, r1, 0, "returned", &res));   /* yesterday's, today */
    snprintf(rf, sizeof rf, "%s", res.ref);
    OK(s, store_pay_credit(s, f->bar.id, l, 100, NULL));
    at(s, 2026, 3, 2, 15);
    buy(s, f->m.id, k, 3000, NULL);
    at(s, 2026, 3, 3, 0);
    buy(s, f->m.id, k, 5000, NULL);                 /* the next day: not counted */

    struct store_report_query q = { 0 };
    OK(s, store_period_day(s, "2026-03-02", &q.period));
    struct day_rows d = { 0 };
    OK(s, store_report_day(s, &q, collect_day, &d));
    assert_int_equal(d.n, 4);                       /* Bogdan, Mira (either order), the till, all */
    const struct store_day_row *bog = strcmp(d.row[0].staff, f->bar.id) == 0 ? &d.row[0] : &d.row[1];
    const struct store_day_row *mira = bog == &d.row[0] ? &d.row[1] : &d.row[0];
    assert_string_equal(bog->staff_name, "Bogdan");
    assert_string_equal(bog->till, store_origin(s));
    assert_int_equal(bog->cur.purchases, 1);
    assert_int_equal(bog->cur.sales, 2000 - 1000);
    assert_int_equal(bog->cur.refunds, 1);
    assert_int_equal(bog->cur.refunded, 1000);
    assert_int_equal(bog->cur.points_issued, 20);
    assert_int_equal(bog->cur.points_taken_back, -10);
    assert_int_equal(bog->cur.credit_issued, 200);
    assert_int_equal(bog->cur.credit_taken_back, -100);
    assert_int_equal(bog->cur.credit_spent, 100);
    assert_int_equal(bog->prev.purchases, 1);
    assert_int_equal(bog->prev.sales, 1000);
    assert_int_equal(mira->cur.purchases, 1);
    assert_int_equal(mira->cur.sales, 3000);
    assert_string_equal(d.row[2].staff, "");        /* the till's total */
    assert_string_equal(d.row[2].till, store_origin(s));
    assert_int_equal(d.row[2].cur.purchases, 2);
    assert_int_equal(d.row[2].cur.sales, 4000);
    assert_string_equal(d.row[3].till, "");         /* everything */
    assert_int_equal(d.row[3].cur.points_issued, 50);
    assert_int_equal(d.row[3].prev.purchases, 1);
    (void)rf;
}

/* --- 4b. the definitions issue 13 settled ------------------------------------------ */

/* Everyone active in February is gone in March: churn 100 %, and a member
 * churning at that rate stays one period (31 days), not '-'. */
static void test_lifespan_at_full_churn(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13];
    enrol_at(f, "K", 2026, 2, 2, k);
    buy(s, f->bar.id, k, 1000, NULL);
    struct store_report_query march = period(s, "2026-03-01", "2026-03-31");
    struct store_summary c, feb;
    OK(s, store_report_summary(s, &march, &c, &feb));
    assert_int_equal(feb.active, 1);
    assert_int_equal(c.churn, 1000);
    assert_int_equal(c.lifespan_days, 31);
    assert_int_equal(c.clv, STORE_NA);      /* no sales per active member */
}

/* --till: the previous period's segments hold only members who had
 * bought at that till before it ended. */
static void test_segments_till_previous(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char k[13];
    enrol_at(f, "K", 2026, 2, 2, k);                /* at till A */
    buy(a, f->bar.id, k, 1000, NULL);
    store *b = second_till(f, utc_ms(2026, 3, 5, 9, 0));
    buy(b, f->bar.id, k, 2000, NULL);              /* first at B in March */
    struct store_report_query q = period(b, "2026-03-01", "2026-03-31");
    q.till = store_origin(b);
    struct store_segment_stats cur[SEG_COUNT], prev[SEG_COUNT];
    OK(b, store_report_segments(b, &q, cur, prev));
    int64_t now = 0, before = 0;
    for (int i = 0; i < SEG_COUNT; i++) {
        now += cur[i].members;
        before += prev[i].members;
    }
    assert_int_equal(now, 1);
    assert_int_equal(before, 0);
}

/* Expiry has no staff member: its own row per till, named so; a day and
 * the day before with nothing done have no rows at all. */
static void test_day_rows_named(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13];
    at(s, 2026, 3, 1, 9);
    OK(s, store_setting_set(s, f->m.id, "points.expire_days", "10"));
    enrol(f, s, "K", NULL, 1, k);
    buy(s, f->bar.id, k, 1000, NULL);
    at(s, 2026, 3, 20, 9);
    int64_t expired = 0;
    OK(s, store_expire(s, NULL, &expired));
    assert_true(expired > 0);
    struct store_report_query q = { 0 };
    OK(s, store_period_day(s, "2026-03-20", &q.period));
    struct day_rows d = { 0 };
    OK(s, store_report_day(s, &q, collect_day, &d));
    assert_int_equal(d.n, 3);
    assert_int_equal(d.row[0].level, STORE_DAY_NO_STAFF);
    assert_int_equal(d.row[0].cur.points_expired, expired);
    assert_int_equal(d.row[1].level, STORE_DAY_TILL);
    assert_int_equal(d.row[2].level, STORE_DAY_ALL);
    OK(s, store_period_day(s, "2026-03-10", &q.period));
    memset(&d, 0, sizeof d);
    OK(s, store_report_day(s, &q, collect_day, &d));
    assert_int_equal(d.n, 0);
}

/* Refunds at two cut-off tills come to 60.00 more than the purchase: the
 * purchase counts for nothing (no sale, visit or points, none below zero,
 * outstanding 0 whichever way it is summed), and the overdrafts list the
 * refund that went over it, with the excess, like a points overdraft
 * (issue 13, 5). */
static void test_refunds_over_purchase(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char k[13], sale[48];
    struct store_result ra, rb;
    enrol_at(f, "K", 2026, 3, 1, k);
    at(a, 2026, 3, 2, 9);
    buy(a, f->bar.id, k, 10000, sale);
    store *b = second_till(f, utc_ms(2026, 3, 2, 10, 0));
    at(a, 2026, 3, 3, 10);
    at(b, 2026, 3, 3, 11);
    OK(a, store_refund(a, f->bar.id, sale, 8000, "A", &ra));
    OK(b, store_refund(b, f->bar.id, sale, 8000, "B", &rb));
    sync_into(f, a, b);
    sync_into(f, b, a);
    store *tills[] = { a, b };
    for (int t = 0; t < 2; t++) {
        struct store_report_query q = period(tills[t], "2026-03-01", "2026-03-10");
        struct store_summary c, p;
        summary(tills[t], &q, &c, &p);
        const int64_t got[] = { c.visits, c.sales, c.points_issued, c.points_outstanding },
                      want[] = { 0, 0, 0, 0 };
        assert_memory_equal(got, want, sizeof got);
        /* Bounds off the hour: the outstanding points from the events. */
        q.period.to = utc_ms(2026, 3, 5, 0, 30);
        summary(tills[t], &q, &c, &p);
        assert_int_equal(c.points_outstanding, 0);
        q.period.to = utc_ms(2026, 3, 3, 10, 30);   /* between the refunds: 100 - 80 */
        summary(tills[t], &q, &c, &p);
        assert_int_equal(c.points_outstanding, 20);
        q = period(tills[t], "2026-03-01", "2026-03-10");
        struct od_rows o = { 0 };
        struct store_overdraft_counts n;
        OK(tills[t], store_report_overdrafts(tills[t], &q, &n, collect_od, &o));
        assert_int_equal(n.overdrawn, 0);
        assert_int_equal(n.over_refunded, 1);
        assert_int_equal(n.prev_over_refunded, 0);
        one_od_row(&o, k, rb.ref, "refund", "purchase", -8000, -6000);  /* the later one went over */
        assert_int_equal(o.row[0].points, 0);
    }
}

/* A forgotten member overdrawn: counted, never listed. */
static void test_overdrafts_forgotten(void **state)
{
    struct fx *f = *state;
    char k[13];
    enrol_at(f, "K", 2026, 3, 1, k);
    OK(f->s, store_adjust(f->s, f->m.id, k, -500, 0, "mistake", NULL));
    OK(f->s, store_customer_forget(f->s, f->bar.id, k));
    struct store_report_query q = period(f->s, "2026-03-01", "2026-03-31");
    struct od_rows o = { 0 };
    struct store_overdraft_counts n = { -1, -1, -1, -1 };
    OK(f->s, store_report_overdrafts(f->s, &q, &n, collect_od, &o));
    assert_int_equal(n.overdrawn, 1);
    assert_int_equal(o.n, 0);
}

/* Overdrafts summed from either side of each moment (issue 20): members
 * go below zero and back by hand at two tills, some adjustments dated
 * back (the events of a stretch of time are then not consecutive in a
 * till's numbering), two exactly at midnights. For periods of every
 * length and place - both ends summed from later on, both from before, or
 * one each - the counts at both ends and the list's members, in its
 * order with their balances, are what the test's own record of the
 * adjustments gives. */
#define OD_MEMBERS 10
#define OD_STEPS 320

struct od_move { int member; int64_t wall, points, stamps; };

struct od_list { int n; char customer[64][STORE_ID_LEN + 1]; int64_t points[64], stamps[64]; };

static int collect_od_list(const struct store_overdraft_row *r, void *arg)
{
    struct od_list *l = arg;
    if (l->n > 0 && !strcmp(l->customer[l->n - 1], r->customer))
        return 0;       /* the member's next row */
    assert_true(l->n < 64);
    snprintf(l->customer[l->n], sizeof l->customer[0], "%s", r->customer);
    l->points[l->n] = r->points;
    l->stamps[l->n] = r->stamps;
    l->n++;
    return 0;
}

/* The record's balances before `when`, and how many are below zero. */
static int od_model(const struct od_move *mv, int n, int64_t when, int64_t points[], int64_t stamps[])
{
    memset(points, 0, sizeof *points * OD_MEMBERS);
    memset(stamps, 0, sizeof *stamps * OD_MEMBERS);
    for (int i = 0; i < n; i++)
        if (mv[i].wall < when) {
            points[mv[i].member] += mv[i].points;
            stamps[mv[i].member] += mv[i].stamps;
        }
    int below = 0;
    for (int m = 0; m < OD_MEMBERS; m++)
        below += points[m] < 0 || stamps[m] < 0;
    return below;
}

/* The report for q against the record: the counts at both ends, and the
 * list, each member below zero at the end, fewest points first. Returns
 * how many are listed. */
static int od_check(store *s, char id[][STORE_ID_LEN + 1], const struct od_move *mv, int n,
                    const struct store_report_query *q, struct store_overdraft_counts *counts)
{
    int64_t points[OD_MEMBERS], stamps[OD_MEMBERS];
    struct od_list l = { 0 };
    struct store_overdraft_counts ignored, *got = counts ? counts : &ignored;
    OK(s, store_report_overdrafts(s, q, got, collect_od_list, &l));
    assert_int_equal(got->prev_overdrawn, od_model(mv, n, q->period.from, points, stamps));
    assert_int_equal(got->overdrawn, od_model(mv, n, q->period.to, points, stamps));
    int want = 0;
    for (int64_t low = INT64_MIN;;) {
        int next = -1;
        for (int m = 0; m < OD_MEMBERS; m++) {
            if (points[m] >= 0 && stamps[m] >= 0)
                continue;
            bool after = points[m] > low || (points[m] == low && want > 0 &&
                                             strcmp(id[m], l.customer[want - 1]) > 0);
            if (after && (next < 0 || points[m] < points[next] ||
                          (points[m] == points[next] && strcmp(id[m], id[next]) < 0)))
                next = m;
        }
        if (next < 0)
            break;
        assert_true(want < l.n);
        assert_string_equal(l.customer[want], id[next]);
        assert_int_equal(l.points[want], points[next]);
        assert_int_equal(l.stamps[want], stamps[next]);
        low = points[next];
        want++;
    }
    assert_int_equal(l.n, want);
    return want;
}

/* The UTC month (year * 12 + month - 1) of a moment, and its start. */
static int64_t od_month(int64_t wall)
{
    int64_t days = wall / DAY_MS - (wall % DAY_MS < 0);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return (int64_t)y * 12 + m - 1;
}

static int64_t od_month_start(int64_t month)
{
    return utc_ms((int)(month / 12), (int)(month % 12) + 1, 1, 0, 0);
}

/* The month boundary nearest a moment (overdrafts.c), as a month. */
static int64_t od_boundary(int64_t when)
{
    int64_t m = od_month(when);
    return when - od_month_start(m) <= od_month_start(m + 1) - when ? m : m + 1;
}

static int64_t scalar(sqlite3 *db, const char *q);

/* rollup.c: the month of roll_balance that C works out (internal.h). */
int64_t rollup_month(int64_t wall);
int64_t rollup_month_start(int64_t month);

/* The months of roll_balance as rollup.c works them out in C (gmtime)
 * and as schema 13 does in SQL (strftime) agree, on either side of a
 * month's first moment and of 1970's: events put in raw with such
 * moments, the table built again by the migration. */
static void test_balance_months(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    at(f->s, 2026, 3, 1, 9);
    enrol(f, f->s, "Ada", NULL, 1, id);
    const int64_t apr1 = utc_ms(2026, 4, 1, 0, 0);
    const int64_t walls[] = { -86400000, -1001, -1000, -999, -1, 0, 1, 999, 1000, apr1 - 1001, apr1 - 1, apr1,
                              apr1 + 1, utc_ms(2025, 12, 31, 23, 59) + 59999, utc_ms(2026, 1, 1, 0, 0),
                              utc_ms(2024, 2, 29, 12, 0) };
    const int n = (int)(sizeof walls / sizeof *walls);
    char path[256];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        char sql[512];
        /* Points 2^i: each month's sum says which moments it holds. */
        snprintf(sql, sizeof sql, "INSERT INTO events SELECT origin, seq + %d, hlc + %d, %lld, 'adjust', staff, customer,"
                 " %lld, 0, 0, 0, 0, '', 0, '', '', '{}', '', x'', hash FROM events WHERE type = 'enrol'"
                 " AND customer = (SELECT max(customer) FROM events WHERE type = 'enrol')",
                 1 + i, 1 + i, (long long)walls[i], 1LL << i);
        assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(raw, "DROP TABLE roll_balance; PRAGMA user_version = 12", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    store_close(open_db(f, "a.db", false));    /* migrated again */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        int64_t m = rollup_month(walls[i]);
        assert_true(rollup_month_start(m) <= walls[i] && walls[i] < rollup_month_start(m + 1));
        assert_int_equal(m, od_month(walls[i]));
        int64_t want = 0;
        for (int j = 0; j < n; j++)
            want += rollup_month(walls[j]) == m ? 1LL << j : 0;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT coalesce(sum(points), 0) FROM roll_balance WHERE month = %lld AND customer = '%s'",
                 (long long)m, id);
        assert_int_equal(scalar(raw, sql), want);
    }
    assert_int_equal(rollup_month(-1), 1969 * 12 + 11);
    assert_int_equal(rollup_month(0), 1970 * 12);
    assert_int_equal(rollup_month(apr1 - 1), 2026 * 12 + 2);
    assert_int_equal(rollup_month(apr1), 2026 * 12 + 3);
    sqlite3_close(raw);
}

static void test_overdrafts_either_side(void **state)
{
    struct fx *f = *state;
    char id[OD_MEMBERS][STORE_ID_LEN + 1];
    for (int m = 0; m < OD_MEMBERS; m++) {
        char name[16];
        snprintf(name, sizeof name, "M%d", m);
        at(f->s, 2025, 1, 2, 9);
        enrol(f, f->s, name, NULL, 1, id[m]);
    }
    static struct od_move mv[OD_STEPS + 8];
    int n = 0;
    store *s = f->s;
    uint32_t seed = 7;
    int64_t clock = utc_ms(2025, 1, 3, 9, 0);
    for (int i = 0; i < OD_STEPS; i++) {
        if (i == OD_STEPS / 2)
            s = second_till(f, clock);          /* B works cut off from here */
        if (i == OD_STEPS * 3 / 4) {
            sync_into(f, f->b, f->s);           /* and A hears of it */
            sync_into(f, f->s, f->b);
            s = f->s;
        }
        seed = seed * 1103515245u + 12345u;
        int m = (int)(seed >> 16) % (OD_MEMBERS - 1);
        int64_t points = (int64_t)((seed >> 8) % 100) - 48, stamps = (int64_t)((seed >> 4) % 7 % 3) - 1;
        clock += DAY_MS + (int64_t)(seed % 1000) * MIN_MS;
        int64_t wall = clock;
        if (i % 9 == 4)
            wall -= (int64_t)(1 + seed % 80) * DAY_MS;      /* dated back */
        if (points == 0)
            points = 1;
        /* The last member: 300, then below zero from two midnights that
         * end periods below (dated back), up in between. */
        if (i == 10 || i == 150 || i == 170 || i == 230) {
            m = OD_MEMBERS - 1;
            points = i == 10 ? 300 : i == 170 ? 600 : -500;
            stamps = 0;
        }
        if (i == 150 || i == 230) {
            wall = i == 150 ? utc_ms(2025, 7, 1, 0, 0) : utc_ms(2025, 11, 2, 0, 0);
            assert_true(wall < clock);
        }
        store_set_clock(s, wall);
        OK(s, store_adjust(s, f->m.id, id[m], points, stamps, "test", NULL));
        mv[n++] = (struct od_move){ m, wall, points, stamps };
        store_set_clock(s, clock);
    }
    /* The last member again, dated back to either side of a month's
     * first moment: a millisecond before 2025-08-01 (UTC) below zero,
     * back up at it, and below zero again in the middle of September. */
    static const struct { int64_t wall, points; } edge[] = {
        { 0, -2000 }, { 1, 2000 }, { 2, -3000 } };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        int64_t wall = i == 0 ? utc_ms(2025, 8, 1, 0, 0) - 1 : i == 1 ? utc_ms(2025, 8, 1, 0, 0) : utc_ms(2025, 9, 15, 0, 0);
        store_set_clock(f->s, wall);
        OK(f->s, store_adjust(f->s, f->m.id, id[OD_MEMBERS - 1], edge[i].points, 0, "test", NULL));
        mv[n++] = (struct od_move){ OD_MEMBERS - 1, wall, edge[i].points, 0 };
    }
    store_set_clock(f->s, clock);
    sync_into(f, f->b, f->s);
    /* The record is the whole story: it gives every balance now. */
    int64_t points[OD_MEMBERS], stamps[OD_MEMBERS];
    od_model(mv, n, INT64_MAX, points, stamps);
    for (int m = 0; m < OD_MEMBERS; m++) {
        struct store_customer c;
        OK(f->s, store_customer_get(f->s, id[m], &c));
        assert_int_equal(c.points, points[m]);
        assert_int_equal(c.stamps, stamps[m]);
    }
    static const char *const from[] = { "2025-01-05", "2025-03-15", "2025-06-30", "2025-07-01", "2025-07-05", "2025-09-10",
                                        "2025-11-02", "2026-01-20" };
    static const int days[] = { 1, 9, 31, 120, 400 };
    /* The months the ends are summed from: the fewest, after the start's
     * boundary, outside the period or before the end's. */
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < n; i++) {
        lo = od_month(mv[i].wall) < lo ? od_month(mv[i].wall) : lo;
        hi = od_month(mv[i].wall) > hi ? od_month(mv[i].wall) : hi;
    }
    int listed = 0, sides[3] = { 0 };
    for (size_t a = 0; a < sizeof from / sizeof *from; a++) {
        for (size_t d = 0; d < sizeof days / sizeof *days; d++) {
            struct store_report_query q = period(f->s, from[a], from[a]);
            q.period.to = q.period.from + days[d] * DAY_MS;
            struct store_overdraft_counts got;
            int want = od_check(f->s, id, mv, n, &q, &got);
            listed += want;
            int64_t m0 = od_boundary(q.period.from), m1 = od_boundary(q.period.to);
            int64_t after_start = hi + 1 - m0, before_end = m1 - lo;
            int64_t outside = (m0 > lo ? m0 - lo : 0) + (hi + 1 > m1 ? hi + 1 - m1 : 0);
            after_start = after_start > 0 ? after_start : 0;
            before_end = before_end > 0 ? before_end : 0;
            int side = after_start <= before_end && after_start <= outside ? 0 : outside < before_end ? 1 : 2;
            sides[side] += got.overdrawn > 0 && got.prev_overdrawn > 0;
        }
    }
    assert_true(listed > 20);       /* the history does overdraw */
    for (int k = 0; k < 3; k++)     /* at both ends, on every pair of sides */
        assert_true(sides[k] > 0);
    /* Ends in the middle of a month (its nearest boundary before them or
     * after), a millisecond either side of one and on one, before any
     * event and after every one. */
    const int64_t aug = utc_ms(2025, 8, 1, 0, 0);
    const int64_t when[] = { aug - 1, aug, aug + 1, utc_ms(2025, 8, 10, 12, 0), utc_ms(2025, 8, 24, 0, 0),
                             utc_ms(2025, 9, 15, 0, 0), utc_ms(2025, 9, 15, 0, 0) + 1, utc_ms(2025, 3, 16, 0, 0),
                             utc_ms(2025, 12, 1, 0, 0), utc_ms(2024, 12, 1, 0, 0), utc_ms(2026, 6, 1, 0, 0) };
    const int nwhen = (int)(sizeof when / sizeof *when);
    int edges = 0;
    for (int a = 0; a < nwhen; a++)
        for (int b = 0; b < nwhen; b++) {
            if (when[a] > when[b])
                continue;
            struct store_report_query q = { 0 };
            q.period.from = when[a];
            q.period.to = when[b];
            edges += od_check(f->s, id, mv, n, &q, NULL);
        }
    assert_true(edges > 20);
    /* The local days of zones east and west of UTC: a month's first
     * midnight is after its boundary in New York, before it in Tokyo. */
    static const char *const zones[] = { "America/New_York", "Asia/Tokyo" };
    static const char *const ends[][2] = { { "2025-08-01", "2025-08-01" }, { "2025-07-20", "2025-08-31" },
                                           { "2025-09-15", "2025-10-01" }, { "2025-06-01", "2025-09-14" } };
    int zoned = 0;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        for (size_t e = 0; e < sizeof ends / sizeof *ends; e++) {
            struct store_report_query q = period(f->s, ends[e][0], ends[e][1]);
            zoned += od_check(f->s, id, mv, n, &q, NULL);
        }
    }
    setenv("TZ", "UTC", 1);
    tzset();
    assert_true(zoned > 0);
}

/* History imported with dates before the import: the member joined at
 * their first purchase, so that day has them as a new, active member and
 * the segments' sales add up to the summary's. */
static void test_joined_by_first_purchase(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13];
    enrol_at(f, "K", 2026, 3, 10, k);
    store_set_clock(s, utc_ms(2026, 3, 7, 12, 0));  /* as tally import dates it */
    buy(s, f->m.id, k, 1000, NULL);
    struct store_report_query q = period(s, "2026-03-07", "2026-03-07");
    struct store_summary c, p;
    summary(s, &q, &c, &p);
    /* members, new members, active members, sales */
    const int64_t got[] = { c.members, c.new_members, c.active, c.sales }, want[] = { 1, 1, 1, 1000 };
    assert_memory_equal(got, want, sizeof got);
    struct store_segment_stats cur[SEG_COUNT], prev[SEG_COUNT];
    OK(s, store_report_segments(s, &q, cur, prev));
    assert_int_equal(cur[SEG_NEW].members, 1);
    assert_int_equal(cur[SEG_NEW].sales, 1000);
}

/* Opening balances are outstanding, not issued, not an adjustment; a
 * downward adjustment takes issued points back, and a period that issued
 * nothing net has no redemption rate. */
static void test_opening_and_negative_adjustments(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char card[16] = "IMPORT01";
    at(s, 2026, 3, 2, 9);
    OK(s, store_setting_set(s, f->m.id, "welcome.points", "0"));
    struct store_profile pr = { .name = "Imported", .card = card, .consent = 1 };
    struct store_customer c;
    OK(s, store_customer_import(s, f->m.id, &pr, 500, 3, &c));
    assert_int_equal(c.points, 500);
    assert_int_equal(c.stamps, 3);
    assert_int_equal(store_customer_import(s, f->bar.id, &pr, 5, 0, NULL), -1);    /* manager only */
    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    struct store_summary cur, prev;
    summary(s, &q, &cur, &prev);
    assert_int_equal(cur.points_issued, 0);
    assert_int_equal(cur.points_outstanding, 500);
    struct act_rows a = { 0 };
    OK(s, store_report_activity(s, &q, false, collect_act, &a));
    for (int i = 0; i < a.n && i < 8; i++)
        assert_int_equal(a.row[i].cur.adjustments, 0);
    struct store_report_query d = { 0 };
    OK(s, store_period_day(s, "2026-03-02", &d.period));
    struct day_rows dr = { 0 };
    OK(s, store_report_day(s, &d, collect_day, &dr));
    assert_int_equal(dr.n, 3);                      /* Mira's enrolment, the till, all */
    assert_int_equal(dr.row[2].cur.points_issued, 0);
    assert_int_equal(dr.row[2].cur.points_taken_back, 0);

    at(s, 2026, 3, 3, 9);
    OK(s, store_adjust(s, f->m.id, c.id, -200, 0, "too generous", NULL));
    summary(s, &q, &cur, &prev);
    assert_int_equal(cur.points_issued, -200);
    assert_int_equal(cur.redemption_rate, STORE_NA);
    assert_int_equal(cur.points_outstanding, 300);
    /* The same from the events, for a period not on whole hours. */
    struct store_report_query qe = q;
    qe.period.from += 30 * MIN_MS;
    summary(s, &qe, &cur, &prev);
    assert_int_equal(cur.points_issued, -200);
}

/* At-risk: overdue by more than twice the mean interval AND at least 14
 * days: a regular every 5 days whose last visit was exactly 14 days
 * before the end is at-risk, 13 days is still regular. */
static void test_at_risk_at_14_days(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13], l[13], big[13];
    enrol_at(f, "K", 2026, 2, 1, k);
    visits(s, f->bar.id, k, 2026, 3, 2, 5, 4);      /* 03-02 .. 03-17 */
    enrol_at(f, "L", 2026, 2, 1, l);
    visits(s, f->bar.id, l, 2026, 3, 3, 5, 4);      /* 03-03 .. 03-18 */
    enrol_at(f, "Big", 2026, 2, 1, big);           /* the high-value one */
    buy(s, f->bar.id, big, 50000, NULL);
    struct store_report_query q = { 0 };
    OK(s, store_period_parse(s, "2026-03-01", "2026-03-31", NULL, NULL, &q.period));
    q.period.to = utc_ms(2026, 3, 31, 10, 0);       /* 14 days after 03-17 10:00 */
    struct rows r = { 0 };
    OK(s, store_report_segment_members(s, &q, SEG_AT_RISK, 0, collect_member, &r));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.row[0].name, "K");
    memset(&r, 0, sizeof r);
    OK(s, store_report_segment_members(s, &q, SEG_REGULAR, 0, collect_member, &r));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.row[0].name, "L");
}

/* --- 5. snapshots, plans, the seed ------------------------------------------------------ */

struct writer { store *reader; struct fx *f; const char *cust; int64_t seen; int rc; };

static int write_then_read(store *w, void *arg)
{
    struct writer *x = arg;
    struct store_earn e = { .amount = 1000 };
    if (store_earn(w, x->f->bar.id, x->cust, &e, NULL) != 0)
        return -1;
    /* The write lock is held and the earn not committed: a report on
     * another connection neither waits nor sees it. */
    struct store_report_query q = period(x->reader, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    x->rc = store_report_summary(x->reader, &q, &c, &p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    x->seen = c.visits;
    assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 2000);
    return 0;
}

static void test_snapshot(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char k[13];
    at(s, 2026, 3, 2, 9);
    enrol(f, s, "K", NULL, 1, k);
    buy(s, f->bar.id, k, 1000, NULL);
    store *w = f->b = open_db(f, "a.db", false);
    store_set_clock(w, utc_ms(2026, 3, 3, 9, 0));
    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    OK(s, store_snapshot_begin(s));
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 1);
    buy(w, f->bar.id, k, 1000, NULL);               /* committed by another connection */
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 1);                  /* the snapshot holds */
    /* and a campaign's result read in it (the dashboard's) leaves it open,
     * whether it finds the campaign or not */
    static struct store_campaign_result r;
    assert_int_equal(store_report_campaign(s, "nosuchcampaign", &r), -1);
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 1);
    store_snapshot_end(s);
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 2);
    struct writer x = { s, f, k, -1, -1 };
    OK(w, store_atomically(w, write_then_read, &x));
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.seen, 2);
    summary(s, &q, &c, &p);
    assert_int_equal(c.visits, 3);
}

/* The events a store sees in its snapshot. */
static int64_t events_seen(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM events");
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* A sale from a third connection that does not wait for the write lock:
 * 0 if it was committed, -1 if the lock was held. */
struct racer { store *w; struct fx *f; const char *cust; int rc; };

static void race_a_sale(void *arg)
{
    struct racer *r = arg;
    struct store_earn e = { .amount = 1000 };
    sqlite3_busy_timeout(r->w->db, 0);
    r->rc = store_earn(r->w, r->f->bar.id, r->cust, &e, NULL);
}

/* The dashboard's two threads read one state of the ledger: a sale
 * committed between the two snapshots' first reads, or just after, is
 * seen by neither until both end; and when the write lock is held by a
 * long write, only the first store's snapshot is begun (the dashboard
 * then reads everything there), and it holds. */
static void test_snapshot_pair(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char k[13];
    at(a, 2026, 3, 2, 9);
    enrol(f, a, "K", NULL, 1, k);
    buy(a, f->bar.id, k, 1000, NULL);
    store *b = f->b = open_db(f, "a.db", false);
    store *w = open_db(f, "a.db", false);
    store_set_clock(w, utc_ms(2026, 3, 3, 9, 0));
    int64_t n = events_seen(a);
    store_release(a);

    struct racer r = { w, f, k, 1 };
    assert_int_equal(snapshot_pair_begin(a, b, race_a_sale, &r), 1);
    assert_int_not_equal(r.rc, 1);                      /* it tried in between */
    buy(w, f->bar.id, k, 1000, NULL);                   /* and this one after */
    assert_int_equal(events_seen(a), n);
    assert_int_equal(events_seen(b), n);
    store_snapshot_end(a);
    store_snapshot_end(b);
    int64_t now = events_seen(a);
    assert_true(now > n);
    assert_int_equal(events_seen(b), now);
    store_release(a);
    store_release(b);

    /* A long write holds the lock: a alone, in a snapshot that holds. */
    sqlite3_busy_timeout(w->db, 10000);
    OK(w, store_begin(w));
    struct store_earn e = { .amount = 1000 };
    OK(w, store_earn(w, f->bar.id, k, &e, NULL));
    assert_int_equal(store_snapshot_begin_pair(a, b), 0);
    OK(w, store_commit(w));
    assert_int_equal(events_seen(a), now);
    store_snapshot_end(a);
    assert_true(events_seen(a) > now);
    store_release(a);
    store_close(w);
}

static void seed(struct fx *f, store *s, const char *manager, uint64_t n, struct store_seed_stats *st)
{
    struct store_seed_spec spec = { .customers = (int)n, .days = 90, .seed = 42,
                                    .end = utc_ms(2026, 4, 1, 0, 0), .manager = manager,
                                    .staff_pin = "1111" };
    (void)f;
    OK(s, store_seed_demo(s, &spec, st));
}

struct snapshot_all {
    struct store_summary c, p;
    struct store_segment_stats sc[SEG_COUNT], sp[SEG_COUNT];
    struct rows top;
    struct tier_rows tiers;
    struct reward_rows rewards;
};

static void all_reports(store *s, struct snapshot_all *x)
{
    memset(x, 0, sizeof *x);
    struct store_report_query q = period(s, "2026-03-01", "2026-03-31");
    summary(s, &q, &x->c, &x->p);
    OK(s, store_report_segments(s, &q, x->sc, x->sp));
    OK(s, store_report_customers(s, &q, STORE_BY_VISITS, 12, collect_member, &x->top));
    OK(s, store_report_tiers(s, &q, collect_tier, &x->tiers));
    OK(s, store_report_rewards(s, &q, collect_reward, &x->rewards));
}

/* Two shops seeded alike: the same figures (their ids are random). */
static void same_reports(const struct snapshot_all *a, const struct snapshot_all *b)
{
    assert_memory_equal(&a->c, &b->c, sizeof a->c);
    assert_memory_equal(&a->p, &b->p, sizeof a->p);
    assert_memory_equal(a->sc, b->sc, sizeof a->sc);
    assert_memory_equal(a->sp, b->sp, sizeof a->sp);
    assert_memory_equal(&a->tiers, &b->tiers, sizeof a->tiers);
    assert_int_equal(a->top.n, b->top.n);
    for (int i = 0; i < a->top.n && i < 16; i++) {
        const struct store_member_row *x = &a->top.row[i], *y = &b->top.row[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->visits, y->visits);
        assert_int_equal(x->spend, y->spend);
        assert_int_equal(x->last_visit, y->last_visit);
        assert_int_equal(x->r * 100 + x->f * 10 + x->m, y->r * 100 + y->f * 10 + y->m);
    }
    assert_int_equal(a->rewards.n, b->rewards.n);
    for (int i = 0; i < a->rewards.n && i < 16; i++) {
        assert_string_equal(a->rewards.row[i].name, b->rewards.row[i].name);
        assert_int_equal(a->rewards.row[i].count, b->rewards.row[i].count);
        assert_int_equal(a->rewards.row[i].points, b->rewards.row[i].points);
    }
}

static int64_t scalar(sqlite3 *db, const char *q)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The same seed gives the same reports; what the seed writes obeys the
 * ledger's rules; both query plans give the same figures. */
/* Every member report's rows, as text: each field of each row. */
struct member_text {
    char *buf;
    size_t len, cap;
};

static int member_line(const struct store_member_row *m, void *arg)
{
    struct member_text *t = arg;
    char line[400];
    int n = snprintf(line, sizeof line, "%lld %s seg%d v%lld s%lld pv%lld ps%lld l%lld n%lld i%lld rfm%d%d%d\n",
                     (long long)m->rank, m->id, m->segment, (long long)m->visits, (long long)m->spend,
                     (long long)m->prev_visits, (long long)m->prev_spend, (long long)m->last_visit,
                     (long long)m->total_visits, (long long)m->interval_days, m->r, m->f, m->m);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
        assert_non_null(t->buf);
    }
    memcpy(t->buf + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
    return 0;
}

static void member_reports(store *s, const char *till, struct member_text *t)
{
    static const char *const periods[][2] = {
        { "2026-03-01", "2026-03-31" }, { "2026-03-25", "2026-03-31" }, { "2025-04-01", "2026-03-31" },
        { "2025-02-01", "2026-03-31" }, { "2025-09-01", "2025-09-30" }, { "2025-06-01", "2025-11-30" },
        { "2026-01-10", "2026-02-20" } };
    t->len = 0;
    for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
        struct store_report_query q = period(s, periods[p][0], periods[p][1]);
        q.till = till;
        struct store_segment_stats cur[SEG_COUNT], prev[SEG_COUNT];
        OK(s, store_report_segments(s, &q, cur, prev));
        for (int k = 0; k < SEG_COUNT; k++) {
            struct store_member_row m = { .rank = cur[k].members, .visits = cur[k].sales,
                                          .prev_visits = prev[k].members, .prev_spend = prev[k].sales };
            member_line(&m, t);
            OK(s, store_report_segment_members(s, &q, k, 0, member_line, t));
        }
        for (int by = STORE_BY_SPEND; by <= STORE_BY_RECENCY; by++)
            OK(s, store_report_customers(s, &q, (enum store_rank)by, 0, member_line, t));
    }
}

/* A shop of 120 members with 420 days of seeded history to 2026-04-01,
 * its manager in m, and a second connection to its file for the rollups. */
static store *seeded_history(struct fx *f, const char *file, struct store_staff *m, sqlite3 **raw)
{
    store *s = open_db(f, file, true);
    store_set_clock(s, utc_ms(2025, 1, 1, 8, 0));
    assert_int_equal(store_init_shop(s, "Kawiarnia", "PLN"), 0);
    assert_int_equal(store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "1234", m), 0);
    struct store_seed_spec spec = { .customers = 120, .days = 420, .seed = 7, .end = utc_ms(2026, 4, 1, 0, 0),
                                    .manager = m->id, .staff_pin = "1111" };
    struct store_seed_stats st;
    OK(s, store_seed_demo(s, &spec, &st));
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    assert_int_equal(sqlite3_open(path, raw), SQLITE_OK);
    return s;
}

/* A campaign for every member over six weeks of a seeded history, its
 * result read later from the rows in its window (roll_cust, the log). */
static void past_campaign(store *s, const char *manager, char id[STORE_ID_LEN + 1])
{
    int64_t now = store_now(s);
    store_set_clock(s, utc_ms(2026, 1, 5, 9, 0));
    struct store_campaign_spec spec = { .name = "Past", .segment = "all", .narms = 1, .holdout = 3000,
                                        .expires = utc_ms(2026, 2, 15, 0, 0) };
    snprintf(spec.arm[0].name, sizeof spec.arm[0].name, "A");
    OK(s, store_offer_parse(s, "coupon:1.00", &spec.arm[0].offer));
    struct store_campaign c;
    OK(s, store_campaign_create(s, manager, &spec, &c));
    snprintf(id, STORE_ID_LEN + 1, "%s", c.id);
    store_set_clock(s, now);
}

static void campaign_result(store *s, const char *id, struct store_campaign_result *out)
{
    int64_t now = store_now(s);
    store_set_clock(s, utc_ms(2026, 4, 1, 0, 0));   /* after its end */
    OK(s, store_report_campaign(s, id, out));
    store_set_clock(s, now);
    assert_true(out->arm[0].visits > 0 && out->arm[1].visits > 0);
}

/* The member reports read each member's state and the rows of a window
 * (members.c's state path) when the log is short, and every member's
 * whole history otherwise: both give the same rows, field by field, for
 * periods that end now and in the past, short and over a year, for the
 * shop and for one till; also with a few members still in the log, and
 * with a log of each moment in several rows, sorted or read through the
 * index a long log gets (store_rollup_index; every report the same), and
 * with half of that log folded (the history path merging both tables). */
static void test_member_paths(void **state)
{
    struct fx *f = *state;
    struct store_staff m;
    sqlite3 *raw;
    store *s = f->b = seeded_history(f, "paths.db", &m, &raw);
    char till[STORE_ORIGIN_LEN + 1];
    snprintf(till, sizeof till, "%s", store_origin(s));
    char camp[STORE_ID_LEN + 1];
    past_campaign(s, m.id, camp);
    /* The seed folds what it wrote; as a shop that never folded: */
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_log"), 0);
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                       " SELECT customer, wall, till, visits, spend, tspend FROM roll_cust"
                                       " ORDER BY wall; DELETE FROM roll_cust; DELETE FROM roll_member",
                                  NULL, NULL, NULL), SQLITE_OK);
    int64_t logged = scalar(raw, "SELECT count(*) FROM roll_log");
    assert_true(logged > 1000);                 /* the history path */
    static struct member_text history[2], state_only[2], few_logged[2], split[2], indexed[2], half[2], half_sorted[2];
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &history[k]);
    /* and the campaign's result, read from the log whole or through its index */
    static struct store_campaign_result camp_history, camp_indexed, camp_folded;
    campaign_result(s, camp, &camp_history);
    assert_true(history[0].len > 20000);
    assert_non_null(strstr(history[0].buf, "seg2 "));      /* someone at risk */
    /* A log long enough to be indexed (store_rollup_index): each moment in
     * several rows, a visit and a unit of its spend moved into each of the
     * others (a moment whose visit was refunded is in rows of a visit and
     * rows of less than none: summed, still none). */
    struct snapshot_all before, after;
    all_reports(s, &before);
    int64_t parts = 50000 / logged + 2, last = scalar(raw, "SELECT max(n) FROM roll_log");
    char sql[600];
    snprintf(sql, sizeof sql, "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < %lld)"
             " INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
             "  SELECT customer, wall, till, 1, 1, 1 FROM roll_log, i;"
             " UPDATE roll_log SET visits = visits - %lld, spend = spend - %lld, tspend = tspend - %lld WHERE n <= %lld",
             (long long)parts - 1, (long long)parts - 1, (long long)parts - 1, (long long)parts - 1, (long long)last);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    int64_t rows = scalar(raw, "SELECT count(*) FROM roll_log");
    assert_int_equal(rows, logged * parts);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &split[k]);
    assert_int_equal(store_rollup_index(s), 1);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'"), 1);
    assert_int_equal(store_rollup_index(s), 0);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &indexed[k]);
    campaign_result(s, camp, &camp_indexed);
    all_reports(s, &after);
    same_reports(&before, &after);
    /* Half folded, the log still long: the history path merges roll_cust
     * with the log as it reads both, many moments in both (the visit
     * folded, a unit of spend still in the log: the oldest rows, folded
     * before the log was indexed, which an indexed log's fold takes in
     * member order), the log through its index and then sorted. */
    int64_t folded = rows / 2;
    assert_int_equal(sqlite3_exec(raw, "DROP INDEX roll_log_member", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_rollup_fold(s, (int)folded), folded);
    assert_int_equal(sqlite3_exec(raw, "CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend)",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_true(scalar(raw, "SELECT count(*) FROM roll_cust c WHERE EXISTS (SELECT 1 FROM roll_log l"
                            " WHERE l.customer = c.customer AND l.wall = c.wall AND l.till = c.till)") > 1000);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &half[k]);
    assert_int_equal(sqlite3_exec(raw, "DROP INDEX roll_log_member", NULL, NULL, NULL), SQLITE_OK);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &half_sorted[k]);
    assert_int_equal(sqlite3_exec(raw, "CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend)",
                                  NULL, NULL, NULL), SQLITE_OK);
    /* Folded until a few rows are left, in member order (the chunk ends
     * at a customer, so the rest of the last one go after): the index goes
     * with the long log. */
    int64_t left = rows - folded - store_rollup_fold(s, (int)(rows - folded - 30));  /* the state path, a few by history */
    for (int n; left > 30; left -= n)
        assert_true((n = store_rollup_fold(s, 1)) > 0);
    assert_int_equal(left, 30);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_log"), left);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'"), 0);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &few_logged[k]);
    assert_true(store_rollup_fold(s, 0) == left);
    for (int k = 0; k < 2; k++)
        member_reports(s, k ? till : NULL, &state_only[k]);
    campaign_result(s, camp, &camp_folded);
    assert_memory_equal(&camp_history, &camp_indexed, sizeof camp_history);
    assert_memory_equal(&camp_history, &camp_folded, sizeof camp_history);
    sqlite3_close(raw);
    for (int k = 0; k < 2; k++) {
        assert_string_equal(history[k].buf, split[k].buf);
        assert_string_equal(history[k].buf, indexed[k].buf);
        assert_string_equal(history[k].buf, half[k].buf);
        assert_string_equal(history[k].buf, half_sorted[k].buf);
        assert_string_equal(history[k].buf, few_logged[k].buf);
        assert_string_equal(history[k].buf, state_only[k].buf);
        free(history[k].buf);
        free(split[k].buf);
        free(indexed[k].buf);
        free(half[k].buf);
        free(half_sorted[k].buf);
        free(few_logged[k].buf);
        free(state_only[k].buf);
    }
}

/* The tiers as the report worked them out in SQL before members.c took
 * them over (the windows' rows of roll_cust and the log, per member): n
 * tiers of the given thresholds and names, the rows as the report hands
 * them out. */
#define OLD_JOINED "min(c.enrolled, CASE WHEN c.first_visit > 0 THEN c.first_visit ELSE c.enrolled END)"
#define OLD_TIER_OF(w) "((" w " >= ?5) + (" w " >= ?6) + (" w " >= ?7) + (" w " >= ?8) + (" w " >= ?9)" \
    " + (" w " >= ?10) + (" w " >= ?11) + (" w " >= ?12) - 1)"
#define OLD_WINDOWS(table) \
    "SELECT customer, sum(tspend) FILTER (WHERE wall > ?4) AS w1," \
    " sum(tspend) FILTER (WHERE wall > ?3 AND wall < ?1) AS w0" \
    " FROM " table " WHERE wall > min(?3, ?4) AND wall < ?2 AND tspend <> 0 GROUP BY customer"
static void old_tiers(sqlite3 *db, const struct store_report_query *q, int64_t window_days, int n,
                      const char *const *names, const int64_t *thresholds, struct tier_rows *out)
{
    static const char sql[] =
        "WITH cu AS MATERIALIZED (" OLD_WINDOWS("roll_cust") "), lg AS MATERIALIZED (" OLD_WINDOWS("roll_log") "),"
        " m AS (SELECT " OLD_JOINED " AS enrolled, coalesce(cu.w1, 0) + coalesce(lg.w1, 0) AS w1,"
        "  coalesce(cu.w0, 0) + coalesce(lg.w0, 0) AS w0 FROM customers c LEFT JOIN cu ON cu.customer = c.id"
        "  LEFT JOIN lg ON lg.customer = c.id WHERE c.enrolled > 0 AND " OLD_JOINED " < ?2),"
        " t AS MATERIALIZED (SELECT " OLD_TIER_OF("w1") " AS t1,"
        "  CASE WHEN enrolled < ?1 THEN " OLD_TIER_OF("w0") " END AS t0 FROM m)"
        " SELECT t1, count(*), count(*) FILTER (WHERE t0 IS NULL), count(*) FILTER (WHERE t0 < t1),"
        "  count(*) FILTER (WHERE t0 > t1), 0 FROM t GROUP BY t1"
        " UNION ALL SELECT t0, 0, 0, 0, 0, count(*) FROM t WHERE t0 IS NOT NULL GROUP BY t0";
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t window = window_days * DAY_MS;
    sqlite3_bind_int64(st, 1, q->period.from);
    sqlite3_bind_int64(st, 2, q->period.to);
    sqlite3_bind_int64(st, 3, q->period.from - window);
    sqlite3_bind_int64(st, 4, q->period.to - window);
    for (int i = 0; i < 8; i++)
        sqlite3_bind_int64(st, 5 + i, i < n ? thresholds[i] : INT64_MAX);
    struct store_tier_row rows[9];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < n; i++)
        snprintf(rows[i].tier, sizeof rows[i].tier, "%s", names[i]);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue;
        int t = sqlite3_column_int(st, 0);
        struct store_tier_row *r = &rows[t >= 0 && t < n ? t : n];
        r->members += sqlite3_column_int64(st, 1);
        r->joined += sqlite3_column_int64(st, 2);
        r->up += sqlite3_column_int64(st, 3);
        r->down += sqlite3_column_int64(st, 4);
        r->prev_members += sqlite3_column_int64(st, 5);
    }
    assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
    memset(out, 0, sizeof *out);
    for (int i = 0; i <= n && !(i == n && !rows[n].members && !rows[n].prev_members); i++)
        collect_tier(&rows[i], out);
}

static void assert_same_tiers(const struct tier_rows *a, const struct tier_rows *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n && i < 9; i++) {
        assert_string_equal(a->row[i].tier, b->row[i].tier);
        assert_int_equal(a->row[i].members, b->row[i].members);
        assert_int_equal(a->row[i].prev_members, b->row[i].prev_members);
        assert_int_equal(a->row[i].joined, b->row[i].joined);
        assert_int_equal(a->row[i].up, b->row[i].up);
        assert_int_equal(a->row[i].down, b->row[i].down);
    }
}

/* The summary, the segments and the tiers each alone and all from one
 * pass (store_report_overview, the dashboard's) for periods short and
 * long, ending now and in the past, with and without a till, for two
 * tier windows: the same figures as the SQL the tiers report ran before
 * (old_tiers) and as the summary and segments reports, on a shop that
 * never folded (members.c's history path), with a few members in the log
 * and all folded (the state path). */
static void tier_paths(store *s, sqlite3 *raw, const char *till, int64_t window_days)
{
    static const char *const periods[][2] = {
        { "2026-03-01", "2026-03-31" }, { "2026-03-25", "2026-03-31" }, { "2025-04-01", "2026-03-31" },
        { "2025-02-01", "2026-03-31" }, { "2025-09-01", "2025-09-30" }, { "2025-06-01", "2025-11-30" },
        { "2026-01-10", "2026-02-20" }, { "2026-03-31", "2026-03-31" } };
    static const char *const names[] = { "Bronze", "Silver", "Gold" };
    static const int64_t thresholds[] = { 5000, 50000, 150000 };
    int seen_below = 0, seen_moves = 0;
    for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
        struct store_report_query q = period(s, periods[p][0], periods[p][1]);
        q.till = till;
        struct tier_rows want, alone = { 0 }, both = { 0 };
        struct store_summary s1, s0, o1, o0;
        OK(s, store_report_summary(s, &q, &s1, &s0));
        old_tiers(raw, &q, window_days, 3, names, thresholds, &want);
        OK(s, store_report_tiers(s, &q, collect_tier, &alone));
        struct store_segment_stats c1[SEG_COUNT], p1[SEG_COUNT], c2[SEG_COUNT], p2[SEG_COUNT];
        struct member_text m1 = { 0 }, m2 = { 0 };
        OK(s, store_report_segments_and_members(s, &q, c1, p1, SEG_AT_RISK, 0, member_line, &m1));
        OK(s, store_report_overview(s, &q, &o1, &o0, c2, p2, SEG_AT_RISK, 0, member_line, &m2, collect_tier, &both));
        assert_memory_equal(&s1, &o1, sizeof s1);
        assert_memory_equal(&s0, &o0, sizeof s0);
        assert_same_tiers(&want, &alone);
        assert_same_tiers(&want, &both);
        assert_memory_equal(c1, c2, sizeof c1);
        assert_memory_equal(p1, p2, sizeof p1);
        assert_int_equal(m1.len, m2.len);
        if (m1.len)
            assert_string_equal(m1.buf, m2.buf);
        free(m1.buf);
        free(m2.buf);
        seen_below += want.n == 4;
        for (int i = 0; i < want.n && i < 9; i++)
            seen_moves += want.row[i].up > 0 && want.row[i].down > 0;
    }
    assert_true(seen_below > 0);        /* members below the first tier */
    assert_true(seen_moves > 0);        /* members moved up and down */
}

/* seeded_history with three tiers, every rollup row moved back into the
 * log (a shop that never folded), and the till's origin in till. */
static store *unfolded_tiers(struct fx *f, const char *file, struct store_staff *m, sqlite3 **raw,
                             char till[STORE_ORIGIN_LEN + 1])
{
    store *s = seeded_history(f, file, m, raw);
    OK(s, store_setting_set(s, m->id, "tiers", "Bronze:50:1,Silver:500:1.1,Gold:1500:1.25"));
    snprintf(till, STORE_ORIGIN_LEN + 1, "%s", store_origin(s));
    assert_int_equal(sqlite3_exec(*raw, "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                        " SELECT customer, wall, till, visits, spend, tspend FROM roll_cust"
                                        " ORDER BY wall; DELETE FROM roll_cust; DELETE FROM roll_member",
                                  NULL, NULL, NULL), SQLITE_OK);
    return s;
}

static void test_overview_paths(void **state)
{
    struct fx *f = *state;
    struct store_staff m;
    sqlite3 *raw;
    char till[STORE_ORIGIN_LEN + 1];
    store *s = f->b = unfolded_tiers(f, "tiers.db", &m, &raw, till);
    int64_t logged = scalar(raw, "SELECT count(*) FROM roll_log");
    /* A customer with visits whose enrolment has not arrived (no member,
     * counted in the summary), and rows of an id the customers table does
     * not hold (members.c cannot count them: the summary's own query). */
    assert_int_equal(sqlite3_exec(raw, "UPDATE customers SET enrolled = 0 WHERE id = (SELECT min(customer)"
                                       " FROM roll_log WHERE visits > 0 AND wall > 1770000000000)", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_changes(raw), 1);
    /* Members who enrolled at another till: not the till's members. */
    assert_int_equal(sqlite3_exec(raw, "UPDATE customers SET till = 'elsewhere' WHERE id IN"
                                       " (SELECT id FROM customers ORDER BY id LIMIT 20)", NULL, NULL, NULL), SQLITE_OK);
    for (int step = 0; step < 4; step++) {
        if (step == 1)     /* the state path, a few members by their history */
            assert_int_equal(store_rollup_fold(s, (int)(logged - 30)), logged - 30);
        if (step == 2)
            assert_int_equal(store_rollup_fold(s, 0), 30);
        if (step == 3) {
            assert_int_equal(sqlite3_exec(raw, "UPDATE roll_cust SET customer = 'nobody' WHERE customer ="
                                               " (SELECT max(customer) FROM roll_cust WHERE visits > 0);"
                                               " UPDATE roll_member SET customer = 'nobody' WHERE customer ="
                                               " (SELECT max(customer) FROM roll_member WHERE visits > 0)",
                                          NULL, NULL, NULL), SQLITE_OK);
            assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_member WHERE customer = 'nobody'"), 1);
        }
        for (int w = 0; w < 2; w++) {
            OK(s, store_setting_set(s, m.id, "tier.window_days", w ? "45" : "365"));
            tier_paths(s, raw, NULL, w ? 45 : 365);
            tier_paths(s, raw, till, w ? 45 : 365);
        }
    }
    sqlite3_close(raw);
}

/* What the dashboard's second thread does first (store_report_overview_pair's
 * side): a report on the second store, and how many times it ran. */
struct pair_side {
    store *b;
    const struct store_report_query *q;
    struct reward_rows rewards;
    int runs, rc;
};

static void pair_side(void *arg)
{
    struct pair_side *x = arg;
    x->runs++;
    x->rc = store_report_rewards(x->b, x->q, collect_reward, &x->rewards);
}

/* The overview over two stores of one snapshot (the dashboard's): the
 * members' history read in ranges of customer ids, some on a second
 * thread, gives exactly what one pass on one store gives - the log whole
 * and then partly folded (moments in both tables, netted across a range's
 * tables), with a till, with rows of an id the customers table does not
 * hold (at the end of the ids: the last range's) - and the side work runs
 * once on the second store, in the same snapshot. */
static void test_overview_pair(void **state)
{
    struct fx *f = *state;
    struct store_staff m;
    sqlite3 *raw;
    char till[STORE_ORIGIN_LEN + 1];
    store *s = f->b = unfolded_tiers(f, "pair.db", &m, &raw, till);
    assert_int_equal(sqlite3_exec(raw, "CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend)",
                                  NULL, NULL, NULL), SQLITE_OK);
    int64_t logged = scalar(raw, "SELECT count(*) FROM roll_log");
    assert_true(logged > 1000);
    store *b = open_db(f, "pair.db", false);
    static const char *const periods[][2] = {
        { "2026-03-01", "2026-03-31" }, { "2026-03-25", "2026-03-31" }, { "2025-04-01", "2026-03-31" },
        { "2025-02-01", "2026-03-31" }, { "2025-12-01", "2026-01-31" }, { "2026-01-10", "2026-02-20" } };
    for (int step = 0; step < 3; step++) {
        if (step == 1) {    /* the oldest half folded: the newest moments in both tables (by n: the log
                             * unindexed meanwhile, else the fold takes the first customers whole) */
            assert_int_equal(sqlite3_exec(raw, "DROP INDEX roll_log_member", NULL, NULL, NULL), SQLITE_OK);
            assert_int_equal(store_rollup_fold(s, (int)(logged / 2)), logged / 2);
            assert_int_equal(sqlite3_exec(raw, "CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend)",
                                          NULL, NULL, NULL), SQLITE_OK);
            assert_true(scalar(raw, "SELECT count(*) FROM roll_cust") > 1000);
            assert_int_equal(scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'"), 1);
            assert_int_equal(sqlite3_exec(raw, "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                               " SELECT customer, wall, till, 0, 1, 1 FROM roll_cust WHERE wall > 1767225600000",
                                          NULL, NULL, NULL), SQLITE_OK);
        }
        if (step == 2)
            assert_int_equal(sqlite3_exec(raw, "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                               " SELECT 'nobody', wall, till, visits, spend, tspend FROM roll_log"
                                               " WHERE customer = (SELECT max(customer) FROM roll_log)",
                                          NULL, NULL, NULL), SQLITE_OK);
        for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
            for (int t = 0; t < 2; t++) {
                struct store_report_query q = period(s, periods[p][0], periods[p][1]);
                q.till = t ? till : NULL;
                for (int seg = 0; seg < SEG_COUNT; seg++) {
                    struct store_summary s1, s0, o1, o0;
                    struct store_segment_stats c1[SEG_COUNT], p1[SEG_COUNT], c2[SEG_COUNT], p2[SEG_COUNT];
                    struct tier_rows one = { 0 }, two = { 0 };
                    struct member_text m1 = { 0 }, m2 = { 0 };
                    struct reward_rows rewards = { 0 };
                    OK(s, store_report_overview(s, &q, &s1, &s0, c1, p1, seg, 0, member_line, &m1, collect_tier, &one));
                    OK(s, store_report_rewards(s, &q, collect_reward, &rewards));
                    struct pair_side side = { .b = b, .q = &q };
                    assert_int_equal(store_snapshot_begin_pair(s, b), 1);
                    int rc = store_report_overview_pair(s, b, pair_side, &side, &q, &o1, &o0, c2, p2, seg, 0, member_line,
                                                        &m2, collect_tier, &two);
                    store_snapshot_end(b);
                    store_snapshot_end(s);
                    OK(s, rc);
                    assert_int_equal(side.runs, 1);
                    OK(b, side.rc);
                    assert_int_equal(side.rewards.n, rewards.n);
                    assert_memory_equal(side.rewards.row, rewards.row, sizeof rewards.row[0] * (size_t)rewards.n);
                    assert_memory_equal(&s1, &o1, sizeof s1);
                    assert_memory_equal(&s0, &o0, sizeof s0);
                    assert_memory_equal(c1, c2, sizeof c1);
                    assert_memory_equal(p1, p2, sizeof p1);
                    assert_same_tiers(&one, &two);
                    assert_int_equal(m1.len, m2.len);
                    if (m1.len)
                        assert_string_equal(m1.buf, m2.buf);
                    free(m1.buf);
                    free(m2.buf);
                }
            }
        }
    }
    store_close(b);
    sqlite3_close(raw);
}

static void test_seed(void **state)
{
    struct fx *f = *state;
    struct store_seed_stats st1, st2;
    static struct snapshot_all sa, sb;     /* static: an assertion may jump out */
    struct snapshot_all *a = &sa, *b = &sb;
    seed(f, f->s, f->m.id, 150, &st1);
    assert_int_equal(st1.failed, 0);
    assert_true(st1.customers >= 140);
    if (st1.events < 800)
        print_error("%lld events\n", (long long)st1.events);
    assert_true(st1.events >= 800);
    assert_int_equal(st1.staff, 3);                 /* Bogdan was there already */
    assert_int_equal(st1.rewards, 4);
    /* Only into a shop without customers. */
    struct store_seed_spec again = { .customers = 10, .days = 10, .seed = 1, .manager = f->m.id, .staff_pin = "1111" };
    assert_int_equal(store_seed_demo(f->s, &again, NULL), -1);
    assert_non_null(strstr(store_error(f->s), "without customers"));

    store *t = f->b = open_db(f, "c.db", true);
    struct store_staff m;
    store_set_clock(t, utc_ms(2025, 1, 1, 8, 0));
    assert_int_equal(store_init_shop(t, "Kawiarnia", "PLN"), 0);
    assert_int_equal(store_staff_add(t, NULL, "Mira", ROLE_MANAGER, "1234", &m), 0);
    seed(f, t, m.id, 150, &st2);
    assert_int_equal(st2.events, st1.events + 1);   /* + the staff event for Bogdan */
    assert_int_equal(st2.customers, st1.customers);
    all_reports(f->s, a);
    all_reports(t, b);
    same_reports(a, b);
    assert_true(a->c.visits > 100);
    assert_true(a->c.nps_answers > 0);

    /* Corrections written by the seed are what store_refund and store_void
     * write: in proportion, and the whole standing effect. */
    char path[256];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_true(scalar(db, "SELECT count(*) FROM events WHERE type IN ('refund', 'void')") > 0);
    assert_int_equal(scalar(db,
        "SELECT count(*) FROM events r JOIN events e ON e.origin = r.ref_origin AND e.seq = r.ref_seq"
        " WHERE r.type = 'refund' AND (e.type <> 'earn' OR r.points <> -(e.points * -r.spend / e.spend)"
        " OR r.stamps <> -(e.stamps * -r.spend / e.spend) OR r.credit <> -(e.credit * -r.spend / e.spend)"
        " OR r.visits <> CASE WHEN -r.spend = e.spend THEN -1 ELSE 0 END)"), 0);
    assert_int_equal(scalar(db,
        "SELECT count(*) FROM events v JOIN events e ON e.origin = v.ref_origin AND e.seq = v.ref_seq"
        " WHERE v.type = 'void' AND (v.points <> -e.points OR v.stamps <> -e.stamps"
        " OR v.credit <> -e.credit OR v.spend <> -e.spend OR v.visits <> -e.visits"
        " OR v.occasion <> 'void:' || e.origin || ':' || e.seq)"), 0);
    assert_int_equal(scalar(db,
        "SELECT count(*) FROM customers c WHERE points <> (SELECT coalesce(sum(points), 0) FROM events e"
        " WHERE e.customer = c.id AND (e.occasion = '' OR EXISTS (SELECT 1 FROM occasions o"
        " WHERE o.key = e.occasion AND o.origin = e.origin AND o.seq = e.seq)))"), 0);
    sqlite3_close(db);
}

/* --- 7. visits per day and the report rollups ------------------------------------- */

static void visits_per_day(store *s, const char *from, const char *to, const char *till,
                           int64_t *out, int n)
{
    struct store_report_query q = period(s, from, to);
    q.till = till;
    assert_int_equal(q.period.days, n);
    OK(s, store_report_visits_per_day(s, &q, out));
}

/* 03-01: Ada twice (one voided), Ola once; 03-02: Ola's purchase refunded
 * in full; 03-03 nothing; 03-04: Ada's purchase refunded in full, the
 * refund voided (a visit again), Ola's refunded in part (still a visit);
 * 03-05 at 23:30: Ola at till B. */
static void test_visits_per_day(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char ada[13], ola[13], r[48];
    struct store_result res;
    at(a, 2026, 3, 1, 8);
    enrol(f, a, "Ada", NULL, 1, ada);
    enrol(f, a, "Ola", NULL, 1, ola);
    buy(a, f->bar.id, ada, 1000, NULL);
    at(a, 2026, 3, 1, 12);
    buy(a, f->bar.id, ada, 1500, r);
    OK(a, store_void(a, f->m.id, r, "wrong card", NULL));
    buy(a, f->bar.id, ola, 700, NULL);
    at(a, 2026, 3, 2, 9);
    buy(a, f->bar.id, ola, 900, r);
    at(a, 2026, 3, 2, 18);
    OK(a, store_refund(a, f->bar.id, r, 0, "returned", NULL));
    at(a, 2026, 3, 4, 9);
    buy(a, f->bar.id, ada, 2000, r);
    OK(a, store_refund(a, f->bar.id, r, 0, "returned", &res));
    OK(a, store_void(a, f->m.id, res.ref, "not returned after all", NULL));
    buy(a, f->bar.id, ola, 1200, r);
    OK(a, store_refund(a, f->bar.id, r, 200, "one item", NULL));
    store *b = second_till(f, utc_ms(2026, 3, 5, 23, 30));
    buy(b, f->bar.id, ola, 500, NULL);
    sync_into(f, b, a);

    int64_t v[7];
    visits_per_day(a, "2026-02-28", "2026-03-06", NULL, v, 7);
    const int64_t all[7] = { 0, 2, 0, 0, 2, 1, 0 };
    for (int i = 0; i < 7; i++)
        assert_int_equal(v[i], all[i]);
    /* Each day as the summary counts it. */
    for (int d = 1; d <= 6; d++) {
        char day[32];
        snprintf(day, sizeof day, "2026-03-%02d", d % 100);
        struct store_report_query q = period(a, day, day);
        struct store_summary c, p;
        summary(a, &q, &c, &p);
        assert_int_equal(c.visits, all[d]);
    }
    visits_per_day(a, "2026-03-04", "2026-03-05", store_origin(b), v, 2);
    assert_int_equal(v[0], 0);
    assert_int_equal(v[1], 1);
    visits_per_day(a, "2026-03-05", "2026-03-05", store_origin(a), v, 1);
    assert_int_equal(v[0], 0);
    /* Local days in a zone half an hour off UTC (+05:30): its midnights
     * are not whole hours, so this is the events' path. B's 23:30 UTC
     * purchase is on 03-06 there; the rest at 08:00-18:00 UTC stay. */
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    visits_per_day(a, "2026-03-01", "2026-03-06", NULL, v, 6);
    const int64_t kolkata[6] = { 2, 0, 0, 2, 0, 1 };
    for (int i = 0; i < 6; i++)
        assert_int_equal(v[i], kolkata[i]);
    struct store_report_query q = period(a, "2026-03-01", "2026-03-06");
    struct store_summary c, p;
    summary(a, &q, &c, &p);
    assert_int_equal(c.visits, 5);
    setenv("TZ", "UTC", 1);
    tzset();
    q = period(a, "2026-03-01", "2026-03-06");
    summary(a, &q, &c, &p);
    assert_int_equal(c.visits, 5);
    assert_int_equal(c.sales, 1000 + 700 + 2000 + 1000 + 500);
}

/* The rollups a store keeps as it applies events are the ones schema 2
 * builds from the events held (store/schema.c): a copy of the file taken back
 * to schema 1 is upgraded again and the tables compared. */
#define ROLL_TILL_FIGURES "visits, spend, issued, redeemed, expired, nps, promoters, detractors," \
    " points, events, tx, sales, refunds, refunded, voids, voided, adjusts, adjusted, overrides"
#define ROLL_ROWS "SELECT group_concat(x, ';') FROM (SELECT hour || ',' || till || ',' || staff || ','" \
    " || visits || ',' || spend || ',' || issued || ',' || redeemed || ',' || " \
    " expired || ',' || nps || ',' || promoters || ',' || detractors || ',' || " \
    " points || ',' || events || ',' || tx || ',' || sales || ',' || refunds || ',' || " \
    " refunded || ',' || voids || ',' || voided || ',' || adjusts || ',' || adjusted || ',' || " \
    " overrides AS x FROM roll_till" \
    " WHERE max(" ROLL_TILL_FIGURES ") <> 0 OR min(" ROLL_TILL_FIGURES ") <> 0 ORDER BY hour, till, staff)" \
    " UNION ALL SELECT group_concat(x, ';') FROM (SELECT customer || ',' || wall || ',' || till" \
    " || ',' || sum(visits) || ',' || sum(spend) || ',' || sum(tspend) AS x FROM" \
    " (SELECT customer, wall, till, visits, spend, tspend FROM roll_cust UNION ALL" \
    " SELECT customer, wall, till, visits, spend, tspend FROM roll_log) GROUP BY customer, wall, till" \
    " HAVING sum(visits) <> 0 OR sum(spend) <> 0 OR sum(tspend) <> 0 ORDER BY customer, wall, till)" \
    " UNION ALL SELECT group_concat(x, ';') FROM (SELECT hour || ',' || till || ',' || k || ',' || id || ','" \
    " || n || ',' || p || ',' || st || ',' || val AS x FROM roll_use" \
    " WHERE n <> 0 OR p <> 0 OR st <> 0 OR val <> 0 ORDER BY hour, till, k, id)" \
    " UNION ALL SELECT group_concat(x, ';') FROM (SELECT month || ',' || customer || ',' || points || ','" \
    " || stamps || ',' || credit AS x FROM roll_balance" \
    " WHERE points <> 0 OR stamps <> 0 OR credit <> 0 ORDER BY month, customer)"

static void roll_text(sqlite3 *db, char *out, size_t outsz)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, ROLL_ROWS, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        size_t n = strlen(out);
        snprintf(out + n, outsz - n, "%s|", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
}

static void rollups_as_rebuilt(struct fx *f, const char *file)
{
    static char kept[1 << 20], rebuilt[1 << 20];     /* static: large */
    char path[256], copy[300];
    sqlite3 *db, *cp;
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    snprintf(copy, sizeof copy, "%s/rebuilt.db", f->dir);
    unlink(copy);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_open(copy, &cp), SQLITE_OK);
    sqlite3_backup *bk = sqlite3_backup_init(cp, "main", db, "main");
    assert_non_null(bk);
    assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
    sqlite3_backup_finish(bk);
    roll_text(db, kept, sizeof kept);
    sqlite3_close(db);
    assert_int_equal(sqlite3_exec(cp, "DROP TABLE roll_cust; DROP TABLE roll_till; DROP TABLE roll_log; DROP TABLE lot_adjust;"
                                      " DROP INDEX events_use; DROP INDEX events_enrol;"
                                      " DROP TABLE contact; DROP TABLE outbox; DROP TABLE templates;"
                                      " DROP TABLE signers; DROP TABLE chain; DROP TABLE import_staged;"
                                      " DROP TABLE campaigns; DROP TABLE campaign_members; DROP INDEX coupons_campaign;"
                                      " ALTER TABLE coupons DROP COLUMN campaign; ALTER TABLE rewards DROP COLUMN tier;"
                                      " ALTER TABLE promos DROP COLUMN tier; DROP TABLE roll_member; DROP TABLE roll_use; DROP INDEX events_coupon_use; ALTER TABLE customers DROP COLUMN till;"
                                      " DROP TABLE trigger_notes; DROP TABLE roll_balance; PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(cp);
    char err[512];
    store *r = store_open(copy, false, err, sizeof err);
    if (!r)
        print_error("%s\n", err);
    assert_non_null(r);
    store_close(r);
    assert_int_equal(sqlite3_open(copy, &cp), SQLITE_OK);
    roll_text(cp, rebuilt, sizeof rebuilt);
    sqlite3_close(cp);
    if (strcmp(kept, rebuilt) != 0)
        print_error("kept:    %s\nrebuilt: %s\n", kept, rebuilt);
    assert_string_equal(kept, rebuilt);
    assert_true(strlen(kept) > 20 && strlen(kept) < sizeof kept - 1);    /* all of it compared */
}

/* roll_balance (schema 13) as the store keeps it, and summed afresh from
 * the events that count and the purchases' corrections: the month from
 * strftime's text of the moment's (fractional) second, not as the
 * migration or rollup.c work it out. And each customer's months sum to
 * their balance. */
#define BALANCE_MONTH(w) "(CAST(strftime('%Y', " w " / 1000.0, 'unixepoch') AS INTEGER) * 12" \
    " + CAST(strftime('%m', " w " / 1000.0, 'unixepoch') AS INTEGER) - 1)"
#define BALANCE_ROWS(from) "SELECT coalesce(group_concat(x, ';'), '') FROM (SELECT month || ',' || customer || ','" \
    " || sum(p) || ',' || sum(s) || ',' || sum(c) AS x FROM (" from ") GROUP BY month, customer" \
    " HAVING sum(p) <> 0 OR sum(s) <> 0 OR sum(c) <> 0 ORDER BY month, customer)"

static void balances_as_rebuilt(struct fx *f, const char *file)
{
    static char text[2][65536];
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *q[2] = {
        BALANCE_ROWS("SELECT month, customer, points AS p, stamps AS s, credit AS c FROM roll_balance"),
        BALANCE_ROWS("SELECT " BALANCE_MONTH("e.wall") " AS month, e.customer, e.points AS p, e.stamps AS s,"
                     " e.credit AS c FROM events e WHERE e.customer <> '' AND (e.occasion = ''"
                     " OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = e.occasion AND o.origin = e.origin"
                     " AND o.seq = e.seq)) UNION ALL SELECT " BALANCE_MONTH("a.wall") ", a.customer, a.points,"
                     " a.stamps, a.credit FROM lot_adjust a") };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        snprintf(text[i], sizeof text[i], "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    int64_t off = scalar(db, "SELECT count(*) FROM customers c LEFT JOIN (SELECT customer, sum(points) AS p,"
                             " sum(stamps) AS s, sum(credit) AS cr FROM roll_balance GROUP BY customer) r"
                             " ON r.customer = c.id WHERE c.points <> coalesce(r.p, 0)"
                             " OR c.stamps <> coalesce(r.s, 0) OR c.credit <> coalesce(r.cr, 0)");
    sqlite3_close(db);
    if (strcmp(text[0], text[1]) != 0)
        print_error("%s roll_balance: %s\nsummed:       %s\n", file, text[0], text[1]);
    assert_string_equal(text[0], text[1]);
    assert_int_equal(off, 0);
}

/* The member state (roll_member) is roll_cust summed per member and till:
 * visits, spend, the tier rule's spend, the first and the last moment
 * still a visit. */
#define MEMBER_STATE(from) "SELECT group_concat(x, ';') FROM (SELECT customer || ',' || till || ',' || visits" \
    " || ',' || spend || ',' || tspend || ',' || coalesce(first, '-') || ',' || coalesce(last, '-') AS x FROM (" from ")" \
    " WHERE visits <> 0 OR spend <> 0 OR tspend <> 0 OR first IS NOT NULL ORDER BY customer, till)"

static void member_state_as_folded(struct fx *f, const char *file)
{
    static char kept[1 << 20], summed[1 << 20];     /* static: large */
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *q[2] = {
        MEMBER_STATE("SELECT * FROM roll_member"),
        MEMBER_STATE("SELECT customer, till, sum(visits) AS visits, sum(spend) AS spend, sum(tspend) AS tspend,"
                     " min(wall) FILTER (WHERE visits > 0) AS first, max(wall) FILTER (WHERE visits > 0) AS last"
                     " FROM roll_cust GROUP BY customer, till") };
    char *out[2] = { kept, summed };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out[i], sizeof kept, "%s", t ? (const char *)t : "");
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (strcmp(kept, summed) != 0)
        print_error("roll_member: %s\nroll_cust:   %s\n", kept, summed);
    assert_string_equal(kept, summed);
}

/* A fold of more than 50,000 rows, most of roll_cust, builds
 * roll_cust_wall again instead of inserting into it row by row: the same
 * sums, the same member state, and the index is there afterwards. */
static void test_bulk_fold(void **state)
{
    struct fx *f = *state;
    store *s = f->b = open_db(f, "bulk.db", true);
    assert_int_equal(store_init_shop(s, "Kawiarnia", "PLN"), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/bulk.db", f->dir);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    /* 60,000 moments of 3,000 members at two tills, and a refund of every
     * seventh in a second row of the same moment. */
    assert_int_equal(sqlite3_exec(raw, "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < 59999)"
                                       " INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                       " SELECT printf('c%05d', k % 3000), 1700000000000 + k * 60000, iif(k % 2, 'aa', 'bb'),"
                                       "  1, 100 + k % 50, 100 + k % 50 FROM i;"
                                       " INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
                                       " SELECT customer, wall, till, -1, -spend, 0 FROM roll_log WHERE n % 7 = 0",
                                  NULL, NULL, NULL), SQLITE_OK);
    int64_t visits = scalar(raw, "SELECT sum(visits) FROM roll_log"), spend = scalar(raw, "SELECT sum(spend) FROM roll_log");
    assert_true(scalar(raw, "SELECT count(*) FROM roll_log") > 60000);
    int folded = store_rollup_fold(s, 0);
    if (folded < 0)
        print_error("%s\n", store_error(s));
    assert_true(folded > 60000);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_log"), 0);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_cust"), 60000);
    assert_int_equal(scalar(raw, "SELECT sum(visits) FROM roll_cust"), visits);
    assert_int_equal(scalar(raw, "SELECT sum(spend) FROM roll_cust"), spend);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_cust_wall'"), 1);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_cust INDEXED BY roll_cust_wall WHERE wall >= 0"), 60000);
    sqlite3_close(raw);
    member_state_as_folded(f, "bulk.db");
}

/* The database `file` as a tally of schema 4 would have left it - no
 * corrections (lot_adjust) in the balances, no signing tables - migrates to the very same
 * balances and corrections (the digest covers both). */
static void corrections_as_migrated(struct fx *f, const char *file)
{
    char path[256], copy[300], err[512], want[65], got[65];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    snprintf(copy, sizeof copy, "%s/schema4.db", f->dir);
    unlink(copy);
    store *s = store_open(path, false, err, sizeof err);
    assert_non_null(s);
    OK(s, store_digest(s, want));
    store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *sqlerr = NULL;
    char backup[400];
    snprintf(backup, sizeof backup, "VACUUM INTO '%s'", copy);
    assert_int_equal(sqlite3_exec(db, backup, NULL, NULL, &sqlerr), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE customers SET points = points - a.pt, stamps = stamps - a.st,"
                                      " credit = credit - a.cr, spend = spend - a.sp, visits = visits - a.vi"
                                      " FROM (SELECT customer, sum(points) AS pt, sum(stamps) AS st, sum(credit) AS cr,"
                                      " sum(spend) AS sp, sum(visits) AS vi FROM lot_adjust GROUP BY customer) a"
                                      " WHERE customers.id = a.customer; DROP TABLE lot_adjust;"
                                      " DROP TABLE signers; DROP TABLE chain; DROP TABLE import_staged;"
                                      " DROP TABLE campaigns; DROP TABLE campaign_members; DROP INDEX coupons_campaign;"
                                      " ALTER TABLE coupons DROP COLUMN campaign; ALTER TABLE rewards DROP COLUMN tier;"
                                      " ALTER TABLE promos DROP COLUMN tier; DROP TABLE roll_member; DROP TABLE roll_use; DROP INDEX events_coupon_use; DROP INDEX roll_cust_wall;"
                                      " ALTER TABLE customers DROP COLUMN till; DROP TABLE trigger_notes; DROP TABLE roll_balance; PRAGMA user_version = 4",
                                  NULL, NULL, &sqlerr), SQLITE_OK);
    sqlite3_close(db);
    s = store_open(copy, false, err, sizeof err);
    if (!s)
        print_error("%s\n", err);
    assert_non_null(s);
    OK(s, store_digest(s, got));
    store_close(s);
    assert_string_equal(got, want);
}

/* Applies the events of one origin that `from` holds to `to`. */
static void sync_origin(struct fx *f, store *from, const char *origin, store *to)
{
    enum store_apply res[MAXEV];
    char why[256];
    int n = store_read_events(from, origin, 0, f->ev, MAXEV);
    assert_true(n > 0 && n < MAXEV);
    assert_int_equal(store_apply_events(to, f->ev, (size_t)n, res, why, sizeof why), 0);
}

static void test_rollups_as_rebuilt(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    char jan[13], eva[13], sale[48], sale2[48], ref[48];
    struct store_result res;
    /* roll_balance against its sums afresh, at every step below. */
#define BALANCES(both) do { balances_as_rebuilt(f, "a.db"); if (both) balances_as_rebuilt(f, "b.db"); } while (0)
    at(a, 2026, 3, 1, 9);
    OK(a, store_setting_set(a, f->m.id, "birthday.points", "50"));
    enrol(f, a, "Jan", "1985-03-05", 1, jan);
    enrol(f, a, "Eva", NULL, 1, eva);
    at(a, 2026, 3, 2, 9);
    buy(a, f->bar.id, jan, 2000, sale);
    buy(a, f->bar.id, eva, 3000, sale2);
    OK(a, store_nps(a, f->bar.id, eva, 9));
    BALANCES(false);
    store *b = second_till(f, utc_ms(2026, 3, 2, 10, 0));
    BALANCES(true);
    /* Both tills void the same sale (one void loses), B refunds Eva's in
     * part and A voids the rest of it after hearing of that refund. */
    at(a, 2026, 3, 3, 10);
    at(b, 2026, 3, 3, 11);
    OK(a, store_void(a, f->m.id, sale, "till A", NULL));
    OK(b, store_void(b, f->m.id, sale, "till B", NULL));
    OK(b, store_refund(b, f->bar.id, sale2, 1000, "one item", &res));
    snprintf(ref, sizeof ref, "%s", res.ref);
    BALANCES(true);
    at(a, 2026, 3, 5, 9);
    at(b, 2026, 3, 5, 10);
    buy(a, f->bar.id, jan, 1000, NULL);             /* both give the birthday bonus */
    buy(b, f->bar.id, jan, 1000, NULL);
    OK(b, store_nps(b, f->bar.id, jan, 3));
    sync_into(f, a, b);
    BALANCES(true);         /* B lost the birthday bonus: taken back */
    sync_into(f, b, a);
    /* Uses (the rewards report's roll_use): A redeems and both tills void
     * it (one void loses); B uses A's coupons, one for an amount off and
     * one for the reward; Jan pays with points at A and B voids that. */
    struct store_reward cookie;
    struct store_coupon off, free_cookie;
    OK(a, store_reward_add(a, f->m.id, "Cookie", 10, 0, &cookie));
    int64_t april = utc_ms(2026, 4, 30, 12, 0);
    struct store_coupon_spec amount = { .discount = 500, .expires = april }, reward = { .reward = cookie.id, .expires = april };
    OK(a, store_coupon_issue(a, f->m.id, &amount, &off));
    OK(a, store_coupon_issue(a, f->m.id, &reward, &free_cookie));
    sync_into(f, a, b);
    char redeemed[48], paid[48];
    OK(a, store_redeem(a, f->bar.id, jan, cookie.id, NULL, &res));
    snprintf(redeemed, sizeof redeemed, "%s", res.ref);
    OK(a, store_pay_points(a, f->bar.id, jan, 5, &res));
    snprintf(paid, sizeof paid, "%s", res.ref);
    OK(b, store_coupon_redeem(b, f->bar.id, off.code, eva, NULL));
    OK(b, store_coupon_redeem(b, f->bar.id, free_cookie.code, jan, NULL));
    sync_into(f, a, b);
    BALANCES(true);
    OK(a, store_void(a, f->m.id, redeemed, "till A", NULL));
    OK(b, store_void(b, f->m.id, redeemed, "till B", NULL));
    OK(b, store_void(b, f->m.id, paid, "paid cash", NULL));
    sync_into(f, a, b);
    sync_into(f, b, a);
    BALANCES(true);
    at(a, 2026, 3, 6, 9);
    OK(a, store_void(a, f->m.id, ref, "refund was wrong", NULL));
    OK(a, store_refund(a, f->bar.id, sale2, 0, "all of it", NULL));
    sync_into(f, a, b);
    BALANCES(true);
    /* Outside the period below, cut off again: refunds at both tills come
     * to more than Jan's purchase, and A voids Eva's while B voids its
     * refund (each purchase's correction, events.c lot_settle). */
    char sale3[48], sale4[48];
    at(a, 2026, 3, 12, 9);
    buy(a, f->bar.id, jan, 4000, sale3);
    buy(a, f->bar.id, eva, 2000, sale4);
    OK(a, store_refund(a, f->bar.id, sale4, 500, "one item", &res));
    sync_into(f, a, b);
    BALANCES(true);
    at(a, 2026, 3, 12, 11);
    at(b, 2026, 3, 12, 14);
    OK(a, store_refund(a, f->bar.id, sale3, 3000, "A", NULL));
    OK(b, store_refund(b, f->bar.id, sale3, 3000, "B", NULL));
    OK(a, store_void(a, f->m.id, sale4, "till A", NULL));
    OK(b, store_void(b, f->m.id, res.ref, "till B", NULL));
    sync_into(f, a, b);
    sync_into(f, b, a);
    BALANCES(true);
    /* The months of the balances (roll_balance): Ola's purchase refunded
     * beyond it at both tills cut off, B's refund a millisecond before
     * April, so the purchase's correction (lot_adjust) stands from March
     * at A; B, still cut off, refunds the rest in April, which moves it to
     * April in one step, and A's void of B's first refund moves it again.
     * Manual adjustments dated back across the boundary, one a
     * millisecond before it and one on it. */
    char ola[13], sale5[48], ref5[48], path5[256];
    sqlite3 *raw5;
    snprintf(path5, sizeof path5, "%s/a.db", f->dir);
    assert_int_equal(sqlite3_open(path5, &raw5), SQLITE_OK);
    at(a, 2026, 3, 20, 9);
    enrol(f, a, "Ola", NULL, 1, ola);
    buy(a, f->bar.id, ola, 4000, sale5);
    sync_into(f, a, b);
    BALANCES(true);
    const int64_t apr1 = utc_ms(2026, 4, 1, 0, 0);
    store_set_clock(a, utc_ms(2026, 3, 31, 22, 0));
    store_set_clock(b, apr1 - 1);
    OK(a, store_refund(a, f->bar.id, sale5, 3000, "A", NULL));
    OK(b, store_refund(b, f->bar.id, sale5, 3000, "B", &res));
    snprintf(ref5, sizeof ref5, "%s", res.ref);
    BALANCES(true);
    sync_into(f, b, a);
    BALANCES(true);
    assert_int_equal(scalar(raw5, "SELECT count(*) FROM lot_adjust WHERE wall = 1775001599999 AND points <> 0"), 1);
    at(b, 2026, 4, 2, 9);
    OK(b, store_refund(b, f->bar.id, sale5, 1000, "B, the rest", NULL));
    sync_into(f, b, a);
    BALANCES(true);
    assert_int_equal(scalar(raw5, "SELECT count(*) FROM lot_adjust WHERE wall >= 1775001600000 AND points <> 0"), 1);
    assert_int_equal(scalar(raw5, "SELECT count(*) FROM lot_adjust WHERE wall < 1775001600000 AND wall > 1774000000000"), 0);
    at(a, 2026, 4, 3, 9);
    OK(a, store_void(a, f->m.id, ref5, "refund was wrong", NULL));
    BALANCES(false);
    store_set_clock(a, apr1 - 1);
    OK(a, store_adjust(a, f->m.id, ola, -7, 2, "dated back", NULL));
    store_set_clock(a, apr1);
    OK(a, store_adjust(a, f->m.id, ola, 11, -1, "dated back", NULL));
    at(a, 2026, 2, 27, 9);
    OK(a, store_adjust(a, f->m.id, jan, -25, 0, "dated back", NULL));
    BALANCES(false);
    sync_into(f, a, b);
    sync_into(f, b, a);
    BALANCES(true);
    sqlite3_close(raw5);
    corrections_as_migrated(f, "a.db");
    rollups_as_rebuilt(f, "a.db");
    rollups_as_rebuilt(f, "b.db");

    /* A third till hears B's events before A's: corrections arrive before
     * what they correct. */
    store *c = open_db(f, "c.db", true);
    store_set_clock(c, utc_ms(2026, 3, 7, 9, 0));
    assert_int_equal(store_init_shop(c, "Kawiarnia", "PLN"), 0);
    sync_origin(f, a, store_origin(b), c);
    sync_origin(f, a, store_origin(a), c);
    balances_as_rebuilt(f, "c.db");
    rollups_as_rebuilt(f, "c.db");
    struct store_report_query q = period(a, "2026-03-01", "2026-03-10");
    struct store_summary ca, pa, cc, pc;
    summary(a, &q, &ca, &pa);
    summary(c, &q, &cc, &pc);
    assert_int_equal(ca.visits, 2);                 /* Jan's two on 03-05; Eva's is all refunded */
    assert_int_equal(cc.visits, ca.visits);
    assert_int_equal(ca.sales, 2000);
    assert_int_equal(cc.sales, ca.sales);
    assert_int_equal(cc.points_issued, ca.points_issued);
    assert_int_equal(cc.points_outstanding, ca.points_outstanding);
    assert_int_equal(ca.nps_answers, 2);
    assert_int_equal(cc.promoters, 1);
    assert_int_equal(cc.detractors, 1);
    /* C heard the coupons' uses before the coupons, the voids before the
     * redemption and the payment: the same rewards report as A's. */
    struct reward_rows ra = { 0 }, rc = { 0 };
    OK(a, store_report_rewards(a, &q, collect_reward, &ra));
    OK(c, store_report_rewards(c, &q, collect_reward, &rc));
    assert_int_equal(ra.n, 3);      /* the Cookie, its coupon, the coupon for an amount off */
    assert_int_equal(rc.n, ra.n);
    assert_memory_equal(ra.row, rc.row, sizeof ra.row);
    assert_int_equal(reward_row(&ra, "reward", "Cookie")->count, 0);        /* voided */
    assert_int_equal(reward_row(&ra, "coupon", "Cookie")->count, 1);
    assert_int_equal(reward_row(&ra, "coupon", "amount")->count, 1);
    assert_int_equal(reward_row(&ra, "coupon", "amount")->value, 500);
    assert_null(reward_row(&ra, "points", NULL));                           /* voided */
    store_close(c);

    /* Folding the visits log into roll_cust changes nothing a reader sees
     * (every visit of this history was in the log until now). */
    struct store_summary fa, fp;
    assert_int_equal(store_rollup_fold(a, 3), 3);       /* part of it */
    summary(a, &q, &fa, &fp);
    assert_memory_equal(&fa, &ca, sizeof fa);
    assert_memory_equal(&fp, &pa, sizeof fp);
    rollups_as_rebuilt(f, "a.db");
    /* The rest one row at a time, every member report the same at each
     * step: a purchase in roll_cust and its refund still in the log net
     * out before a first or last visit is taken. */
    static struct snapshot_all before, now;     /* static: an assertion may jump out */
    all_reports(a, &before);
    int folded;
    do {
        struct rows fresh = { 0 };
        OK(a, store_report_segment_members(a, &q, SEG_NEW, 0, collect_member, &fresh));
        assert_int_equal(fresh.n, 2);
        assert_int_equal(by_name(&fresh, "Eva")->total_visits, 0);     /* refunded in full */
        assert_int_equal(by_name(&fresh, "Eva")->last_visit, 0);
        assert_int_equal(by_name(&fresh, "Eva")->spend, 0);
        assert_int_equal(by_name(&fresh, "Jan")->total_visits, 2);     /* the 03-02 one voided */
        assert_int_equal(by_name(&fresh, "Jan")->last_visit, utc_ms(2026, 3, 5, 10, 0));
        all_reports(a, &now);
        same_reports(&before, &now);
        member_state_as_folded(f, "a.db");
    } while ((folded = store_rollup_fold(a, 1)) > 0);
    assert_int_equal(folded, 0);
    summary(a, &q, &fa, &fp);
    assert_memory_equal(&fa, &ca, sizeof fa);
    assert_memory_equal(&fp, &pa, sizeof fp);
    rollups_as_rebuilt(f, "a.db");
    char path[256];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    sqlite3 *raw;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM roll_log", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);     /* all folded */
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

/* An indexed log folds in member order (rollup.c member_range), a few rows
 * at a time: the customers first in the log, cut at a customer or, for
 * one with more rows than the chunk, at a moment. After every chunk the
 * rollups are what a rebuild from the events makes, the member state is
 * roll_cust summed, and every report - the member reports for the shop
 * and for one till, the summary, segments, customers, tiers and rewards -
 * is the rebuilt shop's: members folded in part (a purchase folded, its
 * refund or void at another till still in the log) read right. */
static void test_member_order_fold(void **state)
{
    struct fx *f = *state;
    store *a = f->s;
    enum { PEOPLE = 9 };
    char id[PEOPLE][STORE_ID_LEN + 1];
    at(a, 2026, 1, 5, 9);
    for (int i = 0; i < PEOPLE; i++) {
        char name[16];
        snprintf(name, sizeof name, "M%d", i);
        enrol(f, a, name, NULL, 1, id[i]);
    }
    store *b = second_till(f, utc_ms(2026, 1, 5, 10, 0));
    store *c = open_db(f, "c.db", true);
    store_set_clock(c, utc_ms(2026, 1, 5, 11, 0));
    assert_int_equal(store_init_shop(c, "Kawiarnia", "PLN"), 0);
    sync_into(f, a, c);
    store *till[3] = { a, b, c };
    /* Some buy most days at all three tills, some twice; a few of the
     * purchases refunded in part or whole, or voided, days later at
     * another till, and one refund voided. */
    char ref[PEOPLE][48] = { { 0 } }, refund[48];
    for (int d = 0; d < 60; d++) {
        for (int i = 0; i < PEOPLE; i++) {
            if ((d * (i + 1)) % (i < 3 ? 1 : i) != 0)
                continue;
            store *t = till[(d + i) % 3];
            at(t, 2026, 1 + (6 + d) / 31, 1 + (6 + d) % 31, 9 + i % 8);
            buy(t, f->bar.id, id[i], 500 + 100 * i + d, d % 7 == 3 ? ref[i] : NULL);
            if (d % 7 != 5 || !ref[i][0])
                continue;
            store *o = till[(d + i + 1) % 3];
            sync_into(f, t, o);
            at(o, 2026, 1 + (6 + d) / 31, 1 + (6 + d) % 31, 18);
            struct store_result res;
            if (i % 3 == 0) {
                OK(o, store_void(o, f->m.id, ref[i], "wrong", NULL));
            } else {
                OK(o, store_refund(o, f->bar.id, ref[i], i % 3 == 1 ? 0 : 300, "back", &res));
                snprintf(refund, sizeof refund, "%s", res.ref);
                if (i == 4)
                    OK(o, store_void(o, f->m.id, refund, "kept it", NULL));
            }
            ref[i][0] = '\0';
        }
    }
    sync_into(f, b, a);
    sync_into(f, c, a);
    /* As a shop that has just joined: all of it in the log, each moment in
     * several rows (a unit of spend moved into each of the others), long
     * enough to keep its index for a while, and indexed. */
    char path[256], sql[600];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    int64_t logged = scalar(raw, "SELECT count(*) FROM roll_log");
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_cust"), 0);
    int64_t parts = 2500 / logged + 2, last = scalar(raw, "SELECT max(n) FROM roll_log");
    snprintf(sql, sizeof sql, "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < %lld)"
             " INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)"
             "  SELECT customer, wall, till, 0, 1, 1 FROM roll_log, i;"
             " UPDATE roll_log SET spend = spend - %lld, tspend = tspend - %lld WHERE n <= %lld;"
             " CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend)",
             (long long)parts - 1, (long long)parts - 1, (long long)parts - 1, (long long)last);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    int64_t rows = scalar(raw, "SELECT count(*) FROM roll_log");
    assert_true(rows > 2500);
    /* The reports of the shop rebuilt from its events (rollups_as_rebuilt
     * leaves it in rebuilt.db), for the shop and for till B. */
    rollups_as_rebuilt(f, "a.db");
    char copy[300];
    snprintf(copy, sizeof copy, "%s/rebuilt.db", f->dir);
    char err[512];
    store *r = store_open(copy, false, err, sizeof err);
    assert_non_null(r);
    static struct member_text want[2], got[2];
    static struct snapshot_all want_all, got_all;
    for (int k = 0; k < 2; k++)
        member_reports(r, k ? store_origin(b) : NULL, &want[k]);
    all_reports(r, &want_all);
    store_close(r);
    assert_non_null(strstr(want[0].buf, "seg"));
    /* Chunks of sizes that cut customers anywhere: smaller than a moment's
     * rows, than a customer's, and across several customers. */
    static const int sizes[] = { 7, 40, 3, 130, 25, 1, 61 };
    int chunks = 0, in_order = 0, moments = 0, folded;
    do {
        bool indexed = scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'") == 1;
        int64_t size = sizes[chunks % 7], left = scalar(raw, "SELECT count(*) FROM roll_log");
        folded = store_rollup_fold(a, (int)size);
        if (folded < 0)
            print_error("%s\n", store_error(a));
        assert_true(folded >= 0);
        chunks++;
        if (indexed && folded > 0) {
            /* In member order: no member folded past one still in the log. */
            assert_true(scalar(raw, "SELECT (SELECT max(customer) FROM roll_cust) <= coalesce((SELECT min(customer)"
                                    " FROM roll_log), (SELECT max(customer) FROM roll_cust))"));
            in_order++;
            moments += folded > size;       /* a moment of more rows than that, whole */
        } else {
            /* The oldest rows, as many as asked, however far apart their n. */
            assert_int_equal(folded, left < size ? left : size);
        }
        rollups_as_rebuilt(f, "a.db");
        member_state_as_folded(f, "a.db");
        for (int k = 0; k < 2; k++) {
            member_reports(a, k ? store_origin(b) : NULL, &got[k]);
            assert_string_equal(got[k].buf, want[k].buf);
        }
        all_reports(a, &got_all);
        same_reports(&want_all, &got_all);
    } while (folded > 0);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM roll_log"), 0);
    assert_int_equal(scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'"), 0);
    assert_true(in_order > 20 && moments > 0);
    /* A few rows far apart in n, as member order leaves them, are no long
     * log: not indexed (two rows of nothing). */
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO roll_log(n, customer, wall, till, visits, spend, tspend)"
                                       " VALUES(1000000, 'x', 1, 'y', 0, 0, 0), (1100000, 'x', 2, 'y', 0, 0, 0)",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_rollup_index(a), 0);
    assert_int_equal(store_rollup_fold(a, 1000), 2);
    sqlite3_close(raw);
    store_close(c);
    for (int k = 0; k < 2; k++) {
        free(want[k].buf);
        free(got[k].buf);
    }
}

/* The first and last hour of each period count, the hours just outside do
 * not: a sale (and points paid) at 00:30 the morning after --to belongs to
 * the next day. No
 * other test has a sale within the hour of a period's bounds, so totals
 * read from the wrong hour buckets went unnoticed. */
static void test_summary_period_bounds(void **state)
{
    struct fx *f = *state;
    store *s = f->s;
    char ana[13];
    at(s, 2026, 2, 1, 9);
    enrol(f, s, "Ana", NULL, 1, ana);
    store_set_clock(s, utc_ms(2026, 2, 18, 23, 30));
    buy(s, f->bar.id, ana, 300, NULL);              /* before the previous period */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    store_set_clock(s, utc_ms(2026, 2, 19, 0, 30));
    buy(s, f->bar.id, ana, 700, NULL);              /* previous period's first hour */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    store_set_clock(s, utc_ms(2026, 2, 28, 23, 30));
    buy(s, f->bar.id, ana, 1100, NULL);             /* previous period's last hour */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    store_set_clock(s, utc_ms(2026, 3, 1, 0, 30));
    buy(s, f->bar.id, ana, 2000, NULL);             /* this period's first hour */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    store_set_clock(s, utc_ms(2026, 3, 10, 23, 30));
    buy(s, f->bar.id, ana, 400, NULL);              /* this period's last hour */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    store_set_clock(s, utc_ms(2026, 3, 11, 0, 30));
    buy(s, f->bar.id, ana, 5000, NULL);             /* the morning after --to */
    OK(s, store_pay_points(s, f->bar.id, ana, 1, NULL));
    struct store_report_query q = period(s, "2026-03-01", "2026-03-10");
    struct store_summary c, p;
    summary(s, &q, &c, &p);
    assert_int_equal(c.sales, 2400);
    assert_int_equal(c.visits, 2);
    assert_int_equal(c.points_issued, 24);
    assert_int_equal(p.sales, 1800);
    assert_int_equal(p.visits, 2);
    assert_int_equal(p.points_issued, 18);
    /* The points paid with each purchase: the rewards report's roll_use. */
    struct reward_rows rr = { 0 };
    OK(s, store_report_rewards(s, &q, collect_reward, &rr));
    assert_non_null(reward_row(&rr, "points", NULL));
    assert_int_equal(reward_row(&rr, "points", NULL)->count, 2);
    assert_int_equal(reward_row(&rr, "points", NULL)->prev_count, 2);
}

/* Every number of the summary is described once (store/figures.c), so the
 * report and the dashboard cannot miss one, and each description reads its
 * own field. */
static void test_figures_describe_the_summary(void **state)
{
    (void)state;
    int n;
    const struct store_figure *f = store_figures(&n);
    size_t fields = sizeof(struct store_summary) / sizeof(int64_t);
    assert_int_equal((size_t)n, fields);
    struct store_summary s;
    int64_t *v = (int64_t *)&s;
    for (size_t i = 0; i < fields; i++)
        v[i] = 1000 + (int64_t)i;
    bool seen[64] = { false };
    assert_true(fields <= 64);
    for (int i = 0; i < n; i++) {
        assert_non_null(f[i].key);
        assert_non_null(f[i].label);
        assert_ptr_equal(store_figure(f[i].key), &f[i]);    /* keys are unique */
        assert_true(f[i].offset % sizeof(int64_t) == 0 && f[i].offset < sizeof s);
        size_t k = f[i].offset / sizeof(int64_t);
        assert_false(seen[k]);
        seen[k] = true;
        assert_int_equal(store_figure_value(&s, &f[i]), 1000 + (int64_t)k);
        assert_true(f[i].good >= -1 && f[i].good <= 1);
    }
    assert_int_equal(store_figure("nps")->kind, STORE_FIGURE_TENTHS);
    assert_int_equal(store_figure("purchase_frequency")->offset, offsetof(struct store_summary, frequency));
    assert_int_equal(store_figure("churn_rate")->good, -1);
    assert_null(store_figure("no such figure"));
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_periods),
        T(test_summary_basics),
        T(test_summary_period_bounds),
        T(test_summary_refunds_and_voids),
        T(test_summary_points_and_nps),
        cmocka_unit_test(test_figures_describe_the_summary),
        T(test_occasion_losers_never_count),
        T(test_segments),
        T(test_customers_rfm),
        T(test_lists_past_the_forgotten),
        T(test_rewards),
        T(test_tiers),
        T(test_staff_and_tills),
        T(test_overdrafts),
        T(test_day),
        T(test_lifespan_at_full_churn),
        T(test_segments_till_previous),
        T(test_day_rows_named),
        T(test_refunds_over_purchase),
        T(test_overdrafts_forgotten),
        T(test_overdrafts_either_side),
        T(test_joined_by_first_purchase),
        T(test_opening_and_negative_adjustments),
        T(test_at_risk_at_14_days),
        T(test_snapshot),
        T(test_snapshot_pair),
        T(test_seed),
        T(test_member_paths),
        T(test_overview_paths),
        T(test_overview_pair),
        T(test_bulk_fold),
        T(test_visits_per_day),
        T(test_rollups_as_rebuilt),
        T(test_member_order_fold),
        T(test_balance_months),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
