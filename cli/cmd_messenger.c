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

int cmd_messenger(struct cli *c, int argc, char **argv)
{
    static const char USAGE[] = N_(
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
        "  --poll-ms N      how often to look at the outbox (default 2000)\n");
    const char *settings = NULL, *poll = NULL;
    bool dry_run = false, once = false;
    const struct opt opts[] = {
        { "settings", &settings, NULL }, { "dry-run", NULL, &dry_run }, { "once", NULL, &once },
        { "poll-ms", &poll, NULL }, { 0 } };
    if (cli_parse(c, argc, argv, opts, NULL, 0, USAGE) < 0)
        return 2;
    struct messenger_options o = { .dry_run = dry_run, .once = once, .poll_ms = 2000,
                                   .stop = &stop_requested, .out = stdout };
    if (poll && ((o.poll_ms = atoi(poll)) < 10 || o.poll_ms > 600000))
        return cli_fail(_("--poll-ms is between 10 and 600000")), 2;
    o.config_path = settings ? settings : c->conf.messenger ? c->conf.messenger : DEFAULT_SETTINGS;
    static struct messenger_config cfg;     /* holds the password: not on the stack */
    char err[1024];
    if (messenger_config_load(o.config_path, &cfg, err, sizeof err) != 0)
        return cli_fail("%s", err);
    if (cli_open(c, false) != 0)
        return 1;
    /* A signal ends the run once the message being sent is recorded. */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int rc = messenger_run(c->s, &cfg, &o);
    memset(&cfg, 0, sizeof cfg);
    return rc == 0 ? 0 : 1;
}
