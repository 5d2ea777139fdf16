/* test_store.c - unit tests for store/: the event log, the loyalty rules
 * and replication between tills. Each test gets a fresh temporary folder
 * with its own databases and a fixed clock (TZ=UTC), so results are
 * deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <sodium.h>

#include "store/internal.h"
#include "store/store.h"
#include "util/util.h"

#define MIN_MS ((int64_t)60000)
#define MAXEV 512

/* Tuesday 2024-03-05 10:00 UTC. */
static int64_t T0;

static int64_t utc_ms(int y, int m, int d, int hh, int mm)
{
    return days_from_civil(y, m, d) * DAY_MS + hh * HOUR_MS + mm * MIN_MS;
}

/* --- fixture --------------------------------------------------------------- */

struct fx {
    char dir[64];
    store *s[4];                /* s[0] is the main till */
    struct store_staff m, b;    /* manager Mira, barista Bogdan (on s[0]) */
    struct store_customer c;    /* customer Ana, card AAAAAAA1 */
    struct store_event *ev;     /* MAXEV events of scratch space */
};

static store *open_at(struct fx *f, const char *file, bool create)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    store *s = store_open(path, create, err, sizeof err);
    if (!s)
        print_error("store_open %s: %s\n", path, err);
    assert_non_null(s);
    return s;
}

/* A new till with its own shop identity, its clock at now. */
static store *new_till(struct fx *f, const char *file, int64_t now)
{
    store *s = open_at(f, file, true);
    store_set_clock(s, now);
    assert_int_equal(store_init_shop(s, "Kawiarnia", "PLN"), 0);
    return s;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tally-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->ev = calloc(MAXEV, sizeof *f->ev);
    assert_non_null(f->ev);
    store *s = f->s[0] = new_till(f, "a.db", T0);
    assert_int_equal(store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "1234", &f->m), 0);
    assert_int_equal(store_staff_add(s, f->m.id, "Bogdan", ROLE_BARISTA, "5678", &f->b), 0);
    struct store_profile p = { .name = "Ana Nowak", .phone = "+48 600 100 200",
                               .card = "AAAAAAA1", .consent = 1 };
    assert_int_equal(store_customer_add(s, f->b.id, &p, &f->c), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 4; i++)
        store_close(f->s[i]);
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

/* --- helpers ---------------------------------------------------------------- */

/* A refused call: -1, a reason containing needle, and nothing written. */
static void check_refused(store *s, int rc, int64_t before, const char *needle)
{
    assert_int_equal(rc, -1);
    assert_true(store_error(s)[0] != '\0');
    if (needle && !strstr(store_error(s), needle)) {
        print_error("expected '%s' in: %s\n", needle, store_error(s));
        fail();
    }
    assert_int_equal(store_event_count(s), before);
}
#define REFUSED(s, call, needle) do { \
        int64_t n0_ = store_event_count(s); \
        int rc_ = (call); \
        check_refused((s), rc_, n0_, (needle)); \
    } while (0)

#define OK(call) do { \
        int rc_ = (call); \
        if (rc_ != 0) print_error("%s: %s\n", #call, store_error(f->s[0])); \
        assert_int_equal(rc_, 0); \
    } while (0)

static void set(store *s, const char *manager, const char *key, const char *value)
{
    int rc = store_setting_set(s, manager, key, value);
    if (rc != 0)
        print_error("setting %s=%s: %s\n", key, value, store_error(s));
    assert_int_equal(rc, 0);
}

static struct store_result earn(store *s, const char *staff, const char *cust,
                                int64_t amount, int items, const char *category)
{
    struct store_result r;
    struct store_earn e = { .amount = amount, .items = items, .category = category };
    int rc = store_earn(s, staff, cust, &e, &r);
    if (rc != 0)
        print_error("earn: %s\n", store_error(s));
    assert_int_equal(rc, 0);
    /* The purchase's messages, as the CLI drains them after a command. */
    assert_int_equal(store_message_drain(s, 0, NULL), 0);
    return r;
}

static struct store_customer cust(store *s, const char *id)
{
    struct store_customer c;
    assert_int_equal(store_customer_get(s, id, &c), 0);
    return c;
}

struct counter { int n; const char *kind; };
static int count_cb(const struct store_event *ev, void *arg)
{
    struct counter *c = arg;
    if (!c->kind || strstr(ev->data, c->kind))
        c->n++;
    return 0;
}
/* Events of a type (and, optionally, with kind in their data) of a customer. */
static int count_events(store *s, const char *customer, const char *type, const char *kind)
{
    struct counter c = { 0, kind };
    struct store_event_filter flt = { .customer = customer, .type = type };
    assert_int_equal(store_list_events(s, &flt, count_cb, &c), 0);
    return c.n;
}

static void digest_of(store *s, char out[65])
{
    assert_int_equal(store_digest(s, out), 0);
    assert_int_equal(strlen(out), 64);
}

static void same_digest(store *a, store *b)
{
    char da[65], db[65];
    digest_of(a, da);
    digest_of(b, db);
    assert_string_equal(da, db);
}

/* Applies every event `from` holds (of every origin) to `to`; none may be
 * refused. Returns how many were new. */
static int sync_into(struct fx *f, store *from, store *to)
{
    struct store_vv vv[16];
    enum store_apply res[MAXEV];
    char why[256];
    int nvv = store_version_vector(from, vv, 16), applied = 0;
    assert_true(nvv > 0);
    for (int i = 0; i < nvv; i++) {
        int n = store_read_events(from, vv[i].origin, 0, f->ev, MAXEV);
        assert_true(n > 0 && n < MAXEV);
        assert_int_equal(store_apply_events(to, f->ev, (size_t)n, res, why, sizeof why), 0);
        for (int j = 0; j < n; j++) {
            if (res[j] != STORE_APPLIED && res[j] != STORE_DUPLICATE)
                print_error("event %s:%lld refused: %s\n", f->ev[j].origin,
                            (long long)f->ev[j].seq, why);
            assert_true(res[j] == STORE_APPLIED || res[j] == STORE_DUPLICATE);
            applied += res[j] == STORE_APPLIED;
        }
    }
    return applied;
}

static void exchange(struct fx *f, store *a, store *b)
{
    sync_into(f, a, b);
    sync_into(f, b, a);
}

static int get_event_by_ref(store *s, const char *ref, struct store_event *ev)
{
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq;
    assert_int_equal(store_parse_event_ref(ref, origin, &seq), 0);
    return store_get_event(s, origin, seq, ev);
}

/* --- 1. opening ------------------------------------------------------------ */

static void test_init_reopen(void **state)
{
    struct fx *f = *state;
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    char origin[STORE_ORIGIN_LEN + 1];
    snprintf(origin, sizeof origin, "%s", store_origin(f->s[0]));
    assert_int_equal(strlen(origin), STORE_ORIGIN_LEN);
    int64_t n = store_event_count(f->s[0]);
    char d0[65];
    digest_of(f->s[0], d0);
    store_close(f->s[0]);

    f->s[0] = open_at(f, "a.db", false);
    store *s = f->s[0];
    store_set_clock(s, T0);
    assert_true(store_is_initialised(s));
    assert_string_equal(store_origin(s), origin);
    assert_string_equal(store_shop_name(s), "Kawiarnia");
    assert_string_equal(store_currency(s), "PLN");
    assert_int_equal(store_currency_digits(s), 2);
    assert_int_equal(store_event_count(s), n);
    char d1[65];
    digest_of(s, d1);
    assert_string_equal(d0, d1);
    struct store_staff who;
    assert_int_equal(store_staff_login(s, "mira", "1234", STORE_VIA_CLI, NULL, &who), 0);
    assert_string_equal(who.id, f->m.id);
    int64_t before = store_event_count(s);
    assert_int_equal(store_staff_login(s, "Mira", "9999", STORE_VIA_CLI, NULL, &who), -1);
    assert_non_null(strstr(store_error(s), "wrong"));
    assert_int_equal(store_event_count(s), before + 1);     /* recorded: login_failed */

    /* A second shop in the same file is refused. */
    REFUSED(s, store_init_shop(s, "Other", "EUR"), "already");
    assert_string_equal(store_origin(s), origin);

    /* No file and no create: refused with a reason. */
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    err[0] = '\0';
    assert_null(store_open(path, false, err, sizeof err));
    assert_true(err[0] != '\0');
    assert_int_equal(access(path, F_OK), -1);

    /* A fresh file is not a shop until init. */
    f->s[1] = open_at(f, "fresh.db", true);
    assert_false(store_is_initialised(f->s[1]));
}

static void test_newer_schema_refused(void **state)
{
    struct fx *f = *state;
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    store_close(f->s[0]);
    f->s[0] = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
}

/* --- 2. earning ------------------------------------------------------------ */

static void test_earn_points(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result r = earn(s, f->b.id, f->c.id, 1250, 0, NULL);
    assert_int_equal(r.points, 12);
    assert_int_equal(r.stamps, 1);
    assert_int_equal(r.credit, 0);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 12);
    assert_int_equal(c.stamps, 1);
    assert_int_equal(c.spend, 1250);
    assert_int_equal(c.visits, 1);
    assert_int_equal(c.first_visit, T0);
    assert_int_equal(c.last_visit, T0);

    struct store_event ev;
    assert_int_equal(get_event_by_ref(s, r.ref, &ev), 0);
    assert_string_equal(ev.type, "earn");
    assert_string_equal(ev.customer, f->c.id);
    assert_string_equal(ev.staff, f->b.id);
    assert_int_equal(ev.points, 12);
    assert_int_equal(ev.spend, 1250);

    set(s, f->m.id, "points.per_unit", "0.1");
    char v[32];
    assert_int_equal(store_setting_get(s, "points.per_unit", v, sizeof v), 0);
    assert_string_equal(v, "0.1");
    r = earn(s, f->b.id, f->c.id, 1250, 0, NULL);
    assert_int_equal(r.points, 1);
    assert_int_equal(cust(s, f->c.id).points, 13);

    /* Bad amounts and settings are refused, nothing written. */
    struct store_earn e = { .amount = 0 };
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, NULL), "amount");
    e.amount = -5;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, NULL), "amount");
    e.amount = 100;
    REFUSED(s, store_earn(s, "ffffffffffff", f->c.id, &e, NULL), NULL);
    REFUSED(s, store_earn(s, f->b.id, "ffffffffffff", &e, NULL), "no such customer");
    REFUSED(s, store_setting_set(s, f->b.id, "points.per_unit", "2"), "manager");
    REFUSED(s, store_setting_set(s, f->m.id, "points.per_unit", "-1"), NULL);
    REFUSED(s, store_setting_set(s, f->m.id, "no.such", "1"), "no setting");
    REFUSED(s, store_setting_set(s, f->m.id, "shop.currency", "EUR"), "currency");
}

/* Each setting in its range, their product is not: the program refuses a
 * rate that would earn more than 1000 points per unit of currency. */
static void test_earn_rate_bounded(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    REFUSED(s, store_setting_set(s, f->m.id, "points.per_unit", "1000000"), "per unit of currency");
    set(s, f->m.id, "tiers", "A:0:100");
    struct store_promo in = { .name = "Mega", .multiplier_milli = 10000, .start_minute = 0,
                              .end_minute = 1440 }, pr;
    OK(store_promo_add(s, f->m.id, &in, &pr));         /* 1 x 100 x 10 */
    REFUSED(s, store_setting_set(s, f->m.id, "points.per_unit", "2"), "per unit of currency");
    OK(store_promo_end(s, f->m.id, pr.id));
    set(s, f->m.id, "points.per_unit", "10");            /* 10 x 100 */
    REFUSED(s, store_setting_set(s, f->m.id, "points.per_unit", "10.001"), "per unit of currency");
    set(s, f->m.id, "tiers", "A:0:1,B:100:50");
    set(s, f->m.id, "points.per_unit", "20");
    REFUSED(s, store_setting_set(s, f->m.id, "tiers", "A:0:1,B:100:50.001,C:200:2"), "per unit of currency");
    REFUSED(s, store_promo_add(s, f->m.id, &in, &pr), "per unit of currency");
}

static store *second_till(struct fx *f);

/* Settings changed at two tills cut off from each other can still
 * multiply past the bound: an earn whose points would not fit is refused,
 * never recorded wrapped or absurd (issue 13, 6). */
static void test_earn_points_overflow_refused(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    store *b = second_till(f);
    set(b, f->m.id, "points.per_unit", "600");
    set(a, f->m.id, "tiers", "A:0:100");
    struct store_promo in = { .name = "Mega", .multiplier_milli = 10000, .start_minute = 0,
                              .end_minute = 1440 }, pr;
    OK(store_promo_add(a, f->m.id, &in, &pr));
    exchange(f, a, b);
    struct store_earn e = { .amount = 1000000000 };      /* 10,000,000.00 zł */
    REFUSED(a, store_earn(a, f->b.id, f->c.id, &e, NULL), "more than tally can record");
    e.amount = 100;     /* 1 zł x 600 x 100 x 10 */
    struct store_result r;
    OK(store_earn(a, f->b.id, f->c.id, &e, &r));
    assert_int_equal(r.points, 600000);
}

static void test_earn_stamps_and_cashback(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "stamps.per", "item");
    struct store_result r = earn(s, f->b.id, f->c.id, 900, 3, NULL);
    assert_int_equal(r.stamps, 3);
    assert_int_equal(cust(s, f->c.id).stamps, 3);

    set(s, f->m.id, "stamps.per", "purchase");
    set(s, f->m.id, "stamps.categories", "Coffee, Tea");
    r = earn(s, f->b.id, f->c.id, 900, 3, "coffee");
    assert_int_equal(r.stamps, 1);
    r = earn(s, f->b.id, f->c.id, 900, 3, "TEA");
    assert_int_equal(r.stamps, 1);
    r = earn(s, f->b.id, f->c.id, 900, 1, "cake");
    assert_int_equal(r.stamps, 0);
    assert_int_equal(r.points, 9);
    r = earn(s, f->b.id, f->c.id, 900, 1, NULL);
    assert_int_equal(r.stamps, 0);
    assert_int_equal(cust(s, f->c.id).stamps, 5);

    set(s, f->m.id, "stamps.categories", "");
    set(s, f->m.id, "cashback.percent", "2.5");
    r = earn(s, f->b.id, f->c.id, 4000, 0, NULL);
    assert_int_equal(r.credit, 100);
    assert_int_equal(r.points, 40);
    assert_int_equal(cust(s, f->c.id).credit, 100);
}

static void test_welcome_bonus(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    assert_int_equal(f->c.points, 0);
    set(s, f->m.id, "welcome.points", "50");
    struct store_profile p = { .name = "Ben", .card = "BBBBBBB1", .consent = -1 };
    struct store_customer c;
    OK(store_customer_add(s, f->b.id, &p, &c));
    assert_int_equal(c.points, 50);
    assert_int_equal(c.visits, 0);
    assert_int_equal(c.enrolled, T0);
    struct store_customer byc;
    assert_int_equal(store_customer_by_card(s, "BBBBBBB1", &byc), STORE_CARD_ACTIVE);
    assert_string_equal(byc.id, c.id);
    assert_int_equal(store_customer_by_card(s, "ZZZZZZZ9", &byc), STORE_CARD_UNKNOWN);
    /* A card can hold one customer only. */
    struct store_profile p2 = { .name = "Cleo", .card = "BBBBBBB1", .consent = -1 };
    REFUSED(s, store_customer_add(s, f->b.id, &p2, NULL), "card");
}

/* --- 3. tiers --------------------------------------------------------------- */

static void test_tiers(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "tiers", "Silver:0:1,Gold:100:2");
    set(s, f->m.id, "tier.window_days", "30");
    struct store_tier_status t;
    OK(store_customer_tier(s, f->c.id, &t));
    assert_string_equal(t.tier, "Silver");
    assert_string_equal(t.next, "Gold");
    assert_int_equal(t.to_next, 10000);

    struct store_result r = earn(s, f->b.id, f->c.id, 10000, 0, NULL);
    assert_int_equal(r.points, 100);
    assert_string_equal(r.tier_before, "Silver");
    assert_string_equal(r.tier_after, "Gold");
    OK(store_customer_tier(s, f->c.id, &t));
    assert_string_equal(t.tier, "Gold");
    assert_int_equal(t.multiplier_milli, 2000);
    assert_int_equal(t.to_next, 0);

    r = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    assert_int_equal(r.points, 20);

    /* 31 days later the spend has left the window. */
    store_set_clock(s, T0 + 31 * DAY_MS);
    OK(store_customer_tier(s, f->c.id, &t));
    assert_string_equal(t.tier, "Silver");
    assert_int_equal(t.window_spend, 0);
    r = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    assert_int_equal(r.points, 10);
    assert_int_equal(cust(s, f->c.id).points, 130);

    REFUSED(s, store_setting_set(s, f->m.id, "tiers", "Gold:100:2,Silver:0:1"), "rising");
    REFUSED(s, store_setting_set(s, f->m.id, "tiers", "Gold"), NULL);
}

/* --- 4. redeeming ----------------------------------------------------------- */

static void test_redeem(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_reward coffee, cake, muffin;
    OK(store_reward_add(s, f->m.id, "Coffee", 100, 0, &coffee));
    OK(store_reward_add(s, f->m.id, "Cake", 0, 5, &cake));
    REFUSED(s, store_reward_add(s, f->b.id, "Tea", 10, 0, NULL), "manager");
    REFUSED(s, store_reward_add(s, f->m.id, "Tea", 10, 5, NULL), NULL);
    REFUSED(s, store_reward_add(s, f->m.id, "coffee", 10, 0, NULL), "already");

    earn(s, f->b.id, f->c.id, 5000, 0, NULL);   /* 50 points, 1 stamp */
    struct store_result r;
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, coffee.id, NULL, &r), "not enough points");
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, cake.id, NULL, &r), "not enough stamps");
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, "Nothing", NULL, &r), NULL);

    earn(s, f->b.id, f->c.id, 6000, 0, NULL);   /* 110 points */
    OK(store_redeem(s, f->b.id, f->c.id, "COFFEE", NULL, &r));  /* by name */
    assert_int_equal(r.points, -100);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 10);
    assert_int_equal(c.spend, 11000);

    set(s, f->m.id, "stamps.per", "item");
    earn(s, f->b.id, f->c.id, 500, 4, NULL);    /* 5 stamps */
    assert_int_equal(cust(s, f->c.id).stamps, 6);
    OK(store_redeem(s, f->b.id, f->c.id, cake.id, NULL, &r));
    assert_int_equal(r.stamps, -5);
    assert_int_equal(r.points, 0);
    c = cust(s, f->c.id);
    assert_int_equal(c.stamps, 1);
    assert_int_equal(c.points, 15);

    OK(store_reward_add(s, f->m.id, "Muffin", 5, 0, &muffin));
    OK(store_reward_retire(s, f->m.id, muffin.id));
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, muffin.id, NULL, &r), "no longer offered");
    REFUSED(s, store_reward_retire(s, f->m.id, muffin.id), "already");
    assert_int_equal(cust(s, f->c.id).points, 15);
    assert_int_equal(count_events(s, f->c.id, "redeem", NULL), 2);
}

/* --- 5. paying -------------------------------------------------------------- */

static void test_pay_points_and_credit(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "points.pay_rate", "100");
    set(s, f->m.id, "cashback.percent", "2.5");
    earn(s, f->b.id, f->c.id, 25000, 0, NULL);  /* 250 points, 6.25 credit */
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 250);
    assert_int_equal(c.credit, 625);

    struct store_result r;
    OK(store_pay_points(s, f->b.id, f->c.id, 250, &r));
    assert_int_equal(r.discount, 250);
    assert_int_equal(r.points, -250);
    assert_int_equal(cust(s, f->c.id).points, 0);
    REFUSED(s, store_pay_points(s, f->b.id, f->c.id, 1, &r), "not enough points");
    REFUSED(s, store_pay_points(s, f->b.id, f->c.id, 0, &r), NULL);

    OK(store_pay_credit(s, f->b.id, f->c.id, 600, &r));
    assert_int_equal(r.discount, 600);
    assert_int_equal(r.credit, -600);
    assert_int_equal(cust(s, f->c.id).credit, 25);
    REFUSED(s, store_pay_credit(s, f->b.id, f->c.id, 26, &r), "credit");
    REFUSED(s, store_pay_credit(s, f->b.id, f->c.id, -1, &r), NULL);

    /* Points worth less than a grosz. */
    set(s, f->m.id, "points.pay_rate", "1000");
    earn(s, f->b.id, f->c.id, 500, 0, NULL);
    REFUSED(s, store_pay_points(s, f->b.id, f->c.id, 5, &r), "smallest coin");
    c = cust(s, f->c.id);
    assert_int_equal(c.points, 5);
    assert_int_equal(c.credit, 25 + 12);    /* 2.5% of 5.00, rounded down */
}

/* --- 6. refunds ------------------------------------------------------------- */

static void test_refund_proportional(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    assert_int_equal(e.points, 10);
    struct store_result r;
    int64_t taken = 0;
    OK(store_refund(s, f->b.id, e.ref, 333, "broken cup", &r));
    taken -= r.points;
    assert_int_equal(r.stamps, 0);
    OK(store_refund(s, f->b.id, e.ref, 333, NULL, &r));
    taken -= r.points;
    assert_int_equal(taken, 6);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.spend, 334);
    assert_int_equal(c.visits, 1);
    assert_int_equal(c.stamps, 1);

    REFUSED(s, store_refund(s, f->b.id, e.ref, 335, NULL, &r), "more than");
    OK(store_refund(s, f->b.id, e.ref, 0, NULL, &r));    /* the rest */
    taken -= r.points;
    assert_int_equal(taken, 10);
    assert_int_equal(r.stamps, -1);
    c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.stamps, 0);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
    REFUSED(s, store_refund(s, f->b.id, e.ref, 0, NULL, &r), "in full");
    REFUSED(s, store_refund(s, f->b.id, e.ref, 1, NULL, &r), NULL);
    assert_int_equal(count_events(s, f->c.id, "refund", NULL), 3);

    char ref2[48];
    snprintf(ref2, sizeof ref2, "%s:1", store_origin(s));
    REFUSED(s, store_refund(s, f->b.id, ref2, 0, NULL, &r), "only a purchase");
    REFUSED(s, store_refund(s, f->b.id, "nonsense", 0, NULL, &r), "event reference");
}

static void test_refund_cashback_and_stamps(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "cashback.percent", "10");
    set(s, f->m.id, "stamps.per", "item");
    struct store_result e = earn(s, f->b.id, f->c.id, 999, 3, NULL);
    assert_int_equal(e.points, 9);
    assert_int_equal(e.stamps, 3);
    assert_int_equal(e.credit, 99);
    struct store_result r;
    int64_t p = 0, st = 0, cr = 0;
    for (int i = 0; i < 9; i++) {
        OK(store_refund(s, f->b.id, e.ref, 111, "part", &r));
        p -= r.points;
        st -= r.stamps;
        cr -= r.credit;
        assert_true(p <= 9 && st <= 3 && cr <= 99);
    }
    assert_int_equal(p, 9);
    assert_int_equal(st, 3);
    assert_int_equal(cr, 99);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.stamps, 0);
    assert_int_equal(c.credit, 0);
    assert_int_equal(c.visits, 0);
}

/* --- 7. voids --------------------------------------------------------------- */

static void test_void_rules(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 2000, 0, NULL), r;
    /* Own transaction, 4 minutes later: the barista may undo it. */
    store_set_clock(s, T0 + 4 * MIN_MS);
    REFUSED(s, store_void(s, f->b.id, e.ref, "", &r), "reason");
    REFUSED(s, store_void(s, f->b.id, e.ref, NULL, &r), "reason");
    OK(store_void(s, f->b.id, e.ref, "wrong card", &r));
    assert_int_equal(r.points, -20);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
    assert_int_equal(c.stamps, 0);
    REFUSED(s, store_void(s, f->m.id, e.ref, "again", &r), "voided already");
    REFUSED(s, store_refund(s, f->b.id, e.ref, 0, NULL, &r), "voided");

    /* Six minutes after: only a manager. */
    e = earn(s, f->b.id, f->c.id, 3000, 0, NULL);
    store_set_clock(s, T0 + 10 * MIN_MS + 1);
    REFUSED(s, store_void(s, f->b.id, e.ref, "oops", &r), "manager");
    OK(store_void(s, f->m.id, e.ref, "oops", &r));
    assert_int_equal(cust(s, f->c.id).points, 0);

    /* Someone else's transaction: only a manager, even at once. */
    e = earn(s, f->m.id, f->c.id, 1500, 0, NULL);
    REFUSED(s, store_void(s, f->b.id, e.ref, "oops", &r), "manager");
    OK(store_void(s, f->m.id, e.ref, "oops", &r));

    /* A setting or an enrolment is not voidable. */
    char ref[48];
    snprintf(ref, sizeof ref, "%s:1", store_origin(s));
    REFUSED(s, store_void(s, f->m.id, ref, "no", &r), "cannot be voided");
    assert_int_equal(count_events(s, f->c.id, "void", NULL), 3);
    assert_int_equal(cust(s, f->c.id).points, 0);
}

static void test_void_after_partial_refund(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 1000, 0, NULL), r, rf;
    OK(store_refund(s, f->b.id, e.ref, 400, "one item back", &rf));
    assert_int_equal(rf.points, -4);
    OK(store_void(s, f->m.id, e.ref, "whole sale wrong", &r));
    assert_int_equal(r.points, -6);
    assert_int_equal(r.stamps, -1);
    struct store_event ev;
    assert_int_equal(get_event_by_ref(s, r.ref, &ev), 0);
    assert_int_equal(ev.spend, -600);
    assert_int_equal(ev.visits, -1);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
    assert_int_equal(c.stamps, 0);
}

static void test_void_of_refund_restores(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 1000, 0, NULL), r, rf;
    OK(store_refund(s, f->b.id, e.ref, 400, "mistake", &rf));
    OK(store_void(s, f->m.id, rf.ref, "refund was wrong", &r));
    assert_int_equal(r.points, 4);
    assert_int_equal(cust(s, f->c.id).points, 10);
    assert_int_equal(cust(s, f->c.id).spend, 1000);
    /* The whole purchase is refundable again, and no more. */
    REFUSED(s, store_refund(s, f->b.id, e.ref, 1001, NULL, &r), "more than");
    OK(store_refund(s, f->b.id, e.ref, 0, NULL, &r));
    assert_int_equal(r.points, -10);
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
}

/* Once a purchase is void, so are its refunds: voiding one of them would
 * bring back a sale that no longer is (issue 13, 1). */
static void test_void_of_refund_of_voided_purchase(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 4000, 0, NULL), rf, r;
    OK(store_refund(s, f->b.id, e.ref, 1500, "one back", &rf));
    OK(store_void(s, f->m.id, e.ref, "a", &r));
    REFUSED(s, store_void(s, f->m.id, rf.ref, "b", &r), "purchase this refund belongs to was voided");
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
}

/* --- 8. adjust -------------------------------------------------------------- */

static void test_adjust(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result r;
    REFUSED(s, store_adjust(s, f->b.id, f->c.id, 50, 0, "import", &r), "manager");
    REFUSED(s, store_adjust(s, f->m.id, f->c.id, 50, 0, NULL, &r), "reason");
    REFUSED(s, store_adjust(s, f->m.id, f->c.id, 50, 0, "   ", &r), "reason");
    REFUSED(s, store_adjust(s, f->m.id, f->c.id, 0, 0, "nothing", &r), NULL);
    OK(store_adjust(s, f->m.id, f->c.id, 50, 2, "old paper card", &r));
    assert_int_equal(r.points, 50);
    struct store_event ev;
    assert_int_equal(get_event_by_ref(s, r.ref, &ev), 0);
    assert_string_equal(ev.reason, "old paper card");
    assert_string_equal(ev.staff, f->m.id);
    OK(store_adjust(s, f->m.id, f->c.id, -20, -1, "typo", &r));
    struct store_customer c = cust(s, f->c.id);
    assert_int_equal(c.points, 30);
    assert_int_equal(c.stamps, 1);
    assert_int_equal(c.spend, 0);
    assert_int_equal(c.visits, 0);
}

/* --- 9. limits -------------------------------------------------------------- */

static void test_limit_per_day(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "limits.per_day", "2");
    earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    struct store_earn e = { .amount = 1000 };
    struct store_result r;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "limit");
    struct store_override bad = { .manager = f->b.id, .reason = "please" };
    e.override = &bad;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "manager");
    struct store_override noreason = { .manager = f->m.id, .reason = "" };
    e.override = &noreason;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "reason");
    struct store_override ov = { .manager = f->m.id, .reason = "office order for 12" };
    e.override = &ov;
    OK(store_earn(s, f->b.id, f->c.id, &e, &r));
    struct store_event ev;
    assert_int_equal(get_event_by_ref(s, r.ref, &ev), 0);
    assert_string_equal(ev.reason, "office order for 12");
    assert_non_null(strstr(ev.data, f->m.id));
    assert_int_equal(cust(s, f->c.id).points, 30);

    /* Redemptions count too, and the next day starts afresh. */
    struct store_reward rw;
    OK(store_reward_add(s, f->m.id, "Coffee", 10, 0, &rw));
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, rw.id, NULL, &r), "limit");
    store_set_clock(s, T0 + DAY_MS);
    OK(store_redeem(s, f->b.id, f->c.id, rw.id, NULL, &r));
    earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    e.override = NULL;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "limit");
}

static void test_limit_stamp_gap(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "limits.stamp_gap_minutes", "30");
    set(s, f->m.id, "stamps.categories", "coffee");
    earn(s, f->b.id, f->c.id, 1000, 0, "coffee");
    store_set_clock(s, T0 + 10 * MIN_MS);
    struct store_earn e = { .amount = 1000, .category = "coffee" };
    struct store_result r;
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "too soon");
    /* A purchase that earns no stamp is not held up. */
    struct store_result nostamp = earn(s, f->b.id, f->c.id, 1000, 0, "cake");
    assert_int_equal(nostamp.stamps, 0);
    struct store_override ov = { .manager = f->m.id, .reason = "second coffee for a friend" };
    e.override = &ov;
    OK(store_earn(s, f->b.id, f->c.id, &e, &r));
    assert_int_equal(r.stamps, 1);
    e.override = NULL;
    store_set_clock(s, T0 + 10 * MIN_MS + 29 * MIN_MS);
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "too soon");
    store_set_clock(s, T0 + 10 * MIN_MS + 30 * MIN_MS);
    OK(store_earn(s, f->b.id, f->c.id, &e, &r));
    assert_int_equal(cust(s, f->c.id).stamps, 3);
}

/* --- 10. expiry ------------------------------------------------------------- */

/* At `when`, expiry takes `want` points, and the customer has none left. */
static void all_expire_at(struct fx *f, store *s, int64_t when, int64_t want)
{
    store_set_clock(s, when);
    int64_t total = -1;
    OK(store_expire(s, NULL, &total));
    assert_int_equal(total, want);
    assert_int_equal(cust(s, f->c.id).points, 0);
}

/* A refund shrinks the purchase's own lot; it is not spending of old
 * points. Earn 100 on day 0 and 50 on day 20, refund the day-20 purchase:
 * on day 40 all 100 old points expire, not 50. */
static void test_expiry_refund_is_not_spending(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "points.expire_days", "30");
    earn(s, f->b.id, f->c.id, 10000, 0, NULL);
    store_set_clock(s, T0 + 20 * DAY_MS);
    struct store_result late = earn(s, f->b.id, f->c.id, 5000, 0, NULL), r;
    OK(store_refund(s, f->b.id, late.ref, 0, "returned", &r));
    assert_int_equal(cust(s, f->c.id).points, 100);
    all_expire_at(f, s, T0 + 40 * DAY_MS, 100);
}


static void test_expiry_oldest_first(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "points.expire_days", "30");
    earn(s, f->b.id, f->c.id, 10000, 0, NULL);              /* day 0: 100 */
    store_set_clock(s, T0 + 10 * DAY_MS);
    struct store_result r;
    OK(store_pay_points(s, f->b.id, f->c.id, 30, &r));     /* day 10: -30 */
    store_set_clock(s, T0 + 20 * DAY_MS);
    earn(s, f->b.id, f->c.id, 5000, 0, NULL);               /* day 20: 50 */
    assert_int_equal(cust(s, f->c.id).points, 120);

    int64_t total = -1;
    store_set_clock(s, T0 + 29 * DAY_MS);
    OK(store_expire(s, NULL, &total));
    assert_int_equal(total, 0);

    store_set_clock(s, T0 + 40 * DAY_MS);
    int64_t n = store_event_count(s);
    OK(store_expire(s, NULL, &total));
    assert_int_equal(total, 70);
    assert_int_equal(store_event_count(s), n + 1);
    assert_int_equal(cust(s, f->c.id).points, 50);
    assert_int_equal(count_events(s, f->c.id, "expire", NULL), 1);

    /* Again the same day: nothing. */
    store_set_clock(s, T0 + 40 * DAY_MS + HOUR_MS);
    OK(store_expire(s, f->c.id, &total));
    assert_int_equal(total, 0);
    OK(store_expire(s, NULL, &total));
    assert_int_equal(total, 0);
    assert_int_equal(store_event_count(s), n + 1);

    /* The next day nothing more is due; at day 51 the day-20 points go. */
    store_set_clock(s, T0 + 41 * DAY_MS);
    OK(store_expire(s, NULL, &total));
    assert_int_equal(total, 0);
    store_set_clock(s, T0 + 51 * DAY_MS);
    struct store_result e = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    assert_int_equal(e.expired_points, 50);
    assert_int_equal(cust(s, f->c.id).points, 10);
}

/* An import keeps, per customer, what is unspent of the points older than
 * the expiry cutoff, so as not to read the whole history again at each
 * purchase (ledger.c). It must expire what the counter would: a lot
 * partly refunded before it was kept, entering the window later; its own
 * expiry taken off; a purchase imported out of date order (older than the
 * cutoff kept); a voided payment. */
static void test_import_expiry_as_at_the_counter(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0], *w;
    char finished[65];
    int64_t added;
    set(s, f->m.id, "points.expire_days", "30");
    OK(store_import_begin(s, "", finished, &w));
    store_set_clock(w, T0);
    earn(w, f->b.id, f->c.id, 10000, 0, NULL);                  /* day 0: 100 */
    store_set_clock(w, T0 + 1 * DAY_MS);
    struct store_result paid, r;
    OK(store_pay_points(w, f->b.id, f->c.id, 100, &paid));     /* day 1: -100 */
    store_set_clock(w, T0 + 10 * DAY_MS);
    struct store_result day10 = earn(w, f->b.id, f->c.id, 5000, 0, NULL);     /* 50 */
    store_set_clock(w, T0 + 12 * DAY_MS);
    OK(store_refund(w, f->b.id, day10.ref, 2500, "half returned", &r));      /* -25 */
    /* Day 35, cutoff day 5: the 100 are spent, nothing is due. */
    store_set_clock(w, T0 + 35 * DAY_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 0);
    /* A purchase of day 3, later in the file: 20 older than that cutoff. */
    store_set_clock(w, T0 + 3 * DAY_MS);
    earn(w, f->b.id, f->c.id, 2000, 0, NULL);
    store_set_clock(w, T0 + 36 * DAY_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 20);
    /* Day 37, nothing due again; by day 45 what is left of the day-10 lot. */
    store_set_clock(w, T0 + 37 * DAY_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 0);
    store_set_clock(w, T0 + 45 * DAY_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 25);
    /* Day 46: nothing due; then the day-1 payment is voided, and its
     * 100 points come back as the day-0 lot's, due at once. */
    store_set_clock(w, T0 + 46 * DAY_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 0);
    OK(store_void(w, f->m.id, paid.ref, "paid by card after all", &r));
    store_set_clock(w, T0 + 46 * DAY_MS + HOUR_MS);
    assert_int_equal(earn(w, f->b.id, f->c.id, 1000, 0, NULL).expired_points, 100);
    OK(store_import_end(s, w, true, &added));
    assert_int_equal(count_events(s, f->c.id, "expire", NULL), 3);
}

/* --- 11. birthday and referral ----------------------------------------------- */

static void test_birthday_once_a_year(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "birthday.points", "100");
    struct store_profile p = { .name = "Bea", .card = "BBBBBBB2", .birthday = "1990-03-08",
                               .consent = -1 };
    struct store_customer c;
    OK(store_customer_add(s, f->b.id, &p, &c));
    assert_string_equal(c.birthday, "1990-03-08");
    struct store_result r = earn(s, f->b.id, c.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 100);
    assert_int_equal(cust(s, c.id).points, 110);
    store_set_clock(s, T0 + 2 * DAY_MS);
    r = earn(s, f->b.id, c.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 0);
    assert_int_equal(cust(s, c.id).points, 120);
    assert_int_equal(count_events(s, c.id, "bonus", "birthday"), 1);

    /* Outside the window: none; a year later: again. */
    store_set_clock(s, T0 + 30 * DAY_MS);
    r = earn(s, f->b.id, c.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 0);
    store_set_clock(s, utc_ms(2025, 3, 6, 12, 0));
    r = earn(s, f->b.id, c.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 100);
    assert_int_equal(count_events(s, c.id, "bonus", "birthday"), 2);
    /* Ana has no birthday: no bonus. */
    r = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 0);
}

static void test_referral_first_purchase_only(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "referral.points", "30");
    struct store_profile p = { .name = "Nell", .card = "NNNNNNN1", .referred_by = f->c.id,
                               .consent = -1 };
    struct store_customer n;
    OK(store_customer_add(s, f->b.id, &p, &n));
    assert_string_equal(n.referred_by, f->c.id);
    assert_int_equal(n.points, 0);
    assert_int_equal(cust(s, f->c.id).points, 0);
    struct store_result r = earn(s, f->b.id, n.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 30);
    assert_int_equal(cust(s, n.id).points, 40);
    assert_int_equal(cust(s, f->c.id).points, 30);
    r = earn(s, f->b.id, n.id, 1000, 0, NULL);
    assert_int_equal(r.bonus_points, 0);
    assert_int_equal(cust(s, n.id).points, 50);
    assert_int_equal(cust(s, f->c.id).points, 30);
    assert_int_equal(count_events(s, NULL, "bonus", NULL), 2);

    struct store_profile bad = { .name = "X", .card = "XXXXXXX1", .referred_by = "ffffffffffff",
                                 .consent = -1 };
    REFUSED(s, store_customer_add(s, f->b.id, &bad, NULL), "referring");
    struct store_profile edit = { .referred_by = n.id, .consent = -1 };
    REFUSED(s, store_customer_edit(s, f->b.id, f->c.id, &edit), NULL);
}

/* --- 12. coupons ------------------------------------------------------------ */

static void lower_dash(const char *code, char *out)
{
    int j = 0;
    for (int i = 0; code[i]; i++) {
        if (i == 4)
            out[j++] = '-';
        out[j++] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] - 'A' + 'a' : code[i]);
    }
    out[j] = '\0';
}

static void test_coupons(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_profile p = { .name = "Olek", .card = "OOOOOOO1", .consent = -1 };
    struct store_customer other;
    OK(store_customer_add(s, f->b.id, &p, &other));

    struct store_coupon_spec spec = { .customer = f->c.id, .discount = 500,
                                      .expires = T0 + 7 * DAY_MS };
    struct store_coupon cp;
    REFUSED(s, store_coupon_issue(s, f->b.id, &spec, &cp), "manager");
    spec.percent = 10;
    REFUSED(s, store_coupon_issue(s, f->m.id, &spec, &cp), "one thing");
    spec.percent = 0;
    spec.expires = T0 - 1;
    REFUSED(s, store_coupon_issue(s, f->m.id, &spec, &cp), "future");
    spec.expires = T0 + 7 * DAY_MS;
    OK(store_coupon_issue(s, f->m.id, &spec, &cp));
    assert_int_equal(strlen(cp.code), 8);
    assert_string_equal(cp.customer, f->c.id);

    char typed[16];
    lower_dash(cp.code, typed);
    struct store_coupon got;
    OK(store_coupon_get(s, typed, &got));
    assert_string_equal(got.code, cp.code);
    assert_int_equal(got.uses, 0);

    struct store_result r;
    REFUSED(s, store_coupon_redeem(s, f->b.id, cp.code, other.id, &r), "another customer");
    REFUSED(s, store_coupon_redeem(s, f->b.id, cp.code, NULL, &r), NULL);
    REFUSED(s, store_coupon_redeem(s, f->b.id, "K7QM-2XD", f->c.id, &r), "not a coupon");
    OK(store_coupon_redeem(s, f->b.id, typed, f->c.id, &r));
    assert_int_equal(r.discount, 500);
    OK(store_coupon_get(s, cp.code, &got));
    assert_int_equal(got.uses, 1);
    REFUSED(s, store_coupon_redeem(s, f->b.id, cp.code, f->c.id, &r), "used already");

    /* For anyone, but only until it expires. */
    struct store_coupon_spec any = { .percent = 15, .expires = T0 + DAY_MS };
    struct store_coupon cp2;
    OK(store_coupon_issue(s, f->m.id, &any, &cp2));
    store_set_clock(s, T0 + DAY_MS + 1);
    REFUSED(s, store_coupon_redeem(s, f->b.id, cp2.code, other.id, &r), "expired");
    store_set_clock(s, T0 + DAY_MS);
    OK(store_coupon_redeem(s, f->b.id, cp2.code, other.id, &r));
    assert_int_equal(count_events(s, NULL, "coupon_use", NULL), 2);
}

/* --- 13. promotions ----------------------------------------------------------- */

static void test_promo_window(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    /* 2024-03-05 is a Tuesday (Monday = 0 counting from a Thursday epoch). */
    assert_int_equal((days_from_civil(2024, 3, 5) + 3) % 7, 1);
    struct store_promo in = { .name = "Happy hours", .multiplier_milli = 2000, .days = 1 << 1,
                              .start_minute = 16 * 60, .end_minute = 18 * 60 };
    struct store_promo pr;
    REFUSED(s, store_promo_add(s, f->b.id, &in, &pr), "manager");
    struct store_promo bad = in;
    bad.multiplier_milli = 1000;
    REFUSED(s, store_promo_add(s, f->m.id, &bad, &pr), NULL);
    bad = in;
    bad.start_minute = 18 * 60;
    bad.end_minute = 16 * 60;
    REFUSED(s, store_promo_add(s, f->m.id, &bad, &pr), NULL);
    OK(store_promo_add(s, f->m.id, &in, &pr));

    struct { int64_t when; int64_t points; } cases[] = {
        { utc_ms(2024, 3, 5, 15, 59), 10 },
        { utc_ms(2024, 3, 5, 16, 0), 20 },
        { utc_ms(2024, 3, 5, 17, 59), 20 },
        { utc_ms(2024, 3, 5, 18, 0), 10 },
        { utc_ms(2024, 3, 6, 16, 30), 10 },     /* Wednesday */
        { utc_ms(2024, 3, 12, 16, 30), 20 },    /* next Tuesday */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        store_set_clock(s, cases[i].when);
        struct store_result r = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
        if (r.points != cases[i].points)
            print_error("case %zu\n", i);
        assert_int_equal(r.points, cases[i].points);
    }
    OK(store_promo_end(s, f->m.id, "happy HOURS"));
    store_set_clock(s, utc_ms(2024, 3, 19, 16, 30));
    assert_int_equal(earn(s, f->b.id, f->c.id, 1000, 0, NULL).points, 10);
    REFUSED(s, store_promo_end(s, f->m.id, pr.id), "no running");
}

/* --- tier perks (perks.c) ------------------------------------------------------ */

/* A reward kept for Gold and above: refused below it, with nothing
 * written and a message that says why; allowed from the purchase that
 * made the customer Gold on, also for Platinum; the redemption records
 * the tier it was allowed for. */
static void test_perk_reward_by_tier(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "tiers", "Silver:0:1,Gold:100:1,Platinum:300:1");
    struct store_reward up, any;
    REFUSED(s, store_reward_add_tier(s, f->m.id, "Upgrade", 1, 0, "Bronze", NULL), "no tier called 'Bronze'");
    OK(store_reward_add_tier(s, f->m.id, "Upgrade", 1, 0, "gold", &up));
    assert_string_equal(up.tier, "Gold");       /* as the tier list spells it */
    OK(store_reward_add(s, f->m.id, "Cookie", 1, 0, &any));
    assert_string_equal(any.tier, "");
    struct store_reward got;
    OK(store_reward_get(s, "upgrade", &got));
    assert_string_equal(got.tier, "Gold");

    earn(s, f->b.id, f->c.id, 5000, 0, NULL);   /* Silver, 50 points */
    struct store_result r;
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, up.id, NULL, &r),
            "Upgrade is a perk of Gold and the tiers above it; this customer is Silver");
    OK(store_redeem(s, f->b.id, f->c.id, any.id, NULL, &r));    /* an ordinary reward still goes */

    r = earn(s, f->b.id, f->c.id, 5000, 0, NULL);
    assert_string_equal(r.tier_after, "Gold");
    OK(store_redeem(s, f->b.id, f->c.id, "Upgrade", NULL, &r));
    struct store_event ev;
    OK(get_event_by_ref(s, r.ref, &ev));
    assert_non_null(strstr(ev.data, "\"tier\":\"Gold\""));

    earn(s, f->b.id, f->c.id, 20000, 0, NULL);  /* Platinum */
    OK(store_redeem(s, f->b.id, f->c.id, up.id, NULL, &r));

    /* Tiers renamed: a perk for a tier no longer listed is nobody's. */
    set(s, f->m.id, "tiers", "Bronze:0:1,Diamond:100:1");
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, up.id, NULL, &r), "perk of Gold");
    assert_int_equal(count_events(s, f->c.id, "redeem", NULL), 3);
}

/* A promotion kept for Gold counts for Gold members only, by the tier
 * the member had before the purchase (as the tier multiplier does). */
static void test_perk_promo_by_tier(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "tiers", "Silver:0:1,Gold:100:1.5");
    struct store_promo in = { .name = "Gold week", .multiplier_milli = 2000, .end_minute = 1440 }, pr;
    snprintf(in.tier, sizeof in.tier, "Platinum");
    REFUSED(s, store_promo_add(s, f->m.id, &in, &pr), "no tier called 'Platinum'");
    snprintf(in.tier, sizeof in.tier, "Gold");
    OK(store_promo_add(s, f->m.id, &in, &pr));
    assert_string_equal(pr.tier, "Gold");
    assert_true(store_promo_running(s, &pr));

    assert_int_equal(earn(s, f->b.id, f->c.id, 9000, 0, NULL).points, 90);   /* Silver: x1, no promotion */
    struct store_result r = earn(s, f->b.id, f->c.id, 2000, 0, NULL);        /* crosses into Gold */
    assert_string_equal(r.tier_after, "Gold");
    assert_int_equal(r.points, 20);             /* still Silver's purchase */
    assert_int_equal(earn(s, f->b.id, f->c.id, 1000, 0, NULL).points, 30);   /* Gold: x1.5 x2 */

    /* A promotion for everyone still counts for everyone. */
    struct store_profile p = { .name = "Ewa", .card = "EEEEEEE1" };
    struct store_customer ewa;
    OK(store_customer_add(s, f->b.id, &p, &ewa));
    struct store_promo all = { .name = "Happy day", .multiplier_milli = 1500, .end_minute = 1440 };
    OK(store_promo_add(s, f->m.id, &all, &pr));
    assert_int_equal(earn(s, f->b.id, ewa.id, 1000, 0, NULL).points, 15);
}

/* Till B of the same shop (its secret, its own origin), holding what A has. */
static store *joined_till(struct fx *f)
{
    unsigned char secret[STORE_SECRET_BYTES], pk[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    char shop[STORE_SHOP_ID_LEN + 1], origin[STORE_ORIGIN_LEN + 1];
    store *a = f->s[0], *b = f->s[1] = open_at(f, "b.db", true);
    store_set_clock(b, store_now(a));
    OK(store_shop_secret(a, secret));
    OK(store_shop_id(a, shop));
    OK(store_till_keys(a, pk, sk));
    store_random_origin(origin);
    OK(store_join_setup(b, shop, secret, origin, pk, sk, NULL));
    exchange(f, a, b);
    same_digest(a, b);
    return b;
}

struct coupon_count { int n; char code[16]; };
static int coupon_cb(const struct store_coupon *c, void *arg)
{
    struct coupon_count *cc = arg;
    cc->n++;
    snprintf(cc->code, sizeof cc->code, "%s", c->code);
    return 0;
}
static struct coupon_count coupons_of(store *s, const char *customer)
{
    struct coupon_count cc = { 0 };
    assert_int_equal(store_coupon_list(s, customer, coupon_cb, &cc), 0);
    return cc;
}

/* tier.entry: reaching Gold brings one coupon, with messages off. Two
 * tills cut off from each other both see Ana cross into Gold: both issue
 * it, under one code, so the shop holds one coupon with one use. Falling
 * back and climbing again brings none; Platinum brings its own. */
static void test_perk_entry_once_across_tills(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "tiers", "Silver:0:1,Gold:100:1,Platinum:300:1");
    struct store_reward up;
    OK(store_reward_add_tier(a, f->m.id, "Upgrade", 1, 0, "Gold", &up));
    REFUSED(a, store_setting_set(a, f->m.id, "tier.entry", "Bronze=reward:Upgrade"), "no tier called 'Bronze'");
    REFUSED(a, store_setting_set(a, f->m.id, "tier.entry", "Gold=reward:Upgrade,gold=coupon:5%"), "given twice");
    REFUSED(a, store_setting_set(a, f->m.id, "tier.entry", "Gold"), "TIER=OFFER");
    set(a, f->m.id, "tier.entry", "gold = reward:Upgrade, Platinum=coupon:20%");
    char shown[256];
    OK(store_setting_get(a, "tier.entry", shown, sizeof shown));
    assert_string_equal(shown, "Gold=reward:Upgrade,Platinum=coupon:20%");
    earn(a, f->b.id, f->c.id, 9000, 0, NULL);
    store *b = joined_till(f);
    /* The perk replicated with its tier: B refuses a Silver member too. */
    struct store_result r;
    REFUSED(b, store_redeem(b, f->b.id, f->c.id, "Upgrade", NULL, &r), "perk of Gold");

    store_set_clock(a, T0 + HOUR_MS);
    store_set_clock(b, T0 + HOUR_MS + MIN_MS);
    struct store_result ra = earn(a, f->b.id, f->c.id, 2000, 0, NULL);
    struct store_result rb = earn(b, f->b.id, f->c.id, 2000, 0, NULL);
    assert_string_equal(ra.tier_after, "Gold");
    assert_string_equal(rb.tier_after, "Gold");
    assert_int_equal(strlen(ra.tier_coupon), 8);
    assert_string_equal(ra.tier_coupon, rb.tier_coupon);
    assert_int_equal(count_events(a, NULL, "coupon", NULL), 1);
    assert_int_equal(count_events(b, NULL, "coupon", NULL), 1);

    exchange(f, a, b);
    same_digest(a, b);
    assert_int_equal(count_events(a, NULL, "coupon", NULL), 2);     /* both issued it... */
    struct coupon_count ca = coupons_of(a, f->c.id);
    assert_int_equal(ca.n, 1);                                          /* ...as one coupon */
    assert_string_equal(ca.code, ra.tier_coupon);
    struct store_coupon cp;
    OK(store_coupon_get(a, ra.tier_coupon, &cp));
    assert_string_equal(cp.reward, up.id);
    OK(store_coupon_redeem(a, f->b.id, ra.tier_coupon, f->c.id, &r));
    exchange(f, a, b);
    REFUSED(b, store_coupon_redeem(b, f->b.id, rb.tier_coupon, f->c.id, &r), "used already");

    /* The spend leaves the window (365 days): Silver again; back to Gold, no coupon. */
    store_set_clock(a, T0 + 400 * DAY_MS);
    earn(a, f->b.id, f->c.id, 5000, 0, NULL);
    r = earn(a, f->b.id, f->c.id, 6000, 0, NULL);
    assert_string_equal(r.tier_before, "Silver");
    assert_string_equal(r.tier_after, "Gold");
    assert_string_equal(r.tier_coupon, "");
    assert_int_equal(coupons_of(a, f->c.id).n, 1);
    /* Platinum's own entry coupon. */
    r = earn(a, f->b.id, f->c.id, 20000, 0, NULL);
    assert_string_equal(r.tier_after, "Platinum");
    assert_int_equal(strlen(r.tier_coupon), 8);
    OK(store_coupon_get(a, r.tier_coupon, &cp));
    assert_int_equal(cp.percent, 20);
    assert_int_equal(coupons_of(a, f->c.id).n, 2);
}

/* --- 14. customers ---------------------------------------------------------- */

struct found { int n; char ids[8][STORE_ID_LEN + 1]; };
static int found_cb(const struct store_customer *c, void *arg)
{
    struct found *fd = arg;
    if (fd->n < 8)
        snprintf(fd->ids[fd->n], sizeof fd->ids[0], "%s", c->id);
    fd->n++;
    return 0;
}
static struct found find(store *s, const char *q)
{
    struct found fd = { 0 };
    assert_true(store_customer_find(s, q, 10, found_cb, &fd) >= 0);
    return fd;
}

static void test_customer_validation(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_profile p = { .name = "Dup", .card = "DDDDDDD1", .phone = "+48600100200",
                               .consent = -1 };
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "phone");
    p.phone = "600 100 201";
    p.birthday = "2023-02-29";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "birthday");
    p.birthday = "2024-02-29";
    char name[128];
    memset(name, 'a', 101);
    name[101] = '\0';
    p.name = name;
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "name");
    p.name = "Bad \xff name";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "name");
    p.name = "Line\nbreak";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "name");
    p.name = "";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "name");
    p.name = name;
    name[100] = '\0';       /* exactly 100 is fine */
    p.email = "not-an-email";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "email");
    p.email = "dup@example.com";
    p.phone = "12";
    REFUSED(s, store_customer_add(s, f->b.id, &p, NULL), "phone");
    p.phone = "600 100 201";
    struct store_customer c;
    OK(store_customer_add(s, f->b.id, &p, &c));
    assert_string_equal(c.phone, "600100201");
    assert_string_equal(c.birthday, "2024-02-29");
    assert_int_equal(strlen(c.name), 100);
    /* Editing to someone else's number is refused too. */
    struct store_profile e = { .phone = "+48 600-100-201", .consent = -1 };
    REFUSED(s, store_customer_edit(s, f->b.id, f->c.id, &e), "phone");
    e.phone = "+48 600-100-200";    /* one's own number again is fine */
    OK(store_customer_edit(s, f->b.id, f->c.id, &e));
}

static void test_customer_find(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_customer l, st;
    struct store_profile p1 = { .name = "Łukasz Żółć", .card = "LLLLLLL1", .consent = -1 };
    struct store_profile p2 = { .name = "Ștefan Popescu", .card = "SSSSSSS1",
                                .phone = "+40 721 555 123", .consent = -1 };
    OK(store_customer_add(s, f->b.id, &p1, &l));
    OK(store_customer_add(s, f->b.id, &p2, &st));

    struct found fd = find(s, "lukasz");
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.ids[0], l.id);
    fd = find(s, "ZOLC");
    assert_int_equal(fd.n, 1);
    fd = find(s, "stefan");
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.ids[0], st.id);
    fd = find(s, "Ştefan");     /* cedilla, not comma below */
    assert_int_equal(fd.n, 1);
    fd = find(s, "721 555");
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.ids[0], st.id);
    fd = find(s, "600100");
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.ids[0], f->c.id);
    fd = find(s, "aaaa-aaa1");  /* card, typed loosely */
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.ids[0], f->c.id);
    fd = find(s, "nobody here");
    assert_int_equal(fd.n, 0);
    fd = find(s, "%%");
    assert_int_equal(fd.n, 0);
    assert_int_equal(store_customer_find(s, "a", 10, found_cb, &fd), -1);
}

struct pii_check { int n, with_pii; };
static int pii_cb(const struct store_event *ev, void *arg)
{
    struct pii_check *pc = arg;
    pc->n++;
    pc->with_pii += ev->pii[0] != '\0';
    return 0;
}

static void test_forget(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_profile e = { .email = "ana@example.com", .birthday = "1990-05-01",
                               .consent = -1 };
    OK(store_customer_edit(s, f->b.id, f->c.id, &e));
    earn(s, f->b.id, f->c.id, 4200, 0, NULL);
    struct pii_check pc = { 0 };
    struct store_event_filter flt = { .customer = f->c.id };
    OK(store_list_events(s, &flt, pii_cb, &pc));
    assert_int_equal(pc.n, 3);
    assert_int_equal(pc.with_pii, 2);

    OK(store_customer_forget(s, f->b.id, f->c.id));
    struct store_customer c = cust(s, f->c.id);
    assert_true(c.forgotten);
    assert_string_equal(c.name, "");
    assert_string_equal(c.phone, "");
    assert_string_equal(c.email, "");
    assert_string_equal(c.birthday, "");
    assert_int_equal(c.points, 42);
    assert_int_equal(c.spend, 4200);
    struct store_customer byc;
    assert_int_equal(store_customer_by_card(s, "AAAAAAA1", &byc), STORE_CARD_FORGOTTEN);
    assert_int_equal(find(s, "ana").n, 0);
    assert_int_equal(find(s, "600100").n, 0);

    pc = (struct pii_check){ 0 };
    OK(store_list_events(s, &flt, pii_cb, &pc));
    assert_int_equal(pc.n, 4);
    assert_int_equal(pc.with_pii, 0);
    char *json = NULL;
    OK(store_customer_export(s, f->c.id, &json));
    assert_null(strstr(json, "Ana"));
    assert_null(strstr(json, "600100200"));
    assert_null(strstr(json, "ana@example.com"));
    free(json);

    /* Everything after is refused, and the phone number is free again. */
    struct store_earn en = { .amount = 100 };
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &en, NULL), "forgotten");
    REFUSED(s, store_customer_edit(s, f->b.id, f->c.id, &e), "forgotten");
    REFUSED(s, store_customer_forget(s, f->b.id, f->c.id), "forgotten");
    struct store_profile again = { .name = "Ana N.", .phone = "600100200", .card = "AAAAAAA2",
                                   .consent = -1 };
    OK(store_customer_add(s, f->b.id, &again, NULL));

    /* The scrubbed events still validate at another till. */
    store *d = f->s[1] = new_till(f, "d.db", T0);
    int n = store_read_events(s, store_origin(s), 0, f->ev, MAXEV);
    assert_true(n > 0);
    for (int i = 0; i < n; i++)
        if (strcmp(f->ev[i].customer, f->c.id) == 0)
            assert_string_equal(f->ev[i].pii, "");
    enum store_apply res[MAXEV];
    char why[256];
    OK(store_apply_events(d, f->ev, (size_t)n, res, why, sizeof why));
    for (int i = 0; i < n; i++)
        assert_int_equal(res[i], STORE_APPLIED);
    c = cust(d, f->c.id);
    assert_true(c.forgotten);
    assert_string_equal(c.name, "");
    assert_int_equal(c.points, 42);
}

/* --- 15. replication ------------------------------------------------------------ */

/* A busy day at till A: settings, staff, a reward, customers, earns, a
 * redemption, a refund, a void, a coupon, a profile edit, a forget. */
static void busy_day(struct fx *f)
{
    store *a = f->s[0];
    struct store_result r, e1, e2;
    set(a, f->m.id, "cashback.percent", "1");
    set(a, f->m.id, "welcome.points", "5");
    set(a, f->m.id, "birthday.points", "20");
    struct store_reward rw;
    OK(store_reward_add(a, f->m.id, "Coffee", 30, 0, &rw));
    struct store_profile p = { .name = "Zoë", .card = "ZZZZZZZ1", .birthday = "03-06",
                               .referred_by = f->c.id, .consent = 1 };
    struct store_customer z;
    OK(store_customer_add(a, f->b.id, &p, &z));
    store_set_clock(a, T0 + HOUR_MS);
    e1 = earn(a, f->b.id, f->c.id, 4550, 2, "coffee");
    e2 = earn(a, f->b.id, z.id, 2000, 0, NULL);
    OK(store_redeem(a, f->b.id, f->c.id, rw.id, NULL, &r));
    OK(store_refund(a, f->b.id, e1.ref, 1000, "cold", &r));
    OK(store_void(a, f->b.id, e2.ref, "wrong card", &r));
    struct store_coupon_spec spec = { .discount = 300, .expires = T0 + 9 * DAY_MS };
    struct store_coupon cp;
    OK(store_coupon_issue(a, f->m.id, &spec, &cp));
    OK(store_coupon_redeem(a, f->b.id, cp.code, z.id, &r));
    struct store_profile ed = { .name = "Ana Kowalska", .consent = 0 };
    OK(store_customer_edit(a, f->b.id, f->c.id, &ed));
    OK(store_reward_retire(a, f->m.id, rw.id));
    struct store_profile g = { .name = "Gone", .card = "GGGGGGG1", .phone = "700800900",
                               .consent = 1 };
    struct store_customer gone;
    OK(store_customer_add(a, f->b.id, &g, &gone));
    earn(a, f->b.id, gone.id, 1000, 0, NULL);
    OK(store_customer_forget(a, f->m.id, gone.id));
}

static void test_replicate_two_tills(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    busy_day(f);
    store *b = f->s[1] = new_till(f, "b.db", T0 + 2 * HOUR_MS);
    assert_string_not_equal(store_origin(a), store_origin(b));
    char da[65], db[65];
    digest_of(a, da);
    digest_of(b, db);
    assert_string_not_equal(da, db);

    int n = store_read_events(a, store_origin(a), 0, f->ev, MAXEV);
    assert_int_equal(n, store_event_count(a));
    for (int i = 0; i < n; i++)
        assert_int_equal(f->ev[i].seq, i + 1);
    enum store_apply res[MAXEV];
    char why[256];
    OK(store_apply_events(b, f->ev, (size_t)n, res, why, sizeof why));
    for (int i = 0; i < n; i++)
        assert_int_equal(res[i], STORE_APPLIED);
    assert_string_equal(why, "");
    sync_into(f, b, a);
    same_digest(a, b);
    assert_int_equal(store_event_count(a), store_event_count(b));

    struct store_customer ca = cust(a, f->c.id), cb = cust(b, f->c.id);
    assert_int_equal(ca.points, cb.points);
    assert_int_equal(ca.stamps, cb.stamps);
    assert_int_equal(ca.spend, cb.spend);
    assert_string_equal(cb.name, "Ana Kowalska");
    assert_false(cb.consent);
    /* B can work with what it received: staff log in, cards resolve. */
    struct store_staff who;
    OK(store_staff_login(b, "Bogdan", "5678", STORE_VIA_CLI, NULL, &who));
    struct store_customer byc;
    assert_int_equal(store_customer_by_card(b, "AAAAAAA1", &byc), STORE_CARD_ACTIVE);
    assert_int_equal(store_customer_by_card(b, "GGGGGGG1", &byc), STORE_CARD_FORGOTTEN);
    earn(b, who.id, f->c.id, 1000, 0, NULL);
    sync_into(f, b, a);
    same_digest(a, b);

    /* The same batch again: all duplicates, nothing written. */
    int64_t count = store_event_count(b);
    OK(store_apply_events(b, f->ev, (size_t)n, res, why, sizeof why));
    for (int i = 0; i < n; i++)
        assert_int_equal(res[i], STORE_DUPLICATE);
    assert_int_equal(store_event_count(b), count);
    same_digest(a, b);
}

static void test_replicate_any_order(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    busy_day(f);
    store *b = f->s[1] = new_till(f, "b.db", T0 + 2 * HOUR_MS);
    store *c = f->s[2] = new_till(f, "c.db", T0 + 3 * HOUR_MS);
    exchange(f, a, b);
    same_digest(a, b);

    /* All of A's and B's events, shuffled, into C. */
    struct store_vv vv[8];
    int nvv = store_version_vector(a, vv, 8), n = 0;
    assert_int_equal(nvv, 2);
    for (int i = 0; i < nvv; i++)
        n += store_read_events(a, vv[i].origin, 0, f->ev + n, MAXEV - n);
    assert_int_equal(n, store_event_count(a));
    for (uint32_t seed = 1; seed <= 3; seed++) {
        uint32_t x = seed * 2654435761u;
        for (int i = n - 1; i > 0; i--) {
            x = x * 1664525u + 1013904223u;
            int j = (int)((x >> 8) % (uint32_t)(i + 1));
            struct store_event tmp = f->ev[i];
            f->ev[i] = f->ev[j];
            f->ev[j] = tmp;
        }
        enum store_apply res[MAXEV];
        char why[256];
        if (seed == 1) {
            /* In one batch. */
            OK(store_apply_events(c, f->ev, (size_t)n, res, why, sizeof why));
            for (int i = 0; i < n; i++)
                assert_int_equal(res[i], STORE_APPLIED);
        } else {
            /* Again, one by one, in another order: all duplicates. */
            for (int i = 0; i < n; i++) {
                OK(store_apply_events(c, &f->ev[i], 1, res, why, sizeof why));
                assert_int_equal(res[0], STORE_DUPLICATE);
            }
        }
    }
    sync_into(f, c, a);
    sync_into(f, c, b);
    same_digest(a, c);
    same_digest(b, c);

    /* And into a fourth till in another shuffled order, one by one. */
    store *d = f->s[3] = new_till(f, "d.db", T0 + 4 * HOUR_MS);
    n = 0;
    nvv = store_version_vector(a, vv, 8);
    assert_int_equal(nvv, 3);
    for (int i = 0; i < nvv; i++)
        n += store_read_events(a, vv[i].origin, 0, f->ev + n, MAXEV - n);
    for (int i = 0; i < n / 2; i++) {  /* newest first */
        struct store_event tmp = f->ev[i];
        f->ev[i] = f->ev[n - 1 - i];
        f->ev[n - 1 - i] = tmp;
    }
    for (int i = 0; i < n; i++) {
        enum store_apply res1;
        OK(store_apply_events(d, &f->ev[i], 1, &res1, NULL, 0));
        assert_int_equal(res1, STORE_APPLIED);
    }
    sync_into(f, d, a);
    sync_into(f, d, b);
    sync_into(f, d, c);
    same_digest(a, d);
    same_digest(c, d);
}

static void test_apply_rejects_bad_events(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    earn(a, f->b.id, f->c.id, 1000, 0, NULL);
    store *b = f->s[1] = new_till(f, "b.db", T0);
    int n = store_read_events(a, store_origin(a), 0, f->ev, MAXEV);
    assert_true(n >= 6);
    int iearn = n - 1;
    assert_string_equal(f->ev[iearn].type, "earn");

    enum store_apply res[4];
    char why[256];
    char d0[65], d1[65];
    digest_of(b, d0);
    int64_t count = store_event_count(b);
    struct store_event *bad = &f->ev[n];   /* scratch beyond the read */

    /* Tampered effect, hash kept. */
    *bad = f->ev[iearn];
    bad->points += 100;
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    assert_non_null(strstr(why, "hash"));
    /* Tampered customer id. */
    *bad = f->ev[iearn];
    bad->customer[0] = bad->customer[0] == 'a' ? 'b' : 'a';
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    /* Unknown type. */
    *bad = f->ev[iearn];
    snprintf(bad->type, sizeof bad->type, "teleport");
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    assert_non_null(strstr(why, "unknown event type"));
    /* An earn without a customer. */
    *bad = f->ev[iearn];
    bad->customer[0] = '\0';
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    assert_non_null(strstr(why, "customer"));
    /* A bad origin. */
    *bad = f->ev[iearn];
    snprintf(bad->origin, sizeof bad->origin, "XYZ");
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    assert_non_null(strstr(why, "origin"));
    /* seq 0, an effect out of range, data that is not JSON. */
    *bad = f->ev[iearn];
    bad->seq = 0;
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    *bad = f->ev[iearn];
    bad->points = INT64_MAX;
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    *bad = f->ev[iearn];
    snprintf(bad->data, sizeof bad->data, "{not json");
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    /* Personal data that does not match its hash. */
    int ienrol = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(f->ev[i].type, "enrol") == 0)
            ienrol = i;
    assert_true(ienrol >= 0);
    *bad = f->ev[ienrol];
    assert_non_null(strstr(bad->pii, "Ana"));
    char *at = strstr(bad->pii, "Ana");
    at[0] = 'E';
    OK(store_apply_events(b, bad, 1, res, why, sizeof why));
    assert_int_equal(res[0], STORE_REJECTED);
    assert_non_null(strstr(why, "personal"));

    assert_int_equal(store_event_count(b), count);
    digest_of(b, d1);
    assert_string_equal(d0, d1);
    struct store_vv vv[4];
    assert_int_equal(store_version_vector(b, vv, 4), 1);

    /* In a batch, a bad event is refused and the good ones still land. */
    struct store_event *batch = &f->ev[n + 1];
    batch[0] = f->ev[0];
    batch[1] = f->ev[iearn];
    batch[1].visits = 2;
    batch[2] = f->ev[1];
    OK(store_apply_events(b, batch, 3, res, why, sizeof why));
    assert_int_equal(res[0], STORE_APPLIED);
    assert_int_equal(res[1], STORE_REJECTED);
    assert_int_equal(res[2], STORE_APPLIED);
    assert_true(why[0] != '\0');
    assert_int_equal(store_event_count(b), count + 2);
}

/* A batch big enough that the store checks it ahead on a second thread:
 * every event is still checked, a bad one anywhere in it is refused with
 * its reason, and the till ends as one fed the same events one by one. */
static void test_apply_big_batch_checks_each(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "limits.per_day", "0");
    for (int i = 0; i < 400; i++)
        earn(a, f->b.id, f->c.id, 100 + i, 0, NULL);
    int n = store_read_events(a, store_origin(a), 0, f->ev, MAXEV);
    assert_true(n > 400 && n < MAXEV);
    int ienrol = -1;
    for (int i = 0; i < n && ienrol < 0; i++)
        if (strcmp(f->ev[i].type, "enrol") == 0)
            ienrol = i;
    assert_true(ienrol >= 0);
    /* Spoiled: near the start, in the middle, the enrolment's personal
     * data, and the very last event. */
    snprintf(f->ev[1].type, sizeof f->ev[1].type, "teleport");
    snprintf(f->ev[n / 2].data, sizeof f->ev[n / 2].data, "{not json");
    char *at = strstr(f->ev[ienrol].pii, "Ana");
    assert_non_null(at);
    at[0] = 'E';
    f->ev[n - 1].points += 1;

    store *b = f->s[1] = new_till(f, "b.db", T0);
    store *c = f->s[2] = new_till(f, "c.db", T0);
    enum store_apply res[MAXEV], one;
    char why[256], why1[256];
    OK(store_apply_events(b, f->ev, (size_t)n, res, why, sizeof why));
    assert_non_null(strstr(why, "unknown event type"));
    for (int i = 0; i < n; i++) {
        OK(store_apply_events(c, &f->ev[i], 1, &one, why1, sizeof why1));
        assert_int_equal(res[i], one);
        bool spoiled = i == 1 || i == n / 2 || i == ienrol || i == n - 1;
        assert_int_equal(res[i], spoiled ? STORE_REJECTED : STORE_APPLIED);
    }
    assert_int_equal(store_event_count(b), store_event_count(c));
    same_digest(b, c);
    /* Again: the good ones are held, the bad ones still refused. */
    OK(store_apply_events(b, f->ev, (size_t)n, res, why, sizeof why));
    for (int i = 0; i < n; i++) {
        bool spoiled = i == 1 || i == n / 2 || i == ienrol || i == n - 1;
        assert_int_equal(res[i], spoiled ? STORE_REJECTED : STORE_DUPLICATE);
    }
    same_digest(b, c);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, k, out), k);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_fork_detected(void **state)
{
    struct fx *f = *state;
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/a.db", f->dir);
    snprintf(pb, sizeof pb, "%s/restored.db", f->dir);
    /* A till restored from a backup that goes on under the same origin. */
    store_close(f->s[0]);
    copy_file(pa, pb);
    store *a = f->s[0] = open_at(f, "a.db", false);
    store *r = f->s[1] = open_at(f, "restored.db", false);
    assert_string_equal(store_origin(a), store_origin(r));
    store_set_clock(a, T0 + MIN_MS);
    store_set_clock(r, T0 + 2 * MIN_MS);
    struct store_result ea = earn(a, f->b.id, f->c.id, 1000, 0, NULL);
    struct store_result er = earn(r, f->b.id, f->c.id, 2000, 0, NULL);
    assert_string_equal(ea.ref, er.ref);

    struct store_event ev;
    OK(get_event_by_ref(r, er.ref, &ev));
    int64_t count = store_event_count(a);
    char d0[65], d1[65];
    digest_of(a, d0);
    enum store_apply res;
    char why[256];
    OK(store_apply_events(a, &ev, 1, &res, why, sizeof why));
    assert_int_equal(res, STORE_FORK);
    assert_non_null(strstr(why, "fork"));
    assert_int_equal(store_event_count(a), count);
    digest_of(a, d1);
    assert_string_equal(d0, d1);
    assert_int_equal(cust(a, f->c.id).points, 10);
    /* Seen again: still a fork, still nothing applied. */
    OK(store_apply_events(a, &ev, 1, &res, why, sizeof why));
    assert_int_equal(res, STORE_FORK);
    assert_int_equal(cust(a, f->c.id).points, 10);
}

static int64_t vv_of(store *s, const char *origin)
{
    struct store_vv vv[8];
    int n = store_version_vector(s, vv, 8);
    for (int i = 0; i < n; i++)
        if (strcmp(vv[i].origin, origin) == 0)
            return vv[i].seq;
    return 0;
}

static void test_version_vector_gaps(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    earn(a, f->b.id, f->c.id, 1000, 0, NULL);
    store *b = f->s[1] = new_till(f, "b.db", T0);
    const char *oa = store_origin(a);
    int n = store_read_events(a, oa, 0, f->ev, MAXEV);
    assert_int_equal(n, 6);
    assert_int_equal(vv_of(a, oa), n);
    assert_int_equal(vv_of(b, store_origin(b)), 2);
    assert_int_equal(vv_of(b, oa), 0);

    enum store_apply res[4];
    struct store_event three[3] = { f->ev[0], f->ev[1], f->ev[3] };  /* seq 1, 2, 4 */
    OK(store_apply_events(b, three, 3, res, NULL, 0));
    assert_int_equal(vv_of(b, oa), 2);
    OK(store_apply_events(b, &f->ev[2], 1, res, NULL, 0));        /* seq 3 */
    assert_int_equal(res[0], STORE_APPLIED);
    assert_int_equal(vv_of(b, oa), 4);
    /* A later gap: 6 without 5. */
    OK(store_apply_events(b, &f->ev[5], 1, res, NULL, 0));
    assert_int_equal(vv_of(b, oa), 4);
    /* Reading after the vector gives exactly what is missing. */
    int missing = store_read_events(a, oa, vv_of(b, oa), f->ev, MAXEV);
    assert_int_equal(missing, n - 4);
    assert_int_equal(f->ev[0].seq, 5);
    OK(store_apply_events(b, f->ev, (size_t)missing, res, NULL, 0));
    assert_int_equal(vv_of(b, oa), n);
    assert_int_equal(store_read_events(a, oa, n, f->ev, MAXEV), 0);
}

/* --- 16. concurrent once-per-occasion, LWW --------------------------------------- */

/* Till B that holds everything A has; both then work cut off. */
static store *second_till(struct fx *f)
{
    store *b = f->s[1] = new_till(f, "b.db", T0);
    exchange(f, f->s[0], b);
    same_digest(f->s[0], b);
    return b;
}

static void test_concurrent_void(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    struct store_result e = earn(a, f->b.id, f->c.id, 2500, 0, NULL), r;
    store_set_clock(a, T0 + MIN_MS);
    earn(a, f->b.id, f->c.id, 1000, 0, NULL);
    store *b = second_till(f);
    assert_int_equal(cust(b, f->c.id).points, 35);

    /* Cut off: each till voids the same earn. B's clock is later. */
    store_set_clock(a, T0 + 10 * MIN_MS);
    store_set_clock(b, T0 + 11 * MIN_MS);
    OK(store_void(b, f->m.id, e.ref, "till B", &r));
    OK(store_void(a, f->m.id, e.ref, "till A", &r));
    assert_int_equal(cust(a, f->c.id).points, 10);
    assert_int_equal(cust(b, f->c.id).points, 10);

    exchange(f, a, b);
    same_digest(a, b);
    struct store_customer ca = cust(a, f->c.id), cb = cust(b, f->c.id);
    assert_int_equal(ca.points, 10);
    assert_int_equal(cb.points, 10);
    assert_int_equal(ca.spend, 1000);
    assert_int_equal(ca.visits, 1);
    assert_int_equal(cb.visits, 1);
    assert_int_equal(ca.last_visit, T0 + MIN_MS);
    assert_int_equal(cb.last_visit, T0 + MIN_MS);
    assert_int_equal(count_events(a, f->c.id, "void", NULL), 2);
    /* Both tills agree it is voided. */
    REFUSED(a, store_void(a, f->m.id, e.ref, "third", &r), "voided already");
    REFUSED(b, store_void(b, f->m.id, e.ref, "third", &r), "voided already");
}

/* Both tills void the same full refund: each brings a visit back, at its
 * own time; only the earlier void may count, visit dates included. */
static void test_concurrent_void_of_refund(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    struct store_result e = earn(a, f->b.id, f->c.id, 1000, 0, NULL), rf, r;
    store_set_clock(a, T0 + MIN_MS);
    OK(store_refund(a, f->b.id, e.ref, 0, "returned", &rf));
    assert_int_equal(cust(a, f->c.id).visits, 0);
    store *b = second_till(f);
    store_set_clock(a, T0 + 10 * MIN_MS);
    store_set_clock(b, T0 + 11 * MIN_MS);
    OK(store_void(b, f->m.id, rf.ref, "refund by mistake (B)", &r));
    OK(store_void(a, f->m.id, rf.ref, "refund by mistake (A)", &r));
    assert_int_equal(cust(b, f->c.id).last_visit, T0 + 11 * MIN_MS);
    exchange(f, a, b);
    same_digest(a, b);
    struct store_customer ca = cust(a, f->c.id), cb = cust(b, f->c.id);
    assert_int_equal(ca.points, 10);
    assert_int_equal(ca.visits, 1);
    assert_int_equal(cb.visits, 1);
    assert_int_equal(ca.first_visit, T0);
    assert_int_equal(ca.last_visit, T0 + 10 * MIN_MS);
    assert_int_equal(cb.last_visit, T0 + 10 * MIN_MS);

    /* A third till gets both in one batch, B's first: B's void is applied,
     * then taken back when A's earlier one comes, in the same batch. */
    store *c = f->s[2] = new_till(f, "c.db", T0);
    int n = store_read_events(b, store_origin(b), 0, f->ev, MAXEV);
    assert_true(n > 0);
    n += store_read_events(a, store_origin(a), 0, f->ev + n, MAXEV - n);
    enum store_apply res[MAXEV];
    char why[256];
    OK(store_apply_events(c, f->ev, (size_t)n, res, why, sizeof why));
    same_digest(a, c);
    struct store_customer cc = cust(c, f->c.id);
    assert_int_equal(cc.visits, 1);
    assert_int_equal(cc.first_visit, T0);
    assert_int_equal(cc.last_visit, T0 + 10 * MIN_MS);
}

/* The day's sales and visits as the summary report gives them. */
static void day_sales(store *s, int64_t *sales, int64_t *visits, int64_t *issued)
{
    struct store_report_query q = { 0 };
    struct store_summary cur, prev;
    assert_int_equal(store_period_parse(s, "2024-03-05", "2024-03-05", NULL, NULL, &q.period), 0);
    assert_int_equal(store_report_summary(s, &q, &cur, &prev), 0);
    *sales = cur.sales;
    *visits = cur.visits;
    *issued = cur.points_issued;
}

/* Both tills, and a third that takes every event in reverse order, see
 * purchase e standing for nothing: no points, spend, visit or sale. */
static void purchase_counts_nothing(struct fx *f, store *a, store *b)
{
    exchange(f, a, b);
    same_digest(a, b);
    store *c = f->s[2] = new_till(f, "c.db", T0 + HOUR_MS);
    int n = 0;
    struct store_vv vv[8];
    int nvv = store_version_vector(a, vv, 8);
    for (int i = 0; i < nvv; i++)
        n += store_read_events(a, vv[i].origin, 0, f->ev + n, MAXEV - n);
    for (int i = n - 1; i >= 0; i--) {
        enum store_apply res;
        OK(store_apply_events(c, &f->ev[i], 1, &res, NULL, 0));
    }
    same_digest(a, c);
    store *tills[] = { a, b, c };
    for (int t = 0; t < 3; t++) {
        struct store_customer cu = cust(tills[t], f->c.id);
        assert_int_equal(cu.points, 0);
        assert_int_equal(cu.spend, 0);
        assert_int_equal(cu.visits, 0);
        assert_int_equal(cu.stamps, 0);
        int64_t sales, visits, issued;
        day_sales(tills[t], &sales, &visits, &issued);
        assert_int_equal(sales, 0);
        assert_int_equal(visits, 0);
        assert_int_equal(issued, 0);
    }
}

/* One till voids a purchase, another, cut off, voids its refund: the
 * purchase is void, with no sale and no points left (issue 13, 1). */
static void test_concurrent_void_and_void_of_refund(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    struct store_result e = earn(a, f->b.id, f->c.id, 4000, 0, NULL), rf, r;
    OK(store_refund(a, f->b.id, e.ref, 1500, "one back", &rf));
    store *b = second_till(f);
    store_set_clock(a, T0 + 10 * MIN_MS);
    store_set_clock(b, T0 + 11 * MIN_MS);
    OK(store_void(a, f->m.id, e.ref, "a", &r));
    OK(store_void(b, f->m.id, rf.ref, "b", &r));
    purchase_counts_nothing(f, a, b);
    assert_int_equal(count_events(a, f->c.id, "void", NULL), 2);
}

/* Partial refunds at two cut-off tills add up to more than the purchase:
 * both stand, the purchase counts for nothing below zero, and check tells
 * the manager of the refund over the purchase (issue 13, 5). */
static int findings_cb(enum store_check_level level, const char *msg, void *arg)
{
    char *all = arg;
    if (level != STORE_CHECK_OK)
        snprintf(all + strlen(all), 2048 - strlen(all), "%s\n", msg);
    return 0;
}

static void test_concurrent_refunds_over_purchase(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    struct store_result e = earn(a, f->b.id, f->c.id, 10000, 0, NULL), r;
    store *b = second_till(f);
    store_set_clock(a, T0 + 10 * MIN_MS);
    store_set_clock(b, T0 + 11 * MIN_MS);
    OK(store_refund(a, f->b.id, e.ref, 8000, "A", &r));
    OK(store_refund(b, f->b.id, e.ref, 8000, "B", &r));
    purchase_counts_nothing(f, a, b);
    assert_int_equal(count_events(a, f->c.id, "refund", NULL), 2);
    char found[2048] = "";
    assert_int_equal(store_check(a, findings_cb, found), 0);
    if (!strstr(found, "60.00 PLN more than")) {
        print_error("check said: %s\n", found);
        fail();
    }
    /* The months of the balances (roll_balance) add up, and check says
     * so when one does not. */
    char path[256];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE roll_balance SET points = points + 5 WHERE month ="
                                      " (SELECT max(month) FROM roll_balance)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    found[0] = '\0';
    assert_int_equal(store_check(a, findings_cb, found), 1);
    if (!strstr(found, "is not the sum of its months")) {
        print_error("check said: %s\n", found);
        fail();
    }
    /* ... and when the months are of an id no customer has. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE roll_balance SET points = points - 5 WHERE month ="
                                      " (SELECT max(month) FROM roll_balance);"
                                      " INSERT INTO roll_balance VALUES (1, 'nobody', 0, 0, 7)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    found[0] = '\0';
    assert_int_equal(store_check(a, findings_cb, found), 1);
    if (!strstr(found, "customer nobody: the balance (0 points, 0 stamps) is not the sum")) {
        print_error("check said: %s\n", found);
        fail();
    }
    /* Its tier spend is nothing, not -60.00 (tier.window_days: 365). */
    struct store_tier_status t;
    OK(store_customer_tier(a, f->c.id, &t));
    assert_int_equal(t.window_spend, 0);
    /* It is refunded in full: nothing more to refund. */
    REFUSED(a, store_refund(a, f->b.id, e.ref, 100, NULL, &r), "in full");
}

/* A purchase refunded beyond it at two cut-off tills shrinks its own lot to
 * nothing, not below: it does not eat another purchase's old points, which
 * all expire (issue 13, 5). */
static void test_expiry_after_refunds_over_purchase(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "points.expire_days", "30");
    earn(a, f->b.id, f->c.id, 10000, 0, NULL);
    struct store_result e = earn(a, f->b.id, f->c.id, 10000, 0, NULL), r;
    store *b = second_till(f);
    OK(store_refund(a, f->b.id, e.ref, 8000, "A", &r));
    OK(store_refund(b, f->b.id, e.ref, 8000, "B", &r));
    exchange(f, a, b);
    assert_int_equal(cust(a, f->c.id).points, 100);
    all_expire_at(f, a, T0 + 40 * DAY_MS, 100);
}

static void test_concurrent_birthday(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "birthday.points", "100");
    struct store_profile p = { .name = "Bea", .card = "BBBBBBB2", .birthday = "03-05",
                               .consent = -1 };
    struct store_customer c;
    OK(store_customer_add(a, f->b.id, &p, &c));
    store *b = second_till(f);
    store_set_clock(a, T0 + 2 * MIN_MS);
    store_set_clock(b, T0 + MIN_MS);
    struct store_result ra = earn(a, f->b.id, c.id, 1000, 0, NULL);
    struct store_result rb = earn(b, f->b.id, c.id, 2000, 0, NULL);
    assert_int_equal(ra.bonus_points, 100);
    assert_int_equal(rb.bonus_points, 100);
    exchange(f, a, b);
    same_digest(a, b);
    struct store_customer ca = cust(a, c.id), cb = cust(b, c.id);
    assert_int_equal(ca.points, 10 + 20 + 100);
    assert_int_equal(cb.points, 130);
    assert_int_equal(ca.visits, 2);
    assert_int_equal(count_events(a, c.id, "bonus", "birthday"), 2);
    /* A third earn at either till grants none. */
    store_set_clock(a, T0 + HOUR_MS);
    assert_int_equal(earn(a, f->b.id, c.id, 1000, 0, NULL).bonus_points, 0);
}

static void test_lww_profile(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    store *b = second_till(f);
    store_set_clock(a, T0 + 2 * MIN_MS);
    store_set_clock(b, T0 + 3 * MIN_MS);
    struct store_profile pa = { .name = "Anna from A", .email = "a@example.com", .consent = -1 };
    struct store_profile pb = { .name = "Anna from B", .consent = 0 };
    OK(store_customer_edit(a, f->b.id, f->c.id, &pa));
    OK(store_customer_edit(b, f->b.id, f->c.id, &pb));
    /* A setting changed at both tills. */
    set(a, f->m.id, "points.per_unit", "3");
    set(b, f->m.id, "points.per_unit", "2");
    exchange(f, a, b);
    same_digest(a, b);
    struct store_customer ca = cust(a, f->c.id), cb = cust(b, f->c.id);
    assert_string_equal(ca.name, "Anna from B");
    assert_string_equal(cb.name, "Anna from B");
    assert_string_equal(ca.email, "a@example.com");    /* only A set it */
    assert_false(ca.consent);
    char v[16];
    OK(store_setting_get(a, "points.per_unit", v, sizeof v));
    assert_string_equal(v, "2");
    /* Found by the winning name at both. */
    assert_int_equal(find(a, "from b").n, 1);
    assert_int_equal(find(a, "from a").n, 0);
    /* An edit made after hearing of B's wins, though A's wall clock is behind. */
    struct store_profile pa2 = { .name = "Anna again", .consent = -1 };
    OK(store_customer_edit(a, f->b.id, f->c.id, &pa2));
    exchange(f, a, b);
    assert_string_equal(cust(b, f->c.id).name, "Anna again");
    same_digest(a, b);
}

/* --- 17. overdraft ---------------------------------------------------------- */

static void test_overdraft(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    struct store_reward rw;
    OK(store_reward_add(a, f->m.id, "Cake", 80, 0, &rw));
    earn(a, f->b.id, f->c.id, 10000, 0, NULL);
    store *b = second_till(f);
    struct store_result r;
    store_set_clock(b, T0 + MIN_MS);
    OK(store_redeem(a, f->b.id, f->c.id, rw.id, NULL, &r));
    OK(store_redeem(b, f->b.id, f->c.id, rw.id, NULL, &r));
    exchange(f, a, b);
    same_digest(a, b);
    assert_int_equal(cust(a, f->c.id).points, -60);
    assert_int_equal(cust(b, f->c.id).points, -60);
    REFUSED(a, store_redeem(a, f->b.id, f->c.id, rw.id, NULL, &r), "not enough points");
    REFUSED(b, store_pay_points(b, f->b.id, f->c.id, 1, &r), "not enough points");
    /* Earning brings it back. */
    earn(a, f->b.id, f->c.id, 15000, 0, NULL);
    assert_int_equal(cust(a, f->c.id).points, 90);
    OK(store_redeem(a, f->b.id, f->c.id, rw.id, NULL, &r));
    assert_int_equal(cust(a, f->c.id).points, 10);
}

/* --- misc ------------------------------------------------------------------- */

static int fail_inside(store *s, void *arg)
{
    struct fx *f = arg;
    struct store_earn e = { .amount = 1000 };
    if (store_earn(s, f->b.id, f->c.id, &e, NULL) != 0)
        return -1;
    return -1;     /* change of mind: nothing must stay */
}
static int ok_inside(store *s, void *arg)
{
    struct fx *f = arg;
    struct store_earn e = { .amount = 1000 };
    if (store_earn(s, f->b.id, f->c.id, &e, NULL) != 0 ||
        store_earn(s, f->b.id, f->c.id, &e, NULL) != 0)
        return -1;
    return 0;
}

static void test_atomically(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    int64_t n = store_event_count(s);
    assert_int_equal(store_atomically(s, fail_inside, f), -1);
    assert_int_equal(store_event_count(s), n);
    assert_int_equal(cust(s, f->c.id).points, 0);
    OK(store_atomically(s, ok_inside, f));
    assert_int_equal(store_event_count(s), n + 2);
    assert_int_equal(cust(s, f->c.id).points, 20);
}

static void test_staff(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    assert_true(store_has_manager(s));
    REFUSED(s, store_staff_add(s, NULL, "Eve", ROLE_MANAGER, "1111", NULL), "manager");
    REFUSED(s, store_staff_add(s, f->b.id, "Eve", ROLE_BARISTA, "1111", NULL), "manager");
    REFUSED(s, store_staff_add(s, f->m.id, "Eve", ROLE_BARISTA, "12a4", NULL), "PIN");
    REFUSED(s, store_staff_add(s, f->m.id, "bogdan", ROLE_BARISTA, "1111", NULL), "already");
    REFUSED(s, store_staff_disable(s, f->m.id, "Mira"), "yourself");
    OK(store_staff_disable(s, f->m.id, "Bogdan"));
    struct store_staff who;
    assert_int_equal(store_staff_login(s, "Bogdan", "5678", STORE_VIA_CLI, NULL, &who), -1);
    assert_non_null(strstr(store_error(s), "wrong"));
    struct store_earn e = { .amount = 1000 };
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, NULL), "log in");
    /* The shop's first settings cannot be changed without a manager. */
    REFUSED(s, store_setting_set(s, NULL, "shop.name", "Mine"), "manager");
}

/* --- 17. known answers and the rules' edges ---------------------------------
 * Each of these catches a deliberate bug (tests/mutants) that every other
 * test let through. */

/* A fixed event: the same bytes always, nothing random, nothing personal
 * except a fixed pii. */
static struct store_event fixed_event(const char *type, int64_t seq, const char *customer)
{
    struct store_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.origin, sizeof ev.origin, "0000000a");
    ev.seq = seq;
    ev.wall = utc_ms(2024, 3, 5, 10, 0) + seq * MIN_MS;
    ev.hlc = ev.wall << 16;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.customer, sizeof ev.customer, "%s", customer ? customer : "");
    snprintf(ev.data, sizeof ev.data, "{}");
    return ev;
}

static void hex_of(const unsigned char *bin, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", bin[i]);
}

/* A sale as the format hashes it. If this test fails after a change to
 * the event hash (or to struct store_event's hashed fields), every event
 * already in every till's log stops verifying: make that change on
 * purpose, with a new "tally-event-vN" label and a migration, and then
 * paste the hex the failure prints ("got" side) below. */
static void test_event_hash_known_answer(void **state)
{
    (void)state;
    struct store_event ev = fixed_event("earn", 5, "0000000000c1");
    snprintf(ev.staff, sizeof ev.staff, "00000000000b");
    ev.points = 12;
    ev.stamps = 1;
    ev.credit = 31;
    ev.spend = 1250;
    ev.visits = 1;
    snprintf(ev.ref_origin, sizeof ev.ref_origin, "0000000b");
    ev.ref_seq = 3;
    snprintf(ev.occasion, sizeof ev.occasion, "birthday:0000000000c1:2024");
    snprintf(ev.reason, sizeof ev.reason, "zażółć");
    snprintf(ev.data, sizeof ev.data, "{\"category\":\"coffee\"}");
    for (int i = 0; i < 32; i++)
        ev.pii_hash[i] = (unsigned char)i;
    unsigned char h[32];
    char hex[65];
    event_hash(&ev, h);
    hex_of(h, 32, hex);
    assert_string_equal(hex, "48f4b8acd79aa2b4b71f9d7bc6eb8d3baee446863e268fd99ee8fb753a7310eb");
    memcpy(ev.hash, h, 32);
    assert_true(event_hash_ok(&ev));
    ev.points = 13;     /* any field it covers changes it */
    assert_false(event_hash_ok(&ev));
}

/* The digest of a fixed ledger (settings, an enrolment with personal data,
 * a sale) applied to an empty till. It fails when the digest's tables or
 * columns change, or when applying these events derives other balances:
 * tills of two versions would then never agree they are in sync. Make
 * such a change on purpose and paste the hex the failure prints below. */
static void test_digest_known_answer(void **state)
{
    struct fx *f = *state;
    static const char *const pii = "{\"name\":\"Ana Nowak\",\"salt\":\"00112233445566778899aabbccddeeff\"}";
    struct store_event ev[5];
    ev[0] = fixed_event("setting", 1, NULL);
    snprintf(ev[0].data, sizeof ev[0].data, "{\"key\":\"shop.name\",\"value\":\"Kawiarnia\"}");
    ev[1] = fixed_event("setting", 2, NULL);
    snprintf(ev[1].data, sizeof ev[1].data, "{\"key\":\"shop.currency\",\"value\":\"PLN\"}");
    ev[2] = fixed_event("setting", 3, NULL);
    snprintf(ev[2].data, sizeof ev[2].data, "{\"key\":\"welcome.points\",\"value\":\"10\"}");
    ev[3] = fixed_event("enrol", 4, "0000000000c1");
    snprintf(ev[3].data, sizeof ev[3].data, "{\"card\":\"E8YSD4HT\"}");
    snprintf(ev[3].pii, sizeof ev[3].pii, "%s", pii);
    crypto_generichash(ev[3].pii_hash, 32, (const unsigned char *)pii, strlen(pii), NULL, 0);
    ev[3].points = 10;
    ev[4] = fixed_event("earn", 5, "0000000000c1");
    ev[4].points = 12;
    ev[4].stamps = 1;
    ev[4].spend = 1250;
    ev[4].visits = 1;
    for (int i = 0; i < 5; i++)
        event_hash(&ev[i], ev[i].hash);

    store *empty = f->s[1] = open_at(f, "empty.db", true);
    enum store_apply res[5];
    char why[256] = "";
    OK(store_apply_events(empty, ev, 5, res, why, sizeof why));
    for (int i = 0; i < 5; i++) {
        if (res[i] != STORE_APPLIED)
            print_error("event %d: %s\n", i + 1, why);
        assert_int_equal(res[i], STORE_APPLIED);
    }
    char d[65];
    digest_of(empty, d);
    assert_string_equal(d, "9d847f88eefc4ae9230d2e37224b8b5bb4c72c748895aaf1b8ee28dc8944cead");
}

/* stamps.min_amount: 4.99 earns no stamp, 5.00 does. */
static void test_stamps_min_amount(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "stamps.min_amount", "5");
    assert_int_equal(earn(s, f->b.id, f->c.id, 499, 1, NULL).stamps, 0);
    assert_int_equal(earn(s, f->b.id, f->c.id, 500, 1, NULL).stamps, 1);
    assert_int_equal(cust(s, f->c.id).stamps, 1);
}

/* The tier window is exactly tier.window_days: a sale counts until the
 * last millisecond before that many days have passed, and not after. */
static void test_tier_window_edges(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "tiers", "Silver:0:1,Gold:100:2");
    set(s, f->m.id, "tier.window_days", "30");
    earn(s, f->b.id, f->c.id, 10000, 0, NULL);
    struct store_tier_status t;
    store_set_clock(s, T0 + 30 * DAY_MS - 1);
    OK(store_customer_tier(s, f->c.id, &t));
    assert_string_equal(t.tier, "Gold");
    store_set_clock(s, T0 + 30 * DAY_MS);
    OK(store_customer_tier(s, f->c.id, &t));
    assert_string_equal(t.tier, "Silver");
}

/* The tier window's sum is kept from one transaction to the next
 * (program.c): every way the sum can change behind it shows at the next
 * purchase. Gold is at 100 zł; each purchase's tier_before is the sum as
 * the kept window holds it. */
static void test_tier_window_kept(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "tiers", "Silver:0:1,Gold:100:2");
    earn(a, f->b.id, f->c.id, 5000, 0, NULL);
    assert_string_equal(earn(a, f->b.id, f->c.id, 1000, 0, NULL).tier_before, "Silver");     /* 50 zł */
    /* Another connection to the same file (the CLI beside the kiosk). */
    store *cli = f->s[2] = open_at(f, "a.db", false);
    store_set_clock(cli, T0);
    struct store_result other = earn(cli, f->b.id, f->c.id, 5000, 0, NULL), r;
    assert_string_equal(earn(a, f->b.id, f->c.id, 1000, 0, NULL).tier_before, "Gold");       /* 110 zł */
    /* A refund (a correction that settles the purchase's lot). */
    OK(store_refund(a, f->b.id, other.ref, 0, NULL, &r));
    assert_string_equal(earn(a, f->b.id, f->c.id, 1000, 0, NULL).tier_before, "Silver");     /* 70 zł */
    /* A purchase rolled back with the transaction around it. */
    OK(store_begin(a));
    earn(a, f->b.id, f->c.id, 5000, 0, NULL);
    store_rollback(a);
    assert_string_equal(earn(a, f->b.id, f->c.id, 1000, 0, NULL).tier_before, "Silver");     /* 80 zł */
    /* Another till's purchase, then its void, as they arrive. */
    store *b = second_till(f);
    other = earn(b, f->b.id, f->c.id, 1500, 0, NULL);
    exchange(f, a, b);
    assert_string_equal(earn(a, f->b.id, f->c.id, 500, 0, NULL).tier_before, "Gold");        /* 105 zł */
    OK(store_void(b, f->m.id, other.ref, "wrong customer", &r));
    exchange(f, a, b);
    assert_string_equal(earn(a, f->b.id, f->c.id, 1000, 0, NULL).tier_before, "Silver");     /* 95 zł */
    /* A purchase refunded in full at both tills while cut off counts for
     * nothing, not below (its correction: lot_adjust). */
    other = earn(b, f->b.id, f->c.id, 3000, 0, NULL);
    exchange(f, a, b);
    assert_string_equal(earn(a, f->b.id, f->c.id, 100, 0, NULL).tier_before, "Gold");        /* 135 zł */
    OK(store_refund(a, f->b.id, other.ref, 0, NULL, &r));
    OK(store_refund(b, f->b.id, other.ref, 0, NULL, &r));
    exchange(f, a, b);
    assert_string_equal(earn(a, f->b.id, f->c.id, 100, 0, NULL).tier_before, "Gold");        /* 106 zł */
    struct store_tier_status t;
    OK(store_customer_tier(a, f->c.id, &t));        /* outside a transaction: summed afresh */
    assert_int_equal(t.window_spend, 10700);
}

/* birthday.window_days: with the default 7, a birthday 7 days ahead or 7
 * days ago gives the bonus today (T0, 2024-03-05), 8 days either way does
 * not; set to 2, 2 days ahead does and 3 days does not. */
static void test_birthday_window_edges(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "birthday.points", "100");
    static const struct { const char *window, *birthday, *card; int64_t bonus; } cases[] = {
        { "7", "1990-03-12", "BBBBBBB3", 100 }, { "7", "1990-03-13", "BBBBBBB4", 0 },
        { "7", "1990-02-27", "BBBBBBB5", 100 }, { "7", "1990-02-26", "BBBBBBB6", 0 },
        { "2", "1990-03-07", "BBBBBBB7", 100 }, { "2", "1990-03-08", "BBBBBBB8", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set(s, f->m.id, "birthday.window_days", cases[i].window);
        struct store_profile p = { .name = "Bea", .card = cases[i].card,
                                   .birthday = cases[i].birthday, .consent = -1 };
        struct store_customer c;
        OK(store_customer_add(s, f->b.id, &p, &c));
        struct store_result r = earn(s, f->b.id, c.id, 1000, 0, NULL);
        if (r.bonus_points != cases[i].bonus)
            print_error("window %s, birthday %s\n", cases[i].window, cases[i].birthday);
        assert_int_equal(r.bonus_points, cases[i].bonus);
    }
}

/* Offline, points paid with `pay` count towards offline.redeem_limit. */
static void test_offline_limit_counts_pay(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "offline.redeem_limit", "20");
    earn(s, f->b.id, f->c.id, 5000, 0, NULL);  /* 50 points */
    struct store_reward rw;
    OK(store_reward_add(s, f->m.id, "Cookie", 10, 0, &rw));
    store_set_offline(s, true);
    struct store_result r;
    OK(store_pay_points(s, f->b.id, f->c.id, 15, &r));
    REFUSED(s, store_redeem(s, f->b.id, f->c.id, rw.id, NULL, &r), "offline");
    REFUSED(s, store_pay_points(s, f->b.id, f->c.id, 6, &r), "offline");
    OK(store_pay_points(s, f->b.id, f->c.id, 5, &r));
}

/* limits.per_day counts a payment with points and a coupon's use. */
static void test_limit_per_day_counts_pay_and_coupons(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "limits.per_day", "2");
    earn(s, f->b.id, f->c.id, 5000, 0, NULL);
    struct store_result r;
    OK(store_pay_points(s, f->b.id, f->c.id, 10, &r));
    struct store_earn e = { .amount = 1000 };
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "limit");

    store_set_clock(s, T0 + DAY_MS);
    struct store_coupon_spec spec = { .customer = f->c.id, .discount = 500,
                                      .expires = T0 + 7 * DAY_MS };
    struct store_coupon cp;
    OK(store_coupon_issue(s, f->m.id, &spec, &cp));
    OK(store_coupon_redeem(s, f->b.id, cp.code, f->c.id, &r));
    earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    REFUSED(s, store_earn(s, f->b.id, f->c.id, &e, &r), "limit");
}

/* A promotion for one category only multiplies that category's sales. */
static void test_promo_category_only(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_promo in = { .name = "Cake week", .multiplier_milli = 2000,
                              .start_minute = 0, .end_minute = 1440, .category = "Cake" };
    struct store_promo pr;
    OK(store_promo_add(s, f->m.id, &in, &pr));
    assert_int_equal(earn(s, f->b.id, f->c.id, 1000, 0, "coffee").points, 10);
    assert_int_equal(earn(s, f->b.id, f->c.id, 1000, 0, NULL).points, 10);
    assert_int_equal(earn(s, f->b.id, f->c.id, 1000, 0, "CAKE").points, 20);
}

/* A promotion runs from its first to its last day, both included. */
static void test_promo_date_range(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_promo in = { .name = "Two days", .multiplier_milli = 2000,
                              .start_minute = 0, .end_minute = 1440,
                              .from = "2024-03-06", .to = "2024-03-07" };
    struct store_promo pr;
    OK(store_promo_add(s, f->m.id, &in, &pr));
    static const struct { int day; int64_t points; } cases[] = {
        { 5, 10 }, { 6, 20 }, { 7, 20 }, { 8, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        store_set_clock(s, utc_ms(2024, 3, cases[i].day, 12, 0));
        struct store_result r = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
        if (r.points != cases[i].points)
            print_error("2024-03-%02d\n", cases[i].day);
        assert_int_equal(r.points, cases[i].points);
    }
}

/* undo.minutes (5): staff may undo their own sale 5 minutes on, not a
 * millisecond later. */
static void test_undo_window_edges(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_result e = earn(s, f->b.id, f->c.id, 1000, 0, NULL), r;
    store_set_clock(s, T0 + 5 * MIN_MS);
    OK(store_void(s, f->b.id, e.ref, "wrong card", &r));
    e = earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    store_set_clock(s, T0 + 10 * MIN_MS + 1);
    REFUSED(s, store_void(s, f->b.id, e.ref, "wrong card", &r), "manager");
}

/* --- messages to customers (messages.c) ------------------------------------ */

static int msg_count_cb(const struct store_message *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

static int coupon_count_cb(const struct store_coupon *c, void *arg)
{
    (void)c;
    (*(int *)arg)++;
    return 0;
}

/* Messages of a customer (NULL: all) with a trigger (NULL: any). */
static int messages_of(store *s, const char *customer, const char *trigger)
{
    int n = 0;
    struct store_message_filter flt = { .customer = customer, .status = -1, .trigger = trigger };
    assert_int_equal(store_message_list(s, &flt, msg_count_cb, &n), 0);
    return n;
}

static int first_message_cb(const struct store_message *m, void *arg)
{
    *(struct store_message *)arg = *m;
    return 1;
}

/* The newest message of a customer with a trigger; it must exist. */
static struct store_message message_of(store *s, const char *customer, const char *trigger)
{
    struct store_message m;
    memset(&m, 0, sizeof m);
    struct store_message_filter flt = { .customer = customer, .status = -1, .trigger = trigger };
    assert_int_equal(store_message_list(s, &flt, first_message_cb, &m), 1);
    return m;
}

static struct store_customer enrol(struct fx *f, const char *name, const char *card, int consent,
                                   const char *email, const char *consent_email, const char *language)
{
    struct store_profile p = { .name = name, .card = card, .consent = consent, .email = email,
                               .consent_email = consent_email, .language = language };
    struct store_customer c;
    OK(store_customer_add(f->s[0], f->b.id, &p, &c));
    return c;
}

/* A read leaves no statement open behind it: an open one would hold its
 * read snapshot, and the messenger (a long-running process) would not see
 * an opt-out another process wrote a moment ago until its next write. */
static void test_contact_and_template_reads_end(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0], *other = f->s[1] = open_at(f, "a.db", false);
    struct store_customer c = enrol(f, "Ola Otwarta", "OPENST01", 1, "ola@example.pl", "yes", "pl");
    store_release(s);       /* as a long-running process does at each turn */
    struct store_contact k;
    OK(store_customer_contact(s, c.id, &k));
    assert_true(k.email);
    /* Another process sets a template; this one reads it. */
    OK(store_template_set(other, f->m.id, TRIG_WELCOME, "pl", "Hej {name}", "Witaj"));
    char subject[128], body[256];
    bool custom = false;
    OK(store_template_get(s, TRIG_WELCOME, "pl", subject, sizeof subject, body, sizeof body, &custom));
    assert_true(custom);
    /* ... and the customer opts out there; this one sees it. */
    struct store_profile out = { .consent = -1, .consent_email = "no" };
    OK(store_customer_edit(other, f->b.id, c.id, &out));
    OK(store_customer_contact(s, c.id, &k));
    assert_false(k.email);
    OK(store_template_set(other, f->m.id, TRIG_WELCOME, "pl", NULL, NULL));
    OK(store_customer_contact(s, c.id, &k));
    OK(store_template_get(s, TRIG_WELCOME, "pl", subject, sizeof subject, body, sizeof body, &custom));
    assert_false(custom);
}

/* A customer opts out by replying STOP at one till; the other, the
 * sender, stops sending by that channel. An unsubscribe token is the
 * shop's: a changed or borrowed one is refused. */
static void test_opt_out_by_reply(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "messages.welcome", "1");
    struct store_profile p = { .name = "Stefa Stop", .card = "STOPCRD1", .phone = "+48 600 300 400", .consent = 1,
                               .email = "Stefa@Example.pl", .consent_sms = "yes", .consent_email = "yes" };
    struct store_customer c;
    OK(store_customer_add(a, f->b.id, &p, &c));
    assert_true(store_reply_is_stop("STOP"));
    assert_true(store_reply_is_stop("  Stop."));
    assert_true(store_reply_is_stop("nie"));
    assert_true(store_reply_is_stop("Leiratkozás"));
    assert_true(store_reply_is_stop("unsubscribe 1234-abcd"));
    assert_false(store_reply_is_stop("stopping by at noon"));
    assert_false(store_reply_is_stop("Dziękuję"));
    assert_false(store_reply_is_stop(""));
    store *b = f->s[1] = new_till(f, "b.db", T0);
    sync_into(f, a, b);
    int n = -1;
    OK(store_message_opt_out(b, "sms", "600300400", &n));
    assert_int_equal(n, 1);
    OK(store_message_opt_out(b, "sms", "+48600300400", &n));
    assert_int_equal(n, 0);                         /* a second STOP changes nothing */
    REFUSED(b, store_message_opt_out(b, "sms", "12", &n), "phone number");
    sync_into(f, b, a);
    struct store_contact k;
    OK(store_customer_contact(a, c.id, &k));
    assert_false(k.sms);
    assert_true(k.email);
    assert_string_equal(k.sms_by, "");              /* the customer did it */
    /* The welcome was queued by e-mail; by SMS it would now be held back. */
    struct store_message m = message_of(a, c.id, "welcome");
    snprintf(m.channel, sizeof m.channel, "%s", "sms");
    struct store_msg_verdict v;
    OK(store_message_verdict(a, &m, T0, 0, &v));
    assert_int_equal(v.status, MSG_SUPPRESSED);
    assert_string_equal(v.reason, STORE_REASON_OPTED_OUT);
    /* The one-click link: this shop's token works once; another shop's,
     * a changed one, or one moved to another customer do not. */
    char token[STORE_UNSUBSCRIBE_TOKEN_LEN + 1], other[STORE_UNSUBSCRIBE_TOKEN_LEN + 1];
    OK(store_unsubscribe_token(a, c.id, token));
    OK(store_unsubscribe_token(b, c.id, other));
    REFUSED(a, store_message_unsubscribe(a, other, &n), "not an unsubscribe token");
    char changed[STORE_UNSUBSCRIBE_TOKEN_LEN + 1];
    snprintf(changed, sizeof changed, "%s", token);
    changed[strlen(changed) - 1] = changed[strlen(changed) - 1] == '0' ? '1' : '0';
    REFUSED(a, store_message_unsubscribe(a, changed, &n), "not an unsubscribe token");
    char moved[STORE_UNSUBSCRIBE_TOKEN_LEN + 8];
    snprintf(moved, sizeof moved, "%s%s", f->c.id, strchr(token, '-'));
    REFUSED(a, store_message_unsubscribe(a, moved, &n), "not an unsubscribe token");
    OK(store_message_unsubscribe(a, token, &n));
    assert_int_equal(n, 1);
    OK(store_message_unsubscribe(a, token, &n));
    assert_int_equal(n, 0);
    OK(store_customer_contact(a, c.id, &k));
    assert_false(k.email);
    /* By address, in any case: nobody left with the consent. */
    OK(store_message_opt_out(a, "email", "stefa@example.PL", &n));
    assert_int_equal(n, 0);
}

/* An imported customer is not new to the shop, only to tally: no welcome
 * bonus and no welcome message, whatever the program says. */
static void test_import_no_welcome(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "welcome.points", "50");
    set(s, f->m.id, "messages.welcome", "1");
    struct store_profile p = { .name = "Iza Import", .card = "IMPORTC1", .consent = 1 };
    struct store_customer c;
    OK(store_customer_import(s, f->m.id, &p, 7, 0, &c));
    assert_int_equal(c.points, 7);                  /* the opening balance alone */
    assert_int_equal(messages_of(s, c.id, "welcome"), 0);
    /* An enrolment at the counter still gets both. */
    struct store_customer n = enrol(f, "Nina Nowa", "IMPORTC2", 1, NULL, NULL, NULL);
    assert_int_equal(n.points, 50);
    assert_int_equal(messages_of(s, n.id, "welcome"), 1);
}

struct import_rows { struct fx *f; struct store_customer c; bool bad; };

static int import_rows_fn(store *w, void *arg)
{
    struct import_rows *a = arg;
    struct store_profile p = { .name = "Olga Stara", .card = "IMPORTC3", .consent = 1 };
    if (store_customer_import(w, a->f->m.id, &p, 0, 0, &a->c) != 0)
        return -1;
    /* Purchases of last year: tier messages are on, but history is news
     * to nobody; and 30 in a day pass no abuse limit. */
    for (int i = 0; i < 30; i++) {
        store_set_clock(w, T0 - 300 * DAY_MS + i * MIN_MS);
        struct store_earn e = { .amount = 10000 };
        if (store_earn(w, a->f->m.id, a->c.id, &e, NULL) != 0)
            return -1;
    }
    store_set_clock(w, 0);
    return a->bad ? -1 : 0;
}

/* An import works on a copy under an origin of its own: nothing reaches
 * the ledger until it ends well, then all of it does. */
static void test_import_work_copy(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "messages.tier", "1");
    set(s, f->m.id, "limits.per_day", "5");
    int64_t before = store_event_count(s), added;
    char finished[65];
    store *w;
    struct import_rows a = { .f = f, .bad = true };
    /* A bad row: nothing, and the next import starts afresh. */
    OK(store_import_begin(s, "", finished, &w));
    assert_non_null(w);
    assert_int_equal(store_atomically(w, import_rows_fn, &a), -1);
    OK(store_import_end(s, w, false, &added));
    assert_int_equal(store_event_count(s), before);
    a.bad = false;
    OK(store_import_begin(s, "", finished, &w));
    assert_string_equal(finished, "");
    /* Another import meanwhile is refused. */
    store *s2 = open_at(f, "a.db", false), *w2;
    REFUSED(s2, store_import_begin(s2, "", finished, &w2), "another import");
    OK(store_import_end(s2, NULL, false, &added));
    store_close(s2);
    OK(store_atomically(w, import_rows_fn, &a));
    /* A sale at the counter while the import works: the ledger is free. */
    earn(s, f->b.id, f->c.id, 500, 0, NULL);
    struct store_customer none;
    assert_int_not_equal(store_customer_get(s, a.c.id, &none), 0);
    OK(store_import_end(s, w, true, &added));
    assert_int_equal(added, 31);                    /* the enrolment, 30 purchases */
    struct store_customer c = cust(s, a.c.id);
    assert_int_equal(c.visits, 30);
    assert_int_equal(c.spend, 300000);
    assert_int_equal(messages_of(s, a.c.id, NULL), 0);
    assert_int_equal(store_event_count(s), before + 1 + 31);
    /* Its events are under an origin of their own, and listed now. */
    struct store_event ev;
    OK(store_get_event(s, store_origin(s), 1, &ev));
    struct store_vv vv[8];
    assert_int_equal(store_version_vector(s, vv, 8), 2);
}

struct import_history { struct fx *f; int purchases; struct store_customer c; };

static int import_history_fn(store *w, void *arg)
{
    struct import_history *a = arg;
    struct store_profile p = { .name = "Paula Długa", .card = "IMPORTC4", .consent = 1 };
    if (store_customer_import(w, a->f->m.id, &p, 0, 0, &a->c) != 0)
        return -1;
    for (int i = 0; i < a->purchases; i++) {
        store_set_clock(w, T0 - 200 * DAY_MS + i * 10 * MIN_MS);
        struct store_earn e = { .amount = 100 };
        if (store_earn(w, a->f->m.id, a->c.id, &e, NULL) != 0)
            return -1;
    }
    store_set_clock(w, 0);
    return 0;
}

static int count_events_cb(const struct store_event *ev, void *arg)
{
    (void)ev;
    (*(int *)arg)++;
    return 0;
}

static int check_said_cb(enum store_check_level level, const char *msg, void *arg)
{
    char *said = arg;
    if (level != STORE_CHECK_OK && strlen(said) + strlen(msg) + 2 < 4096) {
        strcat(said, msg);
        strcat(said, "\n");
    }
    return 0;
}

/* Killed after its seal, while its events were being added, and its work
 * copy lost since: what is in stays out of sync and of the event list,
 * 'tally check' says what to run, and that adds the rest, each event
 * once, in batches (more than one here), without the copy. */
static void test_import_resume(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    char finished[65], origin[STORE_ORIGIN_LEN + 1], path[256];
    int64_t added, before = store_event_count(s);
    store *w;
    struct import_history a = { .f = f, .purchases = 2099 };
    OK(store_import_begin(s, "", finished, &w));
    OK(store_atomically(w, import_history_fn, &a));
    snprintf(origin, sizeof origin, "%s", store_origin(w));
    int64_t events = store_max_seq(w, origin);
    assert_int_equal(events, 2100);
    /* Sealed, then killed after adding 10 of its events. */
    OK(import_seal(s, w, true));
    OK(import_add(s, 10, &added));
    assert_int_equal(added, 10);
    assert_int_equal(store_event_count(s), before + 10);
    /* None of it for other tills, nor in the list of events. */
    struct store_vv vv[8];
    assert_int_equal(store_version_vector(s, vv, 8), 1);
    assert_int_equal(store_read_events(s, origin, 0, f->ev, 10), 0);
    int listed = 0;
    struct store_event_filter flt = { .customer = a.c.id };
    OK(store_list_events(s, &flt, count_events_cb, &listed));
    assert_int_equal(listed, 0);
    /* The work copy is not needed any more: gone, it holds nothing up. */
    struct stat sb;
    snprintf(path, sizeof path, "%s/a.db.import", f->dir);
    assert_int_not_equal(stat(path, &sb), 0);
    /* The kill lets its lock go; check says what to run. */
    close(s->import_lock);
    s->import_lock = 0;
    store *other = open_at(f, "a.db", false);
    char said[4096] = "";
    store_check(other, check_said_cb, said);
    if (!strstr(said, "10 of its 2100 events are in") || !strstr(said, "'tally import finish'")) {
        print_error("check said: %s\n", said);
        fail();
    }
    /* ... and what it names adds the rest, once. */
    bool any;
    OK(store_import_finish(other, &added, &any));
    assert_true(any);
    assert_int_equal(added, events - 10);
    assert_int_equal(store_event_count(s), before + events);
    assert_int_equal(cust(s, a.c.id).visits, 2099);
    assert_int_equal(store_version_vector(s, vv, 8), 2);
    assert_int_equal(store_read_events(s, origin, 0, f->ev, 10), 10);
    OK(store_list_events(s, &flt, count_events_cb, &listed));
    assert_int_equal(listed, 2100);
    said[0] = '\0';
    store_check(other, check_said_cb, said);
    assert_string_equal(said, "");
    OK(store_import_finish(other, &added, &any));
    assert_false(any);
    store_close(other);
}

struct import_phone { struct fx *f; const char *phone; struct store_customer c; };

static int import_phone_fn(store *w, void *arg)
{
    struct import_phone *a = arg;
    struct store_profile p = { .name = "Rita Nowa", .card = "IMPORTC5", .phone = a->phone, .consent = 1 };
    return store_customer_import(w, a->f->m.id, &p, 0, 0, &a->c);
}

static int customers_with_phone(struct fx *f, const char *nine)
{
    char path[256], q[160];
    snprintf(path, sizeof path, "%s/a.db", f->dir);
    snprintf(q, sizeof q, "SELECT count(*) FROM customers WHERE substr(phone, -9) = '%s'", nine);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* A phone number of a customer in an import, given to someone at the
 * counter after the import checked its rows: before the seal, the import
 * brings nothing (a clear reason) and the next one runs; after it, the
 * counter refuses the number until the import's customer has it. */
static void test_import_phone_at_counter(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    char finished[65];
    int64_t added, before = store_event_count(s);
    store *w;
    struct import_phone a = { .f = f, .phone = "600700800" };
    OK(store_import_begin(s, "", finished, &w));
    OK(store_atomically(w, import_phone_fn, &a));
    struct store_profile p = { .name = "Sara Lada", .card = "COUNTER1", .phone = "+48 600 700 800", .consent = 1 };
    struct store_customer at_counter;
    OK(store_customer_add(s, f->b.id, &p, &at_counter));
    REFUSED(s, store_import_end(s, w, true, &added), "was given to Sara Lada at the counter");
    assert_int_equal(customers_with_phone(f, "600700800"), 1);
    assert_int_equal(store_event_count(s), before + 1);
    /* Nothing of it is left to hold the next one up. */
    a.phone = "600700801";
    OK(store_import_begin(s, "", finished, &w));
    OK(store_atomically(w, import_phone_fn, &a));
    OK(import_seal(s, w, true));
    p.card = "COUNTER2";
    p.name = "Tola Lada";
    p.phone = "600 700 801";
    struct store_customer refused;
    REFUSED(s, store_customer_add(s, f->b.id, &p, &refused), "the import being added");
    OK(import_add(s, 0, &added));
    OK(store_import_end(s, NULL, false, &added));
    assert_int_equal(customers_with_phone(f, "600700801"), 1);
    assert_string_equal(cust(s, a.c.id).phone, "600700801");
    REFUSED(s, store_customer_add(s, f->b.id, &p, &refused), "already has the phone number");
}

/* Welcome: in the customer's language (else the shop's), by the channel
 * they agreed to, and never without consent. */
static void test_message_welcome(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    assert_int_equal(messages_of(s, NULL, NULL), 0);    /* triggers are off by default */
    set(s, f->m.id, "messages.welcome", "1");
    set(s, f->m.id, "messages.language", "pl");
    struct store_customer hu = enrol(f, "Zsófia Kiss", "MSGCARD1", 1, "zs@example.hu", "yes", "hu");
    struct store_customer pl = enrol(f, "Jan Nowak", "MSGCARD2", 1, "jan@example.pl", NULL, NULL);
    struct store_customer no = enrol(f, "Ewa Bez", "MSGCARD3", 0, "ewa@example.pl", "yes", NULL);
    struct store_message m = message_of(s, hu.id, "welcome");
    assert_string_equal(m.channel, "email");
    assert_string_equal(m.lang, "hu");
    assert_int_equal(m.status, MSG_QUEUED);
    struct store_rendered r;
    OK(store_message_render(s, &m, &r));
    assert_non_null(strstr(r.body, "Szia Zsófia"));
    assert_non_null(strstr(r.subject, "Kawiarnia"));
    m = message_of(s, pl.id, "welcome");
    assert_string_equal(m.channel, "counter");  /* no e-mail consent: told at the counter */
    assert_string_equal(m.lang, "pl");
    m = message_of(s, no.id, "welcome");
    assert_int_equal(m.status, MSG_SUPPRESSED);
    assert_string_equal(m.reason, STORE_REASON_NO_CONSENT);
    assert_int_equal(messages_of(s, NULL, "welcome"), 3);
    /* The consent record says when and by whom. */
    struct store_contact k;
    OK(store_customer_contact(s, hu.id, &k));
    assert_true(k.email);
    assert_int_equal(k.email_at, T0);
    assert_string_equal(k.email_by, f->b.id);
    assert_false(k.sms);
    assert_int_equal(k.sms_at, 0);
    REFUSED(s, store_customer_edit(s, f->b.id, hu.id, &(struct store_profile){ .consent = -1, .language = "de" }),
            "not a language");
    REFUSED(s, store_customer_edit(s, f->b.id, hu.id, &(struct store_profile){ .consent = -1, .consent_sms = "maybe" }),
            "SMS");
}

/* A trigger with an offer brings a personal coupon, issued through the
 * coupon rules: one per occasion, usable once at any till, said in the
 * message in the customer's language, and the customer's even when the
 * message is held back for lack of consent. A bad offer is refused. */
static void test_message_coupon(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_reward croissant, old;
    OK(store_reward_add(s, f->m.id, "Croissant", 40, 0, &croissant));
    OK(store_reward_add(s, f->m.id, "Old cake", 40, 0, &old));
    OK(store_reward_retire(s, f->m.id, old.id));
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "coupon:0%"), "from 1 to 100");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "coupon:101%"), "from 1 to 100");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "coupon:abc"), "offer.welcome: 'abc' is not an amount of money");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "coupon:-5"), "not an amount of money");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "coupon:2000000"), "too large");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "points:50"), "coupon:20%, coupon:10.00, reward:NAME");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "reward:Bagel"), "offer.welcome: no reward called 'Bagel'");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome", "reward:Old cake"), "no longer offered");
    REFUSED(s, store_setting_set(s, f->m.id, "offer.welcome_days", "0"), "from 1 to 3650");
    REFUSED(s, store_setting_set(s, f->b.id, "offer.welcome", "coupon:20%"), "manager");
    set(s, f->m.id, "messages.welcome", "1");
    set(s, f->m.id, "offer.welcome", "coupon:20%");
    set(s, f->m.id, "offer.welcome_days", "7");
    char v[64];
    OK(store_setting_get(s, "offer.welcome", v, sizeof v));
    assert_string_equal(v, "coupon:20%");
    struct store_customer jan = enrol(f, "Jan Nowak", "CPNCARD1", 1, NULL, NULL, NULL);
    struct store_message m = message_of(s, jan.id, "welcome");
    assert_string_equal(m.channel, "counter");          /* no e-mail or SMS consent: the counter */
    struct store_coupon cp;
    assert_int_equal(store_message_coupon(s, &m, &cp), 1);
    assert_string_equal(cp.customer, jan.id);
    assert_int_equal(cp.percent, 20);
    assert_int_equal(cp.uses, 0);
    assert_int_equal(cp.expires, utc_ms(2024, 3, 13, 0, 0) - 1);    /* to the end of the 7th day on */
    int n = 0;
    OK(store_coupon_list(s, jan.id, coupon_count_cb, &n));
    assert_int_equal(n, 1);
    /* Said in the message, in each language. */
    static const char *const LANGS[] = { "en", "pl", "ro", "hu" };
    static const char *const SAYS[][2] = { { "20% off", "2024-03-12" }, { "20% zniżki", "12.03.2024" },
                                           { "reducere de 20 %", "12.03.2024" }, { "20% kedvezmény", "2024. 03. 12." } };
    char code[16];
    snprintf(code, sizeof code, "%.4s-%.4s", cp.code, cp.code + 4);
    for (int i = 0; i < 4; i++) {
        OK(store_customer_edit(s, f->b.id, jan.id, &(struct store_profile){ .consent = -1, .language = LANGS[i] }));
        struct store_rendered r;
        OK(store_message_render(s, &m, &r));
        for (int k = 0; k < 2; k++)
            if (!strstr(r.body, SAYS[i][k]) || !strstr(r.body, code)) {
                print_error("%s: no '%s' or %s in: %s\n", LANGS[i], SAYS[i][k], code, r.body);
                fail();
            }
    }
    /* A template that places the coupon itself gets no line added. */
    OK(store_template_set(s, f->m.id, TRIG_WELCOME, "hu", "Szia {name}", "Kód: {coupon}, {coupon_offer}, {coupon_expires}"));
    struct store_rendered r;
    OK(store_message_render(s, &m, &r));
    char want[128];
    snprintf(want, sizeof want, "Kód: %s, 20%% kedvezmény, 2024. 03. 12.", code);
    assert_string_equal(r.body, want);
    /* No consent: the message is held back, the coupon is theirs all the same. */
    struct store_customer ewa = enrol(f, "Ewa Bez", "CPNCARD2", 0, NULL, NULL, NULL);
    m = message_of(s, ewa.id, "welcome");
    assert_int_equal(m.status, MSG_SUPPRESSED);
    assert_int_equal(store_message_coupon(s, &m, &cp), 1);
    assert_string_equal(cp.customer, ewa.id);
    /* A reward as the offer; usable at another till, once. */
    set(s, f->m.id, "offer.welcome", "reward:croissant");
    OK(store_setting_get(s, "offer.welcome", v, sizeof v));
    assert_string_equal(v, "reward:Croissant");
    struct store_customer ola = enrol(f, "Ola Kowal", "CPNCARD3", 1, NULL, NULL, "pl");
    m = message_of(s, ola.id, "welcome");
    assert_int_equal(store_message_coupon(s, &m, &cp), 1);
    assert_string_equal(cp.reward, croissant.id);
    store *b = f->s[1] = new_till(f, "b.db", T0);
    sync_into(f, s, b);
    struct store_result res;
    OK(store_coupon_redeem(b, f->b.id, cp.code, ola.id, &res));
    REFUSED(b, store_coupon_redeem(b, f->b.id, cp.code, ola.id, &res), "used already");
    sync_into(f, b, s);
    REFUSED(s, store_coupon_redeem(s, f->b.id, cp.code, ola.id, &res), "used already");
    /* Switched off: no coupon with the next message. */
    set(s, f->m.id, "offer.welcome", "none");
    struct store_customer eva = enrol(f, "Eva Nagy", "CPNCARD4", 1, NULL, NULL, NULL);
    m = message_of(s, eva.id, "welcome");
    assert_int_equal(store_message_coupon(s, &m, &cp), 0);
}

/* Reward ready, tier reached and close to the next tier fire on the
 * purchase that crosses the line, once. */
static void test_message_earn_triggers(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    struct store_reward rw;
    OK(store_reward_add(s, f->m.id, "Free coffee", 0, 3, &rw));
    set(s, f->m.id, "messages.reward", "1");
    set(s, f->m.id, "messages.tier", "1");
    set(s, f->m.id, "messages.tier_close_percent", "80");
    set(s, f->m.id, "tiers", "Silver:0:1,Gold:100:1.25");
    earn(s, f->b.id, ana, 1000, 0, NULL);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, NULL), 0);
    earn(s, f->b.id, ana, 6000, 0, NULL);      /* third stamp; 80 of 100 zł to Gold */
    assert_int_equal(messages_of(s, ana, "reward"), 1);
    struct store_message m = message_of(s, ana, "tier-close");
    struct store_rendered r;
    OK(store_message_render(s, &m, &r));
    assert_non_null(strstr(r.body, "20.00"));
    assert_non_null(strstr(r.body, "Gold"));
    earn(s, f->b.id, ana, 1000, 0, NULL);      /* 90 zł: still close, no second message */
    assert_int_equal(messages_of(s, ana, "tier-close"), 1);
    assert_int_equal(messages_of(s, ana, "reward"), 1);
    earn(s, f->b.id, ana, 1000, 0, NULL);      /* 100 zł: Gold */
    m = message_of(s, ana, "tier");
    assert_non_null(strstr(m.vars, "Gold"));
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "tier"), 1);
    /* Redeeming empties the card (6 stamps, two cards); filling it again
     * is a new occasion. */
    struct store_result res;
    OK(store_redeem(s, f->b.id, ana, rw.id, NULL, &res));
    OK(store_redeem(s, f->b.id, ana, rw.id, NULL, &res));
    earn(s, f->b.id, ana, 1000, 0, NULL);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "reward"), 1);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "reward"), 2);
}

/* The reward trigger spares its query when no reward's price lies within
 * what the purchase could add (messages.c reward_in_reach): a price reached
 * through the purchase's bonus, one of a reward added since the prices
 * were kept, and one another connection added must each still tell. */
static void test_message_reward_in_reach(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_reward rw;
    set(s, f->m.id, "messages.reward", "1");
    set(s, f->m.id, "birthday.points", "50");
    OK(store_reward_add(s, f->m.id, "Cake", 100, 0, &rw));
    struct store_profile p = { .name = "Bea", .card = "BBBBBBB9", .birthday = "1990-03-15", .consent = 1 };
    struct store_customer c;
    OK(store_customer_add(s, f->b.id, &p, &c));
    earn(s, f->b.id, c.id, 9500, 0, NULL);      /* 95 points; the birthday is 10 days off */
    assert_int_equal(messages_of(s, c.id, "reward"), 0);
    store_set_clock(s, T0 + 5 * DAY_MS);
    struct store_result r = earn(s, f->b.id, c.id, 200, 0, NULL);
    assert_int_equal(r.points + r.bonus_points, 52);    /* 2, and the birthday's 50: Cake */
    assert_int_equal(messages_of(s, c.id, "reward"), 1);
    OK(store_reward_add(s, f->m.id, "Tea", 200, 0, &rw));
    earn(s, f->b.id, c.id, 6000, 0, NULL);      /* 147 -> 207: Tea */
    assert_int_equal(messages_of(s, c.id, "reward"), 2);
    store *cli = f->s[2] = open_at(f, "a.db", false);
    OK(store_reward_add(cli, f->m.id, "Juice", 300, 0, &rw));
    earn(s, f->b.id, c.id, 10000, 0, NULL);     /* 207 -> 307: Juice */
    assert_int_equal(messages_of(s, c.id, "reward"), 3);
    earn(s, f->b.id, c.id, 1000, 0, NULL);      /* 317: nothing new */
    assert_int_equal(messages_of(s, c.id, "reward"), 3);
    OK(store_reward_add(s, f->m.id, "Pie", 327, 0, &rw));
    earn(s, f->b.id, c.id, 1000, 0, NULL);      /* 327: Pie, reached exactly */
    assert_int_equal(messages_of(s, c.id, "reward"), 4);
}

/* A random source the coupon tests can rewind: the bytes of `replay`
 * from replay_at 0, then a plain counter (libsodium's randombytes is
 * swapped for it only inside those tests). */
static unsigned char replay[8];
static size_t replay_at;

static void replay_buf(void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++, replay_at++)
        ((unsigned char *)buf)[i] = replay_at < sizeof replay ? replay[replay_at] : (unsigned char)(replay_at * 37 + 11);
}
static uint32_t replay_random(void)
{
    uint32_t v;
    replay_buf(&v, sizeof v);
    return v;
}
static const char *replay_name(void) { return "replay"; }
static randombytes_implementation REPLAY = { .implementation_name = replay_name, .random = replay_random,
                                                   .buf = replay_buf };

static void random_replayed(bool on)
{
    static randombytes_implementation *usual;
    if (!usual)
        usual = strcmp(randombytes_implementation_name(), "sysrandom") == 0 ? &randombytes_sysrandom_implementation
                                                                              : &randombytes_internal_implementation;
    randombytes_set_implementation(on ? &REPLAY : usual);
}

/* Two coupons drawn alike (40 random bits: about once in a million
 * coupons) must not become one: the second code is drawn again, and the
 * first stays its customer's. */
static void test_coupon_codes_drawn_alike(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    struct store_customer olek;
    OK(store_customer_add(s, f->b.id, &(struct store_profile){ .name = "Olek", .card = "OOOOOOO1", .consent = -1 },
                          &olek));
    struct store_coupon a, b;
    memcpy(replay, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    random_replayed(true);
    replay_at = 0;
    int rc = store_coupon_issue(s, f->m.id, &(struct store_coupon_spec){ .customer = f->c.id, .discount = 500,
                                                                         .expires = T0 + 7 * DAY_MS }, &a);
    replay_at = 0;
    int rc2 = store_coupon_issue(s, f->m.id, &(struct store_coupon_spec){ .customer = olek.id, .percent = 50,
                                                                          .expires = T0 + 7 * DAY_MS }, &b);
    random_replayed(false);
    OK(rc);
    OK(rc2);
    assert_string_not_equal(a.code, b.code);
    struct store_coupon got;
    OK(store_coupon_get(s, a.code, &got));
    assert_string_equal(got.customer, f->c.id);
    assert_int_equal(got.discount, 500);
    assert_int_equal(got.percent, 0);
    OK(store_coupon_get(s, b.code, &got));
    assert_string_equal(got.customer, olek.id);
}

/* A trigger's coupon whose keyed code is already another customer's
 * coupon takes the occasion's next code, and leaves that coupon alone. */
static void test_trigger_coupon_code_taken(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    struct store_customer olek;
    OK(store_customer_add(s, f->b.id, &(struct store_profile){ .name = "Olek", .card = "OOOOOOO1", .consent = -1 },
                          &olek));
    set(s, f->m.id, "messages.balance_days", "7");
    set(s, f->m.id, "offer.balance", "coupon:10%");
    /* The code Ana's balance message of this week would get ... */
    char occasion[96];
    snprintf(occasion, sizeof occasion, "msg:balance:%s:%lld", ana, (long long)(day_start_local(store_now(s)) / DAY_MS / 7));
    unsigned char key[STORE_SECRET_BYTES];
    OK(store_shop_secret(s, key));
    crypto_generichash(replay, sizeof replay, (const unsigned char *)occasion, strlen(occasion), key, sizeof key);
    /* ... is already Olek's coupon. */
    struct store_coupon his;
    random_replayed(true);
    replay_at = 0;
    int rc = store_coupon_issue(s, f->m.id, &(struct store_coupon_spec){ .customer = olek.id, .discount = 700,
                                                                         .expires = T0 + 7 * DAY_MS }, &his);
    random_replayed(false);
    OK(rc);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    struct store_message m = message_of(s, ana, "balance");
    struct store_coupon cp;
    assert_int_equal(store_message_coupon(s, &m, &cp), 1);
    assert_string_not_equal(cp.code, his.code);
    assert_string_equal(cp.customer, ana);
    assert_int_equal(cp.percent, 10);
    struct store_coupon got;
    OK(store_coupon_get(s, his.code, &got));
    assert_string_equal(got.customer, olek.id);
    assert_int_equal(got.discount, 700);
}

static int reward_names_cb(const struct store_message *m, void *arg)
{
    strncat(arg, m->vars, 4000 - strlen(arg));
    return 0;
}

/* A purchase that reaches ten rewards at once tells of eight: the points
 * rewards by price, cheapest first, then stamp cards (messages.c keeps
 * the first eight in order while it reads them). */
static void test_message_reward_first_eight(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    struct store_reward rw;
    static const char *const NAMES[] = { "R05", "R01", "R09", "R03", "R07", "R02", "R10", "R04", "R08", "R06" };
    for (int i = 0; i < 10; i++)
        OK(store_reward_add(s, f->m.id, NAMES[i], atoi(NAMES[i] + 1) * 10, 0, &rw));
    OK(store_reward_add(s, f->m.id, "Card", 0, 1, &rw));
    set(s, f->m.id, "messages.reward", "1");
    earn(s, f->b.id, ana, 20000, 0, NULL);     /* 200 points and a stamp: eleven rewards reached */
    assert_int_equal(messages_of(s, ana, "reward"), 8);
    char names[4001] = "";
    struct store_message_filter flt = { .customer = ana, .status = -1, .trigger = "reward" };
    OK(store_message_list(s, &flt, reward_names_cb, names));
    for (int i = 1; i <= 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "R%02d", i);
        assert_non_null(strstr(names, want));
    }
    assert_null(strstr(names, "R09"));
    assert_null(strstr(names, "R10"));
    assert_null(strstr(names, "Card"));
}

/* Birthday and expiring points are found by a scan, each once; a message
 * not delivered by its expiry is dropped. */
static void test_message_scan(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    set(s, f->m.id, "messages.birthday", "1");
    set(s, f->m.id, "messages.expiring", "1");
    set(s, f->m.id, "points.expire_days", "30");
    set(s, f->m.id, "messages.expiring_days", "7");
    OK(store_customer_edit(s, f->b.id, ana, &(struct store_profile){ .consent = -1, .birthday = "03-20" }));
    earn(s, f->b.id, ana, 5000, 0, NULL);
    int queued;
    OK(store_message_scan(s, f->b.id, NULL, &queued));
    assert_int_equal(queued, 0);    /* the birthday is 15 days off, the points new */
    store_set_clock(s, T0 + 10 * DAY_MS);
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 1);
    struct store_message m = message_of(s, ana, "birthday");
    assert_int_equal(m.expires, utc_ms(2024, 3, 21, 0, 0));     /* the end of the birthday */
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);
    store_set_clock(s, T0 + 25 * DAY_MS);     /* the 50 points expire in 5 days */
    OK(store_message_scan(s, "", ana, &queued));
    assert_int_equal(queued, 1);
    m = message_of(s, ana, "expiring");
    struct store_rendered r;
    OK(store_message_render(s, &m, &r));
    assert_non_null(strstr(r.body, "50 of your points"));
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);
    assert_int_equal(message_of(s, ana, "birthday").status, MSG_EXPIRED);   /* past the birthday */
    assert_int_equal(message_of(s, ana, "expiring").status, MSG_QUEUED);
}

/* The anniversary of the first visit: in the week from the day, once a
 * year, with how many years; not sent after that week. */
static void test_message_anniversary(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    set(s, f->m.id, "messages.anniversary", "1");
    struct store_customer bea = enrol(f, "Bea Bis", "ANNIVBB1", 1, NULL, NULL, NULL),
                          cel = enrol(f, "Cel Cis", "ANNIVCC1", 1, NULL, NULL, NULL);
    earn(s, f->b.id, ana, 1000, 0, NULL);     /* first visits: 2024-03-05 */
    earn(s, f->b.id, bea.id, 1000, 0, NULL);
    earn(s, f->b.id, cel.id, 1000, 0, NULL);
    int queued;
    store_set_clock(s, T0 + 364 * DAY_MS);    /* 2025-03-04: a day early */
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);
    store_set_clock(s, T0 + 365 * DAY_MS);    /* the day */
    OK(store_message_scan(s, "", ana, &queued));
    assert_int_equal(queued, 1);
    struct store_message m = message_of(s, ana, "anniversary");
    struct store_rendered r;
    OK(store_message_render(s, &m, &r));
    assert_non_null(strstr(r.body, "years with us: 1"));
    OK(store_message_scan(s, "", ana, &queued));
    assert_int_equal(queued, 0);                /* once */
    store_set_clock(s, T0 + 371 * DAY_MS);    /* the week's last day */
    OK(store_message_scan(s, "", bea.id, &queued));
    assert_int_equal(queued, 1);
    store_set_clock(s, T0 + 372 * DAY_MS);    /* a week on: too late */
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);
    assert_int_equal(messages_of(s, cel.id, "anniversary"), 0);
    assert_int_equal(message_of(s, ana, "anniversary").status, MSG_EXPIRED);
    store_set_clock(s, T0 + 730 * DAY_MS);    /* 2026-03-05: two years */
    OK(store_message_scan(s, "", cel.id, &queued));
    assert_int_equal(queued, 1);
    assert_non_null(strstr(message_of(s, cel.id, "anniversary").vars, "\"years\":2"));
}

/* The balance after a purchase, at most once per messages.balance_days. */
static void test_message_balance(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    const char *ana = f->c.id;
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "balance"), 0);     /* off */
    set(s, f->m.id, "messages.balance_days", "7");
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "balance"), 1);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "balance"), 1);     /* throttled */
    store_set_clock(s, T0 + 7 * DAY_MS);
    earn(s, f->b.id, ana, 1000, 0, NULL);
    assert_int_equal(messages_of(s, ana, "balance"), 2);
    struct store_rendered r;
    struct store_message m = message_of(s, ana, "balance");
    OK(store_message_render(s, &m, &r));
    char points[64];
    snprintf(points, sizeof points, "You now have %lld points", (long long)cust(s, ana).points);
    assert_non_null(strstr(r.body, points));
}

static int coupon_of_cb(const struct store_coupon *c, void *arg)
{
    (void)c;
    (*(int *)arg)++;
    return 0;
}

/* A purchase's message is noted in the sale's transaction and written in
 * one of its own after it (store_message_drain): a till killed (-9)
 * between the two has the sale and its note, which any process drains
 * into one message and one coupon, never two; another till hears of the
 * message once, with the coupon. */
static void test_message_note_survives_kill(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    const char *ana = f->c.id;
    set(a, f->m.id, "messages.balance_days", "7");
    set(a, f->m.id, "offer.balance", "coupon:10%");
    store *b = joined_till(f);
    int64_t visits = cust(a, ana).visits;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {     /* the counter: its own connection, killed right after the sale */
        char path[256], err[512];
        snprintf(path, sizeof path, "%s/a.db", f->dir);
        store *k = store_open(path, false, err, sizeof err);
        struct store_earn e = { .amount = 1000 };
        if (k) {
            store_set_clock(k, store_now(a));
            if (store_earn(k, f->b.id, ana, &e, NULL) == 0)
                raise(SIGKILL);
        }
        _exit(1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(cust(a, ana).visits, visits + 1);          /* the sale is kept */
    assert_int_equal(messages_of(a, ana, "balance"), 0);        /* its message waits in the note */
    int drained;
    OK(store_message_drain(a, STORE_DRAIN_SETTLED_MS, &drained));   /* as syncd: fresh, the kiosk's to take */
    assert_int_equal(drained, 0);
    store_set_clock(a, store_now(a) + STORE_DRAIN_SETTLED_MS);      /* left that long: syncd takes it */
    OK(store_message_drain(a, STORE_DRAIN_SETTLED_MS, &drained));
    assert_int_equal(drained, 1);
    struct store_message m = message_of(a, ana, "balance");
    struct store_coupon cp;
    assert_int_equal(store_message_coupon(a, &m, &cp), 1);
    OK(store_message_drain(a, 0, &drained));                       /* drained once */
    assert_int_equal(drained, 0);
    earn(a, f->b.id, ana, 1000, 0, NULL);                       /* the same window: the occasion is held */
    assert_int_equal(messages_of(a, ana, "balance"), 1);
    exchange(f, a, b);
    assert_int_equal(messages_of(b, ana, "balance"), 1);
    assert_string_equal(message_of(b, ana, "balance").key, m.key);
    int coupons = 0;
    OK(store_coupon_list(b, ana, coupon_of_cb, &coupons));
    assert_int_equal(coupons, 1);
    OK(store_message_drain(b, 0, &drained));
    assert_int_equal(drained, 0);
    assert_int_equal(messages_of(b, ana, "balance"), 1);
}

/* Win-back: the members the reports call at-risk or lapsed, once per absence. */
static void test_message_winback(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "messages.winback", "1");
    for (int i = 0; i < 4; i++) {
        store_set_clock(s, T0 + i * 7 * DAY_MS);
        earn(s, f->b.id, f->c.id, 1000, 0, NULL);
    }
    int queued;
    store_set_clock(s, T0 + 25 * DAY_MS);
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);        /* a regular, not overdue */
    store_set_clock(s, T0 + 40 * DAY_MS);
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 1);        /* 19 days since the last weekly visit */
    store_set_clock(s, T0 + 120 * DAY_MS);
    OK(store_message_scan(s, "", NULL, &queued));
    assert_int_equal(queued, 0);        /* lapsed now, but the same absence */
    assert_int_equal(messages_of(s, f->c.id, "winback"), 1);
}

static void test_message_templates(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    char long_body[STORE_BODY_MAX + 2];
    memset(long_body, 'a', sizeof long_body - 1);
    long_body[sizeof long_body - 1] = '\0';
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Hej {imie}", "Witaj"), "unknown placeholder {imie}");
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Hej", long_body), "at most 1000");
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Hej \xff\xfe", "Witaj"), "not UTF-8");
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Hej {name", "Witaj"), "without its pair");
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Hej\nthere", "Witaj"), "one line");
    REFUSED(s, store_template_set(s, f->b.id, TRIG_WELCOME, "pl", "Hej", "Witaj"), NULL);     /* a barista */
    REFUSED(s, store_template_set(s, f->m.id, TRIG_WELCOME, "de", "Hallo", "Willkommen"), "not a language");
    OK(store_template_set(s, f->m.id, TRIG_WELCOME, "pl", "Cześć {name}!", "Masz {points} pkt w {shop}.\nDo zobaczenia"));
    struct store_rendered r;
    OK(store_template_preview(s, TRIG_WELCOME, "pl", f->c.id, &r));
    assert_string_equal(r.subject, "Cześć Ana!");
    assert_string_equal(r.body, "Masz 0 pkt w Kawiarnia.\nDo zobaczenia");
    OK(store_template_set(s, f->m.id, TRIG_WELCOME, "pl", NULL, NULL));
    OK(store_template_preview(s, TRIG_WELCOME, "pl", f->c.id, &r));
    assert_string_equal(r.subject, "Witamy w klubie Kawiarnia");
    /* Every shipped text passes the check it imposes. */
    for (int t = 0; t < TRIG_COUNT; t++)
        for (int l = 0; STORE_MSG_LANGS[l]; l++) {
            char subject[1024], body[4096];
            bool custom;
            OK(store_template_get(s, t, STORE_MSG_LANGS[l], subject, sizeof subject, body, sizeof body, &custom));
            assert_false(custom);
            OK(store_template_check(s, subject, true));
            OK(store_template_check(s, body, false));
        }
}

/* Outcomes resolve the same whatever order they arrive in; "forget me"
 * takes the personal data out of messages and stops those waiting. */
static void test_message_outcomes_and_forget(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    set(a, f->m.id, "messages.welcome", "1");
    struct store_customer x = enrol(f, "Iza Mail", "MSGCARD4", 1, "iza@example.pl", "yes", NULL);
    struct store_customer y = enrol(f, "Olek Mail", "MSGCARD5", 1, "olek@example.pl", "yes", NULL);
    struct store_message mx = message_of(a, x.id, "welcome"), my = message_of(a, y.id, "welcome");
    struct store_msg_outcome retry = { .status = MSG_RETRYING, .reason = "421 busy", .tries = 1, .next_try = T0 + 60000 };
    struct store_msg_outcome sent = { .status = MSG_SENT, .tries = 2, .recipient = "iza@example.pl",
                                      .message_id = "<abc@tally>" };
    OK(store_message_record(a, "", mx.key, &retry));
    assert_int_equal(message_of(a, x.id, "welcome").status, MSG_RETRYING);
    OK(store_message_record(a, "", mx.key, &sent));
    OK(store_message_record(a, "", mx.key, &retry));    /* late: a sent message stays sent */
    mx = message_of(a, x.id, "welcome");
    assert_int_equal(mx.status, MSG_SENT);
    assert_int_equal(mx.tries, 2);
    assert_string_equal(mx.recipient, "iza@example.pl");
    assert_string_equal(mx.message_id, "<abc@tally>");
    REFUSED(a, store_message_record(a, "", "msg:nothing", &sent), "no message");
    /* Another till gets the events newest first: the same outbox. */
    store *b = f->s[1] = new_till(f, "b.db", T0);
    int n = store_read_events(a, store_origin(a), 0, f->ev, MAXEV);
    for (int i = 0; i < n / 2; i++) {
        struct store_event tmp = f->ev[i];
        f->ev[i] = f->ev[n - 1 - i];
        f->ev[n - 1 - i] = tmp;
    }
    enum store_apply res[MAXEV];
    char why[256];
    OK(store_apply_events(b, f->ev, (size_t)n, res, why, sizeof why));
    same_digest(a, b);
    assert_int_equal(message_of(b, x.id, "welcome").status, MSG_SENT);
    /* Forget: the address is gone from the outbox and the event, the
     * waiting message will not go. */
    OK(store_customer_forget(a, f->m.id, x.id));
    OK(store_customer_forget(a, f->m.id, y.id));
    assert_string_equal(message_of(a, x.id, "welcome").recipient, "");
    assert_int_equal(message_of(a, x.id, "welcome").status, MSG_SENT);
    my = message_of(a, y.id, "welcome");
    assert_int_equal(my.status, MSG_SUPPRESSED);
    assert_string_equal(my.reason, STORE_REASON_FORGOTTEN);
    assert_int_equal(count_events(a, x.id, "message", "iza@"), 0);
    struct store_contact k;
    OK(store_customer_contact(a, y.id, &k));
    assert_false(k.email);
    sync_into(f, a, b);
    same_digest(a, b);
}

/* The counter channel: the waiting message until it is passed on, and
 * none once the customer withdrew consent. */
static void test_message_counter(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    set(s, f->m.id, "messages.welcome", "1");
    struct store_customer x = enrol(f, "Kasia Lada", "MSGCARD6", 1, NULL, NULL, NULL);
    struct store_customer y = enrol(f, "Piotr Lada", "MSGCARD7", 1, NULL, NULL, NULL);
    struct store_message m;
    assert_int_equal(store_message_for_counter(s, x.id, &m), 1);
    assert_string_equal(m.trigger, "welcome");
    struct store_msg_outcome told = { .status = MSG_SENT, .reason = STORE_REASON_TOLD, .tries = 1 };
    OK(store_message_record(s, f->b.id, m.key, &told));
    assert_int_equal(store_message_for_counter(s, x.id, &m), 0);
    OK(store_customer_edit(s, f->b.id, y.id, &(struct store_profile){ .consent = 0 }));
    assert_int_equal(store_message_for_counter(s, y.id, &m), 0);
    assert_int_equal(message_of(s, y.id, "welcome").status, MSG_SUPPRESSED);
}

/* --- wrong PINs ------------------------------------------------------------- */

static int login(store *s, const char *name, const char *pin)
{
    struct store_staff who;
    return store_staff_login(s, name, pin, STORE_VIA_KIOSK, NULL, &who);
}

static void refused_with(store *s, int rc, const char *needle)
{
    assert_int_equal(rc, -1);
    if (!strstr(store_error(s), needle)) {
        print_error("expected '%s' in: %s\n", needle, store_error(s));
        fail();
    }
}

static struct store_pin_guard guard(store *s, const char *id)
{
    struct store_pin_guard g;
    assert_int_equal(store_pin_guard(s, id, &g), 0);
    return g;
}

/* Three wrong PINs are free, then each wrong one doubles the wait, and
 * the tenth locks the name: while it waits or is locked even the right
 * PIN is refused (and not checked), in this process and in a new one.
 * Time is the store's clock: nothing here sleeps. */
static void test_pin_wait_grows_then_locks(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    int64_t now = T0;
    store_set_clock(s, now);
    for (int i = 1; i <= 2; i++) {
        refused_with(s, login(s, "Bogdan", "0000"), "wrong staff name or PIN");
        assert_int_equal(guard(s, f->b.id).failures, i);
        assert_int_equal(guard(s, f->b.id).wait_until, 0);
    }
    refused_with(s, login(s, "Bogdan", "0000"), "try again in 30 s");
    struct store_pin_guard g = guard(s, f->b.id);
    assert_int_equal(g.failures, 3);
    assert_int_equal(g.wait_until, now + 30000);
    int64_t events = store_event_count(s);
    refused_with(s, login(s, "Bogdan", "5678"), "too many wrong PINs");
    store_set_clock(s, now + 29999);
    refused_with(s, login(s, "Bogdan", "5678"), "try again in 1 s");
    assert_int_equal(store_event_count(s), events);     /* refused untried: nothing recorded */
    assert_int_equal(guard(s, f->b.id).failures, 3);
    int64_t wait = 30000;
    for (int i = 4; i <= 9; i++) {
        now += wait;
        store_set_clock(s, now);
        refused_with(s, login(s, "Bogdan", "0000"), "try again in");
        wait *= 2;
        g = guard(s, f->b.id);
        assert_int_equal(g.failures, i);
        assert_int_equal(g.wait_until, now + wait);
        assert_false(g.locked);
    }
    assert_int_equal(wait, 32 * 60000);
    now += wait;
    store_set_clock(s, now);
    refused_with(s, login(s, "Bogdan", "0000"), "locked at this till after 10 wrong PINs");
    assert_true(guard(s, f->b.id).locked);
    assert_int_equal(store_event_count(s), events + 7);
    store_set_clock(s, now + 23 * HOUR_MS);
    refused_with(s, login(s, "Bogdan", "5678"), "locked");
    /* A new process gains nothing: the count is in the database. */
    store_close(s);
    s = f->s[0] = open_at(f, "a.db", false);
    store_set_clock(s, now + 23 * HOUR_MS);
    refused_with(s, login(s, "Bogdan", "5678"), "unlock");
    assert_int_equal(guard(s, f->b.id).failures, 10);
    /* Mira is not touched by Bogdan's run. */
    assert_int_equal(login(s, "Mira", "1234"), 0);
    /* A locked name gets one try a day (a shop's only manager is not shut
     * out for good); a wrong one locks it for another day. */
    store_set_clock(s, now + 24 * HOUR_MS);
    refused_with(s, login(s, "Bogdan", "0000"), "after 11 wrong PINs");
    store_set_clock(s, now + 48 * HOUR_MS);
    assert_int_equal(login(s, "Bogdan", "5678"), 0);
    assert_int_equal(guard(s, f->b.id).failures, 0);
}

/* A right PIN ends a run; a run below the lock is forgotten after a day;
 * what can never be a PIN costs no try; each name has its own count. */
static void test_pin_runs_end(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    store_set_clock(s, T0);
    refused_with(s, login(s, "Bogdan", "0000"), "wrong");
    refused_with(s, login(s, "Bogdan", "0000"), "wrong");
    assert_int_equal(login(s, "bogdan", "5678"), 0);
    assert_int_equal(guard(s, f->b.id).failures, 0);
    refused_with(s, login(s, "Bogdan", "0000"), "wrong");
    refused_with(s, login(s, "Bogdan", "0000"), "wrong");
    store_set_clock(s, T0 + DAY_MS - 1);
    assert_int_equal(guard(s, f->b.id).failures, 2);
    store_set_clock(s, T0 + DAY_MS);
    assert_int_equal(guard(s, f->b.id).failures, 0);
    int64_t events = store_event_count(s);
    refused_with(s, login(s, "Bogdan", ""), "wrong");
    refused_with(s, login(s, "Bogdan", "123"), "wrong");
    refused_with(s, login(s, "Bogdan", "12345678901"), "wrong");
    assert_int_equal(store_event_count(s), events);
    assert_int_equal(guard(s, f->b.id).failures, 0);
    refused_with(s, login(s, "Mira", "0000"), "wrong");
    assert_int_equal(guard(s, f->m.id).failures, 1);
    assert_int_equal(guard(s, f->b.id).failures, 0);
}

/* Only a manager unlocks, only a name that has wrong PINs here, and the
 * unlock is recorded. */
static void test_pin_unlock(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    store_set_clock(s, T0);
    REFUSED(s, store_staff_unlock(s, f->m.id, "Bogdan"), "nothing to unlock");
    for (int i = 0; i < 3; i++)
        login(s, "Bogdan", "0000");
    refused_with(s, login(s, "Bogdan", "5678"), "too many");
    REFUSED(s, store_staff_unlock(s, f->b.id, "Bogdan"), "manager");
    REFUSED(s, store_staff_unlock(s, NULL, "Bogdan"), "manager");
    REFUSED(s, store_staff_unlock(s, f->m.id, "Nobody"), "no active staff member");
    assert_int_equal(guard(s, f->b.id).failures, 3);
    OK(store_staff_unlock(s, f->m.id, "bogdan"));
    assert_int_equal(guard(s, f->b.id).failures, 0);
    assert_int_equal(count_events(s, NULL, "login_unlock", f->b.id), 1);
    assert_int_equal(login(s, "Bogdan", "5678"), 0);
}

struct wrong_seen { const char *id; int n, other; };
static int wrong_row(const struct store_activity_row *r, void *arg)
{
    struct wrong_seen *w = arg;
    if (strcmp(r->key, w->id) == 0)
        w->n = (int)r->cur.wrong_pins;
    else
        w->other += (int)r->cur.wrong_pins;
    return 0;
}

/* Each wrong PIN is an event saying whose name, where and when, never what
 * was typed; it replicates, and the staff report counts it at every till,
 * while the count that makes a name wait stays at the till it was typed at. */
static void test_pin_failures_recorded_and_replicated(void **state)
{
    struct fx *f = *state;
    store *a = f->s[0];
    store_set_clock(a, T0);
    struct store_staff who;
    assert_int_equal(store_staff_login(a, "Bogdan", "9137", STORE_VIA_CLI, NULL, &who), -1);
    assert_int_equal(store_staff_login(a, "Mira", "4826", STORE_VIA_KIOSK_MANAGER, f->b.id, &who), -1);
    assert_int_equal(store_staff_login(a, "Bogdan", "7351", STORE_VIA_KIOSK, NULL, &who), -1);
    assert_int_equal(store_staff_login(a, "Nobody", "5555", STORE_VIA_KIOSK, NULL, &who), -1);
    int n = store_read_events(a, store_origin(a), 0, f->ev, MAXEV);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        const struct store_event *ev = &f->ev[i];
        if (strcmp(ev->type, "login_failed") != 0)
            continue;
        seen++;
        assert_string_equal(ev->customer, "");
        assert_int_equal(ev->wall, T0);
        assert_true(ev->points == 0 && ev->stamps == 0 && ev->credit == 0 && ev->spend == 0);
        const char *pins[] = { "9137", "4826", "7351", "5555" };
        for (int p = 0; p < 4; p++) {
            assert_null(strstr(ev->data, pins[p]));
            assert_null(strstr(ev->reason, pins[p]));
            assert_null(strstr(ev->pii, pins[p]));
        }
        if (seen == 1) {
            assert_string_equal(ev->staff, f->b.id);
            assert_non_null(strstr(ev->data, "\"via\":\"cli\""));
        } else if (seen == 2) {
            assert_string_equal(ev->staff, f->m.id);
            assert_non_null(strstr(ev->data, "\"via\":\"kiosk_manager\""));
            assert_non_null(strstr(ev->data, f->b.id));     /* who was logged in meanwhile */
        } else if (seen == 3) {
            assert_string_equal(ev->staff, f->b.id);
            assert_non_null(strstr(ev->data, "\"failures\":2"));
        } else {
            assert_string_equal(ev->staff, "");             /* no one's name: no one's record */
            assert_null(strstr(ev->data, "Nobody"));
        }
    }
    assert_int_equal(seen, 4);

    store *b = f->s[1] = new_till(f, "b.db", T0 + HOUR_MS);
    sync_into(f, a, b);
    assert_int_equal(count_events(b, NULL, "login_failed", NULL), 4);
    struct store_report_query q = { 0 };
    assert_int_equal(store_period_parse(b, NULL, NULL, NULL, "7d", &q.period), 0);
    struct wrong_seen w = { f->b.id, 0, 0 };
    assert_int_equal(store_report_activity(b, &q, false, wrong_row, &w), 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.other, 1);                           /* Mira's; the unknown name has no row */
    w = (struct wrong_seen){ store_origin(a), 0, 0 };
    assert_int_equal(store_report_activity(b, &q, true, wrong_row, &w), 0);
    assert_int_equal(w.n, 4);                               /* at till a, the unknown name too */
    /* The dashboard's count is the report's rows added up, in the period
     * and in the previous one, at every till and at one. */
    int64_t cur = -1, prev = -1;
    assert_int_equal(store_report_wrong_pins(b, &q, &cur, &prev), 0);
    assert_true(cur == 4 && prev == 0);
    struct store_report_query later = { 0 }, there = q;
    assert_int_equal(store_period_parse(b, "2024-03-06", "2024-03-07", NULL, NULL, &later.period), 0);
    assert_true(later.period.prev_from <= T0 && T0 < later.period.from);
    assert_int_equal(store_report_wrong_pins(b, &later, &cur, &prev), 0);
    assert_true(cur == 0 && prev == 4);
    there.till = store_origin(b);
    assert_int_equal(store_report_wrong_pins(b, &there, &cur, &prev), 0);
    assert_true(cur == 0 && prev == 0);
    there.till = store_origin(a);
    assert_int_equal(store_report_wrong_pins(b, &there, &cur, &prev), 0);
    assert_true(cur == 4 && prev == 0);
    /* The wait is per till: b has Bogdan's record, not his count. */
    assert_int_equal(guard(b, f->b.id).failures, 0);
    assert_int_equal(guard(a, f->b.id).failures, 2);
    assert_int_equal(store_staff_login(b, "Bogdan", "5678", STORE_VIA_CLI, NULL, &who), 0);
}

/* Names that are no one's share one count: they always read "wrong", and
 * only so many of them a day are recorded, so they cannot flood the log. */
static void test_pin_unknown_names_rationed(void **state)
{
    struct fx *f = *state;
    store *s = f->s[0];
    store_set_clock(s, T0);
    for (int i = 0; i < 30; i++) {
        char name[24];
        snprintf(name, sizeof name, "guess%d", i);
        refused_with(s, login(s, name, "1234"), "wrong staff name or PIN");
    }
    assert_int_equal(count_events(s, NULL, "login_failed", NULL), 3);
    store_set_clock(s, T0 + DAY_MS);
    refused_with(s, login(s, "guess", "1234"), "wrong staff name or PIN");
    assert_int_equal(count_events(s, NULL, "login_failed", NULL), 4);
    assert_int_equal(login(s, "Bogdan", "5678"), 0);        /* real names are not held up */
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    T0 = utc_ms(2024, 3, 5, 10, 0);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_init_reopen),
        T(test_newer_schema_refused),
        T(test_earn_points),
        T(test_earn_rate_bounded),
        T(test_earn_points_overflow_refused),
        T(test_earn_stamps_and_cashback),
        T(test_welcome_bonus),
        T(test_tiers),
        T(test_redeem),
        T(test_pay_points_and_credit),
        T(test_refund_proportional),
        T(test_refund_cashback_and_stamps),
        T(test_void_rules),
        T(test_void_after_partial_refund),
        T(test_void_of_refund_restores),
        T(test_void_of_refund_of_voided_purchase),
        T(test_adjust),
        T(test_limit_per_day),
        T(test_limit_stamp_gap),
        T(test_expiry_oldest_first),
        T(test_import_expiry_as_at_the_counter),
        T(test_expiry_refund_is_not_spending),
        T(test_birthday_once_a_year),
        T(test_referral_first_purchase_only),
        T(test_coupons),
        T(test_promo_window),
        T(test_perk_reward_by_tier),
        T(test_perk_promo_by_tier),
        T(test_perk_entry_once_across_tills),
        T(test_customer_validation),
        T(test_customer_find),
        T(test_forget),
        T(test_replicate_two_tills),
        T(test_replicate_any_order),
        T(test_apply_rejects_bad_events),
        T(test_apply_big_batch_checks_each),
        T(test_fork_detected),
        T(test_version_vector_gaps),
        T(test_concurrent_void),
        T(test_concurrent_void_of_refund),
        T(test_concurrent_void_and_void_of_refund),
        T(test_concurrent_refunds_over_purchase),
        T(test_expiry_after_refunds_over_purchase),
        T(test_concurrent_birthday),
        T(test_lww_profile),
        T(test_overdraft),
        T(test_atomically),
        T(test_staff),
        T(test_event_hash_known_answer),
        T(test_digest_known_answer),
        T(test_stamps_min_amount),
        T(test_tier_window_edges),
        T(test_tier_window_kept),
        T(test_birthday_window_edges),
        T(test_offline_limit_counts_pay),
        T(test_limit_per_day_counts_pay_and_coupons),
        T(test_promo_category_only),
        T(test_promo_date_range),
        T(test_undo_window_edges),
        T(test_pin_wait_grows_then_locks),
        T(test_pin_runs_end),
        T(test_pin_unlock),
        T(test_pin_failures_recorded_and_replicated),
        T(test_pin_unknown_names_rationed),
        T(test_message_welcome),
        T(test_message_coupon),
        T(test_import_no_welcome),
        T(test_contact_and_template_reads_end),
        T(test_opt_out_by_reply),
        T(test_message_anniversary),
        T(test_message_balance),
        T(test_message_note_survives_kill),
        T(test_import_work_copy),
        T(test_import_resume),
        T(test_import_phone_at_counter),
        T(test_message_earn_triggers),
        T(test_message_reward_first_eight),
        T(test_message_reward_in_reach),
        T(test_coupon_codes_drawn_alike),
        T(test_trigger_coupon_code_taken),
        T(test_message_scan),
        T(test_message_winback),
        T(test_message_templates),
        T(test_message_outcomes_and_forget),
        T(test_message_counter),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
