// ctnn/ctnn.hpp - everything: networks, layers, initializers, training, weight files.
#pragma once

#include "config.hpp"
#include "fold.hpp"
#include "init.hpp"
#include "io/export.hpp"
#include "io/exported.hpp"
#include "io/topology.hpp"
#include "io/weight_file.hpp"
#include "network.hpp"
#include "rng.hpp"
#include "status.hpp"
#include "training/adam.hpp"
#include "training/clipping.hpp"
#include "training/losses.hpp"
#include "training/rmsprop.hpp"
#include "training/sgd.hpp"
#include "training/trainer.hpp"
