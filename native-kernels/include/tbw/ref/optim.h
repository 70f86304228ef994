// Reference optimizers with PyTorch / Hugging Face semantics.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace tbw::ref {

struct AdamWParams {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.01f;
  int step = 1;  // 1-based step number of this update (bias correction)
};

// torch.optim.AdamW: p *= 1 - lr*wd; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
template <class T>
void adamw_update(T* p, const T* g, T* m, T* v, long n, const AdamWParams& o) {
  const T bc1 = T(1) - std::pow(T(o.beta1), o.step), bc2 = T(1) - std::pow(T(o.beta2), o.step);
  for (long i = 0; i < n; i++) {
    m[i] = T(o.beta1) * m[i] + (T(1) - T(o.beta1)) * g[i];
    v[i] = T(o.beta2) * v[i] + (T(1) - T(o.beta2)) * g[i] * g[i];
    p[i] *= T(1) - T(o.lr) * T(o.weight_decay);
    p[i] -= T(o.lr) / bc1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + T(o.eps));
  }
}

struct AdafactorParams {
  float lr = 1e-3f, eps1 = 1e-30f, eps2 = 1e-3f, clip_threshold = 1.0f, decay_rate = -0.8f;
  float beta1 = 0.f;  // 0: no first moment (HF beta1=None)
  float weight_decay = 0.f;
  bool scale_parameter = false;  // HF: multiply lr by max(eps2, RMS(p))
  int step = 1;
};

// transformers.optimization.Adafactor with relative_step=False (an explicit lr).
// p, g (rows,cols); factored when rows > 1 && cols > 1 (row (rows), col (cols) statistics),
// otherwise v (rows*cols). m (rows*cols) only when beta1 > 0.
template <class T>
void adafactor_update(T* p, const T* g, T* row, T* col, T* v, T* m, int rows, int cols, const AdafactorParams& o) {
  const long n = (long)rows * cols;
  const bool factored = rows > 1 && cols > 1;
  auto rms = [n](const T* x) {
    T s = 0;
    for (long i = 0; i < n; i++) s += x[i] * x[i];
    return std::sqrt(s / n);
  };
  T lr = T(o.lr);
  if (o.scale_parameter) lr *= std::max(T(o.eps2), rms(p));
  const T beta2t = T(1) - std::pow(T(o.step), T(o.decay_rate));
  std::vector<T> upd(n);
  if (factored) {
    for (int r = 0; r < rows; r++) {
      T s = 0;
      for (int c = 0; c < cols; c++) s += g[(long)r * cols + c] * g[(long)r * cols + c] + T(o.eps1);
      row[r] = beta2t * row[r] + (T(1) - beta2t) * (s / cols);
    }
    for (int c = 0; c < cols; c++) {
      T s = 0;
      for (int r = 0; r < rows; r++) s += g[(long)r * cols + c] * g[(long)r * cols + c] + T(o.eps1);
      col[c] = beta2t * col[c] + (T(1) - beta2t) * (s / rows);
    }
    T row_mean = 0;
    for (int r = 0; r < rows; r++) row_mean += row[r];
    row_mean /= rows;
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++)
        upd[(long)r * cols + c] = g[(long)r * cols + c] / std::sqrt(row[r] / row_mean) / std::sqrt(col[c]);
  } else {
    for (long i = 0; i < n; i++) {
      v[i] = beta2t * v[i] + (T(1) - beta2t) * (g[i] * g[i] + T(o.eps1));
      upd[i] = g[i] / std::sqrt(v[i]);
    }
  }
  const T denom = std::max(T(1), rms(upd.data()) / T(o.clip_threshold));
  for (long i = 0; i < n; i++) upd[i] = upd[i] / denom * lr;
  if (o.beta1 > 0)
    for (long i = 0; i < n; i++) upd[i] = m[i] = T(o.beta1) * m[i] + (T(1) - T(o.beta1)) * upd[i];
  if (o.weight_decay != 0)
    for (long i = 0; i < n; i++) p[i] += p[i] * (-T(o.weight_decay) * lr);
  for (long i = 0; i < n; i++) p[i] -= upd[i];
}

struct SgdParams {
  float lr = 1e-2f, momentum = 0.9f, dampening = 0.f, weight_decay = 0.f;
  bool nesterov = false;
  int step = 1;
};

// torch.optim.SGD: the momentum buffer starts as the first gradient
template <class T>
void sgd_update(T* p, const T* g, T* buf, long n, const SgdParams& o) {
  for (long i = 0; i < n; i++) {
    T d = g[i] + T(o.weight_decay) * p[i];
    if (o.momentum != 0) {
      buf[i] = o.step == 1 ? d : T(o.momentum) * buf[i] + (T(1) - T(o.dampening)) * d;
      d = o.nesterov ? d + T(o.momentum) * buf[i] : buf[i];
    }
    p[i] -= T(o.lr) * d;
  }
}

// torch.nn.utils.clip_grad_norm_: scales every gradient by max_norm/(norm+1e-6)
// when the global L2 norm exceeds max_norm. Returns the norm before clipping.
template <class T>
T clip_grad_norm(T* const* grads, const long* sizes, int count, T max_norm) {
  T total = 0;
  for (int t = 0; t < count; t++)
    for (long i = 0; i < sizes[t]; i++) total += grads[t][i] * grads[t][i];
  total = std::sqrt(total);
  const T coef = max_norm / (total + T(1e-6));
  if (coef < T(1))
    for (int t = 0; t < count; t++)
      for (long i = 0; i < sizes[t]; i++) grads[t][i] *= coef;
  return total;
}

}  // namespace tbw::ref
