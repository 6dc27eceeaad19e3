// ctnn/ctnn.hpp - everything: networks, layers, initializers, training.
#pragma once

#include "config.hpp"
#include "init.hpp"
#include "network.hpp"
#include "rng.hpp"
