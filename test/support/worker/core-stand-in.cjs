// A stand-in for `@azure/functions-core`, installed the way the Azure Functions Node.js worker
// installs the real one: its `setupCoreModule` wraps `Module.prototype.require` in a Proxy that
// answers the request '@azure/functions-core' with the worker's core API (azure-functions-nodejs-worker,
// src/setupCoreModule.ts). Preloaded with `node --require`, it records what the app registers and
// writes it as JSON to $WORKER_REGISTRATIONS_FILE when the process exits. Used by load-entry.ts.
'use strict';
// CommonJS on purpose: `node --require` preloads it before any ES module is evaluated.
/* eslint-disable @typescript-eslint/no-require-imports */
const Module = require('node:module');
const { writeFileSync } = require('node:fs');

const functions = [];
const hooks = [];
let programmingModel;

class Disposable {
  constructor(callback) {
    this.callback = callback;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose() {
    const callback = this.callback;
    this.callback = undefined;
    if (callback) callback();
  }
}

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1037.0',
  registerFunction(metadata) {
    if (functions.some((f) => f.name.toLowerCase() === String(metadata.name).toLowerCase())) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    functions.push(JSON.parse(JSON.stringify(metadata)));
    return new Disposable(() => undefined);
  },
  registerHook(name) {
    hooks.push(name);
    return new Disposable(() => undefined);
  },
  setProgrammingModel(model) {
    programmingModel = { name: model.name, version: model.version };
  },
  getProgrammingModel() {
    return programmingModel;
  },
  log() {},
  Disposable,
};

Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, thisArg, args) {
    if (args[0] === '@azure/functions-core') return coreApi;
    return Reflect.apply(target, thisArg, args);
  },
});

process.on('exit', () => {
  const file = process.env.WORKER_REGISTRATIONS_FILE;
  if (file) writeFileSync(file, JSON.stringify({ functions, hooks, programmingModel }));
});
