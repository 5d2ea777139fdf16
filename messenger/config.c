/* config.c - the sender's settings file (see messenger.h). It holds a
 * password and a token, so a file that anyone but its owner may read or
 * write is refused, as ssh refuses a key others can read. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "messenger.h"

static int config_fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int config_fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static char *config_trim(char *s)
{
    s += strspn(s, " \t\r\n");
    char *end = s + strlen(s);
    while (end > s && strchr(" \t\r\n", end[-1]))
        *--end = '\0';
    return s;
}

static bool config_number(const char *v, int min, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return false;
    *out = (int)n;
    return true;
}

/* One key's value; false if the value is bad for it. */
static bool set(struct messenger_config *c, const char *key, const char *v, bool *known)
{
    struct { const char *key; char *slot; } TEXTS[] = {
        { "smtp_host", c->smtp_host }, { "smtp_user", c->smtp_user }, { "smtp_password", c->smtp_password },
        { "from", c->from }, { "unsubscribe", c->unsubscribe }, { "sms_url", c->sms_url },
        { "sms_token", c->sms_token }, { "sms_body", c->sms_body }, { "sms_header", c->sms_header },
        { "ca_file", c->ca_file },
    };
    *known = true;
    for (size_t i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++)
        if (strcmp(key, TEXTS[i].key) == 0) {
            snprintf(TEXTS[i].slot, MESSENGER_TEXT_MAX, "%s", v);
            if (strcmp(key, "from") == 0)
                return strchr(v, '@') && !strpbrk(v, " <>\"");
            if (strcmp(key, "sms_url") == 0)
                return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0;
            if (strcmp(key, "ca_file") == 0)
                return access(v, R_OK) == 0;
            return true;
        }
    if (strcmp(key, "smtp_port") == 0)
        return config_number(v, 1, 65535, &c->smtp_port);
    if (strcmp(key, "timeout_seconds") == 0)
        return config_number(v, 1, 600, &c->timeout_seconds);
    if (strcmp(key, "retry_seconds") == 0)
        return config_number(v, 1, 86400, &c->retry_seconds);
    if (strcmp(key, "smtp_security") == 0) {
        c->security = strcmp(v, "tls") == 0 ? SEC_TLS : strcmp(v, "none") == 0 ? SEC_NONE : SEC_STARTTLS;
        return strcmp(v, "tls") == 0 || strcmp(v, "none") == 0 || strcmp(v, "starttls") == 0;
    }
    if (strcmp(key, "sms_format") == 0) {
        c->sms_json = strcmp(v, "json") == 0;
        return strcmp(v, "json") == 0 || strcmp(v, "form") == 0;
    }
    *known = false;
    return false;
}

int messenger_config_load(const char *path, struct messenger_config *cfg, char *err, size_t errsz)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_seconds = 30;
    cfg->retry_seconds = 60;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return config_fail(err, errsz, _("cannot read the messenger's settings %s: %s"), path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return config_fail(err, errsz, _("%s is not a file"), path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return config_fail(err, errsz, _("%s holds a password, and others may read or change it: chmod 600 %s"), path, path);
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return config_fail(err, errsz, "%s: %s", path, strerror(errno));
    }
    char line[2048];
    int n = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        n++;
        char *p = config_trim(line), *eq = strchr(p, '=');
        if (!*p || *p == '#')
            continue;
        if (!eq) {
            rc = config_fail(err, errsz, _("%s, line %d: expected 'key = value'"), path, n);
            break;
        }
        *eq = '\0';
        char *key = config_trim(p), *value = config_trim(eq + 1);
        bool known = true;
        if (strlen(value) >= MESSENGER_TEXT_MAX || !set(cfg, key, value, &known))
            rc = known ? config_fail(err, errsz, _("%s, line %d: '%s' is not a good value for %s"), path, n, value, key)
                       : config_fail(err, errsz, _("%s, line %d: unknown key '%s'"), path, n, key);
    }
    fclose(f);
    if (rc == 0 && cfg->smtp_host[0] && !cfg->from[0])
        rc = config_fail(err, errsz, _("%s: give 'from', the address e-mail is sent from"), path);
    if (rc == 0 && cfg->sms_url[0] && !cfg->sms_body[0])
        rc = config_fail(err, errsz, _("%s: give 'sms_body', the gateway's request with {to} and {text}"), path);
    if (rc == 0 && !cfg->smtp_host[0] && !cfg->sms_url[0])
        rc = config_fail(err, errsz, _("%s: give smtp_host (e-mail), sms_url (SMS) or both"), path);
    return rc;
}
