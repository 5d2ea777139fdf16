/* scanner_obj.c - the scanner object: its sources' threads, a small
 * queue and a pipe that tells the consumer's main loop when the queue has
 * events.
 *
 * The pipe holds one byte exactly while the queue is not empty (written
 * when the first event goes in, drained when the last comes out, both
 * under the lock), so poll() wakes the loop once per batch and never
 * spins. The queue is bounded: a source waits for room rather than drop a
 * code. The camera pipeline is where frames are dropped instead: one slot
 * holds the newest frame not yet decoded, and a frame handed in while the
 * decode thread is busy replaces the one waiting there.
 *
 * Threads: one reads the image files; the camera has a capture thread
 * (camera.c) and a decode thread (here); the wedge has one (wedge.c).
 * Each has its own decoder. A second pipe, written once on close, wakes
 * every thread that waits in poll(). */
#include "scanner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "source.h"
#include "util/util.h"

#define QUEUE_LEN 32
#define RECENT 16   /* distinct codes remembered for the dedupe window */
#define MAX_THREADS 4

struct recent {
    bool used;
    int64_t seen;       /* monotonic ms of the last sighting */
    size_t len;
    char text[SCAN_TEXT_MAX];
};

/* A frame in the camera pipeline, in a buffer it owns. */
struct slot {
    unsigned char *buf;
    size_t cap;
    struct scan_frame f;
};

struct scanner {
    pthread_t threads[MAX_THREADS];
    int nthreads;
    int pipe_r, pipe_w;
    int stop_r, stop_w;     /* readable once closing */
    pthread_mutex_t lock;   /* the queue, dedupe, states, closing */
    pthread_cond_t wake;    /* room in the queue, or closing */
    bool closing;
    struct scan_event queue[QUEUE_LEN];
    size_t head, count;
    struct scanner_opts opts;
    struct recent recent[RECENT];
    enum scan_state state[SCAN_SRC_COUNT];
    char failure[SCAN_SRC_COUNT][SCAN_TEXT_MAX];  /* the last failure reported */
    int live;               /* sources that can end and have not */
    struct scanner_stats stats;
    /* Image source: owned by its thread once it runs. */
    char **paths;
    size_t npaths;
    scan_decoder *dec;
    /* Camera and wedge. */
    char *camera, *wedge;
    /* Camera pipeline: the slot and the decode thread. */
    bool pipeline;
    pthread_mutex_t flock;  /* pending, full, stats.frames/decoded/dropped/bad */
    pthread_cond_t fwake;   /* a frame is waiting, or closing */
    bool fclosing, full;
    struct slot pending, work;
    scan_decoder *fdec;
};

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
 * lies there. Called with the lock held. */
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

void src_text(scanner *sc, const char *source, const char *text, size_t len, bool truncated)
{
    pthread_mutex_lock(&sc->lock);
    bool dup = seen_recently(sc, text, len, clock_ms(CLOCK_MONOTONIC));
    pthread_mutex_unlock(&sc->lock);
    if (dup)
        return;
    struct scan_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SCAN_CODE;
    ev.when = clock_ms(CLOCK_REALTIME);
    snprintf(ev.source, sizeof ev.source, "%s", source);
    ev.truncated = truncated || len >= SCAN_TEXT_MAX;
    ev.len = len >= SCAN_TEXT_MAX ? SCAN_TEXT_MAX - 1 : len;
    memcpy(ev.text, text, ev.len);
    push(sc, &ev);
}

struct frame_ctx { scanner *sc; const char *source; };

static void on_symbol(const char *text, size_t len, void *arg)
{
    struct frame_ctx *f = arg;
    src_text(f->sc, f->source, text, len, false);
}

/* --- sources' states ---------------------------------------------------------- */

const char *src_path(scanner *sc, enum scan_source src)
{
    return src == SCAN_SRC_CAMERA ? sc->camera : src == SCAN_SRC_WEDGE ? sc->wedge : NULL;
}

int src_retry_ms(scanner *sc)
{
    return sc->opts.retry_ms > 0 ? sc->opts.retry_ms : SCAN_RETRY_MS;
}

int src_stop_fd(scanner *sc)
{
    return sc->stop_r;
}

bool src_wait(scanner *sc, int ms)
{
    struct pollfd p = { .fd = sc->stop_r, .events = POLLIN };
    int64_t until = clock_ms(CLOCK_MONOTONIC) + ms;
    for (;;) {
        int64_t left = until - clock_ms(CLOCK_MONOTONIC);
        int r = poll(&p, 1, left > 0 ? (int)left : 0);
        if (r > 0)
            return false;
        if (r == 0 || errno != EINTR)
            return true;
    }
}

void src_tried(scanner *sc, enum scan_source src)
{
    pthread_mutex_lock(&sc->lock);
    if (src == SCAN_SRC_CAMERA)
        sc->stats.camera_tries++;
    else if (src == SCAN_SRC_WEDGE)
        sc->stats.wedge_tries++;
    pthread_mutex_unlock(&sc->lock);
}

void src_on(scanner *sc, enum scan_source src, const char *note)
{
    pthread_mutex_lock(&sc->lock);
    sc->state[src] = SCAN_STATE_ON;
    sc->failure[src][0] = '\0';
    pthread_mutex_unlock(&sc->lock);
    push_simple(sc, SCAN_STATUS, src_path(sc, src), note);
}

void src_failed(scanner *sc, enum scan_source src, enum scan_state st, const char *why)
{
    pthread_mutex_lock(&sc->lock);
    sc->state[src] = st;
    bool again = strcmp(sc->failure[src], why) == 0;
    snprintf(sc->failure[src], sizeof sc->failure[src], "%s", why);
    pthread_mutex_unlock(&sc->lock);
    if (again)
        return;
    char msg[SCAN_TEXT_MAX];
    int ms = src_retry_ms(sc);
    /* TRANSLATORS: %s is why a camera or wedge scanner cannot be used,
       e.g. "camera /dev/video0 unplugged: plug it back in". */
    snprintf(msg, sizeof msg, _("%s; retrying every %d s"), why, ms < 1000 ? 1 : (ms + 500) / 1000);
    push_simple(sc, SCAN_ERROR, src_path(sc, src), msg);
}

/* One source fewer that can end; the end of all when none is left and no
 * camera pipeline runs (it never ends). */
static void source_ended(scanner *sc)
{
    pthread_mutex_lock(&sc->lock);
    bool end = --sc->live == 0 && !sc->pipeline;
    pthread_mutex_unlock(&sc->lock);
    if (end)
        push_simple(sc, SCAN_END, "", "");
}

void src_done(scanner *sc, enum scan_source src)
{
    pthread_mutex_lock(&sc->lock);
    sc->state[src] = SCAN_STATE_DONE;
    pthread_mutex_unlock(&sc->lock);
    source_ended(sc);
}

enum scan_state scanner_state(scanner *sc, enum scan_source src)
{
    if (!sc || (unsigned)src >= SCAN_SRC_COUNT)
        return SCAN_STATE_OFF;
    pthread_mutex_lock(&sc->lock);
    enum scan_state st = sc->state[src];
    pthread_mutex_unlock(&sc->lock);
    return st;
}

static const char *const STATUS[SCAN_SRC_COUNT][SCAN_STATE_DONE + 1] = {
    [SCAN_SRC_IMAGES] = {
        [SCAN_STATE_STARTING] = N_("reading images"), [SCAN_STATE_ON] = N_("reading images"),
        [SCAN_STATE_MISSING] = N_("reading images"), [SCAN_STATE_BUSY] = N_("reading images"),
        [SCAN_STATE_FAILED] = N_("reading images"), [SCAN_STATE_DONE] = N_("images read"),
    },
    [SCAN_SRC_CAMERA] = {
        [SCAN_STATE_STARTING] = N_("camera starting"), [SCAN_STATE_ON] = N_("camera on"),
        [SCAN_STATE_MISSING] = N_("camera missing"), [SCAN_STATE_BUSY] = N_("camera busy"),
        [SCAN_STATE_FAILED] = N_("camera unusable"), [SCAN_STATE_DONE] = N_("camera off"),
    },
    [SCAN_SRC_WEDGE] = {
        [SCAN_STATE_STARTING] = N_("wedge starting"), [SCAN_STATE_ON] = N_("wedge on"),
        [SCAN_STATE_MISSING] = N_("wedge missing"), [SCAN_STATE_BUSY] = N_("wedge busy"),
        [SCAN_STATE_FAILED] = N_("wedge unusable"), [SCAN_STATE_DONE] = N_("wedge input ended"),
    },
};

const char *scanner_status(scanner *sc, char *buf, size_t n)
{
    if (!buf || n == 0)
        return "";
    char list[256] = "";
    size_t used = 0;
    bool retrying = false;
    static const enum scan_source ORDER[] = { SCAN_SRC_CAMERA, SCAN_SRC_WEDGE, SCAN_SRC_IMAGES };
    for (size_t i = 0; sc && i < sizeof ORDER / sizeof ORDER[0]; i++) {
        enum scan_source src = ORDER[i];
        enum scan_state st = scanner_state(sc, src);
        if (st == SCAN_STATE_OFF || used >= sizeof list)
            continue;
        retrying |= st == SCAN_STATE_MISSING || st == SCAN_STATE_BUSY || st == SCAN_STATE_FAILED;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", _(STATUS[src][st]));
        used += w > 0 ? (size_t)w : 0;
    }
    /* TRANSLATORS: %s lists sources that failed and are tried again, e.g.
       "camera missing, wedge on; retrying". */
    snprintf(buf, n, retrying ? _("%s; retrying") : "%s", list);
    return buf;
}

void scanner_stats(scanner *sc, struct scanner_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    out->camera_tries = sc->stats.camera_tries;
    out->wedge_tries = sc->stats.wedge_tries;
    pthread_mutex_unlock(&sc->lock);
    pthread_mutex_lock(&sc->flock);
    out->frames = sc->stats.frames;
    out->decoded = sc->stats.decoded;
    out->dropped = sc->stats.dropped;
    out->bad = sc->stats.bad;
    pthread_mutex_unlock(&sc->flock);
}

/* --- the camera pipeline ---------------------------------------------------------- */

int scanner_frame(scanner *sc, const struct scan_frame *f)
{
    if (!sc || !sc->pipeline)
        return -1;
    bool valid = scan_frame_valid(f);
    pthread_mutex_lock(&sc->flock);
    if (!valid || sc->fclosing) {
        sc->stats.bad += !valid;
        pthread_mutex_unlock(&sc->flock);
        return -1;
    }
    if (f->len > sc->pending.cap) {
        unsigned char *b = realloc(sc->pending.buf, f->len);
        if (!b) {
            pthread_mutex_unlock(&sc->flock);
            return -1;
        }
        sc->pending.buf = b;
        sc->pending.cap = f->len;
    }
    memcpy(sc->pending.buf, f->data, f->len);
    sc->pending.f = *f;
    sc->pending.f.data = sc->pending.buf;
    int dropped = sc->full;
    sc->stats.dropped += (uint64_t)dropped;
    sc->stats.frames++;
    sc->full = true;
    pthread_cond_signal(&sc->fwake);
    pthread_mutex_unlock(&sc->flock);
    return dropped;
}

/* Scans the newest frame handed in, one at a time, until closing. */
static void *decode_thread(void *arg)
{
    scanner *sc = arg;
    const char *source = sc->camera ? sc->camera : "frames";
    for (;;) {
        pthread_mutex_lock(&sc->flock);
        while (!sc->full && !sc->fclosing)
            pthread_cond_wait(&sc->fwake, &sc->flock);
        if (sc->fclosing) {
            pthread_mutex_unlock(&sc->flock);
            break;
        }
        struct slot t = sc->work;
        sc->work = sc->pending;
        sc->pending = t;
        sc->full = false;
        pthread_mutex_unlock(&sc->flock);
        struct frame_ctx ctx = { sc, source };
        int n = scan_frame_decode(sc->fdec, &sc->work.f, on_symbol, &ctx);
        pthread_mutex_lock(&sc->flock);
        if (n < 0)
            sc->stats.bad++;
        else
            sc->stats.decoded++;
        pthread_mutex_unlock(&sc->flock);
    }
    return NULL;
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
    static const char *const EXT[] = { ".png", ".pgm", ".jpg", ".jpeg" };
    size_t n = strlen(name);
    for (size_t i = 0; name[0] != '.' && i < sizeof EXT / sizeof EXT[0]; i++) {
        size_t e = strlen(EXT[i]);
        if (n > e && strcasecmp(name + n - e, EXT[i]) == 0)
            return true;
    }
    return false;
}

static int scanner_by_name(const void *a, const void *b)
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
        snprintf(err, sizeof err, _("%s holds no .png, .jpg or .pgm images"), dir);
        rc = push_simple(sc, SCAN_ERROR, dir, err);
    } else {
        qsort(names, n, sizeof *names, scanner_by_name);
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
        src_done(sc, SCAN_SRC_IMAGES);
    return NULL;
}

/* --- life cycle ------------------------------------------------------------------ */

static int make_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static scanner *scanner_new(const struct scanner_opts *opts)
{
    scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->pipe_r = sc->pipe_w = sc->stop_r = sc->stop_w = -1;
    sc->opts = opts ? *opts : (struct scanner_opts){ .window_ms = SCAN_WINDOW_MS };
    pthread_mutex_init(&sc->lock, NULL);
    pthread_mutex_init(&sc->flock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sc->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&sc->fwake, NULL);
    int p[2], q[2];
    if (make_pipe(p) != 0) {
        scanner_close(sc);
        return NULL;
    }
    sc->pipe_r = p[0];
    sc->pipe_w = p[1];
    if (make_pipe(q) != 0) {
        scanner_close(sc);
        return NULL;
    }
    sc->stop_r = q[0];
    sc->stop_w = q[1];
    return sc;
}

/* Starts fn in a thread that blocks the signals a process gets from
 * outside (SIGINT, SIGTERM, SIGCHLD, ...), so they reach the consumer's
 * thread; faults stay deliverable so a crash still reports. */
static int start(scanner *sc, void *(*fn)(void *))
{
    sigset_t all, old;
    sigfillset(&all);
    const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigdelset(&all, faults[i]);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&sc->threads[sc->nthreads], NULL, fn, sc);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        sc->nthreads++;
    return rc;
}

scanner *scanner_open(const struct scanner_sources *src, const struct scanner_opts *opts,
                      char *err, size_t errsz)
{
    static const struct scanner_sources none;
    if (!src)
        src = &none;
    size_t n = src->images ? src->nimages : 0;
    scanner *sc = scanner_new(opts);
    bool ok = sc != NULL;
    if (ok && n > 0) {
        ok = (sc->paths = calloc(n, sizeof *sc->paths)) && (sc->dec = scan_decoder_new());
        scan_decoder_fallback(sc->dec, 1);  /* a photo: time is no matter */
        for (size_t i = 0; ok && i < n; i++)
            ok = (sc->paths[sc->npaths++] = strdup(src->images[i])) != NULL;
    }
    if (ok && src->camera)
        ok = (sc->camera = strdup(src->camera)) != NULL;
    if (ok && src->wedge)
        ok = (sc->wedge = strdup(src->wedge)) != NULL;
    if (ok && (src->camera || src->frames)) {
        sc->pipeline = true;
        ok = (sc->fdec = scan_decoder_new()) != NULL;
        scan_decoder_fallback(sc->fdec, SCAN_FALLBACK_CAMERA);
    }
    int rc = ok ? 0 : ENOMEM;
    if (rc == 0) {
        /* States first: a thread may change its own at once. */
        sc->state[SCAN_SRC_IMAGES] = n > 0 ? SCAN_STATE_ON : SCAN_STATE_OFF;
        sc->state[SCAN_SRC_CAMERA] = sc->camera ? SCAN_STATE_STARTING
                                   : sc->pipeline ? SCAN_STATE_ON : SCAN_STATE_OFF;
        sc->state[SCAN_SRC_WEDGE] = sc->wedge ? SCAN_STATE_STARTING : SCAN_STATE_OFF;
        sc->live = (n > 0) + (sc->wedge != NULL);
        if (sc->live == 0 && !sc->pipeline)
            push_simple(sc, SCAN_END, "", "");
    }
    if (rc == 0 && sc->pipeline)
        rc = start(sc, decode_thread);
    if (rc == 0 && sc->camera)
        rc = start(sc, camera_thread);
    if (rc == 0 && sc->wedge)
        rc = start(sc, wedge_thread);
    if (rc == 0 && n > 0)
        rc = start(sc, image_thread);
    if (rc != 0) {
        if (err && errsz)
            snprintf(err, errsz, _("cannot start the scanner: %s"), strerror(rc));
        scanner_close(sc);
        return NULL;
    }
    return sc;
}

scanner *scanner_open_images(const char *const *paths, size_t n,
                             const struct scanner_opts *opts, char *err, size_t errsz)
{
    struct scanner_sources src = { .images = paths, .nimages = n };
    return scanner_open(&src, opts, err, errsz);
}

void scanner_close(scanner *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->closing = true;
    pthread_cond_broadcast(&sc->wake);
    pthread_mutex_unlock(&sc->lock);
    pthread_mutex_lock(&sc->flock);
    sc->fclosing = true;
    pthread_cond_broadcast(&sc->fwake);
    pthread_mutex_unlock(&sc->flock);
    if (sc->stop_w >= 0) {
        ssize_t w;
        do
            w = write(sc->stop_w, "!", 1);
        while (w < 0 && errno == EINTR);
    }
    for (int i = 0; i < sc->nthreads; i++)
        pthread_join(sc->threads[i], NULL);
    for (size_t i = 0; i < sc->npaths; i++)
        free(sc->paths[i]);
    free(sc->paths);
    free(sc->camera);
    free(sc->wedge);
    free(sc->pending.buf);
    free(sc->work.buf);
    scan_decoder_free(sc->dec);
    scan_decoder_free(sc->fdec);
    const int fds[] = { sc->pipe_r, sc->pipe_w, sc->stop_r, sc->stop_w };
    for (size_t i = 0; i < 4; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_cond_destroy(&sc->wake);
    pthread_cond_destroy(&sc->fwake);
    pthread_mutex_destroy(&sc->lock);
    pthread_mutex_destroy(&sc->flock);
    free(sc);
}
