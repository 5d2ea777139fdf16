/* internal.h - what the sync module's own files share: the wire format,
 * the protocol without sockets (core.c), the ZAP handler and small
 * helpers. Not for other modules (their face is sync/sync.h); the sync
 * tests, the fuzzers and the dishonest test till include it.
 *
 * Wire: every message is one ZeroMQ frame holding one MessagePack array
 * [protocol version, type, fields...], at most SYNC_WIRE_MAX bytes, decoded
 * strictly (exact types, counts, lengths; no trailing bytes). */
#ifndef TALLY_SYNC_INTERNAL_H
#define TALLY_SYNC_INTERNAL_H

#include "sync/sync.h"
#include "util/util.h"

/* 2: batches of up to 2,000 events (1 had 500). A till catching up
 * applies one batch per transaction, and at 500 the commit and
 * checkpoint of each transaction cost as much as the events.
 * 3: events signed by their till (EVENTS and BATCH carry a seal, JOIN the
 * joining till's signing key). A till of another version is refused,
 * counted and told which till to upgrade; nothing passes between them.
 * 4: campaign events (store/campaigns.c). A till of 3 would refuse them as
 * unknown types, and with them every later event of the till that made them.
 * 5: an import's vouch counts only with proof (an origin derived from its
 * till's key, or listed in that till's first record) and two counting
 * claims dispute it: a till of 4 would bind claims that 5 ignores. */
#define SYNC_PROTOCOL 5
#define SYNC_WIRE_MAX (4u << 20)        /* bytes of one message */
#define SYNC_BATCH_MAX 2000             /* events in one BATCH or EVENTS */
#define SYNC_BATCH_BYTES (2u << 20)     /* a batch stops growing past this */
#define SYNC_CATCHUP_TX_EVENTS 8000     /* batches applied in one transaction, at most */
#define SYNC_CATCHUP_TX_MS 150          /* and for about this long (plus one batch) */
#define SYNC_VV_MAX 1024                /* origins in one version vector */

/* --- wire ---------------------------------------------------------------- */

enum sync_msg_type {
    SYNC_HELLO = 1,     /* heartbeat: shop, origin, time, address, version vector;
                         * on PUB to all, and on DEALER to each peer (so a
                         * till that moved is found at its new address) */
    SYNC_EVENTS,        /* live events of the sender's origin: origin, seal, events */
    SYNC_FETCH,         /* origin, after seq, max count */
    SYNC_BATCH,         /* reply to FETCH: origin, more?, seal, events */
    SYNC_JOIN,          /* a new till: token, origin, public key, address, name, signing key */
    SYNC_WELCOME,       /* reply to JOIN: shop id, secret, name */
    SYNC_REFUSE,        /* reply to JOIN or FETCH: why not */
};

struct sync_msg {
    enum sync_msg_type type;
    char shop[STORE_SHOP_ID_LEN + 1];           /* HELLO, WELCOME */
    char origin[STORE_ORIGIN_LEN + 1];          /* HELLO sender; EVENTS, FETCH, BATCH, JOIN */
    int64_t time_ms;                            /* HELLO: sender's clock */
    struct store_vv *vv;                        /* HELLO; caller's array */
    int nvv, vv_cap;
    struct store_event *events;                 /* EVENTS, BATCH; caller's array */
    int nevents, events_cap;
    bool more;                                  /* BATCH: more after these */
    struct store_seal seal;                     /* EVENTS, BATCH: their till's signature */
    int64_t after;                              /* FETCH */
    int max;                                    /* FETCH, 1..SYNC_BATCH_MAX */
    unsigned char token[STORE_TOKEN_BYTES];     /* JOIN */
    unsigned char public_key[STORE_KEY_BYTES];  /* JOIN */
    unsigned char sign_key[STORE_SIGN_KEY_BYTES];   /* JOIN: its Ed25519 public key */
    unsigned char secret[STORE_SECRET_BYTES];   /* WELCOME: shop secret */
    char address[STORE_ADDRESS_MAX + 1];        /* HELLO, JOIN: where the sender listens */
    char name[STORE_TEXT_MAX * 4 + 1];          /* JOIN: till; WELCOME: shop */
    char reason[128];                           /* REFUSE */
};

/* A growing byte buffer for encoded messages. */
struct sync_buf { char *data; size_t len, cap; };
void sync_buf_free(struct sync_buf *b);

/* Encodes m (replacing b's content). Returns 0, or -1 if m is invalid or
 * would exceed SYNC_WIRE_MAX. */
int sync_wire_encode(const struct sync_msg *m, struct sync_buf *b);
/* Decodes one message into m, whose vv/events arrays (and their caps) the
 * caller provides (NULL/0: such a message is refused). Returns 0; -1 if
 * malformed, -2 if of another protocol version, with a short English
 * reason in why (for logs and counters). */
int sync_wire_decode(const void *data, size_t len, struct sync_msg *m, char *why, size_t whysz);
/* Room an event takes on the wire at most (for batch sizes). */
size_t sync_wire_event_size(const struct store_event *ev);

/* --- the protocol, without sockets (core.c) -------------------------------- */

struct sync_peer {
    unsigned char key[STORE_KEY_BYTES];         /* identity: its CURVE key */
    char origin[STORE_ORIGIN_LEN + 1];          /* from the till list */
    char current[STORE_ORIGIN_LEN + 1];         /* as its heartbeats say */
    char address[STORE_ADDRESS_MAX + 1];
    char name[STORE_TILL_NAME_MAX + 1];
    int64_t last_heard;                         /* ms, 0: never */
    struct store_vv *vv;                        /* its last heartbeat's vector */
    int nvv;
    int64_t they_lack, we_lack;                 /* events, from the vectors */
    uint64_t refused[SYNC_REFUSED_NREASONS];
    char last_refusal[160];
    int64_t last_logged;                        /* ms of the last refusal log */
    uint64_t logged_since;                      /* refusals not logged since */
    uint64_t events_in;
    bool in_list;                               /* still in the till list */
    bool subscribed;                            /* a heartbeat came through our SUB */
    bool unreached;                             /* its DEALER refused our last heartbeat */
    bool unproven;                              /* claimed more of our own events than it showed */
    void *link;                                 /* the transport's state */
};

/* What the core asks its transport to do. */
struct sync_io {
    /* Broadcast to every subscriber (PUB). */
    int (*publish)(void *ctx, const void *data, size_t len);
    /* A request to one peer (DEALER). */
    int (*request)(void *ctx, struct sync_peer *p, const void *data, size_t len);
    /* The peer list changed: connect or close (may be NULL). */
    void (*peer_added)(void *ctx, struct sync_peer *p);
    void (*peer_removed)(void *ctx, struct sync_peer *p);
    /* A catch-up transaction was committed and the next begins at once:
     * pause, so that a writer waiting for the lock gets it (may be NULL). */
    void (*yield)(void *ctx);
};

struct sync_core;

/* A core over an open, initialised store. now: ms. NULL on failure (the
 * reason in err). */
struct sync_core *sync_core_new(store *s, const struct sync_io *io, void *ctx,
                                char *err, size_t errsz);
void sync_core_free(struct sync_core *c);
/* Timing (ms): heartbeat interval, fetch time-out. */
void sync_core_timing(struct sync_core *c, int heartbeat_ms, int fetch_timeout_ms);
/* Adds a peer outside the till list (the till that invited this one). */
int sync_core_bootstrap(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES],
                        const char *address);
/* Re-reads the till list: peers come and go (io->peer_added/removed).
 * Returns 1 if a key lost its access, 0 if not, -1 on error. */
int sync_core_refresh(struct sync_core *c);
/* Keys allowed in: this till's and every till's in the list but removed
 * ones (and the bootstrap peer's). Returns the count written (at most max). */
int sync_core_allowed(struct sync_core *c, unsigned char (*keys)[STORE_KEY_BYTES], int max);
/* One turn: publish new events of this till, heartbeat when due, ask
 * peers for what is missing, time out lost requests. force: look for new
 * events even if the database seems unchanged. Returns 1 if another
 * connection committed since the last turn, else 0. */
int sync_core_tick(struct sync_core *c, int64_t now, bool force);
/* A message from a peer's PUB (via our SUB), or a reply (via DEALER). */
void sync_core_on_sub(struct sync_core *c, struct sync_peer *p, const void *data,
                      size_t len, int64_t now);
void sync_core_on_reply(struct sync_core *c, struct sync_peer *p, const void *data,
                        size_t len, int64_t now);
/* A request on our ROUTER from the till with key `key`; the reply (if any)
 * goes into reply (len 0: none). */
void sync_core_on_request(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES],
                          const void *data, size_t len, struct sync_buf *reply, int64_t now);
/* A JOIN on the join port from a client with key `key`. */
void sync_core_on_join(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES],
                       const void *data, size_t len, struct sync_buf *reply, int64_t now);
/* Where this till listens (sent in heartbeats). */
void sync_core_set_address(struct sync_core *c, const char *address);
/* Changes whenever a peer is added or removed (the transport's sockets). */
uint64_t sync_core_generation(struct sync_core *c);
/* Whether every peer's heartbeat has been heard since start (or one, five
 * heartbeats ago), so a restore from an old copy would have been noticed
 * (see core.c): until then, writing new events could reuse numbers. */
bool sync_core_checked(struct sync_core *c, int64_t now);
/* The peers, for status: sync_core_peer(c, 0 .. npeers-1). */
int sync_core_npeers(struct sync_core *c);
struct sync_peer *sync_core_peer(struct sync_core *c, int i);
const char *sync_core_origin(struct sync_core *c);
/* The i-th origin (from 0) that peers hold events of which this till
 * cannot take because no till's key covers it here (an import whose
 * vouch does not count here, or that two tills claimed), with how many
 * it lacks; false past the last. */
bool sync_core_waiting(struct sync_core *c, int i, char origin[STORE_ORIGIN_LEN + 1], int64_t *lacking);
/* A catch-up transaction is open (the next batch is on its way), and
 * commits it: the transport calls this when no message is waiting. */
bool sync_core_holding(struct sync_core *c);
void sync_core_settle(struct sync_core *c);
/* Events applied from peers, and forks seen, since start. */
uint64_t sync_core_applied(struct sync_core *c);
/* Events sent to peers in reply to their FETCH, since start. */
uint64_t sync_core_served(struct sync_core *c);
/* Messages refused from senders that are no peer (unknown key on ROUTER). */
uint64_t sync_core_refused_strangers(struct sync_core *c);

/* The ZAP handler (zap.c): a thread answering ZeroMQ's key checks for the
 * context zctx. Start it before binding any CURVE server socket. */
struct sync_zap;
struct sync_zap *sync_zap_start(void *zctx, char *err, size_t errsz);
/* The keys accepted on the "tally" domain (PUB, ROUTER). */
void sync_zap_allow(struct sync_zap *z, unsigned char (*keys)[STORE_KEY_BYTES], int n);
/* Whether the "join" domain accepts any key (an invitation is open). */
void sync_zap_join_open(struct sync_zap *z, bool open);
/* Handshakes refused so far. */
uint64_t sync_zap_refused(struct sync_zap *z);
void sync_zap_stop(struct sync_zap *z);

/* --- status and joining ---------------------------------------------------- */

/* The status file of a database: "<db>-sync.status". */
int sync_status_path(const char *db_path, char *out, size_t outsz);
int sync_status_write(const char *db_path, const struct sync_status *st);
int sync_token_parse(const char *text, unsigned char token[STORE_TOKEN_BYTES],
                     unsigned char key[STORE_KEY_BYTES]);

/* --- small helpers --------------------------------------------------------- */

/* "HOST:PORT" → host and port; the three endpoints "tcp://HOST:PORT+i". */
int sync_parse_address(const char *address, char *host, size_t hostsz, int *port);
int sync_endpoint(const char *address, int which, char *out, size_t outsz);

#endif
