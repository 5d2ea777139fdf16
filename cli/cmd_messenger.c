/* cmd_messenger.c - tally messenger: the service that sends the outbox's
 * e-mail and SMS from the shop's sender till (messenger/). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "messenger/messenger.h"

#define DEFAULT_SETTINGS "/etc/tally/messenger.conf"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static struct messenger_config cfg;     /* holds the password: not on the stack */

static const char *settings_path(struct cli *c, const struct cmd_args *a)
{
    const char *settings = cmd_opt(a, "settings");
    return settings ? settings : c->conf.messenger ? c->conf.messenger : DEFAULT_SETTINGS;
}

/* --poll-ms into a->number[0], and the settings file into cfg. */
static int messenger_check(struct cli *c, struct cmd_args *a)
{
    const char *poll = cmd_opt(a, "poll-ms");
    a->number[0] = 2000;
    if (poll && ((a->number[0] = atoi(poll)) < 10 || a->number[0] > 600000))
        return cli_fail(_("--poll-ms is between 10 and 600000")), 2;
    char err[1024];
    if (messenger_config_load(settings_path(c, a), &cfg, err, sizeof err) != 0)
        return cli_fail("%s", err);
    return 0;
}

static int messenger(struct cli *c, struct cmd_args *a)
{
    struct messenger_options o = { .dry_run = cmd_flag(a, "dry-run"), .once = cmd_flag(a, "once"),
                                   .poll_ms = (int)a->number[0], .stop = &stop_requested, .out = stdout };
    o.config_path = settings_path(c, a);
    /* A signal ends the run once the message being sent is recorded. */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int rc = messenger_run(c->s, &cfg, &o);
    memset(&cfg, 0, sizeof cfg);
    return rc == 0 ? 0 : 1;
}

const struct cmd_entry cmd_messenger_entry = {
    .name = "messenger", .summary = N_("send the outbox's e-mail and SMS from the shop's sender till"),
    .usage = N_(
        "Usage: tally messenger [--settings FILE] [--dry-run] [--once] [--poll-ms N]\n\n"
        "Sends the outbox's e-mail (SMTP) and SMS (an HTTP gateway) on the till named\n"
        "by 'tally program set messages.sender TILL'; run it there as a service\n"
        "(tally-messenger.service). Each message is sent once its turn comes, unless\n"
        "it has expired (messages.expire_days; a birthday message by the end of the\n"
        "birthday), the customer withdrew consent or opted out of the channel, or\n"
        "was sent messages.weekly_cap messages in 7 days: then it is recorded as\n"
        "expired or suppressed. Nothing goes in the quiet hours (messages.quiet_from\n"
        "to messages.quiet_to). A failed send is tried again later, each wait twice\n"
        "the last (retry_seconds first), and recorded as failed after\n"
        "messages.max_tries. With no network the messages wait. Delivery is\n"
        "at-least-once: a messenger killed while sending sends that batch again,\n"
        "with the same Message-ID, and records that it did.\n\n"
        "  --settings FILE  the mail server and SMS gateway (mode 0600): 'messenger'\n"
        "                   in tally.conf, else /etc/tally/messenger.conf\n"
        "  --dry-run        print what would go out now, send and record nothing\n"
        "  --once           one pass over what is due, then exit\n"
        "  --poll-ms N      how often to look at the outbox (default 2000)\n"),
    .options = "settings= dry-run once poll-ms=", .check = messenger_check, .store = CMD_OPEN, .run = messenger,
};
