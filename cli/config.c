/* config.c - the per-machine configuration file: what differs from one
 * till to the next rather than from one shop to the next (the shop's rules
 * are events, see 'tally program'). Command-line options win over the
 * environment, which wins over the file.
 *
 *     # /etc/tally/tally.conf
 *     db        = /var/lib/tally/tally.db
 *     camera    = /dev/video0
 *     wedge     = /dev/input/by-id/usb-Scanner-event-kbd
 *     lang      = pl
 *     listen    = 0.0.0.0:7070
 *     cards_dir = /var/lib/tally/cards
 *     card_logo = /etc/tally/logo.png
 *     messenger = /etc/tally/messenger.conf
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"

#define DEFAULT_CONFIG "/etc/tally/tally.conf"

static const char *const KEYS[] = { "db", "camera", "wedge", "lang", "listen", "cards_dir", "card_logo", "messenger", NULL };

/* The values live as long as the process. They are held here too (volatile:
 * the stores stay), so a leak checker finds them reachable after main returns. */
#define HELD_MAX 64
static char *volatile held[HELD_MAX];
static int nheld;

static char *hold(const char *value)
{
    char *copy = nheld < HELD_MAX ? strdup(value) : NULL;
    if (copy)
        held[nheld++] = copy;
    return copy;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int value_ok(const char *key, const char *v)
{
    if (!*v)
        return 0;
    if (strcmp(key, "lang") == 0)
        return strlen(v) >= 2 && isalpha((unsigned char)v[0]) && isalpha((unsigned char)v[1]);
    if (strcmp(key, "listen") == 0) {
        const char *colon = strrchr(v, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        return colon && colon != v && *end == '\0' && port > 0 && port < 65536;
    }
    return v[0] == '/';     /* paths are absolute: services start anywhere */
}

int cli_config_load(struct cli *c, const char *path)
{
    bool given = path != NULL;
    if (!path)
        path = getenv("TALLY_CONFIG");
    if (path && *path)
        given = true;
    else
        path = DEFAULT_CONFIG;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!given && errno == ENOENT)
            return 0;       /* no file: nothing per machine to set */
        return cli_fail(_("cannot read the configuration %s: %s"), path, strerror(errno));
    }
    char line[4096];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char *p = trim(line);
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            bad = cli_fail(_("%s, line %d: expected 'key = value'"), path, n);
            continue;
        }
        *eq = '\0';
        char *key = trim(p), *value = trim(eq + 1);
        int k;
        for (k = 0; KEYS[k] && strcmp(KEYS[k], key) != 0; k++)
            ;
        if (!KEYS[k]) {
            bad = cli_fail(_("%s, line %d: unknown key '%s' (known: db, camera, wedge, lang, listen, cards_dir, card_logo, messenger)"), path, n, key);
            continue;
        }
        if (!value_ok(key, value)) {
            bad = cli_fail(_("%s, line %d: '%s' is not a good value for %s"), path, n, value, key);
            continue;
        }
        char *copy = hold(value);
        if (!copy) {
            fclose(f);
            return cli_fail(_("out of memory"));
        }
        const char **slot = k == 0 ? &c->conf.db : k == 1 ? &c->conf.camera : k == 2 ? &c->conf.wedge
                          : k == 3 ? &c->conf.lang : k == 4 ? &c->conf.listen
                          : k == 5 ? &c->conf.cards_dir : k == 6 ? &c->conf.card_logo : &c->conf.messenger;
        *slot = copy;
    }
    fclose(f);
    return bad;
}
