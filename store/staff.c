/* staff.c - staff members, their roles and PINs. A PIN is kept only as a
 * libsodium Argon2id hash, replicated with the staff event so a barista can
 * log in at any till. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* A 4-8 digit PIN has at most 10^8 values, so no hash cost makes a stolen
 * database safe against an offline search; the file's 0600 mode does that.
 * The cost is kept low enough for a login at a busy counter on an old PC. */
#define PIN_OPSLIMIT 2
#define PIN_MEMLIMIT (8u * 1024 * 1024)

static void row_to_staff(sqlite3_stmt *st, struct store_staff *out)
{
    copy_col(st, 0, out->id, sizeof out->id);
    copy_col(st, 1, out->name, sizeof out->name);
    out->role = sqlite3_column_int(st, 2) == ROLE_MANAGER ? ROLE_MANAGER : ROLE_BARISTA;
    out->disabled = sqlite3_column_int(st, 3) != 0;
}

int store_staff_get(store *s, const char *id, struct store_staff *out)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT id, name, role, disabled FROM staff WHERE id = ?1 AND name <> ''", id);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no such staff member"));
    row_to_staff(st, out);
    return 0;
}

int require_manager(store *s, const char *staff)
{
    struct store_staff m;
    if (!staff || store_staff_get(s, staff, &m) != 0 || m.disabled || m.role != ROLE_MANAGER)
        return store_fail(s, _("this needs a manager: log in with a manager's name and PIN"));
    return 0;
}

int require_staff(store *s, const char *staff)
{
    struct store_staff m;
    if (!staff || store_staff_get(s, staff, &m) != 0 || m.disabled)
        return store_fail(s, _("log in with a staff name and PIN first"));
    return 0;
}

bool store_has_manager(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM staff WHERE role = 2 AND disabled = 0 AND name <> ''");
    return st && sqlite3_step(st) == SQLITE_ROW;
}

static bool pin_ok(const char *pin)
{
    size_t n = strlen(pin);
    if (n < 4 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return false;
    return true;
}

static int find_by_name(store *s, const char *name, char id[STORE_ID_LEN + 1], char *hash, size_t hashsz)
{
    char key[STORE_TEXT_MAX * 8];
    if (text_fold(name, key, sizeof key) != 0)
        return -1;
    sqlite3_stmt *st = sql_keyed(s, "SELECT id, pin_hash FROM staff WHERE name_key = ?1 AND disabled = 0"
                              " ORDER BY id LIMIT 1", key);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    copy_col(st, 0, id, STORE_ID_LEN + 1);
    if (hash)
        copy_col(st, 1, hash, hashsz);
    return 0;
}

static int staff_event(store *s, const char *by, const char *id, const char *name, int role,
                       const char *pin_hash, int disabled)
{
    struct store_event ev;
    struct jbuf jb;
    event_init(&ev, "staff", by, NULL);
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "id", id);
    if (name) {
        jb_key_str(&jb, "name", name);
        jb_key_int(&jb, "role", role);
        jb_key_str(&jb, "pin_hash", pin_hash);
    }
    jb_key_int(&jb, "disabled", disabled);
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    return event_append(s, &ev);
}

int store_staff_add(store *s, const char *by, const char *name, enum store_role role,
                    const char *pin, struct store_staff *out)
{
    if (by) {
        if (require_manager(s, by) != 0)
            return -1;
    } else if (store_has_manager(s)) {
        return store_fail(s, _("adding staff needs a manager: log in with a manager's name and PIN"));
    } else if (role != ROLE_MANAGER) {
        return store_fail(s, _("the first staff member must be a manager"));
    }
    char clean[STORE_TEXT_MAX * 4 + 1], id[STORE_ID_LEN + 1];
    if (text_clean(name, clean, sizeof clean, 60) != 0 || !clean[0])
        return store_fail(s, _("give a staff name of 1 to 60 characters"));
    if (!pin_ok(pin))
        return store_fail(s, _("a PIN is 4 to 8 digits"));
    if (find_by_name(s, clean, id, NULL, 0) == 0)
        return store_fail(s, _("there is already a staff member called %s"), clean);
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pin, strlen(pin), PIN_OPSLIMIT, PIN_MEMLIMIT) != 0)
        return store_fail(s, _("out of memory"));
    random_id(id, STORE_ID_LEN);
    if (tx_begin(s) != 0)
        return -1;
    if (staff_event(s, by ? by : "", id, clean, role, hash, 0) != 0) {
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    return out ? store_staff_get(s, id, out) : 0;
}

int store_staff_disable(store *s, const char *by, const char *name)
{
    char id[STORE_ID_LEN + 1];
    if (require_manager(s, by) != 0)
        return -1;
    if (find_by_name(s, name, id, NULL, 0) != 0)
        return store_fail(s, _("no active staff member called %s"), name);
    if (strcmp(id, by) == 0)
        return store_fail(s, _("you cannot disable yourself; ask another manager"));
    IN_TX(staff_event(s, by, id, NULL, 0, NULL, 1));
}

int store_staff_list(store *s, int (*fn)(const struct store_staff *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT id, name, role, disabled FROM staff WHERE name <> ''"
                              " ORDER BY disabled, name_key");
    if (!st)
        return -1;
    struct store_staff m;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row_to_staff(st, &m);
        if ((rc = fn(&m, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc;
}

/* --- wrong PINs -------------------------------------------------------
 *
 * A 4-digit PIN falls to a few thousand guesses, so guesses are rationed
 * per staff member and per till: the first STORE_PIN_FREE wrong PINs in a
 * row cost nothing (typos), each one after that makes the next try wait
 * twice as long as the last (30 s, 1 min, 2 min ... 32 min), and
 * STORE_PIN_LOCK in a row lock the name at this till until a manager
 * unlocks it; a locked name gets one more try a day, so a shop whose only
 * manager is locked is not shut out for good. A right PIN or an unlock
 * ends the run; a run below the lock is forgotten a day after its last
 * wrong PIN.
 *
 * The count is this till's own (the local table, never replicated), so it
 * survives restarts and is shared by every process on the till: a new
 * process gains nothing, and nothing waits in a sleep. Each wrong PIN is
 * also an event (login_failed: whose name, where, when; never what was
 * typed) that reaches every till and the staff report. Names that are no
 * active staff member's share one count, which only rations their events
 * (a flood of made-up names cannot flood the log). */
#define PIN_FIRST_WAIT_MS 30000
#define PIN_LOCKED_WAIT_MS (24 * 3600000LL)
#define PIN_FORGET_MS (24 * 3600000LL)

static const char *const VIA_NAMES[] = { "kiosk", "kiosk_manager", "cli" };

static int64_t pin_wait_ms(int failures)
{
    if (failures < STORE_PIN_FREE)
        return 0;
    if (failures >= STORE_PIN_LOCK)
        return PIN_LOCKED_WAIT_MS;
    return (int64_t)PIN_FIRST_WAIT_MS << (failures - STORE_PIN_FREE);
}

static void guard_key(const char *id, char key[32])
{
    snprintf(key, 32, "pin:%s", id);
}

/* id "" is the shared count of unknown names. */
static int guard_read(store *s, const char *id, struct store_pin_guard *g)
{
    char key[32], v[64] = "";
    long long last = 0;
    memset(g, 0, sizeof *g);
    guard_key(id, key);
    int n = local_get(s, key, v, (int)sizeof v - 1);
    if (n > 0) {
        v[n] = '\0';
        if (sscanf(v, "%d %lld", &g->failures, &last) != 2 || g->failures < 0)
            g->failures = 0, last = 0;     /* unreadable: as if none */
    }
    g->last = last;
    /* The shared count of unknown names is forgotten even at the lock: it
     * only rations their events, some of which a day may keep. */
    if (g->failures && (g->failures < STORE_PIN_LOCK || !*id) && store_now(s) - g->last >= PIN_FORGET_MS)
        g->failures = 0;
    g->locked = g->failures >= STORE_PIN_LOCK;
    g->wait_until = pin_wait_ms(g->failures) ? g->last + pin_wait_ms(g->failures) : 0;
    return 0;
}

static int guard_write(store *s, const char *id, int failures, int64_t when)
{
    char key[32], v[64];
    guard_key(id, key);
    if (failures == 0) {
        sqlite3_stmt *st = sql_keyed(s, "DELETE FROM local WHERE key = ?1", key);
        if (!st)
            return -1;
        return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    }
    int n = snprintf(v, sizeof v, "%d %lld", failures, (long long)when);
    return local_set(s, key, v, n);
}

int store_pin_guard(store *s, const char *staff_id, struct store_pin_guard *out)
{
    return guard_read(s, staff_id ? staff_id : "", out);
}

void store_wait_text(int64_t ms, char *out, size_t outsz)
{
    int64_t sec = (ms + 999) / 1000;
    if (sec < 120)
        /* TRANSLATORS: a short wait in seconds, "30 s". */
        snprintf(out, outsz, _("%d s"), (int)sec);
    else if (sec < 2 * 3600)
        /* TRANSLATORS: a wait in minutes, "16 min". */
        snprintf(out, outsz, _("%d min"), (int)((sec + 59) / 60));
    else
        /* TRANSLATORS: a long wait in hours, "24 h". */
        snprintf(out, outsz, _("%d h"), (int)((sec + 3599) / 3600));
}

/* Why a known name's PIN is not checked now, or what the wrong one cost. */
static int refuse_guarded(store *s, const char *name, const struct store_pin_guard *g, bool wrong)
{
    char wait[32];
    store_wait_text(g->wait_until - store_now(s), wait, sizeof wait);
    if (g->locked)
        return store_fail(s, ngettext("%s is locked at this till after %d wrong PIN in a row: a manager unlocks "
                                      "with F9 at the kiosk's login or 'tally staff unlock %s'",
                                      "%s is locked at this till after %d wrong PINs in a row: a manager unlocks "
                                      "with F9 at the kiosk's login or 'tally staff unlock %s'",
                                      i18n_n(g->failures)), name, g->failures, name);
    if (wrong)
        return store_fail(s, _("wrong staff name or PIN; too many in a row: %s can try again in %s"), name, wait);
    return store_fail(s, _("too many wrong PINs for %s at this till: try again in %s"), name, wait);
}

static int failed_event(store *s, const char *id, enum store_via via, const char *by, int failures)
{
    struct store_event ev;
    event_init(&ev, "login_failed", id, NULL);
    /* Constants, a count and a staff id (hex): nothing to escape. "by":
     * who was logged in at the kiosk meanwhile. */
    bool with_by = by && *by;
    snprintf(ev.data, sizeof ev.data, "{\"via\":\"%s\",\"failures\":%d%s%s%s}", VIA_NAMES[via], failures,
             with_by ? ",\"by\":\"" : "", with_by ? by : "", with_by ? "\"" : "");
    return event_append(s, &ev);
}

int store_staff_login(store *s, const char *name, const char *pin, enum store_via via, const char *by,
                      struct store_staff *out)
{
    char id[STORE_ID_LEN + 1] = "", hash[crypto_pwhash_STRBYTES + 1];
    struct store_pin_guard g;
    if ((unsigned)via >= sizeof VIA_NAMES / sizeof VIA_NAMES[0])
        return store_fail(s, "bad login source");
    struct store_staff who;
    bool known = name && pin && find_by_name(s, name, id, hash, sizeof hash) == 0 &&
                 store_staff_get(s, id, &who) == 0;
    if (!known)
        id[0] = '\0';
    /* A name that waits is refused before the hash's work is done. */
    if (known && guard_read(s, id, &g) == 0 && store_now(s) < g.wait_until) {
        store_release(s);
        return refuse_guarded(s, who.name, &g, false);
    }
    /* What can never be a PIN (an Enter on an empty field, three digits)
     * is refused without costing a try: guessing gains nothing by it. */
    if (!pin || !pin_ok(pin))
        return store_fail(s, _("wrong staff name or PIN"));
    bool right = known && crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0;
    /* The verdict is taken under the write lock, from the count as it is
     * then: processes checking PINs side by side cannot each use the same
     * free try, and a right PIN found while the name waits is not told. */
    if (tx_begin(s) != 0)
        return -1;
    guard_read(s, id, &g);
    int64_t now = store_now(s);
    bool waiting = now < g.wait_until;
    if (right && !waiting) {
        if (g.failures && guard_write(s, id, 0, 0) != 0) {
            tx_rollback(s);
            return -1;
        }
        if (tx_commit(s) != 0)
            return -1;
        *out = who;
        return 0;
    }
    if (waiting) {
        tx_rollback(s);
        return known ? refuse_guarded(s, who.name, &g, false) : store_fail(s, _("wrong staff name or PIN"));
    }
    int failures = g.failures + 1;
    if (guard_write(s, id, failures, now) != 0 || failed_event(s, id, via, by, failures) != 0) {
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    if (!known)
        return store_fail(s, _("wrong staff name or PIN"));
    guard_read(s, id, &g);
    store_release(s);
    if (g.wait_until > now)
        return refuse_guarded(s, who.name, &g, true);
    return store_fail(s, _("wrong staff name or PIN"));
}

int store_staff_unlock(store *s, const char *manager, const char *name)
{
    char id[STORE_ID_LEN + 1];
    struct store_pin_guard g;
    if (require_manager(s, manager) != 0)
        return -1;
    if (!name || find_by_name(s, name, id, NULL, 0) != 0)
        return store_fail(s, _("no active staff member called %s"), name ? name : "");
    if (tx_begin(s) != 0)
        return -1;
    guard_read(s, id, &g);
    if (!g.failures) {
        tx_rollback(s);
        return store_fail(s, _("%s has no wrong PINs at this till: nothing to unlock"), name);
    }
    struct store_event ev;
    event_init(&ev, "login_unlock", manager, NULL);
    snprintf(ev.data, sizeof ev.data, "{\"id\":\"%s\",\"failures\":%d}", id, g.failures);
    if (guard_write(s, id, 0, 0) != 0 || event_append(s, &ev) != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}
