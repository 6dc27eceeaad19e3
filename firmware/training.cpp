// firmware/training.cpp - training on the device follows the host's loss curve.
//
// XOR and a cubic regression (cases.hpp) train from fixed seeds; after every step the loss must
// equal the host's at that step (training_reference.hpp, from make_reference.cpp) within
// cases::loss_tolerance (relative, with cases::loss_floor), and the last loss must be below
// the case's convergence threshold.
// Networks and trainers are globals, so their RAM shows up in .bss of the footprint report.
#include <array>
#include <cstddef>

#include "cases.hpp"
#include "console.hpp"
#include "training_reference.hpp"

namespace {

cases::xor_problem::network xor_net;
auto xor_trainer = cases::xor_problem::make_trainer();
cases::cubic_problem::network cubic_net;
auto cubic_trainer = cases::cubic_problem::make_trainer();

double magnitude(double v) { return v < 0 ? -v : v; }

template <class Problem, class Net, class Trainer, std::size_t Steps>
bool train(firmware::console& out, const char* name, Net& net, Trainer& trainer,
           const std::array<double, Steps>& host_losses) {
  static_assert(Steps == Problem::steps, "training_reference.hpp is out of date");
  out << "figure " << name << "_parameter_bytes " << Net::parameter_bytes << '\n'
      << "figure " << name << "_trainer_bytes " << sizeof(Trainer) << '\n';
  ctnn::initialize(net, ctnn::rng{Problem::seed});
  double worst = 0, loss = 0;
  for (std::size_t step = 0; step < Steps; ++step) {
    const auto report = trainer.step(net, Problem::inputs, Problem::targets);
    if (!report.ok()) {
      out << name << ": step " << step << " refused: " << report.status.message() << '\n';
      return false;
    }
    loss = report.loss;
    const double scale = host_losses[step] > cases::loss_floor ? host_losses[step] : cases::loss_floor;
    const double deviation = magnitude(loss - host_losses[step]) / scale;
    worst = deviation > worst || deviation != deviation ? deviation : worst;  // a NaN stays
    if (step % 50 == 0 || step + 1 == Steps)
      out << name << " step " << step << ": loss " << float(loss) << ", host " << float(host_losses[step]) << '\n';
  }
  const bool follows = worst <= cases::loss_tolerance, converged = loss < Problem::converged_loss;
  out << name << ": max deviation from the host " << float(worst) << " (tolerance "
      << float(cases::loss_tolerance) << "), final loss " << float(loss) << (converged ? " < " : " >= ")
      << float(Problem::converged_loss) << '\n';
  return follows && converged;
}

}  // namespace

int main() {
  firmware::console out;
  const bool xor_ok = train<cases::xor_problem>(out, "xor", xor_net, xor_trainer, xor_losses);
  const bool cubic_ok = train<cases::cubic_problem>(out, "cubic", cubic_net, cubic_trainer, cubic_losses);
  return xor_ok && cubic_ok ? 0 : 1;
}
