// Score matching from Python: the loss tapes and score::train, with a progress
// callback. Training runs without the GIL; the callback takes it back.
#include <pybind11/stl.h>

#include <wengert/score/train.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace wengert::python {

namespace {

score::LossOptions loss_options(const std::string& loss, std::size_t probes, const std::string& probe, double sigma) {
  return {.kind = score::loss_from(loss), .probe = estimators::probe_from(probe), .probes = probes, .sigma = sigma};
}

py::dict progress_dict(const score::Progress& p) {
  py::dict d;
  d["step"] = p.step;
  d["steps"] = p.steps;
  d["train_loss"] = p.train_loss;
  d["holdout_loss"] = p.holdout_loss;
  d["fisher"] = p.fisher;
  d["samples_per_second"] = p.samples_per_second;
  d["eta_seconds"] = p.eta_seconds;
  return d;
}

py::dict result_dict(const score::TrainResult& r) {
  py::dict d;
  d["theta"] = to_array(r.theta);
  py::list history;
  for (const score::Progress& p : r.history) history.append(progress_dict(p));
  d["history"] = history;
  d["best_step"] = r.best_step;
  d["stopped_early"] = r.stopped_early;
  d["loss"] = score::to_string(r.loss.kind);
  d["probes"] = r.loss.probes;
  d["loss_choice"] = r.loss_choice ? py::object(py::str(r.loss_choice->reason)) : py::object(py::none());
  return d;
}

py::dict train(const nn::Potential& phi, const py::handle& theta0, const py::handle& data, score::TrainOptions options,
               const py::object& callback) {
  std::vector<double> theta = to_vector(theta0, "train(theta0)");
  if (theta.size() != phi.parameter_count())
    throw py::value_error("train: theta0 has " + std::to_string(theta.size()) + " values; the potential has " +
                          std::to_string(phi.parameter_count()));
  if (!callback.is_none()) {
    if (!PyCallable_Check(callback.ptr())) throw py::type_error("train: callback must be callable or None");
    options.report = [callback](const score::Progress& p) {
      py::gil_scoped_acquire hold;
      callback(progress_dict(p));  // a Python exception here stops training and propagates
    };
  }
  const score::Dataset* stream = py::isinstance<score::Dataset>(data) ? &data.cast<const score::Dataset&>() : nullptr;
  const Matrix<double> rows = stream ? Matrix<double>() : to_matrix(data, "train(data)");
  score::TrainResult result;
  {
    py::gil_scoped_release free;  // taken back by the callback; arrays are made after
    result = stream ? score::train(phi, std::move(theta), *stream, options)
                    : score::train(phi, std::move(theta), rows, options);
  }
  return result_dict(result);
}

}  // namespace

void bind_training(py::module_& m) {
  m.def(
      "loss_tape",
      [](const nn::Potential& phi, const std::string& loss, std::size_t probes, const std::string& probe,
         double sigma) { return score::loss_tape(phi, loss_options(loss, probes, probe, sigma)); },
      py::arg("phi"), py::arg("loss") = "exact", py::arg("probes") = 1, py::arg("probe") = "rademacher",
      py::arg("sigma") = 0.1, "the score-matching loss as a tape: inputs x (and z), output J");
  m.def(
      "evaluate_loss",
      [](const nn::Potential& phi, const py::handle& theta, const py::handle& x, const std::string& loss,
         std::uint64_t seed) {
        return score::evaluate_loss(phi, to_vector(theta, "evaluate_loss(theta)"), to_matrix(x, "evaluate_loss(x)"),
                                    loss_options(loss, 1, "rademacher", 0.1), seed);
      },
      py::arg("phi"), py::arg("theta"), py::arg("x"), py::arg("loss") = "exact", py::arg("seed") = 7,
      "the loss of theta over all rows of x");
  m.def(
      "train",
      [](const nn::Potential& phi, const py::handle& theta0, const py::handle& data, const std::string& loss,
         std::size_t probes, const std::string& probe, double sigma, double probe_noise, const std::string& optimizer,
         double learning_rate, const std::string& schedule, std::size_t warmup, std::size_t steps, std::size_t batch,
         std::uint64_t seed, int threads, const std::string& keep, double ema_decay, double holdout,
         std::size_t eval_every, std::size_t patience, const std::string& checkpoint, const std::string& resume,
         double adam_epsilon, const py::object& callback) {
        score::TrainOptions o;
        o.loss = loss_options(loss, probes, probe, sigma);
        o.probe_noise = probe_noise;
        o.optimizer = optimizer;
        o.adam_epsilon = adam_epsilon;
        o.learning_rate = learning_rate;
        o.schedule = nn::schedule_from(schedule);
        o.warmup = warmup;
        o.steps = steps;
        o.batch = batch;
        o.seed = seed;
        o.threads = threads;
        o.keep = nn::keep_from(keep);
        o.ema_decay = ema_decay;
        o.holdout = holdout;
        o.eval_every = eval_every;
        o.patience = patience;
        o.checkpoint = checkpoint;
        o.resume = resume;
        return train(phi, theta0, data, o, callback);
      },
      py::arg("phi"), py::arg("theta0"), py::arg("data"), py::kw_only(), py::arg("loss") = "exact",
      py::arg("probes") = 1, py::arg("probe") = "rademacher", py::arg("sigma") = 0.1, py::arg("probe_noise") = 0.1,
      py::arg("optimizer") = "adam", py::arg("learning_rate") = 1e-3, py::arg("schedule") = "cosine",
      py::arg("warmup") = 0, py::arg("steps") = 2000, py::arg("batch") = 256, py::arg("seed") = 1,
      py::arg("threads") = 1, py::arg("keep") = "last", py::arg("ema_decay") = 0.999, py::arg("holdout") = 0.0,
      py::arg("eval_every") = 100, py::arg("patience") = 0, py::arg("checkpoint") = "", py::arg("resume") = "",
      py::arg("adam_epsilon") = 1e-8, py::arg("callback") = py::none(),
      "score matching on the rows of an array, or on fresh samples of a Dataset; returns {theta, history, ...}");
}

}  // namespace wengert::python
