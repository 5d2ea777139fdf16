/* core.c - the sync protocol without sockets: what a till does with each
 * message and on each turn of its loop. The daemon (daemon.c) feeds it
 * ZeroMQ messages; the unit tests feed it a simulated network with lost,
 * doubled and reordered messages. Both run exactly this code.
 *
 * - Every turn: new events of this till's own origin are published (the
 *   events table is the outbox; nothing is kept in memory); a heartbeat
 *   (HELLO with the version vector) goes out every heartbeat interval.
 * - A heartbeat from a peer tells what it holds. For every origin where
 *   some peer is ahead, one FETCH at a time goes to the peer furthest
 *   ahead; the next FETCH is sent before a BATCH is applied, so reading
 *   on one side overlaps writing on the other. Lost requests time out and
 *   are asked again.
 * - Consecutive batches of a catch-up share one transaction (a commit
 *   costs about as much as a thousand events): it stays open while the
 *   next batch is on its way and is committed when none is waiting
 *   (sync_core_settle, from the daemon's loop), after
 *   SYNC_CATCHUP_TX_EVENTS events or SYNC_CATCHUP_TX_MS, or with the last
 *   batch. A kiosk's write waits for it no longer than that.
 * - Live events are applied as they come, but correctness never depends
 *   on them: a gap is noticed (from the events or the next heartbeat) and
 *   fetched.
 * - A peer that holds more of this till's own origin than this till does
 *   means this database was restored from an old copy: the till moves to
 *   a new origin (store_new_origin) and never reuses a sequence number.
 *   A heartbeat alone is no proof (any till can claim anything): the till
 *   moves only at start-up, only once the peer has shown the events it
 *   lacks (fetched, and each one's content hash checked), and at most
 *   once. A claim without the events, or after start-up, is refused.
 * - Every run of events sent goes with its till's seal (store.h, "signed
 *   events"): this till signs the end of a run of its own, and passes on
 *   another till's events only up to a point that till signed. A run that
 *   does not verify is refused whole, counted as "signature" and reported;
 *   a run signed by a till whose key has not reached us yet waits.
 * - Anything malformed, of another version or shop, or refused by the
 *   ledger is counted per peer and logged at most once a minute per peer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "i18n.h"
#include "sync/internal.h"

#define STALE_HEARTBEATS 3      /* a peer unheard for this many is not asked */
#define BACKOFF_MS 30000        /* after the ledger refused a peer's events */
#define LOG_EVERY_MS 60000
#define HELLO_RETRY_MS 10       /* a heartbeat a peer's DEALER refused: again after */
#define STARTUP_HEARTBEATS 5    /* start-up ends this long after the first heartbeat heard... */
#define CLAIM_HEARTBEATS 20     /* ...or, while a peer claims more of our own origin, this long */

struct ostate {                 /* one origin being fetched */
    char origin[STORE_ORIGIN_LEN + 1];
    struct sync_peer *peer;     /* asked, or NULL */
    int64_t sent;               /* when */
    int64_t backoff_until;
    struct sync_peer *forger;   /* sent its events unsigned by it: not asked... */
    int64_t forger_until;       /* ...till then */
    uint64_t checked;           /* the epoch unvouched was found in */
    bool unvouched;             /* no signing key known for it here */
    bool stuck;                 /* ...nor its own till to ask: nobody can answer */
    int64_t lacking;            /* events of it a peer holds and we lack */
};

struct sync_core {
    store *s;
    const struct sync_io *io;
    void *ctx;
    char origin[STORE_ORIGIN_LEN + 1];
    char shop[STORE_SHOP_ID_LEN + 1];
    unsigned char key[STORE_KEY_BYTES];
    struct sync_peer *peers[SYNC_PEERS_MAX];
    int npeers;
    uint64_t generation;        /* counts changes of the peer list */
    char address[STORE_ADDRESS_MAX + 1];    /* where this till listens */
    struct store_till *tills;   /* the other tills, as last read */
    int ntills;
    struct { unsigned char key[STORE_KEY_BYTES]; char address[STORE_ADDRESS_MAX + 1]; } ann[SYNC_PEERS_MAX];
    int nann;                   /* addresses tills announced themselves */
    bool have_boot;
    unsigned char boot_key[STORE_KEY_BYTES];
    char boot_address[STORE_ADDRESS_MAX + 1];
    struct store_vv *ours;      /* our version vector */
    int nours;
    bool ours_dirty, started;
    bool startup;               /* a restore from an old copy may still show (see check_own) */
    bool moved;                 /* moved to a new origin since start: never again */
    int64_t first_heard;        /* first heartbeat heard since start, ms */
    int64_t data_version;
    int64_t published;          /* our own events published up to here */
    int64_t next_heartbeat;
    bool unreached;             /* some peer's DEALER refused the last heartbeat */
    int64_t next_retry;
    int heartbeat_ms, fetch_timeout_ms;
    struct ostate *os;
    int nos;
    uint64_t epoch;             /* counts refreshes of what we hold */
    struct store_event *out_events, *in_events;
    struct store_vv *in_vv;
    enum store_apply *results;
    struct sync_msg in;
    struct sync_buf out;
    uint64_t applied, served, strangers;
    int64_t strangers_logged;
    bool holding;               /* a catch-up transaction is open */
    int64_t held_since;
    int held_events;
};

const char *sync_refusal_name(enum sync_refusal r)
{
    static const char *const NAMES[] = { "malformed", "version", "shop", "unexpected", "event", "signature" };
    return r < SYNC_REFUSED_NREASONS ? NAMES[r] : "?";
}

static int64_t vv_get(const struct store_vv *vv, int n, const char *origin)
{
    for (int i = 0; i < n; i++)
        if (strcmp(vv[i].origin, origin) == 0)
            return vv[i].seq;
    return 0;
}

static void vv_raise(struct store_vv *vv, int *n, int cap, const char *origin, int64_t seq)
{
    for (int i = 0; i < *n; i++) {
        if (strcmp(vv[i].origin, origin) == 0) {
            if (seq > vv[i].seq)
                vv[i].seq = seq;
            return;
        }
    }
    if (*n < cap) {
        snprintf(vv[*n].origin, sizeof vv[*n].origin, "%s", origin);
        vv[(*n)++].seq = seq;
    }
}

static struct ostate *ostate_of(struct sync_core *c, const char *origin)
{
    for (int i = 0; i < c->nos; i++)
        if (strcmp(c->os[i].origin, origin) == 0)
            return &c->os[i];
    if (c->nos == SYNC_VV_MAX)
        return NULL;
    struct ostate *o = &c->os[c->nos++];
    memset(o, 0, sizeof *o);
    snprintf(o->origin, sizeof o->origin, "%s", origin);
    return o;
}

static void refuse(struct sync_core *c, struct sync_peer *p, enum sync_refusal r,
                   const char *why, int64_t now)
{
    if (!p) {
        c->strangers++;
        if (now - c->strangers_logged >= LOG_EVERY_MS) {
            c->strangers_logged = now;
            log_write(LOG_WARNING, _("refused a message from an unknown till (%s)"), why);
        }
        return;
    }
    p->refused[r]++;
    snprintf(p->last_refusal, sizeof p->last_refusal, "%s: %s", sync_refusal_name(r), why);
    if (p->last_logged && now - p->last_logged < LOG_EVERY_MS) {
        p->logged_since++;
        return;
    }
    log_write(LOG_WARNING, ngettext("refused a message from till %s (%s): %s; %" PRIu64 " more since the last report",
                                   "refused a message from till %s (%s): %s; %" PRIu64 " more since the last report",
                                   i18n_n((long long)p->logged_since)),
             p->origin[0] ? p->origin : p->address, sync_refusal_name(r), why, p->logged_since);
    p->last_logged = now;
    p->logged_since = 0;
}

struct sync_core *sync_core_new(store *s, const struct sync_io *io, void *ctx, char *err, size_t errsz)
{
    struct sync_core *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errsz, "%s", _("out of memory"));
        return NULL;
    }
    unsigned char sk[STORE_KEY_BYTES];
    c->s = s;
    c->io = io;
    c->ctx = ctx;
    c->heartbeat_ms = 1000;
    c->fetch_timeout_ms = 3000;
    if (!store_is_initialised(s) || store_shop_id(s, c->shop) != 0 || store_till_keys(s, c->key, sk) != 0) {
        snprintf(err, errsz, "%s", store_is_initialised(s) ? store_error(s)
                 : _("this database holds no shop: run 'tally init' or 'tally till join'"));
        free(c);
        return NULL;
    }
    memset(sk, 0, sizeof sk);
    snprintf(c->origin, sizeof c->origin, "%s", store_origin(s));
    c->ours = calloc(SYNC_VV_MAX, sizeof *c->ours);
    c->in_vv = calloc(SYNC_VV_MAX, sizeof *c->in_vv);
    c->os = calloc(SYNC_VV_MAX, sizeof *c->os);
    c->out_events = calloc(SYNC_BATCH_MAX, sizeof *c->out_events);
    c->in_events = calloc(SYNC_BATCH_MAX, sizeof *c->in_events);
    c->results = calloc(SYNC_BATCH_MAX, sizeof *c->results);
    c->tills = calloc(SYNC_PEERS_MAX + 1, sizeof *c->tills);
    if (!c->tills || !c->ours || !c->in_vv || !c->os || !c->out_events || !c->in_events || !c->results) {
        snprintf(err, errsz, "%s", _("out of memory"));
        sync_core_free(c);
        return NULL;
    }
    c->in.vv = c->in_vv;
    c->in.vv_cap = SYNC_VV_MAX;
    c->in.events = c->in_events;
    c->in.events_cap = SYNC_BATCH_MAX;
    c->ours_dirty = true;
    c->data_version = -1;
    c->startup = true;
    return c;
}

static void peer_free(struct sync_peer *p)
{
    free(p->vv);
    free(p);
}

void sync_core_free(struct sync_core *c)
{
    if (!c)
        return;
    sync_core_settle(c);
    for (int i = 0; i < c->npeers; i++) {
        if (c->io && c->io->peer_removed)
            c->io->peer_removed(c->ctx, c->peers[i]);
        peer_free(c->peers[i]);
    }
    free(c->ours);
    free(c->in_vv);
    free(c->os);
    free(c->out_events);
    free(c->in_events);
    free(c->results);
    free(c->tills);
    sync_buf_free(&c->out);
    free(c);
}

void sync_core_timing(struct sync_core *c, int heartbeat_ms, int fetch_timeout_ms)
{
    if (heartbeat_ms > 0)
        c->heartbeat_ms = heartbeat_ms;
    if (fetch_timeout_ms > 0)
        c->fetch_timeout_ms = fetch_timeout_ms;
}

int sync_core_bootstrap(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES], const char *address)
{
    char host[STORE_ADDRESS_MAX + 1];
    int port;
    if (sync_parse_address(address, host, sizeof host, &port) != 0 || port == 0)
        return -1;
    c->have_boot = true;
    memcpy(c->boot_key, key, STORE_KEY_BYTES);
    snprintf(c->boot_address, sizeof c->boot_address, "%s", address);
    return 0;
}

int sync_core_npeers(struct sync_core *c) { return c->npeers; }

struct sync_peer *sync_core_peer(struct sync_core *c, int i)
{
    return i >= 0 && i < c->npeers ? c->peers[i] : NULL;
}

const char *sync_core_origin(struct sync_core *c) { return c->origin; }
uint64_t sync_core_applied(struct sync_core *c) { return c->applied; }
uint64_t sync_core_served(struct sync_core *c) { return c->served; }
uint64_t sync_core_generation(struct sync_core *c) { return c->generation; }
bool sync_core_checked(struct sync_core *c, int64_t now)
{
    (void)now;
    return !c->startup;
}

void sync_core_set_address(struct sync_core *c, const char *address)
{
    snprintf(c->address, sizeof c->address, "%s", address ? address : "");
}
uint64_t sync_core_refused_strangers(struct sync_core *c) { return c->strangers; }

static struct sync_peer *peer_by_key(struct sync_core *c, const unsigned char *key)
{
    for (int i = 0; i < c->npeers; i++)
        if (memcmp(c->peers[i]->key, key, STORE_KEY_BYTES) == 0)
            return c->peers[i];
    return NULL;
}

/* --- the till list ---------------------------------------------------------- */

struct wanted {
    struct sync_core *c;
    struct store_till t[SYNC_PEERS_MAX];
    int n;
    bool boot_listed;       /* the bootstrap peer's key is in the list */
};

static int want_till(const struct store_till *t, void *arg)
{
    struct wanted *w = arg;
    if (w->c->have_boot && memcmp(t->public_key, w->c->boot_key, STORE_KEY_BYTES) == 0)
        w->boot_listed = true;
    if (t->removed)
        return 0;
    if (memcmp(t->public_key, w->c->key, STORE_KEY_BYTES) == 0)
        return 0;   /* this till, under any of its origins */
    for (int i = 0; i < w->n; i++)
        if (memcmp(w->t[i].public_key, t->public_key, STORE_KEY_BYTES) == 0)
            return 0;
    if (w->n < SYNC_PEERS_MAX)
        w->t[w->n++] = *t;
    return 0;
}

static int refresh_with(struct sync_core *c, struct wanted *wp);
static void start_signing(struct sync_core *c);

int sync_core_refresh(struct sync_core *c)
{
    struct wanted *wp = calloc(1, sizeof *wp);
    if (!wp)
        return -1;
    int rc = refresh_with(c, wp);
    free(wp);
    return rc;
}

static int refresh_with(struct sync_core *c, struct wanted *wp)
{
    wp->c = c;
    snprintf(c->origin, sizeof c->origin, "%s", store_origin(c->s));
    if (store_till_list(c->s, true, want_till, wp) != 0)
        return -1;
    /* The till list knows the till that invited us: it decides from now
     * on (so a removal of that till counts here too). */
    if (wp->boot_listed)
        c->have_boot = false;
    /* Where a till said it listens now wins over an older record. */
    for (int j = 0; j < wp->n; j++)
        for (int a = 0; a < c->nann; a++)
            if (memcmp(c->ann[a].key, wp->t[j].public_key, STORE_KEY_BYTES) == 0)
                snprintf(wp->t[j].address, sizeof wp->t[j].address, "%s", c->ann[a].address);
    if (c->have_boot) {
        if (wp->n < SYNC_PEERS_MAX && memcmp(c->boot_key, c->key, STORE_KEY_BYTES) != 0) {
            memset(&wp->t[wp->n], 0, sizeof wp->t[wp->n]);
            memcpy(wp->t[wp->n].public_key, c->boot_key, STORE_KEY_BYTES);
            snprintf(wp->t[wp->n].address, sizeof wp->t[wp->n].address, "%s", c->boot_address);
            wp->n++;
        }
    }
    int lost = 0;
    /* A key that was allowed and is no more. */
    for (int i = 0; i < c->ntills; i++) {
        bool still = false;
        for (int j = 0; j < wp->n && !still; j++)
            still = memcmp(c->tills[i].public_key, wp->t[j].public_key, STORE_KEY_BYTES) == 0;
        if (!still)
            lost = 1;
    }
    memcpy(c->tills, wp->t, (size_t)wp->n * sizeof *wp->t);
    c->ntills = wp->n;
    /* Gone, or moved to another address: close. */
    for (int i = 0; i < c->npeers;) {
        struct sync_peer *p = c->peers[i];
        int k = -1;
        for (int j = 0; j < wp->n && k < 0; j++)
            if (memcmp(wp->t[j].public_key, p->key, STORE_KEY_BYTES) == 0)
                k = j;
        if (k >= 0 && strcmp(wp->t[k].address, p->address) == 0) {
            snprintf(p->origin, sizeof p->origin, "%s", wp->t[k].origin);
            snprintf(p->name, sizeof p->name, "%s", wp->t[k].name);
            i++;
            continue;
        }
        if (k < 0) {
            log_write(LOG_NOTICE, _("till %s was removed: closing its connections"),
                     p->origin[0] ? p->origin : p->address);
        }
        for (int j = 0; j < c->nos; j++) {
            if (c->os[j].peer == p)
                c->os[j].peer = NULL;
            if (c->os[j].forger == p)
                c->os[j].forger = NULL;
        }
        if (c->io->peer_removed)
            c->io->peer_removed(c->ctx, p);
        peer_free(p);
        c->peers[i] = c->peers[--c->npeers];
        c->generation++;
    }
    /* New, or at a new address: connect. */
    for (int j = 0; j < wp->n; j++) {
        if (peer_by_key(c, wp->t[j].public_key))
            continue;
        char host[STORE_ADDRESS_MAX + 1];
        int port;
        if (sync_parse_address(wp->t[j].address, host, sizeof host, &port) != 0 || port == 0)
            continue;   /* a till that never said where it listens */
        struct sync_peer *p = calloc(1, sizeof *p);
        if (!p || !(p->vv = calloc(SYNC_VV_MAX, sizeof *p->vv))) {
            free(p);
            return -1;
        }
        memcpy(p->key, wp->t[j].public_key, STORE_KEY_BYTES);
        snprintf(p->origin, sizeof p->origin, "%s", wp->t[j].origin);
        snprintf(p->address, sizeof p->address, "%s", wp->t[j].address);
        snprintf(p->name, sizeof p->name, "%s", wp->t[j].name);
        p->in_list = true;
        c->peers[c->npeers++] = p;
        c->generation++;
        log_write(LOG_INFO, _("connecting to till %s at %s"), p->origin[0] ? p->origin : "?", p->address);
        if (c->io->peer_added)
            c->io->peer_added(c->ctx, p);
    }
    return lost;
}

int sync_core_allowed(struct sync_core *c, unsigned char (*keys)[STORE_KEY_BYTES], int max)
{
    int n = 0;
    if (n < max)
        memcpy(keys[n++], c->key, STORE_KEY_BYTES);
    for (int i = 0; i < c->ntills && n < max; i++)
        memcpy(keys[n++], c->tills[i].public_key, STORE_KEY_BYTES);
    return n;
}

/* --- sending ------------------------------------------------------------------ */

static int send_fetch(struct sync_core *c, struct sync_peer *p, const char *origin, int64_t after, int64_t now)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "%s", origin);
    m.after = after;
    m.max = SYNC_BATCH_MAX;
    struct ostate *o = ostate_of(c, origin);
    if (!o || sync_wire_encode(&m, &c->out) != 0)
        return -1;
    if (c->io->request(c->ctx, p, c->out.data, c->out.len) != 0) {
        o->peer = NULL;     /* not connected yet: ask again next turn */
        return -1;
    }
    o->peer = p;
    o->sent = now;
    return 0;
}

/* Reads up to SYNC_BATCH_MAX events of origin after `after` that fit in
 * SYNC_BATCH_BYTES, as far as they can go with their till's seal (which
 * goes into seal). *more: there may be more. */
static int read_batch(struct sync_core *c, const char *origin, int64_t after, int max, bool *more,
                      struct store_seal *seal)
{
    int n = store_read_events(c->s, origin, after, c->out_events, max);
    if (n < 0) {
        store_release(c->s);
        return -1;
    }
    *more = n == max;
    size_t bytes = 256;
    for (int i = 0; i < n; i++) {
        bytes += sync_wire_event_size(&c->out_events[i]);
        if (bytes > SYNC_BATCH_BYTES && i > 0) {
            *more = true;
            n = i;
            break;
        }
    }
    int read = n;
    if (store_seal_batch(c->s, origin, c->out_events, &n, seal) != 0) {
        store_release(c->s);
        return -1;
    }
    store_release(c->s);
    if (n < read)
        *more = true;
    return n;
}

static void refresh_ours(struct sync_core *c)
{
    int n = store_version_vector(c->s, c->ours, SYNC_VV_MAX);
    store_release(c->s);
    if (n < 0)
        return;
    c->nours = n;
    c->ours_dirty = false;
    c->epoch++;     /* a key for an origin we could not take may have come */
    for (int i = 0; i < c->npeers; i++) {
        struct sync_peer *p = c->peers[i];
        if (!p->last_heard)
            continue;
        p->they_lack = p->we_lack = 0;
        for (int k = 0; k < c->nours; k++) {
            int64_t d = c->ours[k].seq - vv_get(p->vv, p->nvv, c->ours[k].origin);
            if (d > 0)
                p->they_lack += d;
        }
        for (int k = 0; k < p->nvv; k++) {
            int64_t d = p->vv[k].seq - vv_get(c->ours, c->nours, p->vv[k].origin);
            if (d > 0)
                p->we_lack += d;
        }
    }
}

static void publish_new(struct sync_core *c)
{
    int64_t top = vv_get(c->ours, c->nours, c->origin);
    if (!c->started) {
        c->published = top;     /* peers fetch what came before */
        c->started = true;
    }
    if (top < c->published)
        c->published = top;
    while (c->published < top) {
        bool more;
        struct sync_msg m;
        memset(&m, 0, sizeof m);
        int n = read_batch(c, c->origin, c->published, SYNC_BATCH_MAX, &more, &m.seal);
        if (n <= 0)
            return;
        m.type = SYNC_EVENTS;
        snprintf(m.origin, sizeof m.origin, "%s", c->origin);
        m.events = c->out_events;
        m.nevents = n;
        if (sync_wire_encode(&m, &c->out) != 0)
            return;
        c->io->publish(c->ctx, c->out.data, c->out.len);
        c->published = c->out_events[n - 1].seq;
        log_write(LOG_DEBUG, ngettext("published %d event, up to %s:%" PRId64, "published %d events, up to %s:%" PRId64, i18n_n(n)), n, c->origin, c->published);
    }
}

/* A heartbeat to all (PUB, and each peer's DEALER); retry: only to the
 * peers whose DEALER did not take the last one. */
static void heartbeat(struct sync_core *c, int64_t now, bool retry)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_HELLO;
    snprintf(m.shop, sizeof m.shop, "%s", c->shop);
    snprintf(m.origin, sizeof m.origin, "%s", c->origin);
    m.time_ms = now;
    snprintf(m.address, sizeof m.address, "%s", c->address);
    m.vv = c->ours;
    m.nvv = c->nours;
    if (sync_wire_encode(&m, &c->out) != 0)
        return;
    if (!retry)
        c->io->publish(c->ctx, c->out.data, c->out.len);
    c->unreached = false;
    for (int i = 0; i < c->npeers; i++) {
        struct sync_peer *p = c->peers[i];
        if (retry && !p->unreached)
            continue;
        p->unreached = c->io->request(c->ctx, p, c->out.data, c->out.len) != 0;
        c->unreached |= p->unreached;
    }
}

/* Heard lately, and through our SUB at least once: we ask a peer only
 * once we are subscribed to it, so nothing it publishes after our
 * request can fall between the reply and the live stream. */
static bool fresh(struct sync_core *c, const struct sync_peer *p, int64_t now)
{
    return p->subscribed && p->last_heard && now - p->last_heard <= (int64_t)STALE_HEARTBEATS * c->heartbeat_ms;
}

/* Whether some till's key covers origin here (its till's record, or an
 * import's counting vouch): found again only once what we hold changed. */
static bool vouched(struct sync_core *c, struct ostate *o)
{
    if (o->checked != c->epoch) {
        unsigned char key[STORE_SIGN_KEY_BYTES];
        int64_t first = 0;
        o->unvouched = store_signer(c->s, o->origin, key, &first) == 0;
        store_release(c->s);
        o->checked = c->epoch;
    }
    return !o->unvouched;
}

/* For each origin some fresh peer is ahead on, ask the one furthest ahead.
 * An origin no key covers here is asked of its own till alone (until its
 * key is known, events of a till are taken from it alone); one with no
 * till of its own (an import nobody's vouch counts for) is not asked at
 * all: no till could answer, so asking every heartbeat would be for
 * nothing. It waits, shown in the status (sync_core_waiting), until a
 * key for it comes. */
static void schedule_fetches(struct sync_core *c, int64_t now)
{
    for (int k = 0; k < c->nos; k++)
        c->os[k].lacking = 0;
    for (int i = 0; i < c->npeers; i++) {
        struct sync_peer *p = c->peers[i];
        if (!fresh(c, p, now))
            continue;
        for (int k = 0; k < p->nvv; k++) {
            const char *origin = p->vv[k].origin;
            if (strcmp(origin, c->origin) == 0)
                continue;
            int64_t have = vv_get(c->ours, c->nours, origin);
            if (p->vv[k].seq <= have)
                continue;
            struct ostate *o = ostate_of(c, origin);
            if (!o)
                continue;
            if (p->vv[k].seq - have > o->lacking)
                o->lacking = p->vv[k].seq - have;
            bool anyone = vouched(c, o);
            o->stuck = false;
            if (now < o->backoff_until)
                continue;
            if (o->peer && now - o->sent < c->fetch_timeout_ms)
                continue;
            /* The one furthest ahead, the origin's own till first among
             * equals; never one that lately passed on this origin's
             * events unsigned by it. */
            struct sync_peer *best = NULL;
            bool own = false;
            for (int j = 0; j < c->npeers; j++) {
                struct sync_peer *q = c->peers[j];
                int64_t qs = vv_get(q->vv, q->nvv, origin), bs = best ? vv_get(best->vv, best->nvv, origin) : 0;
                bool itself = strcmp(q->current, origin) == 0;
                own |= itself && fresh(c, q, now);
                if (fresh(c, q, now) && (q != o->forger || now >= o->forger_until) && qs > have &&
                    (anyone || itself) && (!best || qs > bs || (qs == bs && itself)))
                    best = q;
            }
            o->stuck = !anyone && !own;
            if (best)
                send_fetch(c, best, origin, have, now);
        }
    }
}

bool sync_core_waiting(struct sync_core *c, int i, char origin[STORE_ORIGIN_LEN + 1], int64_t *lacking)
{
    for (int k = 0; k < c->nos; k++) {
        const struct ostate *o = &c->os[k];
        if (o->stuck && o->lacking > 0 && i-- == 0) {
            snprintf(origin, STORE_ORIGIN_LEN + 1, "%s", o->origin);
            *lacking = o->lacking;
            return true;
        }
    }
    return false;
}

/* At start-up: does a peer hold more of this till's own origin than it
 * does (a restore from an old copy)? Then ask it for those events; the
 * move happens only when they come (own_evidence). Start-up ends once
 * every peer was heard, or STARTUP_HEARTBEATS after the first was, and no
 * claim is waiting for its events (at most CLAIM_HEARTBEATS). */
static void check_own(struct sync_core *c, int64_t now)
{
    if (!c->startup)
        return;
    struct sync_peer *best = NULL;
    int64_t most = 0, mine = 0;
    bool all = true;
    for (int i = 0; i < c->npeers; i++) {
        struct sync_peer *p = c->peers[i];
        all &= p->last_heard != 0;
        int64_t t = p->last_heard && !p->unproven ? vv_get(p->vv, p->nvv, c->origin) : 0;
        if (t > most) {
            most = t;
            best = p;
        }
    }
    if (best) {
        mine = store_max_seq(c->s, c->origin);
        store_release(c->s);
    }
    int64_t since = c->first_heard ? now - c->first_heard : 0;
    bool claimed = best && mine >= 0 && most > mine;
    if (claimed && since < (int64_t)CLAIM_HEARTBEATS * c->heartbeat_ms) {
        struct ostate *o = ostate_of(c, c->origin);
        if (o && (!o->peer || now - o->sent >= c->fetch_timeout_ms))
            send_fetch(c, best, c->origin, mine, now);
        return;
    }
    if (c->first_heard ? !all && since < (int64_t)STARTUP_HEARTBEATS * c->heartbeat_ms : c->npeers > 0)
        return;
    c->startup = false;
    start_signing(c);
    if (claimed)
        refuse(c, best, SYNC_REFUSED_UNEXPECTED, "claims events of this till's origin it never showed", now);
}

int sync_core_tick(struct sync_core *c, int64_t now, bool force)
{
    if (c->holding && now - c->held_since >= SYNC_CATCHUP_TX_MS)
        sync_core_settle(c);
    store_release(c->s);
    int64_t dv = store_data_version(c->s);
    int changed = dv != c->data_version;
    if (changed || force) {
        c->data_version = dv;
        c->ours_dirty = true;
    }
    if (c->ours_dirty) {
        refresh_ours(c);
        publish_new(c);
    }
    if (now >= c->next_heartbeat) {
        heartbeat(c, now, false);
        c->next_heartbeat = now + c->heartbeat_ms;
        c->next_retry = now + HELLO_RETRY_MS;
    } else if (c->unreached && now >= c->next_retry) {
        /* A DEALER takes nothing until its connection is up, and a till
         * that has just started fetches nothing until a peer that heard
         * its heartbeat answers: try again soon, not a heartbeat later. */
        heartbeat(c, now, true);
        c->next_retry = now + HELLO_RETRY_MS;
    }
    check_own(c, now);
    schedule_fetches(c, now);
    return changed;
}

/* --- receiving ---------------------------------------------------------------- */

/* Applies a run of events in one transaction, once its seal verifies;
 * counts what the ledger refused. Returns the number refused, or -1 on a
 * database error; *waiting: signed by a till not known here yet. */
static int apply(struct sync_core *c, struct sync_peer *p, const struct sync_msg *m, int64_t now, bool *waiting)
{
    char why[256];
    const struct store_event *evs = m->events;
    int n = m->nevents;
    *waiting = false;
    if (store_apply_batch(c->s, evs, (size_t)n, &m->seal, p->key, strcmp(p->current, evs[0].origin) == 0,
                          c->results, why, sizeof why) != 0) {
        log_write(LOG_ERR, _("could not save events from till %s: %s"), p->origin, store_error(c->s));
        return -1;
    }
    log_write(LOG_DEBUG, ngettext("applied %d event of %s up to %" PRId64 " from %s", "applied %d events of %s up to %" PRId64 " from %s", i18n_n(n)), n, evs[0].origin,
             evs[n - 1].seq, p->origin);
    int refused = 0, unsigned_ = 0;
    for (int i = 0; i < n; i++) {
        if (c->results[i] == STORE_APPLIED) {
            c->applied++;
            p->events_in++;
        } else if (c->results[i] == STORE_REJECTED || c->results[i] == STORE_FORK) {
            refused++;
        } else if (c->results[i] == STORE_UNSIGNED) {
            unsigned_++;
        } else if (c->results[i] == STORE_WAITING) {
            *waiting = true;
        }
    }
    if (unsigned_) {    /* a till speaking for another: said once per batch */
        refuse(c, p, SYNC_REFUSED_SIGNATURE, why, now);
        struct ostate *o = ostate_of(c, evs[0].origin);
        if (o) {
            o->forger = p;
            o->forger_until = now + BACKOFF_MS;
        }
    }
    else if (refused)
        refuse(c, p, SYNC_REFUSED_EVENT, why, now);
    if (*waiting)
        log_write(LOG_DEBUG, "events of %s from %s wait for their till's key", evs[0].origin, p->origin);
    refused += unsigned_;
    c->ours_dirty = true;
    return refused;
}

/* Once start-up is over (this till is what it says it is): a till made
 * before signing gets its key now, signing from its next event, and its
 * record names it (store_signing_ensure; nothing to do the next times). */
static void start_signing(struct sync_core *c)
{
    if (store_signing_ensure(c->s) != 0)
        log_write(LOG_ERR, _("cannot sign this till's events: %s"), store_error(c->s));
    store_release(c->s);
    c->ours_dirty = true;
}

static void restored(struct sync_core *c, struct sync_peer *p, int64_t theirs, int64_t mine)
{
    char old[STORE_ORIGIN_LEN + 1];
    if (store_new_origin(c->s, old) != 0) {
        log_write(LOG_ERR, _("this till was restored from an old copy, but could not move to a new origin: %s"),
                 store_error(c->s));
        return;
    }
    snprintf(c->origin, sizeof c->origin, "%s", store_origin(c->s));
    c->started = false;
    c->ours_dirty = true;
    c->moved = true;
    c->startup = false;
    log_write(LOG_ERR, _("this database was restored from an old copy: till %s showed events of %s up to %" PRId64
                        " but this till only had up to %" PRId64 "; continuing as %s so no number is used twice"),
             p->origin[0] ? p->origin : p->address, old, theirs, mine, c->origin);
    start_signing(c);
    refresh_ours(c);
}

static void hello(struct sync_core *c, struct sync_peer *p, const struct sync_msg *m, int64_t now, bool via_sub)
{
    if (strcmp(m->shop, c->shop) != 0) {
        refuse(c, p, SYNC_REFUSED_SHOP, "a heartbeat of another shop", now);
        return;
    }
    if (strcmp(m->origin, c->origin) == 0) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "a peer uses this till's origin (a copied database?)", now);
        return;
    }
    if (!p->last_heard)
        log_write(LOG_INFO, _("hearing from till %s at %s"), m->origin, p->address);
    /* A till heard for the first time (or again after a silence) has just
     * started or reconnected: answer with a heartbeat on the next turn
     * rather than up to a heartbeat later, since it fetches nothing from
     * us until our heartbeat reaches it through its SUB. */
    if (!p->last_heard || now - p->last_heard > (int64_t)STALE_HEARTBEATS * c->heartbeat_ms)
        c->next_heartbeat = now;
    snprintf(p->current, sizeof p->current, "%s", m->origin);
    p->last_heard = now;
    p->subscribed |= via_sub;
    memcpy(p->vv, m->vv, (size_t)m->nvv * sizeof *m->vv);
    p->nvv = m->nvv;
    if (!c->first_heard)
        c->first_heard = now;
    int64_t theirs = vv_get(p->vv, p->nvv, c->origin);
    if (theirs > 0 && !c->startup) {
        int64_t mine = store_max_seq(c->s, c->origin);
        store_release(c->s);
        if (mine >= 0 && theirs > mine)
            refuse(c, p, SYNC_REFUSED_UNEXPECTED, "claims more events of this till's origin than it made", now);
    }
    c->ours_dirty = true;   /* recompute the lags */
    schedule_fetches(c, now);
}

/* A message off the wire into c->in, or NULL once it is refused as
 * malformed or of another protocol version. */
static struct sync_msg *decoded(struct sync_core *c, struct sync_peer *p, const void *data, size_t len, int64_t now)
{
    char why[160];
    int rc = sync_wire_decode(data, len, &c->in, why, sizeof why);
    if (rc != 0) {
        refuse(c, p, rc == -2 ? SYNC_REFUSED_VERSION : SYNC_REFUSED_MALFORMED, why, now);
        return NULL;
    }
    return &c->in;
}

void sync_core_on_sub(struct sync_core *c, struct sync_peer *p, const void *data, size_t len, int64_t now)
{
    struct sync_msg *m = decoded(c, p, data, len, now);
    if (!m)
        return;
    if (m->type == SYNC_HELLO) {
        hello(c, p, m, now, true);
        return;
    }
    if (m->type != SYNC_EVENTS) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "not a heartbeat or events", now);
        return;
    }
    if (strcmp(m->origin, p->current) != 0 && strcmp(m->origin, p->origin) != 0) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "events of an origin that is not the sender's", now);
        return;
    }
    if (m->nevents == 0 || strcmp(m->origin, c->origin) == 0)
        return;
    p->last_heard = now;
    int64_t last = m->events[m->nevents - 1].seq;
    vv_raise(p->vv, &p->nvv, SYNC_VV_MAX, m->origin, last);
    /* Applied even if held already: the ledger tells a copy from a fork
     * (same identity, other content), which must be seen and reported. */
    bool waiting;
    apply(c, p, m, now, &waiting);
    refresh_ours(c);
    schedule_fetches(c, now);
}

/* A batch of this till's own origin, asked for at start-up because p
 * claimed more of it (check_own): the events this till lacks, each with
 * a sound content hash, prove a restore from an old copy. Returns whether
 * the till moved to a new origin. */
static bool own_evidence(struct sync_core *c, struct sync_peer *p, const struct sync_msg *m, int64_t now)
{
    if (!c->startup || c->moved)
        return false;
    int64_t mine = store_max_seq(c->s, c->origin);
    store_release(c->s);
    bool shown = m->nevents > 0 && mine >= 0 && m->events[m->nevents - 1].seq > mine;
    for (int i = 0; i < m->nevents && shown; i++)
        shown = store_event_hash_ok(&m->events[i]) && (i == 0 || m->events[i].seq == m->events[i - 1].seq + 1);
    /* Signed by this till's own key, following what it holds: only this
     * till (an older copy of it) can have made them. A copy from before
     * this till signed knows no key of its own: the hashes must do. */
    char why[160];
    unsigned char key[STORE_SIGN_KEY_BYTES];
    int64_t first;
    if (shown && store_signer(c->s, c->origin, key, &first) == 1 &&
        store_verify_batch(c->s, m->events, (size_t)m->nevents, &m->seal, why, sizeof why) != 0) {
        store_release(c->s);
        p->unproven = true;
        refuse(c, p, SYNC_REFUSED_SIGNATURE, why, now);
        return false;
    }
    store_release(c->s);
    if (!shown) {
        /* Not asked again; another peer's claim may still be shown. */
        p->unproven = true;
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "claimed events of this till's origin it could not show", now);
        return false;
    }
    const struct store_event *last = &m->events[m->nevents - 1];
    restored(c, p, last->seq, mine);
    return c->moved;
}

void sync_core_on_reply(struct sync_core *c, struct sync_peer *p, const void *data, size_t len, int64_t now)
{
    struct sync_msg *m = decoded(c, p, data, len, now);
    if (!m)
        return;
    if (m->type == SYNC_REFUSE) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, m->reason, now);
        return;
    }
    if (m->type != SYNC_BATCH) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "not a batch", now);
        return;
    }
    struct ostate *o = ostate_of(c, m->origin);
    if (!o)
        return;
    bool asked = o->peer == p;
    if (asked)
        o->peer = NULL;
    if (strcmp(m->origin, c->origin) == 0 && !own_evidence(c, p, m, now))
        return;     /* else moved: these are now another origin's events */
    if (m->nevents == 0 || strcmp(m->origin, c->origin) == 0)
        return;
    p->last_heard = now;
    int64_t last = m->events[m->nevents - 1].seq;
    vv_raise(p->vv, &p->nvv, SYNC_VV_MAX, m->origin, last);
    /* Ask for the next batch first: the peer reads while we write. From
     * what we hold, if that is further: the batch before may have closed
     * a gap below events that came live, and those need no second copy. */
    int64_t have = vv_get(c->ours, c->nours, m->origin), from = have > last ? have : last;
    bool next = ((m->more && from == last) || vv_get(p->vv, p->nvv, m->origin) > from) &&
                now >= o->backoff_until && send_fetch(c, p, m->origin, from, now) == 0;
    if (next && !c->holding && store_begin(c->s) == 0) {
        c->holding = true;
        c->held_since = now;
        c->held_events = 0;
    }
    bool waiting;
    int refused = apply(c, p, m, now, &waiting);
    if (refused != 0 && o->forger == p && o->forger_until > now) {
        /* Another till's events it did not sign: ask others, not it. */
        o->peer = NULL;
    } else if (refused != 0) {
        o->backoff_until = now + BACKOFF_MS;
        o->peer = NULL;
    } else if (waiting) {   /* asked again once its key may have come */
        o->backoff_until = now + c->heartbeat_ms;
        o->peer = NULL;
        refused = 1;
    }
    c->held_events += m->nevents;
    if (!next || refused != 0 || c->held_events >= SYNC_CATCHUP_TX_EVENTS || now - c->held_since >= SYNC_CATCHUP_TX_MS) {
        bool held = c->holding;
        sync_core_settle(c);
        if (held && next && c->io->yield)
            c->io->yield(c->ctx);
    }
    refresh_ours(c);
}

bool sync_core_holding(struct sync_core *c)
{
    return c->holding;
}

void sync_core_settle(struct sync_core *c)
{
    if (!c->holding)
        return;
    c->holding = false;
    if (store_commit(c->s) != 0)
        log_write(LOG_ERR, ngettext("could not save %d event from other tills: %s",
                                   "could not save %d events from other tills: %s", i18n_n(c->held_events)),
                 c->held_events, store_error(c->s));
    else
        log_write(LOG_DEBUG, ngettext("committed %d event from other tills", "committed %d events from other tills",
                                     i18n_n(c->held_events)), c->held_events);
    /* After a failed commit the vector is lower again: fetched again. */
    c->ours_dirty = true;
}

/* A till of the list said where it listens: connect there. */
static void announced(struct sync_core *c, const unsigned char *key, const char *address)
{
    char host[STORE_ADDRESS_MAX + 1];
    int port;
    struct sync_peer *p = peer_by_key(c, key);
    if ((p && strcmp(p->address, address) == 0) ||
        sync_parse_address(address, host, sizeof host, &port) != 0 || port == 0)
        return;
    bool known = false;
    for (int i = 0; i < c->ntills && !known; i++)
        known = memcmp(c->tills[i].public_key, key, STORE_KEY_BYTES) == 0;
    if (!known)
        return;
    int a = 0;
    while (a < c->nann && memcmp(c->ann[a].key, key, STORE_KEY_BYTES) != 0)
        a++;
    if (a == SYNC_PEERS_MAX)
        return;
    if (a == c->nann)
        c->nann++;
    memcpy(c->ann[a].key, key, STORE_KEY_BYTES);
    snprintf(c->ann[a].address, sizeof c->ann[a].address, "%s", address);
    sync_core_refresh(c);
}

void sync_core_on_request(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES], const void *data,
                          size_t len, struct sync_buf *reply, int64_t now)
{
    reply->len = 0;
    struct sync_peer *p = peer_by_key(c, key);
    struct sync_msg *m = decoded(c, p, data, len, now);
    if (!m)
        return;
    if (m->type == SYNC_HELLO) {
        announced(c, key, m->address);
        p = peer_by_key(c, key);
        if (p)
            hello(c, p, m, now, false);
        return;
    }
    if (m->type != SYNC_FETCH) {
        refuse(c, p, SYNC_REFUSED_UNEXPECTED, "not a fetch", now);
        return;
    }
    struct sync_msg r;
    memset(&r, 0, sizeof r);
    r.type = SYNC_BATCH;
    snprintf(r.origin, sizeof r.origin, "%s", m->origin);
    int n = read_batch(c, m->origin, m->after, m->max, &r.more, &r.seal);
    if (n < 0) {
        log_write(LOG_ERR, _("could not read events for a peer: %s"), store_error(c->s));
        return;
    }
    r.events = c->out_events;
    r.nevents = n;
    if (sync_wire_encode(&r, reply) != 0)
        reply->len = 0;
    else
        c->served += (uint64_t)n;
}

void sync_core_on_join(struct sync_core *c, const unsigned char key[STORE_KEY_BYTES], const void *data,
                       size_t len, struct sync_buf *reply, int64_t now)
{
    reply->len = 0;
    char why[160];
    struct sync_msg *m = &c->in;
    struct sync_msg r;
    memset(&r, 0, sizeof r);
    r.type = SYNC_REFUSE;
    if (sync_wire_decode(data, len, m, why, sizeof why) != 0 || m->type != SYNC_JOIN) {
        refuse(c, NULL, SYNC_REFUSED_MALFORMED, "a bad join request", now);
        snprintf(r.reason, sizeof r.reason, "bad request");
    } else if (memcmp(m->public_key, key, STORE_KEY_BYTES) != 0) {
        refuse(c, NULL, SYNC_REFUSED_UNEXPECTED, "a join request for another key", now);
        snprintf(r.reason, sizeof r.reason, "key");
    } else {
        char manager[STORE_ID_LEN + 1];
        struct store_till t;
        memset(&t, 0, sizeof t);
        snprintf(t.origin, sizeof t.origin, "%s", m->origin);
        memcpy(t.public_key, m->public_key, STORE_KEY_BYTES);
        memcpy(t.sign_key, m->sign_key, STORE_SIGN_KEY_BYTES);
        t.signed_from = 1;
        snprintf(t.address, sizeof t.address, "%s", m->address);
        snprintf(t.name, sizeof t.name, "%.*s", (int)sizeof t.name - 1, m->name);
        unsigned char secret[STORE_SECRET_BYTES];
        if (store_invite_take(c->s, m->token, manager) != 0) {
            log_write(LOG_WARNING, _("refused a till that wanted to join: %s"), store_error(c->s));
            snprintf(r.reason, sizeof r.reason, "token");
        } else if (store_till_join(c->s, manager, &t) != 0) {
            /* Never another till's place: its origin and key stay its own. */
            log_write(LOG_WARNING, _("refused a till that wanted to join: %s"), store_error(c->s));
            snprintf(r.reason, sizeof r.reason, "identity");
        } else if (store_shop_secret(c->s, secret) != 0) {
            log_write(LOG_ERR, _("could not record the new till %s: %s"), t.origin, store_error(c->s));
            snprintf(r.reason, sizeof r.reason, "error");
        } else {
            log_write(LOG_NOTICE, _("till %s (%s) joined the shop"), t.origin, t.name);
            r.type = SYNC_WELCOME;
            snprintf(r.shop, sizeof r.shop, "%s", c->shop);
            memcpy(r.secret, secret, sizeof secret);
            snprintf(r.name, sizeof r.name, "%s", store_shop_name(c->s));
            memset(secret, 0, sizeof secret);
            c->ours_dirty = true;
        }
        store_release(c->s);
    }
    if (sync_wire_encode(&r, reply) != 0)
        reply->len = 0;
    memset(&r, 0, sizeof r);
}
