/* IEEE binary16 and bfloat16 <-> binary32 conversions, shared by the kernels (CAST),
 * the .npy reader/writer and the checkpoint reader (internal to libslimrt). */
#ifndef SLIMRT_HALFCONV_H
#define SLIMRT_HALFCONV_H
#include <stdint.h>

float slimrt_f16_to_f32(uint16_t h);   /* exact: subnormals, infinities, NaNs */
uint16_t slimrt_f32_to_f16(float f);   /* round to nearest even, overflow to infinity */
float slimrt_bf16_to_f32(uint16_t b);  /* exact */
uint16_t slimrt_f32_to_bf16(float f);  /* round to nearest even, NaN stays NaN */

#endif
