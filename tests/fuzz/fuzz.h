/* Shared by the fuzz harnesses (docs/hardening.md).  Each harness defines
 * LLVMFuzzerTestOneInput; libFuzzer drives it (./configure --enable-fuzz,
 * make fuzz), or standalone.c replays a corpus through it (make check). */
#ifndef SS_FUZZ_H
#define SS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to a file of this process (name tells harnesses apart) and
 * returns its path: the parsers under test read paths, as spiksim does. */
const char *ss_fuzz_file(const char *name, const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (malloc'd; the caller frees). */
char *ss_fuzz_string(const uint8_t *data, size_t size);

#endif
