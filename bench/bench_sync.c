/* bench_sync.c - sync between two tills on 127.0.0.1, against the raw
 * floor measured in the same run.
 *
 * Two syncd run in threads of this process (each its own ZeroMQ context,
 * CURVE and ZAP as in production, inotify wake-ups), with till A and a
 * till B that joined it. Everything lives in a temporary directory.
 *
 * Latency: 400 earns at A, one at a time, each written by a separate
 * connection (as a kiosk would); the time from the start of the earn's
 * commit at A until B holds the event committed (B is polled every 50 us
 * by a reader of its own). The raw floor does the same work without the
 * store or the protocol: one SQLite commit of one row (WAL,
 * synchronous=FULL, like the store), one ZeroMQ hop over CURVE (PUSH to
 * PULL, keys as the tills have), one SQLite commit at the other end.
 * Prints p50 and p99 of both; the ratio is floor p99 / sync p99 and the
 * goal p99 <= 10 ms is written as that ratio's goal (floor p99 / 10 ms).
 *
 * Catch-up: B's syncd stops, A makes 100,000 events (through the API,
 * many per transaction), B's syncd starts again and the clock runs until
 * B holds them all. The raw side inserts the same rows into a table with
 * the store's events schema, SYNC_CATCHUP_TX_EVENTS (8,000) per
 * transaction, as many as syncd commits at once while catching up. The
 * ratio is sync / raw; the goal of 50,000 events/s is written as that
 * ratio's goal (50,000 / the raw rate measured).
 *
 * While B catches up, a barista at B makes an earn every 20 ms on a
 * connection of its own (a kiosk): the time each takes, against the same
 * earn at B while it is idle. syncd commits a catch-up in transactions of
 * about SYNC_CATCHUP_TX_MS (150 ms, plus the batch under way) and pauses
 * between them, so no earn should wait longer than one of them.
 *
 * Exits 0 whatever the figures; 1 only if the benchmark cannot run or B
 * ends up with other events than A. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zmq.h>

#include "bench/bench.h"
#include "store/store.h"
#include "sync/internal.h"

#define CUSTOMERS 1000
#define LAT_ROUNDS (getenv("BENCH_ROUNDS") ? 100 : 400)
#define CATCHUP (getenv("BENCH_CATCHUP") ? atoi(getenv("BENCH_CATCHUP")) : 100000)
#define GEN_PER_TX 5000
#define RAW_BATCH SYNC_CATCHUP_TX_EVENTS
#define GOAL_P99_MS 10.0
#define GOAL_RATE 50000.0

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static store *open_db(const char *name, bool create)
{
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/%s", bench_dir, name);
    store *s = store_open(path, create, err, sizeof err);
    if (!s)
        die("store_open", err);
    return s;
}

/* --- the daemons ----------------------------------------------------------- */

struct daemon {
    pthread_t thread;
    volatile sig_atomic_t stop;
    struct sync_options o;
    char path[4200];
    bool running;
};

static void *daemon_main(void *arg)
{
    struct daemon *d = arg;
    if (sync_daemon_run(&d->o) != 0)
        fprintf(stderr, "bench_sync: syncd of %s stopped with an error\n", d->path);
    return NULL;
}

static void daemon_start(struct daemon *d, const char *name, const char *listen)
{
    snprintf(d->path, sizeof d->path, "%s/%s", bench_dir, name);
    d->stop = 0;
    d->o.db_path = d->path;
    d->o.listen = listen;
    d->o.heartbeat_ms = 250;
    d->o.stop = &d->stop;
    if (pthread_create(&d->thread, NULL, daemon_main, d) != 0)
        die("pthread_create", strerror(errno));
    d->running = true;
}

static void daemon_stop(struct daemon *d)
{
    if (!d->running)
        return;
    d->stop = 1;
    pthread_join(d->thread, NULL);
    d->running = false;
}

static void wait_address(struct daemon *d, char *out, size_t outsz)
{
    struct sync_status st;
    for (int i = 0; i < 400; i++) {
        if (sync_status_read(d->path, &st) == 0 && st.running && st.address[0]) {
            snprintf(out, outsz, "%s", st.address);
            return;
        }
        sleep_us(25000);
    }
    die("syncd", "never said where it listens");
}

/* The highest seq of origin that b holds with none missing below. */
static int64_t contiguous(store *b, const char *origin)
{
    static struct store_vv vv[64];
    int n = store_version_vector(b, vv, 64);
    for (int i = 0; i < n; i++)
        if (strcmp(vv[i].origin, origin) == 0)
            return vv[i].seq;
    return 0;
}

/* Waits until b holds every event of origin up to `want`; returns seconds. */
static double wait_for(store *b, const char *origin, int64_t want, double limit, double poll_us)
{
    double t0 = now_s();
    for (;;) {
        store_release(b);
        int64_t have = contiguous(b, origin);
        if (have >= want)
            return now_s() - t0;
        if (now_s() - t0 > limit)
            die("waiting for B", "B did not get A's events in time");
        sleep_us((long)poll_us);
    }
}

/* --- a kiosk at till B --------------------------------------------------------- */

#define KIOSK_MAX 2000

struct kiosk {
    pthread_t thread;
    volatile int stop;
    const char *barista;
    char (*ids)[STORE_ID_LEN + 1];
    double took[KIOSK_MAX];     /* seconds, per earn */
    int n, limit;
};

static void *kiosk_main(void *arg)
{
    struct kiosk *k = arg;
    store *s = open_db("b.db", false);
    while (!k->stop && k->n < k->limit) {
        struct store_earn e = { .amount = 350, .items = 1 };
        double t0 = now_s();
        if (store_earn(s, k->barista, k->ids[k->n % CUSTOMERS], &e, NULL) != 0)
            die("earn at B", store_error(s));
        k->took[k->n++] = now_s() - t0;
        sleep_us(20000);
    }
    store_close(s);
    return NULL;
}

/* --- till A's history ------------------------------------------------------- */

struct gen {
    char barista[STORE_ID_LEN + 1];
    char (*ids)[STORE_ID_LEN + 1];
    long made, left;
};

static int enrol_all(store *s, void *arg)
{
    struct gen *g = arg;
    for (int i = 0; i < CUSTOMERS; i++) {
        char name[32], card[16];
        snprintf(name, sizeof name, "Customer %d", i);
        snprintf(card, sizeof card, "b%07d", i);
        struct store_profile p = { .name = name, .card = card, .consent = -1 };
        struct store_customer c;
        if (store_customer_add(s, g->barista, &p, &c) != 0)
            return -1;
        memcpy(g->ids[i], c.id, sizeof g->ids[i]);
    }
    return 0;
}

static int earn_some(store *s, void *arg)
{
    struct gen *g = arg;
    for (long i = 0; i < g->left; i++) {
        unsigned long h = (unsigned long)(g->made + i) * 2654435761u;
        struct store_earn e = { .amount = 180 + (int64_t)((h >> 4) % 2400), .items = 1 };
        if (store_earn(s, g->barista, g->ids[h % CUSTOMERS], &e, NULL) != 0)
            return -1;
    }
    return 0;
}

/* --- the raw floor ----------------------------------------------------------- */

static sqlite3 *raw_file(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", bench_dir, name);
    return raw_open(path, BENCH_EVENTS_SCHEMA);
}

static sqlite3_stmt *raw_insert_stmt(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, BENCH_EVENT_INSERT, -1, &st, NULL) != SQLITE_OK)
        die("raw prepare", sqlite3_errmsg(db));
    return st;
}

static void raw_insert(sqlite3 *db, sqlite3_stmt *st, const struct store_event *e)
{
    sqlite3_reset(st);
    bench_bind_event(st, e);
    if (sqlite3_step(st) != SQLITE_DONE)
        die("raw insert", sqlite3_errmsg(db));
}

struct hop {
    void *zctx;
    char ep[128];
    char server_pub[41], server_sec[41];
    sqlite3 *db;
    volatile int ready;
    int64_t *done;          /* when each row was committed at the far end, ns */
    int rounds;
};

/* The far end of the raw floor: receive a row over CURVE, commit it. */
static void *hop_main(void *arg)
{
    struct hop *h = arg;
    void *pull = zmq_socket(h->zctx, ZMQ_PULL);
    int one = 1, linger = 0;
    zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pull, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(pull, ZMQ_CURVE_SECRETKEY, h->server_sec, 41);
    if (zmq_bind(pull, "tcp://127.0.0.1:*") != 0)
        die("raw hop bind", zmq_strerror(errno));
    size_t len = sizeof h->ep;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, h->ep, &len);
    sqlite3_stmt *ins = raw_insert_stmt(h->db);
    __atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < h->rounds; i++) {
        struct store_event e;
        if (zmq_recv(pull, &e, sizeof e, 0) != (int)sizeof e)
            die("raw hop recv", zmq_strerror(errno));
        sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL);
        raw_insert(h->db, ins, &e);
        if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("raw commit", sqlite3_errmsg(h->db));
        __atomic_store_n(&h->done[i], (int64_t)(now_s() * 1e9), __ATOMIC_RELEASE);
    }
    sqlite3_finalize(ins);
    zmq_close(pull);
    return NULL;
}

/* One commit + one CURVE hop + one commit, LAT_ROUNDS times. */
static void raw_floor(const struct store_event *sample, double *lat)
{
    struct hop h;
    memset(&h, 0, sizeof h);
    h.zctx = zmq_ctx_new();
    zmq_curve_keypair(h.server_pub, h.server_sec);
    h.db = raw_file("raw-b.db");
    h.rounds = LAT_ROUNDS;
    h.done = calloc(LAT_ROUNDS, sizeof *h.done);
    sqlite3 *a = raw_file("raw-a.db");
    sqlite3_stmt *ins = raw_insert_stmt(a);
    pthread_t t;
    pthread_create(&t, NULL, hop_main, &h);
    while (!__atomic_load_n(&h.ready, __ATOMIC_ACQUIRE))
        sleep_us(1000);
    char pub[41], sec[41];
    zmq_curve_keypair(pub, sec);
    void *push = zmq_socket(h.zctx, ZMQ_PUSH);
    int linger = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(push, ZMQ_CURVE_SERVERKEY, h.server_pub, 41);
    zmq_setsockopt(push, ZMQ_CURVE_PUBLICKEY, pub, 41);
    zmq_setsockopt(push, ZMQ_CURVE_SECRETKEY, sec, 41);
    if (zmq_connect(push, h.ep) != 0)
        die("raw hop connect", zmq_strerror(errno));
    struct store_event e = *sample;
    for (int i = 0; i < LAT_ROUNDS; i++) {
        e.seq = 1000000 + i;
        double t0 = now_s();
        sqlite3_exec(a, "BEGIN", NULL, NULL, NULL);
        raw_insert(a, ins, &e);
        if (sqlite3_exec(a, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("raw commit", sqlite3_errmsg(a));
        if (zmq_send(push, &e, sizeof e, 0) != (int)sizeof e)
            die("raw hop send", zmq_strerror(errno));
        int64_t t1;
        while ((t1 = __atomic_load_n(&h.done[i], __ATOMIC_ACQUIRE)) == 0)
            sleep_us(50);
        lat[i] = (double)t1 / 1e9 - t0;
        sleep_us(2000);
    }
    pthread_join(t, NULL);
    zmq_close(push);
    zmq_ctx_term(h.zctx);
    sqlite3_finalize(ins);
    sqlite3_close(a);
    sqlite3_close(h.db);
    free(h.done);
}

/* RAW_BATCH rows per transaction, as syncd commits them. Returns events/s. */
static double raw_batched(store *a, const char *origin, int64_t after, int64_t n)
{
    sqlite3 *db = raw_file("raw-catchup.db");
    sqlite3_stmt *ins = raw_insert_stmt(db);
    struct store_event *ev = calloc(RAW_BATCH, sizeof *ev);
    double spent = 0;
    int64_t done = 0;
    while (done < n) {
        int k = store_read_events(a, origin, after + done, ev, RAW_BATCH);
        store_release(a);
        if (k <= 0)
            die("reading A", store_error(a));
        double t0 = now_s();
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int i = 0; i < k; i++)
            raw_insert(db, ins, &ev[i]);
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("raw commit", sqlite3_errmsg(db));
        spent += now_s() - t0;
        done += k;
    }
    free(ev);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return (double)done / spent;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    log_set_level(getenv("BENCH_DEBUG") ? 7 : 3);  /* errors only */
    bench_tmpdir("bench_sync");

    /* Till A with a manager, a barista and customers; till B joins it. */
    store *a = open_db("a.db", true);
    struct store_staff m, b;
    if (store_init_shop(a, "Bench Cafe", "EUR") != 0 ||
        store_staff_add(a, NULL, "M", ROLE_MANAGER, "1234", &m) != 0 ||
        store_staff_add(a, m.id, "B", ROLE_BARISTA, "1234", &b) != 0 ||
        store_setting_set(a, m.id, "limits.per_day", "0") != 0 ||
        store_setting_set(a, m.id, "points.expire_days", "0") != 0)
        die("till A", store_error(a));
    struct gen g = { .ids = calloc(CUSTOMERS, sizeof *g.ids) };
    memcpy(g.barista, b.id, sizeof g.barista);
    if (!g.ids || store_atomically(a, enrol_all, &g) != 0)
        die("customers", store_error(a));
    char shop[STORE_SHOP_ID_LEN + 1], origin_a[STORE_ORIGIN_LEN + 1], origin_b[STORE_ORIGIN_LEN + 1];
    unsigned char secret[STORE_SECRET_BYTES], pk_a[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    unsigned char pk_b[STORE_KEY_BYTES], sk_b[STORE_KEY_BYTES];
    if (store_shop_id(a, shop) != 0 || store_shop_secret(a, secret) != 0 || store_till_keys(a, pk_a, sk) != 0)
        die("till A keys", store_error(a));
    snprintf(origin_a, sizeof origin_a, "%s", store_origin(a));
    char pub[41], sec[41];
    zmq_curve_keypair(pub, sec);
    zmq_z85_decode(pk_b, pub);
    zmq_z85_decode(sk_b, sec);
    store_random_origin(origin_b);
    store *bs = open_db("b.db", true);
    if (store_join_setup(bs, shop, secret, origin_b, pk_b, sk_b, NULL) != 0)
        die("till B", store_error(bs));

    struct daemon da, db;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    daemon_start(&da, "a.db", "127.0.0.1:0");
    char addr_a[STORE_ADDRESS_MAX + 1], boot[256], keyhex[2 * STORE_KEY_BYTES + 1];
    wait_address(&da, addr_a, sizeof addr_a);
    for (int i = 0; i < STORE_KEY_BYTES; i++)
        snprintf(keyhex + 2 * i, 3, "%02x", pk_a[i]);
    snprintf(boot, sizeof boot, "%s %s", keyhex, addr_a);
    struct store_till t;
    memset(&t, 0, sizeof t);
    snprintf(t.origin, sizeof t.origin, "%s", origin_b);
    memcpy(t.public_key, pk_b, STORE_KEY_BYTES);
    snprintf(t.name, sizeof t.name, "B");
    if (store_sync_set(bs, "sync.bootstrap", boot) != 0 || store_till_record(a, m.id, &t) != 0)
        die("joining B", store_error(a));
    store_close(bs);
    daemon_start(&db, "b.db", "127.0.0.1:0");
    store *reader = open_db("b.db", false);
    wait_for(reader, origin_a, store_max_seq(a, origin_a), 60, 1000);

    /* --- latency --------------------------------------------------------------- */
    double *lat = calloc(LAT_ROUNDS, sizeof *lat), *raw = calloc(LAT_ROUNDS, sizeof *raw);
    store *w = open_db("a.db", false);     /* a writer of its own, like a kiosk */
    for (int i = 0; i < LAT_ROUNDS; i++) {
        struct store_earn e = { .amount = 450, .items = 1 };
        struct store_result r;
        double t0 = now_s();
        if (store_earn(w, b.id, g.ids[i % CUSTOMERS], &e, &r) != 0)
            die("earn", store_error(w));
        char o[STORE_ORIGIN_LEN + 1];
        int64_t seq;
        store_parse_event_ref(r.ref, o, &seq);
        wait_for(reader, origin_a, seq, 10, 50);
        lat[i] = now_s() - t0;
        sleep_us(2000);
    }
    struct store_event sample;
    if (store_read_events(a, origin_a, store_max_seq(a, origin_a) - 1, &sample, 1) != 1)
        die("sample", store_error(a));
    store_release(a);
    raw_floor(&sample, raw);
    double p50 = pct(lat, LAT_ROUNDS, 0.50) * 1000, p99 = pct(lat, LAT_ROUNDS, 0.99) * 1000;
    double r50 = pct(raw, LAT_ROUNDS, 0.50) * 1000, r99 = pct(raw, LAT_ROUNDS, 0.99) * 1000;
    double lat_ratio = r99 / p99, lat_goal = r99 / GOAL_P99_MS;
    printf("sync-latency: A commit to B commit p50 %.2f ms, p99 %.2f ms; raw floor p50 %.2f ms, p99 %.2f ms;"
           " ratio %.2f (goal >= %.2f) %s\n", p50, p99, r50, r99, lat_ratio, lat_goal,
           p99 <= GOAL_P99_MS ? "ok" : "below goal");
    printf("  (%d earns one at a time; ratio = floor p99 / sync p99, goal = p99 <= %.0f ms;"
           " floor = SQLite commit + ZeroMQ CURVE hop + SQLite commit)\n", LAT_ROUNDS, GOAL_P99_MS);

    /* --- catch-up --------------------------------------------------------------- */
    daemon_stop(&db);
    int64_t from = store_max_seq(a, origin_a);
    double tg = now_s();
    while (store_max_seq(a, origin_a) - from < CATCHUP) {
        g.left = CATCHUP - (store_max_seq(a, origin_a) - from);
        if (g.left > GEN_PER_TX)
            g.left = GEN_PER_TX;
        if (store_atomically(a, earn_some, &g) != 0)
            die("earns on A", store_error(a));
        g.made += g.left;
    }
    tg = now_s() - tg;
    int64_t target = store_max_seq(a, origin_a);
    store_release(a);
    store_release(reader);
    if (getenv("BENCH_DEBUG"))
        fprintf(stderr, "B holds %lld of A (max %lld), A %lld\n", (long long)store_event_count(reader),
                (long long)store_max_seq(reader, origin_a), (long long)target);
    store_release(reader);
    /* The kiosk at B, idle first: 25 earns with nothing else writing. */
    static struct kiosk idle, busy;
    idle.barista = busy.barista = g.barista;
    idle.ids = busy.ids = g.ids;
    idle.limit = 25;
    busy.limit = KIOSK_MAX;
    pthread_create(&idle.thread, NULL, kiosk_main, &idle);
    pthread_join(idle.thread, NULL);
    pthread_create(&busy.thread, NULL, kiosk_main, &busy);
    daemon_start(&db, "b.db", NULL);
    double took = wait_for(reader, origin_a, target, 140, 2000);
    busy.stop = 1;
    pthread_join(busy.thread, NULL);
    double rate = (double)CATCHUP / took;
    double raw_rate = raw_batched(a, origin_a, from, CATCHUP);
    /* A gets the kiosk's earns at B before the two are compared. */
    wait_for(a, origin_b, store_max_seq(reader, origin_b), 60, 2000);
    store_release(reader);
    daemon_stop(&db);
    daemon_stop(&da);
    store_release(reader);
    char da_[65], db_[65];
    int64_t ca = store_event_count(a), cb = store_event_count(reader);
    if (store_digest(a, da_) != 0 || store_digest(reader, db_) != 0)
        die("digest", store_error(a));
    printf("sync-catchup: store %.0f events/s, raw batched insert %.0f events/s, ratio %.2f (goal >= %.2f) %s\n",
           rate, raw_rate, rate / raw_rate, GOAL_RATE / raw_rate, rate >= GOAL_RATE ? "ok" : "below goal");
    printf("  (B %d events behind caught up in %.2f s, batches of %d, up to %d per transaction;"
           " raw = same rows, %d per transaction; goal %.0f events/s; A made them in %.1f s)\n",
           CATCHUP, took, SYNC_BATCH_MAX, SYNC_CATCHUP_TX_EVENTS, RAW_BATCH, GOAL_RATE, tg);
    double idle50 = pct(idle.took, idle.n, 0.50) * 1000, busy50 = pct(busy.took, busy.n, 0.50) * 1000;
    double wait = pct(busy.took, busy.n, 1.0) * 1000 - idle50, kiosk_ratio = wait / SYNC_CATCHUP_TX_MS;
    printf("sync-kiosk: an earn at B while it catches up p50 %.1f ms, longest wait for the lock %.1f ms;"
           " idle p50 %.1f ms; ratio %.2f (goal <= 1.50) %s\n", busy50, wait, idle50, kiosk_ratio,
           kiosk_ratio <= 1.5 ? "ok" : "above goal");
    printf("  (%d earns at B, one every 20 ms on a connection of its own, during the catch-up above;"
           " ratio = longest wait (slowest earn - idle p50) / the %d ms a catch-up transaction may last;"
           " goal: one such transaction and one batch)\n", busy.n, SYNC_CATCHUP_TX_MS);
    bool same = ca == cb && strcmp(da_, db_) == 0;
    printf("  check: A %" PRId64 " events, B %" PRId64 ", digests %s\n", ca, cb, same ? "equal" : "DIFFER");
    store_close(w);
    store_close(reader);
    store_close(a);
    free(lat);
    free(raw);
    free(g.ids);
    bench_cleanup();
    return same ? 0 : 1;
}
