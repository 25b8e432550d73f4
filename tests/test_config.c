/* Model-file loader: every rule of the strict format, error text included. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/config.h>

static const char *good_model = "; a comment\n"
                                "[simulation]\n"
                                "seed = 7\n"
                                "\n"
                                "[layer.in]\n"
                                "  type = input   ; indented keys are fine\n"
                                "  size = 4\n"
                                "[layer.out]\n"
                                "size = 3\n"
                                "tau_m_ms = 12.5\n"
                                "[projection.in_out]\n"
                                "from = in\n"
                                "to = out\n"
                                "[evaluate]\n"
                                "fgsm_eps = 0, 0.1,0.3\n";

/* Loads text as a model file; expects failure with a message containing
 * each of the given fragments (NULL-terminated). */
static void expect_error(const char *name, const char *text, int code, const char *frag1,
                         const char *frag2)
{
    const char *path = ss_test_write(name, text);
    ss_error err;
    ss_error_clear(&err);
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag1));
    if (frag2)
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag2));
    if (!strstr(err.msg, frag1) || (frag2 && !strstr(err.msg, frag2)))
        fprintf(stderr, "\n  got: %s\n", err.msg);
    ss_config_free(cfg);
}

static void test_good_file(void)
{
    const char *path = ss_test_write("good.ini", good_model);
    ss_error err;
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "simulation", "seed"), 7);
    CU_ASSERT_EQUAL(ss_config_count(cfg, "layer"), 2);
    CU_ASSERT_STRING_EQUAL(ss_config_name(cfg, "layer", 0), "in");
    CU_ASSERT_STRING_EQUAL(ss_config_name(cfg, "layer", 1), "out");
    CU_ASSERT_STRING_EQUAL(ss_config_string(cfg, "layer.in", "type"), "input");
    CU_ASSERT_EQUAL(ss_config_int(cfg, "layer.out", "size"), 3);
    CU_ASSERT_DOUBLE_EQUAL(ss_config_double(cfg, "layer.out", "tau_m_ms"), 12.5, 0);
    /* Defaults come from the table. */
    CU_ASSERT_STRING_EQUAL(ss_config_string(cfg, "layer.out", "type"), "lif");
    CU_ASSERT_DOUBLE_EQUAL(ss_config_double(cfg, "layer.in", "tau_m_ms"), 20, 0);
    CU_ASSERT_FALSE(ss_config_is_set(cfg, "layer.in", "tau_m_ms"));
    CU_ASSERT_TRUE(ss_config_is_set(cfg, "layer.out", "tau_m_ms"));
    CU_ASSERT_EQUAL(ss_config_line(cfg, "layer.out", "tau_m_ms"), 10);
    CU_ASSERT_EQUAL(ss_config_line(cfg, "layer.in", "size"), 7);
    CU_ASSERT_TRUE(ss_config_bool(cfg, "train", "shuffle"));
    CU_ASSERT_TRUE(ss_config_has_section(cfg, "evaluate"));
    CU_ASSERT_FALSE(ss_config_has_section(cfg, "data"));
    CU_ASSERT_EQUAL(ss_config_count(cfg, "data"), 0);
    const double *eps;
    size_t n = ss_config_list(cfg, "evaluate", "fgsm_eps", &eps);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_DOUBLE_EQUAL(eps[0], 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eps[1], 0.1, 0);
    CU_ASSERT_DOUBLE_EQUAL(eps[2], 0.3, 0);
    ss_config_free(cfg);
}

static void test_unknown_section(void)
{
    expect_error("badsec.ini", "[simulation]\nseed = 1\n\n[dta]\n", SS_ECONFIG,
                 "badsec.ini:4:", "unknown section [dta] (did you mean [data]?)");
    expect_error("badsec2.ini", "[zzzzzz]\n", SS_ECONFIG,
                 "badsec2.ini:1:", "unknown section [zzzzzz]");
    expect_error("noname.ini", "[layer]\nsize = 3\n", SS_ECONFIG, "noname.ini:1:", "[layer.NAME]");
    expect_error("named.ini", "[data.x]\n", SS_ECONFIG, "named.ini:1:", "takes no name");
}

static void test_unknown_key(void)
{
    expect_error(
        "badkey.ini", "[layer.hidden1]\nsize = 3\ntau_mm = 5\n", SS_ECONFIG,
        "badkey.ini:3:", "unknown key 'tau_mm' in [layer.hidden1] (did you mean 'tau_m_ms'?)");
    expect_error("badkey2.ini", "[train]\nqqqqqqqqqq = 1\n", SS_ECONFIG,
                 "badkey2.ini:2:", "unknown key 'qqqqqqqqqq' in [train]");
}

static void test_bad_types(void)
{
    expect_error("int.ini", "[layer.a]\nsize = 3.5\n", SS_ECONFIG,
                 "int.ini:2:", "size: '3.5' is not a whole number");
    expect_error("dbl.ini", "[layer.a]\nsize = 3\ntau_m_ms = fast\n", SS_ECONFIG,
                 "dbl.ini:3:", "'fast' is not a number");
    expect_error("bool.ini", "[train]\nshuffle = maybe\n", SS_ECONFIG,
                 "bool.ini:2:", "is not a boolean");
    expect_error("enum.ini", "[layer.a]\nsize = 1\ntype = izhikevich\n", SS_ECONFIG,
                 "enum.ini:3:", "'izhikevich' is not one of input|label|lif|");
    expect_error("list.ini", "[evaluate]\nfgsm_eps = 0.1, x\n", SS_ECONFIG,
                 "list.ini:2:", "list item 'x'");
    expect_error("nan.ini", "[layer.a]\nsize = 1\ne_l_mv = nan\n", SS_ECONFIG,
                 "nan.ini:3:", "is not a number");
}

static void test_out_of_range(void)
{
    expect_error("range.ini", "[layer.a]\nsize = 0\n", SS_ECONFIG,
                 "range.ini:2:", "size: 0 is out of range [1, 100000000]");
    expect_error("tau.ini", "[layer.a]\nsize = 2\ntau_m_ms = -1\n", SS_ECONFIG,
                 "tau.ini:3:", "tau_m_ms: -1 is out of range");
    expect_error("p.ini", "[layer.a]\nsize=1\n[projection.x]\nfrom=a\nto=a\np = 1.5\n", SS_ECONFIG,
                 "p.ini:6:", "p: 1.5 is out of range [0, 1]");
    expect_error("eps.ini", "[evaluate]\nfgsm_eps = 0.1, 2\n", SS_ECONFIG,
                 "eps.ini:2:", "list item '2'");
}

static void test_missing_required(void)
{
    expect_error("req.ini", "[simulation]\n\n[layer.h1]\ntau_m_ms = 10\n", SS_ECONFIG,
                 "req.ini:3:", "[layer.h1] missing required key 'size'");
    expect_error("req2.ini", "[layer.a]\nsize = 2\n[projection.p]\nfrom = a\n", SS_ECONFIG,
                 "req2.ini:3:", "missing required key 'to'");
}

static void test_duplicates(void)
{
    expect_error("dupkey.ini", "[layer.a]\nsize = 2\nsize = 3\n", SS_ECONFIG,
                 "dupkey.ini:3:", "duplicate key 'size' in [layer.a] (first at line 2)");
    expect_error("dupsec.ini", "[train]\n[layer.a]\nsize=1\n[train]\n", SS_ECONFIG,
                 "dupsec.ini:4:", "duplicate section [train] (first at line 1)");
}

static void test_syntax(void)
{
    expect_error("outside.ini", "size = 3\n", SS_ECONFIG,
                 "outside.ini:1:", "key 'size' outside any section");
    expect_error("noeq.ini", "[train]\nepochs 3\n", SS_ECONFIG,
                 "noeq.ini:2:", "expected 'key = value'");
    expect_error("bracket.ini", "[train\n", SS_ECONFIG, "bracket.ini:1:", "expected ']'");
    char longline[400];
    memset(longline, 'x', sizeof longline);
    memcpy(longline, "[train]\nepochs = ", 17);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    expect_error("long.ini", longline, SS_ECONFIG, "long.ini:2:", "line longer than");
}

static void test_file_not_found(void)
{
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_tmp("does-not-exist.ini"), NULL, 0, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does-not-exist.ini: cannot open model file"));
    /* A directory is unreadable as a model file. */
    cfg = ss_config_load(ss_test_tmp(""), NULL, 0, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
}

static void test_set(void)
{
    const char *path = ss_test_write("set.ini", good_model);
    const char *sets[] = {"layer.out.size=64", "train.epochs = 5", "simulation.seed=9"};
    ss_error err;
    ss_config *cfg = ss_config_load(path, sets, 3, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "layer.out", "size"), 64);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "train", "epochs"), 5);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "simulation", "seed"), 9);
    CU_ASSERT_TRUE(ss_config_is_set(cfg, "train", "epochs"));
    CU_ASSERT_EQUAL(ss_config_line(cfg, "train", "epochs"), 0);
    /* A semantic error on a --set value names the --set. */
    ss_config_error(cfg, &err, "layer.out", "size", "too big");
    CU_ASSERT_STRING_EQUAL(err.msg, "--set layer.out.size=64: too big");
    ss_config_error(cfg, &err, "layer.out", "tau_m_ms", "bad");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "set.ini:10: [layer.out] tau_m_ms: bad"));
    ss_config_free(cfg);
    /* [data] created by --set still needs its required keys. */
    const char *set_data[] = {"data.fold=3"};
    cfg = ss_config_load(path, set_data, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "[data] missing required key 'dataset'"));
    const char *set_bad[] = {"layer.out.size=0"};
    cfg = ss_config_load(path, set_bad, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_STRING_EQUAL(err.msg, "--set layer.out.size=0: [layer.out] size: 0 is out of "
                                    "range [1, 100000000]");
    const char *set_key[] = {"layer.out.tau_mm=3"};
    cfg = ss_config_load(path, set_key, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'tau_m_ms'"));
    const char *set_layer[] = {"layer.nope.size=3"};
    cfg = ss_config_load(path, set_layer, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no section [layer.nope]"));
    const char *set_form[] = {"seed=3"};
    cfg = ss_config_load(path, set_form, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, SS_EUSAGE);
}

static void test_paths(void)
{
    ss_test_write("data.csv", "x\n");
    const char *path = ss_test_write("paths.ini", "[data]\ndataset = iris\npath = data.csv\n");
    ss_error err;
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    char *resolved = ss_config_path(cfg, "data", "path", &err);
    CU_ASSERT_PTR_NOT_NULL(resolved);
    if (resolved)
        CU_ASSERT_PTR_NOT_NULL(strstr(resolved, "tests/tmp/data.csv"));
    free(resolved);
    CU_ASSERT_PTR_NULL(ss_config_path(cfg, "data", "labels", &err)); /* empty */
    ss_config_free(cfg);
    path = ss_test_write("paths2.ini", "[data]\ndataset = iris\npath = nowhere.csv\n");
    cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    ss_error_clear(&err);
    CU_ASSERT_PTR_NULL(ss_config_path(cfg, "data", "path", &err));
    CU_ASSERT_EQUAL(err.code, SS_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err.msg, "paths2.ini:3: [data] path: file 'nowhere.csv' not found"));
    ss_config_free(cfg);
}

/* --set values and keys are taken whole, however long: a value of 600
 * characters is the number it spells (cutting it at 511 made it another),
 * and the error for a long one still ends with its reason. */
static void test_set_long_values(void)
{
    const char *path = ss_test_write("setlong.ini", good_model);
    size_t n = 600;
    char *set = malloc(n + 32);
    strcpy(set, "layer.out.size=");
    size_t at = strlen(set);
    memset(set + at, '0', n);
    strcpy(set + at + n, "7");
    const char *sets[] = {set};
    ss_error err;
    ss_config *cfg = ss_config_load(path, sets, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "layer.out", "size"), 7);
    ss_config_free(cfg);
    set[at] = 'x';
    cfg = ss_config_load(path, sets, 1, &err);
    CU_ASSERT_PTR_NULL(cfg);
    const char *tail = "007' is not a whole number";
    size_t len = strlen(err.msg);
    CU_ASSERT_TRUE(len > strlen(tail) && strcmp(err.msg + len - strlen(tail), tail) == 0);
    CU_ASSERT_EQUAL(strncmp(err.msg, "--set layer.out.size=x000", 25), 0);
    free(set);
}

/* A UTF-8 byte-order mark before the first line is not part of it. */
static void test_bom(void)
{
    /* good_model without its comment line: the header comes first. */
    const char *model = strchr(good_model, '\n') + 1;
    size_t n = strlen(model);
    char *text = malloc(n + 4);
    memcpy(text, "\xEF\xBB\xBF", 3);
    memcpy(text + 3, model, n + 1);
    ss_error err;
    ss_config *cfg = ss_config_load(ss_test_write("bom.ini", text), NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(ss_config_int(cfg, "simulation", "seed"), 7);
    ss_config_free(cfg);
    /* Only at the very start: elsewhere those bytes are what they are. */
    strcpy(text, "[simulation]\n\xEF\xBB\xBFseed = 7\n");
    cfg = ss_config_load(ss_test_write("bom2.ini", text), NULL, 0, &err);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bom2.ini:2: unknown key"));
    free(text);
}

static void test_table_consistent(void)
{
    size_t n_keys, n_secs;
    const ss_key_spec *keys = ss_config_keys(&n_keys);
    const ss_section_spec *secs = ss_config_sections(&n_secs);
    for (size_t i = 0; i < n_keys; i++) {
        int found = 0;
        for (size_t s = 0; s < n_secs; s++)
            found |= strcmp(keys[i].section, secs[s].name) == 0;
        CU_ASSERT_TRUE(found);
        CU_ASSERT_PTR_NOT_NULL(keys[i].doc);
        CU_ASSERT_TRUE(keys[i].type != SS_KEY_ENUM || keys[i].choices);
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_FALSE(strcmp(keys[i].section, keys[j].section) == 0 &&
                            strcmp(keys[i].key, keys[j].key) == 0);
    }
    /* Every default passes its own validation: a file naming every section
     * with no keys but the required ones loads. */
    const char *path = ss_test_write("defaults.ini", "[simulation]\n[encoding]\n[plasticity]\n"
                                                     "[train]\n[evaluate]\n[layer.a]\nsize=1\n"
                                                     "[projection.p]\nfrom=a\nto=a\n");
    ss_error err;
    ss_config *cfg = ss_config_load(path, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL(cfg);
    ss_config_free(cfg);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"good file and defaults", test_good_file},
        {"unknown section", test_unknown_section},
        {"unknown key", test_unknown_key},
        {"bad types", test_bad_types},
        {"out of range", test_out_of_range},
        {"missing required key", test_missing_required},
        {"duplicate key and section", test_duplicates},
        {"syntax errors", test_syntax},
        {"file not found", test_file_not_found},
        {"--set overrides", test_set},
        {"--set values of any length", test_set_long_values},
        {"UTF-8 byte-order mark", test_bom},
        {"path resolution", test_paths},
        {"key table consistent", test_table_consistent},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("config", cases);
    return ss_test_main();
}
