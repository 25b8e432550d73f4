/* MNIST IDX files (plain or gzip): the first four bytes (little-endian) are
 * the length of the images file that follows; the rest is the labels file. */
#include "fuzz.h"

#include <spiksim/dataset.h>

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t rest = size - 4;
    size_t cut =
        (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    if (cut > rest)
        cut = rest;
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s", ss_fuzz_file("images.idx", data + 4, cut));
    snprintf(labels, sizeof labels, "%s", ss_fuzz_file("labels.idx", data + 4 + cut, rest - cut));
    ss_error err;
    ss_dataset *ds = ss_dataset_load_mnist(images, labels, NULL, NULL, &err);
    if (ds) {
        ss_split *s = NULL;
        if (ss_dataset_split(ds, 0, 0, 0, &s, &err) == SS_OK)
            ss_split_free(s);
    }
    ss_dataset_free(ds);
    return 0;
}
