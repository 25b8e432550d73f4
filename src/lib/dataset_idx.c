/* MNIST in IDX format (LeCun et al.), plain or gzip-compressed.
 *
 * An IDX file is a 4-byte magic (0, 0, element type, number of dimensions),
 * one big-endian 32-bit size per dimension, then the elements in row-major
 * order.  MNIST uses unsigned bytes (type 0x08): images are 0x00000803
 * (count x rows x cols), labels 0x00000801 (count).  Files are read whole and
 * checked against their header, so a truncated or padded file is an error
 * that names the byte offset (in the decompressed data) where it goes wrong.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataset_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { IDX_UBYTE = 0x08, IDX_IMAGES = 0x00000803, IDX_LABELS = 0x00000801 };

static const char *const digit_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

typedef struct {
    const char *path;
    unsigned char *data; /* whole file; elements start at data + header */
    size_t len, header;
    uint32_t dims[3];
    size_t count; /* dims[0] */
    size_t item;  /* bytes per item: rows * cols, or 1 */
} idx_file;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int fail_at(ss_error *err, const char *path, size_t byte, const char *what)
{
    return ss_error_set(err, SS_EDATA, "%s: at byte %zu: %s", path, byte, what);
}

/* Reads path and checks it is an IDX file of unsigned bytes with the given
 * magic (IDX_IMAGES or IDX_LABELS) whose size matches its header exactly. */
static int idx_read(idx_file *f, const char *path, uint32_t magic, ss_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    int rc = ss__read_file(path, &f->data, &f->len, err);
    if (rc != SS_OK)
        return rc;
    const char *what = magic == IDX_IMAGES ? "images" : "labels";
    char msg[512];
    if (f->len < 4) {
        snprintf(msg, sizeof msg, "truncated: %zu bytes, too short for an IDX header", f->len);
        return fail_at(err, path, f->len, msg);
    }
    uint32_t got = be32(f->data);
    if (got != magic) {
        const char *hint = "";
        if (got == IDX_IMAGES)
            hint = " (this is an image file)";
        else if (got == IDX_LABELS)
            hint = " (this is a label file)";
        else if (f->data[0] == 0 && f->data[1] == 0 && f->data[2] != IDX_UBYTE)
            hint = " (IDX elements other than unsigned bytes are not supported)";
        snprintf(msg, sizeof msg, "bad IDX magic 0x%08x, expected 0x%08x for MNIST %s%s",
                 (unsigned)got, (unsigned)magic, what, hint);
        return fail_at(err, path, 0, msg);
    }
    size_t n_dims = magic & 0xff;
    f->header = 4 + 4 * n_dims;
    if (f->len < f->header) {
        snprintf(msg, sizeof msg, "truncated in the header (%zu of %zu bytes)", f->len, f->header);
        return fail_at(err, path, f->len, msg);
    }
    size_t item = 1;
    for (size_t d = 0; d < n_dims; d++) {
        f->dims[d] = be32(f->data + 4 + 4 * d);
        if (f->dims[d] == 0) {
            snprintf(msg, sizeof msg, "dimension %zu of the header is 0", d + 1);
            return fail_at(err, path, 4 + 4 * d, msg);
        }
        if (d > 0) {
            if (item > SIZE_MAX / f->dims[d])
                return fail_at(err, path, 4 + 4 * d, "image size overflows");
            item *= f->dims[d];
        }
    }
    f->count = f->dims[0];
    f->item = item;
    size_t body = f->len - f->header;
    if (f->count > body / item) {
        /* Compare by division: count * item may not fit in size_t. */
        snprintf(msg, sizeof msg, "truncated: header announces %zu %s, only %zu complete follow",
                 f->count, what, body / item);
        return fail_at(err, path, f->len, msg);
    }
    if (body > f->count * item) {
        snprintf(msg, sizeof msg, "%zu bytes of unexpected data after the last of %zu %s",
                 body - f->count * item, f->count, what);
        return fail_at(err, path, f->header + f->count * item, msg);
    }
    return SS_OK;
}

static int check_labels(const idx_file *f, ss_error *err)
{
    for (size_t i = 0; i < f->count; i++)
        if (f->data[f->header + i] > 9) {
            char msg[128];
            snprintf(msg, sizeof msg, "label %u of sample %zu is not a digit 0..9",
                     f->data[f->header + i], i);
            return fail_at(err, f->path, f->header + i, msg);
        }
    return SS_OK;
}

static int check_pair(const idx_file *img, const idx_file *lbl, ss_error *err)
{
    if (img->count != lbl->count)
        return ss_error_set(err, SS_EDATA, "%s: %zu labels, but %s holds %zu images", lbl->path,
                            lbl->count, img->path, img->count);
    return check_labels(lbl, err);
}

/* Copies one images/labels pair into ds from sample `first` on. */
static void fill(ss_dataset *ds, size_t first, const idx_file *img, const idx_file *lbl)
{
    memcpy(ds->pixels + first * ds->n_features, img->data + img->header, img->count * img->item);
    for (size_t i = 0; i < img->count; i++) {
        ds->label[first + i] = lbl->data[lbl->header + i];
        ds->position[first + i] = i;
    }
}

ss_dataset *ss_dataset_load_mnist(const char *images, const char *labels, const char *test_images,
                                  const char *test_labels, ss_error *err)
{
    if ((test_images == NULL) != (test_labels == NULL)) {
        ss_error_set(err, SS_EUSAGE, "MNIST test images and test labels go together");
        return NULL;
    }
    idx_file f[4];
    memset(f, 0, sizeof f);
    ss_dataset *ds = NULL;
    int official = test_images != NULL;
    int rc = idx_read(&f[0], images, IDX_IMAGES, err);
    if (rc == SS_OK)
        rc = idx_read(&f[1], labels, IDX_LABELS, err);
    if (rc == SS_OK)
        rc = check_pair(&f[0], &f[1], err);
    if (rc == SS_OK && official) {
        rc = idx_read(&f[2], test_images, IDX_IMAGES, err);
        if (rc == SS_OK)
            rc = idx_read(&f[3], test_labels, IDX_LABELS, err);
        if (rc == SS_OK)
            rc = check_pair(&f[2], &f[3], err);
        if (rc == SS_OK && (f[2].dims[1] != f[0].dims[1] || f[2].dims[2] != f[0].dims[2]))
            rc = ss_error_set(err, SS_EDATA, "%s: images of %ux%u pixels, but %s has %ux%u",
                              test_images, (unsigned)f[2].dims[1], (unsigned)f[2].dims[2], images,
                              (unsigned)f[0].dims[1], (unsigned)f[0].dims[2]);
    }
    if (rc != SS_OK)
        goto done;
    size_t n = f[0].count + (official ? f[2].count : 0);
    ds = ss__dataset_alloc(SS_DATASET_MNIST, images, n, f[0].item, 10, digit_names);
    if (!ds) {
        ss_error_set(err, SS_ENOMEM, "%s: out of memory for %zu images", images, n);
        goto done;
    }
    fill(ds, 0, &f[0], &f[1]);
    if (official) {
        fill(ds, f[0].count, &f[2], &f[3]);
        ds->official = 1;
        for (size_t i = 0; i < n; i++)
            ds->test_fold[i] = i < f[0].count ? -1 : 0;
    } else {
        /* MNIST-10k rule: the k-th sample of its digit (file order, from 0)
         * is a test sample iff k % 5 == 4. */
        size_t seen[10] = {0};
        for (size_t i = 0; i < n; i++)
            ds->test_fold[i] = seen[ds->label[i]]++ % 5 == 4 ? 0 : -1;
    }
done:
    for (int i = 0; i < 4; i++)
        free(f[i].data);
    return ds;
}
