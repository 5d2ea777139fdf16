/* log.c - the log of every tally process: syncd, the kiosk and the tally
 * command.
 *
 * Every message goes to syslog (openlog with LOG_PID; facility LOG_DAEMON
 * for syncd) under a clear identity: "tally-syncd", "tally-kiosk" or
 * "tally". It also goes to stderr: on a terminal as "tally-syncd: warning:
 * ..." for a person at the counter; otherwise as "<4>tally-syncd: ...",
 * the syslog level in the form systemd's journal reads. When stderr *is*
 * the journal (systemd sets $JOURNAL_STREAM), only stderr is used, as
 * "<4>...", so no line is written twice; the units name the identity
 * (SyslogIdentifier=).
 *
 * Debug messages (LOG_DEBUG) appear only with --verbose.
 *
 * Nothing personal is logged: call sites name tills, shops, addresses and
 * counts, never a customer. As a last guard, a phone-like number (9 or more
 * digits standing alone) and an e-mail-like word are masked here. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

static int max_level = LOG_INFO;
static const char *ident = "tally-syncd";
static int facility = LOG_DAEMON;
static bool opened;
static int to_syslog;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void log_open(void);

void log_set_level(int level) { max_level = level; }

/* Called once, before any thread logs (main, before the command runs). */
void log_set_ident(const char *name, int fac)
{
    ident = name;
    facility = fac;
    if (opened) {
        closelog();
        openlog(ident, LOG_PID | LOG_NDELAY, facility);
    } else {
        pthread_once(&once, log_open);
    }
}

/* Is stderr the journal? $JOURNAL_STREAM is "DEVICE:INODE" of its stream. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat sb;
    unsigned long long dev, ino;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &sb) != 0)
        return false;
    return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return _("error");
    case LOG_WARNING: return _("warning");
    case LOG_NOTICE: return _("notice");
    case LOG_INFO: return _("info");
    default: return _("debug");
    }
}

/* Masks phone numbers (9+ digits alone, maybe with a leading '+') and
 * words holding an '@' (e-mail addresses), in place. */
static void scrub(char *line)
{
    char *p = line;
    while (*p) {
        bool start = p == line || !isalnum((unsigned char)p[-1]);
        if (start && (isdigit((unsigned char)*p) || (*p == '+' && isdigit((unsigned char)p[1])))) {
            char *q = p + (*p == '+');
            while (isdigit((unsigned char)*q))
                q++;
            if (q - p >= 9 && !isalnum((unsigned char)*q)) {
                memset(p, '#', (size_t)(q - p));
            }
            p = q;
            continue;
        }
        if (*p == '@') {
            char *a = p, *b = p;
            while (a > line && !isspace((unsigned char)a[-1]) && a[-1] != '"' && a[-1] != '(')
                a--;
            while (*b && !isspace((unsigned char)*b) && *b != '"' && *b != ')')
                b++;
            if (a < p && b > p + 1 && memchr(p, '.', (size_t)(b - p)))
                memset(a, '#', (size_t)(b - a));
            p = b;
            continue;
        }
        p++;
    }
}

static void log_open(void)
{
    to_syslog = !stderr_is_journal();
    if (to_syslog && !opened) {
        openlog(ident, LOG_PID | LOG_NDELAY, facility);
        opened = true;
    }
}

void log_write(int level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    scrub(line);
    pthread_once(&once, log_open);
    if (to_syslog)
        syslog(level, "%s", line);
    char when[32] = "";
    if (max_level >= LOG_DEBUG) {   /* with --verbose: times, to the millisecond */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(when, sizeof when, "%ld.%03ld ", (long)ts.tv_sec % 100000, ts.tv_nsec / 1000000);
    }
    if (!to_syslog)     /* the journal: it knows the name (SyslogIdentifier=) */
        fprintf(stderr, "<%d>%s%s\n", level, when, line);
    else if (isatty(STDERR_FILENO))
        fprintf(stderr, "%s: %s: %s%s\n", ident, level_name(level), when, line);
    else
        fprintf(stderr, "<%d>%s: %s%s\n", level, ident, when, line);
}
