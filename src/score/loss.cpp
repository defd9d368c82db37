// The score-matching losses, recorded by calling the derivative tapes of phi.
#include "wengert/score/loss.hpp"

#include <fmt/format.h>

#include "wengert/ad.hpp"
#include "wengert/error.hpp"

namespace wengert::score {

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::exact: return "exact";
    case Loss::hutchinson: return "hutchinson";
    case Loss::sliced: return "sliced";
    case Loss::denoising: return "denoising";
  }
  return "?";
}

Loss loss_from(const std::string& name) {
  for (Loss l : {Loss::exact, Loss::hutchinson, Loss::sliced, Loss::denoising})
    if (to_string(l) == name) return l;
  throw UsageError(fmt::format("loss '{}' is not known; use exact, hutchinson, sliced or denoising", name));
}

Tape loss_tape(const nn::Potential& phi, const LossOptions& options) {
  if (options.kind == Loss::denoising && !(options.sigma > 0))
    throw UsageError(fmt::format("loss_tape: denoising needs a noise level sigma > 0, not {}", options.sigma));
  if (options.probes == 0) throw UsageError("loss_tape: probes = 0; use at least 1");
  Recorder rec;
  const Dim d = phi.dim();
  Var x = rec.data("x", d);
  std::vector<std::pair<std::string, Var>> args{{"x", x}};
  for (const nn::Block& b : phi.blocks)
    args.emplace_back(b.name, rec.parameter(b.name, static_cast<Dim>(b.rows), static_cast<Dim>(b.cols)));
  auto with_x = [&](Var at) {
    auto a = args;
    a[0].second = at;
    return a;
  };
  Var per_sample;
  switch (options.kind) {
    case Loss::exact: {  // outputs of the forward Laplacian: phi, x_grad, x_laplacian
      std::vector<Var> out = rec.call(laplacian(phi.tape, "x"), args);
      per_sample = 0.5 * dot(out[1], out[1]) - out[2];
      break;
    }
    case Loss::hutchinson:
    case Loss::sliced: {  // outputs of hvp: phi, x_bar, x_bar_dot = H z
      Var z = rec.data("z", d);
      auto a = args;
      a.emplace_back("x_dot", z);
      std::vector<Var> out = rec.call(hvp(phi.tape, "x"), a);
      Var curvature = dot(z, out[2]);  // zᵀ H z
      per_sample = options.kind == Loss::hutchinson ? 0.5 * dot(out[1], out[1]) - curvature
                                                    : 0.5 * square(dot(z, out[1])) - curvature;
      break;
    }
    case Loss::denoising: {  // the score at the noisy point should be -z/σ, the score of the noise
      Var z = rec.data("z", d);
      std::vector<Var> out = rec.call(grad(phi.tape, {"x"}), with_x(x + options.sigma * z));
      Var residual = out[1] - z * (1.0 / options.sigma);  // ‖s(x̃) + z/σ‖ = ‖∇phi(x̃) - z/σ‖
      per_sample = 0.5 * dot(residual, residual);
      break;
    }
  }
  rec.output("J", mean_rows(per_sample));
  return rec.finish();
}

}  // namespace wengert::score
