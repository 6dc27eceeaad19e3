#include <ctnn/ctnn.hpp>
// expect: ctnn::binary_cross_entropy takes logits: remove the final sigmoid
using net_t = ctnn::network<ctnn::input<4>, ctnn::dense<3, ctnn::sigmoid>>;
ctnn::trainer<net_t, ctnn::binary_cross_entropy, ctnn::adam, 8> trainer;
