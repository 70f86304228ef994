// Where a job computes: 'cpu' (the best kernel variant of this CPU) or a GPU, 'cuda:N'.
import { z } from 'zod'

export const Device = z
  .string()
  .regex(/^(cpu|cuda(:\d{1,2})?)$/, { message: "device must be 'cpu' or a GPU as 'cuda:N' (e.g. cuda:0); `tbw doctor` lists the GPUs" })
  .default('cpu')
