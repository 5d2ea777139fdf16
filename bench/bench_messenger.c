/* bench_messenger.c - messages per second from tally messenger to a real
 * SMTP server on loopback (aiosmtpd with its Sink handler, which takes
 * every mail and keeps none), against libcurl sending the same mails in a
 * bare loop over one kept connection: the limit the server and libcurl
 * set. The messenger does everything it does in a shop - reads the due
 * messages, asks about each before it goes, renders it in the customer's
 * language, builds the MIME text, and records the batch as being sent and
 * then as sent (two fsyncs per batch of 50). Short rounds alternate
 * bare, messenger, bare ... with fresh messages each round, so a burst
 * of load from other processes falls on both sides alike; each side's
 * figure is its mails over its total time.
 *
 * Prints one line:
 *   messenger: N mails/s, bare libcurl M mails/s, ratio R (goal >= 0.80) ok
 * and exits 0 whatever the ratio; 1 only if it could not run. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "bench/bench.h"
#include "messenger/messenger.h"

#define ROUNDS 12
#define PER_ROUND 50            /* one batch of the messenger's */
#define GOAL 0.80

static pid_t server = -1;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("free port", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static bool answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* aiosmtpd from Debian's python3-aiosmtpd (a pyenv's python3 may lack it). */
static void start_server(int port)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "P=python3; $P -c 'import aiosmtpd' 2>/dev/null || P=/usr/bin/python3;"
             " exec $P -m aiosmtpd -n -l 127.0.0.1:%d -c aiosmtpd.handlers.Sink", port);
    server = fork();
    if (server == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !answers(port); i++)
        usleep(50000);
    if (!answers(port))
        die("aiosmtpd", "no SMTP server on loopback: install python3-aiosmtpd (scripts/deps.sh)");
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
        server = -1;
    }
}

static void fatal_stop(const char *what, const char *why)
{
    stop_server();
    die(what, why);
}

static store *shop(const char *path, char manager[STORE_ID_LEN + 1])
{
    char err[512];
    store *s = store_open(path, true, err, sizeof err);
    if (!s)
        fatal_stop("store_open", err);
    struct store_staff m;
    if (store_init_shop(s, "Kawiarnia Pod Lipą", "PLN") != 0 || store_staff_add(s, NULL, "M", ROLE_MANAGER, "1234", &m) != 0)
        fatal_stop("store setup", store_error(s));
    static const char *const SETTINGS[][2] = {
        { "messages.welcome", "1" }, { "messages.quiet_from", "0" }, { "messages.quiet_to", "0" },
        { "messages.weekly_cap", "0" }, { "messages.language", "pl" },
    };
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
        if (store_setting_set(s, m.id, SETTINGS[i][0], SETTINGS[i][1]) != 0)
            fatal_stop("settings", store_error(s));
    if (store_setting_set(s, m.id, "messages.sender", store_origin(s)) != 0)
        fatal_stop("sender", store_error(s));
    memcpy(manager, m.id, STORE_ID_LEN + 1);
    return s;
}

/* PER_ROUND new customers who agreed to e-mail: as many welcome mails queued. */
static void enrol(store *s, const char *manager, int round)
{
    for (int i = 0; i < PER_ROUND; i++) {
        char name[64], email[64], phone[16], card[16];
        snprintf(name, sizeof name, "Łucja Żak %d-%d", round, i);
        snprintf(email, sizeof email, "c%d.%d@example.pl", round, i);
        snprintf(phone, sizeof phone, "6%02d%06d", round, i);
        snprintf(card, sizeof card, "m%02d%05d", round, i);
        struct store_profile p = { .name = name, .email = email, .phone = phone, .card = card, .consent = 1,
                                   .consent_email = "yes" };
        struct store_customer c;
        if (store_customer_add(s, manager, &p, &c) != 0)
            fatal_stop("enrol", store_error(s));
    }
}

struct upload { const char *p; size_t len, at; };

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t k = size * n < u->len - u->at ? size * n : u->len - u->at;
    memcpy(buf, u->p + u->at, k);
    u->at += k;
    return k;
}

/* The bare loop: the same number of mails of the same size, prebuilt. */
static double bare_round(CURL *h, const struct messenger_config *cfg, int round)
{
    static char mails[PER_ROUND][4096];
    static int lens[PER_ROUND];
    char rcpt[PER_ROUND][72];
    for (int i = 0; i < PER_ROUND; i++) {
        char to[64], id[128];
        snprintf(to, sizeof to, "b%d.%d@example.pl", round, i);
        snprintf(rcpt[i], sizeof rcpt[i], "<%s>", to);
        messenger_message_id("bench", to, cfg->from, id, sizeof id);
        lens[i] = messenger_mime(cfg, "Kawiarnia Pod Lipą", to, "c0ffee", "c0ffee-0123456789abcdef0123", "pl", id, "Witamy w Kawiarnia Pod Lipą",
                                 "Cześć Łucja, witamy w klubie lojalnościowym Kawiarnia Pod Lipą! Masz 0 pkt."
                                 " Pokazuj kartę przy każdej wizycie.", 0, mails[i], sizeof mails[i]);
    }
    double t0 = now_s();
    for (int i = 0; i < PER_ROUND; i++) {
        struct curl_slist *r = curl_slist_append(NULL, rcpt[i]);
        struct upload u = { mails[i], (size_t)lens[i], 0 };
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, r);
        curl_easy_setopt(h, CURLOPT_READDATA, &u);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)lens[i]);
        CURLcode rc = curl_easy_perform(h);
        curl_slist_free_all(r);
        if (rc != CURLE_OK)
            fatal_stop("bare send", curl_easy_strerror(rc));
    }
    return PER_ROUND / (now_s() - t0);
}

static int count(const struct store_message *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

static int sent_count(store *s)
{
    struct store_message_filter f = { .status = MSG_SENT };
    int n = 0;
    return store_message_list(s, &f, count, &n) == 0 ? n : -1;
}

int main(void)
{
    const char *dir = bench_tmpdir("bench-messenger");
    int port = free_port();
    start_server(port);
    char path[8192], manager[STORE_ID_LEN + 1];
    snprintf(path, sizeof path, "%s/shop.db", dir);
    store *s = shop(path, manager);
    struct messenger_config cfg = { .smtp_port = port, .security = SEC_NONE, .timeout_seconds = 30,
                                    .retry_seconds = 60 };
    snprintf(cfg.smtp_host, sizeof cfg.smtp_host, "127.0.0.1");
    snprintf(cfg.from, sizeof cfg.from, "kawiarnia@example.pl");
    FILE *devnull = fopen("/dev/null", "w");
    struct messenger_options o = { .once = true, .poll_ms = 1000, .out = devnull };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<kawiarnia@example.pl>");
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);

    double bare_time = 0, mine_time = 0;
    for (int r = 0; r < ROUNDS; r++) {
        bare_time += PER_ROUND / bare_round(h, &cfg, r);
        enrol(s, manager, r);
        double t0 = now_s();
        if (messenger_run(s, &cfg, &o) != 0)
            fatal_stop("messenger", store_error(s));
        mine_time += now_s() - t0;
        if (sent_count(s) != PER_ROUND * (r + 1))
            fatal_stop("messenger", "not every message was sent");
    }
    curl_easy_cleanup(h);
    curl_global_cleanup();
    double mb = ROUNDS * PER_ROUND / bare_time, mm = ROUNDS * PER_ROUND / mine_time, ratio = mm / mb;
    printf("messenger: %.0f mails/s, bare libcurl %.0f mails/s, ratio %.2f (goal >= %.2f) %s\n", mm, mb, ratio, GOAL,
           ratio >= GOAL ? "ok" : "below goal");
    printf("  (%d rounds of %d mails each to aiosmtpd on loopback, alternating; %.2f s messenger, %.2f s bare)\n",
           ROUNDS, PER_ROUND, mine_time, bare_time);
    fclose(devnull);
    store_close(s);
    stop_server();
    bench_cleanup();
    return 0;
}
