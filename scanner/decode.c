/* decode.c - the one decode path: a grey frame in, QR texts out (zbar).
 *
 * Image files, the camera and the read-back of every printed card all
 * come through scan_decode(), so what the tests replay is what the till
 * runs. The frame is handed to zbar without a copy. */
#include "scanner.h"

#include <stdlib.h>

#include <zbar.h>

struct scan_decoder {
    zbar_image_scanner_t *zs;
};

scan_decoder *scan_decoder_new(void)
{
    scan_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->zs = zbar_image_scanner_create();
    if (!d->zs) {
        free(d);
        return NULL;
    }
    /* QR only: every other symbology costs time and can misread a
     * card's modules as a bar code. */
    zbar_image_scanner_set_config(d->zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(d->zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    return d;
}

void scan_decoder_free(scan_decoder *d)
{
    if (!d)
        return;
    zbar_image_scanner_destroy(d->zs);
    free(d);
}

int scan_decode(scan_decoder *d, const unsigned char *grey, int width,
                int height, scan_found_fn *fn, void *arg)
{
    if (!d || !grey || width <= 0 || height <= 0 ||
        (long)width * height > SCAN_IMAGE_MAX_PIXELS)
        return -1;
    zbar_image_t *img = zbar_image_create();
    if (!img)
        return -1;
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)width, (unsigned)height);
    zbar_image_set_data(img, grey, (unsigned long)width * (unsigned long)height, NULL);
    int n = zbar_scan_image(d->zs, img);
    int found = 0;
    if (n > 0)
        for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s)) {
            if (zbar_symbol_get_type(s) != ZBAR_QRCODE)
                continue;
            found++;
            if (fn)
                fn(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s), arg);
        }
    zbar_image_destroy(img);
    return n < 0 ? -1 : found;
}
