/* Checkpoints: named numeric arrays (weights, thresholds, shape) in one
 * versioned, checksummed file.
 *
 * Layout (little-endian):
 *   "SPIKSIMC"            8-byte magic
 *   u32 version           SS_CHECKPOINT_VERSION
 *   u32 n_arrays
 *   n_arrays times:       u16 name_len, name bytes, u8 type (1 = f32, 2 = f64),
 *                         u64 count, count values
 *   u32 crc32             zlib crc32 of every byte before it
 * Written atomically (temp + fsync + rename).  The caller decides what the
 * arrays mean and checks that their names and sizes fit its model.
 */
#ifndef SPIKSIM_CHECKPOINT_H
#define SPIKSIM_CHECKPOINT_H

#include <stddef.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SS_CHECKPOINT_VERSION 1u

typedef struct ss_checkpoint ss_checkpoint;

ss_checkpoint *ss_checkpoint_alloc(void);
void ss_checkpoint_free(ss_checkpoint *ck);

/* Copies n values under name (names are unique; at most 65535 bytes). */
int ss_checkpoint_add_f32(ss_checkpoint *ck, const char *name, const float *values, size_t n,
                          ss_error *err);
int ss_checkpoint_add_f64(ss_checkpoint *ck, const char *name, const double *values, size_t n,
                          ss_error *err);

int ss_checkpoint_write(const ss_checkpoint *ck, const char *path, ss_error *err);
/* NULL with an SS_EDATA error naming the file and byte offset when the file
 * is not a checkpoint, is truncated, has a bad checksum or a newer version. */
ss_checkpoint *ss_checkpoint_read(const char *path, ss_error *err);

size_t ss_checkpoint_count(const ss_checkpoint *ck);
const char *ss_checkpoint_name(const ss_checkpoint *ck, size_t i);
/* Values in array i, and whether they are float32 (else float64). */
size_t ss_checkpoint_length(const ss_checkpoint *ck, size_t i);
int ss_checkpoint_is_f32(const ss_checkpoint *ck, size_t i);
/* Copies the named array into out[n] (converting f32/f64).  Fails with
 * SS_EDATA when the name is missing or its length is not n, so a checkpoint
 * of another model shape is refused. */
int ss_checkpoint_get_f32(const ss_checkpoint *ck, const char *name, float *out, size_t n,
                          ss_error *err);
int ss_checkpoint_get_f64(const ss_checkpoint *ck, const char *name, double *out, size_t n,
                          ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
