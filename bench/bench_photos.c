/* bench_photos.c - what the second decoder (zxing-cpp after zbar, see
 * scanner.h) reads, and what it costs on frames with no code.
 *
 * Photos: PER_KIND photos of each kind of tests/card_photos.h (distorted
 * phone photos of real printed cards, 640x480 grey, drawn from a fixed
 * seed), each read by a decoder with zbar alone and by one with zbar then
 * zxing on every frame zbar reads nothing in. A read counts only if it is
 * the photo's own card and card_parse() finds it genuine.
 *
 * Cost: NO_CODE frames of PHOTO_NO_CODE (a table, or the card with its
 * code painted out), through scan_decode() with zbar alone, with the
 * camera's setting (zxing on one zbar miss in SCAN_FALLBACK_CAMERA) and
 * with zxing on every miss, each frame through the three back to back;
 * each figure is the median of ROUNDS rounds over all frames, and the
 * ratios are against zbar alone in the same run.
 *
 * Prints
 *   photos <kind>: zbar A/N, zbar+zxing B/N
 *   photos: zbar alone A/N (a%), zbar+zxing B/N (b%): +K read
 *   photos no-code: camera setting X ms/frame, zbar alone Y ms/frame, ratio R (goal <= 1.05) ok
 *   photos no-code, zxing on every miss: ratio R2
 * and exits 0 whatever the figures; 1 only if it could not run or a
 * decoder read a text that is not the photo's card. */
#include "bench/bench.h"
#include "scanner/scanner.h"
#include "tests/card_photos.h"

#define PER_KIND 50
#define NO_CODE 40
#define ROUNDS 7
#define GOAL_RATIO 1.05

static const unsigned char SECRET[CARD_SECRET_BYTES] = "the bench shop's photo secret 32";

struct read { const char *want; int cards; bool other; };

static void found(const char *text, size_t len, void *arg)
{
    struct read *r = arg;
    char id[CARD_ID_LEN + 1];
    if (r->want && strlen(r->want) == len && memcmp(text, r->want, len) == 0 &&
        card_parse(text, len, SECRET, id) == CARD_OK)
        r->cards++;
    else
        r->other = true;
}

static bool reads(scan_decoder *d, const unsigned char *frame, const char *want)
{
    struct read r = { want, 0, false };
    if (scan_decode(d, frame, PHOTO_W, PHOTO_H, found, &r) < 0)
        die("scan_decode failed", NULL);
    if (r.other)
        die("a decoder read a text that is not the photo's card", NULL);
    return r.cards > 0;
}

static void rates(scan_decoder *zbar, scan_decoder *both, unsigned char *frame)
{
    struct photo_rng r = { 0x5EED0F7A11Du };
    int total = 0, zbar_total = 0, both_total = 0;
    for (int k = 0; k < PHOTO_NO_CODE; k++) {
        int z = 0, b = 0;
        for (int i = 0; i < PER_KIND; i++) {
            struct photo_card c;
            if (photo_card_make(SECRET, &r, &c) != 0)
                die("cannot print a card", NULL);
            photo_take(&c, (enum photo_kind)k, &r, frame);
            z += reads(zbar, frame, c.qr);
            b += reads(both, frame, c.qr);
            photo_card_free(&c);
        }
        printf("photos %s: zbar %d/%d, zbar+zxing %d/%d\n", PHOTO_NAMES[k], z, PER_KIND, b, PER_KIND);
        total += PER_KIND;
        zbar_total += z;
        both_total += b;
    }
    printf("photos: zbar alone %d/%d (%.1f%%), zbar+zxing %d/%d (%.1f%%): %+d read\n", zbar_total, total,
           100.0 * zbar_total / total, both_total, total, 100.0 * both_total / total,
           both_total - zbar_total);
}

/* One round: each frame through the three decoders back to back, in an
 * order that turns with the frame, so a burst of load elsewhere on the
 * machine falls on all three alike. ms[k] gets decoder k's ms a frame. */
static void round_ms(scan_decoder *const *d, unsigned char *const *frames, double ms[3])
{
    ms[0] = ms[1] = ms[2] = 0;
    for (int i = 0; i < NO_CODE; i++)
        for (int j = 0; j < 3; j++) {
            int k = (i + j) % 3;
            double t0 = now_s();
            if (reads(d[k], frames[i], NULL))
                die("a frame with no code read a card", NULL);
            ms[k] += (now_s() - t0) * 1e3 / NO_CODE;
        }
}

static void cost(scan_decoder *zbar, scan_decoder *camera, scan_decoder *every)
{
    struct photo_rng r = { 0xC0FFEEu };
    unsigned char *frames[NO_CODE];
    for (int i = 0; i < NO_CODE; i++) {
        struct photo_card c;
        if (!(frames[i] = malloc(PHOTO_W * PHOTO_H)) || photo_card_make(SECRET, &r, &c) != 0)
            die("cannot print a card", NULL);
        photo_take(&c, PHOTO_NO_CODE, &r, frames[i]);
        photo_card_free(&c);
    }
    scan_decoder *const d[3] = { zbar, camera, every };
    double z[ROUNDS], c[ROUNDS], e[ROUNDS], ms[3];
    round_ms(d, frames, ms);    /* warm-up */
    for (int k = 0; k < ROUNDS; k++) {
        round_ms(d, frames, ms);
        z[k] = ms[0];
        c[k] = ms[1];
        e[k] = ms[2];
    }
    double zm = median(z, ROUNDS), cm = median(c, ROUNDS), em = median(e, ROUNDS), ratio = cm / zm;
    printf("photos no-code: camera setting (zxing on 1 zbar miss in %d) %.2f ms/frame, zbar alone %.2f ms/frame, "
           "ratio %.2f (goal <= %.2f) %s\n", SCAN_FALLBACK_CAMERA, cm, zm, ratio, GOAL_RATIO,
           ratio <= GOAL_RATIO ? "ok" : "above goal");
    printf("  zxing on every zbar miss (image files): %.2f ms/frame, %.2f times zbar alone\n", em, em / zm);
    for (int i = 0; i < NO_CODE; i++)
        free(frames[i]);
}

int main(void)
{
    bench_name = "bench_photos";
    scan_decoder *zbar = scan_decoder_new(), *both = scan_decoder_new(), *camera = scan_decoder_new();
    unsigned char *frame = malloc(PHOTO_W * PHOTO_H);
    if (!zbar || !both || !camera || !frame)
        die("out of memory", NULL);
    scan_decoder_fallback(both, 1);
    scan_decoder_fallback(camera, SCAN_FALLBACK_CAMERA);
    rates(zbar, both, frame);
    cost(zbar, camera, both);
    free(frame);
    scan_decoder_free(zbar);
    scan_decoder_free(both);
    scan_decoder_free(camera);
    return 0;
}
