/* png_ink FILE.png X Y W H: prints how many pixels of the rectangle are
 * bright (some channel above 100 of 255), i.e. drawn on the live page's
 * dark raster canvas.  The browser test uses it to tell a raster with spikes
 * from a blank one; cairo reads the PNG. */
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: png_ink FILE.png X Y W H\n");
        return 2;
    }
    cairo_surface_t *img = cairo_image_surface_create_from_png(argv[1]);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "png_ink: %s: %s\n", argv[1],
                cairo_status_to_string(cairo_surface_status(img)));
        cairo_surface_destroy(img);
        return 1;
    }
    cairo_surface_flush(img);
    int x0 = atoi(argv[2]), y0 = atoi(argv[3]), w = atoi(argv[4]), h = atoi(argv[5]);
    int iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    const unsigned char *data = cairo_image_surface_get_data(img);
    long ink = 0;
    for (int y = y0; y < y0 + h && y < ih; y++)
        for (int x = x0; x < x0 + w && x < iw; x++) {
            uint32_t px = *(const uint32_t *)(data + (size_t)y * (size_t)stride + (size_t)x * 4);
            unsigned r = (px >> 16) & 255, g = (px >> 8) & 255, b = px & 255;
            if (r > 100 || g > 100 || b > 100)
                ink++;
        }
    printf("%ld\n", ink);
    cairo_surface_destroy(img);
    return 0;
}
