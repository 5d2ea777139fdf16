/* log.c - the daemon's log: one line per message on stderr, prefixed with
 * its syslog level the way systemd's journal reads it ("<3>tally-syncd:
 * ..."), so the same output works in a terminal and as a service. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "sync/sync.h"

static int max_level = LOG_INFO;

void sync_log_level(int level) { max_level = level; }

void sync_log(int level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (max_level >= LOG_DEBUG) {   /* with --verbose: times, to the millisecond */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        fprintf(stderr, "<%d>tally-syncd: %ld.%03ld %s\n", level, (long)ts.tv_sec % 100000,
                ts.tv_nsec / 1000000, line);
        return;
    }
    fprintf(stderr, "<%d>tally-syncd: %s\n", level, line);
}
