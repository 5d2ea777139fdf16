/* zap.c - the ZAP handler (ZeroMQ RFC 27) that decides which CURVE keys
 * may connect to this till's sockets. A CURVE server with no ZAP handler
 * accepts any client key, so this thread is started before any socket is
 * bound, and it answers on inproc://zeromq.zap.01:
 *
 *   domain "tally" (PUB, ROUTER): only the keys of the shop's tills that
 *     are not removed, as the daemon last told it (sync_zap_allow);
 *   domain "join" (the join port): any key, but only while an invitation
 *     is open; the joining till proves its token inside the encrypted
 *     session.
 *
 * The reply's user id is the client key in hex, so the daemon knows who
 * sent each request on the ROUTER. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <zmq.h>

#include "i18n.h"
#include "sync/internal.h"
#include "util/util.h"

struct sync_zap {
    void *sock;
    pthread_t thread;
    pthread_mutex_t mu;
    unsigned char (*keys)[STORE_KEY_BYTES];
    int nkeys;
    bool join_open;
    atomic_bool stop;
    atomic_uint_fast64_t refused;
    int64_t last_log;
};

static bool frame_is(zmq_msg_t *f, const char *text)
{
    size_t n = strlen(text);
    return zmq_msg_size(f) == n && memcmp(zmq_msg_data(f), text, n) == 0;
}

static bool allowed(struct sync_zap *z, zmq_msg_t *domain, const unsigned char *key)
{
    bool ok = false;
    pthread_mutex_lock(&z->mu);
    if (frame_is(domain, "join"))
        ok = z->join_open;
    else if (frame_is(domain, "tally"))
        for (int i = 0; i < z->nkeys && !ok; i++)
            ok = memcmp(z->keys[i], key, STORE_KEY_BYTES) == 0;
    pthread_mutex_unlock(&z->mu);
    return ok;
}

static void send_str(void *sock, const char *s, bool more)
{
    zmq_send(sock, s, strlen(s), more ? ZMQ_SNDMORE : 0);
}

/* One request: version, request id, domain, address, identity, mechanism,
 * credentials (the client's public key for CURVE). */
static void zap_handle(struct sync_zap *z)
{
    zmq_msg_t f[8];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, z->sock, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        if (n < 8)
            f[n++] = part;
        else
            zmq_msg_close(&part);
    }
    if (n < 2) {    /* cannot even say which request: answer nothing useful */
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        send_str(z->sock, "1.0", true);
        send_str(z->sock, "", true);
        send_str(z->sock, "400", true);
        send_str(z->sock, "bad request", true);
        send_str(z->sock, "", true);
        send_str(z->sock, "", false);
        return;
    }
    const char *status = "400", *text = "not a till of this shop";
    char user[2 * STORE_KEY_BYTES + 1] = "";
    if (n == 7 && frame_is(&f[0], "1.0") && frame_is(&f[5], "CURVE") && zmq_msg_size(&f[6]) == STORE_KEY_BYTES) {
        const unsigned char *key = zmq_msg_data(&f[6]);
        for (int i = 0; i < STORE_KEY_BYTES; i++)
            snprintf(user + 2 * i, 3, "%02x", key[i]);
        if (allowed(z, &f[2], key)) {
            status = "200";
            text = "OK";
        } else {
            atomic_fetch_add(&z->refused, 1);
            int64_t now = clock_ms(CLOCK_MONOTONIC);
            if (!z->last_log || now - z->last_log >= 60000) {
                char addr[64] = "", z85[41];
                size_t alen = zmq_msg_size(&f[3]) < sizeof addr - 1 ? zmq_msg_size(&f[3]) : sizeof addr - 1;
                memcpy(addr, zmq_msg_data(&f[3]), alen);
                sync_key_z85(key, z85);
                log_write(LOG_WARNING, _("refused a connection from %s with key %s: not a till of this shop"),
                         addr, z85);
                z->last_log = now;
            }
        }
    } else {
        text = "only CURVE";
        atomic_fetch_add(&z->refused, 1);
    }
    /* REP must answer every request before the next one. */
    send_str(z->sock, "1.0", true);
    zmq_send(z->sock, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
    send_str(z->sock, status, true);
    send_str(z->sock, text, true);
    send_str(z->sock, status[0] == '2' ? user : "", true);
    send_str(z->sock, "", false);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void *zap_thread(void *arg)
{
    struct sync_zap *z = arg;
    while (!atomic_load(&z->stop)) {
        zmq_pollitem_t it = { z->sock, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll(&it, 1, 100);
        if (rc < 0 && errno == ETERM)
            break;
        if (rc > 0)
            zap_handle(z);
    }
    return NULL;
}

struct sync_zap *sync_zap_start(void *zctx, char *err, size_t errsz)
{
    struct sync_zap *z = calloc(1, sizeof *z);
    if (!z) {
        snprintf(err, errsz, "%s", _("out of memory"));
        return NULL;
    }
    pthread_mutex_init(&z->mu, NULL);
    z->sock = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    if (!z->sock || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->sock, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errsz, _("cannot start the key check: %s"), zmq_strerror(errno));
        if (z->sock)
            zmq_close(z->sock);
        pthread_mutex_destroy(&z->mu);
        free(z);
        return NULL;
    }
    /* The socket moves to the thread; pthread_create is the barrier. */
    if (pthread_create(&z->thread, NULL, zap_thread, z) != 0) {
        snprintf(err, errsz, "%s", _("cannot start the key check thread"));
        zmq_close(z->sock);
        pthread_mutex_destroy(&z->mu);
        free(z);
        return NULL;
    }
    return z;
}

void sync_zap_allow(struct sync_zap *z, unsigned char (*keys)[STORE_KEY_BYTES], int n)
{
    unsigned char (*copy)[STORE_KEY_BYTES] = n > 0 ? malloc((size_t)n * STORE_KEY_BYTES) : NULL;
    if (n > 0 && !copy)
        return;     /* keep the old list */
    if (n > 0)
        memcpy(copy, keys, (size_t)n * STORE_KEY_BYTES);
    pthread_mutex_lock(&z->mu);
    free(z->keys);
    z->keys = copy;
    z->nkeys = n > 0 ? n : 0;
    pthread_mutex_unlock(&z->mu);
}

void sync_zap_join_open(struct sync_zap *z, bool open)
{
    pthread_mutex_lock(&z->mu);
    z->join_open = open;
    pthread_mutex_unlock(&z->mu);
}

uint64_t sync_zap_refused(struct sync_zap *z) { return atomic_load(&z->refused); }

void sync_zap_stop(struct sync_zap *z)
{
    if (!z)
        return;
    atomic_store(&z->stop, true);
    pthread_join(z->thread, NULL);
    zmq_close(z->sock);
    free(z->keys);
    pthread_mutex_destroy(&z->mu);
    free(z);
}
