// The study's configurations, compiled once for the example and the test (study.hpp).
#include "study.hpp"

namespace init_study {
INIT_STUDY_INSTANCES(, ctnn::sigmoid)
INIT_STUDY_INSTANCES(, ctnn::tanh)
INIT_STUDY_INSTANCES(, ctnn::relu)
}  // namespace init_study
