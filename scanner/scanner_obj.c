/* scanner_obj.c - the scanner object: a reading thread, a small queue and
 * a pipe that tells the consumer's main loop when the queue has events.
 *
 * The pipe holds one byte exactly while the queue is not empty (written
 * when the first event goes in, drained when the last comes out, both
 * under the lock), so poll() wakes the loop once per batch and never
 * spins. The queue is bounded: an image source waits for room rather than
 * drop a code; the camera will drop old frames instead. */
#include "scanner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"

#define QUEUE_LEN 32
#define RECENT 16   /* distinct codes remembered for the dedupe window */

struct recent {
    bool used;
    int64_t seen;       /* monotonic ms of the last sighting */
    size_t len;
    char text[SCAN_TEXT_MAX];
};

struct scanner {
    pthread_t thread;
    bool started;
    int pipe_r, pipe_w;
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* room in the queue, or closing */
    bool closing;
    struct scan_event queue[QUEUE_LEN];
    size_t head, count;
    struct scanner_opts opts;
    /* Owned by the thread once it runs. */
    char **paths;
    size_t npaths;
    scan_decoder *dec;
    struct recent recent[RECENT];
};

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- delivery ---------------------------------------------------------------- */

/* Queues ev, waiting for room; -1 if the scanner is closing. */
static int push(scanner *sc, const struct scan_event *ev)
{
    pthread_mutex_lock(&sc->lock);
    while (sc->count == QUEUE_LEN && !sc->closing)
        pthread_cond_wait(&sc->wake, &sc->lock);
    if (sc->closing) {
        pthread_mutex_unlock(&sc->lock);
        return -1;
    }
    sc->queue[(sc->head + sc->count) % QUEUE_LEN] = *ev;
    if (sc->count++ == 0) {
        ssize_t w;
        do
            w = write(sc->pipe_w, "!", 1);
        while (w < 0 && errno == EINTR);
    }
    pthread_mutex_unlock(&sc->lock);
    return 0;
}

int scanner_next(scanner *sc, struct scan_event *ev)
{
    pthread_mutex_lock(&sc->lock);
    if (sc->count == 0) {
        pthread_mutex_unlock(&sc->lock);
        return 0;
    }
    *ev = sc->queue[sc->head];
    sc->head = (sc->head + 1) % QUEUE_LEN;
    if (--sc->count == 0) {
        char buf[16];
        for (;;) {
            ssize_t r = read(sc->pipe_r, buf, sizeof buf);
            if (r > 0 || (r < 0 && errno == EINTR))
                continue;
            break;
        }
    }
    pthread_cond_broadcast(&sc->wake);
    pthread_mutex_unlock(&sc->lock);
    return 1;
}

int scanner_fd(const scanner *sc)
{
    return sc->pipe_r;
}

static int push_simple(scanner *sc, enum scan_kind kind, const char *source, const char *text)
{
    struct scan_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.when = clock_ms(CLOCK_REALTIME);
    snprintf(ev.source, sizeof ev.source, "%s", source);
    snprintf(ev.text, sizeof ev.text, "%s", text);
    ev.len = strlen(ev.text);
    return push(sc, &ev);
}

/* Was this text seen within the window? Every sighting restarts the
 * window, so a card lying under the camera is one scan however long it
 * lies there. */
static bool seen_recently(scanner *sc, const char *text, size_t len, int64_t now)
{
    size_t keep = len < SCAN_TEXT_MAX ? len : SCAN_TEXT_MAX - 1;
    struct recent *oldest = &sc->recent[0];
    for (int i = 0; i < RECENT; i++) {
        struct recent *r = &sc->recent[i];
        if (r->used && r->len == len && memcmp(r->text, text, keep) == 0) {
            bool dup = now - r->seen < sc->opts.window_ms;
            r->seen = now;
            return dup;
        }
        if (!r->used || (oldest->used && r->seen < oldest->seen))
            oldest = r;
    }
    oldest->used = true;
    oldest->seen = now;
    oldest->len = len;
    memcpy(oldest->text, text, keep);
    return false;
}

struct frame_ctx { scanner *sc; const char *source; };

static void on_symbol(const char *text, size_t len, void *arg)
{
    struct frame_ctx *f = arg;
    if (seen_recently(f->sc, text, len, clock_ms(CLOCK_MONOTONIC)))
        return;
    struct scan_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SCAN_CODE;
    ev.when = clock_ms(CLOCK_REALTIME);
    snprintf(ev.source, sizeof ev.source, "%s", f->source);
    ev.truncated = len >= SCAN_TEXT_MAX;
    ev.len = ev.truncated ? SCAN_TEXT_MAX - 1 : len;
    memcpy(ev.text, text, ev.len);
    push(f->sc, &ev);
}

/* --- the image source ------------------------------------------------------------ */

/* Sleeps ms, or less if the scanner is closing; false when closing. */
static bool pause_ms(scanner *sc, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);   /* the clock of sc->wake */
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&sc->lock);
    while (!sc->closing && pthread_cond_timedwait(&sc->wake, &sc->lock, &until) != ETIMEDOUT)
        continue;
    bool open = !sc->closing;
    pthread_mutex_unlock(&sc->lock);
    return open;
}

static int scan_file(scanner *sc, const char *path, bool *first)
{
    if (!*first && sc->opts.interval_ms > 0 && !pause_ms(sc, sc->opts.interval_ms))
        return -1;
    *first = false;
    struct scan_image img;
    char err[SCAN_TEXT_MAX];
    if (scan_image_load(path, &img, err, sizeof err) != 0)
        return push_simple(sc, SCAN_ERROR, path, err);
    struct frame_ctx f = { sc, path };
    int n = scan_decode(sc->dec, img.grey, img.width, img.height, on_symbol, &f);
    scan_image_free(&img);
    if (n < 0) {
        snprintf(err, sizeof err, _("cannot read %s: %s"), path, _("the QR decoder failed"));
        return push_simple(sc, SCAN_ERROR, path, err);
    }
    return n == 0 ? push_simple(sc, SCAN_NOTHING, path, "") : 0;
}

static bool is_image_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' &&
           (strcasecmp(name + n - 4, ".png") == 0 || strcasecmp(name + n - 4, ".pgm") == 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every image in dir, in name order. */
static int scan_dir(scanner *sc, const char *dir, bool *first)
{
    char err[SCAN_TEXT_MAX];
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, sizeof err, _("cannot read %s: %s"), dir, strerror(errno));
        return push_simple(sc, SCAN_ERROR, dir, err);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    for (struct dirent *e; !oom && (e = readdir(d));) {
        if (!is_image_name(e->d_name))
            continue;
        char **grown = n == cap ? realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names) : names;
        char *path = grown ? malloc(strlen(dir) + strlen(e->d_name) + 2) : NULL;
        if (grown)
            names = grown;
        if (!path) {
            oom = true;
            break;
        }
        sprintf(path, "%s/%s", dir, e->d_name);
        names[n++] = path;
    }
    closedir(d);
    int rc = 0;
    if (oom) {
        snprintf(err, sizeof err, _("cannot read %s: %s"), dir, _("out of memory"));
        rc = push_simple(sc, SCAN_ERROR, dir, err);
    } else if (n == 0) {
        snprintf(err, sizeof err, _("%s holds no .png or .pgm images"), dir);
        rc = push_simple(sc, SCAN_ERROR, dir, err);
    } else {
        qsort(names, n, sizeof *names, by_name);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = scan_file(sc, names[i], first);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void *image_thread(void *arg)
{
    scanner *sc = arg;
    bool first = true;
    int rc = 0;
    for (size_t i = 0; i < sc->npaths && rc == 0; i++) {
        struct stat st;
        if (stat(sc->paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = scan_dir(sc, sc->paths[i], &first);
        else
            rc = scan_file(sc, sc->paths[i], &first);
    }
    if (rc == 0)
        push_simple(sc, SCAN_END, "", "");
    return NULL;
}

/* --- life cycle ------------------------------------------------------------------ */

static scanner *scanner_new(const struct scanner_opts *opts)
{
    scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->pipe_r = sc->pipe_w = -1;
    sc->opts = opts ? *opts : (struct scanner_opts){ .window_ms = SCAN_WINDOW_MS };
    pthread_mutex_init(&sc->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sc->wake, &attr);
    pthread_condattr_destroy(&attr);
    int p[2];
    if (pipe(p) != 0) {
        scanner_close(sc);
        return NULL;
    }
    sc->pipe_r = p[0];
    sc->pipe_w = p[1];
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    sc->dec = scan_decoder_new();
    if (!sc->dec) {
        scanner_close(sc);
        return NULL;
    }
    return sc;
}

scanner *scanner_open_images(const char *const *paths, size_t n,
                             const struct scanner_opts *opts, char *err, size_t errsz)
{
    scanner *sc = scanner_new(opts);
    if (sc && n > 0)
        sc->paths = calloc(n, sizeof *sc->paths);
    bool ok = sc && (n == 0 || sc->paths);
    for (size_t i = 0; ok && i < n; i++)
        ok = (sc->paths[sc->npaths++] = strdup(paths[i])) != NULL;
    int rc = ok ? pthread_create(&sc->thread, NULL, image_thread, sc) : ENOMEM;
    if (rc != 0) {
        if (err && errsz)
            snprintf(err, errsz, _("cannot start the scanner: %s"), strerror(rc));
        scanner_close(sc);
        return NULL;
    }
    sc->started = true;
    return sc;
}

void scanner_close(scanner *sc)
{
    if (!sc)
        return;
    if (sc->started) {
        pthread_mutex_lock(&sc->lock);
        sc->closing = true;
        pthread_cond_broadcast(&sc->wake);
        pthread_mutex_unlock(&sc->lock);
        pthread_join(sc->thread, NULL);
    }
    for (size_t i = 0; i < sc->npaths; i++)
        free(sc->paths[i]);
    free(sc->paths);
    scan_decoder_free(sc->dec);
    if (sc->pipe_r >= 0)
        close(sc->pipe_r);
    if (sc->pipe_w >= 0)
        close(sc->pipe_w);
    pthread_cond_destroy(&sc->wake);
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}
