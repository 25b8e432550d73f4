/* Results: fold statistics, the text summary and the JSON file. */
#include "testutil.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/json.h>
#include <spiksim/report.h>

static const char *names[] = {"four", "nine"};

static void fill(ss_results *r)
{
    CU_ASSERT_EQUAL_FATAL(ss_results_init(r, 2, 2, NULL), 0);
    r->model = "models/x.ini";
    r->dataset = "mnist";
    r->split = "MNIST-10k";
    r->seed = 5;
    r->class_names = malloc(sizeof names);
    memcpy(r->class_names, names, sizeof names);
    for (int i = 0; i < 2; i++) {
        ss_fold_result *f = &r->folds[i];
        CU_ASSERT_EQUAL_FATAL(ss_fold_result_reserve(f, 2, 1, NULL), 0);
        f->fold = i;
        f->train_accuracy = 0.9;
        f->test_accuracy = i ? 0.8 : 0.6;
        f->has_backprop = 1;
        f->bp_test_accuracy = 0.95;
        f->samples_presented = 100;
        f->synaptic_events = 1000;
        f->train_s = 1;
        f->test_s = 1;
        f->fgsm[0].eps = 0.1;
        f->fgsm[0].backprop_whitebox = 0.5;
        f->fgsm[0].snn_transfer_from_backprop = i ? 0.7 : 0.5;
        ss_confusion_add(f->confusion, 0, 0);
        ss_confusion_add(f->confusion, 1, 0);
    }
}

static void test_stats(void)
{
    ss_results r;
    fill(&r);
    double sd;
    double m = ss_results_stat(&r, offsetof(ss_fold_result, test_accuracy), &sd);
    CU_ASSERT_DOUBLE_EQUAL(m, 0.7, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sd, sqrt(0.02), 1e-12); /* sample sd of 0.6, 0.8 */
    ss_results_free(&r);
}

static void test_text(void)
{
    ss_results r;
    fill(&r);
    const char *path = ss_test_tmp("summary.txt");
    FILE *fp = fopen(path, "w");
    ss_results_print(&r, fp);
    fclose(fp);
    char *text = ss_test_read(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "70.0 ± 14.1%"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "95.0 ± 0.0%"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "test fold 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "60.0 ± 14.1%")); /* transfer column mean */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "200 presentations"));
    free(text);
    ss_results_free(&r);
}

static void test_json(void)
{
    ss_results r;
    fill(&r);
    const char *path = ss_test_tmp("results.json");
    CU_ASSERT_EQUAL(ss_results_write_json(&r, path, NULL), 0);
    char *text = ss_test_read(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"classes\": [\n    \"four\",\n    \"nine\"\n  ]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"test_accuracy\": 0.7,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"confusion\": [\n      [2, 0],\n      [2, 0]\n    ]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"snn_transfer_from_backprop\": 0.6"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"snn_surrogate_whitebox\": null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"synaptic_events_per_s\": 500"));
    /* Balanced and closed. */
    int depth = 0;
    for (const char *p = text; *p; p++)
        depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
    CU_ASSERT_EQUAL(depth, 0);
    free(text);
    ss_results_free(&r);
}

static void test_json_writer(void)
{
    const char *path = ss_test_tmp("writer.json");
    FILE *fp = fopen(path, "w");
    ss_json j;
    ss_json_init(&j, fp, 0);
    ss_json_object_begin(&j);
    ss_json_key(&j, "s");
    ss_json_string(&j, "a\"b\\c\n\x01");
    ss_json_key(&j, "n");
    ss_json_number(&j, NAN);
    ss_json_key(&j, "a");
    ss_json_array_begin(&j);
    ss_json_int(&j, 1);
    ss_json_bool(&j, 0);
    ss_json_array_begin(&j);
    ss_json_array_end(&j);
    ss_json_array_end(&j);
    ss_json_object_end(&j);
    fclose(fp);
    char *text = ss_test_read(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":null,\"a\":[1,false,[]]}");
    free(text);
}

/* Names come from data files (an IRIS species column): the JSON stays valid
 * UTF-8, valid characters as they are, stray bytes as U+FFFD. */
static void test_json_writer_utf8(void)
{
    const char *path = ss_test_tmp("writer-utf8.json");
    FILE *fp = fopen(path, "w");
    ss_json j;
    ss_json_init(&j, fp, 0);
    ss_json_string(&j, "caf\xC3\xA9 \xFF \xE2\x82 \xED\xA0\x80 \xF0\x9F\x8C\xB8");
    fclose(fp);
    char *text = ss_test_read(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "\"caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xF0\x9F\x8C\xB8\"");
    free(text);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"fold statistics", test_stats},
        {"text summary", test_text},
        {"json results", test_json},
        {"json writer escaping and nesting", test_json_writer},
        {"json writer: invalid UTF-8", test_json_writer_utf8},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("report", cases);
    return ss_test_main();
}
