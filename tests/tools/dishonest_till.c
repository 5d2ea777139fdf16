/* dishonest_till.c - plays a dishonest till for tests/e2e/forge.sh: with
 * the database (so the CURVE and signing keys) of a real till of the shop
 * whose syncd is stopped, it listens where that till listens and speaks
 * the sync protocol with the project's own wire code, but speaks for
 * another till: its heartbeats claim more of VICTIM's events than VICTIM
 * made, and it answers a FETCH of them with events it makes up under
 * VICTIM's origin (sound content hashes), every other batch unsigned and
 * the others signed with its own key. An honest till must refuse them all.
 *
 *   dishonest_till DB VICTIM_ORIGIN SECONDS [vouch]
 *
 * With "vouch" it first also claims VICTIM as an import of its own: a
 * vouch, an event of its own till signed with its own key, in DB (its
 * syncd passes it on once it runs again). The tills must ignore it.
 *
 * Prints "served N made-up batches" at the end; exits 0, or 1 if it
 * cannot run. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "store/internal.h"
#include "store/store.h"
#include "sync/internal.h"

#define MADE_UP 3       /* events per batch */

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int die(const char *what, const char *why)
{
    fprintf(stderr, "dishonest_till: %s: %s\n", what, why);
    return 1;
}

/* A batch of events of victim after `after`, made up here. */
static void made_up(store *s, const char *victim, int64_t after, bool sign, struct sync_msg *m,
                    struct store_event *ev)
{
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES], link[STORE_LINK_BYTES] = { 0 };
    memset(m, 0, sizeof *m);
    m->type = SYNC_BATCH;
    snprintf(m->origin, sizeof m->origin, "%s", victim);
    for (int i = 0; i < MADE_UP; i++) {
        memset(&ev[i], 0, sizeof ev[i]);
        snprintf(ev[i].origin, sizeof ev[i].origin, "%s", victim);
        ev[i].seq = after + 1 + i;
        ev[i].wall = now_ms();
        ev[i].hlc = (ev[i].wall << 16) + i;
        snprintf(ev[i].type, sizeof ev[i].type, "setting");
        snprintf(ev[i].data, sizeof ev[i].data, "{\"key\":\"welcome.points\",\"value\":\"%d\"}", 900 + i);
        event_hash(&ev[i], ev[i].hash);
        chain_step(link, ev[i].hash);
    }
    m->events = ev;
    m->nevents = MADE_UP;
    if (sign && store_signing_keys(s, pk, sk) == 0) {
        unsigned char msg[CHAIN_MSG_BYTES];
        chain_message(victim, ev[MADE_UP - 1].seq, link, msg);
        crypto_sign_detached(m->seal.sig, NULL, msg, sizeof msg, sk);
        m->seal.sealed = true;
        sodium_memzero(sk, sizeof sk);
    }
}

static int append(store *s, void *ev) { return event_append(s, ev); }

/* Appends, as this till's own event, a vouch for victim with its own key. */
static int claim(store *s, const char *victim)
{
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES];
    char hex[2 * STORE_SIGN_KEY_BYTES + 1];
    if (store_signing_keys(s, pk, sk) != 0)
        return -1;
    sodium_memzero(sk, sizeof sk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    struct store_event ev;
    event_init(&ev, "setting", "", NULL);
    snprintf(ev.data, sizeof ev.data, "{\"key\":\"" VOUCH_PREFIX "%s\",\"value\":{\"sign_key\":\"%s\"}}", victim, hex);
    return store_atomically(s, append, &ev);
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "vouch") == 0))
        return die("usage", "dishonest_till DB VICTIM_ORIGIN SECONDS [vouch]");
    char err[512], address[STORE_ADDRESS_MAX + 1] = "", ep[STORE_ADDRESS_MAX + 16], pub[41], sec[41];
    const char *victim = argv[2];
    int64_t until = now_ms() + 1000LL * atoi(argv[3]);
    store *s = store_open(argv[1], false, err, sizeof err);
    if (!s)
        return die("store_open", err);
    if (argc == 5 && claim(s, victim) != 0)
        return die("vouch", store_error(s));
    unsigned char pk[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    struct sync_msg hello;
    memset(&hello, 0, sizeof hello);
    hello.type = SYNC_HELLO;
    if (store_till_keys(s, pk, sk) != 0 || store_shop_id(s, hello.shop) != 0 ||
        store_sync_get(s, "sync.address", address, sizeof address) != 0 || !address[0])
        return die("this till", store_error(s));
    sync_key_z85(pk, pub);
    sync_key_z85(sk, sec);
    void *zctx = zmq_ctx_new();
    void *pubs = zmq_socket(zctx, ZMQ_PUB), *router = zmq_socket(zctx, ZMQ_ROUTER);
    int one = 1, linger = 0;
    for (int i = 0; i < 2; i++) {
        void *z = i ? router : pubs;
        if (zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one) ||
            zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, sec, 41) || zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger) ||
            sync_endpoint(address, i, ep, sizeof ep) != 0 || zmq_bind(z, ep) != 0)
            return die(address, zmq_strerror(zmq_errno()));
    }
    static struct store_vv vv[SYNC_VV_MAX], in_vv[SYNC_VV_MAX];
    static struct store_event in_ev[SYNC_BATCH_MAX], ev[MADE_UP];
    struct sync_msg in;
    struct sync_buf out = { 0 };
    int served = 0;
    int64_t next_hello = 0;
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    while (now_ms() < until && !stopping) {
        if (now_ms() >= next_hello) {
            /* What this till holds, but VICTIM's events: 5 more than it made. */
            int n = store_version_vector(s, vv, SYNC_VV_MAX);
            store_release(s);
            for (int i = 0; i < n; i++)
                if (strcmp(vv[i].origin, victim) == 0)
                    vv[i].seq += 5;
            snprintf(hello.origin, sizeof hello.origin, "%s", store_origin(s));
            snprintf(hello.address, sizeof hello.address, "%s", address);
            hello.time_ms = now_ms();
            hello.vv = vv;
            hello.nvv = n > 0 ? n : 0;
            if (sync_wire_encode(&hello, &out) == 0)
                zmq_send(pubs, out.data, out.len, ZMQ_DONTWAIT);
            next_hello = now_ms() + 300;
        }
        zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, router, 0) < 0 || zmq_msg_recv(&body, router, 0) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            continue;
        }
        memset(&in, 0, sizeof in);
        in.vv = in_vv;
        in.vv_cap = SYNC_VV_MAX;
        in.events = in_ev;
        in.events_cap = SYNC_BATCH_MAX;
        char why[160];
        bool answer = sync_wire_decode(zmq_msg_data(&body), zmq_msg_size(&body), &in, why, sizeof why) == 0 &&
                      in.type == SYNC_FETCH;
        if (answer) {
            struct sync_msg r;
            if (strcmp(in.origin, victim) == 0) {
                made_up(s, victim, in.after, served % 2 == 1, &r, ev);
                served++;
            } else {
                memset(&r, 0, sizeof r);    /* nothing of the others */
                r.type = SYNC_BATCH;
                snprintf(r.origin, sizeof r.origin, "%s", in.origin);
            }
            if (sync_wire_encode(&r, &out) == 0) {
                zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
                zmq_send(router, out.data, out.len, 0);
            }
        }
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
    printf("served %d made-up batches\n", served);
    fflush(stdout);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sec, sizeof sec);
    sync_buf_free(&out);
    zmq_close(pubs);
    zmq_close(router);
    zmq_ctx_term(zctx);
    store_close(s);
    return 0;
}
