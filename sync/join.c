/* join.c - a new till joining a shop.
 *
 * 'tally till invite' (a manager, on any till) makes a one-time token
 * kept there only as a hash with an expiry, and prints it with that till's
 * address. The token carries the inviting till's public key, so the new
 * till pins it: the CURVE session to the join port cannot be intercepted.
 * The new till makes its own key pair and origin, proves the token inside
 * the encrypted session, and gets the shop's id, secret and name; the
 * inviting till records the new till in the till list (an event, so every
 * till learns its key and address). The new database remembers the
 * inviting till as its first peer until the till list arrives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "i18n.h"
#include "sync/internal.h"
#include "util/util.h"

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int unhex(const char *t, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = t[2 * i + k];
            const char *digits = "0123456789abcdef";
            const char *at = ch ? strchr(digits, ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch) : NULL;
            if (!at)
                return -1;
            v = v * 16 + (unsigned)(at - digits);
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

void sync_token_format(const unsigned char token[STORE_TOKEN_BYTES], const unsigned char key[STORE_KEY_BYTES],
                       char out[SYNC_TOKEN_LEN + 1])
{
    hex(token, STORE_TOKEN_BYTES, out);
    out[2 * STORE_TOKEN_BYTES] = '.';
    hex(key, STORE_KEY_BYTES, out + 2 * STORE_TOKEN_BYTES + 1);
}

int sync_token_parse(const char *text, unsigned char token[STORE_TOKEN_BYTES], unsigned char key[STORE_KEY_BYTES])
{
    if (!text || strlen(text) != SYNC_TOKEN_LEN || text[2 * STORE_TOKEN_BYTES] != '.')
        return -1;
    return unhex(text, STORE_TOKEN_BYTES, token) || unhex(text + 2 * STORE_TOKEN_BYTES + 1, STORE_KEY_BYTES, key)
           ? -1 : 0;
}

static void remove_db(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Creates the new till's database from the shop's answer. */
static int create_db(const char *db_path, const struct sync_msg *w, const char *origin, const unsigned char *pk,
                     const unsigned char *sk, const unsigned char *sign_sk, const unsigned char *server, const char *address, const char *name,
                     const char *listen, char *err, size_t errsz)
{
    char e[1024], boot[2 * STORE_KEY_BYTES + STORE_ADDRESS_MAX + 2];
    store *s = store_open(db_path, true, e, sizeof e);
    if (!s) {
        snprintf(err, errsz, "%s", e);
        return -1;
    }
    hex(server, STORE_KEY_BYTES, boot);
    snprintf(boot + 2 * STORE_KEY_BYTES, sizeof boot - 2 * STORE_KEY_BYTES, " %s", address);
    int rc = store_join_setup(s, w->shop, w->secret, origin, pk, sk, sign_sk);
    if (rc == 0)
        rc = store_sync_set(s, "sync.bootstrap", boot);
    if (rc == 0 && name && *name)
        rc = store_sync_set(s, "sync.name", name);
    if (rc == 0 && listen && *listen)
        rc = store_sync_set(s, "sync.address", listen);
    if (rc != 0)
        snprintf(err, errsz, "%s", store_error(s));
    store_close(s);
    if (rc != 0)
        remove_db(db_path);
    return rc;
}

int sync_join(const char *db_path, const char *address, const char *token, const char *name, const char *listen,
              int timeout_ms, struct sync_join_result *out, char *err, size_t errsz)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    memset(out, 0, sizeof *out);
    unsigned char server[STORE_KEY_BYTES];
    char ep[STORE_ADDRESS_MAX + 16], host[STORE_ADDRESS_MAX + 1];
    int port;
    if (sync_token_parse(token, m.token, server) != 0) {
        snprintf(err, errsz, "%s", _("that is not an invitation token: copy it whole from 'tally till invite'"));
        return -1;
    }
    if (sync_parse_address(address, host, sizeof host, &port) != 0 || port == 0 ||
        sync_endpoint(address, 2, ep, sizeof ep) != 0) {
        snprintf(err, errsz, _("'%s' is not a till's address: give it as HOST:PORT, as 'tally till invite' printed it"),
                 address);
        return -1;
    }
    if (listen && *listen && sync_parse_address(listen, host, sizeof host, &port) != 0) {
        snprintf(err, errsz, "%s", _("--listen is HOST:PORT, e.g. 192.168.1.21:7700"));
        return -1;
    }
    if (name && strlen(name) > STORE_TILL_NAME_MAX) {
        snprintf(err, errsz, ngettext("a till's name has at most %d byte", "a till's name has at most %d bytes", i18n_n(STORE_TILL_NAME_MAX)),
                 STORE_TILL_NAME_MAX);
        return -1;
    }
    struct stat sb;
    if (stat(db_path, &sb) == 0) {
        snprintf(err, errsz, _("%s exists already: a joining till starts with a new database (give --db NEW.db)"),
                 db_path);
        return -1;
    }
    char pub_z85[41], sec_z85[41], server_z85[41];
    unsigned char pk[STORE_KEY_BYTES], sk[STORE_KEY_BYTES], sign_sk[STORE_SIG_BYTES];
    if (zmq_curve_keypair(pub_z85, sec_z85) != 0 || !zmq_z85_decode(pk, pub_z85) || !zmq_z85_decode(sk, sec_z85)) {
        snprintf(err, errsz, "%s", _("cannot make a key pair (is libzmq built with CURVE?)"));
        return -1;
    }
    /* Its signing key: the inviting till records the public half with this
     * till's record, so its events are its own from the first. */
    sync_key_z85(server, server_z85);
    store_random_origin(m.origin);     /* and libsodium is ready */
    crypto_sign_keypair(m.sign_key, sign_sk);
    m.type = SYNC_JOIN;
    memcpy(m.public_key, pk, STORE_KEY_BYTES);
    snprintf(m.address, sizeof m.address, "%s", listen ? listen : "");
    snprintf(m.name, sizeof m.name, "%s", name ? name : "");
    struct sync_buf b = { 0 };
    void *zctx = zmq_ctx_new();
    void *s = NULL, *mon = NULL;
    int rc = -1;
    if (!zctx || sync_wire_encode(&m, &b) != 0) {
        snprintf(err, errsz, "%s", _("out of memory"));
        goto done;
    }
    /* A refused handshake (the invitation not yet seen by the inviting
     * till's syncd, which looks once a second) ends a ZeroMQ connection
     * for good: watch for that and try again with a new socket. The
     * request never reached the other side then, so sending it again is
     * safe. */
    int64_t waited = 0;
    int attempt = 0;
    bool answered = false;
    while (!answered && waited < timeout_ms) {
        if (s)
            zmq_close(s);
        if (mon)
            zmq_close(mon);
        s = zmq_socket(zctx, ZMQ_DEALER);
        mon = zmq_socket(zctx, ZMQ_PAIR);
        int linger = 0;
        int64_t maxmsg = 65536;
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://join-monitor-%d", attempt++);
        if (!s || !mon || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
            zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger) ||
            zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
            zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_z85, 41) ||
            zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub_z85, 41) ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec_z85, 41) ||
            zmq_socket_monitor(s, mon_ep, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) ||
            zmq_connect(mon, mon_ep) || zmq_connect(s, ep) != 0 || zmq_send(s, b.data, b.len, 0) < 0) {
            snprintf(err, errsz, _("cannot reach %s: %s"), address, zmq_strerror(errno));
            goto done;
        }
        for (;;) {
            zmq_pollitem_t it[2] = { { s, 0, ZMQ_POLLIN, 0 }, { mon, 0, ZMQ_POLLIN, 0 } };
            int slice = timeout_ms - waited < 200 ? (int)(timeout_ms - waited) : 200;
            if (slice <= 0)
                break;
            int n = zmq_poll(it, 2, slice);
            waited += slice;    /* close enough: a wait is never longer */
            if (n < 0)
                break;
            if (it[0].revents & ZMQ_POLLIN) {
                answered = true;
                break;
            }
            if (it[1].revents & ZMQ_POLLIN) {
                zmq_msg_t ev;
                zmq_msg_init(&ev);
                while (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) >= 0) {
                }
                zmq_msg_close(&ev);
                sleep_ms(300);
                waited += 300;
                break;  /* refused: a new socket */
            }
        }
    }
    if (!answered) {
        snprintf(err, errsz, _("no answer from %s within %d s: is 'tally syncd' running there, and is the "
                               "invitation from that till and still unused and valid?"), address, timeout_ms / 1000);
        goto done;
    }
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    if (zmq_msg_recv(&reply, s, 0) < 0) {
        zmq_msg_close(&reply);
        snprintf(err, errsz, _("cannot reach %s: %s"), address, zmq_strerror(errno));
        goto done;
    }
    struct sync_msg w;
    memset(&w, 0, sizeof w);
    char why[160];
    int dec = sync_wire_decode(zmq_msg_data(&reply), zmq_msg_size(&reply), &w, why, sizeof why);
    zmq_msg_close(&reply);
    if (dec != 0)
        snprintf(err, errsz, _("the till at %s gave an answer this till cannot read (%s): are both the same "
                               "version of tally?"), address, why);
    else if (w.type == SYNC_REFUSE && strcmp(w.reason, "token") == 0)
        snprintf(err, errsz, "%s", _("the invitation is unknown, used or expired: ask a manager for a new one "
                                     "('tally till invite')"));
    else if (w.type != SYNC_WELCOME)
        snprintf(err, errsz, _("the till at %s refused to add this till (%s)"), address,
                 w.type == SYNC_REFUSE ? w.reason : "?");
    else if (create_db(db_path, &w, m.origin, pk, sk, sign_sk, server, address, name, listen, err, errsz) == 0) {
        snprintf(out->origin, sizeof out->origin, "%s", m.origin);
        snprintf(out->shop_name, sizeof out->shop_name, "%s", w.name);
        rc = 0;
    }
    memset(&w, 0, sizeof w);
done:
    memset(sk, 0, sizeof sk);
    sodium_memzero(sign_sk, sizeof sign_sk);
    memset(sec_z85, 0, sizeof sec_z85);
    sync_buf_free(&b);
    if (s)
        zmq_close(s);
    if (mon)
        zmq_close(mon);
    if (zctx)
        zmq_ctx_term(zctx);
    return rc;
}
