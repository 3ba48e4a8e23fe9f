// SPDX-License-Identifier: Apache-2.0
// ONNX Runtime (CPU, onnxruntime-node) as yoloq's reference oracle and speed peer.
//
//   node tools/ort_run.mjs run   MODEL.onnx IN.npy[,IN2.npy] OUTDIR [--threads N]
//       writes OUTDIR/<output name>.npy for every model output (names sanitised like yoloq run).
//   node tools/ort_run.mjs runmany MODEL.onnx LIST.txt [--threads N]
//       LIST.txt has one "IN.npy OUTDIR" pair per line; one session runs them all.
//   node tools/ort_run.mjs bench MODEL.onnx [--threads N] [--iters N] [--warmup N] [--batch N]
//       prints one JSON object: {"median_ms":..,"min_ms":..,"p90_ms":..,"threads":..}
//
// onnxruntime-node is installed by scripts/install-deps.sh into .deps/ort (npm --ignore-scripts).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ortDir = process.env.YOLOQ_ORT_DIR || path.join(here, '..', '.deps', 'ort');
const require = createRequire(path.join(ortDir, 'package.json'));
const ort = require('onnxruntime-node');

const kDtypes = { '<f4': ['float32', Float32Array], '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
                  '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array] };

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const off = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', off, off + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(Boolean).map(Number);
  const [type, Ctor] = kDtypes[descr] || (() => { throw new Error(`${file}: dtype ${descr}`); })();
  const data = off + hlen;
  const n = dims.reduce((a, b) => a * b, 1);
  const copy = Buffer.from(buf.subarray(data, data + n * Ctor.BYTES_PER_ELEMENT));
  return new ort.Tensor(type, new Ctor(copy.buffer, copy.byteOffset, n), dims);
}

function writeNpy(file, tensor) {
  const descr = { float32: '<f4', int64: '<i8', int32: '<i4', uint8: '|u1', int8: '|i1', bool: '|b1' }[tensor.type];
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  const d = tensor.data;
  const body = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const tmp = `${file}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

function flag(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}

// Output names become file names; keep them filesystem-safe the same way `yoloq run` does.
const safeName = (n) => n.replace(/[^A-Za-z0-9._-]/g, '_');

async function main() {
  const [mode, model, ...rest] = process.argv.slice(2);
  const threads = flag(rest, '--threads', 2);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential' });
  if (mode === 'run') {
    const [inputs, outdir] = rest;
    const files = inputs.split(',');
    const feeds = {};
    session.inputNames.forEach((n, i) => { feeds[n] = readNpy(files[i]); });
    const out = await session.run(feeds);
    fs.mkdirSync(outdir, { recursive: true });
    for (const n of session.outputNames) writeNpy(path.join(outdir, safeName(n) + '.npy'), out[n]);
  } else if (mode === 'runmany') {
    const lines = fs.readFileSync(rest[0], 'utf8').split('\n').filter((l) => l.trim());
    for (const line of lines) {
      const [input, outdir] = line.trim().split(/\s+/);
      const feeds = { [session.inputNames[0]]: readNpy(input) };
      const out = await session.run(feeds);
      fs.mkdirSync(outdir, { recursive: true });
      for (const n of session.outputNames) writeNpy(path.join(outdir, safeName(n) + '.npy'), out[n]);
    }
  } else if (mode === 'bench') {
    const iters = flag(rest, '--iters', 50), warmup = flag(rest, '--warmup', 5), batch = flag(rest, '--batch', 1);
    const meta = session.inputMetadata ? session.inputMetadata : null;
    const feeds = {};
    for (const [i, n] of session.inputNames.entries()) {
      let dims = meta && meta[i] && meta[i].shape ? meta[i].shape.map((d) => (typeof d === 'number' ? d : 1)) : null;
      if (!dims) throw new Error('cannot read input shape; this onnxruntime-node lacks inputMetadata');
      dims[0] = batch;
      const n_el = dims.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n_el);
      for (let k = 0; k < n_el; ++k) data[k] = ((k * 2654435761) % 1000) / 1000;
      feeds[n] = new ort.Tensor('float32', data, dims);
    }
    for (let k = 0; k < warmup; ++k) await session.run(feeds);
    const times = [];
    for (let k = 0; k < iters; ++k) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    console.log(JSON.stringify({ runtime: 'onnxruntime', version: ort.env.versions ? ort.env.versions.common : '',
      model, threads, batch, iters, median_ms: q(0.5), min_ms: times[0], p90_ms: q(0.9) }));
  } else {
    console.error('usage: ort_run.mjs run|bench MODEL ...');
    process.exit(2);
  }
}

main().catch((e) => { console.error(`ort_run: error: ${e.message}`); process.exit(2); });
