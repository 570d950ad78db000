// One sharp AVIF encode for dev/bench/encoders.py; prints one JSON line.
// Usage: node sharp-encode.js INPUT.png OUTPUT.avif QUALITY EFFORT THREADS
// The PNG is decoded to raw pixels before the clocks start, so encode_s and encode_cpu_s are the
// AVIF encode alone (ravif's figures are measured the same way); process.cpuUsage() covers every
// thread of the process, libvips' and libaom's included.
"use strict";
const fs = require("fs");
const sharp = require("sharp");

const [input, output, quality, effort, threads] = process.argv.slice(2);
sharp.concurrency(Number(threads));
sharp.cache(false);

(async () => {
  const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const avif = await sharp(data, {
    raw: { width: info.width, height: info.height, channels: info.channels },
  })
    .avif({ quality: Number(quality), effort: Number(effort) })
    .toBuffer();
  const encodeS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const encodeCpuS = (cpu.user + cpu.system) / 1e6;
  fs.writeFileSync(output, avif);
  console.log(JSON.stringify({ encode_s: encodeS, encode_cpu_s: encodeCpuS, bytes: avif.length, width: info.width, height: info.height }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
