/* cmd_dashboard.c - tally dashboard: the manager's screen. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "tui/tui.h"

static int dashboard_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (a->n > 0)
        return cli_fail(_("unexpected argument '%s'; see 'tally dashboard --help'"), a->pos[0]), 2;
    return 0;
}

static int dashboard(struct cli *c, struct cmd_args *a)
{
    const char *till = cmd_opt(a, "till");
    struct dashboard_options o = { .lang = c->lang, .till = till && *till ? till : NULL };
    if (store_period_parse(c->s, cmd_opt(a, "from"), cmd_opt(a, "to"), cmd_opt(a, "period"), cmd_opt(a, "last"),
                           &o.period) != 0)
        return cli_store_fail(c), 2;
    return dashboard_run(c->s, &o);
}

const struct cmd_entry cmd_dashboard_entry = {
    .name = "dashboard", .summary = N_("the manager's screen: figures, visits, segments, at-risk members"),
    .usage = N_("Usage: tally dashboard [--period P | --last 30d | --from DATE [--to DATE]]\n"
        "                       [--till ID]\n\n"
        "The manager's screen, for 80x24 or larger, in colour or not: the headline\n"
        "figures with their change against the previous period of the same length,\n"
        "visits per day, what became of the period's messages, the campaigns that ran\n"
        "in it, segments, tiers, the rewards used most and the members at risk. A\n"
        "manager logs in first. The period is as in 'tally report' (default: the last\n"
        "30 days). It reloads by itself soon after a till records something. Keys:\n"
        "Left/Right or [ ] move the period back and forward by its length; 1, 7, 3\n"
        "and Y show the last day, 7 days, 30 days or year; Tab moves between\n"
        "sections, Up/Down choose a segment, Enter shows a section in full, Esc goes\n"
        "back, q quits.\n"),
    /* one positional is taken, to be named in the error --help would not reach */
    .options = "from= to= period= last= till=", .max = 1, .check = dashboard_check,
    .store = CMD_OPEN, .login = CMD_MANAGER, .run = dashboard,
};
