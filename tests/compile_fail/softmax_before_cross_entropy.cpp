#include <ctnn/ctnn.hpp>
// expect: ctnn::softmax_cross_entropy takes logits: remove the final ctnn::softmax layer
using net_t = ctnn::network<ctnn::input<4>, ctnn::dense<3>, ctnn::softmax>;
ctnn::trainer<net_t, ctnn::softmax_cross_entropy, ctnn::adam, 8> trainer;
