/* bench_earn.c - durable earn commits per second, store against raw SQLite.
 *
 * Each store_earn is its own write transaction (WAL, synchronous=FULL), so
 * on most disks the fsync of the WAL sets the pace. The raw baseline does
 * the least work an earn must do in the same setting: BEGIN IMMEDIATE, one
 * INSERT into an events table of the store's shape (same columns, primary
 * key and indexes as store/schema.c SCHEMA_V1), one upsert of the customer's
 * balance row, COMMIT, all with prepared statements. Both databases live in
 * one temporary directory (same filesystem) and the rounds alternate
 * store, raw, store, raw ... so disk noise hits both alike; each side's
 * figure is the median of its rounds.
 *
 * Prints one line:
 *   earn: store N commits/s, raw sqlite M commits/s, ratio R (goal >= 0.80) ok
 * and exits 0 whatever the ratio (no timed assertions); exits 1 only if
 * the benchmark itself could not run. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench/bench.h"
#include "store/store.h"

#define CUSTOMERS 300
#define ROUNDS 3
#define MAX_OPS 2000            /* per side, over all rounds */
#define ROUND_SECONDS 1.2       /* per side and round: ~3.6 s per side at most */
#define GOAL 0.80

/* --- the store side -------------------------------------------------- */

struct store_side {
    store *s;
    char barista[STORE_ID_LEN + 1];
    char ids[CUSTOMERS][STORE_ID_LEN + 1];
    long next;
};

struct enrol_arg { struct store_side *side; };

static int enrol_all(store *s, void *arg)
{
    struct store_side *side = ((struct enrol_arg *)arg)->side;
    for (int i = 0; i < CUSTOMERS; i++) {
        char name[32], card[16];
        snprintf(name, sizeof name, "Customer %d", i);
        snprintf(card, sizeof card, "e%07d", i);
        struct store_profile p = { .name = name, .card = card, .consent = -1 };
        struct store_customer c;
        if (store_customer_add(s, side->barista, &p, &c) != 0)
            return -1;
        memcpy(side->ids[i], c.id, sizeof side->ids[i]);
    }
    return 0;
}

static void store_setup(struct store_side *side, const char *path)
{
    char err[512];
    side->s = store_open(path, true, err, sizeof err);
    if (!side->s)
        die("store_open", err);
    store *s = side->s;
    struct store_staff m, b;
    if (store_init_shop(s, "Bench Cafe", "EUR") != 0 ||
        store_staff_add(s, NULL, "M", ROLE_MANAGER, "1234", &m) != 0 ||
        store_staff_add(s, m.id, "B", ROLE_BARISTA, "1234", &b) != 0 ||
        store_setting_set(s, m.id, "limits.per_day", "0") != 0)
        die("store setup", store_error(s));
    memcpy(side->barista, b.id, sizeof side->barista);
    struct enrol_arg a = { side };
    if (store_atomically(s, enrol_all, &a) != 0)
        die("enrol customers", store_error(s));
}

/* Runs up to max earns or until secs pass; returns the count done. */
static long store_round(struct store_side *side, long max, double secs, double *elapsed)
{
    double t0 = now_s(), t = t0;
    long n = 0;
    while (n < max && t - t0 < secs) {
        long k = side->next++;
        struct store_earn e = { .amount = 250 + (k * 37) % 1200, .items = 1 };
        struct store_result r;
        if (store_earn(side->s, side->barista, side->ids[k % CUSTOMERS], &e, &r) != 0)
            die("store_earn", store_error(side->s));
        n++;
        t = now_s();
    }
    *elapsed = t - t0;
    return n;
}

/* --- the raw side ---------------------------------------------------- */

/* The events table exactly as the store has it, and the customers table
 * with its balance columns and indexes. */
static const char RAW_SCHEMA[] =
    BENCH_EVENTS_SCHEMA
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
    "CREATE INDEX customers_name ON customers(name_key);";

struct raw_side {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *ins, *upsert;
    char ids[CUSTOMERS][STORE_ID_LEN + 1];
    long next;
};

static void raw_setup(struct raw_side *r, const char *path)
{
    r->db = raw_open(path, RAW_SCHEMA);
    raw_prepare(r->db, &r->begin, "BEGIN IMMEDIATE");
    raw_prepare(r->db, &r->commit, "COMMIT");
    raw_prepare(r->db, &r->ins,
        "INSERT INTO events(origin, seq, hlc, wall, type, staff, customer, points, stamps,"
        " credit, spend, visits, ref_origin, ref_seq, occasion, reason, data, pii, pii_hash, hash)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)");
    raw_prepare(r->db, &r->upsert,
        "INSERT INTO customers(id, points, stamps, spend, visits, first_visit, last_visit)"
        " VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5) ON CONFLICT(id) DO UPDATE SET"
        " points = points + excluded.points, stamps = stamps + excluded.stamps,"
        " spend = spend + excluded.spend, visits = visits + 1,"
        " last_visit = max(last_visit, excluded.last_visit)");
    raw_check(r->db, sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK, "raw begin");
    for (int i = 0; i < CUSTOMERS; i++) {
        snprintf(r->ids[i], sizeof r->ids[i], "c0ffee%06x", (unsigned)i);
        sqlite3_stmt *st;
        raw_prepare(r->db, &st, "INSERT INTO customers(id, card, name) VALUES(?1, ?2, ?3)");
        sqlite3_bind_text(st, 1, r->ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, "e0000000", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, "Customer", -1, SQLITE_STATIC);
        raw_check(r->db, sqlite3_step(st), SQLITE_DONE, "raw customer");
        sqlite3_finalize(st);
    }
    raw_check(r->db, sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "raw commit");
}

static long raw_round(struct raw_side *r, long max, double secs, double *elapsed)
{
    static const char origin[] = "b0a7c0de", staff[] = "5a5a5a5a5a5a";
    unsigned char blob[32];
    char data[128];
    double t0 = now_s(), t = t0;
    long n = 0;
    while (n < max && t - t0 < secs) {
        long k = r->next++;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        int64_t amount = 250 + (k * 37) % 1200;
        const char *cust = r->ids[k % CUSTOMERS];
        for (int i = 0; i < 32; i++)
            blob[i] = (unsigned char)(k * 131 + i * 7);
        /* The size of an earn's data as the store writes it. */
        snprintf(data, sizeof data,
                 "{\"items\":1,\"tier\":\"Silver\",\"multiplier\":1000,\"promo\":1000}");
        raw_step(r->db, r->begin, "raw BEGIN");
        sqlite3_stmt *st = r->ins;
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, k + 1);
        sqlite3_bind_int64(st, 3, (wall << 16) + k);
        sqlite3_bind_int64(st, 4, wall);
        sqlite3_bind_text(st, 5, "earn", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, staff, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, cust, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, amount / 100);
        sqlite3_bind_int64(st, 9, 1);
        sqlite3_bind_int64(st, 10, 0);
        sqlite3_bind_int64(st, 11, amount);
        sqlite3_bind_int64(st, 12, 1);
        sqlite3_bind_text(st, 13, "", 0, SQLITE_STATIC);
        sqlite3_bind_int64(st, 14, 0);
        sqlite3_bind_text(st, 15, "", 0, SQLITE_STATIC);
        sqlite3_bind_text(st, 16, "", 0, SQLITE_STATIC);
        sqlite3_bind_text(st, 17, data, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, "", 0, SQLITE_STATIC);
        sqlite3_bind_blob(st, 19, blob, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 20, blob, 32, SQLITE_STATIC);
        raw_step(r->db, st, "raw INSERT event");
        st = r->upsert;
        sqlite3_bind_text(st, 1, cust, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, amount / 100);
        sqlite3_bind_int64(st, 3, 1);
        sqlite3_bind_int64(st, 4, amount);
        sqlite3_bind_int64(st, 5, wall);
        raw_step(r->db, st, "raw UPSERT customer");
        raw_step(r->db, r->commit, "raw COMMIT");
        n++;
        t = now_s();
    }
    *elapsed = t - t0;
    return n;
}

static void raw_close(struct raw_side *r)
{
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_finalize(r->ins);
    sqlite3_finalize(r->upsert);
    sqlite3_close(r->db);
}

int main(void)
{
    const char *tmpdir = bench_tmpdir("bench-earn");
    char path[8192];
    static struct store_side ss;
    static struct raw_side rs;
    snprintf(path, sizeof path, "%s/store.db", tmpdir);
    store_setup(&ss, path);
    snprintf(path, sizeof path, "%s/raw.db", tmpdir);
    raw_setup(&rs, path);

    /* One untimed warm-up commit each: statements prepared, WAL created. */
    double el;
    store_round(&ss, 5, 10, &el);
    raw_round(&rs, 5, 10, &el);

    double store_rate[ROUNDS], raw_rate[ROUNDS];
    long store_n = 0, raw_n = 0;
    for (int i = 0; i < ROUNDS; i++) {
        long n = store_round(&ss, MAX_OPS / ROUNDS, ROUND_SECONDS, &el);
        store_rate[i] = n / el;
        store_n += n;
        n = raw_round(&rs, MAX_OPS / ROUNDS, ROUND_SECONDS, &el);
        raw_rate[i] = n / el;
        raw_n += n;
    }
    double sorted_s[ROUNDS], sorted_r[ROUNDS];
    memcpy(sorted_s, store_rate, sizeof sorted_s);
    memcpy(sorted_r, raw_rate, sizeof sorted_r);
    double sr = median(sorted_s, ROUNDS), rr = median(sorted_r, ROUNDS);
    double ratio = rr > 0 ? sr / rr : 0;
    printf("earn: store %.0f commits/s, raw sqlite %.0f commits/s, ratio %.2f (goal >= %.2f) %s\n",
           sr, rr, ratio, GOAL, ratio >= GOAL ? "ok" : "below goal");
    printf("  (%ld store earns, %ld raw transactions, %d alternating rounds each, medians;"
           " store rounds %.0f/%.0f/%.0f, raw %.0f/%.0f/%.0f)\n",
           store_n, raw_n, ROUNDS, store_rate[0], store_rate[1], store_rate[2],
           raw_rate[0], raw_rate[1], raw_rate[2]);
    store_close(ss.s);
    raw_close(&rs);
    bench_cleanup();
    return 0;
}
