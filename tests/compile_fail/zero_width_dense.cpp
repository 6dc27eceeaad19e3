#include <ctnn/ctnn.hpp>
// expect: ctnn::dense<0>: a layer needs at least one output
ctnn::network<ctnn::input<4>, ctnn::dense<0>> net;
