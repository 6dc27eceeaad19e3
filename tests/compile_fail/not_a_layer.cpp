#include <ctnn/ctnn.hpp>
// expect: every parameter after the input must be a layer spec
ctnn::network<ctnn::input<3>, ctnn::dense<2>, double> net;
