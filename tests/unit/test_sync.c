/* test_sync.c - unit tests for sync/: the wire format (round trips and
 * refusal of bad frames) and a seeded in-process simulation of the
 * protocol core over a network that loses, doubles, reorders and
 * partitions messages, with tills restarting, one restored from an old
 * copy, and one dishonest (it claims to hold more of the others' own
 * events than they made, and passes on events it made up under another
 * till's origin, unsigned or signed with its own key: every till must
 * refuse them). No sockets: the simulation runs sync/core.c over
 * the store API. Also: a removed till stays removed, and a joining till
 * cannot take another's identity.
 *
 * $TALLY_SIM_SCHEDULES sets how many fault schedules run (default 200,
 * 100 under AddressSanitizer);
 * $TALLY_SIM_SEED the first seed. Databases live in /dev/shm when there is
 * one (commits without a disk), else in $TMPDIR or /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <dirent.h>

#include <cmocka.h>
#include <sodium.h>

#include "store/internal.h"
#include "store/store.h"
#include "sync/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* --- helpers ---------------------------------------------------------------- */

static struct store_event *sample_events(int n, const char *origin)
{
    struct store_event *ev = calloc((size_t)n, sizeof *ev);
    assert_non_null(ev);
    for (int i = 0; i < n; i++) {
        snprintf(ev[i].origin, sizeof ev[i].origin, "%s", origin);
        ev[i].seq = i + 1;
        ev[i].hlc = ((int64_t)1700000000000 + i) << 16;
        ev[i].wall = 1700000000000 + i;
        snprintf(ev[i].type, sizeof ev[i].type, "earn");
        snprintf(ev[i].staff, sizeof ev[i].staff, "0123456789ab");
        snprintf(ev[i].customer, sizeof ev[i].customer, "ba9876543210");
        ev[i].points = -12 - i;
        ev[i].stamps = 1;
        ev[i].credit = INT64_C(1) << 40;
        ev[i].spend = 1250;
        ev[i].visits = 1;
        snprintf(ev[i].ref_origin, sizeof ev[i].ref_origin, "%s", i ? origin : "");
        ev[i].ref_seq = i;
        snprintf(ev[i].occasion, sizeof ev[i].occasion, "birthday:%d", i);
        snprintf(ev[i].reason, sizeof ev[i].reason, "zażółć gęślą jaźń %d", i);
        snprintf(ev[i].data, sizeof ev[i].data, "{\"category\":\"coffee\",\"n\":%d}", i);
        snprintf(ev[i].pii, sizeof ev[i].pii, "%s", i % 2 ? "{\"name\":\"Łukasz\"}" : "");
        for (int k = 0; k < 32; k++) {
            ev[i].pii_hash[k] = (unsigned char)(k * 7 + i);
            ev[i].hash[k] = (unsigned char)(255 - k - i);
        }
    }
    return ev;
}

static char *find(char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

static void encode(const struct sync_msg *m, struct sync_buf *b)
{
    assert_int_equal(sync_wire_encode(m, b), 0);
    assert_true(b->len > 0 && b->len <= SYNC_WIRE_MAX);
}

/* Decodes into a message with room for everything. */
static int decode(const void *data, size_t len, struct sync_msg *m, char *why)
{
    static struct store_event ev[SYNC_BATCH_MAX];
    static struct store_vv vv[SYNC_VV_MAX];
    memset(m, 0, sizeof *m);
    m->events = ev;
    m->events_cap = SYNC_BATCH_MAX;
    m->vv = vv;
    m->vv_cap = SYNC_VV_MAX;
    return sync_wire_decode(data, len, m, why, 160);
}

/* --- wire: round trips --------------------------------------------------- */

static void test_wire_hello(void **state)
{
    (void)state;
    struct store_vv vv[3] = { { "00000001", 5 }, { "abcdef01", 0 }, { "ffffffff", 123456789012 } };
    struct sync_msg m, d;
    memset(&m, 0, sizeof m);
    m.type = SYNC_HELLO;
    snprintf(m.shop, sizeof m.shop, "0123456789abcdef");
    snprintf(m.origin, sizeof m.origin, "3fa2c1d9");
    snprintf(m.address, sizeof m.address, "192.168.1.20:7700");
    m.time_ms = 1795454068648;
    m.vv = vv;
    m.nvv = 3;
    struct sync_buf b = { 0 };
    encode(&m, &b);
    char why[160];
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_int_equal(d.type, SYNC_HELLO);
    assert_string_equal(d.shop, m.shop);
    assert_string_equal(d.origin, m.origin);
    assert_string_equal(d.address, m.address);
    assert_true(d.time_ms == m.time_ms);
    assert_int_equal(d.nvv, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(d.vv[i].origin, vv[i].origin);
        assert_true(d.vv[i].seq == vv[i].seq);
    }
    sync_buf_free(&b);
}

static void test_wire_events(void **state)
{
    (void)state;
    struct store_event *ev = sample_events(7, "3fa2c1d9");
    for (int type = SYNC_EVENTS; type <= SYNC_BATCH; type += SYNC_BATCH - SYNC_EVENTS) {
        struct sync_msg m, d;
        memset(&m, 0, sizeof m);
        m.type = (enum sync_msg_type)type;
        snprintf(m.origin, sizeof m.origin, "3fa2c1d9");
        m.events = ev;
        m.nevents = 7;
        m.more = true;
        struct sync_buf b = { 0 };
        encode(&m, &b);
        char why[160];
        assert_int_equal(decode(b.data, b.len, &d, why), 0);
        assert_int_equal(d.type, type);
        assert_int_equal(d.nevents, 7);
        assert_int_equal(d.more, type == SYNC_BATCH);
        for (int i = 0; i < 7; i++)
            assert_memory_equal(&d.events[i], &ev[i], sizeof ev[i]);
        sync_buf_free(&b);
    }
    free(ev);
}

static void test_wire_full_event(void **state)
{
    (void)state;
    /* Every text field at its longest still fits one frame. */
    struct store_event *ev = sample_events(1, "00aa00aa");
    memset(ev->reason, 'r', sizeof ev->reason - 1);
    ev->reason[sizeof ev->reason - 1] = '\0';
    memset(ev->data, 'd', sizeof ev->data - 1);
    ev->data[sizeof ev->data - 1] = '\0';
    memset(ev->pii, 'p', sizeof ev->pii - 1);
    ev->pii[sizeof ev->pii - 1] = '\0';
    memset(ev->occasion, 'o', sizeof ev->occasion - 1);
    ev->occasion[sizeof ev->occasion - 1] = '\0';
    struct sync_msg m, d;
    memset(&m, 0, sizeof m);
    m.type = SYNC_BATCH;
    snprintf(m.origin, sizeof m.origin, "00aa00aa");
    m.events = ev;
    m.nevents = 1;
    struct sync_buf b = { 0 };
    encode(&m, &b);
    assert_true(b.len <= sync_wire_event_size(ev) + 64);
    char why[160];
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_memory_equal(&d.events[0], ev, sizeof *ev);
    sync_buf_free(&b);
    free(ev);
}

static void test_wire_small_messages(void **state)
{
    (void)state;
    struct sync_msg m, d;
    struct sync_buf b = { 0 };
    char why[160];

    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "12345678");
    m.after = 99999;
    m.max = SYNC_BATCH_MAX;
    encode(&m, &b);
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_int_equal(d.type, SYNC_FETCH);
    assert_string_equal(d.origin, "12345678");
    assert_true(d.after == 99999);
    assert_int_equal(d.max, SYNC_BATCH_MAX);

    memset(&m, 0, sizeof m);
    m.type = SYNC_JOIN;
    for (int i = 0; i < STORE_TOKEN_BYTES; i++)
        m.token[i] = (unsigned char)(i * 13);
    for (int i = 0; i < STORE_KEY_BYTES; i++)
        m.public_key[i] = (unsigned char)(i * 5 + 1);
    snprintf(m.origin, sizeof m.origin, "abcdef12");
    snprintf(m.address, sizeof m.address, "10.0.0.7:7700");
    snprintf(m.name, sizeof m.name, "Kasa 2 – zaplecze");
    encode(&m, &b);
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_int_equal(d.type, SYNC_JOIN);
    assert_memory_equal(d.token, m.token, sizeof m.token);
    assert_memory_equal(d.public_key, m.public_key, sizeof m.public_key);
    assert_string_equal(d.name, m.name);
    assert_string_equal(d.address, m.address);

    memset(&m, 0, sizeof m);
    m.type = SYNC_WELCOME;
    snprintf(m.shop, sizeof m.shop, "fedcba9876543210");
    memset(m.secret, 0x5a, sizeof m.secret);
    snprintf(m.name, sizeof m.name, "Kawiarnia Pod Lipą");
    encode(&m, &b);
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_int_equal(d.type, SYNC_WELCOME);
    assert_memory_equal(d.secret, m.secret, sizeof m.secret);
    assert_string_equal(d.name, m.name);

    memset(&m, 0, sizeof m);
    m.type = SYNC_REFUSE;
    snprintf(m.reason, sizeof m.reason, "token");
    encode(&m, &b);
    assert_int_equal(decode(b.data, b.len, &d, why), 0);
    assert_string_equal(d.reason, "token");
    sync_buf_free(&b);
}

/* --- wire: refusals ------------------------------------------------------ */

static void refused(const void *data, size_t len, int want)
{
    struct sync_msg d;
    char why[160] = "";
    int rc = decode(data, len, &d, why);
    if (rc != want)
        print_error("decoded with %d, wanted %d (%s)\n", rc, want, why);
    assert_int_equal(rc, want);
    if (want)
        assert_true(why[0] != '\0');
}

static void test_wire_refuses_garbage(void **state)
{
    (void)state;
    refused(NULL, 0, -1);
    refused("", 0, -1);
    refused("hello, world", 12, -1);
    /* This version's own messages, with what is wrong after the version. */
    char v = (char)SYNC_PROTOCOL, older = (char)(SYNC_PROTOCOL - 1), newer = (char)(SYNC_PROTOCOL + 1);
    refused((char[]){ '\x93', v, '\x03' }, 3, -1);         /* fetch without fields */
    refused("\xc1", 1, -1);                               /* never-used byte */
    refused("\xdd\xff\xff\xff\xff", 5, -1);               /* array claims 2^32 */
    refused("\xdf\x7f\xff\xff\xff\x01", 6, -1);           /* map claims 2^31 pairs */
    refused("\xdb\xff\xff\xff\xff", 5, -1);               /* string claims 4 GiB */
    refused("\x91\x91\x91\x91\x91\x91\x91\x01", 8, -1);   /* nested too deep */
    refused("\x81\x01\x02", 3, -1);                       /* a map, not an array */
    refused("\xd4\x01\x01", 3, -1);                       /* ext type */
    refused((char[]){ '\x92', v, '\x63' }, 3, -1);       /* unknown type 99 */
    refused("\x92\xcb\x40\x00\x00\x00\x00\x00\x00\x00\x01", 11, -1);  /* version 2.0 as float */
    refused("\x93\x01\x01\xc0", 4, -2);                   /* version 1 (older) */
    refused((char[]){ '\x93', older, '\x01', '\xc0' }, 4, -2);  /* the version before */
    refused((char[]){ '\x93', newer, '\x01', '\xc0' }, 4, -2);  /* the version after */
    refused("\x92\xce\xff\xff\xff\xff\x01", 7, -2);       /* version 2^32-1 */
}

static void test_wire_refuses_bad_fields(void **state)
{
    (void)state;
    struct sync_msg m;
    struct sync_buf b = { 0 };
    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "12345678");
    m.after = 0;
    m.max = 10;
    encode(&m, &b);
    /* Trailing bytes, and a cut-off message. */
    char *more = malloc(b.len + 1);
    assert_non_null(more);
    memcpy(more, b.data, b.len);
    more[b.len] = 0x01;
    refused(more, b.len + 1, -1);
    refused(b.data, b.len - 1, -1);
    free(more);
    /* Out-of-range fetch counts and a negative seq. */
    m.max = 0;
    encode(&m, &b);
    refused(b.data, b.len, -1);
    m.max = SYNC_BATCH_MAX + 1;
    encode(&m, &b);
    refused(b.data, b.len, -1);
    m.max = 1;
    m.after = -1;
    encode(&m, &b);
    refused(b.data, b.len, -1);
    /* An origin that is not 8 hex digits. */
    m.after = 0;
    snprintf(m.origin, sizeof m.origin, "1234567G");
    encode(&m, &b);
    refused(b.data, b.len, -1);
    /* Events of another origin than the message says. */
    struct store_event *ev = sample_events(2, "aaaaaaaa");
    snprintf(ev[1].origin, sizeof ev[1].origin, "bbbbbbbb");
    memset(&m, 0, sizeof m);
    m.type = SYNC_EVENTS;
    snprintf(m.origin, sizeof m.origin, "aaaaaaaa");
    m.events = ev;
    m.nevents = 2;
    encode(&m, &b);
    refused(b.data, b.len, -1);
    /* A NUL inside a string. */
    snprintf(ev[1].origin, sizeof ev[1].origin, "aaaaaaaa");
    encode(&m, &b);
    char *nul = find(b.data, b.len, "coffee");
    assert_non_null(nul);
    nul[2] = '\0';
    refused(b.data, b.len, -1);
    /* A hash of 31 bytes: the bin header says 32 (0xc4 0x20). */
    encode(&m, &b);
    char *h = b.data + b.len - 34;
    assert_int_equal((unsigned char)h[0], 0xc4);
    h[1] = 31;
    refused(b.data, b.len - 1, -1);
    /* More events than the receiver has room for. */
    encode(&m, &b);
    struct sync_msg d;
    memset(&d, 0, sizeof d);
    struct store_event one;
    d.events = &one;
    d.events_cap = 1;
    char why[160];
    assert_int_equal(sync_wire_decode(b.data, b.len, &d, why, sizeof why), -1);
    free(ev);
    sync_buf_free(&b);
}

static void test_wire_size_limits(void **state)
{
    (void)state;
    /* A string longer than the field it fills. */
    struct store_event *ev = sample_events(1, "aaaaaaaa");
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_EVENTS;
    snprintf(m.origin, sizeof m.origin, "aaaaaaaa");
    m.events = ev;
    m.nevents = 1;
    struct sync_buf b = { 0 };
    encode(&m, &b);
    char *cat = find(b.data, b.len, "earn");
    assert_non_null(cat);
    /* "earn" is a fixstr 0xa4; claim it is the type field of 24 chars+. */
    size_t at = (size_t)(cat - b.data) - 1;
    struct sync_buf big = { 0 };
    big.cap = b.len + 64;
    big.data = malloc(big.cap);
    assert_non_null(big.data);
    memcpy(big.data, b.data, at);
    big.len = at;
    big.data[big.len++] = (char)(0xa0 | 30);
    memset(big.data + big.len, 'x', 30);
    big.len += 30;
    memcpy(big.data + big.len, b.data + at + 5, b.len - at - 5);
    big.len += b.len - at - 5;
    refused(big.data, big.len, -1);
    sync_buf_free(&big);
    /* Over the frame limit. */
    size_t n = SYNC_WIRE_MAX + 1;
    char *huge = calloc(1, n);
    assert_non_null(huge);
    refused(huge, n, -1);
    free(huge);
    /* The encoder refuses more events than a batch holds. */
    m.nevents = SYNC_BATCH_MAX + 1;
    assert_int_equal(sync_wire_encode(&m, &b), -1);
    free(ev);
    sync_buf_free(&b);
}

static void test_token(void **state)
{
    (void)state;
    unsigned char t[STORE_TOKEN_BYTES], k[STORE_KEY_BYTES], t2[STORE_TOKEN_BYTES], k2[STORE_KEY_BYTES];
    for (int i = 0; i < STORE_TOKEN_BYTES; i++)
        t[i] = (unsigned char)(200 + i);
    for (int i = 0; i < STORE_KEY_BYTES; i++)
        k[i] = (unsigned char)(i * 9);
    char text[SYNC_TOKEN_LEN + 1];
    sync_token_format(t, k, text);
    assert_int_equal(strlen(text), SYNC_TOKEN_LEN);
    assert_int_equal(sync_token_parse(text, t2, k2), 0);
    assert_memory_equal(t, t2, sizeof t);
    assert_memory_equal(k, k2, sizeof k);
    text[5] = 'x';
    assert_int_equal(sync_token_parse(text, t2, k2), -1);
    assert_int_equal(sync_token_parse("abc", t2, k2), -1);
    char host[64];
    int port;
    assert_int_equal(sync_parse_address("127.0.0.1:7700", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 7700);
    assert_int_equal(sync_parse_address("till-2.local:0", host, sizeof host, &port), 0);
    assert_int_equal(sync_parse_address("nocolon", host, sizeof host, &port), -1);
    assert_int_equal(sync_parse_address("a b:1", host, sizeof host, &port), -1);
    assert_int_equal(sync_parse_address("h:70000", host, sizeof host, &port), -1);
    char ep[64];
    assert_int_equal(sync_endpoint("127.0.0.1:7700", 2, ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7702");
}

/* --- the simulation ------------------------------------------------------- */

#define NODES 3
#define STEP_MS 5

struct simmsg {
    int kind;           /* 0: PUB to SUB, 1: request to ROUTER, 2: reply to DEALER */
    int from, to;
    size_t len;
    char *data;
};

struct node {
    int i;
    store *s;
    struct sync_core *core;
    unsigned char key[STORE_KEY_BYTES];
    char path[256], address[32];
    char staff[STORE_ID_LEN + 1];
    char customers[16][STORE_ID_LEN + 1];
    int ncustomers;
    bool down;          /* crashed: delivers nothing, sends nothing */
    bool fresh_restore; /* restored, not yet heard a peer */
};

struct sim {
    struct node n[NODES];
    struct simmsg *q;
    int nq, capq;
    uint64_t rng;
    double drop, dup, reorder;
    int cut;            /* a node cut off from the others, or -1 */
    int64_t now;
    int made;           /* local events made by the schedule */
    char dir[128];
    struct sync_buf reply;
    int refuse_requests;    /* the next this many requests fail, as a DEALER not yet connected */
    int64_t hello_at[NODES][4];     /* when each till's first heartbeat requests went out */
    int nhellos[NODES];
    int liar;           /* a dishonest till, or -1 */
    struct { char origin[STORE_ORIGIN_LEN + 1]; int64_t seq; unsigned char hash[32]; } forged[64];
    int nforged;        /* events the liar made up under other origins */
    char imports[8][STORE_ORIGIN_LEN + 1];  /* the origins of the imports made */
    int import_by[8], nimports;             /* and which till made each */
    bool claimed[8];                        /* the liar claimed it as its own */
    char watch[STORE_ORIGIN_LEN + 1];       /* FETCHes for this origin... */
    int fetches[NODES];                     /* ...each till sent */
};

static struct sim *cur;     /* the io callbacks' context is the node */

static uint64_t rnd(struct sim *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static double rndf(struct sim *s) { return (double)(rnd(s) >> 11) / 9007199254740992.0; }

static void enqueue(struct sim *s, int kind, int from, int to, const void *data, size_t len)
{
    if (s->n[from].down || (s->cut >= 0 && (from == s->cut || to == s->cut)))
        return;
    if (rndf(s) < s->drop)
        return;
    int copies = rndf(s) < s->dup ? 2 : 1;
    for (int c = 0; c < copies; c++) {
        if (s->nq == s->capq) {
            s->capq = s->capq ? 2 * s->capq : 256;
            s->q = realloc(s->q, (size_t)s->capq * sizeof *s->q);
            assert_non_null(s->q);
        }
        struct simmsg *m = &s->q[s->nq++];
        m->kind = kind;
        m->from = from;
        m->to = to;
        m->len = len;
        m->data = malloc(len ? len : 1);
        assert_non_null(m->data);
        memcpy(m->data, data, len);
    }
}

static int node_of_key(struct sim *s, const unsigned char *key)
{
    for (int i = 0; i < NODES; i++)
        if (memcmp(s->n[i].key, key, STORE_KEY_BYTES) == 0)
            return i;
    return -1;
}

static int io_publish(void *ctx, const void *data, size_t len)
{
    struct node *n = ctx;
    for (int j = 0; j < NODES; j++)
        if (j != n->i)
            enqueue(cur, 0, n->i, j, data, len);
    return 0;
}

static int io_request(void *ctx, struct sync_peer *p, const void *data, size_t len)
{
    struct node *n = ctx;
    int j = node_of_key(cur, p->key);
    if (j < 0)
        return -1;
    struct sync_msg m;
    char why[160];
    if (decode(data, len, &m, why) == 0 && m.type == SYNC_HELLO && cur->nhellos[n->i] < 4)
        cur->hello_at[n->i][cur->nhellos[n->i]++] = cur->now;
    else if (m.type == SYNC_FETCH && cur->watch[0] && strcmp(m.origin, cur->watch) == 0)
        cur->fetches[n->i]++;
    if (cur->refuse_requests > 0) {
        cur->refuse_requests--;
        return -1;
    }
    enqueue(cur, 1, n->i, j, data, len);
    return 0;
}

static const struct sync_io SIM_IO = { io_publish, io_request, NULL, NULL, NULL };

static struct sync_peer *peer_for(struct node *n, const unsigned char *key)
{
    for (int i = 0; i < sync_core_npeers(n->core); i++) {
        struct sync_peer *p = sync_core_peer(n->core, i);
        if (memcmp(p->key, key, STORE_KEY_BYTES) == 0)
            return p;
    }
    return NULL;
}

static void start_core(struct sim *s, struct node *n)
{
    /* A till that starts has new connections: nothing old is on the way
     * to or from it. */
    int k = 0;
    for (int i = 0; i < s->nq; i++) {
        if (s->q[i].to == n->i || s->q[i].from == n->i)
            free(s->q[i].data);
        else
            s->q[k++] = s->q[i];
    }
    s->nq = k;
    char err[256];
    n->core = sync_core_new(n->s, &SIM_IO, n, err, sizeof err);
    if (!n->core)
        print_error("sync_core_new: %s\n", err);
    assert_non_null(n->core);
    sync_core_timing(n->core, 100, 300);
    sync_core_set_address(n->core, n->address);
    if (n->i != 0)
        assert_int_equal(sync_core_bootstrap(n->core, s->n[0].key, s->n[0].address), 0);
    assert_true(sync_core_refresh(n->core) >= 0);
}

static void open_node(struct node *n)
{
    char err[256];
    n->s = store_open(n->path, true, err, sizeof err);
    if (!n->s)
        print_error("store_open: %s\n", err);
    assert_non_null(n->s);
}

static void deliver_one(struct sim *s)
{
    if (!s->nq)
        return;
    int k = 0;
    if (s->nq > 1 && rndf(s) < s->reorder)
        k = (int)(rnd(s) % (uint64_t)(s->nq < 8 ? s->nq : 8));
    struct simmsg m = s->q[k];
    memmove(&s->q[k], &s->q[k + 1], (size_t)(s->nq - k - 1) * sizeof *s->q);
    s->nq--;
    struct node *to = &s->n[m.to], *from = &s->n[m.from];
    if (!to->down) {
        struct sync_peer *p = peer_for(to, from->key);
        if (m.kind == 0 && p)
            sync_core_on_sub(to->core, p, m.data, m.len, s->now);
        else if (m.kind == 2 && p)
            sync_core_on_reply(to->core, p, m.data, m.len, s->now);
        else if (m.kind == 1) {
            sync_core_on_request(to->core, from->key, m.data, m.len, &s->reply, s->now);
            if (s->reply.len)
                enqueue(s, 2, m.to, m.from, s->reply.data, s->reply.len);
        }
    }
    free(m.data);
}

static void import_at(struct node *n, char out[STORE_ORIGIN_LEN + 1]);

/* One local change at node n: an earn, a new customer, a rule change or,
 * now and then, an import (under an origin of its own, which n vouches
 * for; a dishonest till also makes up events under it). */
static void local_op(struct sim *s, struct node *n)
{
    unsigned r = (unsigned)(rnd(s) % 10);
    int before = (int)store_event_count(n->s);
    if (r == 9 && rnd(s) % 3 == 0 && s->nimports < 8) {
        s->import_by[s->nimports] = n->i;
        import_at(n, s->imports[s->nimports++]);
    } else if (r < 6 && n->ncustomers) {
        struct store_earn e = { 0 };
        e.amount = 100 + (int64_t)(rnd(s) % 5000);
        struct store_result res;
        /* May fail: a restored till lacks customers made after its copy. */
        (void)store_earn(n->s, n->staff, n->customers[rnd(s) % (uint64_t)n->ncustomers], &e, &res);
    } else if (r < 8 && n->ncustomers < 16) {
        struct store_profile p = { 0 };
        char name[32];
        snprintf(name, sizeof name, "Klient %d-%d", n->i, n->ncustomers);
        p.name = name;
        p.consent = -1;
        struct store_customer c;
        if (store_customer_add(n->s, n->staff, &p, &c) == 0)
            snprintf(n->customers[n->ncustomers++], STORE_ID_LEN + 1, "%s", c.id);
    } else {
        char v[16];
        snprintf(v, sizeof v, "%d", (int)(rnd(s) % 50));
        store_setting_set(n->s, n->staff, "welcome.points", v);
    }
    int after = (int)store_event_count(n->s);
    s->made += after - before;
}

static bool converged(struct sim *s, char *why, size_t whysz)
{
    char d0[65], d[65];
    int64_t c0 = store_event_count(s->n[0].s);
    store_digest(s->n[0].s, d0);
    store_release(s->n[0].s);
    for (int i = 1; i < NODES; i++) {
        int64_t c = store_event_count(s->n[i].s);
        store_digest(s->n[i].s, d);
        store_release(s->n[i].s);
        if (c != c0 || strcmp(d, d0) != 0) {
            snprintf(why, whysz, "till %d: %lld events, till 0: %lld%s", i, (long long)c, (long long)c0,
                     c == c0 ? " (digests differ)" : "");
            return false;
        }
    }
    return true;
}

/* Every till holds every origin up to the same number with no gap:
 * equal counts and digests alone miss a till that lacks an event whose
 * effect a later one overwrote, while holding that later one. */
static bool same_vectors(struct sim *s)
{
    struct store_vv a[16], b[16];
    int na = store_version_vector(s->n[0].s, a, 16);
    store_release(s->n[0].s);
    bool same = na >= 0;
    for (int i = 1; i < NODES && same; i++) {
        int nb = store_version_vector(s->n[i].s, b, 16);
        store_release(s->n[i].s);
        same = nb == na;
        for (int k = 0; k < na && same; k++)
            same = strcmp(a[k].origin, b[k].origin) == 0 && a[k].seq == b[k].seq;
    }
    return same;
}

static void lie(struct sim *s);
static void forge(struct sim *s);

static void step(struct sim *s, int deliveries)
{
    s->now += STEP_MS;
    if (s->liar >= 0 && !s->n[s->liar].down && rnd(s) % 4 == 0)
        lie(s);
    if (s->liar >= 0 && !s->n[s->liar].down && rnd(s) % 8 == 0)
        forge(s);
    for (int i = 0; i < NODES; i++) {
        if (s->n[i].down)
            continue;
        if (s->now % 200 == 0)  /* as syncd re-reads the till list */
            sync_core_refresh(s->n[i].core);
        sync_core_tick(s->n[i].core, s->now, true);
    }
    for (int k = 0; k < deliveries; k++)
        deliver_one(s);
    for (int i = 0; i < NODES; i++)     /* as syncd does when no message waits */
        if (!s->n[i].down)
            sync_core_settle(s->n[i].core);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
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

/* A shop of NODES tills over a simulated network with random faults,
 * the till list known to all; returns once they agree (or with why set). */
static struct sim *sim_new(uint64_t seed, char *why, size_t whysz)
{
    struct sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    cur = s;
    s->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    s->drop = rndf(s) * 0.3;
    s->dup = rndf(s) * 0.2;
    s->reorder = rndf(s) * 0.5;
    s->cut = -1;
    s->liar = -1;
    s->now = 1700000000000;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/tally-sim-XXXXXX", base);
    assert_non_null(mkdtemp(s->dir));

    /* Till 0 makes the shop, a manager and the till list; the others
     * join with its shop id and secret. */
    char shop[STORE_SHOP_ID_LEN + 1];
    unsigned char secret[STORE_SECRET_BYTES], sk[STORE_KEY_BYTES];
    for (int i = 0; i < NODES; i++) {
        struct node *n = &s->n[i];
        n->i = i;
        snprintf(n->path, sizeof n->path, "%s/till%d.db", s->dir, i);
        snprintf(n->address, sizeof n->address, "127.0.0.1:%d", 1000 + 10 * i);
        open_node(n);
        store_set_clock(n->s, 0);
        if (i == 0) {
            assert_int_equal(store_init_shop(n->s, "Sim", "PLN"), 0);
            struct store_staff m;
            assert_int_equal(store_staff_add(n->s, NULL, "Mira", ROLE_MANAGER, "1234", &m), 0);
            snprintf(n->staff, sizeof n->staff, "%s", m.id);
            assert_int_equal(store_shop_id(n->s, shop), 0);
            assert_int_equal(store_shop_secret(n->s, secret), 0);
            assert_int_equal(store_till_keys(n->s, n->key, sk), 0);
        } else {
            char origin[STORE_ORIGIN_LEN + 1];
            store_random_origin(origin);
            for (int k = 0; k < STORE_KEY_BYTES; k++) {
                n->key[k] = (unsigned char)(rnd(s) & 255);
                sk[k] = (unsigned char)(rnd(s) & 255);
            }
            assert_int_equal(store_join_setup(n->s, shop, secret, origin, n->key, sk, NULL), 0);
            snprintf(n->staff, sizeof n->staff, "%s", s->n[0].staff);
        }
    }
    for (int i = 0; i < NODES; i++) {
        struct store_till t;
        memset(&t, 0, sizeof t);
        snprintf(t.origin, sizeof t.origin, "%s", store_origin(s->n[i].s));
        memcpy(t.public_key, s->n[i].key, STORE_KEY_BYTES);
        snprintf(t.address, sizeof t.address, "%s", s->n[i].address);
        snprintf(t.name, sizeof t.name, "till %d", i);
        /* As the inviting till records a till that joins, with its
         * signing key; till 0 names its own when it starts signing. */
        unsigned char sign_sk[STORE_SIG_BYTES];
        if (i != 0) {
            assert_int_equal(store_signing_keys(s->n[i].s, t.sign_key, sign_sk), 0);
            t.signed_from = 1;
        }
        assert_int_equal(store_till_record(s->n[0].s, "", &t), 0);
        /* Where it listens, as syncd keeps it: its own record names it
         * when it starts signing. */
        assert_int_equal(store_sync_set(s->n[i].s, "sync.address", t.address), 0);
        assert_int_equal(store_sync_set(s->n[i].s, "sync.name", t.name), 0);
        start_core(s, &s->n[i]);
    }
    /* The joined tills learn the staff before they act. */
    int guard = 0;
    while (!converged(s, why, whysz) && guard++ < 4000)
        step(s, 4);
    if (guard >= 4000)
        snprintf(why + strlen(why), whysz - strlen(why), " (never got the shop)");
    else
        why[0] = '\0';
    return s;
}

static void sim_free(struct sim *s)
{
    for (int i = 0; i < NODES; i++) {
        if (s->n[i].core)
            sync_core_free(s->n[i].core);
        store_close(s->n[i].s);
    }
    for (int i = 0; i < s->nq; i++)
        free(s->q[i].data);
    free(s->q);
    sync_buf_free(&s->reply);
    rm_rf(s->dir);
    free(s);
    cur = NULL;
}

/* The dishonest till: heartbeats, through its PUB and to each peer's
 * ROUTER, that claim it holds 50 more of each other till's own events
 * than that till made. A till that believed them would leave its origin. */
static void lie(struct sim *s)
{
    struct node *l = &s->n[s->liar];
    struct store_vv vv[16];
    int n = store_version_vector(l->s, vv, 16);
    store_release(l->s);
    if (n < 0)
        return;
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_HELLO;
    assert_int_equal(store_shop_id(l->s, m.shop), 0);
    snprintf(m.origin, sizeof m.origin, "%s", store_origin(l->s));
    snprintf(m.address, sizeof m.address, "%s", l->address);
    m.time_ms = s->now;
    m.vv = vv;
    for (int j = 0; j < NODES; j++) {
        struct node *v = &s->n[j];
        if (j == s->liar || v->down)
            continue;
        m.nvv = n;
        const char *victim = store_origin(v->s);
        int k = 0;
        while (k < m.nvv && strcmp(vv[k].origin, victim) != 0)
            k++;
        if (k == m.nvv && m.nvv < 16)
            snprintf(vv[m.nvv++].origin, sizeof vv[0].origin, "%s", victim);
        if (k == m.nvv)
            continue;
        int64_t saved = vv[k].seq;
        vv[k].seq = store_max_seq(v->s, victim) + 50;
        store_release(v->s);
        struct sync_buf b = { 0 };
        assert_int_equal(sync_wire_encode(&m, &b), 0);
        enqueue(s, 0, s->liar, j, b.data, b.len);
        enqueue(s, 1, s->liar, j, b.data, b.len);
        sync_buf_free(&b);
        vv[k].seq = saved;
    }
}

/* An event of the liar's own (signed, so honest as such) that vouches
 * for origin with sign_key, showing nonce (NULL: none, as a vouch made
 * before import ids were derived from their till's key). */
static void vouch_as(store *st, const char *origin, const unsigned char key[STORE_SIGN_KEY_BYTES],
                     const unsigned char nonce[IMPORT_NONCE_BYTES])
{
    char hex[2 * STORE_SIGN_KEY_BYTES + 1], nhex[2 * IMPORT_NONCE_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, key, STORE_SIGN_KEY_BYTES);
    struct store_event ev;
    event_init(&ev, "setting", "", NULL);
    if (nonce) {
        sodium_bin2hex(nhex, sizeof nhex, nonce, IMPORT_NONCE_BYTES);
        snprintf(ev.data, sizeof ev.data, "{\"key\":\"" VOUCH_PREFIX "%s\",\"value\":{\"sign_key\":\"%s\",\"nonce\":\"%s\"}}",
                 origin, hex, nhex);
    } else {
        snprintf(ev.data, sizeof ev.data, "{\"key\":\"" VOUCH_PREFIX "%s\",\"value\":{\"sign_key\":\"%s\"}}", origin, hex);
    }
    assert_int_equal(tx_begin(st), 0);
    assert_int_equal(event_append(st, &ev), 0);
    assert_int_equal(tx_commit(st), 0);
}

/* The liar claims an import another till made as its own, once (old
 * style or with a nonce of its own); its claim races the importer's to
 * the tills that have not heard it yet. */
static void claim_import(struct sim *s, struct node *l, int imp)
{
    /* A restored till writes once it has heard its peers (see
     * run_schedule): before, it could reuse its own numbers. */
    if (s->claimed[imp] || !l->core || (l->fresh_restore && !sync_core_checked(l->core, s->now)))
        return;
    s->claimed[imp] = true;
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES], nonce[IMPORT_NONCE_BYTES];
    if (store_signing_keys(l->s, pk, sk) != 0)
        return;     /* it signs nothing yet: nothing to claim with */
    sodium_memzero(sk, sizeof sk);
    randombytes_buf(nonce, sizeof nonce);
    vouch_as(l->s, s->imports[imp], pk, rnd(s) % 2 ? nonce : NULL);
}

/* A sound event (content hash, schema) made up by till l under origin at
 * seq, in a batch m, unsigned, or signed by l's own key as if the chain
 * were l's (sign). */
static void made_up(struct sim *s, const struct node *l, const char *origin, int64_t seq, bool sign,
                    struct store_event *ev, struct sync_msg *m)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->origin, sizeof ev->origin, "%s", origin);
    ev->seq = seq;
    ev->wall = s->now;
    ev->hlc = s->now << 16;
    snprintf(ev->type, sizeof ev->type, "setting");
    snprintf(ev->staff, sizeof ev->staff, "%s", l->staff);
    snprintf(ev->data, sizeof ev->data, "{\"key\":\"welcome.points\",\"value\":\"777\"}");
    event_hash(ev, ev->hash);
    memset(m, 0, sizeof *m);
    m->type = SYNC_BATCH;
    snprintf(m->origin, sizeof m->origin, "%s", origin);
    m->events = ev;
    m->nevents = 1;
    if (sign) {
        unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES], link[STORE_LINK_BYTES] = { 0 };
        unsigned char msg[CHAIN_MSG_BYTES];
        assert_int_equal(store_signing_keys(l->s, pk, sk), 0);
        chain_step(link, ev->hash);
        chain_message(origin, seq, link, msg);
        crypto_sign_detached(m->seal.sig, NULL, msg, sizeof msg, sk);
        sodium_memzero(sk, sizeof sk);
        m->seal.sealed = true;
    }
}

/* The dishonest till also speaks for another: a batch, as if in reply to
 * a FETCH, of an event it made up under another till's origin (the next
 * number the receiver expects of it), sent unsigned or sealed with its
 * own signing key. The event itself is sound (content hash, schema):
 * only its origin's signature is missing. */
static void forge(struct sim *s)
{
    struct node *l = &s->n[s->liar];
    int j = (int)(rnd(s) % NODES), v = j;
    while (j == s->liar || s->n[j].down) {
        j = (j + 1) % NODES;
        if (j == v)
            return;     /* no honest till is up */
    }
    for (v = (j + 1) % NODES; v == s->liar; v = (v + 1) % NODES) {
    }
    const char *victim = store_origin(s->n[v].s);
    /* Or an import another till made (its own it may sign: that is its
     * word, as its own origin is). */
    int imp = s->nimports ? (int)(rnd(s) % (uint64_t)s->nimports) : -1;
    if (imp >= 0 && s->import_by[imp] != s->liar && rnd(s) % 2 == 0) {
        victim = s->imports[imp];
        claim_import(s, l, imp);
    }
    static struct store_event ev;
    struct sync_msg m;
    int64_t seq = store_max_seq(s->n[j].s, victim) + 1;
    store_release(s->n[j].s);
    made_up(s, l, victim, seq, rnd(s) % 2, &ev, &m);    /* signed, if at all, by the liar's own key */
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    enqueue(s, 2, s->liar, j, b.data, b.len);
    sync_buf_free(&b);
    if (s->nforged < 64) {
        snprintf(s->forged[s->nforged].origin, sizeof s->forged[0].origin, "%s", victim);
        s->forged[s->nforged].seq = ev.seq;
        memcpy(s->forged[s->nforged++].hash, ev.hash, 32);
    }
}

/* A made-up event that some till holds: "till I holds ORIGIN:SEQ". */
static bool forgery_held(struct sim *s, char *why, size_t whysz)
{
    for (int f = 0; f < s->nforged; f++)
        for (int i = 0; i < NODES; i++) {
            struct store_event ev;
            bool held = store_get_event(s->n[i].s, s->forged[f].origin, s->forged[f].seq, &ev) == 0 &&
                        memcmp(ev.hash, s->forged[f].hash, 32) == 0;
            store_release(s->n[i].s);
            if (held) {
                snprintf(why, whysz, "till %d holds %s:%lld, which the dishonest till made up", i,
                         s->forged[f].origin, (long long)s->forged[f].seq);
                return true;
            }
        }
    return false;
}

/* Brings every till that is down back up. */
static void all_up(struct sim *s)
{
    for (int i = 0; i < NODES; i++)
        if (s->n[i].down) {
            s->n[i].down = false;
            start_core(s, &s->n[i]);
        }
}

/* Runs one schedule; returns 0 if the tills converged. */
static int run_schedule(uint64_t seed, bool restore, bool liar, char *why, size_t whysz)
{
    int rc = -1, guard;
    struct sim *s = sim_new(seed, why, whysz);
    char origins[NODES][STORE_ORIGIN_LEN + 1];
    for (int i = 0; i < NODES; i++)
        snprintf(origins[i], sizeof origins[i], "%s", store_origin(s->n[i].s));
    if (why[0])
        goto out;
    if (liar)
        s->liar = NODES - 1;
    /* The schedule: local changes everywhere, crashes, a partition, and
     * (restore) one till put back to an old copy of its database. */
    char old[300], restored_origin[STORE_ORIGIN_LEN + 1] = "";
    bool must_move = false;
    snprintf(old, sizeof old, "%s/old.db", s->dir);
    int ops = 20 + (int)(rnd(s) % 40), restored_at = restore ? ops / 2 : -1, victim = 1 + (int)(rnd(s) % (NODES - 1));
    for (int k = 0; k < ops; k++) {
        struct node *n = &s->n[rnd(s) % NODES];
        /* A restored till writes once it has heard its peers (as a kiosk
         * waits for syncd); before that it could reuse numbers. */
        if (!n->down && (!n->fresh_restore || sync_core_checked(n->core, s->now))) {
            n->fresh_restore = false;
            local_op(s, n);
        }
        unsigned r = (unsigned)(rnd(s) % 100);
        if (r < 4) {        /* a till crashes: its core's memory is lost */
            struct node *x = &s->n[rnd(s) % NODES];
            if (!x->down) {
                sync_core_free(x->core);
                x->core = NULL;
                x->down = true;
            }
        } else if (r < 12) {
            all_up(s);
        } else if (r < 16) {
            s->cut = s->cut < 0 ? (int)(rnd(s) % NODES) : -1;
        }
        if (restore && k == 2) {    /* keep a copy of the victim's database */
            struct node *v = &s->n[victim];
            if (v->core)
                sync_core_free(v->core);
            store_close(v->s);
            copy_file(v->path, old);
            open_node(v);
            v->core = NULL;
            if (!v->down)
                start_core(s, v);
        }
        if (k == restored_at) {     /* ...and put it back, later */
            struct node *v = &s->n[victim];
            /* Everything it made since the copy reaches another till first. */
            for (int g = 0; g < 2000 && !(converged(s, why, whysz) && same_vectors(s)); g++) {
                s->cut = -1;
                all_up(s);
                step(s, 4);
            }
            if (getenv("TALLY_SIM_DEBUG"))
                fprintf(stderr, "before the restore: %s\n", converged(s, why, whysz) ? "converged" : why);
            for (int i = 0; getenv("TALLY_SIM_DEBUG") && i < NODES; i++) {
                struct store_event e[8];
                int m = store_read_events(s->n[i].s, store_origin(v->s), 0, e, 8);
                fprintf(stderr, "  till %d holds of %s:", i, store_origin(v->s));
                for (int q = 0; q < m; q++)
                    fprintf(stderr, " %lld/%s", (long long)e[q].seq, e[q].data);
                fprintf(stderr, "\n");
                store_release(s->n[i].s);
            }
            if (v->core)
                sync_core_free(v->core);
            store_close(v->s);
            char p[300];
            snprintf(p, sizeof p, "%s-wal", v->path);
            unlink(p);
            snprintf(p, sizeof p, "%s-shm", v->path);
            unlink(p);
            copy_file(old, v->path);
            open_node(v);
            snprintf(restored_origin, sizeof restored_origin, "%s", store_origin(v->s));
            /* Did it make events after the copy, which its peers hold? */
            struct node *other = &s->n[victim == 1 ? 2 : 1];
            must_move = store_max_seq(other->s, restored_origin) > store_max_seq(v->s, restored_origin);
            if (getenv("TALLY_SIM_DEBUG"))
                fprintf(stderr, "restore till %d (%s): it has %lld, till %d has %lld\n", victim, restored_origin,
                        (long long)store_max_seq(v->s, restored_origin), other->i,
                        (long long)store_max_seq(other->s, restored_origin));
            store_release(other->s);
            v->down = false;
            v->fresh_restore = true;
            start_core(s, v);
            /* Its customers list may name customers the copy lacks: fine,
             * they come back by sync. */
        }
        for (int j = 0; j < 1 + (int)(rnd(s) % 6); j++)
            step(s, 1 + (int)(rnd(s) % 4));
    }
    /* Heal: everyone up, no partition, faults still on. */
    s->cut = -1;
    all_up(s);
    for (guard = 0; guard < 20000; guard++) {
        step(s, 4);
        if (guard % 20 == 0 && converged(s, why, whysz)) {
            rc = 0;
            break;
        }
    }
    if (rc == 0) {
        if (restore && must_move && strcmp(store_origin(s->n[victim].s), restored_origin) == 0) {
            snprintf(why, whysz, "the restored till %d kept its origin", victim);
            rc = -1;
        }
        for (int i = 0; i < NODES; i++)
            if ((!restore || i != victim) && strcmp(store_origin(s->n[i].s), origins[i]) != 0) {
                snprintf(why, whysz, "till %d left its origin %s for %s", i, origins[i], store_origin(s->n[i].s));
                rc = -1;
            }
        for (int i = 0; i < NODES; i++)
            if (store_fork_count(s->n[i].s) != 0) {
                snprintf(why, whysz, "till %d recorded a fork", i);
                rc = -1;
            }
        if (forgery_held(s, why, whysz))
            rc = -1;
        if (liar && s->nforged == 0) {
            snprintf(why, whysz, "the dishonest till never got to forge");
            rc = -1;
        }
    }
out:
    if (rc != 0 && getenv("TALLY_SIM_DEBUG")) {
        for (int i = 0; i < NODES; i++) {
            struct store_vv vv[16];
            int n = store_version_vector(s->n[i].s, vv, 16);
            fprintf(stderr, "till %d %s down=%d:", i, store_origin(s->n[i].s), s->n[i].down);
            for (int k = 0; k < n; k++)
                fprintf(stderr, " %s=%lld", vv[k].origin, (long long)vv[k].seq);
            fprintf(stderr, "\n");
            for (int k = 0; k < n; k++) {
                struct store_event e[8];
                int m = store_read_events(s->n[i].s, vv[k].origin, 0, e, 8);
                fprintf(stderr, "   %s:", vv[k].origin);
                for (int q = 0; q < m; q++)
                    fprintf(stderr, " %lld/%s", (long long)e[q].seq, e[q].type);
                fprintf(stderr, "\n");
            }
            for (int k = 0; s->n[i].core && k < sync_core_npeers(s->n[i].core); k++) {
                struct sync_peer *p = sync_core_peer(s->n[i].core, k);
                fprintf(stderr, "   peer %s heard %lld:", p->origin, (long long)(s->now - p->last_heard));
                for (int j = 0; j < p->nvv; j++)
                    fprintf(stderr, " %s=%lld", p->vv[j].origin, (long long)p->vv[j].seq);
                fprintf(stderr, " refused %s\n", p->last_refusal);
            }
        }
    }
    sim_free(s);
    return rc;
}

static void test_sim_schedules(void **state)
{
    (void)state;
    log_set_level(getenv("TALLY_SIM_LOG") ? 7 : -1);  /* the simulation's refusals are on purpose */
#if UNDER_ASAN
    int n = 100;    /* the sanitizers make each schedule slower */
#else
    int n = 200;
#endif
    if (getenv("TALLY_SIM_SCHEDULES"))
        n = atoi(getenv("TALLY_SIM_SCHEDULES"));
    uint64_t first = getenv("TALLY_SIM_SEED") ? strtoull(getenv("TALLY_SIM_SEED"), NULL, 10) : 1;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char why[256] = "";
        uint64_t seed = first + (uint64_t)i;
        bool restore = getenv("TALLY_SIM_RESTORE") ? atoi(getenv("TALLY_SIM_RESTORE")) != 0 : i % 10 == 9;
        bool liar = getenv("TALLY_SIM_LIAR") ? atoi(getenv("TALLY_SIM_LIAR")) != 0 : i % 10 == 4 || i % 10 == 9;
        if (run_schedule(seed, restore, liar, why, sizeof why) != 0) {
            print_error("schedule seed %llu did not converge: %s\n", (unsigned long long)seed, why);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* Earns at a till, many per transaction, spread over a few regulars (one
 * customer's long history would make each earn slower than the next). */
#define REGULARS 64
struct earns {
    const char *staff;
    char (*customers)[STORE_ID_LEN + 1];
    int n;
};

static int earn_many(store *st, void *arg)
{
    struct earns *e = arg;
    for (int i = 0; i < e->n; i++) {
        struct store_earn x = { .amount = 100 + i % 900, .items = 1 };
        if (store_earn(st, e->staff, e->customers[i % REGULARS], &x, NULL) != 0)
            return -1;
    }
    return 0;
}

static void make_earns(struct node *n, int count)
{
    static char regulars[REGULARS][STORE_ID_LEN + 1];
    struct earns e = { n->staff, regulars, count };
    char limit[16] = "";
    store_setting_get(n->s, "limits.per_day", limit, sizeof limit);
    if (strcmp(limit, "0") != 0) {
        /* First time at this till: the regulars, with no daily limit. */
        assert_int_equal(store_setting_set(n->s, n->staff, "limits.per_day", "0"), 0);
        for (int i = 0; i < REGULARS; i++) {
            char card[16];
            snprintf(card, sizeof card, "SIMC%04d", i);
            struct store_profile p = { .name = "Klient", .card = card, .consent = -1 };
            struct store_customer c;
            if (store_customer_add(n->s, n->staff, &p, &c) != 0)
                print_error("customer: %s\n", store_error(n->s));
            snprintf(regulars[i], sizeof regulars[i], "%s", c.id);
        }
    }
    int64_t before = store_event_count(n->s);
    if (store_atomically(n->s, earn_many, &e) != 0)
        print_error("earns: %s\n", store_error(n->s));
    assert_int_equal(store_event_count(n->s), before + count);
}

static void take_down(struct node *n)
{
    sync_core_free(n->core);
    n->core = NULL;
    n->down = true;
}

/* A till far behind catches up in full batches, each FETCH asked before
 * the batch before it is applied, while messages are lost, doubled and
 * reordered and live events of the same origin arrive in between. */
static void test_sim_big_backlog(void **state)
{
    (void)state;
    log_set_level(getenv("TALLY_SIM_LOG") ? 7 : -1);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        char why[256] = "";
        struct sim *s = sim_new(seed, why, sizeof why);
        assert_string_equal(why, "");
        s->drop = 0.1 * (double)seed;
        s->dup = 0.1;
        s->reorder = 0.3;
        take_down(&s->n[1]);
        make_earns(&s->n[0], 3 * SYNC_BATCH_MAX + 321);
        all_up(s);
        int guard;
        for (guard = 0; guard < 20000; guard++) {
            if (guard == 3)
                make_earns(&s->n[0], SYNC_BATCH_MAX);
            step(s, 4);
            if (guard % 20 == 0 && converged(s, why, sizeof why))
                break;
        }
        if (guard == 20000)
            print_error("seed %llu: %s\n", (unsigned long long)seed, why);
        assert_true(guard < 20000);
        for (int i = 0; i < NODES; i++)
            assert_int_equal(store_fork_count(s->n[i].s), 0);
        sim_free(s);
    }
}

/* A simulation with no dropped, doubled or reordered messages. */
static struct sim *sim_fault_free(uint64_t seed)
{
    log_set_level(getenv("TALLY_SIM_LOG") ? 7 : -1);
    char why[256] = "";
    struct sim *s = sim_new(seed, why, sizeof why);
    assert_string_equal(why, "");
    s->drop = s->dup = s->reorder = 0;
    return s;
}

/* Consecutive batches of a catch-up share one transaction: another
 * connection sees none of them until it commits, which happens when no
 * message waits (sync_core_settle), and after SYNC_CATCHUP_TX_EVENTS. */
static void test_sim_catchup_shares_transactions(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(11);
    take_down(&s->n[1]);
    take_down(&s->n[2]);
    make_earns(&s->n[0], 6 * SYNC_BATCH_MAX);
    int64_t total = store_event_count(s->n[0].s);
    store_release(s->n[0].s);
    for (int k = 0; k < 10 || s->nq; k++)
        step(s, 4);     /* published while till 1 is down: lost to it */
    s->n[1].down = false;
    start_core(s, &s->n[1]);
    char err[256];
    store *reader = store_open(s->n[1].path, false, err, sizeof err);
    assert_non_null(reader);
    int64_t most_held = 0;
    int guard;
    for (guard = 0; guard < 4000; guard++) {
        s->now += STEP_MS;      /* step() without the settling */
        for (int i = 0; i < NODES; i++)
            if (!s->n[i].down)
                sync_core_tick(s->n[i].core, s->now, true);
        for (int k = 0; k < 4; k++)
            deliver_one(s);
        int64_t own = store_event_count(s->n[1].s), seen = store_event_count(reader);
        store_release(s->n[1].s);
        store_release(reader);
        if (sync_core_holding(s->n[1].core) && own - seen > most_held)
            most_held = own - seen;
        if (seen == total)
            break;
        if (!s->nq)     /* nothing on the way: as the daemon would */
            sync_core_settle(s->n[1].core);
    }
    assert_true(guard < 4000);
    assert_true(most_held > SYNC_BATCH_MAX);
    assert_true(most_held <= SYNC_CATCHUP_TX_EVENTS);
    store_close(reader);
    sim_free(s);
}

/* Live events above a gap, then the gap fetched: once a batch closes it,
 * what came live is not fetched a second time. */
static void test_sim_fetch_skips_what_came_live(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(7);
    take_down(&s->n[1]);
    take_down(&s->n[2]);
    int gap = SYNC_BATCH_MAX + 500, live = 5 * SYNC_BATCH_MAX;
    make_earns(&s->n[0], gap);
    step(s, 4);     /* published while till 1 is down: lost to it */
    uint64_t served = sync_core_served(s->n[0].core);
    s->n[1].down = false;
    start_core(s, &s->n[1]);
    make_earns(&s->n[0], live);     /* published as till 1 comes up */
    const char *origin = store_origin(s->n[0].s);
    int64_t want = store_max_seq(s->n[0].s, origin);
    int guard;
    for (guard = 0; guard < 4000; guard++) {
        step(s, 4);
        struct store_vv vv[8];
        int n = store_version_vector(s->n[1].s, vv, 8);
        store_release(s->n[1].s);
        bool done = false;
        for (int k = 0; k < n; k++)
            done |= strcmp(vv[k].origin, origin) == 0 && vv[k].seq == want;
        if (done)
            break;
    }
    assert_true(guard < 4000);
    for (int k = 0; k < 200; k++)   /* whatever was still asked for */
        step(s, 4);
    /* The gap, the rest of the batch that closed it, and the one asked
     * for before that batch was applied; not what came live after. */
    uint64_t fetched = sync_core_served(s->n[0].core) - served;
    if (fetched > (uint64_t)(gap + 2 * SYNC_BATCH_MAX))
        print_error("%llu events fetched for a gap of %d\n", (unsigned long long)fetched, gap);
    assert_true(fetched <= (uint64_t)(gap + 2 * SYNC_BATCH_MAX));
    assert_true(fetched >= (uint64_t)gap);
    sim_free(s);
}

/* A DEALER takes nothing until connected: a till that has just started
 * tries its heartbeat again soon, not a heartbeat interval later. */
static void test_sim_hello_retried_soon(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(11);
    take_down(&s->n[1]);
    step(s, 4);
    s->n[1].down = false;
    start_core(s, &s->n[1]);
    s->nhellos[1] = 0;
    s->refuse_requests = 2;     /* to both peers: the first heartbeat */
    int64_t started = s->now;
    for (int k = 0; k < 10; k++)
        step(s, 4);
    /* First at once (refused), then again within a few turns; the
     * heartbeat interval here is 100 ms. */
    assert_true(s->nhellos[1] >= 4);
    assert_true(s->hello_at[1][0] - started <= STEP_MS);
    assert_true(s->hello_at[1][2] - s->hello_at[1][0] < 100);
    sim_free(s);
}

/* A shop of one till in dir, with a manager; for the tests below. */
static store *one_till(char *dir, size_t dirsz, const char *name, char manager[STORE_ID_LEN + 1])
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, dirsz, "%s/tally-trust-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    store *s = store_open(path, true, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_init_shop(s, "Trust", "PLN"), 0);
    struct store_staff m;
    assert_int_equal(store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "1234", &m), 0);
    snprintf(manager, STORE_ID_LEN + 1, "%s", m.id);
    return s;
}

static void till_with(struct store_till *t, const char *origin, unsigned char key_byte, bool removed)
{
    memset(t, 0, sizeof *t);
    snprintf(t->origin, sizeof t->origin, "%s", origin);
    memset(t->public_key, key_byte, STORE_KEY_BYTES);
    snprintf(t->address, sizeof t->address, "127.0.0.1:%d", 7000 + key_byte);
    snprintf(t->name, sizeof t->name, "till %s", origin);
    t->removed = removed;
    memset(t->sign_key, key_byte ^ 0x5a, STORE_SIGN_KEY_BYTES);
    t->signed_from = 1;
}

/* A removed till that records itself again (as its syncd did at start,
 * with a newer clock) stays removed; and a till that gets the same
 * records in the other order agrees. */
static void test_removal_is_final(void **state)
{
    (void)state;
    char dir[128], dir2[128], manager[STORE_ID_LEN + 1], other[STORE_ID_LEN + 1];
    store *s = one_till(dir, sizeof dir, "a", manager);
    struct store_till t, got;
    till_with(&t, "0000c0de", 0xc0, false);
    assert_int_equal(store_till_record(s, manager, &t), 0);
    int64_t first = store_max_seq(s, store_origin(s));
    assert_int_equal(store_till_remove(s, manager, "0000c0de"), 0);
    t.removed = false;      /* the removed till puts itself back */
    assert_int_equal(store_till_record(s, "", &t), 0);
    assert_int_equal(store_till_get(s, "0000c0de", &got), 0);
    assert_true(got.removed);
    assert_int_equal(store_till_key_removed(s, t.public_key), 1);
    /* Another till gets the three records last first. */
    store *b = one_till(dir2, sizeof dir2, "b", other);
    struct store_event ev[3];
    assert_int_equal(store_read_events(s, store_origin(s), first - 1, ev, 3), 3);
    enum store_apply res[1];
    char why[160];
    for (int i = 2; i >= 0; i--) {
        assert_int_equal(store_apply_events(b, &ev[i], 1, res, why, sizeof why), 0);
        assert_int_equal(res[0], STORE_APPLIED);
    }
    assert_int_equal(store_till_get(b, "0000c0de", &got), 0);
    assert_true(got.removed);
    assert_int_equal(store_till_key_removed(b, t.public_key), 1);
    /* A new key under a new id is a new till. */
    till_with(&t, "0000c0df", 0xc1, false);
    assert_int_equal(store_till_join(s, manager, &t), 0);
    assert_int_equal(store_till_get(s, "0000c0df", &got), 0);
    assert_false(got.removed);
    store_close(s);
    store_close(b);
    rm_rf(dir);
    rm_rf(dir2);
}

static int no_publish(void *ctx, const void *data, size_t len) { (void)ctx; (void)data; (void)len; return 0; }
static int no_request(void *ctx, struct sync_peer *p, const void *data, size_t len)
{
    (void)ctx; (void)p; (void)data; (void)len;
    return 0;
}

/* An invitation counts as waiting until it expires; the next one made
 * after that drops it, so taking it then finds nothing. */
static void test_invites_expire(void **state)
{
    (void)state;
    char dir[128], manager[STORE_ID_LEN + 1], who[STORE_ID_LEN + 1];
    store *s = one_till(dir, sizeof dir, "a", manager);
    const int64_t t0 = 1700000000000;
    unsigned char shortlived[STORE_TOKEN_BYTES], longlived[STORE_TOKEN_BYTES], later[STORE_TOKEN_BYTES];
    store_set_clock(s, t0);
    assert_int_equal(store_invites_pending(s), 0);
    assert_int_equal(store_invite_create(s, manager, 60000, shortlived), 0);
    assert_int_equal(store_invite_create(s, manager, 3600000, longlived), 0);
    assert_int_equal(store_invites_pending(s), 2);
    store_set_clock(s, t0 + 60000);     /* its last moment */
    assert_int_equal(store_invites_pending(s), 2);
    store_set_clock(s, t0 + 60001);
    assert_int_equal(store_invites_pending(s), 1);
    assert_int_equal(store_invite_create(s, manager, 60000, later), 0);
    assert_int_equal(store_invites_pending(s), 2);
    assert_int_equal(store_invite_take(s, shortlived, who), -1);
    assert_non_null(strstr(store_error(s), "unknown"));
    assert_int_equal(store_invite_take(s, longlived, who), 0);
    assert_string_equal(who, manager);
    assert_int_equal(store_invites_pending(s), 1);
    store_close(s);
    rm_rf(dir);
}

/* Sends a JOIN with a fresh invitation, origin and key given; returns the
 * reply's type. */
static int join_as(struct sync_core *c, store *s, const char *manager, const char *origin, unsigned char key_byte)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_JOIN;
    assert_int_equal(store_invite_create(s, manager, 3600000, m.token), 0);
    snprintf(m.origin, sizeof m.origin, "%s", origin);
    memset(m.public_key, key_byte, STORE_KEY_BYTES);
    memset(m.sign_key, key_byte ^ 0x5a, STORE_SIGN_KEY_BYTES);
    snprintf(m.address, sizeof m.address, "127.0.0.1:7777");
    snprintf(m.name, sizeof m.name, "newcomer");
    struct sync_buf b = { 0 }, reply = { 0 };
    encode(&m, &b);
    sync_core_on_join(c, m.public_key, b.data, b.len, &reply, 1700000000000);
    struct sync_msg d;
    char why[160];
    assert_int_equal(decode(reply.data, reply.len, &d, why), 0);
    sync_buf_free(&b);
    sync_buf_free(&reply);
    return (int)d.type;
}

/* An invitation lets a new till in, never in another till's place: the
 * inviting till refuses an origin or key it knows, listed or removed. */
static void test_join_takes_no_identity(void **state)
{
    (void)state;
    log_set_level(getenv("TALLY_SIM_LOG") ? 7 : -1);
    char dir[128], manager[STORE_ID_LEN + 1];
    store *s = one_till(dir, sizeof dir, "a", manager);
    struct store_till t, gone, got;
    till_with(&t, "0000b0b0", 0xb0, false);
    assert_int_equal(store_till_record(s, manager, &t), 0);
    till_with(&gone, "0000dead", 0xde, false);
    assert_int_equal(store_till_record(s, manager, &gone), 0);
    assert_int_equal(store_till_remove(s, manager, "0000dead"), 0);
    static const struct sync_io io = { no_publish, no_request, NULL, NULL, NULL };
    char err[256];
    struct sync_core *c = sync_core_new(s, &io, NULL, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(join_as(c, s, manager, "0000b0b0", 0x42), SYNC_REFUSE);   /* a listed till's id */
    assert_int_equal(join_as(c, s, manager, store_origin(s), 0x43), SYNC_REFUSE);  /* the inviter's */
    assert_int_equal(join_as(c, s, manager, "0000dead", 0x44), SYNC_REFUSE);   /* a removed till's */
    assert_int_equal(join_as(c, s, manager, "00001111", 0xb0), SYNC_REFUSE);   /* a listed key */
    assert_int_equal(join_as(c, s, manager, "00002222", 0xde), SYNC_REFUSE);   /* a removed key */
    assert_int_equal(store_till_get(s, "0000b0b0", &got), 0);
    assert_memory_equal(got.public_key, t.public_key, STORE_KEY_BYTES);
    assert_string_equal(got.address, t.address);
    assert_false(got.removed);
    assert_int_equal(store_till_get(s, "0000dead", &got), 0);
    assert_true(got.removed);
    assert_int_equal(join_as(c, s, manager, "00003333", 0x45), SYNC_WELCOME);  /* new: welcome */
    assert_int_equal(store_till_get(s, "00003333", &got), 0);
    sync_core_free(c);
    store_close(s);
    rm_rf(dir);
}

static int count_queue_event(const struct store_event *ev, void *arg)
{
    if (strstr(ev->data, "\"status\":\"queued\""))
        (*(int *)arg)++;
    return 0;
}

static int first_message(const struct store_message *m, void *arg)
{
    *(struct store_message *)arg = *m;
    return 1;
}

static int count_message(const struct store_message *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

/* Outbox rows and queueing events of one customer at a till. */
static void messages_at(struct node *n, const char *customer, int *rows, int *queued, int *status)
{
    struct store_message_filter f = { .customer = customer, .status = -1 };
    *rows = 0;
    assert_int_equal(store_message_list(n->s, &f, count_message, rows), 0);
    f.status = MSG_SENT;
    *status = 0;
    assert_int_equal(store_message_list(n->s, &f, count_message, status), 0);
    struct store_event_filter ef = { .customer = customer, .type = "message" };
    *queued = 0;
    assert_int_equal(store_list_events(n->s, &ef, count_queue_event, queued), 0);
    store_release(n->s);
}

/* Every till holds every till's events: equal digests alone may hide a
 * missing event that changes nothing (a second claim of an occasion). */
static bool all_held(struct sim *s)
{
    bool ok = true;
    for (int i = 0; i < NODES; i++)
        for (int j = 0; j < NODES; j++)
            ok &= store_max_seq(s->n[i].s, store_origin(s->n[j].s)) ==
                  store_max_seq(s->n[j].s, store_origin(s->n[j].s));
    for (int i = 0; i < NODES; i++)
        store_release(s->n[i].s);
    return ok;
}

static void converge(struct sim *s)
{
    char why[256] = "";
    int guard;
    for (guard = 0; guard < 4000 && !(converged(s, why, sizeof why) && all_held(s)); guard++)
        step(s, 4);
    if (guard == 4000)
        print_error("%s\n", why);
    assert_true(guard < 4000);
}

/* Till n imports a customer and two purchases as 'tally import' does: on
 * a copy, under the import's own origin (out), then added to its ledger. */
static void import_at(struct node *n, char out[STORE_ORIGIN_LEN + 1])
{
    char finished[65];
    store *work = NULL;
    assert_int_equal(store_import_begin(n->s, "", finished, &work), 0);
    assert_non_null(work);
    static int cards;
    char card[16];
    snprintf(card, sizeof card, "SIMI%04d", ++cards);
    struct store_profile p = { .name = "Importowany", .card = card, .consent = -1 };
    struct store_customer c;
    int added_customer = store_customer_add(work, n->staff, &p, &c);
    if (added_customer != 0)
        print_error("import: %s\n", store_error(work));
    assert_int_equal(added_customer, 0);
    for (int i = 0; i < 2; i++) {
        struct store_earn e = { .amount = 1500 + i, .items = 1 };
        assert_int_equal(store_earn(work, n->staff, c.id, &e, NULL), 0);
    }
    snprintf(out, STORE_ORIGIN_LEN + 1, "%s", store_origin(work));
    int64_t added = 0;
    assert_int_equal(store_import_end(n->s, work, true, &added), 0);
    assert_true(added >= 3);
}

/* Which key signs origin at till n: 1 and key, or 0 if none. */
static int signer_at(struct node *n, const char *origin, unsigned char key[STORE_SIGN_KEY_BYTES])
{
    int64_t first = 0;
    int known = store_signer(n->s, origin, key, &first);
    store_release(n->s);
    assert_true(known >= 0);
    if (known)
        assert_int_equal(first, 1);     /* an import is signed from its first event */
    return known;
}

static void own_signing_key(struct node *n, unsigned char pk[STORE_SIGN_KEY_BYTES])
{
    unsigned char sk[STORE_SIG_BYTES];
    assert_int_equal(store_signing_keys(n->s, pk, sk), 0);
    sodium_memzero(sk, sizeof sk);
}

static int count_ignored_claims(enum store_check_level level, const char *msg, void *arg)
{
    if (level == STORE_CHECK_ERROR && strstr(msg, "claimed to speak for"))
        ++*(int *)arg;
    return 0;
}

static int count_disputes(enum store_check_level level, const char *msg, void *arg)
{
    if (level == STORE_CHECK_ERROR && strstr(msg, "as another till did"))
        ++*(int *)arg;
    return 0;
}

/* An import's history reaches every till: its till vouches for its
 * origin and signs that origin's chain, so the others take its events
 * as that till's word, from whichever till passes them on. */
static void test_import_replicates(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(21);
    char x[STORE_ORIGIN_LEN + 1];
    import_at(&s->n[1], x);
    converge(s);
    unsigned char importer[STORE_SIGN_KEY_BYTES], bound[STORE_SIGN_KEY_BYTES];
    own_signing_key(&s->n[1], importer);
    for (int i = 0; i < NODES; i++) {
        assert_int_equal(store_max_seq(s->n[i].s, x), store_max_seq(s->n[1].s, x));
        store_release(s->n[i].s);
        assert_int_equal(signer_at(&s->n[i], x, bound), 1);
        assert_memory_equal(bound, importer, sizeof bound);
    }
    /* Passed on by a third till: till 2 is cut off while till 1 imports
     * again and till 0 takes it, then till 1 is down when 2 is back. */
    s->cut = 2;
    import_at(&s->n[1], x);
    int guard;
    for (guard = 0; guard < 4000 && store_max_seq(s->n[0].s, x) < store_max_seq(s->n[1].s, x); guard++) {
        store_release(s->n[0].s);
        step(s, 4);
    }
    store_release(s->n[0].s);
    store_release(s->n[1].s);
    assert_true(guard < 4000);
    assert_int_equal(store_max_seq(s->n[2].s, x), 0);
    store_release(s->n[2].s);
    take_down(&s->n[1]);
    s->cut = -1;
    for (guard = 0; guard < 4000 && store_max_seq(s->n[2].s, x) < store_max_seq(s->n[0].s, x); guard++) {
        store_release(s->n[2].s);
        store_release(s->n[0].s);
        step(s, 4);
    }
    store_release(s->n[0].s);
    store_release(s->n[2].s);
    assert_true(guard < 4000);
    assert_int_equal(signer_at(&s->n[2], x, bound), 1);
    assert_memory_equal(bound, importer, sizeof bound);
    sim_free(s);
}

/* A dishonest till cannot take over an import another till vouched for
 * (with or without a nonce), vouch for a till's origin, vouch with a key
 * not its own, or claim an id nobody speaks for without proof; its vouch
 * for an origin derived from its own key is its own (what makes the
 * refusals above mean something). Events it makes up under the import's origin,
 * signed with its own key, are refused and counted as "signature". */
static void test_vouch_forgeries(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(22);
    struct node *a = &s->n[0], *importer = &s->n[1], *l = &s->n[2];
    char x[STORE_ORIGIN_LEN + 1], y[STORE_ORIGIN_LEN + 1], z[STORE_ORIGIN_LEN + 1];
    import_at(importer, x);
    converge(s);
    unsigned char key_a[STORE_SIGN_KEY_BYTES], key_i[STORE_SIGN_KEY_BYTES], key_l[STORE_SIGN_KEY_BYTES];
    unsigned char bound[STORE_SIGN_KEY_BYTES];
    own_signing_key(a, key_a);
    own_signing_key(importer, key_i);
    own_signing_key(l, key_l);
    store_random_origin(y);
    unsigned char nonce[IMPORT_NONCE_BYTES];
    randombytes_buf(nonce, sizeof nonce);
    assert_int_equal(import_origin_of(key_l, nonce, z), 0);
    vouch_as(l->s, x, key_l, NULL);            /* an import another till vouched for */
    vouch_as(l->s, x, key_l, nonce);           /* ...with a nonce that does not give it */
    vouch_as(l->s, store_origin(a->s), key_l, NULL);   /* a till's own origin */
    vouch_as(l->s, y, key_a, nonce);           /* with another till's key */
    vouch_as(l->s, y, key_l, NULL);            /* an id nobody speaks for, without proof */
    vouch_as(l->s, z, key_l, nonce);           /* its own, derived from its key: allowed */
    converge(s);
    for (int i = 0; i < NODES; i++) {
        assert_int_equal(signer_at(&s->n[i], z, bound), 1);
        assert_memory_equal(bound, key_l, sizeof bound);
        assert_int_equal(signer_at(&s->n[i], x, bound), 1);
        assert_memory_equal(bound, key_i, sizeof bound);
        int64_t first = 0;
        assert_int_equal(store_signer(s->n[i].s, store_origin(a->s), bound, &first), 1);
        store_release(s->n[i].s);
        assert_memory_equal(bound, key_a, sizeof bound);
        assert_int_equal(signer_at(&s->n[i], y, bound), 0);
        int ignored = 0;    /* and 'tally check' names each ignored claim */
        store_check(s->n[i].s, count_ignored_claims, &ignored);
        assert_int_equal(ignored, 5);
    }
    /* The next event of the import, made up and signed by the liar. */
    static struct store_event ev;
    struct sync_msg m;
    int64_t seq = store_max_seq(a->s, x) + 1;
    store_release(a->s);
    made_up(s, l, x, seq, true, &ev, &m);
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    struct sync_peer *from_liar = peer_for(a, l->key);
    assert_non_null(from_liar);
    uint64_t before = from_liar->refused[SYNC_REFUSED_SIGNATURE];
    sync_core_on_reply(a->core, from_liar, b.data, b.len, s->now);
    sync_buf_free(&b);
    assert_int_equal(from_liar->refused[SYNC_REFUSED_SIGNATURE], before + 1);
    struct store_event held;
    assert_int_not_equal(store_get_event(a->s, x, ev.seq, &held), 0);
    store_release(a->s);
    sim_free(s);
}

/* Runs the simulation until till a holds as much of origin as till b. */
static void catch_up(struct sim *s, struct node *a, struct node *b, const char *origin)
{
    int guard;
    for (guard = 0; guard < 4000 && store_max_seq(a->s, origin) < store_max_seq(b->s, origin); guard++) {
        store_release(a->s);
        store_release(b->s);
        step(s, 4);
    }
    store_release(a->s);
    store_release(b->s);
    assert_true(guard < 4000);
}

/* Serves to till `to`, as `from` would over the wire, from's own events
 * that `to` lacks: here, a claim raced ahead of everything else. */
static void serve_own(struct sim *s, struct node *from, struct node *to)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "%s", store_origin(from->s));
    m.after = store_max_seq(to->s, m.origin);
    store_release(to->s);
    m.max = SYNC_BATCH_MAX;
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    sync_core_on_request(from->core, to->key, b.data, b.len, &s->reply, s->now);
    sync_buf_free(&b);
    assert_true(s->reply.len > 0);
    sync_core_on_reply(to->core, peer_for(to, from->key), s->reply.data, s->reply.len, s->now);
}

/* The race at a third till: a dishonest till that saw an import's vouch
 * claims that import as its own (old style, and with a nonce of its own),
 * and its claim reaches a till that has heard nothing of the import yet,
 * followed by an event it made up under the import's id, signed with its
 * own key. That till must take nothing from it, and take the real import
 * once it hears of it: no claim but the importer's can count, whichever
 * arrives first. */
static void test_vouch_race(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(23);
    struct node *t = &s->n[0], *importer = &s->n[1], *d = &s->n[2];
    char x[STORE_ORIGIN_LEN + 1];
    s->cut = 0;
    import_at(importer, x);
    catch_up(s, d, importer, x);
    unsigned char key_i[STORE_SIGN_KEY_BYTES], key_d[STORE_SIGN_KEY_BYTES], bound[STORE_SIGN_KEY_BYTES];
    unsigned char nonce[IMPORT_NONCE_BYTES];
    own_signing_key(importer, key_i);
    own_signing_key(d, key_d);
    randombytes_buf(nonce, sizeof nonce);
    vouch_as(d->s, x, key_d, NULL);
    vouch_as(d->s, x, key_d, nonce);
    serve_own(s, d, t);
    assert_int_equal(store_max_seq(t->s, store_origin(d->s)), store_max_seq(d->s, store_origin(d->s)));
    store_release(t->s);
    store_release(d->s);
    assert_int_equal(signer_at(t, x, bound), 0);
    static struct store_event ev;
    struct sync_msg m;
    made_up(s, d, x, 1, true, &ev, &m);
    struct sync_buf b = { 0 };
    assert_int_equal(sync_wire_encode(&m, &b), 0);
    sync_core_on_reply(t->core, peer_for(t, d->key), b.data, b.len, s->now);
    sync_buf_free(&b);
    struct store_event held;
    assert_int_not_equal(store_get_event(t->s, x, 1, &held), 0);
    store_release(t->s);
    /* Then it hears the importer: the import is the importer's, whole. */
    s->cut = -1;
    converge(s);
    catch_up(s, t, importer, x);
    for (int i = 0; i < NODES; i++) {
        assert_int_equal(signer_at(&s->n[i], x, bound), 1);
        assert_memory_equal(bound, key_i, sizeof bound);
    }
    struct store_event real;
    assert_int_equal(store_get_event(t->s, x, 1, &held), 0);
    store_release(t->s);
    assert_int_equal(store_get_event(importer->s, x, 1, &real), 0);
    store_release(importer->s);
    assert_memory_equal(held.hash, real.hash, 32);
    sim_free(s);
}

/* An import that no till's key covers (two tills' claims for it counted,
 * or its vouch from an earlier version does not count here) cannot be
 * taken from the tills that hold it: a till that lacks it asks no one for
 * it, heartbeat after heartbeat, and says what it cannot take. */
static void test_unvouched_not_asked(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(24);
    struct node *t = &s->n[0], *importer = &s->n[1], *other = &s->n[2];
    char x[STORE_ORIGIN_LEN + 1], q[160];
    s->cut = 0;
    import_at(importer, x);
    catch_up(s, other, importer, x);
    int guard;
    /* As a dispute leaves it, at every till: no key signs it. */
    snprintf(q, sizeof q, "INSERT OR REPLACE INTO signers(origin, sign_key, first_seq) VALUES('%s', X'', 1)", x);
    for (int i = 0; i < NODES; i++)
        assert_int_equal(sql_exec(s->n[i].s, q), 0);
    snprintf(s->watch, sizeof s->watch, "%s", x);
    s->cut = -1;
    for (guard = 0; guard < 4000 && !all_held(s); guard++)
        step(s, 4);
    assert_true(guard < 4000);
    for (int k = 0; k < 20 * 100 / STEP_MS; k++)     /* twenty heartbeats */
        step(s, 4);
    assert_int_equal(store_max_seq(t->s, x), 0);
    store_release(t->s);
    assert_int_equal(s->fetches[0], 0);
    char waiting[STORE_ORIGIN_LEN + 1];
    int64_t lacking = 0;
    assert_true(sync_core_waiting(t->core, 0, waiting, &lacking));
    assert_string_equal(waiting, x);
    assert_int_equal(lacking, store_max_seq(importer->s, x));
    store_release(importer->s);
    assert_false(sync_core_waiting(t->core, 1, waiting, &lacking));
    assert_false(sync_core_waiting(importer->core, 0, waiting, &lacking));
    sim_free(s);
}

/* What syncd cannot take reaches 'tally sync status' through the status
 * file. */
static void test_status_keeps_waiting(void **state)
{
    (void)state;
    char dir[] = "/tmp/tally-status-XXXXXX", db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
    static struct sync_status st, back;
    memset(&st, 0, sizeof st);
    st.pid = (int)getpid();
    snprintf(st.origin, sizeof st.origin, "0badc0de");
    st.nwaiting = 2;
    snprintf(st.waiting[0].origin, sizeof st.waiting[0].origin, "12345678");
    st.waiting[0].lacking = 3;
    snprintf(st.waiting[1].origin, sizeof st.waiting[1].origin, "abcdef01");
    st.waiting[1].lacking = 2000000;
    assert_int_equal(sync_status_write(db, &st), 0);
    assert_int_equal(sync_status_read(db, &back), 0);
    assert_int_equal(back.nwaiting, 2);
    assert_string_equal(back.waiting[0].origin, "12345678");
    assert_int_equal(back.waiting[0].lacking, 3);
    assert_string_equal(back.waiting[1].origin, "abcdef01");
    assert_int_equal(back.waiting[1].lacking, 2000000);
    char path[128];
    assert_int_equal(sync_status_path(db, path, sizeof path), 0);
    unlink(path);
    rmdir(dir);
}

/* An import made before import ids were derived from their till's key
 * (a random id, "1" in imported.X) counts as listed in the record that
 * first names its till's key, its first signed event; an old-style vouch,
 * or a later record listing an id, counts for nothing. */
static void test_legacy_import_in_first_record(void **state)
{
    (void)state;
    char dir[300], manager[STORE_ID_LEN + 1], x[STORE_ORIGIN_LEN + 1], y[STORE_ORIGIN_LEN + 1];
    char mine[sizeof IMPORTED_PREFIX + STORE_ORIGIN_LEN];
    store *s = one_till(dir, sizeof dir, "old", manager);
    store_random_origin(x);
    store_random_origin(y);
    snprintf(mine, sizeof mine, IMPORTED_PREFIX "%s", x);
    assert_int_equal(tx_begin(s), 0);
    assert_int_equal(local_set(s, mine, "1", 1), 0);
    assert_int_equal(tx_commit(s), 0);
    assert_int_equal(store_signing_ensure(s), 0);
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES], bound[STORE_SIGN_KEY_BYTES];
    int64_t first = 0;
    assert_int_equal(store_signing_keys(s, pk, sk), 0);
    sodium_memzero(sk, sizeof sk);
    assert_int_equal(store_signer(s, store_origin(s), bound, &first), 1);
    assert_true(first > 1);     /* a till made before signing */
    assert_int_equal(store_signer(s, x, bound, &first), 1);
    assert_memory_equal(bound, pk, sizeof pk);
    assert_int_equal(first, 1);
    vouch_as(s, y, pk, NULL);
    assert_int_equal(store_signer(s, y, bound, &first), 0);
    struct store_till t;
    assert_int_equal(store_till_get(s, store_origin(s), &t), 0);
    char later[1][STORE_ORIGIN_LEN + 1];
    snprintf(later[0], sizeof later[0], "%s", y);
    assert_int_equal(tx_begin(s), 0);
    assert_int_equal(till_write_with(s, "", &t, later, 1), 0);
    assert_int_equal(tx_commit(s), 0);
    assert_int_equal(store_signer(s, y, bound, &first), 0);
    /* Another till made before signing lists the same id in its first
     * record: two counting claims, so neither binds, and 'tally check'
     * names both tills. */
    char dir2[300], manager2[STORE_ID_LEN + 1];
    store *o = one_till(dir2, sizeof dir2, "other", manager2);
    assert_int_equal(tx_begin(o), 0);
    assert_int_equal(local_set(o, mine, "1", 1), 0);
    assert_int_equal(tx_commit(o), 0);
    assert_int_equal(store_signing_ensure(o), 0);
    unsigned char curve[STORE_KEY_BYTES], curve_sk[STORE_KEY_BYTES];
    assert_int_equal(store_till_keys(o, curve, curve_sk), 0);
    static struct store_event evs[64];
    static enum store_apply results[64];
    struct store_seal seal;
    char why[256];
    for (int64_t after = 0, guard = 0; guard < 8; guard++) {
        int n = store_read_events(o, store_origin(o), after, evs, 64);
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_int_equal(store_seal_batch(o, store_origin(o), evs, &n, &seal), 0);
        assert_true(n > 0);
        assert_int_equal(store_apply_batch(s, evs, (size_t)n, &seal, curve, true, results, why, sizeof why), 0);
        assert_int_equal(results[0], STORE_APPLIED);
        after = evs[n - 1].seq;
    }
    store_release(o);
    assert_int_equal(store_signer(s, x, bound, &first), 0);
    int named = 0;
    store_check(s, count_disputes, &named);
    assert_int_equal(named, 2);
    store_close(o);
    rm_rf(dir2);
    store_close(s);
    rm_rf(dir);
}

/* Two customers enrolled at the first till, with a birthday in two days,
 * known to every till. */
static void birthday_pair(struct sim *s, const char *card_prefix, char ids[2][STORE_ID_LEN + 1])
{
    struct node *a = &s->n[0];
    char bday[8];
    int64_t soon = store_now(a->s) + 2 * 86400000LL;
    time_t tt = (time_t)(soon / 1000);
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(bday, sizeof bday, "%m-%d", &tm);
    for (int i = 0; i < 2; i++) {
        char card[16];
        snprintf(card, sizeof card, "%s%04d", card_prefix, i);
        struct store_profile p = { .name = "Urodzinowy", .card = card, .birthday = bday, .consent = 1 };
        struct store_customer cu;
        assert_int_equal(store_customer_add(a->s, a->staff, &p, &cu), 0);
        snprintf(ids[i], sizeof ids[i], "%s", cu.id);
    }
    converge(s);
}

/* A birthday message is one occasion: three tills that queue it at the
 * same moment, or while one is cut off and the sender has already sent
 * its own, end with one message, sent once, on every till. */
static void test_sim_message_once(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(5);
    struct node *a = &s->n[0], *b = &s->n[1], *c = &s->n[2];
    assert_int_equal(store_setting_set(a->s, a->staff, "messages.birthday", "1"), 0);
    char ids[2][STORE_ID_LEN + 1];
    birthday_pair(s, "SIMB", ids);
    /* At once: every till scans before any hears of the others. */
    for (int i = 0; i < NODES; i++) {
        int q = -1;
        assert_int_equal(store_message_scan(s->n[i].s, "", ids[0], &q), 0);
        assert_int_equal(q, 1);
    }
    converge(s);
    int rows, queued, sent;
    for (int i = 0; i < NODES; i++) {
        messages_at(&s->n[i], ids[0], &rows, &queued, &sent);
        assert_int_equal(queued, NODES);    /* each till fired ... */
        assert_int_equal(rows, 1);          /* ... one message */
    }
    /* Cut off: till c queues first, then the sender (a) queues and sends
     * its own; c's event is the earlier and wins the occasion. */
    s->cut = 2;
    assert_int_equal(store_message_scan(c->s, "", ids[1], NULL), 0);
    assert_int_equal(store_message_scan(a->s, "", ids[1], NULL), 0);
    struct store_message m;
    struct store_message_filter f = { .customer = ids[1], .status = MSG_QUEUED };
    assert_int_equal(store_message_list(a->s, &f, first_message, &m), 1);
    struct store_msg_outcome o = { .status = MSG_SENT, .tries = 1, .recipient = "x@example.pl",
                                   .message_id = "<1@tally>" };
    assert_int_equal(store_message_record(a->s, "", m.key, &o), 0);
    for (int k = 0; k < 50; k++)
        step(s, 4);
    assert_int_equal(store_message_scan(b->s, "", ids[1], NULL), 0);    /* b has heard a's */
    s->cut = -1;
    converge(s);
    for (int i = 0; i < NODES; i++) {
        messages_at(&s->n[i], ids[1], &rows, &queued, &sent);
        assert_int_equal(queued, 2);
        assert_int_equal(rows, 1);
        assert_int_equal(sent, 1);
        /* Nothing is left waiting to go a second time. */
        f.status = MSG_QUEUED;
        struct store_message left;
        assert_int_equal(store_message_list(s->n[i].s, &f, first_message, &left), 0);
        store_release(s->n[i].s);
    }
    sim_free(s);
}

static int coupon_seen(const struct store_coupon *c, void *arg)
{
    struct store_coupon *out = arg;
    if (out->code[0] && strcmp(out->code, c->code) != 0)
        out->uses = -1;             /* a second coupon: the test fails on it */
    else
        *out = *c;
    return 0;
}

/* A birthday message with a coupon: three tills that fire it at once, or
 * two that fire it while cut off from each other, issue one coupon (the
 * same code everywhere, the one the message names), and once it is used
 * at one till every other refuses it. */
static void test_sim_message_coupon_once(void **state)
{
    (void)state;
    struct sim *s = sim_fault_free(6);
    struct node *a = &s->n[0], *b = &s->n[1], *c = &s->n[2];
    assert_int_equal(store_setting_set(a->s, a->staff, "messages.birthday", "1"), 0);
    assert_int_equal(store_setting_set(a->s, a->staff, "offer.birthday", "coupon:10.00"), 0);
    char ids[2][STORE_ID_LEN + 1];
    birthday_pair(s, "SIMC", ids);
    for (int i = 0; i < NODES; i++)         /* at once */
        assert_int_equal(store_message_scan(s->n[i].s, "", ids[0], NULL), 0);
    s->cut = 2;                             /* c cut off, then a and c both fire */
    assert_int_equal(store_message_scan(c->s, "", ids[1], NULL), 0);
    assert_int_equal(store_message_scan(a->s, "", ids[1], NULL), 0);
    for (int k = 0; k < 50; k++)
        step(s, 4);
    s->cut = -1;
    converge(s);
    for (int who = 0; who < 2; who++) {
        struct store_coupon first = { .code = "" };
        for (int i = 0; i < NODES; i++) {
            struct store_coupon seen = { .code = "" };
            assert_int_equal(store_coupon_list(s->n[i].s, ids[who], coupon_seen, &seen), 0);
            assert_true(seen.code[0] != '\0');
            assert_int_equal(seen.uses, 0);         /* one coupon, not used */
            assert_int_equal(seen.discount, 1000);
            if (i == 0)
                first = seen;
            assert_string_equal(seen.code, first.code);
            struct store_message m;
            struct store_message_filter f = { .customer = ids[who], .status = -1 };
            assert_int_equal(store_message_list(s->n[i].s, &f, first_message, &m), 1);
            struct store_coupon named;
            assert_int_equal(store_message_coupon(s->n[i].s, &m, &named), 1);
            assert_string_equal(named.code, first.code);
            store_release(s->n[i].s);
        }
        struct store_result r;
        assert_int_equal(store_coupon_redeem(b->s, b->staff, first.code, ids[who], &r), 0);
        converge(s);
        assert_int_not_equal(store_coupon_redeem(c->s, c->staff, first.code, ids[who], &r), 0);
        assert_non_null(strstr(store_error(c->s), "used already"));
    }
    sim_free(s);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_hello),
        cmocka_unit_test(test_wire_events),
        cmocka_unit_test(test_wire_full_event),
        cmocka_unit_test(test_wire_small_messages),
        cmocka_unit_test(test_wire_refuses_garbage),
        cmocka_unit_test(test_wire_refuses_bad_fields),
        cmocka_unit_test(test_wire_size_limits),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_sim_schedules),
        cmocka_unit_test(test_sim_big_backlog),
        cmocka_unit_test(test_sim_fetch_skips_what_came_live),
        cmocka_unit_test(test_sim_catchup_shares_transactions),
        cmocka_unit_test(test_sim_hello_retried_soon),
        cmocka_unit_test(test_removal_is_final),
        cmocka_unit_test(test_invites_expire),
        cmocka_unit_test(test_join_takes_no_identity),
        cmocka_unit_test(test_sim_message_once),
        cmocka_unit_test(test_sim_message_coupon_once),
        cmocka_unit_test(test_import_replicates),
        cmocka_unit_test(test_vouch_forgeries),
        cmocka_unit_test(test_vouch_race),
        cmocka_unit_test(test_unvouched_not_asked),
        cmocka_unit_test(test_legacy_import_in_first_record),
        cmocka_unit_test(test_status_keeps_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
