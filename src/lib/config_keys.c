/* The one table of every model-file section and key.
 *
 * The loader validates against it, `--set` goes through the same loader,
 * `spiksim --help-model` prints it and tests/test_manpages.sh checks that
 * man/spiksim.ini.5 documents exactly these keys.  To add a key, add a row
 * here and a paragraph to man/spiksim.ini.5; nothing else needs a list.
 *
 * Defaults are written as they would be in a file.  A NULL default makes the
 * key required in every section of its kind that appears.
 */
#include <spiksim/config.h>

#define BIG 1e9

static const ss_section_spec sections[] = {
    {"simulation", 0, "seed, duration and threads of the run"},
    {"data", 0, "dataset, split and class subset (absent: a free-running model such as bench4)"},
    {"encoding", 0, "how a sample's features become input spike trains"},
    {"layer", 1, "a population of neurons or spike sources: [layer.NAME]"},
    {"projection", 1, "synapses from one layer to another: [projection.NAME]"},
    {"plasticity", 0, "the association STDP rule used in training"},
    {"train", 0, "training schedule of the spiking network"},
    {"evaluate", 0,
     "test-time evaluation: backprop baseline and adversarial attacks (docs/robustness.md)"},
};

static const ss_key_spec keys[] = {
    /* [simulation] */
    {"simulation", "seed", SS_KEY_INT, "1", 0, 2147483647.0, NULL,
     "seed of every random choice in the run (--seed overrides it)"},
    {"simulation", "duration_ms", SS_KEY_DOUBLE, "1000", 0, BIG, NULL,
     "simulated time of a free-running model (one without [data])"},
    {"simulation", "threads", SS_KEY_INT, "0", 0, 4096, NULL,
     "threads of the run (0: every online core; --threads overrides it); every result is the "
     "same for any number"},
    {"simulation", "max_memory_mb", SS_KEY_DOUBLE, "0", 0, BIG, NULL,
     "memory the network may take, estimated before it is built (0: the machine's memory); "
     "a model beyond it is refused at the line of the layer or projection (--max-memory)"},
    {"simulation", "partitions", SS_KEY_INT, "0", 0, 4096, NULL,
     "partitions the network is split into (0: one per thread for a free run; for a "
     "classifier's training, one per thread when its windows hold enough work, else one); "
     "every result is the same for any number"},

    /* [data] */
    {"data", "dataset", SS_KEY_ENUM, NULL, 0, 0, "iris|mnist",
     "which dataset the file at path holds"},
    {"data", "path", SS_KEY_PATH, NULL, 0, 0, NULL,
     "IRIS CSV, or MNIST images in IDX (.gz allowed): the whole set for the fixed split, or "
     "the official training images when test_path is given"},
    {"data", "labels", SS_KEY_PATH, "", 0, 0, NULL, "MNIST: IDX labels matching path"},
    {"data", "test_path", SS_KEY_PATH, "", 0, 0, NULL,
     "MNIST: official test images; when given, the official train/test split is used"},
    {"data", "test_labels", SS_KEY_PATH, "", 0, 0, NULL, "MNIST: labels matching test_path"},
    {"data", "fold", SS_KEY_INT, "0", 0, 4, NULL,
     "IRIS: test fold K holds the rows whose index % 5 == K"},
    {"data", "folds", SS_KEY_ENUM, "one", 0, 0, "one|all",
     "IRIS: 'all' runs 5-fold cross-validation and reports mean and sd"},
    {"data", "classes", SS_KEY_STRING, "", 0, 0, NULL,
     "class subset in order (e.g. 4,9 or versicolor,virginica); labels become 0..n-1"},
    {"data", "max_train", SS_KEY_INT, "0", 0, BIG, NULL,
     "use at most this many training samples, in split order (classes interleaved; 0: all)"},
    {"data", "max_test", SS_KEY_INT, "0", 0, BIG, NULL,
     "use at most this many test samples, in split order (classes interleaved; 0: all)"},

    /* [encoding] */
    {"encoding", "scheme", SS_KEY_ENUM, "poisson", 0, 0, "poisson|regular",
     "spike trains of rate max_rate_hz*x: Poisson or evenly spaced"},
    {"encoding", "max_rate_hz", SS_KEY_DOUBLE, "100", 0, 10000, NULL,
     "rate of an input neuron whose feature is 1"},
    {"encoding", "presentation_ms", SS_KEY_DOUBLE, "100", 0.001, BIG, NULL,
     "how long each sample is presented"},
    {"encoding", "test_presentation_ms", SS_KEY_DOUBLE, "0", 0, BIG, NULL,
     "how long a sample is presented with plasticity off (evaluation, test, attacks, "
     "/api/classify); 0: presentation_ms"},
    {"encoding", "rest_ms", SS_KEY_DOUBLE, "0", 0, BIG, NULL,
     "silent time after each presentation (with reset = false)"},
    {"encoding", "reset", SS_KEY_BOOL, "true", 0, 0, NULL,
     "reset every neuron, trace and pending event between samples"},
    {"encoding", "population", SS_KEY_INT, "0", 0, 1000, NULL,
     "neurons per feature with Gaussian receptive fields (0: one neuron per feature)"},
    {"encoding", "population_sigma", SS_KEY_DOUBLE, "0.15", 0.001, 10, NULL,
     "width of each receptive field, in units of the feature range"},

    /* [layer.NAME] */
    {"layer", "type", SS_KEY_ENUM, "lif", 0, 0,
     "input|label|lif|lif_exp|poisson|regular|spike_file",
     "input: driven by the encoder; label: the teacher, neuron k fires for class k in training; "
     "lif, lif_exp: neurons; poisson, regular, spike_file: sources"},
    {"layer", "size", SS_KEY_INT, NULL, 1, 1e8, NULL, "number of neurons"},
    {"layer", "tau_m_ms", SS_KEY_DOUBLE, "20", 1e-6, BIG, NULL, "membrane time constant"},
    {"layer", "e_l_mv", SS_KEY_DOUBLE, "-65", -1e4, 1e4, NULL, "resting (leak reversal) potential"},
    {"layer", "bias_mv", SS_KEY_DOUBLE, "0", -1e4, 1e4, NULL,
     "constant drive R*I_b: the potential settles at e_l_mv + bias_mv"},
    {"layer", "v_th_mv", SS_KEY_DOUBLE, "-50", -1e4, 1e4, NULL, "firing threshold"},
    {"layer", "v_reset_mv", SS_KEY_DOUBLE, "-65", -1e4, 1e4, NULL,
     "potential after a spike (must be below v_th_mv)"},
    {"layer", "t_ref_ms", SS_KEY_DOUBLE, "2", 0, BIG, NULL, "absolute refractory period"},
    {"layer", "v_init", SS_KEY_ENUM, "rest", 0, 0, "rest|reset|uniform",
     "initial potential: e_l_mv, v_reset_mv, or uniform in [v_reset_mv, v_th_mv)"},
    {"layer", "tau_syn_exc_ms", SS_KEY_DOUBLE, "5", 1e-6, BIG, NULL,
     "lif_exp: decay of excitatory synaptic current"},
    {"layer", "tau_syn_inh_ms", SS_KEY_DOUBLE, "10", 1e-6, BIG, NULL,
     "lif_exp: decay of inhibitory synaptic current"},
    {"layer", "rate_hz", SS_KEY_DOUBLE, "10", 0, 1e6, NULL, "poisson: firing rate"},
    {"layer", "isi_ms", SS_KEY_DOUBLE, "10", 1e-6, BIG, NULL, "regular: interval between spikes"},
    {"layer", "start_ms", SS_KEY_DOUBLE, "0", 0, BIG, NULL,
     "poisson, regular: first possible spike"},
    {"layer", "rates_file", SS_KEY_PATH, "", 0, 0, NULL,
     "poisson: one rate per neuron, Hz, one number per line (blank lines and # comments "
     "skipped); replaces rate_hz"},
    {"layer", "spike_file", SS_KEY_PATH, "", 0, 0, NULL,
     "spike_file: CSV of time_ms,neuron rows, times sorted; or a SONATA spike file (HDF5)"},
    {"layer", "spike_population", SS_KEY_STRING, "", 0, 0, NULL,
     "spike_file in SONATA: the population under /spikes to read (default: the only one)"},
    {"layer", "target_spikes", SS_KEY_DOUBLE, "0", 0, 1e6, NULL,
     "homeostasis: in training each neuron's threshold adapts toward this many spikes per "
     "presentation (0: off)"},
    {"layer", "theta_eta_mv", SS_KEY_DOUBLE, "0.05", 0, 1e3, NULL,
     "homeostasis: threshold change per presentation and spike of difference from the target"},
    {"layer", "learn_epochs", SS_KEY_STRING, "", 0, 0, NULL,
     "the training epochs in which this layer learns: N, FIRST-LAST or FIRST- (from 1; empty: "
     "all); in the others it behaves as at test while other layers learn"},
    {"layer", "theta_at_test", SS_KEY_BOOL, "false", 0, 0, NULL,
     "homeostasis: keep the adapted thresholds when testing (false: they shape who learns in "
     "training only, and every neuron tests at its base threshold)"},

    /* [projection.NAME] */
    {"projection", "from", SS_KEY_STRING, NULL, 0, 0, NULL, "presynaptic layer NAME"},
    {"projection", "to", SS_KEY_STRING, NULL, 0, 0, NULL, "postsynaptic layer NAME"},
    {"projection", "connect", SS_KEY_ENUM, "all", 0, 0,
     "all|one_to_one|fixed_prob|fixed_indegree|label_match|label_mismatch",
     "connectivity rule; label_match: pre k to post i with i % (pre size) == k, label_mismatch: "
     "to the others"},
    {"projection", "p", SS_KEY_DOUBLE, "0.1", 0, 1, NULL, "fixed_prob: connection probability"},
    {"projection", "indegree", SS_KEY_INT, "10", 0, 1e8, NULL,
     "fixed_indegree: presynaptic partners drawn for each target"},
    {"projection", "autapses", SS_KEY_BOOL, "false", 0, 0, NULL,
     "allow a neuron to connect to itself when from = to"},
    {"projection", "weight_dist", SS_KEY_ENUM, "constant", 0, 0, "constant|uniform|normal",
     "weight distribution"},
    {"projection", "weight", SS_KEY_DOUBLE, "1", -1e6, 1e6, NULL,
     "constant weight, or the mean of normal (mV jump of V, or of R*I for lif_exp)"},
    {"projection", "weight_sd", SS_KEY_DOUBLE, "0.1", 0, 1e6, NULL, "normal: standard deviation"},
    {"projection", "weight_min", SS_KEY_DOUBLE, "0", -1e6, 1e6, NULL,
     "uniform: lower bound; normal: values below are redrawn"},
    {"projection", "weight_max", SS_KEY_DOUBLE, "1", -1e6, 1e6, NULL,
     "uniform: upper bound; normal: values above are redrawn"},
    {"projection", "delay_ms", SS_KEY_DOUBLE, "1", 0, 1e6, NULL, "synaptic delay"},
    {"projection", "delay_max_ms", SS_KEY_DOUBLE, "0", 0, 1e6, NULL,
     "when above delay_ms, each synapse's delay is uniform in [delay_ms, delay_max_ms]"},
    {"projection", "plastic", SS_KEY_BOOL, "false", 0, 0, NULL,
     "learn these weights with the [plasticity] rule: during training, or for the whole of a "
     "free run (a model without [data])"},
    {"projection", "teacher", SS_KEY_BOOL, "false", 0, 0, NULL,
     "from a label layer: its spikes are teacher spikes for the resume_eta term of the target"},
    {"projection", "learning_gain", SS_KEY_DOUBLE, "1", 0, 1e6, NULL,
     "fixed projections: weights are multiplied by this while the target layer learns"},
    {"projection", "w_abs_max", SS_KEY_DOUBLE, "0", 0, 1e6, NULL,
     "plastic projections: > 0 lets the weights take either sign, within [-w_abs_max, "
     "w_abs_max] (0: [plasticity] w_min..w_max)"},
    {"projection", "eta_scale", SS_KEY_DOUBLE, "1", 0, 1e6, NULL,
     "this projection's learning rate is [plasticity] eta times this"},
    {"projection", "normalize", SS_KEY_DOUBLE, "0", 0, 1e9, NULL,
     "after each training sample a neuron that spiked scales these inputs to this norm (0: off)"},
    {"projection", "normalize_norm", SS_KEY_ENUM, "l2", 0, 0, "l1|l2",
     "normalize the sum (l1) or the Euclidean length (l2) of the neuron's input weights"},

    /* [plasticity] */
    {"plasticity", "rule", SS_KEY_ENUM, "assoc_stdp", 0, 0, "none|assoc_stdp",
     "learning rule for projections with plastic = true"},
    {"plasticity", "eta", SS_KEY_DOUBLE, "0.01", 0, 1e3, NULL, "learning rate"},
    {"plasticity", "a_plus", SS_KEY_DOUBLE, "1", 0, 1e3, NULL, "potentiation amplitude A+"},
    {"plasticity", "a_minus", SS_KEY_DOUBLE, "1", 0, 1e3, NULL, "depression amplitude A-"},
    {"plasticity", "tau_plus_ms", SS_KEY_DOUBLE, "20", 1e-6, BIG, NULL, "pre-trace time constant"},
    {"plasticity", "tau_minus_ms", SS_KEY_DOUBLE, "20", 1e-6, BIG, NULL,
     "post-trace time constant"},
    {"plasticity", "mu", SS_KEY_DOUBLE, "0", 0, 1, NULL,
     "weight dependence: 0 additive, 1 multiplicative"},
    {"plasticity", "w_min", SS_KEY_DOUBLE, "0", -1e6, 1e6, NULL, "lower weight bound"},
    {"plasticity", "w_max", SS_KEY_DOUBLE, "1", -1e6, 1e6, NULL, "upper weight bound"},
    {"plasticity", "pairing", SS_KEY_ENUM, "all", 0, 0, "all|nearest",
     "all-to-all trace accumulation, or nearest-neighbour (trace set to 1)"},
    {"plasticity", "teacher_rate_hz", SS_KEY_DOUBLE, "200", 0, 1e5, NULL,
     "rate of the label layer's neuron for the sample's class during training"},
    {"plasticity", "resume_eta", SS_KEY_DOUBLE, "0", 0, 1e3, NULL,
     "teacher term: a teacher spike adds, an own spike removes resume_eta * pre trace"},
    {"plasticity", "resume_timing", SS_KEY_ENUM, "spike", 0, 0, "spike|presentation",
     "teacher term: applied at each spike with the pre trace (spike), or once per presentation "
     "with the pre spike count (presentation: a delta rule on counts)"},
    {"plasticity", "resume_ratio", SS_KEY_DOUBLE, "1", 0, 1e3, NULL,
     "teacher term: a teacher spike adds resume_ratio times what an own spike removes, so a "
     "taught neuron settles at resume_ratio own spikes per teacher spike"},

    /* [train] */
    {"train", "epochs", SS_KEY_INT, "1", 0, 100000, NULL, "passes over the training split"},
    {"train", "shuffle", SS_KEY_BOOL, "true", 0, 0, NULL,
     "present training samples in a seeded random order each epoch"},
    {"train", "output_layer", SS_KEY_STRING, "output", 0, 0, NULL,
     "the layer whose spike counts give the class"},
    {"train", "test_each_epoch", SS_KEY_BOOL, "false", 0, 0, NULL,
     "measure test accuracy after every epoch (learning curve), not only at the end"},
    {"train", "eta_decay", SS_KEY_DOUBLE, "1", 0, 1, NULL,
     "learning rate is multiplied by this after each epoch"},

    /* [evaluate] */
    {"evaluate", "baseline", SS_KEY_ENUM, "backprop", 0, 0, "backprop|none",
     "train a backprop MLP of the same shape for comparison"},
    {"evaluate", "fgsm_eps", SS_KEY_LIST, "0, 0.05, 0.1, 0.2", 0, 1, NULL,
     "FGSM perturbation sizes in normalised input units"},
    {"evaluate", "fgsm_samples", SS_KEY_INT, "0", 0, BIG, NULL,
     "attack at most this many test samples (0: all)"},
    {"evaluate", "attacks", SS_KEY_STRING, "fgsm, pgd, transfer", 0, 0, NULL,
     "attacks to run, a comma list of fgsm (one gradient-sign step), pgd (projected gradient, "
     "random start), spsa (gradient-free, on the networks' scores; the spiking network's spike "
     "counts averaged over noise draws) and transfer (backprop's FGSM and PGD inputs shown to "
     "the spiking network); gradient attacks aim at backprop's own gradient and at the spiking "
     "network's mean-field surrogate; spsa is not on by default: it costs spsa_queries "
     "spiking presentations per sample and eps"},
    {"evaluate", "attack_samples", SS_KEY_INT, "0", 0, BIG, NULL,
     "attack the first this many test samples (split order) with every attack (0: as "
     "fgsm_samples)"},
    {"evaluate", "pgd_steps", SS_KEY_INT, "20", 1, 100000, NULL,
     "PGD steps, each of 2.5 eps / pgd_steps"},
    {"evaluate", "spsa_queries", SS_KEY_INT, "2000", 0, BIG, NULL,
     "SPSA budget per sample and eps: scored inputs, every noise draw counted"},
    {"evaluate", "spsa_batch", SS_KEY_INT, "8", 1, 10000, NULL,
     "SPSA random directions per iteration (each scored on both sides)"},
    {"evaluate", "spsa_draws", SS_KEY_INT, "4", 1, 10000, NULL,
     "Poisson noise draws averaged per SPSA point on the spiking network (backprop: 1)"},
    {"evaluate", "spsa_delta", SS_KEY_DOUBLE, "0.05", 1e-6, 1, NULL,
     "SPSA finite-difference step, in normalised input units"},
    {"evaluate", "spsa_lr", SS_KEY_DOUBLE, "0.1", 1e-6, 10, NULL,
     "SPSA Adam step size as a fraction of eps"},
    {"evaluate", "sanity_eps", SS_KEY_DOUBLE, "0.5", 0, 1, NULL,
     "every attack also runs at this eps and must bring accuracy to chance or below there, "
     "else the run reports it broken (0: no sanity check)"},
    {"evaluate", "bp_epochs", SS_KEY_INT, "50", 0, 100000, NULL, "backprop training epochs"},
    {"evaluate", "bp_batch", SS_KEY_INT, "32", 1, 1e6, NULL, "backprop minibatch size"},
    {"evaluate", "bp_optimizer", SS_KEY_ENUM, "adam", 0, 0, "adam|sgd",
     "Adam, or SGD with momentum"},
    {"evaluate", "bp_lr", SS_KEY_DOUBLE, "0.001", 0, 10, NULL, "backprop learning rate"},
    {"evaluate", "bp_momentum", SS_KEY_DOUBLE, "0.9", 0, 1, NULL, "sgd: momentum"},
    {"evaluate", "bp_l2", SS_KEY_DOUBLE, "0.0001", 0, 10, NULL, "L2 weight penalty"},
};

const ss_section_spec *ss_config_sections(size_t *n)
{
    *n = sizeof sections / sizeof sections[0];
    return sections;
}

const ss_key_spec *ss_config_keys(size_t *n)
{
    *n = sizeof keys / sizeof keys[0];
    return keys;
}
