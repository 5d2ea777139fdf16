/* wire.c - the sync protocol's messages in MessagePack (libmsgpack-c).
 *
 * Every message is one array: [SYNC_PROTOCOL, type, fields...]. An event
 * is an array of its 20 fields in store order (hashes as bin 32). EVENTS
 * and BATCH carry their seal (store.h, "signed events") as two bins, the
 * link before the first event (32) and the signature over the last (64),
 * both empty for an unsigned run. The
 * decoder is strict: exact element counts and types, string lengths within
 * what struct store_event holds, no NUL inside strings, nothing after the
 * message, at most SYNC_WIRE_MAX bytes. The ledger validates the events
 * themselves again (content hash, JSON, UTF-8) when it applies them.
 *
 * Before libmsgpack-c builds its object tree, a quick scan checks that no
 * array or map claims more elements than bytes remain and that nesting is
 * shallow: the library sizes its allocations by the claimed counts, so a
 * 5-byte frame claiming 2^32 elements must never reach it. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "i18n.h"
#include "sync/internal.h"

#define MAX_DEPTH 5
#define EVENT_FIELDS 20

void sync_buf_free(struct sync_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int buf_write(void *data, const char *buf, size_t len)
{
    struct sync_buf *b = data;
    if (b->len + len > SYNC_WIRE_MAX)
        return -1;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, len);
    b->len += len;
    return 0;
}

/* --- encoding ------------------------------------------------------------ */

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n) ? -1 : 0;
}

static int pack_bin(msgpack_packer *pk, const unsigned char *b, size_t n)
{
    return msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, b, n) ? -1 : 0;
}

static int pack_event(msgpack_packer *pk, const struct store_event *e)
{
    int r = msgpack_pack_array(pk, EVENT_FIELDS);
    r |= pack_str(pk, e->origin);
    r |= msgpack_pack_int64(pk, e->seq);
    r |= msgpack_pack_int64(pk, e->hlc);
    r |= msgpack_pack_int64(pk, e->wall);
    r |= pack_str(pk, e->type);
    r |= pack_str(pk, e->staff);
    r |= pack_str(pk, e->customer);
    r |= msgpack_pack_int64(pk, e->points);
    r |= msgpack_pack_int64(pk, e->stamps);
    r |= msgpack_pack_int64(pk, e->credit);
    r |= msgpack_pack_int64(pk, e->spend);
    r |= msgpack_pack_int64(pk, e->visits);
    r |= pack_str(pk, e->ref_origin);
    r |= msgpack_pack_int64(pk, e->ref_seq);
    r |= pack_str(pk, e->occasion);
    r |= pack_str(pk, e->reason);
    r |= pack_str(pk, e->data);
    r |= pack_str(pk, e->pii);
    r |= pack_bin(pk, e->pii_hash, 32);
    r |= pack_bin(pk, e->hash, 32);
    return r ? -1 : 0;
}

size_t sync_wire_event_size(const struct store_event *e)
{
    /* 9 integers of at most 9 bytes, 2 bins of 34, 9 strings with a header
     * of at most 5, the array header. */
    return 3 + 9 * 9 + 2 * 34 + 9 * 5 + strlen(e->origin) + strlen(e->type) + strlen(e->staff) +
           strlen(e->customer) + strlen(e->ref_origin) + strlen(e->occasion) +
           strlen(e->reason) + strlen(e->data) + strlen(e->pii);
}

int sync_wire_encode(const struct sync_msg *m, struct sync_buf *b)
{
    static const int FIELDS[] = { 0, 5, 4, 3, 5, 6, 3, 1 };   /* after version and type */
    if (m->type < SYNC_HELLO || m->type > SYNC_REFUSE)
        return -1;
    b->len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, buf_write);
    int r = msgpack_pack_array(&pk, 2 + (size_t)FIELDS[m->type]);
    r |= msgpack_pack_uint32(&pk, SYNC_PROTOCOL);
    r |= msgpack_pack_uint32(&pk, (uint32_t)m->type);
    switch (m->type) {
    case SYNC_HELLO:
        r |= pack_str(&pk, m->shop);
        r |= pack_str(&pk, m->origin);
        r |= msgpack_pack_int64(&pk, m->time_ms);
        r |= pack_str(&pk, m->address);
        if (m->nvv < 0 || m->nvv > SYNC_VV_MAX)
            return -1;
        r |= msgpack_pack_array(&pk, (size_t)m->nvv);
        for (int i = 0; i < m->nvv && !r; i++) {
            r |= msgpack_pack_array(&pk, 2);
            r |= pack_str(&pk, m->vv[i].origin);
            r |= msgpack_pack_int64(&pk, m->vv[i].seq);
        }
        break;
    case SYNC_EVENTS:
    case SYNC_BATCH:
        r |= pack_str(&pk, m->origin);
        if (m->type == SYNC_BATCH)
            r |= m->more ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
        r |= pack_bin(&pk, m->seal.prev, m->seal.sealed ? sizeof m->seal.prev : 0);
        r |= pack_bin(&pk, m->seal.sig, m->seal.sealed ? sizeof m->seal.sig : 0);
        if (m->nevents < 0 || m->nevents > SYNC_BATCH_MAX)
            return -1;
        r |= msgpack_pack_array(&pk, (size_t)m->nevents);
        for (int i = 0; i < m->nevents && !r; i++)
            r |= pack_event(&pk, &m->events[i]);
        break;
    case SYNC_FETCH:
        r |= pack_str(&pk, m->origin);
        r |= msgpack_pack_int64(&pk, m->after);
        r |= msgpack_pack_int64(&pk, m->max);
        break;
    case SYNC_JOIN:
        r |= pack_bin(&pk, m->token, sizeof m->token);
        r |= pack_str(&pk, m->origin);
        r |= pack_bin(&pk, m->public_key, sizeof m->public_key);
        r |= pack_str(&pk, m->address);
        r |= pack_str(&pk, m->name);
        r |= pack_bin(&pk, m->sign_key, sizeof m->sign_key);
        break;
    case SYNC_WELCOME:
        r |= pack_str(&pk, m->shop);
        r |= pack_bin(&pk, m->secret, sizeof m->secret);
        r |= pack_str(&pk, m->name);
        break;
    case SYNC_REFUSE:
        r |= pack_str(&pk, m->reason);
        break;
    }
    return r ? -1 : 0;
}

/* --- the pre-scan ---------------------------------------------------------- */

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walks the MessagePack structure without building it: every container's
 * count fits in the bytes left, nesting stays within MAX_DEPTH, and one
 * value spans the buffer exactly. */
static int prescan(const unsigned char *p, size_t len, char *why, size_t whysz)
{
    uint64_t left[MAX_DEPTH + 1];   /* values still to read at each depth */
    int depth = 0;
    size_t off = 0;
    left[0] = 1;
    for (;;) {
        while (depth > 0 && left[depth] == 0)
            depth--;
        if (depth == 0 && left[0] == 0)
            break;
        left[depth]--;
        if (off >= len) {
            snprintf(why, whysz, "truncated");
            return -1;
        }
        unsigned char t = p[off++];
        uint64_t skip = 0, count = 0;
        int nb;
        if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
            skip = 0;
        else if (t >= 0xa0 && t <= 0xbf)
            skip = t & 0x1f;
        else if (t >= 0x90 && t <= 0x9f)
            count = t & 0x0f;
        else if (t >= 0x80 && t <= 0x8f)
            count = 2 * (uint64_t)(t & 0x0f);
        else {
            switch (t) {
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: case 0xca: skip = 4; break;
            case 0xcf: case 0xd3: case 0xcb: skip = 8; break;
            case 0xd9: case 0xc4: case 0xda: case 0xc5: case 0xdb: case 0xc6:
                nb = t == 0xd9 || t == 0xc4 ? 1 : t == 0xda || t == 0xc5 ? 2 : 4;
                if (len - off < (size_t)nb)
                    goto truncated;
                skip = be(p + off, nb);
                off += (size_t)nb;
                break;
            case 0xdc: case 0xdd: case 0xde: case 0xdf:
                nb = t == 0xdc || t == 0xde ? 2 : 4;
                if (len - off < (size_t)nb)
                    goto truncated;
                count = be(p + off, nb) * (t >= 0xde ? 2 : 1);
                off += (size_t)nb;
                break;
            default:    /* ext types, 0xc1 (never used) */
                snprintf(why, whysz, "type 0x%02x not allowed", t);
                return -1;
            }
        }
        if (skip > len - off)
            goto truncated;
        off += (size_t)skip;
        if (count) {
            if (count > len - off) {
                snprintf(why, whysz, "a container claims more than the message holds");
                return -1;
            }
            if (depth == MAX_DEPTH) {
                snprintf(why, whysz, "nested too deep");
                return -1;
            }
            left[++depth] = count;
        }
    }
    if (off != len) {
        snprintf(why, whysz, "%zu bytes after the message", len - off);
        return -1;
    }
    return 0;
truncated:
    snprintf(why, whysz, "truncated");
    return -1;
}

/* --- decoding -------------------------------------------------------------- */

struct rd {
    char *why;
    size_t whysz;
};

static int bad(struct rd *r, const char *what)
{
    snprintf(r->why, r->whysz, "%s", what);
    return -1;
}

static int get_int(struct rd *r, const msgpack_object *o, int64_t *v, const char *what)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *v = (int64_t)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = o->via.i64;
    else
        return bad(r, what);
    return 0;
}

static int get_str(struct rd *r, const msgpack_object *o, char *out, size_t cap, const char *what)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap ||
        (o->via.str.size && memchr(o->via.str.ptr, '\0', o->via.str.size)))
        return bad(r, what);
    if (o->via.str.size)
        memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return 0;
}

static int get_bin(struct rd *r, const msgpack_object *o, unsigned char *out, size_t n, const char *what)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
        return bad(r, what);
    memcpy(out, o->via.bin.ptr, n);
    return 0;
}

static int get_origin(struct rd *r, const msgpack_object *o, char *out, const char *what)
{
    if (get_str(r, o, out, STORE_ORIGIN_LEN + 1, what) != 0 || strlen(out) != STORE_ORIGIN_LEN)
        return bad(r, what);
    for (int i = 0; i < STORE_ORIGIN_LEN; i++)
        if (!strchr("0123456789abcdef", out[i]))
            return bad(r, what);
    return 0;
}

static const msgpack_object *array_of(struct rd *r, const msgpack_object *o, uint32_t *n,
                                      uint32_t max, const char *what)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > max) {
        bad(r, what);
        return NULL;
    }
    *n = o->via.array.size;
    return o->via.array.ptr;
}

static int get_event(struct rd *r, const msgpack_object *o, struct store_event *e)
{
    uint32_t n;
    const msgpack_object *f = array_of(r, o, &n, EVENT_FIELDS, "an event is not an array of 20");
    if (!f || n != EVENT_FIELDS)
        return bad(r, "an event is not an array of 20");
    /* Every field is set below; the big text buffers (8 KiB of the 9) are
     * read only up to their NUL, so they are not cleared first. */
    memset(e, 0, offsetof(struct store_event, reason));
    e->reason[0] = e->data[0] = e->pii[0] = '\0';
    if (get_origin(r, &f[0], e->origin, "bad event origin") ||
        get_int(r, &f[1], &e->seq, "bad event seq") ||
        get_int(r, &f[2], &e->hlc, "bad event hlc") ||
        get_int(r, &f[3], &e->wall, "bad event wall") ||
        get_str(r, &f[4], e->type, sizeof e->type, "bad event type") ||
        get_str(r, &f[5], e->staff, sizeof e->staff, "bad event staff") ||
        get_str(r, &f[6], e->customer, sizeof e->customer, "bad event customer") ||
        get_int(r, &f[7], &e->points, "bad event points") ||
        get_int(r, &f[8], &e->stamps, "bad event stamps") ||
        get_int(r, &f[9], &e->credit, "bad event credit") ||
        get_int(r, &f[10], &e->spend, "bad event spend") ||
        get_int(r, &f[11], &e->visits, "bad event visits") ||
        get_str(r, &f[12], e->ref_origin, sizeof e->ref_origin, "bad event ref_origin") ||
        get_int(r, &f[13], &e->ref_seq, "bad event ref_seq") ||
        get_str(r, &f[14], e->occasion, sizeof e->occasion, "bad event occasion") ||
        get_str(r, &f[15], e->reason, sizeof e->reason, "bad event reason") ||
        get_str(r, &f[16], e->data, sizeof e->data, "bad event data") ||
        get_str(r, &f[17], e->pii, sizeof e->pii, "bad event pii") ||
        get_bin(r, &f[18], e->pii_hash, 32, "bad event pii_hash") ||
        get_bin(r, &f[19], e->hash, 32, "bad event hash"))
        return -1;
    if (e->seq < 1)
        return bad(r, "bad event seq");
    return 0;
}

/* A seal: both bins empty (unsigned) or both full. */
static int get_seal(struct rd *r, const msgpack_object *o, struct store_seal *seal)
{
    if (o[0].type == MSGPACK_OBJECT_BIN && o[1].type == MSGPACK_OBJECT_BIN &&
        o[0].via.bin.size == 0 && o[1].via.bin.size == 0) {
        memset(seal, 0, sizeof *seal);
        return 0;
    }
    if (get_bin(r, &o[0], seal->prev, sizeof seal->prev, "bad seal link") ||
        get_bin(r, &o[1], seal->sig, sizeof seal->sig, "bad seal signature"))
        return -1;
    seal->sealed = true;
    return 0;
}

static int get_events(struct rd *r, const msgpack_object *o, struct sync_msg *m)
{
    uint32_t n;
    const msgpack_object *a = array_of(r, o, &n, SYNC_BATCH_MAX, "too many events");
    if (!a)
        return -1;
    if ((int)n > m->events_cap || (n && !m->events))
        return bad(r, "more events than expected");
    for (uint32_t i = 0; i < n; i++) {
        if (get_event(r, &a[i], &m->events[i]) != 0)
            return -1;
        if (strcmp(m->events[i].origin, m->origin) != 0)
            return bad(r, "an event of another origin");
    }
    m->nevents = (int)n;
    return 0;
}

static int decode_body(struct rd *r, const msgpack_object *top, struct sync_msg *m)
{
    static const uint32_t FIELDS[] = { 0, 5, 4, 3, 5, 6, 3, 1 };
    uint32_t n;
    const msgpack_object *f = array_of(r, top, &n, 16, "not a message");
    if (!f || n < 2)
        return bad(r, "not a message");
    int64_t version, type;
    if (get_int(r, &f[0], &version, "bad version") || get_int(r, &f[1], &type, "bad type"))
        return -1;
    if (version != SYNC_PROTOCOL) {
        /* Say which till must be upgraded: tills of mixed versions in one
         * shop do not exchange events until they match. */
        if (version > SYNC_PROTOCOL)
            snprintf(r->why, r->whysz, _("that till speaks sync protocol %" PRId64 ", newer than this till's %d: upgrade tally on this till"),
                     version, SYNC_PROTOCOL);
        else
            snprintf(r->why, r->whysz, _("that till speaks sync protocol %" PRId64 ", older than this till's %d: upgrade tally on that till"),
                     version, SYNC_PROTOCOL);
        return -2;
    }
    if (type < SYNC_HELLO || type > SYNC_REFUSE)
        return bad(r, "unknown message type");
    if (n != 2 + FIELDS[type])
        return bad(r, "wrong number of fields");
    m->type = (enum sync_msg_type)type;
    f += 2;
    int64_t v;
    switch (m->type) {
    case SYNC_HELLO: {
        if (get_str(r, &f[0], m->shop, sizeof m->shop, "bad shop id") || strlen(m->shop) != STORE_SHOP_ID_LEN)
            return bad(r, "bad shop id");
        if (get_origin(r, &f[1], m->origin, "bad origin") || get_int(r, &f[2], &m->time_ms, "bad time") ||
            get_str(r, &f[3], m->address, sizeof m->address, "bad address"))
            return -1;
        const msgpack_object *a = array_of(r, &f[4], &n, SYNC_VV_MAX, "bad version vector");
        if (!a)
            return -1;
        if ((int)n > m->vv_cap || (n && !m->vv))
            return bad(r, "version vector too long");
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k;
            const msgpack_object *pair = array_of(r, &a[i], &k, 2, "bad version vector entry");
            if (!pair || k != 2 || get_origin(r, &pair[0], m->vv[i].origin, "bad version vector origin") ||
                get_int(r, &pair[1], &m->vv[i].seq, "bad version vector seq") || m->vv[i].seq < 0)
                return bad(r, "bad version vector entry");
        }
        m->nvv = (int)n;
        return 0;
    }
    case SYNC_EVENTS:
        if (get_origin(r, &f[0], m->origin, "bad origin") || get_seal(r, &f[1], &m->seal))
            return -1;
        return get_events(r, &f[3], m);
    case SYNC_BATCH:
        if (get_origin(r, &f[0], m->origin, "bad origin"))
            return -1;
        if (f[1].type != MSGPACK_OBJECT_BOOLEAN)
            return bad(r, "bad 'more' flag");
        m->more = f[1].via.boolean;
        if (get_seal(r, &f[2], &m->seal))
            return -1;
        return get_events(r, &f[4], m);
    case SYNC_FETCH:
        if (get_origin(r, &f[0], m->origin, "bad origin") || get_int(r, &f[1], &m->after, "bad after") ||
            get_int(r, &f[2], &v, "bad max"))
            return -1;
        if (m->after < 0 || v < 1 || v > SYNC_BATCH_MAX)
            return bad(r, "fetch range out of bounds");
        m->max = (int)v;
        return 0;
    case SYNC_JOIN:
        return get_bin(r, &f[0], m->token, sizeof m->token, "bad token") ||
               get_origin(r, &f[1], m->origin, "bad origin") ||
               get_bin(r, &f[2], m->public_key, sizeof m->public_key, "bad public key") ||
               get_str(r, &f[3], m->address, sizeof m->address, "bad address") ||
               get_str(r, &f[4], m->name, STORE_TILL_NAME_MAX + 1, "bad name") ||
               get_bin(r, &f[5], m->sign_key, sizeof m->sign_key, "bad signing key") ? -1 : 0;
    case SYNC_WELCOME:
        if (get_str(r, &f[0], m->shop, sizeof m->shop, "bad shop id") || strlen(m->shop) != STORE_SHOP_ID_LEN)
            return bad(r, "bad shop id");
        return get_bin(r, &f[1], m->secret, sizeof m->secret, "bad secret") ||
               get_str(r, &f[2], m->name, sizeof m->name, "bad shop name") ? -1 : 0;
    case SYNC_REFUSE:
        return get_str(r, &f[0], m->reason, sizeof m->reason, "bad reason");
    }
    return bad(r, "unknown message type");
}

int sync_wire_decode(const void *data, size_t len, struct sync_msg *m, char *why, size_t whysz)
{
    char spare[8];
    if (!why || !whysz) {
        why = spare;
        whysz = sizeof spare;
    }
    why[0] = '\0';
    /* Keep the caller's arrays; clear the rest. */
    struct store_vv *vv = m->vv;
    struct store_event *events = m->events;
    int vv_cap = m->vv_cap, events_cap = m->events_cap;
    memset(m, 0, sizeof *m);
    m->vv = vv;
    m->vv_cap = vv_cap;
    m->events = events;
    m->events_cap = events_cap;
    if (!data || len == 0) {
        snprintf(why, whysz, "empty message");
        return -1;
    }
    if (len > SYNC_WIRE_MAX) {
        snprintf(why, whysz, "message of %zu bytes is over the limit", len);
        return -1;
    }
    if (prescan(data, len, why, whysz) != 0)
        return -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&u, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        snprintf(why, whysz, "not MessagePack");
    else {
        struct rd r = { why, whysz };
        rc = decode_body(&r, &u.data, m);
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}
