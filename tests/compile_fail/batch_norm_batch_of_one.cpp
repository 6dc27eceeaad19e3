#include <ctnn/ctnn.hpp>
// expect: ctnn::batch_norm: training needs a batch of at least 2 samples
using net_t = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::batch_norm, ctnn::relu, ctnn::dense<2>>;
ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::sgd, 1> trainer;
