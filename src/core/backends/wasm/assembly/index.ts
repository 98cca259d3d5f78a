/** The module's exports: every kernel the JavaScript side (../index.ts) calls. */
export { gemm_f32, gemm_f64, SCRATCH_F32, SCRATCH_F64 } from './gemm';
export { binary_f32, binary_f64, sum_f32, sum_f64, unary_f32, unary_f64 } from './elementwise';
