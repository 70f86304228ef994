// The CUDA backend: tbw::Backend on device memory of one GPU, one stream, cuBLAS when it
// loads (else the SIMT GEMM), fp32 or bf16/fp16 GEMM inputs with fp32 accumulation. The
// C entry points at the bottom are what the host loads with dlopen (abi.h).
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "abi.h"
#include "common.cuh"
#include "kernels.cuh"
#include "tbw/backend.h"

namespace tbw::cuda {
namespace {

std::string mib(size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// One growable device buffer for the temporaries of a single op, carved by the op.
class Workspace {
 public:
  explicit Workspace(std::function<void(long)> account) : account_(std::move(account)) {}
  ~Workspace() {
    if (ptr_) cudaFree(ptr_);
  }
  char* get(size_t bytes) {
    if (bytes > cap_) {
      if (ptr_) TBW_CUDA_CHECK(cudaFree(ptr_));  // synchronizes: pending kernels may read it
      account_(-(long)cap_);
      ptr_ = nullptr, cap_ = 0;
      const size_t want = bytes + bytes / 4;
      cudaError_t e = cudaMalloc(&ptr_, want);
      if (e != cudaSuccess) {
        cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        throw std::runtime_error("CUDA out of memory: a " + mib(want) + " workspace did not fit (" + mib(free_b) + " free of " +
                                 mib(total_b) + "); use a smaller batch or sequence length, or gradient accumulation");
      }
      cap_ = want;
      account_((long)want);
    }
    return static_cast<char*>(ptr_);
  }

 private:
  std::function<void(long)> account_;
  void* ptr_ = nullptr;
  size_t cap_ = 0;
};

// Consecutive, 256-byte aligned pieces of the workspace.
class Pieces {
 public:
  explicit Pieces(size_t n = 0) : total_(n) {}
  size_t add(size_t bytes) {
    const size_t at = total_;
    total_ += (bytes + 255) / 256 * 256;
    return at;
  }
  size_t total() const { return total_; }

 private:
  size_t total_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, Precision precision) : device_(device), work_([this](long d) { account(d); }) {
    TBW_CUDA_CHECK(cudaSetDevice(device));
    TBW_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx_.stream, cudaStreamNonBlocking));
    upload_nf4_values();
    ctx_.blas = cublas();
    if (ctx_.blas && ctx_.blas->create(&ctx_.handle) != 0) ctx_.blas = nullptr, ctx_.handle = nullptr;  // e.g. a driver too old for it
    if (precision != Precision::Fp32 && !ctx_.blas)
      throw std::runtime_error("bf16/fp16 GEMMs need cuBLAS, which was not found: " + cublas_error());
    ctx_.precision = precision;
    ctx_.staging = &staging_;
    name_ = "cuda:" + std::to_string(device) + (precision == Precision::Bf16 ? ":bf16" : precision == Precision::Fp16 ? ":fp16" : "");
  }
  ~CudaBackend() override {
    if (ctx_.handle && ctx_.blas) ctx_.blas->destroy(ctx_.handle);
    if (ctx_.stream) cudaStreamDestroy(ctx_.stream);
  }

  const char* name() const override { return name_.c_str(); }

  // ---- memory -------------------------------------------------------------------------------
  void* alloc(size_t bytes) override {
    const Ctx& c = ctx();
    (void)c;
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear it, so later calls still work
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      throw std::runtime_error("CUDA out of memory on " + name_ + ": asked for " + mib(bytes) + ", " + mib(free_b) + " free of " +
                               mib(total_b) + "; use a smaller batch or sequence length, or gradient accumulation");
    }
    std::lock_guard<std::mutex> lock(sizes_mu_);
    sizes_[p] = bytes;
    account((long)bytes);
    return p;
  }
  void release(void* p) override {
    if (!p) return;
    cudaFree(p);
    std::lock_guard<std::mutex> lock(sizes_mu_);
    auto it = sizes_.find(p);
    if (it != sizes_.end()) account(-(long)it->second), sizes_.erase(it);
  }
  size_t device_bytes_peak() const override { return peak_; }
  void reset_peak() override { peak_ = in_use_; }
  void upload(void* dst, const void* src, size_t bytes) override {
    const Ctx& c = ctx();
    TBW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c.stream));
    TBW_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  }
  void download(void* dst, const void* src, size_t bytes) override {
    const Ctx& c = ctx();
    TBW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c.stream));
    TBW_CUDA_CHECK(cudaStreamSynchronize(c.stream));  // also surfaces faults of earlier kernels
  }
  void fill_zero(void* p, size_t bytes) override { TBW_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, ctx().stream)); }

  // ---- linear layers ------------------------------------------------------------------------
  void matmul_forward(float* out, const float* inp, const float* W, const float* bias, int N, int C, int OC) override {
    gemm(ctx(), false, true, N, OC, C, 1.f, inp, C, W, C, 0.f, out, OC, bias);
  }
  void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* W, int N, int C,
                       int OC) override {
    const Ctx& c = ctx();
    if (dinp) gemm(c, false, false, N, C, OC, 1.f, dout, OC, W, C, 1.f, dinp, C);
    if (dweight) gemm(c, true, false, OC, C, N, 1.f, dout, OC, inp, C, 1.f, dweight, C);
    if (dbias) col_sum(c, dbias, dout, N, OC);
  }
  void lora_forward(float* out, float* h, const float* inp, const float* W, const float* bias, const float* A, const float* Bm, int N,
                    int C, int OC, int r, float scale, float p, uint64_t seed) override {
    const Ctx& c = ctx();
    gemm(c, false, true, N, OC, C, 1.f, inp, C, W, C, 0.f, out, OC, bias);
    const float* xd = dropped(c, inp, (long)N * C, p, seed, 0);
    gemm(c, false, true, N, r, C, 1.f, xd, C, A, C, 0.f, h, r);
    gemm(c, false, true, N, OC, r, scale, h, r, Bm, r, 1.f, out, OC);
  }
  void lora_backward(float* dinp, float* dA, float* dB, float* dbias, const float* dout, const float* inp, const float* W,
                     const float* A, const float* Bm, const float* h, int N, int C, int OC, int r, float scale, float p,
                     uint64_t seed) override {
    const Ctx& c = ctx();
    matmul_backward(dinp, nullptr, dbias, dout, inp, W, N, C, OC);  // the frozen base: no dW
    Pieces lay;
    const size_t at_xd = p > 0.f ? lay.add((size_t)N * C * 4) : 0, at_dh = lay.add((size_t)N * r * 4),
                 at_dxd = dinp ? lay.add((size_t)N * C * 4) : 0;
    char* ws = work_.get(lay.total());
    float* dh = reinterpret_cast<float*>(ws + at_dh);
    gemm(c, true, false, OC, r, N, scale, dout, OC, h, r, 1.f, dB, r);    // dB += scale·doutᵀ·h
    gemm(c, false, false, N, r, OC, scale, dout, OC, Bm, r, 0.f, dh, r);  // dh = scale·dout·B
    const float* xd = inp;
    if (p > 0.f) {
      float* x = reinterpret_cast<float*>(ws + at_xd);
      dropout(c, x, inp, (long)N * C, p, seed, false);
      xd = x;
    }
    gemm(c, true, false, r, C, N, 1.f, dh, r, xd, C, 1.f, dA, C);  // dA += dhᵀ·dropout(x)
    if (dinp) {
      float* dxd = reinterpret_cast<float*>(ws + at_dxd);
      gemm(c, false, false, N, C, r, 1.f, dh, r, A, C, 0.f, dxd, C);
      dropout(c, dinp, dxd, (long)N * C, p, seed, true);  // dinp += mask ⊙ dh·A
    }
  }

  // ---- quantized weights --------------------------------------------------------------------
  void matmul_quant_forward(float* out, const float* inp, const QuantWeight& w, const float* bias, int N, int C, int OC) override {
    const Ctx& c = ctx();  // first: the workspace is allocated on the current device
    if (w.kind == QuantKind::Int8) {
      Pieces lay;
      const size_t at_q = lay.add((size_t)N * C), at_s = lay.add((size_t)N * 4);
      char* ws = work_.get(lay.total());
      int8_gemm(c, out, inp, w.codes, w.scale, bias, reinterpret_cast<int8_t*>(ws + at_q), reinterpret_cast<float*>(ws + at_s), N, C, OC);
      return;
    }
    float* wf = reinterpret_cast<float*>(work_.get((size_t)OC * C * 4));
    dequantize(c, wf, w, OC, C);
    gemm(c, false, true, N, OC, C, 1.f, inp, C, wf, C, 0.f, out, OC, bias);
  }
  void dequantize_weight(float* out, const QuantWeight& w, int OC, int C) override { dequantize(ctx(), out, w, OC, C); }

  // ---- attention ----------------------------------------------------------------------------
  void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                         AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "CUDA attention");
    flash_forward(ctx(), out, lse, q, k, v, mask, s, p, seed);
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                          const float* out, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                          uint64_t seed) override {
    require_head_major(s, "CUDA attention");
    const Ctx& c = ctx();
    float* rowdot = reinterpret_cast<float*>(work_.get((size_t)s.B * s.NH * s.T * 4));
    flash_backward(c, dq, dk, dv, rowdot, dout, q, k, v, out, lse, mask, s, p, seed);
  }
  void attention_naive_forward(float* out, float* lse, float* att, const float* q, const float* k, const float* v,
                               const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "CUDA attention");
    const Ctx& c = ctx();
    float* work = p > 0.f ? reinterpret_cast<float*>(work_.get(tt_bytes(s))) : nullptr;
    naive_forward(c, out, lse, att, work, q, k, v, mask, s, p, seed);
  }
  void attention_naive_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                                const float* att, const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "CUDA attention");
    (void)mask;  // padded keys have probability 0
    const Ctx& c = ctx();
    Pieces lay;
    const size_t at_w = lay.add(tt_bytes(s)), at_w2 = p > 0.f ? lay.add(tt_bytes(s)) : 0;
    char* ws = work_.get(lay.total());
    naive_backward(c, dq, dk, dv, reinterpret_cast<float*>(ws + at_w), p > 0.f ? reinterpret_cast<float*>(ws + at_w2) : nullptr,
                   dout, q, k, v, att, s, p, seed);
  }
  // flash: the backward's row sums (B,NH,T); naive: the probabilities and the backward's dP,
  // each (B,NH,T,T). Attention dropout adds a third (B,NH,T,T) buffer, not counted here.
  size_t attention_extra_bytes(AttentionShape s, bool flash) const override {
    return flash ? (size_t)s.B * s.NH * s.T * 4 : 2 * tt_bytes(s);
  }

  void copy_rows(float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) override {
    cuda::copy_rows(ctx(), dst, src, rows, cols, dst_stride, src_stride, accumulate);
  }
  void split_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    cuda::split_heads(ctx(), out, inp, B, T, NH, HS, accumulate);
  }
  void merge_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    cuda::merge_heads(ctx(), out, inp, B, T, NH, HS, accumulate);
  }

  // ---- normalization, activations -----------------------------------------------------------
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N, int C,
                         float eps) override {
    cuda::layernorm_forward(ctx(), out, mean, rstd, inp, w, b, N, C, eps);
  }
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w, const float* mean,
                          const float* rstd, int N, int C) override {
    cuda::layernorm_backward(ctx(), dinp, dw, db, dout, inp, w, mean, rstd, N, C);
  }
  void gelu_forward(float* out, const float* inp, long n) override { cuda::gelu_forward(ctx(), out, inp, n); }
  void gelu_backward(float* dinp, const float* inp, const float* dout, long n) override { cuda::gelu_backward(ctx(), dinp, inp, dout, n); }
  void tanh_forward(float* out, const float* inp, long n) override { cuda::tanh_forward(ctx(), out, inp, n); }
  void tanh_backward(float* dinp, const float* out, const float* dout, long n) override { cuda::tanh_backward(ctx(), dinp, out, dout, n); }
  void residual_forward(float* out, const float* a, const float* b, long n) override { cuda::residual_forward(ctx(), out, a, b, n); }
  void residual_backward(float* da, float* db, const float* dout, long n) override { cuda::residual_backward(ctx(), da, db, dout, n); }
  void dropout_forward(float* out, const float* inp, long n, float p, uint64_t seed) override {
    cuda::dropout(ctx(), out, inp, n, p, seed, false);
  }
  void dropout_backward(float* dinp, const float* dout, long n, float p, uint64_t seed) override {
    cuda::dropout(ctx(), dinp, dout, n, p, seed, true);
  }

  // ---- embeddings, losses -------------------------------------------------------------------
  void embeddings_forward(float* out, const int32_t* ids, const int32_t* tt, const float* wte, const float* wpe, const float* wtt,
                          int B, int T, int C) override {
    cuda::embeddings_forward(ctx(), out, ids, tt, wte, nullptr, nullptr, wpe, wtt, B, T, C);
  }
  void embeddings_int8_forward(float* out, const int32_t* ids, const int32_t* tt, const int8_t* codes, const float* scale,
                               const float* wpe, const float* wtt, int B, int T, int C) override {
    cuda::embeddings_forward(ctx(), out, ids, tt, nullptr, codes, scale, wpe, wtt, B, T, C);
  }
  void embeddings_backward(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids, const int32_t* tt, int B,
                           int T, int C) override {
    cuda::embeddings_backward(ctx(), dwte, dwpe, dwtt, dout, ids, tt, B, T, C);
  }
  float crossentropy_forward(float* probs, const float* logits, const int32_t* labels, int B, int NC) override {
    const Ctx& c = ctx();
    float* rows = reinterpret_cast<float*>(work_.get((size_t)B * 4));
    cuda::crossentropy_forward(c, probs, rows, logits, labels, B, NC);
    return mean_of(rows, B);
  }
  void crossentropy_backward(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) override {
    cuda::crossentropy_backward(ctx(), dlogits, probs, labels, B, NC, dloss);
  }
  float mse_forward(const float* preds, const float* targets, int B) override {
    const Ctx& c = ctx();
    float* rows = reinterpret_cast<float*>(work_.get((size_t)B * 4));
    cuda::mse_rows(c, rows, preds, targets, B);
    return mean_of(rows, B);
  }
  void mse_backward(float* dpreds, const float* preds, const float* targets, int B, float dloss) override {
    cuda::mse_backward(ctx(), dpreds, preds, targets, B, dloss);
  }

  // ---- optimizers ---------------------------------------------------------------------------
  void adamw_update(float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h) override {
    adamw(ctx(), p, g, m, v, n, h);
  }
  void adafactor_update(float* p, const float* g, float* row, float* col, float* v, float* m, int rows, int cols,
                        const AdafactorHyper& h) override {
    const Ctx& c = ctx();
    Pieces lay;
    const size_t at_sums = lay.add(3 * sizeof(double)), at_upd = lay.add((size_t)rows * cols * 4);
    char* ws = work_.get(lay.total());
    adafactor(c, p, g, row, col, v, m, reinterpret_cast<float*>(ws + at_upd), reinterpret_cast<double*>(ws + at_sums), rows, cols, h);
  }
  void sgd_update(float* p, const float* g, float* buf, long n, const SgdHyper& h) override { sgd(ctx(), p, g, buf, n, h); }
  float clip_grad_norm(float* const* grads, const long* sizes, int count, float max_norm) override {
    const Ctx& c = ctx();
    double* acc = reinterpret_cast<double*>(work_.get(sizeof(double)));
    TBW_CUDA_CHECK(cudaMemsetAsync(acc, 0, sizeof(double), c.stream));
    for (int t = 0; t < count; t++) sum_squares(c, acc, grads[t], sizes[t]);
    double sum = 0;
    download(&sum, acc, sizeof sum);
    const float total = (float)std::sqrt(sum), coef = max_norm / (total + 1e-6f);
    if (coef < 1.f)
      for (int t = 0; t < count; t++) scale_inplace(c, grads[t], sizes[t], coef);
    return total;
  }

 private:
  const Ctx& ctx() {
    TBW_CUDA_CHECK(cudaSetDevice(device_));  // a process may drive several GPUs from one thread
    return ctx_;
  }
  static size_t tt_bytes(AttentionShape s) { return (size_t)s.B * s.NH * s.T * s.T * 4; }
  // inp with dropout applied, in the workspace at `offset`, or inp itself when p = 0
  const float* dropped(const Ctx& c, const float* inp, long n, float p, uint64_t seed, size_t offset) {
    if (p <= 0.f) return inp;
    float* x = reinterpret_cast<float*>(work_.get(offset + n * 4) + offset);
    dropout(c, x, inp, n, p, seed, false);
    return x;
  }
  // The losses' mean over the batch, summed in order on the host as the reference does.
  float mean_of(const float* rows, int B) {
    std::vector<float> h(B > 0 ? B : 1);
    download(h.data(), rows, (size_t)B * 4);
    float total = 0.f;
    for (int b = 0; b < B; b++) total += h[b];
    return B > 0 ? total / B : 0.f;
  }

  void account(long delta) {
    in_use_ += delta;
    if (in_use_ > peak_) peak_ = in_use_;
  }

  int device_;
  std::string name_;
  std::mutex sizes_mu_;
  std::unordered_map<void*, size_t> sizes_;
  size_t in_use_ = 0, peak_ = 0;
  Ctx ctx_;
  Staging staging_;
  Workspace work_;
};

void copy_error(char* err, size_t len, const std::string& msg) {
  if (err && len) std::snprintf(err, len, "%s", msg.c_str());
}

}  // namespace
}  // namespace tbw::cuda

extern "C" {

int tbw_cuda_abi_version() { return TBW_CUDA_ABI; }

void tbw_cuda_query(TbwCudaInfo* out) {
  std::memset(out, 0, sizeof *out);
  cudaRuntimeGetVersion(&out->runtime_version);
  cudaDriverGetVersion(&out->driver_version);
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    std::snprintf(out->error, sizeof out->error, "no usable CUDA GPU: %s%s", cudaGetErrorString(e),
                  out->driver_version == 0 ? " (no NVIDIA driver is loaded on this machine)" : "");
    count = 0;
  }
  out->device_count = count < TBW_CUDA_MAX_GPUS ? count : TBW_CUDA_MAX_GPUS;
  for (int i = 0; i < out->device_count; i++) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    TbwGpuInfo& g = out->gpus[i];
    std::snprintf(g.name, sizeof g.name, "%s", prop.name);
    g.total_bytes = prop.totalGlobalMem;
    g.cc_major = prop.major, g.cc_minor = prop.minor, g.multiprocessors = prop.multiProcessorCount;
  }
  if (const tbw::cuda::Cublas* b = tbw::cuda::cublas()) std::snprintf(out->cublas, sizeof out->cublas, "%s", b->path.c_str());
  else std::snprintf(out->cublas_error, sizeof out->cublas_error, "%s", tbw::cuda::cublas_error().c_str());
}

int tbw_cuda_free_bytes(int device, uint64_t* free_bytes) {
  size_t free_b = 0, total_b = 0;
  if (cudaSetDevice(device) != cudaSuccess || cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    cudaGetLastError();
    return 1;
  }
  *free_bytes = free_b;
  return 0;
}

tbw::Backend* tbw_cuda_backend(int device, int precision, char* err, size_t errlen) {
  using tbw::cuda::Precision;
  static std::mutex mu;
  static std::vector<std::unique_ptr<tbw::cuda::CudaBackend>> made[3];  // per precision, by device
  std::lock_guard<std::mutex> lock(mu);
  if (precision < 0 || precision > 2) {
    tbw::cuda::copy_error(err, errlen, "unknown precision " + std::to_string(precision));
    return nullptr;
  }
  auto& list = made[precision];
  if (device < 0) {
    tbw::cuda::copy_error(err, errlen, "negative device number");
    return nullptr;
  }
  if ((int)list.size() <= device) list.resize(device + 1);
  if (!list[device]) {
    try {
      list[device] = std::make_unique<tbw::cuda::CudaBackend>(device, static_cast<Precision>(precision));
    } catch (const std::exception& e) {
      tbw::cuda::copy_error(err, errlen, std::string("cannot start the CUDA backend on cuda:") + std::to_string(device) + ": " + e.what());
      return nullptr;
    }
  }
  return list[device].get();
}
}
