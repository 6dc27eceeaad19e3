#include <ctnn/ctnn.hpp>
// expect: Act must be an element-wise activation
ctnn::network<ctnn::input<3>, ctnn::dense<2, int>> net;
