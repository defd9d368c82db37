// The score-matching losses, recorded by calling the derivative tapes of phi.
#include "wengert/score/loss.hpp"

#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/ad.hpp"
#include "wengert/error.hpp"

namespace wengert::score {

namespace {
constexpr detail::Names<Loss, 5> losses{"loss",
                                        {{{Loss::exact, "exact"},
                                          {Loss::hutchinson, "hutchinson"},
                                          {Loss::sliced, "sliced"},
                                          {Loss::denoising, "denoising"},
                                          {Loss::automatic, "auto"}}}};
}  // namespace

std::string to_string(Loss loss) { return losses.name(loss); }
Loss loss_from(const std::string& name) { return losses.parse(name); }

Var per_sample_loss(Recorder& rec, const nn::Potential& phi, std::vector<std::pair<std::string, Var>> args, Loss kind,
                    Var x, Var w) {
  args.emplace(args.begin(), "x", x);
  switch (kind) {
    case Loss::exact: {  // outputs of the forward Laplacian: phi, x_bar, x_laplacian
      std::vector<Var> out = rec.call(laplacian(phi.tape, "x", "phi"), args);
      return 0.5 * dot(out[1], out[1]) - out[2];
    }
    case Loss::hutchinson:
    case Loss::sliced: {  // outputs of hvp: phi, x_bar, x_bar_dot = H w
      args.emplace_back("x_dot", w);
      std::vector<Var> out = rec.call(hvp(phi.tape, "x", "phi"), args);
      Var curvature = dot(w, out[2]);  // wᵀ H w
      return kind == Loss::hutchinson ? 0.5 * dot(out[1], out[1]) - curvature
                                      : 0.5 * square(dot(w, out[1])) - curvature;
    }
    case Loss::denoising: {  // the score at the noisy point should be -z/σ, the score of the noise
      Var residual = rec.call(grad(phi.tape, {"x"}, "phi"), args)[1] - w;  // ‖s(x̃) + z/σ‖ = ‖∇phi(x̃) - z/σ‖
      return 0.5 * dot(residual, residual);
    }
    case Loss::automatic: break;
  }
  throw UsageError(fmt::format("per_sample_loss: the loss '{}' is not a tape; resolve 'auto' with score::choose_loss",
                               to_string(kind)));
}

Tape loss_tape(const nn::Potential& phi, const LossOptions& options) {
  if (options.kind == Loss::denoising && !(options.sigma > 0))
    throw UsageError(fmt::format("loss_tape: denoising needs a noise level sigma > 0, not {}", options.sigma));
  if (options.probes == 0) throw UsageError("loss_tape: probes = 0; use at least 1");
  if (options.kind == Loss::automatic)
    throw UsageError("loss_tape: the loss 'auto' is a choice, not a tape; resolve it with score::choose_loss");
  Recorder rec;
  Var x = rec.data("x", phi.dim());
  auto parameters = phi.record_parameters(rec);
  Var z = needs_z(options.kind) ? rec.data("z", phi.dim()) : Var();
  Var per_sample = options.kind == Loss::denoising ? per_sample_loss(rec, phi, parameters, options.kind,
                                                                     x + options.sigma * z, z * (1.0 / options.sigma))
                                                   : per_sample_loss(rec, phi, parameters, options.kind, x, z);
  rec.output("J", mean_rows(per_sample));
  return rec.finish();
}

}  // namespace wengert::score
