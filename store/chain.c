/* chain.c - events signed by the till that made them. See store.h,
 * "signed events", and doc/DESIGN.md.
 *
 * A till's events from its first signed seq f on form a hash chain:
 * link(f-1) is zero, link(k) = BLAKE2b(link(k-1) || hash of event k). The
 * till signs (origin, k, link(k)) when it sends a run ending at k; the
 * signed point is kept in `chain` by the sender and by every till that
 * takes the run, so it can pass the same run, or a later start of it, on
 * with that signature. A link is never stored per event: the link before
 * a run is worked out from the nearest point below it, which is at most a
 * batch away. `signers` says which key signs which origin from which seq:
 * the first record that named them wins, at every till, for good. An
 * import's origin is bound by its till's vouch (sync_support.c) to that
 * till's key, which signs its chain: whatever is bound to this till's key
 * is this till's to sign.
 *
 * A run is checked in one pass of BLAKE2b over its content hashes and one
 * signature check; the content hashes themselves are checked against the
 * content when the events are applied (events.c), as before. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"

static const unsigned char ZERO[STORE_LINK_BYTES];

void chain_step(unsigned char link[STORE_LINK_BYTES], const unsigned char hash[32])
{
    unsigned char in[STORE_LINK_BYTES + 32];
    memcpy(in, link, STORE_LINK_BYTES);
    memcpy(in + STORE_LINK_BYTES, hash, 32);
    crypto_generichash(link, STORE_LINK_BYTES, in, sizeof in, NULL, 0);
}

void chain_message(const char *origin, int64_t seq, const unsigned char link[STORE_LINK_BYTES],
                   unsigned char msg[CHAIN_MSG_BYTES])
{
    memcpy(msg, "tally-chain-v1", 14);
    memset(msg + 14, 0, STORE_ORIGIN_LEN);
    memcpy(msg + 14, origin, strnlen(origin, STORE_ORIGIN_LEN));
    for (int i = 0; i < 8; i++)
        msg[14 + STORE_ORIGIN_LEN + i] = (unsigned char)((uint64_t)seq >> (8 * i));
    memcpy(msg + 22 + STORE_ORIGIN_LEN, link, STORE_LINK_BYTES);
}

int store_signer(store *s, const char *origin, unsigned char key[STORE_SIGN_KEY_BYTES], int64_t *first_seq)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT sign_key, first_seq FROM signers WHERE origin = ?1", origin);
    if (!st)
        return -1;
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    if (sqlite3_column_bytes(st, 0) != STORE_SIGN_KEY_BYTES) {
        sqlite3_reset(st);
        return 0;
    }
    memcpy(key, sqlite3_column_blob(st, 0), STORE_SIGN_KEY_BYTES);
    *first_seq = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return 1;
}

int signer_bind(store *s, const char *origin, const unsigned char key[STORE_SIGN_KEY_BYTES], int64_t first_seq)
{
    if (first_seq < 1 || sodium_is_zero(key, STORE_SIGN_KEY_BYTES))
        return 0;
    sqlite3_stmt *st = store_sql(s, "INSERT OR IGNORE INTO signers(origin, sign_key, first_seq) VALUES(?1, ?2, ?3)");
    if (!st)
        return -1;
    bind_text(st, 1, origin);
    sqlite3_bind_blob(st, 2, key, STORE_SIGN_KEY_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, first_seq);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int store_signing_keys(store *s, unsigned char pk[STORE_SIGN_KEY_BYTES], unsigned char sk[STORE_SIG_BYTES])
{
    if (local_get(s, "sign_public", pk, STORE_SIGN_KEY_BYTES) != STORE_SIGN_KEY_BYTES ||
        local_get(s, "sign_secret", sk, STORE_SIG_BYTES) != STORE_SIG_BYTES)
        return store_fail(s, "%s", _("this till has no signing key yet: start 'tally syncd' once"));
    return 0;
}

int signing_setup(store *s, const unsigned char *sign_sk, int64_t first_seq)
{
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES];
    if (sign_sk) {
        memcpy(sk, sign_sk, sizeof sk);
        crypto_sign_ed25519_sk_to_pk(pk, sk);
    } else {
        crypto_sign_keypair(pk, sk);
    }
    int rc = local_set(s, "sign_public", pk, sizeof pk) != 0 || local_set(s, "sign_secret", sk, sizeof sk) != 0 ||
             signer_bind(s, s->origin, pk, first_seq) != 0 ? -1 : 0;
    sodium_memzero(sk, sizeof sk);
    return rc;
}

int signing_key_ensure(store *s, unsigned char pk[STORE_SIGN_KEY_BYTES])
{
    if (local_get(s, "sign_public", pk, STORE_SIGN_KEY_BYTES) == STORE_SIGN_KEY_BYTES)
        return 0;
    /* Made now, bound to this till's origin at its first start (ensure_tx
     * below), which signs from its next event then. */
    unsigned char sk[STORE_SIG_BYTES];
    crypto_sign_keypair(pk, sk);
    int rc = tx_begin(s);
    if (rc == 0 && (local_set(s, "sign_public", pk, STORE_SIGN_KEY_BYTES) != 0 ||
                    local_set(s, "sign_secret", sk, sizeof sk) != 0))
        rc = -1;
    sodium_memzero(sk, sizeof sk);
    if (rc != 0) {
        if (s->tx_depth)
            tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}

static int ensure_tx(store *s, void *arg)
{
    (void)arg;
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES], bound[STORE_SIGN_KEY_BYTES];
    int64_t first = 0;
    if (local_get(s, "sign_public", pk, STORE_SIGN_KEY_BYTES) != STORE_SIGN_KEY_BYTES) {
        /* A till made before signing: its events so far are history, its
         * next one (its record, just below) is the first it signs. */
        int64_t top = store_max_seq(s, s->origin);
        if (top < 0 || signing_setup(s, NULL, top + 1) != 0)
            return -1;
        if (store_signing_keys(s, pk, sk) != 0)
            return -1;
        sodium_memzero(sk, sizeof sk);
    }
    int known = store_signer(s, s->origin, bound, &first);
    if (known < 0)
        return -1;
    if (!known) {       /* restored from a copy older than its key: rare */
        int64_t top = store_max_seq(s, s->origin);
        if (top < 0 || signer_bind(s, s->origin, pk, top + 1) != 0)
            return -1;
    } else if (memcmp(bound, pk, sizeof pk) != 0) {
        return store_fail(s, _("another key was recorded first as the signing key of this till (%s): its events "
                               "will be refused by the other tills; move it to a new till id ('tally restore' of "
                               "a backup does) and look for the till that made the claim"), s->origin);
    }
    struct store_till t;
    if (store_till_get(s, s->origin, &t) != 0) {
        memset(&t, 0, sizeof t);
        snprintf(t.origin, sizeof t.origin, "%s", s->origin);
        unsigned char csk[STORE_KEY_BYTES];
        if (store_till_keys(s, t.public_key, csk) != 0)
            return -1;
        sodium_memzero(csk, sizeof csk);
        store_sync_get(s, "sync.name", t.name, sizeof t.name);
        store_sync_get(s, "sync.address", t.address, sizeof t.address);
    } else if (t.removed) {
        return 0;       /* a removed till stays removed */
    } else if (t.signed_from > 0 && memcmp(t.sign_key, pk, sizeof pk) == 0) {
        return vouch_imports(s);    /* named already */
    }
    /* Its record lists the imports it made before derived ids; those
     * made since are vouched for after it. */
    return till_write_first(s, &t) != 0 || vouch_imports(s) != 0 ? -1 : 0;
}

int store_signing_ensure(store *s)
{
    if (!store_is_initialised(s))
        return store_fail(s, _("this database holds no shop: run 'tally init' or 'tally till join'"));
    return store_atomically(s, ensure_tx, NULL);
}

/* The signed point of origin at the highest seq in [lo, hi]: 1 found, 0
 * none, -1 error. */
static int point_in(store *s, const char *origin, int64_t lo, int64_t hi, int64_t *seq,
                    unsigned char link[STORE_LINK_BYTES], unsigned char sig[STORE_SIG_BYTES])
{
    sqlite3_stmt *st = sql_event(s, "SELECT seq, link, sig FROM chain WHERE origin = ?1 AND seq >= ?2 AND seq <= ?3"
                              " ORDER BY seq DESC LIMIT 1", origin, lo);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 3, hi);
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    int found = sqlite3_column_bytes(st, 1) == STORE_LINK_BYTES && sqlite3_column_bytes(st, 2) == STORE_SIG_BYTES;
    if (found) {
        *seq = sqlite3_column_int64(st, 0);
        memcpy(link, sqlite3_column_blob(st, 1), STORE_LINK_BYTES);
        if (sig)
            memcpy(sig, sqlite3_column_blob(st, 2), STORE_SIG_BYTES);
    }
    sqlite3_reset(st);
    return found;
}

/* link(seq) of origin's chain, which starts at first: from the nearest
 * point at or below seq and the events held above it. 0, 1 if an event
 * in between is missing here, -1 on error. */
static int link_at(store *s, const char *origin, int64_t first, int64_t seq, unsigned char link[STORE_LINK_BYTES])
{
    int64_t from = first - 1;
    memcpy(link, ZERO, STORE_LINK_BYTES);
    if (seq < first)
        return 0;
    int p = point_in(s, origin, first, seq, &from, link, NULL);
    if (p < 0)
        return -1;
    if (!p) {
        from = first - 1;
        memcpy(link, ZERO, STORE_LINK_BYTES);
    }
    if (from == seq)
        return 0;
    sqlite3_stmt *st = sql_event(s, "SELECT seq, hash FROM events WHERE origin = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
                                 origin, from);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 3, seq);
    int rc;
    int64_t at = from;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 0) != at + 1 || sqlite3_column_bytes(st, 1) != 32)
            break;
        chain_step(link, sqlite3_column_blob(st, 1));
        at++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(s);
    return at == seq ? 0 : 1;
}

static int store_point(store *s, const char *origin, int64_t seq, const unsigned char link[STORE_LINK_BYTES],
                       const unsigned char sig[STORE_SIG_BYTES])
{
    sqlite3_stmt *st = sql_event(s, "INSERT OR IGNORE INTO chain(origin, seq, link, sig) VALUES(?1, ?2, ?3, ?4)",
                                 origin, seq);
    if (!st)
        return -1;
    sqlite3_bind_blob(st, 3, link, STORE_LINK_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, sig, STORE_SIG_BYTES, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int store_seal_batch(store *s, const char *origin, const struct store_event *evs, int *n, struct store_seal *seal)
{
    memset(seal, 0, sizeof *seal);
    unsigned char key[STORE_SIGN_KEY_BYTES];
    int64_t first = 0;
    int known = *n > 0 ? store_signer(s, origin, key, &first) : 0;
    if (known <= 0)
        return known;   /* a till that signs nothing yet: as it is */
    int k = 0;
    if (evs[0].seq < first) {   /* history before signing: alone, unsealed */
        while (k < *n && evs[k].seq < first)
            k++;
        *n = k;
        return 0;
    }
    while (k < *n && (k == 0 || evs[k].seq == evs[k - 1].seq + 1))
        k++;
    *n = k;
    unsigned char link[STORE_LINK_BYTES];
    int rc = link_at(s, origin, first, evs[0].seq - 1, seal->prev);
    if (rc != 0) {
        *n = 0;
        return rc < 0 ? -1 : 0;
    }
    memcpy(link, seal->prev, sizeof link);
    unsigned char pk[STORE_SIGN_KEY_BYTES], sk[STORE_SIG_BYTES];
    if (local_get(s, "sign_public", pk, sizeof pk) == (int)sizeof pk &&
        memcmp(pk, key, sizeof pk) == 0 && local_get(s, "sign_secret", sk, sizeof sk) == (int)sizeof sk) {
        /* Ours to sign (this till's origin, one it had before a restore,
         * or an import it vouched for): sign the end, and keep the point
         * to start from next time. */
        for (int i = 0; i < *n; i++)
            chain_step(link, evs[i].hash);
        unsigned char msg[CHAIN_MSG_BYTES];
        chain_message(origin, evs[*n - 1].seq, link, msg);
        crypto_sign_detached(seal->sig, NULL, msg, sizeof msg, sk);
        sodium_memzero(sk, sizeof sk);
        seal->sealed = true;
        IN_TX(store_point(s, origin, evs[*n - 1].seq, link, seal->sig));
    }
    /* Another till's: up to the last point we hold its signature for. */
    int64_t end = 0;
    unsigned char held[STORE_LINK_BYTES];
    rc = point_in(s, origin, evs[0].seq, evs[*n - 1].seq, &end, held, seal->sig);
    if (rc <= 0) {
        *n = 0;
        return rc;
    }
    int m = (int)(end - evs[0].seq + 1);
    for (int i = 0; i < m; i++)
        chain_step(link, evs[i].hash);
    if (memcmp(link, held, sizeof link) != 0) {
        *n = 0;         /* what we hold is not what was signed: pass none of it */
        return 0;
    }
    *n = m;
    seal->sealed = true;
    return 0;
}

/* Checks evs against origin's key; link gets the last event's link.
 * 0 when signed (or history), -1 (reason in why) when not, -2 on error. */
static int verify(store *s, const unsigned char key[STORE_SIGN_KEY_BYTES], int64_t first,
                  const struct store_event *evs, size_t n, const struct store_seal *seal,
                  unsigned char link[STORE_LINK_BYTES], char *why, size_t whysz)
{
#define UNSIGNED(...) do { snprintf(why, whysz, __VA_ARGS__); return -1; } while (0)
    const char *origin = evs[0].origin;
    int64_t last = evs[n - 1].seq;
    for (size_t i = 1; i < n; i++)
        if (strcmp(evs[i].origin, origin) != 0 || (last >= first && evs[i].seq != evs[i - 1].seq + 1))
            UNSIGNED("a signed run of %s with a gap or another till's event", origin);
    if (last < first)
        return 0;       /* history from before the till signed */
    if (!seal || !seal->sealed)
        UNSIGNED("events of %s up to %" PRId64 " without its signature (it signs from %" PRId64 ")", origin,
                 last, first);
    int64_t start = evs[0].seq;
    if (start <= first) {
        if (!sodium_is_zero(seal->prev, STORE_LINK_BYTES))
            UNSIGNED("a run of %s that does not start its chain", origin);
    } else {
        unsigned char mine[STORE_LINK_BYTES];
        int rc = link_at(s, origin, first, start - 1, mine);
        if (rc < 0)
            return -2;
        if (rc == 0 && memcmp(mine, seal->prev, sizeof mine) != 0)
            UNSIGNED("a run of %s from %" PRId64 " that does not follow the events held here", origin, start);
    }
    memcpy(link, seal->prev, STORE_LINK_BYTES);
    for (size_t i = 0; i < n; i++)
        if (evs[i].seq >= first)
            chain_step(link, evs[i].hash);
    unsigned char msg[CHAIN_MSG_BYTES];
    chain_message(origin, last, link, msg);
    if (crypto_sign_verify_detached(seal->sig, msg, sizeof msg, key) != 0)
        UNSIGNED("events of %s up to %" PRId64 " not signed by that till's key", origin, last);
    return 0;
#undef UNSIGNED
}

int store_verify_batch(store *s, const struct store_event *evs, size_t n, const struct store_seal *seal,
                       char *why, size_t whysz)
{
    unsigned char key[STORE_SIGN_KEY_BYTES], link[STORE_LINK_BYTES];
    int64_t first = 0;
    if (n == 0)
        return 0;
    int known = store_signer(s, evs[0].origin, key, &first);
    if (known <= 0) {
        snprintf(why, whysz, "no signing key known for %s", evs[0].origin);
        return -1;
    }
    return verify(s, key, first, evs, n, seal, link, why, whysz) == 0 ? 0 : -1;
}

static void all(enum store_apply *results, size_t n, enum store_apply r)
{
    for (size_t i = 0; results && i < n; i++)
        results[i] = r;
}

/* Whether the batch came from origin's own till (see store_apply_batch):
 * 1, 0, -1 on error. */
static int sent_by_itself(store *s, const char *origin, const unsigned char sender[STORE_KEY_BYTES],
                          bool says_origin)
{
    char hex[2 * STORE_KEY_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, sender, STORE_KEY_BYTES);
    sqlite3_stmt *st = store_sql(s, "SELECT EXISTS(SELECT 1 FROM settings WHERE key = 'till.' || ?1 AND json_valid(value)"
                              "  AND json_extract(value, '$.public_key') = ?2),"
                              " ?3 AND NOT EXISTS(SELECT 1 FROM settings WHERE key = 'till.' || ?1)"
                              "  AND NOT EXISTS(SELECT 1 FROM settings WHERE key LIKE 'till.%' AND json_valid(value)"
                              "   AND json_extract(value, '$.public_key') = ?2)");
    if (!st)
        return -1;
    bind_text(st, 1, origin);
    bind_text(st, 2, hex);
    sqlite3_bind_int(st, 3, says_origin);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) || sqlite3_column_int(st, 1) : db_fail(s);
    sqlite3_reset(st);
    return n;
}

int store_apply_batch(store *s, const struct store_event *evs, size_t n, const struct store_seal *seal,
                      const unsigned char sender[STORE_KEY_BYTES], bool says_origin,
                      enum store_apply *results, char *why, size_t whysz)
{
    if (why && whysz)
        why[0] = '\0';
    if (n == 0)
        return 0;
    char spare[8];
    if (!why || !whysz) {
        why = spare;
        whysz = sizeof spare;
    }
    unsigned char key[STORE_SIGN_KEY_BYTES], link[STORE_LINK_BYTES];
    int64_t first = 0;
    if (tx_begin(s) != 0)
        return -1;
    int known = store_signer(s, evs[0].origin, key, &first), v = 0;
    if (known < 0)
        goto failed;
    if (known && (v = verify(s, key, first, evs, n, seal, link, why, whysz)) != 0) {
        if (v == -2)
            goto failed;
        all(results, n, STORE_UNSIGNED);
        tx_rollback(s);
        return 0;
    }
    if (store_apply_events(s, evs, n, results, why, whysz) != 0)
        goto failed;
    if (!known) {
        /* Nothing vouches for these but the till itself: taken from it
         * alone, whose record (here, or the one it writes in this very
         * batch when it starts signing) names the key it came with. If
         * the batch named its signing key, it must be signed with it. */
        int self = sender ? sent_by_itself(s, evs[0].origin, sender, says_origin) : 0;
        if (self < 0 || (known = store_signer(s, evs[0].origin, key, &first)) < 0)
            goto failed;
        if (known)
            v = verify(s, key, first, evs, n, seal, link, why, whysz);
        if (v == -2)
            goto failed;
        if (v != 0 || !self || (!known && seal && seal->sealed)) {
            all(results, n, v != 0 ? STORE_UNSIGNED : STORE_WAITING);
            if (v == 0)
                snprintf(why, whysz, "events of %s, whose signing key is not known here yet, from another till",
                         evs[0].origin);
            tx_rollback(s);
            settings_changed(s);    /* it may have read what it rolled back */
            return 0;
        }
    }
    if (known && evs[n - 1].seq >= first && store_point(s, evs[0].origin, evs[n - 1].seq, link, seal->sig) != 0)
        goto failed;
    return tx_commit(s);
failed:
    tx_rollback(s);
    return -1;
}
