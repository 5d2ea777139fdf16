/* bench_import.c - 'tally import customers': rows per second against raw
 * SQLite inserts, and how the time grows with the file.
 *
 * The store side enrols N customers with phone numbers and opening
 * balances in one transaction, as cmd_import does (store_customer_import
 * per row: the phone uniqueness test, the enrolment event, the opening
 * balance event). The raw side inserts the same number of rows of the
 * store's shape in one transaction: an event per customer into an events
 * table as store/db.c has it, and a customer row with a phone index. Both
 * run twice, with N and with 2N rows, into fresh databases in one temporary
 * directory.
 *
 * Prints two lines:
 *   import: store N rows/s, raw sqlite M rows/s, ratio R (goal >= 0.05) ok
 *   import-growth: 2N rows take G times N rows' time, ratio G (goal <= 2.50) ok
 * The second is the linearity check: the phone test used to scan every
 * customer, so twice the rows took four times as long. Exits 0 whatever
 * the ratios; 1 only if the benchmark could not run. */
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

#define ROWS 4000
#define GOAL 0.05
#define GROWTH_GOAL 2.50

struct import_arg { const char *manager; int n; };

static int import_rows(store *s, void *arg)
{
    struct import_arg *a = arg;
    for (int i = 0; i < a->n; i++) {
        char name[32], card[16], phone[16];
        snprintf(name, sizeof name, "Customer %d", i);
        snprintf(card, sizeof card, "I%07d", i);
        snprintf(phone, sizeof phone, "6%08d", i);
        struct store_profile p = { .name = name, .card = card, .phone = phone, .consent = 1 };
        if (store_customer_import(s, a->manager, &p, i % 50, i % 3, NULL) != 0)
            return -1;
    }
    return 0;
}

static double store_import(const char *dir, int n)
{
    char path[8192], err[512];
    snprintf(path, sizeof path, "%s/store-%d.db", dir, n);
    store *s = store_open(path, true, err, sizeof err);
    if (!s)
        die("store_open", err);
    struct store_staff m;
    if (store_init_shop(s, "Bench", "PLN") != 0 || store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "1234", &m) != 0)
        die("store setup", store_error(s));
    struct import_arg a = { m.id, n };
    double t0 = now_s();
    if (store_atomically(s, import_rows, &a) != 0)
        die("store import", store_error(s));
    double t = now_s() - t0;
    store_close(s);
    return t;
}

static void raw_exec(sqlite3 *db, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
        die(q, msg);
}

static double raw_import(const char *dir, int n)
{
    char path[8192];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/raw-%d.db", dir, n);
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
    snprintf(e.type, sizeof e.type, "enrol");
    snprintf(e.staff, sizeof e.staff, "0123456789ab");
    snprintf(e.data, sizeof e.data, "{\"consent\":1,\"card\":\"I0000000\"}");
    double t0 = now_s();
    raw_exec(db, "BEGIN IMMEDIATE");
    for (int i = 0; i < n; i++) {
        char name[32], phone[16];
        snprintf(e.customer, sizeof e.customer, "%012d", i);
        snprintf(name, sizeof name, "Customer %d", i);
        snprintf(phone, sizeof phone, "6%08d", i);
        snprintf(e.pii, sizeof e.pii, "{\"name\":\"%s\",\"phone\":\"%s\"}", name, phone);
        e.seq = i + 1;
        e.hlc = e.wall = 1780000000000LL + i;
        e.points = i % 50;
        bench_bind_event(ev, &e);
        sqlite3_bind_text(cu, 1, e.customer, -1, SQLITE_STATIC);
        sqlite3_bind_text(cu, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(cu, 3, phone, -1, SQLITE_STATIC);
        sqlite3_bind_int(cu, 4, i % 50);
        sqlite3_bind_int(cu, 5, i % 3);
        if (sqlite3_step(ev) != SQLITE_DONE || sqlite3_step(cu) != SQLITE_DONE)
            die("raw insert", sqlite3_errmsg(db));
        sqlite3_reset(ev);
        sqlite3_reset(cu);
    }
    raw_exec(db, "COMMIT");
    double t = now_s() - t0;
    sqlite3_finalize(ev);
    sqlite3_finalize(cu);
    sqlite3_close(db);
    return t;
}

int main(void)
{
    const char *dir = bench_tmpdir("bench-import");
    double s1 = store_import(dir, ROWS), r1 = raw_import(dir, ROWS);
    double s2 = store_import(dir, 2 * ROWS), r2 = raw_import(dir, 2 * ROWS);
    double store_rate = 3 * ROWS / (s1 + s2), raw_rate = 3 * ROWS / (r1 + r2);
    double ratio = store_rate / raw_rate, growth = s2 / s1;
    printf("import: store %.0f rows/s, raw sqlite %.0f rows/s, ratio %.3f (goal >= %.2f) %s\n",
           store_rate, raw_rate, ratio, GOAL, ratio >= GOAL ? "ok" : "below goal");
    printf("import-growth: %d rows take %.2f times %d rows' time, ratio %.2f (goal <= %.2f) %s\n",
           2 * ROWS, growth, ROWS, growth, GROWTH_GOAL, growth <= GROWTH_GOAL ? "ok" : "above goal");
    bench_cleanup();
    return 0;
}
