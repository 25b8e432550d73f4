/* spiksim: the command-line program.
 *
 * Only the CLI lives here: parse options, call the library, print.  Exit
 * status: 0 success, 2 usage/config/data error, 1 runtime failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/atomic.h>
#include <spiksim/config.h>
#include <spiksim/json.h>
#include <spiksim/dataset.h>
#include <spiksim/engine.h>
#include <spiksim/figures.h>
#include <spiksim/learn.h>
#include <spiksim/plot.h>
#include <spiksim/network.h>
#include <spiksim/experiment.h>
#include <spiksim/report.h>
#include <spiksim/error.h>
#include <spiksim/server.h>
#include <spiksim/train.h>

typedef struct cli_opts {
    const char *model;
    const char **sets;
    size_t n_sets;
    int check;
    int seed_given;
    unsigned long seed;
    const char *json_path;
    const char *raster_path;
    const char *raster_format_name; /* --raster-format, NULL: from the extension */
    ss_raster_format raster_format;
    ss_raster_request raster; /* --raster-layers, -samples, -window, -max-spikes */
    int raster_samples_given;
    const char *plot_dir;
    const char *save_path, *load_path;
    int no_train;
    int verbosity;     /* 0 quiet, 1 normal, 2 verbose */
    const char *serve; /* --serve [ADDR:]PORT */
    int serve_after;
    long threads;         /* --threads N, -1: not given */
    ss_comm *comm;        /* the ranks of an MPI run (or this process alone) */
    int verbose_all;      /* -v, on every rank (rank 0 prints) */
    double max_memory_mb; /* --max-memory SIZE, 0: not given */
    FILE *text_out;       /* the results as text: stdout, or stderr when an output takes stdout */
} cli_opts;

/* Set by SIGINT/SIGTERM; the run stops after the current sample. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

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
    "      --threads N              run on N threads (overrides [simulation]\n"
    "                               threads; 0: every online core, the default);\n"
    "                               results are the same for any N\n"
    "      --max-memory SIZE        refuse a network estimated to need more than SIZE\n"
    "                               bytes (K, M, G or T suffix; default: the\n"
    "                               machine's memory)\n"

    "      --json FILE              write the results as JSON to FILE ('-':\n"
    "                               standard output)\n"
    "      --save FILE              save the trained network (weights, thresholds,\n"
    "                               shape) to a checkpoint FILE; a free run's\n"
    "                               learned weights (plastic projections)\n"
    "      --load FILE              start from a checkpoint saved by --save\n"
    "      --no-train               skip training: test the loaded network\n"
    "      --raster FILE            write recorded spikes to FILE (.csv, .bin, .png,\n"
    "                               .svg or .pdf; see spiksim-raster(5); '-': CSV\n"
    "                               on standard output)\n"
    "      --raster-format FORMAT   csv, bin, h5 (SONATA), png, svg or pdf (default:\n"
    "                               from FILE)\n"
    "      --raster-layers LIST     record only these layers (comma-separated)\n"
    "      --raster-samples SPEC    which presentations: all, N, train, test,\n"
    "                               PHASE:I or PHASE:I-J, comma-separated\n"
    "      --raster-window T0:T1    only spikes in [T0, T1) ms of each presentation\n"
    "                               (absolute time for free-running models)\n"
    "      --raster-max-spikes N    keep at most the first N spikes, with a warning\n"
    "      --plot-dir DIR           write raster, rates, learning, fgsm and\n"
    "                               receptive-field pictures (PNG) to DIR\n"
    "      --serve [ADDR:]PORT      serve a live view and HTTP API during the run\n"
    "                               (address 127.0.0.1 by default; see spiksim(1))\n"
    "      --serve-after            with --serve: keep serving /api/classify with\n"
    "                               the final weights until SIGINT or SIGTERM\n"
    "  -q, --quiet                  print nothing but errors\n"
    "  -v, --verbose                print more detail\n"
    "      --help-model             list every model-file section and key\n"
    "      --version                print the version and exit\n"
    "  -h, --help                   print this help and exit\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 usage, model or data error.\n"
    "See spiksim(1) and spiksim.ini(5).\n";

enum {
    OPT_SEED = 256,
    OPT_JSON,
    OPT_SAVE,
    OPT_LOAD,
    OPT_NO_TRAIN,
    OPT_RASTER,
    OPT_RASTER_FORMAT,
    OPT_RASTER_LAYERS,
    OPT_RASTER_SAMPLES,
    OPT_RASTER_WINDOW,
    OPT_RASTER_MAX_SPIKES,
    OPT_PLOT_DIR,
    OPT_SERVE,
    OPT_SERVE_AFTER,
    OPT_HELP_MODEL,
    OPT_VERSION,
    OPT_THREADS,
    OPT_MAX_MEMORY
};

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
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"json", required_argument, NULL, OPT_JSON},
        {"save", required_argument, NULL, OPT_SAVE},
        {"load", required_argument, NULL, OPT_LOAD},
        {"no-train", no_argument, NULL, OPT_NO_TRAIN},
        {"raster", required_argument, NULL, OPT_RASTER},
        {"raster-format", required_argument, NULL, OPT_RASTER_FORMAT},
        {"raster-layers", required_argument, NULL, OPT_RASTER_LAYERS},
        {"raster-samples", required_argument, NULL, OPT_RASTER_SAMPLES},
        {"raster-window", required_argument, NULL, OPT_RASTER_WINDOW},
        {"raster-max-spikes", required_argument, NULL, OPT_RASTER_MAX_SPIKES},
        {"plot-dir", required_argument, NULL, OPT_PLOT_DIR},
        {"serve", required_argument, NULL, OPT_SERVE},
        {"serve-after", no_argument, NULL, OPT_SERVE_AFTER},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help-model", no_argument, NULL, OPT_HELP_MODEL},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ss_error err;
    o->verbosity = 1;
    o->threads = -1;
    ss_raster_request_default(&o->raster);
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
        case OPT_THREADS: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || optarg[0] == '-' || v > 4096)
                return usage_error("--threads: '%s' is not a whole number in [0, 4096]", optarg);
            o->threads = (long)v;
            break;
        }
        case OPT_MAX_MEMORY: {
            char *end;
            double v = strtod(optarg, &end);
            double unit = 1;
            if (*end && !end[1]) {
                const char *units = "KMGT";
                const char *u = strchr(units, *end == 'k' ? 'K' : *end);
                if (u && *u) {
                    unit = pow(1024, (double)(u - units + 1));
                    end++;
                }
            }
            if (end == optarg || *end || !(v > 0) || !isfinite(v))
                return usage_error("--max-memory: '%s' is not a size such as 512M or 4G", optarg);
            o->max_memory_mb = v * unit / (1024.0 * 1024.0);
            break;
        }
        case OPT_SAVE:
            o->save_path = optarg;
            break;
        case OPT_LOAD:
            o->load_path = optarg;
            break;
        case OPT_NO_TRAIN:
            o->no_train = 1;
            break;
        case OPT_RASTER:
            o->raster_path = optarg;
            break;
        case OPT_RASTER_FORMAT:
            o->raster_format_name = optarg;
            break;
        case OPT_RASTER_LAYERS:
            o->raster.layers = optarg;
            break;
        case OPT_RASTER_SAMPLES:
            if (ss_raster_samples_parse(optarg, &o->raster.samples, &err) != SS_OK)
                return usage_error("--raster-samples: %s", err.msg);
            o->raster_samples_given = 1;
            break;
        case OPT_RASTER_WINDOW:
            if (ss_raster_window_parse(optarg, &o->raster.window, &err) != SS_OK)
                return usage_error("--raster-window: %s", err.msg);
            break;
        case OPT_RASTER_MAX_SPIKES:
            if (ss_raster_max_spikes_parse(optarg, &o->raster.max_spikes, &err) != SS_OK)
                return usage_error("--raster-max-spikes: %s", err.msg);
            break;
        case OPT_PLOT_DIR:
            o->plot_dir = optarg;
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_SERVE: {
            char addr[64];
            int port;
            if (ss_server_parse_listen(optarg, addr, sizeof addr, &port, &err) != SS_OK)
                return usage_error("%s", err.msg);
            o->serve = optarg;
            break;
        }
        case OPT_SERVE_AFTER:
            o->serve_after = 1;
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
    if (o->no_train && !o->load_path)
        return usage_error("%s", "--no-train needs --load FILE");
    if (o->serve_after && !o->serve)
        return usage_error("%s", "--serve-after needs --serve [ADDR:]PORT");
    if (o->raster_path) {
        /* "-" has no extension: standard output takes CSV unless told. */
        int rc = o->raster_format_name
                     ? ss_raster_format_parse(o->raster_format_name, &o->raster_format, &err)
                 : strcmp(o->raster_path, "-") == 0
                     ? ss_raster_format_parse("csv", &o->raster_format, &err)
                     : ss_raster_format_from_path(o->raster_path, &o->raster_format, &err);
        if (rc != SS_OK)
            return usage_error("%s", err.msg);
    } else if (o->raster_format_name || o->raster.layers || o->raster_samples_given ||
               o->raster.max_spikes || o->raster.window.t0_ms > 0 ||
               isfinite(o->raster.window.t1_ms)) {
        return usage_error("%s", "the --raster-* options need --raster FILE");
    }
    return -1;
}

/* Prints err and returns the exit status for its code. */
/* Only rank 0 of an MPI run prints errors (every rank has the same one:
 * they agree on failures), writes files and serves: the program's one
 * process-wide setting, made once in main(). */
static int cli_rank;

static int fail(const ss_error *err)
{
    if (cli_rank == 0)
        fprintf(stderr, "spiksim: %s\n", err->msg);
    return ss_error_exit_status(err->code);
}

/* Every output path is checked before any simulation starts, so that a
 * run never fails at its end for a reason known at its start (atomic.h).
 * "-" is standard output for --json and --raster; only one output may take
 * it, and the text results then go to stderr. */
static int check_outputs(cli_opts *o, ss_error *err)
{
    const struct {
        const char *path, *flag;
        unsigned flags;
    } outs[] = {
        {o->json_path, "--json", SS_OUTPUT_STDOUT_OK},
        {o->raster_path, "--raster", SS_OUTPUT_STDOUT_OK},
        {o->save_path, "--save", 0},
    };
    const char *on_stdout = NULL;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (!outs[i].path)
            continue;
        if (ss_output_check(outs[i].path, outs[i].flag, outs[i].flags, err) != SS_OK)
            return err->code;
        if (!ss_output_is_stdout(outs[i].path))
            continue;
        if (on_stdout)
            return ss_error_set(err, SS_EUSAGE, "%s and %s both write to standard output",
                                on_stdout, outs[i].flag);
        on_stdout = outs[i].flag;
    }
    if (on_stdout)
        o->text_out = stderr;
    if (o->plot_dir && ss_plot_dir_check(o->plot_dir, err) != SS_OK)
        return err->code;
    return SS_OK;
}

static unsigned long run_seed(const ss_config *cfg, const cli_opts *o)
{
    return o->seed_given ? o->seed : (unsigned long)ss_config_int(cfg, "simulation", "seed");
}

static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* --serve: the live server (server.h), NULL without --serve or on error. */
static ss_server *serve_start(const ss_config *cfg, const cli_opts *o, const ss_dataset *ds,
                              unsigned long seed, ss_error *err)
{
    ss_server_options so = {o->serve, cfg, seed, ds, stderr};
    return o->serve ? ss_server_start(&so, err) : NULL;
}

/* After the run: with --serve-after (and success) serve on until SIGINT or
 * SIGTERM, then stop the server. */
static void serve_end(ss_server *server, const cli_opts *o, int rc, int status)
{
    if (!server)
        return;
    ss_server_run_done(server, rc, o->serve_after && status == 0);
    if (o->serve_after && status == 0) {
        fflush(stdout);
        install_stop_handlers(); /* again: serving may outlast the run */
        ss_server_wait(server, &stop_requested);
    }
    ss_server_free(server);
}

/* An interrupted classifier run (SIGINT, SIGTERM) says what it left: the
 * checkpoint of what was learned so far is saved (experiment.h), the
 * results, raster and pictures are not (the run did not finish). */
static void report_interrupted(const cli_opts *o, int save_failed)
{
    fprintf(stderr, "spiksim: interrupted: stopped after the current sample");
    int saved = o->save_path && !o->no_train && !save_failed;
    if (saved)
        fprintf(stderr, "; written: --save %s (the network as trained so far)", o->save_path);
    const struct {
        const char *flag, *path;
    } lost[] = {{"--save", o->save_path && !saved ? o->save_path : NULL},
                {"--json", o->json_path},
                {"--raster", o->raster_path},
                {"--plot-dir", o->plot_dir}};
    const char *sep = "; not written (the run did not finish): ";
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++) {
        if (!lost[i].path)
            continue;
        fprintf(stderr, "%s%s %s", sep, lost[i].flag, lost[i].path);
        sep = ", ";
    }
    fputc('\n', stderr);
}

/* A model with [data]: train and test the spiking classifier. */
static int run_classify(const ss_config *cfg, cli_opts *o, ss_error *err)
{
    int rc = check_outputs(o, err);
    ss_dataset *ds = rc == SS_OK ? ss_dataset_load(cfg, err) : NULL;
    if (rc == SS_OK && !ds)
        rc = err->code;
    /* Every rank stops together on a bad file, rank 0 saying why. */
    if ((rc = ss_comm_agree(o->comm, rc, err)) != SS_OK) {
        ss_dataset_free(ds);
        return fail(err);
    }
    install_stop_handlers();
    ss_run_options opt = {.seed = run_seed(cfg, o),
                          .save_path = o->save_path,
                          .load_path = o->load_path,
                          .no_train = o->no_train,
                          .quiet = o->verbosity == 0,
                          .verbose = o->verbose_all,
                          .comm = o->comm,
                          .stop = &stop_requested,
                          .raster_path = o->raster_path,
                          .raster_format = o->raster_format,
                          .raster = o->raster_path ? &o->raster : NULL,
                          .plot_dir = o->plot_dir};
    ss_server *server = serve_start(cfg, o, ds, opt.seed, err);
    if ((rc = ss_comm_agree(o->comm, o->serve && !server ? err->code : SS_OK, err)) != SS_OK) {
        ss_dataset_free(ds);
        return fail(err);
    }
    opt.on_fold = server ? ss_server_fold : NULL;
    opt.on_fold_ctx = server;
    ss_results results;
    memset(&results, 0, sizeof results);
    rc = ss_run_classifier(cfg, ds, &opt, &results, err);
    const ss_error *late = ss_results_late_error(&results);
    int status = 0;
    if (rc == SS_EINTR) {
        if (cli_rank == 0)
            report_interrupted(o, late != NULL);
        if (late)
            fail(late); /* why the checkpoint is not there */
        status = 130;
    } else if (rc != SS_OK) {
        status = fail(err);
    } else {
        if (o->verbosity > 0)
            ss_results_print(&results, o->text_out);
        if (o->json_path && ss_results_write_json(&results, o->json_path, err) != SS_OK)
            status = fail(err);
        /* a raster or picture that failed after the results were in */
        if (late && status == 0)
            status = fail(late);
    }
    serve_end(server, o, rc, status);
    ss_results_free(&results);
    ss_dataset_free(ds);
    return status;
}

static void print_run_stats(const ss_run_stats *st, FILE *out)
{
    fprintf(out, "simulated %.1f ms%s, seed %lu: %llu spikes, %llu synaptic events\n",
            st->duration_ms, st->interrupted ? " (interrupted: cut short)" : "", st->seed,
            (unsigned long long)st->spikes, (unsigned long long)st->syn_events);
    for (size_t i = 0; i < st->n_layers; i++) {
        const ss_layer_stats *l = &st->layers[i];
        fprintf(out, "  %-12s %-10s %8zu neurons  %8.2f Hz  ISI CV %.3f\n", l->name, l->type,
                l->size, l->rate_hz, l->cv_isi);
    }
    fprintf(out,
            "  synapses %zu (%.2f bytes/synapse); build %.3f s, run %.3f s, %.3g synaptic "
            "events/s\n",
            st->net.n_synapses, st->net.bytes_per_synapse, st->build_s, st->run_s,
            st->syn_events_per_s);
    for (size_t k = 0; k < st->n_plastic; k++) {
        const ss_plastic_stats *ps = &st->plastic[k];
        fprintf(out,
                "  plastic %s: %llu synapses, mean weight %.4g, %.1f%% above the middle of "
                "[%g, %g]\n",
                ps->name, (unsigned long long)ps->synapses, ps->mean_weight,
                ps->synapses ? 100.0 * (double)ps->above_half / (double)ps->synapses : 0, ps->w_min,
                ps->w_max);
    }
    if (st->plan.ranks > 1)
        fprintf(out,
                "  ranks %u (%s): memory per rank %.1f MiB estimated, %.1f MiB peak resident "
                "(largest rank)\n",
                st->plan.ranks,
                st->plan.distributed ? "the network split" : "each the whole network",
                (double)st->rank_bytes_max / (1024.0 * 1024.0), st->rss_mib_max);
    if (st->exchanges)
        fprintf(out,
                "  exchange: %llu windows, %.0f bytes received per window and rank, %.3f s "
                "(rank 0)\n",
                (unsigned long long)st->exchanges,
                (double)st->exchange_bytes / (double)st->exchanges, st->exchange_s);
    if (st->plan.ranks > 1)
        fprintf(out, "  partitions %u over %u ranks, %u thread%s each, window ",
                st->plan.partitions, st->plan.ranks, st->plan.threads,
                st->plan.threads == 1 ? "" : "s");
    else
        fprintf(out, "  partitions %u on %u thread%s, window ", st->plan.partitions,
                st->plan.threads, st->plan.threads == 1 ? "" : "s");
    if (isinf(st->plan.window_ms))
        fprintf(out, "none\n");
    else
        fprintf(out, "%g ms\n", st->plan.window_ms);
}

/* Free-running results as JSON: the run's figures and per-layer rates. */
static int write_run_json(const ss_config *cfg, const ss_run_stats *st, const char *path,
                          ss_error *err)
{
    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err->code;
    ss_json j;
    ss_json_init(&j, ss_atomic_file_stream(af), 1);
    ss_json_object_begin(&j);
    ss_json_key(&j, "model");
    ss_json_string(&j, ss_config_file(cfg));
    ss_json_key(&j, "seed");
    ss_json_int(&j, (long long)st->seed);
    ss_json_key(&j, "duration_ms");
    ss_json_number(&j, st->duration_ms);
    ss_json_key(&j, "interrupted");
    ss_json_bool(&j, st->interrupted);
    ss_json_key(&j, "spikes");
    ss_json_int(&j, (long long)st->spikes);
    ss_json_key(&j, "synaptic_events");
    ss_json_int(&j, (long long)st->syn_events);
    ss_json_key(&j, "synapses");
    ss_json_int(&j, (long long)st->net.n_synapses);
    ss_json_key(&j, "bytes_per_synapse");
    ss_json_number(&j, st->net.bytes_per_synapse);
    if (st->n_plastic) {
        ss_json_key(&j, "plastic");
        ss_json_array_begin(&j);
        for (size_t k = 0; k < st->n_plastic; k++) {
            const ss_plastic_stats *ps = &st->plastic[k];
            ss_json_object_begin(&j);
            ss_json_key(&j, "projection");
            ss_json_string(&j, ps->name);
            ss_json_key(&j, "synapses");
            ss_json_int(&j, (long long)ps->synapses);
            ss_json_key(&j, "w_min");
            ss_json_number(&j, ps->w_min);
            ss_json_key(&j, "w_max");
            ss_json_number(&j, ps->w_max);
            ss_json_key(&j, "mean_weight");
            ss_json_number(&j, ps->mean_weight);
            ss_json_key(&j, "fraction_above_middle");
            ss_json_number(&j, ps->synapses ? (double)ps->above_half / (double)ps->synapses : 0);
            ss_json_key(&j, "histogram");
            ss_json_array_begin(&j);
            for (int b = 0; b < SS_WEIGHT_BINS; b++)
                ss_json_int(&j, (long long)ps->counts[b]);
            ss_json_array_end(&j);
            ss_json_object_end(&j);
        }
        ss_json_array_end(&j);
    }
    /* How it ran (no other figure depends on it, docs/parallel.md). */
    ss_json_key(&j, "parallel");
    ss_json_object_begin(&j);
    ss_json_key(&j, "partitions");
    ss_json_int(&j, st->plan.partitions);
    ss_json_key(&j, "threads");
    ss_json_int(&j, st->plan.threads);
    ss_json_key(&j, "ranks");
    ss_json_int(&j, st->plan.ranks);
    ss_json_key(&j, "window_ms");
    if (isinf(st->plan.window_ms))
        ss_json_null(&j);
    else
        ss_json_number(&j, st->plan.window_ms);
    ss_json_key(&j, "memory_per_rank_estimated_bytes");
    ss_json_int(&j, (long long)st->rank_bytes_max);
    ss_json_key(&j, "peak_resident_mib");
    ss_json_number(&j, st->rss_mib_max);
    ss_json_key(&j, "exchanges");
    ss_json_int(&j, (long long)st->exchanges);
    ss_json_key(&j, "exchange_bytes");
    ss_json_int(&j, (long long)st->exchange_bytes);
    ss_json_key(&j, "exchange_s");
    ss_json_number(&j, st->exchange_s);
    ss_json_object_end(&j);
    ss_json_key(&j, "timing");
    ss_json_object_begin(&j);
    ss_json_key(&j, "build_s");
    ss_json_number(&j, st->build_s);
    ss_json_key(&j, "run_s");
    ss_json_number(&j, st->run_s);
    ss_json_key(&j, "synaptic_events_per_s");
    ss_json_number(&j, st->syn_events_per_s);
    ss_json_object_end(&j);
    ss_json_key(&j, "layers");
    ss_json_array_begin(&j);
    for (size_t i = 0; i < st->n_layers; i++) {
        ss_json_object_begin(&j);
        ss_json_key(&j, "name");
        ss_json_string(&j, st->layers[i].name);
        ss_json_key(&j, "size");
        ss_json_int(&j, (long long)st->layers[i].size);
        ss_json_key(&j, "spikes");
        ss_json_int(&j, (long long)st->layers[i].spikes);
        ss_json_key(&j, "rate_hz");
        ss_json_number(&j, st->layers[i].rate_hz);
        ss_json_key(&j, "cv_isi");
        ss_json_number(&j, st->layers[i].cv_isi);
        ss_json_object_end(&j);
    }
    ss_json_array_end(&j);
    ss_json_object_end(&j);
    return ss_atomic_file_commit(af, err);
}

/* Partitions, threads and window of a run, for --check and run summaries. */
static void print_plan(const ss_network *net, const ss_engine_plan *plan, const char *indent)
{
    if (plan->distributed)
        printf("%spartitions: %u over %u ranks, %u thread%s each; window (d_min) ", indent,
               plan->partitions, plan->ranks, plan->threads, plan->threads == 1 ? "" : "s");
    else
        printf("%spartitions: %u on %u thread%s; window (d_min) ", indent, plan->partitions,
               plan->threads, plan->threads == 1 ? "" : "s");
    if (isinf(plan->window_ms))
        printf("none (no projection between neuron layers)\n");
    else
        printf("%g ms\n", plan->window_ms);
    if (plan->zero_delay >= 0)
        printf("%s  (one partition: projection '%s' has zero delay between neuron layers)\n",
               indent, ss_projection_name(ss_network_projection(net, (size_t)plan->zero_delay)));
}

/* Says once on stderr why a run asked for threads uses one partition. */
static void warn_plan(const ss_network *net, const ss_engine_plan *plan, unsigned threads)
{
    if (plan->zero_delay >= 0 && threads != 1)
        fprintf(stderr,
                "spiksim: note: projection '%s' has zero delay between neuron layers: the "
                "network runs on one partition\n",
                ss_projection_name(ss_network_projection(net, (size_t)plan->zero_delay)));
}

/* Free-running runs capture spikes for --raster and --plot-dir through this. */
typedef struct free_capture {
    const cli_opts *o;
    long threads; /* [simulation] threads */
    ss_capture *cap;
    ss_server *server; /* --serve */
} free_capture;

static int attach_capture(void *ctx, ss_network *net, ss_engine *eng, ss_error *err)
{
    free_capture *fc = ctx;
    ss_engine_plan plan;
    ss_engine_get_plan(eng, &plan);
    if (fc->o->verbosity > 0)
        warn_plan(net, &plan, (unsigned)fc->threads);
    if (fc->server && ss_server_watch_free(fc->server, net, eng, err) != SS_OK)
        return err->code;
    if (!fc->o->raster_path && !fc->o->plot_dir)
        return SS_OK;
    fc->cap = ss_capture_alloc(&fc->o->raster, net, 0, NULL, 0, 0, 0, err);
    if (!fc->cap)
        return err->code;
    ss_capture_free_running(fc->cap);
    return ss_engine_add_observer(eng, ss_capture_spike, fc->cap) == 0
               ? SS_OK
               : ss_error_set(err, SS_ENOMEM, "out of memory");
}

/* A model without [data] (bench4, say): simulate duration_ms and report. */
static int run_free(const ss_config *cfg, cli_opts *o, ss_error *err)
{
    int rc = SS_OK;
    if (o->load_path || o->no_train)
        rc = ss_error_set(err, SS_EUSAGE,
                          "%s: a free-running model starts from its model file; --load and "
                          "--no-train are for classifier models",
                          o->load_path ? "--load" : "--no-train");
    else if (o->raster_samples_given)
        rc = ss_error_set(err, SS_EUSAGE,
                          "--raster-samples: a free-running model has no presentations; use "
                          "--raster-window T0:T1");
    else
        rc = check_outputs(o, err);
    ss_run_stats st;
    memset(&st, 0, sizeof st);
    free_capture fc = {o, ss_config_int(cfg, "simulation", "threads"), NULL, NULL};
    if (rc == SS_OK && o->serve && !(fc.server = serve_start(cfg, o, NULL, run_seed(cfg, o), err)))
        rc = err->code;
    /* Every rank stops together, rank 0 saying why. */
    if ((rc = ss_comm_agree(o->comm, rc, err)) != SS_OK) {
        ss_server_free(fc.server);
        return fail(err);
    }
    install_stop_handlers();
    ss_simulate_options so = {.seed = run_seed(cfg, o),
                              .on_start = attach_capture,
                              .ctx = &fc,
                              .stop = &stop_requested,
                              .comm = o->comm,
                              .save_path = o->save_path};
    rc = ss_simulate_run(cfg, &so, &st, err);
    /* Stopped by a signal: the outputs and summary of what was simulated. */
    int interrupted = rc == SS_EINTR && st.interrupted;
    if (interrupted)
        rc = SS_OK;
    if (rc == SS_OK && o->raster_path)
        rc = ss_figures_raster(fc.cap, o->raster_path, o->raster_format, o->raster.max_spikes,
                               stderr, err);
    if (rc == SS_OK && o->plot_dir)
        rc = ss_figures_free_plots(o->plot_dir, fc.cap, err);
    int status = 0;
    if (rc != SS_OK) {
        status = fail(err);
    } else {
        if (o->verbosity > 0)
            print_run_stats(&st, o->text_out);
        if (o->json_path && write_run_json(cfg, &st, o->json_path, err) != SS_OK)
            status = fail(err);
    }
    if (interrupted && cli_rank == 0) {
        fprintf(stderr,
                "spiksim: interrupted at %g ms of %g ms: the summary%s%s%s cover [0, %g) ms\n",
                st.duration_ms, st.requested_duration_ms, o->raster_path ? ", raster" : "",
                o->json_path ? ", JSON" : "", o->plot_dir ? ", pictures" : "", st.duration_ms);
    }
    if (interrupted && status == 0)
        status = 130;
    serve_end(fc.server, o, rc, status);
    ss_capture_free(fc.cap);
    ss_run_stats_free(&st);
    return status;
}

/* Layers and projections of the network as built, with the memory it needs;
 * n_syn[i] synapses in projection i and sum the figures of the whole
 * network (which several ranks hold between them). */
static void print_network_summary(const ss_config *cfg, const ss_network *net,
                                  const uint64_t *n_syn, const ss_network_summary *sum)
{
    printf("model %s\n", ss_config_file(cfg));
    printf("layers: %zu\n", ss_network_n_layers(net));
    for (size_t i = 0; i < ss_network_n_layers(net); i++) {
        ss_layer *l = ss_network_layer(net, i);
        char sec[256];
        snprintf(sec, sizeof sec, "layer.%s", ss_layer_name(l));
        printf("  %-12s %-10s %8zu neurons\n", ss_layer_name(l), ss_config_string(cfg, sec, "type"),
               ss_layer_size(l));
    }
    printf("projections: %zu\n", ss_network_n_projections(net));
    for (size_t i = 0; i < ss_network_n_projections(net); i++) {
        ss_projection *p = ss_network_projection(net, i);
        char sec[256];
        snprintf(sec, sizeof sec, "projection.%s", ss_projection_name(p));
        printf("  %-12s %s -> %s (%s): %zu synapses, %.2f B each%s\n", ss_projection_name(p),
               ss_layer_name(ss_network_layer(net, ss_projection_from(p))),
               ss_layer_name(ss_network_layer(net, ss_projection_to(p))),
               ss_config_string(cfg, sec, "connect"), (size_t)n_syn[i],
               ss_projection_bytes_per_synapse(p), ss_projection_plastic(p) ? ", plastic" : "");
    }
    printf("synapses: %zu (%.2f bytes/synapse); estimated memory %.1f MiB\n", sum->n_synapses,
           sum->bytes_per_synapse, (double)sum->estimated_bytes / (1024.0 * 1024.0));
}

/* What --check prints of the network: each rank built its share of a
 * free-running network (as a run would), so the synapse counts and bytes are
 * summed over ranks and the largest rank's memory is shown beside them. */
static int summarize_ranks(const ss_config *cfg, const ss_network *net, ss_comm *comm, int split,
                           int verbose, ss_error *err)
{
    size_t np = ss_network_n_projections(net);
    uint64_t *v = malloc((np + 3) * sizeof *v);
    if (!v)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    ss_network_summary sum;
    ss_network_summarize(net, &sum);
    for (size_t i = 0; i < np; i++)
        v[i] = ss_projection_n_synapses(ss_network_projection(net, i));
    v[np] = sum.synapse_bytes;
    v[np + 1] = (uint64_t)(sum.bytes_per_synapse * (double)sum.n_synapses + 0.5);
    v[np + 2] = sum.estimated_bytes;
    double rank_bytes = (double)sum.estimated_bytes;
    int rc = ss_comm_sum_u64(comm, v, np + 3, err);
    if (rc == SS_OK)
        rc = ss_comm_max_f64(comm, &rank_bytes, 1, err);
    if (rc == SS_OK && verbose) {
        ss_network_summary all = sum;
        all.n_synapses = 0;
        for (size_t i = 0; i < np; i++)
            all.n_synapses += (size_t)v[i];
        all.synapse_bytes = (size_t)v[np];
        all.bytes_per_synapse = all.n_synapses ? (double)v[np + 1] / (double)all.n_synapses : 0;
        all.estimated_bytes = (size_t)v[np + 2];
        print_network_summary(cfg, net, v, &all);
        int ranks = ss_comm_size(comm);
        if (ranks > 1)
            printf("ranks %d (%s): memory per rank %.1f MiB estimated (largest rank)\n", ranks,
                   split ? "the network split" : "each the whole network",
                   rank_bytes / (1024.0 * 1024.0));
    }
    free(v);
    return rc;
}

/* --check: everything a run would load and build, nothing simulated. */
static int check_model(const ss_config *cfg, const cli_opts *o, ss_error *err)
{
    ss_dataset *ds = NULL;
    if (ss_config_has_section(cfg, "data")) {
        ds = ss_dataset_load(cfg, err);
        if (!ds)
            return fail(err);
    }
    /* A free run's ranks build their shares; a classifier's the whole. */
    ss_share share = {0, 1, 1};
    if (!ds)
        ss_simulate_share(cfg, (unsigned)ss_comm_size(o->comm), (unsigned)ss_comm_rank(o->comm),
                          ss_simulate_local_partitions(cfg), &share);
    ss_network *net = ss_network_from_config_share(cfg, run_seed(cfg, o), &share, err);
    int rc = net ? SS_OK : err->code;
    if ((rc = ss_comm_agree(o->comm, rc, err)) != SS_OK) {
        ss_network_free(net);
        ss_dataset_free(ds);
        return fail(err);
    }
    rc = summarize_ranks(cfg, net, ds ? NULL : o->comm, share.n > 1, o->verbosity > 0, err);
    if (rc == SS_OK && o->verbosity > 0) {
        ss_engine_options eo = {.seed = run_seed(cfg, o),
                                .threads = (unsigned)ss_config_int(cfg, "simulation", "threads"),
                                .partitions =
                                    (unsigned)ss_config_int(cfg, "simulation", "partitions"),
                                .comm = ds ? NULL : o->comm};
        ss_engine_plan plan;
        if (ds)
            ss_classifier_plan(net, cfg, &plan);
        else
            ss_engine_plan_for(net, &eo, &plan);
        if (ds)
            printf("training ");
        print_plan(net, &plan, "");
    }
    /* A classifier's learning keys (learn_epochs, learning_gain, teacher
     * lines) are read when its learner is built: build one to check them. */
    if (rc == SS_OK && ds) {
        ss_engine_options one = {.seed = run_seed(cfg, o), .threads = 1};
        ss_engine *eng = ss_engine_alloc(net, &one, err);
        ss_learner *l = eng ? ss_learner_alloc(net, eng, cfg, err) : NULL;
        rc = l ? SS_OK : err->code;
        ss_learner_free(l);
        ss_engine_free(eng);
    }
    if (rc == SS_OK && ds) {
        /* Quiet still computes the split sizes: they can be invalid. */
        FILE *out = o->verbosity > 0 ? stdout : fopen("/dev/null", "w");
        rc = out ? ss_dataset_print_summary(ds, cfg, out, err)
                 : ss_error_set(err, SS_EIO, "/dev/null: cannot open");
        if (out && out != stdout)
            fclose(out);
    }
    ss_network_free(net);
    ss_dataset_free(ds);
    return rc == SS_OK ? 0 : fail(err);
}

/* The options of a rank other than 0: no output of its own. */
static void quiet_rank(cli_opts *o)
{
    o->verbosity = 0;
    o->json_path = o->raster_path = o->plot_dir = o->save_path = NULL;
    o->serve = NULL;
    o->serve_after = 0;
}

int main(int argc, char **argv)
{
    ss_error err;
    ss_error_clear(&err);
    ss_comm *world = ss_comm_world(&argc, &argv, &err);
    if (!world) {
        fprintf(stderr, "spiksim: %s\n", err.msg);
        return 1;
    }
    cli_rank = ss_comm_rank(world);
    cli_opts o = {0};
    o.text_out = stdout;
    int status = parse_args(argc, argv, &o);
    if (status >= 0) {
        free(o.sets);
        ss_comm_free(world);
        return status;
    }
    o.comm = world;
    o.verbose_all = o.verbosity > 1;
    if (cli_rank != 0)
        quiet_rank(&o); /* rank 0 writes, prints and serves for the run */
    ss_config *cfg = ss_config_load(o.model, o.sets, o.n_sets, &err);
    int rc = cfg ? SS_OK : err.code;
    char set[96];
    if (rc == SS_OK && o.max_memory_mb > 0) {
        snprintf(set, sizeof set, "simulation.max_memory_mb=%.17g", o.max_memory_mb);
        rc = ss_config_set(cfg, set, &err);
    }
    if (rc == SS_OK && o.threads >= 0) {
        snprintf(set, sizeof set, "simulation.threads=%ld", o.threads);
        rc = ss_config_set(cfg, set, &err);
    }
    if ((rc = ss_comm_agree(world, rc, &err)) != SS_OK) {
        status = fail(&err);
    } else if (o.check) {
        status = check_model(cfg, &o, &err);
    } else if (ss_config_has_section(cfg, "data")) {
        status = run_classify(cfg, &o, &err);
    } else {
        status = run_free(cfg, &o, &err);
    }
    ss_config_free(cfg);
    free(o.sets);
    ss_plot_release_caches(); /* cairo's and fontconfig's, for leak checkers */
    ss_comm_free(world);
    return status;
}
