// Runs ONNX models in ONNX Runtime (the npm package onnxruntime-node, CPU) for
// nn/onnx's TestONNXRuntime. Argument: a JSON manifest, a list of
// {file, dtype: "float32"|"float64", shape, x, opt: a graphOptimizationLevel}. Prints a JSON list of
// {shape, y} (the first output) or {error}, one per entry, in order.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = [];
  for (const c of cases) {
    try {
      const session = await ort.InferenceSession.create(c.file, { executionProviders: ['cpu'], graphOptimizationLevel: c.opt });
      const data = c.dtype === 'float32' ? Float32Array.from(c.x) : Float64Array.from(c.x);
      const feeds = {};
      feeds[session.inputNames[0]] = new ort.Tensor(c.dtype, data, c.shape);
      const res = await session.run(feeds);
      const y = res[session.outputNames[0]];
      out.push({ shape: y.dims.map(Number), y: Array.from(y.data, Number) });
    } catch (e) {
      out.push({ error: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
