/* bench_import.c - 'tally import customers' and 'tally import
 * transactions' at four sizes up to 100,000 customers and 1,000,000
 * purchases: rows per second against raw SQLite inserts of the same rows
 * in the same run, and whether the time per row stays flat (linear).
 *
 * The store side goes through the import's own path, as cmd_import does:
 * store_import_begin (a copy of the ledger), the rows on the copy in one
 * transaction (store_customer_import with a phone and an opening balance;
 * store_earn at the purchase's date), then store_import_end (seal, and the
 * events added to the ledger in short transactions). Purchases are 20 per
 * customer, each customer's in date order over the last 300 days, the
 * customers interleaved as a file sorted by date has them. The raw side
 * inserts the same number of rows into a fresh database of the store's
 * shape in one transaction: for customers an enrolment event and a
 * customer row with a phone index, for purchases an event.
 *
 * Prints per kind a line per size, then
 *   import-customers: store N rows/s, raw sqlite M rows/s, ratio R (goal >= G) ok
 *   import-customers-growth: CPU time per row at 100000 rows is G times that at 12500, ratio G (goal <= 1.50) ok
 * and the same for transactions. The growth is of CPU time: on a machine
 * shared with other work, wall time per row measures the neighbours too
 * (the raw side's own grows as much). BENCH_IMPORT_SCALE=0.1 runs a tenth of
 * each size (a quick look). Exits 0 whatever the ratios; 1 only if the
 * benchmark could not run. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench/bench.h"
#include "store/store.h"

#define SIZES 4
#define PER_CUSTOMER 20
#define DAY_MS 86400000LL
#define GOAL_CUSTOMERS 0.03
#define GOAL_PURCHASES 0.05
#define GROWTH_GOAL 1.50

static const int CUSTOMERS[SIZES] = { 12500, 25000, 50000, 100000 };
static const int PURCHASES[SIZES] = { 125000, 250000, 500000, 1000000 };

struct rows {
    const char *manager;
    int n, customers;
    bool purchases;
    char (*ids)[STORE_ID_LEN + 1];      /* the customers purchases are for */
    int64_t start;                      /* the first purchase's date */
};

static void customer_fields(int i, char *name, char *card, char *phone)
{
    snprintf(name, 32, "Customer %d", i);
    snprintf(card, 16, "I%07d", i);
    snprintf(phone, 16, "6%08d", i);
}

static int customer_rows(store *s, void *arg)
{
    struct rows *r = arg;
    for (int i = 0; i < r->n; i++) {
        char name[32], card[16], phone[16];
        customer_fields(i, name, card, phone);
        struct store_profile p = { .name = name, .card = card, .phone = phone, .consent = 1 };
        struct store_customer c;
        if (store_customer_import(s, r->manager, &p, i % 50, i % 3, r->ids ? &c : NULL) != 0)
            return -1;
        if (r->ids)
            memcpy(r->ids[i], c.id, sizeof r->ids[i]);
    }
    return 0;
}

static int purchase_rows(store *s, void *arg)
{
    struct rows *r = arg;
    for (int i = 0; i < r->n; i++) {
        int round = i / r->customers;       /* the file is in date order */
        store_set_clock(s, r->start + (int64_t)round * (300 * DAY_MS / PER_CUSTOMER) + i % r->customers);
        struct store_earn e = { .amount = 500 + (i * 37) % 4000 };
        if (store_earn(s, r->manager, r->ids[i % r->customers], &e, NULL) != 0)
            return -1;
    }
    store_set_clock(s, 0);
    return 0;
}

static void remove_db(const char *path)
{
    char lock[8300];
    store_remove_database(path);
    snprintf(lock, sizeof lock, "%s.import.lock", path);
    unlink(lock);
}

/* One import of n rows into a fresh shop; the customers that purchases
 * need are made first, outside the time measured. */
/* This process's CPU time: on a machine shared with other work, the
 * time per row's growth is read from it (wall time there measures the
 * neighbours too); rows per second are wall time, on both sides. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double store_import(const char *dir, bool purchases, int n, double *cpu)
{
    char path[8192], err[512], finished[65];
    snprintf(path, sizeof path, "%s/store-%c%d.db", dir, purchases ? 't' : 'c', n);
    store *s = store_open(path, true, err, sizeof err);
    if (!s)
        die("store_open", err);
    struct store_staff m;
    if (store_init_shop(s, "Bench", "PLN") != 0 || store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "1234", &m) != 0)
        die("store setup", store_error(s));
    struct rows r = { .manager = m.id, .n = n, .purchases = purchases };
    if (purchases) {
        r.customers = n / PER_CUSTOMER;
        r.ids = calloc((size_t)r.customers, sizeof *r.ids);
        struct rows c = { .manager = m.id, .n = r.customers, .ids = r.ids };
        if (!r.ids || store_atomically(s, customer_rows, &c) != 0)
            die("customers for the purchases", store_error(s));
        r.start = (int64_t)time(NULL) * 1000 - 310 * DAY_MS;
    }
    store *work;
    int64_t added;
    double t0 = now_s(), c0 = cpu_s();
    if (store_import_begin(s, "", finished, &work) != 0 || !work)
        die("store_import_begin", store_error(s));
    if (store_atomically(work, purchases ? purchase_rows : customer_rows, &r) != 0)
        die("import rows", store_error(work));
    if (store_import_end(s, work, true, &added) != 0)
        die("store_import_end", store_error(s));
    double t = now_s() - t0;
    *cpu = cpu_s() - c0;
    if (added < n)
        die("store_import_end", "fewer events than rows");
    free(r.ids);
    store_close(s);
    remove_db(path);    /* the sizes after add up to gigabytes */
    return t;
}

static void raw_exec(sqlite3 *db, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
        die(q, msg);
}

/* The same rows as plain inserts: an event each, and for customers their
 * row with a phone index. */
static double raw_import(const char *dir, bool purchases, int n, double *cpu)
{
    char path[8192];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/raw-%c%d.db", dir, purchases ? 't' : 'c', n);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open", sqlite3_errmsg(db));
    raw_exec(db, BENCH_RAW_PRAGMAS BENCH_EVENTS_SCHEMA
             "CREATE TABLE customers(id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL,"
             " points INTEGER NOT NULL, stamps INTEGER NOT NULL);"
             "CREATE INDEX customers_phone ON customers(phone);");
    sqlite3_stmt *ev, *cu;
    if (sqlite3_prepare_v2(db, BENCH_EVENT_INSERT, -1, &ev, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO customers VALUES(?1, ?2, ?3, ?4, ?5)", -1, &cu, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    struct store_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.origin, sizeof e.origin, "0badcafe");
    snprintf(e.type, sizeof e.type, purchases ? "earn" : "enrol");
    snprintf(e.staff, sizeof e.staff, "0123456789ab");
    snprintf(e.data, sizeof e.data, purchases ? "{\"items\":1,\"tier\":\"Silver\",\"multiplier\":1000,\"promo\":1000}"
                                              : "{\"consent\":1,\"card\":\"I0000000\"}");
    double t0 = now_s(), c0 = cpu_s();
    raw_exec(db, "BEGIN IMMEDIATE");
    for (int i = 0; i < n; i++) {
        char name[32], card[16], phone[16];
        customer_fields(i, name, card, phone);
        snprintf(e.customer, sizeof e.customer, "%012d", purchases ? i % (n / PER_CUSTOMER) : i);
        if (!purchases)
            snprintf(e.pii, sizeof e.pii, "{\"name\":\"%s\",\"phone\":\"%s\"}", name, phone);
        e.seq = i + 1;
        e.hlc = e.wall = 1780000000000LL + i;
        e.points = purchases ? 5 + i % 40 : i % 50;
        e.spend = purchases ? 500 + (i * 37) % 4000 : 0;
        e.visits = purchases;
        bench_bind_event(ev, &e);
        if (sqlite3_step(ev) != SQLITE_DONE)
            die("raw insert", sqlite3_errmsg(db));
        sqlite3_reset(ev);
        if (!purchases) {
            sqlite3_bind_text(cu, 1, e.customer, -1, SQLITE_STATIC);
            sqlite3_bind_text(cu, 2, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(cu, 3, phone, -1, SQLITE_STATIC);
            sqlite3_bind_int(cu, 4, i % 50);
            sqlite3_bind_int(cu, 5, i % 3);
            if (sqlite3_step(cu) != SQLITE_DONE)
                die("raw insert", sqlite3_errmsg(db));
            sqlite3_reset(cu);
        }
    }
    raw_exec(db, "COMMIT");
    double t = now_s() - t0;
    *cpu = cpu_s() - c0;
    sqlite3_finalize(ev);
    sqlite3_finalize(cu);
    sqlite3_close(db);
    remove_db(path);
    return t;
}

static void kind(const char *dir, bool purchases, double scale)
{
    const char *name = purchases ? "import-transactions" : "import-customers";
    double goal = purchases ? GOAL_PURCHASES : GOAL_CUSTOMERS;
    double st = 0, rt = 0, per_row[SIZES], raw_per_row[SIZES];
    int rows[SIZES], total = 0;
    for (int k = 0; k < SIZES; k++) {
        rows[k] = (int)((purchases ? PURCHASES[k] : CUSTOMERS[k]) * scale);
        if (rows[k] < PER_CUSTOMER * 10)
            rows[k] = PER_CUSTOMER * 10 << k;
        double cpu, rcpu, s = store_import(dir, purchases, rows[k], &cpu),
                          r = raw_import(dir, purchases, rows[k], &rcpu);
        raw_per_row[k] = rcpu / rows[k];
        printf("%s: %d rows: store %.2f s (%.0f rows/s; CPU %.2f s, %.1f us a row), raw sqlite %.2f s\n", name,
               rows[k], s, rows[k] / s, cpu, cpu / rows[k] * 1e6, r);
        fflush(stdout);
        per_row[k] = cpu / rows[k];
        st += s;
        rt += r;
        total += rows[k];
    }
    double ratio = (total / st) / (total / rt), growth = per_row[SIZES - 1] / per_row[0],
           raw_growth = raw_per_row[SIZES - 1] / raw_per_row[0];
    printf("%s: store %.0f rows/s, raw sqlite %.0f rows/s, ratio %.3f (goal >= %.2f) %s\n", name, total / st,
           total / rt, ratio, goal, ratio >= goal ? "ok" : "below goal");
    /* The raw inserts' own growth, for scale: a ledger that outgrows the
     * page cache costs more per row on both sides. */
    printf("%s-growth: CPU time per row at %d rows is %.2f times that at %d (raw sqlite's: %.2f times),"
           " ratio %.2f (goal <= %.2f) %s\n", name, rows[SIZES - 1], growth, rows[0], raw_growth, growth,
           GROWTH_GOAL, growth <= GROWTH_GOAL ? "ok" : "above goal");
    fflush(stdout);
}

int main(void)
{
    const char *dir = bench_tmpdir("bench-import");
    const char *sc = getenv("BENCH_IMPORT_SCALE");
    double scale = sc && atof(sc) > 0 ? atof(sc) : 1.0;
    kind(dir, false, scale);
    kind(dir, true, scale);
    bench_cleanup();
    return 0;
}
