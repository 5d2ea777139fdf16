/* daemon.c - tally syncd: the one process that talks to other tills.
 *
 * Sockets (all CURVE; see sync.h for the ports):
 *   PUB     bound, live events of this till and heartbeats;
 *   ROUTER  bound, answers FETCH with BATCH;
 *   JOIN    bound (a ROUTER on its own ZAP domain), answers JOIN;
 *   per peer a SUB (subscribed to everything) and a DEALER, connected to
 *   the peer's address with its key pinned as the server key.
 * A ZAP handler thread (zap.c) accepts only the shop's till keys. When a
 * till is removed, PUB and ROUTER are bound anew so its open sessions end
 * and its next handshake is refused.
 *
 * The loop wakes on any socket, on inotify telling that the database's
 * write-ahead log changed (any process committed: a writer's nudge that
 * needs nothing from the writer), or after a short poll, and hands each
 * message to the protocol core (core.c). Once a second it re-reads the
 * till list and writes the status file.
 *
 * Test knob: $TALLY_SYNC_FAULTS="drop=0.2,dup=0.1,reorder=0.1,seed=N"
 * drops, doubles and holds back (delivering after the next one) messages
 * received on SUB and DEALER sockets, on purpose. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "i18n.h"
#include "sync/internal.h"
#include "util/util.h"

#define POLL_MS 20              /* with inotify; a writer's commit wakes us */
#define FOLD_CHUNK 1000         /* visits folded per quiet turn: ~40 ms of write lock */
#define FOLD_BUSY_CHUNK 250     /* ... and every FOLD_BUSY_MS while writers are busy, */
#define FOLD_BUSY_MS 2000
#define FOLD_BUSY_BACKLOG 2000  /* once this many wait: a burst is left to a quiet second */
#define QUIET_MS 1000           /* ... once no events came for this long */
#define EAGER_MS 100            /* after a wake-up, look this long every 1 ms */
#define POLL_NO_INOTIFY_MS 5
#define REFRESH_MS 1000         /* till list, allow-list, status: at most this apart */
#define DRAIN 64                /* messages taken from one socket per turn */
#define HOLD_MS 30              /* a held-back message waits at most this */

struct link {
    void *sub, *dealer;
    int64_t since;              /* when connected */
};

struct faults {
    bool on;
    double drop, dup, reorder;
    uint64_t rng;
    /* One held-back message. */
    bool held;
    bool held_reply;
    struct sync_peer *held_peer;
    void *held_data;
    size_t held_len;
    int64_t held_due;
};

struct daemon {
    const struct sync_options *o;
    void *zctx;
    void *pub, *router, *join;
    char address[STORE_ADDRESS_MAX + 1];
    store *s;
    struct sync_core *core;
    struct sync_zap *zap;
    char pk_z85[41], sk_z85[41];
    unsigned char pk[STORE_KEY_BYTES];
    int heartbeat_ms;
    int ino;
    struct faults f;
    struct sync_buf reply;
    zmq_pollitem_t *items;
    struct sync_peer **item_peer;
    int nitems;
    bool removed;               /* this till's key was removed: stop */
};

/* --- the faults knob ----------------------------------------------------- */

static double daemon_rnd(struct faults *f)
{
    /* xorshift64*: reproducible from the seed */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static int faults_parse(struct faults *f, const char *spec)
{
    memset(f, 0, sizeof *f);
    if (!spec || !*spec)
        return 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    f->rng = 88172645463325252ULL;
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        char *end;
        double v = strtod(eq + 1, &end);
        if (*end || v < 0)
            return -1;
        if (strcmp(kv, "drop") == 0 && v <= 1)
            f->drop = v;
        else if (strcmp(kv, "dup") == 0 && v <= 1)
            f->dup = v;
        else if (strcmp(kv, "reorder") == 0 && v <= 1)
            f->reorder = v;
        else if (strcmp(kv, "seed") == 0)
            f->rng = (uint64_t)v * 2654435761ULL + 1;
        else
            return -1;
    }
    f->on = true;
    return 0;
}

static void deliver(struct daemon *d, bool reply, struct sync_peer *p, const void *data, size_t len)
{
    int64_t now = clock_ms(CLOCK_REALTIME);
    if (reply)
        sync_core_on_reply(d->core, p, data, len, now);
    else
        sync_core_on_sub(d->core, p, data, len, now);
}

static void release_held(struct daemon *d)
{
    struct faults *f = &d->f;
    if (!f->held)
        return;
    f->held = false;
    deliver(d, f->held_reply, f->held_peer, f->held_data, f->held_len);
    free(f->held_data);
    f->held_data = NULL;
}

static void receive(struct daemon *d, bool reply, struct sync_peer *p, const void *data, size_t len)
{
    struct faults *f = &d->f;
    if (!f->on) {
        deliver(d, reply, p, data, len);
        return;
    }
    if (daemon_rnd(f) < f->drop)
        return;
    int times = daemon_rnd(f) < f->dup ? 2 : 1;
    if (!f->held && daemon_rnd(f) < f->reorder) {
        f->held_data = malloc(len ? len : 1);
        if (f->held_data) {
            memcpy(f->held_data, data, len);
            f->held = true;
            f->held_reply = reply;
            f->held_peer = p;
            f->held_len = len;
            f->held_due = clock_ms(CLOCK_REALTIME) + HOLD_MS;
            times--;
        }
    }
    for (int i = 0; i < times; i++)
        deliver(d, reply, p, data, len);
    if (times > 0)
        release_held(d);    /* the held one now comes after a later one */
}

/* --- sockets ---------------------------------------------------------------- */

static int common_opts(struct daemon *d, void *s)
{
    int linger = 0, ivl = d->heartbeat_ms, timeout = 3 * d->heartbeat_ms, reconnect = 100,
        reconnect_max = 2000, handshake = 5000;
    int64_t maxmsg = SYNC_WIRE_MAX + 4096;
    return zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
           zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
           zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) ||
           zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) ||
           zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout) ||
           zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect) ||
           zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max) ||
           zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake) ? -1 : 0;
}

static void *server_socket(struct daemon *d, int type, const char *domain, int which, const char *address)
{
    char ep[STORE_ADDRESS_MAX + 16];
    void *s = zmq_socket(d->zctx, type);
    int one = 1, hwm = 100000;
    if (!s)
        return NULL;
    if (common_opts(d, s) || zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, d->sk_z85, 41) ||
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) ||
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        sync_endpoint(address, which, ep, sizeof ep) != 0 || zmq_bind(s, ep) != 0) {
        int e = errno;
        zmq_close(s);
        errno = e;
        return NULL;
    }
    return s;
}

static void close_servers(struct daemon *d)
{
    if (d->pub)
        zmq_close(d->pub);
    if (d->router)
        zmq_close(d->router);
    if (d->join)
        zmq_close(d->join);
    d->pub = d->router = d->join = NULL;
}

static int bind_at(struct daemon *d, const char *address)
{
    d->pub = server_socket(d, ZMQ_PUB, "tally", 0, address);
    if (d->pub)
        d->router = server_socket(d, ZMQ_ROUTER, "tally", 1, address);
    if (d->router)
        d->join = server_socket(d, ZMQ_ROUTER, "join", 2, address);
    if (d->join)
        return 0;
    int e = errno;
    close_servers(d);
    errno = e;
    return -1;
}

/* Binds the three ports; PORT 0 picks free ones. Retries a little, since
 * a port just closed (a restart, a rebind) may still be held briefly. */
static int bind_servers(struct daemon *d, const char *want)
{
    char host[STORE_ADDRESS_MAX + 1];
    int port;
    if (sync_parse_address(want, host, sizeof host, &port) != 0)
        return -1;
    uint64_t r = (uint64_t)clock_ms(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 20);
    for (int attempt = 0; attempt < 100; attempt++) {
        char address[STORE_ADDRESS_MAX + 16];
        int p = port;
        if (port == 0) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            p = 20000 + (int)((r >> 33) % 40000);
        }
        snprintf(address, sizeof address, "%s:%d", host, p);
        if (strlen(address) > STORE_ADDRESS_MAX) {
            errno = EINVAL;
            return -1;
        }
        if (bind_at(d, address) == 0) {
            memcpy(d->address, address, strlen(address) + 1);  /* checked above: fits */
            return 0;
        }
        if (port != 0) {
            if (errno != EADDRINUSE || attempt >= 40)
                return -1;
            sleep_ms(50);
        }
    }
    return -1;
}

static void *client_socket(struct daemon *d, int type, struct sync_peer *p, int which)
{
    char ep[STORE_ADDRESS_MAX + 16], server[41];
    void *s = zmq_socket(d->zctx, type);
    int one = 1, hwm = 100000;
    if (!s)
        return NULL;
    sync_key_z85(p->key, server);
    if (common_opts(d, s) || zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 41) ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, d->pk_z85, 41) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, d->sk_z85, 41) ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        (type == ZMQ_SUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0)) ||
        (type == ZMQ_DEALER && zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one)) ||
        sync_endpoint(p->address, which, ep, sizeof ep) != 0 || zmq_connect(s, ep) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void peer_removed(void *ctx, struct sync_peer *p)
{
    struct daemon *d = ctx;
    struct link *l = p->link;
    if (d->f.held && d->f.held_peer == p) {
        free(d->f.held_data);
        d->f.held_data = NULL;
        d->f.held = false;
    }
    if (!l)
        return;
    if (l->sub)
        zmq_close(l->sub);
    if (l->dealer)
        zmq_close(l->dealer);
    free(l);
    p->link = NULL;
}

static void peer_added(void *ctx, struct sync_peer *p)
{
    struct daemon *d = ctx;
    struct link *l = calloc(1, sizeof *l);
    if (!l)
        return;
    /* Subscribe first: anything published from now on reaches us, and
     * what came before is asked for once its heartbeat arrives. */
    l->sub = client_socket(d, ZMQ_SUB, p, 0);
    l->dealer = client_socket(d, ZMQ_DEALER, p, 1);
    l->since = clock_ms(CLOCK_REALTIME);
    p->link = l;
    p->subscribed = false;  /* a new SUB: wait for a heartbeat through it */
    if (!l->sub || !l->dealer) {
        log_write(LOG_ERR, _("cannot connect to till %s at %s: %s"), p->origin, p->address, zmq_strerror(errno));
        peer_removed(ctx, p);
    }
}

static int io_publish(void *ctx, const void *data, size_t len)
{
    struct daemon *d = ctx;
    return zmq_send(d->pub, data, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

static int io_request(void *ctx, struct sync_peer *p, const void *data, size_t len)
{
    (void)ctx;
    struct link *l = p->link;
    if (!l || !l->dealer)
        return -1;
    return zmq_send(l->dealer, data, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Long enough for a kiosk's busy handler (store/db.c, a look every
 * millisecond) to take the write lock between two catch-up transactions. */
static void io_yield(void *ctx)
{
    (void)ctx;
    sleep_ms(2);
}

static const struct sync_io IO = { io_publish, io_request, peer_added, peer_removed, io_yield };

/* --- the loop ---------------------------------------------------------------- */

static int hex_key(const char *hex, unsigned char key[STORE_KEY_BYTES])
{
    if (strlen(hex) != 2 * STORE_KEY_BYTES)
        return -1;
    for (int i = 0; i < STORE_KEY_BYTES; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        key[i] = (unsigned char)v;
    }
    return 0;
}

/* A request on ROUTER or JOIN: [routing id][payload]. */
static void serve(struct daemon *d, void *sock, bool join)
{
    for (int k = 0; k < DRAIN; k++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return;
        }
        zmq_msg_init(&body);
        bool ok = zmq_msg_more(&id) && zmq_msg_recv(&body, sock, 0) >= 0;
        bool multi = ok && zmq_msg_more(&body);
        for (bool more = multi; more;) {    /* a request is one frame: drop the rest */
            zmq_msg_t junk;
            zmq_msg_init(&junk);
            more = zmq_msg_recv(&junk, sock, 0) >= 0 && zmq_msg_more(&junk);
            zmq_msg_close(&junk);
        }
        unsigned char key[STORE_KEY_BYTES];
        const char *user = ok ? zmq_msg_gets(&body, "User-Id") : NULL;
        int64_t now = clock_ms(CLOCK_REALTIME);
        if (!user || hex_key(user, key) != 0)
            memset(key, 0, sizeof key);
        d->reply.len = 0;
        /* Several frames count as one malformed message (an empty one). */
        const void *data = multi ? "" : zmq_msg_data(&body);
        size_t len = multi ? 0 : zmq_msg_size(&body);
        if (ok && join)
            sync_core_on_join(d->core, key, data, len, &d->reply, now);
        else if (ok)
            sync_core_on_request(d->core, key, data, len, &d->reply, now);
        if (d->reply.len) {
            zmq_send(sock, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send(sock, d->reply.data, d->reply.len, ZMQ_DONTWAIT);
        }
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        if (join) {
            /* A new till: allow its key and connect to it now. */
            sync_core_refresh(d->core);
            unsigned char keys[SYNC_PEERS_MAX + 1][STORE_KEY_BYTES];
            sync_zap_allow(d->zap, keys, sync_core_allowed(d->core, keys, SYNC_PEERS_MAX + 1));
        }
    }
}

static void drain_client(struct daemon *d, void *sock, struct sync_peer *p, bool reply)
{
    for (int k = 0; k < DRAIN; k++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        bool multi = zmq_msg_more(&m);
        if (!multi)
            receive(d, reply, p, zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
        for (bool more = multi; more;) {    /* a message is one frame: drop the rest */
            zmq_msg_init(&m);
            more = zmq_msg_recv(&m, sock, 0) >= 0 && zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (multi)      /* counted as one malformed message (an empty one) */
            deliver(d, reply, p, "", 0);
        if (!p->link)
            return;     /* the peer went away while handling */
    }
}

static void write_status(struct daemon *d)
{
    struct sync_status *st = calloc(1, sizeof *st);
    if (!st)
        return;
    int64_t now = clock_ms(CLOCK_REALTIME);
    st->pid = (int)getpid();
    st->updated = now;
    snprintf(st->origin, sizeof st->origin, "%s", sync_core_origin(d->core));
    snprintf(st->address, sizeof st->address, "%s", d->address);
    st->applied = sync_core_applied(d->core);
    st->strangers = sync_core_refused_strangers(d->core) + sync_zap_refused(d->zap);
    int n = sync_core_npeers(d->core);
    for (int i = 0; i < n && st->npeers < SYNC_PEERS_MAX; i++) {
        const struct sync_peer *p = sync_core_peer(d->core, i);
        struct sync_peer_status *ps = &st->peers[st->npeers++];
        snprintf(ps->origin, sizeof ps->origin, "%s", p->origin[0] ? p->origin : p->current);
        snprintf(ps->name, sizeof ps->name, "%s", p->name);
        snprintf(ps->address, sizeof ps->address, "%s", p->address);
        ps->last_heard = p->last_heard;
        ps->connected = p->last_heard && now - p->last_heard <= 3 * d->heartbeat_ms;
        ps->they_lack = p->they_lack;
        ps->we_lack = p->we_lack;
        memcpy(ps->refused, p->refused, sizeof ps->refused);
        snprintf(ps->last_refusal, sizeof ps->last_refusal, "%s", p->last_refusal);
    }
    while (st->nwaiting < SYNC_WAITING_SHOWN &&
           sync_core_waiting(d->core, st->nwaiting, st->waiting[st->nwaiting].origin,
                             &st->waiting[st->nwaiting].lacking))
        st->nwaiting++;
    sync_status_write(d->o->db_path, st);
    free(st);
}

/* Whether this till's key was removed from the shop: then it stops, and
 * only 'tally till join' with a new invitation (and a new key) brings
 * the machine back. */
static bool removed_self(struct daemon *d)
{
    if (store_till_key_removed(d->s, d->pk) != 1)
        return false;
    log_write(LOG_ERR, "%s", _("this till was removed from the shop: it no longer syncs. To bring it back, join "
                              "the shop again with a new invitation ('tally till invite' on another till, then "
                              "'tally till join' with a new database)"));
    return true;
}

/* Puts this till's own record (key, address) in the till list. */
static int record_self(struct daemon *d)
{
    struct store_till t;
    char name[STORE_TILL_NAME_MAX + 1] = "";
    bool have = store_till_get(d->s, store_origin(d->s), &t) == 0;
    if (have && !t.removed && strcmp(t.address, d->address) == 0 &&
        memcmp(t.public_key, d->pk, STORE_KEY_BYTES) == 0)
        return 0;
    if (!have)
        memset(&t, 0, sizeof t);
    if (!t.name[0]) {
        if (store_sync_get(d->s, "sync.name", name, sizeof name) != 0 || !name[0]) {
            if (gethostname(name, sizeof name) != 0)
                name[0] = '\0';
            name[sizeof name - 1] = '\0';
        }
        snprintf(t.name, sizeof t.name, "%s", name);
    }
    snprintf(t.origin, sizeof t.origin, "%s", store_origin(d->s));
    memcpy(t.public_key, d->pk, STORE_KEY_BYTES);
    snprintf(t.address, sizeof t.address, "%s", d->address);
    t.removed = false;
    return store_till_record(d->s, "", &t);
}

static void refresh(struct daemon *d, bool *rebind)
{
    if (removed_self(d)) {
        *rebind = false;
        d->removed = true;
        return;
    }
    int lost = sync_core_refresh(d->core);
    unsigned char keys[SYNC_PEERS_MAX + 1][STORE_KEY_BYTES];
    sync_zap_allow(d->zap, keys, sync_core_allowed(d->core, keys, SYNC_PEERS_MAX + 1));
    int pending = store_invites_pending(d->s);
    sync_zap_join_open(d->zap, pending > 0);
    store_release(d->s);
    if (lost == 1)
        *rebind = true;
}

/* ZeroMQ gives up on a connection whose handshake was refused (this
 * till's key was not yet in that till's list, say). A peer silent for a
 * while gets new sockets, which try again. */
static bool revive(struct daemon *d, int64_t now)
{
    bool changed = false;
    for (int i = 0; i < sync_core_npeers(d->core); i++) {
        struct sync_peer *p = sync_core_peer(d->core, i);
        struct link *l = p->link;
        /* Never heard since connecting: most likely refused, try soon. */
        int64_t quiet = l && p->last_heard < l->since ? 2000 : 5000;
        if (quiet < 3 * d->heartbeat_ms)
            quiet = 3 * d->heartbeat_ms;
        int64_t last = l ? (p->last_heard > l->since ? p->last_heard : l->since) : 0;
        if (l && now - last < quiet)
            continue;
        log_write(LOG_DEBUG, _("reconnecting to %s"), p->address);
        peer_removed(d, p);
        peer_added(d, p);
        changed = true;
    }
    return changed;
}

static void build_items(struct daemon *d)
{
    int n = sync_core_npeers(d->core);
    int want = 3 + 2 * n;
    free(d->items);
    free(d->item_peer);
    d->items = calloc((size_t)want, sizeof *d->items);
    d->item_peer = calloc((size_t)want, sizeof *d->item_peer);
    d->nitems = 0;
    if (!d->items || !d->item_peer)
        return;
    zmq_pollitem_t *it = d->items;
    it[d->nitems++] = (zmq_pollitem_t){ d->router, 0, ZMQ_POLLIN, 0 };
    it[d->nitems++] = (zmq_pollitem_t){ d->join, 0, ZMQ_POLLIN, 0 };
    if (d->ino >= 0)
        it[d->nitems++] = (zmq_pollitem_t){ NULL, d->ino, ZMQ_POLLIN, 0 };
    for (int i = 0; i < n; i++) {
        struct sync_peer *p = sync_core_peer(d->core, i);
        struct link *l = p->link;
        if (!l)
            continue;
        d->item_peer[d->nitems] = p;
        it[d->nitems++] = (zmq_pollitem_t){ l->sub, 0, ZMQ_POLLIN, 0 };
        d->item_peer[d->nitems] = p;
        it[d->nitems++] = (zmq_pollitem_t){ l->dealer, 0, ZMQ_POLLIN, 0 };
    }
}

static int watch_wal(const char *db_path)
{
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -1;
    if (inotify_add_watch(fd, wal, IN_MODIFY) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int daemon_setup(struct daemon *d, char *err, size_t errsz)
{
    const struct sync_options *o = d->o;
    char e[1024];
    d->s = store_open(o->db_path, false, e, sizeof e);
    if (!d->s) {
        snprintf(err, errsz, "%s", e);
        return -1;
    }
    if (!store_is_initialised(d->s)) {
        snprintf(err, errsz, _("%s holds no shop: run 'tally init' or 'tally till join'"), o->db_path);
        return -1;
    }
    unsigned char sk[STORE_KEY_BYTES];
    if (store_till_keys(d->s, d->pk, sk) != 0) {
        snprintf(err, errsz, "%s", store_error(d->s));
        return -1;
    }
    zmq_z85_encode(d->pk_z85, d->pk, STORE_KEY_BYTES);
    zmq_z85_encode(d->sk_z85, sk, STORE_KEY_BYTES);
    memset(sk, 0, sizeof sk);
    char want[STORE_ADDRESS_MAX + 1] = "";
    if (o->listen)
        snprintf(want, sizeof want, "%s", o->listen);
    else
        store_sync_get(d->s, "sync.address", want, sizeof want);
    char host[STORE_ADDRESS_MAX + 1];
    int port;
    if (!want[0] || sync_parse_address(want, host, sizeof host, &port) != 0) {
        snprintf(err, errsz, "%s", want[0] ? _("--listen is HOST:PORT, e.g. 192.168.1.20:7700")
                 : _("say where to listen the first time: tally syncd --listen HOST:PORT"));
        return -1;
    }
    if (faults_parse(&d->f, o->faults ? o->faults : getenv("TALLY_SYNC_FAULTS")) != 0) {
        snprintf(err, errsz, "%s", _("TALLY_SYNC_FAULTS is like drop=0.2,dup=0.1,reorder=0.1,seed=7"));
        return -1;
    }
    d->zctx = zmq_ctx_new();
    if (!d->zctx) {
        snprintf(err, errsz, "%s", _("cannot start ZeroMQ"));
        return -1;
    }
    d->zap = sync_zap_start(d->zctx, err, errsz);
    if (!d->zap)
        return -1;
    d->core = sync_core_new(d->s, &IO, d, err, errsz);
    if (!d->core)
        return -1;
    sync_core_timing(d->core, d->heartbeat_ms, d->f.on ? 1000 : 3000);
    char boot[256];
    if (store_sync_get(d->s, "sync.bootstrap", boot, sizeof boot) == 0) {
        unsigned char key[STORE_KEY_BYTES];
        char *sp = strchr(boot, ' ');
        if (sp) {
            *sp = '\0';
            if (hex_key(boot, key) == 0)
                sync_core_bootstrap(d->core, key, sp + 1);
        }
    }
    /* The allow-list is in place before anything can connect. */
    bool ignored = false;
    refresh(d, &ignored);
    if (d->removed) {
        snprintf(err, errsz, "%s", _("this till was removed from the shop"));
        return -1;
    }
    if (bind_servers(d, want) != 0) {
        snprintf(err, errsz, _("cannot listen on %s: %s"), want, zmq_strerror(errno));
        return -1;
    }
    sync_core_set_address(d->core, d->address);
    char saved[STORE_ADDRESS_MAX + 1] = "";
    store_sync_get(d->s, "sync.address", saved, sizeof saved);
    if ((strcmp(saved, d->address) != 0 && store_sync_set(d->s, "sync.address", d->address) != 0) ||
        record_self(d) != 0) {
        snprintf(err, errsz, "%s", store_error(d->s));
        return -1;
    }
    store_release(d->s);
    d->ino = watch_wal(o->db_path);
    if (d->ino < 0)
        log_write(LOG_INFO, "%s", _("cannot watch the database for changes: looking every few milliseconds"));
    char shop[STORE_SHOP_ID_LEN + 1] = "";
    if (store_shop_name(d->s)[0])
        log_write(LOG_NOTICE, _("till %s of shop \"%s\" listening on %s (key %s)"), store_origin(d->s),
                 store_shop_name(d->s), d->address, d->pk_z85);
    else    /* a till that has just joined: the shop's name comes with its events */
        log_write(LOG_NOTICE, _("till %s of shop %s (name not received yet) listening on %s (key %s)"),
                 store_origin(d->s), store_shop_id(d->s, shop) == 0 ? shop : "?", d->address, d->pk_z85);
    if (d->f.on)
        log_write(LOG_WARNING, _("test faults on: drop %.2f, duplicate %.2f, reorder %.2f"), d->f.drop,
                 d->f.dup, d->f.reorder);
    return 0;
}

static void teardown(struct daemon *d)
{
    if (d->core)
        sync_core_free(d->core);    /* closes the peers' sockets */
    close_servers(d);
    if (d->zap)
        sync_zap_stop(d->zap);
    if (d->zctx)
        zmq_ctx_term(d->zctx);
    if (d->ino >= 0)
        close(d->ino);
    free(d->f.held_data);
    free(d->items);
    free(d->item_peer);
    sync_buf_free(&d->reply);
    store_close(d->s);
}

int sync_daemon_run(const struct sync_options *o)
{
    static volatile sig_atomic_t never;
    volatile sig_atomic_t *stop = o->stop ? o->stop : &never;
    struct daemon d;
    memset(&d, 0, sizeof d);
    d.o = o;
    d.ino = -1;
    d.heartbeat_ms = o->heartbeat_ms > 0 ? o->heartbeat_ms : 1000;
    if (o->verbose)
        log_set_level(LOG_DEBUG);
    char err[1024] = "";
    if (daemon_setup(&d, err, sizeof err) != 0) {
        log_write(LOG_ERR, "%s", err);
        teardown(&d);
        return 1;
    }
    int64_t next_refresh = 0, next_status = 0;
    uint64_t generation = sync_core_generation(d.core) - 1;
    int64_t eager_until = 0, fold_after = 0, fold_busy_at = 0, drain_at = 0;
    uint64_t moved = 0;
    while (!*stop) {
        int64_t now = clock_ms(CLOCK_REALTIME);
        if (now >= next_refresh) {
            bool rebind = false;
            refresh(&d, &rebind);
            if (d.removed)
                break;
            if (rebind) {
                /* A till lost its access: end every session, so each
                 * till's next handshake meets the new allow-list. */
                close_servers(&d);
                if (bind_servers(&d, d.address) != 0) {
                    log_write(LOG_ERR, _("cannot listen on %s again: %s"), d.address, zmq_strerror(errno));
                    break;
                }
                generation = sync_core_generation(d.core) - 1;  /* new sockets: poll them */
            }
            if (revive(&d, now))
                generation = sync_core_generation(d.core) - 1;
            next_refresh = now + (d.heartbeat_ms < REFRESH_MS ? d.heartbeat_ms : REFRESH_MS);
        }
        /* The log is written before the commit is done (the fsync and the
         * index update come after), so a wake-up may come a moment early:
         * look again every millisecond for a little while. */
        if (sync_core_tick(d.core, now, false) == 1) {
            eager_until = 0;
            /* A kiosk is writing: a fold now would wait for its write lock
             * (SQLite's busy handler sleeps up to 100 ms a try), and this
             * loop, which publishes and serves, with it. */
            fold_after = now + QUIET_MS;
        }
        if (d.f.held && now >= d.f.held_due)
            release_held(&d);
        if (now >= next_status) {
            write_status(&d);
            next_status = now + (d.heartbeat_ms < 1000 ? d.heartbeat_ms : 1000);
        }
        if (generation != sync_core_generation(d.core)) {
            build_items(&d);
            generation = sync_core_generation(d.core);
        }
        int wait = d.ino < 0 ? POLL_NO_INOTIFY_MS : now < eager_until ? 1 : POLL_MS;
        /* A catch-up transaction stays open while the next batch is
         * already here; with nothing waiting, commit before sleeping. */
        int rc = zmq_poll(d.items, d.nitems, sync_core_holding(d.core) ? 0 : wait);
        if (rc == 0 && sync_core_holding(d.core)) {
            sync_core_settle(d.core);
            rc = zmq_poll(d.items, d.nitems, wait);
        }
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            log_write(LOG_ERR, _("waiting for messages failed: %s"), zmq_strerror(errno));
            break;
        }
        /* Events applied or served lately: a catch-up may be under way
         * here or at a peer, whose next FETCH would wait for the fold. */
        if (sync_core_applied(d.core) + sync_core_served(d.core) != moved) {
            moved = sync_core_applied(d.core) + sync_core_served(d.core);
            fold_after = now + QUIET_MS;
        }
        /* The messages of purchases this till made that the kiosk has not
         * written for a while (store_message_drain), looked for once a
         * second, not on every turn of this loop; not inside a catch-up
         * transaction, which would hold them until it ends. */
        if (now >= drain_at && !sync_core_holding(d.core)) {
            if (store_message_drain(d.s, STORE_DRAIN_SETTLED_MS, NULL) != 0)
                log_write(LOG_WARNING, _("the messages of the last purchases wait: %s"), store_error(d.s));
            drain_at = now + 1000;
        }
        /* Fold a little of the report rollups' visits log (a short
         * transaction; see store/rollup.c): more when quiet for a while,
         * and a little every FOLD_BUSY_MS while a kiosk or a catch-up keeps
         * writing and the log has grown long, so a busy till's reports do
         * not slow down as the day goes on (never inside a catch-up
         * transaction; not for a short burst, whose next commit would wait
         * for the fold: a sale reaching the other tills 4 ms later at p99
         * took 10 to 14). A long log - after a join or an import - is
         * indexed on a quiet turn first, for the reports meanwhile. */
        bool quiet = rc == 0 && now >= fold_after;
        bool busy = !quiet && now >= fold_busy_at && !sync_core_holding(d.core) &&
                    store_rollup_backlog(d.s) > FOLD_BUSY_BACKLOG;
        if ((quiet || busy) && ((quiet && store_rollup_index(d.s) < 0) ||
                                store_rollup_fold(d.s, quiet ? FOLD_CHUNK : FOLD_BUSY_CHUNK) < 0)) {
            log_write(LOG_WARNING, _("could not fold the report rollups: %s"), store_error(d.s));
            fold_after = now + 60000;
            fold_busy_at = now + 60000;
        } else if (now >= fold_busy_at) {
            fold_busy_at = now + FOLD_BUSY_MS;
        }
        if (rc == 0)
            continue;
        /* Handling may change the peer list (a join, a till that moved):
         * then the sockets that fired may be gone; poll again. */
        for (int i = 0; i < d.nitems && generation == sync_core_generation(d.core); i++) {
            zmq_pollitem_t *it = &d.items[i];
            if (!(it->revents & ZMQ_POLLIN))
                continue;
            if (it->socket == d.router)
                serve(&d, d.router, false);
            else if (it->socket == d.join)
                serve(&d, d.join, true);
            else if (!it->socket) {
                char buf[4096];
                while (read(d.ino, buf, sizeof buf) > 0) {
                }
                eager_until = clock_ms(CLOCK_REALTIME) + EAGER_MS;
            } else {
                struct sync_peer *p = d.item_peer[i];
                struct link *l = p->link;
                if (l)
                    drain_client(&d, it->socket, p, it->socket == l->dealer);
            }
        }
    }
    log_write(LOG_NOTICE, "%s", _("stopping"));
    teardown(&d);
    return d.removed ? 1 : 0;
}
