/* cmd_message.c - tally message list|show|scan|template: the outbox of
 * messages to customers and the texts they are written from. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

static const char USAGE[] = N_(
    "Usage: tally message list [--status S] [--customer CARD] [--trigger T] [--limit N]\n"
    "       tally message show KEY\n"
    "       tally message scan [--customer CARD]   queue birthday, expiring-points and\n"
    "                          win-back messages due now; drop those past their expiry\n"
    "       tally message template list\n"
    "       tally message template show TRIGGER LANG\n"
    "       tally message template set TRIGGER LANG --subject TEXT --body TEXT   (manager)\n"
    "       tally message template set TRIGGER LANG --reset                      (manager)\n"
    "       tally message template preview TRIGGER LANG [--customer CARD]\n"
    "       tally message inbound --from PHONE|EMAIL --text TEXT   a customer's reply\n"
    "       tally message unsubscribe TOKEN      an unsubscribe link was followed\n\n"
    "A trigger switched on in 'tally program' (messages.welcome, messages.reward ...)\n"
    "queues one message per customer and occasion, however many tills see it. A\n"
    "message goes by e-mail or SMS where the customer agreed to that channel, else\n"
    "it is handed over at the counter: the kiosk shows it at the customer's next\n"
    "scan. Nothing goes to a customer without marketing consent. Statuses: queued,\n"
    "retrying, sent, failed, expired, suppressed. Templates may use the placeholders\n"
    "{name} {shop} {points} {stamps} {reward} {tier} {next_tier} {to_next} {days}\n"
    "{expiring} {years}; LANG is en, pl, ro or hu.\n\n"
    "Opting out by reply: the SMS gateway's callback (or a mail filter, for the\n"
    "unsubscribe mail) runs 'tally message inbound' with the sender and the text.\n"
    "A text whose first word is STOP (NIE, DEZABONARE, LEIRATKOZAS ...) withdraws\n"
    "consent to that channel for every customer with that phone number or e-mail\n"
    "address; an unsubscribe mail whose subject holds a token withdraws that\n"
    "customer's. 'tally message unsubscribe TOKEN' does it for the one-click\n"
    "link ({token} in messenger.conf's unsubscribe). Each is an event that\n"
    "reaches every till; any other text changes nothing. No staff login.\n");

/* The table of 'message list': when (with two spaces after it), the
 * trigger, channel, language and status codes, then who and why. */
static const struct out_col MESSAGE_COLS[] = {
    { "when", NULL, OUT_TEXT, false }, { "trigger", NULL, OUT_TEXT, false }, { "channel", NULL, OUT_TEXT, false },
    { "lang", NULL, OUT_TEXT, false }, { "status", NULL, OUT_TEXT, false }, { "rest", NULL, OUT_TEXT, false },
};
static const int MESSAGE_WIDTHS[] = { 17, 10, 8, 2, 10, 0 };

struct message_out { struct cli *c; struct jbuf *jb; struct out *o; };

static int print_message(const struct store_message *m, void *arg)
{
    struct message_out *mo = arg;
    struct cli *c = mo->c;
    struct jbuf *jb = mo->jb;
    if (jb) {
        jb_obj_begin(jb);
        jb_key_str(jb, "key", m->key);
        jb_key_str(jb, "customer", m->customer);
        jb_key_str(jb, "trigger", m->trigger);
        jb_key_str(jb, "channel", m->channel);
        jb_key_str(jb, "lang", m->lang);
        jb_key_str(jb, "status", store_msg_status_name(m->status));
        jb_key_int(jb, "created", m->created);
        jb_key_int(jb, "expires", m->expires);
        jb_key_int(jb, "tries", m->tries);
        jb_key_str(jb, "reason", m->reason);      /* a code, as the ledger keeps it */
        jb_key_str(jb, "message_id", m->message_id);
        jb_obj_end(jb);
        return 0;
    }
    char when[32];
    struct store_customer cu;
    cli_time(m->created, when, sizeof when);
    const char *who = store_customer_get(c->s, m->customer, &cu) == 0 && !cu.forgotten ? cu.name : m->customer;
    char rest[STORE_TEXT_MAX * 8 + 8];
    snprintf(rest, sizeof rest, "%s  %s", who, store_reason_text(m->reason));
    out_row(mo->o, (struct out_val[]){ { 0, when }, { 0, m->trigger }, { 0, m->channel }, { 0, m->lang },
                                       { 0, store_msg_status_name(m->status) }, { 0, rest } });
    return 0;
}

static int show_message(struct cli *c, const char *key)
{
    struct store_message m;
    struct store_rendered r;
    if (store_message_get(c->s, key, &m) != 0 || store_message_render(c->s, &m, &r) != 0)
        return cli_store_fail(c);
    if (c->json) {
        struct jbuf jb;
        struct message_out mo = { c, &jb, NULL };
        jb_init(&jb);
        jb_arr_begin(&jb);
        print_message(&m, &mo);
        jb_arr_end(&jb);
        return cli_print_json(&jb);
    }
    char created[32], expires[32] = "-";
    cli_time(m.created, created, sizeof created);
    if (m.expires)
        cli_time(m.expires, expires, sizeof expires);
    printf(_("Message %s\n"), m.key);
    printf(_("Trigger %s, by %s, in %s; %s\n"), m.trigger, m.channel, m.lang, store_msg_status_name(m.status));
    printf(_("Queued %s, expires %s, %d attempts\n"), created, expires, m.tries);
    if (m.reason[0])
        printf(_("Reason: %s\n"), store_reason_text(m.reason));
    if (m.message_id[0])
        printf("Message-ID: %s\n", m.message_id);
    printf("\n%s\n\n%s\n", r.subject, r.body);
    return 0;
}

static int template_list(struct cli *c)
{
    struct jbuf jb;
    jb_init(&jb);
    jb_arr_begin(&jb);
    for (int t = 0; t < TRIG_COUNT; t++) {
        if (!c->json)
            printf("%-11s %s\n", store_trigger_name(t), _(store_trigger_help(t)));
        for (int l = 0; STORE_MSG_LANGS[l]; l++) {
            char subject[STORE_RENDER_MAX / 4], body[STORE_RENDER_MAX];
            bool custom;
            if (store_template_get(c->s, t, STORE_MSG_LANGS[l], subject, sizeof subject, body, sizeof body, &custom) != 0) {
                jb_free(&jb);
                return cli_store_fail(c);
            }
            if (c->json) {
                jb_obj_begin(&jb);
                jb_key_str(&jb, "trigger", store_trigger_name(t));
                jb_key_str(&jb, "lang", STORE_MSG_LANGS[l]);
                jb_key_bool(&jb, "custom", custom);
                jb_key_str(&jb, "subject", subject);
                jb_key_str(&jb, "body", body);
                jb_obj_end(&jb);
            } else {
                printf("  %s %s %s\n", STORE_MSG_LANGS[l], custom ? _("(own)") : _("(shipped)"), subject);
            }
        }
    }
    jb_arr_end(&jb);
    if (c->json)
        return cli_print_json(&jb);
    jb_free(&jb);
    return 0;
}

static int print_rendered(struct cli *c, const struct store_rendered *r, bool custom)
{
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_bool(&jb, "custom", custom);
        jb_key_str(&jb, "subject", r->subject);
        jb_key_str(&jb, "body", r->body);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("Subject: %s\n\n%s\n"), r->subject, r->body);
    return 0;
}

/* TRIGGER LANG of show, set and preview: the trigger into a->number[0]. */
static int template_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    int t = store_trigger_parse(a->pos[0]);
    if (t < 0)
        return cli_fail(_("no trigger '%s'; 'tally message template list' shows them"), a->pos[0]), 2;
    if (!store_msg_lang_known(a->pos[1]))
        return cli_fail(_("'%s' is not a language tally writes messages in: en, pl, ro or hu"), a->pos[1]), 2;
    a->number[0] = t;
    return 0;
}

static int template_show(struct cli *c, struct cmd_args *a)
{
    struct store_rendered r;
    bool custom;
    if (store_template_get(c->s, (int)a->number[0], a->pos[1], r.subject, sizeof r.subject, r.body, sizeof r.body,
                           &custom) != 0)
        return cli_store_fail(c);
    return print_rendered(c, &r, custom);
}

static int template_preview(struct cli *c, struct cmd_args *a)
{
    struct store_rendered r;
    if (store_template_preview(c->s, (int)a->number[0], a->pos[1], a->cu ? a->cu->id : NULL, &r) != 0)
        return cli_store_fail(c);
    return print_rendered(c, &r, false);
}

static int template_set_check(struct cli *c, struct cmd_args *a)
{
    int rc = template_check(c, a);
    if (rc == 0 && cmd_flag(a, "reset") == (cmd_opt(a, "subject") || cmd_opt(a, "body")))
        return cli_fail(_("give --subject and --body, or --reset")), 2;
    return rc;
}

static int template_set(struct cli *c, struct cmd_args *a)
{
    const char *subject = cmd_opt(a, "subject"), *body = cmd_opt(a, "body");
    bool reset = cmd_flag(a, "reset");
    if (store_template_set(c->s, c->who.id, (int)a->number[0], a->pos[1], reset ? NULL : subject ? subject : "",
                           reset ? NULL : body ? body : "") != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(reset ? _("The shipped text is back.\n") : _("Saved.\n"));
    return 0;
}

static int template_list_all(struct cli *c, struct cmd_args *a)
{
    (void)a;
    return template_list(c);
}

#define TEMPLATE_WRONG N_("say list, or show|set|preview TRIGGER LANG; see 'tally message --help'")
#define TRIGGER_LANG .min = 2, .max = 2, .count_error = TEMPLATE_WRONG
static const struct cmd_entry TEMPLATE_VERBS[] = {
    { .name = "list", .max = -1, .run = template_list_all },
    { .name = "show", TRIGGER_LANG, .check = template_check, .run = template_show },
    { .name = "preview", TRIGGER_LANG, .check = template_check, .customer_opt = "customer", .run = template_preview },
    { .name = "set", TRIGGER_LANG, .check = template_set_check, .login = CMD_MANAGER, .run = template_set },
    { 0 } };

static int opted_out(struct cli *c, int n, const char *channel)
{
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_int(&jb, "opted_out", n);
        jb_key_str(&jb, "channel", channel);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    if (n == 0)
        printf("%s\n", _("Nobody had consent to withdraw: nothing changed."));
    else
        printf(ngettext("%d customer opted out of %s.\n", "%d customers opted out of %s.\n", i18n_n(n)), n,
               strcmp(channel, "email") == 0 ? _("e-mail") : "SMS");
    return 0;
}

/* A customer's reply, as the SMS gateway's callback or a mail filter
 * hands it over: a STOP opts out; an unsubscribe mail may carry its token. */
static int inbound_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (!cmd_opt(a, "from") || !cmd_opt(a, "text"))
        return cli_fail(_("give --from (the phone number or e-mail address) and --text")), 2;
    return 0;
}

static int inbound(struct cli *c, struct cmd_args *a)
{
    const char *from = cmd_opt(a, "from"), *text = cmd_opt(a, "text");
    bool email = strchr(from, '@') != NULL;
    int n = 0;
    if (!store_reply_is_stop(text)) {
        if (!c->json)
            printf("%s\n", _("Not an opt-out: nothing changed."));
        return c->json ? opted_out(c, 0, email ? "email" : "sms") : 0;
    }
    /* "unsubscribe <token>": the token names the customer even when the
     * mail comes from another address (a forwarding one). */
    const char *sp = strpbrk(text, " \t");
    char token[STORE_UNSUBSCRIBE_TOKEN_LEN + 8] = "";
    if (email && sp && sscanf(sp, " %40s", token) == 1 && strchr(token, '-') &&
        store_message_unsubscribe(c->s, token, &n) == 0)
        return opted_out(c, n, "email");
    if (store_message_opt_out(c->s, email ? "email" : "sms", from, &n) != 0)
        return cli_store_fail(c);
    return opted_out(c, n, email ? "email" : "sms");
}

static int unsubscribe(struct cli *c, struct cmd_args *a)
{
    int done;
    if (store_message_unsubscribe(c->s, a->pos[0], &done) != 0)
        return cli_store_fail(c);
    return opted_out(c, done, "email");
}

static int show(struct cli *c, struct cmd_args *a)
{
    return show_message(c, a->pos[0]);
}

static int scan(struct cli *c, struct cmd_args *a)
{
    int queued;
    if (store_message_scan(c->s, c->who.id, a->cu ? a->cu->id : NULL, &queued) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(ngettext("%d message queued.\n", "%d messages queued.\n", i18n_n(queued)), queued);
    return 0;
}

/* --status, --trigger and --limit: the status into a->number[0], the
 * limit into a->number[1]. */
static int list_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *status = cmd_opt(a, "status"), *trigger = cmd_opt(a, "trigger"), *limit = cmd_opt(a, "limit");
    a->number[0] = -1;
    a->number[1] = 50;
    if (status && (a->number[0] = store_msg_status_parse(status)) < 0)
        return cli_fail(_("--status is queued, retrying, sent, failed, expired or suppressed")), 2;
    if (trigger && store_trigger_parse(trigger) < 0)
        return cli_fail(_("no trigger '%s'; 'tally message template list' shows them"), trigger), 2;
    if (limit && ((a->number[1] = atoi(limit)) < 0 || strspn(limit, "0123456789") != strlen(limit)))
        return cli_fail(_("--limit is a number of rows (0: all)")), 2;
    return 0;
}

static int list(struct cli *c, struct cmd_args *a)
{
    struct store_message_filter f = { .status = (int)a->number[0], .trigger = cmd_opt(a, "trigger"),
                                      .limit = (int)a->number[1], .customer = a->cu ? a->cu->id : NULL };
    struct jbuf jb;
    struct out o;
    struct message_out mo = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, MESSAGE_COLS, MESSAGE_WIDTHS, NCOLS(MESSAGE_COLS));
    return out_list_end(&o, &jb, store_message_list(c->s, &f, print_message, &mo));
}

static const struct cmd_entry MESSAGE_VERBS[] = {
    { .name = "inbound", .max = -1, .check = inbound_check, .run = inbound },
    { .name = "unsubscribe", .min = 1, .max = 1, .count_error = N_("say which token: tally message unsubscribe TOKEN"),
      .run = unsubscribe },
    { .name = "template", .min = 1, .max = -1, .count_error = TEMPLATE_WRONG, .verbs = TEMPLATE_VERBS },
    { .name = "show", .min = 1, .max = 1, .count_error = N_("say which message: tally message show KEY"), .run = show },
    { .name = "scan", .max = -1, .customer_opt = "customer", .customer_first = true, .login = CMD_STAFF,
      .run = scan },
    { .name = "list", .max = -1, .check = list_check, .customer_opt = "customer", .run = list },
    { 0 } };

const struct cmd_entry cmd_message_entry = {
    .name = "message", .summary = N_("messages to customers: the outbox, scans for due ones, templates"),
    .usage = USAGE, .options = "status= customer= trigger= limit= subject= body= from= text= reset",
    .min = 1, .max = 4,
    .count_error = N_("say list, show, scan, template, inbound or unsubscribe; see 'tally message --help'"),
    .store = CMD_OPEN, .verbs = MESSAGE_VERBS,
};
