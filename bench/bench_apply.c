/* bench_apply.c - applying 100,000 events from another till, store against
 * raw SQLite.
 *
 * Till A gets a shop, two staff, 2,000 customers and earns until its log
 * holds 100,000 events, made through the public API inside
 * store_atomically (many calls per transaction) with a clock that moves
 * forward, so the events look like a few years of trade. Then A's events
 * are read with store_read_events 1,000 at a time and applied to a fresh
 * till B with store_apply_events, one transaction per batch (as syncd
 * does). Only the apply calls are timed; reading A is not.
 *
 * The raw baseline inserts the very same rows (same columns) into an
 * events table with the store's schema (primary key and indexes as in
 * store/schema.c SCHEMA_V1), 1,000 rows per transaction, same PRAGMAs
 * (journal_mode=WAL, synchronous=FULL), prepared statement. Store and raw
 * batches alternate, in the same directory, so noise hits both alike.
 *
 * Generation note: an earn looks up the customer's tier and due expiry.
 * To keep making A's history quick, A runs with points.expire_days=0 and
 * tier.window_days=1; that changes only which rules A applies, not the
 * shape of the events B receives (B never re-derives an effect).
 *
 * Prints:
 *   apply: store N events/s, raw sqlite M events/s, ratio R (goal >= 0.50) ok
 * plus a check line (B's event count grew by exactly A's events, and every
 * customer's balances on B equal A's). Exits 0 whatever the ratio; 1 only
 * if the benchmark itself could not run or B disagrees with A. */
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

#define CUSTOMERS 2000
#define TOTAL_EVENTS 100000
#define BATCH 1000
#define GEN_PER_TX 5000
#define SPAN_DAYS 1000          /* A's history spans about this many days */
#define GOAL 0.50

/* --- till A: the source of the events ---------------------------------- */

struct gen {
    char barista[STORE_ID_LEN + 1];
    char (*ids)[STORE_ID_LEN + 1];
    int64_t clock, step;
    long made;      /* earns so far */
    long batch;      /* earns in this transaction */
};

static int enrol_all(store *s, void *arg)
{
    struct gen *g = arg;
    for (int i = 0; i < CUSTOMERS; i++) {
        char name[32], card[16];
        snprintf(name, sizeof name, "Customer %d", i);
        snprintf(card, sizeof card, "a%07d", i);
        struct store_profile p = { .name = name, .card = card, .consent = -1 };
        struct store_customer c;
        store_set_clock(s, g->clock);
        g->clock += 1000;
        if (store_customer_add(s, g->barista, &p, &c) != 0)
            return -1;
        memcpy(g->ids[i], c.id, sizeof g->ids[i]);
    }
    return 0;
}

static int earn_some(store *s, void *arg)
{
    struct gen *g = arg;
    for (long i = 0; i < g->batch; i++) {
        long k = g->made + i;
        /* Some customers come often, most now and then. */
        unsigned long h = (unsigned long)k * 2654435761u;
        int who = (int)(h % 7 < 3 ? h % (CUSTOMERS / 10) : (h >> 8) % CUSTOMERS);
        struct store_earn e = { .amount = 180 + (int64_t)((h >> 4) % 2400),
                                .items = 1 + (int)((h >> 12) % 3) };
        store_set_clock(s, g->clock);
        g->clock += g->step;
        if (store_earn(s, g->barista, g->ids[who], &e, NULL) != 0)
            return -1;
    }
    return 0;
}

static store *make_source(const char *path, char (*ids)[STORE_ID_LEN + 1])
{
    char err[512];
    store *s = store_open(path, true, err, sizeof err);
    if (!s)
        die("store_open A", err);
    struct gen g = { .ids = ids };
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t real = (int64_t)ts.tv_sec * 1000;
    g.clock = real - (int64_t)SPAN_DAYS * 86400000;
    g.step = (int64_t)SPAN_DAYS * 86400000 / TOTAL_EVENTS;
    store_set_clock(s, g.clock);
    struct store_staff m, b;
    if (store_init_shop(s, "Source Cafe", "EUR") != 0 ||
        store_staff_add(s, NULL, "M", ROLE_MANAGER, "1234", &m) != 0 ||
        store_staff_add(s, m.id, "B", ROLE_BARISTA, "1234", &b) != 0 ||
        store_setting_set(s, m.id, "limits.per_day", "0") != 0 ||
        store_setting_set(s, m.id, "points.expire_days", "0") != 0 ||
        store_setting_set(s, m.id, "tier.window_days", "1") != 0)
        die("store setup A", store_error(s));
    memcpy(g.barista, b.id, sizeof g.barista);
    if (store_atomically(s, enrol_all, &g) != 0)
        die("enrol customers on A", store_error(s));
    int64_t have;
    while ((have = store_event_count(s)) >= 0 && have < TOTAL_EVENTS) {
        g.batch = TOTAL_EVENTS - have < GEN_PER_TX ? TOTAL_EVENTS - have : GEN_PER_TX;
        if (store_atomically(s, earn_some, &g) != 0)
            die("earns on A", store_error(s));
        g.made += g.batch;
    }
    if (have < 0)
        die("event count on A", store_error(s));
    store_set_clock(s, 0);
    return s;
}

/* --- the raw side -------------------------------------------------------- */


struct raw_side {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *ins;
};

static void raw_setup(struct raw_side *r, const char *path)
{
    r->db = raw_open(path, BENCH_EVENTS_SCHEMA);
    raw_prepare(r->db, &r->begin, "BEGIN IMMEDIATE");
    raw_prepare(r->db, &r->commit, "COMMIT");
    raw_prepare(r->db, &r->ins, BENCH_EVENT_INSERT);
}

static void raw_insert(struct raw_side *r, const struct store_event *evs, int n)
{
    raw_step(r->db, r->begin, "raw BEGIN");
    sqlite3_stmt *st = r->ins;
    for (int i = 0; i < n; i++) {
        bench_bind_event(st, &evs[i]);
        raw_step(r->db, st, "raw INSERT event");
    }
    raw_step(r->db, r->commit, "raw COMMIT");
}

static void raw_close(struct raw_side *r)
{
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_finalize(r->ins);
    sqlite3_close(r->db);
}

/* --- the run ----------------------------------------------------------- */

int main(void)
{
    const char *tmpdir = bench_tmpdir("bench-apply");
    char path[8192], err[512];
    static char ids[CUSTOMERS][STORE_ID_LEN + 1];

    double t0 = now_s();
    snprintf(path, sizeof path, "%s/a.db", tmpdir);
    store *a = make_source(path, ids);
    int64_t a_events = store_event_count(a);
    double gen_s = now_s() - t0;

    snprintf(path, sizeof path, "%s/b.db", tmpdir);
    store *b = store_open(path, true, err, sizeof err);
    if (!b)
        die("store_open B", err);
    if (store_init_shop(b, "Receiving Cafe", "EUR") != 0)
        die("store setup B", store_error(b));
    int64_t b_before = store_event_count(b);

    struct raw_side raw;
    snprintf(path, sizeof path, "%s/raw.db", tmpdir);
    raw_setup(&raw, path);

    struct store_event *batch = malloc(sizeof *batch * BATCH);
    enum store_apply *res = malloc(sizeof *res * BATCH);
    if (!batch || !res)
        die("malloc", "out of memory");
    char origin[STORE_ORIGIN_LEN + 1];
    snprintf(origin, sizeof origin, "%s", store_origin(a));
    double store_s = 0, raw_s = 0;
    long applied = 0, other = 0, batches = 0;
    int64_t after = 0;
    char why[256] = "";
    for (;;) {
        int n = store_read_events(a, origin, after, batch, BATCH);
        if (n < 0)
            die("store_read_events", store_error(a));
        if (n == 0)
            break;
        after = batch[n - 1].seq;
        char w[256];
        double t = now_s();
        if (store_apply_events(b, batch, (size_t)n, res, w, sizeof w) != 0)
            die("store_apply_events", store_error(b));
        store_s += now_s() - t;
        t = now_s();
        raw_insert(&raw, batch, n);
        raw_s += now_s() - t;
        for (int i = 0; i < n; i++) {
            if (res[i] == STORE_APPLIED)
                applied++;
            else
                other++;
        }
        if (w[0] && !why[0])
            snprintf(why, sizeof why, "%s", w);
        batches++;
    }

    double sr = store_s > 0 ? (double)a_events / store_s : 0;
    double rr = raw_s > 0 ? (double)a_events / raw_s : 0;
    double ratio = rr > 0 ? sr / rr : 0;
    printf("apply: store %.0f events/s, raw sqlite %.0f events/s, ratio %.2f (goal >= %.2f) %s\n",
           sr, rr, ratio, GOAL, ratio >= GOAL ? "ok" : "below goal");

    /* B must now hold A's events on top of its own, with A's balances. */
    int64_t b_after = store_event_count(b);
    long mismatched = 0;
    for (int i = 0; i < CUSTOMERS; i++) {
        struct store_customer ca, cb;
        if (store_customer_get(a, ids[i], &ca) != 0 || store_customer_get(b, ids[i], &cb) != 0 ||
            ca.points != cb.points || ca.stamps != cb.stamps || ca.credit != cb.credit ||
            ca.spend != cb.spend || ca.visits != cb.visits)
            mismatched++;
    }
    bool good = other == 0 && b_after - b_before == a_events && mismatched == 0;
    printf("  (%" PRId64 " events from A in %ld batches of %d; B held %" PRId64 ", now %" PRId64
           " (+%" PRId64 "); %ld applied, %ld not%s%s; balances of %d customers %s;"
           " store %.2f s, raw %.2f s; A made in %.1f s)\n",
           a_events, batches, BATCH, b_before, b_after, b_after - b_before, applied, other,
           why[0] ? ": " : "", why, CUSTOMERS,
           mismatched ? "DIFFER" : "equal on A and B", store_s, raw_s, gen_s);
    if (!good)
        fprintf(stderr, "bench_apply: B does not match A (%ld customers differ)\n", mismatched);

    free(batch);
    free(res);
    store_close(a);
    store_close(b);
    raw_close(&raw);
    bench_cleanup();
    return good ? 0 : 1;
}
