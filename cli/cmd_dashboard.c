/* cmd_dashboard.c - tally dashboard: the manager's screen. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "tui/tui.h"

int cmd_dashboard(struct cli *c, int argc, char **argv)
{
    const char *pos[1], *from = NULL, *to = NULL, *period = NULL, *last = NULL, *till = NULL;
    const struct opt opts[] = { { "from", &from, NULL }, { "to", &to, NULL },
                                { "period", &period, NULL }, { "last", &last, NULL },
                                { "till", &till, NULL }, { 0 } };
    const char *usage = N_("Usage: tally dashboard [--period P | --last 30d | --from DATE [--to DATE]]\n"
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
        "back, q quits.\n");
    int n = cli_parse(c, argc, argv, opts, pos, 1, usage);
    if (n < 0)
        return 2;
    if (n > 0)
        return cli_fail(_("unexpected argument '%s'; see 'tally dashboard --help'"), pos[0]), 2;
    if (cli_open(c, false) != 0 || cli_login(c, true) != 0)
        return 1;
    struct dashboard_options o = { .lang = c->lang, .till = till && *till ? till : NULL };
    if (store_period_parse(c->s, from, to, period, last, &o.period) != 0)
        return cli_store_fail(c), 2;
    return dashboard_run(c->s, &o);
}
