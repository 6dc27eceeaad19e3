// ctnn/ctnn.hpp - everything: networks, layers, initializers, training.
#pragma once

#include "config.hpp"
#include "init.hpp"
#include "network.hpp"
#include "rng.hpp"
#include "status.hpp"
#include "training/adam.hpp"
#include "training/clipping.hpp"
#include "training/losses.hpp"
#include "training/rmsprop.hpp"
#include "training/sgd.hpp"
#include "training/trainer.hpp"
