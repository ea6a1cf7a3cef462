exports.handler = __f0;

var __provider = {configure: __f1, check: __f2, diff: __f3, create: __f4, read: __f5, update: __f6, delete: __f7};

function __f1(__0) {
  return (function() {
    with({ this: undefined, arguments: undefined }) {

return async function /*configure*/(req) {
            const config = {};
            for (const key of ['accessKey', 'secretKey', 'region', 'endpoint', 'tosEndpoint', 'chatBaseUrl']) {
                config[key] = req.config.get(`ark:${key}`);
            }
            require('pulumi-ark/provider-runtime').configure(config);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f2(__0, __1) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*check*/(olds, news) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'check', [olds, news]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f3(__0, __1, __2) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*diff*/(id, olds, news) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'diff', [id, olds, news]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f4(__0) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*create*/(inputs) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'create', [inputs]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f5(__0, __1) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*read*/(id, props) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'read', [id, props]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f6(__0, __1, __2) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*update*/(id, olds, news) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'update', [id, olds, news]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f7(__0, __1) {
  return (function() {
    with({ kind: "CustomModel", this: undefined, arguments: undefined }) {

return async function /*delete*/(id, props) {
            return require('pulumi-ark/provider-runtime').dispatch(kind, 'delete', [id, props]);
        };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f0() {
  return (function() {
    with({ provider: __provider, this: undefined, arguments: undefined }) {

return () => provider;

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
