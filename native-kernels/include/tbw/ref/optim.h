// Reference optimizers with PyTorch / Hugging Face semantics.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "../optim_hyper.h"

namespace tbw::ref {

// torch.optim.AdamW: p *= 1 - lr*wd; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
template <class T>
void adamw_update(T* p, const T* g, T* m, T* v, long n, const AdamWHyper& o) {
  const T bc1 = T(1) - std::pow(T(o.beta1), o.step), bc2 = T(1) - std::pow(T(o.beta2), o.step);
  for (long i = 0; i < n; i++) {
    m[i] = T(o.beta1) * m[i] + (T(1) - T(o.beta1)) * g[i];
    v[i] = T(o.beta2) * v[i] + (T(1) - T(o.beta2)) * g[i] * g[i];
    p[i] *= T(1) - T(o.lr) * T(o.weight_decay);
    p[i] -= T(o.lr) / bc1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + T(o.eps));
  }
}

// transformers.optimization.Adafactor with relative_step=False (an explicit lr).
// p, g (rows,cols): factored (row (rows), col (cols) statistics) for a 2-D parameter (rows > 1);
// a 1-D parameter comes as rows = 1 and keeps v (cols). m (rows*cols) only when beta1 > 0.
template <class T>
void adafactor_update(T* p, const T* g, T* row, T* col, T* v, T* m, int rows, int cols, const AdafactorHyper& o) {
  const long n = (long)rows * cols;
  const bool factored = rows > 1;
  auto rms = [n](const T* x) {  // reductions accumulate in double
    double s = 0;
    for (long i = 0; i < n; i++) s += double(x[i]) * x[i];
    return T(std::sqrt(s / n));
  };
  T lr = T(o.lr);
  if (o.scale_parameter) lr *= std::max(T(o.eps2), rms(p));
  const T beta2t = T(1) - std::pow(T(o.step), T(o.decay_rate));
  std::vector<T> upd(n);
  if (factored) {
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int c = 0; c < cols; c++) s += double(g[(long)r * cols + c]) * g[(long)r * cols + c] + o.eps1;
      row[r] = beta2t * row[r] + (T(1) - beta2t) * T(s / cols);
    }
    for (int c = 0; c < cols; c++) {
      double s = 0;
      for (int r = 0; r < rows; r++) s += double(g[(long)r * cols + c]) * g[(long)r * cols + c] + o.eps1;
      col[c] = beta2t * col[c] + (T(1) - beta2t) * T(s / rows);
    }
    double row_sum = 0;
    for (int r = 0; r < rows; r++) row_sum += row[r];
    const T row_mean = T(row_sum / rows);
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

// torch.optim.SGD: the momentum buffer starts as the first gradient
template <class T>
void sgd_update(T* p, const T* g, T* buf, long n, const SgdHyper& o) {
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
  double sum = 0;
  for (int t = 0; t < count; t++)
    for (long i = 0; i < sizes[t]; i++) sum += double(grads[t][i]) * grads[t][i];
  const T total = T(std::sqrt(sum));
  const T coef = max_norm / (total + T(1e-6));
  if (coef < T(1))
    for (int t = 0; t < count; t++)
      for (long i = 0; i < sizes[t]; i++) grads[t][i] *= coef;
  return total;
}

}  // namespace tbw::ref
