{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "include"],
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions", "-O2"],
    "cflags_cc": ["-O3", "-std=c++17", "-fopenmp-simd", "-fno-math-errno"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "conditions": [
      ["target_arch=='x64'", {"defines": ["TBW_HAVE_X86_VARIANTS"]}]
    ],
    "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"},
    "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
  },
  "targets": [
    {
      "target_name": "tbw_kernels",
      "sources": ["napi/addon.cpp", "napi/kernels.cpp", "napi/model.cpp", "napi/optim.cpp", "napi/quant.cpp", "napi/profiler.cpp", "cpu/dispatch.cpp", "cpu/cuda_loader.cpp", "cpu/threadpool.cpp", "cpu/profiler.cpp", "cpu/ref/dot_ref.cpp", "cpu/ref/gemm_ref.cpp", "cpu/ref/ref_backend.cpp", "cpu/ref/quant_ref.cpp", "cpu/quant/int8_portable.cpp", "cpu/variant_scalar.cpp", "cpu/bert_layer.cpp", "cpu/bert_model.cpp"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["tbw_avx2", "tbw_avx512", "tbw_avx512vnni"]}]
      ]
    },
    {
      "target_name": "tbw_avx2",
      "type": "static_library",
      "sources": ["cpu/dot_avx2.cpp", "cpu/variant_avx2.cpp", "cpu/quant/int8_avx2.cpp"],
      "cflags_cc": ["-mavx2", "-mfma"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"]},
      "msvs_settings": {"VCCLCompilerTool": {"EnableEnhancedInstructionSet": "5"}}
    },
    {
      "target_name": "tbw_avx512",
      "type": "static_library",
      "sources": ["cpu/dot_avx512.cpp", "cpu/variant_avx512.cpp"],
      "cflags_cc": ["-mavx512f", "-Wno-maybe-uninitialized", "-Wno-uninitialized"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx512f"]},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
    },
    {
      "target_name": "tbw_avx512vnni",
      "type": "static_library",
      "sources": ["cpu/quant/int8_vnni.cpp"],
      "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vnni", "-Wno-maybe-uninitialized"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512vnni"]},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
    }
  ]
}
