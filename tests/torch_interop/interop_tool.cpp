// interop_tool: ctnn's side of the PyTorch interop test (interop_test.py drives it).
//
//   interop_tool hash NAME                               topology hash of network NAME
//   interop_tool type NAME                               its ctnn::network type, as declared below
//   interop_tool train-and-save NAME PATH INPUTS OUTPUTS trains NAME on its task, saves it to PATH with
//                                                        a test vector, writes its outputs for INPUTS
//   interop_tool load-and-run NAME PATH INPUTS OUTPUTS   loads PATH into NAME, writes its outputs for INPUTS
//
// INPUTS and OUTPUTS are raw little-endian float32 rows (numpy's tofile/fromfile): exact, and
// nothing to parse. Each network's type is declared through a macro that also keeps its text,
// so the test compares ctnn_torch.cpp_type() with a type that is known to compile.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include <ctnn/ctnn.hpp>

#define INTEROP_NETWORK(...)   \
  using net = __VA_ARGS__;     \
  static constexpr const char* type = #__VA_ARGS__

namespace {

// The trained networks, in the form ctnn_torch.cpp_type() prints. Each task's data is defined
// the same way in interop_test.py, which trains the PyTorch twin on it.

/// 5 -> 3 regression: y = (sin(2 x0) x1, x2 x3 + x4 / 2, tanh(x0 + x1 - x2)), x uniform in [-1, 1).
struct regression {
  INTEROP_NETWORK(ctnn::network<ctnn::input<5>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<16, ctnn::sigmoid>, ctnn::dense<3>>);
  static void sample(ctnn::rng& g, float* x, float* y) {
    for (int i = 0; i < 5; ++i) x[i] = g.uniform(-1.0f, 1.0f);
    y[0] = std::sin(2 * x[0]) * x[1];
    y[1] = x[2] * x[3] + 0.5f * x[4];
    y[2] = std::tanh(x[0] + x[1] - x[2]);
  }
};

/// 6 -> 2 regression on off-centre, unscaled inputs (what batch norm is for): x_i = 3 u_i + i
/// with u uniform in [-1, 1); y = (u0 u1 + u2, cos(u3 + u4) u5). Two batch norms, the second
/// with eps 1e-3 and momentum 0.2, so non-default values travel through the hash and the type.
struct batch_norm {
  INTEROP_NETWORK(ctnn::network<ctnn::input<6>, ctnn::dense<12>, ctnn::batch_norm, ctnn::relu, ctnn::dense<8, ctnn::tanh>,
                                ctnn::basic_batch_norm<1, 1000, 1, 5>, ctnn::dense<2>>);
  static void sample(ctnn::rng& g, float* x, float* y) {
    float u[6];
    for (int i = 0; i < 6; ++i) u[i] = g.uniform(-1.0f, 1.0f), x[i] = 3 * u[i] + float(i);
    y[0] = u[0] * u[1] + u[2];
    y[1] = std::cos(u[3] + u[4]) * u[5];
  }
};

/// 4 -> 3 classifier with probabilities out: the class is argmax(x0 + x1, x2 - x3, x2 / 2 - x0),
/// x uniform in [-1, 1); the target is its one-hot row (mean squared error on probabilities:
/// ctnn::softmax_cross_entropy takes logits, and this network ends in a softmax).
struct classifier {
  INTEROP_NETWORK(ctnn::network<ctnn::input<4>, ctnn::dense<10, ctnn::leaky_relu<1, 10>>, ctnn::dense<10, ctnn::leaky_relu<1, 100>>,
                                ctnn::dense<3>, ctnn::softmax>);
  static void sample(ctnn::rng& g, float* x, float* y) {
    for (int i = 0; i < 4; ++i) x[i] = g.uniform(-1.0f, 1.0f);
    const float score[3] = {x[0] + x[1], x[2] - x[3], 0.5f * x[2] - x[0]};
    const int best = score[1] > score[0] ? (score[2] > score[1] ? 2 : 1) : (score[2] > score[0] ? 2 : 0);
    for (int k = 0; k < 3; ++k) y[k] = k == best ? 1.0f : 0.0f;
  }
};

/// The regression task through dropout and residual blocks, one of them projected (12 -> 8)
/// with a plain block nested in it: the sub-chains' parameters, then the projection's, travel
/// in canonical order, and dropout is trained in each framework and the identity when run.
struct residual {
  INTEROP_NETWORK(ctnn::network<ctnn::input<5>, ctnn::dense<12, ctnn::tanh>, ctnn::dropout<1, 10>,
                                ctnn::residual<ctnn::dense<12, ctnn::relu>, ctnn::dropout<1, 4>, ctnn::dense<12>>, ctnn::relu,
                                ctnn::projected_residual<ctnn::dense<8, ctnn::tanh>,
                                                         ctnn::residual<ctnn::dense<8, ctnn::sigmoid>, ctnn::dense<8>>>,
                                ctnn::dense<3>>);
  static void sample(ctnn::rng& g, float* x, float* y) { regression::sample(g, x, y); }
};

// Hash-only networks: written unfused and in unusual orders, to check that the Python hash
// follows network.hpp's resolution (fusion, identity chains, activation and batch norm first).
struct activation_first {
  INTEROP_NETWORK(ctnn::network<ctnn::input<3>, ctnn::tanh, ctnn::dense<4>, ctnn::identity, ctnn::relu, ctnn::dense<2>>);
};
struct unfused {
  INTEROP_NETWORK(ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::relu, ctnn::dense<3, ctnn::sigmoid>,
                                ctnn::softmax, ctnn::leaky_relu<>>);
};
struct batch_norm_first {
  INTEROP_NETWORK(ctnn::network<ctnn::input<4>, ctnn::batch_norm, ctnn::dense<4, ctnn::leaky_relu<3, 10>>,
                                ctnn::basic_batch_norm<1, 100, 0, 1>, ctnn::sigmoid>);
};
/// Blocks: one first in the network (its input width from inside its body), fusion inside a
/// body but not of a block with the activation after it, batch norm and dropout in a body,
/// projected blocks nested, a body without parameters.
struct blocks {
  INTEROP_NETWORK(ctnn::network<ctnn::input<4>, ctnn::residual<ctnn::relu, ctnn::dense<4>, ctnn::tanh>, ctnn::relu, ctnn::dropout<>,
                                ctnn::projected_residual<ctnn::batch_norm, ctnn::dense<6>, ctnn::dropout<1, 3>,
                                                         ctnn::projected_residual<ctnn::dense<2>>, ctnn::leaky_relu<>>,
                                ctnn::residual<ctnn::sigmoid>, ctnn::dense<3>>);
};

template <class Task>
concept trainable = requires(ctnn::rng& g, float* p) { Task::sample(g, p, p); };

constexpr int steps = 300;
constexpr std::size_t batch = 16;

std::vector<float> read_rows(const char* path, std::size_t width) {
  std::vector<float> values;
  if (FILE* f = std::fopen(path, "rb")) {
    float v;
    while (std::fread(&v, sizeof v, 1, f) == 1) values.push_back(v);
    std::fclose(f);
  } else {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  if (values.empty() || values.size() % width != 0) {
    std::fprintf(stderr, "%s: %zu values is not a whole number of %zu-value rows\n", path, values.size(), width);
    std::exit(1);
  }
  return values;
}

template <class Net>
int run(const Net& net, const char* inputs_path, const char* outputs_path) {
  const std::vector<float> x = read_rows(inputs_path, Net::input_size);
  const std::size_t rows = x.size() / Net::input_size;
  std::vector<float> y(rows * Net::output_size);
  for (std::size_t r = 0; r < rows; ++r) net.infer(x.data() + r * Net::input_size, y.data() + r * Net::output_size);
  FILE* f = std::fopen(outputs_path, "wb");
  if (f == nullptr || std::fwrite(y.data(), sizeof(float), y.size(), f) != y.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "cannot write %s\n", outputs_path);
    return 1;
  }
  return 0;
}

/// Adam on the task's mean squared error, from ctnn's default initialization; prints the mean
/// loss of the first and last 50 steps so the test log shows that training happened.
template <class Task>
int train_and_save(const char* path, const char* inputs_path, const char* outputs_path) {
  using net_t = typename Task::net;
  auto net = std::make_unique<net_t>();
  ctnn::initialize(*net, ctnn::rng{1});
  auto trainer = std::make_unique<ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, batch>>(
      ctnn::adam::options{.learning_rate = 1e-2f});
  ctnn::rng data{2};
  std::array<std::array<float, net_t::input_size>, batch> x;
  std::array<std::array<float, net_t::output_size>, batch> y;
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    for (std::size_t b = 0; b < batch; ++b) Task::sample(data, x[b].data(), y[b].data());
    const auto report = trainer->step(*net, x, y);
    if (!report.ok()) {
      std::fprintf(stderr, "step %d: %s\n", step, report.status.message());
      return 1;
    }
    if (step < 50) first += report.loss / 50;
    if (step >= steps - 50) last += report.loss / 50;
  }
  std::printf("trained %d steps: mean loss %.4g over the first 50, %.4g over the last 50\n", steps, first, last);
  std::array<float, net_t::input_size> test_input;
  std::array<float, net_t::output_size> unused;
  Task::sample(data, test_input.data(), unused.data());
  if (const auto s = ctnn::save(*net, path, test_input); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message());
    return 1;
  }
  return run(*net, inputs_path, outputs_path);
}

template <class Task>
int load_and_run(const char* path, const char* inputs_path, const char* outputs_path) {
  auto net = std::make_unique<typename Task::net>();
  if (const auto s = ctnn::load(*net, path); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message());
    return 1;
  }
  return run(*net, inputs_path, outputs_path);
}

template <class Task>
int command(std::string_view what, int argc, char** argv) {
  if (what == "hash" && argc == 3) {
    std::printf("%#018llx\n", static_cast<unsigned long long>(ctnn::topology_hash<typename Task::net>()));
    return 0;
  }
  if (what == "type" && argc == 3) {
    std::printf("%s\n", Task::type);
    return 0;
  }
  if constexpr (trainable<Task>) {
    if (what == "train-and-save" && argc == 6) return train_and_save<Task>(argv[3], argv[4], argv[5]);
    if (what == "load-and-run" && argc == 6) return load_and_run<Task>(argv[3], argv[4], argv[5]);
  }
  std::fprintf(stderr,
               "usage: interop_tool hash|type NAME\n"
               "       interop_tool train-and-save|load-and-run NAME PATH INPUTS OUTPUTS (trained networks only)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return command<regression>("", 0, argv);
  const std::string_view what = argv[1], name = argv[2];
  if (name == "regression") return command<regression>(what, argc, argv);
  if (name == "batch_norm") return command<batch_norm>(what, argc, argv);
  if (name == "classifier") return command<classifier>(what, argc, argv);
  if (name == "residual") return command<residual>(what, argc, argv);
  if (name == "activation_first") return command<activation_first>(what, argc, argv);
  if (name == "unfused") return command<unfused>(what, argc, argv);
  if (name == "batch_norm_first") return command<batch_norm_first>(what, argc, argv);
  if (name == "blocks") return command<blocks>(what, argc, argv);
  std::fprintf(stderr, "unknown network %s\n", argv[2]);
  return 2;
}
