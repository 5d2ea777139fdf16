/* seeds.c - writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>)
 * from the project's own code, so each fuzzer starts past its first check:
 *   fuzz_card   real card codes of the fuzz shop, in every spelling
 *   fuzz_wire   every message type as sync_wire_encode writes it, with the
 *               events of a real shop (so the round trip is reached)
 *   fuzz_image  a card's QR as PNG, binary PGM and plain PGM frames small
 *               enough for fuzz_image to decode
 * Regenerate after a format change with `make fuzz-seeds`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/scanner.h"
#include "store/store.h"
#include "sync/internal.h"

/* The secret fuzz_card.c parses with. */
static const unsigned char fuzz_secret[CARD_SECRET_BYTES] = "fuzz secret of the fuzz shop...";

static void die(const char *what)
{
    fprintf(stderr, "fuzz-seeds: %s\n", what);
    exit(1);
}

static void put(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die(path);
}

static void subdir(char *out, size_t sz, const char *root, const char *target)
{
    snprintf(out, sz, "%s/%s", root, target);
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        die(out);
}

static void card_seeds(const char *dir)
{
    static const char *const ids[] = { "E8YSD4HT", "00000000", "ZZZZZZZZ" };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char human[CARD_HUMAN_MAX], qr[CARD_QR_MAX], name[32], lower[CARD_HUMAN_MAX];
        if (card_encode(fuzz_secret, ids[i], human, qr) != 0)
            die("card_encode");
        snprintf(name, sizeof name, "human-%zu", i);
        put(dir, name, human, strlen(human));
        snprintf(name, sizeof name, "qr-%zu", i);
        put(dir, name, qr, strlen(qr));
        for (size_t k = 0; k <= strlen(human); k++)   /* typed leniently */
            lower[k] = (char)(human[k] >= 'A' && human[k] <= 'Z' ? human[k] + 32 : human[k]);
        snprintf(name, sizeof name, "typed-%zu", i);
        put(dir, name, lower, strlen(lower));
    }
}

static void wire_put(const char *dir, const char *name, const struct sync_msg *m)
{
    struct sync_buf b = { 0 };
    if (sync_wire_encode(m, &b) != 0)
        die(name);
    put(dir, name, b.data, b.len);
    sync_buf_free(&b);
}

static void wire_seeds(const char *dir, const char *db)
{
    char err[256];
    store *s = store_open(db, true, err, sizeof err);
    struct store_staff mira;
    if (!s || store_init_shop(s, "Kawiarnia Pod Lipą", "PLN") != 0 ||
        store_staff_add(s, NULL, "Mira", ROLE_MANAGER, "2468", &mira) != 0 ||
        store_setting_set(s, mira.id, "welcome.points", "10") != 0)
        die(s ? store_error(s) : err);
    static struct store_event ev[16];
    static struct store_vv vv[4];
    int n = store_read_events(s, store_origin(s), 0, ev, 16);
    int nvv = store_version_vector(s, vv, 4);
    if (n < 2 || nvv < 1)
        die("no events");

    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = SYNC_HELLO;
    snprintf(m.shop, sizeof m.shop, "0123456789abcdef");
    snprintf(m.origin, sizeof m.origin, "%s", store_origin(s));
    snprintf(m.address, sizeof m.address, "127.0.0.1:7700");
    m.time_ms = store_now(s);
    m.vv = vv;
    m.nvv = nvv;
    wire_put(dir, "hello", &m);

    memset(&m, 0, sizeof m);
    m.type = SYNC_EVENTS;
    snprintf(m.origin, sizeof m.origin, "%s", store_origin(s));
    m.events = ev;
    m.nevents = 1;
    wire_put(dir, "events-1", &m);
    m.nevents = n;
    wire_put(dir, "events-all", &m);
    m.type = SYNC_BATCH;
    m.more = true;
    wire_put(dir, "batch", &m);

    memset(&m, 0, sizeof m);
    m.type = SYNC_FETCH;
    snprintf(m.origin, sizeof m.origin, "%s", store_origin(s));
    m.after = 3;
    m.max = SYNC_BATCH_MAX;
    wire_put(dir, "fetch", &m);

    memset(&m, 0, sizeof m);
    m.type = SYNC_JOIN;
    memset(m.token, 0x42, sizeof m.token);
    memset(m.public_key, 0x17, sizeof m.public_key);
    snprintf(m.origin, sizeof m.origin, "abcdef12");
    snprintf(m.address, sizeof m.address, "127.0.0.1:7701");
    snprintf(m.name, sizeof m.name, "Kasa 2");
    wire_put(dir, "join", &m);

    memset(&m, 0, sizeof m);
    m.type = SYNC_WELCOME;
    snprintf(m.shop, sizeof m.shop, "fedcba9876543210");
    memset(m.secret, 0x5a, sizeof m.secret);
    snprintf(m.name, sizeof m.name, "Kawiarnia Pod Lipą");
    wire_put(dir, "welcome", &m);

    memset(&m, 0, sizeof m);
    m.type = SYNC_REFUSE;
    snprintf(m.reason, sizeof m.reason, "invitation expired");
    wire_put(dir, "refuse", &m);
    store_close(s);
}

static void image_seeds(const char *dir)
{
    char human[CARD_HUMAN_MAX], qr[CARD_QR_MAX];
    struct qr_symbol q;
    if (card_encode(fuzz_secret, "E8YSD4HT", human, qr) != 0 || qr_encode(qr, &q) != 0)
        die("qr_encode");
    int px = 3, side = qr_full_width(&q) * px;
    unsigned char *grey = malloc((size_t)side * (size_t)side);
    if (!grey)
        die("memory");
    qr_draw(&q, grey, side, side, 0, 0, px);

    unsigned char *png;
    size_t len;
    if (scan_png_write(grey, side, side, 0, &png, &len) != 0)
        die("scan_png_write");
    put(dir, "card.png", png, len);
    free(png);

    char head[64];
    int hl = snprintf(head, sizeof head, "P5\n%d %d\n255\n", side, side);
    size_t total = (size_t)hl + (size_t)side * (size_t)side;
    unsigned char *pgm = malloc(total);
    if (!pgm)
        die("memory");
    memcpy(pgm, head, (size_t)hl);
    memcpy(pgm + hl, grey, (size_t)side * (size_t)side);
    put(dir, "card.pgm", pgm, total);
    free(pgm);

    /* Plain PGM, a smaller crop (the top-left finder), with a comment. */
    int crop = 10 * px;
    char *plain = malloc((size_t)crop * (size_t)crop * 4 + 64);
    if (!plain)
        die("memory");
    size_t o = (size_t)sprintf(plain, "P2\n# finder\n%d %d\n255\n", crop, crop);
    for (int y = 0; y < crop; y++)
        for (int x = 0; x < crop; x++)
            o += (size_t)sprintf(plain + o, "%d%c", grey[y * side + x], x + 1 < crop ? ' ' : '\n');
    put(dir, "finder.pgm", plain, o);
    free(plain);
    free(grey);
    qr_free(&q);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: fuzz-seeds CORPUS_DIR SCRATCH_DB");
    char dir[512];
    unlink(argv[2]);
    subdir(dir, sizeof dir, argv[1], "fuzz_card");
    card_seeds(dir);
    subdir(dir, sizeof dir, argv[1], "fuzz_wire");
    wire_seeds(dir, argv[2]);
    subdir(dir, sizeof dir, argv[1], "fuzz_image");
    image_seeds(dir);
    return 0;
}
