/* The command line: spiksim's own option parser (src/spiksim.c, built in
 * with its main renamed), fed NUL-separated arguments, and the library's
 * flag parsers it calls (--raster-samples, -window, -max-spikes, -format,
 * --serve, --raster-layers) on the first argument alone.  Its usage errors
 * go to stderr: tests/fuzz/run closes the harness's stdout and stderr
 * (-close_fd_mask=3), keeping libFuzzer's own. */
#define _POSIX_C_SOURCE 200809L /* as src/spiksim.c, included below */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define main spiksim_main
#include "../../src/spiksim.c"
#undef main

static void flag_parsers(const char *arg)
{
    ss_error err;
    ss_raster_samples samples;
    ss_raster_window window;
    size_t n;
    ss_raster_format fmt;
    char addr[64];
    int port;
    ss_raster_samples_parse(arg, &samples, &err);
    ss_raster_window_parse(arg, &window, &err);
    ss_raster_max_spikes_parse(arg, &n, &err);
    ss_raster_format_parse(arg, &fmt, &err);
    ss_raster_format_from_path(arg, &fmt, &err);
    ss_server_parse_listen(arg, addr, sizeof addr, &port, &err);
    const char *names[] = {"input", "hidden1", "hidden2", "output"};
    unsigned char keep[4];
    ss_raster_layers_parse(arg, names, 4, keep, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ss_fuzz_string(data, size);
    enum { MAX_ARGS = 32 };
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"spiksim";
    for (char *p = text; argc <= MAX_ARGS && p <= text + size;) {
        argv[argc++] = p;
        p += strlen(p) + 1;
    }
    argv[argc] = NULL;
    flag_parsers(argv[1]);
    cli_opts o = {0};
    o.text_out = stdout;
    optind = 0; /* glibc: restart getopt from scratch */
    parse_args(argc, argv, &o);
    free(o.sets);
    free(text);
    return 0;
}
