/* A small learning rig for the tests: a network built from a model text
 * (written to the test directory with its spike file pre.csv), its engine
 * and learner.  Tests drive it by hand: begin a sample, force spikes, run,
 * end the sample, read weights. */
#ifndef SS_TEST_LEARNRIG_H
#define SS_TEST_LEARNRIG_H

#include <gsl/gsl_rng.h>
#include <spiksim/config.h>
#include <spiksim/engine.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>

typedef struct rig {
    ss_config *cfg;
    ss_network *net;
    ss_engine *eng;
    ss_learner *learner;
    gsl_rng *rng;
} rig;

/* 1 on success; on failure prints why and returns 0. */
int rig_up(rig *r, const char *model, const char *pre_csv);
void rig_down(rig *r);
/* The first weight of projection k. */
float rig_weight(rig *r, size_t k);

#endif
