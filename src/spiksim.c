/* spiksim: the command-line program.
 *
 * Only the CLI lives here: parse options, call the library, print.  Exit
 * status: 0 success, 2 usage/config/data error, 1 runtime failure.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/error.h>

typedef struct cli_opts {
    const char *model;
    const char **sets;
    size_t n_sets;
    int check;
    int seed_given;
    unsigned long seed;
    const char *json_path;
    int verbosity; /* 0 quiet, 1 normal, 2 verbose */
} cli_opts;

static const char usage_text[] =
    "Usage: spiksim [OPTIONS] MODEL.ini\n"
    "Exact event-driven spiking neural simulator with local STDP learning.\n"
    "\n"
    "Options:\n"
    "  -s, --set SECTION.KEY=VALUE  override a model-file key (repeatable; the\n"
    "                               last dot separates the key)\n"
    "  -c, --check                  load and validate model and data, print the\n"
    "                               network summary, simulate nothing\n"
    "      --seed N                 seed every random choice (overrides\n"
    "                               [simulation] seed)\n"
    "      --json FILE              write the results as JSON to FILE\n"
    "  -q, --quiet                  print nothing but errors\n"
    "  -v, --verbose                print more detail\n"
    "      --help-model             list every model-file section and key\n"
    "      --version                print the version and exit\n"
    "  -h, --help                   print this help and exit\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 usage, model or data error.\n"
    "See spiksim(1) and spiksim.ini(5).\n";

enum { OPT_SEED = 256, OPT_JSON, OPT_HELP_MODEL, OPT_VERSION };

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "spiksim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see spiksim --help)\n");
    return 2;
}

/* Parses argv into o; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, cli_opts *o)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 's'},
        {"check", no_argument, NULL, 'c'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"json", required_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help-model", no_argument, NULL, OPT_HELP_MODEL},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    o->verbosity = 1;
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    if (!o->sets) {
        fprintf(stderr, "spiksim: out of memory\n");
        return 1;
    }
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:cqvh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->sets[o->n_sets++] = optarg;
            break;
        case 'c':
            o->check = 1;
            break;
        case OPT_SEED: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || optarg[0] == '-' || v > 2147483647ULL)
                return usage_error("--seed: '%s' is not a whole number in [0, 2147483647]", optarg);
            o->seed = (unsigned long)v;
            o->seed_given = 1;
            break;
        }
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case 'q':
            o->verbosity = 0;
            break;
        case 'v':
            o->verbosity = 2;
            break;
        case OPT_HELP_MODEL:
            ss_config_print_help(stdout);
            return 0;
        case OPT_VERSION:
            printf("spiksim %s (BLAS: %s)\n", PACKAGE_VERSION, SS_BLAS_NAME);
            return 0;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("%s", "missing MODEL.ini");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    o->model = argv[optind];
    return -1;
}

/* Layers and projections as the model file declares them. */
static void print_model_summary(const ss_config *cfg)
{
    size_t n_layers = ss_config_count(cfg, "layer");
    printf("model %s\n", ss_config_file(cfg));
    printf("layers: %zu\n", n_layers);
    for (size_t i = 0; i < n_layers; i++) {
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_config_name(cfg, "layer", i));
        printf("  %-12s %-10s %8ld neurons\n", ss_config_name(cfg, "layer", i),
               ss_config_string(cfg, sec, "type"), ss_config_int(cfg, sec, "size"));
    }
    size_t n_proj = ss_config_count(cfg, "projection");
    printf("projections: %zu\n", n_proj);
    for (size_t i = 0; i < n_proj; i++) {
        char sec[256];
        snprintf(sec, sizeof sec, "projection.%s", ss_config_name(cfg, "projection", i));
        printf("  %-12s %s -> %s (%s)\n", ss_config_name(cfg, "projection", i),
               ss_config_string(cfg, sec, "from"), ss_config_string(cfg, sec, "to"),
               ss_config_string(cfg, sec, "connect"));
    }
}

/* --check: everything a run would load, nothing simulated. */
static int check_model(const ss_config *cfg, const cli_opts *o, ss_error *err)
{
    ss_dataset *ds = NULL;
    if (ss_config_has_section(cfg, "data")) {
        ds = ss_dataset_load(cfg, err);
        if (!ds) {
            fprintf(stderr, "spiksim: %s\n", err->msg);
            return ss_error_exit_status(err->code);
        }
    }
    if (o->verbosity > 0)
        print_model_summary(cfg);
    int rc = SS_OK;
    if (ds) {
        /* Quiet still computes the split sizes: they can be invalid. */
        FILE *out = o->verbosity > 0 ? stdout : fopen("/dev/null", "w");
        rc = out ? ss_dataset_print_summary(ds, cfg, out, err)
                 : ss_error_set(err, SS_EIO, "/dev/null: cannot open");
        if (out && out != stdout)
            fclose(out);
    }
    ss_dataset_free(ds);
    if (rc != SS_OK) {
        fprintf(stderr, "spiksim: %s\n", err->msg);
        return ss_error_exit_status(rc);
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_opts o = {0};
    int status = parse_args(argc, argv, &o);
    if (status >= 0) {
        free(o.sets);
        return status;
    }
    ss_error err;
    ss_error_clear(&err);
    ss_config *cfg = ss_config_load(o.model, o.sets, o.n_sets, &err);
    if (!cfg) {
        fprintf(stderr, "spiksim: %s\n", err.msg);
        free(o.sets);
        return ss_error_exit_status(err.code);
    }
    if (o.check) {
        status = check_model(cfg, &o, &err);
    } else {
        fprintf(stderr,
                "spiksim: %s: simulation is not available in this build yet; "
                "use --check\n",
                o.model);
        status = 1;
    }
    ss_config_free(cfg);
    free(o.sets);
    return status;
}
