#include <ctnn/ctnn.hpp>
// expect: the first parameter must be ctnn::input<N>
ctnn::network<ctnn::dense<3>, ctnn::dense<2>> net;
