#include <ctnn/ctnn.hpp>
// expect: ctnn::residual<...>: the block's layers change the width
ctnn::network<ctnn::input<4>, ctnn::residual<ctnn::dense<8, ctnn::relu>, ctnn::dense<6>>, ctnn::dense<2>> net;
