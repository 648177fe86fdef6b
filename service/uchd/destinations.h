/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STATE/destinations/KEY.json (transfer/dest-generation.h): who wrote a
 * destination last, which a checkpoint must match to be resumed.  One
 * is made for every destination ever written, so uchd removes those no
 * resume needs: kept are the markers of jobs that are active (they
 * write them) and of destinations a failed or cancelled job holds a
 * checkpoint of (a resubmit resumes from it only while the marker says
 * no other job wrote the destination since, and names that job when
 * one did).  Removing one is always safe: a resume that finds none
 * starts over. */
#ifndef UCHD_DESTINATIONS_H
#define UCHD_DESTINATIONS_H

#include "uchd/store.h"

/* Removes the markers of STATE/destinations no job can use; the number
 * removed. */
unsigned destinations_prune(struct store *s, const char *state_dir);

#endif
