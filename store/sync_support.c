/* sync_support.c - what replication needs from the ledger: the till list
 * (derived from events), this till's keys and shop id, invitations for new
 * tills, setting up a joining till, and moving to a new origin after a
 * restore from an old backup. See store.h, "sync".
 *
 * The till list rides on "setting" events with the key "till.<origin>"
 * (last writer wins by (hlc, origin)), so it needs no table of its own and
 * every till derives the same list, which the digest covers. A key that
 * a record removes goes into a set ("till-removed.<key>" settings) that
 * only grows, whatever the clocks of later records say: a removed till
 * cannot put itself back, only a new invitation with a new key can. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define TILL_PREFIX "till."
#define REMOVED_PREFIX "till-removed."  /* + hex key: a key removed for good */
#define INVITE_PREFIX "sync.invite."
/* The invitations in local (value "EXPIRES_MS:manager", store_invite_create),
 * with their moment of expiry, for the statements that prune and count them. */
#define INVITES_EXPIRING "local WHERE key LIKE '" INVITE_PREFIX "%'" \
    " AND CAST(substr(CAST(value AS TEXT), 1, instr(CAST(value AS TEXT), ':') - 1) AS INTEGER)"

static int vouch_bind(store *s, const char *origin, const unsigned char key[STORE_SIGN_KEY_BYTES]);


static bool hex_ok(const char *v, size_t n)
{
    if (strlen(v) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", v[i]))
            return false;
    return true;
}

static bool text_ok(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n > max || !utf8_valid(v, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20)
            return false;
    return true;
}

static bool unhex_key(const char *hex, unsigned char *out, size_t n)
{
    size_t len = 0;
    return hex_ok(hex, 2 * n) && sodium_hex2bin(out, n, hex, strlen(hex), NULL, &len, NULL) == 0 && len == n;
}

static void row_to_till(sqlite3_stmt *st, struct store_till *t)
{
    char pk[2 * STORE_KEY_BYTES + 8], sign[2 * STORE_SIGN_KEY_BYTES + 8];
    memset(t, 0, sizeof *t);
    copy_col(st, 0, t->origin, sizeof t->origin);
    copy_col(st, 1, pk, sizeof pk);
    copy_col(st, 2, t->address, sizeof t->address);
    copy_col(st, 3, t->name, sizeof t->name);
    t->removed = sqlite3_column_int(st, 4) != 0;
    copy_col(st, 5, t->replaced_by, sizeof t->replaced_by);
    copy_col(st, 6, sign, sizeof sign);
    t->signed_from = sqlite3_column_int64(st, 7);
    if (!unhex_key(pk, t->public_key, STORE_KEY_BYTES))
        memset(t->public_key, 0, STORE_KEY_BYTES);
    if (t->signed_from < 1 || !unhex_key(sign, t->sign_key, STORE_SIGN_KEY_BYTES)) {
        memset(t->sign_key, 0, STORE_SIGN_KEY_BYTES);
        t->signed_from = 0;
    }
}

#define TILL_SELECT \
    "SELECT substr(key, 6), coalesce(json_extract(value, '$.public_key'), '')," \
    " coalesce(json_extract(value, '$.address'), ''), coalesce(json_extract(value, '$.name'), '')," \
    " coalesce(json_extract(value, '$.removed'), 0) OR EXISTS(SELECT 1 FROM settings r" \
    "  WHERE r.key = '" REMOVED_PREFIX "' || json_extract(settings.value, '$.public_key'))," \
    " coalesce(json_extract(value, '$.replaced_by'), '')," \
    " coalesce(json_extract(value, '$.sign_key'), ''), coalesce(json_extract(value, '$.signed_from'), 0)" \
    " FROM settings WHERE key LIKE 'till.%' AND json_valid(value)"

/* The imports a till made before import ids were derived (random ids,
 * which prove nothing) count only as listed in the record that first
 * names its signing key, written by itself as its first signed event
 * (first > 1: a till made before signing, at its first start): that
 * event is fixed for good, and was written before any later import's id
 * existed. Each listed id binds, or is disputed (vouch_bind). */
static int older_imports(store *s, const struct store_event *ev, const unsigned char key[STORE_SIGN_KEY_BYTES])
{
    unsigned char bound[STORE_SIGN_KEY_BYTES];
    int64_t first = 0;
    if (store_signer(s, ev->origin, bound, &first) != 1 || first != ev->seq ||
        memcmp(bound, key, sizeof bound) != 0)
        return 0;
    sqlite3_stmt *st = store_sql(s, "SELECT j.value FROM json_each(?1, '$.value.imports') j"
                              " WHERE j.type = 'text' AND length(j.value) = ?2 AND j.value <> ?3"
                              " AND NOT EXISTS(SELECT 1 FROM settings WHERE key = '" TILL_PREFIX "' || j.value)");
    if (!st)
        return -1;
    bind_text(st, 1, ev->data);
    sqlite3_bind_int(st, 2, STORE_ORIGIN_LEN);
    bind_text(st, 3, ev->origin);
    enum { AT_MOST = 256 };
    char (*ids)[STORE_ORIGIN_LEN + 1] = malloc(AT_MOST * sizeof *ids);
    if (!ids) {
        sqlite3_reset(st);
        return store_fail(s, "%s", _("out of memory"));
    }
    int n = 0, rc;
    while (n < AT_MOST && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        copy_col(st, 0, ids[n], sizeof ids[n]);
        if (hex_ok(ids[n], STORE_ORIGIN_LEN))
            n++;
    }
    sqlite3_reset(st);
    rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = vouch_bind(s, ids[i], key);
    free(ids);
    return rc;
}

int till_derive(store *s, const struct store_event *ev)
{
    /* Whether or not the record wins by clock: the set only grows, so
     * every till that holds the same events holds the same set. A record
     * of an origin given up after a restore (replaced_by) keeps the key. */
    sqlite3_stmt *st = sql_keyed(s, "INSERT OR IGNORE INTO settings(key, value)"
                              " SELECT '" REMOVED_PREFIX "' || json_extract(?1, '$.value.public_key'),"
                              " json_extract(?1, '$.key')"
                              " WHERE json_extract(?1, '$.value.removed') = 1"
                              " AND coalesce(json_extract(?1, '$.value.replaced_by'), '') = ''"
                              " AND length(json_extract(?1, '$.value.public_key')) = 64", ev->data);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    /* The first record that names a till's signing key decides it, for
     * good (chain.c): later records, by clock or not, cannot move it. */
    st = sql_keyed(s, "SELECT substr(json_extract(?1, '$.key'), 6), coalesce(json_extract(?1, '$.value.sign_key'), ''),"
                " coalesce(json_extract(?1, '$.value.signed_from'), 0)", ev->data);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    char origin[STORE_ORIGIN_LEN + 8], hex[2 * STORE_SIGN_KEY_BYTES + 8];
    unsigned char key[STORE_SIGN_KEY_BYTES];
    copy_col(st, 0, origin, sizeof origin);
    copy_col(st, 1, hex, sizeof hex);
    int64_t first = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (!hex_ok(origin, STORE_ORIGIN_LEN) || !unhex_key(hex, key, sizeof key))
        return 0;
    if (signer_bind(s, origin, key, first) != 0)
        return -1;
    return first > 1 && first == ev->seq && strcmp(ev->origin, origin) == 0 ? older_imports(s, ev, key) : 0;
}

/* An import's events are under an origin of their own (import.c), which
 * no till record names. The till that made the import vouches for it: a
 * "vouch.<origin>" setting, one of its own signed events, naming its own
 * signing key, which then signs that origin's chain too (store_seal_batch
 * signs whatever is bound to this till's key).
 *
 * A vouch counts only with proof, checked alike at every till. An import
 * made now has an origin derived from its till's key and a nonce, which
 * the vouch carries (import_origin_of): no other key can ever claim it,
 * whichever claim arrives first. An import made before derived ids has a
 * random origin, which proves nothing: it counts only as listed in the
 * record that first names its till's key, written by that till itself as
 * its first signed event (older_imports), fixed before any later import's
 * id existed. Either way the vouch is a signed event of its till, names
 * that till's own key, and the origin is no till's. If two keys make
 * counting claims for one origin, neither binds it (a row with no key:
 * "disputed"), whatever their order: tills that hold its events keep
 * them, the others cannot take them, and
 * 'tally check' names both claims. */

/* Dear on purpose: finding a nonce that gives another till's import id
 * for one's own key takes about 2^31 of these (~17 ms each on a kiosk's
 * CPU, and memory-hard against GPUs). Fixed forever: every till must
 * derive the same. */
#define ORIGIN_OPSLIMIT 2
#define ORIGIN_MEMLIMIT (4u << 20)

int import_origin_of(const unsigned char key[STORE_SIGN_KEY_BYTES], const unsigned char nonce[IMPORT_NONCE_BYTES],
                     char out[STORE_ORIGIN_LEN + 1])
{
    _Static_assert(IMPORT_NONCE_BYTES == crypto_pwhash_SALTBYTES, "the nonce is Argon2id's salt");
    unsigned char h[crypto_pwhash_BYTES_MIN];
    if (crypto_pwhash(h, sizeof h, (const char *)key, STORE_SIGN_KEY_BYTES, nonce, ORIGIN_OPSLIMIT,
                      ORIGIN_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1;      /* out of memory */
    sodium_bin2hex(out, STORE_ORIGIN_LEN + 1, h, STORE_ORIGIN_LEN / 2);
    return 0;
}

/* A counting claim of key for origin: binds it, or disputes it if
 * another key claimed it. */
static int vouch_bind(store *s, const char *origin, const unsigned char key[STORE_SIGN_KEY_BYTES])
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT sign_key FROM signers WHERE origin = ?1", origin);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return signer_bind(s, origin, key, 1);
    }
    if (rc != SQLITE_ROW)
        return db_fail(s);
    bool same = sqlite3_column_bytes(st, 0) == STORE_SIGN_KEY_BYTES &&
                memcmp(sqlite3_column_blob(st, 0), key, STORE_SIGN_KEY_BYTES) == 0;
    sqlite3_reset(st);
    if (same)
        return 0;
    st = sql_keyed(s, "INSERT OR REPLACE INTO signers(origin, sign_key, first_seq) VALUES(?1, X'', 1)", origin);
    if (!st)
        return -1;
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int vouch_derive(store *s, const struct store_event *ev)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT substr(json_extract(?1, '$.key'), length('" VOUCH_PREFIX "') + 1),"
                              " coalesce(json_extract(?1, '$.value.sign_key'), ''),"
                              " coalesce(json_extract(?1, '$.value.nonce'), ''),"
                              " EXISTS(SELECT 1 FROM settings WHERE key = '" TILL_PREFIX "' ||"
                              "  substr(json_extract(?1, '$.key'), length('" VOUCH_PREFIX "') + 1))", ev->data);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_fail(s);
    char origin[STORE_ORIGIN_LEN + 8], hex[2 * STORE_SIGN_KEY_BYTES + 8], nonce_hex[2 * IMPORT_NONCE_BYTES + 8];
    copy_col(st, 0, origin, sizeof origin);
    copy_col(st, 1, hex, sizeof hex);
    copy_col(st, 2, nonce_hex, sizeof nonce_hex);
    bool a_till = sqlite3_column_int(st, 3) != 0;
    sqlite3_reset(st);
    unsigned char named[STORE_SIGN_KEY_BYTES], own[STORE_SIGN_KEY_BYTES], nonce[IMPORT_NONCE_BYTES];
    int64_t first = 0;
    if (a_till || !hex_ok(origin, STORE_ORIGIN_LEN) || strcmp(origin, ev->origin) == 0 ||
        !unhex_key(hex, named, sizeof named))
        return 0;
    int known = store_signer(s, ev->origin, own, &first);
    if (known <= 0)
        return known;
    if (ev->seq < first || memcmp(named, own, sizeof own) != 0)
        return 0;
    char derived[STORE_ORIGIN_LEN + 1];
    if (!unhex_key(nonce_hex, nonce, sizeof nonce))
        return 0;       /* no proof (older imports are listed in a record) */
    if (import_origin_of(own, nonce, derived) != 0)
        return store_fail(s, "%s", _("out of memory"));
    return strcmp(derived, origin) == 0 ? vouch_bind(s, origin, own) : 0;
}

/* Whether this till signs its own events yet: 1, 0, -1 on error. */
static int signs(store *s, unsigned char pk[STORE_SIGN_KEY_BYTES])
{
    unsigned char bound[STORE_SIGN_KEY_BYTES];
    int64_t first = 0;
    if (local_get(s, "sign_public", pk, STORE_SIGN_KEY_BYTES) != STORE_SIGN_KEY_BYTES)
        return 0;
    int known = store_signer(s, s->origin, bound, &first);
    return known <= 0 ? known : memcmp(bound, pk, STORE_SIGN_KEY_BYTES) == 0;
}

/* Appends this till's vouch for origin, an import it made (nonce_hex:
 * what its origin was derived from, or "" for an older one). */
static int vouch_write(store *s, const char *origin, const char *nonce_hex)
{
    unsigned char pk[STORE_SIGN_KEY_BYTES];
    int on = signs(s, pk);
    if (on <= 0)
        return on;      /* not yet: its first start vouches (store_signing_ensure) */
    char hex[2 * STORE_SIGN_KEY_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    struct store_event ev;
    event_init(&ev, "setting", "", NULL);
    /* Hex only: nothing to escape. */
    if (nonce_hex[0])
        snprintf(ev.data, sizeof ev.data,
                 "{\"key\":\"" VOUCH_PREFIX "%s\",\"value\":{\"sign_key\":\"%s\",\"nonce\":\"%s\"}}", origin, hex,
                 nonce_hex);
    else
        snprintf(ev.data, sizeof ev.data, "{\"key\":\"" VOUCH_PREFIX "%s\",\"value\":{\"sign_key\":\"%s\"}}",
                 origin, hex);
    return event_append(s, &ev);
}

/* The imports this till made, from "imported.X" (the nonce, or "1" for
 * one made before derived ids) that no key signs yet: proven (with a
 * nonce) or not, up to max into ids and nonces (hex, or ""). */
static int own_imports(store *s, bool proven, char (*ids)[STORE_ORIGIN_LEN + 1],
                       char (*nonces)[2 * IMPORT_NONCE_BYTES + 1], int max)
{
    char nonce[2 * IMPORT_NONCE_BYTES + 8];
    sqlite3_stmt *st = store_sql(s, "SELECT substr(key, length('" IMPORTED_PREFIX "') + 1) AS o, CAST(value AS TEXT)"
                              " FROM local WHERE key LIKE '" IMPORTED_PREFIX "%'"
                              " AND o NOT IN (SELECT origin FROM signers) ORDER BY key");
    if (!st)
        return -1;
    int n = 0, rc;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        copy_col(st, 0, ids[n], sizeof ids[n]);
        copy_col(st, 1, nonce, sizeof nonce);
        bool has = hex_ok(nonce, 2 * IMPORT_NONCE_BYTES);
        if (hex_ok(ids[n], STORE_ORIGIN_LEN) && has == proven) {
            memcpy(nonces[n], has ? nonce : "", has ? 2 * IMPORT_NONCE_BYTES + 1 : 1);
            n++;
        }
    }
    sqlite3_reset(st);
    return n;
}

int vouch_imports(store *s)
{
    /* Once per import: an origin bound already (by this vouch, or
     * disputed) is not vouched again. */
    enum { AT_ONCE = 256 };
    char (*ids)[STORE_ORIGIN_LEN + 1] = malloc(AT_ONCE * sizeof *ids);
    char (*nonces)[2 * IMPORT_NONCE_BYTES + 1] = malloc(AT_ONCE * sizeof *nonces);
    int n = ids && nonces ? own_imports(s, true, ids, nonces, AT_ONCE) : store_fail(s, "%s", _("out of memory"));
    for (int i = 0; i < n; i++)
        if (vouch_write(s, ids[i], nonces[i]) != 0)
            n = -1;
    free(ids);
    free(nonces);
    return n < 0 ? -1 : 0;
}

int till_write_first(store *s, const struct store_till *t)
{
    enum { AT_MOST = 256 };
    char (*ids)[STORE_ORIGIN_LEN + 1] = malloc(AT_MOST * sizeof *ids);
    char (*nonces)[2 * IMPORT_NONCE_BYTES + 1] = malloc(AT_MOST * sizeof *nonces);
    int n = ids && nonces ? own_imports(s, false, ids, nonces, AT_MOST) : store_fail(s, "%s", _("out of memory"));
    int rc = n < 0 ? -1 : till_write_with(s, "", t, ids, n);
    free(ids);
    free(nonces);
    return rc;
}

int import_origin_new(store *s, char origin[STORE_ORIGIN_LEN + 1], char nonce_hex[2 * IMPORT_NONCE_BYTES + 1])
{
    unsigned char pk[STORE_SIGN_KEY_BYTES], nonce[IMPORT_NONCE_BYTES];
    if (signing_key_ensure(s, pk) != 0)
        return -1;
    for (int tries = 0; tries < 8; tries++) {
        randombytes_buf(nonce, sizeof nonce);
        if (import_origin_of(pk, nonce, origin) != 0)
            return store_fail(s, "%s", _("out of memory"));
        /* A 32-bit id can meet one the shop has: take another nonce. */
        sqlite3_stmt *st = store_sql(s, "SELECT ?1 = ?2 OR EXISTS(SELECT 1 FROM settings WHERE key = 'till.' || ?1)"
                                  " OR EXISTS(SELECT 1 FROM vv WHERE origin = ?1)"
                                  " OR EXISTS(SELECT 1 FROM events WHERE origin = ?1)"
                                  " OR EXISTS(SELECT 1 FROM signers WHERE origin = ?1)"
                                  " OR EXISTS(SELECT 1 FROM local WHERE key = '" IMPORTED_PREFIX "' || ?1)");
        if (!st)
            return -1;
        bind_text(st, 1, origin);
        bind_text(st, 2, s->origin);
        int taken = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : db_fail(s);
        sqlite3_reset(st);
        if (taken < 0)
            return -1;
        if (!taken) {
            sodium_bin2hex(nonce_hex, 2 * IMPORT_NONCE_BYTES + 1, nonce, sizeof nonce);
            return 0;
        }
    }
    return store_fail(s, "%s", _("could not find a free id for the import"));
}

int store_till_key_removed(store *s, const unsigned char key[STORE_KEY_BYTES])
{
    char pk[2 * STORE_KEY_BYTES + 1];
    sodium_bin2hex(pk, sizeof pk, key, STORE_KEY_BYTES);
    sqlite3_stmt *st = sql_keyed(s, "SELECT count(*) FROM settings WHERE key = '" REMOVED_PREFIX "' || ?1", pk);
    if (!st)
        return -1;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : db_fail(s);
    sqlite3_reset(st);
    return n > 0 ? 1 : n;
}

static bool till_usable(const struct store_till *t)
{
    static const unsigned char zero[STORE_KEY_BYTES];
    return hex_ok(t->origin, STORE_ORIGIN_LEN) && memcmp(t->public_key, zero, STORE_KEY_BYTES) != 0;
}

int store_till_list(store *s, bool with_removed,
                    int (*fn)(const struct store_till *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, TILL_SELECT " ORDER BY key");
    if (!st)
        return -1;
    struct store_till t;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_till(st, &t);
        if (!till_usable(&t) || (t.removed && !with_removed))
            continue;   /* a damaged record is no till */
        if ((rc = fn(&t, arg)) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(s);
    sqlite3_reset(st);
    return rc;
}

int store_till_get(store *s, const char *origin, struct store_till *out)
{
    sqlite3_stmt *st = sql_keyed(s, TILL_SELECT " AND key = 'till.' || ?1", origin);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no till %s in this shop; 'tally till list' shows them"), origin);
    row_to_till(st, out);
    sqlite3_reset(st);
    return till_usable(out) ? 0 : store_fail(s, _("the record of till %s is damaged"), origin);
}

int till_write(store *s, const char *staff, const struct store_till *t)
{
    return till_write_with(s, staff, t, NULL, 0);
}

int till_write_with(store *s, const char *staff, const struct store_till *t,
                    char (*imports)[STORE_ORIGIN_LEN + 1], int nimports)
{
    if (!hex_ok(t->origin, STORE_ORIGIN_LEN))
        return store_fail(s, _("'%s' is not a till id"), t->origin);
    if (!text_ok(t->address, STORE_ADDRESS_MAX) || !text_ok(t->name, STORE_TILL_NAME_MAX))
        return store_fail(s, _("a till's address or name is too long or not text"));
    char pk[2 * STORE_KEY_BYTES + 1], key[32], sign[2 * STORE_SIGN_KEY_BYTES + 1];
    sodium_bin2hex(pk, sizeof pk, t->public_key, STORE_KEY_BYTES);
    /* The signing key as this till holds it: a record cannot move it, so
     * it restates it; only a till that joins brings its own. */
    unsigned char sign_key[STORE_SIGN_KEY_BYTES];
    int64_t signed_from = 0;
    int known = store_signer(s, t->origin, sign_key, &signed_from);
    if (known < 0)
        return -1;
    if (!known) {
        memcpy(sign_key, t->sign_key, sizeof sign_key);
        signed_from = t->signed_from;
    }
    sodium_bin2hex(sign, sizeof sign, sign_key, sizeof sign_key);
    snprintf(key, sizeof key, TILL_PREFIX "%s", t->origin);
    struct store_event ev;
    struct jbuf jb;
    setting_event_begin(&ev, &jb, staff, key);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "public_key", pk);
    jb_key_str(&jb, "address", t->address);
    jb_key_str(&jb, "name", t->name);
    jb_key_bool(&jb, "removed", t->removed);
    if (t->replaced_by[0]) {
        jb_key_str(&jb, "replaced_by", t->replaced_by);
    }
    if (signed_from > 0 && !sodium_is_zero(sign_key, sizeof sign_key)) {
        jb_key_str(&jb, "sign_key", sign);
        jb_key_int(&jb, "signed_from", signed_from);
    }
    if (nimports > 0) {
        jb_key(&jb, "imports");
        jb_arr_begin(&jb);
        for (int i = 0; i < nimports; i++)
            jb_str(&jb, imports[i]);
        jb_arr_end(&jb);
    }
    jb_obj_end(&jb);
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    return event_append(s, &ev);
}

int store_till_record(store *s, const char *staff, const struct store_till *t)
{
    if (staff && *staff && require_manager(s, staff) != 0)
        return -1;
    IN_TX(till_write(s, staff, t));
}

/* Whether origin or key belongs to a till this shop knows (listed or
 * removed, or with events here). */
static int till_known(store *s, const struct store_till *t)
{
    unsigned char own[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    char pk[2 * STORE_KEY_BYTES + 1];
    if (store_till_keys(s, own, sk) != 0)
        return -1;
    sodium_memzero(sk, sizeof sk);
    sodium_bin2hex(pk, sizeof pk, t->public_key, STORE_KEY_BYTES);
    sqlite3_stmt *st = store_sql(s, "SELECT ?1 = ?3"
                              " OR EXISTS(SELECT 1 FROM settings WHERE key = 'till.' || ?1)"
                              " OR EXISTS(SELECT 1 FROM events WHERE origin = ?1)"
                              " OR EXISTS(SELECT 1 FROM vv WHERE origin = ?1)"
                              " OR EXISTS(SELECT 1 FROM settings WHERE key = '" REMOVED_PREFIX "' || ?2)"
                              " OR EXISTS(SELECT 1 FROM settings WHERE key LIKE 'till.%' AND json_valid(value)"
                              "  AND json_extract(value, '$.public_key') = ?2)"
                              " OR EXISTS(SELECT 1 FROM signers WHERE origin = ?1 OR sign_key = ?4)");
    if (!st)
        return -1;
    bind_text(st, 1, t->origin);
    bind_text(st, 2, pk);
    bind_text(st, 3, s->origin);
    sqlite3_bind_blob(st, 4, t->sign_key, STORE_SIGN_KEY_BYTES, SQLITE_STATIC);
    int known = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : db_fail(s);
    sqlite3_reset(st);
    static const unsigned char zero[STORE_KEY_BYTES];
    if (known == 0 && (memcmp(t->public_key, own, STORE_KEY_BYTES) == 0 ||
                       memcmp(t->public_key, zero, STORE_KEY_BYTES) == 0 ||
                       sodium_is_zero(t->sign_key, STORE_SIGN_KEY_BYTES)))
        known = 1;
    return known;
}

int store_till_join(store *s, const char *manager, const struct store_till *t)
{
    if (!hex_ok(t->origin, STORE_ORIGIN_LEN))
        return store_fail(s, _("'%s' is not a till id"), t->origin);
    if (tx_begin(s) != 0)
        return -1;
    int known = till_known(s, t);
    if (known != 0 || till_write(s, manager, t) != 0) {
        tx_rollback(s);
        return known > 0 ? store_fail(s, _("till %s or its key is known to this shop already: a joining till "
                                           "gets a new id and a new key"), t->origin) : -1;
    }
    return tx_commit(s);
}

struct find_till { const char *what; struct store_till found; int n; };

static int match_till(const struct store_till *t, void *arg)
{
    struct find_till *f = arg;
    if (strcmp(t->origin, f->what) == 0 || strcmp(t->name, f->what) == 0) {
        if (f->n++ == 0)
            f->found = *t;
    }
    return 0;
}

int store_till_remove(store *s, const char *manager, const char *till)
{
    if (require_manager(s, manager) != 0)
        return -1;
    struct find_till f;
    memset(&f, 0, sizeof f);
    f.what = till;
    if (store_till_list(s, false, match_till, &f) != 0)
        return -1;
    if (f.n == 0)
        return store_fail(s, _("no till '%s' in this shop; 'tally till list' shows them"), till);
    if (f.n > 1)
        return store_fail(s, _("several tills are called '%s': give the till's id"), till);
    if (strcmp(f.found.origin, s->origin) == 0)
        return store_fail(s, _("this is the till you are on: remove it from another till"));
    f.found.removed = true;
    return store_till_record(s, manager, &f.found);
}

int store_till_keys(store *s, unsigned char pk[STORE_KEY_BYTES], unsigned char sk[STORE_KEY_BYTES])
{
    if (local_get(s, "public_key", pk, STORE_KEY_BYTES) != STORE_KEY_BYTES ||
        local_get(s, "secret_key", sk, STORE_KEY_BYTES) != STORE_KEY_BYTES)
        return store_fail(s, _("this till has no key pair: run 'tally init' or 'tally till join'"));
    return 0;
}

int store_shop_id(store *s, char out[STORE_SHOP_ID_LEN + 1])
{
    char buf[STORE_SHOP_ID_LEN + 1] = "";
    if (local_get(s, "shop_id", buf, STORE_SHOP_ID_LEN) != STORE_SHOP_ID_LEN)
        return store_fail(s, _("this till has no shop id: run 'tally init' or 'tally till join'"));
    memcpy(out, buf, STORE_SHOP_ID_LEN);
    out[STORE_SHOP_ID_LEN] = '\0';
    return 0;
}

int store_sync_get(store *s, const char *key, char *out, size_t outsz)
{
    if (strncmp(key, "sync.", 5) != 0 || outsz < 1)
        return store_fail(s, "not a sync key: %s", key);
    int n = local_get(s, key, out, (int)outsz - 1);
    if (n < 0) {
        out[0] = '\0';
        return -1;
    }
    out[n] = '\0';
    return 0;
}

int store_sync_set(store *s, const char *key, const char *value)
{
    if (strncmp(key, "sync.", 5) != 0)
        return store_fail(s, "not a sync key: %s", key);
    IN_TX(local_set(s, key, value, (int)strlen(value)));
}

static void invite_key(const unsigned char token[STORE_TOKEN_BYTES], char key[96])
{
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof h, token, STORE_TOKEN_BYTES,
                       (const unsigned char *)"tally-invite-v1", 15);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(key, 96, INVITE_PREFIX "%s", hex);
}

static int prune_invites(store *s)
{
    sqlite3_stmt *st = store_sql(s, "DELETE FROM " INVITES_EXPIRING " < ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, store_now(s));
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int store_invite_create(store *s, const char *manager, int64_t ttl_ms,
                        unsigned char token[STORE_TOKEN_BYTES])
{
    if (require_manager(s, manager) != 0)
        return -1;
    if (ttl_ms < 60000 || ttl_ms > 7 * 86400000LL)
        return store_fail(s, _("an invitation lasts between one minute and seven days"));
    char key[96], value[64];
    randombytes_buf(token, STORE_TOKEN_BYTES);
    invite_key(token, key);
    snprintf(value, sizeof value, "%" PRId64 ":%s", store_now(s) + ttl_ms, manager);
    IN_TX(prune_invites(s) != 0 || local_set(s, key, value, (int)strlen(value)) != 0);
}

int store_invite_take(store *s, const unsigned char token[STORE_TOKEN_BYTES],
                      char manager[STORE_ID_LEN + 1])
{
    char key[96], value[64] = "";
    invite_key(token, key);
    if (tx_begin(s) != 0)
        return -1;
    int n = local_get(s, key, value, (int)sizeof value - 1);
    if (n < 0) {
        tx_rollback(s);
        return store_fail(s, _("the invitation is unknown or was used already"));
    }
    value[n] = '\0';
    sqlite3_stmt *st = store_sql(s, "DELETE FROM local WHERE key = ?1");
    if (!st) {
        tx_rollback(s);
        return -1;
    }
    bind_text(st, 1, key);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_fail(s);
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    char *colon = strchr(value, ':');
    int64_t expires = strtoll(value, NULL, 10);
    if (!colon || expires < store_now(s))
        return store_fail(s, _("the invitation has expired: make a new one with 'tally till invite'"));
    snprintf(manager, STORE_ID_LEN + 1, "%s", colon + 1);
    return 0;
}

int store_invites_pending(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM " INVITES_EXPIRING " >= ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, store_now(s));
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : db_fail(s);
    sqlite3_reset(st);
    return n;
}

void store_random_origin(char out[STORE_ORIGIN_LEN + 1])
{
    if (sodium_init() < 0)
        abort();
    random_id(out, STORE_ORIGIN_LEN);
}

int store_join_setup(store *s, const char *shop_id, const unsigned char secret[STORE_SECRET_BYTES],
                     const char *origin, const unsigned char pk[STORE_KEY_BYTES],
                     const unsigned char sk[STORE_KEY_BYTES], const unsigned char sign_sk[STORE_SIG_BYTES])
{
    if (store_is_initialised(s))
        return store_fail(s, _("this database already holds a shop (%s)"), s->shop_name);
    if (!hex_ok(shop_id, STORE_SHOP_ID_LEN) || !hex_ok(origin, STORE_ORIGIN_LEN))
        return store_fail(s, _("the shop id or till id is not valid"));
    if (tx_begin(s) != 0)
        return -1;
    if (local_set(s, "origin", origin, STORE_ORIGIN_LEN) != 0 ||
        local_set(s, "shop_id", shop_id, STORE_SHOP_ID_LEN) != 0 ||
        local_set(s, "shop_secret", secret, STORE_SECRET_BYTES) != 0 ||
        local_set(s, "public_key", pk, STORE_KEY_BYTES) != 0 ||
        local_set(s, "secret_key", sk, STORE_KEY_BYTES) != 0) {
        tx_rollback(s);
        return -1;
    }
    /* Its events are signed from the first: the inviting till recorded
     * the public half of sign_sk. */
    memcpy(s->origin, origin, STORE_ORIGIN_LEN);
    s->origin[STORE_ORIGIN_LEN] = '\0';
    if (signing_setup(s, sign_sk, 1) != 0 || tx_commit(s) != 0) {
        if (s->tx_depth)
            tx_rollback(s);
        s->origin[0] = '\0';
        return -1;
    }
    return 0;
}

int64_t store_max_seq(store *s, const char *origin)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT coalesce(max(seq), 0) FROM events WHERE origin = ?1", origin);
    if (!st)
        return -1;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return v;
}

int64_t store_fork_count(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM forks");
    if (!st)
        return -1;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return v;
}

static int new_origin_tx(store *s, void *arg)
{
    char *old = arg;
    char fresh[STORE_ORIGIN_LEN + 1];
    memcpy(old, s->origin, STORE_ORIGIN_LEN + 1);
    int64_t top = store_max_seq(s, old);
    if (top < 0)
        return -1;
    random_id(fresh, STORE_ORIGIN_LEN);
    /* The old origin is now one like any other: its mark is what we hold
     * (our own events have no gaps), and the rest comes back by sync. */
    sqlite3_stmt *st = store_sql(s, "INSERT OR REPLACE INTO vv(origin, seq) VALUES(?1, ?2)");
    if (!st)
        return -1;
    bind_text(st, 1, old);
    sqlite3_bind_int64(st, 2, top);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    if (local_set(s, "origin", fresh, STORE_ORIGIN_LEN) != 0)
        return -1;
    struct store_till t;
    bool listed = store_till_get(s, old, &t) == 0;
    memcpy(s->origin, fresh, sizeof fresh);
    /* The same key signs the new origin's chain, from its first event. */
    unsigned char sign_pk[STORE_SIGN_KEY_BYTES];
    if (local_get(s, "sign_public", sign_pk, sizeof sign_pk) == (int)sizeof sign_pk &&
        signer_bind(s, fresh, sign_pk, 1) != 0)
        return -1;
    if (!listed) {
        memset(&t, 0, sizeof t);
        unsigned char sk[STORE_KEY_BYTES];
        if (store_till_keys(s, t.public_key, sk) != 0)
            return -1;
        sodium_memzero(sk, sizeof sk);
    }
    struct store_till gone = t;
    memcpy(gone.origin, old, STORE_ORIGIN_LEN + 1);
    gone.removed = true;
    memcpy(gone.replaced_by, fresh, sizeof fresh);
    memcpy(t.origin, fresh, sizeof fresh);
    t.removed = false;
    t.replaced_by[0] = '\0';
    return till_write(s, "", &t) != 0 || till_write(s, "", &gone) != 0 ? -1 : 0;
}

int store_new_origin(store *s, char old_origin[STORE_ORIGIN_LEN + 1])
{
    if (!store_is_initialised(s))
        return store_fail(s, _("this till has no shop yet: run 'tally init' first"));
    char old[STORE_ORIGIN_LEN + 1];
    memcpy(old, s->origin, sizeof old);
    if (store_atomically(s, new_origin_tx, old_origin) != 0) {
        memcpy(s->origin, old, sizeof old);
        return -1;
    }
    return 0;
}
