#include <ctnn/ctnn.hpp>
// expect: a network needs at least one layer after its input
ctnn::network<ctnn::input<4>> net;
