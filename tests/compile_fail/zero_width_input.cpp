#include <ctnn/ctnn.hpp>
// expect: ctnn::input<0>: a network needs at least one input
ctnn::network<ctnn::input<0>, ctnn::dense<10>> net;
