// Times an ONNX model with onnxruntime-node: node ort_run.js MODEL INPUT.f32 OUTPUT.f32 THREADS RUNS
// Prints "median MS" after warm-up; writes the first output as raw float32.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, input, output, threads, runs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const buf = fs.readFileSync(input);
  const x = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4), [1, 3, 224, 224]);
  const feeds = {[session.inputNames[0]]: x};
  let out;
  for (let i = 0; i < 5; i++) out = await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const y = out[session.outputNames[0]].data;
  fs.writeFileSync(output, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  console.log('median ' + times[Math.floor(times.length / 2)].toFixed(3));
}
main().catch((e) => { console.error('ort_run: ' + e.message); process.exit(1); });
