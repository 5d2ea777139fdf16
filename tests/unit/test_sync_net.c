/* test_sync_net.c - syncd's doors, over real sockets on 127.0.0.1: a
 * daemon runs in a thread of this test, and the test plays other
 * processes with their own ZeroMQ sockets and key pairs:
 *
 * - a till of the list (a "probe" key recorded as a till) hears the
 *   heartbeats and gets its FETCH answered: the harness works;
 * - a stranger with a random key gets nothing on SUB or DEALER, and its
 *   handshakes are counted as refused;
 * - a rogue publisher at a listed till's address, without that till's
 *   secret key, is never heard: nothing is applied;
 * - malformed, oversized and wrong-version frames from a listed till are
 *   counted and dropped, and the daemon keeps answering;
 * - once the probe's till is removed, its open session ends and it hears
 *   nothing more;
 * - a till that learns its own key was removed stops its syncd, which
 *   would otherwise put it back in the list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>
#include <zmq.h>

#include "store/internal.h"
#include "store/store.h"
#include "sync/internal.h"

struct fx {
    char dir[128], db[256];
    store *s;
    char manager[STORE_ID_LEN + 1];
    pthread_t thread;
    volatile sig_atomic_t stop;
    volatile int done, rc;      /* the daemon returned, with rc */
    struct sync_options o;
    char address[STORE_ADDRESS_MAX + 1];
    unsigned char key[STORE_KEY_BYTES];     /* the daemon's */
    void *zctx;
    void *socks[16];            /* closed at teardown, even after a failure */
    int nsocks;
};

static void *run_daemon(void *arg)
{
    struct fx *f = arg;
    f->rc = sync_daemon_run(&f->o);
    f->done = 1;
    return NULL;
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(f->dir, sizeof f->dir, "%s/tally-net-XXXXXX", tmp);
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/a.db", f->dir);
    char err[256];
    f->s = store_open(f->db, true, err, sizeof err);
    assert_non_null(f->s);
    assert_int_equal(store_init_shop(f->s, "Net", "PLN"), 0);
    struct store_staff m;
    assert_int_equal(store_staff_add(f->s, NULL, "Mira", ROLE_MANAGER, "1234", &m), 0);
    snprintf(f->manager, sizeof f->manager, "%s", m.id);
    unsigned char sk[STORE_KEY_BYTES];
    assert_int_equal(store_till_keys(f->s, f->key, sk), 0);
    log_set_level(getenv("TALLY_NET_LOG") ? 7 : -1);
    f->o.db_path = f->db;
    f->o.listen = "127.0.0.1:0";
    f->o.heartbeat_ms = 100;
    f->o.stop = &f->stop;
    assert_int_equal(pthread_create(&f->thread, NULL, run_daemon, f), 0);
    /* The daemon says where it listens in its status file. */
    struct sync_status st;
    for (int i = 0; i < 200 && !f->address[0]; i++) {
        sleep_ms(25);
        if (sync_status_read(f->db, &st) == 0 && st.running)
            snprintf(f->address, sizeof f->address, "%s", st.address);
    }
    assert_true(f->address[0] != '\0');
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    f->stop = 1;
    pthread_join(f->thread, NULL);
    for (int i = 0; i < f->nsocks; i++)
        if (f->socks[i])
            zmq_close(f->socks[i]);
    zmq_ctx_term(f->zctx);
    store_close(f->s);
    rm_rf(f->dir);
    free(f);
    return 0;
}

/* A client socket of the given type with the key pair (z85) given, the
 * daemon's key pinned, connected to port `which` of its address. */
static void *sock(struct fx *f, int type)
{
    void *s = zmq_socket(f->zctx, type);
    assert_non_null(s);
    assert_true(f->nsocks < 16);
    f->socks[f->nsocks++] = s;
    return s;
}

static void unsock(struct fx *f, void *s)
{
    for (int i = 0; i < f->nsocks; i++)
        if (f->socks[i] == s)
            f->socks[i--] = f->socks[--f->nsocks];    /* the slot is free again */
    zmq_close(s);
}

static void *client(struct fx *f, int type, const char *pub, const char *sec, int which)
{
    void *s = sock(f, type);
    char server[41], ep[128];
    sync_key_z85(f->key, server);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 41), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 41), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 41), 0);
    if (type == ZMQ_SUB)
        assert_int_equal(zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0), 0);
    assert_int_equal(sync_endpoint(f->address, which, ep, sizeof ep), 0);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

/* How long a message that must come is waited for: the wait ends when it
 * comes, so only a failing test waits it out. Under make test's load (two
 * suites on two cores, one with sanitizers) a CURVE handshake, a
 * subscription and the daemon's next turn took more than a second. */
#define ARRIVES_MS 20000

/* Messages received on s within ms (with type: stops at the first one,
 * whose type it gets). */
static int receive_for(void *s, int ms, int *type)
{
    int n = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return n;
        zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, left) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) >= 0) {
            n++;
            if (type) {
                static struct store_event ev[SYNC_BATCH_MAX];
                static struct store_vv vv[SYNC_VV_MAX];
                struct sync_msg d;
                memset(&d, 0, sizeof d);
                d.events = ev;
                d.events_cap = SYNC_BATCH_MAX;
                d.vv = vv;
                d.vv_cap = SYNC_VV_MAX;
                *type = sync_wire_decode(zmq_msg_data(&m), zmq_msg_size(&m), &d, NULL, 0) == 0 ? (int)d.type : -1;
                zmq_msg_close(&m);
                return n;
            }
        }
        zmq_msg_close(&m);
    }
}

static void send_fetch(void *dealer, const char *origin)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "%s", origin);
    m.max = 10;
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    assert_true(zmq_send(dealer, b.data, b.len, 0) >= 0);
    sync_buf_free(&b);
}

static struct sync_peer_status *status_of(struct fx *f, struct sync_status *st, const char *origin)
{
    assert_int_equal(sync_status_read(f->db, st), 0);
    for (int i = 0; i < st->npeers; i++)
        if (strcmp(st->peers[i].origin, origin) == 0)
            return &st->peers[i];
    return NULL;
}

/* Records a till with the key pair (z85) given, as a manager would, and
 * returns once the daemon has re-read the till list (its status names the
 * till): the positive signal, not a time. */
static void add_till(struct fx *f, const char *pub, const char *origin, const char *address)
{
    struct store_till t;
    memset(&t, 0, sizeof t);
    snprintf(t.origin, sizeof t.origin, "%s", origin);
    assert_non_null(zmq_z85_decode(t.public_key, pub));
    snprintf(t.address, sizeof t.address, "%s", address);
    snprintf(t.name, sizeof t.name, "probe");
    assert_int_equal(store_till_record(f->s, f->manager, &t), 0);
    struct sync_status st;
    for (int i = 0; i < 400 && !status_of(f, &st, origin); i++)
        sleep_ms(25);
    assert_non_null(status_of(f, &st, origin));
}

/* Waits until the daemon has counted at least n refusals of `reason` from
 * till origin (10 s at most). */
static void wait_refused(struct fx *f, const char *origin, int reason, uint64_t n)
{
    struct sync_status st;
    struct sync_peer_status *p = status_of(f, &st, origin);
    for (int i = 0; i < 400 && (!p || p->refused[reason] < n); i++) {
        sleep_ms(25);
        p = status_of(f, &st, origin);
    }
    assert_non_null(p);
    assert_true(p->refused[reason] >= n);
}

/* Handshakes refused by socket s as its monitor reports them: waits (at
 * most ms) until n have been, and returns how many were. */
static int handshakes_failed(void *mon, int n, int ms)
{
    int got = 0;
    while (got < n) {
        zmq_pollitem_t it = { mon, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, ms) <= 0)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) >= 2) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&m), sizeof ev);
            if (ev & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                      | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
                got++;
        }
        while (zmq_msg_more(&m)) {      /* the endpoint frame */
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            zmq_msg_recv(&m, mon, 0);
        }
        zmq_msg_close(&m);
    }
    return got;
}

static void test_listed_till_is_served(void **state)
{
    struct fx *f = *state;
    char pub[41], sec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    add_till(f, pub, "0000beef", "127.0.0.1:1");
    void *sub = client(f, ZMQ_SUB, pub, sec, 0), *dealer = client(f, ZMQ_DEALER, pub, sec, 1);
    int type = 0;
    assert_true(receive_for(sub, ARRIVES_MS, &type) > 0);
    assert_int_equal(type, SYNC_HELLO);
    send_fetch(dealer, store_origin(f->s));
    assert_true(receive_for(dealer, ARRIVES_MS, &type) > 0);
    assert_int_equal(type, SYNC_BATCH);
    unsock(f, sub);
    unsock(f, dealer);
}

/* The stranger's refused handshakes, counted in the daemon's status: the
 * positive signal to wait for before checking that it got nothing. */
static void wait_strangers(struct fx *f, uint64_t above)
{
    struct sync_status st;
    assert_int_equal(sync_status_read(f->db, &st), 0);
    for (int i = 0; i < 200 && st.strangers <= above; i++) {
        sleep_ms(25);
        assert_int_equal(sync_status_read(f->db, &st), 0);
    }
    assert_true(st.strangers > above);
}

static void test_stranger_gets_nothing(void **state)
{
    struct fx *f = *state;
    char pub[41], sec[41], lpub[41], lsec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    assert_int_equal(zmq_curve_keypair(lpub, lsec), 0);
    add_till(f, lpub, "0000beef", "127.0.0.1:1");
    void *listed = client(f, ZMQ_SUB, lpub, lsec, 0);
    struct sync_status st;
    assert_int_equal(sync_status_read(f->db, &st), 0);
    void *sub = client(f, ZMQ_SUB, pub, sec, 0), *dealer = client(f, ZMQ_DEALER, pub, sec, 1);
    /* A well-made event of a new origin, hash and all: applied if it ever
     * got through. */
    struct store_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.origin, sizeof ev.origin, "0000abcd");
    ev.seq = 1;
    ev.wall = 1700000000000;
    ev.hlc = ev.wall << 16;
    snprintf(ev.type, sizeof ev.type, "setting");
    snprintf(ev.data, sizeof ev.data, "{\"key\":\"shop.accent\",\"value\":\"red\"}");
    event_hash(&ev, ev.hash);
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_EVENTS;
    snprintf(m.origin, sizeof m.origin, "0000abcd");
    m.events = &ev;
    m.nevents = 1;
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    assert_true(zmq_send(dealer, b.data, b.len, 0) >= 0);
    sync_buf_free(&b);
    send_fetch(dealer, store_origin(f->s));
    store_release(f->s);
    int64_t before = store_event_count(f->s);
    wait_strangers(f, st.strangers + 1);    /* both its sockets refused */
    /* Heartbeats go out meanwhile: the listed till hears one after that. */
    receive_for(listed, 50, NULL);
    int type = 0;
    assert_true(receive_for(listed, ARRIVES_MS, &type) > 0);
    assert_int_equal(type, SYNC_HELLO);
    assert_int_equal(receive_for(sub, 50, NULL), 0);
    assert_int_equal(receive_for(dealer, 50, NULL), 0);
    store_release(f->s);
    assert_true(store_event_count(f->s) == before);
    unsock(f, listed);
    unsock(f, sub);
    unsock(f, dealer);
}

static void test_rogue_publisher_is_not_heard(void **state)
{
    struct fx *f = *state;
    /* The shop lists till 0000cafe with key K at a port where a rogue with
     * another key publishes forged events. */
    char pub[41], sec[41], rpub[41], rsec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    assert_int_equal(zmq_curve_keypair(rpub, rsec), 0);
    void *rogue = sock(f, ZMQ_PUB);
    int one = 1, linger = 0;
    assert_int_equal(zmq_setsockopt(rogue, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(rogue, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(rogue, ZMQ_CURVE_SECRETKEY, rsec, 41), 0);
    assert_int_equal(zmq_socket_monitor(rogue, "inproc://rogue",
                                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 0);
    void *mon = sock(f, ZMQ_PAIR);
    assert_int_equal(zmq_connect(mon, "inproc://rogue"), 0);
    assert_int_equal(zmq_bind(rogue, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t len = sizeof ep;
    assert_int_equal(zmq_getsockopt(rogue, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%s", strrchr(ep, ':') + 1);
    add_till(f, pub, "0000cafe", address);
    /* A forged event of till 0000cafe, and a heartbeat claiming more. */
    store_release(f->s);
    int64_t before = store_event_count(f->s);
    char shop[STORE_SHOP_ID_LEN + 1];
    assert_int_equal(store_shop_id(f->s, shop), 0);
    struct store_vv vv = { "0000cafe", 5 };
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_HELLO;
    snprintf(m.shop, sizeof m.shop, "%s", shop);
    snprintf(m.origin, sizeof m.origin, "0000cafe");
    m.vv = &vv;
    m.nvv = 1;
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    /* The rogue publishes while the daemon tries it: until it has been
     * refused three handshakes (the daemon did connect, and tried again),
     * so the checks below follow a positive signal. */
    int failed = 0;
    for (int i = 0; i < 100 && failed < 3; i++) {
        zmq_send(rogue, b.data, b.len, ZMQ_DONTWAIT);
        failed += handshakes_failed(mon, 3 - failed, 100);
    }
    assert_int_equal(failed, 3);
    store_release(f->s);
    assert_true(store_event_count(f->s) == before);
    struct sync_status st;
    struct sync_peer_status *p = status_of(f, &st, "0000cafe");
    assert_non_null(p);
    assert_false(p->connected);
    assert_true(p->last_heard == 0);
    sync_buf_free(&b);
    unsock(f, mon);
    unsock(f, rogue);
}

static void test_bad_frames_counted(void **state)
{
    struct fx *f = *state;
    char pub[41], sec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    add_till(f, pub, "0000dead", "127.0.0.1:1");
    void *dealer = client(f, ZMQ_DEALER, pub, sec, 1);
    /* Garbage, a wrong version, a message claiming 2^32 elements, a
     * valid message of the wrong kind, and (last) one frame over the
     * size limit, which also ends the connection. */
    zmq_send(dealer, "garbage", 7, 0);
    zmq_send(dealer, "\x93\x07\x03\x00", 4, 0);
    zmq_send(dealer, "\xdd\xff\xff\xff\xff", 5, 0);
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_REFUSE;
    snprintf(m.reason, sizeof m.reason, "x");
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    zmq_send(dealer, b.data, b.len, 0);
    sync_buf_free(&b);
    /* Counted first, then: none of them was answered. */
    wait_refused(f, "0000dead", SYNC_REFUSED_MALFORMED, 2);
    wait_refused(f, "0000dead", SYNC_REFUSED_VERSION, 1);
    wait_refused(f, "0000dead", SYNC_REFUSED_UNEXPECTED, 1);
    assert_int_equal(receive_for(dealer, 50, NULL), 0);
    size_t big = SYNC_WIRE_MAX + 8192;
    char *huge = calloc(1, big);
    assert_non_null(huge);
    zmq_send(dealer, huge, big, 0);
    free(huge);
    struct sync_status st;
    assert_int_equal(sync_status_read(f->db, &st), 0);
    assert_true(st.running);
    unsock(f, dealer);
    /* Still serving. */
    dealer = client(f, ZMQ_DEALER, pub, sec, 1);
    send_fetch(dealer, store_origin(f->s));
    int type = 0;
    assert_true(receive_for(dealer, ARRIVES_MS, &type) > 0);
    assert_int_equal(type, SYNC_BATCH);
    unsock(f, dealer);
}

static void test_removed_till_cut_off(void **state)
{
    struct fx *f = *state;
    char pub[41], sec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    add_till(f, pub, "0000f00d", "127.0.0.1:1");
    void *sub = client(f, ZMQ_SUB, pub, sec, 0);
    int type = 0;
    assert_true(receive_for(sub, ARRIVES_MS, &type) > 0);
    assert_int_equal(store_till_remove(f->s, f->manager, "0000f00d"), 0);
    /* The daemon has re-read the list (and bound PUB anew) once its
     * status no longer names the till: wait for that, not a time. */
    struct sync_status st;
    for (int i = 0; i < 200 && status_of(f, &st, "0000f00d"); i++)
        sleep_ms(25);
    assert_null(status_of(f, &st, "0000f00d"));
    /* Whatever was on the way, until a quiet 300 ms (heartbeats to a till
     * still served come every 100 ms): then nothing more. */
    for (int i = 0; i < 20 && receive_for(sub, 300, NULL) > 0; i++)
        ;
    assert_int_equal(receive_for(sub, 700, NULL), 0);
    unsock(f, sub);
}

/* A JOIN from key pub on a new socket to the join port; the reply's type,
 * or 0 when none came within ms. */
static int join_attempt(struct fx *f, const char *pub, const char *sec, int ms)
{
    void *dealer = client(f, ZMQ_DEALER, pub, sec, 2);
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_JOIN;
    memset(m.token, 0x42, sizeof m.token);      /* not the invitation's */
    assert_non_null(zmq_z85_decode(m.public_key, pub));
    snprintf(m.origin, sizeof m.origin, "0000abcd");
    snprintf(m.address, sizeof m.address, "127.0.0.1:1");
    snprintf(m.name, sizeof m.name, "stranger");
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    assert_true(zmq_send(dealer, b.data, b.len, 0) >= 0);
    sync_buf_free(&b);
    int type = 0;
    if (receive_for(dealer, ms, &type) == 0)
        type = 0;
    unsock(f, dealer);
    return type;
}

/* With no invitation outstanding the join port refuses every handshake:
 * the refusal is counted (waited for, not slept on) and no answer comes.
 * Once an invitation is open the same stranger is answered (a REFUSE for
 * its wrong token), so the port is not merely dead. */
static void test_join_port_shut_without_invitation(void **state)
{
    struct fx *f = *state;
    char pub[41], sec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    struct sync_status st;
    assert_int_equal(sync_status_read(f->db, &st), 0);
    uint64_t strangers = st.strangers;
    void *dealer = client(f, ZMQ_DEALER, pub, sec, 2);
    assert_true(zmq_send(dealer, "x", 1, 0) >= 0);
    wait_strangers(f, strangers);
    assert_int_equal(join_attempt(f, pub, sec, 300), 0);
    unsock(f, dealer);

    unsigned char token[STORE_TOKEN_BYTES];
    assert_int_equal(store_invite_create(f->s, f->manager, 600000, token), 0);
    int type = 0;
    for (int i = 0; i < 20 && !type; i++)   /* until the daemon has seen it */
        type = join_attempt(f, pub, sec, 1000);
    assert_int_equal(type, SYNC_REFUSE);
}

static void test_removed_self_stops(void **state)
{
    struct fx *f = *state;
    struct store_till t;
    store_release(f->s);
    assert_int_equal(store_till_get(f->s, store_origin(f->s), &t), 0);
    t.removed = true;   /* as another till's removal of this one, relayed */
    assert_int_equal(store_till_record(f->s, f->manager, &t), 0);
    for (int i = 0; i < 100 && !f->done; i++)
        sleep_ms(50);
    assert_true(f->done);
    assert_int_equal(f->rc, 1);
    store_release(f->s);
    assert_int_equal(store_till_get(f->s, store_origin(f->s), &t), 0);
    assert_true(t.removed);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listed_till_is_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stranger_gets_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rogue_publisher_is_not_heard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frames_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_till_cut_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_port_shut_without_invitation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_self_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
