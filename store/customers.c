/* customers.c - enrolment, profile edits, cards, search, "forget me" and
 * export. Personal fields travel in an event's pii part so that forgetting
 * a customer can scrub them without breaking any event's hash. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define CUSTOMER_COLS \
    "id, card, name, phone, email, birthday, consent, referred_by, forgotten," \
    " points, stamps, credit, spend, visits, enrolled, first_visit, last_visit"

static void row_to_customer(sqlite3_stmt *st, struct store_customer *c)
{
    memset(c, 0, sizeof *c);
    copy_col(st, 0, c->id, sizeof c->id);
    copy_col(st, 1, c->card, sizeof c->card);
    copy_col(st, 2, c->name, sizeof c->name);
    copy_col(st, 3, c->phone, sizeof c->phone);
    copy_col(st, 4, c->email, sizeof c->email);
    copy_col(st, 5, c->birthday, sizeof c->birthday);
    c->consent = sqlite3_column_int(st, 6) != 0;
    copy_col(st, 7, c->referred_by, sizeof c->referred_by);
    c->forgotten = sqlite3_column_int(st, 8) != 0;
    c->points = sqlite3_column_int64(st, 9);
    c->stamps = sqlite3_column_int64(st, 10);
    c->credit = sqlite3_column_int64(st, 11);
    c->spend = sqlite3_column_int64(st, 12);
    c->visits = sqlite3_column_int64(st, 13);
    c->enrolled = sqlite3_column_int64(st, 14);
    c->first_visit = sqlite3_column_int64(st, 15);
    c->last_visit = sqlite3_column_int64(st, 16);
}

int store_customer_get(store *s, const char *id, struct store_customer *out)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?1 AND enrolled > 0", id);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no such customer"));
    row_to_customer(st, out);
    return 0;
}

/* "+48 600-100-200" → "+48600100200". */
static int phone_normalise(const char *in, char *out, size_t outsz)
{
    size_t n = 0, digits = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '+' && n == 0) {
            out[n++] = '+';
        } else if (isdigit((unsigned char)*p)) {
            if (n + 1 >= outsz)
                return -1;
            out[n++] = *p;
            digits++;
        } else if (!strchr(" -.()/", *p)) {
            return -1;
        }
    }
    out[n] = '\0';
    return digits >= 6 && digits <= 15 ? 0 : -1;
}

static bool email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || strlen(e) > 254)
        return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || !dot[1])
        return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ')
            return false;
    return true;
}

static bool given(const char *v) { return v && *v; }

/* 1: another customer has phone; 2: a customer of an import still being
 * added has it; 0: nobody. */
static int phone_taken(store *s, const char *phone, const char *except)
{
    /* The same number may be written with or without its country code
     * ("+48 600 100 200", "600100200", "0721..." vs "+40721..."): the last
     * nine digits decide, which is the national number in PL, RO and HU.
     * The expression is the index customers_phone9's (schema.c), to the letter. */
    sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM customers WHERE phone <> ''"
                              " AND substr(phone, -9) = substr(?1, -9) AND id <> ?2 AND forgotten = 0");
    if (!st)
        return -1;
    bind_text(st, 1, phone);
    bind_text(st, 2, except ? except : "");
    if (sqlite3_step(st) == SQLITE_ROW)
        return 1;
    /* A customer of an import still being added (import.c) has it too. */
    st = sql_keyed(s, "SELECT 1 FROM import_staged WHERE phone9 = substr(?1, -9) AND phone9 <> ''", phone);
    if (!st)
        return -1;
    return sqlite3_step(st) == SQLITE_ROW ? 2 : 0;
}

int store_customer_by_phone(store *s, const char *phone, struct store_customer *out)
{
    char norm[40];
    if (!phone || phone_normalise(phone, norm, sizeof norm) != 0)
        return store_fail(s, _("'%s' is not a phone number: give 6 to 15 digits, optionally with a leading +"),
                          phone ? phone : "");
    sqlite3_stmt *st = sql_keyed(s, "SELECT " CUSTOMER_COLS " FROM customers WHERE phone <> ''"
                              " AND substr(phone, -9) = substr(?1, -9) AND forgotten = 0 AND enrolled > 0 LIMIT 2",
                                 norm);
    if (!st)
        return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (n++ == 0)
            row_to_customer(st, out);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(s);
    if (n == 1)
        return 0;
    return n ? store_fail(s, _("several customers match %s; use their card or 'tally customer find'"), phone)
             : store_fail(s, _("no customer with the phone number %s"), phone);
}

static int card_taken(store *s, const char *card)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT 1 FROM cards WHERE card = ?1", card);
    if (!st)
        return -1;
    return sqlite3_step(st) == SQLITE_ROW;
}

/* Validates the given fields and writes them into the pii and data JSON. */
static int profile_json(store *s, const struct store_profile *p, const char *self,
                        struct jbuf *pii, struct jbuf *data)
{
    char buf[STORE_TEXT_MAX * 4 + 1];
    if (p->name) {
        if (text_clean(p->name, buf, sizeof buf, 100) != 0 || !buf[0])
            return store_fail(s, _("give a name of 1 to 100 characters (letters of any language)"));
        jb_key_str(pii, "name", buf);
    }
    if (p->phone) {
        if (!given(p->phone)) {
            buf[0] = '\0';
        } else if (phone_normalise(p->phone, buf, 40) != 0) {
            return store_fail(s, _("'%s' is not a phone number: give 6 to 15 digits, optionally with a leading +"), p->phone);
        } else {
            int taken = phone_taken(s, buf, self);
            if (taken < 0)
                return -1;
            if (taken == 2)
                return store_fail(s, _("a customer of the import being added has the phone number %s"), buf);
            if (taken)
                return store_fail(s, _("another customer already has the phone number %s"), buf);
        }
        jb_key_str(pii, "phone", buf);
    }
    if (p->email) {
        if (given(p->email) && (text_clean(p->email, buf, sizeof buf, 254) != 0 || !email_ok(buf)))
            return store_fail(s, _("'%s' is not an email address"), p->email);
        jb_key_str(pii, "email", given(p->email) ? buf : "");
    }
    if (p->birthday) {
        int y = 0, m = 0, d = 0, ty;
        local_date(store_now(s), &ty, NULL, NULL, NULL, NULL);
        if (given(p->birthday) && birthday_parse(p->birthday, ty, &y, &m, &d) != 0)
            return store_fail(s, _("'%s' is not a possible birthday: give YYYY-MM-DD or MM-DD"), p->birthday);
        if (!given(p->birthday))
            buf[0] = '\0';
        else if (y)
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        else
            snprintf(buf, sizeof buf, "--%02d-%02d", m, d);
        jb_key_str(pii, "birthday", buf);
    }
    if (p->consent >= 0) {
        jb_key_int(data, "consent", p->consent ? 1 : 0);
    }
    if (given(p->referred_by)) {
        struct store_customer r;
        if (store_customer_get(s, p->referred_by, &r) != 0 || r.forgotten)
            return store_fail(s, _("the referring customer is not known here"));
        if (self && strcmp(self, p->referred_by) == 0)
            return store_fail(s, _("a customer cannot refer themselves"));
        jb_key_str(data, "referred_by", p->referred_by);
    }
    if (messages_profile_json(s, p, data) != 0)     /* language, consent per channel */
        return -1;
    if (given(p->card)) {
        int taken = card_taken(s, p->card);
        if (taken)
            return taken < 0 ? -1 : store_fail(s, _("that card is already in use"));
        jb_key_str(data, "card", p->card);
    }
    return 0;
}

static int customer_write(store *s, const char *type, const char *staff, const char *id,
                          const struct store_profile *p, int64_t points)
{
    struct store_event ev;
    struct jbuf pii, data;
    event_init(&ev, type, staff, id);
    ev.points = points;
    jb_init(&pii);
    jb_init(&data);
    jb_obj_begin(&pii);
    jb_obj_begin(&data);
    if (profile_json(s, p, strcmp(type, "enrol") == 0 ? NULL : id, &pii, &data) != 0) {
        jb_free(&pii);
        jb_free(&data);
        return -1;
    }
    jb_obj_end(&pii);
    jb_obj_end(&data);
    bool has_pii = pii.len > 2;
    if (jb_take(s, &pii, ev.pii) != 0) {
        jb_free(&data);
        return -1;
    }
    if (jb_take(s, &data, ev.data) != 0)
        return -1;
    if (has_pii)
        pii_salt(ev.pii, sizeof ev.pii);
    else
        ev.pii[0] = '\0';
    return event_append(s, &ev);
}

int store_customer_add(store *s, const char *staff, const struct store_profile *p,
                       struct store_customer *out)
{
    if (require_staff(s, staff) != 0)
        return -1;
    if (!given(p->name))
        return store_fail(s, _("a new customer needs a name"));
    if (!given(p->card))
        return store_fail(s, _("a new customer needs a card"));
    char id[STORE_ID_LEN + 1];
    random_id(id, STORE_ID_LEN);
    if (tx_begin(s) != 0)
        return -1;
    if (customer_write(s, "enrol", staff, id, p, setting_int(s, "welcome.points")) != 0 ||
        messages_on_enrol(s, staff, id) != 0) {
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    return out ? store_customer_get(s, id, out) : 0;
}

int store_customer_import(store *s, const char *manager, const struct store_profile *p,
                          int64_t points, int64_t stamps, struct store_customer *out)
{
    if (require_manager(s, manager) != 0)
        return -1;
    if (!given(p->name) || !given(p->card))
        return store_fail(s, _("a new customer needs a name and a card"));
    if (points < 0 || points > 1000000000 || stamps < 0 || stamps > 1000)
        return store_fail(s, _("points and stamps are whole numbers, zero or more"));
    char id[STORE_ID_LEN + 1];
    random_id(id, STORE_ID_LEN);
    if (tx_begin(s) != 0)
        return -1;
    /* No welcome bonus (and no welcome message): an imported customer is
     * not new to the shop, only to tally. */
    int rc = customer_write(s, "enrol", manager, id, p, 0);
    if (rc == 0 && (points || stamps)) {
        struct store_event ev;
        event_init(&ev, "adjust", manager, id);
        ev.points = points;
        ev.stamps = stamps;
        snprintf(ev.reason, sizeof ev.reason, "%s", "opening balance");
        snprintf(ev.data, sizeof ev.data, "%s", "{\"opening\":1}");
        rc = event_append(s, &ev);
    }
    if (rc != 0) {
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    return out ? store_customer_get(s, id, out) : 0;
}

static int live_customer(store *s, const char *id, struct store_customer *c)
{
    if (store_customer_get(s, id, c) != 0)
        return -1;
    if (c->forgotten)
        return store_fail(s, _("this customer asked to be forgotten; enrol them again with a new card"));
    return 0;
}

int store_customer_edit(store *s, const char *staff, const char *id, const struct store_profile *p)
{
    struct store_customer c;
    if (require_staff(s, staff) != 0 || live_customer(s, id, &c) != 0)
        return -1;
    if (p->card)
        return store_fail(s, _("use a card replacement to change a customer's card"));
    if (p->referred_by)
        return store_fail(s, _("who referred a customer cannot change after enrolment"));
    IN_TX(customer_write(s, "profile", staff, id, p, 0));
}

enum store_card_state store_customer_by_card(store *s, const char *card, struct store_customer *out)
{
    sqlite3_stmt *st = store_sql(s, "SELECT customer FROM cards WHERE card = ?1");
    char id[STORE_ID_LEN + 1];
    if (!st)
        return STORE_CARD_UNKNOWN;
    bind_text(st, 1, card);
    if (sqlite3_step(st) != SQLITE_ROW) {
        store_fail(s, _("this card is genuine but not known at this till yet; if it was just issued at another till, wait for the tills to sync"));
        return STORE_CARD_UNKNOWN;
    }
    copy_col(st, 0, id, sizeof id);
    if (store_customer_get(s, id, out) != 0)
        return STORE_CARD_UNKNOWN;
    if (out->forgotten) {
        store_fail(s, _("this card's customer asked to be forgotten; offer a new enrolment"));
        return STORE_CARD_FORGOTTEN;
    }
    if (strcmp(out->card, card) != 0) {
        store_fail(s, _("this card was replaced by a newer one and no longer works; ask for the new card or look the customer up"));
        return STORE_CARD_REPLACED;
    }
    return STORE_CARD_ACTIVE;
}

int store_customer_find(store *s, const char *query, int limit,
                        int (*fn)(const struct store_customer *, void *), void *arg)
{
    char key[STORE_TEXT_MAX * 8], digits[40] = "", upper[40];
    if (!query || text_fold(query, key, sizeof key) != 0 || strlen(key) < 2)
        return store_fail(s, _("give at least two letters or digits to search for"));
    size_t nd = 0;
    for (const char *p = query; *p && nd + 1 < sizeof digits; p++)
        if (isdigit((unsigned char)*p))
            digits[nd++] = *p;
    digits[nd] = '\0';
    size_t nu = 0;
    for (const char *p = query; *p && nu + 1 < sizeof upper; p++)
        if (*p != '-' && *p != ' ')
            upper[nu++] = (char)toupper((unsigned char)*p);
    upper[nu] = '\0';
    sqlite3_stmt *st = store_sql(s,
        "SELECT " CUSTOMER_COLS " FROM customers WHERE forgotten = 0 AND enrolled > 0 AND ("
        " name_key LIKE '%' || ?1 || '%' ESCAPE '\\'"
        " OR (length(?2) >= 3 AND phone LIKE '%' || ?2 || '%')"
        " OR id = ?1 OR card = ?3)"
        " ORDER BY (name_key = ?1) DESC, (name_key LIKE ?1 || '%') DESC, name_key, id LIMIT ?4");
    if (!st)
        return -1;
    /* LIKE wildcards typed by a person are taken literally. */
    char esc[sizeof key * 2];
    size_t j = 0;
    for (const char *p = key; *p && j + 2 < sizeof esc; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            esc[j++] = '\\';
        esc[j++] = *p;
    }
    esc[j] = '\0';
    bind_text(st, 1, esc);
    bind_text(st, 2, digits);
    bind_text(st, 3, upper);
    sqlite3_bind_int(st, 4, limit > 0 ? limit : 20);
    struct store_customer c;
    int rc = 0, n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row_to_customer(st, &c);
        n++;
        if ((rc = fn(&c, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc ? rc : n;
}

int store_customer_replace_card(store *s, const char *staff, const char *id, const char *card)
{
    struct store_customer c;
    if (require_staff(s, staff) != 0 || live_customer(s, id, &c) != 0)
        return -1;
    struct store_profile p = { .card = card, .consent = -1 };
    IN_TX(customer_write(s, "card", staff, id, &p, 0));
}

int store_customer_forget(store *s, const char *staff, const char *id)
{
    struct store_customer c;
    if (require_staff(s, staff) != 0 || live_customer(s, id, &c) != 0)
        return -1;
    struct store_event ev;
    event_init(&ev, "forget", staff, id);
    IN_TX(event_append(s, &ev));
}

static int export_event(const struct store_event *ev, void *arg)
{
    struct jbuf *jb = arg;
    char ref[48];
    event_ref(ev, ref, sizeof ref);
    jb_obj_begin(jb);
    jb_key_str(jb, "event", ref);
    jb_key_str(jb, "type", ev->type);
    jb_key_int(jb, "wall", ev->wall);
    jb_key_int(jb, "points", ev->points);
    jb_key_int(jb, "stamps", ev->stamps);
    jb_key_int(jb, "credit", ev->credit);
    jb_key_int(jb, "spend", ev->spend);
    if (ev->reason[0]) {
        jb_key_str(jb, "reason", ev->reason);
    }
    jb_key(jb, "data");
    jb_raw(jb, ev->data);
    if (ev->pii[0]) {
        jb_key(jb, "personal");
        jb_raw(jb, ev->pii);
    }
    jb_obj_end(jb);
    return 0;
}

int store_customer_export(store *s, const char *id, char **json_out)
{
    struct store_customer c;
    struct store_tier_status t;
    if (store_customer_get(s, id, &c) != 0 || store_customer_tier(s, id, &t) != 0)
        return -1;
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "shop", s->shop_name);
    jb_key_str(&jb, "currency", s->currency);
    jb_key_str(&jb, "customer", c.id);
    jb_key_str(&jb, "card", c.card);
    jb_key_bool(&jb, "forgotten", c.forgotten);
    jb_key_str(&jb, "name", c.name);
    jb_key_str(&jb, "phone", c.phone);
    jb_key_str(&jb, "email", c.email);
    jb_key_str(&jb, "birthday", c.birthday);
    jb_key_bool(&jb, "marketing_consent", c.consent);
    jb_key_int(&jb, "points", c.points);
    jb_key_int(&jb, "stamps", c.stamps);
    jb_key_money(&jb, "credit", c.credit, s->digits);
    jb_key_money(&jb, "spend", c.spend, s->digits);
    jb_key_int(&jb, "visits", c.visits);
    jb_key_str(&jb, "tier", t.tier);
    jb_key(&jb, "cards");
    jb_arr_begin(&jb);
    sqlite3_stmt *st = store_sql(s, "SELECT card FROM cards WHERE customer = ?1 ORDER BY card");
    if (st) {
        bind_text(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW)
            jb_str(&jb, (const char *)sqlite3_column_text(st, 0));
    }
    jb_arr_end(&jb);
    jb_key(&jb, "events");
    jb_arr_begin(&jb);
    struct store_event_filter f = { .customer = id };
    int rc = store_list_events(s, &f, export_event, &jb);
    jb_arr_end(&jb);
    jb_obj_end(&jb);
    if (rc != 0 || !st || jb.oom) {
        jb_free(&jb);
        return rc ? -1 : store_fail(s, _("out of memory"));
    }
    *json_out = jb.buf;     /* the caller frees it */
    return 0;
}
