// The names a fine-tune can choose from. Pure constants, so the renderer can
// import them (the modules that use them load native code).
export const OPTIMIZERS = ['adamw', 'adafactor', 'sgd'] as const
export type OptimizerName = (typeof OPTIMIZERS)[number]

export const SCHEDULES = ['linear', 'cosine', 'constant', 'constant_with_warmup', 'polynomial'] as const
export type ScheduleName = (typeof SCHEDULES)[number]

export const LORA_TARGETS = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const
export type LoraTarget = (typeof LORA_TARGETS)[number]
// The native kernels fuse LoRA into all of them.
export const NATIVE_LORA_TARGETS: LoraTarget[] = [...LORA_TARGETS]
