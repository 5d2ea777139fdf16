/* fuzz_image.c - the image loaders (PNG through libpng, JPEG through
 * libjpeg, our own PGM parser) on arbitrary bytes, and the decode path on
 * what they load. tests/fuzz/corpus/fuzz_image holds small JPEGs too
 * (baseline, progressive, colour), beside what seeds.c writes.
 *
 * Properties, each an abort on violation: a load either fails with a
 * reason and no pixels, or gives a frame of the size it claims within
 * the pixel limit; a small loaded frame goes through scan_decode, zbar
 * and then zxing-cpp (the image files' setting), without a crash (the
 * sanitizers check the memory). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/scanner.h"

static void require(int ok)
{
    if (!ok) abort();
}

static void ignore(const char *text, size_t len, void *arg)
{
    (void)arg;
    require(text != NULL && text[len] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scan_decoder *d;
    if (!d) {
        d = scan_decoder_new();
        scan_decoder_fallback(d, 1);
    }
    struct scan_image img;
    char err[256] = "";
    if (scan_image_read(data, size, &img, err, sizeof err) != 0) {
        require(img.grey == NULL && err[0] != '\0');
        return 0;
    }
    require(img.grey != NULL && img.width > 0 && img.height > 0);
    require((long)img.width * img.height <= SCAN_IMAGE_MAX_PIXELS);
    /* Touch every pixel, so a short buffer shows up under ASan. */
    unsigned sum = 0;
    for (size_t i = 0; i < (size_t)img.width * (size_t)img.height; i++)
        sum += img.grey[i];
    (void)sum;
    if ((long)img.width * img.height <= 256 * 256)
        require(scan_decode(d, img.grey, img.width, img.height, ignore, NULL) >= 0);
    scan_image_free(&img);
    return 0;
}
