// The study's configurations, compiled once for the example and the test (study.hpp).
#include "study.hpp"

namespace init_study {
INIT_STUDY_INSTANCES()
}  // namespace init_study
