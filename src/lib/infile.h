/* Opening the files a user names as input (spike files, checkpoints,
 * datasets, rasters), with one message for each way that fails: the path,
 * what it was meant to be, and why ("is a directory", "No such file or
 * directory").  Internal to the library. */
#ifndef SPIKSIM_INFILE_H
#define SPIKSIM_INFILE_H

#include <stdio.h>
#include <spiksim/error.h>

/* Refuses a path that cannot be an input file (missing, a directory) before
 * anything opens it: SS_EDATA with "PATH: cannot open WHAT: REASON". */
int ss__input_check(const char *path, const char *what, ss_error *err);

/* ss__input_check, then fopen(path, mode); NULL with err set. */
FILE *ss__input_open(const char *path, const char *what, const char *mode, ss_error *err);

/* The message for a read that failed on stream fp (errno as it was left):
 * "PATH: cannot read WHAT: REASON". */
int ss__input_read_error(const char *path, const char *what, int saved_errno, ss_error *err);

#endif
