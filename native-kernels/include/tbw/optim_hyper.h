// Optimizer hyperparameters (PyTorch / Hugging Face semantics), shared by the
// reference and every backend.
#pragma once

namespace tbw {

struct AdamWHyper {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.01f;
  int step = 1;  // 1-based step number of this update (bias correction)
};

// transformers.optimization.Adafactor with relative_step=False (an explicit lr)
struct AdafactorHyper {
  float lr = 1e-3f, eps1 = 1e-30f, eps2 = 1e-3f, clip_threshold = 1.0f, decay_rate = -0.8f;
  float beta1 = 0.f;  // <= 0: no first moment (HF beta1=None)
  float weight_decay = 0.f;
  bool scale_parameter = false;  // HF: multiply lr by max(eps2, RMS(p))
  int step = 1;
};

struct SgdHyper {
  float lr = 1e-2f, momentum = 0.9f, dampening = 0.f, weight_decay = 0.f;
  bool nesterov = false;
  int step = 1;
};

}  // namespace tbw
