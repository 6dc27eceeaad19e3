// The textbook experiment on vanishing and exploding gradients, run with ctnn.
//
// For sigmoid, tanh and ReLU networks of 20 hidden layers of width 64, initialized with plain
// uniform (PyTorch's nn.Linear default), Xavier, He and orthogonal weights, with and without
// batch normalization: the gradient norm of every layer at initialization, and the loss after
// a fixed training budget. Then the same at 32 layers with skip connections: each hidden layer
// wrapped as ctnn::residual<dense<64, act>> (x + act(W x + b)) beside the plain 32-layer
// network, PyTorch's default (uniform) initialization. Writes init_study_gradients.csv,
// init_study_summary.csv and init_study_residual.csv (plot them with
// tools/plot_init_study.py) and prints the summaries.
//
//   init_study [--steps STEPS] [--out DIR]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "study.hpp"

namespace {

using init_study::depth, init_study::residual_depth;

struct output {
  std::FILE* gradients;
  std::FILE* summary;
  std::FILE* residual;
};

template <class Act, bool BatchNorm>
void study(const char* activation, output& out, std::size_t steps) {
  for (const auto kind : init_study::all_inits) {
    const auto r = init_study::run<Act, BatchNorm, depth>(kind, steps);
    for (std::size_t l = 0; l < r.gradient_norms.size(); ++l)
      std::fprintf(out.gradients, "%s,%s,%d,%zu,%.6e\n", activation, init_study::name(kind), BatchNorm, l + 1,
                   r.gradient_norms[l]);
    const double first = r.gradient_norms.front(), last = r.gradient_norms.back();
    std::fprintf(out.summary, "%s,%s,%d,%.6e,%.6e,%.6e,%.6f,%.6f\n", activation, init_study::name(kind), BatchNorm, first,
                 last, first / last, r.loss_start, r.loss_end);
    std::printf("%-8s %-11s %-3s %12.3e %12.3e %12.3e %10.4f %10.4f\n", activation, init_study::name(kind),
                BatchNorm ? "yes" : "no", first, last, first / last, r.loss_start, r.loss_end);
    std::fflush(stdout);
  }
}

/// Plain and residual networks of residual_depth layers, uniform initialization.
template <class Act>
void residual_study(const char* activation, output& out, std::size_t steps) {
  const auto kind = init_study::init_kind::uniform;
  const auto plain = init_study::run<Act, false, residual_depth>(kind, steps);
  const auto residual = init_study::run_residual<Act, residual_depth>(kind, steps);
  for (const auto& [network, r] : {std::pair{"plain", &plain}, std::pair{"residual", &residual}}) {
    for (std::size_t l = 0; l < r->gradient_norms.size(); ++l)
      std::fprintf(out.residual, "%s,%s,%s,%zu,%.6e\n", network, activation, init_study::name(kind), l + 1,
                   r->gradient_norms[l]);
    const double first = r->gradient_norms.front(), last = r->gradient_norms.back();
    std::printf("%-8s %-9s %12.3e %12.3e %12.3e %10.4f %10.4f\n", activation, network, first, last, first / last,
                r->loss_start, r->loss_end);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t steps = 300;
  std::string dir = ".";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--out")) dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: init_study [--steps N] [--out DIR]\n");
      return 2;
    }
  }
  output out{std::fopen((dir + "/init_study_gradients.csv").c_str(), "w"),
             std::fopen((dir + "/init_study_summary.csv").c_str(), "w"),
             std::fopen((dir + "/init_study_residual.csv").c_str(), "w")};
  if (!out.gradients || !out.summary || !out.residual) {
    std::fprintf(stderr, "init_study: cannot write CSV files in %s\n", dir.c_str());
    return 1;
  }
  std::fprintf(out.gradients, "activation,init,batch_norm,layer,gradient_norm\n");
  std::fprintf(out.summary, "activation,init,batch_norm,first_layer_norm,last_layer_norm,first_over_last,loss_start,loss_end\n");
  std::printf("%zu hidden layers of width 64, 10 classes, Adam 1e-3, batch 64, %zu steps; chance loss ln 10 = 2.303\n", depth,
              steps);
  std::printf("%-8s %-11s %-3s %12s %12s %12s %10s %10s\n", "act", "init", "bn", "|g| layer 1", "|g| last", "first/last",
              "loss start", "loss end");
  study<ctnn::sigmoid, false>("sigmoid", out, steps);
  study<ctnn::tanh, false>("tanh", out, steps);
  study<ctnn::relu, false>("relu", out, steps);
  study<ctnn::sigmoid, true>("sigmoid", out, steps);
  study<ctnn::tanh, true>("tanh", out, steps);
  study<ctnn::relu, true>("relu", out, steps);
  std::printf("\n%zu layers of width 64 with and without skip connections, uniform initialization\n", residual_depth);
  std::fprintf(out.residual, "network,activation,init,layer,gradient_norm\n");
  std::printf("%-8s %-9s %12s %12s %12s %10s %10s\n", "act", "network", "|g| layer 1", "|g| last", "first/last",
              "loss start", "loss end");
  residual_study<ctnn::sigmoid>("sigmoid", out, steps);
  residual_study<ctnn::tanh>("tanh", out, steps);
  residual_study<ctnn::relu>("relu", out, steps);
  std::fclose(out.residual);
  std::fclose(out.gradients);
  std::fclose(out.summary);
  return 0;
}
