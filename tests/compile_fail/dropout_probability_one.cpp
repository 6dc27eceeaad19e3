#include <ctnn/ctnn.hpp>
// expect: ctnn::dropout<Num, Den>: the probability Num/Den must be in [0, 1)
ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::dropout<1, 1>, ctnn::dense<2>> net;
