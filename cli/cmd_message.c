/* cmd_message.c - tally message list|show|scan|template: the outbox of
 * messages to customers and the texts they are written from. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"

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

static int print_message(const struct store_message *m, void *arg)
{
    void **a = arg;
    struct cli *c = a[0];
    struct jbuf *jb = a[1];
    if (jb) {
        jb_obj_begin(jb);
        jb_key(jb, "key");
        jb_str(jb, m->key);
        jb_key(jb, "customer");
        jb_str(jb, m->customer);
        jb_key(jb, "trigger");
        jb_str(jb, m->trigger);
        jb_key(jb, "channel");
        jb_str(jb, m->channel);
        jb_key(jb, "lang");
        jb_str(jb, m->lang);
        jb_key(jb, "status");
        jb_str(jb, store_msg_status_name(m->status));
        jb_key(jb, "created");
        jb_int(jb, m->created);
        jb_key(jb, "expires");
        jb_int(jb, m->expires);
        jb_key(jb, "tries");
        jb_int(jb, m->tries);
        jb_key(jb, "reason");
        jb_str(jb, m->reason);      /* a code, as the ledger keeps it */
        jb_key(jb, "message_id");
        jb_str(jb, m->message_id);
        jb_obj_end(jb);
        return 0;
    }
    char when[32];
    struct store_customer cu;
    cli_time(m->created, when, sizeof when);
    const char *who = store_customer_get(c->s, m->customer, &cu) == 0 && !cu.forgotten ? cu.name : m->customer;
    printf("%s  %-10s %-8s %-2s %-10s %s  %s\n", when, m->trigger, m->channel, m->lang,
           store_msg_status_name(m->status), who, store_reason_text(m->reason));
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
        void *arg[2] = { c, &jb };
        jb_init(&jb);
        jb_arr_begin(&jb);
        print_message(&m, arg);
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
                jb_key(&jb, "trigger");
                jb_str(&jb, store_trigger_name(t));
                jb_key(&jb, "lang");
                jb_str(&jb, STORE_MSG_LANGS[l]);
                jb_key(&jb, "custom");
                jb_bool(&jb, custom);
                jb_key(&jb, "subject");
                jb_str(&jb, subject);
                jb_key(&jb, "body");
                jb_str(&jb, body);
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
        jb_key(&jb, "custom");
        jb_bool(&jb, custom);
        jb_key(&jb, "subject");
        jb_str(&jb, r->subject);
        jb_key(&jb, "body");
        jb_str(&jb, r->body);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("Subject: %s\n\n%s\n"), r->subject, r->body);
    return 0;
}

static int template_cmd(struct cli *c, int n, const char **pos, const char *subject, const char *body, bool reset,
                        const char *customer)
{
    if (n >= 2 && strcmp(pos[1], "list") == 0)
        return template_list(c);
    if (n != 4)
        return cli_fail(_("say list, or show|set|preview TRIGGER LANG; see 'tally message --help'")), 2;
    int t = store_trigger_parse(pos[2]);
    if (t < 0)
        return cli_fail(_("no trigger '%s'; 'tally message template list' shows them"), pos[2]), 2;
    if (!store_msg_lang_known(pos[3]))
        return cli_fail(_("'%s' is not a language tally writes messages in: en, pl, ro or hu"), pos[3]), 2;
    struct store_rendered r;
    if (strcmp(pos[1], "show") == 0) {
        bool custom;
        if (store_template_get(c->s, t, pos[3], r.subject, sizeof r.subject, r.body, sizeof r.body, &custom) != 0)
            return cli_store_fail(c);
        return print_rendered(c, &r, custom);
    }
    if (strcmp(pos[1], "preview") == 0) {
        struct store_customer cu;
        if (customer && cli_customer(c, customer, &cu) != 0)
            return 1;
        if (store_template_preview(c->s, t, pos[3], customer ? cu.id : NULL, &r) != 0)
            return cli_store_fail(c);
        return print_rendered(c, &r, false);
    }
    if (strcmp(pos[1], "set") != 0)
        return cli_fail(_("say list, or show|set|preview TRIGGER LANG; see 'tally message --help'")), 2;
    if (reset == (subject || body))
        return cli_fail(_("give --subject and --body, or --reset")), 2;
    if (cli_login(c, true) != 0)
        return 1;
    if (store_template_set(c->s, c->who.id, t, pos[3], reset ? NULL : subject ? subject : "",
                           reset ? NULL : body ? body : "") != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(reset ? _("The shipped text is back.\n") : _("Saved.\n"));
    return 0;
}

static int opted_out(struct cli *c, int n, const char *channel)
{
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key(&jb, "opted_out");
        jb_int(&jb, n);
        jb_key(&jb, "channel");
        jb_str(&jb, channel);
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
static int inbound(struct cli *c, const char *from, const char *text)
{
    if (!from || !text)
        return cli_fail(_("give --from (the phone number or e-mail address) and --text")), 2;
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

int cmd_message(struct cli *c, int argc, char **argv)
{
    const char *pos[4], *status = NULL, *customer = NULL, *trigger = NULL, *limit = NULL;
    const char *subject = NULL, *body = NULL, *from = NULL, *text = NULL;
    bool reset = false;
    const struct opt opts[] = {
        { "status", &status, NULL }, { "customer", &customer, NULL }, { "trigger", &trigger, NULL },
        { "limit", &limit, NULL }, { "subject", &subject, NULL }, { "body", &body, NULL },
        { "from", &from, NULL }, { "text", &text, NULL },
        { "reset", NULL, &reset }, { 0 } };
    int n = cli_parse(c, argc, argv, opts, pos, 4, USAGE);
    if (n < 0)
        return 2;
    if (n == 0)
        return cli_fail(_("say list, show, scan, template, inbound or unsubscribe; see 'tally message --help'")), 2;
    if (cli_open(c, false) != 0)
        return 1;
    if (strcmp(pos[0], "inbound") == 0)
        return inbound(c, from, text);
    if (strcmp(pos[0], "unsubscribe") == 0) {
        int done;
        if (n != 2)
            return cli_fail(_("say which token: tally message unsubscribe TOKEN")), 2;
        if (store_message_unsubscribe(c->s, pos[1], &done) != 0)
            return cli_store_fail(c);
        return opted_out(c, done, "email");
    }
    if (strcmp(pos[0], "template") == 0)
        return template_cmd(c, n, pos, subject, body, reset, customer);
    if (strcmp(pos[0], "show") == 0) {
        if (n != 2)
            return cli_fail(_("say which message: tally message show KEY")), 2;
        return show_message(c, pos[1]);
    }
    struct store_customer cu;
    if (customer && cli_customer(c, customer, &cu) != 0)
        return 1;
    if (strcmp(pos[0], "scan") == 0) {
        int queued;
        if (cli_login(c, false) != 0)
            return 1;
        if (store_message_scan(c->s, c->who.id, customer ? cu.id : NULL, &queued) != 0)
            return cli_store_fail(c);
        if (!c->json)
            printf(ngettext("%d message queued.\n", "%d messages queued.\n", i18n_n(queued)), queued);
        return 0;
    }
    if (strcmp(pos[0], "list") != 0)
        return cli_fail(_("say list, show, scan, template, inbound or unsubscribe; see 'tally message --help'")), 2;
    struct store_message_filter f = { .status = -1, .trigger = trigger, .limit = 50 };
    if (status && (f.status = store_msg_status_parse(status)) < 0)
        return cli_fail(_("--status is queued, retrying, sent, failed, expired or suppressed")), 2;
    if (trigger && store_trigger_parse(trigger) < 0)
        return cli_fail(_("no trigger '%s'; 'tally message template list' shows them"), trigger), 2;
    if (limit && ((f.limit = atoi(limit)) < 0 || strspn(limit, "0123456789") != strlen(limit)))
        return cli_fail(_("--limit is a number of rows (0: all)")), 2;
    f.customer = customer ? cu.id : NULL;
    struct jbuf jb;
    void *arg[2] = { c, cli_list_begin(c, &jb) };
    return cli_list_end(c, &jb, store_message_list(c->s, &f, print_message, arg));
}
