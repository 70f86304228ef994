// The GPU benchmark (tools/gpu-check.sh runs it beside tools/gpu_peer.py, PyTorch on the same
// GPU): TinyBERT-4L (312 hidden, 12 heads, 1200 FF) forward latency at batch 1, 16, 128, 1024 and
// T = 128, 512, and one LoRA training step (r=16, alpha=16, dropout 0.05 on q/k/v, classifier
// trained, AdamW, dropout 0.1) at batch 128, T = 128 — in fp32 and with bf16 GEMM inputs, with
// the backend's peak device memory. Standalone (no Node.js). Usage: bench_gpu [--json FILE] [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tbw/bert_model.h"
#include "tbw/cuda.h"

using namespace tbw;

namespace {

struct Tensor {
  Backend* be;
  float* p;
  size_t n;
  Tensor(Backend& b, size_t count, unsigned seed, float lo, float hi) : be(&b), n(count) {
    std::vector<float> h(n);
    unsigned s = seed * 2654435761u + 1;
    for (auto& x : h) s = s * 1664525u + 1013904223u, x = lo + (hi - lo) * float(s >> 8) / float(1u << 24);
    p = static_cast<float*>(b.alloc(n * 4));
    b.upload(p, h.data(), n * 4);
  }
  Tensor(Backend& b, size_t count) : be(&b), n(count) {
    p = static_cast<float*>(b.alloc(n * 4));
    b.fill_zero(p, n * 4);
  }
  ~Tensor() { be->release(p); }
};
using TensorPtr = std::unique_ptr<Tensor>;

struct Model {
  BertModelConfig cfg{30522, 512, 2, 312, 12, 1200, 4, 2};
  std::vector<TensorPtr> w, lora, lora_grads, lora_m, lora_v, cls_grads, cls_m, cls_v;
  BertModelParams params{};
  BertModelGrads grads{};

  Model(Backend& be, bool with_lora) {
    const int C = cfg.C, FF = cfg.FF, r = 16;
    unsigned seed = 1;
    auto add = [&](size_t n, float lo, float hi) {
      w.push_back(std::make_unique<Tensor>(be, n, seed++, lo, hi));
      return w.back()->p;
    };
    params.wte = add((size_t)cfg.vocab * C, -.05f, .05f), params.wpe = add((size_t)cfg.max_pos * C, -.05f, .05f);
    params.wtt = add(2 * (size_t)C, -.05f, .05f), params.emb_ln_w = add(C, .9f, 1.1f), params.emb_ln_b = add(C, -.01f, .01f);
    for (int l = 0; l < cfg.layers; l++) {
      BertLayerParams p{};
      p.q_w = add((size_t)C * C, -.05f, .05f), p.q_b = add(C, -.01f, .01f), p.k_w = add((size_t)C * C, -.05f, .05f), p.k_b = add(C, -.01f, .01f);
      p.v_w = add((size_t)C * C, -.05f, .05f), p.v_b = add(C, -.01f, .01f), p.ao_w = add((size_t)C * C, -.05f, .05f), p.ao_b = add(C, -.01f, .01f);
      p.ln1_w = add(C, .9f, 1.1f), p.ln1_b = add(C, -.01f, .01f), p.i_w = add((size_t)FF * C, -.05f, .05f), p.i_b = add(FF, -.01f, .01f);
      p.o_w = add((size_t)C * FF, -.05f, .05f), p.o_b = add(C, -.01f, .01f), p.ln2_w = add(C, .9f, 1.1f), p.ln2_b = add(C, -.01f, .01f);
      BertLayerGrads g{};
      if (with_lora) {
        const float* AB[6];
        float* dAB[6];
        for (int i = 0; i < 6; i++) {
          const size_t n = i % 2 == 0 ? (size_t)r * C : (size_t)C * r;
          lora.push_back(std::make_unique<Tensor>(be, n, seed++, -.02f, .02f));
          lora_grads.push_back(std::make_unique<Tensor>(be, n));
          lora_m.push_back(std::make_unique<Tensor>(be, n));
          lora_v.push_back(std::make_unique<Tensor>(be, n));
          AB[i] = lora.back()->p, dAB[i] = lora_grads.back()->p;
        }
        p.q_A = AB[0], p.q_B = AB[1], p.k_A = AB[2], p.k_B = AB[3], p.v_A = AB[4], p.v_B = AB[5];
        g.q_A = dAB[0], g.q_B = dAB[1], g.k_A = dAB[2], g.k_B = dAB[3], g.v_A = dAB[4], g.v_B = dAB[5];
      }
      params.layers.push_back(p);
      grads.layers.push_back(g);
    }
    params.pool_w = add((size_t)C * C, -.05f, .05f), params.pool_b = add(C, -.01f, .01f);
    params.cls_w = add(2 * (size_t)C, -.05f, .05f), params.cls_b = add(2, -.01f, .01f);
    for (size_t n : {2 * (size_t)C, (size_t)2}) {
      cls_grads.push_back(std::make_unique<Tensor>(be, n));
      cls_m.push_back(std::make_unique<Tensor>(be, n));
      cls_v.push_back(std::make_unique<Tensor>(be, n));
    }
    grads.cls_w = cls_grads[0]->p, grads.cls_b = cls_grads[1]->p;
    if (with_lora) cfg.lora_r = r, cfg.lora_scale = 16.f / r, cfg.lora_dropout = 0.05f, cfg.hidden_dropout = 0.1f, cfg.attn_dropout = 0.1f;
  }
};

struct Inputs {
  Backend& be;
  int32_t *ids, *tt, *labels;
  uint8_t* mask;
  Inputs(Backend& b, int B, int T) : be(b) {
    std::vector<int32_t> id((size_t)B * T), t((size_t)B * T, 0), y(B);
    std::vector<uint8_t> m((size_t)B * T, 1);
    for (size_t i = 0; i < id.size(); i++) id[i] = (int32_t)((i * 7919) % 30000 + 100);
    for (int i = 0; i < B; i++) y[i] = i % 2;
    ids = static_cast<int32_t*>(b.alloc(id.size() * 4)), tt = static_cast<int32_t*>(b.alloc(t.size() * 4));
    labels = static_cast<int32_t*>(b.alloc(y.size() * 4)), mask = static_cast<uint8_t*>(b.alloc(m.size()));
    b.upload(ids, id.data(), id.size() * 4), b.upload(tt, t.data(), t.size() * 4);
    b.upload(labels, y.data(), y.size() * 4), b.upload(mask, m.data(), m.size());
  }
  ~Inputs() { be.release(ids), be.release(tt), be.release(labels), be.release(mask); }
};

double now_ms() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Median of repeated runs of fn (each ends with a device synchronization), after warm-up.
template <class F>
double median_ms(F fn, int min_iters, double budget_ms) {
  for (int i = 0; i < 3; i++) fn();
  std::vector<double> t;
  const double start = now_ms();
  while ((int)t.size() < min_iters || (now_ms() - start < budget_ms && t.size() < 200)) {
    const double t0 = now_ms();
    fn();
    t.push_back(now_ms() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Row {
  std::string kind, precision;
  int batch, seq;
  double ms;
  size_t peak;
  std::string skipped;
};

}  // namespace

int main(int argc, char** argv) {
  const char* json = nullptr;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else if (!std::strcmp(argv[i], "--quick")) quick = true;
  }
  const CudaStatus& st = cuda_status();
  if (st.gpus.empty()) {
    std::printf("bench_gpu: skipped: %s\n", st.reason.c_str());
    return 0;
  }
  std::printf("bench_gpu on %s (%.1f GiB, compute capability %d.%d), cuBLAS: %s\n", st.gpus[0].name.c_str(),
              st.gpus[0].total_bytes / 1073741824.0, st.gpus[0].cc_major, st.gpus[0].cc_minor,
              st.cublas.empty() ? ("none: " + st.cublas_error).c_str() : st.cublas.c_str());
  std::vector<Row> rows;
  const std::vector<int> batches = quick ? std::vector<int>{1, 16} : std::vector<int>{1, 16, 128, 1024};
  const std::vector<int> seqs = quick ? std::vector<int>{128} : std::vector<int>{128, 512};
  for (CudaPrecision prec : {CudaPrecision::Fp32, CudaPrecision::Bf16}) {
    const char* pname = prec == CudaPrecision::Fp32 ? "fp32" : "bf16";
    std::string why;
    Backend* be = cuda_backend(0, &why, prec);
    if (!be) {
      std::printf("  %s: skipped: %s\n", pname, why.c_str());
      rows.push_back({"forward", pname, 0, 0, 0, 0, why});
      continue;
    }
    {
      Model m(*be, false);
      for (int T : seqs)
        for (int B : batches) {
          Row row{"forward", pname, B, T, 0, 0, ""};
          try {
            be->reset_peak();
            BertModelActs acts(*be, m.cfg, B, T);
            Inputs in(*be, B, T);
            float sink;
            row.ms = median_ms([&] {
              bert_model_forward(*be, m.cfg, m.params, acts, in.ids, in.tt, in.mask, nullptr);
              be->download(&sink, acts.logits, 4);
            }, 5, 1500);
            row.peak = be->device_bytes_peak();
            std::printf("  forward %s B=%-4d T=%-3d %9.3f ms  %8.1f seq/s  peak %.0f MiB\n", pname, B, T, row.ms, B * 1000.0 / row.ms,
                        row.peak / 1048576.0);
          } catch (const std::exception& e) {
            row.skipped = e.what();
            std::printf("  forward %s B=%-4d T=%-3d skipped: %s\n", pname, B, T, e.what());
          }
          rows.push_back(row);
        }
    }
    Row row{"lora_step", pname, 128, 128, 0, 0, ""};
    try {
      Model m(*be, true);
      be->reset_peak();
      BertModelActs acts(*be, m.cfg, 128, 128);
      Inputs in(*be, 128, 128);
      AdamWHyper h;
      h.lr = 3.9e-4f;
      uint64_t step = 0;
      row.ms = median_ms([&] {
        m.cfg.seed = ++step;
        for (auto& g : m.lora_grads) be->fill_zero(g->p, g->n * 4);
        for (auto& g : m.cls_grads) be->fill_zero(g->p, g->n * 4);
        bert_model_forward(*be, m.cfg, m.params, acts, in.ids, in.tt, in.mask, in.labels);  // syncs on the loss
        bert_model_backward(*be, m.cfg, m.params, m.grads, acts, in.ids, in.tt, in.mask, in.labels);
        h.step = (int)step;
        for (size_t i = 0; i < m.lora.size(); i++) be->adamw_update(m.lora[i]->p, m.lora_grads[i]->p, m.lora_m[i]->p, m.lora_v[i]->p, (long)m.lora[i]->n, h);
        be->adamw_update(const_cast<float*>(m.params.cls_w), m.cls_grads[0]->p, m.cls_m[0]->p, m.cls_v[0]->p, 2 * 312, h);
        be->adamw_update(const_cast<float*>(m.params.cls_b), m.cls_grads[1]->p, m.cls_m[1]->p, m.cls_v[1]->p, 2, h);
        float sink;
        be->download(&sink, m.params.cls_b, 4);
      }, 5, 3000);
      row.peak = be->device_bytes_peak();
      std::printf("  LoRA step %s B=128 T=128 %9.3f ms  %8.1f seq/s  peak %.0f MiB\n", pname, row.ms, 128000.0 / row.ms, row.peak / 1048576.0);
    } catch (const std::exception& e) {
      row.skipped = e.what();
      std::printf("  LoRA step %s skipped: %s\n", pname, e.what());
    }
    rows.push_back(row);
  }
  if (json) {
    FILE* f = std::fopen(json, "w");
    if (!f) return std::printf("bench_gpu: cannot write %s\n", json), 1;
    std::string name = st.gpus[0].name;
    std::fprintf(f, "{\"gpu\":\"%s\",\"cublas\":%s,\"rows\":[", name.c_str(), st.cublas.empty() ? "false" : "true");
    for (size_t i = 0; i < rows.size(); i++) {
      const Row& r = rows[i];
      std::string why;
      for (char c : r.skipped) why += c == '"' || c == '\\' ? '\'' : c;
      std::fprintf(f, "%s{\"kind\":\"%s\",\"precision\":\"%s\",\"batch\":%d,\"seq\":%d,\"ms\":%s,\"peak_bytes\":%zu,\"skipped\":%s%s%s}",
                   i ? "," : "", r.kind.c_str(), r.precision.c_str(), r.batch, r.seq, r.skipped.empty() ? std::to_string(r.ms).c_str() : "null",
                   r.peak, r.skipped.empty() ? "null" : "\"", why.c_str(), r.skipped.empty() ? "" : "\"");
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  return 0;
}
