/* delivery.c - what the messenger (messenger/) asks the store before it
 * sends a message by e-mail or SMS, and how it records what happened.
 *
 * The messenger reads the messages whose turn has come, asks for each
 * one, right before sending, whether it may still go (the customer may
 * have opted out at another till a moment ago: syncd has applied that
 * event here), and records the outcomes of a batch in one transaction,
 * so a batch of sends costs one fsync, not one per message. See
 * messages.h for the outbox itself. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"


bool store_message_sender(store *s)
{
    char v[64];
    store_setting_get(s, "messages.sender", v, sizeof v);
    return v[0] && strcmp(v, store_origin(s)) == 0;
}

int64_t store_message_quiet_until(store *s, int64_t now)
{
    int64_t from = setting_int(s, "messages.quiet_from"), to = setting_int(s, "messages.quiet_to");
    if (from == to)
        return 0;
    int minute;
    local_date(now, NULL, NULL, NULL, NULL, &minute);
    int64_t hour = minute / 60;
    bool quiet = from < to ? hour >= from && hour < to : hour >= from || hour < to;
    if (!quiet)
        return 0;
    /* The next local hour "to" after now: step by hours, so a change of
     * daylight saving time on the way is taken as it comes. */
    int64_t t = now - (int64_t)(minute % 60) * 60000 - (now % 60000);
    for (int i = 0; i < 25; i++) {
        t += 3600000;
        local_date(t, NULL, NULL, NULL, NULL, &minute);
        if (minute / 60 == to)
            return t;
    }
    return now + DAY_MS;
}

int store_message_due(store *s, int64_t now, int limit,
                      int (*fn)(const struct store_message *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT key, customer, trig, channel, lang, status, created, expires, status_at,"
                              " tries, next_try, reason, recipient, message_id, vars FROM outbox"
                              " WHERE status IN (0, 1) AND next_try <= ?1 AND trig <> ''"
                              " AND channel IN ('email', 'sms') ORDER BY next_try, created, key LIMIT ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
    /* Collected first: fn may write, which a running SELECT would see. */
    struct store_message *all = NULL;
    int n = 0, cap = 0, step, rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            struct store_message *v = realloc(all, (size_t)cap * sizeof *v);
            if (!v) {
                rc = store_fail(s, _("out of memory"));
                break;
            }
            all = v;
        }
        memset(&all[n], 0, sizeof all[n]);
        copy_col(st, 0, all[n].key, sizeof all[n].key);
        copy_col(st, 1, all[n].customer, sizeof all[n].customer);
        copy_col(st, 2, all[n].trigger, sizeof all[n].trigger);
        copy_col(st, 3, all[n].channel, sizeof all[n].channel);
        copy_col(st, 4, all[n].lang, sizeof all[n].lang);
        all[n].status = sqlite3_column_int(st, 5);
        all[n].created = sqlite3_column_int64(st, 6);
        all[n].expires = sqlite3_column_int64(st, 7);
        all[n].status_at = sqlite3_column_int64(st, 8);
        all[n].tries = sqlite3_column_int(st, 9);
        all[n].next_try = sqlite3_column_int64(st, 10);
        copy_col(st, 11, all[n].reason, sizeof all[n].reason);
        copy_col(st, 12, all[n].recipient, sizeof all[n].recipient);
        copy_col(st, 13, all[n].message_id, sizeof all[n].message_id);
        copy_col(st, 14, all[n].vars, sizeof all[n].vars);
        n++;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_fail(s);
    sqlite3_reset(st);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = fn(&all[i], arg);
    free(all);
    return rc;
}

/* Sent by e-mail or SMS to this customer within the last 7 days. */
static int sent_this_week(store *s, const char *customer, int64_t now)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM outbox WHERE customer = ?1 AND status = 5"
                              " AND channel IN ('email', 'sms') AND status_at > ?2");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, now - 7 * DAY_MS);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    return n < 0 ? db_fail(s) : n;
}

int store_message_verdict(store *s, const struct store_message *m, int64_t now, int pending_sent,
                          struct store_msg_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->status = MSG_SUPPRESSED;
    if (m->expires > 0 && m->expires <= now) {
        v->status = MSG_EXPIRED;
        v->reason = STORE_REASON_UNSENT;
        return 0;
    }
    bool email = strcmp(m->channel, "email") == 0;
    sqlite3_stmt *st = store_sql(s, "SELECT c.forgotten, c.consent, CASE WHEN ?2 THEN c.email ELSE c.phone END,"
                              " coalesce(CASE WHEN ?2 THEN k.email_ok ELSE k.sms_ok END, 0)"
                              " FROM customers c LEFT JOIN contact k ON k.customer = c.id WHERE c.id = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, m->customer);
    sqlite3_bind_int(st, 2, email);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        v->reason = STORE_REASON_FORGOTTEN;
        return 0;
    }
    bool gone = sqlite3_column_int(st, 0), consent = sqlite3_column_int(st, 1), channel_ok = sqlite3_column_int(st, 3);
    copy_col(st, 2, v->address, sizeof v->address);
    sqlite3_reset(st);
    if (gone)
        v->reason = STORE_REASON_FORGOTTEN;
    else if (!consent)
        v->reason = STORE_REASON_NO_CONSENT;
    else if (!channel_ok)
        v->reason = STORE_REASON_OPTED_OUT;
    else if (!v->address[0])
        v->reason = STORE_REASON_NO_ADDRESS;
    if (v->reason) {
        v->address[0] = '\0';
        return 0;
    }
    int64_t cap = setting_int(s, "messages.weekly_cap");
    int sent = cap > 0 ? sent_this_week(s, m->customer, now) : 0;
    if (sent < 0)
        return -1;
    if (cap > 0 && sent + pending_sent >= cap) {
        v->reason = STORE_REASON_CAPPED;
        v->address[0] = '\0';
        return 0;
    }
    v->status = MSG_QUEUED;     /* it may go */
    return 0;
}

#define INFLIGHT_KEY "messenger.inflight"

int store_message_inflight_set(store *s, const char *const *keys, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen(keys[i]) + 1;
    char *list = malloc(len + 1);
    if (!list)
        return store_fail(s, _("out of memory"));
    list[0] = '\0';
    for (int i = 0, at = 0; i < n; i++)
        at += sprintf(list + at, "%s\n", keys[i]);
    int rc = tx_begin(s);
    if (rc == 0 && (rc = local_set(s, INFLIGHT_KEY, list, (int)strlen(list))) != 0)
        tx_rollback(s);
    else if (rc == 0)
        rc = tx_commit(s);
    free(list);
    return rc;
}

int store_message_inflight(store *s, char **out)
{
    *out = NULL;
    sqlite3_stmt *st = store_sql(s, "SELECT CAST(value AS TEXT) FROM local WHERE key = '" INFLIGHT_KEY "'");
    if (!st)
        return -1;
    const char *v = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    *out = strdup(v ? v : "");
    sqlite3_reset(st);
    return *out ? 0 : store_fail(s, _("out of memory"));
}

int store_message_record_many(store *s, const char *const *keys, const struct store_msg_outcome *o, int n)
{
    if (tx_begin(s) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (messages_record_tx(s, "", keys[i], &o[i]) != 0) {
            tx_rollback(s);
            return -1;
        }
    /* The batch's outcomes are on record: nothing is in flight any more. */
    if (local_set(s, INFLIGHT_KEY, "", 0) != 0) {
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s);
}
