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
    sqlite3_stmt *st = sql(s, "SELECT id, name, role, disabled FROM staff WHERE id = ?1 AND name <> ''");
    if (!st)
        return -1;
    bind_text(st, 1, id);
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
    sqlite3_stmt *st = sql(s, "SELECT 1 FROM staff WHERE role = 2 AND disabled = 0 AND name <> ''");
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
    sqlite3_stmt *st = sql(s, "SELECT id, pin_hash FROM staff WHERE name_key = ?1 AND disabled = 0"
                              " ORDER BY id LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, key);
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
    jb_key(&jb, "id");
    jb_str(&jb, id);
    if (name) {
        jb_key(&jb, "name");
        jb_str(&jb, name);
        jb_key(&jb, "role");
        jb_int(&jb, role);
        jb_key(&jb, "pin_hash");
        jb_str(&jb, pin_hash);
    }
    jb_key(&jb, "disabled");
    jb_int(&jb, disabled);
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
    if (tx_begin(s) != 0)
        return -1;
    if (staff_event(s, by, id, NULL, 0, NULL, 1) != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}

int store_staff_list(store *s, int (*fn)(const struct store_staff *, void *), void *arg)
{
    sqlite3_stmt *st = sql(s, "SELECT id, name, role, disabled FROM staff WHERE name <> ''"
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

int store_staff_login(store *s, const char *name, const char *pin, struct store_staff *out)
{
    char id[STORE_ID_LEN + 1], hash[crypto_pwhash_STRBYTES + 1];
    if (!name || !pin || find_by_name(s, name, id, hash, sizeof hash) != 0 ||
        crypto_pwhash_str_verify(hash, pin, strlen(pin)) != 0)
        return store_fail(s, _("wrong staff name or PIN"));
    return store_staff_get(s, id, out);
}
